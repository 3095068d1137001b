//! The `Idempotency-Key` an API client sent with a booking, hashed together with the date, unique:
//! a client that repeats a request whose answer it lost (a timeout at the proxy, a dropped
//! connection after the commit) gets the booking it made instead of a second one. Stored in the
//! booking's own row, so the key and the booking are committed together or not at all.
use sea_orm_migration::{prelude::*, schema::*, sea_orm::ConnectionTrait};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Bookings::Table)
                    .add_column(string_null(Bookings::IdempotencyKeyHash))
                    .to_owned(),
            )
            .await?;
        // Partial: only the few bookings made with a key have an entry, so the others (every
        // booking of a rush, under the date's lock) write no index entry for it.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX idx_booking_idempotency_key ON bookings (idempotency_key_hash) \
                 WHERE idempotency_key_hash IS NOT NULL",
            )
            .await
            .map(drop)
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_booking_idempotency_key")
                    .table(Bookings::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Bookings::Table)
                    .drop_column(Bookings::IdempotencyKeyHash)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Bookings {
    Table,
    IdempotencyKeyHash,
}
