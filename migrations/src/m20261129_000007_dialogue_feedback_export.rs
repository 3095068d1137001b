//! Dialogue events (offers of kind `dialog` with agenda and support offered), anonymous feedback
//! after dates with its invitations, API tokens for the export endpoint, and the log of exports.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let offer_columns = [
            ColumnDef::new(Offers::Agenda).text().null().to_owned(),
            ColumnDef::new(Offers::RegistrationRequired)
                .boolean()
                .not_null()
                .default(true)
                .to_owned(),
            ColumnDef::new(Offers::Audience).text().null().to_owned(),
            // Comma-separated keys: sign-language interpreter on request, hearing loop, companion welcome.
            ColumnDef::new(Offers::SupportOffered)
                .string()
                .null()
                .to_owned(),
        ];
        for column in offer_columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(Offers::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        let date_columns = [
            ColumnDef::new(OfferDates::FeedbackInvitedAt)
                .timestamp_with_time_zone()
                .null()
                .to_owned(),
            // The code in the printed QR link of a date's feedback form.
            ColumnDef::new(OfferDates::FeedbackCode)
                .string()
                .null()
                .to_owned(),
        ];
        for column in date_columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(OfferDates::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(Feedback::Table)
                    .col(big_pk_auto(Feedback::Id))
                    .col(integer(Feedback::DateId))
                    // `online` (mailed link), `qr` (printed code), `kiosk` or `paper` (typed in by staff).
                    .col(string(Feedback::Channel))
                    .col(small_integer(Feedback::Rating))
                    .col(text_null(Feedback::Helped))
                    .col(text_null(Feedback::Missing))
                    // Comma-separated topic keys.
                    .col(string_null(Feedback::TopicsWanted))
                    .col(text_null(Feedback::FreeText))
                    // Self-assessed confidence 1..5 before and after, per DigComp 2.2 competence area.
                    .col(small_integer_null(Feedback::BeforeInformation))
                    .col(small_integer_null(Feedback::BeforeCommunication))
                    .col(small_integer_null(Feedback::BeforeContent))
                    .col(small_integer_null(Feedback::BeforeSafety))
                    .col(small_integer_null(Feedback::BeforeProblemSolving))
                    .col(small_integer_null(Feedback::AfterInformation))
                    .col(small_integer_null(Feedback::AfterCommunication))
                    .col(small_integer_null(Feedback::AfterContent))
                    .col(small_integer_null(Feedback::AfterSafety))
                    .col(small_integer_null(Feedback::AfterProblemSolving))
                    // The day only: a time would make a submission easier to link to a person.
                    .col(date(Feedback::SubmittedOn))
                    .check(Expr::col(Feedback::Rating).between(1, 5))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Feedback::Table, Feedback::DateId)
                            .to(OfferDates::Table, OfferDates::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_feedback_submitted")
                    .table(Feedback::Table)
                    .col(Feedback::SubmittedOn)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(FeedbackInvitations::Table)
                    .col(big_pk_auto(FeedbackInvitations::Id))
                    .col(integer(FeedbackInvitations::DateId))
                    .col(string_uniq(FeedbackInvitations::TokenHash))
                    .col(timestamp_with_time_zone_null(FeedbackInvitations::UsedAt))
                    .col(timestamp_with_time_zone(FeedbackInvitations::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(FeedbackInvitations::Table, FeedbackInvitations::DateId)
                            .to(OfferDates::Table, OfferDates::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ApiTokens::Table)
                    .col(pk_auto(ApiTokens::Id))
                    .col(integer(ApiTokens::UserId))
                    .col(string(ApiTokens::Name))
                    .col(string_uniq(ApiTokens::TokenHash))
                    .col(timestamp_with_time_zone(ApiTokens::CreatedAt))
                    .col(timestamp_with_time_zone_null(ApiTokens::LastUsedAt))
                    .col(timestamp_with_time_zone_null(ApiTokens::RevokedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ApiTokens::Table, ApiTokens::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ExportRuns::Table)
                    .col(pk_auto(ExportRuns::Id))
                    .col(date(ExportRuns::PeriodFrom))
                    .col(date(ExportRuns::PeriodTo))
                    .col(string(ExportRuns::Format))
                    // `cli` or `api:<user id>`.
                    .col(string(ExportRuns::StartedBy))
                    .col(timestamp_with_time_zone(ExportRuns::FinishedAt))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ExportRuns::Table.into_iden(),
            ApiTokens::Table.into_iden(),
            FeedbackInvitations::Table.into_iden(),
            Feedback::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        for column in [OfferDates::FeedbackInvitedAt, OfferDates::FeedbackCode] {
            manager
                .alter_table(
                    Table::alter()
                        .table(OfferDates::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        for column in [
            Offers::Agenda,
            Offers::RegistrationRequired,
            Offers::Audience,
            Offers::SupportOffered,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Offers::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Offers {
    Table,
    Agenda,
    RegistrationRequired,
    Audience,
    SupportOffered,
}

#[derive(DeriveIden)]
enum OfferDates {
    Table,
    Id,
    FeedbackInvitedAt,
    FeedbackCode,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Feedback {
    Table,
    Id,
    DateId,
    Channel,
    Rating,
    Helped,
    Missing,
    TopicsWanted,
    FreeText,
    BeforeInformation,
    BeforeCommunication,
    BeforeContent,
    BeforeSafety,
    BeforeProblemSolving,
    AfterInformation,
    AfterCommunication,
    AfterContent,
    AfterSafety,
    AfterProblemSolving,
    SubmittedOn,
}

#[derive(DeriveIden)]
enum FeedbackInvitations {
    Table,
    Id,
    DateId,
    TokenHash,
    UsedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ApiTokens {
    Table,
    Id,
    UserId,
    Name,
    TokenHash,
    CreatedAt,
    LastUsedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum ExportRuns {
    Table,
    Id,
    PeriodFrom,
    PeriodTo,
    Format,
    StartedBy,
    FinishedAt,
}
