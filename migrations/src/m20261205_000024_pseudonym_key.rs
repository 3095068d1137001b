//! The fingerprint of the key that pseudonymises stored addresses (a supporter's address, the
//! client address and account of a throttle count). The application converts the plain hashes
//! stored before this migration when it first starts with a key, and refuses to start with a key
//! other than the one recorded here: instances with different keys would not recognise the same
//! person.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PseudonymKey::Table)
                    .col(integer(PseudonymKey::Id).primary_key())
                    .col(string(PseudonymKey::Fingerprint))
                    .col(timestamp_with_time_zone(PseudonymKey::AdoptedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PseudonymKey::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum PseudonymKey {
    Table,
    Id,
    Fingerprint,
    AdoptedAt,
}
