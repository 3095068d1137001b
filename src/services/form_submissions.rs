//! Submitted forms by their key, so that a form sent twice is handled once (see
//! `web::submission`).
use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, Set,
    sea_query::Expr,
};

use crate::db::{entities::form_submission, is_unique_violation};

/// How long a submission may stay unfinished before a repeat takes it over: its instance crashed or
/// was stopped between the claim and the result, and the form would otherwise be refused as "still
/// being handled" until housekeeping removes the key a day later. Clearly longer than a request can
/// take: each of its waits is bounded by about 10 s (a pooled connection, its turn in the SQLite
/// writers' queue, SQLite's busy timeout), a form's handler writes in one or two transactions, and a
/// stopping instance gives open requests 3 s; so a minute is already generous. As long as the mail
/// sender's claim on a message.
pub const UNFINISHED_FOR: chrono::Duration = chrono::Duration::minutes(5);

/// Which claim a request holds: its time, which a takeover replaces, so that a first request that
/// outlived [`UNFINISHED_FOR`] no longer writes its result over the one that took over.
#[derive(Clone, Copy)]
pub struct Stamp(DateTime<Utc>);

pub enum Claim {
    /// This request handles the form.
    Mine(Stamp),
    /// The first submission led here.
    Done(String),
    /// The first submission is still being handled.
    StillRunning,
}

/// Claims the submission for this request: a new one, or one left unfinished for longer than
/// [`UNFINISHED_FOR`]. The takeover is one conditional update, so of several requests (on several
/// instances) finding the same stale claim exactly one handles the form.
pub async fn claim(db: &DatabaseConnection, key_hash: &str) -> Result<Claim, DbErr> {
    // As precise as both databases store it, so that the stamp compares equal to the stored one.
    let now = Utc::now().trunc_subsecs(6);
    let inserted = form_submission::ActiveModel {
        key_hash: Set(key_hash.to_owned()),
        location: Set(None),
        created_at: Set(now),
    }
    .insert(db)
    .await;
    match inserted {
        Ok(_) => return Ok(Claim::Mine(Stamp(now))),
        // The key is taken: by a first submission, finished or not.
        Err(e) if is_unique_violation(&e) => {}
        // Not a "still being handled" (there may be no first submission at all): a busy file or a
        // lost connection is the caller's to answer, unless it saw the key taken before.
        Err(e) => return Err(e),
    }
    // From here on the key is known to be taken: a fault while looking is "still being handled",
    // never a reason to handle the form a second time.
    match taken(db, key_hash, now).await {
        Ok(claim) => Ok(claim),
        Err(error) => {
            tracing::warn!(%error, "a form's first submission could not be looked up");
            Ok(Claim::StillRunning)
        }
    }
}

/// What the first submission of a taken key says: led somewhere, still running, or left unfinished
/// long enough for this request to take it over.
async fn taken(
    db: &DatabaseConnection,
    key_hash: &str,
    now: DateTime<Utc>,
) -> Result<Claim, DbErr> {
    let stale = now - UNFINISHED_FOR;
    match form_submission::Entity::find_by_id(key_hash)
        .one(db)
        .await?
    {
        Some(form_submission::Model {
            location: Some(location),
            ..
        }) => Ok(Claim::Done(location)),
        Some(row) if row.created_at < stale => {
            let took_over = form_submission::Entity::update_many()
                .col_expr(form_submission::Column::CreatedAt, Expr::value(now))
                .filter(form_submission::Column::KeyHash.eq(key_hash))
                .filter(form_submission::Column::Location.is_null())
                .filter(form_submission::Column::CreatedAt.lt(stale))
                .exec(db)
                .await?
                .rows_affected;
            if took_over == 1 {
                tracing::warn!("a form's first submission never finished; its repeat is handled");
                Ok(Claim::Mine(Stamp(now)))
            } else {
                // Another repeat took it over (or it finished) just now.
                Ok(Claim::StillRunning)
            }
        }
        Some(_) => Ok(Claim::StillRunning),
        // Released by a first attempt that was refused in the meantime: try again.
        None => Ok(Claim::StillRunning),
    }
}

/// The first submission led to `location`: a repeat goes there too. Only while the claim is still
/// this request's.
pub async fn keep_location(
    db: &DatabaseConnection,
    key_hash: &str,
    Stamp(claimed): Stamp,
    location: String,
) -> Result<(), DbErr> {
    form_submission::Entity::update_many()
        .col_expr(
            form_submission::Column::Location,
            sea_orm::sea_query::Expr::value(location),
        )
        .filter(form_submission::Column::KeyHash.eq(key_hash))
        .filter(form_submission::Column::CreatedAt.eq(claimed))
        .exec(db)
        .await
        .map(drop)
}

/// The submission was refused: the corrected form may be sent with the same key. Only while the
/// claim is still this request's.
pub async fn release(
    db: &DatabaseConnection,
    key_hash: &str,
    Stamp(claimed): Stamp,
) -> Result<(), DbErr> {
    form_submission::Entity::delete_many()
        .filter(form_submission::Column::KeyHash.eq(key_hash))
        .filter(form_submission::Column::CreatedAt.eq(claimed))
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
