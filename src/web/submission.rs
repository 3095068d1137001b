//! Forms that create something (a booking, a proposal) are handled once per form: each rendered
//! form carries a fresh key (`einreichung`), and a second submission of the same form, at the same
//! moment or later, leads to where the first one did instead of creating a second record.
use std::future::Future;

use actix_web::{HttpResponse, http::header};
use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};

use super::{errors::WebError, handlers::see_other, page::Page};
use crate::{db::entities::form_submission, services::sessions::hash_token};

/// The hidden field's name.
pub const FIELD: &str = "einreichung";
/// How long a second submission waits for the first one to finish.
const WAIT: std::time::Duration = std::time::Duration::from_secs(10);
const POLL: std::time::Duration = std::time::Duration::from_millis(100);

/// A new key for a form being rendered.
pub fn new_key() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

enum Claim {
    /// This request handles the form.
    Mine(String),
    /// The first submission led here.
    Done(String),
    /// The first submission is still being handled.
    Busy,
}

async fn claim(db: &DatabaseConnection, key_hash: &str) -> Result<Claim, WebError> {
    let inserted = form_submission::ActiveModel {
        key_hash: Set(key_hash.to_owned()),
        location: Set(None),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await;
    if inserted.is_ok() {
        return Ok(Claim::Mine(key_hash.to_owned()));
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

/// Runs `handle` once per form key: a repeated submission gets the first one's redirect. A refused
/// submission (anything but a redirect) releases the key, so the corrected form can be sent.
/// Without a well-formed key (the API, an old page) the form is handled as it comes.
pub async fn once<F, Fut>(page: &Page, key: &str, handle: F) -> Result<HttpResponse, WebError>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<HttpResponse, WebError>>,
{
    let key = key.trim();
    if key.len() != 32 || !key.bytes().all(|b| b.is_ascii_hexdigit()) {
        return handle().await;
    }
    let db = &page.state().db;
    // Bound to the session, so a key seen by someone else leads nowhere.
    let key_hash = hash_token(&format!("{}:{key}", page.session().csrf_token()));
    let deadline = tokio::time::Instant::now() + WAIT;
    let mine = loop {
        match claim(db, &key_hash).await? {
            Claim::Mine(hash) => break hash,
            Claim::Done(location) => return Ok(see_other(location)),
            Claim::Busy if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(POLL).await;
            }
            Claim::Busy => {
                return Err(WebError::Database(sea_orm::DbErr::Custom(
                    "the same form is still being handled".into(),
                )));
            }
        }
    };
    let outcome = handle().await;
    let location = match &outcome {
        Ok(response) if response.status().is_redirection() => response
            .headers()
            .get(header::LOCATION)
            .and_then(|l| l.to_str().ok())
            .map(str::to_owned),
        _ => None,
    };
    let kept = match location {
        Some(location) => form_submission::Entity::update_many()
            .col_expr(
                form_submission::Column::Location,
                sea_orm::sea_query::Expr::value(location),
            )
            .filter(form_submission::Column::KeyHash.eq(mine.as_str()))
            .exec(db)
            .await
            .map(drop),
        None => form_submission::Entity::delete_by_id(mine.as_str())
            .exec(db)
            .await
            .map(drop),
    };
    if let Err(e) = kept {
        tracing::warn!(error = %e, "the result of a form could not be kept for a repeat");
    }
    outcome
}

/// Keys are only needed while someone might send the same form again.
pub async fn delete_older_than(
    db: &DatabaseConnection,
    age: chrono::Duration,
) -> Result<u64, sea_orm::DbErr> {
    Ok(form_submission::Entity::delete_many()
        .filter(form_submission::Column::CreatedAt.lt(Utc::now() - age))
        .exec(db)
        .await?
        .rows_affected)
}
