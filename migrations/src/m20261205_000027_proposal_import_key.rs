//! A fingerprint of each imported proposal (district, day, title and text), unique, so that running
//! the same import file again (after fixing its invalid rows, say) adds only what is new.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Proposals::Table)
                    .add_column(string_null(Proposals::ImportKey))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_proposal_import_key")
                    .table(Proposals::Table)
                    .col(Proposals::ImportKey)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_proposal_import_key")
                    .table(Proposals::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Proposals::Table)
                    .drop_column(Proposals::ImportKey)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Proposals {
    Table,
    ImportKey,
}
