//! The providers' back office: offers and their dates, participant lists, attendance and staff tasks.
//! Every function takes the organisations the user manages and refuses anything outside them.
//! Offers here; their dates in `dates`, participants and attendance in `participants`, staff tasks
//! in `tasks`.
use chrono::{DateTime, Duration, Utc};

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::Serialize;

use super::{audit, sessions};
use crate::policy::in_scope;
use crate::{
    db::entities::{offer, offer_date, organisation, venue},
    domain::offer::{
        DateStatus, OfferForm, OfferInput, OfferKind, OfferStatus, Support, search_text,
    },
};

mod dates;
mod participants;
mod tasks;

use dates::date_seen;
pub use dates::{DateRow, MoveFollowers, add_date, add_session, change_date, dates};
pub use participants::{
    Participant, SessionAttendanceRow, StaffBooking, attendance_by_session, booking,
    booking_in_scope, participants, participants_at, participants_of_date, set_attendance,
};
pub use tasks::{TaskRow, complete_task, open_tasks};

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
    /// Telling the people a change concerns failed (composing their mails); nothing was stored.
    #[error("telling the people concerned: {0}")]
    Telling(#[source] anyhow::Error),
    /// The date changed since its form was opened (see `date_seen`).
    #[error("changed since the form was opened")]
    Changed,
}

impl From<crate::services::booking::BookingError> for OfferAdminError {
    fn from(error: crate::services::booking::BookingError) -> Self {
        match error {
            crate::services::booking::BookingError::Db(e) => Self::Db(e),
            other => Self::Telling(other.into()),
        }
    }
}

impl From<crate::services::volunteering::VolunteeringError> for OfferAdminError {
    fn from(error: crate::services::volunteering::VolunteeringError) -> Self {
        match error {
            crate::services::volunteering::VolunteeringError::Db(e) => Self::Db(e),
            other => Self::Telling(other.into()),
        }
    }
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
    let mut form = form_of(managed_offer(db, scope, id).await?);
    form.seen = offer_seen(&form);
    Ok(form)
}

/// The edit form as the stored offer fills it.
fn form_of(offer: offer::Model) -> OfferForm {
    let support = offer.support_offered.unwrap_or_default();
    let checked = |wanted: Support| {
        let held = support.split(',').any(|k| k == wanted.key());
        if held { "1" } else { "" }.to_owned()
    };
    OfferForm {
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
        seen: String::new(),
    }
}

/// A stamp of the edit form as the stored offer fills it. Two people can have the form open at
/// once: saving the older one would undo the other's changes (a new place announced to everyone
/// booked would be announced back), so [`update`] compares the stamp first.
fn offer_seen(form: &OfferForm) -> String {
    let filled = serde_json::to_string(&OfferForm {
        seen: String::new(),
        ..form.clone()
    })
    .unwrap_or_default();
    crate::domain::form::stamp(&filled)
}

/// A date of an offer the user manages, with what its back-office pages show and prefill of it
/// and of its offer.
#[derive(Debug, Clone, Serialize)]
pub struct ManagedDate {
    pub id: i32,
    /// The first date, when this is a later session of a course booked as a whole.
    pub series_lead_id: Option<i32>,
    pub status: DateStatus,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub capacity: i32,
    pub max_places_per_booking: i32,
    pub min_participants: i32,
    pub walk_in_places: i32,
    pub offer_id: i32,
    pub offer_slug: String,
    pub offer_title: String,
    pub organisation_id: i32,
    pub venue_id: Option<i32>,
    /// The date as its edit form was filled; a change saved from an older form is refused.
    pub seen: String,
}

/// A date of an offer the user manages.
pub async fn date(
    db: &DatabaseConnection,
    scope: &Option<Vec<i32>>,
    id: i32,
) -> Result<ManagedDate, OfferAdminError> {
    let date = offer_date::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(OfferAdminError::NotFound)?;
    let offer = managed_offer(db, scope, date.offer_id).await?;
    Ok(ManagedDate {
        seen: date_seen(&date),
        id: date.id,
        series_lead_id: date.series_lead_id,
        status: date.status,
        starts_at: date.starts_at,
        ends_at: date.ends_at,
        capacity: date.capacity,
        max_places_per_booking: date.max_places_per_booking,
        min_participants: date.min_participants,
        walk_in_places: date.walk_in_places,
        offer_id: offer.id,
        offer_slug: offer.slug,
        offer_title: offer.title,
        organisation_id: offer.organisation_id,
        venue_id: offer.venue_id,
    })
}

/// The organisations a user may create offers and volunteer sessions for, with their venues, as
/// the choices of a form: `(id, label)`, a venue labelled "name, town (organisation)".
#[derive(Debug, Default, Serialize)]
pub struct OrganisationChoices {
    pub organisations: Vec<(String, String)>,
    pub venues: Vec<(String, String)>,
}

impl OrganisationChoices {
    /// The organisation a form means: the only one there is, or the one chosen if it is a choice.
    pub fn chosen(&self, raw: &str) -> Option<i32> {
        let ids = || {
            self.organisations
                .iter()
                .map(|(id, _)| id.parse::<i32>().ok())
        };
        match self.organisations.as_slice() {
            [_] => ids().next().flatten(),
            _ => raw
                .parse::<i32>()
                .ok()
                .filter(|id| ids().any(|o| o == Some(*id))),
        }
    }
}

/// Organisations the user may create offers for, with their venues.
pub async fn organisations(
    db: &DatabaseConnection,
    scope: &Option<Vec<i32>>,
) -> Result<OrganisationChoices, DbErr> {
    let mut query = organisation::Entity::find().order_by_asc(organisation::Column::Name);
    if let Some(ids) = scope {
        query = query.filter(organisation::Column::Id.is_in(ids.clone()));
    }
    let mut choices = OrganisationChoices::default();
    for org in query.all(db).await? {
        let venues = venue::Entity::find()
            .filter(venue::Column::OrganisationId.eq(org.id))
            .order_by_asc(venue::Column::Name)
            .all(db)
            .await?;
        choices.venues.extend(venues.into_iter().map(|v| {
            let label = format!("{}, {} ({})", v.name, v.town, org.name);
            (v.id.to_string(), label)
        }));
        choices.organisations.push((org.id.to_string(), org.name));
    }
    Ok(choices)
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
    let txn = crate::db::begin_write(db).await?;
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

/// Saves the offer if it is still as `seen` (its [`offer_seen`] stamp when the form was filled);
/// returns whether the place changed, so booked people can be told.
pub async fn update(
    db: &DatabaseConnection,
    scope: &Option<Vec<i32>>,
    actor: i32,
    id: i32,
    input: OfferInput,
    seen: &str,
    bookings: &crate::services::booking::Desk,
) -> Result<bool, OfferAdminError> {
    let existing = managed_offer(db, scope, id).await?;
    check_venue(db, existing.organisation_id, &input).await?;
    let txn = crate::db::begin_write(db).await?;
    // Read again and locked in the transaction: the comparison decides who is told, and a second
    // save on another instance waits for this one and then finds the stamp changed.
    let existing = offer::Entity::find_by_id(id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or(OfferAdminError::NotFound)?;
    if offer_seen(&form_of(existing.clone())) != seen {
        return Err(OfferAdminError::Changed);
    }
    let place_changed = existing.venue_id != input.venue_id
        || existing.online_url != input.online_url.as_ref().map(|u| u.to_string());
    let venues = (existing.venue_id, input.venue_id);
    apply(existing.into(), input).update(&txn).await?;
    if place_changed {
        announce_new_place(&txn, bookings, id, venues).await?;
    }
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

/// The offer's coming dates get a new revision (so calendar entries are replaced and a booking
/// made with the old place in view is asked to look again), and everyone booked is told once: a
/// course's people by its first date's mail, unless the course is under way, then by each coming
/// session's. Helper sessions of those dates held at the old venue move to the new one, and their
/// helpers are told (`venues`: the venue before and after).
async fn announce_new_place(
    txn: &crate::db::WriteTransaction,
    bookings: &crate::services::booking::Desk,
    offer_id: i32,
    venues: (Option<i32>, Option<i32>),
) -> Result<(), OfferAdminError> {
    let now = Utc::now();
    let coming = offer_date::Entity::find()
        .filter(offer_date::Column::OfferId.eq(offer_id))
        .filter(offer_date::Column::StartsAt.gt(now))
        .filter(offer_date::Column::Status.ne(DateStatus::Cancelled))
        .order_by_asc(offer_date::Column::StartsAt)
        .all(txn)
        .await?;
    offer_date::Entity::update_many()
        .col_expr(
            offer_date::Column::Revision,
            Expr::col(offer_date::Column::Revision).add(1),
        )
        .filter(offer_date::Column::Id.is_in(coming.iter().map(|d| d.id)))
        .exec(txn)
        .await?;
    let announced_leads: std::collections::HashSet<i32> = coming
        .iter()
        .filter(|d| d.series_lead_id.is_none())
        .map(|d| d.id)
        .collect();
    for date in &coming {
        let lead_told = date
            .series_lead_id
            .is_some_and(|lead| announced_leads.contains(&lead));
        if !lead_told {
            bookings.announce_change_in(txn, date.id, now).await?;
        }
    }
    // A course that goes online keeps its helper sessions where they are: where helpers meet
    // then is the coordinator's to decide.
    if let (Some(from), Some(to)) = venues {
        let to = venue::Entity::find_by_id(to)
            .one(txn)
            .await?
            .ok_or(OfferAdminError::NotFound)?;
        let helpers = crate::services::volunteering::PlanningDesk {
            db: bookings.db.clone(),
            composer: bookings.composer.clone(),
        };
        let date_ids: Vec<i32> = coming.iter().map(|d| d.id).collect();
        helpers.move_with_venue(txn, &date_ids, from, &to).await?;
    }
    Ok(())
}

/// `published` shows the offer in the catalogue; `draft` hides it again; `cancelled` ends it. Only
/// the changes [`OfferStatus::may_become`] allows are made, and with `shown` (the state the page
/// showed its button in) only from that state: a button left on an older page does nothing to an
/// offer someone cancelled or published meanwhile. Already in `status`, nothing changes.
pub async fn set_status(
    db: &DatabaseConnection,
    scope: &Option<Vec<i32>>,
    actor: i32,
    id: i32,
    shown: Option<OfferStatus>,
    status: OfferStatus,
) -> Result<(), OfferAdminError> {
    managed_offer(db, scope, id).await?;
    let txn = crate::db::begin_write(db).await?;
    let existing = locked_offer(&txn, id).await?;
    change_status(&txn, existing, actor, shown, status).await?;
    txn.commit().await?;
    Ok(())
}

async fn locked_offer(txn: &DatabaseTransaction, id: i32) -> Result<offer::Model, OfferAdminError> {
    offer::Entity::find_by_id(id)
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or(OfferAdminError::NotFound)
}

/// [`set_status`] on the offer `existing`, locked in `txn`.
async fn change_status(
    txn: &DatabaseTransaction,
    existing: offer::Model,
    actor: i32,
    shown: Option<OfferStatus>,
    status: OfferStatus,
) -> Result<(), OfferAdminError> {
    let id = existing.id;
    if existing.status == status {
        return Ok(());
    }
    if !existing.status.may_become(status) || shown.is_some_and(|shown| shown != existing.status) {
        return Err(OfferAdminError::Refused {
            field: "status",
            message: "error-offer-status-changed",
        });
    }
    let mut model: offer::ActiveModel = existing.into();
    model.status = Set(status);
    model.update(txn).await?;
    audit::record(
        txn,
        Some(actor),
        &format!("offer.{status}"),
        &format!("offer:{id}"),
        "",
    )
    .await?;
    Ok(())
}

/// Cancels the whole offer: every upcoming date is cancelled (everyone booked is told), a course
/// booked as a whole that began already loses the sessions still ahead, and the offer leaves the
/// catalogue. Each date is cancelled in its own transaction; after a failure half-way the offer
/// is still shown as it was, and cancelling it again goes on with the dates left.
pub async fn cancel_offer(
    db: &DatabaseConnection,
    bookings: &crate::services::booking::Desk,
    scope: &Option<Vec<i32>>,
    actor: i32,
    id: i32,
    now: chrono::DateTime<Utc>,
) -> Result<(), OfferAdminError> {
    managed_offer(db, scope, id).await?;
    // The offer is cancelled only under its lock and with no date left ahead, and adding a date
    // waits for that lock (the catalogue's trigger reads the offer). A date another person added
    // while the dates were being cancelled, and perhaps booked, is cancelled in the next round.
    for _ in 0..CANCEL_ROUNDS {
        cancel_dates_ahead(bookings, &dates(db, id).await?, actor, now).await?;
        let txn = crate::db::begin_write(db).await?;
        let existing = locked_offer(&txn, id).await?;
        if dates_ahead(&txn, id, now).await? {
            continue;
        }
        change_status(&txn, existing, actor, None, OfferStatus::Cancelled).await?;
        txn.commit().await?;
        return Ok(());
    }
    Err(OfferAdminError::Refused {
        field: "status",
        message: "error-offer-status-changed",
    })
}

/// Rounds of [`cancel_offer`] before it gives up on dates being added all the time.
const CANCEL_ROUNDS: usize = 5;

/// Whether the offer has a date ahead that is not cancelled, or a course that began with a session
/// still ahead.
async fn dates_ahead(
    txn: &DatabaseTransaction,
    offer_id: i32,
    now: chrono::DateTime<Utc>,
) -> Result<bool, DbErr> {
    Ok(offer_date::Entity::find()
        .filter(offer_date::Column::OfferId.eq(offer_id))
        .filter(offer_date::Column::StartsAt.gt(now))
        .filter(offer_date::Column::Status.ne(DateStatus::Cancelled))
        .one(txn)
        .await?
        .is_some())
}

/// Cancels the dates ahead among `dates` (read before, so possibly stale), each in a transaction of
/// its own; a course that began loses the sessions still ahead.
async fn cancel_dates_ahead(
    bookings: &crate::services::booking::Desk,
    dates: &[DateRow],
    actor: i32,
    now: chrono::DateTime<Utc>,
) -> Result<(), OfferAdminError> {
    use crate::services::booking::BookingError;
    // Courses that began with sessions still ahead: those sessions are cancelled.
    let running: std::collections::HashSet<i32> = dates
        .iter()
        .filter(|d| d.starts_at > now && !d.status.is_cancelled())
        .filter_map(|d| d.series_lead_id)
        .collect();
    // Sessions go with their course's first date.
    for date in dates.iter().filter(|d| d.series_lead_id.is_none()) {
        if date.status.is_cancelled() {
            continue;
        }
        let cancelled = if date.starts_at > now {
            bookings.cancel_date(date.id, now, Some(actor)).await
        } else if running.contains(&date.id) {
            bookings.stop_course(date.id, now, Some(actor)).await
        } else {
            continue;
        };
        match cancelled {
            // It began meanwhile: what is ahead of it goes.
            Err(BookingError::Begun) => bookings.stop_course(date.id, now, Some(actor)).await?,
            other => other?,
        };
    }
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
    let txn = crate::db::begin_write(db).await?;
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
