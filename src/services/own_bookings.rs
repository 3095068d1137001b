//! The bookings a signed-in person made with their account, for "Mein Konto".
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;

use crate::{
    db::entities::{booking, offer, offer_date},
    domain::{booking::BookingStatus, offer::DateStatus},
    sealing::Sealer,
};

/// One booking as the account page lists it, with the link to its own page.
#[derive(Debug, Serialize)]
pub struct OwnBooking {
    pub title: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub date_status: DateStatus,
    pub status: BookingStatus,
    pub places: i32,
    /// The booking's own page (`/buchung/<secret>`), where it can be cancelled.
    pub href: String,
}

/// The person's bookings that still have their booking link (anonymised ones have none), the
/// coming dates first in date order, then past ones, latest first.
pub async fn of_user(
    db: &impl ConnectionTrait,
    sealer: &Sealer,
    user_id: i32,
    now: DateTime<Utc>,
) -> Result<Vec<OwnBooking>, DbErr> {
    let bookings = booking::Entity::find()
        .filter(booking::Column::UserId.eq(user_id))
        .filter(booking::Column::AnonymisedAt.is_null())
        .order_by_asc(booking::Column::Id)
        .all(db)
        .await?;
    let date_ids: Vec<i32> = bookings.iter().map(|b| b.date_id).collect();
    let dates = offer_date::Entity::find()
        .filter(offer_date::Column::Id.is_in(date_ids))
        .all(db)
        .await?;
    let offer_ids: Vec<i32> = dates.iter().map(|d| d.offer_id).collect();
    let offers = offer::Entity::find()
        .filter(offer::Column::Id.is_in(offer_ids))
        .all(db)
        .await?;
    let mut own: Vec<OwnBooking> = bookings
        .into_iter()
        .filter_map(|b| {
            let date = dates.iter().find(|d| d.id == b.date_id)?;
            let offer = offers.iter().find(|o| o.id == date.offer_id)?;
            Some(OwnBooking {
                title: offer.title.clone(),
                starts_at: date.starts_at,
                ends_at: date.ends_at,
                date_status: date.status,
                status: b.status,
                places: b.places,
                href: format!("/buchung/{}", b.link_secret(sealer)?),
            })
        })
        .collect();
    own.sort_by_key(|b| {
        let past = b.ends_at < now;
        // Coming dates soonest first, then past dates latest first.
        (
            past,
            if past {
                -b.starts_at.timestamp()
            } else {
                b.starts_at.timestamp()
            },
        )
    });
    Ok(own)
}
