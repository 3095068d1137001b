//! The booking engine: never oversold under concurrency, waiting list in arrival order, clear refusals.
use chrono::{Duration, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, sea_query::Expr,
};
use teilhabe::{
    db::{
        DbFailure, classify,
        entities::{booking, offer_date, outbox},
    },
    domain::booking::{BookingRequest, BookingStatus, Channel, IdempotencyKey},
    services::booking::{Booked, BookingError, Desk},
};

use crate::helpers::*;
use crate::on_both_backends;

fn request(i: usize, places: &str) -> BookingRequest {
    BookingRequest::parse(
        &format!("Person {i}"),
        &format!("person{i}@example.de"),
        "",
        places,
        Channel::Online,
    )
    .unwrap()
}

on_both_backends!(two_hundred_concurrent_bookings_for_twenty_places, |app| {
    let date_id = course_date(
        &app,
        NewCourseDate {
            capacity: 20,
            starts_in: Duration::days(7),
            ..Default::default()
        },
    )
    .await;
    // Two desks, like two instances: each books in turns of its own, and the date's lock decides
    // between them.
    let desks = [app.desk(), app.desk()];
    let handles: Vec<_> = (0..200)
        .map(|i| {
            let desk = desks[i % 2].clone();
            tokio::spawn(async move { desk.book(date_id, request(i, "1"), Utc::now()).await })
        })
        .collect();
    let mut results = Vec::new();
    for h in handles {
        results.push(h.await.unwrap().expect("no booking request fails"));
    }
    let confirmed = results
        .iter()
        .filter(|b| b.status == BookingStatus::Confirmed)
        .count();
    assert_eq!(confirmed, 20);
    let mut positions: Vec<u64> = results.iter().filter_map(|b| b.waiting_position).collect();
    positions.sort();
    assert_eq!(
        positions,
        (1..=180).collect::<Vec<u64>>(),
        "every waiting position exactly once"
    );

    let date = offer_date::Entity::find_by_id(date_id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((date.booked_places, date.waiting_count), (20, 180));
    // Arrival order: the waiting list in id order matches the positions the bookers were told.
    let waiting: Vec<i64> = booking::Entity::find()
        .filter(booking::Column::DateId.eq(date_id))
        .filter(booking::Column::Status.eq("waitlisted"))
        .order_by_asc(booking::Column::Id)
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|b| b.id)
        .collect();
    let mut told: Vec<(u64, i64)> = results
        .iter()
        .filter_map(|b| Some((b.waiting_position?, b.booking_id)))
        .collect();
    told.sort();
    assert_eq!(
        told.into_iter().map(|(_, id)| id).collect::<Vec<_>>(),
        waiting
    );
    // Everyone confirmed came before everyone waiting.
    let last_confirmed = results
        .iter()
        .filter(|b| b.status == BookingStatus::Confirmed)
        .map(|b| b.booking_id)
        .max()
        .unwrap();
    assert!(waiting.iter().all(|id| *id > last_confirmed));
});

on_both_backends!(refusals_are_specific_and_store_nothing, |app| {
    let date_id = course_date(
        &app,
        NewCourseDate {
            capacity: 3,
            starts_in: Duration::days(1),
            ..Default::default()
        },
    )
    .await;
    let past_id = course_date(
        &app,
        NewCourseDate {
            capacity: 3,
            starts_in: Duration::days(-1),
            ..Default::default()
        },
    )
    .await;
    assert!(matches!(
        app.desk().book(past_id, request(1, "1"), Utc::now()).await,
        Err(BookingError::NotBookable("error-booking-past"))
    ));
    assert!(matches!(
        app.desk().book(999_999, request(1, "1"), Utc::now()).await,
        Err(BookingError::DateNotFound)
    ));
    let too_many =
        BookingRequest::parse("Erika", "erika@example.de", "", "5", Channel::Online).unwrap();
    assert!(matches!(
        app.desk().book(date_id, too_many, Utc::now()).await,
        Err(BookingError::TooManyPlaces)
    ));

    // A person with a companion is one entry for two places.
    let first = app
        .desk()
        .book(date_id, request(1, "2"), Utc::now())
        .await
        .unwrap();
    assert_eq!(first.status, BookingStatus::Confirmed);
    assert!(matches!(
        app.desk().book(date_id, request(1, "1"), Utc::now()).await,
        Err(BookingError::Duplicate)
    ));
    // Two more places do not fit into the one left: waiting list, and nobody overtakes it afterwards.
    let second = app
        .desk()
        .book(date_id, request(2, "2"), Utc::now())
        .await
        .unwrap();
    assert_eq!(
        (second.status, second.waiting_position),
        (BookingStatus::Waitlisted, Some(1))
    );
    let third = app
        .desk()
        .book(date_id, request(3, "1"), Utc::now())
        .await
        .unwrap();
    assert_eq!(
        (third.status, third.waiting_position),
        (BookingStatus::Waitlisted, Some(2))
    );

    let all = booking::Entity::find()
        .filter(booking::Column::DateId.eq(date_id))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(all.len(), 3);
    let date = offer_date::Entity::find_by_id(date_id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(date.booked_places, 2);
    assert!(all.iter().all(|b| b.cancel_token_hash.len() == 64));
});

on_both_backends!(a_cancellation_promotes_the_waiting_list_in_order, |app| {
    let date_id = course_date(
        &app,
        NewCourseDate {
            capacity: 3,
            starts_in: Duration::days(2),
            ..Default::default()
        },
    )
    .await;
    let a = app
        .desk()
        .book(date_id, request(1, "2"), Utc::now())
        .await
        .unwrap();
    let b = app
        .desk()
        .book(date_id, request(2, "1"), Utc::now())
        .await
        .unwrap();
    let c = app
        .desk()
        .book(date_id, request(3, "2"), Utc::now())
        .await
        .unwrap();
    let d = app
        .desk()
        .book(date_id, request(4, "1"), Utc::now())
        .await
        .unwrap();
    assert_eq!(
        [a.status, b.status, c.status, d.status],
        [
            BookingStatus::Confirmed,
            BookingStatus::Confirmed,
            BookingStatus::Waitlisted,
            BookingStatus::Waitlisted
        ]
    );
    // One place frees up: C needs two, so it keeps its turn and D does not overtake.
    let cancelled = app
        .desk()
        .cancel(&b.cancel_token, Utc::now())
        .await
        .unwrap();
    assert!(cancelled.promoted.is_empty());
    // Two more free up: C (2) and then D (1) fit, in that order.
    let cancelled = app
        .desk()
        .cancel(&a.cancel_token, Utc::now())
        .await
        .unwrap();
    assert_eq!(cancelled.promoted, vec![c.booking_id, d.booking_id]);
    let date = offer_date::Entity::find_by_id(date_id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(date.booked_places, 3);
    assert!(matches!(
        app.desk().cancel(&a.cancel_token, Utc::now()).await,
        Err(BookingError::AlreadyCancelled)
    ));
    assert!(matches!(
        app.desk().cancel("unbekannt", Utc::now()).await,
        Err(BookingError::BookingNotFound)
    ));
});

/// Waits until `waiting` requests for the date queue behind a turn that is being taken.
async fn until_queued(desk: &Desk, date_id: i32, waiting: usize) {
    let started = std::time::Instant::now();
    while desk.queues.waiting(date_id) != Some(waiting) {
        assert!(
            started.elapsed() < PATIENCE,
            "{waiting} requests never queued for the date ({:?})",
            desk.queues.waiting(date_id)
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
}

/// Someone else's change of the date holds its lock (both databases): the next turn waits for it.
async fn holding_the_date(app: &TestApp, date_id: i32) -> sea_orm::DatabaseTransaction {
    holding(
        &app.db,
        &format!("UPDATE offer_dates SET revision = revision WHERE id = {date_id}"),
    )
    .await
}

type Answer = tokio::task::JoinHandle<Result<Booked, BookingError>>;

/// Requests queued behind a turn that waits for the date's lock, which someone else holds.
struct HeldTurn {
    holder: sea_orm::DatabaseTransaction,
    /// The request whose turn waits for the lock.
    first: Answer,
    /// The requests queued behind it, in the order they arrived.
    queued: Vec<Answer>,
}

/// Holds the date's lock, sends `first` (its turn waits for the lock), then each of `rest`, each
/// queued before the next is sent.
async fn queue_behind_the_lock(
    app: &TestApp,
    desk: &Desk,
    date_id: i32,
    first: BookingRequest,
    rest: impl IntoIterator<Item = BookingRequest>,
) -> HeldTurn {
    let holder = holding_the_date(app, date_id).await;
    let first = book_in_background(desk, date_id, first);
    until_queued(desk, date_id, 0).await;
    let mut queued = Vec::new();
    for request in rest {
        queued.push(book_in_background(desk, date_id, request));
        until_queued(desk, date_id, queued.len()).await;
    }
    HeldTurn {
        holder,
        first,
        queued,
    }
}

impl HeldTurn {
    /// Releases the lock: the first request's task and the queued requests' answers, in order.
    async fn release(self) -> (Answer, Vec<Result<Booked, BookingError>>) {
        self.holder.rollback().await.unwrap();
        let mut answers = Vec::new();
        for answer in self.queued {
            answers.push(answer.await.unwrap());
        }
        (self.first, answers)
    }
}

fn book_in_background(desk: &Desk, date_id: i32, request: BookingRequest) -> Answer {
    book_in_background_at(desk, date_id, request, Utc::now())
}

/// [`book_in_background`] as if sent at `now`.
fn book_in_background_at(
    desk: &Desk,
    date_id: i32,
    request: BookingRequest,
    now: chrono::DateTime<Utc>,
) -> Answer {
    let desk = desk.clone();
    tokio::spawn(async move { desk.book(date_id, request, now).await })
}

// Requests that arrive while a turn holds the date's lock are booked together in the next turn,
// each with its own answer: a refusal refuses only that request, positions follow arrival.
on_both_backends!(a_turn_answers_each_of_its_requests_on_its_own, |app| {
    let date_id = course_date(
        &app,
        NewCourseDate {
            capacity: 3,
            max_places_per_booking: 2,
            ..Default::default()
        },
    )
    .await;
    let desk = app.desk();
    desk.book(date_id, request(0, "1"), Utc::now())
        .await
        .unwrap();
    let rest = [(0, "1"), (2, "1"), (2, "1"), (3, "3"), (4, "1"), (5, "1")];
    let rest = rest.map(|(person, places)| request(person, places));
    let turn = queue_behind_the_lock(&app, &desk, date_id, request(1, "1"), rest).await;
    // The first request goes away (its client closed the connection): its turn is taken anyway,
    // and the requests behind it are not left waiting.
    turn.first.abort();
    let (_, answers) = turn.release().await;

    assert!(
        matches!(answers[0], Err(BookingError::Duplicate)),
        "an address already booked"
    );
    assert_eq!(
        answers[1].as_ref().unwrap().status,
        BookingStatus::Confirmed
    );
    assert!(
        matches!(answers[2], Err(BookingError::Duplicate)),
        "the same address twice in one turn"
    );
    assert!(matches!(answers[3], Err(BookingError::TooManyPlaces)));
    let positions: Vec<_> = answers[4..]
        .iter()
        .map(|answer| answer.as_ref().unwrap().waiting_position)
        .collect();
    assert_eq!(positions, [Some(1), Some(2)]);

    let bookings = bookings_of_date(&app, date_id).await;
    let people: Vec<_> = bookings
        .iter()
        .map(|b| (b.name.as_str(), b.status))
        .collect();
    assert_eq!(
        people,
        [
            ("Person 0", BookingStatus::Confirmed),
            ("Person 1", BookingStatus::Confirmed),
            ("Person 2", BookingStatus::Confirmed),
            ("Person 4", BookingStatus::Waitlisted),
            ("Person 5", BookingStatus::Waitlisted),
        ]
    );
    let date = offer_date::Entity::find_by_id(date_id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(date.booked_places, 3);
    if app.db.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        // Booked together: the queued requests' bookings were written by one transaction.
        let names = ["Person 2", "Person 4", "Person 5"];
        assert_eq!(writers(&app, date_id, &names).await, 1);
    }
    // One mail each, about their own booking, to their own address.
    for booked in &bookings {
        let mails = outbox::Entity::find()
            .filter(outbox::Column::BookingId.eq(booked.id))
            .all(&app.db)
            .await
            .unwrap();
        let recipients: Vec<_> = mails.iter().map(|m| m.recipient.as_str()).collect();
        assert_eq!(recipients, [booked.email.as_deref().unwrap()]);
        let waiting = booked.status == BookingStatus::Waitlisted;
        assert_eq!(
            mails[0].subject.contains("Warteliste"),
            waiting,
            "{}",
            mails[0].subject
        );
    }
});

// A turn that fails as a whole (here: two people sent the same idempotency key, which the database
// refuses twice) is taken again one request at a time: only the conflicting request fails.
on_both_backends!(a_turn_that_fails_is_booked_one_by_one, |app| {
    let date_id = course_date(&app, NewCourseDate::default()).await;
    let desk = app.desk();
    let with_key = |person| BookingRequest {
        idempotency_key: Some(IdempotencyKey::parse("the-same-key-0123456789").unwrap()),
        ..request(person, "1")
    };
    let rest = [with_key(2), with_key(3), request(4, "1")];
    let turn = queue_behind_the_lock(&app, &desk, date_id, request(1, "1"), rest).await;
    let (first, answers) = turn.release().await;
    assert!(first.await.unwrap().is_ok());

    assert_eq!(
        answers[0].as_ref().unwrap().status,
        BookingStatus::Confirmed
    );
    match &answers[1] {
        Err(BookingError::Db(e)) => assert_eq!(classify(e), DbFailure::Conflict, "{e}"),
        other => panic!("the key used twice is refused, not {other:?}"),
    }
    assert_eq!(
        answers[2].as_ref().unwrap().status,
        BookingStatus::Confirmed
    );
    let names: Vec<_> = bookings_of_date(&app, date_id)
        .await
        .into_iter()
        .map(|b| b.name)
        .collect();
    assert_eq!(names, ["Person 1", "Person 2", "Person 4"]);
});

// Free places go down the waiting list past the entries that cannot take them, however far: here
// past forty whose offers of fewer places lapsed. The list is read a page at a time.
on_both_backends!(
    free_places_reach_an_entry_far_down_the_waiting_list,
    |app| {
        let date_id = course_date(
            &app,
            NewCourseDate {
                capacity: 1,
                starts_in: Duration::days(2),
                ..Default::default()
            },
        )
        .await;
        let now = Utc::now();
        let first = app
            .desk()
            .book(date_id, request(0, "1"), now)
            .await
            .unwrap();
        for i in 1..=40 {
            let waiting = app
                .desk()
                .book(date_id, request(i, "2"), now)
                .await
                .unwrap();
            assert_eq!(waiting.status, BookingStatus::Waitlisted);
        }
        let last = app
            .desk()
            .book(date_id, request(41, "1"), now)
            .await
            .unwrap();
        assert_eq!(last.waiting_position, Some(41));
        // The forty were each offered the one place long ago and let their offers lapse.
        booking::Entity::update_many()
            .col_expr(booking::Column::OfferedPlaces, Expr::value(1))
            .col_expr(
                booking::Column::OfferExpiresAt,
                Expr::value(now - Duration::hours(1)),
            )
            .filter(booking::Column::DateId.eq(date_id))
            .filter(booking::Column::Places.eq(2))
            .exec(&app.db)
            .await
            .unwrap();

        let cancelled = app.desk().cancel(&first.cancel_token, now).await.unwrap();
        assert_eq!(cancelled.promoted, vec![last.booking_id]);
        assert_eq!(waiting_bookings(&app, date_id).await, 40);
    }
);

// Booked one after another, a request that finds places free and people waiting first gives those
// places to the waiting list. In a turn, the request that went on the list while places were free
// (it asked for more) is offered them before the next request is weighed, as it would have been.
on_both_backends!(a_turn_gives_free_places_to_the_waiting_list_first, |app| {
    let date_id = course_date(
        &app,
        NewCourseDate {
            capacity: 3,
            ..Default::default()
        },
    )
    .await;
    let desk = app.desk();
    let rest = [request(2, "2"), request(3, "1")];
    let turn = queue_behind_the_lock(&app, &desk, date_id, request(1, "2"), rest).await;
    let (first, answers) = turn.release().await;
    assert_eq!(
        first.await.unwrap().unwrap().status,
        BookingStatus::Confirmed
    );
    let positions: Vec<_> = answers
        .into_iter()
        .map(|answer| answer.unwrap().waiting_position)
        .collect();

    assert_eq!(positions, [Some(1), Some(2)]);
    let bookings = bookings_of_date(&app, date_id).await;
    let offers: Vec<_> = bookings
        .iter()
        .map(|b| (b.name.as_str(), b.status, b.offered_places))
        .collect();
    assert_eq!(
        offers,
        [
            ("Person 1", BookingStatus::Confirmed, None),
            ("Person 2", BookingStatus::Waitlisted, Some(1)),
            ("Person 3", BookingStatus::Waitlisted, None),
        ]
    );
});

// An open offer of places holds the waiting list: booked alone, each request would find nothing for
// the list to take, so a turn stays whole (it once ended after each request going on the list,
// which made a rush one transaction per request for as long as the offer stood).
on_both_backends!(an_open_offer_does_not_split_a_turn, |app| {
    let date_id = course_date(
        &app,
        NewCourseDate {
            capacity: 4,
            ..Default::default()
        },
    )
    .await;
    let desk = app.desk();
    let book = |person, places| desk.book(date_id, request(person, places), Utc::now());
    let first = book(1, "1").await.unwrap();
    book(2, "1").await.unwrap();
    // Person 3 asks for four; the next booking offers them the two free places.
    book(3, "4").await.unwrap();
    book(4, "1").await.unwrap();
    // A place freed that does not complete the offer: one place is free, and the offer holds it.
    let staff = user_id(&app, DEMO_PASSWORD_ADMIN.0).await;
    desk.cancel_by_staff(first.booking_id, staff, Utc::now())
        .await
        .unwrap();

    let rest = (6..=8).map(|person| request(person, "1"));
    let turn = queue_behind_the_lock(&app, &desk, date_id, request(5, "1"), rest).await;
    let (opening, answers) = turn.release().await;
    opening.await.unwrap().unwrap();
    let positions: Vec<_> = answers
        .into_iter()
        .map(|answer| answer.unwrap().waiting_position)
        .collect();

    assert_eq!(positions, [Some(4), Some(5), Some(6)]);
    let offered: Vec<_> = booking::Entity::find()
        .filter(booking::Column::DateId.eq(date_id))
        .filter(booking::Column::OfferedPlaces.is_not_null())
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|b| (b.name, b.offered_places))
        .collect();
    assert_eq!(offered, [("Person 3".to_owned(), Some(2))]);
    if app.db.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        assert_eq!(
            writers(&app, date_id, &["Person 6", "Person 7", "Person 8"]).await,
            1,
            "the queued requests were booked in one turn"
        );
    }
});

/// How many transactions wrote the bookings of these people (PostgreSQL).
async fn writers(app: &TestApp, date_id: i32, names: &[&str]) -> i64 {
    let names = names
        .iter()
        .map(|name| format!("'{name}'"))
        .collect::<Vec<_>>()
        .join(", ");
    app.db
        .query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DatabaseBackend::Postgres,
            format!(
                "SELECT count(DISTINCT xmin::text) AS n FROM bookings \
                 WHERE date_id = {date_id} AND name IN ({names})"
            ),
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<i64>("", "n")
        .unwrap()
}

// An offer of places that lapses between two requests of one turn: booked alone, the later request
// would first move the waiting list past the lapsed offer (the people behind it get the free
// places), so the turn ends before it.
on_both_backends!(an_offer_lapsing_within_a_turn_moves_the_list_first, |app| {
    let date_id = course_date(
        &app,
        NewCourseDate {
            capacity: 4,
            ..Default::default()
        },
    )
    .await;
    let desk = app.desk();
    let now = Utc::now();
    for (person, places) in [(1, "1"), (2, "1"), (3, "4"), (4, "1")] {
        desk.book(date_id, request(person, places), now)
            .await
            .unwrap();
    }
    // Person 3 (asking for four) holds an offer of the two free places; Person 4 waits behind.
    let bookings = bookings_of_date(&app, date_id).await;
    let lapses = bookings[2].offer_expires_at.expect("an offer to Person 3");
    let (before, after) = (lapses - Duration::minutes(1), lapses + Duration::minutes(1));

    let holder = holding_the_date(&app, date_id).await;
    let opening = book_in_background_at(&desk, date_id, request(5, "1"), before);
    until_queued(&desk, date_id, 0).await;
    let on_time = book_in_background_at(&desk, date_id, request(6, "1"), before);
    until_queued(&desk, date_id, 1).await;
    let late = book_in_background_at(&desk, date_id, request(7, "1"), after);
    until_queued(&desk, date_id, 2).await;
    holder.rollback().await.unwrap();
    let position = |answer: Result<Booked, BookingError>| answer.unwrap().waiting_position;
    assert_eq!(position(opening.await.unwrap()), Some(3));
    assert_eq!(position(on_time.await.unwrap()), Some(4));
    // Persons 4 and 5 got the two places; Person 3 (still asking for four) and Person 6 wait.
    assert_eq!(position(late.await.unwrap()), Some(3));

    let states: Vec<_> = bookings_of_date(&app, date_id)
        .await
        .into_iter()
        .map(|b| b.status)
        .collect();
    use BookingStatus::{Confirmed, Waitlisted};
    assert_eq!(
        states,
        [
            Confirmed, Confirmed, Waitlisted, Confirmed, Confirmed, Waitlisted, Waitlisted
        ]
    );
});

// Booked again with the same address: the refusal stands, and the first booking's link goes to the
// address once more, at most once an hour, through the form and the API alike. People who lost
// their confirmation find their booking so, and whoever typed in someone else's address to learn
// whether they booked is made known to the address's owner.
on_both_backends!(
    booking_again_with_the_same_address_mails_the_booking_link_once_an_hour,
    |app| {
        let date_id = course_date(&app, NewCourseDate::default()).await;
        let date = offer_date::Entity::find_by_id(date_id)
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        let course = teilhabe::db::entities::offer::Entity::find_by_id(date.offer_id)
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        let form = format!("/kurse/{}/termine/{date_id}/buchen", course.slug);
        let booked = app
            .submit(
                &form,
                &form,
                &[
                    ("name", "Erika Muster"),
                    ("email", "erika@example.de"),
                    ("phone", ""),
                    ("places", "1"),
                ],
            )
            .await;
        assert_eq!(booked.status(), 303);
        let link = booked.headers()["location"].to_str().unwrap().to_owned();
        assert!(link.starts_with("/buchung/"), "{link}");
        let before = app.mails().await.len();

        // Sent twice at once (a client without an Idempotency-Key): no mail about a second booking.
        let res = app
            .client
            .post(app.url(&format!("/api/v1/dates/{date_id}/bookings")))
            .json(&serde_json::json!({"name": "Erika Muster", "email": "erika@example.de", "places": 1}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 409);
        assert_eq!(app.mails().await.len(), before, "booked a moment ago");
        // Booked an hour ago, as when the confirmation got lost.
        booking::Entity::update_many()
            .col_expr(
                booking::Column::CreatedAt,
                Expr::value(Utc::now() - Duration::hours(1)),
            )
            .filter(booking::Column::DateId.eq(date_id))
            .exec(&app.db)
            .await
            .unwrap();

        let again = app
            .submit(
                &form,
                &form,
                &[
                    ("name", "Jemand anderes"),
                    ("email", "Erika@Example.de"),
                    ("phone", ""),
                    ("places", "1"),
                ],
            )
            .await;
        assert_ne!(again.status(), 303);
        assert!(again.text().await.unwrap().contains("schon gebucht"));
        let mails = app.mails().await;
        assert_eq!(mails.len(), before + 1, "one mail more");
        let mail = mails.last().unwrap();
        assert!(mail.contains("To: erika@example.de"), "{mail}");
        assert!(mail.contains(&link), "the booking's own link: {mail}");
        assert!(!mail.contains("Jemand anderes"), "{mail}");

        // Within the hour, the API's refusal sends no further mail.
        let res = app
            .client
            .post(app.url(&format!("/api/v1/dates/{date_id}/bookings")))
            .json(&serde_json::json!({"name": "X", "email": "erika@example.de", "places": 1}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 409);
        assert_eq!(app.mails().await.len(), before + 1, "at most one an hour");
        assert_eq!(bookings_of_date(&app, date_id).await.len(), 1);
    }
);
