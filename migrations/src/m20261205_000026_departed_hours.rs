//! Approved minutes of helpers whose accounts were deleted, per session: the person's hours go with
//! the account, the session's total stays in the statistics and exports.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(VolunteerShifts::Table)
                    .add_column(integer(VolunteerShifts::DepartedMinutes).default(0))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(VolunteerShifts::Table)
                    .drop_column(VolunteerShifts::DepartedMinutes)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum VolunteerShifts {
    Table,
    DepartedMinutes,
}
