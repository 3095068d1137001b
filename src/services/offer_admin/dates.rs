//! The dates of an offer: single dates, later sessions of a course booked as a whole, changes.
use chrono::{DateTime, Utc};

use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde::Serialize;

use super::{DECISION_BEFORE, OfferAdminError, WALK_IN_RELEASE, date, managed_offer};
use crate::services::{audit, booking::offered_places};
use crate::{
    db::entities::{offer, offer_date},
    domain::offer::{DateInput, DateStatus},
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
        rows.push(DateRow {
            id: d.id,
            starts_at: d.starts_at,
            ends_at: d.ends_at,
            capacity: d.capacity,
            booked_places: d.booked_places,
            waiting: usize::try_from(d.waiting_count).unwrap_or(0),
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
    let created = new_date(offer_id, &input);
    insert_date(
        db,
        actor,
        created,
        "date.create",
        &format!("offer:{offer_id}"),
    )
    .await
}

/// Adds a later session to a course booked as a whole; it shares the first date's bookings.
pub async fn add_session(
    db: &DatabaseConnection,
    scope: &Option<Vec<i32>>,
    actor: i32,
    lead_id: i32,
    input: DateInput,
    bookings: &crate::services::booking::Desk,
) -> Result<i32, OfferAdminError> {
    let offer_id = date(db, scope, lead_id).await?.offer_id;
    let txn = crate::db::begin_write(db).await?;
    // The offer first, then its date, as a change of the offer takes them (the catalogue's trigger
    // updates its dates): the other way round, adding a session while someone published or hid
    // the offer deadlocked on PostgreSQL. Inserting the session needs the offer anyway.
    offer::Entity::find_by_id(offer_id)
        .lock_shared()
        .one(&txn)
        .await?
        .ok_or(OfferAdminError::NotFound)?;
    // Read under the first date's lock: a cancellation, a move or new places that another person
    // saved meanwhile are what the session follows, not the state this page was opened with.
    let lead = offer_date::Entity::find_by_id(lead_id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or(OfferAdminError::NotFound)?;
    if lead.series_lead_id.is_some() || lead.status.is_cancelled() {
        return Err(OfferAdminError::NotFound);
    }
    if input.starts_at <= lead.starts_at {
        return Err(OfferAdminError::Refused {
            field: "day",
            message: "error-session-before-lead",
        });
    }
    // Only its time is the session's own: places, rules and bookings are the first date's.
    let mut session = new_date(lead.offer_id, &input);
    session.capacity = Set(lead.capacity);
    session.max_places_per_booking = Set(lead.max_places_per_booking);
    session.booking_closes_at = Set(Some(lead.starts_at));
    session.min_participants = Set(0);
    session.decision_at = Set(None);
    session.walk_in_places = Set(0);
    session.walk_in_release_at = Set(None);
    session.series_lead_id = Set(Some(lead.id));
    let detail = format!("lead date:{lead_id}");
    let created = insert_date_in(&txn, actor, session, "date.add_session", &detail).await?;
    // Everyone booked for the course learns of the new session with the session itself.
    bookings
        .announce_change_in(&txn, created, Utc::now())
        .await?;
    txn.commit().await?;
    Ok(created)
}

/// A new date of the offer as `input` describes it: scheduled, nothing booked yet.
fn new_date(offer_id: i32, input: &DateInput) -> offer_date::ActiveModel {
    let mut created = offer_date::ActiveModel {
        offer_id: Set(offer_id),
        booked_places: Set(0),
        booking_opens_at: Set(None),
        status: Set(DateStatus::Scheduled),
        created_at: Set(Utc::now()),
        decided_at: Set(None),
        reminder_sent_at: Set(None),
        revision: Set(0),
        ..Default::default()
    };
    set_input(&mut created, input);
    created
}

/// What the date form decides: the time, the places and the deadlines that follow from them
/// (booking closes at the start, a minimum is decided and walk-in places are released before it).
fn set_input(date: &mut offer_date::ActiveModel, input: &DateInput) {
    date.starts_at = Set(input.starts_at);
    date.ends_at = Set(input.ends_at);
    date.booking_closes_at = Set(Some(input.starts_at));
    date.capacity = Set(input.capacity.get());
    date.max_places_per_booking = Set(input.max_places);
    date.min_participants = Set(input.min_participants);
    date.decision_at = Set((input.min_participants > 0).then(|| input.starts_at - DECISION_BEFORE));
    date.walk_in_places = Set(input.walk_in_places);
    date.walk_in_release_at =
        Set((input.walk_in_places > 0).then(|| input.starts_at - WALK_IN_RELEASE));
}

/// Stores a new date and records who added it (`action`, `detail`) in the same transaction.
async fn insert_date(
    db: &DatabaseConnection,
    actor: i32,
    new: offer_date::ActiveModel,
    action: &str,
    detail: &str,
) -> Result<i32, OfferAdminError> {
    let txn = crate::db::begin_write(db).await?;
    let created = insert_date_in(&txn, actor, new, action, detail).await?;
    txn.commit().await?;
    Ok(created)
}

async fn insert_date_in(
    txn: &crate::db::WriteTransaction,
    actor: i32,
    new: offer_date::ActiveModel,
    action: &str,
    detail: &str,
) -> Result<i32, OfferAdminError> {
    let created = new.insert(txn).await?;
    let target = format!("date:{}", created.id);
    audit::record(txn, Some(actor), action, &target, detail).await?;
    Ok(created.id)
}

/// Who is told when a date moves, in the transaction that moves it.
pub struct MoveFollowers<'a> {
    pub bookings: &'a crate::services::booking::Desk,
    pub helpers: &'a crate::services::volunteering::PlanningDesk,
}

/// A stamp of everything the edit form of a date changes, and of its state. Two people can have
/// the form open at once: saving the older one would undo the other's move or capacity without
/// either noticing, so [`change_date`] compares the stamp first.
pub(super) fn date_seen(date: &offer_date::Model) -> String {
    let shown = format!(
        "{}|{}|{}|{}|{}|{}|{}",
        date.starts_at.timestamp(),
        date.ends_at.timestamp(),
        date.capacity,
        date.max_places_per_booking,
        date.min_participants,
        date.walk_in_places,
        date.status.key(),
    );
    crate::domain::form::stamp(&shown)
}

/// Changes time and capacity of a date, if it is still as `seen` (its [`date_seen`] stamp when the
/// form was filled). Capacity cannot drop below the places already confirmed. A move is stored
/// together with the mails to everyone booked or waiting and with the helper sessions moved
/// along, places freed go to the waiting list, all in one transaction. Returns whether the time
/// changed.
pub async fn change_date(
    db: &DatabaseConnection,
    scope: &Option<Vec<i32>>,
    actor: i32,
    date_id: i32,
    input: DateInput,
    seen: &str,
    followers: MoveFollowers<'_>,
) -> Result<bool, OfferAdminError> {
    date(db, scope, date_id).await?;
    let txn = crate::db::begin_write(db).await?;
    // A session's course first, then the date as a booking locks it: a booking at the same moment
    // on another instance waits, so the check below sees its places and the mails reach it.
    crate::services::booking::lock_course_of_session(&txn, date_id).await?;
    let current = offer_date::Entity::find_by_id(date_id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or(OfferAdminError::NotFound)?;
    let now = Utc::now();
    if current.status.is_cancelled() || current.starts_at <= now {
        return Err(OfferAdminError::Refused {
            field: "day",
            message: "error-date-not-changeable",
        });
    }
    if date_seen(&current) != seen {
        return Err(OfferAdminError::Changed);
    }
    if input.capacity.get() < current.booked_places {
        return Err(OfferAdminError::Refused {
            field: "capacity",
            message: "error-capacity-below-booked",
        });
    }
    // Places offered to the waiting list are taken the moment the person accepts.
    if input.capacity.get() < current.booked_places + offered_places(&txn, date_id, now).await? {
        return Err(OfferAdminError::Refused {
            field: "capacity",
            message: "error-capacity-below-offered",
        });
    }
    // Compared with the row as locked: a move saved a moment ago by someone else is no change to
    // undo without telling anyone.
    let time_changed = current.starts_at != input.starts_at || current.ends_at != input.ends_at;
    let mut model: offer_date::ActiveModel = current.clone().into();
    set_input(&mut model, &input);
    if time_changed {
        model.revision = Set(current.revision + 1);
        model.reminder_sent_at = Set(None);
    }
    let moved = model.update(&txn).await?;
    if time_changed {
        followers
            .bookings
            .hold_offers_for_moved_date(&txn, date_id, moved.starts_at, now)
            .await?;
        followers
            .bookings
            .announce_change_in(&txn, date_id, now)
            .await?;
        followers
            .helpers
            .move_with_date(&txn, &current, &moved)
            .await?;
    }
    // More places (or fewer held for walk-ins) go to the waiting list with the change itself: a
    // failure after the commit would leave them free while people wait.
    followers
        .bookings
        .fill_from_waiting_list(&txn, date_id, now)
        .await?;
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
