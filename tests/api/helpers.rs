//! Spawns the real application on a random port with its own database:
//! a temporary SQLite file always, and a fresh PostgreSQL database when one is reachable.
use std::{collections::HashMap, sync::OnceLock};
use teilhabe::domain::offer::{DateStatus, OfferKind, OfferStatus};

use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use teilhabe::{
    config::{FileConfig, Settings},
    startup::Application,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// How long a test waits for background work (the app's workers, the search server) before it
/// fails. Generous on purpose: a loaded CI machine runs everything several times slower, and a
/// wait ends as soon as the work is done.
pub const PATIENCE: std::time::Duration = std::time::Duration::from_secs(90);

pub const POSTGRES_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

fn postgres_admin_url() -> String {
    std::env::var("TEILHABE_TEST_POSTGRES_URL").unwrap_or_else(|_| POSTGRES_ADMIN_URL.to_owned())
}

/// A PostgreSQL database that exists for one test and is dropped afterwards.
pub struct TestPostgres {
    pub name: String,
    pub url: String,
}

impl TestPostgres {
    /// None when no server is reachable, unless `TEILHABE_REQUIRE_POSTGRES=1` (set in CI) makes that a failure.
    pub async fn create() -> Option<Self> {
        Self::create_from(None).await
    }

    /// Like `create`, but a copy of the template with the migrations (and, for `demo`, the demo
    /// data) applied, when `template` names one (see [`templates`]).
    async fn create_from(template: Option<bool>) -> Option<Self> {
        let admin_url = postgres_admin_url();
        let admin = match Database::connect(&admin_url).await {
            Ok(admin) => admin,
            Err(e) => {
                if std::env::var("TEILHABE_REQUIRE_POSTGRES").as_deref() == Ok("1") {
                    panic!("PostgreSQL required but not reachable at {admin_url}: {e}");
                }
                eprintln!("PostgreSQL not reachable ({e}); skipping the PostgreSQL variant");
                return None;
            }
        };
        let name = format!("teilhabe_test_{}", uuid::Uuid::new_v4().simple());
        let base = admin_url
            .rsplit_once('/')
            .map(|(b, _)| b)
            .unwrap_or(&admin_url);
        let copied = match template {
            Some(demo) => {
                let template = templates::postgres(&admin, base, demo).await;
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name} TEMPLATE {template}"))
                    .await
                    .is_ok()
            }
            None => false,
        };
        // Without a template, or when another run replaced it meanwhile: the app migrates.
        if !copied {
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .expect("create test database");
        }
        Some(Self {
            url: format!("{base}/{name}"),
            name,
        })
    }
}

impl Drop for TestPostgres {
    fn drop(&mut self) {
        let name = self.name.clone();
        let admin_url = postgres_admin_url();
        // Drop runs outside async; a short-lived runtime on its own thread does the clean-up.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            rt.block_on(async {
                let admin = Database::connect(&admin_url).await.ok()?;
                admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await
                    .ok()
            })
        })
        .join();
    }
}

/// Databases with the migrations and, for the demo, the demo data already applied, built once per
/// build of the tests and day and copied for each test: migrating and seeding each test's database
/// took about 0.4 s on SQLite and 0.9 s on PostgreSQL of every test. The app's own start still
/// runs both; it finds nothing left to do, as on any restart.
pub mod templates {
    use std::{
        hash::{Hash, Hasher},
        path::{Path, PathBuf},
    };

    use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, TransactionTrait};

    use super::{Options, settings_for};

    pub const SETTINGS_THEY_DEPEND_ON: &[&str] = &[
        "DATABASE_URL",
        "TEILHABE_CONFIG",
        "TEILHABE_DATA_DIR",
        "TEILHABE_ASSETS_DIR",
        "TEILHABE_DEMO",
        "TEILHABE_PSEUDONYM_KEY",
    ];
    /// Written last into a finished SQLite template.
    const READY: &str = "template-ready";

    /// Changes with the test binary (the migrations are compiled in), the demo and reference
    /// files, and the day (demo dates are counted from today).
    fn key(demo: bool) -> String {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        demo.hash(&mut hasher);
        let exe = std::env::current_exe().and_then(std::fs::metadata).ok();
        exe.as_ref().map(std::fs::Metadata::len).hash(&mut hasher);
        exe.and_then(|m| m.modified().ok()).hash(&mut hasher);
        let content = Path::new(env!("CARGO_MANIFEST_DIR")).join("content");
        for folder in ["demo", "reference"] {
            let mut files: Vec<_> = std::fs::read_dir(content.join(folder))
                .map(|entries| entries.filter_map(Result::ok).collect())
                .unwrap_or_default();
            files.sort_by_key(std::fs::DirEntry::file_name);
            for file in files {
                file.file_name().hash(&mut hasher);
                file.metadata()
                    .and_then(|m| m.modified())
                    .ok()
                    .hash(&mut hasher);
            }
        }
        chrono::Utc::now()
            .with_timezone(&chrono_tz::Europe::Berlin)
            .date_naive()
            .hash(&mut hasher);
        format!("{:016x}", hasher.finish())
    }

    async fn prepare(settings: &teilhabe::config::Settings, demo: bool) -> DatabaseConnection {
        let db = teilhabe::startup::prepare_database(settings)
            .await
            .expect("template database");
        if demo {
            teilhabe::startup::seed_demo(&db, settings, false)
                .await
                .expect("template demo data");
        }
        db
    }

    /// Copies the SQLite template's data folder (the database and the pseudonym key it was
    /// prepared with) into `data_dir`, building the template first when there is none.
    pub async fn copy_sqlite(demo: bool, data_dir: &Path) {
        let template = sqlite(demo).await;
        for entry in std::fs::read_dir(&template).expect("template folder") {
            let entry = entry.expect("template file");
            if entry.file_type().expect("file type").is_file() && entry.file_name() != READY {
                std::fs::copy(entry.path(), data_dir.join(entry.file_name()))
                    .expect("copy the template");
            }
        }
    }

    async fn sqlite(demo: bool) -> PathBuf {
        let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("database-templates");
        let name = format!("sqlite-{}", key(demo));
        let done = root.join(&name);
        if done.join(READY).exists() {
            return done;
        }
        std::fs::create_dir_all(&root).expect("template root");
        // Built aside and renamed into place, so a test never copies half a template; test
        // processes starting together may each build one, and the first rename wins.
        let building = tempfile::tempdir_in(&root).expect("template folder");
        let settings = settings_for(
            building.path(),
            None,
            &Options {
                demo,
                env: Vec::new(),
            },
        );
        let db = prepare(&settings, demo).await;
        db.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
            .await
            .expect("checkpoint");
        db.close().await.expect("close the template");
        std::fs::write(building.path().join(READY), "").expect("mark the template");
        let built = building.keep();
        if std::fs::rename(&built, &done).is_err() {
            let _ = std::fs::remove_dir_all(&built);
            assert!(done.join(READY).exists(), "no SQLite template at {done:?}");
        }
        // Templates of earlier builds or days, and folders of builds cut short. Only old ones: a
        // test process of another build may still be copying a recent one.
        let current = [key(true), key(false)].map(|k| format!("sqlite-{k}"));
        for entry in std::fs::read_dir(&root).into_iter().flatten().flatten() {
            let file_name = entry.file_name();
            let other = file_name.to_string_lossy();
            let old = entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|modified| modified.elapsed().ok())
                .is_some_and(|age| age > std::time::Duration::from_secs(3600));
            if old && !current.iter().any(|c| *c == other) {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
        done
    }

    /// The name of the PostgreSQL template, built first under an advisory lock when missing.
    pub async fn postgres(admin: &DatabaseConnection, base: &str, demo: bool) -> String {
        let name = format!("teilhabe_tmpl_{}", key(demo));
        let lock = admin.begin().await.expect("template lock");
        lock.execute_unprepared("SELECT pg_advisory_xact_lock(7361206001)")
            .await
            .expect("template lock");
        let exists = lock
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT 1 FROM pg_database WHERE datname = $1",
                [name.clone().into()],
            ))
            .await
            .expect("look for the template")
            .is_some();
        if !exists {
            let building = format!("{name}_building");
            admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)"))
                .await
                .expect("drop a half-built template");
            admin
                .execute_unprepared(&format!("CREATE DATABASE {building}"))
                .await
                .expect("create the template");
            let data_dir = tempfile::tempdir().expect("temp dir");
            let settings = settings_for(
                data_dir.path(),
                Some(&format!("{base}/{building}")),
                &Options {
                    demo,
                    env: Vec::new(),
                },
            );
            prepare(&settings, demo).await.close().await.expect("close");
            admin
                .execute_unprepared(&format!("ALTER DATABASE {building} RENAME TO {name}"))
                .await
                .expect("name the template");
            // Templates of earlier builds or days; `tests/all.sh` drops the rest at its end.
            let current = [key(true), key(false)].map(|k| format!("teilhabe_tmpl_{k}"));
            let others = lock
                .query_all_raw(Statement::from_string(
                    DbBackend::Postgres,
                    "SELECT datname FROM pg_database WHERE datname LIKE 'teilhabe_tmpl_%'",
                ))
                .await
                .unwrap_or_default();
            for row in others {
                let other: String = row.try_get("", "datname").expect("datname");
                if !current.contains(&other) && !other.ends_with("_building") {
                    let _ = admin
                        .execute_unprepared(&format!(
                            "DROP DATABASE IF EXISTS {other} WITH (FORCE)"
                        ))
                        .await;
                }
            }
        }
        lock.commit().await.expect("template lock");
        name
    }
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub db: DatabaseConnection,
    pub settings: Settings,
    _data_dir: tempfile::TempDir,
    _postgres: Option<TestPostgres>,
}

pub struct Options {
    pub demo: bool,
    pub env: Vec<(&'static str, String)>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            demo: true,
            env: vec![],
        }
    }
}

/// The key every test instance on a PostgreSQL database uses (a server needs a configured key).
pub const TEST_PSEUDONYM_KEY: &str = "test-pseudonym-key-0123456789abcdef";

pub fn settings_for(
    data_dir: &std::path::Path,
    database_url: Option<&str>,
    options: &Options,
) -> Settings {
    let mut env: HashMap<String, String> = HashMap::from([
        ("TEILHABE_BIND".into(), "127.0.0.1:0".into()),
        ("TEILHABE_DATA_DIR".into(), data_dir.display().to_string()),
        ("TEILHABE_BASE_URL".into(), "http://teilhabe.test".into()),
        ("TEILHABE_DEMO".into(), options.demo.to_string()),
        // Tests change data behind the app's back (sea-orm, the booking desk) and read pages right
        // after; `page_cache.rs` tests the cache itself.
        ("TEILHABE_PAGE_CACHE_SECONDS".into(), "0".into()),
        // Delivered mail keeps no text: tests read mail queued, or deliver it (`mails`).
        ("TEILHABE_MAIL_INTERVAL_SECONDS".into(), "3600".into()),
    ]);
    if let Some(url) = database_url {
        env.insert("DATABASE_URL".into(), url.to_owned());
        env.insert("TEILHABE_PSEUDONYM_KEY".into(), TEST_PSEUDONYM_KEY.into());
        // One instance with the embedded index, unless a test sets Meilisearch up.
        env.insert("TEILHABE_SINGLE_INSTANCE".into(), "true".into());
    }
    for (k, v) in &options.env {
        env.insert((*k).into(), v.clone());
    }
    Settings::from_sources(FileConfig::default(), &env).expect("test settings")
}

/// An app whose Meilisearch address never answers (nothing listens on port 9): every call to the
/// search server fails, and its own indexer applies nothing.
pub async fn app_without_a_search_server(backend: Backend) -> Option<TestApp> {
    spawn_app(
        backend,
        Options {
            env: vec![("TEILHABE_MEILISEARCH_URL", "http://127.0.0.1:9".into())],
            ..Default::default()
        },
    )
    .await
}

/// Returns None for PostgreSQL when no server is reachable (see `TestPostgres::create`).
pub async fn spawn_app(backend: Backend, options: Options) -> Option<TestApp> {
    static TRACING: OnceLock<()> = OnceLock::new();
    TRACING.get_or_init(|| {
        if std::env::var("TEST_LOG").is_ok() {
            teilhabe::telemetry::init(teilhabe::config::LogFormat::Text);
        }
    });
    let data_dir = tempfile::tempdir().expect("temp dir");
    // Settings that the migrations or the demo data depend on make the test prepare its own.
    // `TEILHABE_TEST_TEMPLATES=off` prepares every database from scratch, to rule the templates out.
    let template = (std::env::var("TEILHABE_TEST_TEMPLATES").as_deref() != Ok("off")
        && !options
            .env
            .iter()
            .any(|(key, _)| templates::SETTINGS_THEY_DEPEND_ON.contains(key)))
    .then_some(options.demo);
    let postgres = match backend {
        Backend::Sqlite => {
            if let Some(demo) = template {
                templates::copy_sqlite(demo, data_dir.path()).await;
            }
            None
        }
        Backend::Postgres => Some(TestPostgres::create_from(template).await?),
    };
    let settings = settings_for(
        data_dir.path(),
        postgres.as_ref().map(|p| p.url.as_str()),
        &options,
    );
    let app = Application::build(settings.clone())
        .await
        .expect("application builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let db = teilhabe::db::connect(&settings)
        .await
        .expect("test connection");
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    Some(TestApp {
        address,
        client,
        db,
        settings,
        _data_dir: data_dir,
        _postgres: postgres,
    })
}

impl TestApp {
    /// The app's sealer (booking links), from the same key.
    pub fn sealer(&self) -> teilhabe::sealing::Sealer {
        teilhabe::services::pseudonyms::Pseudonyms::from_settings(&self.settings)
            .expect("pseudonym key")
            .sealer()
    }

    /// The secret of a booking's link, as the app reads it.
    pub fn link_secret(&self, booking: &teilhabe::db::entities::booking::Model) -> Option<String> {
        booking.link_secret(&self.sealer())
    }

    /// An application state like the app's own (same mail texts and rules), for services in tests.
    pub fn state(&self) -> teilhabe::web::state::AppState {
        // Services under test never search; an index of its own keeps the app's index untouched.
        let index = std::sync::Arc::new(
            teilhabe::search::embedded::EmbeddedIndex::in_memory().expect("index"),
        );
        teilhabe::web::state::AppState::new(
            self.db.clone(),
            self.settings.clone(),
            index,
            Default::default(),
        )
        .expect("app state")
    }

    /// The booking engine as the app's handlers use it.
    pub fn desk(&self) -> teilhabe::services::booking::Desk {
        self.state().booking_desk()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }

    pub async fn get_html(&self, path: &str) -> (reqwest::StatusCode, scraper::Html) {
        let res = self.get(path).await;
        let status = res.status();
        (
            status,
            scraper::Html::parse_document(&res.text().await.expect("body")),
        )
    }

    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .form(form)
            .send()
            .await
            .expect("POST")
    }
}

pub fn select<'a>(doc: &'a scraper::Html, css: &str) -> Vec<scraper::ElementRef<'a>> {
    let selector = scraper::Selector::parse(css).expect("selector");
    doc.select(&selector).collect()
}

pub fn text_of(doc: &scraper::Html, css: &str) -> String {
    select(doc, css)
        .first()
        .map(|e| e.text().collect::<String>().trim().to_owned())
        .unwrap_or_default()
}

/// Writes one test per backend: `name::sqlite` and `name::postgres` (skipped without a server).
/// The body is a block that uses `app`; it owns the app, so its database lives until the end.
#[macro_export]
macro_rules! on_both_backends {
    ($name:ident, |$app:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let $app = $crate::helpers::spawn_app(
                    $crate::helpers::Backend::Sqlite,
                    Default::default(),
                )
                .await
                .expect("sqlite app");
                $body
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some($app) = $crate::helpers::spawn_app(
                    $crate::helpers::Backend::Postgres,
                    Default::default(),
                )
                .await
                else {
                    return;
                };
                $body
            }
        }
    };
}

pub const DEMO_PASSWORD_ADMIN: (&str, &str) = ("admin@demo.teilhabe.example", "Demo-Admin-2026");
/// The demo citizen's address and password.
pub const CITIZEN: (&str, &str) = ("buergerin@demo.teilhabe.example", "Demo-Buergerin-2026");

impl TestApp {
    /// The CSRF token from the form on `path` (this also starts the session).
    pub async fn csrf_token(&self, path: &str) -> String {
        let (_, doc) = self.get_html(path).await;
        select(&doc, "input[name=\"csrf_token\"]")
            .first()
            .and_then(|e| e.value().attr("value"))
            .unwrap_or_else(|| panic!("no CSRF token on {path}"))
            .to_owned()
    }

    /// The hidden fields (CSRF token, the proposal form's step) of the first form on `path`.
    pub async fn hidden_fields(&self, path: &str) -> Vec<(String, String)> {
        let (_, doc) = self.get_html(path).await;
        select(
            &doc,
            "main form input[type=\"hidden\"], form input[name=\"csrf_token\"]",
        )
        .iter()
        .filter_map(|e| {
            Some((
                e.value().attr("name")?.to_owned(),
                e.value().attr("value")?.to_owned(),
            ))
        })
        .fold(Vec::new(), |mut acc, kv| {
            if !acc.iter().any(|(k, _)| *k == kv.0) {
                acc.push(kv);
            }
            acc
        })
    }

    /// Posts a form the way a person does after reading `form_page`: with its hidden fields, at once
    /// (no form refuses people for being quick).
    pub async fn submit(
        &self,
        form_page: &str,
        action: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let hidden = self.hidden_fields(form_page).await;
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        for (k, v) in &hidden {
            if !all.iter().any(|(name, _)| name == k) {
                all.push((k, v));
            }
        }
        self.post_form(action, &all).await
    }

    pub async fn login(&self, email: &str, password: &str) -> reqwest::Response {
        self.submit(
            "/anmelden",
            "/anmelden",
            &[("email", email), ("password", password)],
        )
        .await
    }

    /// Delivers queued mail now (file transport) and returns every message written so far, decoded.
    pub async fn mails(&self) -> Vec<String> {
        self.delivered_mails()
            .await
            .into_iter()
            // Undo quoted-printable soft breaks so links can be found.
            .map(|raw| raw.replace("=\r\n", "").replace("=3D", "="))
            .collect()
    }

    /// Delivers the outbox and returns every delivered message as written (`.eml`), in the order
    /// they were queued. File times cannot order them: mails written in one delivery round often
    /// share a time stamp (the file system's clock ticks in milliseconds).
    pub async fn delivered_mails(&self) -> Vec<String> {
        use sea_orm::EntityTrait;
        use sea_orm::{ColumnTrait, PaginatorTrait, QueryFilter};
        use teilhabe::db::entities::outbox;
        let sender = teilhabe::startup::mail_sender(&self.settings).expect("mail sender");
        let started = std::time::Instant::now();
        loop {
            sender.deliver_due(&self.db).await.expect("deliver");
            // The app's own mail worker looks only hourly in the tests, but an app a test starts
            // with other settings may have claimed a message a moment before: it is not due any
            // more, but its file is not written yet. A claimed message that was never
            // tried has no attempts and a lease in the future (a failed one has attempts).
            let claimed_elsewhere = outbox::Entity::find()
                .filter(outbox::Column::SentAt.is_null())
                .filter(outbox::Column::FailedAt.is_null())
                .filter(outbox::Column::Attempts.eq(0))
                .count(&self.db)
                .await
                .expect("outbox");
            if claimed_elsewhere == 0 {
                break;
            }
            if started.elapsed() >= PATIENCE {
                let stuck: Vec<(String, String, chrono::DateTime<chrono::Utc>)> =
                    outbox::Entity::find()
                        .filter(outbox::Column::SentAt.is_null())
                        .filter(outbox::Column::FailedAt.is_null())
                        .filter(outbox::Column::Attempts.eq(0))
                        .all(&self.db)
                        .await
                        .expect("outbox")
                        .into_iter()
                        .map(|m| (m.recipient, m.subject, m.next_attempt_at))
                        .collect();
                panic!("{claimed_elsewhere} mails claimed but never delivered: {stuck:?}");
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let queued: HashMap<String, i64> = teilhabe::db::entities::outbox::Entity::find()
            .all(&self.db)
            .await
            .expect("outbox")
            .into_iter()
            .map(|row| (row.message_id, row.id))
            .collect();
        let Ok(entries) = std::fs::read_dir(self.settings.outbox_dir()) else {
            return vec![];
        };
        let mut mails: Vec<(Option<i64>, std::time::SystemTime, String)> = entries
            .filter_map(|e| e.ok())
            .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
            .map(|e| {
                let path = e.path();
                let stem = path
                    .file_stem()
                    .and_then(|s| s.to_str())
                    .unwrap_or_default();
                (
                    queued.get(stem).copied(),
                    e.metadata().unwrap().modified().unwrap(),
                    std::fs::read_to_string(&path).unwrap(),
                )
            })
            .collect();
        // Messages whose outbox row is gone (cleaned up) come first, by file time.
        mails.sort_by_key(|(id, time, _)| (id.is_some(), *id, *time));
        mails.into_iter().map(|(_, _, raw)| raw).collect()
    }

    /// The paths of every page the sitemap lists.
    pub async fn sitemap_pages(&self) -> Vec<String> {
        let xml = self.get("/sitemap.xml").await.text().await.unwrap();
        xml.split("<loc>")
            .skip(1)
            .map(|s| {
                s.split("</loc>")
                    .next()
                    .unwrap()
                    .trim_start_matches("http://teilhabe.test")
                    .to_owned()
            })
            .collect()
    }

    /// The first link in the newest mail to `to` that starts with `prefix` (a path on the test host).
    pub async fn link_in_mail(&self, to: &str, prefix: &str) -> String {
        let mails = self.mails().await;
        let mail = mails
            .iter()
            .rev()
            .find(|m| m.contains(&format!("To: {to}")))
            .unwrap_or_else(|| panic!("no mail to {to}"));
        let start = mail
            .find(&format!("http://teilhabe.test{prefix}"))
            .unwrap_or_else(|| panic!("no {prefix} link in {mail}"));
        let link: String = mail[start..]
            .chars()
            .take_while(|c| !c.is_whitespace() && *c != '"' && *c != '<')
            .collect();
        link.trim_start_matches("http://teilhabe.test").to_owned()
    }
}

/// A published course of the first demo organisation with one date, written straight into the
/// database (the fixture of the booking, race and throttle tests).
pub struct NewCourseDate {
    pub capacity: i32,
    pub max_places_per_booking: i32,
    pub starts_in: chrono::Duration,
    /// At the first demo venue, or online-free without a venue.
    pub at_a_venue: bool,
}

impl Default for NewCourseDate {
    fn default() -> Self {
        Self {
            capacity: 12,
            max_places_per_booking: 4,
            starts_in: chrono::Duration::days(7),
            at_a_venue: false,
        }
    }
}

/// Creates the course and its date; returns the date's id.
pub async fn course_date(app: &TestApp, new: NewCourseDate) -> i32 {
    use sea_orm::{ActiveModelTrait, EntityTrait, Set};
    use teilhabe::db::entities::{offer, offer_date, organisation, venue};
    let org = organisation::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .expect("demo organisation");
    let venue_id = if new.at_a_venue {
        venue::Entity::find()
            .one(&app.db)
            .await
            .unwrap()
            .map(|v| v.id)
    } else {
        None
    };
    let now = chrono::Utc::now();
    let offer = offer::ActiveModel {
        slug: Set(format!("testkurs-{}", uuid::Uuid::new_v4().simple())),
        organisation_id: Set(org.id),
        venue_id: Set(venue_id),
        kind: Set(OfferKind::Course),
        title: Set("Smartphone-Grundlagen".into()),
        description: Set("Erste Schritte mit dem Smartphone.".into()),
        topic: Set("smartphone".into()),
        level: Set("einsteiger".into()),
        target_group: Set("senioren".into()),
        language: Set("de".into()),
        online_url: Set(None),
        what_to_bring: Set(String::new()),
        accessibility_notes: Set(String::new()),
        price_cents: Set(0),
        status: Set(OfferStatus::Published),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    offer_date::ActiveModel {
        offer_id: Set(offer.id),
        starts_at: Set(now + new.starts_in),
        ends_at: Set(now + new.starts_in + chrono::Duration::hours(2)),
        capacity: Set(new.capacity),
        booked_places: Set(0),
        max_places_per_booking: Set(new.max_places_per_booking),
        booking_opens_at: Set(None),
        booking_closes_at: Set(None),
        status: Set(DateStatus::Scheduled),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap()
    .id
}

/// The date's bookings in the order they were stored.
/// One booking as stored.
pub async fn booking_by_id(app: &TestApp, id: i64) -> teilhabe::db::entities::booking::Model {
    use sea_orm::EntityTrait;
    teilhabe::db::entities::booking::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .expect("booking")
}

pub async fn bookings_of_date(
    app: &TestApp,
    date_id: i32,
) -> Vec<teilhabe::db::entities::booking::Model> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    use teilhabe::db::entities::booking;
    booking::Entity::find()
        .filter(booking::Column::DateId.eq(date_id))
        .order_by_asc(booking::Column::Id)
        .all(&app.db)
        .await
        .unwrap()
}

/// How many bookings wait on the date's list, counted.
pub async fn waiting_bookings(app: &TestApp, date_id: i32) -> u64 {
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    use teilhabe::{db::entities::booking, domain::booking::BookingStatus};
    booking::Entity::find()
        .filter(booking::Column::DateId.eq(date_id))
        .filter(booking::Column::Status.eq(BookingStatus::Waitlisted))
        .count(&app.db)
        .await
        .unwrap()
}

/// Sends all requests at the same moment; returns each status code with its body.
pub async fn all_at_once(requests: Vec<reqwest::RequestBuilder>) -> Vec<(u16, String)> {
    let start = std::sync::Arc::new(tokio::sync::Barrier::new(requests.len()));
    let mut sent = tokio::task::JoinSet::new();
    for request in requests {
        let start = start.clone();
        sent.spawn(async move {
            start.wait().await;
            let res = request.send().await.expect("request");
            (res.status().as_u16(), res.text().await.unwrap_or_default())
        });
    }
    tokio::time::timeout(std::time::Duration::from_secs(120), sent.join_all())
        .await
        .expect("all answered within two minutes")
}

/// The `teilhabe` binary as a process with only `PATH` and the data directory in its environment.
pub fn teilhabe_command(data_dir: &std::path::Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_teilhabe"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("TEILHABE_DATA_DIR", data_dir)
        .current_dir(data_dir);
    cmd
}

/// Makes every insert into `table` fail (`refuse`) or work again, on either database: a fault the
/// application cannot tell from the database failing half-way.
pub async fn refuse_inserts(db: &DatabaseConnection, table: &str, refuse: bool) {
    use sea_orm::ConnectionTrait;
    let postgres = db.get_database_backend() == sea_orm::DatabaseBackend::Postgres;
    let sql = match (postgres, refuse) {
        (true, true) => format!(
            "CREATE FUNCTION refuse_{table}() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION '{table} refused'; END $$ LANGUAGE plpgsql;
             CREATE TRIGGER refuse_{table} BEFORE INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION refuse_{table}();"
        ),
        (true, false) => {
            format!("DROP TRIGGER refuse_{table} ON {table}; DROP FUNCTION refuse_{table}();")
        }
        (false, true) => format!(
            "CREATE TRIGGER refuse_{table} BEFORE INSERT ON {table} BEGIN SELECT RAISE(ABORT, '{table} refused'); END;"
        ),
        (false, false) => format!("DROP TRIGGER refuse_{table};"),
    };
    db.execute_unprepared(&sql).await.unwrap();
}

/// Runs `teilhabe import proposals` with `flags` (such as `--skip-invalid`) on `file`, expects it to
/// succeed and returns what it printed and what it reported on standard error.
pub fn import_succeeds(
    data_dir: &std::path::Path,
    flags: &[&str],
    file: &std::path::Path,
) -> (String, String) {
    let out = teilhabe_command(data_dir)
        .args(["import", "proposals"])
        .args(flags)
        .arg("--file")
        .arg(file)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stderr}");
    (String::from_utf8(out.stdout).unwrap(), stderr)
}

/// A concrete address for a route pattern of the route table: `{id}`, `{date_id}`, `{role_id}` become 1,
/// every other parameter (a slug, a token) becomes `x`.
pub fn example_path(pattern: &str) -> String {
    let mut out = String::new();
    let mut rest = pattern;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = rest[open..].find('}').expect("closing brace") + open;
        let name = &rest[open + 1..close];
        out.push_str(if name == "id" || name.ends_with("_id") {
            "1"
        } else {
            "x"
        });
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    out
}

/// Every state-changing route of the route table, as an address to post to.
pub fn post_routes() -> Vec<String> {
    teilhabe::web::route_table::TABLE
        .iter()
        .filter(|route| route.changes_state())
        .map(|route| example_path(route.path))
        .collect()
}

/// 10:00 in Thuringia yesterday: a time in the past whose two-hour session stays within one day,
/// whatever time of day the tests run (a session at "now minus a day" crossed midnight in the
/// evening, and the hours form takes times of one day).
pub fn yesterday_at_ten() -> chrono::DateTime<chrono::Utc> {
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::Berlin)
        .date_naive();
    let yesterday = today.pred_opt().expect("a day before today");
    teilhabe::services::catalogue::start_of_local_day(yesterday) + chrono::Duration::hours(10)
}

/// A proposal's support count as stored.
pub async fn supports_count(app: &TestApp, id: i64) -> i32 {
    use sea_orm::EntityTrait;
    teilhabe::db::entities::proposal::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .supports_count
}

/// Someone else's transaction that ran `statement` (a `SELECT … FOR UPDATE`, or a change not yet
/// committed) and holds its row locks until it ends.
pub async fn holding(
    db: &sea_orm::DatabaseConnection,
    statement: &str,
) -> sea_orm::DatabaseTransaction {
    use sea_orm::{ConnectionTrait, TransactionTrait};
    let holding = db.begin().await.unwrap();
    holding.execute_unprepared(statement).await.unwrap();
    holding
}

/// How many connections to this test's PostgreSQL database wait for a lock.
pub async fn waiting_for_locks(db: &sea_orm::DatabaseConnection) -> i64 {
    use sea_orm::ConnectionTrait;
    db.query_one_raw(sea_orm::Statement::from_string(
        sea_orm::DatabaseBackend::Postgres,
        "SELECT count(*) AS n FROM pg_stat_activity \
         WHERE datname = current_database() AND wait_event_type = 'Lock'",
    ))
    .await
    .unwrap()
    .unwrap()
    .try_get::<i64>("", "n")
    .unwrap()
}

/// Waits until another connection waits for a row lock (PostgreSQL); SQLite's writers queue up in
/// the instance, so a moment's pause lets the waiting one reach its turn.
pub async fn until_someone_waits_for_a_lock(db: &sea_orm::DatabaseConnection) {
    until_waiting_for_locks(db, 1).await
}

/// [`until_someone_waits_for_a_lock`] for `waiters` connections at once.
pub async fn until_waiting_for_locks(db: &sea_orm::DatabaseConnection, waiters: i64) {
    if db.get_database_backend() != sea_orm::DatabaseBackend::Postgres {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        return;
    }
    // A loaded machine may take seconds to get the other side to its lock (a page load, argon2).
    let started = std::time::Instant::now();
    while started.elapsed() < PATIENCE {
        if waiting_for_locks(db).await >= waiters {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("fewer than {waiters} wait for a lock");
}

/// The signed-in person changes their address to `new` and uses the link mailed there.
pub async fn change_address(app: &TestApp, password: &str, new: &str) {
    let (link, token) = ask_for_address_change(app, password, new).await;
    let res = app
        .submit(&link, "/konto/email-bestaetigen", &[("token", &token)])
        .await;
    assert_eq!(res.status(), 200);
}

/// The signed-in person asks to change their address to `new`: the confirmation link mailed
/// there and its token.
pub async fn ask_for_address_change(app: &TestApp, password: &str, new: &str) -> (String, String) {
    let res = app
        .submit(
            "/konto/email",
            "/konto/email",
            &[("email", new), ("password", password)],
        )
        .await;
    assert_eq!(res.status(), 200);
    let link = app
        .link_in_mail(new, "/konto/email-bestaetigen?token=")
        .await;
    let token = link.split("token=").nth(1).unwrap().to_owned();
    (link, token)
}

/// What a browser sends for the form posting to `action` as the page filled it: its inputs (check
/// boxes and radio buttons only when checked; the CSRF token and hidden fields included), the text
/// of its text areas and the chosen option of each list.
pub fn form_as_sent(doc: &scraper::Html, action: &str) -> Vec<(String, String)> {
    let form = format!("form[action=\"{action}\"]");
    let mut fields: Vec<(String, String)> =
        select(doc, &format!("{form} input[name], {form} textarea[name]"))
            .iter()
            .filter(|e| {
                !matches!(e.value().attr("type"), Some("checkbox" | "radio"))
                    || e.value().attr("checked").is_some()
            })
            .map(|e| {
                let value = match e.value().name() {
                    "textarea" => e.text().collect::<String>(),
                    _ => e.value().attr("value").unwrap_or("").to_owned(),
                };
                (e.value().attr("name").unwrap().to_owned(), value)
            })
            .collect();
    for list in select(doc, &format!("{form} select[name]")) {
        let chosen = list
            .select(&scraper::Selector::parse("option[selected]").unwrap())
            .next()
            .and_then(|o| o.value().attr("value"))
            .unwrap_or("");
        fields.push((
            list.value().attr("name").unwrap().to_owned(),
            chosen.to_owned(),
        ));
    }
    fields
}

pub fn as_pairs(values: &[(String, String)]) -> Vec<(&str, &str)> {
    values
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

/// The page a form comes back as when it was opened before someone else changed what it edits:
/// refused (422) with `reason` in the error summary, and `stored` (what is stored now) in the notice.
pub async fn refused_as_changed(
    res: reqwest::Response,
    reason: &str,
    stored: &str,
) -> scraper::Html {
    assert_eq!(res.status(), 422, "the older form is refused");
    let doc = scraper::Html::parse_document(&res.text().await.unwrap());
    let summary = text_of(&doc, ".error-summary");
    assert!(summary.contains(reason), "{summary}");
    let notice = text_of(&doc, "main .notice");
    assert!(
        notice.contains(stored),
        "what is stored now is shown: {notice}"
    );
    doc
}

/// The id of the account with the address `email` (a demo account, or one a test made).
pub async fn user_id(app: &TestApp, email: &str) -> i32 {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    use teilhabe::db::entities::user;
    user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no account {email}"))
        .id
}

/// Makes every insert into `table` of a row matching `condition` (SQL on the new row, `NEW.…`)
/// fail, on either database: one item of a job that fails every time it is tried.
pub async fn refuse_inserts_where(db: &DatabaseConnection, table: &str, condition: &str) {
    refuse_where(db, "INSERT", table, condition).await;
}

/// Makes every `event` (`INSERT` or `UPDATE`) on `table` whose new row matches `condition` fail, on
/// either database, until [`stop_refusing`].
pub async fn refuse_where(db: &DatabaseConnection, event: &str, table: &str, condition: &str) {
    let sql = if db.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        format!(
            "CREATE FUNCTION refuse_some_{table}() RETURNS trigger AS $$ BEGIN IF {condition} THEN RAISE EXCEPTION '{table} refused'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql;
             CREATE TRIGGER refuse_some_{table} BEFORE {event} ON {table} FOR EACH ROW EXECUTE FUNCTION refuse_some_{table}();"
        )
    } else {
        format!(
            "CREATE TRIGGER refuse_some_{table} BEFORE {event} ON {table} WHEN {condition} BEGIN SELECT RAISE(ABORT, '{table} refused'); END;"
        )
    };
    db.execute_unprepared(&sql).await.unwrap();
}

/// Ends what [`refuse_where`] began.
pub async fn stop_refusing(db: &DatabaseConnection, table: &str) {
    let sql = if db.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        format!("DROP TRIGGER refuse_some_{table} ON {table}; DROP FUNCTION refuse_some_{table}();")
    } else {
        format!("DROP TRIGGER refuse_some_{table};")
    };
    db.execute_unprepared(&sql).await.unwrap();
}

/// A port for a server a test starts as a child process. The kernel's own choice (binding port
/// 0, then closing) comes from the ephemeral range, where any test's outgoing connection may take
/// it before the child binds it; and a server restarted on its port would meet the same race.
/// Ports below that range are only ever taken by such explicit choices, which check first.
pub fn unused_port() -> u16 {
    use rand::Rng;
    // Handed out in this process already: two tests must not get the same one before either
    // child has bound it.
    static GIVEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    let ephemeral_from = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|range| range.split_whitespace().next()?.parse::<u16>().ok())
        .filter(|from| *from > 2_048)
        .unwrap_or(32768);
    let from = 10_000.min(ephemeral_from / 2);
    let mut rng = rand::rng();
    for _ in 0..1_000 {
        let port = rng.random_range(from..ephemeral_from);
        let mut given = GIVEN.lock().unwrap();
        if !given.contains(&port) && std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            given.push(port);
            return port;
        }
    }
    panic!("no free port between {from} and {ephemeral_from}");
}
