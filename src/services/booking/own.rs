//! The person's own booking behind the secret link: its page and its calendar file.
use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter,
};

use super::super::{catalogue, sessions};
use crate::{
    db::entities::booking,
    domain::booking::BookingStatus,
    mail::{self},
};

/// Position on the waiting list (1-based) of a waiting booking.
pub(super) async fn waiting_position(
    db: &impl ConnectionTrait,
    found: &booking::Model,
) -> Result<u64, DbErr> {
    booking::Entity::find()
        .filter(booking::Column::DateId.eq(found.date_id))
        .filter(booking::Column::Status.eq(BookingStatus::Waitlisted))
        .filter(booking::Column::Id.lte(found.id))
        .count(db)
        .await
}

/// A booking by the secret of its link; anonymised bookings are gone for the person.
async fn find_by_token(
    db: &DatabaseConnection,
    token: &str,
) -> Result<Option<booking::Model>, DbErr> {
    Ok(booking::Entity::find()
        .filter(booking::Column::CancelTokenHash.eq(sessions::hash_token(token)))
        .one(db)
        .await?
        .filter(|b| b.anonymised_at.is_none()))
}

/// Whether the link still leads to a booking (before cancelling or answering an offer).
pub async fn link_is_live(db: &DatabaseConnection, token: &str) -> Result<bool, DbErr> {
    Ok(find_by_token(db, token).await?.is_some())
}

/// A person's own booking, as their page shows it.
#[derive(Debug, serde::Serialize)]
pub struct BookingByLink {
    pub date_id: i32,
    pub status: BookingStatus,
    pub name: String,
    pub places: i32,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// 1-based place on the waiting list, while waiting.
    pub waiting_position: Option<u64>,
    /// Places offered from the waiting list and until when, while that offer is open.
    pub open_offer: Option<(i32, DateTime<Utc>)>,
}

pub async fn own_booking(
    db: &DatabaseConnection,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Option<BookingByLink>, DbErr> {
    let Some(found) = find_by_token(db, token).await? else {
        return Ok(None);
    };
    let waiting_position = if found.status == BookingStatus::Waitlisted {
        Some(waiting_position(db, &found).await?)
    } else {
        None
    };
    let open_offer = found
        .offered_places
        .zip(found.offer_expires_at)
        .filter(|(_, expires)| *expires > now);
    Ok(Some(BookingByLink {
        date_id: found.date_id,
        status: found.status,
        name: found.name,
        places: found.places,
        email: found.email,
        phone: found.phone,
        waiting_position,
        open_offer,
    }))
}

/// Bookings of the same date the same address made before `found`: each raises the SEQUENCE of
/// `found`'s calendar entries, so a new booking after a cancellation is not taken for an old,
/// withdrawn one ([`mail::compose::booking_events`]).
pub(crate) async fn earlier_bookings(
    db: &impl ConnectionTrait,
    found: &booking::Model,
) -> Result<i32, DbErr> {
    let Some(email) = found.email.as_deref() else {
        return Ok(0);
    };
    let earlier = booking::Entity::find()
        .filter(booking::Column::DateId.eq(found.date_id))
        .filter(booking::Column::Email.eq(email))
        .filter(booking::Column::Id.lt(found.id))
        .count(db)
        .await?;
    Ok(i32::try_from(earlier)
        .unwrap_or(i32::MAX / 4)
        .min(i32::MAX / 4))
}

/// The person's own calendar file (with a reminder); a cancelled booking's file withdraws it. A
/// booking on the waiting list has none while the date takes place: nothing is confirmed yet.
pub async fn own_calendar(
    db: &DatabaseConnection,
    token: &str,
    base_url: &str,
    now: DateTime<Utc>,
) -> Result<Option<String>, DbErr> {
    let Some(found) = find_by_token(db, token).await? else {
        return Ok(None);
    };
    let Some(entry) = catalogue::date(db, found.date_id, now).await? else {
        return Ok(None);
    };
    let sessions = catalogue::sessions_of(db, entry.date.date_id).await?;
    let earlier = earlier_bookings(db, &found).await?;
    Ok(
        mail::compose::booking_calendar(&entry.date, &sessions, base_url, &found, earlier)
            .map(|(_, body)| body),
    )
}
