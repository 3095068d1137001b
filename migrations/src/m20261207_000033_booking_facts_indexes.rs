//! Indexes for what a booking asks under its date's lock, and for walking a date's waiting list.
//! Before, these questions read a row of every booking of the date, so a booking slowed down as
//! the date's waiting list grew into the thousands (BENCHMARKS.md, 2026-12-07):
//! - "has this address booked the date already?": the date and the address lead to the address's
//!   bookings alone, their state in the index;
//! - "which offers of places on the waiting list are still open?": the date's entries by state,
//!   then by when their offer lapses, so only the open offers are read;
//! - the waiting list in arrival order, a page at a time, and a place on it: the date's entries by
//!   state, then by id. This replaces the index on date and state: on SQLite that one ended in the
//!   row id implicitly, on PostgreSQL it had to read and sort the whole list.
//!
//! On PostgreSQL the indexes are built inside the migration's transaction, which holds writes to
//! the bookings until it commits; dropping the old index locks the bookings briefly against reads
//! too.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let conn = manager.get_connection();
        conn.execute_unprepared(
            "CREATE INDEX idx_bookings_date_address ON bookings (date_id, email, status)",
        )
        .await?;
        conn.execute_unprepared(
            "CREATE INDEX idx_bookings_date_status_offer \
             ON bookings (date_id, status, offer_expires_at)",
        )
        .await?;
        conn.execute_unprepared(
            "CREATE INDEX idx_bookings_date_status_id ON bookings (date_id, status, id)",
        )
        .await?;
        conn.execute_unprepared("DROP INDEX idx_booking_date_status")
            .await
            .map(|_| ())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let conn = manager.get_connection();
        conn.execute_unprepared(
            "CREATE INDEX idx_booking_date_status ON bookings (date_id, status)",
        )
        .await?;
        conn.execute_unprepared("DROP INDEX idx_bookings_date_status_id")
            .await?;
        conn.execute_unprepared("DROP INDEX idx_bookings_date_status_offer")
            .await?;
        conn.execute_unprepared("DROP INDEX idx_bookings_date_address")
            .await
            .map(|_| ())
    }
}
