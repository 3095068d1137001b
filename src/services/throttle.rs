//! Counting attempts per account and per client address, in the database so that all instances agree.
use chrono::{Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
};

use crate::db::entities::throttle_event;
use crate::db::{LockedNames, begin_write, lock_names};

#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub max: u64,
    pub window: Duration,
}

/// Wrong passwords for one account from one client address: guessing from one place locks out only
/// that place, so the owner signs in from anywhere else.
pub const LOGIN_PER_ACCOUNT: Limit = Limit {
    max: 5,
    window: Duration::minutes(15),
};
/// Attempts for one account from all addresses together: a ceiling for guessing from many places.
pub const LOGIN_PER_ACCOUNT_ANYWHERE: Limit = Limit {
    max: 100,
    window: Duration::minutes(15),
};
/// Requests to change the address of one account (each checks the password).
pub const EMAIL_CHANGE_PER_ACCOUNT: Limit = Limit {
    max: 5,
    window: Duration::hours(1),
};
/// The owner is told of blocked sign-in attempts at most this often.
pub const LOGIN_BLOCKED_MAIL: Limit = Limit {
    max: 1,
    window: Duration::hours(1),
};
pub const LOGIN_PER_ADDRESS: Limit = Limit {
    max: 30,
    window: Duration::minutes(15),
};
pub const REGISTER_PER_ADDRESS: Limit = Limit {
    max: 10,
    window: Duration::hours(1),
};
/// Each registration mails its address (a confirmation, or a note that an account exists): from
/// many client addresses, one mailbox must not be flooded.
pub const REGISTER_PER_RECIPIENT: Limit = Limit {
    max: 3,
    window: Duration::hours(1),
};
pub const RESET_PER_ACCOUNT: Limit = Limit {
    max: 3,
    window: Duration::hours(1),
};
pub const RESET_PER_ADDRESS: Limit = Limit {
    max: 10,
    window: Duration::hours(1),
};
pub const REPORT_PER_ADDRESS: Limit = Limit {
    max: 10,
    window: Duration::hours(1),
};

pub const BOOKING_PER_ADDRESS: Limit = Limit {
    max: 30,
    window: Duration::hours(1),
};

pub const PROPOSALS_PER_ADDRESS: Limit = Limit {
    max: 20,
    window: Duration::hours(1),
};

/// A kiosk terminal is shared by everyone in a Probierladen, so it is counted as a whole and
/// generously: enough for a busy afternoon, not for a script left running on it.
pub const KIOSK_BOOKINGS_PER_TERMINAL: Limit = Limit {
    max: 60,
    window: Duration::hours(1),
};

pub const KIOSK_PROPOSALS_PER_TERMINAL: Limit = Limit {
    max: 30,
    window: Duration::hours(1),
};

/// Supports, follows and reports from visitors without an account: each may send a mail.
pub const PROPOSAL_MAILS_PER_ADDRESS: Limit = Limit {
    max: 30,
    window: Duration::hours(1),
};

/// Support and follow links mailed to one address, from wherever they are asked for: someone
/// typing another person's address on many proposals, from many client addresses, cannot fill
/// that mailbox. Generous enough for a person supporting a whole district's proposals in an hour.
pub const PROPOSAL_MAILS_PER_RECIPIENT: Limit = Limit {
    max: 20,
    window: Duration::hours(1),
};

/// Course-alert sign-ups from one client address (each sends a confirmation mail).
pub const ALERT_SIGNUPS_PER_ADDRESS: Limit = Limit {
    max: 20,
    window: Duration::hours(1),
};

/// Confirmation mails to one recipient, from wherever they are asked for: nobody's mailbox is
/// filled by someone else's sign-ups.
pub const ALERT_MAILS_PER_RECIPIENT: Limit = Limit {
    max: 5,
    window: Duration::hours(1),
};

/// Course alerts left at one kiosk terminal.
pub const KIOSK_ALERTS_PER_TERMINAL: Limit = Limit {
    max: 30,
    window: Duration::hours(1),
};

/// Forms one client address may send through printed codes in an hour: a printed code is public, so
/// without this one device could fill in a date's share of forms alone.
pub const CODE_FORMS_PER_ADDRESS: Limit = Limit {
    max: 30,
    window: Duration::hours(1),
};

/// Pairing attempts per client address and hour.
pub const KIOSK_PAIRING_PER_ADDRESS: Limit = Limit {
    max: 10,
    window: Duration::hours(1),
};

/// Checks and counts one attempt against each of `buckets` in one atomic step: `Some(minutes)` to wait
/// (and nothing counted) when any bucket is at its limit, `None` when the attempt may go ahead (and is
/// counted in every bucket). Parallel attempts are counted one after another: on SQLite the
/// transaction holds the write lock from its start, on PostgreSQL an advisory lock per bucket.
pub async fn take(
    db: &DatabaseConnection,
    buckets: &[(&str, Limit)],
) -> Result<Option<i64>, DbErr> {
    let txn = begin_write(db).await?;
    let wait = take_in(&txn, buckets).await?;
    txn.commit().await?;
    Ok(wait)
}

/// [`take`] inside a write transaction (begun with `db::begin_write`), so that the attempt is
/// counted only if the rest of the transaction commits too.
pub async fn take_in(
    txn: &DatabaseTransaction,
    buckets: &[(&str, Limit)],
) -> Result<Option<i64>, DbErr> {
    lock_buckets(txn, buckets.iter().map(|(bucket, _)| *bucket).collect()).await?;
    let mut wait = None;
    for (bucket, limit) in buckets {
        wait = wait.max(wait_for(txn, bucket, *limit).await?);
    }
    if wait.is_none() {
        for (bucket, _) in buckets {
            record(txn, bucket).await?;
        }
    }
    Ok(wait)
}

/// Locks the buckets until the transaction ends (PostgreSQL; SQLite's writers take turns anyway).
async fn lock_buckets(txn: &DatabaseTransaction, mut keys: Vec<&str>) -> Result<(), DbErr> {
    // Sorted, so two requests that take the same buckets lock them in the same order.
    keys.sort_unstable();
    keys.dedup();
    lock_names(txn, LockedNames::ThrottleBuckets, &keys).await
}

/// Takes back one attempt counted by [`take`] that turned out not to count (a successful sign-in).
/// Under the bucket's lock, as counting takes it: two sign-ins from one address that succeed at
/// the same moment each take back an attempt, instead of both deleting the same one and leaving
/// the other counted (at a shared address, towards locking everyone out).
pub async fn give_back(db: &DatabaseConnection, bucket: &str) -> Result<(), DbErr> {
    let txn = begin_write(db).await?;
    lock_buckets(&txn, vec![bucket]).await?;
    let newest = throttle_event::Entity::find()
        .filter(throttle_event::Column::Bucket.eq(bucket))
        .order_by_desc(throttle_event::Column::Id)
        .one(&txn)
        .await?;
    if let Some(event) = newest {
        throttle_event::Entity::delete_by_id(event.id)
            .exec(&txn)
            .await?;
    }
    txn.commit().await
}

/// `Some(minutes)` to wait when the limit is reached, `None` when another attempt is fine.
async fn wait_for(
    db: &impl ConnectionTrait,
    bucket: &str,
    limit: Limit,
) -> Result<Option<i64>, DbErr> {
    let since = Utc::now() - limit.window;
    let query = throttle_event::Entity::find()
        .filter(throttle_event::Column::Bucket.eq(bucket))
        .filter(throttle_event::Column::CreatedAt.gt(since));
    if query.clone().count(db).await? < limit.max {
        return Ok(None);
    }
    let oldest = query
        .order_by_asc(throttle_event::Column::CreatedAt)
        .one(db)
        .await?;
    let wait = oldest.map_or(limit.window, |e| e.created_at + limit.window - Utc::now());
    Ok(Some((wait.num_seconds() + 59).max(60) / 60))
}

/// Counts one attempt without checking; [`take`] is the way for requests. Tests use it to fill a bucket.
pub async fn record(db: &impl ConnectionTrait, bucket: &str) -> Result<(), DbErr> {
    throttle_event::ActiveModel {
        bucket: Set(bucket.to_owned()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

pub async fn clear(db: &impl ConnectionTrait, bucket: &str) -> Result<(), DbErr> {
    throttle_event::Entity::delete_many()
        .filter(throttle_event::Column::Bucket.eq(bucket))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn delete_older_than(db: &impl ConnectionTrait, age: Duration) -> Result<u64, DbErr> {
    Ok(throttle_event::Entity::delete_many()
        .filter(throttle_event::Column::CreatedAt.lt(Utc::now() - age))
        .exec(db)
        .await?
        .rows_affected)
}
