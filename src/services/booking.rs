//! The booking engine for course dates and dialogue events. Capacity is enforced inside one write
//! transaction: the date row is locked (PostgreSQL `FOR UPDATE`; SQLite takes the write lock at `BEGIN
//! IMMEDIATE`), so concurrent requests are served one after another and can never oversell. Requests that
//! do not fit join the waiting list in arrival order.
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, SqliteTransactionMode,
    TransactionOptions, TransactionTrait,
    sea_query::{Expr, ExprTrait},
};

use super::sessions;
use crate::{
    db::entities::{booking, offer, offer_date},
    domain::booking::{BookingRequest, BookingStatus},
};

#[derive(Debug, thiserror::Error)]
pub enum BookingError {
    #[error("no such date")]
    DateNotFound,
    /// The date cannot be booked now; the message id says why (past, cancelled, window closed …).
    #[error("not bookable: {0}")]
    NotBookable(&'static str),
    #[error("more places than one booking may take")]
    TooManyPlaces,
    #[error("this address has already booked this date")]
    Duplicate,
    #[error("no booking for this link")]
    BookingNotFound,
    #[error("the booking was already cancelled")]
    AlreadyCancelled,
    #[error("database: {0}")]
    Db(#[from] DbErr),
}

#[derive(Debug)]
pub struct Booked {
    pub booking_id: i64,
    pub status: BookingStatus,
    /// Secret for the cancellation link; only its hash is stored.
    pub cancel_token: String,
    /// 1-based position on the waiting list.
    pub waiting_position: Option<u64>,
}

/// A write transaction that holds the write lock from its first statement on SQLite.
pub async fn begin_write(db: &DatabaseConnection) -> Result<sea_orm::DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

fn check_bookable(
    date: &offer_date::Model,
    offer: &offer::Model,
    now: DateTime<Utc>,
) -> Result<(), BookingError> {
    if offer.status != "published" {
        return Err(BookingError::NotBookable("error-booking-not-published"));
    }
    if date.status == "cancelled" {
        return Err(BookingError::NotBookable("error-booking-cancelled"));
    }
    if date.starts_at <= now {
        return Err(BookingError::NotBookable("error-booking-past"));
    }
    if date.booking_opens_at.is_some_and(|opens| opens > now) {
        return Err(BookingError::NotBookable("error-booking-not-open"));
    }
    if date.booking_closes_at.is_some_and(|closes| closes <= now) {
        return Err(BookingError::NotBookable("error-booking-closed"));
    }
    Ok(())
}

pub async fn book(
    db: &DatabaseConnection,
    date_id: i32,
    request: BookingRequest,
    now: DateTime<Utc>,
) -> Result<Booked, BookingError> {
    let txn = begin_write(db).await?;
    let date = offer_date::Entity::find_by_id(date_id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or(BookingError::DateNotFound)?;
    let offer = offer::Entity::find_by_id(date.offer_id)
        .one(&txn)
        .await?
        .ok_or(BookingError::DateNotFound)?;
    check_bookable(&date, &offer, now)?;
    let places = request.places.get() as i32;
    if places > date.max_places_per_booking {
        return Err(BookingError::TooManyPlaces);
    }
    if let Some(email) = &request.email {
        let duplicate = booking::Entity::find()
            .filter(booking::Column::DateId.eq(date_id))
            .filter(booking::Column::Email.eq(email.as_str()))
            .filter(booking::Column::Status.ne(BookingStatus::Cancelled.as_str()))
            .count(&txn)
            .await?
            > 0;
        if duplicate {
            return Err(BookingError::Duplicate);
        }
    }

    let waiting = waiting_count(&txn, date_id).await?;
    // Nobody overtakes the waiting list: free places then belong to those already waiting.
    let confirmed = waiting == 0
        && offer_date::Entity::update_many()
            .col_expr(
                offer_date::Column::BookedPlaces,
                Expr::col(offer_date::Column::BookedPlaces).add(places),
            )
            .filter(offer_date::Column::Id.eq(date_id))
            .filter(
                Expr::col(offer_date::Column::BookedPlaces)
                    .add(places)
                    .lte(Expr::col(offer_date::Column::Capacity)),
            )
            .exec(&txn)
            .await?
            .rows_affected
            == 1;
    let status = if confirmed {
        BookingStatus::Confirmed
    } else {
        BookingStatus::Waitlisted
    };
    let cancel_token = sessions::random_token();
    let saved = booking::ActiveModel {
        date_id: Set(date_id),
        user_id: Set(None),
        name: Set(request.name.as_str().to_owned()),
        email: Set(request.email.map(|e| e.to_string())),
        phone: Set(request.phone.map(|p| p.as_str().to_owned())),
        places: Set(places),
        status: Set(status.as_str().to_owned()),
        channel: Set(request.channel.as_str().to_owned()),
        cancel_token_hash: Set(sessions::hash_token(&cancel_token)),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(Booked {
        booking_id: saved.id,
        status,
        cancel_token,
        waiting_position: (!confirmed).then_some(waiting + 1),
    })
}

async fn waiting_count(conn: &impl ConnectionTrait, date_id: i32) -> Result<u64, DbErr> {
    booking::Entity::find()
        .filter(booking::Column::DateId.eq(date_id))
        .filter(booking::Column::Status.eq(BookingStatus::Waitlisted.as_str()))
        .count(conn)
        .await
}

#[derive(Debug, PartialEq, Eq)]
pub struct Cancelled {
    pub booking_id: i64,
    /// Waiting-list entries that got the freed places, in arrival order.
    pub promoted: Vec<i64>,
}

/// Cancels by the secret from the confirmation link. Freed places go to the waiting list at once,
/// strictly in arrival order: an entry that does not fit yet keeps its turn, later ones do not overtake it.
pub async fn cancel(
    db: &DatabaseConnection,
    cancel_token: &str,
) -> Result<Cancelled, BookingError> {
    let txn = begin_write(db).await?;
    let found = booking::Entity::find()
        .filter(booking::Column::CancelTokenHash.eq(sessions::hash_token(cancel_token)))
        .one(&txn)
        .await?
        .ok_or(BookingError::BookingNotFound)?;
    if found.status == BookingStatus::Cancelled.as_str() {
        return Err(BookingError::AlreadyCancelled);
    }
    let date = offer_date::Entity::find_by_id(found.date_id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or(BookingError::DateNotFound)?;
    let mut booked = date.booked_places;
    if found.status == BookingStatus::Confirmed.as_str() {
        booked -= found.places;
    }
    booking::Entity::update_many()
        .col_expr(
            booking::Column::Status,
            Expr::value(BookingStatus::Cancelled.as_str()),
        )
        .filter(booking::Column::Id.eq(found.id))
        .exec(&txn)
        .await?;

    let mut promoted = Vec::new();
    let waiting = booking::Entity::find()
        .filter(booking::Column::DateId.eq(found.date_id))
        .filter(booking::Column::Status.eq(BookingStatus::Waitlisted.as_str()))
        .order_by_asc(booking::Column::Id)
        .all(&txn)
        .await?;
    for entry in waiting {
        if booked + entry.places > date.capacity {
            break;
        }
        booked += entry.places;
        booking::Entity::update_many()
            .col_expr(
                booking::Column::Status,
                Expr::value(BookingStatus::Confirmed.as_str()),
            )
            .filter(booking::Column::Id.eq(entry.id))
            .exec(&txn)
            .await?;
        promoted.push(entry.id);
    }
    offer_date::Entity::update_many()
        .col_expr(offer_date::Column::BookedPlaces, Expr::value(booked))
        .filter(offer_date::Column::Id.eq(date.id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(Cancelled {
        booking_id: found.id,
        promoted,
    })
}
