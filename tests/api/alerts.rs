//! Course alerts ("tell me when there is a course for me"): sign-up from a catalogue filter with
//! double opt-in, the weekly mail listing only new matching dates (at most one a week, none when
//! nothing is new, exactly one with two instances at once), one-click unsubscribe (RFC 8058), the
//! filter's calendar feed, the account page, the kiosk and staff on the phone, and bad input.
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use teilhabe::domain::offer::{DateStatus, OfferKind, OfferStatus};
use teilhabe::{
    db::entities::{audit_log, course_alert, course_alert_token, offer, offer_date, outbox, venue},
    domain::{
        Language,
        course_alert::{AlertChannel, AlertInput},
        offer::CatalogueQuery,
    },
    services::{
        course_alerts::{AlertDesk, COMMIT_LAG, Subscribed, Subscriber},
        kiosk,
        sessions::hash_token,
        throttle,
    },
};

use crate::{
    helpers::{TestApp, change_address, select, text_of},
    on_both_backends,
};

/// What the alert is about: the topic and district of demo course 1, and another published course
/// with a different topic (whose new dates must not be listed).
struct Setup {
    topic: String,
    district: String,
    slug: String,
    other_id: i32,
    other_slug: String,
}

async fn setup(app: &TestApp) -> Setup {
    let course = offer::Entity::find_by_id(1)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let place = venue::Entity::find_by_id(course.venue_id.unwrap())
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let other = offer::Entity::find()
        .filter(offer::Column::Status.eq(OfferStatus::Published))
        .filter(offer::Column::Kind.eq(OfferKind::Course))
        .filter(offer::Column::Topic.ne(course.topic.as_str()))
        .one(&app.db)
        .await
        .unwrap()
        .expect("a course on another topic");
    Setup {
        topic: course.topic,
        district: place.district_key,
        slug: course.slug,
        other_id: other.id,
        other_slug: other.slug,
    }
}

impl Setup {
    fn query(&self) -> String {
        format!("kreis={}&thema={}", self.district, self.topic)
    }
    fn catalogue_query(&self) -> CatalogueQuery {
        CatalogueQuery {
            thema: self.topic.clone(),
            kreis: self.district.clone(),
            ..Default::default()
        }
    }
}

/// A new date of `offer_id`, published now.
async fn new_date(app: &TestApp, offer_id: i32, starts_at: DateTime<Utc>) -> i32 {
    new_date_stamped(app, offer_id, starts_at, Utc::now()).await
}

/// A new date of `offer_id` whose creation is stamped `created_at` (its transaction may commit later).
async fn new_date_stamped(
    app: &TestApp,
    offer_id: i32,
    starts_at: DateTime<Utc>,
    created_at: DateTime<Utc>,
) -> i32 {
    offer_date::ActiveModel {
        offer_id: Set(offer_id),
        starts_at: Set(starts_at),
        ends_at: Set(starts_at + Duration::minutes(90)),
        capacity: Set(10),
        booked_places: Set(0),
        max_places_per_booking: Set(2),
        booking_opens_at: Set(None),
        booking_closes_at: Set(None),
        status: Set(DateStatus::Scheduled),
        created_at: Set(created_at),
        min_participants: Set(0),
        walk_in_places: Set(0),
        revision: Set(0),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap()
    .id
}

fn desk(app: &TestApp) -> AlertDesk {
    app.state().alert_desk()
}

/// Mails (delivered now) that are alert mails, i.e. carry the one-click unsubscribe header.
async fn alert_mails(app: &TestApp) -> Vec<String> {
    app.mails()
        .await
        .into_iter()
        .filter(|m| m.contains("List-Unsubscribe:"))
        .collect()
}

fn header<'a>(mail: &'a str, name: &str) -> Option<&'a str> {
    mail.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}: ")))
        .map(str::trim)
}

/// A confirmed alert for `email`, set up through the service (an account's own address).
async fn confirmed_alert(app: &TestApp, setup: &Setup, email: &str) {
    let input = AlertInput::parse(email, "kurse", &setup.catalogue_query()).unwrap();
    let who = Subscriber {
        language: Language::De,
        user_id: None,
        channel: AlertChannel::Online,
        address_confirmed: true,
    };
    assert_eq!(
        desk(app).subscribe(&input, who, Utc::now()).await.unwrap(),
        Subscribed::Active
    );
}

on_both_backends!(alert_from_sign_up_to_weekly_mail_and_unsubscribe, |app| {
    let setup = setup(&app).await;
    let email = "alarm@example.org";
    let form_page = format!("/benachrichtigung?bereich=kurse&{}", setup.query());
    // The catalogue with this filter offers the alert and the calendar feed.
    let (status, catalogue) = app.get_html(&format!("/kurse?{}", setup.query())).await;
    assert_eq!(status, 200);
    let hrefs: Vec<String> = select(&catalogue, "a[href]")
        .iter()
        .filter_map(|a| a.value().attr("href").map(str::to_owned))
        .collect();
    assert!(
        hrefs
            .iter()
            .any(|h| h.starts_with("/benachrichtigung?bereich=kurse&")
                && h.contains(&format!("thema={}", setup.topic)))
    );
    assert!(hrefs.iter().any(|h| h.starts_with("/kalender/kurse.ics?")));
    let (status, page) = app.get_html(&form_page).await;
    assert_eq!(status, 200);
    assert!(text_of(&page, ".filter-summary").contains("Thema:"));

    let res = app
        .submit(&form_page, "/benachrichtigung", &[("email", email)])
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/benachrichtigung/gesendet");
    let alert = course_alert::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(alert.email, email);
    assert!(alert.confirmed_at.is_none());
    assert_eq!(alert.filter_query, setup.query());

    // Before confirming nothing is sent, even with a new matching date.
    new_date(&app, 1, Utc::now() + Duration::days(20)).await;
    assert_eq!(desk(&app).send_due(Utc::now()).await.unwrap(), 0);

    // The confirmation link; only its hash is stored.
    let link = app
        .link_in_mail(email, "/benachrichtigung/bestaetigen/")
        .await;
    let token = link.rsplit('/').next().unwrap();
    let stored = course_alert_token::Entity::find()
        .all(&app.db)
        .await
        .unwrap();
    assert!(stored.iter().all(|t| t.token_hash != token));
    assert!(stored.iter().any(|t| t.token_hash == hash_token(token)));
    // Opening the link confirms nothing (mail scanners open links); the button does.
    let (status, _) = app.get_html(&link).await;
    assert_eq!(status, 200);
    let alert = course_alert::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(alert.confirmed_at.is_none());
    let res = app.submit(&link, &link, &[]).await;
    assert_eq!(res.status(), 200);
    let doc = scraper::Html::parse_document(&res.text().await.unwrap());
    assert!(
        select(&doc, "main a[href^=\"/kalender/kurse.ics?\"]").len() == 1,
        "the feed is offered"
    );

    // Dates there at confirmation are known; a new matching and a new other date are published.
    let now = Utc::now();
    let matching = new_date(&app, 1, now + Duration::days(21)).await;
    let other = new_date(&app, setup.other_id, now + Duration::days(21)).await;
    assert_eq!(desk(&app).send_due(now).await.unwrap(), 1);
    let mails = alert_mails(&app).await;
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    assert!(mail.contains(&format!("To: {email}")));
    assert!(mail.contains(&format!("http://teilhabe.test/kurse/{}", setup.slug)));
    assert!(
        !mail.contains(&format!("/kurse/{}", setup.other_slug)),
        "date {other} of another topic is not listed"
    );
    assert!(
        mail.contains("Subject: Ein neuer Termin passt zu Ihrer Suche"),
        "one date: {matching}"
    );
    assert_eq!(
        header(mail, "List-Unsubscribe-Post"),
        Some("List-Unsubscribe=One-Click")
    );
    let unsubscribe = header(mail, "List-Unsubscribe")
        .unwrap()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_owned();
    assert!(unsubscribe.starts_with("http://teilhabe.test/benachrichtigung/abmelden/"));
    assert!(mail.contains(&unsubscribe), "the link is in the text too");

    // Another new date the same week: no second mail; running again sends nothing.
    new_date(&app, 1, now + Duration::days(22)).await;
    assert_eq!(desk(&app).send_due(now).await.unwrap(), 0);
    assert_eq!(
        desk(&app).send_due(now + Duration::days(3)).await.unwrap(),
        0
    );
    assert_eq!(alert_mails(&app).await.len(), 1);

    // One click in the mail program: a POST without cookies or form token.
    let path = unsubscribe.trim_start_matches("http://teilhabe.test");
    let res = reqwest::Client::new()
        .post(app.url(path))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        course_alert::Entity::find().count(&app.db).await.unwrap(),
        0
    );
    assert_eq!(
        course_alert_token::Entity::find()
            .count(&app.db)
            .await
            .unwrap(),
        0
    );
    // Nothing more, not even next week.
    new_date(&app, 1, now + Duration::days(30)).await;
    assert_eq!(
        desk(&app).send_due(now + Duration::days(8)).await.unwrap(),
        0
    );
    assert_eq!(alert_mails(&app).await.len(), 1);
    // The link is spent.
    assert_eq!(app.get(path).await.status(), 404);
});

on_both_backends!(
    the_next_mail_comes_a_week_later_with_what_is_new_since,
    |app| {
        let setup = setup(&app).await;
        confirmed_alert(&app, &setup, "woche@example.org").await;
        let now = Utc::now();
        // Nothing new: no mail.
        assert_eq!(desk(&app).send_due(now).await.unwrap(), 0);
        // Looked at: nothing is sent while nothing is added.
        assert_eq!(desk(&app).send_due(now).await.unwrap(), 0);
        let checked = course_alert::Entity::find()
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        // The look counts for the dates stamped before the lag a transaction may take to commit.
        assert!(
            checked
                .checked_at
                .is_some_and(|at| (at - (now - COMMIT_LAG)).num_milliseconds().abs() < 1)
        );
        // A date added since is noticed at the next run.
        new_date(&app, 1, now + Duration::days(20)).await;
        assert_eq!(desk(&app).send_due(now).await.unwrap(), 1);
        new_date(&app, 1, now + Duration::days(25)).await;
        new_date(&app, 1, now + Duration::days(26)).await;
        assert_eq!(
            desk(&app).send_due(now + Duration::days(6)).await.unwrap(),
            0
        );
        assert_eq!(
            desk(&app)
                .send_due(now + Duration::days(7) + Duration::hours(3))
                .await
                .unwrap(),
            1
        );
        let mails = alert_mails(&app).await;
        assert_eq!(mails.len(), 2);
        assert!(mails[1].contains("Subject: 2 neue Termine passen zu Ihrer Suche"));
        // Every mail has an unsubscribe link of its own, and each works.
        let first = header(&mails[0], "List-Unsubscribe").unwrap().to_owned();
        let second = header(&mails[1], "List-Unsubscribe").unwrap().to_owned();
        assert_ne!(first, second);
    }
);

// A date is stamped before its transaction commits: a run that began after the stamp but read the
// catalogue before the commit did not see it, and the next run must still mail it (not an hour later).
on_both_backends!(a_date_committed_after_a_run_is_mailed_at_the_next, |app| {
    let setup = setup(&app).await;
    confirmed_alert(&app, &setup, "spaet@example.org").await;
    let now = Utc::now();
    assert_eq!(desk(&app).send_due(now).await.unwrap(), 0);
    new_date_stamped(
        &app,
        1,
        now + Duration::days(20),
        now - Duration::seconds(5),
    )
    .await;
    assert_eq!(
        desk(&app)
            .send_due(now + Duration::seconds(2))
            .await
            .unwrap(),
        1
    );
    assert_eq!(alert_mails(&app).await.len(), 1);
});

on_both_backends!(parallel_job_runs_send_exactly_one_mail, |app| {
    let setup = setup(&app).await;
    confirmed_alert(&app, &setup, "parallel@example.org").await;
    let now = Utc::now();
    new_date(&app, 1, now + Duration::days(20)).await;
    let (a, b) = (desk(&app), desk(&app));
    let (first, second) = tokio::join!(
        tokio::spawn(async move { a.send_due(now).await.unwrap() }),
        tokio::spawn(async move { b.send_due(now).await.unwrap() }),
    );
    assert_eq!(first.unwrap() + second.unwrap(), 1);
    let queued = outbox::Entity::find()
        .filter(outbox::Column::ListUnsubscribe.is_not_null())
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(queued, 1);
    assert_eq!(alert_mails(&app).await.len(), 1);
});

/// The weekly run read the alert, then its address changed (the account moved to a new address)
/// before the run claimed it: the mail, with the person's search, went to the old address.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_address_changed_during_a_run_gets_the_mail_on_postgres() {
    let Some(app) =
        crate::helpers::spawn_app(crate::helpers::Backend::Postgres, Default::default()).await
    else {
        return;
    };
    let setup = setup(&app).await;
    confirmed_alert(&app, &setup, "vorher@example.org").await;
    let now = Utc::now();
    new_date(&app, 1, now + Duration::days(20)).await;
    // The address change is under way: it holds the alert's row until it commits.
    let moving = crate::helpers::holding(
        &app.db,
        "UPDATE course_alerts SET email = 'nachher@example.org' WHERE email = 'vorher@example.org'",
    )
    .await;
    let run = desk(&app);
    let running = tokio::spawn(async move { run.send_due(now).await.unwrap() });
    crate::helpers::until_someone_waits_for_a_lock(&app.db).await;
    moving.commit().await.unwrap();
    running.await.unwrap();
    assert!(
        alert_mails(&app)
            .await
            .iter()
            .all(|m| !m.contains("vorher@example.org")),
        "the alert was mailed to the old address"
    );
    assert_eq!(
        desk(&app)
            .send_due(now + Duration::seconds(1))
            .await
            .unwrap(),
        1
    );
    let mails = alert_mails(&app).await;
    assert_eq!(mails.len(), 1);
    assert!(mails[0].contains("nachher@example.org"));
}

on_both_backends!(an_unconfirmed_alert_sends_nothing_and_expires, |app| {
    let setup = setup(&app).await;
    let input = AlertInput::parse("offen@example.org", "kurse", &setup.catalogue_query()).unwrap();
    let who = Subscriber {
        language: Language::En,
        user_id: None,
        channel: AlertChannel::Online,
        address_confirmed: false,
    };
    let now = Utc::now();
    assert_eq!(
        desk(&app).subscribe(&input, who, now).await.unwrap(),
        Subscribed::ConfirmationSent
    );
    new_date(&app, 1, now + Duration::days(20)).await;
    assert_eq!(desk(&app).send_due(now).await.unwrap(), 0);
    assert_eq!(
        desk(&app).send_due(now + Duration::days(6)).await.unwrap(),
        0
    );
    // The confirmation mail is in the person's language.
    let mails = app.mails().await;
    assert_eq!(mails.len(), 1);
    assert!(mails[0].contains("Subject: Please confirm your alert for new courses"));
    let link = app
        .link_in_mail("offen@example.org", "/benachrichtigung/bestaetigen/")
        .await;
    // After a week the alert is gone; its link says so.
    assert_eq!(
        desk(&app).send_due(now + Duration::days(8)).await.unwrap(),
        0
    );
    assert_eq!(
        course_alert::Entity::find().count(&app.db).await.unwrap(),
        0
    );
    assert_eq!(app.submit(&link, &link, &[]).await.status(), 404);
    assert!(alert_mails(&app).await.is_empty());
});

on_both_backends!(the_calendar_feed_lists_the_filters_dates, |app| {
    let setup = setup(&app).await;
    let now = Utc::now();
    let matching = new_date(&app, 1, now + Duration::days(20)).await;
    let other = new_date(&app, setup.other_id, now + Duration::days(20)).await;
    let res = app
        .get(&format!("/kalender/kurse.ics?{}", setup.query()))
        .await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/calendar")
    );
    let body = res.text().await.unwrap();
    assert!(body.starts_with("BEGIN:VCALENDAR"));
    assert!(body.contains(&format!("UID:date-{matching}@")));
    assert!(!body.contains(&format!("UID:date-{other}@")));
    assert_eq!(
        app.get("/kalender/kurse.ics?thema=kochen").await.status(),
        404
    );
    assert_eq!(app.get("/kalender/nichts.ics").await.status(), 404);
    assert_eq!(app.get("/kalender/veranstaltungen.ics").await.status(), 200);
});

on_both_backends!(the_account_page_lists_and_removes_alerts, |app| {
    let setup = setup(&app).await;
    let (email, password) = ("buergerin@demo.teilhabe.example", "Demo-Buergerin-2026");
    assert_eq!(app.login(email, password).await.status(), 303);
    let (_, page) = app.get_html("/konto").await;
    assert!(!text_of(&page, "#benachrichtigungen").is_empty());
    // Signed in with the account's own address: active at once, no mail needed.
    let form_page = format!("/benachrichtigung?bereich=kurse&{}", setup.query());
    let (_, form) = app.get_html(&form_page).await;
    assert_eq!(
        select(&form, "input[name=email]")[0].value().attr("value"),
        Some(email)
    );
    let res = app
        .submit(&form_page, "/benachrichtigung", &[("email", email)])
        .await;
    assert_eq!(res.status(), 303);
    assert!(
        res.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/konto?erledigt=benachrichtigung-eingerichtet")
    );
    let alert = course_alert::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(alert.confirmed_at.is_some());
    // One for another address (someone else's) is not listed and cannot be removed from here.
    confirmed_alert(&app, &setup, "jemand@example.org").await;
    let others = course_alert::Entity::find()
        .filter(course_alert::Column::Email.eq("jemand@example.org"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let (_, page) = app.get_html("/konto").await;
    let forms = select(&page, "form[action^=\"/konto/benachrichtigungen/\"]");
    assert_eq!(forms.len(), 1);
    assert!(page.html().contains("Thema:"));
    let hidden = app.hidden_fields("/konto").await;
    let csrf = hidden
        .iter()
        .find(|(k, _)| k == "csrf_token")
        .unwrap()
        .1
        .clone();
    let res = app
        .post_form(
            &format!("/konto/benachrichtigungen/{}/loeschen", others.id),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(res.status(), 404);
    let res = app
        .post_form(
            &format!("/konto/benachrichtigungen/{}/loeschen", alert.id),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(res.status(), 303);
    let (_, page) = app
        .get_html("/konto?erledigt=benachrichtigung-entfernt")
        .await;
    assert!(select(&page, "form[action^=\"/konto/benachrichtigungen/\"]").is_empty());
    assert_eq!(
        course_alert::Entity::find().count(&app.db).await.unwrap(),
        1
    );
});

// An alert someone asked for with the old address and never confirmed stays with that address on an
// address change: its confirmation link went there, and whoever confirms it reads the old address,
// so the mails go there, not to the account's new address, and the account no longer lists it.
on_both_backends!(an_unconfirmed_alert_stays_with_the_old_address, |app| {
    let setup = setup(&app).await;
    let (old, password) = ("buergerin@demo.teilhabe.example", "Demo-Buergerin-2026");
    let new = "buergerin@neu.example";
    let form_page = format!("/benachrichtigung?bereich=kurse&{}", setup.query());
    let res = app
        .submit(&form_page, "/benachrichtigung", &[("email", old)])
        .await;
    assert_eq!(res.headers()["location"], "/benachrichtigung/gesendet");
    let link = app
        .link_in_mail(old, "/benachrichtigung/bestaetigen/")
        .await;
    assert_eq!(app.login(old, password).await.status(), 303);
    let (_, page) = app.get_html("/konto").await;
    assert_eq!(
        select(&page, "form[action^=\"/konto/benachrichtigungen/\"]").len(),
        1,
        "an alert for the account's address is the account's"
    );

    change_address(&app, password, new).await;

    let (_, page) = app.get_html("/konto").await;
    assert!(
        select(&page, "form[action^=\"/konto/benachrichtigungen/\"]").is_empty(),
        "{}",
        text_of(&page, "#benachrichtigungen")
    );
    let res = app.submit(&link, &link, &[]).await;
    assert_eq!(res.status(), 200);
    let now = Utc::now();
    new_date(&app, 1, now + Duration::days(21)).await;
    assert_eq!(desk(&app).send_due(now).await.unwrap(), 1);
    let mails = alert_mails(&app).await;
    assert_eq!(mails.len(), 1);
    assert!(mails[0].contains(&format!("To: {old}")), "{}", mails[0]);
});

// An address change takes the account's alerts along: the weekly mail (the filter, the link to stop
// it) goes to the new address only, and whoever registers the old address next neither sees an
// alert of the account nor can remove it, not even one left there before alerts moved along.
on_both_backends!(an_address_change_takes_the_alerts_along, |app| {
    let setup = setup(&app).await;
    let (old, password) = ("buergerin@demo.teilhabe.example", "Demo-Buergerin-2026");
    let new = "buergerin@neu.example";
    let person = teilhabe::db::entities::user::Entity::find()
        .filter(teilhabe::db::entities::user::Column::Email.eq(old))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .id;
    assert_eq!(app.login(old, password).await.status(), 303);
    let form_page = format!("/benachrichtigung?bereich=kurse&{}", setup.query());
    let res = app
        .submit(&form_page, "/benachrichtigung", &[("email", old)])
        .await;
    assert_eq!(res.status(), 303);
    let alert = course_alert::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(alert.confirmed_at.is_some());
    assert_eq!(alert.user_id, Some(person));
    // Someone typed the new address for the same search and never confirmed: one address has one
    // alert per search, and the confirmed one moving in takes its place.
    course_alert::ActiveModel {
        email: Set(new.into()),
        language: Set("de".into()),
        kind: Set(OfferKind::Course),
        filter_query: Set(setup.query()),
        user_id: Set(None),
        channel: Set("online".into()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();

    change_address(&app, password, new).await;

    let now = Utc::now();
    new_date(&app, 1, now + Duration::days(21)).await;
    assert_eq!(desk(&app).send_due(now).await.unwrap(), 1);
    let mails = alert_mails(&app).await;
    assert_eq!(mails.len(), 1);
    assert!(mails[0].contains(&format!("To: {new}")), "{}", mails[0]);
    let at_new: Vec<i64> = course_alert::Entity::find()
        .filter(course_alert::Column::Email.eq(new))
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.id)
        .collect();
    assert_eq!(at_new, [alert.id]);

    // An alert of the account left at the old address by an address change before alerts moved
    // along.
    course_alert::ActiveModel {
        email: Set(old.into()),
        language: Set("de".into()),
        kind: Set(OfferKind::Course),
        filter_query: Set(setup.query()),
        user_id: Set(Some(person)),
        channel: Set("online".into()),
        created_at: Set(now),
        confirmed_at: Set(Some(now)),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();

    // Someone else registers the old address.
    app.submit("/konto", "/abmelden", &[]).await;
    let next_password = "grüne Wiese am Hainich";
    let res = app
        .submit(
            "/registrieren",
            "/registrieren",
            &[
                ("name", "Nächste Person"),
                ("email", old),
                ("password", next_password),
                ("website", ""),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let link = app.link_in_mail(old, "/konto/bestaetigen?token=").await;
    let token = link.split("token=").nth(1).unwrap().to_owned();
    let res = app
        .submit(
            &link,
            "/konto/bestaetigen",
            &[("token", &token), ("password", next_password)],
        )
        .await;
    assert_eq!(
        res.headers()["location"],
        "/konto?erledigt=konto-bestaetigt"
    );
    let (_, page) = app.get_html("/konto").await;
    assert!(
        select(&page, "form[action^=\"/konto/benachrichtigungen/\"]").is_empty(),
        "{}",
        text_of(&page, "#benachrichtigungen")
    );
    let csrf = app
        .hidden_fields("/konto")
        .await
        .into_iter()
        .find(|(k, _)| k == "csrf_token")
        .unwrap()
        .1;
    for row in course_alert::Entity::find().all(&app.db).await.unwrap() {
        let res = app
            .post_form(
                &format!("/konto/benachrichtigungen/{}/loeschen", row.id),
                &[("csrf_token", &csrf)],
            )
            .await;
        assert_eq!(res.status(), 404, "{row:?}");
    }
    let moved = course_alert::Entity::find_by_id(alert.id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(moved.email, new);
});

// An alert for a wide search matches more dates than one run reads (2,000). The dates there when it
// was set up stay known when earlier ones have passed, and a new date beyond the first 2,000 is told
// about at once.
on_both_backends!(
    an_alert_matching_thousands_of_dates_tells_only_of_new_ones,
    |app| {
        let setup = setup(&app).await;
        let start = Utc::now() + Duration::days(1);
        let hourly = |i: i64| start + Duration::hours(i);
        for first in (0..2_100).step_by(100) {
            offer_date::Entity::insert_many((first..first + 100).map(|i| {
                offer_date::ActiveModel {
                    offer_id: Set(1),
                    starts_at: Set(hourly(i)),
                    ends_at: Set(hourly(i) + Duration::minutes(45)),
                    capacity: Set(10),
                    booked_places: Set(0),
                    max_places_per_booking: Set(2),
                    status: Set(DateStatus::Scheduled),
                    created_at: Set(Utc::now()),
                    min_participants: Set(0),
                    walk_in_places: Set(0),
                    revision: Set(0),
                    ..Default::default()
                }
            }))
            .exec_without_returning(&app.db)
            .await
            .unwrap();
        }
        confirmed_alert(&app, &setup, "viele@example.org").await;

        // A week on, the first 168 have passed: nothing new.
        let later = Utc::now() + Duration::days(8);
        assert_eq!(desk(&app).send_due(later).await.unwrap(), 0);
        assert!(alert_mails(&app).await.is_empty());

        // One new date after all the others: told about although 2,000 known ones come before it.
        let new = new_date(&app, 1, hourly(2_200)).await;
        assert_eq!(
            desk(&app)
                .send_due(later + Duration::days(8))
                .await
                .unwrap(),
            1
        );
        let mails = alert_mails(&app).await;
        assert_eq!(mails.len(), 1);
        assert!(
            mails[0].contains("Subject: Ein neuer Termin passt zu Ihrer Suche"),
            "only date {new}: {}",
            mails[0]
        );
    }
);

// An account's own alerts speak the language chosen for the account's mails, as its booking mails
// do: set up on a German page by someone who reads Leichte Sprache, and after a later change.
on_both_backends!(an_accounts_alert_uses_its_mail_language, |app| {
    let setup = setup(&app).await;
    let (email, password) = ("buergerin@demo.teilhabe.example", "Demo-Buergerin-2026");
    assert_eq!(app.login(email, password).await.status(), 303);
    let choose = |code: &'static str| {
        let app = &app;
        async move {
            let csrf = app.csrf_token("/konto").await;
            let res = app
                .post_form(
                    "/konto/sprache",
                    &[("csrf_token", csrf.as_str()), ("sprache", code)],
                )
                .await;
            assert_eq!(res.status(), 303, "{code}");
        }
    };
    choose("de-x-ls").await;
    let form_page = format!("/benachrichtigung?bereich=kurse&{}", setup.query());
    let res = app
        .submit(&form_page, "/benachrichtigung", &[("email", email)])
        .await;
    assert_eq!(res.status(), 303);
    let language = || async {
        course_alert::Entity::find()
            .one(&app.db)
            .await
            .unwrap()
            .unwrap()
            .language
    };
    assert_eq!(language().await, "de-x-ls");

    choose("en").await;
    assert_eq!(language().await, "en");
    new_date(&app, 1, Utc::now() + Duration::days(20)).await;
    desk(&app)
        .send_due(Utc::now() + Duration::days(8))
        .await
        .unwrap();
    let mails = alert_mails(&app).await;
    assert_eq!(mails.len(), 1);
    let subject = header(&mails[0], "Subject").unwrap_or_default();
    assert!(
        subject.contains("match your search") || subject.contains("matches your search"),
        "{subject}"
    );
});

// Signed in, a person sets up an alert for someone else's address: it waits for that person's
// confirmation and does not belong to the account (not listed there, not in its data download, not
// deleted with it).
on_both_backends!(an_alert_for_another_address_is_not_the_accounts, |app| {
    let setup = setup(&app).await;
    let (email, password) = ("buergerin@demo.teilhabe.example", "Demo-Buergerin-2026");
    assert_eq!(app.login(email, password).await.status(), 303);
    let form_page = format!("/benachrichtigung?bereich=kurse&{}", setup.query());
    let res = app
        .submit(
            &form_page,
            "/benachrichtigung",
            &[("email", "nachbarin@example.org")],
        )
        .await;
    assert_eq!(res.status(), 303);
    let alert = course_alert::Entity::find()
        .filter(course_alert::Column::Email.eq("nachbarin@example.org"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(alert.user_id, None);
    assert!(
        alert.confirmed_at.is_none(),
        "the owner of the address confirms"
    );
    let account = teilhabe::db::entities::user::Entity::find()
        .filter(teilhabe::db::entities::user::Column::Email.eq(email))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let data = teilhabe::services::accounts::export(&app.db, &app.state().pseudonyms, account.id)
        .await
        .unwrap();
    assert!(
        !data.to_string().contains("nachbarin@example.org"),
        "{data}"
    );
});

/// A new browser (own cookies).
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn csrf_of(client: &reqwest::Client, url: &str) -> (u16, String, String) {
    let res = client.get(url).send().await.unwrap();
    let status = res.status().as_u16();
    let cache = res
        .headers()
        .get("cache-control")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let doc = scraper::Html::parse_document(&res.text().await.unwrap());
    let token = select(&doc, "input[name=\"csrf_token\"]")
        .first()
        .and_then(|e| e.value().attr("value"))
        .unwrap_or_default()
        .to_owned();
    (status, token, cache)
}

on_both_backends!(a_kiosk_takes_an_address_and_keeps_nothing, |app| {
    let setup = setup(&app).await;
    let course = offer::Entity::find_by_id(1)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let place = venue::Entity::find_by_id(course.venue_id.unwrap())
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let registered = kiosk::register(&app.db, "Eingang", &place.slug, None, Utc::now())
        .await
        .unwrap();
    let terminal = browser();
    let (_, token, _) = csrf_of(&terminal, &app.url("/kiosk")).await;
    let res = terminal
        .post(app.url("/kiosk/koppeln"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("code", registered.code.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let courses = terminal.get(app.url("/kiosk/kurse")).send().await.unwrap();
    assert!(
        courses
            .text()
            .await
            .unwrap()
            .contains("/kiosk/benachrichtigung")
    );
    let (status, token, cache) = csrf_of(&terminal, &app.url("/kiosk/benachrichtigung")).await;
    assert_eq!(status, 200);
    assert_eq!(cache, "no-store");
    // A wrong address: the field says so.
    let res = terminal
        .post(app.url("/kiosk/benachrichtigung"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", "kein-at"),
            ("thema", setup.topic.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let doc = scraper::Html::parse_document(&res.text().await.unwrap());
    assert!(!text_of(&doc, "#email-error").is_empty());
    let res = terminal
        .post(app.url("/kiosk/benachrichtigung"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", "laden@example.org"),
            ("thema", setup.topic.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/kiosk/danke/benachrichtigung");
    let thanks = terminal
        .get(app.url("/kiosk/danke/benachrichtigung"))
        .send()
        .await
        .unwrap();
    assert_eq!(thanks.status(), 200);
    assert!(!thanks.text().await.unwrap().contains("laden@example.org"));
    // The kiosk's session ended: the same form cannot be sent again.
    let again = terminal
        .post(app.url("/kiosk/benachrichtigung"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", "laden@example.org"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 403);
    let alert = course_alert::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(alert.channel, "kiosk");
    assert!(alert.confirmed_at.is_none());
    assert_eq!(alert.filter_query, setup.query(), "the terminal's district");
    app.link_in_mail("laden@example.org", "/benachrichtigung/bestaetigen/")
        .await;
});

on_both_backends!(staff_set_one_up_for_a_caller_who_still_confirms, |app| {
    let setup = setup(&app).await;
    assert_eq!(
        app.login("anbieter@demo.teilhabe.example", "Demo-Anbieter-2026")
            .await
            .status(),
        303
    );
    let (status, page) = app.get_html("/verwaltung/termine/1").await;
    assert_eq!(status, 200);
    assert!(!select(&page, "a[href=\"/verwaltung/benachrichtigung\"]").is_empty());
    let res = app
        .submit(
            "/verwaltung/benachrichtigung",
            "/verwaltung/benachrichtigung",
            &[("email", "kein-at"), ("sprache", "de")],
        )
        .await;
    assert_eq!(res.status(), 422);
    let doc = scraper::Html::parse_document(&res.text().await.unwrap());
    assert!(!text_of(&doc, "#email-error").is_empty());
    assert_eq!(
        select(&doc, "input[name=email]")[0].value().attr("value"),
        Some("kein-at"),
        "input kept"
    );
    let res = app
        .submit(
            "/verwaltung/benachrichtigung",
            "/verwaltung/benachrichtigung",
            &[
                ("email", "anrufer@example.org"),
                ("sprache", "en"),
                ("thema", setup.topic.as_str()),
                ("kreis", setup.district.as_str()),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        res.headers()["location"],
        "/verwaltung/benachrichtigung?erledigt=benachrichtigung-angefragt"
    );
    let alert = course_alert::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(alert.channel, "staff");
    assert_eq!(alert.language, "en");
    assert!(
        alert.confirmed_at.is_none(),
        "the person confirms themselves"
    );
    assert_eq!(alert.filter_query, setup.query());
    let link = app
        .link_in_mail("anrufer@example.org", "/benachrichtigung/bestaetigen/")
        .await;
    assert!(
        audit_log::Entity::find()
            .filter(audit_log::Column::Action.eq("course_alert.staff"))
            .count(&app.db)
            .await
            .unwrap()
            == 1
    );
    // The caller confirms from their own browser.
    let person = browser();
    let (_, token, _) = csrf_of(&person, &app.url(&link)).await;
    let res = person
        .post(app.url(&link))
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let alert = course_alert::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(alert.confirmed_at.is_some());
});

on_both_backends!(bad_input_gives_field_errors_and_keeps_it, |app| {
    let setup = setup(&app).await;
    let form_page = format!("/benachrichtigung?bereich=kurse&{}", setup.query());
    let res = app
        .submit(&form_page, "/benachrichtigung", &[("email", "kein-at@")])
        .await;
    assert_eq!(res.status(), 422);
    let doc = scraper::Html::parse_document(&res.text().await.unwrap());
    assert!(!text_of(&doc, "#email-error").is_empty());
    assert_eq!(
        select(&doc, ".error-summary a")[0].value().attr("href"),
        Some("#email")
    );
    assert_eq!(
        select(&doc, "input[name=email]")[0].value().attr("value"),
        Some("kein-at@")
    );
    // A filter that is not valid points to the filter.
    let res = app
        .submit(
            &form_page,
            "/benachrichtigung",
            &[("email", "gut@example.org"), ("thema", "kochen")],
        )
        .await;
    assert_eq!(res.status(), 422);
    let doc = scraper::Html::parse_document(&res.text().await.unwrap());
    assert_eq!(
        select(&doc, "main a")[0].value().attr("href"),
        Some("/kurse"),
        "back to the search, whose fields say what is wrong"
    );
    let (status, _) = app
        .get_html("/benachrichtigung?bereich=kurse&thema=kochen")
        .await;
    assert_eq!(status, 422);
    // The honeypot: nothing stored, nothing sent.
    let res = app
        .submit(
            &form_page,
            "/benachrichtigung",
            &[("email", "bot@example.org"), ("website", "http://spam")],
        )
        .await;
    assert_eq!(res.status(), 404);
    assert_eq!(
        course_alert::Entity::find().count(&app.db).await.unwrap(),
        0
    );
    // Text is cleaned like every form's.
    let res = app
        .submit(
            &format!(
                "/benachrichtigung?bereich=kurse&q=Tab%E2%80%AEtlet&{}",
                setup.query()
            ),
            "/benachrichtigung",
            &[("email", "sauber@example.org")],
        )
        .await;
    assert_eq!(res.status(), 303);
    let alert = course_alert::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(
        alert.filter_query.starts_with("q=Tabtlet&"),
        "{}",
        alert.filter_query
    );
    let mails = app.mails().await;
    assert_eq!(mails.len(), 1, "{mails:?}");
});

on_both_backends!(a_form_sent_twice_signs_up_once, |app| {
    let setup = setup(&app).await;
    let form_page = format!("/benachrichtigung?bereich=kurse&{}", setup.query());
    let mut fields: Vec<(String, String)> = app.hidden_fields(&form_page).await;
    fields.push(("email".into(), "zweimal@example.org".into()));
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let (a, b) = tokio::join!(
        app.post_form("/benachrichtigung", &pairs),
        app.post_form("/benachrichtigung", &pairs)
    );
    assert_eq!(a.status(), 303);
    assert_eq!(b.status(), 303);
    assert_eq!(
        course_alert::Entity::find().count(&app.db).await.unwrap(),
        1
    );
    assert_eq!(app.mails().await.len(), 1);
});

on_both_backends!(sign_ups_are_throttled_per_recipient, |app| {
    let setup = setup(&app).await;
    let bucket = app
        .state()
        .pseudonyms
        .throttle_bucket("alert-recipient", "viel@example.org");
    for _ in 0..throttle::ALERT_MAILS_PER_RECIPIENT.max {
        throttle::record(&app.db, &bucket).await.unwrap();
    }
    let form_page = format!("/benachrichtigung?bereich=kurse&{}", setup.query());
    let res = app
        .submit(
            &form_page,
            "/benachrichtigung",
            &[("email", "viel@example.org")],
        )
        .await;
    assert_eq!(res.status(), 429);
    let doc = scraper::Html::parse_document(&res.text().await.unwrap());
    assert!(!text_of(&doc, "#email-error").is_empty());
    assert_eq!(
        course_alert::Entity::find().count(&app.db).await.unwrap(),
        0
    );
    assert!(app.mails().await.is_empty());
});

#[test]
fn alert_links_are_masked_in_the_access_log() {
    use teilhabe::web::access_log::loggable_path;
    for pattern in [
        "/benachrichtigung/bestaetigen/{token}",
        "/benachrichtigung/abmelden/{token}",
    ] {
        let path = pattern.replace("{token}", "geheim123");
        assert!(!loggable_path(&path, Some(pattern)).contains("geheim123"));
    }
}

on_both_backends!(the_account_data_and_its_deletion_include_alerts, |app| {
    let setup = setup(&app).await;
    let email = "buergerin@demo.teilhabe.example";
    assert_eq!(app.login(email, "Demo-Buergerin-2026").await.status(), 303);
    confirmed_alert(&app, &setup, email).await;
    let data = app.get("/konto/daten").await.text().await.unwrap();
    let data: serde_json::Value = serde_json::from_str(&data).unwrap();
    assert_eq!(data["course_alerts"][0]["filter"], setup.query());
    let user = teilhabe::db::entities::user::Entity::find()
        .filter(teilhabe::db::entities::user::Column::Email.eq(email))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    teilhabe::services::accounts::delete_account(
        &app.desk(),
        &app.state().volunteer_sign_up(),
        &app.state().pseudonyms,
        user.id,
        Utc::now(),
    )
    .await
    .unwrap();
    assert_eq!(
        course_alert::Entity::find().count(&app.db).await.unwrap(),
        0
    );
    assert_eq!(
        course_alert_token::Entity::find()
            .count(&app.db)
            .await
            .unwrap(),
        0
    );
});

on_both_backends!(
    asking_again_for_an_active_alert_tells_the_owner_only,
    |app| {
        let setup = setup(&app).await;
        let email = "schon@example.org";
        confirmed_alert(&app, &setup, email).await;
        // Someone asks again for the same address and filter: the same page as always (nothing is
        // revealed), one alert, and the owner gets a note with a link to end it.
        let form_page = format!("/benachrichtigung?bereich=kurse&{}", setup.query());
        let res = app
            .submit(&form_page, "/benachrichtigung", &[("email", email)])
            .await;
        assert_eq!(res.status(), 303);
        assert_eq!(res.headers()["location"], "/benachrichtigung/gesendet");
        assert_eq!(
            course_alert::Entity::find().count(&app.db).await.unwrap(),
            1
        );
        let mails = app.mails().await;
        assert_eq!(mails.len(), 1);
        assert!(
            mails[0]
                .contains("Subject: Ihre Benachrichtigung bei neuen Kursen ist schon eingerichtet")
        );
        let link = app.link_in_mail(email, "/benachrichtigung/abmelden/").await;
        let (status, page) = app.get_html(&link).await;
        assert_eq!(status, 200);
        assert!(text_of(&page, ".filter-summary").contains("Kreis:"));
        assert_eq!(app.submit(&link, &link, &[]).await.status(), 200);
        assert_eq!(
            course_alert::Entity::find().count(&app.db).await.unwrap(),
            0
        );
    }
);

// A new date whose places are all taken is still news, but must not read like a free place.
on_both_backends!(a_full_date_is_announced_as_full, |app| {
    let setup = setup(&app).await;
    confirmed_alert(&app, &setup, "voll@example.org").await;
    let now = Utc::now();
    let full = new_date(&app, 1, now + Duration::days(21)).await;
    let mut taken: offer_date::ActiveModel = offer_date::Entity::find_by_id(full)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .into();
    taken.booked_places = Set(10);
    taken.update(&app.db).await.unwrap();
    assert_eq!(desk(&app).send_due(now).await.unwrap(), 1);
    let mail = alert_mails(&app).await.pop().unwrap();
    assert!(mail.contains("Ausgebucht"), "{mail}");
});

// One alert whose mail fails every time (here: its dates cannot be recorded) must not stop the
// mail of the alerts after it, run after run; the run still reports the failure.
on_both_backends!(
    an_alert_that_keeps_failing_does_not_hold_up_the_others,
    |app| {
        let setup = setup(&app).await;
        confirmed_alert(&app, &setup, "klemmt@example.org").await;
        confirmed_alert(&app, &setup, "wartet@example.org").await;
        let stuck = course_alert::Entity::find()
            .filter(course_alert::Column::Email.eq("klemmt@example.org"))
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        crate::helpers::refuse_inserts_where(
            &app.db,
            "course_alert_dates",
            &format!("NEW.alert_id = {}", stuck.id),
        )
        .await;
        let now = Utc::now();
        new_date(&app, 1, now + Duration::days(21)).await;
        assert!(
            desk(&app).send_due(now).await.is_err(),
            "the failure is reported"
        );
        let queued_to = |to: &'static str| {
            let db = app.db.clone();
            async move {
                outbox::Entity::find()
                    .filter(outbox::Column::Recipient.eq(to))
                    .count(&db)
                    .await
                    .unwrap()
            }
        };
        assert_eq!(
            queued_to("wartet@example.org").await,
            1,
            "the other alert is mailed"
        );
        assert_eq!(queued_to("klemmt@example.org").await, 0);
    }
);

// The same alert asked for several times at once (two tabs, a double tap on a slow line, each a
// form of its own): each request finds none yet, and all but one failed on the unique index with
// an error page. They take turns now: one alert, and every request is answered as usual.
on_both_backends!(the_same_alert_asked_for_at_once_is_set_up_once, |app| {
    let setup = setup(&app).await;
    let input =
        AlertInput::parse("zugleich@example.org", "kurse", &setup.catalogue_query()).unwrap();
    let who = Subscriber {
        language: Language::De,
        user_id: None,
        channel: AlertChannel::Online,
        address_confirmed: false,
    };
    // One desk for all: each `desk` builds a state with an index of its own, which took longer
    // than a request, so the requests did not overlap.
    let one_desk = desk(&app);
    let mut asking = tokio::task::JoinSet::new();
    for _ in 0..6 {
        let (desk, input) = (one_desk.clone(), input.clone());
        asking.spawn(async move { desk.subscribe(&input, who, Utc::now()).await });
    }
    for answer in asking.join_all().await {
        assert_eq!(answer.unwrap(), Subscribed::ConfirmationSent);
    }
    let alerts = course_alert::Entity::find()
        .filter(course_alert::Column::Email.eq("zugleich@example.org"))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(alerts, 1);
});
