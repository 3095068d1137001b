//! Reference data (districts), organisations, venues, users with roles, and accessibility feedback.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(District::Table)
                    .col(string_len(District::Key, 5).primary_key())
                    .col(string(District::Name))
                    .col(string(District::Kind))
                    .col(string(District::Plate))
                    .col(string(District::Seat))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Organisation::Table)
                    .col(pk_auto(Organisation::Id))
                    .col(string_uniq(Organisation::Slug))
                    .col(string(Organisation::Name))
                    .col(string(Organisation::Kind))
                    .col(string(Organisation::Email))
                    .col(string(Organisation::Phone))
                    .col(string(Organisation::Website))
                    .col(string_len_null(Organisation::DistrictKey, 5))
                    .col(timestamp_with_time_zone(Organisation::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Organisation::Table, Organisation::DistrictKey)
                            .to(District::Table, District::Key),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Venue::Table)
                    .col(pk_auto(Venue::Id))
                    .col(string_uniq(Venue::Slug))
                    .col(integer(Venue::OrganisationId))
                    .col(string(Venue::Name))
                    .col(string(Venue::Street))
                    .col(string_len(Venue::PostalCode, 5))
                    .col(string(Venue::Town))
                    .col(string_len(Venue::DistrictKey, 5))
                    .col(boolean(Venue::StepFree))
                    .col(boolean(Venue::AccessibleToilet))
                    .col(boolean(Venue::HearingLoop))
                    .col(boolean(Venue::Parking))
                    .col(text(Venue::AccessibilityNotes))
                    .col(text(Venue::Directions))
                    .col(timestamp_with_time_zone(Venue::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Venue::Table, Venue::OrganisationId)
                            .to(Organisation::Table, Organisation::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Venue::Table, Venue::DistrictKey)
                            .to(District::Table, District::Key),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_venue_district")
                    .table(Venue::Table)
                    .col(Venue::DistrictKey)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(User::Table)
                    .col(pk_auto(User::Id))
                    .col(string_uniq(User::Email))
                    .col(string(User::DisplayName))
                    .col(string_null(User::PasswordHash))
                    .col(timestamp_with_time_zone_null(User::EmailVerifiedAt))
                    .col(timestamp_with_time_zone(User::CreatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(UserRole::Table)
                    .col(pk_auto(UserRole::Id))
                    .col(integer(UserRole::UserId))
                    .col(string(UserRole::Role))
                    .col(integer_null(UserRole::OrganisationId))
                    .col(string_len_null(UserRole::DistrictKey, 5))
                    .col(timestamp_with_time_zone(UserRole::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(UserRole::Table, UserRole::UserId)
                            .to(User::Table, User::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(UserRole::Table, UserRole::OrganisationId)
                            .to(Organisation::Table, Organisation::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(UserRole::Table, UserRole::DistrictKey)
                            .to(District::Table, District::Key),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(BarrierReport::Table)
                    .col(pk_auto(BarrierReport::Id))
                    .col(string_len(BarrierReport::PageUrl, 500))
                    .col(text(BarrierReport::Description))
                    .col(string_null(BarrierReport::ContactName))
                    .col(string_null(BarrierReport::ContactEmail))
                    .col(string_len(BarrierReport::Language, 5))
                    .col(string(BarrierReport::Status))
                    .col(timestamp_with_time_zone(BarrierReport::CreatedAt))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(BarrierReport::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(UserRole::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(User::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Venue::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Organisation::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(District::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum District {
    #[sea_orm(iden = "districts")]
    Table,
    Key,
    Name,
    Kind,
    Plate,
    Seat,
}

#[derive(DeriveIden)]
enum Organisation {
    #[sea_orm(iden = "organisations")]
    Table,
    Id,
    Slug,
    Name,
    Kind,
    Email,
    Phone,
    Website,
    DistrictKey,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Venue {
    #[sea_orm(iden = "venues")]
    Table,
    Id,
    Slug,
    OrganisationId,
    Name,
    Street,
    PostalCode,
    Town,
    DistrictKey,
    StepFree,
    AccessibleToilet,
    HearingLoop,
    Parking,
    AccessibilityNotes,
    Directions,
    CreatedAt,
}

#[derive(DeriveIden)]
enum User {
    #[sea_orm(iden = "users")]
    Table,
    Id,
    Email,
    DisplayName,
    PasswordHash,
    EmailVerifiedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum UserRole {
    #[sea_orm(iden = "user_roles")]
    Table,
    Id,
    UserId,
    Role,
    OrganisationId,
    DistrictKey,
    CreatedAt,
}

#[derive(DeriveIden)]
enum BarrierReport {
    #[sea_orm(iden = "barrier_reports")]
    Table,
    Id,
    PageUrl,
    Description,
    ContactName,
    ContactEmail,
    Language,
    Status,
    CreatedAt,
}
