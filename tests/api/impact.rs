//! The impact dashboard: figures computed in the database on both backends, charts with a text
//! alternative and tables, and municipalities limited to their own districts.
use chrono::{Datelike, Duration, Utc};
use sea_orm::{ActiveModelTrait, Set};
use teilhabe::domain::booking::BookingStatus;
use teilhabe::domain::offer::DateStatus;
use teilhabe::domain::volunteering::{HoursStatus, ShiftKind, ShiftStatus};
use teilhabe::{
    db::entities::{booking, feedback, offer_date},
    services::impact::{self, ImpactFilter},
};

use crate::{
    helpers::{Backend, TestApp, select, spawn_app},
    on_both_backends,
};

/// A date of demo course 1 (Erfurt) two hours ago with three participants and two feedback forms.
async fn seed(app: &TestApp) -> i32 {
    let starts_at = Utc::now() - Duration::hours(2);
    let date = offer_date::ActiveModel {
        offer_id: Set(1),
        starts_at: Set(starts_at),
        ends_at: Set(starts_at + Duration::hours(1)),
        capacity: Set(10),
        booked_places: Set(3),
        max_places_per_booking: Set(2),
        status: Set(DateStatus::Scheduled),
        created_at: Set(starts_at - Duration::days(5)),
        min_participants: Set(0),
        walk_in_places: Set(0),
        revision: Set(0),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    for (places, attendance) in [(2, "present"), (1, "absent")] {
        booking::ActiveModel {
            date_id: Set(date.id),
            name: Set("Person".into()),
            phone: Set(Some("0361 1".into())),
            places: Set(places),
            status: Set(BookingStatus::Confirmed),
            channel: Set("staff".into()),
            cancel_token_hash: Set(uuid::Uuid::new_v4().to_string()),
            created_at: Set(starts_at - Duration::days(1)),
            language: Set("de".into()),
            attendance: Set(Some(
                teilhabe::domain::booking::Attendance::parse(attendance)
                    .expect("a known attendance"),
            )),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .unwrap();
    }
    for (rating, before, after) in [(4, Some(2), Some(4)), (5, Some(3), Some(4))] {
        feedback::ActiveModel {
            date_id: Set(date.id),
            channel: Set("paper".into()),
            rating: Set(rating),
            before_safety: Set(before),
            after_safety: Set(after),
            submitted_on: Set(Utc::now().date_naive()),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .unwrap();
    }
    date.id
}

on_both_backends!(figures_add_up_per_month_and_district, |app| {
    seed(&app).await;
    let today = Utc::now().date_naive();
    let month = today.with_day(1).unwrap();
    let filter = ImpactFilter {
        from: month,
        to: month,
        districts: Some(vec!["16051".into()]),
    };
    let figures = impact::figures(&app.db, &filter, Utc::now()).await.unwrap();
    let total = &figures.total;
    assert_eq!(
        total.figures.dates_held, 1,
        "only dates that took place count"
    );
    assert_eq!(total.figures.participants, 3);
    // Places, not bookings: two present, one absent.
    assert_eq!((total.figures.present, total.figures.absent), (2, 1));
    assert_eq!(total.figures.feedback_forms, 2);
    // Two forms are two people's answers: no average of theirs is shown.
    assert_eq!(total.rating_average, None);
    assert_eq!(total.confidence_change, None);
    assert!(total.small.rating && total.small.confidence && total.small.feedback_forms);
    assert_eq!(figures.months.len(), 1);
    assert_eq!(figures.districts.len(), 1);
    assert_eq!(figures.districts[0].key, "16051");

    let elsewhere = ImpactFilter {
        from: chrono::NaiveDate::from_ymd_opt(2025, 9, 1).unwrap(),
        districts: Some(vec!["16068".into()]),
        ..filter
    };
    let figures = impact::figures(&app.db, &elsewhere, Utc::now())
        .await
        .unwrap();
    assert_eq!(figures.total.figures.dates_held, 0);
    assert!(figures.proposals.total > 0, "demo proposals from Sömmerda");
});

#[tokio::test]
async fn the_dashboard_shows_charts_with_tables_and_respects_areas() {
    let app = spawn_app(Backend::Sqlite, Default::default())
        .await
        .unwrap();
    seed(&app).await;
    app.login("admin@demo.teilhabe.example", "Demo-Admin-2026")
        .await;
    let (status, page) = app.get_html("/verwaltung/wirkung?von=2025-01").await;
    assert_eq!(status, 200);
    let charts = select(&page, "svg[role=img]");
    assert_eq!(charts.len(), 2);
    assert!(!select(&page, "svg title").is_empty());
    assert!(select(&page, "table.table").len() >= 3);
    let (status, _) = app.get_html("/verwaltung/wirkung?von=2026-13").await;
    assert_eq!(status, 422);
    let (status, _) = app
        .get_html("/verwaltung/wirkung?von=2026-05&bis=2026-01")
        .await;
    assert_eq!(status, 422);
    let token = app.csrf_token("/konto").await;
    app.post_form("/abmelden", &[("csrf_token", &token)]).await;

    // The municipality of Sömmerda sees its own district only.
    app.login("gemeinde@demo.teilhabe.example", "Demo-Gemeinde-2026")
        .await;
    let (status, page) = app.get_html("/verwaltung/wirkung").await;
    assert_eq!(status, 200);
    let options: Vec<&str> = select(&page, "#kreis option")
        .iter()
        .filter_map(|o| o.value().attr("value"))
        .filter(|v| !v.is_empty())
        .collect();
    assert_eq!(options, ["16068"]);
    let (status, _) = app.get_html("/verwaltung/wirkung?kreis=16051").await;
    assert_eq!(status, 422);
}

on_both_backends!(
    kiosk_use_and_volunteer_sessions_show_on_the_dashboard,
    |app| {
        use chrono::TimeZone;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        use teilhabe::db::entities::{
            kiosk_terminal, kiosk_usage, session_report, user, venue, volunteer_hours,
            volunteer_shift,
        };
        let anger = venue::Entity::find()
            .filter(venue::Column::Slug.eq("probierladen-erfurt-anger"))
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        let terminal = kiosk_terminal::ActiveModel {
            name: Set("Terminal am Eingang".into()),
            venue_id: Set(anger.id),
            pairing_code_hash: Set("x".into()),
            pairing_expires_at: Set(Utc::now()),
            created_at: Set(Utc::now()),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .unwrap();
        for (action, count) in [("view", 30), ("booking", 2)] {
            kiosk_usage::ActiveModel {
                terminal_id: Set(terminal.id),
                day: Set(chrono::NaiveDate::from_ymd_opt(2025, 6, 10).unwrap()),
                action: Set(action.into()),
                count: Set(count),
            }
            .insert(&app.db)
            .await
            .unwrap();
        }
        let starts_at = chrono_tz::Europe::Berlin
            .with_ymd_and_hms(2025, 6, 12, 14, 0, 0)
            .unwrap()
            .with_timezone(&Utc);
        let mut ids = Vec::new();
        for status in [ShiftStatus::Open, ShiftStatus::Cancelled] {
            let shift = volunteer_shift::ActiveModel {
                organisation_id: Set(anger.organisation_id),
                venue_id: Set(Some(anger.id)),
                offer_date_id: Set(None),
                kind: Set(ShiftKind::OfficeHours),
                title: Set("Sprechstunde".into()),
                place: Set(String::new()),
                district_key: Set("16051".into()),
                starts_at: Set(starts_at),
                ends_at: Set(starts_at + Duration::hours(2)),
                volunteers_needed: Set(1),
                participants_per_helper: Set(None),
                skills: Set(String::new()),
                signed_up: Set(1),
                status: Set(status),
                gap_reminded_at: Set(None),
                created_by: Set(None),
                created_at: Set(starts_at),
                ..Default::default()
            }
            .insert(&app.db)
            .await
            .unwrap();
            ids.push(shift.id);
            session_report::ActiveModel {
                shift_id: Set(shift.id),
                head_count: Set(Some(9)),
                walk_ins: Set(0),
                topics: Set(String::new()),
                questions: Set(String::new()),
                recorded_by: Set(None),
                updated_at: Set(starts_at),
            }
            .insert(&app.db)
            .await
            .unwrap();
        }
        let volunteer = user::Entity::find()
            .filter(user::Column::Email.eq("freiwillig@demo.teilhabe.example"))
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        volunteer_hours::ActiveModel {
            shift_id: Set(ids[0]),
            user_id: Set(volunteer.id),
            started_at: Set(starts_at),
            ended_at: Set(starts_at + Duration::hours(1)),
            minutes: Set(60),
            status: Set(HoursStatus::Approved),
            decided_by: Set(None),
            decided_at: Set(Some(starts_at)),
            created_at: Set(starts_at),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .unwrap();

        let june = chrono::NaiveDate::from_ymd_opt(2025, 6, 1).unwrap();
        let filter = ImpactFilter {
            from: june,
            to: june,
            districts: Some(vec!["16051".into()]),
        };
        let figures = impact::figures(&app.db, &filter, Utc::now()).await.unwrap();
        let total = &figures.total;
        assert_eq!(
            (total.figures.kiosk_views, total.figures.kiosk_actions),
            (30, 2)
        );
        assert_eq!(
            total.figures.volunteer_sessions, 1,
            "cancelled sessions do not count"
        );
        assert_eq!(total.figures.volunteer_people, 9);
        assert_eq!(total.volunteer_hours, 1.0);
        assert_eq!(figures.months[0].figures.kiosk_views, 30);

        let elsewhere = ImpactFilter {
            districts: Some(vec!["16053".into()]),
            ..filter
        };
        let figures = impact::figures(&app.db, &elsewhere, Utc::now())
            .await
            .unwrap();
        assert_eq!(figures.total.figures.kiosk_views, 0);
        assert_eq!(figures.total.figures.volunteer_sessions, 0);
    }
);

/// A date of demo course 1 (Erfurt) two hours ago, without bookings.
async fn empty_date(app: &TestApp) -> i32 {
    let starts_at = Utc::now() - Duration::hours(2);
    offer_date::ActiveModel {
        offer_id: Set(1),
        starts_at: Set(starts_at),
        ends_at: Set(starts_at + Duration::hours(1)),
        capacity: Set(10),
        booked_places: Set(3),
        max_places_per_booking: Set(3),
        status: Set(DateStatus::Scheduled),
        created_at: Set(starts_at - Duration::days(5)),
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

async fn marked_booking(
    app: &TestApp,
    date_id: i32,
    places: i32,
    status: BookingStatus,
    attendance: &str,
) {
    booking::ActiveModel {
        date_id: Set(date_id),
        name: Set("Person".into()),
        phone: Set(Some("0361 1".into())),
        places: Set(places),
        status: Set(status),
        channel: Set("staff".into()),
        cancel_token_hash: Set(uuid::Uuid::new_v4().to_string()),
        created_at: Set(Utc::now() - Duration::days(1)),
        language: Set("de".into()),
        attendance: Set(Some(
            teilhabe::domain::booking::Attendance::parse(attendance).expect("a known attendance"),
        )),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
}

on_both_backends!(attendance_counts_places_of_confirmed_bookings, |app| {
    let date = empty_date(&app).await;
    marked_booking(&app, date, 3, BookingStatus::Confirmed, "present").await;
    // Marked absent, then cancelled by staff: no longer anybody's place.
    marked_booking(&app, date, 1, BookingStatus::Cancelled, "absent").await;
    let month = Utc::now().date_naive().with_day(1).unwrap();
    let filter = ImpactFilter {
        from: month,
        to: month,
        districts: Some(vec!["16051".into()]),
    };
    let figures = impact::figures(&app.db, &filter, Utc::now()).await.unwrap();
    let total = &figures.total.figures;
    assert_eq!(total.participants, 3);
    assert_eq!((total.present, total.absent), (3, 0));
});

on_both_backends!(one_persons_rating_is_not_shown, |app| {
    use chrono::TimeZone;
    use sea_orm::{ColumnTrait, EntityTrait, NotSet, QueryFilter};
    use teilhabe::db::entities::{offer, venue};
    // A date in Sömmerda, the demo municipality's district, in a month without other dates.
    let rathaus = venue::Entity::find()
        .filter(venue::Column::Slug.eq("rathaus-soemmerda"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let mut course: offer::ActiveModel = offer::Entity::find_by_id(1)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .into();
    course.id = NotSet;
    course.slug = Set("kurs-im-rathaus".into());
    course.venue_id = Set(Some(rathaus.id));
    course.organisation_id = Set(rathaus.organisation_id);
    let course = course.insert(&app.db).await.unwrap();
    let starts_at = chrono_tz::Europe::Berlin
        .with_ymd_and_hms(2024, 2, 14, 10, 0, 0)
        .unwrap()
        .with_timezone(&Utc);
    let date = offer_date::ActiveModel {
        offer_id: Set(course.id),
        starts_at: Set(starts_at),
        ends_at: Set(starts_at + Duration::hours(2)),
        capacity: Set(10),
        booked_places: Set(0),
        max_places_per_booking: Set(2),
        status: Set(DateStatus::Scheduled),
        created_at: Set(starts_at - Duration::days(5)),
        min_participants: Set(0),
        walk_in_places: Set(0),
        revision: Set(0),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    feedback::ActiveModel {
        date_id: Set(date.id),
        channel: Set("paper".into()),
        rating: Set(2),
        before_safety: Set(Some(1)),
        after_safety: Set(Some(4)),
        submitted_on: Set(starts_at.date_naive()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();

    app.login("gemeinde@demo.teilhabe.example", "Demo-Gemeinde-2026")
        .await;
    let response = app.get("/verwaltung/wirkung?von=2024-02&bis=2024-02").await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(!html.contains("2,0"), "the one rating shows:\n{html}");
    assert!(!html.contains("3,00"), "the one change shows:\n{html}");
    assert!(html.contains("weniger als 5"), "{html}");
});
