//! The fingerprint of the key that pseudonymises stored addresses (a supporter's address, the
//! client address and account of a throttle count). The application refuses to start with a key
//! other than the one recorded here (instances with different keys would not recognise the same
//! person) and converts the plain hashes of earlier versions on every start, found through the new
//! index on the supports' hashes (which also serves account deletion).
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
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_support_email_hash")
                    .table(ProposalSupports::Table)
                    .col(ProposalSupports::EmailHash)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_support_email_hash")
                    .table(ProposalSupports::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(PseudonymKey::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum ProposalSupports {
    Table,
    EmailHash,
}

#[derive(DeriveIden)]
enum PseudonymKey {
    Table,
    Id,
    Fingerprint,
    AdoptedAt,
}
