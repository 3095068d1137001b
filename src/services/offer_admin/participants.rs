//! Participants of a date, their attendance, and single bookings seen by staff.
use chrono::{DateTime, Utc};
use std::collections::HashMap;

use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    sea_query::{Expr, OnConflict},
};
use serde::Serialize;

use super::{ManagedDate, OfferAdminError, date};
use crate::{
    db::entities::{booking, offer_date, session_attendance},
    domain::{
        booking::{Attendance, BookingStatus},
        offer::DateStatus,
    },
    sealing::Sealer,
};

#[derive(Debug, Serialize)]
pub struct Participant {
    pub id: i64,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub places: i32,
    pub status: BookingStatus,
    pub channel: String,
    pub attendance: Option<Attendance>,
    pub created_at: DateTime<Utc>,
    pub offered_places: Option<i32>,
    /// Mail to this booking's address was refused for good: staff correct it or print instead.
    pub mail_undeliverable: bool,
}

/// Confirmed first, then the waiting list, each in arrival order.
pub async fn participants(
    db: &DatabaseConnection,
    date_id: i32,
) -> Result<Vec<Participant>, DbErr> {
    let mut rows: Vec<Participant> = booking::Entity::find()
        .filter(booking::Column::DateId.eq(date_id))
        .order_by_asc(booking::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|b| Participant {
            id: b.id,
            name: b.name,
            email: b.email,
            phone: b.phone,
            places: b.places,
            status: b.status,
            channel: b.channel,
            attendance: b.attendance,
            created_at: b.created_at,
            offered_places: b.offered_places,
            mail_undeliverable: false,
        })
        .collect();
    let undeliverable = crate::services::undeliverable_mail::undeliverable_among(
        db,
        rows.iter().filter_map(|p| p.email.clone()).collect(),
    )
    .await?;
    for p in &mut rows {
        p.mail_undeliverable = p.email.as_ref().is_some_and(|e| undeliverable.contains(e));
    }
    rows.sort_by_key(|p| (p.status.list_rank(), p.id));
    Ok(rows)
}

/// The participants of a date as its page and its helpers see them. A later session of a course
/// booked as a whole lists the first date's people, with their attendance at this session.
pub async fn participants_at(
    db: &DatabaseConnection,
    date: &ManagedDate,
) -> Result<Vec<Participant>, DbErr> {
    participants_in_series(db, date.id, date.series_lead_id).await
}

async fn participants_in_series(
    db: &DatabaseConnection,
    date_id: i32,
    series_lead_id: Option<i32>,
) -> Result<Vec<Participant>, DbErr> {
    let Some(lead) = series_lead_id else {
        return participants(db, date_id).await;
    };
    let mut rows = participants(db, lead).await?;
    let marks: HashMap<i64, Attendance> = session_attendance::Entity::find()
        .filter(session_attendance::Column::DateId.eq(date_id))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.booking_id, m.attendance))
        .collect();
    for p in &mut rows {
        p.attendance = marks.get(&p.id).copied();
    }
    Ok(rows)
}

/// [`participants_at`] by the date's id; nobody for a date that no longer exists.
pub async fn participants_of_date(
    db: &DatabaseConnection,
    date_id: i32,
) -> Result<Vec<Participant>, DbErr> {
    match offer_date::Entity::find_by_id(date_id).one(db).await? {
        Some(date) => participants_in_series(db, date.id, date.series_lead_id).await,
        None => Ok(Vec::new()),
    }
}

/// A booking of the date that is no longer confirmed (cancelled while the list was open at the
/// door) is refused with its reason; one that is not the date's at all is not found.
async fn not_confirmed(
    db: &impl sea_orm::ConnectionTrait,
    booking_date: i32,
    booking_id: i64,
) -> OfferAdminError {
    match booking::Entity::find_by_id(booking_id)
        .filter(booking::Column::DateId.eq(booking_date))
        .one(db)
        .await
    {
        Ok(Some(_)) => OfferAdminError::Refused {
            field: "teilnehmende",
            message: "error-attendance-not-confirmed",
        },
        Ok(None) => OfferAdminError::NotFound,
        Err(e) => OfferAdminError::Db(e),
    }
}

/// Present, absent or `None` (not yet recorded), for one date; for a later session of a course
/// booked as a whole, for that session.
pub async fn set_attendance(
    db: &DatabaseConnection,
    scope: &Option<Vec<i32>>,
    date_id: i32,
    booking_id: i64,
    attendance: Option<Attendance>,
) -> Result<(), OfferAdminError> {
    let date = date(db, scope, date_id).await?;
    let Some(lead) = date.series_lead_id else {
        // One conditional statement: a booking cancelled meanwhile gets no attendance.
        let marked = booking::Entity::update_many()
            .col_expr(booking::Column::Attendance, Expr::value(attendance))
            .filter(booking::Column::Id.eq(booking_id))
            .filter(booking::Column::DateId.eq(date_id))
            .filter(booking::Column::Status.eq(BookingStatus::Confirmed))
            .exec(db)
            .await?
            .rows_affected;
        if marked == 0 {
            return Err(not_confirmed(db, date_id, booking_id).await);
        }
        return Ok(());
    };
    // Cancellations hold the first date's lock, so under it the booking's status is current.
    let txn = crate::db::begin_write(db).await?;
    offer_date::Entity::find_by_id(lead)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or(OfferAdminError::NotFound)?;
    let confirmed = booking::Entity::find_by_id(booking_id)
        .filter(booking::Column::DateId.eq(lead))
        .filter(booking::Column::Status.eq(BookingStatus::Confirmed))
        .one(&txn)
        .await?;
    if confirmed.is_none() {
        return Err(not_confirmed(&*txn, lead, booking_id).await);
    }
    match attendance {
        Some(value) => {
            session_attendance::Entity::insert(session_attendance::ActiveModel {
                booking_id: Set(booking_id),
                date_id: Set(date_id),
                attendance: Set(value),
                recorded_at: Set(Utc::now()),
                ..Default::default()
            })
            .on_conflict(
                OnConflict::columns([
                    session_attendance::Column::DateId,
                    session_attendance::Column::BookingId,
                ])
                .update_columns([
                    session_attendance::Column::Attendance,
                    session_attendance::Column::RecordedAt,
                ])
                .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
        }
        None => {
            session_attendance::Entity::delete_many()
                .filter(session_attendance::Column::DateId.eq(date_id))
                .filter(session_attendance::Column::BookingId.eq(booking_id))
                .exec(&txn)
                .await?;
        }
    }
    txn.commit().await?;
    Ok(())
}

/// Attendance of one date of a course, in places (a companion counts).
#[derive(Debug, Serialize)]
pub struct SessionAttendanceRow {
    pub date_id: i32,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub status: DateStatus,
    pub present: i64,
    pub absent: i64,
    /// Confirmed places nobody marked yet.
    pub open: i64,
}

/// Attendance at every date of a course booked as a whole (the first date and its sessions), for
/// the provider's overview; empty for a single date.
pub async fn attendance_by_session(
    db: &DatabaseConnection,
    date: &ManagedDate,
) -> Result<Vec<SessionAttendanceRow>, DbErr> {
    let lead_id = date.series_lead_id.unwrap_or(date.id);
    let mut dates = offer_date::Entity::find()
        .filter(offer_date::Column::SeriesLeadId.eq(lead_id))
        .order_by_asc(offer_date::Column::StartsAt)
        .all(db)
        .await?;
    if dates.is_empty() {
        return Ok(Vec::new());
    }
    let Some(lead) = offer_date::Entity::find_by_id(lead_id).one(db).await? else {
        return Ok(Vec::new());
    };
    dates.insert(0, lead);
    let confirmed: Vec<(i64, i32, Option<Attendance>)> = booking::Entity::find()
        .select_only()
        .columns([
            booking::Column::Id,
            booking::Column::Places,
            booking::Column::Attendance,
        ])
        .filter(booking::Column::DateId.eq(lead_id))
        .filter(booking::Column::Status.eq(BookingStatus::Confirmed))
        .into_tuple()
        .all(db)
        .await?;
    let places: HashMap<i64, i64> = confirmed
        .iter()
        .map(|(id, places, _)| (*id, i64::from(*places)))
        .collect();
    let marks = session_attendance::Entity::find()
        .filter(
            session_attendance::Column::DateId
                .is_in(dates.iter().skip(1).map(|d| d.id).collect::<Vec<_>>()),
        )
        .all(db)
        .await?;
    let total: i64 = places.values().sum();
    Ok(dates
        .into_iter()
        .map(|d| {
            let marked: Vec<(i64, Attendance)> = if d.id == lead_id {
                confirmed
                    .iter()
                    .filter_map(|(id, _, a)| a.map(|a| (*id, a)))
                    .collect()
            } else {
                marks
                    .iter()
                    .filter(|m| m.date_id == d.id)
                    .map(|m| (m.booking_id, m.attendance))
                    .collect()
            };
            let sum = |value: Attendance| -> i64 {
                marked
                    .iter()
                    .filter(|(_, a)| *a == value)
                    .filter_map(|(id, _)| places.get(id))
                    .sum()
            };
            let (present, absent) = (sum(Attendance::Present), sum(Attendance::Absent));
            SessionAttendanceRow {
                date_id: d.id,
                starts_at: d.starts_at,
                ends_at: d.ends_at,
                status: d.status,
                present,
                absent,
                open: (total - present - absent).max(0),
            }
        })
        .collect())
}

/// The booking belongs to a date the user manages.
pub async fn booking_in_scope(
    db: &DatabaseConnection,
    scope: &Option<Vec<i32>>,
    booking_id: i64,
) -> Result<booking::Model, OfferAdminError> {
    let found = booking::Entity::find_by_id(booking_id)
        .one(db)
        .await?
        .ok_or(OfferAdminError::NotFound)?;
    date(db, scope, found.date_id).await?;
    Ok(found)
}

/// A booking as staff see it on its receipt and address pages.
#[derive(Debug)]
pub struct StaffBooking {
    pub id: i64,
    pub date_id: i32,
    pub name: String,
    pub places: i32,
    pub status: BookingStatus,
    pub email: Option<String>,
    /// The secret of the person's own page, for the receipt: only of a booking without an address
    /// (taken by phone or at the counter), whose maker has no other way to it. A booking with an
    /// address got its link by mail; staff holding it could cancel or answer an offer as the person.
    pub receipt_token: Option<String>,
    pub anonymised: bool,
}

/// A booking of a date the user manages.
pub async fn booking(
    db: &DatabaseConnection,
    sealer: &Sealer,
    scope: &Option<Vec<i32>>,
    booking_id: i64,
) -> Result<StaffBooking, OfferAdminError> {
    let found = booking_in_scope(db, scope, booking_id).await?;
    let receipt_token = found
        .email
        .is_none()
        .then(|| found.link_secret(sealer))
        .flatten();
    Ok(StaffBooking {
        id: found.id,
        date_id: found.date_id,
        name: found.name,
        places: found.places,
        status: found.status,
        receipt_token,
        email: found.email,
        anonymised: found.anonymised_at.is_some(),
    })
}
