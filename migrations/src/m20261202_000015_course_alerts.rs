//! Course alerts: "tell me when there is a course for me". A person leaves an e-mail address for a
//! catalogue filter, confirms it by link, and gets at most one mail a week listing the new matching
//! dates. Only hashes of the mailed secrets are stored; every alert mail carries a one-click
//! unsubscribe header (RFC 8058), kept with the queued mail.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CourseAlerts::Table)
                    .col(big_pk_auto(CourseAlerts::Id))
                    .col(string(CourseAlerts::Email))
                    .col(string_len(CourseAlerts::Language, 8))
                    .col(string_len(CourseAlerts::Kind, 16))
                    .col(string(CourseAlerts::FilterQuery))
                    .col(integer_null(CourseAlerts::UserId))
                    .col(string_len(CourseAlerts::Channel, 16))
                    .col(timestamp_with_time_zone(CourseAlerts::CreatedAt))
                    .col(timestamp_with_time_zone_null(CourseAlerts::ConfirmedAt))
                    .col(timestamp_with_time_zone_null(CourseAlerts::LastSentAt))
                    .col(timestamp_with_time_zone_null(CourseAlerts::CheckedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(CourseAlerts::Table, CourseAlerts::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_course_alert_unique_filter")
                    .table(CourseAlerts::Table)
                    .col(CourseAlerts::Email)
                    .col(CourseAlerts::Kind)
                    .col(CourseAlerts::FilterQuery)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_course_alert_due")
                    .table(CourseAlerts::Table)
                    .col(CourseAlerts::ConfirmedAt)
                    .col(CourseAlerts::LastSentAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_course_alert_user")
                    .table(CourseAlerts::Table)
                    .col(CourseAlerts::UserId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CourseAlertTokens::Table)
                    .col(string(CourseAlertTokens::TokenHash).primary_key())
                    .col(big_integer(CourseAlertTokens::AlertId))
                    .col(string_len(CourseAlertTokens::Purpose, 16))
                    .col(timestamp_with_time_zone(CourseAlertTokens::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(CourseAlertTokens::Table, CourseAlertTokens::AlertId)
                            .to(CourseAlerts::Table, CourseAlerts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_course_alert_token_alert")
                    .table(CourseAlertTokens::Table)
                    .col(CourseAlertTokens::AlertId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CourseAlertDates::Table)
                    .col(big_integer(CourseAlertDates::AlertId))
                    .col(integer(CourseAlertDates::DateId))
                    .col(timestamp_with_time_zone(CourseAlertDates::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(CourseAlertDates::AlertId)
                            .col(CourseAlertDates::DateId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(CourseAlertDates::Table, CourseAlertDates::AlertId)
                            .to(CourseAlerts::Table, CourseAlerts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(CourseAlertDates::Table, CourseAlertDates::DateId)
                            .to(OfferDates::Table, OfferDates::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // The weekly job asks for the newest date on every run.
        manager
            .create_index(
                Index::create()
                    .name("idx_offer_date_created")
                    .table(OfferDates::Table)
                    .col(OfferDates::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Outbox::Table)
                    .add_column(string_null(Outbox::ListUnsubscribe))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Outbox::Table)
                    .drop_column(Outbox::ListUnsubscribe)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("idx_offer_date_created")
                    .table(OfferDates::Table)
                    .to_owned(),
            )
            .await?;
        for table in [
            CourseAlertDates::Table.into_iden(),
            CourseAlertTokens::Table.into_iden(),
            CourseAlerts::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum CourseAlerts {
    Table,
    Id,
    Email,
    Language,
    Kind,
    FilterQuery,
    UserId,
    Channel,
    CreatedAt,
    ConfirmedAt,
    LastSentAt,
    CheckedAt,
}

#[derive(DeriveIden)]
enum CourseAlertTokens {
    Table,
    TokenHash,
    AlertId,
    Purpose,
    CreatedAt,
}

#[derive(DeriveIden)]
enum CourseAlertDates {
    Table,
    AlertId,
    DateId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum OfferDates {
    Table,
    Id,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Outbox {
    Table,
    ListUnsubscribe,
}
