//! Database access: connection set-up for SQLite and PostgreSQL, entities and queries.
pub mod entities;

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbErr,
    sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous},
};
use secrecy::ExposeSecret;

use crate::config::{DatabaseTarget, Settings};

pub fn connection_url(settings: &Settings) -> String {
    match &settings.database {
        DatabaseTarget::Sqlite(path) => format!("sqlite://{}?mode=rwc", path.display()),
        DatabaseTarget::Url(url) => url.expose_secret().to_owned(),
    }
}

pub async fn connect(settings: &Settings) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(connection_url(settings));
    options
        .max_connections(16)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false)
        // SQLite settings are per connection, so they go into the connect options of every one.
        .map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
        });
    Database::connect(options).await
}

/// Held while one instance migrates: on PostgreSQL a transaction-level advisory lock, so that instances
/// starting at the same moment on a new release migrate one after another (the later ones then find
/// nothing left to do). SQLite has one process per file anyway.
pub struct MigrationLock(Option<sea_orm::DatabaseTransaction>);

/// Any fixed number; only Teilhabe's own instances take this lock.
const MIGRATION_LOCK_KEY: i64 = 7_361_202_611;

impl MigrationLock {
    pub async fn acquire(db: &DatabaseConnection) -> Result<Self, DbErr> {
        if db.get_database_backend() != sea_orm::DbBackend::Postgres {
            return Ok(Self(None));
        }
        let txn = sea_orm::TransactionTrait::begin(db).await?;
        txn.execute_unprepared(&format!(
            "SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})"
        ))
        .await?;
        Ok(Self(Some(txn)))
    }

    /// Ends the transaction, which releases the lock (dropping it does too, by rolling back).
    pub async fn release(self) -> Result<(), DbErr> {
        match self.0 {
            Some(txn) => txn.commit().await,
            None => Ok(()),
        }
    }
}

pub async fn migrate(db: &DatabaseConnection) -> Result<usize, DbErr> {
    let pending = Migrator::get_pending_migrations(db).await?.len();
    Migrator::up(db, None).await?;
    Ok(pending)
}

/// Keeps SQLite's query planner statistics current (PostgreSQL's autovacuum does that by itself).
/// Without them SQLite guesses, and a filtered catalogue page can end up reading every date instead
/// of the few that match. Tables are analyzed only when they lack statistics or grew or shrank
/// tenfold, each on a bounded sample, so this takes milliseconds even on a large database.
pub async fn refresh_statistics(db: &DatabaseConnection) -> Result<(), DbErr> {
    if db.get_database_backend() == sea_orm::DbBackend::Sqlite {
        // One call, so that both run on the same connection (the limit is per connection).
        db.execute_unprepared("PRAGMA analysis_limit = 1000; PRAGMA optimize = 0x10002;")
            .await?;
    }
    Ok(())
}

/// Reachable and fully migrated: what `/ready` reports.
pub async fn is_ready(db: &DatabaseConnection) -> Result<bool, DbErr> {
    db.execute_unprepared("SELECT 1").await?;
    Ok(Migrator::get_pending_migrations(db).await?.is_empty())
}
