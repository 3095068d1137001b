//! The booking engine: never oversold under concurrency, waiting list in arrival order, clear refusals.
use chrono::{Duration, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use teilhabe::{
    db::entities::{booking, offer_date},
    domain::booking::{BookingRequest, BookingStatus, Channel},
    services::booking::BookingError,
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
    let desk = app.desk();
    let handles: Vec<_> = (0..200)
        .map(|i| {
            let desk = desk.clone();
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
    assert_eq!(date.booked_places, 20);
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
