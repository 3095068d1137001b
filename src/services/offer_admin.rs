//! The providers' back office: offers and their dates, participant lists, attendance and staff tasks.
//! Every function takes the organisations the user manages and refuses anything outside them.
use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionTrait,
    sea_query::{Expr, OnConflict},
};
use serde::Serialize;

use super::{audit, sessions};
use crate::policy::in_scope;
use crate::{
    db::entities::{
        booking, offer, offer_date, organisation, session_attendance, staff_task, venue,
    },
    domain::{
        booking::BookingStatus,
        offer::{
            DateInput, DateStatus, OfferForm, OfferInput, OfferKind, OfferStatus, Support,
            search_text,
        },
    },
};

#[derive(Debug, thiserror::Error)]
pub enum OfferAdminError {
    #[error("not found or not managed by this user")]
    NotFound,
    /// A field-level refusal; the message id names the reason.
    #[error("refused: {field}: {message}")]
    Refused {
        field: &'static str,
        message: &'static str,
    },
    #[error("database: {0}")]
    Db(#[from] DbErr),
}

/// Walk-in places are released for online booking this long before the date.
pub const WALK_IN_RELEASE: Duration = Duration::hours(24);
/// The decision on a date below its minimum is due this long before it (VHS practice).
pub const DECISION_BEFORE: Duration = Duration::days(14);

#[derive(Debug, Serialize)]
pub struct OfferRow {
    pub id: i32,
    pub title: String,
    pub status: OfferStatus,
    pub organisation_name: String,
    pub dates: usize,
    pub next_date: Option<DateTime<Utc>>,
}

pub async fn list(
    db: &DatabaseConnection,
    scope: &Option<Vec<i32>>,
) -> Result<Vec<OfferRow>, DbErr> {
    let mut query = offer::Entity::find().order_by_asc(offer::Column::Title);
    if let Some(ids) = scope {
        query = query.filter(offer::Column::OrganisationId.is_in(ids.clone()));
    }
    let offers = query.all(db).await?;
    let orgs = organisation::Entity::find().all(db).await?;
    let now = Utc::now();
    let mut rows = Vec::new();
    for o in offers {
        let dates = offer_date::Entity::find()
            .filter(offer_date::Column::OfferId.eq(o.id))
            .order_by_asc(offer_date::Column::StartsAt)
            .all(db)
            .await?;
        rows.push(OfferRow {
            next_date: dates.iter().map(|d| d.starts_at).find(|s| *s > now),
            dates: dates.len(),
            organisation_name: orgs
                .iter()
                .find(|org| org.id == o.organisation_id)
                .map(|org| org.name.clone())
                .unwrap_or_default(),
            id: o.id,
            title: o.title,
            status: o.status,
        });
    }
    Ok(rows)
}

/// An offer the user manages.
async fn managed_offer(
    db: &DatabaseConnection,
    scope: &Option<Vec<i32>>,
    id: i32,
) -> Result<offer::Model, OfferAdminError> {
    offer::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|o| in_scope(scope, o.organisation_id))
        .ok_or(OfferAdminError::NotFound)
}

/// What the back office shows of an offer above its form and dates.
#[derive(Debug, Serialize)]
pub struct OfferHead {
    pub id: i32,
    pub slug: String,
    pub title: String,
    pub kind: OfferKind,
    pub status: OfferStatus,
}

/// An offer the user manages.
pub async fn offer(
    db: &DatabaseConnection,
    scope: &Option<Vec<i32>>,
    id: i32,
) -> Result<OfferHead, OfferAdminError> {
    let found = managed_offer(db, scope, id).await?;
    Ok(OfferHead {
        id: found.id,
        slug: found.slug,
        title: found.title,
        kind: found.kind,
        status: found.status,
    })
}

/// The form of an offer the user manages, filled in with what is stored.
pub async fn offer_form(
    db: &DatabaseConnection,
    scope: &Option<Vec<i32>>,
    id: i32,
) -> Result<OfferForm, OfferAdminError> {
    let offer = managed_offer(db, scope, id).await?;
    let support = offer.support_offered.unwrap_or_default();
    let checked = |wanted: Support| {
        let held = support.split(',').any(|k| k == wanted.key());
        if held { "1" } else { "" }.to_owned()
    };
    Ok(OfferForm {
        support_gebaerdensprache: checked(Support::SignLanguage),
        support_hoerschleife: checked(Support::HearingLoop),
        support_begleitung: checked(Support::Companion),
        title: offer.title,
        description: offer.description,
        topic: offer.topic,
        level: offer.level,
        target_group: offer.target_group,
        venue: offer.venue_id.map(|v| v.to_string()).unwrap_or_default(),
        online_url: offer.online_url.unwrap_or_default(),
        what_to_bring: offer.what_to_bring,
        accessibility_notes: offer.accessibility_notes,
        price: format!("{},{:02}", offer.price_cents / 100, offer.price_cents % 100),
        kind: offer.kind.key().to_owned(),
        agenda: offer.agenda.unwrap_or_default(),
        audience: offer.audience.unwrap_or_default(),
        no_registration: if offer.registration_required { "" } else { "1" }.into(),
    })
}

/// A date of an offer the user manages, with its offer.
pub async fn date(
    db: &DatabaseConnection,
    scope: &Option<Vec<i32>>,
    id: i32,
) -> Result<(offer_date::Model, offer::Model), OfferAdminError> {
    let date = offer_date::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(OfferAdminError::NotFound)?;
    let offer = managed_offer(db, scope, date.offer_id).await?;
    Ok((date, offer))
}

/// Organisations the user may create offers for, with their venues.
pub async fn organisations(
    db: &DatabaseConnection,
    scope: &Option<Vec<i32>>,
) -> Result<Vec<(organisation::Model, Vec<venue::Model>)>, DbErr> {
    let mut query = organisation::Entity::find().order_by_asc(organisation::Column::Name);
    if let Some(ids) = scope {
        query = query.filter(organisation::Column::Id.is_in(ids.clone()));
    }
    let mut out = Vec::new();
    for org in query.all(db).await? {
        let venues = venue::Entity::find()
            .filter(venue::Column::OrganisationId.eq(org.id))
            .order_by_asc(venue::Column::Name)
            .all(db)
            .await?;
        out.push((org, venues));
    }
    Ok(out)
}

async fn check_venue(
    db: &DatabaseConnection,
    organisation_id: i32,
    input: &OfferInput,
) -> Result<(), OfferAdminError> {
    if let Some(venue_id) = input.venue_id {
        let owned = venue::Entity::find_by_id(venue_id)
            .one(db)
            .await?
            .is_some_and(|v| v.organisation_id == organisation_id);
        if !owned {
            return Err(OfferAdminError::Refused {
                field: "venue",
                message: "error-venue-invalid",
            });
        }
    }
    Ok(())
}

fn slug_for(title: &str) -> String {
    let mut slug = String::new();
    for c in title.to_lowercase().chars() {
        match c {
            'ä' => slug.push_str("ae"),
            'ö' => slug.push_str("oe"),
            'ü' => slug.push_str("ue"),
            'ß' => slug.push_str("ss"),
            c if c.is_ascii_alphanumeric() => slug.push(c),
            _ if !slug.ends_with('-') && !slug.is_empty() => slug.push('-'),
            _ => {}
        }
    }
    let stem: String = slug.trim_end_matches('-').chars().take(48).collect();
    // A short random tail keeps slugs unique without asking the database first.
    format!(
        "{}-{}",
        stem.trim_end_matches('-'),
        &sessions::random_token()[..6].to_lowercase()
    )
}

pub async fn create(
    db: &DatabaseConnection,
    scope: &Option<Vec<i32>>,
    actor: i32,
    organisation_id: i32,
    input: OfferInput,
) -> Result<i32, OfferAdminError> {
    if !in_scope(scope, organisation_id) {
        return Err(OfferAdminError::NotFound);
    }
    check_venue(db, organisation_id, &input).await?;
    let txn = db.begin().await?;
    let created = offer::ActiveModel {
        slug: Set(slug_for(&input.title)),
        organisation_id: Set(organisation_id),
        kind: Set(input.kind),
        language: Set("de".into()),
        status: Set(OfferStatus::Draft),
        created_at: Set(Utc::now()),
        ..apply(<offer::ActiveModel as Default>::default(), input)
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        Some(actor),
        "offer.create",
        &format!("offer:{}", created.id),
        &created.title,
    )
    .await?;
    txn.commit().await?;
    Ok(created.id)
}

fn apply(mut model: offer::ActiveModel, input: OfferInput) -> offer::ActiveModel {
    model.search_text = Set(search_text(&input.title, &input.description));
    model.title = Set(input.title);
    model.description = Set(input.description);
    model.topic = Set(input.topic.key().to_owned());
    model.level = Set(input.level.key().to_owned());
    model.target_group = Set(input.target_group.key().to_owned());
    model.venue_id = Set(input.venue_id);
    model.online_url = Set(input.online_url.map(|u| u.to_string()));
    model.what_to_bring = Set(input.what_to_bring);
    model.accessibility_notes = Set(input.accessibility_notes);
    model.price_cents = Set(input.price_cents);
    model.agenda = Set(input.agenda);
    model.audience = Set(input.audience);
    model.registration_required = Set(input.registration_required);
    model.support_offered = Set(Some(
        input
            .support
            .iter()
            .map(|s| s.key())
            .collect::<Vec<_>>()
            .join(","),
    )
    .filter(|s| !s.is_empty()));
    model
}

/// Saves the offer; returns whether the place changed, so booked people can be told.
pub async fn update(
    db: &DatabaseConnection,
    scope: &Option<Vec<i32>>,
    actor: i32,
    id: i32,
    input: OfferInput,
) -> Result<bool, OfferAdminError> {
    let existing = managed_offer(db, scope, id).await?;
    check_venue(db, existing.organisation_id, &input).await?;
    let place_changed = existing.venue_id != input.venue_id
        || existing.online_url != input.online_url.as_ref().map(|u| u.to_string());
    let txn = db.begin().await?;
    apply(existing.into(), input).update(&txn).await?;
    audit::record(
        &txn,
        Some(actor),
        "offer.update",
        &format!("offer:{id}"),
        "",
    )
    .await?;
    txn.commit().await?;
    Ok(place_changed)
}

/// `published` shows the offer in the catalogue; `draft` hides it again; `cancelled` ends it.
pub async fn set_status(
    db: &DatabaseConnection,
    scope: &Option<Vec<i32>>,
    actor: i32,
    id: i32,
    status: OfferStatus,
) -> Result<(), OfferAdminError> {
    let existing = managed_offer(db, scope, id).await?;
    let txn = db.begin().await?;
    let mut model: offer::ActiveModel = existing.into();
    model.status = Set(status);
    model.update(&txn).await?;
    audit::record(
        &txn,
        Some(actor),
        &format!("offer.{status}"),
        &format!("offer:{id}"),
        "",
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// A copy as a draft without dates, for next term's course.
pub async fn copy(
    db: &DatabaseConnection,
    scope: &Option<Vec<i32>>,
    actor: i32,
    id: i32,
) -> Result<i32, OfferAdminError> {
    let existing = managed_offer(db, scope, id).await?;
    let txn = db.begin().await?;
    let copy = offer::ActiveModel {
        id: sea_orm::ActiveValue::NotSet,
        slug: Set(slug_for(&existing.title)),
        status: Set(OfferStatus::Draft),
        created_at: Set(Utc::now()),
        ..existing.clone().into()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        Some(actor),
        "offer.copy",
        &format!("offer:{}", copy.id),
        &format!("from offer:{id}"),
    )
    .await?;
    txn.commit().await?;
    Ok(copy.id)
}

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
    let (lead, _) = date(db, scope, lead_id).await?;
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
    let (existing, _) = date(db, scope, date_id).await?;
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

#[derive(Debug, Serialize)]
pub struct Participant {
    pub id: i64,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub places: i32,
    pub status: BookingStatus,
    pub channel: String,
    pub attendance: Option<String>,
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
    let undeliverable = super::undeliverable_mail::undeliverable_among(
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
    date: &offer_date::Model,
) -> Result<Vec<Participant>, DbErr> {
    let Some(lead) = date.series_lead_id else {
        return participants(db, date.id).await;
    };
    let mut rows = participants(db, lead).await?;
    let marks: HashMap<i64, String> = session_attendance::Entity::find()
        .filter(session_attendance::Column::DateId.eq(date.id))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.booking_id, m.attendance))
        .collect();
    for p in &mut rows {
        p.attendance = marks.get(&p.id).cloned();
    }
    Ok(rows)
}

/// [`participants_at`] by the date's id; nobody for a date that no longer exists.
pub async fn participants_of_date(
    db: &DatabaseConnection,
    date_id: i32,
) -> Result<Vec<Participant>, DbErr> {
    match offer_date::Entity::find_by_id(date_id).one(db).await? {
        Some(date) => participants_at(db, &date).await,
        None => Ok(Vec::new()),
    }
}

/// `present`, `absent` or `None` (not yet recorded), for one date; for a later session of a course
/// booked as a whole, for that session.
pub async fn set_attendance(
    db: &DatabaseConnection,
    scope: &Option<Vec<i32>>,
    date_id: i32,
    booking_id: i64,
    attendance: Option<&'static str>,
) -> Result<(), OfferAdminError> {
    let (date, _) = date(db, scope, date_id).await?;
    let Some(lead) = date.series_lead_id else {
        // One conditional statement: a booking cancelled meanwhile gets no attendance.
        let marked = booking::Entity::update_many()
            .col_expr(
                booking::Column::Attendance,
                Expr::value(attendance.map(str::to_owned)),
            )
            .filter(booking::Column::Id.eq(booking_id))
            .filter(booking::Column::DateId.eq(date_id))
            .filter(booking::Column::Status.eq(BookingStatus::Confirmed))
            .exec(db)
            .await?
            .rows_affected;
        if marked == 0 {
            return Err(OfferAdminError::NotFound);
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
    booking::Entity::find_by_id(booking_id)
        .filter(booking::Column::DateId.eq(lead))
        .filter(booking::Column::Status.eq(BookingStatus::Confirmed))
        .one(&txn)
        .await?
        .ok_or(OfferAdminError::NotFound)?;
    match attendance {
        Some(value) => {
            session_attendance::Entity::insert(session_attendance::ActiveModel {
                booking_id: Set(booking_id),
                date_id: Set(date_id),
                attendance: Set(value.to_owned()),
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
    date: &offer_date::Model,
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
    let confirmed: Vec<(i64, i32, Option<String>)> = booking::Entity::find()
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
            let marked: Vec<(i64, &str)> = if d.id == lead_id {
                confirmed
                    .iter()
                    .filter_map(|(id, _, a)| a.as_deref().map(|a| (*id, a)))
                    .collect()
            } else {
                marks
                    .iter()
                    .filter(|m| m.date_id == d.id)
                    .map(|m| (m.booking_id, m.attendance.as_str()))
                    .collect()
            };
            let sum = |value: &str| -> i64 {
                marked
                    .iter()
                    .filter(|(_, a)| *a == value)
                    .filter_map(|(id, _)| places.get(id))
                    .sum()
            };
            let (present, absent) = (sum("present"), sum("absent"));
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
    /// The secret of the person's own page; `None` once anonymised.
    pub manage_token: Option<String>,
    pub anonymised: bool,
}

/// A booking of a date the user manages.
pub async fn booking(
    db: &DatabaseConnection,
    scope: &Option<Vec<i32>>,
    booking_id: i64,
) -> Result<StaffBooking, OfferAdminError> {
    let found = booking_in_scope(db, scope, booking_id).await?;
    Ok(StaffBooking {
        id: found.id,
        date_id: found.date_id,
        name: found.name,
        places: found.places,
        status: found.status,
        email: found.email,
        manage_token: found.manage_token,
        anonymised: found.anonymised_at.is_some(),
    })
}

#[derive(Debug, Serialize)]
pub struct TaskRow {
    pub id: i64,
    pub kind: String,
    pub created_at: DateTime<Utc>,
    pub date_id: Option<i32>,
    pub offer_title: Option<String>,
    pub starts_at: Option<DateTime<Utc>>,
    pub person_name: Option<String>,
    pub person_phone: Option<String>,
}

pub async fn open_tasks(
    db: &DatabaseConnection,
    scope: &Option<Vec<i32>>,
) -> Result<Vec<TaskRow>, DbErr> {
    let mut query = staff_task::Entity::find()
        .filter(staff_task::Column::DoneAt.is_null())
        .order_by_asc(staff_task::Column::Id);
    if let Some(ids) = scope {
        query = query.filter(staff_task::Column::OrganisationId.is_in(ids.clone()));
    }
    let mut rows = Vec::new();
    for task in query.all(db).await? {
        let date = match task.date_id {
            Some(id) => offer_date::Entity::find_by_id(id).one(db).await?,
            None => None,
        };
        let title = match &date {
            Some(d) => offer::Entity::find_by_id(d.offer_id)
                .one(db)
                .await?
                .map(|o| o.title),
            None => None,
        };
        let person = match task.booking_id {
            Some(id) => booking::Entity::find_by_id(id).one(db).await?,
            None => None,
        };
        rows.push(TaskRow {
            id: task.id,
            kind: task.kind,
            created_at: task.created_at,
            date_id: task.date_id,
            offer_title: title,
            starts_at: date.map(|d| d.starts_at),
            person_name: person.as_ref().map(|p| p.name.clone()),
            person_phone: person.and_then(|p| p.phone),
        });
    }
    Ok(rows)
}

pub async fn complete_task(
    db: &DatabaseConnection,
    scope: &Option<Vec<i32>>,
    actor: i32,
    task_id: i64,
) -> Result<(), OfferAdminError> {
    let task = staff_task::Entity::find_by_id(task_id)
        .one(db)
        .await?
        .filter(|t| in_scope(scope, t.organisation_id))
        .ok_or(OfferAdminError::NotFound)?;
    let txn = db.begin().await?;
    let mut model: staff_task::ActiveModel = task.into();
    model.done_at = Set(Some(Utc::now()));
    model.update(&txn).await?;
    audit::record(
        &txn,
        Some(actor),
        "task.done",
        &format!("task:{task_id}"),
        "",
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
