//! Only the scheduled export (`teilhabe export --since-last`) moves the mark it starts from; other
//! exports (a chosen period, an HTTP download) are still recorded, but no longer move it.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ExportRuns::Table)
                    .add_column(
                        ColumnDef::new(ExportRuns::Scheduled)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .to_owned(),
            )
            .await?;
        // Until now every command-line export moved the mark and HTTP downloads did too; keeping the
        // command-line ones lets the schedule go on where it was, without the downloads' periods.
        manager
            .exec_stmt(
                Query::update()
                    .table(ExportRuns::Table)
                    .value(ExportRuns::Scheduled, true)
                    .and_where(Expr::col(ExportRuns::StartedBy).eq("cli"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ExportRuns::Table)
                    .drop_column(ExportRuns::Scheduled)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum ExportRuns {
    Table,
    StartedBy,
    Scheduled,
}
