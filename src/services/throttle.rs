//! Counting attempts per account and per client address, in the database so that all instances agree.
use chrono::{Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, Set,
};

use super::sessions::hash_token;
use crate::db::entities::throttle_event;

#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub max: u64,
    pub window: Duration,
}

pub const LOGIN_PER_ACCOUNT: Limit = Limit {
    max: 5,
    window: Duration::minutes(15),
};
pub const LOGIN_PER_ADDRESS: Limit = Limit {
    max: 30,
    window: Duration::minutes(15),
};
pub const REGISTER_PER_ADDRESS: Limit = Limit {
    max: 10,
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

/// Supports, follows and reports from visitors without an account: each may send a mail.
pub const PROPOSAL_MAILS_PER_ADDRESS: Limit = Limit {
    max: 30,
    window: Duration::hours(1),
};

/// Buckets hold hashes, so the table stores no addresses in clear.
pub fn bucket(kind: &str, key: &str) -> String {
    format!("{kind}:{}", &hash_token(&key.to_lowercase())[..32])
}

/// `Some(minutes)` to wait when the limit is reached, `None` when another attempt is fine.
pub async fn retry_after(
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
