//! FSJ-Digital volunteering: sessions that need helpers (standalone or as helpers for a course date),
//! sign-ups with a counter changed only by conditional updates, a private calendar feed per volunteer,
//! session reports (head counts, walk-ins, topics) and the hours log with the coordinator's approval.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Shifts::Table)
                    .col(pk_auto(Shifts::Id))
                    .col(integer(Shifts::OrganisationId))
                    // Helpers for a course date or dialogue event; standalone sessions have none.
                    .col(integer_null(Shifts::OfferDateId))
                    .col(integer_null(Shifts::VenueId))
                    .col(string(Shifts::Kind))
                    .col(string(Shifts::Title))
                    // Where exactly, e.g. "Seniorenheim Am Park, Aufenthaltsraum".
                    .col(text(Shifts::Place))
                    .col(string(Shifts::DistrictKey))
                    .col(timestamp_with_time_zone(Shifts::StartsAt))
                    .col(timestamp_with_time_zone(Shifts::EndsAt))
                    .col(integer(Shifts::VolunteersNeeded))
                    // One helper per this many participants of the linked date, on top of the minimum.
                    .col(integer_null(Shifts::ParticipantsPerHelper))
                    .col(text(Shifts::Skills))
                    // Active sign-ups; changed only inside the sign-up transaction.
                    .col(integer(Shifts::SignedUp).default(0))
                    .col(string(Shifts::Status))
                    .col(timestamp_with_time_zone_null(Shifts::GapRemindedAt))
                    .col(integer_null(Shifts::CreatedBy))
                    .col(timestamp_with_time_zone(Shifts::CreatedAt))
                    .check(Expr::col(Shifts::SignedUp).gte(0))
                    .check(Expr::col(Shifts::VolunteersNeeded).gte(0))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Shifts::Table, Shifts::OrganisationId)
                            .to(Organisations::Table, Organisations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Shifts::Table, Shifts::OfferDateId)
                            .to(OfferDates::Table, OfferDates::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Shifts::Table, Shifts::VenueId)
                            .to(Venues::Table, Venues::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Shifts::Table, Shifts::CreatedBy)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_shifts_start")
                    .table(Shifts::Table)
                    .col(Shifts::StartsAt)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Signups::Table)
                    .col(big_pk_auto(Signups::Id))
                    .col(integer(Signups::ShiftId))
                    .col(integer(Signups::UserId))
                    // `active` or `withdrawn`; signing up again reactivates the row.
                    .col(string(Signups::Status))
                    .col(timestamp_with_time_zone(Signups::SignedUpAt))
                    .col(timestamp_with_time_zone_null(Signups::WithdrawnAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Signups::Table, Signups::ShiftId)
                            .to(Shifts::Table, Shifts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Signups::Table, Signups::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_volunteer_signups_once")
                    .table(Signups::Table)
                    .col(Signups::ShiftId)
                    .col(Signups::UserId)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Feeds::Table)
                    .col(integer(Feeds::UserId).primary_key())
                    .col(string_uniq(Feeds::TokenHash))
                    .col(timestamp_with_time_zone(Feeds::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Feeds::Table, Feeds::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Reports::Table)
                    .col(integer(Reports::ShiftId).primary_key())
                    // People reached where nobody registers (a senior home's common room).
                    .col(integer_null(Reports::HeadCount))
                    .col(integer(Reports::WalkIns).default(0))
                    // Comma-separated topic keys of the course catalogue.
                    .col(string(Reports::Topics))
                    .col(text(Reports::Questions))
                    .col(integer_null(Reports::RecordedBy))
                    .col(timestamp_with_time_zone(Reports::UpdatedAt))
                    .check(Expr::col(Reports::WalkIns).gte(0))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Reports::Table, Reports::ShiftId)
                            .to(Shifts::Table, Shifts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Reports::Table, Reports::RecordedBy)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Hours::Table)
                    .col(big_pk_auto(Hours::Id))
                    .col(integer(Hours::ShiftId))
                    .col(integer(Hours::UserId))
                    .col(timestamp_with_time_zone(Hours::StartedAt))
                    .col(timestamp_with_time_zone(Hours::EndedAt))
                    .col(integer(Hours::Minutes))
                    // `submitted`, `approved` or `rejected`.
                    .col(string(Hours::Status))
                    .col(integer_null(Hours::DecidedBy))
                    .col(timestamp_with_time_zone_null(Hours::DecidedAt))
                    .col(timestamp_with_time_zone(Hours::CreatedAt))
                    .check(Expr::col(Hours::Minutes).gt(0))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Hours::Table, Hours::ShiftId)
                            .to(Shifts::Table, Shifts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Hours::Table, Hours::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Hours::Table, Hours::DecidedBy)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_volunteer_hours_once")
                    .table(Hours::Table)
                    .col(Hours::ShiftId)
                    .col(Hours::UserId)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Hours::Table.into_iden(),
            Reports::Table.into_iden(),
            Feeds::Table.into_iden(),
            Signups::Table.into_iden(),
            Shifts::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Organisations {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum OfferDates {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Venues {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Shifts {
    #[sea_orm(iden = "volunteer_shifts")]
    Table,
    Id,
    OrganisationId,
    OfferDateId,
    VenueId,
    Kind,
    Title,
    Place,
    DistrictKey,
    StartsAt,
    EndsAt,
    VolunteersNeeded,
    ParticipantsPerHelper,
    Skills,
    SignedUp,
    Status,
    GapRemindedAt,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Signups {
    #[sea_orm(iden = "volunteer_signups")]
    Table,
    Id,
    ShiftId,
    UserId,
    Status,
    SignedUpAt,
    WithdrawnAt,
}

#[derive(DeriveIden)]
enum Feeds {
    #[sea_orm(iden = "volunteer_feeds")]
    Table,
    UserId,
    TokenHash,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Reports {
    #[sea_orm(iden = "session_reports")]
    Table,
    ShiftId,
    HeadCount,
    WalkIns,
    Topics,
    Questions,
    RecordedBy,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Hours {
    #[sea_orm(iden = "volunteer_hours")]
    Table,
    Id,
    ShiftId,
    UserId,
    StartedAt,
    EndedAt,
    Minutes,
    Status,
    DecidedBy,
    DecidedAt,
    CreatedAt,
}
