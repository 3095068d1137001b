//! Spreadsheets staff and volunteers download (participant lists, hours sheets): written by the
//! export's spreadsheet writer, in the reader's language, and recorded in the audit log.
use chrono::{Duration, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use teilhabe::db::entities::{audit_log, booking, offer_date};
use teilhabe::domain::booking::BookingStatus;
use teilhabe::domain::offer::DateStatus;

use crate::{
    helpers::{TestApp, user_id},
    on_both_backends,
};

const PROVIDER: (&str, &str) = ("anbieter@demo.teilhabe.example", "Demo-Anbieter-2026");
const VOLUNTEER: (&str, &str) = ("freiwillig@demo.teilhabe.example", "Demo-Freiwillig-2026");

async fn audits(app: &TestApp, action: &str) -> Vec<audit_log::Model> {
    audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq(action))
        .order_by_asc(audit_log::Column::Id)
        .all(&app.db)
        .await
        .unwrap()
}

/// A date of demo course 1 (the provider's) next week with one booking of `name`.
async fn date_booked_by(app: &TestApp, name: &str, phone: &str) -> i32 {
    let starts_at = Utc::now() + Duration::days(7);
    let date = offer_date::ActiveModel {
        offer_id: Set(1),
        starts_at: Set(starts_at),
        ends_at: Set(starts_at + Duration::minutes(90)),
        capacity: Set(10),
        booked_places: Set(2),
        max_places_per_booking: Set(2),
        status: Set(DateStatus::Scheduled),
        created_at: Set(Utc::now()),
        min_participants: Set(0),
        walk_in_places: Set(0),
        revision: Set(0),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    booking::ActiveModel {
        date_id: Set(date.id),
        name: Set(name.into()),
        email: Set(None),
        phone: Set(Some(phone.into())),
        places: Set(2),
        status: Set(BookingStatus::Confirmed),
        channel: Set("staff".into()),
        cancel_token_hash: Set(uuid::Uuid::new_v4().to_string()),
        created_at: Set(Utc::now()),
        language: Set("de".into()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    date.id
}

fn csv_rows(body: &[u8]) -> Vec<Vec<String>> {
    assert_eq!(&body[..3], b"\xEF\xBB\xBF", "UTF-8 byte order mark");
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(&body[3..]);
    reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

on_both_backends!(
    participant_lists_are_translated_escaped_and_audited,
    |app| {
        let date = date_booked_by(&app, "@SUM(A1)", "+49 361 1234567").await;
        app.login(PROVIDER.0, PROVIDER.1).await;
        let path = format!("/verwaltung/termine/{date}/teilnehmende.csv");

        let res = app.get(&format!("{path}?lang=en")).await;
        assert_eq!(res.status(), 200);
        let rows = csv_rows(&res.bytes().await.unwrap());
        assert_eq!(
            rows[0],
            [
                "Name",
                "Phone",
                "E-mail",
                "Places",
                "Status",
                "Booked via",
                "Attendance",
                "Booked on"
            ]
        );
        assert_eq!(
            rows[1][..5],
            ["'@SUM(A1)", "'+49 361 1234567", "", "2", "Booked"]
        );

        let res = app.get(&format!("{path}?lang=de")).await;
        let rows = csv_rows(&res.bytes().await.unwrap());
        assert_eq!(rows[0][1], "Telefon");
        assert_eq!(rows[1][4], "Gebucht");

        let provider = user_id(&app, PROVIDER.0).await;
        let logged = audits(&app, "participants.downloaded").await;
        assert_eq!(logged.len(), 2);
        assert_eq!(logged[0].actor_user_id, Some(provider));
        assert_eq!(logged[0].target, format!("date:{date}"));
        assert_eq!(logged[0].details, "1 rows");
    }
);

on_both_backends!(hours_sheets_are_translated_and_audited, |app| {
    app.login(VOLUNTEER.0, VOLUNTEER.1).await;
    let res = app
        .get("/freiwillige/stunden.csv?monat=2025-03&lang=en")
        .await;
    assert_eq!(res.status(), 200);
    let rows = csv_rows(&res.bytes().await.unwrap());
    assert_eq!(rows[0][0], "Volunteer");
    let volunteer = user_id(&app, VOLUNTEER.0).await;
    let logged = audits(&app, "hours.downloaded").await;
    assert_eq!(logged.len(), 1);
    assert_eq!(logged[0].actor_user_id, Some(volunteer));
    assert_eq!(logged[0].target, "hours:2025-03");
    assert_eq!(logged[0].details, format!("user:{volunteer}"));
    app.submit("/konto", "/abmelden", &[]).await;

    app.login(PROVIDER.0, PROVIDER.1).await;
    let res = app.get("/verwaltung/stunden.csv?monat=2025-03").await;
    assert_eq!(res.status(), 200);
    let logged = audits(&app, "hours.downloaded").await;
    assert_eq!(logged.len(), 2);
    assert_eq!(
        logged[1].actor_user_id,
        Some(user_id(&app, PROVIDER.0).await)
    );
    assert_eq!(logged[1].details, "all");
});
