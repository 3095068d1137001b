//! Submitted forms by their key, so that a form sent twice is handled once (see
//! `web::submission`).
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, Set,
};

use crate::db::entities::form_submission;

pub enum Claim {
    /// This request handles the form.
    Mine,
    /// The first submission led here.
    Done(String),
    /// The first submission is still being handled.
    Busy,
}

pub async fn claim(db: &DatabaseConnection, key_hash: &str) -> Result<Claim, DbErr> {
    let inserted = form_submission::ActiveModel {
        key_hash: Set(key_hash.to_owned()),
        location: Set(None),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await;
    if inserted.is_ok() {
        return Ok(Claim::Mine);
    }
    match form_submission::Entity::find_by_id(key_hash)
        .one(db)
        .await?
    {
        Some(row) => Ok(row.location.map_or(Claim::Busy, Claim::Done)),
        // Released by a first attempt that was refused in the meantime: try again.
        None => Ok(Claim::Busy),
    }
}

/// The first submission led to `location`: a repeat goes there too.
pub async fn keep_location(
    db: &DatabaseConnection,
    key_hash: &str,
    location: String,
) -> Result<(), DbErr> {
    form_submission::Entity::update_many()
        .col_expr(
            form_submission::Column::Location,
            sea_orm::sea_query::Expr::value(location),
        )
        .filter(form_submission::Column::KeyHash.eq(key_hash))
        .exec(db)
        .await
        .map(drop)
}

/// The submission was refused: the corrected form may be sent with the same key.
pub async fn release(db: &DatabaseConnection, key_hash: &str) -> Result<(), DbErr> {
    form_submission::Entity::delete_by_id(key_hash)
        .exec(db)
        .await
        .map(drop)
}

/// Keys are only needed while someone might send the same form again.
pub async fn delete_older_than(
    db: &DatabaseConnection,
    age: chrono::Duration,
) -> Result<u64, DbErr> {
    Ok(form_submission::Entity::delete_many()
        .filter(form_submission::Column::CreatedAt.lt(Utc::now() - age))
        .exec(db)
        .await?
        .rows_affected)
}
