//! Each date carries how many bookings wait on its list (migration
//! `m20261207_000034_waiting_count`). Database triggers keep the count in step on any write: these
//! tests book, cancel and promote through the booking desk, and move, add and delete bookings
//! directly in the database, as no service of the portal would; after each step the count equals
//! the bookings waiting.
use chrono::{Duration, Utc};
use migration::{Migrator, MigratorTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Statement, sea_query::Expr};
use teilhabe::{
    db::entities::{booking, offer_date},
    domain::booking::{BookingRequest, BookingStatus, Channel},
};

use crate::helpers::*;
use crate::on_both_backends;

fn request(i: usize) -> BookingRequest {
    BookingRequest::parse(
        &format!("Person {i}"),
        &format!("waiting{i}@example.de"),
        "",
        "1",
        Channel::Online,
    )
    .unwrap()
}

async fn one_place(app: &TestApp) -> i32 {
    course_date(
        app,
        NewCourseDate {
            capacity: 1,
            starts_in: Duration::days(3),
            ..Default::default()
        },
    )
    .await
}

/// The date's stored count, after checking it against the bookings waiting.
async fn waiting(app: &TestApp, date_id: i32) -> i32 {
    let stored = offer_date::Entity::find_by_id(date_id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .waiting_count;
    let counted = waiting_bookings(app, date_id).await;
    assert_eq!(i64::from(stored), counted as i64, "date {date_id}");
    stored
}

on_both_backends!(
    the_waiting_count_follows_every_change_of_the_bookings,
    |app| {
        let date_id = one_place(&app).await;
        let other_id = one_place(&app).await;
        let now = Utc::now();
        let mut booked = Vec::new();
        for i in 0..4 {
            booked.push(app.desk().book(date_id, request(i), now).await.unwrap());
        }
        assert_eq!(waiting(&app, date_id).await, 3);

        // Someone waiting cancels; then the confirmed person cancels and the next in line moves up.
        app.desk()
            .cancel(&booked[1].cancel_token, now)
            .await
            .unwrap();
        assert_eq!(waiting(&app, date_id).await, 2);
        let cancelled = app
            .desk()
            .cancel(&booked[0].cancel_token, now)
            .await
            .unwrap();
        assert_eq!(cancelled.promoted, vec![booked[2].booking_id]);
        assert_eq!(waiting(&app, date_id).await, 1);

        // Directly in the database: a waiting booking moved to another date, a confirmed one put on
        // the list, a waiting one deleted.
        let set = |column: booking::Column, value: Expr, id: i64| {
            booking::Entity::update_many()
                .col_expr(column, value)
                .filter(booking::Column::Id.eq(id))
        };
        set(
            booking::Column::DateId,
            Expr::value(other_id),
            booked[3].booking_id,
        )
        .exec(&app.db)
        .await
        .unwrap();
        assert_eq!(waiting(&app, date_id).await, 0);
        assert_eq!(waiting(&app, other_id).await, 1);
        set(
            booking::Column::Status,
            Expr::value(BookingStatus::Waitlisted),
            booked[2].booking_id,
        )
        .exec(&app.db)
        .await
        .unwrap();
        assert_eq!(waiting(&app, date_id).await, 1);
        booking::Entity::delete_by_id(booked[3].booking_id)
            .exec(&app.db)
            .await
            .unwrap();
        assert_eq!(waiting(&app, other_id).await, 0);

        // A date deleted with bookings waiting takes them along without a fault.
        let third = app.desk().book(other_id, request(10), now).await.unwrap();
        let fourth = app.desk().book(other_id, request(11), now).await.unwrap();
        assert_eq!(
            (third.status, fourth.status),
            (BookingStatus::Confirmed, BookingStatus::Waitlisted)
        );
        assert_eq!(waiting(&app, other_id).await, 1);
        offer_date::Entity::delete_by_id(other_id)
            .exec(&app.db)
            .await
            .unwrap();
    }
);

// The migration counts the bookings already waiting: taken back and applied again, it finds the
// same counts.
on_both_backends!(the_migration_counts_the_bookings_already_waiting, |app| {
    let date_id = one_place(&app).await;
    let now = Utc::now();
    for i in 0..5 {
        app.desk().book(date_id, request(i), now).await.unwrap();
    }
    // Taken back with the migrations after it.
    let migration = "m20261207_000034_waiting_count";
    let from_it = Migrator::migrations()
        .iter()
        .rev()
        .position(|m| m.name() == migration)
        .unwrap()
        + 1;
    Migrator::down(&app.db, Some(from_it as u32)).await.unwrap();
    let pending = Migrator::get_pending_migrations(&app.db).await.unwrap();
    assert_eq!(pending.len(), from_it);
    assert_eq!(pending[0].name(), migration);
    Migrator::up(&app.db, None).await.unwrap();
    assert_eq!(waiting(&app, date_id).await, 4);
    assert!(
        counted_wrong(&app).await.is_empty(),
        "the demo dates are counted too"
    );
});

/// Dates whose stored count differs from the bookings waiting for them.
async fn counted_wrong(app: &TestApp) -> Vec<i32> {
    let rows = app
        .db
        .query_all_raw(Statement::from_string(
            app.db.get_database_backend(),
            "SELECT id FROM offer_dates WHERE waiting_count <> (SELECT COUNT(*) FROM bookings \
             WHERE bookings.date_id = offer_dates.id AND bookings.status = 'waitlisted')",
        ))
        .await
        .unwrap();
    rows.iter()
        .map(|row| row.try_get("", "id").unwrap())
        .collect()
}
