//! Proposals with their public status history, supports, followers and reports, and the outbox
//! that carries index updates to the search backend.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Proposals::Table)
                    .col(big_pk_auto(Proposals::Id))
                    .col(string(Proposals::Title))
                    .col(text(Proposals::Body))
                    .col(string(Proposals::Category))
                    .col(string(Proposals::DistrictKey))
                    .col(string_null(Proposals::Town))
                    .col(string(Proposals::Status))
                    // Reason shown to the author (changes asked for, rejected by moderation).
                    .col(text_null(Proposals::ModerationNote))
                    .col(text_null(Proposals::OfficialAnswer))
                    .col(timestamp_with_time_zone_null(Proposals::AnsweredAt))
                    .col(string(Proposals::Channel))
                    .col(integer_null(Proposals::AuthorUserId))
                    .col(string_null(Proposals::AuthorEmail))
                    // Optional phone or address for questions; only moderators see it.
                    .col(string_null(Proposals::Contact))
                    .col(string(Proposals::Language))
                    // Hash of the author's secret link (status page, changes, confirmation).
                    .col(string_uniq(Proposals::AuthorTokenHash))
                    .col(timestamp_with_time_zone_null(Proposals::ConfirmedAt))
                    .col(big_integer_null(Proposals::MergedIntoId))
                    .col(big_integer_null(Proposals::EventOfferId))
                    // Supports brought in by an import; verified supports are counted on top.
                    .col(integer(Proposals::ImportedSupports).default(0))
                    .col(integer(Proposals::SupportsCount).default(0))
                    .col(text(Proposals::SearchText))
                    .col(timestamp_with_time_zone(Proposals::CreatedAt))
                    .col(timestamp_with_time_zone_null(Proposals::PublishedAt))
                    .col(timestamp_with_time_zone(Proposals::UpdatedAt))
                    .check(Expr::col(Proposals::SupportsCount).gte(0))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Proposals::Table, Proposals::DistrictKey)
                            .to(Districts::Table, Districts::Key),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Proposals::Table, Proposals::AuthorUserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Proposals::Table, Proposals::MergedIntoId)
                            .to(Proposals::Table, Proposals::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("idx_proposal_status", Proposals::Status),
            ("idx_proposal_district", Proposals::DistrictKey),
            ("idx_proposal_author", Proposals::AuthorUserId),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Proposals::Table)
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(ProposalEvents::Table)
                    .col(big_pk_auto(ProposalEvents::Id))
                    .col(big_integer(ProposalEvents::ProposalId))
                    .col(string(ProposalEvents::Status))
                    .col(text_null(ProposalEvents::Note))
                    // Moderation steps before publication stay internal.
                    .col(boolean(ProposalEvents::Public))
                    .col(integer_null(ProposalEvents::ActorUserId))
                    .col(timestamp_with_time_zone(ProposalEvents::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ProposalEvents::Table, ProposalEvents::ProposalId)
                            .to(Proposals::Table, Proposals::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_proposal_event_proposal")
                    .table(ProposalEvents::Table)
                    .col(ProposalEvents::ProposalId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ProposalSupports::Table)
                    .col(big_pk_auto(ProposalSupports::Id))
                    .col(big_integer(ProposalSupports::ProposalId))
                    // One of the two identifies the person: an account, or a confirmed address.
                    .col(integer_null(ProposalSupports::UserId))
                    .col(string_null(ProposalSupports::EmailHash))
                    .col(string_null(ProposalSupports::ConfirmTokenHash))
                    .col(timestamp_with_time_zone_null(ProposalSupports::ConfirmedAt))
                    .col(timestamp_with_time_zone(ProposalSupports::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ProposalSupports::Table, ProposalSupports::ProposalId)
                            .to(Proposals::Table, Proposals::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ProposalSupports::Table, ProposalSupports::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("uq_support_user", ProposalSupports::UserId),
            ("uq_support_email", ProposalSupports::EmailHash),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(ProposalSupports::Table)
                        .col(ProposalSupports::ProposalId)
                        .col(column)
                        .unique()
                        .to_owned(),
                )
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(ProposalFollows::Table)
                    .col(big_pk_auto(ProposalFollows::Id))
                    .col(big_integer(ProposalFollows::ProposalId))
                    .col(string(ProposalFollows::Email))
                    .col(string(ProposalFollows::Language))
                    // Put into every notification's unsubscribe link.
                    .col(string_uniq(ProposalFollows::Token))
                    .col(timestamp_with_time_zone_null(ProposalFollows::ConfirmedAt))
                    .col(timestamp_with_time_zone(ProposalFollows::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ProposalFollows::Table, ProposalFollows::ProposalId)
                            .to(Proposals::Table, Proposals::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_follow_email")
                    .table(ProposalFollows::Table)
                    .col(ProposalFollows::ProposalId)
                    .col(ProposalFollows::Email)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ProposalReports::Table)
                    .col(big_pk_auto(ProposalReports::Id))
                    .col(big_integer(ProposalReports::ProposalId))
                    .col(text(ProposalReports::Reason))
                    .col(timestamp_with_time_zone(ProposalReports::CreatedAt))
                    .col(timestamp_with_time_zone_null(ProposalReports::ResolvedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ProposalReports::Table, ProposalReports::ProposalId)
                            .to(Proposals::Table, Proposals::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(SearchOutbox::Table)
                    .col(big_pk_auto(SearchOutbox::Id))
                    .col(big_integer(SearchOutbox::ProposalId))
                    .col(integer(SearchOutbox::Attempts).default(0))
                    .col(timestamp_with_time_zone(SearchOutbox::NextAttemptAt))
                    .col(timestamp_with_time_zone_null(SearchOutbox::ClaimedUntil))
                    .col(timestamp_with_time_zone(SearchOutbox::CreatedAt))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            SearchOutbox::Table.into_iden(),
            ProposalReports::Table.into_iden(),
            ProposalFollows::Table.into_iden(),
            ProposalSupports::Table.into_iden(),
            ProposalEvents::Table.into_iden(),
            Proposals::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Districts {
    Table,
    Key,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Proposals {
    Table,
    Id,
    Title,
    Body,
    Category,
    DistrictKey,
    Town,
    Status,
    ModerationNote,
    OfficialAnswer,
    AnsweredAt,
    Channel,
    AuthorUserId,
    AuthorEmail,
    Contact,
    Language,
    AuthorTokenHash,
    ConfirmedAt,
    MergedIntoId,
    EventOfferId,
    ImportedSupports,
    SupportsCount,
    SearchText,
    CreatedAt,
    PublishedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ProposalEvents {
    Table,
    Id,
    ProposalId,
    Status,
    Note,
    Public,
    ActorUserId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ProposalSupports {
    Table,
    Id,
    ProposalId,
    UserId,
    EmailHash,
    ConfirmTokenHash,
    ConfirmedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ProposalFollows {
    Table,
    Id,
    ProposalId,
    Email,
    Language,
    Token,
    ConfirmedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ProposalReports {
    Table,
    Id,
    ProposalId,
    Reason,
    CreatedAt,
    ResolvedAt,
}

#[derive(DeriveIden)]
enum SearchOutbox {
    Table,
    Id,
    ProposalId,
    Attempts,
    NextAttemptAt,
    ClaimedUntil,
    CreatedAt,
}
