//! Stored states and kinds in one language: the German keys of proposal states (and of the history
//! of each proposal) become English keys; German stays in the translation catalogue only. Every
//! proposal is queued for the search index, so that existing index documents (embedded or
//! Meilisearch) carry the new keys in their status facet.
use sea_orm_migration::{
    prelude::*,
    sea_orm::{ConnectionTrait, prelude::ChronoUtc},
};

use crate::key_renames::{self, Renames};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Old key → new key, per column.
pub(crate) const PROPOSAL_STATES: &[(&str, &str)] = &[
    ("unbestaetigt", "unconfirmed"),
    ("eingereicht", "submitted"),
    ("aenderung-erbeten", "changes-requested"),
    ("veroeffentlicht", "published"),
    ("in-pruefung", "under-review"),
    ("angenommen", "accepted"),
    ("umgesetzt", "implemented"),
    ("abgelehnt", "declined"),
    ("zurueckgewiesen", "rejected"),
    ("verborgen", "hidden"),
    ("zusammengefuehrt", "merged"),
];

/// Table, column and the renames of its values.
pub(crate) fn columns() -> Vec<(DynIden, DynIden, Renames)> {
    vec![
        (
            Proposals::Table.into_iden(),
            Proposals::Status.into_iden(),
            PROPOSAL_STATES,
        ),
        (
            ProposalEvents::Table.into_iden(),
            ProposalEvents::Status.into_iden(),
            PROPOSAL_STATES,
        ),
    ]
}

async fn rename(manager: &SchemaManager<'_>, forward: bool) -> Result<(), DbErr> {
    key_renames::rename(manager, columns(), forward).await?;
    let db = manager.get_connection();
    // The index documents hold the status key: refresh every proposal's entry.
    let now = ChronoUtc::now();
    db.execute(
        Query::insert()
            .into_table(SearchOutbox::Table)
            .columns([
                SearchOutbox::ProposalId,
                SearchOutbox::NextAttemptAt,
                SearchOutbox::CreatedAt,
            ])
            .select_from(
                Query::select()
                    .column(Proposals::Id)
                    .expr(Expr::val(now))
                    .expr(Expr::val(now))
                    .from(Proposals::Table)
                    .to_owned(),
            )
            .map_err(|e| DbErr::Migration(e.to_string()))?,
    )
    .await?;
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        rename(manager, true).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        rename(manager, false).await
    }
}

#[derive(DeriveIden)]
enum Proposals {
    Table,
    Id,
    Status,
}

#[derive(DeriveIden)]
enum ProposalEvents {
    Table,
    Status,
}

#[derive(DeriveIden)]
enum SearchOutbox {
    Table,
    ProposalId,
    NextAttemptAt,
    CreatedAt,
}
