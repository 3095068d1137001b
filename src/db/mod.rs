//! Database access: connection set-up for SQLite and PostgreSQL, entities and queries.
pub mod entities;
mod failure;
pub mod sqlite_memory;

use std::{
    collections::HashMap,
    path::PathBuf,
    sync::{Arc, LazyLock},
    time::Duration,
};

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ColumnTrait, Condition, ConnectOptions, ConnectionTrait, Database, DatabaseConnection,
    DatabaseTransaction, DbBackend, DbErr, EntityTrait, ExecResult, IsolationLevel, QueryFilter,
    QueryResult, QuerySelect, SqliteTransactionMode, Statement, TransactionOptions,
    TransactionTrait, Value,
    sea_query::{Expr, ExprTrait},
    sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous},
};
use secrecy::ExposeSecret;

use crate::config::{DatabaseTarget, Settings};
pub use failure::{DbFailure, classify, copy_of, is_lock_timeout, is_unique_violation};

/// The rows whose `column` holds one of `keys`, each made into a map entry: what a list looks up
/// about its rows, in one query per table.
pub async fn lookup<C, K, V>(
    db: &impl ConnectionTrait,
    column: C,
    keys: impl IntoIterator<Item = impl Into<Value>>,
    entry: impl FnMut(<C::EntityName as EntityTrait>::Model) -> (K, V),
) -> Result<HashMap<K, V>, DbErr>
where
    C: ColumnTrait,
    C::EntityName: EntityTrait,
    K: Eq + std::hash::Hash,
{
    Ok(<C::EntityName as EntityTrait>::find()
        .filter(column.is_in(keys))
        .all(db)
        .await?
        .into_iter()
        .map(entry)
        .collect())
}

/// How many rows match `filter`, per value of `key` (an id column), in one grouped query.
pub async fn count_by<C>(
    db: &impl ConnectionTrait,
    key: C,
    filter: Condition,
) -> Result<HashMap<i32, i64>, DbErr>
where
    C: ColumnTrait + Copy,
    C::EntityName: EntityTrait,
{
    Ok(<C::EntityName as EntityTrait>::find()
        .select_only()
        .column(key)
        .column_as(Expr::cust("COUNT(*)"), "n")
        .filter(filter)
        .group_by(key)
        .into_tuple::<(i32, i64)>()
        .all(db)
        .await?
        .into_iter()
        .collect())
}

/// The sum of `value` over the rows matching `filter`, per value of `key` (an id column), in one
/// grouped query.
pub async fn sum_by<C>(
    db: &impl ConnectionTrait,
    key: C,
    value: C,
    filter: Condition,
) -> Result<HashMap<i32, i64>, DbErr>
where
    C: ColumnTrait + Copy,
    C::EntityName: EntityTrait,
{
    Ok(<C::EntityName as EntityTrait>::find()
        .select_only()
        .column(key)
        .column_as(Expr::col(value).sum(), "total")
        .filter(filter)
        .group_by(key)
        .into_tuple::<(i32, Option<i64>)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(id, total)| (id, total.unwrap_or(0)))
        .collect())
}

pub fn connection_url(settings: &Settings) -> String {
    match &settings.database {
        DatabaseTarget::Sqlite(path) => format!("sqlite://{}?mode=rwc", path.display()),
        DatabaseTarget::Url(url) => url.expose_secret().to_owned(),
    }
}

/// Page cache per SQLite connection: 128 KiB (SQLite reads a negative size as KiB). Sixteen
/// connections fill theirs under load; 512 KiB each was 6-7 MB more at the peak for no measurable
/// speed, since the file's pages stay in the kernel's cache anyway.
const SQLITE_CACHE_SIZE: &str = "-128";
/// Prepared statements kept per SQLite connection: the catalogue's filters make a few dozen shapes.
const SQLITE_STATEMENTS_PER_CONNECTION: usize = 24;

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
                // Each of the 16 connections keeps its own page cache and prepared statements; at
                // SQLite's and sqlx's defaults (2 MB, 100 statements) that was about 20 MB of the
                // peak for no measurable speed.
                .pragma("cache_size", SQLITE_CACHE_SIZE)
                .statement_cache_capacity(SQLITE_STATEMENTS_PER_CONNECTION)
        });
    Database::connect(options).await
}

/// Held while one instance migrates, so that instances starting at the same moment on a new
/// release migrate one after another (the later ones then find nothing left to do).
///
/// Migrations run on other connections, and this lock is not confirmed between them: each migration
/// commits together with its row in `seaql_migrations` (see `InOneTransaction` in the migration
/// crate), so if the lock were lost half-way (its connection cut), a second instance running the
/// same migration at the same moment would wait for the first one's table locks and then fail on
/// what already exists or on the recorded version, which rolls its migration back: its start
/// fails, a restart finds nothing left to do, and nothing is applied twice. The lock's
/// transaction is exempt from `idle_in_transaction_session_timeout` (see [`InstanceLock`]), so a
/// migration that runs longer than that timeout no longer loses it every time.
pub struct MigrationLock(InstanceLock);

/// Any fixed number; only Teilhabe's own instances take this lock.
const MIGRATION_LOCK_KEY: i64 = 7_361_202_611;

impl MigrationLock {
    pub async fn acquire(db: &DatabaseConnection) -> Result<Self, DbErr> {
        InstanceLock::acquire(db, MIGRATION_LOCK_KEY)
            .await
            .map(Self)
    }

    /// Ends the lock. The migrations have committed by then, so a lock found gone at this point
    /// is only logged: the start goes on.
    pub async fn release(self) {
        if let Err(error) = self.0.release().await {
            tracing::warn!(%error, "the migration lock was gone when the migrations had finished");
        }
    }
}

/// The instance lock is no longer held, or can no longer be shown to be: its session ended (the
/// connection was cut, PostgreSQL restarted, an administrator or a timeout ended it), and another
/// instance may hold it now.
#[derive(Debug, thiserror::Error)]
#[error("instance lock {key} lost: {cause}")]
pub struct LockLost {
    key: i64,
    cause: String,
}

/// Work that only one instance may do at a time, as long as it holds this: on PostgreSQL a
/// transaction-level advisory lock, released when the work ends or its connection goes (a crashed
/// instance holds nothing). On SQLite a lock on a file next to the database (`<file>.lock-<key>`),
/// so that a command-line process (an import, a reindex, a scheduled export) and the portal on the
/// same file take turns as instances on PostgreSQL do; the kernel frees it when its process ends.
/// An in-memory SQLite database has one process, so there it is always granted.
///
/// The lock lives exactly as long as its session, which the holder does not see end while the
/// transaction sits idle: long work must call [`InstanceLock::confirm`] before each step that has
/// to be exclusive, and stop when it fails. What is left is the time from a confirmation to the end
/// of the step it guards.
///
/// The transaction is exempt from `idle_in_transaction_session_timeout` (managed PostgreSQL
/// services often set one): otherwise a rebuild or migration that runs longer than the timeout
/// without a statement on the lock's transaction would lose the lock every time. That timeout is
/// there to end forgotten transactions that hold back vacuum or keep rows locked; this one runs
/// at READ COMMITTED, so between statements it holds no snapshot, no transaction id and no row
/// lock, only the advisory lock. A holder whose process dies still frees it at once (the kernel
/// closes its connection); one whose host vanishes keeps it until the server's TCP keepalive ends
/// the session, as on a server without that timeout (PostgreSQL's default).
pub struct InstanceLock {
    key: i64,
    txn: Option<DatabaseTransaction>,
    /// SQLite: the locked file, unlocked when dropped.
    _file: Option<std::fs::File>,
}

impl InstanceLock {
    /// The lock's transaction: read committed (see the type's comment), without the idle timeout.
    async fn begin(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
        db.begin_with_config(Some(IsolationLevel::ReadCommitted), None)
            .await
    }

    /// The lock file of `key` next to an SQLite database file, opened; `None` for an in-memory one.
    fn sqlite_lock_file(db: &DatabaseConnection, key: i64) -> Result<Option<std::fs::File>, DbErr> {
        let database = sqlite_file(db);
        if database.as_os_str().is_empty() || database.to_string_lossy().contains(":memory:") {
            return Ok(None);
        }
        let mut name = database.into_os_string();
        name.push(format!(".lock-{key}"));
        std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&name)
            .map(Some)
            .map_err(|e| DbErr::Custom(format!("lock file {}: {e}", name.to_string_lossy())))
    }

    /// Waits until no other instance holds `key`.
    pub async fn acquire(db: &DatabaseConnection, key: i64) -> Result<Self, DbErr> {
        if db.get_database_backend() != DbBackend::Postgres {
            let file = match Self::sqlite_lock_file(db, key)? {
                Some(file) => Some(
                    tokio::task::spawn_blocking(move || file.lock().map(|()| file))
                        .await
                        .map_err(|e| DbErr::Custom(format!("lock file: {e}")))?
                        .map_err(|e| DbErr::Custom(format!("lock file: {e}")))?,
                ),
                None => None,
            };
            return Ok(Self {
                key,
                txn: None,
                _file: file,
            });
        }
        let txn = Self::begin(db).await?;
        txn.execute_unprepared(&format!(
            "SELECT set_config('idle_in_transaction_session_timeout', '0', true), \
             pg_advisory_xact_lock({key})"
        ))
        .await?;
        Ok(Self {
            key,
            txn: Some(txn),
            _file: None,
        })
    }

    /// `None` at once when another instance holds `key`.
    pub async fn try_acquire(db: &DatabaseConnection, key: i64) -> Result<Option<Self>, DbErr> {
        if db.get_database_backend() != DbBackend::Postgres {
            let file = match Self::sqlite_lock_file(db, key)? {
                Some(file) => match file.try_lock() {
                    Ok(()) => Some(file),
                    Err(std::fs::TryLockError::WouldBlock) => return Ok(None),
                    Err(std::fs::TryLockError::Error(e)) => {
                        return Err(DbErr::Custom(format!("lock file: {e}")));
                    }
                },
                None => None,
            };
            return Ok(Some(Self {
                key,
                txn: None,
                _file: file,
            }));
        }
        let txn = Self::begin(db).await?;
        let granted = txn
            .query_one_raw(Statement::from_string(
                DbBackend::Postgres,
                format!(
                    "SELECT set_config('idle_in_transaction_session_timeout', '0', true), \
                     pg_try_advisory_xact_lock({key}) AS granted"
                ),
            ))
            .await?
            .map(|row| row.try_get::<bool>("", "granted"))
            .transpose()?
            .unwrap_or(false);
        if !granted {
            txn.rollback().await?;
            return Ok(None);
        }
        Ok(Some(Self {
            key,
            txn: Some(txn),
            _file: None,
        }))
    }

    /// Shows that the lock is still held, by asking PostgreSQL on the lock's own transaction
    /// whether this session holds it: the query fails when the session has ended. Cheap (one
    /// look at the lock table); call it before each step that must be exclusive.
    pub async fn confirm(&self) -> Result<(), LockLost> {
        let Some(txn) = &self.txn else {
            return Ok(());
        };
        // An advisory lock on a bigint key is listed with its high half as `classid` and its low
        // half as `objid`.
        let key = self.key;
        let held = txn
            .query_one_raw(Statement::from_string(
                DbBackend::Postgres,
                format!(
                    "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' \
                     AND pid = pg_backend_pid() AND granted AND objsubid = 1 \
                     AND classid = ({key} >> 32)::oid AND objid = ({key} & 4294967295)::oid) \
                     AS held"
                ),
            ))
            .await
            .and_then(|row| row.map(|row| row.try_get::<bool>("", "held")).transpose())
            .map_err(|error| self.lost(error.to_string()))?;
        match held {
            Some(true) => Ok(()),
            _ => Err(self.lost("this session no longer holds it".into())),
        }
    }

    fn lost(&self, cause: String) -> LockLost {
        LockLost {
            key: self.key,
            cause,
        }
    }

    /// Ends the transaction, which releases the lock (dropping it does too, by rolling back). An
    /// error means the session had already ended, and the lock with it, at some point after the
    /// last [`InstanceLock::confirm`]: the lock is free either way.
    pub async fn release(self) -> Result<(), LockLost> {
        match self.txn {
            Some(txn) => txn.commit().await.map_err(|error| LockLost {
                key: self.key,
                cause: format!("its transaction could not be ended ({error})"),
            }),
            None => Ok(()),
        }
    }
}

/// Runs the migrations this version has and the database lacks; returns how many ran. A database
/// a newer version has migrated further is used as it is: during a rolling update the old
/// instances keep serving (migrations only add what old versions can ignore).
pub async fn migrate(db: &DatabaseConnection) -> Result<usize, DbErr> {
    Migrator::install(db).await?;
    let state = MigrationState::of(db).await?;
    if !state.newer.is_empty() {
        tracing::warn!(
            newer = ?state.newer,
            "the database was migrated by a newer version; this one runs against it"
        );
        if state.pending == 0 {
            return Ok(0);
        }
    }
    Migrator::up(db, None).await?;
    Ok(state.pending)
}

/// Which migrations this version and the database do not share.
struct MigrationState {
    /// Migrations of this version the database lacks.
    pending: usize,
    /// Migrations the database has that this version does not know (a newer version ran them).
    newer: Vec<String>,
}

impl MigrationState {
    async fn of(db: &DatabaseConnection) -> Result<Self, DbErr> {
        let applied: std::collections::HashSet<String> = db
            .query_all_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT version FROM seaql_migrations",
            ))
            .await?
            .into_iter()
            .map(|row| row.try_get::<String>("", "version"))
            .collect::<Result<_, _>>()?;
        let known: std::collections::HashSet<String> = Migrator::migrations()
            .iter()
            .map(|m| m.name().to_owned())
            .collect();
        let mut newer: Vec<String> = applied.difference(&known).cloned().collect();
        newer.sort();
        Ok(Self {
            pending: known.difference(&applied).count(),
            newer,
        })
    }
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

/// After many rows were written at once (seeding, an import): the query planner's statistics are
/// brought up to date now. PostgreSQL's autovacuum would get there within a minute or so; until
/// then its plans guess from the empty tables, and a catalogue search read every date of the
/// period once per offer (9 ms instead of under 1 ms for 5,000 dates).
pub async fn refresh_statistics_after_bulk_load(db: &DatabaseConnection) -> Result<(), DbErr> {
    match db.get_database_backend() {
        DbBackend::Postgres => db.execute_unprepared("ANALYZE").await.map(|_| ()),
        _ => refresh_statistics(db).await,
    }
}

/// Reachable and migrated at least as far as this version needs: what `/ready` reports. A database
/// a newer version migrated further serves this one too (the rolling update's old instances).
pub async fn is_ready(db: &DatabaseConnection) -> Result<bool, DbErr> {
    Ok(MigrationState::of(db).await?.pending == 0)
}

/// The file of an SQLite database: what its writers' queue and its instance locks are kept by.
fn sqlite_file(db: &DatabaseConnection) -> PathBuf {
    db.get_sqlite_connection_pool()
        .connect_options()
        .get_filename()
        .to_path_buf()
}

/// A write transaction (see [`begin_write`]). It is used like a [`DatabaseTransaction`] and ends
/// with [`WriteTransaction::commit`]; dropping it rolls back.
pub struct WriteTransaction {
    txn: DatabaseTransaction,
    /// This instance's turn to write to its SQLite file, held until the transaction ends.
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
}

/// The writers' queue of each SQLite file this process opened.
static SQLITE_WRITERS: LazyLock<std::sync::Mutex<HashMap<PathBuf, Arc<tokio::sync::Mutex<()>>>>> =
    LazyLock::new(Default::default);

/// Longest wait for a turn: as long as SQLite's own busy timeout. After it the transaction asks
/// SQLite directly, which then decides as before (it never deadlocks on a turn held elsewhere).
/// On PostgreSQL, the longest wait for each lock in a write transaction (`lock_timeout`).
const TURN_TIMEOUT: Duration = Duration::from_secs(10);

/// What a transaction-scoped named lock ([`lock_names`]) is about: the first of the two keys of a
/// PostgreSQL advisory lock, apart from each other and from the instance locks' key space.
#[derive(Clone, Copy)]
pub enum LockedNames {
    ThrottleBuckets = 1_414,
    CourseAlerts = 1_415,
    /// An address about to become an account's (registration, address change).
    AccountAddresses = 1_416,
    /// Two proposals being merged, one into the other.
    ProposalMerges = 1_417,
    /// The portal's administrators, of whom one must always remain.
    Administrators = 1_418,
}

/// Holds each of `keys` until the transaction ends, for what has no row to lock yet (a throttle
/// bucket, an alert about to be created): two transactions naming the same key take turns on
/// PostgreSQL. SQLite's writers take turns anyway. Keys are locked in the order given; callers
/// that lock several sort them, so that two never wait for each other.
pub async fn lock_names(
    txn: &impl ConnectionTrait,
    what: LockedNames,
    keys: &[&str],
) -> Result<(), DbErr> {
    if txn.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    for key in keys {
        txn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_advisory_xact_lock($1, hashtext($2))",
            [(what as i32).into(), (*key).into()],
        ))
        .await?;
    }
    Ok(())
}

/// A write transaction that holds the write lock from its first statement on.
///
/// SQLite allows one writer at a time, and a writer that finds the file locked polls it with
/// growing sleeps (up to 100 ms each), so under load a few unlucky requests waited a second while
/// newcomers went first. Writers of this instance therefore line up in a fair queue before they
/// begin; the database's own lock stays what keeps other processes (the command line) out.
///
/// PostgreSQL locks rows, so its transactions need no queue, but a row lock can be held for long
/// (a stuck job, a session left open by hand): each wait for a lock ends after as long as SQLite's
/// writers wait for their turn, and the statement fails as busy (`lock_timeout`, for this
/// transaction only). Without the bound, requests piled up behind the lock, each holding a pooled
/// connection, until the pool ran dry and every page failed.
pub async fn begin_write(db: &DatabaseConnection) -> Result<WriteTransaction, DbErr> {
    let turn = if db.get_database_backend() == DbBackend::Sqlite {
        let queue = SQLITE_WRITERS
            .lock()
            .map_err(|_| DbErr::Custom("the writers' queue is poisoned".into()))?
            .entry(sqlite_file(db))
            .or_default()
            .clone();
        tokio::time::timeout(TURN_TIMEOUT, queue.lock_owned())
            .await
            .ok()
    } else {
        None
    };
    let txn = db
        .begin_with_options(TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        })
        .await?;
    if db.get_database_backend() == DbBackend::Postgres {
        txn.execute_unprepared(&format!(
            "SET LOCAL lock_timeout = '{}ms'",
            TURN_TIMEOUT.as_millis()
        ))
        .await?;
    }
    Ok(WriteTransaction { txn, _turn: turn })
}

impl WriteTransaction {
    pub async fn commit(self) -> Result<(), DbErr> {
        self.txn.commit().await
    }

    pub async fn rollback(self) -> Result<(), DbErr> {
        self.txn.rollback().await
    }
}

impl std::ops::Deref for WriteTransaction {
    type Target = DatabaseTransaction;

    fn deref(&self) -> &DatabaseTransaction {
        &self.txn
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for WriteTransaction {
    fn get_database_backend(&self) -> DbBackend {
        self.txn.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.txn.execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.txn.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.txn.query_one_raw(stmt).await
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.txn.query_all_raw(stmt).await
    }

    fn support_returning(&self) -> bool {
        self.txn.support_returning()
    }
}
