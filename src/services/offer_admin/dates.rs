//! The dates of an offer: single dates, later sessions of a course booked as a whole, changes.
use chrono::{DateTime, Utc};

use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
    Set, TransactionTrait,
};
use serde::Serialize;

use super::{DECISION_BEFORE, OfferAdminError, WALK_IN_RELEASE, date, managed_offer};
use crate::services::audit;
use crate::{
    db::entities::{booking, offer_date},
    domain::{
        booking::BookingStatus,
        offer::{DateInput, DateStatus},
    },
};

#[derive(Debug, Serialize)]
pub struct DateRow {
    pub id: i32,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub capacity: i32,
    pub booked_places: i32,
    pub waiting: usize,
    pub status: DateStatus,
    pub min_participants: i32,
    pub walk_in_places: i32,
    pub below_minimum: bool,
    pub series_lead_id: Option<i32>,
}

pub async fn dates(db: &DatabaseConnection, offer_id: i32) -> Result<Vec<DateRow>, DbErr> {
    let dates = offer_date::Entity::find()
        .filter(offer_date::Column::OfferId.eq(offer_id))
        .order_by_asc(offer_date::Column::StartsAt)
        .all(db)
        .await?;
    let mut rows = Vec::new();
    for d in dates {
        let waiting = booking::Entity::find()
            .filter(booking::Column::DateId.eq(d.id))
            .filter(booking::Column::Status.eq(BookingStatus::Waitlisted))
            .all(db)
            .await?
            .len();
        rows.push(DateRow {
            id: d.id,
            starts_at: d.starts_at,
            ends_at: d.ends_at,
            capacity: d.capacity,
            booked_places: d.booked_places,
            waiting,
            below_minimum: d.booked_places < d.min_participants,
            status: d.status,
            min_participants: d.min_participants,
            walk_in_places: d.walk_in_places,
            series_lead_id: d.series_lead_id,
        });
    }
    Ok(rows)
}

pub async fn add_date(
    db: &DatabaseConnection,
    scope: &Option<Vec<i32>>,
    actor: i32,
    offer_id: i32,
    input: DateInput,
) -> Result<i32, OfferAdminError> {
    managed_offer(db, scope, offer_id).await?;
    let txn = db.begin().await?;
    let created = offer_date::ActiveModel {
        offer_id: Set(offer_id),
        starts_at: Set(input.starts_at),
        ends_at: Set(input.ends_at),
        capacity: Set(input.capacity.get()),
        booked_places: Set(0),
        max_places_per_booking: Set(input.max_places),
        booking_opens_at: Set(None),
        booking_closes_at: Set(Some(input.starts_at)),
        status: Set(DateStatus::Scheduled),
        created_at: Set(Utc::now()),
        min_participants: Set(input.min_participants),
        decision_at: Set((input.min_participants > 0).then(|| input.starts_at - DECISION_BEFORE)),
        decided_at: Set(None),
        walk_in_places: Set(input.walk_in_places),
        walk_in_release_at: Set(
            (input.walk_in_places > 0).then(|| input.starts_at - WALK_IN_RELEASE)
        ),
        reminder_sent_at: Set(None),
        revision: Set(0),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        Some(actor),
        "date.create",
        &format!("date:{}", created.id),
        &format!("offer:{offer_id}"),
    )
    .await?;
    txn.commit().await?;
    Ok(created.id)
}

/// Adds a later session to a course booked as a whole; it shares the first date's bookings.
pub async fn add_session(
    db: &DatabaseConnection,
    scope: &Option<Vec<i32>>,
    actor: i32,
    lead_id: i32,
    input: DateInput,
) -> Result<i32, OfferAdminError> {
    let lead = date(db, scope, lead_id).await?;
    if lead.series_lead_id.is_some() || lead.status.is_cancelled() {
        return Err(OfferAdminError::NotFound);
    }
    if input.starts_at <= lead.starts_at {
        return Err(OfferAdminError::Refused {
            field: "day",
            message: "error-session-before-lead",
        });
    }
    let txn = db.begin().await?;
    let created = offer_date::ActiveModel {
        offer_id: Set(lead.offer_id),
        starts_at: Set(input.starts_at),
        ends_at: Set(input.ends_at),
        capacity: Set(lead.capacity),
        booked_places: Set(0),
        max_places_per_booking: Set(lead.max_places_per_booking),
        booking_opens_at: Set(None),
        booking_closes_at: Set(Some(lead.starts_at)),
        status: Set(DateStatus::Scheduled),
        created_at: Set(Utc::now()),
        min_participants: Set(0),
        decision_at: Set(None),
        decided_at: Set(None),
        walk_in_places: Set(0),
        walk_in_release_at: Set(None),
        reminder_sent_at: Set(None),
        revision: Set(0),
        series_lead_id: Set(Some(lead.id)),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        Some(actor),
        "date.add_session",
        &format!("date:{}", created.id),
        &format!("lead date:{lead_id}"),
    )
    .await?;
    txn.commit().await?;
    Ok(created.id)
}

/// Changes time and capacity of a date. Capacity cannot drop below the places already confirmed.
/// Returns whether the time changed, so booked people can be told.
pub async fn change_date(
    db: &DatabaseConnection,
    scope: &Option<Vec<i32>>,
    actor: i32,
    date_id: i32,
    input: DateInput,
) -> Result<bool, OfferAdminError> {
    let existing = date(db, scope, date_id).await?;
    let txn = crate::db::begin_write(db).await?;
    let current = offer_date::Entity::find_by_id(date_id)
        .one(&txn)
        .await?
        .ok_or(OfferAdminError::NotFound)?;
    if current.status.is_cancelled() || current.starts_at <= Utc::now() {
        return Err(OfferAdminError::Refused {
            field: "day",
            message: "error-date-not-changeable",
        });
    }
    if input.capacity.get() < current.booked_places {
        return Err(OfferAdminError::Refused {
            field: "capacity",
            message: "error-capacity-below-booked",
        });
    }
    let time_changed = existing.starts_at != input.starts_at || existing.ends_at != input.ends_at;
    let mut model: offer_date::ActiveModel = current.clone().into();
    model.starts_at = Set(input.starts_at);
    model.ends_at = Set(input.ends_at);
    model.booking_closes_at = Set(Some(input.starts_at));
    model.capacity = Set(input.capacity.get());
    model.max_places_per_booking = Set(input.max_places);
    model.min_participants = Set(input.min_participants);
    model.decision_at =
        Set((input.min_participants > 0).then(|| input.starts_at - DECISION_BEFORE));
    model.walk_in_places = Set(input.walk_in_places);
    model.walk_in_release_at =
        Set((input.walk_in_places > 0).then(|| input.starts_at - WALK_IN_RELEASE));
    if time_changed {
        model.revision = Set(current.revision + 1);
        model.reminder_sent_at = Set(None);
    }
    model.update(&txn).await?;
    audit::record(
        &txn,
        Some(actor),
        "date.update",
        &format!("date:{date_id}"),
        "",
    )
    .await?;
    txn.commit().await?;
    Ok(time_changed)
}
