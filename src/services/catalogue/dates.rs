//! Single dates (whether they can be booked, their later sessions) and the dates of one offer or
//! one venue.
use chrono::{DateTime, Utc};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbErr, FromQueryResult,
    sea_query::{Expr, ExprTrait, Order},
};

use super::{
    DateSummary, Entry,
    select::{entries, statement, summaries, summary_select},
};
use crate::{
    db::entities::{offer, offer_date, venue},
    domain::offer::{DateStatus, OfferKind, OfferStatus},
};

/// The dates of one offer that end after `since`, cancelled ones included, in date order (the
/// offer's page).
pub async fn dates_of_offer(
    db: &DatabaseConnection,
    offer_id: i32,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Vec<Entry>, DbErr> {
    let mut select = summary_select();
    select
        .and_where(Expr::col((offer::Entity, offer::Column::Id)).eq(offer_id))
        .and_where(Expr::col((offer_date::Entity, offer_date::Column::EndsAt)).gt(since))
        .order_by(
            (offer_date::Entity, offer_date::Column::StartsAt),
            Order::Asc,
        );
    entries(db, &select, now).await
}

/// Why a date cannot be booked right now, as a message id; `None` when it can.
pub fn refusal(date: &DateSummary, now: DateTime<Utc>) -> Option<&'static str> {
    if !date.offer_status.is_public() {
        Some("error-booking-not-published")
    } else if date.date_status.is_cancelled() {
        Some("error-booking-cancelled")
    } else if date.starts_at <= now {
        Some("error-booking-past")
    } else if date.booking_closes_at.is_some_and(|closes| closes <= now) {
        Some("error-booking-closed")
    } else if date.series_lead_id.is_some() {
        Some("error-booking-session")
    } else {
        None
    }
}

/// The later sessions of a course booked as a whole, earliest first.
pub async fn sessions_of(
    db: &impl ConnectionTrait,
    lead_id: i32,
) -> Result<Vec<DateSummary>, DbErr> {
    let mut select = summary_select();
    select
        .and_where(Expr::col((offer_date::Entity, offer_date::Column::SeriesLeadId)).eq(lead_id))
        .order_by(
            (offer_date::Entity, offer_date::Column::StartsAt),
            Order::Asc,
        );
    summaries(db, &select).await
}

/// One date with its offer, whatever its state (for booking pages and calendars).
pub async fn date(
    db: &impl ConnectionTrait,
    date_id: i32,
    now: DateTime<Utc>,
) -> Result<Option<Entry>, DbErr> {
    let mut select = summary_select();
    select.and_where(Expr::col((offer_date::Entity, offer_date::Column::Id)).eq(date_id));
    Ok(DateSummary::find_by_statement(statement(db, &select))
        .one(db)
        .await?
        .map(|d| Entry::new(d, now)))
}

/// A date of a published course, in whatever state (past and cancelled dates included).
pub async fn published_course_date(
    db: &DatabaseConnection,
    date_id: i32,
    now: DateTime<Utc>,
) -> Result<Option<Entry>, DbErr> {
    let Some(entry) = date(db, date_id, now).await? else {
        return Ok(None);
    };
    // The date's row carries its offer's kind and state, so this is one query.
    let published_course =
        entry.date.kind == OfferKind::Course && entry.date.offer_status.is_public();
    Ok(published_course.then_some(entry))
}

/// Dates of published offers at one venue that started between `since` and `now` (not cancelled,
/// first sessions only), latest first: what a kiosk in that venue offers feedback on.
pub async fn recent_at_venue(
    db: &impl ConnectionTrait,
    venue_id: i32,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Vec<Entry>, DbErr> {
    let d = offer_date::Entity;
    let mut select = summary_select();
    select
        .and_where(Expr::col((venue::Entity, venue::Column::Id)).eq(venue_id))
        .and_where(Expr::col((offer::Entity, offer::Column::Status)).eq(OfferStatus::Published))
        .and_where(Expr::col((d, offer_date::Column::StartsAt)).gte(since))
        .and_where(Expr::col((d, offer_date::Column::StartsAt)).lte(now))
        .and_where(Expr::col((d, offer_date::Column::Status)).ne(DateStatus::Cancelled))
        .and_where(Expr::col((d, offer_date::Column::SeriesLeadId)).is_null())
        .order_by((d, offer_date::Column::StartsAt), Order::Desc)
        .limit(20);
    entries(db, &select, now).await
}
