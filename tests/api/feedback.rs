//! Feedback after a date: mailed single-use links, the printed QR code and paper forms typed in by
//! staff; stored anonymously, with the date only.
use chrono::{Duration, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use teilhabe::domain::booking::BookingStatus;
use teilhabe::domain::offer::DateStatus;
use teilhabe::{
    db::entities::{booking, feedback, offer_date},
    services::feedback::FeedbackDesk,
};

use crate::{
    helpers::{Backend, TestApp, select, spawn_app, text_of},
    on_both_backends,
};

const PROVIDER: (&str, &str) = ("anbieter@demo.teilhabe.example", "Demo-Anbieter-2026");
const EDITOR: (&str, &str) = ("gemeinde@demo.teilhabe.example", "Demo-Gemeinde-2026");

/// A date of demo course 1 (Probierladen Erfurt) that ended yesterday.
async fn past_date(app: &TestApp) -> offer_date::Model {
    let starts_at = Utc::now() - Duration::days(1);
    offer_date::ActiveModel {
        offer_id: Set(1),
        starts_at: Set(starts_at),
        ends_at: Set(starts_at + Duration::minutes(90)),
        capacity: Set(10),
        booked_places: Set(4),
        max_places_per_booking: Set(2),
        booking_opens_at: Set(None),
        booking_closes_at: Set(Some(starts_at)),
        status: Set(DateStatus::Scheduled),
        created_at: Set(starts_at - Duration::days(10)),
        min_participants: Set(0),
        walk_in_places: Set(0),
        revision: Set(0),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap()
}

async fn booking_for(
    app: &TestApp,
    date_id: i32,
    email: Option<&str>,
    status: &str,
    attendance: Option<&str>,
) {
    booking::ActiveModel {
        date_id: Set(date_id),
        name: Set("Teilnehmende Person".into()),
        email: Set(email.map(str::to_owned)),
        phone: Set(email.is_none().then(|| "0361 123456".to_owned())),
        places: Set(1),
        status: Set(BookingStatus::parse(status).unwrap()),
        channel: Set("online".into()),
        cancel_token_hash: Set(uuid::Uuid::new_v4().to_string()),
        created_at: Set(Utc::now() - Duration::days(3)),
        language: Set("de".into()),
        attendance: Set(attendance
            .map(|a| teilhabe::domain::booking::Attendance::parse(a).expect("a known attendance"))),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
}

fn desk(app: &TestApp) -> FeedbackDesk {
    app.state().feedback_desk()
}

async fn stored(app: &TestApp, date_id: i32) -> Vec<feedback::Model> {
    feedback::Entity::find()
        .filter(feedback::Column::DateId.eq(date_id))
        .all(&app.db)
        .await
        .unwrap()
}

on_both_backends!(participants_get_one_single_use_link_after_the_date, |app| {
    let date = past_date(&app).await;
    booking_for(
        &app,
        date.id,
        Some("dabei@example.de"),
        "confirmed",
        Some("present"),
    )
    .await;
    booking_for(
        &app,
        date.id,
        Some("gefehlt@example.de"),
        "confirmed",
        Some("absent"),
    )
    .await;
    booking_for(
        &app,
        date.id,
        Some("abgesagt@example.de"),
        "cancelled",
        None,
    )
    .await;
    booking_for(&app, date.id, None, "confirmed", None).await;

    let sent = desk(&app).invite_after_dates(Utc::now()).await.unwrap();
    assert_eq!(
        sent, 1,
        "only the participant who was there and has an address"
    );
    assert_eq!(
        desk(&app).invite_after_dates(Utc::now()).await.unwrap(),
        0,
        "once per date"
    );

    let link = app.link_in_mail("dabei@example.de", "/rueckmeldung/").await;
    // Delivered, the invitation is not kept (the other mails' text stays 30 days): with the
    // links' used marks, its text would tie the form to the person it was sent to.
    {
        use teilhabe::db::entities::outbox;
        let kept = outbox::Entity::find()
            .filter(outbox::Column::BodyText.contains("/rueckmeldung/"))
            .count(&app.db)
            .await
            .unwrap();
        assert_eq!(kept, 0, "the delivered invitation's text was kept");
    }
    let (status, form) = app.get_html(&link).await;
    assert_eq!(status, 200);
    assert!(!select(&form, "input[name=bewertung]").is_empty());

    // Without a rating the form explains what is missing and keeps the other answers.
    let token = app.csrf_token(&link).await;
    let res = app
        .post_form(
            &link,
            &[("csrf_token", &token), ("geholfen", "Die ruhige Art")],
        )
        .await;
    assert_eq!(res.status(), 422);
    let doc = scraper::Html::parse_document(&res.text().await.unwrap());
    assert_eq!(
        select(&doc, ".error-summary a")[0].value().attr("href"),
        Some("#bewertung")
    );
    assert!(doc.html().contains("Die ruhige Art"));
    assert!(
        stored(&app, date.id).await.is_empty(),
        "nothing stored half-way"
    );

    let res = app
        .post_form(
            &link,
            &[
                ("csrf_token", &token),
                ("bewertung", "5"),
                ("geholfen", "Die ruhige Art"),
                ("themen", "videotelefonie"),
                ("themen", "sicher-im-netz"),
                ("vorher_sicherheit", "2"),
                ("nachher_sicherheit", "4"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/rueckmeldung/danke");
    let saved = stored(&app, date.id).await;
    assert_eq!(saved.len(), 1);
    assert_eq!(saved[0].channel, "online");
    assert_eq!(saved[0].rating, 5);
    assert_eq!(
        saved[0].topics_wanted.as_deref(),
        Some("videotelefonie,sicher-im-netz")
    );
    assert_eq!(
        (saved[0].before_safety, saved[0].after_safety),
        (Some(2), Some(4))
    );

    // The link works once.
    let res = app
        .post_form(&link, &[("csrf_token", &token), ("bewertung", "1")])
        .await;
    assert!(res.text().await.unwrap().contains("schon angekommen"));
    assert_eq!(stored(&app, date.id).await.len(), 1);

    // The used link keeps no time of its own: the moment, or the day, would line up with the
    // form's, and the link (through its mail) with the person it was mailed to.
    let used = teilhabe::db::entities::feedback_invitation::Entity::find()
        .filter(teilhabe::db::entities::feedback_invitation::Column::DateId.eq(date.id))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(used.used_at, Some(used.created_at));
});

// Two participants answer on different days. The forms keep their day (the export counts by it);
// the links must not, or each form's day names the link used that day, and the link's mail, kept
// in the outbox for a month, names its recipient.
on_both_backends!(a_used_link_does_not_tell_which_form_it_sent, |app| {
    use teilhabe::{db::entities::feedback_invitation, domain::feedback::FeedbackInput};
    let date = past_date(&app).await;
    for who in ["erste@example.de", "zweite@example.de"] {
        booking_for(&app, date.id, Some(who), "confirmed", Some("present")).await;
    }
    let now = Utc::now();
    assert_eq!(desk(&app).invite_after_dates(now).await.unwrap(), 2);
    let rating = |n: &str| FeedbackInput::parse(&[("bewertung".into(), n.into())]).unwrap();
    for (n, (who, day)) in [("erste@example.de", 0), ("zweite@example.de", 2)]
        .into_iter()
        .enumerate()
    {
        let link = app.link_in_mail(who, "/rueckmeldung/").await;
        let token = link.trim_start_matches("/rueckmeldung/");
        desk(&app)
            .submit_invited(
                token,
                rating(&(n + 3).to_string()),
                now + Duration::days(day),
            )
            .await
            .unwrap();
    }
    let days: std::collections::BTreeSet<_> = stored(&app, date.id)
        .await
        .into_iter()
        .map(|form| form.submitted_on)
        .collect();
    assert_eq!(days.len(), 2, "the forms keep their days");
    let marks: std::collections::BTreeSet<_> = feedback_invitation::Entity::find()
        .filter(feedback_invitation::Column::DateId.eq(date.id))
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|link| link.used_at.expect("used"))
        .collect();
    assert_eq!(marks.len(), 1, "both links look the same: {marks:?}");
});

#[tokio::test]
async fn the_printed_qr_code_and_paper_forms_reach_the_same_date() {
    let app = spawn_app(Backend::Sqlite, Default::default())
        .await
        .unwrap();
    let date = past_date(&app).await;
    app.login(PROVIDER.0, PROVIDER.1).await;
    let (status, sheet) = app
        .get_html(&format!("/verwaltung/termine/{}/rueckmeldung-qr", date.id))
        .await;
    assert_eq!(status, 200);
    assert_eq!(select(&sheet, "figure svg[role=img]").len(), 1);
    let code = offer_date::Entity::find_by_id(date.id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .feedback_code
        .expect("code made on first print");

    // Paper forms, one after the other.
    let paper = format!("/verwaltung/termine/{}/rueckmeldungen", date.id);
    let token = app.csrf_token(&paper).await;
    let res = app
        .post_form(&paper, &[("csrf_token", &token), ("bewertung", "4")])
        .await;
    assert_eq!(res.status(), 303);
    assert!(
        res.headers()["location"]
            .to_str()
            .unwrap()
            .ends_with("?erfasst=1")
    );
    let res = app
        .post_form(
            &format!("{paper}?erfasst=1"),
            &[
                ("csrf_token", &token),
                ("bewertung", "3"),
                ("gefehlt", "Mehr Zeit"),
            ],
        )
        .await;
    assert!(
        res.headers()["location"]
            .to_str()
            .unwrap()
            .ends_with("?erfasst=2")
    );
    let token = app.csrf_token("/konto").await;
    app.post_form("/abmelden", &[("csrf_token", &token)]).await;

    // Anyone with the printed code can answer once the date has started; a wrong code finds nothing.
    let public = format!("/rueckmeldung/termin/{}/{code}", date.id);
    assert_eq!(app.get(&public).await.status(), 200);
    assert_eq!(
        app.get(&format!("/rueckmeldung/termin/{}/falsch", date.id))
            .await
            .status(),
        404
    );
    let token = app.csrf_token(&public).await;
    let res = app
        .post_form(&public, &[("csrf_token", &token), ("bewertung", "5")])
        .await;
    assert_eq!(res.status(), 303);
    let channels: Vec<String> = stored(&app, date.id)
        .await
        .into_iter()
        .map(|f| f.channel)
        .collect();
    assert_eq!(channels, ["paper", "paper", "qr"]);

    // Another organisation's staff cannot type in forms for this date.
    app.login(EDITOR.0, EDITOR.1).await;
    assert_eq!(app.get(&paper).await.status(), 404);
    let token = app.csrf_token("/konto").await;
    let res = app
        .post_form(&paper, &[("csrf_token", &token), ("bewertung", "1")])
        .await;
    assert_eq!(res.status(), 404);
    assert_eq!(
        feedback::Entity::find()
            .filter(feedback::Column::DateId.eq(date.id))
            .count(&app.db)
            .await
            .unwrap(),
        3
    );
}

/// A date of demo course 1 that ended `days_ago` days ago, with a printed code and `people`
/// confirmed participants of one place each.
async fn date_with_code(app: &TestApp, days_ago: i64, people: usize) -> (i32, String) {
    let date = past_date(app).await;
    let ends_at = Utc::now() - Duration::days(days_ago);
    let mut changed: offer_date::ActiveModel = date.clone().into();
    changed.starts_at = Set(ends_at - Duration::minutes(90));
    changed.ends_at = Set(ends_at);
    changed.capacity = Set(60);
    changed.booked_places = Set(people as i32);
    let code = format!("gedruckt{}x{people}", date.id);
    changed.feedback_code = Set(Some(code.clone()));
    changed.update(&app.db).await.unwrap();
    for n in 0..people {
        booking_for(
            app,
            date.id,
            Some(&format!("person{n}@example.de")),
            "confirmed",
            None,
        )
        .await;
    }
    (date.id, code)
}

async fn qr_forms(app: &TestApp, date_id: i32) -> usize {
    stored(app, date_id)
        .await
        .iter()
        .filter(|f| f.channel == "qr")
        .count()
}

on_both_backends!(
    a_printed_code_takes_as_many_forms_as_people_took_part,
    |app| {
        // One participant; the rule allows three forms more (people who came along, a second device).
        let (date_id, code) = date_with_code(&app, 1, 1).await;
        let public = format!("/rueckmeldung/termin/{date_id}/{code}");
        let token = app.csrf_token(&public).await;
        let mut sent = tokio::task::JoinSet::new();
        for _ in 0..60 {
            let (client, url, token) = (app.client.clone(), app.url(&public), token.clone());
            sent.spawn(async move {
                let res = client
                    .post(url)
                    .form(&[("csrf_token", token.as_str()), ("bewertung", "5")])
                    .send()
                    .await
                    .unwrap();
                (res.status().as_u16(), res.text().await.unwrap())
            });
        }
        let answers = sent.join_all().await;
        let accepted = answers.iter().filter(|(status, _)| *status == 303).count();
        assert_eq!(
            accepted,
            4,
            "{:?}",
            answers.iter().map(|a| a.0).collect::<Vec<_>>()
        );
        assert_eq!(qr_forms(&app, date_id).await, 4);
        for (status, body) in answers.iter().filter(|(status, _)| *status != 303) {
            assert_eq!(*status, 409);
            assert!(
                body.contains("so viele Rückmeldebögen eingegangen"),
                "{body}"
            );
        }
        // The form itself says so before anyone fills it in.
        let (status, doc) = app.get_html(&public).await;
        assert_eq!(status, 409);
        assert!(select(&doc, "form input[name=bewertung]").is_empty());
    }
);

on_both_backends!(
    a_printed_code_expires_and_one_client_cannot_fill_it_alone,
    |app| {
        // Two weeks after the date the code no longer works.
        let (old, code) = date_with_code(&app, 15, 5).await;
        let public = format!("/rueckmeldung/termin/{old}/{code}");
        let (status, doc) = app.get_html(&public).await;
        assert_eq!(status, 410);
        assert!(doc.html().contains("abgelaufen"), "{}", doc.html());
        let token = app.csrf_token("/anmelden").await;
        let res = app
            .post_form(&public, &[("csrf_token", &token), ("bewertung", "5")])
            .await;
        assert_eq!(res.status(), 410);
        assert_eq!(qr_forms(&app, old).await, 0);

        // A date with many participants: one device sends at most 30 forms an hour.
        let (busy, code) = date_with_code(&app, 1, 50).await;
        let public = format!("/rueckmeldung/termin/{busy}/{code}");
        let token = app.csrf_token(&public).await;
        for n in 0..30 {
            let res = app
                .post_form(&public, &[("csrf_token", &token), ("bewertung", "4")])
                .await;
            assert_eq!(res.status(), 303, "form {n}");
        }
        let res = app
            .post_form(
                &public,
                &[
                    ("csrf_token", &token),
                    ("bewertung", "4"),
                    ("geholfen", "Die Geduld der Kursleiterin"),
                ],
            )
            .await;
        assert_eq!(res.status(), 429);
        let body = res.text().await.unwrap();
        assert!(body.contains("schon viele Rückmeldebögen"), "{body}");
        assert!(
            body.contains("Die Geduld der Kursleiterin"),
            "the answers stay: {body}"
        );
        assert_eq!(qr_forms(&app, busy).await, 30);
    }
);

// Someone opens the form shortly before the link closes and sends it a little after: what they
// typed is taken for an hour more, and after that it comes back to them instead of vanishing.
on_both_backends!(answers_typed_while_the_code_closes_are_not_lost, |app| {
    let (date_id, code) = date_with_code(&app, 14, 5).await;
    let ends_at = Utc::now() - Duration::days(14) - Duration::minutes(30);
    let mut changed: offer_date::ActiveModel = offer_date::Entity::find_by_id(date_id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .into();
    changed.starts_at = Set(ends_at - Duration::minutes(90));
    changed.ends_at = Set(ends_at);
    changed.update(&app.db).await.unwrap();
    let public = format!("/rueckmeldung/termin/{date_id}/{code}");
    assert_eq!(app.get(&public).await.status(), 410, "closed for new forms");
    let token = app.csrf_token("/anmelden").await;
    let res = app
        .post_form(&public, &[("csrf_token", &token), ("bewertung", "5")])
        .await;
    assert_eq!(
        res.status(),
        303,
        "answers of a form opened before are taken"
    );
    assert_eq!(qr_forms(&app, date_id).await, 1);

    let (old, code) = date_with_code(&app, 15, 5).await;
    let public = format!("/rueckmeldung/termin/{old}/{code}");
    let res = app
        .post_form(
            &public,
            &[
                ("csrf_token", &token),
                ("bewertung", "5"),
                ("geholfen", "Dass alles zweimal erklärt wurde"),
            ],
        )
        .await;
    assert_eq!(res.status(), 410);
    let body = res.text().await.unwrap();
    assert!(body.contains("Dass alles zweimal erklärt wurde"), "{body}");
    assert_eq!(qr_forms(&app, old).await, 0);
});

on_both_backends!(paper_forms_wait_until_the_date_has_begun, |app| {
    let date = past_date(&app).await;
    let mut changed: offer_date::ActiveModel = date.clone().into();
    changed.starts_at = Set(Utc::now() + Duration::days(1));
    changed.ends_at = Set(Utc::now() + Duration::days(1) + Duration::minutes(90));
    changed.update(&app.db).await.unwrap();
    app.login(PROVIDER.0, PROVIDER.1).await;
    let paper = format!("/verwaltung/termine/{}/rueckmeldungen", date.id);
    let token = app.csrf_token(&paper).await;
    let res = app
        .post_form(
            &paper,
            &[
                ("csrf_token", &token),
                ("bewertung", "4"),
                ("gefehlt", "Mehr Zeit"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let doc = scraper::Html::parse_document(&res.text().await.unwrap());
    assert!(
        text_of(&doc, "#bewertung-error").contains("noch nicht stattgefunden"),
        "{}",
        doc.html()
    );
    assert_eq!(
        select(&doc, ".error-summary a")[0].value().attr("href"),
        Some("#bewertung")
    );
    assert!(doc.html().contains("Mehr Zeit"), "the answers are kept");
    assert!(stored(&app, date.id).await.is_empty());
});

// A date whose invitations fail every time (here: its links cannot be stored) must not stop the
// invitations of the dates after it, run after run; the run still reports the failure.
on_both_backends!(
    a_date_whose_invitations_keep_failing_does_not_hold_up_the_others,
    |app| {
        use teilhabe::db::entities::outbox;
        let stuck = past_date(&app).await;
        let other = past_date(&app).await;
        booking_for(&app, stuck.id, Some("klemmt@example.de"), "confirmed", None).await;
        booking_for(&app, other.id, Some("wartet@example.de"), "confirmed", None).await;
        crate::helpers::refuse_inserts_where(
            &app.db,
            "feedback_invitations",
            &format!("NEW.date_id = {}", stuck.id),
        )
        .await;
        assert!(
            desk(&app).invite_after_dates(Utc::now()).await.is_err(),
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
            queued_to("wartet@example.de").await,
            1,
            "the other date's people are invited"
        );
        assert_eq!(queued_to("klemmt@example.de").await, 0);
        // The failed date is left for the next run, not marked as done.
        let again = offer_date::Entity::find_by_id(stuck.id)
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        assert!(again.feedback_invited_at.is_none());
    }
);

// The sender works through the outbox by id and logs each mail it sent, so mails queued in the
// order of the links would pair each link (and the form sent with it) with its recipient.
#[tokio::test]
async fn invitations_are_not_queued_in_the_order_of_their_links() {
    use sea_orm::QueryOrder;
    use teilhabe::{
        db::entities::{feedback_invitation, outbox},
        services::sessions::hash_token,
    };
    let options = crate::helpers::Options {
        env: vec![("TEILHABE_BACKGROUND_JOBS", "false".into())],
        ..Default::default()
    };
    let app = spawn_app(Backend::Sqlite, options).await.unwrap();
    let date = past_date(&app).await;
    for n in 0..10 {
        let who = format!("person{n}@example.de");
        booking_for(&app, date.id, Some(&who), "confirmed", Some("present")).await;
    }
    assert_eq!(desk(&app).invite_after_dates(Utc::now()).await.unwrap(), 10);
    let links: Vec<String> = outbox::Entity::find()
        .order_by_asc(outbox::Column::Id)
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|mail| {
            let start = mail.body_text.find("/rueckmeldung/")? + "/rueckmeldung/".len();
            Some(mail.body_text[start..start + 64].to_owned())
        })
        .collect();
    assert_eq!(links.len(), 10);
    let mut link_ids = Vec::new();
    for token in &links {
        let link = feedback_invitation::Entity::find()
            .filter(feedback_invitation::Column::TokenHash.eq(hash_token(token)))
            .one(&app.db)
            .await
            .unwrap()
            .expect("the mailed link is stored");
        link_ids.push(link.id);
    }
    // Ten links in their own order by chance: once in 3.6 million runs.
    assert!(
        !link_ids.is_sorted(),
        "the mails follow the links: {link_ids:?}"
    );
}
