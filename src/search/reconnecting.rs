//! The Meilisearch index as the portal uses it: it starts and serves (with the database search)
//! while the search server is down, never does set-up work inside a search, stops waiting for a
//! hung server after a few timeouts (circuit breaker), and notices when the index was lost.
//!
//! Set-up (creating the index, applying settings) happens in `maintain`, which the indexer calls
//! every round with a timeout that suits it, and before the first write. A search only searches:
//! it has two seconds, after which the page falls back to the database search.
use std::{
    future::Future,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicU32, Ordering},
    },
    time::Duration,
};

use super::{
    ProposalDocument, ProposalIndex, Rebuild, SearchError, SearchQuery, SearchResults,
    indexer::IndexWake,
    meilisearch::{MeilisearchIndex, Prepared},
};

/// A search must answer quickly or the page falls back to the database search.
const SEARCH_TIMEOUT: Duration = Duration::from_secs(2);
/// Index updates wait for Meilisearch's task queue; the outbox retries after a timeout.
const WRITE_TIMEOUT: Duration = Duration::from_secs(60);
/// Applying changed settings re-indexes every document on the server.
const PREPARE_TIMEOUT: Duration = Duration::from_secs(660);
/// After this many searches in a row that timed out or could not connect, searches go straight to
/// the database until a probe search succeeds.
const BREAKER_THRESHOLD: u32 = 3;
/// Pause between probe searches while the breaker is open.
const PROBE_EVERY: Duration = Duration::from_secs(2);
/// An index that held documents this recently is taken to hold them still: an empty index (one
/// another instance set up again after a loss) is noticed within this time.
const FULL_FOR: Duration = Duration::from_secs(30);
/// How often the writer looks for staging indexes that rebuilds left behind.
const LEFTOVERS_EVERY: Duration = Duration::from_secs(600);
/// A staging index is left over once its rebuild began this long ago. The writer's lock keeps
/// other instances' rebuilds out while it looks, but on SQLite a `teilhabe reindex` in another
/// process does not share that lock, and a rebuild of many proposals takes minutes.
const LEFTOVER_AFTER: Duration = Duration::from_secs(3600);

/// Bounds a call, so a server that accepts connections but never answers cannot hold a request.
async fn within<T>(
    limit: Duration,
    call: impl Future<Output = Result<T, SearchError>>,
) -> Result<T, SearchError> {
    tokio::time::timeout(limit, call).await.unwrap_or_else(|_| {
        Err(SearchError::Unavailable(format!(
            "meilisearch did not answer within {} s",
            limit.as_secs()
        )))
    })
}

/// Counts failed searches; open means searches skip the server.
#[derive(Default)]
struct Breaker {
    failures: AtomicU32,
    open: AtomicBool,
}

#[derive(Default)]
struct Health {
    /// The last problem `maintain` saw, until it succeeds again.
    unreachable: Option<String>,
    rebuilding: bool,
    /// Why the running rebuild started.
    rebuild_reason: Option<String>,
}

pub struct ReconnectingMeilisearch {
    index: MeilisearchIndex,
    /// The index was checked and set up since start-up (or since it was last found lost).
    prepared: AtomicBool,
    /// The index's documents cannot be trusted (it was missing or had other settings).
    needs_rebuild: AtomicBool,
    /// Until the rebuild after a loss is swapped in, searches use the database: the set-up index
    /// is empty or partial, and "no results" would be wrong.
    repairing: AtomicBool,
    breaker: Arc<Breaker>,
    health: Mutex<Health>,
    /// Wakes the indexer when a search finds the index lost, so the repair starts at once.
    wake: Option<IndexWake>,
    /// When the index last held documents: searches that find nothing ask again only after
    /// [`FULL_FOR`], not on every empty result.
    seen_full_at: Mutex<Option<std::time::Instant>>,
    /// When `remove_leftovers` last looked.
    leftovers_checked: Mutex<Option<std::time::Instant>>,
}

impl ReconnectingMeilisearch {
    /// Nothing is sent to the server here; a bad address is the only error.
    pub fn new(
        url: &str,
        api_key: Option<&str>,
        index_name: &str,
        wake: Option<IndexWake>,
    ) -> Result<Self, SearchError> {
        Ok(Self {
            index: MeilisearchIndex::new(url, api_key, index_name)?,
            prepared: AtomicBool::new(false),
            needs_rebuild: AtomicBool::new(false),
            repairing: AtomicBool::new(false),
            breaker: Arc::default(),
            health: Mutex::default(),
            wake,
            leftovers_checked: Mutex::default(),
            seen_full_at: Mutex::default(),
        })
    }

    fn health(&self) -> std::sync::MutexGuard<'_, Health> {
        self.health.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Checks and sets up the index; remembers whether its documents must be rebuilt.
    async fn prepare(&self) -> Result<(), SearchError> {
        let outcome = within(PREPARE_TIMEOUT, self.index.prepare_live()).await?;
        if outcome != Prepared::Unchanged {
            let reason = match outcome {
                Prepared::Created => "the search index was missing and has been created",
                Prepared::Incomplete => {
                    "a repair of the search index was cut short (the instance doing it stopped)"
                }
                _ => {
                    "the search index had other settings (lost and re-created, or from an older version)"
                }
            };
            tracing::warn!(
                index = self.index.uid(),
                reason,
                "search settings applied; the index is rebuilt from the database in the background"
            );
            self.health().rebuild_reason = Some(reason.to_owned());
            self.repairing.store(true, Ordering::SeqCst);
            self.needs_rebuild.store(true, Ordering::SeqCst);
        }
        self.prepared.store(true, Ordering::SeqCst);
        Ok(())
    }

    async fn prepared(&self) -> Result<(), SearchError> {
        if self.prepared.load(Ordering::SeqCst) {
            Ok(())
        } else {
            self.prepare().await
        }
    }

    /// A repair that did not finish leaves the live index empty or partial: the next round of the
    /// indexer must try again, not find the index "unchanged" and leave it so.
    fn rebuild_again_if_repairing(&self) {
        if self.repairing.load(Ordering::SeqCst) {
            self.needs_rebuild.store(true, Ordering::SeqCst);
        }
    }

    /// Deletes the staging indexes that rebuilds cut short (a restart, a lost server) left behind,
    /// each a full copy of the index; at most every `LEFTOVERS_EVERY`. Problems are only logged.
    async fn remove_leftovers(&self) {
        {
            let mut checked = self
                .leftovers_checked
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            if checked.is_some_and(|at| at.elapsed() < LEFTOVERS_EVERY) {
                return;
            }
            *checked = Some(std::time::Instant::now());
        }
        let before = chrono::Utc::now()
            - chrono::Duration::from_std(LEFTOVER_AFTER).unwrap_or(chrono::Duration::hours(1));
        let names = match within(
            WRITE_TIMEOUT,
            self.index.rebuilds_begun_before(before.timestamp_millis()),
        )
        .await
        {
            Ok(names) => names,
            Err(error) => {
                tracing::warn!(%error, index = self.index.uid(), "could not look for search indexes that rebuilds left behind");
                return;
            }
        };
        for name in names {
            match within(WRITE_TIMEOUT, self.index.sibling(&name).delete_index()).await {
                Ok(()) => {
                    tracing::info!(index = %name, "deleted a search index that a rebuild cut short left behind")
                }
                Err(error) => {
                    tracing::warn!(%error, index = %name, "search index that a rebuild left behind could not be deleted")
                }
            }
        }
    }

    /// A search that timed out or could not connect.
    fn search_failed(&self) {
        let failures = self.breaker.failures.fetch_add(1, Ordering::SeqCst) + 1;
        if failures < BREAKER_THRESHOLD || self.breaker.open.swap(true, Ordering::SeqCst) {
            return;
        }
        tracing::warn!(
            failures,
            "meilisearch keeps failing; searches use the database until a probe search succeeds"
        );
        let index = self.index.clone();
        let breaker = Arc::clone(&self.breaker);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(PROBE_EVERY).await;
                if within(SEARCH_TIMEOUT, index.search(&SearchQuery::default()))
                    .await
                    .is_ok()
                {
                    breaker.failures.store(0, Ordering::SeqCst);
                    breaker.open.store(false, Ordering::SeqCst);
                    tracing::info!("meilisearch answers again; searches use it");
                    return;
                }
            }
        });
    }
}

#[async_trait::async_trait]
impl ProposalIndex for ReconnectingMeilisearch {
    fn backend(&self) -> &'static str {
        "meilisearch"
    }

    async fn upsert(&self, documents: Vec<ProposalDocument>) -> Result<(), SearchError> {
        self.prepared().await?;
        within(WRITE_TIMEOUT, self.index.upsert(documents)).await
    }

    async fn remove(&self, ids: Vec<i64>) -> Result<(), SearchError> {
        self.prepared().await?;
        within(WRITE_TIMEOUT, self.index.remove(ids)).await
    }

    async fn clear(&self) -> Result<(), SearchError> {
        self.prepared().await?;
        within(WRITE_TIMEOUT, self.index.clear()).await
    }

    async fn document_count(&self) -> Result<Option<u64>, SearchError> {
        self.prepared().await?;
        within(SEARCH_TIMEOUT, self.index.document_count()).await
    }

    async fn search(&self, query: &SearchQuery) -> Result<SearchResults, SearchError> {
        if self.breaker.open.load(Ordering::SeqCst) {
            return Err(SearchError::Unavailable(
                "meilisearch circuit breaker open after repeated timeouts".into(),
            ));
        }
        if self.repairing.load(Ordering::SeqCst) {
            return Err(SearchError::Lost(
                "the search index is being rebuilt after it was lost".into(),
            ));
        }
        match within(SEARCH_TIMEOUT, self.index.search(query)).await {
            Ok(results) => {
                self.breaker.failures.store(0, Ordering::SeqCst);
                Ok(results)
            }
            Err(SearchError::Unavailable(e)) => {
                self.search_failed();
                Err(SearchError::Unavailable(e))
            }
            Err(SearchError::Lost(e)) => {
                // The indexer's next round checks the index, re-applies the settings and rebuilds.
                self.prepared.store(false, Ordering::SeqCst);
                if let Some(wake) = &self.wake {
                    wake.nudge();
                }
                Err(SearchError::Lost(e))
            }
            Err(e) => Err(e),
        }
    }

    async fn is_empty(&self) -> bool {
        let known_full = *self.seen_full_at.lock().unwrap_or_else(|e| e.into_inner());
        if known_full.is_some_and(|at| at.elapsed() < FULL_FOR) {
            return false;
        }
        // Straight to the index: a search never does set-up work.
        match within(SEARCH_TIMEOUT, self.index.document_count()).await {
            Ok(Some(0)) => true,
            Ok(_) => {
                *self.seen_full_at.lock().unwrap_or_else(|e| e.into_inner()) =
                    Some(std::time::Instant::now());
                false
            }
            Err(_) => false,
        }
    }

    async fn maintain(&self) -> Result<bool, SearchError> {
        match self.prepare().await {
            Ok(()) => {
                let problem = self.health().unreachable.take();
                if let Some(problem) = problem {
                    tracing::info!(%problem, "meilisearch reachable again");
                }
                // Only the indexer calls this, in its round, holding the writer's lock: no rebuild
                // of another instance runs now.
                self.remove_leftovers().await;
                // A repair that has not been swapped in yet (its rebuild failed, or could not even
                // start) is due again in every round until one succeeds: the live index is empty or
                // partial, and searches use the database until then.
                let needed = self.needs_rebuild.swap(false, Ordering::SeqCst);
                Ok(needed || self.repairing.load(Ordering::SeqCst))
            }
            Err(e) => {
                let mut health = self.health();
                if health.unreachable.is_none() {
                    tracing::warn!(error = %e, "meilisearch not reachable; searches use the database");
                }
                health.unreachable = Some(e.to_string());
                Err(e)
            }
        }
    }

    fn problem(&self) -> Option<String> {
        let health = self.health();
        // `/ready` is public: the server's own error (its address, say) goes to the log only.
        if health.unreachable.is_some() {
            return Some("search server unreachable; searches use the database".to_owned());
        }
        if self.breaker.open.load(Ordering::SeqCst) {
            return Some(
                "search server does not answer in time; searches use the database".to_owned(),
            );
        }
        if health.rebuilding {
            return Some(format!(
                "search index being rebuilt from the database: {}",
                health
                    .rebuild_reason
                    .as_deref()
                    .unwrap_or("requested by the operator")
            ));
        }
        if self.needs_rebuild.load(Ordering::SeqCst) || self.repairing.load(Ordering::SeqCst) {
            return Some("search index lost; a rebuild is due".to_owned());
        }
        None
    }

    fn set_rebuilding(&self, rebuilding: bool) {
        let mut health = self.health();
        health.rebuilding = rebuilding;
        if !rebuilding {
            health.rebuild_reason = None;
        }
    }

    async fn begin_rebuild(&self) -> Result<Option<Rebuild>, SearchError> {
        if let Err(e) = self.prepared().await {
            self.rebuild_again_if_repairing();
            return Err(e);
        }
        let name = format!(
            "{}_rebuild_{}",
            self.index.uid(),
            chrono::Utc::now().timestamp_millis()
        );
        let staging = self.index.sibling(&name);
        if let Err(e) = within(PREPARE_TIMEOUT, staging.prepare()).await {
            self.rebuild_again_if_repairing();
            // It may have been created before its settings failed.
            if let Err(error) = within(WRITE_TIMEOUT, staging.delete_index()).await {
                tracing::warn!(%error, index = %name, "search index for a rebuild that could not start could not be deleted");
            }
            return Err(e);
        }
        Ok(Some(Rebuild {
            target: Arc::new(staging),
            name,
        }))
    }

    async fn finish_rebuild(&self, rebuild: Rebuild) -> Result<(), SearchError> {
        let staging = self.index.sibling(&rebuild.name);
        if let Err(e) = within(PREPARE_TIMEOUT, self.index.swap_in(&staging)).await {
            self.rebuild_again_if_repairing();
            return Err(e);
        }
        // Documents written while the rebuild ran are in the new index (see `indexer::rebuild`).
        self.needs_rebuild.store(false, Ordering::SeqCst);
        self.repairing.store(false, Ordering::SeqCst);
        Ok(())
    }

    async fn abandon_rebuild(&self, rebuild: Rebuild) {
        self.rebuild_again_if_repairing();
        let staging = self.index.sibling(&rebuild.name);
        if let Err(e) = within(WRITE_TIMEOUT, staging.delete_index()).await {
            tracing::warn!(error = %e, index = %rebuild.name, "half-built search index could not be deleted");
        }
    }
}
