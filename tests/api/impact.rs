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
        assert_eq!(total.figures.volunteer_hours(), 1.0);
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

/// A copy of demo course 1 at the town hall of Sömmerda (district 16068); returns its id.
async fn course_in_soemmerda(app: &TestApp) -> i32 {
    use sea_orm::{ColumnTrait, EntityTrait, NotSet, QueryFilter};
    use teilhabe::db::entities::{offer, venue};
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
    course.insert(&app.db).await.unwrap().id
}

on_both_backends!(one_persons_rating_is_not_shown, |app| {
    use chrono::TimeZone;
    // A date in Sömmerda, the demo municipality's district, in a month without other dates.
    let course = course_in_soemmerda(&app).await;
    let starts_at = chrono_tz::Europe::Berlin
        .with_ymd_and_hms(2024, 2, 14, 10, 0, 0)
        .unwrap()
        .with_timezone(&Utc);
    let date = offer_date::ActiveModel {
        offer_id: Set(course),
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

/// 10:00 in Erfurt on that day.
fn berlin(year: i32, month: u32, day: u32) -> chrono::DateTime<Utc> {
    use chrono::TimeZone;
    chrono_tz::Europe::Berlin
        .with_ymd_and_hms(year, month, day, 10, 0, 0)
        .unwrap()
        .with_timezone(&Utc)
}

/// A date of the offer held then, with `present` people marked present.
async fn held_date(app: &TestApp, offer_id: i32, starts_at: chrono::DateTime<Utc>, present: i32) {
    let date = offer_date::ActiveModel {
        offer_id: Set(offer_id),
        starts_at: Set(starts_at),
        ends_at: Set(starts_at + Duration::hours(2)),
        capacity: Set(12),
        booked_places: Set(present),
        max_places_per_booking: Set(12),
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
    marked_booking(app, date.id, present, BookingStatus::Confirmed, "present").await;
}

/// The body rows of the table with this caption: the row header, then the cells, as text.
fn table(page: &scraper::Html, caption: &str) -> Vec<Vec<String>> {
    let text = |e: scraper::ElementRef| e.text().collect::<String>().trim().to_owned();
    let table = select(page, "table")
        .into_iter()
        .find(|t| {
            t.select(&scraper::Selector::parse("caption").unwrap())
                .next()
                .is_some_and(|c| text(c) == caption)
        })
        .unwrap_or_else(|| panic!("no table {caption}"));
    table
        .select(&scraper::Selector::parse("tbody tr").unwrap())
        .map(|tr| {
            tr.select(&scraper::Selector::parse("th, td").unwrap())
                .map(text)
                .collect()
        })
        .collect()
}

/// The figure the summary shows for this term.
fn summary(page: &scraper::Html, term: &str) -> String {
    select(page, ".summary-list__row")
        .into_iter()
        .find(|row| row.text().collect::<String>().starts_with(term))
        .and_then(|row| row.select(&scraper::Selector::parse("dd").unwrap()).next())
        .map(|dd| dd.text().collect::<String>().trim().to_owned())
        .unwrap_or_else(|| panic!("no summary row {term}"))
}

fn is_number(cell: &str) -> bool {
    cell.replace(',', ".").parse::<f64>().is_ok()
}

on_both_backends!(
    a_hidden_figure_is_not_the_total_less_the_other_rows,
    |app| {
        // March: 3 people in Erfurt. April: 6 in Erfurt, 4 in Sömmerda. With 13 in all and April's
        // 10 shown, March's 3 would follow; with Erfurt's 9 shown, Sömmerda's 4.
        held_date(&app, 1, berlin(2023, 3, 14), 3).await;
        held_date(&app, 1, berlin(2023, 4, 12), 6).await;
        let soemmerda = course_in_soemmerda(&app).await;
        held_date(&app, soemmerda, berlin(2023, 4, 19), 4).await;
        app.login("admin@demo.teilhabe.example", "Demo-Admin-2026")
            .await;
        let (status, page) = app
            .get_html("/verwaltung/wirkung?von=2023-03&bis=2023-04")
            .await;
        assert_eq!(status, 200);
        assert_eq!(summary(&page, "Teilnehmende"), "13");

        let months = table(&page, "Zahlen je Monat");
        assert_eq!(months.len(), 2);
        for row in &months {
            // Participants and no-shows (of people marked present) are both left out.
            assert!(!is_number(&row[1]), "{months:?}");
            assert!(!row[3].contains('%'), "{months:?}");
        }
        let bars: Vec<String> = select(&page, "svg text")
            .iter()
            .map(|t| t.text().collect())
            .collect();
        assert!(!bars.contains(&"10".to_owned()), "{bars:?}");

        let districts = table(&page, "Zahlen je Landkreis");
        assert_eq!(districts.len(), 2);
        for row in &districts {
            assert!(!is_number(&row[1]), "{districts:?}");
        }
    }
);

on_both_backends!(hours_of_fewer_than_five_helpers_are_not_shown, |app| {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    use teilhabe::db::entities::{session_report, user, venue, volunteer_hours, volunteer_shift};
    let anger = venue::Entity::find()
        .filter(venue::Column::Slug.eq("probierladen-erfurt-anger"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let session = |starts_at: chrono::DateTime<Utc>| volunteer_shift::ActiveModel {
        organisation_id: Set(anger.organisation_id),
        venue_id: Set(Some(anger.id)),
        offer_date_id: Set(None),
        kind: Set(ShiftKind::OfficeHours),
        title: Set("Sprechstunde".into()),
        place: Set(String::new()),
        district_key: Set("16051".into()),
        starts_at: Set(starts_at),
        ends_at: Set(starts_at + Duration::hours(2)),
        volunteers_needed: Set(6),
        participants_per_helper: Set(None),
        skills: Set(String::new()),
        signed_up: Set(1),
        status: Set(ShiftStatus::Open),
        gap_reminded_at: Set(None),
        created_by: Set(None),
        created_at: Set(starts_at),
        ..Default::default()
    };
    let approved =
        |shift: &volunteer_shift::Model, user_id: i32, minutes: i32| volunteer_hours::ActiveModel {
            shift_id: Set(shift.id),
            user_id: Set(user_id),
            started_at: Set(shift.starts_at),
            ended_at: Set(shift.starts_at + Duration::minutes(i64::from(minutes))),
            minutes: Set(minutes),
            status: Set(HoursStatus::Approved),
            decided_by: Set(None),
            decided_at: Set(Some(shift.starts_at)),
            created_at: Set(shift.starts_at),
            ..Default::default()
        };
    let mut helpers = Vec::new();
    for n in 0..7 {
        let helper = user::ActiveModel {
            email: Set(format!("helfer{n}@example.de")),
            display_name: Set(format!("Helfer {n}")),
            password_hash: Set(None),
            email_verified_at: Set(Some(Utc::now())),
            created_at: Set(Utc::now()),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .unwrap();
        helpers.push(helper.id);
    }
    // June: one helper at five sessions, an hour each. July: five helpers, an hour each. August:
    // six, two hours each. 22 hours in all, from seven helpers.
    let mut june_first = 0;
    for day in 2..7 {
        let shift = session(berlin(2023, 6, day)).insert(&app.db).await.unwrap();
        if june_first == 0 {
            june_first = shift.id;
        }
        approved(&shift, helpers[0], 60)
            .insert(&app.db)
            .await
            .unwrap();
    }
    // Three people came to one of them: too few to show as well.
    session_report::ActiveModel {
        shift_id: Set(june_first),
        head_count: Set(Some(3)),
        walk_ins: Set(0),
        topics: Set(String::new()),
        questions: Set(String::new()),
        recorded_by: Set(None),
        updated_at: Set(berlin(2023, 6, 2)),
    }
    .insert(&app.db)
    .await
    .unwrap();
    let july = session(berlin(2023, 7, 4)).insert(&app.db).await.unwrap();
    for helper in &helpers[1..6] {
        approved(&july, *helper, 60).insert(&app.db).await.unwrap();
    }
    let august = session(berlin(2023, 8, 8)).insert(&app.db).await.unwrap();
    for helper in &helpers[1..7] {
        approved(&august, *helper, 120)
            .insert(&app.db)
            .await
            .unwrap();
    }

    app.login("admin@demo.teilhabe.example", "Demo-Admin-2026")
        .await;
    let (status, page) = app
        .get_html("/verwaltung/wirkung?von=2023-06&bis=2023-08")
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        summary(&page, "Bestätigte Stunden von Freiwilligen"),
        "22,0"
    );
    let reach = table(
        &page,
        "Kiosk-Nutzung und Einsätze von Freiwilligen je Monat",
    );
    let hours: Vec<&str> = reach.iter().map(|row| row[5].as_str()).collect();
    // June's five hours are one person's; July's five would be the 22 less August's twelve and
    // June's.
    assert!(!is_number(hours[0]), "{reach:?}");
    assert!(!is_number(hours[1]), "{reach:?}");
    assert_eq!(hours[2], "12,0", "{reach:?}");
    let sessions: Vec<&str> = reach.iter().map(|row| row[3].as_str()).collect();
    assert_eq!(sessions, ["5", "1", "1"]);
    assert_eq!(reach[0][4], "nicht angegeben", "{reach:?}");
    let reached = summary(&page, "Einsätze von Freiwilligen");
    assert!(reached.contains("nicht angegeben"), "{reached}");
    assert!(!reached.contains('3'), "{reached}");
});
