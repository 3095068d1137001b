//! Full-text search over published proposals. Two backends share one contract: an embedded
//! tantivy index in the data directory (the default) and a Meilisearch server for installations
//! with several app instances. The database stays the source of truth; the index is rebuilt from it
//! (`teilhabe reindex`) and kept current through the `search_outbox` table.
pub mod database;
pub mod embedded;
pub mod indexer;
pub mod meilisearch;
pub mod reconnecting;
mod term_counts;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What the index knows about one published proposal. Keys (category, district, status) are the
/// stable identifiers used in URLs, never display names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProposalDocument {
    pub id: i64,
    pub title: String,
    pub text: String,
    /// The official answer, when one is published.
    pub answer: Option<String>,
    pub category: String,
    /// Kreisschlüssel, e.g. "16051".
    pub district: String,
    pub status: String,
    pub supports: i64,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum SortOrder {
    /// Best match first; without search words, newest first.
    #[default]
    Relevance,
    Newest,
    MostSupported,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchQuery {
    /// The words as typed; may be empty (then every document matches).
    pub text: String,
    pub category: Option<String>,
    pub district: Option<String>,
    pub status: Option<String>,
    pub sort: SortOrder,
    /// Zero-based page.
    pub page: u32,
    pub per_page: u32,
}

/// A piece of a snippet; `highlighted` parts matched the query. Templates escape `text`
/// and wrap highlighted parts in `<mark>`, so no backend ever produces HTML.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SnippetPart {
    pub text: String,
    pub highlighted: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchHit {
    pub id: i64,
    pub title: String,
    pub snippet: Vec<SnippetPart>,
    pub category: String,
    pub district: String,
    pub status: String,
    pub supports: i64,
    pub created_at: DateTime<Utc>,
}

/// How many matching documents carry each value, for the facet filters. Sorted by count,
/// then by key; values with no match are left out.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Facets {
    pub category: Vec<(String, u64)>,
    pub district: Vec<(String, u64)>,
    pub status: Vec<(String, u64)>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SearchResults {
    pub hits: Vec<SearchHit>,
    /// All matches of the query and filters, not just this page.
    pub total: u64,
    /// Counts over all matches of the text and the filters.
    pub facets: Facets,
}

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// The backend cannot be reached or refused the request; callers fall back to the database.
    #[error("search backend unavailable: {0}")]
    Unavailable(String),
    #[error("search index: {0}")]
    Index(String),
    /// The index is missing or lacks its settings (deleted, or re-created by a write with the
    /// defaults); the indexer repairs and rebuilds it.
    #[error("search index lost: {0}")]
    Lost(String),
}

/// One search backend. Implementations are cheap to share between workers.
#[async_trait::async_trait]
pub trait ProposalIndex: Send + Sync {
    /// Short name for logs and the status page ("embedded", "meilisearch").
    fn backend(&self) -> &'static str;
    /// Adds or replaces documents by id; visible to `search` when this returns.
    async fn upsert(&self, documents: Vec<ProposalDocument>) -> Result<(), SearchError>;
    /// Removes documents; unknown ids are ignored.
    async fn remove(&self, ids: Vec<i64>) -> Result<(), SearchError>;
    /// Removes every document (before a rebuild).
    async fn clear(&self) -> Result<(), SearchError>;
    async fn search(&self, query: &SearchQuery) -> Result<SearchResults, SearchError>;

    /// Checks that the index is there and set up, repairing what it can (settings); `Ok(true)` means
    /// its documents cannot be trusted any more and it must be rebuilt from the database. The
    /// indexer calls this every round.
    async fn maintain(&self) -> Result<bool, SearchError> {
        Ok(false)
    }

    /// What is wrong with the search right now, for `/ready` and the log; `None` when all is well.
    fn problem(&self) -> Option<String> {
        None
    }

    /// Whether the index holds no documents at all; asked only when a search found nothing. An
    /// index that another instance set up again after a loss stays empty until its rebuild is
    /// swapped in, and only that instance knows it is repairing.
    async fn is_empty(&self) -> bool {
        false
    }

    /// Told by the indexer while a rebuild it started runs, so `problem` can say so.
    fn set_rebuilding(&self, _rebuilding: bool) {}

    /// A fresh, empty index to rebuild into, swapped in by `finish_rebuild`; `None` when the
    /// backend rebuilds in place (clear, then add).
    async fn begin_rebuild(&self) -> Result<Option<Rebuild>, SearchError> {
        Ok(None)
    }

    /// Makes the rebuilt index the live one in one step.
    async fn finish_rebuild(&self, rebuild: Rebuild) -> Result<(), SearchError> {
        Err(SearchError::Index(format!(
            "{} cannot swap in the rebuilt index {}",
            self.backend(),
            rebuild.name
        )))
    }

    /// Drops a rebuild that failed half-way.
    async fn abandon_rebuild(&self, _rebuild: Rebuild) {}

    /// After an in-place rebuild (`clear`, then every proposal added) has filled the index
    /// completely: lays it out for searching (the embedded index merges the segments its batches
    /// left behind, so every search walks one term dictionary instead of a dozen) and records
    /// that it is complete.
    async fn finish_refill(&self) -> Result<(), SearchError> {
        Ok(())
    }

    /// An in-place rebuild failed half-way: the index holds only part of the proposals, so the
    /// backend asks for another rebuild in the indexer's next round.
    async fn abandon_refill(&self) {}

    /// How many documents the index holds, where other processes write to it too and it can
    /// drift from the database (`None`: the backend's own process is its only writer).
    async fn document_count(&self) -> Result<Option<u64>, SearchError> {
        Ok(None)
    }
}

/// An index being rebuilt next to the live one.
pub struct Rebuild {
    pub target: SharedIndex,
    /// The backend's name for it (a Meilisearch index uid).
    pub name: String,
}

/// German spellings without umlauts and ß, as typed on keyboards without them: "Thüringen" and
/// "Thueringen", "Straße" and "Strasse" become the same word.
pub fn fold_german(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            'ä' => out.push_str("ae"),
            'ö' => out.push_str("oe"),
            'ü' => out.push_str("ue"),
            'Ä' => out.push_str("Ae"),
            'Ö' => out.push_str("Oe"),
            'Ü' => out.push_str("Ue"),
            'ß' => out.push_str("ss"),
            'ẞ' => out.push_str("SS"),
            other => out.push(other),
        }
    }
    out
}

pub type SharedIndex = Arc<dyn ProposalIndex>;

/// How many typos a word of this many letters tolerates: one from 5 letters, two from 9.
pub fn allowed_typos(word: &str) -> u8 {
    match word.chars().count() {
        0..=4 => 0,
        5..=8 => 1,
        _ => 2,
    }
}

/// What a search page shows: the results, and whether they came from the simple database search
/// because the search backend failed (the page then says so).
#[derive(Debug, Clone)]
pub struct SearchOutcome {
    pub results: SearchResults,
    pub degraded: bool,
}

/// The portal's search: the configured backend, with the database as the fallback.
#[derive(Clone)]
pub struct Search {
    pub index: SharedIndex,
    pub db: sea_orm::DatabaseConnection,
}

impl Search {
    pub async fn run(&self, query: &SearchQuery) -> Result<SearchOutcome, sea_orm::DbErr> {
        match self.index.search(query).await {
            // While a proposal that is no longer public waits to leave the index, the index's
            // totals and facet counts still count it (a hidden proposal's district and category
            // could be probed with its words), so the database answers until it has caught up.
            Ok(_) if removal_pending(&self.db).await? => Ok(SearchOutcome {
                results: database::search(&self.db, query).await?,
                degraded: false,
            }),
            Ok(results)
                if results.total == 0
                    && self.index.is_empty().await
                    && any_public(&self.db).await? =>
            {
                tracing::warn!(
                    backend = self.index.backend(),
                    "the search index is empty while proposals are public (being rebuilt); using the database search"
                );
                Ok(SearchOutcome {
                    results: database::search(&self.db, query).await?,
                    degraded: true,
                })
            }
            Ok(mut results) => {
                current_state(&self.db, &mut results).await?;
                Ok(SearchOutcome {
                    results,
                    degraded: false,
                })
            }
            Err(error) => {
                tracing::warn!(%error, backend = self.index.backend(), "search backend failed; using the database search");
                Ok(SearchOutcome {
                    results: database::search(&self.db, query).await?,
                    degraded: true,
                })
            }
        }
    }
}

/// Whether any proposal is public, so an empty index is missing them.
async fn any_public(db: &sea_orm::DatabaseConnection) -> Result<bool, sea_orm::DbErr> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};

    use crate::{db::entities::proposal, domain::proposal::ProposalStatus};

    Ok(proposal::Entity::find()
        .select_only()
        .column(proposal::Column::Id)
        .filter(proposal::Column::Status.is_in(ProposalStatus::PUBLIC.iter().copied()))
        .limit(1)
        .into_tuple::<i64>()
        .one(db)
        .await?
        .is_some())
}

/// Whether the index may still hold a proposal that is no longer public (hidden, merged, or
/// gone): its change waits in the search outbox. New hand-ins, which were never public, do not
/// count. Usually empty, so this is one cheap query.
async fn removal_pending(db: &sea_orm::DatabaseConnection) -> Result<bool, sea_orm::DbErr> {
    use sea_orm::{
        ColumnTrait, EntityTrait, JoinType, QueryFilter, QuerySelect, RelationDef,
        sea_query::{Condition, Expr, ExprTrait},
    };

    use crate::{
        db::entities::{proposal, search_outbox},
        domain::proposal::ProposalStatus,
    };

    let to_proposal = RelationDef::from(
        search_outbox::Entity::belongs_to(proposal::Entity)
            .from(search_outbox::Column::ProposalId)
            .to(proposal::Column::Id),
    );
    Ok(search_outbox::Entity::find()
        .select_only()
        .column(search_outbox::Column::Id)
        .join(JoinType::LeftJoin, to_proposal)
        .filter(
            Condition::any()
                .add(Expr::col((proposal::Entity, proposal::Column::Id)).is_null())
                .add(proposal::Column::Status.is_in(ProposalStatus::WITHDRAWN.iter().copied())),
        )
        .limit(1)
        .into_tuple::<i64>()
        .one(db)
        .await?
        .is_some())
}

/// Checks hits against the database: the index may lag behind (the search server was down when a
/// moderator hid a proposal), but a proposal whose page answers 404 must not be listed, and its
/// status and support count are shown as they are now.
async fn current_state(
    db: &sea_orm::DatabaseConnection,
    results: &mut SearchResults,
) -> Result<(), sea_orm::DbErr> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};

    use crate::{db::entities::proposal, domain::proposal::ProposalStatus};

    if results.hits.is_empty() {
        return Ok(());
    }
    let ids: Vec<i64> = results.hits.iter().map(|h| h.id).collect();
    let current: std::collections::HashMap<i64, (ProposalStatus, i32)> = proposal::Entity::find()
        .select_only()
        .column(proposal::Column::Id)
        .column(proposal::Column::Status)
        .column(proposal::Column::SupportsCount)
        .filter(proposal::Column::Id.is_in(ids))
        .into_tuple::<(i64, ProposalStatus, i32)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(id, status, supports)| (id, (status, supports)))
        .collect();
    let before = results.hits.len();
    results.hits.retain_mut(|hit| match current.get(&hit.id) {
        Some((status, supports)) if status.is_public() => {
            status.key().clone_into(&mut hit.status);
            hit.supports = i64::from(*supports);
            true
        }
        _ => false,
    });
    let dropped = (before - results.hits.len()) as u64;
    if dropped > 0 {
        tracing::info!(
            dropped,
            "search index lags behind the database; hits that are no longer public left out"
        );
        results.total = results.total.saturating_sub(dropped);
    }
    Ok(())
}
