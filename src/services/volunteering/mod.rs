//! FSJ-Digital volunteering: coordinators (provider staff and municipality editors, scoped to their
//! organisations) plan sessions that need helpers; volunteers sign up and withdraw, see their sessions
//! in a private calendar feed, record attendance and session notes, and log their hours for approval.
//! One desk per use case, each holding only what it needs: `planning` (coordinators' sessions),
//! `sign_up` (volunteers' sign-ups), `session` (one session's page: access, helpers, notes), `hours`
//! (logging and approving hours), `feeds` (private calendar feeds) and `reminders` (coverage gaps).
//! This module holds the view types and the queries they share.
//!
//! Sign-ups are race-free like bookings: the session row is locked in a write transaction (PostgreSQL
//! `FOR UPDATE`, SQLite `BEGIN IMMEDIATE`) and the counter moves only by a conditional update that
//! cannot pass the number of helpers needed.
use std::{borrow::Cow, collections::HashMap};

use chrono::{DateTime, Duration, Utc};
use fluent_templates::fluent_bundle::FluentValue;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, sea_query::LockType,
};
use serde::Serialize;

use crate::{
    db::{
        entities::{
            district, offer, offer_date, organisation, user, user_role, venue, volunteer_hours,
            volunteer_shift, volunteer_signup,
        },
        lookup,
    },
    domain::{
        Email, Language, Role,
        volunteering::{HoursStatus, ShiftKind, ShiftStatus, SignupStatus, helpers_needed},
    },
    i18n::{DateStyle, format_instant},
    policy::in_scope,
};

mod feeds;
mod hours;
mod planning;
mod reminders;
mod session;
mod sign_up;

pub use feeds::FeedDesk;
pub use hours::HoursDesk;
pub use planning::PlanningDesk;
pub use reminders::ReminderDesk;
pub use session::SessionDesk;
pub use sign_up::{Leaving, SignUpDesk};

/// Coordinators see gaps this far ahead, and are reminded of them.
pub const GAP_HORIZON: Duration = Duration::days(14);

#[derive(Debug, thiserror::Error)]
pub enum VolunteeringError {
    /// A problem with a form field, as a message id.
    #[error("{field}: {message}")]
    Field {
        field: &'static str,
        message: &'static str,
    },
    #[error("no such session, or not yours")]
    NotFound,
    /// The volunteer role was revoked while the request was on its way.
    #[error("no longer a volunteer")]
    NoLongerVolunteer,
    /// Refused as a whole; the message id says why (full, already signed up, started …).
    #[error("refused: {0}")]
    Refused(&'static str),
    /// The session changed since its form was opened (see [`shift_seen`]).
    #[error("changed since the form was opened")]
    Changed,
    #[error("database: {0}")]
    Db(#[from] DbErr),
    #[error("composing a mail: {0}")]
    Mail(#[from] anyhow::Error),
}

fn field(field: &'static str, message: &'static str) -> VolunteeringError {
    VolunteeringError::Field { field, message }
}

/// A session as lists and pages show it.
#[derive(Debug, Clone, Serialize)]
pub struct ShiftRow {
    pub id: i32,
    pub organisation_id: i32,
    pub organisation_name: String,
    pub title: String,
    pub kind: ShiftKind,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// Venue name and detail, or the described place.
    pub place: String,
    pub town: String,
    pub district_key: String,
    pub district_name: String,
    pub skills: String,
    pub status: ShiftStatus,
    pub needed: i32,
    pub signed_up: i32,
    /// Helpers still missing (0 when covered).
    pub missing: i32,
    pub offer_date_id: Option<i32>,
    /// The date that holds the bookings: the linked date, or for a later session of a course booked
    /// as a whole its first date.
    pub booking_date_id: Option<i32>,
    pub offer_title: Option<String>,
    pub participants: Option<i32>,
    pub participants_per_helper: Option<i32>,
    pub volunteers_needed: i32,
    pub venue_id: Option<i32>,
    pub place_detail: String,
    /// The session as its edit form was filled from; a change saved from an older form is refused.
    pub seen: String,
    /// The current user holds an active sign-up.
    pub mine: bool,
    /// The session has begun (or is over).
    pub started: bool,
}

/// Who may do what on one session page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    Coordinator,
    Volunteer,
}

#[derive(Debug, Serialize)]
pub struct Helper {
    pub user_id: i32,
    pub name: String,
    pub email: String,
    /// The language of the helper's mails.
    pub language: Language,
    pub signed_up_at: DateTime<Utc>,
}

#[derive(Debug, Serialize)]
pub struct HoursLine {
    pub id: i64,
    pub user_id: i32,
    pub volunteer: String,
    pub shift_id: i32,
    pub shift_title: String,
    pub organisation_name: String,
    pub started_at: DateTime<Utc>,
    pub ended_at: DateTime<Utc>,
    pub minutes: i32,
    /// The minutes as decimal hours, as certificates and spreadsheets show them.
    pub hours: f64,
    pub status: HoursStatus,
    /// The entry as the coordinator saw it; a decision on an entry changed since is refused.
    pub seen: String,
    /// The session was cancelled: the hours can only be rejected.
    pub shift_cancelled: bool,
}

/// A stamp of everything the edit form of a session changes. A session can change while its form is
/// open (its course date moved, another coordinator saved): saving the older form would undo that
/// without anyone noticing, so [`PlanningDesk::update`] compares the stamp first.
fn shift_seen(shift: &volunteer_shift::Model) -> String {
    let shown = format!(
        "{}|{:?}|{:?}|{}|{}|{}|{}|{}|{}|{}|{:?}|{}|{}",
        shift.organisation_id,
        shift.offer_date_id,
        shift.venue_id,
        shift.kind.key(),
        shift.title,
        shift.place,
        shift.district_key,
        shift.starts_at.timestamp(),
        shift.ends_at.timestamp(),
        shift.volunteers_needed,
        shift.participants_per_helper,
        shift.skills,
        shift.status.key(),
    );
    crate::domain::form::stamp(&shown)
}

/// What a decision on hours names of the entry, so a correction made after the page was loaded
/// is not approved unseen.
pub fn hours_seen(started_at: DateTime<Utc>, ended_at: DateTime<Utc>) -> String {
    format!("{}-{}", started_at.timestamp(), ended_at.timestamp())
}

/// Approved hours of one volunteer in one month.
#[derive(Debug, Serialize)]
pub struct MonthSummary {
    pub user_id: i32,
    pub volunteer: String,
    pub lines: Vec<HoursLine>,
    pub minutes: i32,
    pub hours: f64,
}

#[derive(Debug, Serialize)]
pub struct ReportView {
    /// The notes as the form was filled from them; a save from an older form is refused.
    pub seen: String,
    pub head_count: Option<i32>,
    pub walk_ins: i32,
    pub topics: Vec<String>,
    pub questions: String,
    pub updated_at: DateTime<Utc>,
}

/// Turns sessions into rows, with everything a list shows, in one query per table.
async fn rows(
    db: &DatabaseConnection,
    shifts: Vec<volunteer_shift::Model>,
    viewer: Option<i32>,
) -> Result<Vec<ShiftRow>, DbErr> {
    if shifts.is_empty() {
        return Ok(vec![]);
    }
    let orgs: HashMap<i32, String> = organisation::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    let districts: HashMap<String, String> = district::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|d| (d.key, d.name))
        .collect();
    let venue_ids = shifts.iter().filter_map(|s| s.venue_id);
    let venues = lookup(db, venue::Column::Id, venue_ids, |v| (v.id, v)).await?;
    let now = Utc::now();
    let date_ids = shifts.iter().filter_map(|s| s.offer_date_id);
    let dates = lookup(db, offer_date::Column::Id, date_ids, |d| (d.id, d)).await?;
    // Later sessions of a course booked as a whole carry no bookings: their people are the lead's.
    let lead_ids = dates.values().filter_map(|d| d.series_lead_id);
    let leads = lookup(db, offer_date::Column::Id, lead_ids, |d| {
        (d.id, d.booked_places)
    })
    .await?;
    let offer_ids = dates.values().map(|d| d.offer_id);
    let offers = lookup(db, offer::Column::Id, offer_ids, |o| (o.id, o.title)).await?;
    let mine: Vec<i32> = match viewer {
        Some(user_id) => volunteer_signup::Entity::find()
            .filter(volunteer_signup::Column::UserId.eq(user_id))
            .filter(volunteer_signup::Column::Status.eq(SignupStatus::Active))
            .all(db)
            .await?
            .into_iter()
            .map(|s| s.shift_id)
            .collect(),
        None => vec![],
    };
    Ok(shifts
        .into_iter()
        .map(|s| {
            let date = s.offer_date_id.and_then(|id| dates.get(&id));
            let participants = date.map(|d| match d.series_lead_id {
                Some(lead) => leads.get(&lead).copied().unwrap_or(0),
                None => d.booked_places,
            });
            let needed = helpers_needed(
                s.volunteers_needed,
                s.participants_per_helper,
                participants.unwrap_or(0),
            );
            let venue = s.venue_id.and_then(|id| venues.get(&id));
            let place = match (venue, s.place.as_str()) {
                (Some(v), "") => v.name.clone(),
                (Some(v), detail) => format!("{}, {detail}", v.name),
                (None, place) => place.to_owned(),
            };
            let seen = shift_seen(&s);
            ShiftRow {
                id: s.id,
                organisation_id: s.organisation_id,
                organisation_name: orgs.get(&s.organisation_id).cloned().unwrap_or_default(),
                title: s.title,
                kind: s.kind,
                starts_at: s.starts_at,
                ends_at: s.ends_at,
                place,
                town: venue.map(|v| v.town.clone()).unwrap_or_default(),
                district_name: districts.get(&s.district_key).cloned().unwrap_or_default(),
                district_key: s.district_key,
                skills: s.skills,
                status: s.status,
                needed,
                signed_up: s.signed_up,
                missing: Ord::max(needed - s.signed_up, 0),
                offer_date_id: s.offer_date_id,
                booking_date_id: date.map(|d| d.series_lead_id.unwrap_or(d.id)),
                offer_title: date.and_then(|d| offers.get(&d.offer_id).cloned()),
                participants,
                participants_per_helper: s.participants_per_helper,
                volunteers_needed: s.volunteers_needed,
                venue_id: s.venue_id,
                seen,
                place_detail: s.place,
                mine: mine.contains(&s.id),
                started: s.starts_at <= now,
            }
        })
        .collect())
}

/// Open sessions in the next two weeks that still lack helpers.
async fn gaps(
    db: &DatabaseConnection,
    scope: &Option<Vec<i32>>,
    now: DateTime<Utc>,
) -> Result<Vec<ShiftRow>, DbErr> {
    let mut query = volunteer_shift::Entity::find()
        .filter(volunteer_shift::Column::Status.eq(ShiftStatus::Open))
        .filter(volunteer_shift::Column::StartsAt.gt(now))
        .filter(volunteer_shift::Column::StartsAt.lte(now + GAP_HORIZON))
        .order_by_asc(volunteer_shift::Column::StartsAt);
    if let Some(ids) = scope {
        query = query.filter(volunteer_shift::Column::OrganisationId.is_in(ids.clone()));
    }
    Ok(rows(db, query.all(db).await?, None)
        .await?
        .into_iter()
        .filter(|r| r.missing > 0)
        .collect())
}

/// The volunteer's sessions: active sign-ups and sessions with logged hours, newest last.
async fn sessions_of(db: &DatabaseConnection, user_id: i32) -> Result<Vec<ShiftRow>, DbErr> {
    let mut ids: Vec<i32> = volunteer_signup::Entity::find()
        .filter(volunteer_signup::Column::UserId.eq(user_id))
        .filter(volunteer_signup::Column::Status.eq(SignupStatus::Active))
        .all(db)
        .await?
        .into_iter()
        .map(|s| s.shift_id)
        .collect();
    ids.extend(
        volunteer_hours::Entity::find()
            .filter(volunteer_hours::Column::UserId.eq(user_id))
            .all(db)
            .await?
            .into_iter()
            .map(|h| h.shift_id),
    );
    let shifts = volunteer_shift::Entity::find()
        .filter(volunteer_shift::Column::Id.is_in(ids))
        .order_by_asc(volunteer_shift::Column::StartsAt)
        .all(db)
        .await?;
    rows(db, shifts, Some(user_id)).await
}

/// "Dienstag, 8. Dezember 2026, 14:30" in mails.
fn when(at: DateTime<Utc>, lang: Language) -> String {
    format!(
        "{}, {}",
        format_instant(at, lang, DateStyle::Date),
        format_instant(at, lang, DateStyle::Time)
    )
}

fn shift_args(
    title: &str,
    starts_at: DateTime<Utc>,
    lang: Language,
) -> HashMap<Cow<'static, str>, FluentValue<'static>> {
    let mut args = HashMap::new();
    args.insert("title".into(), FluentValue::from(title.to_owned()));
    args.insert("when".into(), FluentValue::from(when(starts_at, lang)));
    args
}

/// Whether the account still holds the volunteer role, its row locked until the transaction ends.
/// Revoking the role locks the same row first, so a sign-up (or a new calendar link) and a
/// revocation at the same moment come one after the other: the revocation's withdrawal sees the
/// sign-up, or the sign-up sees the role gone. The route's permission check was made before.
/// (`NO KEY UPDATE`: rows that refer to the account, a booking made signed in, need not wait.)
pub(crate) async fn still_a_volunteer(
    txn: &impl ConnectionTrait,
    user_id: i32,
) -> Result<bool, DbErr> {
    if user::Entity::find_by_id(user_id)
        .lock(LockType::NoKeyUpdate)
        .one(txn)
        .await?
        .is_none()
    {
        return Ok(false);
    }
    holds_volunteer_role(txn, user_id).await
}

/// Whether the account holds the volunteer role now.
pub(crate) async fn holds_volunteer_role(
    conn: &impl ConnectionTrait,
    user_id: i32,
) -> Result<bool, DbErr> {
    Ok(user_role::Entity::find()
        .filter(user_role::Column::UserId.eq(user_id))
        .filter(user_role::Column::Role.eq(Role::Volunteer.as_str()))
        .one(conn)
        .await?
        .is_some())
}

/// The session, locked until the transaction ends: every change to it, its sign-ups, hours and
/// notes holds this lock first, so two of them (or a double click) run one after the other.
async fn locked_shift(
    txn: &impl ConnectionTrait,
    id: i32,
) -> Result<Option<volunteer_shift::Model>, DbErr> {
    volunteer_shift::Entity::find_by_id(id)
        .lock_exclusive()
        .one(txn)
        .await
}

/// [`locked_shift`], for a coordinator: only a session of the organisations in `scope`.
async fn locked_shift_in_scope(
    txn: &impl ConnectionTrait,
    scope: &Option<Vec<i32>>,
    id: i32,
) -> Result<volunteer_shift::Model, VolunteeringError> {
    locked_shift(txn, id)
        .await?
        .filter(|s| in_scope(scope, s.organisation_id))
        .ok_or(VolunteeringError::NotFound)
}

async fn participants_of(conn: &impl ConnectionTrait, date_id: Option<i32>) -> Result<i32, DbErr> {
    let Some(date_id) = date_id else {
        return Ok(0);
    };
    let Some(date) = offer_date::Entity::find_by_id(date_id).one(conn).await? else {
        return Ok(0);
    };
    match date.series_lead_id {
        Some(lead) => Ok(offer_date::Entity::find_by_id(lead)
            .one(conn)
            .await?
            .map_or(0, |d| d.booked_places)),
        None => Ok(date.booked_places),
    }
}

async fn helpers_of(conn: &impl ConnectionTrait, shift_id: i32) -> Result<Vec<Helper>, DbErr> {
    let signups = volunteer_signup::Entity::find()
        .filter(volunteer_signup::Column::ShiftId.eq(shift_id))
        .filter(volunteer_signup::Column::Status.eq(SignupStatus::Active))
        .order_by_asc(volunteer_signup::Column::SignedUpAt)
        .all(conn)
        .await?;
    let user_ids = signups.iter().map(|s| s.user_id);
    let users = lookup(conn, user::Column::Id, user_ids, |u| (u.id, u)).await?;
    Ok(signups
        .into_iter()
        .filter_map(|s| {
            let u = users.get(&s.user_id)?;
            Some(Helper {
                user_id: u.id,
                name: u.display_name.clone(),
                email: u.email.clone(),
                language: account_language(u),
                signed_up_at: s.signed_up_at,
            })
        })
        .collect())
}

/// Addresses of the people who coordinate an organisation's volunteers.
async fn coordinators_of(
    conn: &impl ConnectionTrait,
    organisation_id: i32,
) -> Result<Vec<(Email, Language)>, DbErr> {
    let user_ids: Vec<i32> = user_role::Entity::find()
        .filter(user_role::Column::OrganisationId.eq(organisation_id))
        .filter(user_role::Column::Role.is_in([
            Role::ProviderStaff.as_str(),
            Role::MunicipalityEditor.as_str(),
        ]))
        .select_only()
        .column(user_role::Column::UserId)
        .into_tuple()
        .all(conn)
        .await?;
    Ok(user::Entity::find()
        .filter(user::Column::Id.is_in(user_ids))
        .order_by_asc(user::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .filter_map(|u| Some((Email::parse(&u.email).ok()?, account_language(&u))))
        .collect())
}

/// The language the person chose for their mails (German until they choose).
fn account_language(user: &user::Model) -> Language {
    user.language
        .as_deref()
        .and_then(Language::from_code)
        .unwrap_or_default()
}
