//! Indexes for what every booking asks under its date's lock. Both questions used to read a row of
//! every booking of the date, so a booking slowed down as the date's waiting list grew into the
//! thousands (BENCHMARKS.md, 2026-12-07):
//! - "has this address booked the date already?": the date and the address now lead to the
//!   address's bookings alone, their state in the index;
//! - "which offers of places on the waiting list are still open?": the date's waiting entries are
//!   now ordered by when their offer lapses, so only the open offers are read. The index replaces
//!   the one on date and state, which is its prefix.
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
        conn.execute_unprepared("DROP INDEX idx_bookings_date_status_offer")
            .await?;
        conn.execute_unprepared("DROP INDEX idx_bookings_date_address")
            .await
            .map(|_| ())
    }
}
