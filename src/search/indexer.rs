//! Keeps the search index in step with the database. Every change to a proposal writes a row into
//! `search_outbox` inside its own transaction; this worker applies the rows to the index and deletes
//! them only after the index accepted them, so nothing is lost while the search backend is down.
use std::{sync::Arc, time::Duration};

use chrono::Utc;
use indicatif::ProgressBar;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    sea_query::{Expr, ExprTrait},
};
use tokio::sync::Notify;

use super::{ProposalDocument, SearchError, SharedIndex};
use crate::{
    db::{
        InstanceLock, LockLost,
        entities::{proposal, search_outbox},
    },
    domain::proposal::ProposalStatus,
};

/// Rows claimed per round; a round is one upsert and one removal call.
const BATCH: u64 = 200;
/// Proposals read and indexed at a time by a full rebuild.
const FILL_PAGE: u64 = 2_000;
/// How long claimed rows are reserved for the instance that claimed them.
const CLAIM_LEASE: chrono::Duration = chrono::Duration::minutes(2);
const MAX_BACKOFF_SECONDS: i64 = 300;
/// Held by the instance that writes to the index (applies the queue or rebuilds). Two writers
/// could reach a shared index (Meilisearch) out of order: one reads a proposal while public, the
/// other reads it hidden and removes it, and then the first one's upsert lands last and stays.
const INDEX_WRITER_LOCK: i64 = 7_361_202_612;

#[derive(Debug, thiserror::Error)]
pub enum IndexerError {
    #[error("database: {0}")]
    Db(#[from] DbErr),
    #[error(transparent)]
    Search(#[from] SearchError),
    /// The writer's lock went while this instance was writing (see `InstanceLock::confirm`):
    /// another instance may write now, so this one stopped before its next write.
    #[error("the index writer's lock was lost, so this instance stopped writing: {0}")]
    LockLost(#[from] LockLost),
}

/// Wakes the worker right after a change was committed, so search results follow within a moment
/// instead of waiting for the next periodic round.
#[derive(Clone, Default)]
pub struct IndexWake(Arc<Notify>);

impl IndexWake {
    pub fn nudge(&self) {
        self.0.notify_one();
    }
}

/// Records that a proposal's index entry must be refreshed; call inside the changing transaction.
pub async fn enqueue(conn: &impl ConnectionTrait, proposal_id: i64) -> Result<(), DbErr> {
    let now = Utc::now();
    search_outbox::ActiveModel {
        proposal_id: Set(proposal_id),
        attempts: Set(0),
        next_attempt_at: Set(now),
        claimed_until: Set(None),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// The index entry of a proposal, or `None` when it must not be found (not public).
pub fn document(model: &proposal::Model) -> Option<ProposalDocument> {
    model.status.is_public().then(|| ProposalDocument {
        id: model.id,
        title: model.title.clone(),
        text: model.body.clone(),
        answer: model.official_answer.clone(),
        category: model.category.clone(),
        district: model.district_key.clone(),
        status: model.status.key().to_owned(),
        supports: i64::from(model.supports_count),
        created_at: model.published_at.unwrap_or(model.created_at),
    })
}

/// Applies the given proposals' current state to the index; returns how many are searchable
/// (added or refreshed), not counting removals.
async fn apply(
    db: &DatabaseConnection,
    writer: &InstanceLock,
    index: &SharedIndex,
    ids: Vec<i64>,
) -> Result<usize, IndexerError> {
    let models = proposal::Entity::find()
        .filter(proposal::Column::Id.is_in(ids.clone()))
        .all(db)
        .await?;
    let mut upserts = Vec::new();
    let mut removals = Vec::new();
    for id in ids {
        match models.iter().find(|m| m.id == id).and_then(document) {
            Some(doc) => upserts.push(doc),
            None => removals.push(id),
        }
    }
    let searchable = upserts.len();
    if !upserts.is_empty() {
        writer.confirm().await?;
        index.upsert(upserts).await?;
    }
    if !removals.is_empty() {
        writer.confirm().await?;
        index.remove(removals).await?;
    }
    Ok(searchable)
}

/// Applies every due outbox row; returns how many proposals it made searchable (added or
/// refreshed; several rows for one proposal count once per round, removals not at all). Rows
/// that fail are retried later with a growing pause. A proposal the index refuses (not an outage)
/// is singled out, so it waits for its own retry while the other rows still go through; the drain
/// then ends with the first such error. Waits while another instance writes to the index.
pub async fn drain(db: &DatabaseConnection, index: &SharedIndex) -> Result<usize, IndexerError> {
    let writer = InstanceLock::acquire(db, INDEX_WRITER_LOCK).await?;
    let drained = drain_as_writer(db, &writer, index).await;
    release(writer, index, drained).await
}

/// Ends a turn as the index's writer and returns what the work came to. A lock that had gone by
/// then does not change that: every write confirmed the lock just before, so work that finished
/// stands (only its last write can have met another instance's), and work that failed keeps its
/// own error.
async fn release<T>(
    writer: InstanceLock,
    index: &SharedIndex,
    outcome: Result<T, IndexerError>,
) -> Result<T, IndexerError> {
    let released = writer.release().await;
    match (&outcome, released) {
        (Err(IndexerError::LockLost(error)), _) => tracing::error!(
            %error,
            backend = index.backend(),
            "the search index writer's lock was lost; this instance stopped writing, and the next round tries again"
        ),
        (Ok(_), Err(error)) => tracing::warn!(
            %error,
            backend = index.backend(),
            "the search index writer's lock was gone when its work had finished"
        ),
        _ => {}
    }
    outcome
}

/// Whether an error says the index could not be reached (or its requests timed out) or was lost,
/// as opposed to refusing what it was given: once it is back, the whole queue is retried at once.
fn is_outage(error: &IndexerError) -> bool {
    matches!(
        error,
        IndexerError::Search(SearchError::Unavailable(_) | SearchError::Lost(_))
    )
}

/// What [`apply_isolating`] achieved.
#[derive(Default)]
struct Applied {
    searchable: usize,
    /// Proposals the index refused, each on its own.
    refused: Vec<i64>,
    /// Why the first of them was refused.
    error: Option<IndexerError>,
}

/// More proposals refused in one batch than this is not a bad document or two but an index that
/// refuses every write (a full disk, a broken setting): the whole batch then waits, instead of
/// hundreds of writes singling out every proposal.
const MAX_REFUSED: usize = 10;

/// [`apply`], halving a batch the index refuses until the proposals it refuses are found. An
/// outage (or a database error), or more than `MAX_REFUSED` refused proposals, end it at once with
/// that error: then nothing can be told apart.
async fn apply_isolating(
    db: &DatabaseConnection,
    writer: &InstanceLock,
    index: &SharedIndex,
    ids: Vec<i64>,
) -> Result<Applied, IndexerError> {
    let mut applied = Applied::default();
    let mut parts = vec![ids];
    while let Some(ids) = parts.pop() {
        match apply(db, writer, index, ids.clone()).await {
            Ok(searchable) => applied.searchable += searchable,
            Err(error @ IndexerError::Search(SearchError::Index(_))) => {
                if ids.len() > 1 {
                    let (first, second) = ids.split_at(ids.len() / 2);
                    parts.push(second.to_vec());
                    parts.push(first.to_vec());
                } else if applied.refused.len() >= MAX_REFUSED {
                    return Err(error);
                } else {
                    applied.refused.extend(ids);
                    applied.error.get_or_insert(error);
                }
            }
            Err(error) => return Err(error),
        }
    }
    Ok(applied)
}

/// The pause before the next attempt of a row that failed `attempts` times.
fn retry_pause(attempts: i32) -> chrono::Duration {
    chrono::Duration::seconds(Ord::min(
        5_i64 << Ord::min(attempts, 6),
        MAX_BACKOFF_SECONDS,
    ))
}

/// The longest pause of rows whose write met an outage (see `drain_as_writer`).
const OUTAGE_PAUSE: chrono::Duration = chrono::Duration::seconds(60);

/// Gives the rows another attempt at `next_attempt_at`, and frees them for any instance.
async fn postpone(
    db: &DatabaseConnection,
    row_ids: Vec<i64>,
    attempts: i32,
    next_attempt_at: chrono::DateTime<Utc>,
) -> Result<(), DbErr> {
    search_outbox::Entity::update_many()
        .col_expr(search_outbox::Column::Attempts, Expr::value(attempts))
        .col_expr(
            search_outbox::Column::NextAttemptAt,
            Expr::value(next_attempt_at),
        )
        .col_expr(
            search_outbox::Column::ClaimedUntil,
            Expr::value(Option::<chrono::DateTime<Utc>>::None),
        )
        .filter(search_outbox::Column::Id.is_in(row_ids))
        .exec(db)
        .await?;
    Ok(())
}

/// Frees claimed rows for the next writer at once, without counting an attempt: this instance lost
/// the writer's lock before it could apply them. Should this fail too (the database is gone), the
/// claims run out after `CLAIM_LEASE`.
async fn unclaim(db: &DatabaseConnection, row_ids: Vec<i64>) -> Result<(), DbErr> {
    search_outbox::Entity::update_many()
        .col_expr(
            search_outbox::Column::ClaimedUntil,
            Expr::value(Option::<chrono::DateTime<Utc>>::None),
        )
        .filter(search_outbox::Column::Id.is_in(row_ids))
        .exec(db)
        .await?;
    Ok(())
}

/// [`drain`] by the instance that holds the writer's lock.
async fn drain_as_writer(
    db: &DatabaseConnection,
    writer: &InstanceLock,
    index: &SharedIndex,
) -> Result<usize, IndexerError> {
    let mut refreshed = 0;
    let mut refusal = None;
    loop {
        let now = Utc::now();
        let due = search_outbox::Entity::find()
            .filter(search_outbox::Column::NextAttemptAt.lte(now))
            .filter(
                search_outbox::Column::ClaimedUntil
                    .is_null()
                    .or(search_outbox::Column::ClaimedUntil.lt(now)),
            )
            .order_by_asc(search_outbox::Column::Id)
            .limit(BATCH)
            .all(db)
            .await?;
        if due.is_empty() {
            break;
        }
        writer.confirm().await?;
        // Claim with a conditional update, so a second instance skips rows this one works on.
        let mut claimed = Vec::new();
        for row in &due {
            let result = search_outbox::Entity::update_many()
                .col_expr(
                    search_outbox::Column::ClaimedUntil,
                    Expr::value(now + CLAIM_LEASE),
                )
                .filter(search_outbox::Column::Id.eq(row.id))
                .filter(
                    search_outbox::Column::ClaimedUntil
                        .is_null()
                        .or(search_outbox::Column::ClaimedUntil.lt(now)),
                )
                .exec(db)
                .await?;
            if result.rows_affected == 1 {
                claimed.push(row.clone());
            }
        }
        if claimed.is_empty() {
            break;
        }
        let mut proposal_ids: Vec<i64> = claimed.iter().map(|r| r.proposal_id).collect();
        proposal_ids.sort_unstable();
        proposal_ids.dedup();
        match apply_isolating(db, writer, index, proposal_ids).await {
            Ok(applied) => {
                let (refused, done): (Vec<_>, Vec<_>) = claimed
                    .iter()
                    .partition(|r| applied.refused.contains(&r.proposal_id));
                search_outbox::Entity::delete_many()
                    .filter(search_outbox::Column::Id.is_in(done.iter().map(|r| r.id)))
                    .exec(db)
                    .await?;
                refreshed += applied.searchable;
                for row in refused {
                    let attempts = row.attempts + 1;
                    postpone(db, vec![row.id], attempts, now + retry_pause(attempts)).await?;
                }
                if let Some(error) = applied.error {
                    tracing::warn!(
                        %error,
                        proposals = ?applied.refused,
                        backend = index.backend(),
                        "the search index refused these proposals; they wait for a retry"
                    );
                    refusal.get_or_insert(error);
                }
            }
            Err(error @ IndexerError::LockLost(_)) => {
                unclaim(db, claimed.iter().map(|r| r.id).collect()).await?;
                return Err(error);
            }
            Err(error) => {
                let attempts = claimed.iter().map(|r| r.attempts).max().unwrap_or(0) + 1;
                // After an outage, the rows are due again soon whichever instance writes next: only
                // this one knows the server was away, and would make them due at once on its
                // return (`retry_now`). The pause still grows a little, for a server that answers
                // the round's check but fails every write; long pauses are for what it refuses.
                let pause = if is_outage(&error) {
                    Ord::min(retry_pause(attempts), OUTAGE_PAUSE)
                } else {
                    retry_pause(attempts)
                };
                postpone(
                    db,
                    claimed.iter().map(|r| r.id).collect(),
                    attempts,
                    now + pause,
                )
                .await?;
                return Err(error);
            }
        }
    }
    match refusal {
        Some(error) => Err(error),
        None => Ok(refreshed),
    }
}

/// How many index updates wait; shown on `/ready` while the search has a problem.
pub async fn pending(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    search_outbox::Entity::find().count(db).await
}

/// Makes every waiting update due now: called when the search server answers again after an
/// outage, so catching up does not wait for the retry pauses (up to five minutes) to run out.
pub async fn retry_now(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    let now = Utc::now();
    let result = search_outbox::Entity::update_many()
        .col_expr(search_outbox::Column::NextAttemptAt, Expr::value(now))
        .filter(search_outbox::Column::NextAttemptAt.gt(now))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

/// One round of the worker: checks the index (rebuilding it when it was lost), then applies the
/// waiting updates. `failing` carries whether an earlier round found the index unreachable (an
/// outage, not a refused proposal), so the first round that reaches it makes every waiting row
/// due. While another instance writes to the index, this one leaves the round to it: that
/// instance applies the queue (and rebuilds) for every instance, and a lost index found by both is
/// rebuilt once.
pub async fn round(
    db: &DatabaseConnection,
    index: &SharedIndex,
    failing: &mut bool,
) -> Result<usize, IndexerError> {
    let Some(writer) = InstanceLock::try_acquire(db, INDEX_WRITER_LOCK).await? else {
        return Ok(0);
    };
    let written = round_as_writer(db, &writer, index, failing).await;
    release(writer, index, written).await
}

/// [`round`] by the instance that holds the writer's lock.
async fn round_as_writer(
    db: &DatabaseConnection,
    writer: &InstanceLock,
    index: &SharedIndex,
    failing: &mut bool,
) -> Result<usize, IndexerError> {
    let must_rebuild = match index.maintain().await {
        Ok(must_rebuild) => must_rebuild,
        Err(error) => {
            *failing = true;
            return Err(error.into());
        }
    };
    // Only after an outage: rows the index refused keep their growing pause.
    if *failing {
        let due = retry_now(db).await?;
        tracing::info!(
            updates = due,
            backend = index.backend(),
            "search index reachable again; catching up"
        );
        *failing = false;
    }
    if must_rebuild {
        index.set_rebuilding(true);
        let rebuilt = rebuild_as_writer(db, writer, index, None).await;
        index.set_rebuilding(false);
        match rebuilt {
            Ok(n) => {
                tracing::info!(
                    proposals = n,
                    backend = index.backend(),
                    "search index rebuilt"
                )
            }
            Err(error) => {
                tracing::error!(%error, backend = index.backend(), "search index could not be rebuilt");
                *failing |= is_outage(&error);
                return Err(error);
            }
        }
    }
    let drained = drain_as_writer(db, writer, index).await;
    if let Err(error) = &drained {
        *failing |= is_outage(error);
    }
    drained
}

/// Compares the index's documents with the published proposals while nothing is queued; a
/// difference means documents went missing or stayed behind where nothing will fix them (an older
/// version's indexer removed documents it could not read during a rolling update, or a repair was
/// cut short by a restart), and the index is rebuilt. Returns whether it was. Backends written by
/// their own process only are not checked.
pub async fn verify(db: &DatabaseConnection, index: &SharedIndex) -> Result<bool, IndexerError> {
    let Some(writer) = InstanceLock::try_acquire(db, INDEX_WRITER_LOCK).await? else {
        return Ok(false);
    };
    let verified = verify_as_writer(db, &writer, index).await;
    release(writer, index, verified).await
}

async fn verify_as_writer(
    db: &DatabaseConnection,
    writer: &InstanceLock,
    index: &SharedIndex,
) -> Result<bool, IndexerError> {
    if pending(db).await? > 0 {
        return Ok(false);
    }
    let Some(in_index) = index.document_count().await? else {
        return Ok(false);
    };
    let published = proposal::Entity::find()
        .filter(proposal::Column::Status.is_in(ProposalStatus::PUBLIC.iter().copied()))
        .count(db)
        .await?;
    // Something queued meanwhile is on its way; the next check looks again.
    if in_index == published || pending(db).await? > 0 {
        return Ok(false);
    }
    tracing::warn!(
        in_index,
        published,
        backend = index.backend(),
        "the search index differs from the published proposals; rebuilding it"
    );
    index.set_rebuilding(true);
    let rebuilt = rebuild_as_writer(db, writer, index, None).await;
    index.set_rebuilding(false);
    rebuilt.map(|_| true)
}

/// How often the worker compares the index with the database.
const VERIFY_EVERY: Duration = Duration::from_secs(600);

/// Runs a round when nudged and every few seconds, for as long as the process lives.
pub fn spawn_worker(db: DatabaseConnection, index: SharedIndex, wake: IndexWake, period: Duration) {
    tokio::spawn(async move {
        let mut failing = false;
        let mut warned = false;
        let mut verified_at: Option<std::time::Instant> = None;
        loop {
            let outcome = round(&db, &index, &mut failing).await;
            if outcome.is_ok() && verified_at.is_none_or(|at| at.elapsed() >= VERIFY_EVERY) {
                verified_at = Some(std::time::Instant::now());
                if let Err(error) = verify(&db, &index).await {
                    tracing::warn!(%error, backend = index.backend(), "the search index could not be compared with the database");
                }
            }
            match outcome {
                Ok(0) => warned = false,
                Ok(n) => {
                    warned = false;
                    tracing::debug!(
                        proposals = n,
                        backend = index.backend(),
                        "search index updated"
                    );
                }
                Err(error) => {
                    if !warned {
                        tracing::warn!(%error, backend = index.backend(), "search index updates wait for a retry");
                    }
                    warned = true;
                }
            }
            tokio::select! {
                _ = wake.0.notified() => {}
                _ = tokio::time::sleep(period) => {}
            }
        }
    });
}

/// Rebuilds the index from the database. Backends that can (Meilisearch) fill a new index and swap
/// it in at once, so searches never see a half-empty index; the embedded index is cleared and
/// refilled. Returns how many proposals are searchable afterwards. Waits while another instance
/// writes to the index.
pub async fn rebuild(
    db: &DatabaseConnection,
    index: &SharedIndex,
    progress: Option<&ProgressBar>,
) -> Result<usize, IndexerError> {
    let writer = InstanceLock::acquire(db, INDEX_WRITER_LOCK).await?;
    let rebuilt = rebuild_as_writer(db, &writer, index, progress).await;
    release(writer, index, rebuilt).await
}

/// [`rebuild`] by the instance that holds the writer's lock. The lock is confirmed before each
/// step: before the index is set up, before each page, before the swap (or the refilled index
/// is declared complete) and before each batch of the catch-up; a rebuild whose lock went is
/// abandoned like one that failed.
async fn rebuild_as_writer(
    db: &DatabaseConnection,
    writer: &InstanceLock,
    index: &SharedIndex,
    progress: Option<&ProgressBar>,
) -> Result<usize, IndexerError> {
    let started = Utc::now();
    writer.confirm().await?;
    let staging = index.begin_rebuild().await?;
    let target = staging
        .as_ref()
        .map_or_else(|| index.clone(), |s| s.target.clone());
    let filled = match fill(db, writer, &target, staging.is_none(), progress).await {
        Ok(n) => writer
            .confirm()
            .await
            .map(|()| n)
            .map_err(IndexerError::from),
        Err(e) => Err(e),
    };
    let indexed = match (filled, staging) {
        (Ok(n), Some(staging)) => {
            index.finish_rebuild(staging).await?;
            n
        }
        (Ok(n), None) => {
            if let Err(e) = index.finish_refill().await {
                index.abandon_refill().await;
                return Err(e.into());
            }
            n
        }
        (Err(e), Some(staging)) => {
            index.abandon_rebuild(staging).await;
            return Err(e);
        }
        (Err(e), None) => {
            index.abandon_refill().await;
            return Err(e);
        }
    };
    // Changes made while the copy was read are caught up here. The queue's rows stay for the next
    // drain, even those older than the rebuild: a transaction that queued a row before the
    // rebuild started may have committed only after the copy read its proposal (a long import).
    // Applying a row twice does no harm.
    let changed: Vec<i64> = proposal::Entity::find()
        .select_only()
        .column(proposal::Column::Id)
        .filter(proposal::Column::UpdatedAt.gte(started - chrono::Duration::seconds(1)))
        .into_tuple()
        .all(db)
        .await?;
    for ids in changed.chunks(BATCH as usize) {
        apply(db, writer, index, ids.to_vec()).await?;
    }
    Ok(indexed)
}

/// Adds every public proposal to `target` in batches (after clearing it when `clear_first`).
async fn fill(
    db: &DatabaseConnection,
    writer: &InstanceLock,
    target: &SharedIndex,
    clear_first: bool,
    progress: Option<&ProgressBar>,
) -> Result<usize, IndexerError> {
    let public = || ProposalStatus::PUBLIC.iter().copied();
    let total = proposal::Entity::find()
        .filter(proposal::Column::Status.is_in(public()))
        .count(db)
        .await?;
    if let Some(bar) = progress {
        bar.set_length(total);
    }
    if clear_first {
        writer.confirm().await?;
        target.clear().await?;
    }
    // Keyset pages (after the last id read), not OFFSET: each page then costs the same, where an
    // offset makes the database skip every row read so far again, quadratic in the proposals.
    let mut after = 0;
    let mut indexed = 0;
    loop {
        let models = proposal::Entity::find()
            .filter(proposal::Column::Status.is_in(public()))
            .filter(proposal::Column::Id.gt(after))
            .order_by_asc(proposal::Column::Id)
            .limit(FILL_PAGE)
            .all(db)
            .await?;
        let Some(last) = models.last() else { break };
        after = last.id;
        let documents: Vec<ProposalDocument> = models.iter().filter_map(document).collect();
        indexed += documents.len();
        writer.confirm().await?;
        target.upsert(documents).await?;
        if let Some(bar) = progress {
            bar.inc(models.len() as u64);
        }
    }
    Ok(indexed)
}
