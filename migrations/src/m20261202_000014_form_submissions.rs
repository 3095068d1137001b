//! A form sent twice (double click, a slow connection, the back button) creates one booking or
//! proposal: each form carries a key, and the first result is kept for a day under it.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(FormSubmissions::Table)
                    .col(string(FormSubmissions::KeyHash).primary_key())
                    .col(string_null(FormSubmissions::Location))
                    .col(timestamp_with_time_zone(FormSubmissions::CreatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(FormSubmissions::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum FormSubmissions {
    Table,
    KeyHash,
    Location,
    CreatedAt,
}
