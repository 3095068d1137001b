//! How often an export job was started. A job whose runs all end without a result (the process
//! dies during it, say from an export too large for its memory, or the result cannot be stored)
//! was taken up again every two minutes for ever; after three runs it is now given up as failed.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ExportJobs::Table)
                    .add_column(integer(ExportJobs::Attempts).default(0))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ExportJobs::Table)
                    .drop_column(ExportJobs::Attempts)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum ExportJobs {
    Table,
    Attempts,
}
