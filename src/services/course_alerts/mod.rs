//! Course alerts: "tell me when there is a course for me". A person (online, at a kiosk, or through
//! staff on the phone) leaves an e-mail address for a catalogue filter; after confirming it by the
//! mailed link they get at most one mail a week listing the matching dates published since the last
//! mail (or since confirming), and nothing when nothing is new. Every alert mail has its own
//! unsubscribe link and a one-click `List-Unsubscribe` header. Only hashes of mailed secrets are
//! stored.
//!
//! Signing up, confirming and unsubscribing in `subscription`, a signed-in person's alerts in
//! `account`, the filter in words and as links in `describe`, the weekly job in `sending` and the
//! mail it sends in `alert_mail`.
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, Set,
};
use serde::Serialize;

use super::{
    reference::District,
    sessions::{hash_token, random_token},
};
use crate::{
    db::entities::{course_alert, course_alert_date, course_alert_token, district},
    domain::{Language, course_alert::AlertChannel},
    mail::compose::Composer,
};

mod account;
mod alert_mail;
mod describe;
mod sending;
mod subscription;

pub use account::{delete_of_account, move_to_address};
pub use describe::{catalogue_href, describe, feed_href, filter_query};
pub use sending::{CHECK_EVERY, COMMIT_LAG, MAIL_EVERY};

const CONFIRM: &str = "confirm";
const UNSUBSCRIBE: &str = "unsubscribe";

#[derive(Debug, thiserror::Error)]
pub enum AlertError {
    #[error("not found")]
    NotFound,
    /// The confirmation link is older than `CONFIRM_DAYS`.
    #[error("confirmation link expired")]
    Expired,
    #[error(transparent)]
    Db(#[from] DbErr),
    #[error("mail: {0:#}")]
    Mail(#[from] anyhow::Error),
}

/// What signing up did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subscribed {
    /// A confirmation link went out; nothing is sent before it is used.
    ConfirmationSent,
    /// Active at once (a signed-in person's own, confirmed address).
    Active,
}

/// Who sets the alert up.
#[derive(Debug, Clone, Copy)]
pub struct Subscriber {
    pub language: Language,
    pub user_id: Option<i32>,
    pub channel: AlertChannel,
    /// The address is known to be the person's (their account's confirmed address).
    pub address_confirmed: bool,
}

/// An alert as the account page lists it.
#[derive(Debug, Serialize)]
pub struct AlertSummary {
    pub id: i64,
    pub description: Vec<String>,
    pub section: &'static str,
    pub confirmed: bool,
    pub created_at: DateTime<Utc>,
    pub last_sent_at: Option<DateTime<Utc>>,
    /// The catalogue with this filter.
    pub catalogue_href: String,
    /// The calendar feed with this filter.
    pub feed_href: String,
}

#[derive(Clone)]
pub struct AlertDesk {
    pub db: DatabaseConnection,
    pub composer: Composer,
}

async fn districts(db: &impl ConnectionTrait) -> Result<Vec<District>, DbErr> {
    district::Entity::find()
        .into_model::<District>()
        .all(db)
        .await
}

async fn add_token(
    db: &impl ConnectionTrait,
    alert_id: i64,
    purpose: &str,
    now: DateTime<Utc>,
) -> Result<String, DbErr> {
    let token = random_token();
    course_alert_token::ActiveModel {
        token_hash: Set(hash_token(&token)),
        alert_id: Set(alert_id),
        purpose: Set(purpose.to_owned()),
        created_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(token)
}

/// Marks dates as told about (or as already there when the alert was confirmed).
async fn remember(
    db: &impl ConnectionTrait,
    alert_id: i64,
    date_ids: &[i32],
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    for chunk in date_ids.chunks(200) {
        course_alert_date::Entity::insert_many(chunk.iter().map(|id| {
            course_alert_date::ActiveModel {
                alert_id: Set(alert_id),
                date_id: Set(*id),
                created_at: Set(now),
            }
        }))
        .exec_without_returning(db)
        .await?;
    }
    Ok(())
}

impl AlertDesk {
    fn base(&self) -> &str {
        self.composer.base_url.trim_end_matches('/')
    }
}

/// Deletes an alert with its links and remembered dates; false when it was already gone.
async fn delete_alert(db: &DatabaseConnection, id: i64) -> Result<bool, DbErr> {
    let txn = crate::db::begin_write(db).await?;
    course_alert_token::Entity::delete_many()
        .filter(course_alert_token::Column::AlertId.eq(id))
        .exec(&txn)
        .await?;
    course_alert_date::Entity::delete_many()
        .filter(course_alert_date::Column::AlertId.eq(id))
        .exec(&txn)
        .await?;
    let deleted = course_alert::Entity::delete_by_id(id)
        .exec(&txn)
        .await?
        .rows_affected;
    txn.commit().await?;
    Ok(deleted == 1)
}
