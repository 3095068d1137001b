//! Server-side sessions: shared by every app instance through the database and revocable.
use chrono::{DateTime, Utc};
use rand::RngCore;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set,
    sea_query::Expr,
};
use sha2::{Digest, Sha256};

use crate::db::entities::session;

/// Random 256-bit value, hex encoded: cookie values, CSRF tokens and mailed links.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub struct Timeouts {
    pub idle: chrono::Duration,
    pub absolute: chrono::Duration,
}

/// Creates a session and returns the cookie value (only its hash is stored).
pub async fn create(
    db: &impl ConnectionTrait,
    user_id: Option<i32>,
    csrf_token: Option<String>,
    timeouts: &Timeouts,
) -> Result<(String, session::Model), DbErr> {
    let token = random_token();
    let now = Utc::now();
    let model = session::ActiveModel {
        id: Set(hash_token(&token)),
        user_id: Set(user_id),
        csrf_token: Set(csrf_token.unwrap_or_else(random_token)),
        created_at: Set(now),
        last_seen_at: Set(now),
        expires_at: Set(now + timeouts.absolute),
    }
    .insert(db)
    .await?;
    Ok((token, model))
}

/// The live session for a cookie value; expired ones (idle or absolute) are removed.
pub async fn load(
    db: &impl ConnectionTrait,
    cookie_value: &str,
    timeouts: &Timeouts,
    now: DateTime<Utc>,
) -> Result<Option<session::Model>, DbErr> {
    let Some(found) = session::Entity::find_by_id(hash_token(cookie_value))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    // The two writes below are housekeeping: when they fail (a busy file, a lock held elsewhere),
    // the session read is still what it is, and the request goes on; the next one writes again.
    if found.expires_at <= now || found.last_seen_at + timeouts.idle <= now {
        if let Err(error) = session::Entity::delete_by_id(found.id).exec(db).await {
            tracing::warn!(%error, "an ended session could not be removed; housekeeping will");
        }
        return Ok(None);
    }
    // Writing on every request would make each page view a write; a minute's precision is enough.
    if now - found.last_seen_at > chrono::Duration::minutes(1)
        && let Err(error) = session::Entity::update_many()
            .col_expr(session::Column::LastSeenAt, Expr::value(now))
            .filter(session::Column::Id.eq(&found.id))
            .exec(db)
            .await
    {
        tracing::warn!(%error, "a session's last use could not be recorded");
    }
    Ok(Some(found))
}

pub async fn delete(db: &impl ConnectionTrait, session_id: &str) -> Result<(), DbErr> {
    session::Entity::delete_by_id(session_id.to_owned())
        .exec(db)
        .await?;
    Ok(())
}

/// Signs a person out everywhere (after a password reset or account deletion).
pub async fn delete_all_for_user(db: &impl ConnectionTrait, user_id: i32) -> Result<u64, DbErr> {
    Ok(session::Entity::delete_many()
        .filter(session::Column::UserId.eq(user_id))
        .exec(db)
        .await?
        .rows_affected)
}

pub async fn delete_expired(
    db: &impl ConnectionTrait,
    idle: chrono::Duration,
) -> Result<u64, DbErr> {
    let now = Utc::now();
    Ok(session::Entity::delete_many()
        .filter(
            sea_orm::Condition::any()
                .add(session::Column::ExpiresAt.lte(now))
                .add(session::Column::LastSeenAt.lte(now - idle)),
        )
        .exec(db)
        .await?
        .rows_affected)
}
