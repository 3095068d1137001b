//! Bearer tokens for machine access (the TMDI export). The token is shown once; only its SHA-256 is
//! stored, so a copy of the database does not give access.
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set,
    sea_query::Expr,
};

use super::{
    audit,
    sessions::{hash_token, random_token},
};
use crate::{
    db::entities::{api_token, user, user_role},
    domain::{Email, Role},
};

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("--email: no user with the address {0}; create one with `teilhabe user add`")]
    UnknownUser(Email),
    #[error(
        "--email: {0} does not hold the admin role; grant it with `teilhabe user add --role admin`"
    )]
    NotAdmin(Email),
    #[error("--name: give the token a name of 1 to 100 characters, e.g. \"TMDI Export\"")]
    InvalidName,
    #[error("--id: no token with the id {0}")]
    UnknownToken(i32),
    #[error("--id: token {0} was already revoked")]
    AlreadyRevoked(i32),
    #[error("database: {0}")]
    Db(#[from] DbErr),
}

pub struct NewToken {
    pub id: i32,
    /// The secret: printed once, never stored.
    pub token: String,
}

pub async fn is_admin(db: &impl ConnectionTrait, user_id: i32) -> Result<bool, DbErr> {
    Ok(user_role::Entity::find()
        .filter(user_role::Column::UserId.eq(user_id))
        .filter(user_role::Column::Role.eq(Role::Admin.as_str()))
        .one(db)
        .await?
        .is_some())
}

pub async fn create(
    db: &impl ConnectionTrait,
    email: &Email,
    name: &str,
) -> Result<NewToken, TokenError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(TokenError::InvalidName);
    }
    let owner = user::Entity::find()
        .filter(user::Column::Email.eq(email.as_str()))
        .one(db)
        .await?
        .ok_or_else(|| TokenError::UnknownUser(email.clone()))?;
    if !is_admin(db, owner.id).await? {
        return Err(TokenError::NotAdmin(email.clone()));
    }
    let token = random_token();
    let model = api_token::ActiveModel {
        user_id: Set(owner.id),
        name: Set(name.to_owned()),
        token_hash: Set(hash_token(&token)),
        created_at: Set(Utc::now()),
        last_used_at: Set(None),
        revoked_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    audit::record(
        db,
        None,
        "api_token.created",
        &format!("api_token:{}", model.id),
        &format!("user {} ({name})", owner.id),
    )
    .await?;
    Ok(NewToken {
        id: model.id,
        token,
    })
}

pub async fn revoke(db: &impl ConnectionTrait, id: i32) -> Result<(), TokenError> {
    let found = api_token::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(TokenError::UnknownToken(id))?;
    if found.revoked_at.is_some() {
        return Err(TokenError::AlreadyRevoked(id));
    }
    let mut active: api_token::ActiveModel = found.into();
    active.revoked_at = Set(Some(Utc::now()));
    active.update(db).await?;
    audit::record(
        db,
        None,
        "api_token.revoked",
        &format!("api_token:{id}"),
        "",
    )
    .await?;
    Ok(())
}

/// Revokes every live token of a user who is no longer an admin: a token must not come back to
/// life when the role is granted again later (it may have been handed on or leaked meanwhile).
pub async fn revoke_when_no_longer_admin(
    db: &impl ConnectionTrait,
    user_id: i32,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    if is_admin(db, user_id).await? {
        return Ok(0);
    }
    let revoked = api_token::Entity::update_many()
        .col_expr(api_token::Column::RevokedAt, Expr::value(Some(now)))
        .filter(api_token::Column::UserId.eq(user_id))
        .filter(api_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?
        .rows_affected;
    if revoked > 0 {
        audit::record(
            db,
            None,
            "api_token.revoked",
            &format!("user:{user_id}"),
            &format!("{revoked} with the admin role"),
        )
        .await?;
    }
    Ok(revoked)
}

/// Who a bearer token speaks for.
#[derive(Debug, PartialEq, Eq)]
pub enum Bearer {
    /// No such token, or it was revoked.
    Unknown,
    /// A live token whose user is no (longer an) admin.
    NotAdmin {
        user_id: i32,
    },
    Admin {
        user_id: i32,
        token_id: i32,
    },
}

/// Looks the token up by its hash and notes its use.
pub async fn authenticate(
    db: &impl ConnectionTrait,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Bearer, DbErr> {
    let Some(found) = api_token::Entity::find()
        .filter(api_token::Column::TokenHash.eq(hash_token(token)))
        .filter(api_token::Column::RevokedAt.is_null())
        .one(db)
        .await?
    else {
        return Ok(Bearer::Unknown);
    };
    if !is_admin(db, found.user_id).await? {
        return Ok(Bearer::NotAdmin {
            user_id: found.user_id,
        });
    }
    let (user_id, token_id) = (found.user_id, found.id);
    let mut active: api_token::ActiveModel = found.into();
    active.last_used_at = Set(Some(now));
    active.update(db).await?;
    Ok(Bearer::Admin { user_id, token_id })
}
