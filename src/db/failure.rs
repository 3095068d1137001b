//! What a database error means for the person whose request met it, and copies of an error for
//! the other requests that shared its transaction.
use std::borrow::Cow;

use sea_orm::{
    DbErr, RuntimeErr,
    sqlx::{
        self,
        error::{DatabaseError, ErrorKind},
    },
};

/// What a database error means for the person whose request met it. Only an outage earns the
/// maintenance answer; a refused change or a fault of ours is reported as what it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbFailure {
    /// The database cannot be reached, is shutting down or too busy: nothing was stored, and trying
    /// again in a moment helps.
    Unavailable,
    /// The records (on SQLite the file) are held by another change for longer than a writer
    /// waits: a long import, a stuck job, a session left open by hand. The database is fine and
    /// nothing was stored; trying again in a minute helps, reloading at once does not.
    Busy,
    /// A constraint refused the change, or it met another change of the same records (a deadlock,
    /// a serialization failure): almost always someone changed the same record at the same moment,
    /// and reloading shows the current state.
    Conflict,
    /// Anything else is a fault in the portal (a query bug, a value of the wrong type).
    Fault,
}

pub fn classify(error: &DbErr) -> DbFailure {
    if let Some(copied) = database_error(error).and_then(|db| db.try_downcast_ref::<Copied>()) {
        return copied.class;
    }
    match error {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => DbFailure::Unavailable,
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
            match e.as_ref() {
                sqlx::Error::Io(_)
                | sqlx::Error::Tls(_)
                | sqlx::Error::Protocol(_)
                | sqlx::Error::PoolTimedOut
                | sqlx::Error::PoolClosed
                | sqlx::Error::WorkerCrashed => DbFailure::Unavailable,
                sqlx::Error::Database(db) => {
                    let code = db.code().unwrap_or_default();
                    match db.try_downcast_ref::<sqlx::sqlite::SqliteError>() {
                        Some(_) => classify_sqlite(code.parse().unwrap_or_default()),
                        None => classify_sqlstate(&code),
                    }
                }
                _ => DbFailure::Fault,
            }
        }
        _ => DbFailure::Fault,
    }
}

/// An SQLite (extended) result code.
fn classify_sqlite(code: u32) -> DbFailure {
    // The primary result code is the low byte of an extended one.
    match code & 0xff {
        // BUSY: another writer (this instance's writers queue first) kept the file past the busy
        // timeout; LOCKED: a table held inside this process. Either way another change holds
        // what this one needs.
        5 | 6 => DbFailure::Busy,
        // IOERR, FULL, CANTOPEN, PROTOCOL
        10 | 13 | 14 | 15 => DbFailure::Unavailable,
        // CONSTRAINT: NOT NULL (1299) is a missing value in our own insert, and a trigger's
        // RAISE (1811) one of our own guards (the audit log is append-only), as PostgreSQL's
        // RAISE EXCEPTION is; the others are refusals.
        19 if code == 1299 || code == 1811 => DbFailure::Fault,
        19 => DbFailure::Conflict,
        _ => DbFailure::Fault,
    }
}

/// A PostgreSQL SQLSTATE.
fn classify_sqlstate(code: &str) -> DbFailure {
    match code {
        // Class 08: connection exception; 53: insufficient resources; 57P0x: shutdown or start-up.
        c if c.starts_with("08") || c.starts_with("53") => DbFailure::Unavailable,
        "57P01" | "57P02" | "57P03" => DbFailure::Unavailable,
        // Unique, foreign key, check and exclusion violations; and two changes of the same records
        // at the same moment: serialization failure, deadlock. The database is fine then, so the
        // maintenance page would send people away for minutes for nothing.
        "23505" | "23503" | "23514" | "23P01" | "40001" | "40P01" => DbFailure::Conflict,
        // Lock not available: a lock held elsewhere for longer than `lock_timeout` (see
        // `begin_write`). Reloading at once would wait as long again.
        LOCK_NOT_AVAILABLE => DbFailure::Busy,
        _ => DbFailure::Fault,
    }
}

/// Whether the insert met a row with the same unique key: someone else stored it first (a
/// second request of the same person, a form sent twice).
pub fn is_unique_violation(error: &DbErr) -> bool {
    matches!(
        error.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

/// Whether the statement gave up waiting for a lock another transaction holds (see
/// `begin_write`): trying again at once would wait as long again.
pub fn is_lock_timeout(error: &DbErr) -> bool {
    sqlstate(error).as_deref() == Some(LOCK_NOT_AVAILABLE)
}

const LOCK_NOT_AVAILABLE: &str = "55P03";

fn database_error(error: &DbErr) -> Option<&dyn DatabaseError> {
    match error {
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
            match e.as_ref() {
                sqlx::Error::Database(db) => Some(db.as_ref()),
                _ => None,
            }
        }
        _ => None,
    }
}

fn sqlstate(error: &DbErr) -> Option<String> {
    database_error(error).and_then(|db| db.code().map(Cow::into_owned))
}

/// The SQLSTATE of an SQLite constraint's extended result code, where PostgreSQL has one.
fn sqlstate_of_sqlite(code: &str) -> Option<&'static str> {
    match code {
        // UNIQUE, PRIMARY KEY
        "2067" | "1555" => Some("23505"),
        // FOREIGN KEY
        "787" => Some("23503"),
        // CHECK
        "275" => Some("23514"),
        _ => None,
    }
}

/// A copy of `error` for another request that shared its transaction (a database error cannot be
/// cloned): the same class, so an outage stays an outage, a wait given up a wait given up, a
/// conflict a conflict (with its SQLSTATE where the original had one) and a fault a fault; the
/// text says what it was.
pub fn copy_of(error: &DbErr) -> DbErr {
    let class = classify(error);
    let code = match class {
        DbFailure::Unavailable => return DbErr::Conn(RuntimeErr::Internal(error.to_string())),
        DbFailure::Fault => return DbErr::Custom(error.to_string()),
        // PostgreSQL's lock timeout keeps its SQLSTATE (`is_lock_timeout`); SQLite's busy file has
        // none.
        DbFailure::Busy => sqlstate(error)
            .filter(|code| code == LOCK_NOT_AVAILABLE)
            .unwrap_or_else(|| SQLITE_BUSY.to_owned()),
        DbFailure::Conflict => sqlstate(error)
            .map(|code| sqlstate_of_sqlite(&code).map_or(code, str::to_owned))
            .filter(|code| classify_sqlstate(code) == DbFailure::Conflict)
            .unwrap_or_else(|| SERIALIZATION_FAILURE.to_owned()),
    };
    DbErr::Exec(RuntimeErr::SqlxError(std::sync::Arc::new(
        sqlx::Error::Database(Box::new(Copied {
            class,
            code,
            message: database_error(error)
                .map_or_else(|| error.to_string(), |db| db.message().to_owned()),
        })),
    )))
}

/// SQLite's result code for a busy file, kept by copies of it.
const SQLITE_BUSY: &str = "5";

/// Stands for "changed by someone else at the same moment" where the original had no SQLSTATE of a
/// conflict (an SQLite code without one).
const SERIALIZATION_FAILURE: &str = "40001";

/// A conflict or a wait given up, copied by [`copy_of`]; [`classify`] reads its class.
#[derive(Debug)]
struct Copied {
    class: DbFailure,
    code: String,
    message: String,
}

impl std::fmt::Display for Copied {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Copied {}

impl DatabaseError for Copied {
    fn message(&self) -> &str {
        &self.message
    }

    fn code(&self) -> Option<Cow<'_, str>> {
        Some(Cow::Borrowed(&self.code))
    }

    fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
        self
    }

    fn kind(&self) -> ErrorKind {
        match self.code.as_str() {
            "23505" => ErrorKind::UniqueViolation,
            "23503" => ErrorKind::ForeignKeyViolation,
            "23514" => ErrorKind::CheckViolation,
            _ => ErrorKind::Other,
        }
    }
}
