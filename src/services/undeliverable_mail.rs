//! Mail that servers refused for good (the outbox's dead letters, and mail refused as often but still
//! tried because the server may refuse every mail), or that has still not gone out a day after it
//! was queued (the server answers "try later" again and again): which bookings it concerns;
//! correcting a booking's address, which sends that booking's undelivered messages again to the new
//! one; and sending refused mail again to the same address.
use std::collections::HashSet;

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, sea_query::Expr,
};
use serde::Serialize;

use super::{
    audit,
    offer_admin::{self, OfferAdminError},
};
use crate::{
    db::entities::{booking, outbox},
    domain::Email,
    mail,
    sealing::Sealer,
};

/// How long a mail may keep failing for the time being before staff see it: the sender tries again
/// for up to 30 days, but a confirmation that has not arrived after a day needs a phone call.
pub const STILL_FAILING_AFTER: chrono::Duration = chrono::Duration::hours(24);

/// Mail refused for good: given up, or refused as often as that but still tried because the server
/// has taken no mail queued after it (it may refuse every mail; see `mail::Sender`); and mail not
/// delivered `STILL_FAILING_AFTER` after it was queued although the sender tried.
fn undelivered(now: DateTime<Utc>) -> Condition {
    Condition::any()
        .add(outbox::Column::FailedAt.is_not_null())
        .add(
            Condition::all()
                .add(outbox::Column::SentAt.is_null())
                .add(outbox::Column::Attempts.gte(mail::PERMANENT_REFUSALS))
                .add(outbox::Column::LastError.starts_with(mail::REFUSED)),
        )
        .add(
            Condition::all()
                .add(outbox::Column::SentAt.is_null())
                .add(outbox::Column::LastError.is_not_null())
                .add(outbox::Column::CreatedAt.lt(now - STILL_FAILING_AFTER)),
        )
}

/// Which of these addresses have mail that could not be delivered.
pub async fn undeliverable_among(
    db: &impl ConnectionTrait,
    addresses: Vec<String>,
) -> Result<HashSet<String>, DbErr> {
    if addresses.is_empty() {
        return Ok(HashSet::new());
    }
    Ok(outbox::Entity::find()
        .select_only()
        .column(outbox::Column::Recipient)
        .filter(undelivered(Utc::now()))
        .filter(outbox::Column::Recipient.is_in(addresses))
        .distinct()
        .into_tuple::<String>()
        .all(db)
        .await?
        .into_iter()
        .collect())
}

/// One undeliverable message as the admins' list shows it.
#[derive(Debug, Serialize)]
pub struct Undeliverable {
    pub id: i64,
    pub recipient: String,
    pub subject: String,
    pub created_at: DateTime<Utc>,
    /// When the server refused it for good; `None` while the sender still tries.
    pub failed_at: Option<DateTime<Utc>>,
    pub next_attempt_at: DateTime<Utc>,
    /// The server's reply, addresses masked when it was stored.
    pub reason: Option<String>,
    /// The booking the mail is about, or (for mail about no booking) the bookings with this
    /// address: where staff can correct it or print the confirmation.
    pub booking_ids: Vec<i64>,
}

/// Undeliverable mail, newest first (at most `limit`).
pub async fn list(db: &DatabaseConnection, limit: u64) -> Result<Vec<Undeliverable>, DbErr> {
    let rows = outbox::Entity::find()
        .filter(undelivered(Utc::now()))
        .order_by_desc(outbox::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    let addresses: Vec<String> = rows.iter().map(|r| r.recipient.clone()).collect();
    let bookings = booking::Entity::find()
        .filter(booking::Column::Email.is_in(addresses))
        .filter(booking::Column::AnonymisedAt.is_null())
        .order_by_asc(booking::Column::Id)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| Undeliverable {
            // A booking's mail leads to its booking only: correcting another booking with the same
            // address would not send it again. Mail without a booking (older mail, account links)
            // leads to the bookings with its address.
            booking_ids: bookings
                .iter()
                .filter(|b| match r.booking_id {
                    Some(id) => b.id == id,
                    None => b.email.as_deref() == Some(r.recipient.as_str()),
                })
                .map(|b| b.id)
                .collect(),
            id: r.id,
            recipient: r.recipient,
            subject: r.subject,
            created_at: r.created_at,
            failed_at: r.failed_at,
            next_attempt_at: r.next_attempt_at,
            reason: r.last_error,
        })
        .collect())
}

/// Why a booking's address was not corrected.
#[derive(Debug, thiserror::Error)]
pub enum CorrectionError {
    /// Not found, or not managed by this user.
    #[error(transparent)]
    OfferAdmin(#[from] OfferAdminError),
    /// The booking was anonymised (its date long past, or the account deleted) while the
    /// correction was on its way: no address goes back into it.
    #[error("the booking was anonymised meanwhile")]
    Anonymised,
    #[error("database: {0}")]
    Db(#[from] DbErr),
}

/// Gives the booking a corrected address and a new link (see `booking::change_address`), and sends
/// the mail the old address could not take to the new one, as one step. Returns how many messages
/// go out again.
pub async fn correct_booking_address(
    db: &DatabaseConnection,
    sealer: &Sealer,
    scope: &Option<Vec<i32>>,
    actor: i32,
    booking_id: i64,
    address: &Email,
) -> Result<u64, CorrectionError> {
    let found = offer_admin::booking_in_scope(db, scope, booking_id).await?;
    // Anonymised since the form was opened: said plainly, as when it happens during this request.
    if found.anonymised_at.is_some() {
        return Err(CorrectionError::Anonymised);
    }
    let txn = crate::db::begin_write(db).await?;
    // Read again under the row's lock: another correction may have changed address and link since.
    let Some(found) = booking::Entity::find_by_id(booking_id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .filter(|b| b.anonymised_at.is_none())
    else {
        txn.rollback().await?;
        return Err(CorrectionError::Anonymised);
    };
    if found.email.as_deref() == Some(address.as_str()) {
        txn.rollback().await?;
        return Ok(0);
    }
    // The old address may be a stranger's that took the mail with the booking's link: the booking
    // gets a new link. Only while not anonymised: an anonymisation that committed after the look
    // above (or that holds the row now, whose commit this waits for) has the last word.
    if !super::booking::change_address(&txn, sealer, &found, address.as_str()).await? {
        txn.rollback().await?;
        return Err(CorrectionError::Anonymised);
    }
    // Only this booking's mail: others refused at the same address (another booking with the
    // same mistyped or placeholder address, an account's links) are other people's.
    let resent = mail::requeued(outbox::Entity::update_many())
        .col_expr(outbox::Column::Recipient, Expr::value(address.to_string()))
        .filter(undelivered(Utc::now()))
        .filter(outbox::Column::BookingId.eq(booking_id))
        .exec(&txn)
        .await?
        .rows_affected;
    audit::record(
        &txn,
        Some(actor),
        "booking.address_corrected",
        &format!("booking:{booking_id}"),
        &format!("{resent} undeliverable messages sent again"),
    )
    .await?;
    txn.commit().await?;
    Ok(resent)
}

/// How far back "send all again" reaches: older mail (a confirmation for a date long past, an
/// expired link) would confuse more than help; one message can still be sent again on its own.
pub const SEND_ALL_WITHIN: chrono::Duration = chrono::Duration::days(7);

/// Which refused mail to send again.
#[derive(Debug, Clone, Copy)]
pub enum SendAgain {
    One(i64),
    /// Every message given up within [`SEND_ALL_WITHIN`].
    All,
}

fn given_up(which: SendAgain, now: DateTime<Utc>) -> Condition {
    let given_up = Condition::all()
        .add(outbox::Column::FailedAt.is_not_null())
        .add(outbox::Column::SentAt.is_null());
    match which {
        SendAgain::One(id) => given_up.add(outbox::Column::Id.eq(id)),
        SendAgain::All => given_up.add(outbox::Column::FailedAt.gte(now - SEND_ALL_WITHIN)),
    }
}

/// How many messages "send all again" would send.
pub async fn count_to_send_again(db: &DatabaseConnection) -> Result<u64, DbErr> {
    outbox::Entity::find()
        .filter(given_up(SendAgain::All, Utc::now()))
        .count(db)
        .await
}

/// Sends mail the server refused for good again, to the same address, as one step with its audit
/// entry (naming the messages): after the recipient's mailbox was mended (full, switched off), or
/// after what made the server refuse was mended. Only mail given up: mail still being tried may be
/// on its way right now. Returns how many messages go out again.
pub async fn send_again(
    db: &DatabaseConnection,
    actor: i32,
    which: SendAgain,
) -> Result<u64, DbErr> {
    let now = Utc::now();
    let txn = crate::db::begin_write(db).await?;
    let ids: Vec<i64> = outbox::Entity::find()
        .select_only()
        .column(outbox::Column::Id)
        .filter(given_up(which, now))
        .order_by_asc(outbox::Column::Id)
        .lock_exclusive()
        .into_tuple()
        .all(&txn)
        .await?;
    if ids.is_empty() {
        txn.rollback().await?;
        return Ok(0);
    }
    mail::requeued(outbox::Entity::update_many())
        .filter(outbox::Column::Id.is_in(ids.clone()))
        .exec(&txn)
        .await?;
    let named: Vec<String> = ids.iter().map(|id| format!("mail:{id}")).collect();
    audit::record(
        &txn,
        Some(actor),
        "mail.sent_again",
        &named[0],
        &format!(
            "{} refused messages sent again: {}",
            ids.len(),
            named.join(", ")
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(ids.len() as u64)
}
