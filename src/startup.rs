//! Builds the application: database, migrations, reference and demo data, HTTP server.
//! Tests call `Application::build` with port 0 and their own database.
use std::net::TcpListener;

use actix_web::{App, HttpServer, dev::Server, middleware, web};
use sea_orm::DatabaseConnection;
use secrecy::ExposeSecret;

use crate::{
    background,
    config::SearchBackend,
    config::{ConfigError, DatabaseTarget, Settings},
    db, mail,
    search::{
        SearchError, SharedIndex,
        embedded::EmbeddedIndex,
        indexer::{self, IndexWake},
        reconnecting::ReconnectingMeilisearch,
    },
    seed::demo,
    services::{
        booking::{self, Desk},
        course_alerts::AlertDesk,
        export_jobs,
        feedback::FeedbackDesk,
        pseudonyms::{self, AdoptError, Adopted, Pseudonyms},
        reference, sessions, throttle,
        volunteering::ReminderDesk,
    },
    web::{
        self as routes,
        access_log::access_log,
        errors::render_error_page,
        language,
        page_cache::{self, PageCache},
        security_headers::security_headers,
        session,
        state::AppState,
    },
};

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// Wrong settings or an unusable data directory: exit code 2.
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("database: {0}")]
    Database(#[from] sea_orm::DbErr),
    #[error("reference data: {0}")]
    Reference(#[from] reference::ReferenceError),
    #[error("demo data: {0}")]
    Demo(#[from] demo::DemoError),
    #[error("TEILHABE_BIND: cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    #[error("search index: {0}")]
    Search(#[from] SearchError),
    #[error("{0:#}")]
    Other(#[from] anyhow::Error),
}

/// The configured search backend. A Meilisearch server that is down at start does not stop the
/// portal: searches fall back to the database and index updates wait in the outbox until it is back.
/// Nothing is sent to Meilisearch here; the indexer sets the index up (`wake` lets a search that
/// finds the index lost start the repair at once).
pub async fn open_search_index(
    settings: &Settings,
    wake: Option<IndexWake>,
) -> Result<SharedIndex, StartupError> {
    match &settings.search {
        SearchBackend::Embedded => Ok(std::sync::Arc::new(EmbeddedIndex::open(
            &settings.search_index_dir(),
        )?)),
        SearchBackend::Meilisearch {
            url,
            api_key,
            index,
        } => Ok(std::sync::Arc::new(ReconnectingMeilisearch::new(
            url.as_str(),
            api_key.as_ref().map(|k| k.expose_secret()),
            index,
            wake,
        )?)),
    }
}

/// Makes sure the data directory exists and can be written, with a message an operator can act on.
pub fn prepare_data_dir(settings: &Settings) -> Result<(), ConfigError> {
    let DatabaseTarget::Sqlite(_) = settings.database else {
        return Ok(());
    };
    let dir = &settings.data_dir;
    let problem = |what: String| ConfigError {
        setting: "TEILHABE_DATA_DIR".into(),
        problem: what,
    };
    std::fs::create_dir_all(dir)
        .map_err(|e| problem(format!("'{}' cannot be created ({e})", dir.display())))?;
    let probe = dir.join(".write-test");
    std::fs::write(&probe, b"ok")
        .map_err(|e| problem(format!("'{}' is not writable ({e})", dir.display())))?;
    let _ = std::fs::remove_file(probe);
    Ok(())
}

/// Connects, migrates and loads reference data; every subcommand starts here.
pub async fn prepare_database(settings: &Settings) -> Result<DatabaseConnection, StartupError> {
    prepare_data_dir(settings)?;
    let db = db::connect(settings).await?;
    let lock = db::MigrationLock::acquire(&db).await?;
    let applied = db::migrate(&db).await?;
    if applied > 0 {
        tracing::info!(applied, "migrations applied");
    }
    reference::sync_districts(&db, &settings.content_dir()).await?;
    adopt_pseudonym_key(&db, settings).await?;
    convert_legacy_keys(&db).await?;
    lock.release().await;
    db::refresh_statistics(&db).await?;
    Ok(db)
}

/// Converts the German keys an older version may still write during a rolling update (see
/// `migration::convert_legacy_keys`); converted proposals get their search documents refreshed.
async fn convert_legacy_keys(db: &DatabaseConnection) -> Result<(), sea_orm::DbErr> {
    let txn = db::begin_write(db).await?;
    let proposals = migration::convert_legacy_keys(&txn).await?;
    for id in &proposals {
        crate::search::indexer::enqueue(&txn, *id).await?;
    }
    txn.commit().await?;
    if !proposals.is_empty() {
        tracing::warn!(
            proposals = proposals.len(),
            "converted keys an older version wrote"
        );
    }
    Ok(())
}

/// Records the key of the stored addresses' pseudonyms on first start, refuses a key other than the
/// recorded one, and converts plain hashes written by earlier versions.
async fn adopt_pseudonym_key(
    db: &DatabaseConnection,
    settings: &Settings,
) -> Result<(), StartupError> {
    let pseudonyms = Pseudonyms::from_settings(settings)?;
    match pseudonyms::adopt(db, &pseudonyms).await {
        Ok(adopted) => {
            if adopted != Adopted::default() {
                tracing::info!(
                    recorded = adopted.recorded,
                    converted = adopted.converted,
                    unlinked = adopted.unlinked,
                    forgotten_counts = adopted.forgotten_counts,
                    "pseudonym key adopted: plain address hashes of earlier versions converted"
                );
            }
            Ok(())
        }
        Err(AdoptError::Database(e)) => Err(e.into()),
        Err(other @ AdoptError::OtherKey) => Err(ConfigError {
            setting: "TEILHABE_PSEUDONYM_KEY".into(),
            problem: other.to_string(),
        }
        .into()),
    }
}

pub async fn seed_demo(
    db: &DatabaseConnection,
    settings: &Settings,
    progress: bool,
) -> Result<demo::SeedSummary, StartupError> {
    let sealer = Pseudonyms::from_settings(settings)?.sealer();
    Ok(demo::seed(db, &settings.content_dir(), &sealer, progress).await?)
}

/// The mail sender for the configured transport; tests build the same one to deliver mail on demand.
pub fn mail_sender(settings: &Settings) -> Result<mail::Sender, StartupError> {
    let smtp = settings
        .smtp_url
        .as_ref()
        .map(|s| s.expose_secret().to_owned());
    let transport = mail::MailTransport::from_settings(smtp.as_deref(), settings.outbox_dir())
        .map_err(|e| ConfigError {
            setting: "TEILHABE_SMTP_URL".into(),
            problem: e.to_string(),
        })?;
    Ok(mail::Sender {
        from: settings.mail_from.parse().map_err(|_| ConfigError {
            setting: "TEILHABE_MAIL_FROM".into(),
            problem: "is not a mail address".into(),
        })?,
        domain: settings
            .base_url
            .host_str()
            .unwrap_or("localhost")
            .to_owned(),
        transport,
    })
}

/// How long background jobs may take to finish the run they are in once the server has stopped;
/// with the server's own grace period (`Settings::shutdown_timeout`) the process ends within 5 s.
const JOBS_GRACE: std::time::Duration = std::time::Duration::from_secs(1);

/// The background jobs of one running server: told to stop when the server stops, so they finish
/// the run they are in but start no new one.
struct Jobs {
    stop: tokio::sync::watch::Sender<bool>,
    handles: Vec<tokio::task::JoinHandle<()>>,
}

impl Jobs {
    fn new() -> Self {
        Self {
            stop: tokio::sync::watch::channel(false).0,
            handles: Vec::new(),
        }
    }

    /// Turns true when the jobs are to stop.
    fn stopper(&self) -> tokio::sync::watch::Receiver<bool> {
        self.stop.subscribe()
    }

    /// Signals every job and waits at most `grace` for them; what is still running is cancelled
    /// (an open transaction rolls back).
    async fn stop(self, grace: std::time::Duration) {
        let _ = self.stop.send(true);
        let deadline = tokio::time::Instant::now() + grace;
        for mut handle in self.handles {
            if tokio::time::timeout_at(deadline, &mut handle)
                .await
                .is_err()
            {
                handle.abort();
            }
        }
    }
}

/// Removes expired sessions, old throttle counts, the texts of delivered mail that an older version
/// kept, mail delivered more than 30 days ago or the retention period when that is shorter (and the
/// file transport's `.eml` files as old), mail never delivered after 30 days, and personal data past
/// its time (`services::retention`), refreshes the query planner's statistics, and converts what an
/// older version kept (plain support hashes; booking links in clear, from an hour after migration 35
/// on, and sealed links of bookings it anonymised), at start and once an hour.
fn spawn_housekeeping(
    db: DatabaseConnection,
    pseudonyms: Pseudonyms,
    idle: std::time::Duration,
    retention: std::time::Duration,
    mail_files: Option<std::path::PathBuf>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    let sealer = pseudonyms.sealer();
    tokio::spawn(async move {
        let hour = std::time::Duration::from_secs(3600);
        let mut tick = background::every(hour, std::time::Duration::ZERO);
        while background::next_run(&mut tick, &mut stop).await {
            let idle = chrono::Duration::from_std(idle).unwrap_or(chrono::Duration::minutes(30));
            let retention =
                chrono::Duration::from_std(retention).unwrap_or(chrono::Duration::days(90));
            if let Err(e) = sessions::delete_expired(&db, idle).await {
                tracing::warn!(error = %e, "expired sessions could not be removed");
            }
            if let Err(e) = throttle::delete_older_than(&db, chrono::Duration::days(1)).await {
                tracing::warn!(error = %e, "old throttle counts could not be removed");
            }
            match mail::delete_older_than(&db, mail::kept_for(retention)).await {
                Ok(0) => {}
                Ok(removed) => tracing::info!(removed, "old mail removed"),
                Err(e) => tracing::warn!(error = %e, "old mail could not be removed"),
            }
            match mail::forget_delivered_texts(&db).await {
                Ok(0) => {}
                Ok(forgotten) => tracing::info!(forgotten, "texts of delivered mail removed"),
                Err(e) => {
                    tracing::warn!(error = %e, "texts of delivered mail could not be removed")
                }
            }
            if let Some(dir) = &mail_files {
                let age = mail::kept_for(retention)
                    .to_std()
                    .unwrap_or(std::time::Duration::ZERO);
                match mail::delete_files_older_than(dir, age).await {
                    Ok(0) => {}
                    Ok(removed) => tracing::info!(removed, "old mail files removed"),
                    Err(e) => tracing::warn!(error = %e, "old mail files could not be removed"),
                }
            }
            match crate::services::retention::purge(&db, retention, chrono::Utc::now()).await {
                Ok(purged) if purged.total() > 0 => {
                    tracing::info!(?purged, "personal data past its time removed");
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "personal data past its time could not be removed")
                }
            }
            if let Err(e) =
                export_jobs::delete_zips_older_than(&db, chrono::Duration::days(30)).await
            {
                tracing::warn!(error = %e, "old export downloads could not be removed");
            }
            if let Err(e) =
                crate::services::form_submissions::delete_older_than(&db, chrono::Duration::days(1))
                    .await
            {
                tracing::warn!(error = %e, "old form keys could not be removed");
            }
            if let Err(e) = db::refresh_statistics(&db).await {
                tracing::warn!(error = %e, "query planner statistics could not be refreshed");
            }
            if let Err(e) = convert_legacy_keys(&db).await {
                tracing::warn!(error = %e, "keys of an older version could not be converted");
            }
            match pseudonyms::convert_plain_supports(&db, &pseudonyms).await {
                Ok(0) => {}
                Ok(converted) => {
                    tracing::warn!(
                        converted,
                        "plain support hashes of an older version converted"
                    )
                }
                Err(e) => tracing::warn!(error = %e, "plain support hashes could not be converted"),
            }
            match booking::links::tidy(&db, &sealer, chrono::Utc::now()).await {
                Ok(0) => {}
                Ok(changed) => tracing::info!(
                    changed,
                    "booking links sealed, or removed from anonymised bookings"
                ),
                Err(e) => {
                    tracing::warn!(error = %e, "booking links could not be sealed or removed")
                }
            }
        }
    })
}

/// Booking jobs, every `period` (`TEILHABE_JOB_INTERVAL_SECONDS`, a minute by default): expired place offers move on, reminders go out, dates below their minimum
/// raise a task, course alerts with new dates get their weekly mail, and participants' personal data is removed after the retention period. Every job claims
/// its rows with conditional updates, so several instances can run it side by side.
#[allow(clippy::too_many_arguments)]
fn spawn_booking_jobs(
    desk: Desk,
    feedback: FeedbackDesk,
    volunteers: ReminderDesk,
    alerts: AlertDesk,
    page_cache: PageCache,
    reminder_before: chrono::Duration,
    retention: chrono::Duration,
    period: std::time::Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        // The first run waits one period, so a starting instance serves requests first.
        let mut tick = background::every(period, period);
        while background::next_run(&mut tick, &mut stop).await {
            let now = chrono::Utc::now();
            match desk.expire_offers(now).await {
                Ok(0) => {}
                Ok(_) => page_cache.invalidate_all(),
                Err(e) => tracing::warn!(error = %e, "expired place offers could not be passed on"),
            }
            match desk.release_walk_in_places(now).await {
                Ok(0) => {}
                Ok(_) => page_cache.invalidate_all(),
                Err(e) => {
                    tracing::warn!(error = %e, "released walk-in places could not be passed on")
                }
            }
            if let Err(e) = desk.send_reminders(reminder_before, now).await {
                tracing::warn!(error = %e, "reminders could not be queued");
            }
            if let Err(e) = desk.raise_decision_tasks(now).await {
                tracing::warn!(error = %e, "minimum-participant checks failed");
            }
            match feedback.invite_after_dates(now).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(mails = n, "feedback links sent"),
                Err(e) => tracing::warn!(error = %e, "feedback links could not be sent"),
            }
            match volunteers.remind_gaps(now).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(mails = n, "coverage gap reminders sent"),
                Err(e) => tracing::warn!(error = %e, "coverage gap reminders could not be sent"),
            }
            match alerts.send_due(now).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(mails = n, "course alerts sent"),
                Err(e) => tracing::warn!(error = %e, "course alerts could not be sent"),
            }
            match desk.anonymise_past_bookings(retention, now).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(bookings = n, "personal data of past bookings removed"),
                Err(e) => tracing::warn!(error = %e, "retention job failed"),
            }
        }
    })
}

pub struct Application {
    port: u16,
    server: Server,
    jobs: Jobs,
}

impl Application {
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        let db = prepare_database(&settings).await?;
        if settings.demo {
            let summary = seed_demo(&db, &settings, false).await?;
            tracing::info!(%summary, "demo mode");
        }
        let mut jobs = Jobs::new();
        let sender = mail_sender(&settings)?;
        if settings.background_jobs {
            jobs.handles.push(mail::spawn_worker(
                db.clone(),
                sender,
                settings.mail_interval,
                jobs.stopper(),
            ));
            jobs.handles.push(spawn_housekeeping(
                db.clone(),
                Pseudonyms::from_settings(&settings)?,
                settings.session_idle,
                settings.retention,
                settings.smtp_url.is_none().then(|| settings.outbox_dir()),
                jobs.stopper(),
            ));
            jobs.handles.push(export_jobs::spawn_worker(
                db.clone(),
                settings.data_dir.join("export-jobs"),
                std::time::Duration::from_secs(5),
                jobs.stopper(),
            ));
        }
        let listener = TcpListener::bind(settings.bind).map_err(|source| StartupError::Bind {
            addr: settings.bind.to_string(),
            source,
        })?;
        let port = listener
            .local_addr()
            .map_err(|source| StartupError::Bind {
                addr: settings.bind.to_string(),
                source,
            })?
            .port();
        let shutdown_timeout = settings.shutdown_timeout.as_secs();
        let https = settings.base_url.scheme() == "https";
        let static_dir = settings.static_dir();
        let reminder_before = chrono::Duration::from_std(settings.reminder_before)
            .unwrap_or(chrono::Duration::days(2));
        let retention =
            chrono::Duration::from_std(settings.retention).unwrap_or(chrono::Duration::days(90));
        let index_wake = IndexWake::default();
        let index = open_search_index(&settings, Some(index_wake.clone())).await?;
        indexer::spawn_worker(
            db.clone(),
            index.clone(),
            index_wake.clone(),
            std::time::Duration::from_secs(5),
        );
        let background_jobs = settings.background_jobs;
        let job_interval = settings.job_interval;
        let state = web::Data::new(AppState::new(db, settings, index, index_wake)?);
        if background_jobs {
            jobs.handles.push(spawn_booking_jobs(
                state.booking_desk(),
                state.feedback_desk(),
                state.volunteer_reminders(),
                state.alert_desk(),
                state.page_cache.clone(),
                reminder_before,
                retention,
                job_interval,
                jobs.stopper(),
            ));
        }

        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                // The route table adds each route's access check and form-submission claim to its
                // resource, inside these.
                .wrap(middleware::from_fn(page_cache::middleware))
                .wrap(middleware::ErrorHandlers::new().default_handler(render_error_page))
                .wrap(middleware::from_fn(session::middleware))
                .wrap(middleware::from_fn(language::negotiate))
                .wrap(security_headers(https))
                .wrap(middleware::from_fn(routes::handlers::kiosk::no_store))
                .wrap(middleware::Compress::default())
                .wrap(middleware::from_fn(routes::head_as_get))
                .wrap(middleware::from_fn(access_log))
                .service(routes::static_files(static_dir.clone()))
                .configure(routes::routes)
                .default_service(web::to(routes::not_found))
        })
        .listen(listener)
        .map_err(|source| StartupError::Bind {
            addr: "listener".into(),
            source,
        })?
        .shutdown_timeout(shutdown_timeout)
        .run();
        Ok(Self { port, server, jobs })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Runs until SIGTERM or Ctrl-C: actix stops accepting, finishes open requests (for at most
    /// `shutdown_timeout`), then the background jobs finish their current run (at most `JOBS_GRACE`).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let served = self.server.await;
        self.jobs.stop(JOBS_GRACE).await;
        served
    }
}
