//! Kiosk terminals: pairing, the kiosk pages (no-store, no personal data left behind), booking with
//! a one-time receipt, feedback and proposals with channel `kiosk`, usage counts, the back office.
use chrono::{Duration, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use teilhabe::domain::booking::BookingStatus;
use teilhabe::domain::offer::DateStatus;
use teilhabe::{
    db::entities::{
        audit_log, booking, feedback, kiosk_usage, offer, offer_date, proposal, throttle_event,
        venue,
    },
    domain::proposal::ProposalStatus,
    services::{kiosk, throttle},
};

use crate::{
    helpers::{Backend, DEMO_PASSWORD_ADMIN, TestApp, refuse_inserts, select, spawn_app, text_of},
    on_both_backends,
};

/// The venue of demo course 1, where the test terminals stand.
async fn venue_of_course_1(app: &TestApp) -> venue::Model {
    let course = offer::Entity::find_by_id(1)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    venue::Entity::find_by_id(course.venue_id.expect("course 1 has a venue"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
}

async fn register(app: &TestApp, created: chrono::DateTime<Utc>) -> kiosk::Registered {
    let venue = venue_of_course_1(app).await;
    kiosk::register(&app.db, "Eingang links", &venue.slug, None, created)
        .await
        .unwrap()
}

/// A new browser (own cookies) on the app.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn pair_with(app: &TestApp, client: &reqwest::Client, code: &str) -> reqwest::Response {
    let page = client
        .get(app.url("/kiosk"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let doc = scraper::Html::parse_document(&page);
    let token = select(&doc, "input[name=\"csrf_token\"]")[0]
        .value()
        .attr("value")
        .unwrap()
        .to_owned();
    client
        .post(app.url("/kiosk/koppeln"))
        .form(&[("csrf_token", token.as_str()), ("code", code)])
        .send()
        .await
        .unwrap()
}

/// Registers a terminal and pairs the app's own client with it.
async fn paired_app(app: &TestApp) -> i32 {
    let registered = register(app, Utc::now()).await;
    let res = pair_with(app, &app.client, &registered.code).await;
    assert_eq!(res.status(), 303);
    registered.terminal_id
}

// Two admins revoke the same terminal at the same moment (or one clicks twice): it is revoked
// once, with one entry in the audit log.
crate::on_both_backends!(a_terminal_revoked_twice_at_once_is_recorded_once, |app| {
    let terminal_id = register(&app, Utc::now()).await.terminal_id;
    let revocations: Vec<_> = (0..10)
        .map(|_| {
            let db = app.db.clone();
            tokio::spawn(async move { kiosk::revoke(&db, terminal_id, None, Utc::now()).await })
        })
        .collect();
    for revocation in revocations {
        revocation.await.unwrap().unwrap();
    }
    let entries = teilhabe::db::entities::audit_log::Entity::find()
        .filter(teilhabe::db::entities::audit_log::Column::Action.eq("kiosk.terminal-revoked"))
        .filter(
            teilhabe::db::entities::audit_log::Column::Target.eq(format!("terminal:{terminal_id}")),
        )
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(entries, 1);
});

async fn error_of(res: reqwest::Response) -> (u16, String) {
    let status = res.status().as_u16();
    let doc = scraper::Html::parse_document(&res.text().await.unwrap());
    (status, text_of(&doc, "#code-error"))
}

fn assert_no_store(res: &reqwest::Response, what: &str) {
    assert_eq!(
        res.headers()
            .get("cache-control")
            .and_then(|v| v.to_str().ok()),
        Some("no-store"),
        "{what}"
    );
}

/// An upcoming date of course 1 in 3 days, with free places.
async fn upcoming_date(app: &TestApp) -> offer_date::Model {
    let starts_at = Utc::now() + Duration::days(3);
    date_at(app, starts_at).await
}

async fn date_at(app: &TestApp, starts_at: chrono::DateTime<Utc>) -> offer_date::Model {
    offer_date::ActiveModel {
        offer_id: Set(1),
        starts_at: Set(starts_at),
        ends_at: Set(starts_at + Duration::minutes(90)),
        capacity: Set(10),
        booked_places: Set(0),
        max_places_per_booking: Set(2),
        booking_opens_at: Set(None),
        booking_closes_at: Set(None),
        status: Set(DateStatus::Scheduled),
        created_at: Set(Utc::now() - Duration::days(10)),
        min_participants: Set(0),
        walk_in_places: Set(2),
        revision: Set(0),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap()
}

async fn usage(app: &TestApp, terminal_id: i32, action: &str) -> i32 {
    kiosk_usage::Entity::find()
        .filter(kiosk_usage::Column::TerminalId.eq(terminal_id))
        .filter(kiosk_usage::Column::Action.eq(action))
        .all(&app.db)
        .await
        .unwrap()
        .iter()
        .map(|u| u.count)
        .sum()
}

#[tokio::test]
async fn unpaired_browsers_get_the_pairing_form_and_nothing_else() {
    let app = spawn_app(Backend::Sqlite, Default::default())
        .await
        .unwrap();
    let res = app.get("/kiosk").await;
    assert_eq!(res.status(), 200);
    assert_no_store(&res, "/kiosk unpaired");
    let doc = scraper::Html::parse_document(&res.text().await.unwrap());
    assert_eq!(select(&doc, "form[action=\"/kiosk/koppeln\"]").len(), 1);
    assert_eq!(
        select(&doc, "input#code")[0].value().attr("autocomplete"),
        Some("off")
    );
    // No login or account links on kiosk pages.
    assert!(select(&doc, "a[href^=\"/anmelden\"], a[href^=\"/konto\"]").is_empty());
    for path in [
        "/kiosk/kurse",
        "/kiosk/rueckmeldung",
        "/kiosk/vorschlag",
        "/kiosk/beleg",
        "/kiosk/hilfe",
        "/kiosk/leichte-sprache",
    ] {
        let res = app.get(path).await;
        assert_eq!(res.status(), 303, "{path}");
        assert_eq!(res.headers()["location"], "/kiosk", "{path}");
        assert_no_store(&res, path);
    }
}

on_both_backends!(pairing_valid_expired_reused_revoked, |app| {
    // Wrong codes are named as such, next to the field.
    let (status, message) = error_of(pair_with(&app, &browser(), "ACDEFGHJ").await).await;
    assert_eq!(status, 422);
    assert!(message.contains("Diesen Code gibt es nicht"), "{message}");
    let (status, message) = error_of(pair_with(&app, &browser(), "  ").await).await;
    assert_eq!(status, 422);
    assert!(
        message.contains("Geben Sie den Kopplungs-Code ein"),
        "{message}"
    );

    // A valid code pairs once: the cookie is long-lived, HttpOnly and SameSite=Strict.
    let registered = register(&app, Utc::now()).await;
    let typed = format!(
        "{}-{}",
        &registered.code[..4].to_lowercase(),
        &registered.code[4..]
    );
    let res = pair_with(&app, &app.client, &typed).await;
    assert_eq!(res.status(), 303);
    let cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("teilhabe_terminal="))
        .expect("terminal cookie");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Strict"), "{cookie}");
    assert!(cookie.contains("Max-Age="), "{cookie}");
    let (status, doc) = app.get_html("/kiosk").await;
    assert_eq!(status, 200);
    assert_eq!(select(&doc, "a.kiosk-choice").len(), 5);
    // Only the hash of the secret is stored.
    let secret = cookie
        .trim_start_matches("teilhabe_terminal=")
        .split(';')
        .next()
        .unwrap();
    let stored = teilhabe::db::entities::kiosk_terminal::Entity::find_by_id(registered.terminal_id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_ne!(stored.secret_hash.as_deref(), Some(secret));
    assert_ne!(stored.pairing_code_hash, registered.code);

    // The same code again, from another browser: used.
    let (status, message) = error_of(pair_with(&app, &browser(), &registered.code).await).await;
    assert_eq!(status, 422);
    assert!(message.contains("schon benutzt"), "{message}");

    // A code older than 30 minutes: expired.
    let old = register(&app, Utc::now() - Duration::minutes(31)).await;
    let (status, message) = error_of(pair_with(&app, &browser(), &old.code).await).await;
    assert_eq!(status, 422);
    assert!(message.contains("abgelaufen"), "{message}");

    // A revoked terminal: its code is refused, and the paired browser is locked out.
    let other = register(&app, Utc::now()).await;
    kiosk::revoke(&app.db, other.terminal_id, None, Utc::now())
        .await
        .unwrap();
    let (status, message) = error_of(pair_with(&app, &browser(), &other.code).await).await;
    assert_eq!(status, 422);
    assert!(message.contains("gesperrt"), "{message}");
    kiosk::revoke(&app.db, registered.terminal_id, None, Utc::now())
        .await
        .unwrap();
    let res = app.get("/kiosk").await;
    assert_eq!(res.status(), 403);
    assert_no_store(&res, "revoked");
    let doc = scraper::Html::parse_document(&res.text().await.unwrap());
    assert_eq!(text_of(&doc, "h1"), "Dieses Terminal ist gesperrt");
    assert_eq!(app.get("/kiosk/kurse").await.status(), 303);
});

on_both_backends!(booking_at_the_kiosk_shows_the_receipt_once, |app| {
    let terminal_id = paired_app(&app).await;
    assert_eq!(app.get("/kiosk").await.status(), 200);
    let date = upcoming_date(&app).await;
    let (_, doc) = app.get_html("/kiosk/kurse").await;
    let href = format!("/kiosk/kurse/{}/buchen", date.id);
    assert_eq!(select(&doc, &format!("a[href=\"{href}\"]")).len(), 1);

    let res = app.get(&href).await;
    assert_no_store(&res, "booking form");
    let html = res.text().await.unwrap();
    // Someone is filling in the form: no reload wipes it without a warning (WCAG 2.2.1); with
    // JavaScript the idle timer warns first.
    assert!(!html.contains("http-equiv=\"refresh\""), "{html}");
    assert!(html.contains("data-idle-seconds=\"120\""));
    assert!(html.contains("src=\"/static/js/kiosk.js?v="));
    let doc = scraper::Html::parse_document(&html);
    for field in ["name", "phone"] {
        assert_eq!(
            select(&doc, &format!("input[name=\"{field}\"]"))[0]
                .value()
                .attr("autocomplete"),
            Some("off"),
            "{field}"
        );
    }

    // A missing name: the message next to the field, nothing stored.
    let res = app
        .submit(
            &href,
            &href,
            &[("name", ""), ("phone", ""), ("places", "1")],
        )
        .await;
    assert_eq!(res.status(), 422);
    let doc = scraper::Html::parse_document(&res.text().await.unwrap());
    assert_eq!(select(&doc, ".error-summary a[href=\"#name\"]").len(), 1);
    assert_eq!(select(&doc, "#name-error").len(), 1);
    let bookings = || async {
        booking::Entity::find()
            .filter(booking::Column::DateId.eq(date.id))
            .all(&app.db)
            .await
            .unwrap()
    };
    assert!(bookings().await.is_empty());

    // Name only is enough at a kiosk; the answer sends on to the receipt.
    let hidden = app.hidden_fields(&href).await;
    let token = hidden
        .iter()
        .find(|(k, _)| k == "csrf_token")
        .unwrap()
        .1
        .clone();
    let form = [
        ("csrf_token", token.as_str()),
        ("name", "Erika Kiosk"),
        ("phone", ""),
        ("places", "2"),
    ];
    let res = app.post_form(&href, &form).await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/kiosk/beleg");
    let stored = bookings().await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].channel, "kiosk");
    assert_eq!(stored[0].status, BookingStatus::Confirmed);
    assert_eq!(stored[0].places, 2);

    // Sending the same form again (double tap, back button): the session is gone, nothing is stored.
    let res = app.post_form(&href, &form).await;
    assert_eq!(res.status(), 403);
    assert_no_store(&res, "refused double submission");
    let doc = scraper::Html::parse_document(&res.text().await.unwrap());
    assert_eq!(text_of(&doc, "h1"), "Das Formular ist abgelaufen");
    assert_eq!(select(&doc, "body.kiosk").len(), 1, "in the kiosk layout");
    assert!(select(&doc, "a[href^=\"/anmelden\"]").is_empty());
    assert_eq!(bookings().await.len(), 1);

    let res = app.get("/kiosk/beleg").await;
    assert_eq!(res.status(), 200);
    assert_no_store(&res, "receipt");
    let html = res.text().await.unwrap();
    let doc = scraper::Html::parse_document(&html);
    assert_eq!(
        text_of(&doc, ".kiosk-receipt-code"),
        format!("K-{:06}", stored[0].id)
    );
    assert!(html.contains("Erika Kiosk"));
    let svg = select(&doc, "figure.qr svg");
    assert_eq!(svg.len(), 1);
    assert_eq!(svg[0].value().attr("role"), Some("img"));
    let link = format!(
        "http://teilhabe.test/buchung/{}",
        app.link_secret(&stored[0]).unwrap()
    );
    assert_eq!(text_of(&doc, ".qr__link"), link);
    assert!(!html.contains("style="), "no inline styles");
    assert!(
        select(&doc, ".kiosk-languages").is_empty(),
        "switching the language would load the receipt again, and it is shown once"
    );

    // Shown once: a second look (back button, next person) shows nothing personal.
    let res = app.get("/kiosk/beleg").await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(!html.contains("Erika Kiosk"));
    assert!(!html.contains("<svg"));
    assert!(!html.contains(&format!("K-{:06}", stored[0].id)));
    let doc = scraper::Html::parse_document(&html);
    assert!(
        text_of(&doc, "title").starts_with(&text_of(&doc, "h1")),
        "not 'Ihr Platz ist gebucht': {}",
        text_of(&doc, "title")
    );

    assert_eq!(usage(&app, terminal_id, "booking").await, 1);
    assert_eq!(usage(&app, terminal_id, "view").await, 1);
});

on_both_backends!(usage_counts_add_up_under_concurrency, |app| {
    let registered = register(&app, Utc::now()).await;
    let now = Utc::now();
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let db = app.db.clone();
        tasks.push(tokio::spawn(async move {
            kiosk::count(&db, registered.terminal_id, kiosk::Action::View, now).await
        }));
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert_eq!(usage(&app, registered.terminal_id, "view").await, 20);
});

// The kiosk shows what the public catalogue shows: a draft or ended offer's dates are not listed
// for feedback, and its title does not appear on a public screen.
on_both_backends!(feedback_at_the_kiosk_only_for_published_offers, |app| {
    paired_app(&app).await;
    let past = date_at(&app, Utc::now() - Duration::days(2)).await;
    let href = format!("/kiosk/rueckmeldung/{}", past.id);
    let (_, doc) = app.get_html("/kiosk/rueckmeldung").await;
    assert_eq!(select(&doc, &format!("a[href=\"{href}\"]")).len(), 1);
    let mut course: offer::ActiveModel = offer::Entity::find_by_id(1)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .into();
    course.status = Set(teilhabe::domain::offer::OfferStatus::Draft);
    course.update(&app.db).await.unwrap();
    let (_, doc) = app.get_html("/kiosk/rueckmeldung").await;
    assert!(select(&doc, &format!("a[href=\"{href}\"]")).is_empty());
    assert_eq!(app.get(&href).await.status(), 404);
    let csrf = app.csrf_token("/kiosk/vorschlag").await;
    let res = app
        .post_form(&href, &[("bewertung", "5"), ("csrf_token", &csrf)])
        .await;
    assert_eq!(res.status(), 404);
    assert_eq!(
        feedback::Entity::find()
            .filter(feedback::Column::DateId.eq(past.id))
            .count(&app.db)
            .await
            .unwrap(),
        0
    );
});

#[tokio::test]
async fn feedback_and_proposals_from_the_kiosk_are_stored_with_channel_kiosk() {
    let app = spawn_app(Backend::Sqlite, Default::default())
        .await
        .unwrap();
    let terminal_id = paired_app(&app).await;
    let past = date_at(&app, Utc::now() - Duration::days(2)).await;
    let too_old = date_at(&app, Utc::now() - Duration::days(9)).await;
    let (_, doc) = app.get_html("/kiosk/rueckmeldung").await;
    let href = format!("/kiosk/rueckmeldung/{}", past.id);
    assert_eq!(select(&doc, &format!("a[href=\"{href}\"]")).len(), 1);
    assert!(
        select(
            &doc,
            &format!("a[href=\"/kiosk/rueckmeldung/{}\"]", too_old.id)
        )
        .is_empty()
    );
    let res = app
        .get(&format!("/kiosk/rueckmeldung/{}", too_old.id))
        .await;
    assert_eq!(res.status(), 404);
    assert_no_store(&res, "404 under /kiosk");

    // Without a rating: an error, nothing stored.
    let res = app.submit(&href, &href, &[("geholfen", "Viel")]).await;
    assert_eq!(res.status(), 422);
    let res = app
        .submit(
            &href,
            &href,
            &[("bewertung", "5"), ("geholfen", "Die Geduld")],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/kiosk/danke/rueckmeldung");
    let stored = feedback::Entity::find()
        .filter(feedback::Column::DateId.eq(past.id))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].channel, "kiosk");
    assert_eq!(stored[0].helped.as_deref(), Some("Die Geduld"));
    let (status, doc) = app.get_html("/kiosk/danke/rueckmeldung").await;
    assert_eq!(status, 200);
    assert!(!doc.html().contains("Die Geduld"));

    // A proposal: anonymous, straight to moderation.
    let (_, doc) = app.get_html("/kiosk/vorschlag").await;
    let venue = venue_of_course_1(&app).await;
    assert_eq!(
        select(&doc, "select#kreis option[selected]")[0]
            .value()
            .attr("value"),
        Some(venue.district_key.as_str())
    );
    let res = app
        .submit(
            "/kiosk/vorschlag",
            "/kiosk/vorschlag",
            &[
                ("titel", "Mehr Bänke am Anger"),
                (
                    "text",
                    "Am Anger fehlen Bänke zum Ausruhen für ältere Menschen.",
                ),
                ("kategorie", ""),
                ("kreis", &venue.district_key),
            ],
        )
        .await;
    assert_eq!(res.status(), 422, "category missing");
    let category = teilhabe::domain::proposal::ProposalCategory::ALL[0].key();
    let res = app
        .submit(
            "/kiosk/vorschlag",
            "/kiosk/vorschlag",
            &[
                ("titel", "Mehr Bänke am Anger"),
                (
                    "text",
                    "Am Anger fehlen Bänke zum Ausruhen für ältere Menschen.",
                ),
                ("kategorie", category),
                ("kreis", &venue.district_key),
                ("email", "nicht@gespeichert.example"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/kiosk/danke/vorschlag");
    let stored = proposal::Entity::find()
        .filter(proposal::Column::Title.eq("Mehr Bänke am Anger"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.channel, "kiosk");
    assert_eq!(
        stored.status,
        ProposalStatus::Submitted,
        "waits for moderation"
    );
    assert_eq!(stored.author_email, None);
    assert_eq!(stored.author_user_id, None);

    assert_eq!(usage(&app, terminal_id, "feedback").await, 1);
    assert_eq!(usage(&app, terminal_id, "proposal").await, 1);
}

#[tokio::test]
async fn every_kiosk_page_is_no_store_and_in_the_kiosk_layout() {
    let app = spawn_app(Backend::Sqlite, Default::default())
        .await
        .unwrap();
    paired_app(&app).await;
    let date = upcoming_date(&app).await;
    let past = date_at(&app, Utc::now() - Duration::days(1)).await;
    for path in [
        "/kiosk".to_owned(),
        "/kiosk/kurse".to_owned(),
        format!("/kiosk/kurse/{}/buchen", date.id),
        "/kiosk/beleg".to_owned(),
        "/kiosk/rueckmeldung".to_owned(),
        format!("/kiosk/rueckmeldung/{}", past.id),
        "/kiosk/vorschlag".to_owned(),
        "/kiosk/danke/rueckmeldung".to_owned(),
        "/kiosk/danke/vorschlag".to_owned(),
        "/kiosk/leichte-sprache".to_owned(),
        "/kiosk/hilfe".to_owned(),
        "/kiosk?lang=en".to_owned(),
    ] {
        let res = app.get(&path).await;
        assert_eq!(res.status(), 200, "{path}");
        assert_no_store(&res, &path);
        let html = res.text().await.unwrap();
        let doc = scraper::Html::parse_document(&html);
        assert_eq!(select(&doc, "body.kiosk").len(), 1, "{path}");
        assert!(
            select(&doc, "a[href^=\"/anmelden\"], a[href^=\"/konto\"]").is_empty(),
            "{path}: no account features"
        );
        // The read-aloud button waits for JavaScript.
        assert!(
            select(&doc, "button[data-read-aloud]")
                .iter()
                .all(|b| b.value().attr("hidden").is_some()),
            "{path}"
        );
        // Every personal field is kept out of the browser's autofill memory.
        for input in select(&doc, "input[type=\"text\"], input[type=\"tel\"]") {
            assert_eq!(input.value().attr("autocomplete"), Some("off"), "{path}");
        }
        if path.starts_with("/kiosk/") {
            // Without JavaScript the terminal resets by itself, but never under a form being filled in.
            let refresh =
                html.contains("<meta http-equiv=\"refresh\" content=\"120; url=/kiosk\">");
            let form = !select(
                &doc,
                "main form input:not([type=\"hidden\"]), main form textarea",
            )
            .is_empty();
            assert_eq!(refresh, !form, "{path}: refresh {refresh}, form {form}");
            assert_eq!(select(&doc, "[role=\"alertdialog\"]").len(), 1, "{path}");
        }
    }
    let (_, doc) = app.get_html("/kiosk/hilfe").await;
    assert!(!text_of(&doc, ".kiosk-help__name").is_empty());
    let res = app.get("/kiosk/danke/etwas").await;
    assert_eq!(res.status(), 404);
    assert_no_store(&res, "404");
    let doc = scraper::Html::parse_document(&res.text().await.unwrap());
    assert_eq!(
        select(&doc, "body.kiosk").len(),
        1,
        "404 in the kiosk layout"
    );
}

#[tokio::test]
async fn the_idle_time_is_configurable() {
    let app = spawn_app(
        Backend::Sqlite,
        crate::helpers::Options {
            env: vec![("TEILHABE_KIOSK_IDLE_SECONDS", "300".into())],
            ..Default::default()
        },
    )
    .await
    .unwrap();
    paired_app(&app).await;
    let html = app.get("/kiosk/hilfe").await.text().await.unwrap();
    assert!(html.contains("content=\"300; url=/kiosk\""));
    assert!(html.contains("data-idle-seconds=\"300\""));
}

#[tokio::test]
async fn admins_register_and_revoke_terminals_in_the_back_office() {
    let app = spawn_app(Backend::Sqlite, Default::default())
        .await
        .unwrap();
    let (email, password) = DEMO_PASSWORD_ADMIN;
    assert_eq!(app.login(email, password).await.status(), 303);
    let venue = venue_of_course_1(&app).await;

    // Bad input: clear messages, nothing stored.
    let res = app
        .submit(
            "/verwaltung/terminals",
            "/verwaltung/terminals",
            &[("name", " "), ("venue", &venue.slug)],
        )
        .await;
    assert_eq!(res.status(), 422);
    let res = app
        .submit(
            "/verwaltung/terminals",
            "/verwaltung/terminals",
            &[("name", "Tresen"), ("venue", "gibt-es-nicht")],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(
        teilhabe::db::entities::kiosk_terminal::Entity::find()
            .all(&app.db)
            .await
            .unwrap()
            .is_empty()
    );

    let res = app
        .submit(
            "/verwaltung/terminals",
            "/verwaltung/terminals",
            &[("name", "Tresen"), ("venue", &venue.slug)],
        )
        .await;
    assert_eq!(res.status(), 200);
    let doc = scraper::Html::parse_document(&res.text().await.unwrap());
    let code = text_of(&doc, ".kiosk-pairing-code");
    assert_eq!(code.len(), kiosk::PAIRING_CODE_LEN);
    // The code is shown once: the list does not show it again.
    let (_, doc) = app.get_html("/verwaltung/terminals").await;
    assert!(!doc.html().contains(&code));
    assert!(doc.html().contains("Tresen"));

    // A separate browser (the terminal) pairs with it and is counted on the list.
    let terminal = browser();
    assert_eq!(pair_with(&app, &terminal, &code).await.status(), 303);
    terminal.get(app.url("/kiosk")).send().await.unwrap();
    let (_, doc) = app.get_html("/verwaltung/terminals").await;
    assert!(doc.html().contains("gekoppelt"));
    assert!(doc.html().contains("heute 1"));

    let id = teilhabe::db::entities::kiosk_terminal::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .id;
    let action = format!("/verwaltung/terminals/{id}/sperren");
    let res = app.submit("/verwaltung/terminals", &action, &[]).await;
    assert_eq!(res.status(), 303);
    let res = terminal.get(app.url("/kiosk")).send().await.unwrap();
    assert_eq!(res.status(), 403);
    let actions: Vec<String> = audit_log::Entity::find()
        .filter(audit_log::Column::Action.starts_with("kiosk."))
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.action)
        .collect();
    assert_eq!(
        actions,
        ["kiosk.terminal-registered", "kiosk.terminal-revoked"]
    );
}

/// Fills a terminal's bucket up to `limit`, as that many bookings or proposals within the hour would.
async fn use_up(app: &TestApp, kind: &str, terminal_id: i32, limit: throttle::Limit) {
    let bucket = app
        .state()
        .pseudonyms
        .throttle_bucket(kind, &terminal_id.to_string());
    for _ in 0..limit.max {
        throttle_event::ActiveModel {
            bucket: Set(bucket.clone()),
            created_at: Set(Utc::now()),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .unwrap();
    }
}

on_both_backends!(a_terminal_has_its_own_limits, |app| {
    let terminal_id = paired_app(&app).await;
    let date = upcoming_date(&app).await;
    let href = format!("/kiosk/kurse/{}/buchen", date.id);
    use_up(
        &app,
        "kiosk-booking",
        terminal_id,
        throttle::KIOSK_BOOKINGS_PER_TERMINAL,
    )
    .await;
    let res = app
        .submit(
            &href,
            &href,
            &[("name", "Erika Kiosk"), ("phone", ""), ("places", "1")],
        )
        .await;
    assert_eq!(res.status(), 429);
    let doc = scraper::Html::parse_document(&res.text().await.unwrap());
    assert!(text_of(&doc, "#name-error").contains("Personal"));
    assert_eq!(
        select(&doc, "input[name=\"name\"]")[0]
            .value()
            .attr("value"),
        Some("Erika Kiosk"),
        "the input is kept"
    );
    let stored = booking::Entity::find()
        .filter(booking::Column::DateId.eq(date.id))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(stored, 0);

    use_up(
        &app,
        "kiosk-proposal",
        terminal_id,
        throttle::KIOSK_PROPOSALS_PER_TERMINAL,
    )
    .await;
    let before = proposal::Entity::find().count(&app.db).await.unwrap();
    let venue = venue_of_course_1(&app).await;
    let category = teilhabe::domain::proposal::ProposalCategory::ALL[0].key();
    let res = app
        .submit(
            "/kiosk/vorschlag",
            "/kiosk/vorschlag",
            &[
                ("titel", "Mehr Bänke am Anger"),
                (
                    "text",
                    "Am Anger fehlen Bänke zum Ausruhen für ältere Menschen.",
                ),
                ("kategorie", category),
                ("kreis", &venue.district_key),
            ],
        )
        .await;
    assert_eq!(res.status(), 429);
    assert_eq!(
        proposal::Entity::find().count(&app.db).await.unwrap(),
        before
    );
});

on_both_backends!(a_double_tap_books_once, |app| {
    paired_app(&app).await;
    let date = upcoming_date(&app).await;
    let href = format!("/kiosk/kurse/{}/buchen", date.id);
    let mut form: Vec<(String, String)> = vec![
        ("name".into(), "Doppelt Tippend".into()),
        ("phone".into(), String::new()),
        ("places".into(), "1".into()),
    ];
    form.extend(app.hidden_fields(&href).await);
    assert!(form.iter().any(|(k, _)| k == "einreichung"));
    let sent: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (a, b) = tokio::join!(app.post_form(&href, &sent), app.post_form(&href, &sent));
    // Both lead to the receipt; a tap that arrives after the first booking ended the kiosk's
    // session may instead find the form expired. Either way: one booking.
    let to_receipt = |res: &reqwest::Response| {
        res.status() == 303 && res.headers()["location"] == "/kiosk/beleg"
    };
    assert!(to_receipt(&a) || to_receipt(&b));
    for res in [&a, &b] {
        assert!(to_receipt(res) || res.status() == 403, "{:?}", res.status());
    }
    let stored = booking::Entity::find()
        .filter(booking::Column::DateId.eq(date.id))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(stored, 1);
});

// The receipt and the usage count are stored with the booking: when that fails the booking is not
// made either, so the person who sees the error and taps again books once, not twice.
on_both_backends!(a_booking_whose_receipt_fails_is_not_made, |app| {
    let terminal_id = paired_app(&app).await;
    let date = upcoming_date(&app).await;
    let href = format!("/kiosk/kurse/{}/buchen", date.id);
    let book = || async {
        app.submit(
            &href,
            &href,
            &[("name", "Erna Einmal"), ("phone", ""), ("places", "1")],
        )
        .await
    };
    let stored = || async {
        booking::Entity::find()
            .filter(booking::Column::DateId.eq(date.id))
            .count(&app.db)
            .await
            .unwrap()
    };
    // One booking left for the terminal this hour: the failed one gives its attempt back.
    use_up(
        &app,
        "kiosk-booking",
        terminal_id,
        throttle::Limit {
            max: throttle::KIOSK_BOOKINGS_PER_TERMINAL.max - 1,
            ..throttle::KIOSK_BOOKINGS_PER_TERMINAL
        },
    )
    .await;
    refuse_inserts(&app.db, "kiosk_usage", true).await;
    let res = book().await;
    assert!(res.status().is_server_error(), "{:?}", res.status());
    assert_eq!(stored().await, 0, "no booking without its receipt");
    refuse_inserts(&app.db, "kiosk_usage", false).await;

    let res = book().await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/kiosk/beleg");
    assert_eq!(stored().await, 1);
    assert_eq!(usage(&app, terminal_id, "booking").await, 1);
    let (status, doc) = app.get_html("/kiosk/beleg").await;
    assert_eq!(status, 200);
    assert!(
        text_of(&doc, "main").contains("Erna Einmal"),
        "{}",
        text_of(&doc, "main")
    );
});

// The language one person chose at the terminal is nobody else's business: back at the start,
// the next person begins in German.
#[tokio::test]
async fn the_start_page_forgets_the_previous_persons_language() {
    let app = spawn_app(Backend::Sqlite, Default::default())
        .await
        .unwrap();
    paired_app(&app).await;
    let (_, doc) = app.get_html("/kiosk?lang=en").await;
    assert_eq!(select(&doc, "html")[0].value().attr("lang"), Some("en"));
    let (_, doc) = app.get_html("/kiosk/hilfe").await;
    assert_eq!(
        select(&doc, "html")[0].value().attr("lang"),
        Some("en"),
        "the person's own pages keep the choice"
    );
    // The inactivity timer leads to the start page, which drops the choice and starts again.
    let res = app.get("/kiosk").await;
    assert_eq!(res.status(), 303);
    let (_, doc) = app.get_html("/kiosk").await;
    assert_eq!(select(&doc, "html")[0].value().attr("lang"), Some("de"));
    let (_, doc) = app.get_html("/kiosk/hilfe").await;
    assert_eq!(select(&doc, "html")[0].value().attr("lang"), Some("de"));
}

/// What a walk-in person typed into a kiosk form is not shown again on the kiosk's error page (as
/// it is elsewhere, see the proposals' tests): the next person at the terminal would read it.
#[tokio::test]
async fn a_refused_kiosk_form_shows_nothing_typed() {
    let app = spawn_app(Backend::Sqlite, Default::default())
        .await
        .unwrap();
    paired_app(&app).await;
    assert_eq!(app.get("/kiosk/vorschlag").await.status(), 200);
    let res = app
        .post_form(
            "/kiosk/vorschlag",
            &[
                ("titel", "Schnelles Internet"),
                ("text", "Im Dorf Backleben fehlt schnelles Internet"),
                ("csrf_token", "abgelaufen"),
            ],
        )
        .await;
    assert_eq!(res.status(), 403);
    let page = res.text().await.unwrap();
    assert!(!page.contains("Backleben"), "{page}");
}
