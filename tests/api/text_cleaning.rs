//! One text rule for every free-text field: NUL bytes, other control characters and bidi overrides
//! typed into forms or sent to the API are dropped before anything is stored, and never cause a 5xx
//! (PostgreSQL refuses NUL in text).
use chrono::{Duration, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use teilhabe::db::entities::{barrier_report, booking, feedback, offer, offer_date, venue};
use teilhabe::domain::offer::{DateStatus, OfferKind, OfferStatus};

use crate::helpers::*;
use crate::on_both_backends;

/// NUL, a C1 control, a right-to-left override and an isolate around ordinary words.
const DIRTY: &str = "Gut\u{0} ge\u{85}macht\u{202E} und\u{2066} klar";
const CLEAN: &str = "Gut gemacht und klar";

fn no_5xx(res: &reqwest::Response, what: &str) {
    assert!(
        !res.status().is_server_error(),
        "{what}: answered {}",
        res.status()
    );
}

/// A published course with one bookable date next week, and one that ended yesterday with a
/// printed feedback code.
pub async fn dates(app: &TestApp) -> (String, i32, i32, String) {
    let now = Utc::now();
    let place = venue::Entity::find().one(&app.db).await.unwrap();
    let slug = format!("textkurs-{}", uuid::Uuid::new_v4().simple());
    let course = offer::ActiveModel {
        slug: Set(slug.clone()),
        organisation_id: Set(place.as_ref().unwrap().organisation_id),
        venue_id: Set(place.map(|v| v.id)),
        kind: Set(OfferKind::Course),
        title: Set("Videotelefonie mit der Familie".into()),
        description: Set("Wir telefonieren mit Bild.".into()),
        topic: Set("videotelefonie".into()),
        level: Set("einsteiger".into()),
        target_group: Set("senioren".into()),
        language: Set("de".into()),
        what_to_bring: Set(String::new()),
        accessibility_notes: Set(String::new()),
        price_cents: Set(0),
        status: Set(OfferStatus::Published),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    let date = |starts_at: chrono::DateTime<Utc>, code: Option<String>| offer_date::ActiveModel {
        offer_id: Set(course.id),
        starts_at: Set(starts_at),
        ends_at: Set(starts_at + Duration::hours(2)),
        capacity: Set(20),
        booked_places: Set(0),
        max_places_per_booking: Set(2),
        status: Set(DateStatus::Scheduled),
        created_at: Set(now - Duration::days(10)),
        feedback_code: Set(code),
        ..Default::default()
    };
    let upcoming = date(now + Duration::days(7), None)
        .insert(&app.db)
        .await
        .unwrap();
    let code = format!("code{}", uuid::Uuid::new_v4().simple());
    let past = date(now - Duration::days(1), Some(code.clone()))
        .insert(&app.db)
        .await
        .unwrap();
    (slug, upcoming.id, past.id, code)
}

on_both_backends!(control_and_bidi_characters_are_dropped_everywhere, |app| {
    let (slug, upcoming, past, code) = dates(&app).await;

    // QR feedback: three free-text answers.
    let public = format!("/rueckmeldung/termin/{past}/{code}");
    let token = app.csrf_token(&public).await;
    let res = app
        .post_form(
            &public,
            &[
                ("csrf_token", &token),
                ("bewertung", "5"),
                ("geholfen", DIRTY),
                ("gefehlt", "\u{0}"),
                ("anmerkungen", "Zeile\u{0}\r\nzwei\u{202D}"),
            ],
        )
        .await;
    no_5xx(&res, "feedback");
    assert_eq!(res.status(), 303);
    let stored = feedback::Entity::find()
        .filter(feedback::Column::DateId.eq(past))
        .one(&app.db)
        .await
        .unwrap()
        .expect("feedback stored");
    assert_eq!(stored.helped.as_deref(), Some(CLEAN));
    assert_eq!(stored.missing, None, "only a NUL is nothing");
    assert_eq!(stored.free_text.as_deref(), Some("Zeile\nzwei"));

    // The public booking form.
    let form = format!("/kurse/{slug}/termine/{upcoming}/buchen");
    let res = app
        .submit(
            &form,
            &form,
            &[
                ("name", "Erika\u{0} Muster\u{202E}mann"),
                ("email", "erika@example.de"),
                ("phone", ""),
                ("places", "1"),
            ],
        )
        .await;
    no_5xx(&res, "booking form");
    assert_eq!(res.status(), 303);

    // The JSON API.
    let res = app
        .client
        .post(app.url(&format!("/api/v1/dates/{upcoming}/bookings")))
        .json(&serde_json::json!({
            "name": "Max\u{0} Mu\u{2067}ster",
            "email": "max@example.de",
            "places": 1,
        }))
        .send()
        .await
        .unwrap();
    no_5xx(&res, "API booking");
    assert_eq!(res.status(), 201);
    let names: Vec<String> = booking::Entity::find()
        .filter(booking::Column::DateId.eq(upcoming))
        .order_by_asc(booking::Column::Id)
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|b| b.name)
        .collect();
    assert_eq!(names, ["Erika Mustermann", "Max Muster"]);

    // The accessibility report.
    let res = app
        .submit(
            "/barriere-melden",
            "/barriere-melden",
            &[
                ("page", "/orte"),
                ("description", DIRTY),
                ("contact_name", "Erika\u{0} Muster"),
                ("contact_email", ""),
            ],
        )
        .await;
    no_5xx(&res, "barrier report");
    assert_eq!(res.status(), 303);
    let report = barrier_report::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .expect("report stored");
    assert_eq!(report.description, CLEAN);
    assert_eq!(report.contact_name.as_deref(), Some("Erika Muster"));

    // An offer typed in by staff: the title is one line, the description keeps its lines.
    assert_eq!(
        app.login("anbieter@demo.teilhabe.example", "Demo-Anbieter-2026")
            .await
            .status(),
        303
    );
    let token = app.csrf_token("/verwaltung/angebote/neu").await;
    let own_venue = venue::Entity::find()
        .filter(venue::Column::Slug.eq("probierladen-erfurt-anger"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .id
        .to_string();
    let title = format!("Tablet\u{0}-Treff\u{202E} {}", &slug[9..17]);
    let res = app
        .post_form(
            "/verwaltung/angebote/neu",
            &[
                ("csrf_token", &token),
                ("title", &title),
                (
                    "description",
                    "Wir zeigen\u{0} Schritt\u{2069} für Schritt,\r\nwie das Tablet geht.",
                ),
                ("topic", "tablet-grundlagen"),
                ("level", "einsteiger"),
                ("target_group", "senioren"),
                ("venue", &own_venue),
                ("online_url", ""),
                ("what_to_bring", "Ihr\u{0} Tablet"),
                ("accessibility_notes", ""),
                ("price", "0"),
            ],
        )
        .await;
    no_5xx(&res, "offer form");
    assert_eq!(res.status(), 303);
    let created = offer::Entity::find()
        .order_by_desc(offer::Column::Id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(created.title, format!("Tablet-Treff {}", &slug[9..17]));
    assert_eq!(
        created.description,
        "Wir zeigen Schritt für Schritt,\nwie das Tablet geht."
    );
    assert_eq!(created.what_to_bring, "Ihr Tablet");
});
