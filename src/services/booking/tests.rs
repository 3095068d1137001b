//! How the booking's queries use the indexes (SQLite's query plans).
use chrono::Utc;
use migration::MigratorTrait;
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DbBackend, QueryTrait, Statement};

use super::*;

/// SQLite's plan for `statement`, one line per step.
async fn plan(statement: Statement) -> Vec<String> {
    let mut options = ConnectOptions::new("sqlite::memory:");
    options.max_connections(1).sqlx_logging(false);
    let db = Database::connect(options).await.unwrap();
    migration::Migrator::up(&db, None).await.unwrap();
    let explain = Statement::from_sql_and_values(
        DbBackend::Sqlite,
        format!("EXPLAIN QUERY PLAN {}", statement.sql),
        statement.values.map(|v| v.0).unwrap_or_default(),
    );
    db.query_all_raw(explain)
        .await
        .unwrap()
        .iter()
        .map(|row| row.try_get::<String>("", "detail").unwrap())
        .collect()
}

/// The steps of `plan` that read bookings.
fn bookings_steps(plan: &[String]) -> Vec<&str> {
    plan.iter()
        .map(String::as_str)
        .filter(|step| step.contains("bookings"))
        .collect()
}

// What a booking asks under its date's lock, and the walk down a waiting list, must not read a
// row for every booking of the date: the waiting list can hold thousands (BENCHMARKS.md,
// 2026-12-07, tenth session). Each test names the index and the columns it is searched by.

#[tokio::test]
async fn the_facts_of_a_booking_come_from_indexes() {
    let select = BookingFacts::select(1, 1, Some("ada@example.org"), Utc::now());
    let plan = plan(DbBackend::Sqlite.build(&select)).await;
    let open_offers = "SEARCH bookings USING INDEX idx_bookings_date_status_offer \
                       (date_id=? AND status=? AND offer_expires_at>?)";
    let address = "SEARCH bookings USING COVERING INDEX idx_bookings_date_address \
                   (date_id=? AND email=?)";
    assert_eq!(
        bookings_steps(&plan),
        [open_offers, open_offers, address],
        "{plan:?}"
    );
}

#[tokio::test]
async fn the_addresses_a_turn_compares_come_from_an_index() {
    let select = queue::booked_among(1, ["ada@example.org", "bob@example.org"]);
    let plan = plan(select.build(DbBackend::Sqlite)).await;
    assert_eq!(
        bookings_steps(&plan),
        ["SEARCH bookings USING COVERING INDEX idx_bookings_date_address (date_id=? AND email=?)"],
        "{plan:?}"
    );
}

#[tokio::test]
async fn a_page_of_the_waiting_list_starts_where_the_last_ended() {
    let select = waiting_list::waiting_page(1, 100);
    let plan = plan(select.build(DbBackend::Sqlite)).await;
    assert_eq!(
        bookings_steps(&plan),
        [
            "SEARCH bookings USING INDEX idx_bookings_date_status_id (date_id=? AND status=? AND id>?)"
        ],
        "{plan:?}"
    );
    assert!(
        !plan.iter().any(|step| step.contains("TEMP B-TREE")),
        "{plan:?}"
    );
}
