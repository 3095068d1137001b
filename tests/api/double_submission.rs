//! A form sent twice (double click, slow connection, back button) books once and hands in once; the
//! second submission leads where the first did. Checked with both sent at the same moment, for the
//! public, the staff and the feedback forms (the kiosk's double tap is in `kiosk.rs`).
use chrono::{Duration, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use teilhabe::db::entities::{barrier_report, booking, feedback, offer_date, proposal};
use teilhabe::domain::offer::DateStatus;

use crate::{helpers::TestApp, on_both_backends};

fn pairs(form: &[(String, String)]) -> Vec<(&str, &str)> {
    form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

fn location_of(res: &reqwest::Response) -> Option<String> {
    res.headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned())
}

/// The hidden fields of `page` plus `fields`.
async fn filled(app: &TestApp, page: &str, fields: &[(&str, &str)]) -> Vec<(String, String)> {
    let fields = fields.to_vec();
    let mut all: Vec<(String, String)> = fields
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    for (k, v) in app.hidden_fields(page).await {
        if !all.iter().any(|(name, _)| *name == k) {
            all.push((k, v));
        }
    }
    assert!(
        all.iter().any(|(k, _)| k == "einreichung"),
        "{page} carries a form key"
    );
    all
}

on_both_backends!(a_form_sent_twice_creates_one_record, |app| {
    // The first demo course's first date, which has room.
    let date_id = 1;
    let page = "/kurse/smartphone-grundlagen-fuer-einsteiger-erfurt/termine/1/buchen".to_owned();
    let before = booking::Entity::find()
        .filter(booking::Column::DateId.eq(date_id))
        .count(&app.db)
        .await
        .unwrap();
    // Only a phone number: nothing else would tell the two apart.
    let form = filled(
        &app,
        &page,
        &[
            ("name", "Paula Doppelt"),
            ("phone", "0361 555555"),
            ("places", "1"),
        ],
    )
    .await;
    let sent = pairs(&form);
    let (a, b) = tokio::join!(app.post_form(&page, &sent), app.post_form(&page, &sent));
    let (la, lb) = (location_of(&a), location_of(&b));
    assert!(la.is_some(), "{:?}", a.status());
    assert_eq!(la, lb, "both lead to the one booking");
    // Later, with the back button: the same.
    let again = app.post_form(&page, &pairs(&form)).await;
    assert_eq!(location_of(&again), la);
    let after = booking::Entity::find()
        .filter(booking::Column::DateId.eq(date_id))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(after, before + 1, "one booking");
    // Where it led (the booking's own link) is kept for the repeat, but only sealed.
    let kept: Vec<String> = teilhabe::db::entities::form_submission::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|row| row.location)
        .collect();
    let link = la.clone().unwrap();
    assert!(link.contains("/buchung/"), "{link}");
    assert_eq!(kept.len(), 1);
    assert!(teilhabe::sealing::is_sealed(&kept[0]), "{}", kept[0]);
    assert!(!kept[0].contains(&link), "{} holds {link}", kept[0]);

    // A proposal sent twice from its last step, signed in.
    assert_eq!(
        app.login("buergerin@demo.teilhabe.example", "Demo-Buergerin-2026")
            .await
            .status(),
        303
    );
    let before = proposal::Entity::find().count(&app.db).await.unwrap();
    let form = filled(
        &app,
        "/vorschlaege/neu",
        &[
            ("titel", "Ladesäulen am Bahnhof Arnstadt"),
            (
                "text",
                "Am Bahnhof gibt es keine Möglichkeit, ein Elektroauto oder ein Pedelec zu laden.",
            ),
            ("kategorie", "sonstiges"),
            ("kreis", "16070"),
            ("schritt", "absenden"),
        ],
    )
    .await;
    let sent = pairs(&form);
    let (a, b) = tokio::join!(
        app.post_form("/vorschlaege/neu", &sent),
        app.post_form("/vorschlaege/neu", &sent)
    );
    assert!(location_of(&a).is_some(), "{:?}", a.status());
    assert_eq!(location_of(&a), location_of(&b));
    assert_eq!(
        proposal::Entity::find().count(&app.db).await.unwrap(),
        before + 1,
        "one proposal"
    );

    // A refused form frees its key: corrected, the same form goes through.
    let form = filled(
        &app,
        "/vorschlaege/neu",
        &[("titel", ""), ("schritt", "absenden")],
    )
    .await;
    let refused = app.post_form("/vorschlaege/neu", &pairs(&form)).await;
    assert_eq!(refused.status(), 422);
    let key = form
        .iter()
        .find(|(k, _)| k == "einreichung")
        .unwrap()
        .1
        .clone();
    let corrected = filled(
        &app,
        "/vorschlaege/neu",
        &[
            ("titel", "Sitzbänke am Bahnhof Arnstadt"),
            (
                "text",
                "Wer auf den Zug wartet, muss stehen. Ein paar Bänke würden Älteren sehr helfen.",
            ),
            ("kategorie", "sonstiges"),
            ("kreis", "16070"),
            ("schritt", "absenden"),
            ("einreichung", &key),
        ],
    )
    .await;
    let res = app.post_form("/vorschlaege/neu", &pairs(&corrected)).await;
    assert_eq!(res.status(), 303);
});

/// Sends `form` to `action` twice at the same moment; both answers lead to the same place.
async fn sent_twice(app: &TestApp, action: &str, form: &[(String, String)]) -> String {
    let sent = pairs(form);
    let (a, b) = tokio::join!(app.post_form(action, &sent), app.post_form(action, &sent));
    let location = location_of(&a);
    assert!(location.is_some(), "{action}: {:?}", a.status());
    assert_eq!(location, location_of(&b), "{action}");
    location.unwrap()
}

on_both_backends!(every_form_is_handled_once, |app| {
    // A barrier report.
    let form = filled(
        &app,
        "/barriere-melden",
        &[
            ("page", "/kurse"),
            ("description", "Der Kontrast der Knöpfe ist zu schwach."),
        ],
    )
    .await;
    assert_eq!(
        sent_twice(&app, "/barriere-melden", &form).await,
        "/barriere-melden/danke"
    );
    assert_eq!(
        barrier_report::Entity::find().count(&app.db).await.unwrap(),
        1
    );

    // Feedback through a date's printed code.
    let starts_at = Utc::now() - Duration::days(1);
    let date = offer_date::ActiveModel {
        offer_id: Set(1),
        starts_at: Set(starts_at),
        ends_at: Set(starts_at + Duration::minutes(90)),
        capacity: Set(10),
        booked_places: Set(4),
        max_places_per_booking: Set(2),
        status: Set(DateStatus::Scheduled),
        created_at: Set(starts_at - Duration::days(10)),
        feedback_code: Set(Some("gedruckterCode123".into())),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    let public = format!("/rueckmeldung/termin/{}/gedruckterCode123", date.id);
    let form = filled(&app, &public, &[("bewertung", "5")]).await;
    assert_eq!(
        sent_twice(&app, &public, &form).await,
        "/rueckmeldung/danke"
    );
    let (status, _) = app.get_html("/rueckmeldung/danke").await;
    assert_eq!(status, 200);
    let feedback_count = || async {
        feedback::Entity::find()
            .filter(feedback::Column::DateId.eq(date.id))
            .count(&app.db)
            .await
            .unwrap()
    };
    assert_eq!(feedback_count().await, 1);
    // The same form with another answer (back button, changed mind): a second feedback.
    let changed: Vec<(String, String)> = form
        .iter()
        .map(|(k, v)| {
            let v = if k == "bewertung" { "4" } else { v };
            (k.clone(), v.to_owned())
        })
        .collect();
    assert_eq!(app.post_form(&public, &pairs(&changed)).await.status(), 303);
    assert_eq!(feedback_count().await, 2);

    // A booking taken by staff on the phone.
    assert_eq!(
        app.login("anbieter@demo.teilhabe.example", "Demo-Anbieter-2026")
            .await
            .status(),
        303
    );
    let before = booking::Entity::find()
        .filter(booking::Column::DateId.eq(1))
        .count(&app.db)
        .await
        .unwrap();
    let form = filled(
        &app,
        "/verwaltung/termine/1",
        &[
            ("name", "Anruf Doppelt"),
            ("phone", "0361 777777"),
            ("email", ""),
            ("places", "1"),
        ],
    )
    .await;
    sent_twice(&app, "/verwaltung/termine/1/buchen", &form).await;
    let after = booking::Entity::find()
        .filter(booking::Column::DateId.eq(1))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(after, before + 1, "one booking by phone");
});

/// Sends a barrier report once, then leaves its key as an instance that stopped between the claim
/// and the result would have: without a result, claimed `claimed_ago`. Returns the form, to send
/// again.
async fn report_left_unfinished(app: &TestApp, claimed_ago: Duration) -> Vec<(String, String)> {
    use sea_orm::sea_query::Expr;
    use teilhabe::db::entities::form_submission;
    let form = filled(
        app,
        "/barriere-melden",
        &[
            ("page", "/kurse"),
            ("description", "Die Schrift im Kalender ist zu klein."),
        ],
    )
    .await;
    let first = app.post_form("/barriere-melden", &pairs(&form)).await;
    assert_eq!(
        location_of(&first).as_deref(),
        Some("/barriere-melden/danke")
    );
    let left = form_submission::Entity::update_many()
        .col_expr(
            form_submission::Column::Location,
            Expr::value(None::<String>),
        )
        .col_expr(
            form_submission::Column::CreatedAt,
            Expr::value(Utc::now() - claimed_ago),
        )
        .filter(form_submission::Column::Location.is_not_null())
        .exec(&app.db)
        .await
        .unwrap();
    assert_eq!(left.rows_affected, 1);
    form
}

// The instance handling a form stopped after claiming it: a repeat sent once the claim is clearly
// older than any request can take is handled as a new submission, not refused for a day.
on_both_backends!(
    a_submission_left_unfinished_long_ago_no_longer_blocks_its_repeat,
    |app| {
        let stale = teilhabe::services::form_submissions::UNFINISHED_FOR + Duration::seconds(1);
        let form = report_left_unfinished(&app, stale).await;
        let started = std::time::Instant::now();
        let again = app.post_form("/barriere-melden", &pairs(&form)).await;
        assert_eq!(
            location_of(&again).as_deref(),
            Some("/barriere-melden/danke")
        );
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "not kept waiting"
        );
        assert_eq!(
            barrier_report::Entity::find().count(&app.db).await.unwrap(),
            2,
            "the repeat was handled"
        );
        // Its result is kept: a third sending leads there without a third report.
        let third = app.post_form("/barriere-melden", &pairs(&form)).await;
        assert_eq!(
            location_of(&third).as_deref(),
            Some("/barriere-melden/danke")
        );
        assert_eq!(
            barrier_report::Entity::find().count(&app.db).await.unwrap(),
            2
        );
    }
);

// A first submission still being handled (claimed a moment ago) makes the repeat wait; when the
// repeat gives up, its page does not claim that nothing was saved (the first one may still be),
// but asks to look before sending again.
on_both_backends!(
    a_repeat_that_gives_up_waiting_says_the_first_is_still_handled,
    |app| {
        let form = report_left_unfinished(&app, Duration::seconds(1)).await;
        let started = std::time::Instant::now();
        let again = app.post_form("/barriere-melden", &pairs(&form)).await;
        assert!(
            started.elapsed() >= std::time::Duration::from_secs(9),
            "it waited"
        );
        assert_eq!(again.status(), 409);
        let page = again.text().await.unwrap();
        assert!(
            page.contains("Ihre Eingaben werden noch bearbeitet"),
            "{page}"
        );
        assert!(page.contains("Sehen Sie in einer Minute"), "{page}");
        assert!(!page.contains("nicht gespeichert"), "{page}");
        assert_eq!(
            barrier_report::Entity::find().count(&app.db).await.unwrap(),
            1,
            "the repeat did not run the form again"
        );
    }
);
