//! The indexer's queue on the production path: one instance at a time writes to the index, and a
//! rebuild leaves the queue for the next drain. Each app here points at a Meilisearch address that
//! never answers, so its own indexer applies nothing and the test's calls are the only writers.
use std::{sync::Arc, time::Duration};

use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, TransactionTrait,
};
use teilhabe::{
    db::entities::{proposal, search_outbox},
    domain::proposal::ProposalStatus,
    search::{
        ProposalDocument, ProposalIndex, SearchError, SearchQuery, SearchResults, SharedIndex,
        embedded::EmbeddedIndex, indexer,
    },
};

use crate::helpers::{Backend, Options, TestApp, spawn_app};

async fn app_without_a_search_server(backend: Backend) -> Option<TestApp> {
    spawn_app(
        backend,
        Options {
            env: vec![("TEILHABE_MEILISEARCH_URL", "http://127.0.0.1:9".into())],
            ..Default::default()
        },
    )
    .await
}

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
