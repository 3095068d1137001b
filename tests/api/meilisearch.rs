//! The portal with the Meilisearch backend against a real server, on SQLite and PostgreSQL:
//! searching, hiding, merging and supporting through HTTP, `reindex` swapping without an empty
//! moment, a lost index, and an outage. The server comes from `TEILHABE_TEST_MEILISEARCH_URL`
//! (and `_KEY`), which `tests/all.sh` starts; without it these tests print SKIPPED.
use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
use teilhabe::{
    db::entities::{proposal, search_outbox},
    search::{
        ProposalIndex, SearchQuery, SharedIndex, indexer, meilisearch::MeilisearchIndex,
        reconnecting::ReconnectingMeilisearch,
    },
};

use crate::helpers::{Backend, DEMO_PASSWORD_ADMIN, Options, PATIENCE, TestApp, spawn_app};

use crate::helpers::CITIZEN;

/// The test server and an index name of this test's own.
pub struct Meili {
    pub url: String,
    pub key: Option<String>,
    pub uid: String,
}

impl Meili {
    pub fn from_env(test: &str) -> Option<Self> {
        let Ok(url) = std::env::var("TEILHABE_TEST_MEILISEARCH_URL") else {
            println!("SKIPPED: {test} – TEILHABE_TEST_MEILISEARCH_URL is not set");
            return None;
        };
        Some(Meili {
            url,
            key: std::env::var("TEILHABE_TEST_MEILISEARCH_KEY").ok(),
            uid: format!("app_{test}_{}", uuid::Uuid::new_v4().simple()),
        })
    }

    /// The app's settings for this index, reached at `url` (the server or a proxy in front).
    pub fn env(&self, url: &str) -> Vec<(&'static str, String)> {
        let mut env = vec![
            ("TEILHABE_MEILISEARCH_URL", url.to_owned()),
            ("TEILHABE_MEILISEARCH_INDEX", self.uid.clone()),
        ];
        if let Some(key) = &self.key {
            env.push(("TEILHABE_MEILISEARCH_KEY", key.clone()));
        }
        env
    }

    /// The index as `teilhabe reindex` opens it.
    pub fn index(&self) -> SharedIndex {
        Arc::new(
            ReconnectingMeilisearch::new(&self.url, self.key.as_deref(), &self.uid, None).unwrap(),
        )
    }

    /// Straight to the server, bypassing the portal.
    pub fn raw(&self) -> MeilisearchIndex {
        MeilisearchIndex::new(&self.url, self.key.as_deref(), &self.uid).unwrap()
    }

    pub async fn index_names(&self) -> Vec<String> {
        let mut request = reqwest::Client::new()
            .get(format!("{}/indexes", self.url))
            .query(&[("limit", "1000")]);
        if let Some(key) = &self.key {
            request = request.bearer_auth(key);
        }
        let body: serde_json::Value = request.send().await.unwrap().json().await.unwrap();
        body["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["uid"].as_str().unwrap().to_owned())
            .collect()
    }

    pub async fn delete(&self) {
        let _ = self.raw().delete_index().await;
    }
}

async fn spawn(backend: Backend, env: Vec<(&'static str, String)>) -> Option<TestApp> {
    spawn_app(
        backend,
        Options {
            env,
            ..Default::default()
        },
    )
    .await
}

/// One test per database, each with its own index on the test server.
macro_rules! with_meilisearch {
    ($name:ident, |$app:ident, $meili:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            async fn run(backend: Backend) {
                let Some($meili) = Meili::from_env(stringify!($name)) else {
                    return;
                };
                let Some($app) = spawn(backend, $meili.env(&$meili.url)).await else {
                    return;
                };
                $body
                $meili.delete().await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                run(Backend::Sqlite).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                run(Backend::Postgres).await;
            }
        }
    };
}

async fn api(app: &TestApp, query: &[(&str, &str)]) -> serde_json::Value {
    app.client
        .get(app.url("/api/v1/proposals"))
        .query(query)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn ids(body: &serde_json::Value) -> Vec<i64> {
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_i64().unwrap())
        .collect()
}

/// Polls until the search (not the database fallback) finds `id` for `q`.
async fn found_by_index(app: &TestApp, q: &str, id: i64) -> serde_json::Value {
    // While a hidden proposal waits to leave the index, the database answers searches.
    settled(app).await;
    let started = Instant::now();
    loop {
        let body = api(app, &[("q", q)]).await;
        if body["degraded"] == false && ids(&body).contains(&id) {
            return body;
        }
        assert!(
            started.elapsed() < PATIENCE,
            "{q:?} does not find {id} through the index: {body}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn settled(app: &TestApp) {
    let started = Instant::now();
    while indexer::pending(&app.db).await.unwrap() > 0 {
        assert!(started.elapsed() < PATIENCE, "index updates still pending");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn proposal(app: &TestApp, id: i64) -> proposal::Model {
    proposal::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
}

async fn public_count(app: &TestApp) -> u64 {
    use sea_orm::PaginatorTrait;
    let public: Vec<&str> = teilhabe::domain::proposal::ProposalStatus::PUBLIC
        .iter()
        .map(|s| s.key())
        .collect();
    proposal::Entity::find()
        .filter(proposal::Column::Status.is_in(public))
        .count(&app.db)
        .await
        .unwrap()
}

async fn logout(app: &TestApp) {
    let token = app.csrf_token("/konto").await;
    app.post_form("/abmelden", &[("csrf_token", &token)]).await;
}

async fn moderate(app: &TestApp, id: i64, fields: &[(&str, &str)]) -> reqwest::Response {
    let page = format!("/verwaltung/vorschlaege/{id}");
    app.submit(
        &page,
        &format!("/verwaltung/vorschlaege/{id}/moderation"),
        fields,
    )
    .await
}

async fn ready(app: &TestApp) -> serde_json::Value {
    let res = app.get("/ready").await;
    assert_eq!(
        res.status(),
        200,
        "search problems do not take the instance out"
    );
    res.json().await.unwrap()
}

with_meilisearch!(
    search_hide_merge_and_supports_through_the_app,
    |app, meili| {
        // Demo proposal 3 is about Wohngeld, 1 and 2 about the Bürgerbüro in Sömmerda.
        let wohngeld = proposal(&app, 3).await;
        assert!(wohngeld.title.contains("Wohngeld"));
        found_by_index(&app, "Wohngeld", 3).await;
        assert!(
            ids(&api(&app, &[("q", "Wohngelt")]).await).contains(&3),
            "a typo"
        );
        // A search that finds nothing in a complete index is an answer, not a fault.
        let nothing = api(&app, &[("q", "Zyxwvutsrq")]).await;
        assert_eq!(nothing["degraded"], false, "{nothing}");
        assert_eq!(nothing["total"], 0, "{nothing}");
        let spelled = api(&app, &[("q", "Buergerbuero Soemmerda")]).await;
        assert_eq!(spelled["degraded"], false);
        assert!(ids(&spelled).contains(&1), "ue/oe spellings: {spelled}");
        let filtered = api(
            &app,
            &[("q", "Wohngeld"), ("district", &wohngeld.district_key)],
        )
        .await;
        assert!(ids(&filtered).contains(&3), "{filtered}");
        let wrong_status = api(&app, &[("q", "Wohngeld"), ("status", "implemented")]).await;
        if wohngeld.status.key() != "implemented" {
            assert!(!ids(&wrong_status).contains(&3), "{wrong_status}");
        }
        ready(&app).await;

        // A support shows in the results at once.
        settled(&app).await;
        app.login(CITIZEN.0, CITIZEN.1).await;
        let res = app
            .submit("/vorschlaege/3", "/vorschlaege/3/unterstuetzen", &[])
            .await;
        assert_eq!(res.status(), 303);
        logout(&app).await;
        let supports = i64::from(proposal(&app, 3).await.supports_count);
        let body = api(&app, &[("q", "Wohngeld")]).await;
        let hit = body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["id"] == 3)
            .unwrap()
            .clone();
        assert_eq!(hit["supports"].as_i64().unwrap(), supports, "{hit}");

        // Hidden: gone from the search from the moment its page answers 404.
        let hidden = proposal(&app, 5).await;
        found_by_index(&app, &hidden.title, 5).await;
        app.login(DEMO_PASSWORD_ADMIN.0, DEMO_PASSWORD_ADMIN.1)
            .await;
        let res = moderate(
            &app,
            5,
            &[
                ("aktion", "verbergen"),
                ("begruendung", "Enthält einen Namen."),
            ],
        )
        .await;
        assert_eq!(res.status(), 303);
        logout(&app).await;
        assert_eq!(app.get("/vorschlaege/5").await.status(), 404);
        assert!(!ids(&api(&app, &[("q", &hidden.title)]).await).contains(&5));
        settled(&app).await;
        assert!(!ids(&api(&app, &[("q", &hidden.title)]).await).contains(&5));
        let raw = meili
            .raw()
            .search(&SearchQuery {
                text: hidden.title.clone(),
                per_page: 50,
                ..Default::default()
            })
            .await
            .unwrap();
        assert!(raw.hits.iter().all(|h| h.id != 5), "removed from the index");

        // Merged: the merged proposal leaves the search, the kept one carries both supports.
        let (kept, merged) = (proposal(&app, 3).await, proposal(&app, 4).await);
        app.login(DEMO_PASSWORD_ADMIN.0, DEMO_PASSWORD_ADMIN.1)
            .await;
        let res = moderate(&app, 4, &[("aktion", "zusammenfuehren"), ("ziel", "3")]).await;
        assert_eq!(res.status(), 303);
        logout(&app).await;
        settled(&app).await;
        let body = api(&app, &[("q", &merged.title)]).await;
        assert!(!ids(&body).contains(&4), "{body}");
        let body = found_by_index(&app, "Wohngeld", 3).await;
        let hit = body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["id"] == 3)
            .unwrap()
            .clone();
        assert_eq!(
            hit["supports"].as_i64().unwrap(),
            i64::from(kept.supports_count + merged.supports_count)
        );
        let total = api(&app, &[]).await;
        assert_eq!(total["total"].as_u64().unwrap(), public_count(&app).await);
    }
);

with_meilisearch!(
    reindex_swaps_in_a_new_index_without_an_empty_moment,
    |app, meili| {
        found_by_index(&app, "Wohngeld", 3).await;
        settled(&app).await;
        let expected = public_count(&app).await;
        let stop = Arc::new(AtomicBool::new(false));
        let watcher = {
            let (client, url, stop) = (
                app.client.clone(),
                app.url("/api/v1/proposals"),
                stop.clone(),
            );
            tokio::spawn(async move {
                let mut seen = Vec::new();
                while !stop.load(Ordering::SeqCst) {
                    let body: serde_json::Value =
                        client.get(&url).send().await.unwrap().json().await.unwrap();
                    seen.push((body["total"].as_u64().unwrap(), body["degraded"] == true));
                }
                seen
            })
        };
        for _ in 0..3 {
            let n = indexer::rebuild(&app.db, &meili.index(), None)
                .await
                .unwrap();
            assert_eq!(n as u64, expected);
        }
        stop.store(true, Ordering::SeqCst);
        let seen = watcher.await.unwrap();
        assert!(seen.len() > 3, "the watcher searched during the rebuilds");
        assert!(
            seen.iter()
                .all(|&(total, degraded)| total == expected && !degraded),
            "every search during the rebuilds saw all {expected} proposals: {seen:?}"
        );
        let left: Vec<String> = meili
            .index_names()
            .await
            .into_iter()
            .filter(|n| n.starts_with(&meili.uid))
            .collect();
        assert_eq!(
            left,
            std::slice::from_ref(&meili.uid),
            "no half-built index stays behind"
        );
    }
);

with_meilisearch!(
    a_lost_index_is_set_up_and_rebuilt_in_the_background,
    |app, meili| {
        found_by_index(&app, "Wohngeld", 3).await;
        settled(&app).await;
        let expected = public_count(&app).await;
        meili.delete().await;
        // The next searches fall back (or already find the repaired index); none fails.
        let body = api(&app, &[("q", "Wohngeld")]).await;
        assert!(ids(&body).contains(&3), "{body}");
        let started = Instant::now();
        loop {
            let body = api(&app, &[("district", &proposal(&app, 3).await.district_key)]).await;
            let all = api(&app, &[]).await;
            if body["degraded"] == false
                && all["degraded"] == false
                && all["total"].as_u64() == Some(expected)
            {
                break;
            }
            assert!(
                started.elapsed() < PATIENCE,
                "the lost index was not rebuilt: {all}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        assert_eq!(ready(&app).await["status"], "ready");
    }
);

with_meilisearch!(
    an_index_another_instance_is_repairing_is_not_searched,
    |app, meili| {
        found_by_index(&app, "Wohngeld", 3).await;
        // Another instance found the index lost and set it up again: there and set up, but empty
        // until its rebuild is swapped in. Only that instance knows it is repairing.
        meili.raw().clear().await.unwrap();
        let body = api(&app, &[("q", "Wohngeld")]).await;
        assert!(ids(&body).contains(&3), "{body}");
        assert_eq!(body["degraded"], true, "{body}");
    }
);

/// A TCP proxy in front of the server that can go down (refusing and cutting connections).
async fn switchable_proxy(target: &str) -> (String, Arc<AtomicBool>) {
    let target = target
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let down = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&down);
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            if flag.load(Ordering::SeqCst) {
                continue;
            }
            let flag = Arc::clone(&flag);
            let target = target.clone();
            tokio::spawn(async move {
                use tokio::io::{AsyncReadExt, AsyncWriteExt};
                let Ok(mut server) = tokio::net::TcpStream::connect(&target).await else {
                    return;
                };
                let (mut from_client, mut to_client) = client.split();
                let (mut from_server, mut to_server) = server.split();
                let mut up = vec![0; 64 * 1024];
                let mut down_buf = vec![0; 64 * 1024];
                loop {
                    tokio::select! {
                        n = from_client.read(&mut up) => {
                            let Ok(n) = n else { return };
                            if n == 0 || flag.load(Ordering::SeqCst) { return; }
                            if to_server.write_all(&up[..n]).await.is_err() { return; }
                        }
                        n = from_server.read(&mut down_buf) => {
                            let Ok(n) = n else { return };
                            if n == 0 || flag.load(Ordering::SeqCst) { return; }
                            if to_client.write_all(&down_buf[..n]).await.is_err() { return; }
                        }
                    }
                }
            });
        }
    });
    (address, down)
}

mod outage {
    use super::*;

    async fn run(backend: Backend) {
        let Some(meili) = Meili::from_env("outage") else {
            return;
        };
        let (proxy, down) = switchable_proxy(&meili.url).await;
        let Some(app) = spawn(backend, meili.env(&proxy)).await else {
            return;
        };
        let hidden = proposal(&app, 5).await;
        found_by_index(&app, &hidden.title, 5).await;
        settled(&app).await;

        down.store(true, Ordering::SeqCst);
        let started = Instant::now();
        loop {
            let body = ready(&app).await;
            if body["status"] == "degraded" {
                assert_eq!(body["search"]["backend"], "meilisearch");
                break;
            }
            assert!(started.elapsed() < PATIENCE, "{body}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }

        // Hidden during the outage: the update waits in the outbox with a retry pause.
        app.login(DEMO_PASSWORD_ADMIN.0, DEMO_PASSWORD_ADMIN.1)
            .await;
        let res = moderate(
            &app,
            5,
            &[
                ("aktion", "verbergen"),
                ("begruendung", "Enthält einen Namen."),
            ],
        )
        .await;
        assert_eq!(res.status(), 303);
        logout(&app).await;
        assert_eq!(app.get("/vorschlaege/5").await.status(), 404);
        let body = api(&app, &[("q", &hidden.title)]).await;
        assert_eq!(body["degraded"], true);
        assert!(!ids(&body).contains(&5));
        // Until the worker has tried and failed once, the row is due at once.
        let started = Instant::now();
        let retry_at = loop {
            let row = search_outbox::Entity::find()
                .filter(search_outbox::Column::ProposalId.eq(5))
                .one(&app.db)
                .await
                .unwrap();
            // The worker checks the server first and only drains when it answers; trigger one
            // failed write the way a second instance would.
            if let Some(row) = row.filter(|r| r.attempts > 0) {
                break row.next_attempt_at;
            }
            let _ = indexer::drain(&app.db, &meili_via(&proxy, &meili)).await;
            assert!(started.elapsed() < PATIENCE);
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        assert!(
            retry_at > chrono::Utc::now() + chrono::Duration::seconds(5),
            "the row waits out a retry pause: {retry_at}"
        );
        // As after a few more failed attempts: a pause far longer than the test may wait, so only
        // the worker's catching up after the outage can bring the removal through in time.
        let retry_at = chrono::Utc::now() + chrono::Duration::minutes(10);
        search_outbox::Entity::update_many()
            .col_expr(search_outbox::Column::Attempts, Expr::value(4))
            .col_expr(search_outbox::Column::NextAttemptAt, Expr::value(retry_at))
            .filter(search_outbox::Column::ProposalId.eq(5))
            .exec(&app.db)
            .await
            .unwrap();

        // Back: searches use the index again, never list the hidden proposal, and the removal
        // reaches the index well before the retry pause is over.
        down.store(false, Ordering::SeqCst);
        let back = Instant::now();
        loop {
            let body = api(&app, &[("q", &hidden.title)]).await;
            assert!(!ids(&body).contains(&5), "hidden proposal listed: {body}");
            let raw = meili
                .raw()
                .search(&SearchQuery {
                    text: hidden.title.clone(),
                    per_page: 50,
                    ..Default::default()
                })
                .await
                .unwrap();
            // The outbox row goes a moment after the index has applied it.
            if body["degraded"] == false
                && raw.hits.iter().all(|h| h.id != 5)
                && indexer::pending(&app.db).await.unwrap() == 0
            {
                break;
            }
            assert!(
                chrono::Utc::now() < retry_at,
                "the removal waited for the retry pause"
            );
            assert!(
                back.elapsed() < PATIENCE,
                "the removal did not reach the index: {body}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let started = Instant::now();
        while ready(&app).await["status"] != "ready" {
            assert!(started.elapsed() < PATIENCE);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        meili.delete().await;
    }

    /// The index as another instance behind the same (broken) address sees it.
    fn meili_via(url: &str, meili: &Meili) -> SharedIndex {
        Arc::new(ReconnectingMeilisearch::new(url, meili.key.as_deref(), &meili.uid, None).unwrap())
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        run(Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        run(Backend::Postgres).await;
    }
}

/// A repair after a loss that fails halfway (the server went away during the fill) is tried again
/// by the next round, instead of the half-filled index being taken as it is.
#[tokio::test]
async fn a_failed_repair_is_tried_again() {
    let Some(meili) = Meili::from_env("failed_repair") else {
        return;
    };
    let index = meili.index();
    assert!(index.maintain().await.unwrap(), "a new index needs filling");
    let staging = index
        .begin_rebuild()
        .await
        .unwrap()
        .expect("a staging index");
    index.abandon_rebuild(staging).await;
    assert!(
        index.maintain().await.unwrap(),
        "the next round rebuilds again"
    );
    assert!(
        index.problem().is_some(),
        "and says the index is not complete"
    );
    meili.delete().await;
}

/// A repair after a loss whose instance stopped before it was done (a deploy, a crash) is finished
/// by the next writer: the re-created index is marked incomplete on the server, so another
/// instance does not take it, empty, for a complete index and write only the next few changes
/// into it. Once the rebuilt index is swapped in, nobody rebuilds again.
#[tokio::test]
async fn a_repair_cut_short_is_finished_by_the_next_writer() {
    let Some(meili) = Meili::from_env("repair_cut_short") else {
        return;
    };
    let first = meili.index();
    assert!(first.maintain().await.unwrap(), "a new index needs filling");
    drop(first);
    let next = meili.index();
    assert!(
        next.maintain().await.unwrap(),
        "the next writer rebuilds the index the first left empty"
    );
    assert!(next.problem().is_some(), "and says it is not complete");
    let staging = next
        .begin_rebuild()
        .await
        .unwrap()
        .expect("a staging index");
    next.finish_rebuild(staging).await.unwrap();
    assert!(!next.maintain().await.unwrap(), "the repair is done");
    assert!(
        !meili.index().maintain().await.unwrap(),
        "and no other instance repeats it"
    );
    meili.delete().await;
}

// An older version's indexer (during a rolling update) removed a document it could not read, or a
// repair was cut short by a restart: nothing queued will bring the document back. Comparing the
// index with the published proposals finds it, and a rebuild restores it.
with_meilisearch!(missing_documents_are_found_and_restored, |app, meili| {
    let missing = proposal(&app, 5).await;
    found_by_index(&app, &missing.title, 5).await;
    settled(&app).await;
    meili.raw().remove(vec![5]).await.unwrap();
    assert!(
        indexer::verify(&app.db, &meili.index()).await.unwrap(),
        "the difference is found and the index rebuilt"
    );
    found_by_index(&app, &missing.title, 5).await;
    assert!(
        !indexer::verify(&app.db, &meili.index()).await.unwrap(),
        "nothing to do once they agree"
    );
});

/// An HTTP proxy in front of the server that answers the first write to a rebuild's staging index
/// (`<uid>_rebuild_<ms>`: its settings, once it was created) with a server error, as a server in
/// trouble or a cut connection would; everything else is passed on. The flag says whether it did.
async fn proxy_failing_a_rebuild_once(target: &str) -> (String, Arc<AtomicBool>) {
    use actix_web::{HttpRequest, HttpResponse, web};

    let target = target.trim_end_matches('/').to_owned();
    let failed = Arc::new(AtomicBool::new(false));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let client = reqwest::Client::new();
    let flag = Arc::clone(&failed);
    let server = actix_web::HttpServer::new(move || {
        let (target, client, flag) = (target.clone(), client.clone(), Arc::clone(&flag));
        actix_web::App::new().default_service(web::to(move |req: HttpRequest, body: web::Bytes| {
            let (target, client, flag) = (target.clone(), client.clone(), Arc::clone(&flag));
            async move {
                let method = reqwest::Method::from_bytes(req.method().as_str().as_bytes()).unwrap();
                if method != reqwest::Method::GET
                    && req.path().contains("_rebuild_")
                    && !flag.swap(true, Ordering::SeqCst)
                {
                    return HttpResponse::InternalServerError().json(serde_json::json!({
                        "message": "injected failure",
                        "code": "internal",
                        "type": "internal",
                        "link": "",
                    }));
                }
                let path = req.uri().path_and_query().map_or("/", |p| p.as_str());
                let mut forward = client.request(method, format!("{target}{path}"));
                for name in ["content-type", "authorization"] {
                    if let Some(value) = req.headers().get(name) {
                        forward = forward.header(name, value.as_bytes());
                    }
                }
                let answer = forward.body(body.to_vec()).send().await.unwrap();
                let mut response = HttpResponse::build(
                    actix_web::http::StatusCode::from_u16(answer.status().as_u16()).unwrap(),
                );
                if let Some(value) = answer.headers().get("content-type") {
                    response.insert_header(("content-type", value.as_bytes()));
                }
                response.body(answer.bytes().await.unwrap())
            }
        }))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .unwrap()
    .run();
    tokio::spawn(server);
    (address, failed)
}

/// A repair whose rebuild could not even start (the staging index's settings failed: a timeout, the
/// network) is tried again by the next rounds: searches do not stay on the database until a
/// restart, and the half-made staging index does not stay on the server.
mod a_repair_that_could_not_start_is_tried_again {
    use super::*;

    async fn run(backend: Backend) {
        let Some(meili) = Meili::from_env("repair_not_started") else {
            return;
        };
        let (proxy, failed) = proxy_failing_a_rebuild_once(&meili.url).await;
        // The app's own indexer reaches no server, so the rounds below are the only writers.
        let env = vec![("TEILHABE_MEILISEARCH_URL", "http://127.0.0.1:9".into())];
        let Some(app) = spawn(backend, env).await else {
            return;
        };
        let index: SharedIndex = Arc::new(
            ReconnectingMeilisearch::new(&proxy, meili.key.as_deref(), &meili.uid, None).unwrap(),
        );
        let mut failing = false;
        for _ in 0..5 {
            let _ = indexer::round(&app.db, &index, &mut failing).await;
            if failed.load(Ordering::SeqCst) && index.problem().is_none() {
                break;
            }
        }
        assert!(failed.load(Ordering::SeqCst), "the first rebuild failed");
        assert_eq!(index.problem(), None, "the repair was done");
        let found = index
            .search(&SearchQuery {
                per_page: 10,
                ..Default::default()
            })
            .await
            .expect("searches use the index again");
        assert_eq!(found.total, public_count(&app).await);
        let staging = format!("{}_rebuild_", meili.uid);
        let names = meili.index_names().await;
        assert!(
            !names.iter().any(|n| n.starts_with(&staging)),
            "no staging index stays behind: {names:?}"
        );
        meili.delete().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        run(Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        run(Backend::Postgres).await;
    }
}

/// A rebuild cut short (a restart, the server gone) leaves its staging index, a full copy of the
/// index, on the server. The writer deletes such leftovers in its round, but not a staging index
/// whose rebuild began a moment ago and may still be running in another process.
mod staging_indexes_left_behind_are_deleted {
    use super::*;

    async fn run(backend: Backend) {
        let Some(meili) = Meili::from_env("leftovers") else {
            return;
        };
        // The app's own indexer reaches no server, so the rounds below are the only writers.
        let env = vec![("TEILHABE_MEILISEARCH_URL", "http://127.0.0.1:9".into())];
        let Some(app) = spawn(backend, env).await else {
            return;
        };
        let stale = format!("{}_rebuild_1", meili.uid);
        let recent = format!(
            "{}_rebuild_{}",
            meili.uid,
            chrono::Utc::now().timestamp_millis()
        );
        for name in [&stale, &recent] {
            MeilisearchIndex::connect(&meili.url, meili.key.as_deref(), name)
                .await
                .unwrap();
        }
        let index = meili.index();
        let mut names = meili.index_names().await;
        for _ in 0..3 {
            let _ = indexer::round(&app.db, &index, &mut false).await;
            names = meili.index_names().await;
            if !names.contains(&stale) {
                break;
            }
        }
        assert!(
            !names.contains(&stale),
            "the leftover is deleted: {names:?}"
        );
        assert!(
            names.contains(&recent),
            "a rebuild begun a moment ago may still be running: {names:?}"
        );
        MeilisearchIndex::new(&meili.url, meili.key.as_deref(), &recent)
            .unwrap()
            .delete_index()
            .await
            .unwrap();
        meili.delete().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        run(Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        run(Backend::Postgres).await;
    }
}
