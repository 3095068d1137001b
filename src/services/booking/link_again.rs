//! A booking refused because its address already booked the date: the existing booking's link goes
//! to that address once more. People who lost their confirmation book again to find their booking;
//! and whoever typed in somebody else's address to learn whether they booked is thereby made known
//! to the owner of the address.
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use super::{BookingError, Desk, active_on};
use crate::{
    db::{begin_write, entities::booking},
    domain::Email,
    mail::{self, compose::BookingMail},
    services::{catalogue, throttle},
};

/// One such mail per booking and hour: repeated attempts must not flood the address.
const LINK_AGAIN: throttle::Limit = throttle::Limit {
    max: 1,
    window: Duration::hours(1),
};
/// And a few per address and hour, however many dates it booked (anyone may book for an address).
const LINK_AGAIN_TO: throttle::Limit = throttle::Limit {
    max: 3,
    window: Duration::hours(1),
};
/// A booking this young was just confirmed by mail: a request sent twice without an
/// `Idempotency-Key` must not tell the person that someone booked again.
const JUST_BOOKED: Duration = Duration::minutes(2);

impl Desk {
    /// Mails the link of the active booking that `email` holds for the date to that address, at most
    /// once an hour. Returns whether a mail was queued.
    pub async fn send_link_again(
        &self,
        date_id: i32,
        email: &Email,
        now: DateTime<Utc>,
    ) -> Result<bool, BookingError> {
        let Some(found) = booking::Entity::find()
            .filter(active_on(date_id))
            .filter(booking::Column::Email.eq(email.as_str()))
            .order_by_asc(booking::Column::Id)
            .one(&self.db)
            .await?
        else {
            return Ok(false);
        };
        // A link that cannot be opened (an old row, another key) would make a mail without it.
        if found.created_at > now - JUST_BOOKED
            || found.link_secret(&self.composer.sealer).is_none()
        {
            return Ok(false);
        }
        let Some(entry) = catalogue::date(&self.db, date_id, now).await? else {
            return Ok(false);
        };
        let (date, sessions) = self.with_sessions(entry.date).await?;
        let txn = begin_write(&self.db).await?;
        let per_booking = format!("booking-link-again:{}", found.id);
        let per_address = self
            .pseudonyms
            .throttle_bucket("booking-link-again-to", email.as_str());
        let buckets = [
            (per_booking.as_str(), LINK_AGAIN),
            (per_address.as_str(), LINK_AGAIN_TO),
        ];
        if throttle::take_in(&txn, &buckets).await?.is_some() {
            return Ok(false);
        }
        // Cancelled since it was read: nothing to send a link to.
        let Some(found) = booking::Entity::find_by_id(found.id)
            .filter(active_on(date_id))
            .one(&*txn)
            .await?
        else {
            return Ok(false);
        };
        let mail = self
            .compose(
                &txn,
                BookingMail::LinkAgain,
                &found,
                (&date, &sessions, None),
                now,
            )
            .await?;
        let Some(mail) = mail else {
            return Ok(false);
        };
        mail::enqueue_about_booking(&*txn, mail, found.id).await?;
        txn.commit().await?;
        Ok(true)
    }

    /// [`Self::send_link_again`] after a booking was refused as a duplicate: a failure is logged, and
    /// the refusal stands as it is.
    pub async fn after_duplicate(&self, date_id: i32, email: Option<&Email>, now: DateTime<Utc>) {
        let Some(email) = email else {
            return;
        };
        if let Err(error) = self.send_link_again(date_id, email, now).await {
            tracing::warn!(%error, date_id, "the link of the existing booking could not be sent again");
        }
    }
}
