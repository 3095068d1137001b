//! FSJ-Digital volunteers: sessions planned by coordinators, race-free sign-ups, withdrawal with
//! notice, the private calendar feed, attendance and session notes, hours with approval, coverage gaps.
use chrono::{Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use teilhabe::{
    db::entities::{
        booking, offer_date, session_report, user, volunteer_hours, volunteer_shift,
        volunteer_signup,
    },
    domain::{
        DistrictKey,
        volunteering::{HoursStatus, ShiftInput, ShiftKind, ShiftPlace, ShiftStatus},
    },
    services::volunteering::{VolunteeringError, hours_seen},
};

use crate::{
    helpers::{
        TestApp, refuse_inserts, refused_as_changed, select, text_of,
        until_someone_waits_for_a_lock, user_id,
    },
    on_both_backends,
};

const PROVIDER: (&str, &str) = ("anbieter@demo.teilhabe.example", "Demo-Anbieter-2026");
const VOLUNTEER: (&str, &str) = ("freiwillig@demo.teilhabe.example", "Demo-Freiwillig-2026");

fn local_day(at: chrono::DateTime<Utc>) -> String {
    at.with_timezone(&chrono_tz::Europe::Berlin)
        .format("%Y-%m-%d")
        .to_string()
}

async fn probierladen_erfurt(app: &TestApp) -> i32 {
    teilhabe::db::entities::organisation::Entity::find()
        .filter(teilhabe::db::entities::organisation::Column::Slug.eq("probierladen-erfurt"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .id
}

/// A standalone session of the Probierladen Erfurt, planned through the desk.
async fn session(app: &TestApp, starts_in: Duration, needed: i32) -> i32 {
    let starts_at = Utc::now() + starts_in;
    app.state()
        .volunteer_planning()
        .create(
            &None,
            ShiftInput {
                organisation_id: Some(probierladen_erfurt(app).await),
                title: "Smartphone-Sprechstunde im Seniorenheim Lindenhof".into(),
                kind: ShiftKind::SmartphoneAfternoon,
                starts_at,
                ends_at: starts_at + Duration::hours(2),
                place: ShiftPlace::Elsewhere {
                    place: "Seniorenheim Lindenhof, Speisesaal".into(),
                    district: DistrictKey::parse("16051").unwrap(),
                },
                volunteers_needed: needed,
                participants_per_helper: None,
                skills: String::new(),
                offer_date_id: None,
            },
            1,
            Utc::now(),
        )
        .await
        .unwrap()
}

/// Moves a session (and its linked date) into the past, as if it had taken place yesterday.
async fn move_to_yesterday(app: &TestApp, shift_id: i32) -> chrono::DateTime<Utc> {
    let starts_at = crate::helpers::yesterday_at_ten();
    let shift = volunteer_shift::Entity::find_by_id(shift_id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let mut model: volunteer_shift::ActiveModel = shift.into();
    model.starts_at = Set(starts_at);
    model.ends_at = Set(starts_at + Duration::hours(2));
    model.update(&app.db).await.unwrap();
    starts_at
}

/// A session held yesterday (see [`move_to_yesterday`]) at which `helper` logged its first hour;
/// the session's id and start.
async fn hour_logged_yesterday(app: &TestApp, helper: i32) -> (i32, chrono::DateTime<Utc>) {
    let shift_id = session(app, Duration::days(3), 1).await;
    sign_up_directly(app, shift_id, helper).await;
    let starts_at = move_to_yesterday(app, shift_id).await;
    let shift = app
        .state()
        .volunteer_session()
        .shift(shift_id, Some(helper))
        .await
        .unwrap();
    let worked = teilhabe::domain::volunteering::WorkedTime {
        started_at: starts_at,
        ended_at: starts_at + Duration::hours(1),
    };
    app.state()
        .volunteer_hours()
        .log_hours(&shift, helper, worked, Utc::now())
        .await
        .unwrap();
    (shift_id, starts_at)
}

async fn sign_up_directly(app: &TestApp, shift_id: i32, user_id: i32) {
    app.state()
        .volunteer_sign_up()
        .sign_up(shift_id, user_id, Utc::now())
        .await
        .unwrap();
}

/// Gives the account `role` (in `organisation`, for staff roles).
async fn give_role(app: &TestApp, user_id: i32, role: &str, organisation: Option<i32>) {
    teilhabe::db::entities::user_role::ActiveModel {
        user_id: Set(user_id),
        role: Set(role.into()),
        organisation_id: Set(organisation),
        district_key: Set(None),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
}

/// The account's volunteer role, as the back office lists it to revoke.
async fn volunteer_role_of(
    app: &TestApp,
    user_id: i32,
) -> teilhabe::db::entities::user_role::Model {
    teilhabe::db::entities::user_role::Entity::find()
        .filter(teilhabe::db::entities::user_role::Column::UserId.eq(user_id))
        .filter(teilhabe::db::entities::user_role::Column::Role.eq("volunteer"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
}

fn time_of(at: chrono::DateTime<Utc>) -> String {
    at.with_timezone(&chrono_tz::Europe::Berlin)
        .format("%H:%M")
        .to_string()
}

on_both_backends!(coordinators_plan_sessions_and_volunteers_sign_up, |app| {
    app.login(PROVIDER.0, PROVIDER.1).await;
    let (status, doc) = app.get_html("/verwaltung/einsaetze").await;
    assert_eq!(status, 200);
    assert!(
        text_of(&doc, "#luecken + .notice").contains("fehlen"),
        "demo gaps are shown"
    );

    // Bad input: every problem next to its field, the input kept, nothing stored.
    let day = local_day(Utc::now() + Duration::days(6));
    let before = volunteer_shift::Entity::find()
        .count(&app.db)
        .await
        .unwrap();
    let res = app
        .submit(
            "/verwaltung/einsaetze/neu",
            "/verwaltung/einsaetze/neu",
            &[
                ("title", "Sprechstunde im Lindenhof"),
                ("kind", "feier"),
                ("day", &day),
                ("start", "14:00"),
                ("end", "13:00"),
                ("venue", ""),
                ("place", ""),
                ("district", ""),
                ("volunteers_needed", "1"),
                ("skills", "WhatsApp"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let doc = scraper::Html::parse_document(&res.text().await.unwrap());
    let summary = text_of(&doc, ".error-summary");
    assert!(summary.contains("Art des Einsatzes"), "{summary}");
    assert!(summary.contains("Beschreiben Sie den Ort"), "{summary}");
    assert!(summary.contains("Landkreis"), "{summary}");
    assert!(!select(&doc, "#end[aria-invalid=true]").is_empty());
    assert_eq!(
        select(&doc, "#title")[0].value().attr("value"),
        Some("Sprechstunde im Lindenhof")
    );
    assert_eq!(text_of(&doc, "#skills"), "WhatsApp");
    assert_eq!(
        volunteer_shift::Entity::find()
            .count(&app.db)
            .await
            .unwrap(),
        before
    );

    let res = app
        .submit(
            "/verwaltung/einsaetze/neu",
            "/verwaltung/einsaetze/neu",
            &[
                ("title", "Sprechstunde im Lindenhof"),
                ("kind", "sprechstunde"),
                ("day", &day),
                ("start", "14:00"),
                ("end", "16:00"),
                ("venue", ""),
                ("place", "Seniorenheim Lindenhof, Speisesaal"),
                ("district", "16051"),
                ("volunteers_needed", "1"),
                ("skills", "WhatsApp"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let shift_id: i32 = location
        .strip_prefix("/verwaltung/einsaetze/")
        .and_then(|rest| rest.strip_suffix("?erledigt=einsatz-angelegt"))
        .unwrap_or_else(|| panic!("redirect to the new session with a confirmation: {location}"))
        .parse()
        .unwrap();
    let (_, doc) = app.get_html("/verwaltung/einsaetze").await;
    assert!(text_of(&doc, "main").contains("Sprechstunde im Lindenhof"));
    // The German key of earlier versions is still understood, and stored in English.
    let stored = volunteer_shift::Entity::find_by_id(shift_id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.kind, ShiftKind::OfficeHours);
    app.submit("/konto", "/abmelden", &[]).await;

    // The volunteer finds it near them (Erfurt), not elsewhere, and signs up.
    app.login(VOLUNTEER.0, VOLUNTEER.1).await;
    let (status, doc) = app.get_html("/freiwillige/einsaetze?kreis=16051").await;
    assert_eq!(status, 200);
    assert!(text_of(&doc, "main").contains("Sprechstunde im Lindenhof"));
    let (_, doc) = app.get_html("/freiwillige/einsaetze?kreis=16053").await;
    assert!(!text_of(&doc, "main").contains("Sprechstunde im Lindenhof"));
    let (status, doc) = app.get_html("/freiwillige/einsaetze?kreis=abc").await;
    assert_eq!(status, 422);
    assert!(text_of(&doc, ".error-summary").contains("Landkreis"));

    let action = format!("/freiwillige/einsaetze/{shift_id}/anmelden");
    let res = app
        .submit("/freiwillige/einsaetze", &action, &[("kreis", "16051")])
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        res.headers()["location"].to_str().unwrap(),
        "/freiwillige?status=angemeldet"
    );
    let (_, doc) = app.get_html("/freiwillige?status=angemeldet").await;
    assert!(text_of(&doc, "main").contains("Sprechstunde im Lindenhof"));
    assert!(text_of(&doc, ".confirmation").contains("angemeldet"));

    // A second click is refused with a message, nothing counted twice.
    let res = app
        .submit("/freiwillige/einsaetze", &action, &[("kreis", "16051")])
        .await;
    assert_eq!(res.status(), 409);
    let doc = scraper::Html::parse_document(&res.text().await.unwrap());
    assert!(text_of(&doc, ".error-summary").contains("schon angemeldet"));
    let shift = volunteer_shift::Entity::find_by_id(shift_id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(shift.signed_up, 1);

    // The session page serves the volunteer; another volunteer's session is not theirs.
    let (status, doc) = app
        .get_html(&format!("/verwaltung/einsaetze/{shift_id}"))
        .await;
    assert_eq!(status, 200);
    assert!(text_of(&doc, "main").contains("1 von 1 Helfenden"));
    let other = session(&app, Duration::days(8), 2).await;
    let (status, _) = app
        .get_html(&format!("/verwaltung/einsaetze/{other}"))
        .await;
    assert_eq!(status, 404);

    // Withdrawing six days ahead is in time: no mail to the coordinators.
    let mails_before = app.mails().await.len();
    let res = app
        .submit(
            "/freiwillige",
            &format!("/freiwillige/einsaetze/{shift_id}/abmelden"),
            &[],
        )
        .await;
    assert_eq!(
        res.headers()["location"].to_str().unwrap(),
        "/freiwillige?status=abgemeldet"
    );
    assert_eq!(app.mails().await.len(), mails_before);
    let shift = volunteer_shift::Entity::find_by_id(shift_id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(shift.signed_up, 0);
    // Withdrawing again is refused plainly.
    let res = app
        .submit(
            "/freiwillige",
            &format!("/freiwillige/einsaetze/{shift_id}/abmelden"),
            &[],
        )
        .await;
    assert_eq!(res.status(), 409);
});

on_both_backends!(sign_ups_never_pass_the_number_needed, |app| {
    let shift_id = session(&app, Duration::days(5), 2).await;
    let mut ids = Vec::new();
    for n in 0..8 {
        let created = user::ActiveModel {
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
        give_role(&app, created.id, "volunteer", None).await;
        ids.push(created.id);
    }
    let desk = app.state().volunteer_sign_up();
    let attempts: Vec<_> = ids
        .iter()
        .map(|id| {
            let desk = desk.clone();
            let id = *id;
            tokio::spawn(async move { desk.sign_up(shift_id, id, Utc::now()).await })
        })
        .collect();
    let mut results = Vec::new();
    for attempt in attempts {
        results.push(attempt.await.unwrap());
    }
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 2);
    assert!(
        results
            .iter()
            .filter_map(|r| r.as_ref().err())
            .all(|e| matches!(e, VolunteeringError::Refused("error-shift-full"))),
        "{results:?}"
    );
    let shift = volunteer_shift::Entity::find_by_id(shift_id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(shift.signed_up, 2);
    assert_eq!(
        volunteer_signup::Entity::find()
            .filter(volunteer_signup::Column::ShiftId.eq(shift_id))
            .filter(volunteer_signup::Column::Status.eq("active"))
            .count(&app.db)
            .await
            .unwrap(),
        2
    );
    // A place freed by withdrawing can be taken again, by the same person too.
    let first = ids
        .iter()
        .zip(&results)
        .find(|(_, r)| r.is_ok())
        .map(|(id, _)| *id)
        .unwrap();
    desk.withdraw(shift_id, first, Utc::now()).await.unwrap();
    desk.sign_up(shift_id, first, Utc::now()).await.unwrap();
    assert!(matches!(
        desk.sign_up(shift_id, first, Utc::now()).await,
        Err(VolunteeringError::Refused("error-shift-already-signed-up"))
    ));
});

on_both_backends!(late_withdrawal_tells_the_coordinators, |app| {
    let shift_id = session(&app, Duration::hours(10), 1).await;
    sign_up_directly(&app, shift_id, user_id(&app, VOLUNTEER.0).await).await;
    app.login(VOLUNTEER.0, VOLUNTEER.1).await;
    let res = app
        .submit(
            "/freiwillige",
            &format!("/freiwillige/einsaetze/{shift_id}/abmelden"),
            &[],
        )
        .await;
    assert_eq!(
        res.headers()["location"].to_str().unwrap(),
        "/freiwillige?status=abgemeldet-spaet"
    );
    let mails = app.mails().await;
    let mail = mails
        .iter()
        .find(|m| m.contains(&format!("To: {}", PROVIDER.0)) && m.contains("Kurzfristige"))
        .expect("the coordinator is told");
    assert!(mail.contains("Jonas Demo"));
    assert!(mail.contains(&format!("/verwaltung/einsaetze/{shift_id}")));
});

on_both_backends!(course_dates_need_helpers_in_proportion, |app| {
    // A demo date of the Probierladen Erfurt (online banking) without helpers yet.
    let date = offer_date::Entity::find()
        .filter(offer_date::Column::OfferId.eq(2))
        .filter(offer_date::Column::StartsAt.gt(Utc::now()))
        .order_by_asc(offer_date::Column::StartsAt)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    app.login(PROVIDER.0, PROVIDER.1).await;
    let form_page = format!("/verwaltung/einsaetze/neu?termin={}", date.id);
    let (status, doc) = app.get_html(&form_page).await;
    assert_eq!(status, 200);
    assert_eq!(
        select(&doc, "#start")[0].value().attr("value"),
        Some(time_of(date.starts_at).as_str())
    );
    assert_eq!(
        select(&doc, "#kind option[selected]")[0]
            .value()
            .attr("value"),
        Some("course-assistance")
    );
    let fields = |ratio: &'static str| {
        vec![
            ("title", "Hilfe im Kurs".to_owned()),
            ("kind", "course-assistance".to_owned()),
            ("day", local_day(date.starts_at)),
            ("start", time_of(date.starts_at)),
            ("end", time_of(date.ends_at)),
            ("venue", String::new()),
            ("place", "Übungsplätze".to_owned()),
            ("district", "16051".to_owned()),
            ("volunteers_needed", "1".to_owned()),
            ("participants_per_helper", ratio.to_owned()),
            ("date", date.id.to_string()),
        ]
    };
    let post = |ratio: &'static str| {
        let owned = fields(ratio);
        let app = &app;
        let form_page = form_page.clone();
        async move {
            let pairs: Vec<(&str, &str)> = owned.iter().map(|(k, v)| (*k, v.as_str())).collect();
            app.submit(&form_page, "/verwaltung/einsaetze/neu", &pairs)
                .await
        }
    };
    assert_eq!(post("null").await.status(), 422);
    let res = post("2").await;
    assert_eq!(res.status(), 303);

    // Five places booked need three helpers at one per two participants.
    let mut model: offer_date::ActiveModel = date.clone().into();
    model.booked_places = Set(5);
    model.update(&app.db).await.unwrap();
    let shifts = app
        .state()
        .volunteer_planning()
        .for_date(date.id)
        .await
        .unwrap();
    assert_eq!(shifts.len(), 1);
    assert_eq!((shifts[0].needed, shifts[0].missing), (3, 3));
    let (_, doc) = app
        .get_html(&format!("/verwaltung/termine/{}", date.id))
        .await;
    assert!(
        text_of(&doc, "main").contains("Unterbesetzt"),
        "the date page warns"
    );
});

on_both_backends!(hours_are_logged_within_the_session_and_approved, |app| {
    let volunteer = user_id(&app, VOLUNTEER.0).await;
    let shift_id = session(&app, Duration::days(3), 1).await;
    sign_up_directly(&app, shift_id, volunteer).await;
    let starts_at = move_to_yesterday(&app, shift_id).await;
    let page = format!("/verwaltung/einsaetze/{shift_id}");
    let action = format!("{page}/stunden");

    app.login(VOLUNTEER.0, VOLUNTEER.1).await;
    let early = time_of(starts_at - Duration::hours(1));
    let end = time_of(starts_at + Duration::minutes(90));
    let res = app
        .submit(&page, &action, &[("from", &early), ("to", &end)])
        .await;
    assert_eq!(res.status(), 422);
    let doc = scraper::Html::parse_document(&res.text().await.unwrap());
    assert!(text_of(&doc, ".error-summary").contains("innerhalb des Einsatzes"));
    assert_eq!(
        select(&doc, "#from")[0].value().attr("value"),
        Some(early.as_str())
    );
    assert_eq!(
        volunteer_hours::Entity::find()
            .count(&app.db)
            .await
            .unwrap(),
        2,
        "only the demo hours"
    );

    let start = time_of(starts_at);
    let res = app
        .submit(&page, &action, &[("from", &start), ("to", &end)])
        .await;
    assert_eq!(res.status(), 303);
    let hours = volunteer_hours::Entity::find()
        .filter(volunteer_hours::Column::ShiftId.eq(shift_id))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((hours.minutes, hours.status), (90, HoursStatus::Submitted));
    app.submit("/konto", "/abmelden", &[]).await;

    app.login(PROVIDER.0, PROVIDER.1).await;
    let (_, doc) = app.get_html("/verwaltung/stunden").await;
    assert!(text_of(&doc, "main").contains("Jonas Demo"));
    let seen = hours_seen(hours.started_at, hours.ended_at);
    let res = app
        .submit(
            "/verwaltung/stunden",
            &format!("/verwaltung/stunden/{}", hours.id),
            &[("decision", "approve"), ("seen", &seen)],
        )
        .await;
    assert_eq!(res.status(), 303);
    let month = starts_at
        .with_timezone(&chrono_tz::Europe::Berlin)
        .format("%Y-%m")
        .to_string();
    let res = app
        .get(&format!("/verwaltung/stunden.csv?monat={month}"))
        .await;
    assert_eq!(res.status(), 200);
    let csv = res.text().await.unwrap();
    assert!(csv.contains("Jonas Demo") && csv.contains("1,50"), "{csv}");
    let (status, doc) = app.get_html("/verwaltung/stunden?monat=2026-13").await;
    assert_eq!(status, 422);
    assert!(text_of(&doc, ".error-summary").contains("Monat"));
    app.submit("/konto", "/abmelden", &[]).await;

    // Approved hours are final; the volunteer's monthly sheet adds them up.
    app.login(VOLUNTEER.0, VOLUNTEER.1).await;
    let res = app
        .submit(&page, &action, &[("from", &start), ("to", &end)])
        .await;
    assert_eq!(res.status(), 422);
    let (status, doc) = app
        .get_html(&format!("/freiwillige/stunden?monat={month}"))
        .await;
    assert_eq!(status, 200);
    assert!(text_of(&doc, "main").contains("Smartphone-Sprechstunde im Seniorenheim Lindenhof"));
    assert!(text_of(&doc, ".lead").contains("Jonas Demo"));
});

/// A helper session for the first demo course date (with a booking) starting after `after`, with the
/// demo volunteer signed up; the session and the date's confirmed booking.
async fn helped_demo_date(app: &TestApp, after: chrono::DateTime<Utc>) -> (i32, booking::Model) {
    let volunteer = user_id(app, VOLUNTEER.0).await;
    let date = offer_date::Entity::find()
        .filter(offer_date::Column::OfferId.eq(1))
        .filter(offer_date::Column::StartsAt.gt(after))
        .order_by_asc(offer_date::Column::StartsAt)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let shift_id = course_session(
        app,
        date.id,
        "Hilfe im Smartphone-Kurs",
        (date.starts_at, date.ends_at),
    )
    .await;
    sign_up_directly(app, shift_id, volunteer).await;
    let confirmed = booking::Entity::find()
        .filter(booking::Column::DateId.eq(date.id))
        .filter(booking::Column::Status.eq("confirmed"))
        .one(&app.db)
        .await
        .unwrap()
        .expect("the demo date has a booking");
    (shift_id, confirmed)
}

// Any volunteer may sign up for an open session of any organisation: that alone must not show the
// names of a course's participants days ahead, nor let anyone mark them absent before the day.
on_both_backends!(
    helpers_see_names_the_day_before_and_mark_attendance_at_the_start,
    |app| {
        let (shift_id, confirmed) =
            helped_demo_date(&app, Utc::now() + chrono::Duration::days(2)).await;
        app.login(VOLUNTEER.0, VOLUNTEER.1).await;
        let page = format!("/verwaltung/einsaetze/{shift_id}");
        for path in [page.clone(), format!("{page}/liste")] {
            let (status, doc) = app.get_html(&path).await;
            assert_eq!(status, 200, "{path}");
            assert!(
                !doc.html().contains(&confirmed.name),
                "{path} names a participant"
            );
        }
        let res = app
            .submit(
                &page,
                &format!("{page}/anwesenheit"),
                &[
                    ("booking", &confirmed.id.to_string()),
                    ("attendance", "absent"),
                ],
            )
            .await;
        assert_eq!(res.status(), 422);
        let unmarked = booking::Entity::find_by_id(confirmed.id)
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(unmarked.attendance, None);
    }
);

on_both_backends!(attendance_and_session_notes_feed_the_statistics, |app| {
    let (shift_id, confirmed) = helped_demo_date(&app, Utc::now()).await;
    move_to_yesterday(&app, shift_id).await;

    app.login(VOLUNTEER.0, VOLUNTEER.1).await;
    let page = format!("/verwaltung/einsaetze/{shift_id}");
    let (status, doc) = app.get_html(&page).await;
    assert_eq!(status, 200);
    assert!(text_of(&doc, "#anwesenheit + p").contains("0 von"));
    let res = app
        .submit(
            &page,
            &format!("{page}/anwesenheit"),
            &[
                ("booking", &confirmed.id.to_string()),
                ("attendance", "present"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let marked = booking::Entity::find_by_id(confirmed.id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        marked
            .attendance
            .map(teilhabe::domain::booking::Attendance::key),
        Some("present")
    );

    let res = app
        .submit(
            &page,
            &format!("{page}/bericht"),
            &[
                ("walk_ins", "viele"),
                ("themen", "videotelefonie"),
                ("questions", "Wie erkenne ich falsche SMS?"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let doc = scraper::Html::parse_document(&res.text().await.unwrap());
    assert_eq!(text_of(&doc, "#questions"), "Wie erkenne ich falsche SMS?");
    assert!(!select(&doc, "#thema-videotelefonie[checked]").is_empty());
    assert_eq!(
        session_report::Entity::find().count(&app.db).await.unwrap(),
        0
    );
    let res = app
        .submit(
            &page,
            &format!("{page}/bericht"),
            &[
                ("walk_ins", "3"),
                ("themen", "videotelefonie"),
                ("themen", "sicher-im-netz"),
                ("questions", "Wie erkenne ich falsche SMS?"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let report = session_report::Entity::find_by_id(shift_id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(report.walk_ins, 3);
    assert_eq!(report.topics, "videotelefonie,sicher-im-netz");

    // The printed list names the participants for places without internet.
    let (status, doc) = app.get_html(&format!("{page}/liste")).await;
    assert_eq!(status, 200);
    assert!(text_of(&doc, "main").contains(&confirmed.name));
});

// Two helpers have the session page open; one saves the notes, then the other saves the older,
// empty form: that must not wipe the first helper's figures. It is refused with the stored notes
// shown and the input kept; saving again replaces them knowingly.
on_both_backends!(
    session_notes_from_an_older_page_do_not_replace_newer_ones,
    |app| {
        let (shift_id, _) = helped_demo_date(&app, Utc::now()).await;
        move_to_yesterday(&app, shift_id).await;
        app.login(VOLUNTEER.0, VOLUNTEER.1).await;
        let page = format!("/verwaltung/einsaetze/{shift_id}");
        let action = format!("{page}/bericht");
        let opened = app.hidden_fields(&page).await;
        let res = app
            .submit(
                &page,
                &action,
                &[
                    ("walk_ins", "3"),
                    ("themen", "videotelefonie"),
                    ("questions", "Wie erkenne ich falsche SMS?"),
                ],
            )
            .await;
        assert_eq!(res.status(), 303);

        let mut older: Vec<(&str, &str)> = vec![("walk_ins", "5"), ("questions", "")];
        older.extend(opened.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let res = app.post_form(&action, &older).await;
        let doc = refused_as_changed(
            res,
            "seit Sie die Seite geöffnet haben",
            "Wie erkenne ich falsche SMS?",
        )
        .await;
        assert_eq!(
            select(&doc, "#walk_ins")[0].value().attr("value"),
            Some("5")
        );
        let report = || async {
            session_report::Entity::find_by_id(shift_id)
                .one(&app.db)
                .await
                .unwrap()
                .unwrap()
        };
        assert_eq!(report().await.walk_ins, 3, "the first notes stand");
        assert_eq!(report().await.questions, "Wie erkenne ich falsche SMS?");

        let seen = select(&doc, "form[action$=\"/bericht\"] input[name=\"seen\"]")[0]
            .value()
            .attr("value")
            .unwrap()
            .to_owned();
        let csrf = opened
            .iter()
            .find(|(k, _)| k == "csrf_token")
            .unwrap()
            .1
            .clone();
        let res = app
            .post_form(
                &action,
                &[
                    ("walk_ins", "5"),
                    ("questions", ""),
                    ("seen", &seen),
                    ("csrf_token", &csrf),
                ],
            )
            .await;
        assert_eq!(
            res.status(),
            303,
            "saved again with the stored notes in view"
        );
        assert_eq!(report().await.walk_ins, 5);
    }
);

on_both_backends!(the_private_calendar_feed_can_be_revoked, |app| {
    let shift_id = session(&app, Duration::days(4), 1).await;
    sign_up_directly(&app, shift_id, user_id(&app, VOLUNTEER.0).await).await;
    app.login(VOLUNTEER.0, VOLUNTEER.1).await;
    let res = app
        .submit("/freiwillige", "/freiwillige/kalender", &[])
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let doc = scraper::Html::parse_document(&res.text().await.unwrap());
    let url = text_of(&doc, ".feed-url");
    let path = url.trim_start_matches("http://teilhabe.test").to_owned();
    assert!(path.starts_with("/freiwillige/kalender/") && path.ends_with(".ics"));

    let anonymous = reqwest::Client::new();
    let feed = anonymous.get(app.url(&path)).send().await.unwrap();
    assert_eq!(feed.status(), 200);
    assert!(
        feed.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/calendar")
    );
    let body = feed.text().await.unwrap();
    assert!(
        body.contains("Smartphone-Sprechstunde im Seniorenheim Lindenhof"),
        "{body}"
    );
    assert!(body.contains(&format!("UID:shift-{shift_id}@teilhabe")));

    let res = app
        .submit("/freiwillige", "/freiwillige/kalender/sperren", &[])
        .await;
    assert_eq!(res.status(), 303);
    let gone = anonymous.get(app.url(&path)).send().await.unwrap();
    assert_eq!(gone.status(), 404);
});

on_both_backends!(coverage_gaps_are_reminded_once_a_day, |app| {
    let desk = app.state().volunteer_reminders();
    let now = Utc::now();
    let sent = desk.remind_gaps(now).await.unwrap();
    assert!(sent >= 1, "the demo gaps of the Probierladen Erfurt");
    let mails = app.mails().await;
    let reminder = mails
        .iter()
        .find(|m| m.contains(&format!("To: {}", PROVIDER.0)) && m.contains("Helfende"))
        .expect("the coordinator gets a reminder");
    assert!(reminder.contains("Smartphone-Nachmittag im Seniorenzentrum Am Steiger"));
    // Another instance running the job at the same moment, or a minute later, sends nothing more.
    assert_eq!(desk.remind_gaps(now).await.unwrap(), 0);
    assert_eq!(desk.remind_gaps(now + Duration::hours(1)).await.unwrap(), 0);
    assert!(desk.remind_gaps(now + Duration::hours(25)).await.unwrap() >= 1);
});

/// A helper fills a gap while the reminders go out: the reminder read the gap before and claimed
/// it after, and the coordinators were asked to find help for a session that had it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gap_filled_while_the_reminders_go_out_is_not_reminded_of_on_postgres() {
    const FILLED: &str = "Smartphone-Nachmittag im Seniorenzentrum Am Steiger";
    let Some(app) =
        crate::helpers::spawn_app(crate::helpers::Backend::Postgres, Default::default()).await
    else {
        return;
    };
    let filling = crate::helpers::holding(
        &app.db,
        &format!(
            "UPDATE volunteer_shifts SET signed_up = volunteers_needed WHERE title = '{FILLED}'"
        ),
    )
    .await;
    let desk = app.state().volunteer_reminders();
    let reminding = tokio::spawn(async move { desk.remind_gaps(Utc::now()).await.unwrap() });
    crate::helpers::until_someone_waits_for_a_lock(&app.db).await;
    filling.commit().await.unwrap();
    reminding.await.unwrap();
    let mails = app.mails().await;
    assert!(
        mails.iter().all(|m| !m.contains(FILLED)),
        "a filled session was reminded of"
    );
}

// The claim on a gap and its reminder are one step: a reminder that could not be queued is tried
// again on the next run instead of counting as sent for a day.
on_both_backends!(
    a_gap_reminder_that_was_not_queued_is_sent_next_time,
    |app| {
        let desk = app.state().volunteer_reminders();
        let now = Utc::now();
        refuse_inserts(&app.db, "outbox", true).await;
        assert!(desk.remind_gaps(now).await.is_err());
        refuse_inserts(&app.db, "outbox", false).await;

        assert!(desk.remind_gaps(now).await.unwrap() >= 1);
        assert!(
            app.mails()
                .await
                .iter()
                .any(|m| m.contains(&format!("To: {}", PROVIDER.0)) && m.contains("Helfende")),
            "the coordinator gets the reminder after all"
        );
    }
);

// The session is within the notice period, so its coordinators are told at once; the person, also
// a coordinator there, gets no mail at the address being deleted.
on_both_backends!(deleting_the_account_frees_the_volunteers_places, |app| {
    let volunteer = user_id(&app, VOLUNTEER.0).await;
    give_role(
        &app,
        volunteer,
        "provider_staff",
        Some(probierladen_erfurt(&app).await),
    )
    .await;
    let shift_id = session(&app, Duration::hours(10), 1).await;
    sign_up_directly(&app, shift_id, volunteer).await;
    let data = teilhabe::services::accounts::export(&app.db, &app.state().pseudonyms, volunteer)
        .await
        .unwrap();
    assert!(
        data["volunteer_signups"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["session_id"] == shift_id)
    );
    assert!(!data["volunteer_hours"].as_array().unwrap().is_empty());
    teilhabe::services::accounts::delete_account(
        &app.desk(),
        &app.state().volunteer_sign_up(),
        &app.state().pseudonyms,
        volunteer,
        Utc::now(),
    )
    .await
    .unwrap();
    let shift = volunteer_shift::Entity::find_by_id(shift_id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(shift.signed_up, 0);
    assert_eq!(
        volunteer_signup::Entity::find()
            .filter(volunteer_signup::Column::UserId.eq(volunteer))
            .count(&app.db)
            .await
            .unwrap(),
        0
    );
    let mails = app.mails().await;
    assert!(
        mails
            .iter()
            .any(|m| m.contains(&format!("To: {}", PROVIDER.0))
                && m.contains("Kurzfristige")
                && m.contains(&format!("/verwaltung/einsaetze/{shift_id}"))),
        "the coordinator is told the session lost its helper"
    );
    // Not who: the person asked for erasure, and the mail is kept for days.
    let late: Vec<&String> = mails
        .iter()
        .filter(|m| m.contains(&format!("To: {}", PROVIDER.0)) && m.contains("Kurzfristige"))
        .collect();
    assert!(
        late.iter()
            .all(|m| !m.contains("Jonas Demo") && m.contains("Eine helfende Person")),
        "{late:?}"
    );
    assert!(
        !mails
            .iter()
            .any(|m| m.contains(&format!("To: {}", VOLUNTEER.0))),
        "nothing goes to the deleted address"
    );
});

// Deleting an account takes the person's hours and sign-ups, not the figures of sessions already
// held: the statistics of past months stay as they were exported.
on_both_backends!(
    deleting_the_account_keeps_the_figures_of_sessions_held,
    |app| {
        let volunteer = user_id(&app, VOLUNTEER.0).await;
        let held = session(&app, Duration::days(4), 2).await;
        sign_up_directly(&app, held, volunteer).await;
        let started_at = move_to_yesterday(&app, held).await;
        volunteer_hours::ActiveModel {
            shift_id: Set(held),
            user_id: Set(volunteer),
            started_at: Set(started_at),
            ended_at: Set(started_at + Duration::minutes(150)),
            minutes: Set(150),
            status: Set(HoursStatus::Approved),
            decided_at: Set(Some(started_at)),
            created_at: Set(started_at),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .unwrap();
        let ahead = session(&app, Duration::days(4), 2).await;
        sign_up_directly(&app, ahead, volunteer).await;

        teilhabe::services::accounts::delete_account(
            &app.desk(),
            &app.state().volunteer_sign_up(),
            &app.state().pseudonyms,
            volunteer,
            Utc::now(),
        )
        .await
        .unwrap();
        let shifts: std::collections::HashMap<i32, volunteer_shift::Model> =
            volunteer_shift::Entity::find()
                .filter(volunteer_shift::Column::Id.is_in([held, ahead]))
                .all(&app.db)
                .await
                .unwrap()
                .into_iter()
                .map(|s| (s.id, s))
                .collect();
        let (held, ahead) = (&shifts[&held], &shifts[&ahead]);
        assert_eq!(
            (held.signed_up, held.departed_minutes),
            (1, 150),
            "the session held keeps its helper and hours"
        );
        assert_eq!(ahead.signed_up, 0, "the session ahead needs a helper again");
        assert_eq!(
            volunteer_hours::Entity::find()
                .filter(volunteer_hours::Column::UserId.eq(volunteer))
                .count(&app.db)
                .await
                .unwrap(),
            0,
            "the person's own hours are gone"
        );
    }
);

/// A coordinator approves a helper's hours while the helper's account is being deleted (on
/// PostgreSQL, where both run at once): the approved minutes stay in the session's figures. The
/// approval here is held open the way `decide_hours` holds it: the session locked, the entry
/// changed, not yet committed. The deletion sums the approved hours only after it has locked every
/// session the person signed up for, past ones too (hours need a sign-up, and sign-ups are never
/// removed); locking only the sessions ahead would lose these minutes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hours_approved_while_the_account_is_deleted_stay_counted_on_postgres() {
    use sea_orm::{ConnectionTrait, TransactionTrait};
    let Some(app) =
        crate::helpers::spawn_app(crate::helpers::Backend::Postgres, Default::default()).await
    else {
        return;
    };
    let volunteer = user_id(&app, VOLUNTEER.0).await;
    let held = session(&app, Duration::days(4), 2).await;
    sign_up_directly(&app, held, volunteer).await;
    let started_at = move_to_yesterday(&app, held).await;
    let hours = volunteer_hours::ActiveModel {
        shift_id: Set(held),
        user_id: Set(volunteer),
        started_at: Set(started_at),
        ended_at: Set(started_at + Duration::minutes(90)),
        minutes: Set(90),
        status: Set(HoursStatus::Submitted),
        created_at: Set(started_at),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();

    let coordinator = teilhabe::db::connect(&app.settings).await.unwrap();
    let deciding = coordinator.begin().await.unwrap();
    deciding
        .execute_unprepared(&format!(
            "SELECT id FROM volunteer_shifts WHERE id = {held} FOR UPDATE"
        ))
        .await
        .unwrap();
    volunteer_hours::Entity::update_many()
        .col_expr(
            volunteer_hours::Column::Status,
            sea_orm::sea_query::Expr::value(HoursStatus::Approved),
        )
        .filter(volunteer_hours::Column::Id.eq(hours.id))
        .exec(&deciding)
        .await
        .unwrap();

    let deletion = tokio::spawn({
        let (desk, sign_up, pseudonyms) = (
            app.desk(),
            app.state().volunteer_sign_up(),
            app.state().pseudonyms.clone(),
        );
        async move {
            teilhabe::services::accounts::delete_account(
                &desk,
                &sign_up,
                &pseudonyms,
                volunteer,
                Utc::now(),
            )
            .await
        }
    });
    until_someone_waits_for_a_lock(&app.db).await;
    deciding.commit().await.unwrap();
    deletion.await.unwrap().unwrap();

    let shift = volunteer_shift::Entity::find_by_id(held)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        shift.departed_minutes, 90,
        "the approved minutes are counted, not deleted with the account"
    );
}

on_both_backends!(
    helper_sessions_follow_their_dates_and_cancelled_ones_take_nothing,
    |app| {
        let volunteer = user_id(&app, VOLUNTEER.0).await;
        let date = offer_date::Entity::find()
            .filter(offer_date::Column::OfferId.eq(2))
            .filter(offer_date::Column::StartsAt.gt(Utc::now()))
            .order_by_asc(offer_date::Column::StartsAt)
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        let desk = app.state().volunteer_planning();
        let shift_id = desk
            .create(
                &None,
                ShiftInput {
                    organisation_id: None,
                    title: "Hilfe beim Onlinebanking-Kurs".into(),
                    kind: ShiftKind::CourseAssistance,
                    starts_at: date.starts_at,
                    ends_at: date.ends_at,
                    place: ShiftPlace::Elsewhere {
                        place: "Kursraum".into(),
                        district: DistrictKey::parse("16051").unwrap(),
                    },
                    volunteers_needed: 1,
                    participants_per_helper: None,
                    skills: String::new(),
                    offer_date_id: Some(date.id),
                },
                1,
                Utc::now(),
            )
            .await
            .unwrap();
        sign_up_directly(&app, shift_id, volunteer).await;

        // The provider cancels the course date: the helper session goes with it, the helper is told.
        app.login(PROVIDER.0, PROVIDER.1).await;
        let page = format!("/verwaltung/termine/{}", date.id);
        let res = app.submit(&page, &format!("{page}/absagen"), &[]).await;
        assert_eq!(res.status(), 303);
        let shift = volunteer_shift::Entity::find_by_id(shift_id)
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(shift.status, ShiftStatus::Cancelled);
        let mails = app.mails().await;
        assert!(
            mails
                .iter()
                .any(|m| m.contains(&format!("To: {}", VOLUNTEER.0))
                    && m.contains("Einsatz abgesagt")),
            "the helper is told"
        );
        app.submit("/konto", "/abmelden", &[]).await;

        // A cancelled session takes no hours and no notes, even once its time has come.
        move_to_yesterday(&app, shift_id).await;
        app.login(VOLUNTEER.0, VOLUNTEER.1).await;
        let page = format!("/verwaltung/einsaetze/{shift_id}");
        let (_, doc) = app.get_html(&page).await;
        assert!(select(&doc, "form[action$=\"/stunden\"]").is_empty());
        let res = app
            .submit(
                &page,
                &format!("{page}/stunden"),
                &[("from", "10:00"), ("to", "11:00")],
            )
            .await;
        assert_eq!(res.status(), 422);
        assert_eq!(
            volunteer_hours::Entity::find()
                .filter(volunteer_hours::Column::ShiftId.eq(shift_id))
                .count(&app.db)
                .await
                .unwrap(),
            0
        );
    }
);

// The coordinator's list shows an hour; the volunteer corrects the entry to three before the
// coordinator clicks "approve": the click must not approve three hours nobody looked at.
on_both_backends!(
    hours_corrected_after_the_list_was_loaded_are_not_approved_unseen,
    |app| {
        let volunteer = user_id(&app, VOLUNTEER.0).await;
        let coordinator = user_id(&app, PROVIDER.0).await;
        let shift_id = session(&app, Duration::days(3), 1).await;
        sign_up_directly(&app, shift_id, volunteer).await;
        let starts_at = move_to_yesterday(&app, shift_id).await;
        let desk = app.state().volunteer_hours();
        let shift = app
            .state()
            .volunteer_session()
            .shift(shift_id, Some(volunteer))
            .await
            .unwrap();
        let log = |hours: i64| {
            let desk = desk.clone();
            let shift = shift.clone();
            let db = app.db.clone();
            async move {
                let worked = teilhabe::domain::volunteering::WorkedTime {
                    started_at: starts_at,
                    ended_at: starts_at + Duration::hours(hours),
                };
                desk.log_hours(&shift, volunteer, worked, Utc::now())
                    .await
                    .unwrap();
                volunteer_hours::Entity::find()
                    .filter(volunteer_hours::Column::ShiftId.eq(shift_id))
                    .one(&db)
                    .await
                    .unwrap()
                    .unwrap()
            }
        };
        let shown = log(1).await;
        let seen = hours_seen(shown.started_at, shown.ended_at);
        let corrected = log(3).await;
        assert_eq!((corrected.id, corrected.minutes), (shown.id, 180));
        assert!(matches!(
            desk.decide_hours(shown.id, &seen, &None, true, coordinator, Utc::now())
                .await,
            Err(VolunteeringError::Refused("error-hours-changed"))
        ));
        let still = volunteer_hours::Entity::find_by_id(shown.id)
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(still.status, HoursStatus::Submitted);
        // Looked at again, the correction is approved as it stands.
        let seen = hours_seen(still.started_at, still.ended_at);
        desk.decide_hours(shown.id, &seen, &None, true, coordinator, Utc::now())
            .await
            .unwrap();
        let approved = volunteer_hours::Entity::find_by_id(shown.id)
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (approved.status, approved.minutes),
            (HoursStatus::Approved, 180)
        );
    }
);

on_both_backends!(nobody_approves_their_own_hours, |app| {
    let provider = user_id(&app, PROVIDER.0).await;
    // A coordinator who helps as well holds the volunteer role too.
    give_role(&app, provider, "volunteer", None).await;
    let (shift_id, _) = hour_logged_yesterday(&app, provider).await;
    let desk = app.state().volunteer_hours();
    let hours = volunteer_hours::Entity::find()
        .filter(volunteer_hours::Column::ShiftId.eq(shift_id))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(
        desk.decide_hours(
            hours.id,
            &hours_seen(hours.started_at, hours.ended_at),
            &None,
            true,
            provider,
            Utc::now()
        )
        .await,
        Err(VolunteeringError::Refused("error-hours-own"))
    ));
    let unchanged = volunteer_hours::Entity::find_by_id(hours.id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(unchanged.status, HoursStatus::Submitted);
});

/// Saves the date form of `date` with its times moved by `by`, everything else as it is.
async fn move_date_by(app: &TestApp, date: &offer_date::Model, by: Duration) -> reqwest::Response {
    let local = |at: chrono::DateTime<Utc>, format: &str| {
        at.with_timezone(&chrono_tz::Europe::Berlin)
            .format(format)
            .to_string()
    };
    let (starts_at, ends_at) = (date.starts_at + by, date.ends_at + by);
    let page = format!("/verwaltung/termine/{}/bearbeiten", date.id);
    app.submit(
        &page,
        &page,
        &[
            ("day", &local(starts_at, "%Y-%m-%d")),
            ("start", &local(starts_at, "%H:%M")),
            ("end", &local(ends_at, "%H:%M")),
            ("capacity", &date.capacity.to_string()),
            ("max_places", &date.max_places_per_booking.to_string()),
            ("min_participants", &date.min_participants.to_string()),
            ("walk_in_places", &date.walk_in_places.to_string()),
        ],
    )
    .await
}

// A coordinator plans helpers half an hour before and after the course. Another date of the same
// course moving or being cancelled leaves that session alone; its own date moving takes it along,
// lead and all.
on_both_backends!(
    helper_sessions_keep_their_own_times_and_move_only_with_their_date,
    |app| {
        let coming = offer_date::Entity::find()
            .filter(offer_date::Column::StartsAt.gt(Utc::now() + Duration::days(2)))
            .filter(offer_date::Column::SeriesLeadId.is_null())
            .order_by_asc(offer_date::Column::OfferId)
            .order_by_asc(offer_date::Column::StartsAt)
            .all(&app.db)
            .await
            .unwrap();
        let (own, other) = coming
            .windows(2)
            .find(|pair| {
                pair[0].offer_id == pair[1].offer_id
                    && pair.iter().all(|d| !d.status.is_cancelled())
                    && pair[1].starts_at - pair[0].ends_at > Duration::hours(3)
            })
            .map(|pair| (pair[0].clone(), pair[1].clone()))
            .expect("a course with two coming dates");
        let volunteer = user_id(&app, VOLUNTEER.0).await;
        let planned = (
            own.starts_at - Duration::minutes(30),
            own.ends_at + Duration::minutes(30),
        );
        let shift_id = course_session(
            &app,
            own.id,
            "Aufbau und Hilfe im Kurs",
            (planned.0, planned.1),
        )
        .await;
        sign_up_directly(&app, shift_id, volunteer).await;
        let session_times = || async {
            let shift = volunteer_shift::Entity::find_by_id(shift_id)
                .one(&app.db)
                .await
                .unwrap()
                .unwrap();
            (shift.status, shift.starts_at, shift.ends_at)
        };
        let told_of_change = || async {
            app.mails()
                .await
                .iter()
                .filter(|m| {
                    m.contains(&format!("To: {}", VOLUNTEER.0)) && m.contains("Er beginnt jetzt am")
                })
                .count()
        };

        let (admin, password) = crate::helpers::DEMO_PASSWORD_ADMIN;
        assert_eq!(app.login(admin, password).await.status(), 303);
        let res = move_date_by(&app, &other, Duration::hours(1)).await;
        assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
        let page = format!("/verwaltung/termine/{}", other.id);
        let res = app.submit(&page, &format!("{page}/absagen"), &[]).await;
        assert_eq!(res.status(), 303);
        assert_eq!(
            session_times().await,
            (ShiftStatus::Open, planned.0, planned.1),
            "another date's change left the session alone"
        );
        assert_eq!(told_of_change().await, 0);

        let res = move_date_by(&app, &own, Duration::hours(2)).await;
        assert_eq!(res.status(), 303);
        assert_eq!(
            session_times().await,
            (
                ShiftStatus::Open,
                planned.0 + Duration::hours(2),
                planned.1 + Duration::hours(2)
            ),
            "the session moved with its date and kept its half hour before and after"
        );
        assert_eq!(told_of_change().await, 1);
    }
);

// A coordinator opens a session's form; meanwhile its course date moves and takes the session
// along. Saving the older form must not put the session back at the old time behind everyone's
// back: it is refused with the stored time shown and the coordinator's input kept, and saving
// again (now with the new time in view) goes through.
on_both_backends!(
    a_session_form_opened_before_its_date_moved_cannot_undo_the_move,
    |app| {
        let date = offer_date::Entity::find()
            .filter(offer_date::Column::StartsAt.gt(Utc::now() + Duration::days(2)))
            .filter(offer_date::Column::SeriesLeadId.is_null())
            .filter(offer_date::Column::Status.ne("cancelled"))
            .order_by_asc(offer_date::Column::StartsAt)
            .one(&app.db)
            .await
            .unwrap()
            .expect("a coming date");
        let shift_id = course_session(
            &app,
            date.id,
            "Hilfe im Kurs",
            (date.starts_at, date.ends_at),
        )
        .await;
        let stored = || async {
            volunteer_shift::Entity::find_by_id(shift_id)
                .one(&app.db)
                .await
                .unwrap()
                .unwrap()
        };
        let (admin, password) = crate::helpers::DEMO_PASSWORD_ADMIN;
        assert_eq!(app.login(admin, password).await.status(), 303);
        let form_page = format!("/verwaltung/einsaetze/{shift_id}/bearbeiten");
        let opened = app.hidden_fields(&form_page).await;
        let res = move_date_by(&app, &date, Duration::hours(2)).await;
        assert_eq!(res.status(), 303);
        let moved = (
            date.starts_at + Duration::hours(2),
            date.ends_at + Duration::hours(2),
        );
        assert_eq!((stored().await.starts_at, stored().await.ends_at), moved);

        let local = |at: chrono::DateTime<Utc>, format: &str| {
            at.with_timezone(&chrono_tz::Europe::Berlin)
                .format(format)
                .to_string()
        };
        let entered = [
            ("title", "Hilfe im Kurs, mit Aufbau".to_owned()),
            ("kind", "course-assistance".to_owned()),
            ("day", local(date.starts_at, "%Y-%m-%d")),
            ("start", local(date.starts_at, "%H:%M")),
            ("end", local(date.ends_at, "%H:%M")),
            ("venue", String::new()),
            ("place", "Kursraum".to_owned()),
            ("district", "16051".to_owned()),
            ("volunteers_needed", "2".to_owned()),
            ("skills", String::new()),
        ];
        let post = |hidden: Vec<(String, String)>| {
            let mut fields: Vec<(String, String)> = entered
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect();
            fields.extend(hidden);
            let action = form_page.clone();
            let app = &app;
            async move {
                let pairs: Vec<(&str, &str)> = fields
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                app.post_form(&action, &pairs).await
            }
        };

        let res = post(opened).await;
        let doc = refused_as_changed(
            res,
            "seit Sie das Formular geöffnet haben",
            &local(moved.0, "%H:%M"),
        )
        .await;
        assert_eq!(
            select(&doc, "#title")[0].value().attr("value"),
            Some("Hilfe im Kurs, mit Aufbau"),
            "the input is kept"
        );
        let shift = stored().await;
        assert_eq!((shift.starts_at, shift.ends_at), moved, "the move stands");
        assert_eq!(shift.title, "Hilfe im Kurs");
        assert_eq!(shift.volunteers_needed, 1);

        let again: Vec<(String, String)> = select(&doc, "main form input[type=\"hidden\"]")
            .iter()
            .filter_map(|e| {
                Some((
                    e.value().attr("name")?.to_owned(),
                    e.value().attr("value")?.to_owned(),
                ))
            })
            .collect();
        let res = post(again).await;
        assert_eq!(res.status(), 303, "saved again with the new time in view");
        let shift = stored().await;
        assert_eq!(
            (shift.starts_at, shift.ends_at),
            (date.starts_at, date.ends_at)
        );
        assert_eq!(shift.title, "Hilfe im Kurs, mit Aufbau");
        assert_eq!(shift.volunteers_needed, 2);
    }
);

// Moving a date stores the new time together with the mails to everyone booked, or not at all: a
// failure halfway must not leave a moved date that nobody was told about (saving the form again
// would find no change to announce).
on_both_backends!(
    a_moved_date_is_never_stored_without_its_announcement,
    |app| {
        let booked = booking::Entity::find()
            .filter(booking::Column::Status.eq("confirmed"))
            .filter(booking::Column::Email.is_not_null())
            .order_by_asc(booking::Column::Id)
            .all(&app.db)
            .await
            .unwrap();
        let mut date = None;
        for b in &booked {
            let d = offer_date::Entity::find_by_id(b.date_id)
                .one(&app.db)
                .await
                .unwrap()
                .unwrap();
            if d.starts_at > Utc::now() + Duration::days(2)
                && d.series_lead_id.is_none()
                && !d.status.is_cancelled()
            {
                date = Some(d);
                break;
            }
        }
        let date = date.expect("a coming date with a booking");
        let (admin, password) = crate::helpers::DEMO_PASSWORD_ADMIN;
        assert_eq!(app.login(admin, password).await.status(), 303);
        let mails_before = app.mails().await.len();

        refuse_inserts(&app.db, "outbox", true).await;
        let res = move_date_by(&app, &date, Duration::hours(1)).await;
        refuse_inserts(&app.db, "outbox", false).await;
        // Refused by the database: a conflict on SQLite (the trigger aborts), an error on PostgreSQL.
        assert!(
            res.status() == 409 || res.status().is_server_error(),
            "{}",
            res.status()
        );
        let stored = offer_date::Entity::find_by_id(date.id)
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (stored.starts_at, stored.revision),
            (date.starts_at, date.revision),
            "the move was kept without its mails"
        );

        // Saved again, the move goes through with its mails.
        let res = move_date_by(&app, &date, Duration::hours(1)).await;
        assert_eq!(res.status(), 303);
        assert!(app.mails().await.len() > mails_before, "people are told");
    }
);

// At the end of the FSJ year the administrator revokes the volunteer role: the person can no longer
// help nor withdraw, so the sessions ahead they had signed up for need a helper again and show as
// gaps; a session already held keeps them and its figures. A session within the notice period
// (48 hours) is told to its coordinators at once, as when the person withdraws late.
on_both_backends!(
    revoking_the_volunteer_role_withdraws_the_sign_ups_ahead,
    |app| {
        let volunteer = user_id(&app, VOLUNTEER.0).await;
        let ahead = [
            session(&app, Duration::hours(10), 1).await,
            session(&app, Duration::days(3), 1).await,
            session(&app, Duration::days(4), 1).await,
        ];
        for shift_id in ahead {
            sign_up_directly(&app, shift_id, volunteer).await;
        }
        let held = session(&app, Duration::days(5), 1).await;
        sign_up_directly(&app, held, volunteer).await;
        move_to_yesterday(&app, held).await;

        let role = volunteer_role_of(&app, volunteer).await;
        let (admin, password) = crate::helpers::DEMO_PASSWORD_ADMIN;
        app.login(admin, password).await;
        let page = format!("/verwaltung/nutzer/{volunteer}");
        let res = app
            .submit(&page, &format!("{page}/rollen/{}/entziehen", role.id), &[])
            .await;
        assert_eq!(res.status(), 303);

        let signups: std::collections::HashMap<i32, volunteer_signup::Model> =
            volunteer_signup::Entity::find()
                .filter(volunteer_signup::Column::UserId.eq(volunteer))
                .all(&app.db)
                .await
                .unwrap()
                .into_iter()
                .map(|s| (s.shift_id, s))
                .collect();
        let shifts: std::collections::HashMap<i32, volunteer_shift::Model> =
            volunteer_shift::Entity::find()
                .all(&app.db)
                .await
                .unwrap()
                .into_iter()
                .map(|s| (s.id, s))
                .collect();
        for shift_id in ahead {
            assert_eq!(
                signups[&shift_id].status,
                teilhabe::domain::volunteering::SignupStatus::Withdrawn,
                "the sign-up ahead is withdrawn"
            );
            assert!(signups[&shift_id].withdrawn_at.is_some());
            assert_eq!(
                shifts[&shift_id].signed_up, 0,
                "the session needs a helper again"
            );
        }
        assert_eq!(
            (signups[&held].status, shifts[&held].signed_up),
            (teilhabe::domain::volunteering::SignupStatus::Active, 1),
            "the session held keeps its helper"
        );
        let late: Vec<String> = app
            .mails()
            .await
            .into_iter()
            .filter(|m| m.contains(&format!("To: {}", PROVIDER.0)) && m.contains("Kurzfristige"))
            .collect();
        assert_eq!(late.len(), 1, "one late withdrawal, told once: {late:?}");
        assert!(late[0].contains(&format!("/verwaltung/einsaetze/{}", ahead[0])));
        assert!(late[0].contains("Jonas Demo"));
        let gaps = app
            .state()
            .volunteer_planning()
            .gaps(&None, Utc::now())
            .await
            .unwrap();
        for shift_id in ahead {
            assert!(
                gaps.iter().any(|g| g.id == shift_id),
                "the organisers see the gap"
            );
        }
    }
);

// Once a session has begun its helpers are there: it can no longer be called off, and the reason
// is shown next to the action.
on_both_backends!(a_session_that_has_begun_cannot_be_cancelled, |app| {
    let shift_id = session(&app, Duration::days(3), 1).await;
    sign_up_directly(&app, shift_id, user_id(&app, VOLUNTEER.0).await).await;
    let shift = volunteer_shift::Entity::find_by_id(shift_id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let mut model: volunteer_shift::ActiveModel = shift.into();
    model.starts_at = Set(Utc::now() - Duration::hours(1));
    model.ends_at = Set(Utc::now() + Duration::hours(1));
    model.update(&app.db).await.unwrap();

    app.login(PROVIDER.0, PROVIDER.1).await;
    let page = format!("/verwaltung/einsaetze/{shift_id}");
    let res = app.submit(&page, &format!("{page}/absagen"), &[]).await;
    assert_eq!(res.status(), 422);
    let doc = scraper::Html::parse_document(&res.text().await.unwrap());
    assert!(
        text_of(&doc, ".error-summary").contains("hat schon begonnen"),
        "the reason is shown"
    );
    let shift = volunteer_shift::Entity::find_by_id(shift_id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((shift.status, shift.signed_up), (ShiftStatus::Open, 1));
});

// Hours logged for a session that was cancelled afterwards (or by an older version while it ran)
// are not approved: nobody helped there. They can still be rejected, so the list gets cleared.
on_both_backends!(hours_of_a_cancelled_session_are_not_approved, |app| {
    let volunteer = user_id(&app, VOLUNTEER.0).await;
    let coordinator = user_id(&app, PROVIDER.0).await;
    let (shift_id, _) = hour_logged_yesterday(&app, volunteer).await;
    let desk = app.state().volunteer_hours();
    let mut model: volunteer_shift::ActiveModel = volunteer_shift::Entity::find_by_id(shift_id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .into();
    model.status = Set(ShiftStatus::Cancelled);
    model.update(&app.db).await.unwrap();
    let hours = volunteer_hours::Entity::find()
        .filter(volunteer_hours::Column::ShiftId.eq(shift_id))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let seen = hours_seen(hours.started_at, hours.ended_at);

    app.login(PROVIDER.0, PROVIDER.1).await;
    let (_, doc) = app.get_html("/verwaltung/stunden").await;
    assert!(
        select(
            &doc,
            &format!(
                "form[action=\"/verwaltung/stunden/{}\"] button[value=\"approve\"]",
                hours.id
            )
        )
        .is_empty(),
        "no approve button"
    );
    let res = app
        .submit(
            "/verwaltung/stunden",
            &format!("/verwaltung/stunden/{}", hours.id),
            &[("decision", "approve"), ("seen", &seen)],
        )
        .await;
    assert_eq!(res.status(), 422);
    let doc = scraper::Html::parse_document(&res.text().await.unwrap());
    assert!(text_of(&doc, ".error-summary").contains("abgesagt"));
    let still = volunteer_hours::Entity::find_by_id(hours.id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(still.status, HoursStatus::Submitted);

    desk.decide_hours(hours.id, &seen, &None, false, coordinator, Utc::now())
        .await
        .unwrap();
    let rejected = volunteer_hours::Entity::find_by_id(hours.id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rejected.status, HoursStatus::Rejected);
});

// The volunteer saves a correction (three hours instead of one) while the coordinator's click on
// "approve" for the hour shown waits for the session's lock: the click must neither approve the
// correction unseen nor report a decision that was never stored.
on_both_backends!(
    hours_corrected_while_the_approval_waits_are_not_reported_decided,
    |app| {
        let volunteer = user_id(&app, VOLUNTEER.0).await;
        let coordinator = user_id(&app, PROVIDER.0).await;
        let (shift_id, starts_at) = hour_logged_yesterday(&app, volunteer).await;
        let desk = app.state().volunteer_hours();
        let shown = volunteer_hours::Entity::find()
            .filter(volunteer_hours::Column::ShiftId.eq(shift_id))
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        let seen = hours_seen(shown.started_at, shown.ended_at);

        // The correction, holding the session's lock as `log_hours` does.
        use sea_orm::QuerySelect;
        let correction = teilhabe::db::begin_write(&app.db).await.unwrap();
        volunteer_shift::Entity::find_by_id(shift_id)
            .lock_exclusive()
            .one(&correction)
            .await
            .unwrap();
        let mut model: volunteer_hours::ActiveModel = shown.clone().into();
        model.ended_at = Set(starts_at + Duration::hours(3));
        model.minutes = Set(180);
        model.update(&correction).await.unwrap();
        let decision = tokio::spawn({
            let desk = desk.clone();
            async move {
                desk.decide_hours(shown.id, &seen, &None, true, coordinator, Utc::now())
                    .await
            }
        });
        until_someone_waits_for_a_lock(&app.db).await;
        correction.commit().await.unwrap();
        let decided = decision.await.unwrap();
        assert!(
            matches!(
                decided,
                Err(VolunteeringError::Refused("error-hours-changed"))
            ),
            "{decided:?}"
        );
        let still = volunteer_hours::Entity::find_by_id(shown.id)
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((still.status, still.minutes), (HoursStatus::Submitted, 180));
    }
);

/// A course-assistance session for the date `date_id` in its course room, needing one helper, at
/// `times` (start, end).
async fn course_session(
    app: &TestApp,
    date_id: i32,
    title: &str,
    times: (chrono::DateTime<Utc>, chrono::DateTime<Utc>),
) -> i32 {
    app.state()
        .volunteer_planning()
        .create(
            &None,
            ShiftInput {
                organisation_id: None,
                title: title.into(),
                kind: ShiftKind::CourseAssistance,
                starts_at: times.0,
                ends_at: times.1,
                place: ShiftPlace::Elsewhere {
                    place: "Kursraum".into(),
                    district: DistrictKey::parse("16051").unwrap(),
                },
                volunteers_needed: 1,
                participants_per_helper: None,
                skills: String::new(),
                offer_date_id: Some(date_id),
            },
            1,
            Utc::now(),
        )
        .await
        .unwrap()
}

/// A helper session for `date` (its helpers set up the room half an hour early) with the demo
/// volunteer signed up.
async fn setup_session(app: &TestApp, date: &offer_date::Model) -> i32 {
    let starts_at = date.starts_at - Duration::minutes(30);
    let shift_id = course_session(
        app,
        date.id,
        "Kursraum vorbereiten",
        (starts_at, date.ends_at),
    )
    .await;
    sign_up_directly(app, shift_id, user_id(app, VOLUNTEER.0).await).await;
    shift_id
}

/// Refuses (or allows again) every change of a helper session's status, as a failing database would.
async fn refuse_shift_cancellation(db: &sea_orm::DatabaseConnection, refuse: bool) {
    use sea_orm::ConnectionTrait;
    let postgres = db.get_database_backend() == sea_orm::DatabaseBackend::Postgres;
    let sql = match (postgres, refuse) {
        (true, true) => "CREATE FUNCTION refuse_shift() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'refused'; END $$ LANGUAGE plpgsql;
             CREATE TRIGGER refuse_shift BEFORE UPDATE OF status ON volunteer_shifts FOR EACH ROW EXECUTE FUNCTION refuse_shift();",
        (true, false) => "DROP TRIGGER refuse_shift ON volunteer_shifts; DROP FUNCTION refuse_shift();",
        (false, true) => "CREATE TRIGGER refuse_shift BEFORE UPDATE OF status ON volunteer_shifts BEGIN SELECT RAISE(ABORT, 'refused'); END;",
        (false, false) => "DROP TRIGGER refuse_shift;",
    };
    db.execute_unprepared(sql).await.unwrap();
}

// Cancelling a course date cancels its helper sessions ahead in the same step: a failure leaves
// both as they were (never a cancelled date with open sessions), a session that has begun stays for
// its helpers' hours, and the mail names the session's own time, not the course's. Helpers of a
// session under way (setting up the room) are told that nobody will come; those of a session
// already over are not.
on_both_backends!(
    a_cancelled_date_takes_its_helper_sessions_ahead_in_one_step,
    |app| {
        let date = offer_date::Entity::find()
            .filter(offer_date::Column::OfferId.eq(2))
            .filter(offer_date::Column::StartsAt.gt(Utc::now()))
            .order_by_asc(offer_date::Column::StartsAt)
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        let ahead = setup_session(&app, &date).await;
        let begun = setup_session(&app, &date).await;
        move_to_yesterday(&app, begun).await;
        let under_way = setup_session(&app, &date).await;
        let shift = volunteer_shift::Entity::find_by_id(under_way)
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        let mut model: volunteer_shift::ActiveModel = shift.into();
        model.starts_at = Set(Utc::now() - Duration::minutes(10));
        model.update(&app.db).await.unwrap();
        let ahead_starts = date.starts_at - Duration::minutes(30);
        let status = |id: i32| {
            let db = app.db.clone();
            async move {
                volunteer_shift::Entity::find_by_id(id)
                    .one(&db)
                    .await
                    .unwrap()
                    .unwrap()
                    .status
            }
        };
        let date_cancelled = || {
            let db = app.db.clone();
            async move {
                offer_date::Entity::find_by_id(date.id)
                    .one(&db)
                    .await
                    .unwrap()
                    .unwrap()
                    .status
                    .is_cancelled()
            }
        };

        app.login(PROVIDER.0, PROVIDER.1).await;
        let page = format!("/verwaltung/termine/{}", date.id);
        refuse_shift_cancellation(&app.db, true).await;
        let res = app.submit(&page, &format!("{page}/absagen"), &[]).await;
        assert!(!res.status().is_redirection(), "not reported as done");
        refuse_shift_cancellation(&app.db, false).await;
        assert!(
            !date_cancelled().await,
            "the date is not cancelled without its helper session"
        );
        assert_eq!(status(ahead).await, ShiftStatus::Open);

        let res = app.submit(&page, &format!("{page}/absagen"), &[]).await;
        assert_eq!(res.status(), 303);
        assert!(date_cancelled().await);
        assert_eq!(status(ahead).await, ShiftStatus::Cancelled);
        assert_eq!(
            status(begun).await,
            ShiftStatus::Open,
            "the session that has begun stays for its helpers' hours"
        );
        let mails = app.mails().await;
        let told = mails
            .iter()
            .find(|m| m.contains(&format!("To: {}", VOLUNTEER.0)) && m.contains("Einsatz abgesagt"))
            .expect("the helper is told");
        assert!(told.contains(&time_of(ahead_starts)), "{told}");
        assert_eq!(status(under_way).await, ShiftStatus::Open);
        let on_site: Vec<&String> = mails
            .iter()
            .filter(|m| {
                m.contains(&format!("To: {}", VOLUNTEER.0)) && m.contains("Kurstermin abgesagt")
            })
            .collect();
        assert_eq!(on_site.len(), 1, "only the session under way: {on_site:?}");
        assert!(on_site[0].contains(&format!("/verwaltung/einsaetze/{under_way}")));
    }
);

// A volunteer signs up (the route's permission check already passed) while the administrator
// revokes the role. The revocation withdraws the sign-ups it sees; a sign-up that came after it
// must not be stored, or a former volunteer holds places nobody reminds about and cannot withdraw
// from. Sign-ups and the revocation lock the account's row, so they come one after the other;
// a sign-up, or a new calendar link, after the revocation is refused.
on_both_backends!(
    a_sign_up_at_the_moment_of_revocation_holds_no_place,
    |app| {
        let volunteer = user_id(&app, VOLUNTEER.0).await;
        let admin = user_id(&app, crate::helpers::DEMO_PASSWORD_ADMIN.0).await;
        let mut sessions = Vec::new();
        for day in 3..9 {
            sessions.push(session(&app, Duration::days(day), 1).await);
        }
        let role = volunteer_role_of(&app, volunteer).await;
        let state = app.state();
        let mut attempts = tokio::task::JoinSet::new();
        for (n, shift_id) in sessions.iter().copied().enumerate() {
            let desk = state.volunteer_sign_up();
            attempts.spawn(async move {
                // Some before, some after the revocation's turn.
                tokio::time::sleep(std::time::Duration::from_millis(5 * n as u64)).await;
                desk.sign_up(shift_id, volunteer, Utc::now()).await.err()
            });
        }
        let revoked = teilhabe::services::admin::revoke(
            &app.db,
            &state.volunteer_sign_up(),
            admin,
            volunteer,
            role.id,
        )
        .await
        .unwrap();
        assert_eq!(revoked, teilhabe::services::admin::Revoked::Done);
        for refusal in attempts.join_all().await.into_iter().flatten() {
            assert!(
                matches!(refusal, VolunteeringError::NoLongerVolunteer),
                "{refusal:?}"
            );
        }
        let active = volunteer_signup::Entity::find()
            .filter(volunteer_signup::Column::UserId.eq(volunteer))
            .filter(volunteer_signup::Column::ShiftId.is_in(sessions.iter().copied()))
            .filter(
                volunteer_signup::Column::Status
                    .eq(teilhabe::domain::volunteering::SignupStatus::Active),
            )
            .count(&app.db)
            .await
            .unwrap();
        assert_eq!(active, 0, "no sign-up outlives the role");
        for shift_id in &sessions {
            let shift = volunteer_shift::Entity::find_by_id(*shift_id)
                .one(&app.db)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(shift.signed_up, 0, "session {shift_id} needs its helper");
        }

        // What the route let through before the revocation is refused after it.
        let late = state
            .volunteer_sign_up()
            .sign_up(sessions[0], volunteer, Utc::now())
            .await;
        assert!(
            matches!(late, Err(VolunteeringError::NoLongerVolunteer)),
            "{late:?}"
        );
        assert_eq!(
            state
                .volunteer_feeds()
                .renew_feed(volunteer, Utc::now())
                .await
                .unwrap(),
            None
        );
        assert_eq!(
            teilhabe::db::entities::volunteer_feed::Entity::find_by_id(volunteer)
                .one(&app.db)
                .await
                .unwrap(),
            None,
            "no calendar link for a later grant to revive"
        );
    }
);
