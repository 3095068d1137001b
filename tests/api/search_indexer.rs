//! The indexer's queue on the production path: one instance at a time writes to the index, a
//! writer whose lock is lost stops before its next write, and a rebuild leaves the queue for the
//! next drain. Each app here points at a Meilisearch address that never answers, so its own indexer
//! applies nothing and the test's calls are the only writers.
use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst},
    },
    time::Duration,
};

use sea_orm::{
    ColumnTrait, ConnectionTrait, Database, DatabaseConnection, DbBackend, EntityTrait,
    QueryFilter, QueryOrder, Statement, TransactionTrait,
};
use teilhabe::{
    db::entities::{proposal, search_outbox},
    domain::proposal::ProposalStatus,
    search::{
        ProposalDocument, ProposalIndex, Rebuild, SearchError, SearchQuery, SearchResults,
        SharedIndex, embedded::EmbeddedIndex, indexer,
    },
};

use crate::helpers::{Backend, TestApp, app_without_a_search_server};

fn index() -> SharedIndex {
    Arc::new(EmbeddedIndex::in_memory().expect("index"))
}

/// A published proposal with a fresh row in the queue.
async fn queued_proposal(app: &TestApp) -> i64 {
    let id = proposal::Entity::find()
        .filter(proposal::Column::Status.is_in(ProposalStatus::PUBLIC.iter().copied()))
        .order_by_asc(proposal::Column::Id)
        .one(&app.db)
        .await
        .unwrap()
        .expect("a published demo proposal")
        .id;
    indexer::enqueue(&app.db, id).await.unwrap();
    id
}

async fn rows_of(app: &TestApp, proposal_id: i64) -> usize {
    search_outbox::Entity::find()
        .filter(search_outbox::Column::ProposalId.eq(proposal_id))
        .all(&app.db)
        .await
        .unwrap()
        .len()
}

/// Another instance holds the writer's lock: this one's round leaves the queue alone, and a drain
/// (as `teilhabe reindex` or a second worker would run it) waits for the lock and then applies it.
#[tokio::test]
async fn while_another_instance_writes_to_the_index_this_one_waits() {
    let Some(app) = app_without_a_search_server(Backend::Postgres).await else {
        return;
    };
    let proposal_id = queued_proposal(&app).await;
    let other_instance = app.db.begin().await.unwrap();
    other_instance
        .execute_unprepared("SELECT pg_advisory_xact_lock(7361202612)")
        .await
        .unwrap();

    let index = index();
    let written = indexer::round(&app.db, &index, &mut false).await.unwrap();
    assert_eq!(written, 0);
    assert!(rows_of(&app, proposal_id).await > 0);
    let drain = tokio::spawn({
        let (db, index) = (app.db.clone(), index.clone());
        async move { indexer::drain(&db, &index).await }
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!drain.is_finished(), "the drain waits for the lock");
    assert!(rows_of(&app, proposal_id).await > 0);

    other_instance.commit().await.unwrap();
    let applied = tokio::time::timeout(Duration::from_secs(30), drain)
        .await
        .expect("the drain ends once the lock is free")
        .unwrap()
        .unwrap();
    assert!(applied >= 1);
    assert_eq!(rows_of(&app, proposal_id).await, 0);
    assert_eq!(indexer::pending(&app.db).await.unwrap(), 0);
}

/// A rebuild does not delete the queue: a row queued before it began may belong to a transaction
/// that committed only after the rebuild read its proposal. The next drain applies it.
async fn a_rebuild_leaves_the_queue_for_the_next_drain(app: TestApp) {
    let proposal_id = queued_proposal(&app).await;
    let index = index();
    indexer::rebuild(&app.db, &index, None).await.unwrap();
    assert!(rows_of(&app, proposal_id).await > 0);
    indexer::drain(&app.db, &index).await.unwrap();
    assert_eq!(rows_of(&app, proposal_id).await, 0);
    assert_eq!(indexer::pending(&app.db).await.unwrap(), 0);
}

#[tokio::test]
async fn a_rebuild_leaves_the_queue_for_the_next_drain_on_sqlite() {
    let app = app_without_a_search_server(Backend::Sqlite).await.unwrap();
    a_rebuild_leaves_the_queue_for_the_next_drain(app).await;
}

#[tokio::test]
async fn a_rebuild_leaves_the_queue_for_the_next_drain_on_postgres() {
    let Some(app) = app_without_a_search_server(Backend::Postgres).await else {
        return;
    };
    a_rebuild_leaves_the_queue_for_the_next_drain(app).await;
}

/// An index that refuses every batch holding one proposal (as Meilisearch refuses a document it
/// cannot store), and records what it applied.
struct RefusingOne {
    /// `None`: every write is refused.
    refused: Option<i64>,
    applied: std::sync::Mutex<Vec<i64>>,
    writes: std::sync::atomic::AtomicUsize,
}

#[async_trait::async_trait]
impl ProposalIndex for RefusingOne {
    fn backend(&self) -> &'static str {
        "refusing"
    }

    async fn upsert(&self, documents: Vec<ProposalDocument>) -> Result<(), SearchError> {
        self.writes
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        if let Some(refused) = documents
            .iter()
            .find(|d| self.refused.is_none_or(|id| id == d.id))
        {
            return Err(SearchError::Index(format!(
                "document {} refused",
                refused.id
            )));
        }
        let mut applied = self.applied.lock().unwrap();
        applied.extend(documents.iter().map(|d| d.id));
        Ok(())
    }

    async fn remove(&self, ids: Vec<i64>) -> Result<(), SearchError> {
        self.writes
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        if self.refused.is_none() {
            return Err(SearchError::Index("removal refused".into()));
        }
        self.applied.lock().unwrap().extend(ids);
        Ok(())
    }

    async fn clear(&self) -> Result<(), SearchError> {
        Ok(())
    }

    async fn search(&self, _query: &SearchQuery) -> Result<SearchResults, SearchError> {
        Ok(SearchResults::default())
    }
}

/// One proposal the index keeps refusing neither holds back the rows queued after it (all of them,
/// not only those in its batch) nor is retried every round: it waits out its own growing pause.
async fn a_refused_proposal_does_not_hold_back_the_others(app: TestApp) {
    let refused = queued_proposal(&app).await;
    // 300 more rows, most for proposals that do not exist (removals), behind the refused one.
    let others: Vec<i64> = (1..=300).map(|n| 1_000_000 + n).collect();
    for id in &others {
        indexer::enqueue(&app.db, *id).await.unwrap();
    }
    let fake = Arc::new(RefusingOne {
        refused: Some(refused),
        applied: Default::default(),
        writes: Default::default(),
    });
    let index: SharedIndex = fake.clone();
    let mut failing = false;
    for _ in 0..3 {
        let _ = indexer::round(&app.db, &index, &mut failing).await;
    }
    let applied = fake.applied.lock().unwrap().clone();
    assert!(
        others.iter().all(|id| applied.contains(id)),
        "every other row reached the index"
    );
    // The demo data may have queued the refused proposal too: its rows wait together.
    let left = search_outbox::Entity::find().all(&app.db).await.unwrap();
    assert!(!left.is_empty());
    for row in left {
        assert_eq!(row.proposal_id, refused, "only the refused proposal waits");
        assert_eq!(
            row.attempts, 1,
            "tried once, then it waits out its pause instead of being retried every round"
        );
        assert!(row.next_attempt_at > chrono::Utc::now());
    }
}

#[tokio::test]
async fn a_refused_proposal_does_not_hold_back_the_others_on_sqlite() {
    let app = app_without_a_search_server(Backend::Sqlite).await.unwrap();
    a_refused_proposal_does_not_hold_back_the_others(app).await;
}

#[tokio::test]
async fn a_refused_proposal_does_not_hold_back_the_others_on_postgres() {
    let Some(app) = app_without_a_search_server(Backend::Postgres).await else {
        return;
    };
    a_refused_proposal_does_not_hold_back_the_others(app).await;
}

/// A search server that went away between the round's check and its writes.
struct AwayMidway;

#[async_trait::async_trait]
impl ProposalIndex for AwayMidway {
    fn backend(&self) -> &'static str {
        "away"
    }

    async fn upsert(&self, _documents: Vec<ProposalDocument>) -> Result<(), SearchError> {
        Err(SearchError::Unavailable("connection refused".into()))
    }

    async fn remove(&self, _ids: Vec<i64>) -> Result<(), SearchError> {
        Err(SearchError::Unavailable("connection refused".into()))
    }

    async fn clear(&self) -> Result<(), SearchError> {
        Ok(())
    }

    async fn search(&self, _query: &SearchQuery) -> Result<SearchResults, SearchError> {
        Ok(SearchResults::default())
    }
}

/// Rows whose write met an outage wait a minute at most, not a pause grown with their attempts to
/// five minutes: only the instance that met the outage makes them due at once when the server is
/// back, and the next writer may be another instance that never saw it.
async fn rows_that_met_an_outage_are_due_again_soon(app: TestApp) {
    let proposal_id = queued_proposal(&app).await;
    // Tried often before, as with a server that comes and goes.
    search_outbox::Entity::update_many()
        .col_expr(
            search_outbox::Column::Attempts,
            sea_orm::sea_query::Expr::value(6),
        )
        .exec(&app.db)
        .await
        .unwrap();
    let index: SharedIndex = Arc::new(AwayMidway);
    let mut failing = false;
    // The app's own indexer may hold the writer's lock for a moment (its round finds no server).
    let mut met = false;
    for _ in 0..20 {
        met = indexer::round(&app.db, &index, &mut failing).await.is_err();
        if met {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(met && failing, "an outage");
    let rows = search_outbox::Entity::find()
        .filter(search_outbox::Column::ProposalId.eq(proposal_id))
        .all(&app.db)
        .await
        .unwrap();
    assert!(!rows.is_empty());
    let now = chrono::Utc::now();
    for row in rows {
        assert_eq!(row.attempts, 7, "the attempt is counted");
        assert!(
            row.next_attempt_at <= now + chrono::Duration::seconds(61),
            "due again within a minute, not at {}",
            row.next_attempt_at
        );
        assert!(
            row.next_attempt_at >= now + chrono::Duration::seconds(50),
            "but after a pause that grew with the attempts: {}",
            row.next_attempt_at
        );
        assert_eq!(row.claimed_until, None, "free for any instance");
    }
}

#[tokio::test]
async fn rows_that_met_an_outage_are_due_again_soon_on_sqlite() {
    let app = app_without_a_search_server(Backend::Sqlite).await.unwrap();
    rows_that_met_an_outage_are_due_again_soon(app).await;
}

#[tokio::test]
async fn rows_that_met_an_outage_are_due_again_soon_on_postgres() {
    let Some(app) = app_without_a_search_server(Backend::Postgres).await else {
        return;
    };
    rows_that_met_an_outage_are_due_again_soon(app).await;
}

/// An index that refuses every write (a full disk) is not asked about every proposal one by one:
/// the drain gives up after a few, and the rows wait out their pause.
async fn an_index_refusing_everything_is_not_asked_proposal_by_proposal(app: TestApp) {
    for n in 1..=300 {
        indexer::enqueue(&app.db, 1_000_000 + n).await.unwrap();
    }
    let fake = Arc::new(RefusingOne {
        refused: None,
        applied: Default::default(),
        writes: Default::default(),
    });
    let index: SharedIndex = fake.clone();
    let mut failing = false;
    assert!(indexer::round(&app.db, &index, &mut failing).await.is_err());
    let writes = fake.writes.load(std::sync::atomic::Ordering::SeqCst);
    assert!(writes < 60, "{writes} writes for one round");
    assert!(!failing, "a refusal is no outage");
    let waiting = search_outbox::Entity::find()
        .filter(search_outbox::Column::ProposalId.gt(1_000_000))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(waiting.len(), 300);
    assert!(
        waiting
            .iter()
            .all(|r| r.attempts == 0 || r.next_attempt_at > chrono::Utc::now())
    );
}

#[tokio::test]
async fn an_index_refusing_everything_is_not_asked_proposal_by_proposal_on_sqlite() {
    let app = app_without_a_search_server(Backend::Sqlite).await.unwrap();
    an_index_refusing_everything_is_not_asked_proposal_by_proposal(app).await;
}

/// A moderator hides a proposal while its removal waits in the queue (the search server is
/// down): searches must not count it anywhere, not in the hits, the total or the facets, where
/// its district and category could be probed with its words.
async fn a_hidden_proposal_counts_nowhere_while_the_index_lags(app: TestApp) {
    use sea_orm::{ActiveModelTrait, Set};
    use teilhabe::search::Search;

    let target = proposal::Entity::find()
        .filter(proposal::Column::Status.is_in(ProposalStatus::PUBLIC.iter().copied()))
        .order_by_asc(proposal::Column::Id)
        .one(&app.db)
        .await
        .unwrap()
        .expect("a published demo proposal");
    let mut renamed: proposal::ActiveModel = target.into();
    renamed.title = Set("Quellmalzbrunnen am Anger sanieren".into());
    let target = renamed.update(&app.db).await.unwrap();
    let index = index();
    index
        .upsert(indexer::document(&target).into_iter().collect())
        .await
        .unwrap();
    let mut hidden: proposal::ActiveModel = target.clone().into();
    hidden.status = Set(ProposalStatus::Hidden);
    hidden.update(&app.db).await.unwrap();
    indexer::enqueue(&app.db, target.id).await.unwrap();

    let search = Search {
        index,
        db: app.db.clone(),
    };
    let found = search
        .run(&SearchQuery {
            text: "Quellmalzbrunnen".into(),
            per_page: 20,
            ..Default::default()
        })
        .await
        .unwrap()
        .results;
    assert!(found.hits.is_empty(), "{found:?}");
    assert_eq!(found.total, 0);
    assert!(
        found.facets.district.is_empty()
            && found.facets.category.is_empty()
            && found.facets.status.is_empty(),
        "{found:?}"
    );
}

#[tokio::test]
async fn a_hidden_proposal_counts_nowhere_while_the_index_lags_on_sqlite() {
    let app = app_without_a_search_server(Backend::Sqlite).await.unwrap();
    a_hidden_proposal_counts_nowhere_while_the_index_lags(app).await;
}

#[tokio::test]
async fn a_hidden_proposal_counts_nowhere_while_the_index_lags_on_postgres() {
    if let Some(app) = app_without_a_search_server(Backend::Postgres).await {
        a_hidden_proposal_counts_nowhere_while_the_index_lags(app).await;
    }
}

/// The backend that holds the index writer's lock in this test's database (key 7361202612:
/// `pg_locks` lists its high half as `classid`, its low half as `objid`), if one does. Advisory
/// locks are per database, and the other tests' databases have writers too.
async fn writer_lock_holder(db: &DatabaseConnection) -> Option<i32> {
    db.query_one_raw(Statement::from_string(
        DbBackend::Postgres,
        "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted \
         AND classid = 1 AND objid = 3066235316 AND objsubid = 1 \
         AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
    ))
    .await
    .unwrap()
    .map(|row| row.try_get::<i32>("", "pid").unwrap())
}

/// Ends a backend's session, as a PostgreSQL restart, a cut connection or an administrator
/// would, and waits until it is gone.
async fn end_session(db: &DatabaseConnection, pid: i32) {
    db.execute_unprepared(&format!("SELECT pg_terminate_backend({pid})"))
        .await
        .unwrap();
    for _ in 0..200 {
        let alive = db
            .query_one_raw(Statement::from_string(
                DbBackend::Postgres,
                format!("SELECT 1 AS alive FROM pg_stat_activity WHERE pid = {pid}"),
            ))
            .await
            .unwrap();
        if alive.is_none() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("backend {pid} did not end");
}

/// What a [`CutOff`] index and its rebuild copies saw.
struct CutOffState {
    /// The test's own connection, which ends the writer's session.
    db: DatabaseConnection,
    cut: AtomicBool,
    writes_after_cut: AtomicUsize,
    swapped: AtomicBool,
    abandoned: AtomicBool,
}

/// An index whose first write ends the session of the writer's lock (the writer is in the middle
/// of its work, as during a network blip or a PostgreSQL restart), and which counts every write
/// after that. A rebuild fills a copy that shares the same state.
#[derive(Clone)]
struct CutOff(Arc<CutOffState>);

impl CutOff {
    fn new(db: &DatabaseConnection) -> Self {
        Self(Arc::new(CutOffState {
            db: db.clone(),
            cut: Default::default(),
            writes_after_cut: Default::default(),
            swapped: Default::default(),
            abandoned: Default::default(),
        }))
    }

    async fn write(&self) -> Result<(), SearchError> {
        if self.0.cut.load(SeqCst) {
            self.0.writes_after_cut.fetch_add(1, SeqCst);
            return Ok(());
        }
        let writer = writer_lock_holder(&self.0.db)
            .await
            .expect("the writer holds its lock while it writes");
        end_session(&self.0.db, writer).await;
        self.0.cut.store(true, SeqCst);
        Ok(())
    }

    fn cut(&self) -> bool {
        self.0.cut.load(SeqCst)
    }

    fn swapped(&self) -> bool {
        self.0.swapped.load(SeqCst)
    }

    fn abandoned(&self) -> bool {
        self.0.abandoned.load(SeqCst)
    }

    fn writes_after_cut(&self) -> usize {
        self.0.writes_after_cut.load(SeqCst)
    }
}

#[async_trait::async_trait]
impl ProposalIndex for CutOff {
    fn backend(&self) -> &'static str {
        "cut-off"
    }

    async fn upsert(&self, _documents: Vec<ProposalDocument>) -> Result<(), SearchError> {
        self.write().await
    }

    async fn remove(&self, _ids: Vec<i64>) -> Result<(), SearchError> {
        self.write().await
    }

    async fn clear(&self) -> Result<(), SearchError> {
        self.write().await
    }

    async fn search(&self, _query: &SearchQuery) -> Result<SearchResults, SearchError> {
        Ok(SearchResults::default())
    }

    async fn begin_rebuild(&self) -> Result<Option<Rebuild>, SearchError> {
        Ok(Some(Rebuild {
            target: Arc::new(self.clone()),
            name: "cut-off-rebuild".into(),
        }))
    }

    async fn finish_rebuild(&self, _rebuild: Rebuild) -> Result<(), SearchError> {
        self.write().await?;
        self.0.swapped.store(true, SeqCst);
        Ok(())
    }

    async fn abandon_rebuild(&self, _rebuild: Rebuild) {
        self.0.abandoned.store(true, SeqCst);
    }
}

/// The writer's session ends in the middle of a drain (its connection was cut): PostgreSQL has
/// released the lock and another instance may write now. The drain notices before its next write
/// and stops with an error that says so, leaving its claimed rows to the next writer at once; the
/// next drain applies the whole queue.
#[tokio::test]
async fn a_drain_whose_lock_is_lost_stops_before_its_next_write() {
    let Some(app) = app_without_a_search_server(Backend::Postgres).await else {
        return;
    };
    let proposal_id = queued_proposal(&app).await;
    // More rows than one batch, so the drain has writes left when the session ends.
    for n in 1..=300 {
        indexer::enqueue(&app.db, 1_000_000 + n).await.unwrap();
    }
    let cut_off = CutOff::new(&app.db);
    let cutting: SharedIndex = Arc::new(cut_off.clone());

    let drained = indexer::drain(&app.db, &cutting).await;
    assert_eq!(cut_off.writes_after_cut(), 0, "no write without the lock");
    let error = drained.expect_err("the drain stops when its lock is lost");
    assert!(error.to_string().contains("lock"), "{error}");
    let waiting = search_outbox::Entity::find().all(&app.db).await.unwrap();
    assert!(waiting.len() > 300, "{} rows wait", waiting.len());
    assert!(
        waiting.iter().all(|r| r.claimed_until.is_none()),
        "the rows it had claimed are free for the next writer"
    );

    let applied = indexer::drain(&app.db, &index()).await.unwrap();
    assert!(applied >= 1);
    assert_eq!(rows_of(&app, proposal_id).await, 0);
    assert_eq!(indexer::pending(&app.db).await.unwrap(), 0);
}

/// The writer's session ends while a rebuild fills its new index: the rebuild is abandoned
/// instead of being swapped in (another instance may be rebuilding and swapping by then), and the
/// next rebuild works.
#[tokio::test]
async fn a_rebuild_whose_lock_is_lost_is_not_swapped_in() {
    let Some(app) = app_without_a_search_server(Backend::Postgres).await else {
        return;
    };
    let cut_off = CutOff::new(&app.db);
    let cutting: SharedIndex = Arc::new(cut_off.clone());

    let rebuilt = indexer::rebuild(&app.db, &cutting, None).await;
    assert!(!cut_off.swapped(), "not swapped in without the lock");
    assert_eq!(cut_off.writes_after_cut(), 0, "no write without the lock");
    assert!(cut_off.abandoned());
    let error = rebuilt.expect_err("the rebuild stops when its lock is lost");
    assert!(error.to_string().contains("lock"), "{error}");

    let rebuilt = indexer::rebuild(&app.db, &index(), None).await.unwrap();
    assert!(rebuilt > 0);
}

/// The writer's session ends during the drain's last write, after the lock was confirmed for it:
/// the work is done (the rows are applied and gone from the queue), and the drain says so instead
/// of failing at the end because the lock's transaction can no longer be committed.
#[tokio::test]
async fn a_drain_whose_lock_went_after_its_last_write_is_done() {
    let Some(app) = app_without_a_search_server(Backend::Postgres).await else {
        return;
    };
    indexer::drain(&app.db, &index()).await.unwrap();
    indexer::enqueue(&app.db, 1_000_001).await.unwrap();
    let cut_off = CutOff::new(&app.db);
    let cutting: SharedIndex = Arc::new(cut_off.clone());

    let applied = indexer::drain(&app.db, &cutting).await.unwrap();
    assert_eq!(applied, 0, "one removal");
    assert!(cut_off.cut());
    assert_eq!(indexer::pending(&app.db).await.unwrap(), 0);
}

/// An index whose every write takes longer than the server's `idle_in_transaction_session_timeout`
/// (as a rebuild of 100,000 proposals outlasts a managed server's timeout), and which checks
/// after each write that the session that held the writer's lock when the write began still
/// holds it.
struct Slow {
    db: DatabaseConnection,
    pause: Duration,
    /// Per write: whether the lock stayed with the same session.
    kept: std::sync::Mutex<Vec<bool>>,
}

impl Slow {
    async fn write(&self) -> Result<(), SearchError> {
        let before = writer_lock_holder(&self.db).await;
        tokio::time::sleep(self.pause).await;
        let after = writer_lock_holder(&self.db).await;
        self.kept
            .lock()
            .unwrap()
            .push(before.is_some() && before == after);
        Ok(())
    }
}

#[async_trait::async_trait]
impl ProposalIndex for Slow {
    fn backend(&self) -> &'static str {
        "slow"
    }

    async fn upsert(&self, _documents: Vec<ProposalDocument>) -> Result<(), SearchError> {
        self.write().await
    }

    async fn remove(&self, _ids: Vec<i64>) -> Result<(), SearchError> {
        self.write().await
    }

    async fn clear(&self) -> Result<(), SearchError> {
        self.write().await
    }

    async fn search(&self, _query: &SearchQuery) -> Result<SearchResults, SearchError> {
        Ok(SearchResults::default())
    }
}

/// On a server that ends sessions idle in a transaction after a second, a drain and a rebuild
/// whose index writes take longer keep the writer's lock from start to end.
#[tokio::test]
async fn the_writer_keeps_its_lock_past_the_idle_in_transaction_timeout() {
    let Some(app) = app_without_a_search_server(Backend::Postgres).await else {
        return;
    };
    let url = teilhabe::db::connection_url(&app.settings);
    let name = url.rsplit('/').next().unwrap();
    app.db
        .execute_unprepared(&format!(
            "ALTER DATABASE {name} SET idle_in_transaction_session_timeout = '1s'"
        ))
        .await
        .unwrap();
    // Only sessions that start from now on have the setting.
    let db = Database::connect(&url).await.unwrap();
    let timeout = db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SHOW idle_in_transaction_session_timeout",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<String>("", "idle_in_transaction_session_timeout")
        .unwrap();
    assert_eq!(timeout, "1s");
    queued_proposal(&app).await;
    for n in 1..=300 {
        indexer::enqueue(&app.db, 1_000_000 + n).await.unwrap();
    }
    let slow = Arc::new(Slow {
        db: app.db.clone(),
        pause: Duration::from_millis(1500),
        kept: Default::default(),
    });
    let index: SharedIndex = slow.clone();

    let drained = indexer::drain(&db, &index).await;
    let kept = slow.kept.lock().unwrap().clone();
    assert!(kept.len() >= 2, "{} writes", kept.len());
    assert!(kept.iter().all(|&k| k), "lock kept per write: {kept:?}");
    drained.unwrap();
    assert_eq!(indexer::pending(&app.db).await.unwrap(), 0);

    slow.kept.lock().unwrap().clear();
    let rebuilt = indexer::rebuild(&db, &index, None).await;
    let kept = slow.kept.lock().unwrap().clone();
    assert!(kept.len() >= 2, "{} writes", kept.len());
    assert!(kept.iter().all(|&k| k), "lock kept per write: {kept:?}");
    rebuilt.unwrap();
}
