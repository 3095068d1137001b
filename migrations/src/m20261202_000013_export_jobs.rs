//! Exports requested in the back office run as jobs: any instance may pick one up, its progress is
//! visible, and the finished ZIP is kept in the database so every instance can hand it out.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ExportJobs::Table)
                    .col(pk_auto(ExportJobs::Id))
                    .col(integer(ExportJobs::RequestedBy))
                    .col(date(ExportJobs::PeriodFrom))
                    .col(date(ExportJobs::PeriodTo))
                    .col(string(ExportJobs::Format))
                    .col(boolean(ExportJobs::Bom))
                    // queued, running, done or failed
                    .col(string(ExportJobs::Status))
                    .col(integer(ExportJobs::FilesDone))
                    .col(integer(ExportJobs::FilesTotal))
                    .col(big_integer(ExportJobs::RowsDone))
                    .col(text_null(ExportJobs::Manifest))
                    .col(timestamp_with_time_zone(ExportJobs::CreatedAt))
                    .col(timestamp_with_time_zone(ExportJobs::UpdatedAt))
                    .col(timestamp_with_time_zone_null(ExportJobs::FinishedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ExportJobs::Table, ExportJobs::RequestedBy)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_export_jobs_status")
                    .table(ExportJobs::Table)
                    .col(ExportJobs::Status)
                    .col(ExportJobs::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ExportJobZips::Table)
                    .col(integer(ExportJobZips::JobId).primary_key())
                    .col(blob(ExportJobZips::Bytes))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ExportJobZips::Table, ExportJobZips::JobId)
                            .to(ExportJobs::Table, ExportJobs::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ExportJobZips::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(ExportJobs::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum ExportJobs {
    Table,
    Id,
    RequestedBy,
    PeriodFrom,
    PeriodTo,
    Format,
    Bom,
    Status,
    FilesDone,
    FilesTotal,
    RowsDone,
    Manifest,
    CreatedAt,
    UpdatedAt,
    FinishedAt,
}

#[derive(DeriveIden)]
enum ExportJobZips {
    Table,
    JobId,
    Bytes,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}
