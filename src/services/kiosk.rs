//! Kiosk terminals in Probierläden: registration by admins with a one-time pairing code, pairing a
//! browser (it then holds a long-lived terminal secret), revoking, the one-time booking receipt, and
//! anonymous usage counts per terminal and day. Codes and secrets are stored as hashes only.
use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rand::Rng;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    ExprTrait, QueryFilter, QueryOrder, Set,
    sea_query::{Expr, OnConflict},
};
use serde::Serialize;

use super::{
    audit,
    sessions::{hash_token, random_token},
};
use crate::{
    db::entities::{booking, kiosk_terminal, kiosk_usage, organisation, venue},
    domain::booking::BookingStatus,
    sealing::Sealer,
};

/// Letters and digits that cannot be mistaken for each other (no 0/O, 1/I/L, 2/Z, 5/S, 8/B).
pub const PAIRING_ALPHABET: &[u8] = b"ACDEFGHJKMNPQRTUVWXY34679";
pub const PAIRING_CODE_LEN: usize = 8;
pub const PAIRING_VALID: Duration = Duration::minutes(30);
pub const NAME_MAX: usize = 80;

/// What a kiosk counts, anonymously.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    View,
    Booking,
    Feedback,
    Proposal,
}

impl Action {
    pub const ALL: [Action; 4] = [Self::View, Self::Booking, Self::Feedback, Self::Proposal];
    pub fn key(self) -> &'static str {
        match self {
            Self::View => "view",
            Self::Booking => "booking",
            Self::Feedback => "feedback",
            Self::Proposal => "proposal",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KioskError {
    /// A problem with a form field, as a message id.
    #[error("{field}: {message}")]
    Field {
        field: &'static str,
        message: &'static str,
    },
    #[error("no such terminal")]
    NotFound,
    #[error("database: {0}")]
    Db(#[from] DbErr),
}

fn field(field: &'static str, message: &'static str) -> KioskError {
    KioskError::Field { field, message }
}

pub fn new_pairing_code() -> String {
    let mut rng = rand::rng();
    (0..PAIRING_CODE_LEN)
        .map(|_| char::from(PAIRING_ALPHABET[rng.random_range(0..PAIRING_ALPHABET.len())]))
        .collect()
}

/// People type codes with spaces, dashes or in lower case; only the letters count.
pub fn normalise_code(raw: &str) -> String {
    raw.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_uppercase)
        .collect()
}

pub struct Registered {
    pub terminal_id: i32,
    pub code: String,
    pub expires_at: DateTime<Utc>,
}

/// Registers a terminal at a venue and returns its pairing code (shown once).
pub async fn register(
    db: &DatabaseConnection,
    name: &str,
    venue_slug: &str,
    actor: Option<i32>,
    now: DateTime<Utc>,
) -> Result<Registered, KioskError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(field("name", "error-terminal-name-missing"));
    }
    if name.chars().count() > NAME_MAX {
        return Err(field("name", "error-terminal-name-too-long"));
    }
    let venue_slug = venue_slug.trim();
    if venue_slug.is_empty() {
        return Err(field("venue", "error-terminal-venue-missing"));
    }
    // Holds the write lock from the start (SQLite), so the read-then-write cannot fail half-way.
    let txn = crate::db::begin_write(db).await?;
    let venue = venue::Entity::find()
        .filter(venue::Column::Slug.eq(venue_slug))
        .one(&txn)
        .await?
        .ok_or_else(|| field("venue", "error-terminal-venue-unknown"))?;
    let code = new_pairing_code();
    let expires_at = now + PAIRING_VALID;
    let saved = kiosk_terminal::ActiveModel {
        name: Set(name.to_owned()),
        venue_id: Set(venue.id),
        pairing_code_hash: Set(hash_token(&code)),
        pairing_expires_at: Set(expires_at),
        paired_at: Set(None),
        secret_hash: Set(None),
        revoked_at: Set(None),
        receipt_booking_id: Set(None),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        actor,
        "kiosk.terminal-registered",
        &format!("terminal:{}", saved.id),
        &format!("{name} @ {}", venue.slug),
    )
    .await?;
    txn.commit().await?;
    Ok(Registered {
        terminal_id: saved.id,
        code,
        expires_at,
    })
}

pub async fn revoke(
    db: &DatabaseConnection,
    terminal_id: i32,
    actor: Option<i32>,
    now: DateTime<Utc>,
) -> Result<(), KioskError> {
    // Holds the write lock from the start (SQLite), so the read-then-write cannot fail half-way.
    let txn = crate::db::begin_write(db).await?;
    let found = kiosk_terminal::Entity::find_by_id(terminal_id)
        .one(&txn)
        .await?
        .ok_or(KioskError::NotFound)?;
    // Conditional, so that of two revocations at once (PostgreSQL) only one is recorded.
    let revoked = found.revoked_at.is_none()
        && kiosk_terminal::Entity::update_many()
            .col_expr(kiosk_terminal::Column::RevokedAt, Expr::value(now))
            .col_expr(
                kiosk_terminal::Column::ReceiptBookingId,
                Expr::value(Option::<i64>::None),
            )
            .filter(kiosk_terminal::Column::Id.eq(terminal_id))
            .filter(kiosk_terminal::Column::RevokedAt.is_null())
            .exec(&txn)
            .await?
            .rows_affected
            == 1;
    if revoked {
        audit::record(
            &txn,
            actor,
            "kiosk.terminal-revoked",
            &format!("terminal:{terminal_id}"),
            &found.name,
        )
        .await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Pairs the browser that typed `code`: returns the terminal and the secret for its cookie.
/// Wrong, used and expired codes and revoked terminals each get their own message.
pub async fn pair(
    db: &DatabaseConnection,
    code: &str,
    now: DateTime<Utc>,
) -> Result<(kiosk_terminal::Model, String), KioskError> {
    let code = normalise_code(code);
    if code.is_empty() {
        return Err(field("code", "error-pairing-code-missing"));
    }
    let found = kiosk_terminal::Entity::find()
        .filter(kiosk_terminal::Column::PairingCodeHash.eq(hash_token(&code)))
        .one(db)
        .await?
        .ok_or_else(|| field("code", "error-pairing-code-wrong"))?;
    if found.revoked_at.is_some() {
        return Err(field("code", "error-pairing-revoked"));
    }
    if found.paired_at.is_some() {
        return Err(field("code", "error-pairing-code-used"));
    }
    if found.pairing_expires_at <= now {
        return Err(field("code", "error-pairing-code-expired"));
    }
    let secret = random_token();
    // Two browsers typing the same code at once: only one of them pairs.
    let claimed = kiosk_terminal::Entity::update_many()
        .col_expr(
            kiosk_terminal::Column::SecretHash,
            Expr::value(hash_token(&secret)),
        )
        .col_expr(kiosk_terminal::Column::PairedAt, Expr::value(now))
        .filter(kiosk_terminal::Column::Id.eq(found.id))
        .filter(kiosk_terminal::Column::PairedAt.is_null())
        .filter(kiosk_terminal::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    if claimed.rows_affected != 1 {
        return Err(field("code", "error-pairing-code-used"));
    }
    Ok((found, secret))
}

/// The terminal holding `secret`, revoked or not (the caller tells the two apart).
async fn by_secret(
    db: &impl ConnectionTrait,
    secret: &str,
) -> Result<Option<kiosk_terminal::Model>, DbErr> {
    if secret.is_empty() {
        return Ok(None);
    }
    kiosk_terminal::Entity::find()
        .filter(kiosk_terminal::Column::SecretHash.eq(hash_token(secret)))
        .one(db)
        .await
}

fn berlin_day(now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&chrono_tz::Europe::Berlin).date_naive()
}

/// Adds one to today's count of `action`: one statement, safe under concurrency on both databases.
pub async fn count(
    db: &impl ConnectionTrait,
    terminal_id: i32,
    action: Action,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    kiosk_usage::Entity::insert(kiosk_usage::ActiveModel {
        terminal_id: Set(terminal_id),
        day: Set(berlin_day(now)),
        action: Set(action.key().to_owned()),
        count: Set(1),
    })
    .on_conflict(
        OnConflict::columns([
            kiosk_usage::Column::TerminalId,
            kiosk_usage::Column::Day,
            kiosk_usage::Column::Action,
        ])
        .value(
            kiosk_usage::Column::Count,
            Expr::col((kiosk_usage::Entity, kiosk_usage::Column::Count)).add(1),
        )
        .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// [`count`] for something already stored in a transaction of its own (feedback, a proposal): the
/// count is a statistic, so a failure is logged instead of showing the person an error for what
/// was stored, which they would then send again.
pub async fn count_after_commit(
    db: &impl ConnectionTrait,
    terminal_id: i32,
    action: Action,
    now: DateTime<Utc>,
) {
    if let Err(error) = count(db, terminal_id, action, now).await {
        tracing::warn!(terminal_id, action = action.key(), %error, "kiosk usage not counted");
    }
}

/// Remembers the booking whose receipt the terminal shows next (once).
pub async fn set_receipt(
    db: &impl ConnectionTrait,
    terminal_id: i32,
    booking_id: Option<i64>,
) -> Result<(), DbErr> {
    kiosk_terminal::Entity::update_many()
        .col_expr(
            kiosk_terminal::Column::ReceiptBookingId,
            Expr::value(booking_id),
        )
        .filter(kiosk_terminal::Column::Id.eq(terminal_id))
        .exec(db)
        .await?;
    Ok(())
}

/// The booking of the pending receipt, cleared in the same step: a receipt is shown only once.
async fn take_receipt(db: &impl ConnectionTrait, terminal_id: i32) -> Result<Option<i64>, DbErr> {
    let Some(booking_id) = kiosk_terminal::Entity::find_by_id(terminal_id)
        .one(db)
        .await?
        .and_then(|t| t.receipt_booking_id)
    else {
        return Ok(None);
    };
    let taken = kiosk_terminal::Entity::update_many()
        .col_expr(
            kiosk_terminal::Column::ReceiptBookingId,
            Expr::value(Option::<i64>::None),
        )
        .filter(kiosk_terminal::Column::Id.eq(terminal_id))
        .filter(kiosk_terminal::Column::ReceiptBookingId.eq(booking_id))
        .exec(db)
        .await?;
    Ok((taken.rows_affected == 1).then_some(booking_id))
}

/// Where a terminal stands and whom people there can ask for help.
#[derive(Debug, Clone, Serialize)]
pub struct Place {
    pub venue_id: i32,
    pub venue_slug: String,
    pub venue_name: String,
    pub district_key: String,
    pub organisation_name: String,
    pub organisation_phone: String,
}

async fn place_of(
    db: &impl ConnectionTrait,
    terminal: &kiosk_terminal::Model,
) -> Result<Option<Place>, DbErr> {
    let Some(venue) = venue::Entity::find_by_id(terminal.venue_id).one(db).await? else {
        return Ok(None);
    };
    let organisation = organisation::Entity::find_by_id(venue.organisation_id)
        .one(db)
        .await?;
    Ok(Some(Place {
        venue_id: venue.id,
        venue_slug: venue.slug,
        venue_name: venue.name,
        district_key: venue.district_key,
        organisation_name: organisation
            .as_ref()
            .map(|o| o.name.clone())
            .unwrap_or_default(),
        organisation_phone: organisation.map(|o| o.phone).unwrap_or_default(),
    }))
}

/// What a browser's terminal cookie stands for.
pub enum Standing {
    Unpaired,
    Revoked,
    Paired(Box<Paired>),
}

/// A paired terminal and its place.
pub struct Paired {
    pub terminal_id: i32,
    pub terminal_name: String,
    pub place: Place,
}

/// The terminal holding `secret`; a terminal whose venue is gone counts as unpaired.
pub async fn standing(db: &impl ConnectionTrait, secret: &str) -> Result<Standing, DbErr> {
    Ok(match by_secret(db, secret).await? {
        None => Standing::Unpaired,
        Some(t) if t.revoked_at.is_some() => Standing::Revoked,
        Some(terminal) => match place_of(db, &terminal).await? {
            Some(place) => Standing::Paired(Box::new(Paired {
                terminal_id: terminal.id,
                terminal_name: terminal.name,
                place,
            })),
            None => Standing::Unpaired,
        },
    })
}

/// The booking a receipt shows.
pub struct Receipt {
    pub booking_id: i64,
    pub date_id: i32,
    pub name: String,
    pub places: i32,
    pub status: BookingStatus,
    /// The secret of the booking's own page; `None` once anonymised.
    pub link_secret: Option<String>,
}

/// The terminal's pending receipt, taken: a second look finds none.
pub async fn take_pending_receipt(
    db: &impl ConnectionTrait,
    sealer: &Sealer,
    terminal_id: i32,
) -> Result<Option<Receipt>, DbErr> {
    let Some(id) = take_receipt(db, terminal_id).await? else {
        return Ok(None);
    };
    Ok(booking::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(|b| Receipt {
            link_secret: b.link_secret(sealer),
            booking_id: b.id,
            date_id: b.date_id,
            name: b.name,
            places: b.places,
            status: b.status,
        }))
}

#[derive(Debug, Serialize)]
pub struct TerminalRow {
    pub id: i32,
    pub name: String,
    pub venue_name: String,
    pub paired: bool,
    pub revoked: bool,
    pub created_at: DateTime<Utc>,
    /// Counts per action key, today and in total.
    pub today: HashMap<&'static str, i64>,
    pub total: HashMap<&'static str, i64>,
}

/// Every terminal with its usage counts, newest first.
pub async fn list(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<Vec<TerminalRow>, DbErr> {
    let terminals = kiosk_terminal::Entity::find()
        .order_by_desc(kiosk_terminal::Column::Id)
        .all(db)
        .await?;
    let venues: HashMap<i32, String> = venue::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|v| (v.id, v.name))
        .collect();
    let usage = kiosk_usage::Entity::find().all(db).await?;
    let today = berlin_day(now);
    Ok(terminals
        .into_iter()
        .map(|t| {
            let mut row = TerminalRow {
                id: t.id,
                venue_name: venues.get(&t.venue_id).cloned().unwrap_or_default(),
                name: t.name,
                paired: t.paired_at.is_some(),
                revoked: t.revoked_at.is_some(),
                created_at: t.created_at,
                today: HashMap::new(),
                total: HashMap::new(),
            };
            for action in Action::ALL {
                let rows = usage
                    .iter()
                    .filter(|u| u.terminal_id == t.id && u.action == action.key());
                row.total
                    .insert(action.key(), rows.clone().map(|u| i64::from(u.count)).sum());
                row.today.insert(
                    action.key(),
                    rows.filter(|u| u.day == today)
                        .map(|u| i64::from(u.count))
                        .sum(),
                );
            }
            row
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairing_codes_use_the_unambiguous_alphabet() {
        for _ in 0..100 {
            let code = new_pairing_code();
            assert_eq!(code.len(), PAIRING_CODE_LEN);
            assert!(
                code.bytes().all(|b| PAIRING_ALPHABET.contains(&b)),
                "{code}"
            );
        }
    }

    #[test]
    fn codes_are_read_without_spaces_dashes_or_case() {
        assert_eq!(normalise_code(" abcd-ef 12 "), "ABCDEF12");
    }
}
