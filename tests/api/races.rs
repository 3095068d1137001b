//! Nothing lost, nothing doubled: every state change of a booking, a waiting entry, a volunteer's
//! sign-up and their hours happens exactly once when 50 requests for it arrive at the same moment
//! (a double click, a retrying client, an attacker), on SQLite and on PostgreSQL (issue 14).
use chrono::{Duration, DurationRound, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use teilhabe::domain::booking::BookingStatus;
use teilhabe::{
    db::entities::{
        audit_log, booking, offer_date, organisation, outbox, user, volunteer_hours,
        volunteer_shift, volunteer_signup,
    },
    domain::{
        DistrictKey,
        booking::{BookingRequest, Channel},
        volunteering::{HoursStatus, ShiftInput, ShiftKind, ShiftPlace},
    },
};

use crate::{helpers::*, on_both_backends};

const PARALLEL: usize = 50;
const PROVIDER: (&str, &str) = ("anbieter@demo.teilhabe.example", "Demo-Anbieter-2026");
const VOLUNTEER: (&str, &str) = ("freiwillig@demo.teilhabe.example", "Demo-Freiwillig-2026");

/// Books through the engine; returns the booking's id and the secret of its link.
async fn book(app: &TestApp, date_id: i32, email: &str, places: u32) -> (i64, String) {
    let request = BookingRequest::parse(
        "Erika Mustermann",
        email,
        "",
        &places.to_string(),
        Channel::Online,
    )
    .unwrap();
    let booked = app.desk().book(date_id, request, Utc::now()).await.unwrap();
    (booked.booking_id, booked.cancel_token)
}

fn count(answers: &[(u16, String)], status: u16) -> usize {
    answers.iter().filter(|(s, _)| *s == status).count()
}

fn assert_no_server_error(answers: &[(u16, String)]) {
    let failed: Vec<_> = answers.iter().filter(|(s, _)| *s >= 500).collect();
    assert!(failed.is_empty(), "server errors: {failed:?}");
}

/// The date's counter equals the places of its confirmed bookings and stays within capacity.
async fn booked_places(app: &TestApp, date_id: i32) -> i32 {
    let date = offer_date::Entity::find_by_id(date_id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let confirmed: i32 = booking::Entity::find()
        .filter(booking::Column::DateId.eq(date_id))
        .filter(booking::Column::Status.eq("confirmed"))
        .all(&app.db)
        .await
        .unwrap()
        .iter()
        .map(|b| b.places)
        .sum();
    assert_eq!(
        date.booked_places, confirmed,
        "counter and confirmed places"
    );
    assert!(date.booked_places <= date.capacity);
    date.booked_places
}

async fn status_of(app: &TestApp, booking_id: i64) -> (String, i32) {
    let found = booking::Entity::find_by_id(booking_id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    (found.status.key().to_owned(), found.places)
}

async fn mails_to(app: &TestApp, address: &str) -> u64 {
    outbox::Entity::find()
        .filter(outbox::Column::Recipient.eq(address))
        .count(&app.db)
        .await
        .unwrap()
}

async fn audit_entries(app: &TestApp, action: &str, target: &str) -> u64 {
    audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq(action))
        .filter(audit_log::Column::Target.eq(target))
        .count(&app.db)
        .await
        .unwrap()
}

/// Two confirmed bookings of two places fill a date of four; a third waits for two places.
async fn full_date_with_waiting_list(app: &TestApp) -> (i32, [(i64, String); 3]) {
    let date_id = course_date(
        app,
        NewCourseDate {
            capacity: 4,
            max_places_per_booking: 2,
            at_a_venue: true,
            ..Default::default()
        },
    )
    .await;
    let first = book(app, date_id, "erste@example.de", 2).await;
    let second = book(app, date_id, "zweite@example.de", 2).await;
    let waiting = book(app, date_id, "wartend@example.de", 2).await;
    assert_eq!(status_of(app, waiting.0).await.0, "waitlisted");
    (date_id, [first, second, waiting])
}

/// After the cancellation of the first booking: its places went to the waiting entry, once.
async fn assert_cancelled_once(app: &TestApp, date_id: i32, bookings: &[(i64, String); 3]) {
    assert_eq!(status_of(app, bookings[0].0).await.0, "cancelled");
    assert_eq!(status_of(app, bookings[2].0).await, ("confirmed".into(), 2));
    assert_eq!(booked_places(app, date_id).await, 4);
    // Confirmation and cancellation; waiting-list notice and promotion.
    assert_eq!(mails_to(app, "erste@example.de").await, 2);
    assert_eq!(mails_to(app, "wartend@example.de").await, 2);
    assert_eq!(mails_to(app, "zweite@example.de").await, 1);
}

on_both_backends!(parallel_api_cancellations_cancel_once, |app| {
    let (date_id, bookings) = full_date_with_waiting_list(&app).await;
    let url = app.url(&format!("/api/v1/bookings/{}", bookings[0].1));
    let answers = all_at_once(
        (0..PARALLEL)
            .map(|_| app.client.delete(url.as_str()))
            .collect(),
    )
    .await;
    assert_no_server_error(&answers);
    assert_eq!(count(&answers, 200), 1, "{answers:?}");
    assert_eq!(count(&answers, 409), PARALLEL - 1, "{answers:?}");
    assert_cancelled_once(&app, date_id, &bookings).await;
    // The date stays full: nobody gets a place that is not there.
    let (late, _) = book(&app, date_id, "spaet@example.de", 1).await;
    assert_eq!(status_of(&app, late).await.0, "waitlisted");
});

on_both_backends!(parallel_cancel_forms_cancel_once, |app| {
    let (date_id, bookings) = full_date_with_waiting_list(&app).await;
    let page = format!("/buchung/{}", bookings[0].1);
    let csrf = app.csrf_token(&page).await;
    let url = app.url(&format!("{page}/absagen"));
    let answers = all_at_once(
        (0..PARALLEL)
            .map(|_| {
                app.client
                    .post(url.as_str())
                    .form(&[("csrf_token", csrf.as_str())])
            })
            .collect(),
    )
    .await;
    assert_no_server_error(&answers);
    assert_eq!(count(&answers, 303), PARALLEL, "{answers:?}");
    assert_cancelled_once(&app, date_id, &bookings).await;
});

on_both_backends!(parallel_staff_cancellations_cancel_once, |app| {
    let (date_id, bookings) = full_date_with_waiting_list(&app).await;
    app.login(DEMO_PASSWORD_ADMIN.0, DEMO_PASSWORD_ADMIN.1)
        .await;
    let csrf = app
        .csrf_token(&format!("/verwaltung/termine/{date_id}"))
        .await;
    let url = app.url(&format!(
        "/verwaltung/buchungen/{}/stornieren",
        bookings[0].0
    ));
    let answers = all_at_once(
        (0..PARALLEL)
            .map(|_| {
                app.client
                    .post(url.as_str())
                    .form(&[("csrf_token", csrf.as_str())])
            })
            .collect(),
    )
    .await;
    assert_no_server_error(&answers);
    assert_eq!(count(&answers, 303), PARALLEL, "{answers:?}");
    assert_cancelled_once(&app, date_id, &bookings).await;
    let target = format!("booking:{}", bookings[0].0);
    assert_eq!(audit_entries(&app, "booking.cancel", &target).await, 1);
});

/// A date of three: two places and one taken; a booking of two waits. The single place is cancelled,
/// so the waiting booking is offered one place.
async fn open_offer(app: &TestApp) -> (i32, i64, String) {
    let date_id = course_date(
        app,
        NewCourseDate {
            capacity: 3,
            max_places_per_booking: 2,
            at_a_venue: true,
            ..Default::default()
        },
    )
    .await;
    book(app, date_id, "erste@example.de", 2).await;
    let (_, single) = book(app, date_id, "einzeln@example.de", 1).await;
    let (waiting, token) = book(app, date_id, "wartend@example.de", 2).await;
    app.desk().cancel(&single, Utc::now()).await.unwrap();
    let found = booking::Entity::find_by_id(waiting)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.offered_places, Some(1));
    assert_eq!(booked_places(app, date_id).await, 2);
    (date_id, waiting, token)
}

on_both_backends!(parallel_offer_acceptances_take_the_place_once, |app| {
    let (date_id, waiting, token) = open_offer(&app).await;
    let page = format!("/buchung/{token}");
    let csrf = app.csrf_token(&page).await;
    let url = app.url(&format!("{page}/angebot"));
    let answers = all_at_once(
        (0..PARALLEL)
            .map(|_| {
                app.client
                    .post(url.as_str())
                    .form(&[("csrf_token", csrf.as_str()), ("answer", "annehmen")])
            })
            .collect(),
    )
    .await;
    assert_no_server_error(&answers);
    assert_eq!(count(&answers, 303), PARALLEL, "{answers:?}");
    assert_eq!(status_of(&app, waiting).await, ("confirmed".into(), 1));
    assert_eq!(booked_places(&app, date_id).await, 3);
    // Waiting-list notice, offer, and one confirmation.
    assert_eq!(mails_to(&app, "wartend@example.de").await, 3);
});

on_both_backends!(parallel_accepting_and_declining_answers_once, |app| {
    let (date_id, waiting, token) = open_offer(&app).await;
    let page = format!("/buchung/{token}");
    let csrf = app.csrf_token(&page).await;
    let url = app.url(&format!("{page}/angebot"));
    let answers = all_at_once(
        (0..PARALLEL)
            .map(|n| {
                let answer = if n % 2 == 0 { "annehmen" } else { "ablehnen" };
                app.client
                    .post(url.as_str())
                    .form(&[("csrf_token", csrf.as_str()), ("answer", answer)])
            })
            .collect(),
    )
    .await;
    assert_no_server_error(&answers);
    assert_eq!(count(&answers, 303), PARALLEL, "{answers:?}");
    let found = booking::Entity::find_by_id(waiting)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let booked = booked_places(&app, date_id).await;
    match found.status.key() {
        // Accepted first: one place, one confirmation; later declines found no open offer.
        "confirmed" => {
            assert_eq!((found.places, booked), (1, 3));
            assert_eq!(mails_to(&app, "wartend@example.de").await, 3);
        }
        // Declined first: still waiting for two, the offer closed, no confirmation.
        "waitlisted" => {
            assert_eq!((found.places, booked), (2, 2));
            assert!(found.offer_expires_at.is_some_and(|at| at <= Utc::now()));
            assert_eq!(mails_to(&app, "wartend@example.de").await, 2);
        }
        other => panic!("status {other}"),
    }
});

/// A session of the volunteer's organisation that needs `needed` helpers.
async fn session(app: &TestApp, starts_in: Duration, needed: i32) -> i32 {
    let org = organisation::Entity::find()
        .filter(organisation::Column::Slug.eq("probierladen-erfurt"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let starts_at = (Utc::now() + starts_in)
        .duration_trunc(Duration::minutes(1))
        .unwrap();
    app.state()
        .volunteer_planning()
        .create(
            &None,
            ShiftInput {
                organisation_id: Some(org.id),
                title: "Tablet-Sprechstunde in der Bibliothek".into(),
                kind: ShiftKind::SmartphoneAfternoon,
                starts_at,
                ends_at: starts_at + Duration::hours(2),
                place: ShiftPlace::Elsewhere {
                    place: "Stadtbibliothek, Lesesaal".into(),
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

async fn shift(app: &TestApp, shift_id: i32) -> volunteer_shift::Model {
    volunteer_shift::Entity::find_by_id(shift_id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
}

async fn active_signups(app: &TestApp, shift_id: i32) -> u64 {
    volunteer_signup::Entity::find()
        .filter(volunteer_signup::Column::ShiftId.eq(shift_id))
        .filter(volunteer_signup::Column::Status.eq("active"))
        .count(&app.db)
        .await
        .unwrap()
}

/// Posts the same form 50 times at once with the CSRF token of the signed-in client.
async fn post_parallel(
    app: &TestApp,
    form_page: &str,
    action: &str,
    fields: &[(&str, &str)],
) -> Vec<(u16, String)> {
    let csrf = app.csrf_token(form_page).await;
    let mut form: Vec<(&str, &str)> = fields.to_vec();
    form.push(("csrf_token", csrf.as_str()));
    let url = app.url(action);
    all_at_once(
        (0..PARALLEL)
            .map(|_| app.client.post(url.as_str()).form(&form))
            .collect(),
    )
    .await
}

on_both_backends!(parallel_sign_ups_and_withdrawals_count_once, |app| {
    // Ten hours ahead: withdrawing is late, so the coordinators are told, once.
    let shift_id = session(&app, Duration::hours(10), 3).await;
    let before = mails_to(&app, PROVIDER.0).await;
    app.login(VOLUNTEER.0, VOLUNTEER.1).await;
    let answers = post_parallel(
        &app,
        "/freiwillige/einsaetze",
        &format!("/freiwillige/einsaetze/{shift_id}/anmelden"),
        &[("kreis", "")],
    )
    .await;
    assert_no_server_error(&answers);
    assert_eq!(count(&answers, 303), 1, "{answers:?}");
    assert_eq!(count(&answers, 409), PARALLEL - 1);
    assert_eq!(shift(&app, shift_id).await.signed_up, 1);
    assert_eq!(active_signups(&app, shift_id).await, 1);

    let answers = post_parallel(
        &app,
        "/freiwillige",
        &format!("/freiwillige/einsaetze/{shift_id}/abmelden"),
        &[],
    )
    .await;
    assert_no_server_error(&answers);
    assert_eq!(count(&answers, 303), 1, "{answers:?}");
    assert_eq!(count(&answers, 409), PARALLEL - 1);
    assert_eq!(shift(&app, shift_id).await.signed_up, 0);
    assert_eq!(active_signups(&app, shift_id).await, 0);
    assert_eq!(mails_to(&app, PROVIDER.0).await, before + 1);
});

on_both_backends!(parallel_hours_are_logged_and_decided_once, |app| {
    let volunteer = user_id(&app, VOLUNTEER.0).await;
    let shift_id = session(&app, Duration::days(3), 1).await;
    app.state()
        .volunteer_sign_up()
        .sign_up(shift_id, volunteer, Utc::now())
        .await
        .unwrap();
    // The session took place yesterday.
    let starts_at = crate::helpers::yesterday_at_ten();
    let mut model: volunteer_shift::ActiveModel = shift(&app, shift_id).await.into();
    model.starts_at = Set(starts_at);
    model.ends_at = Set(starts_at + Duration::hours(2));
    model.update(&app.db).await.unwrap();
    let local = |at: chrono::DateTime<Utc>| {
        at.with_timezone(&chrono_tz::Europe::Berlin)
            .format("%H:%M")
            .to_string()
    };
    let (from, to) = (local(starts_at), local(starts_at + Duration::minutes(90)));

    app.login(VOLUNTEER.0, VOLUNTEER.1).await;
    let page = format!("/verwaltung/einsaetze/{shift_id}");
    let answers = post_parallel(
        &app,
        &page,
        &format!("{page}/stunden"),
        &[("from", &from), ("to", &to)],
    )
    .await;
    assert_no_server_error(&answers);
    let logged = volunteer_hours::Entity::find()
        .filter(volunteer_hours::Column::ShiftId.eq(shift_id))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(logged.len(), 1);
    assert_eq!(
        (logged[0].minutes, logged[0].status),
        (90, HoursStatus::Submitted)
    );
    app.submit("/konto", "/abmelden", &[]).await;

    app.login(PROVIDER.0, PROVIDER.1).await;
    let answers = post_parallel(
        &app,
        "/verwaltung/stunden",
        &format!("/verwaltung/stunden/{}", logged[0].id),
        &[
            ("decision", "approve"),
            (
                "seen",
                &teilhabe::services::volunteering::hours_seen(
                    logged[0].started_at,
                    logged[0].ended_at,
                ),
            ),
        ],
    )
    .await;
    assert_no_server_error(&answers);
    let decided = volunteer_hours::Entity::find_by_id(logged[0].id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(decided.status, HoursStatus::Approved);
    let target = format!("hours:{}", logged[0].id);
    assert_eq!(audit_entries(&app, "hours.approved", &target).await, 1);
});

on_both_backends!(
    deleting_an_account_cancels_and_anonymises_its_bookings,
    |app| {
        let volunteer = user_id(&app, VOLUNTEER.0).await;
        let date_id = course_date(
            &app,
            NewCourseDate {
                capacity: 2,
                max_places_per_booking: 2,
                at_a_venue: true,
                ..Default::default()
            },
        )
        .await;
        let mut request = BookingRequest::parse(
            "Jonas Demo",
            VOLUNTEER.0,
            "0361 123456",
            "2",
            Channel::Online,
        )
        .unwrap();
        request.user_id = Some(volunteer);
        let own = app.desk().book(date_id, request, Utc::now()).await.unwrap();
        let (waiting, _) = book(&app, date_id, "wartend@example.de", 2).await;
        // A second upcoming date where nobody else cancels: only the deletion can free the place.
        let other_date = course_date(
            &app,
            NewCourseDate {
                capacity: 1,
                max_places_per_booking: 1,
                at_a_venue: true,
                ..Default::default()
            },
        )
        .await;
        let mut request =
            BookingRequest::parse("Jonas Demo", VOLUNTEER.0, "", "1", Channel::Online).unwrap();
        request.user_id = Some(volunteer);
        let other = app
            .desk()
            .book(other_date, request, Utc::now())
            .await
            .unwrap();
        let (other_waiting, _) = book(&app, other_date, "geduldig@example.de", 1).await;
        // A past date the person booked with the same address, without signing in.
        let past_date = course_date(
            &app,
            NewCourseDate {
                capacity: 5,
                max_places_per_booking: 2,
                at_a_venue: true,
                ..Default::default()
            },
        )
        .await;
        let (past, _) = book(&app, past_date, VOLUNTEER.0, 1).await;
        let mut moved: offer_date::ActiveModel = offer_date::Entity::find_by_id(past_date)
            .one(&app.db)
            .await
            .unwrap()
            .unwrap()
            .into();
        moved.starts_at = Set(Utc::now() - Duration::days(3));
        moved.ends_at = Set(Utc::now() - Duration::days(3) + Duration::hours(2));
        moved.update(&app.db).await.unwrap();

        app.login(VOLUNTEER.0, VOLUNTEER.1).await;
        let (_, doc) = app.get_html("/konto/loeschen").await;
        assert!(
            text_of(&doc, "main")
                .contains("Ihre 2 Buchungen für bevorstehende Termine sagen wir ab"),
            "{}",
            text_of(&doc, "main")
        );
        // The account goes while the person's booking link cancels at the same moment.
        let csrf = app.csrf_token("/konto/loeschen").await;
        let cancel_url = app.url(&format!("/api/v1/bookings/{}", own.cancel_token));
        let mut requests = vec![
            app.client
                .post(app.url("/konto/loeschen"))
                .form(&[("csrf_token", csrf.as_str())]),
        ];
        requests.extend((0..PARALLEL - 1).map(|_| app.client.delete(cancel_url.as_str())));
        let answers = all_at_once(requests).await;
        assert_no_server_error(&answers);
        assert!(
            user::Entity::find_by_id(volunteer)
                .one(&app.db)
                .await
                .unwrap()
                .is_none()
        );

        let cancelled = booking::Entity::find_by_id(own.booking_id)
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(cancelled.status, BookingStatus::Cancelled);
        assert_eq!(
            (
                cancelled.name.as_str(),
                cancelled.email,
                cancelled.phone,
                cancelled.user_id
            ),
            ("", None, None, None)
        );
        assert!(cancelled.anonymised_at.is_some());
        // The place went to the waiting list, once.
        assert_eq!(status_of(&app, waiting).await, ("confirmed".into(), 2));
        assert_eq!(booked_places(&app, date_id).await, 2);
        assert_eq!(mails_to(&app, "wartend@example.de").await, 2);
        assert_eq!(status_of(&app, other.booking_id).await.0, "cancelled");
        assert_eq!(
            status_of(&app, other_waiting).await,
            ("confirmed".into(), 1)
        );
        assert_eq!(booked_places(&app, other_date).await, 1);
        assert_eq!(mails_to(&app, "geduldig@example.de").await, 2);
        // The past booking keeps its count for the statistics, nothing personal.
        let kept = booking::Entity::find_by_id(past)
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((kept.status.key(), kept.places), ("confirmed", 1));
        assert_eq!((kept.name.as_str(), kept.email), ("", None));
        assert!(kept.anonymised_at.is_some());
        assert_eq!(mails_to(&app, VOLUNTEER.0).await, 0);
    }
);

on_both_backends!(parallel_password_resets_all_succeed, |app| {
    // Each reset reads the account, then writes a token, a mail and an audit entry. Begun as a
    // deferred transaction, a reset whose read came before another's commit failed on SQLite with
    // "database is locked" (no busy wait helps a stale snapshot); write transactions wait in turn.
    let state = app.state();
    let email = teilhabe::domain::Email::parse("buergerin@demo.teilhabe.example").unwrap();
    let mut resets = Vec::new();
    for _ in 0..24 {
        let (db, composer, email) = (app.db.clone(), state.composer(), email.clone());
        resets.push(tokio::spawn(async move {
            teilhabe::services::accounts::request_password_reset(
                &db,
                &composer,
                teilhabe::domain::language::Language::De,
                &email,
            )
            .await
        }));
    }
    for reset in resets {
        reset.await.unwrap().expect("every reset is stored");
    }
    let mails = outbox::Entity::find()
        .filter(outbox::Column::Recipient.eq("buergerin@demo.teilhabe.example"))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(mails, 24);
});

/// The first dates of courses still to come that take bookings, by id.
async fn upcoming_first_dates(app: &TestApp) -> Vec<i32> {
    use sea_orm::QueryOrder;
    offer_date::Entity::find()
        .filter(offer_date::Column::StartsAt.gt(Utc::now()))
        .filter(offer_date::Column::SeriesLeadId.is_null())
        .filter(offer_date::Column::Status.eq("scheduled"))
        .order_by_asc(offer_date::Column::Id)
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.id)
        .collect()
}

/// A transaction of someone else's that holds the date's row until it ends.
async fn holding_date(app: &TestApp, date_id: i32) -> sea_orm::DatabaseTransaction {
    crate::helpers::holding(
        &app.db,
        &format!("SELECT id FROM offer_dates WHERE id = {date_id} FOR UPDATE"),
    )
    .await
}

/// Deleting the account while the person books signed in, in another tab: a booking committed
/// after the deletion had listed the person's bookings was anonymised but stayed confirmed,
/// holding its places with nobody to ask and no link to cancel it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_booking_made_while_the_account_is_deleted_holds_no_places_on_postgres() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let Some(app) = spawn_app(Backend::Postgres, Default::default()).await else {
        return;
    };
    let citizen = user::Entity::find()
        .filter(user::Column::Email.eq("buergerin@demo.teilhabe.example"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let dates = upcoming_first_dates(&app).await;
    let signed_in = |date_id: i32| {
        let mut request = BookingRequest::parse(
            "Erika Demo",
            "buergerin@demo.teilhabe.example",
            "",
            "1",
            Channel::Online,
        )
        .unwrap();
        request.user_id = Some(citizen.id);
        let desk = app.desk();
        async move { desk.book(date_id, request, Utc::now()).await }
    };
    signed_in(dates[0]).await.unwrap();
    app.login("buergerin@demo.teilhabe.example", "Demo-Buergerin-2026")
        .await;

    // Someone else's change holds the first date, so the deletion stops at cancelling its booking.
    let holding = holding_date(&app, dates[0]).await;
    let booked = AtomicBool::new(false);
    let deleting = app.submit("/konto/loeschen", "/konto/loeschen", &[]);
    let booking = async {
        until_someone_waits_for_a_lock(&app.db).await;
        // Meanwhile, in the other tab, the person books another date.
        let outcome = signed_in(dates[1]).await;
        booked.store(true, Ordering::SeqCst);
        outcome
    };
    let releasing = async {
        let started = std::time::Instant::now();
        // The booking either went through or waits for the deletion.
        while !booked.load(Ordering::SeqCst) && waiting_for_locks(&app.db).await < 2 {
            assert!(started.elapsed() < PATIENCE, "neither booked nor waiting");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        holding.commit().await.unwrap();
    };
    let (deleted, _, ()) = tokio::join!(deleting, booking, releasing);
    assert_eq!(deleted.headers()["location"], "/konto/geloescht");
    let holding_places = booking::Entity::find()
        .filter(booking::Column::AnonymisedAt.is_not_null())
        .filter(booking::Column::Status.ne(BookingStatus::Cancelled))
        .filter(booking::Column::DateId.is_in(dates.clone()))
        .all(&app.db)
        .await
        .unwrap();
    assert!(holding_places.is_empty(), "{holding_places:?}");
}

/// The same, but the person (or someone with the address) books signed out: that booking stays,
/// as it has nothing to do with the account, and so must the mail with its link. The deletion
/// removed every queued mail to the address, that one too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_booking_made_signed_out_while_the_account_is_deleted_keeps_its_mail_on_postgres() {
    let Some(app) = spawn_app(Backend::Postgres, Default::default()).await else {
        return;
    };
    const ADDRESS: &str = "buergerin@demo.teilhabe.example";
    let dates = upcoming_first_dates(&app).await;
    let (cancelled_by_deletion, _) = book(&app, dates[0], ADDRESS, 1).await;
    app.login(ADDRESS, "Demo-Buergerin-2026").await;

    // Someone else's change holds the first date, so the deletion stops at cancelling its booking.
    let holding = holding_date(&app, dates[0]).await;
    let deleting = app.submit("/konto/loeschen", "/konto/loeschen", &[]);
    let booking_and_releasing = async {
        until_someone_waits_for_a_lock(&app.db).await;
        let (made_meanwhile, _) = book(&app, dates[1], ADDRESS, 1).await;
        holding.commit().await.unwrap();
        made_meanwhile
    };
    let (deleted, made_meanwhile) = tokio::join!(deleting, booking_and_releasing);
    assert_eq!(deleted.headers()["location"], "/konto/geloescht");

    let kept = booking::Entity::find_by_id(made_meanwhile)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kept.status, BookingStatus::Confirmed);
    assert!(kept.anonymised_at.is_none());
    let mails_about = |booking_id: i64| {
        outbox::Entity::find()
            .filter(outbox::Column::BookingId.eq(booking_id))
            .count(&app.db)
    };
    assert_eq!(mails_about(made_meanwhile).await.unwrap(), 1);
    assert_eq!(mails_about(cancelled_by_deletion).await.unwrap(), 0);
}

// The audit entry of a staff cancellation is written with the cancellation: when it cannot be
// written, nothing is cancelled (before, the booking was cancelled and its person told, the page
// said nothing was saved, and a second click recorded no entry either).
on_both_backends!(
    a_staff_cancellation_is_never_stored_without_its_audit_entry,
    |app| {
        let (date_id, bookings) = full_date_with_waiting_list(&app).await;
        app.login(DEMO_PASSWORD_ADMIN.0, DEMO_PASSWORD_ADMIN.1)
            .await;
        let csrf = app
            .csrf_token(&format!("/verwaltung/termine/{date_id}"))
            .await;
        let url = format!("/verwaltung/buchungen/{}/stornieren", bookings[0].0);
        refuse_inserts(&app.db, "audit_log", true).await;
        let res = app
            .client
            .post(app.url(&url))
            .form(&[("csrf_token", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert!(res.status().is_server_error(), "{}", res.status());
        assert_eq!(status_of(&app, bookings[0].0).await.0, "confirmed");
        refuse_inserts(&app.db, "audit_log", false).await;

        let csrf = app
            .csrf_token(&format!("/verwaltung/termine/{date_id}"))
            .await;
        let res = app
            .client
            .post(app.url(&url))
            .form(&[("csrf_token", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303);
        assert_eq!(status_of(&app, bookings[0].0).await.0, "cancelled");
        let target = format!("booking:{}", bookings[0].0);
        assert_eq!(audit_entries(&app, "booking.cancel", &target).await, 1);
    }
);

// One address registered several times at the same moment (two tabs, a double tap, each a form
// of its own): one account, and every request gets the usual answer. The second used to find no
// account yet and fail on the unique index with an error page, which also told that the address
// was being registered.
on_both_backends!(
    parallel_registrations_of_one_address_make_one_account,
    |app| {
        use teilhabe::{
            db::entities::user,
            domain::{Email, PersonName, password::NewPassword},
            services::accounts::{Registration, register},
        };
        let state = app.state();
        let email = "zweimal@example.de";
        let mut registering = tokio::task::JoinSet::new();
        for _ in 0..16 {
            let (db, composer) = (app.db.clone(), state.composer());
            let registration = Registration {
                email: Email::parse(email).unwrap(),
                name: PersonName::parse("Zwei Mal").unwrap(),
                password: NewPassword::parse("ein-langes-Passwort-2026", Some(email)).unwrap(),
            };
            registering.spawn(async move {
                register(
                    &db,
                    &composer,
                    teilhabe::domain::language::Language::De,
                    registration,
                )
                .await
            });
        }
        for answer in registering.join_all().await {
            answer.expect("the usual answer");
        }
        let accounts = user::Entity::find()
            .filter(user::Column::Email.eq(email))
            .count(&app.db)
            .await
            .unwrap();
        assert_eq!(accounts, 1);
    }
);
