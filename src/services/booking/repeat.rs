//! A booking request repeated with the same `Idempotency-Key` (the JSON API): the client lost the
//! answer (a timeout at the proxy, a connection dropped after the commit) and asks again. It gets
//! the booking its first request made instead of a second one, which would hold places twice or,
//! without an address to catch it as a duplicate, book the person twice.
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::{Booked, BookingError, Desk, own::waiting_position};
use crate::{
    db::entities::booking,
    domain::booking::{BookingRequest, BookingStatus, IdempotencyKey},
    services::sessions,
};

/// How long a key finds the booking it made; afterwards the same key is refused as used.
const KEY_KEPT: Duration = Duration::hours(24);

/// What an earlier request with the same key left.
#[derive(Debug)]
pub enum Earlier {
    /// The same request: the booking it made, as it stands now.
    Same(Booked),
    /// The key came with other details (another person, another number of places), or more than
    /// [`KEY_KEPT`] ago.
    Reused,
}

/// The key as stored with the booking, hashed with the date: a client's key names one request.
pub(super) fn key_hash(date_id: i32, key: &IdempotencyKey) -> String {
    sessions::hash_token(&format!("{date_id}\n{}", key.as_str()))
}

impl Desk {
    /// The booking an earlier request with `request`'s key made for this date, if any.
    pub async fn booked_with_key(
        &self,
        date_id: i32,
        request: &BookingRequest,
        now: DateTime<Utc>,
    ) -> Result<Option<Earlier>, BookingError> {
        let Some(key) = &request.idempotency_key else {
            return Ok(None);
        };
        let Some(found) = booking::Entity::find()
            .filter(booking::Column::IdempotencyKeyHash.eq(key_hash(date_id, key)))
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        // Anonymised, the booking has neither details to compare nor a link to give.
        let same = found.created_at > now - KEY_KEPT
            && found.name == request.name.as_str()
            && found.email.as_deref() == request.email.as_ref().map(|e| e.as_str())
            && found.phone.as_deref() == request.phone.as_ref().map(|p| p.as_str())
            // A changed number is another request, not a lost answer; the client must not take
            // the first booking's places for the ones it asked for now.
            && i64::from(found.places) == i64::from(request.places.get());
        let Some(cancel_token) = same
            .then(|| found.link_secret(&self.composer.sealer))
            .flatten()
        else {
            return Ok(Some(Earlier::Reused));
        };
        let waiting_position = if found.status == BookingStatus::Waitlisted {
            Some(waiting_position(&self.db, &found).await?)
        } else {
            None
        };
        Ok(Some(Earlier::Same(Booked {
            booking_id: found.id,
            status: found.status,
            cancel_token,
            waiting_position,
        })))
    }
}
