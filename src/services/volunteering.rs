//! FSJ-Digital volunteering: coordinators (provider staff and municipality editors, scoped to their
//! organisations) plan sessions that need helpers; volunteers sign up and withdraw, see their sessions
//! in a private calendar feed, record attendance and session notes, and log their hours for approval.
//!
//! Sign-ups are race-free like bookings: the session row is locked in a write transaction (PostgreSQL
//! `FOR UPDATE`, SQLite `BEGIN IMMEDIATE`) and the counter moves only by a conditional update that
//! cannot pass the number of helpers needed.
use std::{borrow::Cow, collections::HashMap};

use chrono::{DateTime, Duration, Utc};
use fluent_templates::fluent_bundle::FluentValue;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
    sea_query::{Expr, ExprTrait},
};
use serde::Serialize;

use super::{
    audit,
    sessions::{hash_token, random_token},
};
use crate::{
    calendar::{self, CalendarEvent},
    db::entities::{
        district, offer, offer_date, organisation, session_report, user, user_role, venue,
        volunteer_feed, volunteer_hours, volunteer_shift, volunteer_signup,
    },
    domain::{
        Email, Language, Role,
        volunteering::{
            HoursStatus, Month, SessionReport, ShiftInput, ShiftKind, ShiftPlace, ShiftStatus,
            SignupStatus, WorkedTime, helpers_needed,
        },
    },
    i18n::{DateStyle, format_instant},
    mail::{self, compose::Composer},
};
use crate::{db::begin_write, policy::in_scope};

/// Coordinators see gaps this far ahead, and are reminded of them.
pub const GAP_HORIZON: Duration = Duration::days(14);
/// A gap is reminded of at most once a day.
const GAP_REMINDER_EVERY: Duration = Duration::hours(24);

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
    /// Refused as a whole; the message id says why (full, already signed up, started …).
    #[error("refused: {0}")]
    Refused(&'static str),
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
    pub head_count: Option<i32>,
    pub walk_ins: i32,
    pub topics: Vec<String>,
    pub questions: String,
    pub updated_at: DateTime<Utc>,
}

#[derive(Clone)]
pub struct VolunteerDesk {
    pub db: DatabaseConnection,
    pub composer: Composer,
    /// Withdrawing later than this before the start tells the coordinators.
    pub min_notice: Duration,
}

impl VolunteerDesk {
    /// Turns sessions into rows, with everything a list shows, in one query per table.
    async fn rows(
        &self,
        shifts: Vec<volunteer_shift::Model>,
        viewer: Option<i32>,
    ) -> Result<Vec<ShiftRow>, DbErr> {
        if shifts.is_empty() {
            return Ok(vec![]);
        }
        let db = &self.db;
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
        let venue_ids: Vec<i32> = shifts.iter().filter_map(|s| s.venue_id).collect();
        let venues: HashMap<i32, venue::Model> = venue::Entity::find()
            .filter(venue::Column::Id.is_in(venue_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|v| (v.id, v))
            .collect();
        let now = Utc::now();
        let date_ids: Vec<i32> = shifts.iter().filter_map(|s| s.offer_date_id).collect();
        let dates: HashMap<i32, offer_date::Model> = offer_date::Entity::find()
            .filter(offer_date::Column::Id.is_in(date_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|d| (d.id, d))
            .collect();
        // Later sessions of a course booked as a whole carry no bookings: their people are the lead's.
        let lead_ids: Vec<i32> = dates.values().filter_map(|d| d.series_lead_id).collect();
        let leads: HashMap<i32, i32> = offer_date::Entity::find()
            .filter(offer_date::Column::Id.is_in(lead_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|d| (d.id, d.booked_places))
            .collect();
        let offer_ids: Vec<i32> = dates.values().map(|d| d.offer_id).collect();
        let offers: HashMap<i32, String> = offer::Entity::find()
            .filter(offer::Column::Id.is_in(offer_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|o| (o.id, o.title))
            .collect();
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
                    place_detail: s.place,
                    mine: mine.contains(&s.id),
                    started: s.starts_at <= now,
                }
            })
            .collect())
    }

    pub async fn shift(&self, id: i32, viewer: Option<i32>) -> Result<ShiftRow, VolunteeringError> {
        let found = volunteer_shift::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .ok_or(VolunteeringError::NotFound)?;
        self.rows(vec![found], viewer)
            .await?
            .pop()
            .ok_or(VolunteeringError::NotFound)
    }

    /// What the user may do on a session's page: coordinate it (their organisation's), or help at it
    /// (an active sign-up); anybody else gets "not found".
    pub async fn access(
        &self,
        shift: &ShiftRow,
        user_id: i32,
        coordinates: &Option<Vec<i32>>,
        is_coordinator: bool,
    ) -> Result<Access, VolunteeringError> {
        if is_coordinator && in_scope(coordinates, shift.organisation_id) {
            return Ok(Access::Coordinator);
        }
        if shift.mine || self.has_hours(shift.id, user_id).await? {
            return Ok(Access::Volunteer);
        }
        Err(VolunteeringError::NotFound)
    }

    async fn has_hours(&self, shift_id: i32, user_id: i32) -> Result<bool, DbErr> {
        Ok(volunteer_hours::Entity::find()
            .filter(volunteer_hours::Column::ShiftId.eq(shift_id))
            .filter(volunteer_hours::Column::UserId.eq(user_id))
            .one(&self.db)
            .await?
            .is_some())
    }

    /// Resolves the place and checks the organisation, venue and linked date against the scope.
    async fn resolve(
        &self,
        scope: &Option<Vec<i32>>,
        input: &ShiftInput,
    ) -> Result<(i32, Option<i32>, String, String), VolunteeringError> {
        let db = &self.db;
        let date_org = match input.offer_date_id {
            Some(date_id) => {
                let date = offer_date::Entity::find_by_id(date_id)
                    .one(db)
                    .await?
                    .ok_or_else(|| field("date", "error-choice-invalid"))?;
                let offer = offer::Entity::find_by_id(date.offer_id)
                    .one(db)
                    .await?
                    .filter(|o| in_scope(scope, o.organisation_id))
                    .ok_or_else(|| field("date", "error-choice-invalid"))?;
                Some(offer.organisation_id)
            }
            None => None,
        };
        let organisation_id = match (date_org, input.organisation_id) {
            (Some(org), _) => org,
            (None, Some(org)) if in_scope(scope, org) => org,
            (None, Some(_)) => return Err(field("organisation", "error-choice-invalid")),
            (None, None) => match scope.as_deref() {
                Some([only]) => *only,
                _ => return Err(field("organisation", "error-organisation-missing")),
            },
        };
        if organisation::Entity::find_by_id(organisation_id)
            .one(db)
            .await?
            .is_none()
        {
            return Err(field("organisation", "error-choice-invalid"));
        }
        match &input.place {
            ShiftPlace::Venue { id, detail } => {
                let venue = venue::Entity::find_by_id(*id)
                    .one(db)
                    .await?
                    .filter(|v| v.organisation_id == organisation_id)
                    .ok_or_else(|| field("venue", "error-venue-invalid"))?;
                Ok((
                    organisation_id,
                    Some(venue.id),
                    detail.clone(),
                    venue.district_key,
                ))
            }
            ShiftPlace::Elsewhere { place, district } => {
                let known = district::Entity::find_by_id(district.as_str().to_owned())
                    .one(db)
                    .await?
                    .is_some();
                if !known {
                    return Err(field("district", "error-district-invalid"));
                }
                Ok((organisation_id, None, place.clone(), district.to_string()))
            }
        }
    }

    pub async fn create(
        &self,
        scope: &Option<Vec<i32>>,
        input: ShiftInput,
        by: i32,
        now: DateTime<Utc>,
    ) -> Result<i32, VolunteeringError> {
        let (organisation_id, venue_id, place, district_key) = self.resolve(scope, &input).await?;
        let txn = self.db.begin().await?;
        let created = volunteer_shift::ActiveModel {
            organisation_id: Set(organisation_id),
            offer_date_id: Set(input.offer_date_id),
            venue_id: Set(venue_id),
            kind: Set(input.kind),
            title: Set(input.title),
            place: Set(place),
            district_key: Set(district_key),
            starts_at: Set(input.starts_at),
            ends_at: Set(input.ends_at),
            volunteers_needed: Set(input.volunteers_needed),
            participants_per_helper: Set(input.participants_per_helper),
            skills: Set(input.skills),
            signed_up: Set(0),
            status: Set(ShiftStatus::Open),
            gap_reminded_at: Set(None),
            created_by: Set(Some(by)),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        audit::record(
            &txn,
            Some(by),
            "shift.create",
            &format!("shift:{}", created.id),
            "",
        )
        .await?;
        txn.commit().await?;
        Ok(created.id)
    }

    /// Changes a session before it begins. The number of helpers may not drop below those already
    /// signed up; when the time or place changes, the helpers are told in the same transaction.
    pub async fn update(
        &self,
        id: i32,
        scope: &Option<Vec<i32>>,
        input: ShiftInput,
        by: i32,
        now: DateTime<Utc>,
    ) -> Result<(), VolunteeringError> {
        let (organisation_id, venue_id, place, district_key) = self.resolve(scope, &input).await?;
        let txn = begin_write(&self.db).await?;
        let current = volunteer_shift::Entity::find_by_id(id)
            .lock_exclusive()
            .one(&txn)
            .await?
            .filter(|s| in_scope(scope, s.organisation_id))
            .ok_or(VolunteeringError::NotFound)?;
        if !current.status.is_open() {
            return Err(VolunteeringError::Refused("error-shift-cancelled"));
        }
        if current.starts_at <= now {
            return Err(VolunteeringError::Refused("error-shift-started"));
        }
        let participants = participants_of(&txn, input.offer_date_id).await?;
        let needed = helpers_needed(
            input.volunteers_needed,
            input.participants_per_helper,
            participants,
        );
        if current.signed_up > needed {
            return Err(field("volunteers_needed", "error-shift-below-signed-up"));
        }
        let moved = current.starts_at != input.starts_at
            || current.ends_at != input.ends_at
            || current.venue_id != venue_id
            || current.place != place;
        let mut model: volunteer_shift::ActiveModel = current.into();
        model.organisation_id = Set(organisation_id);
        model.offer_date_id = Set(input.offer_date_id);
        model.venue_id = Set(venue_id);
        model.kind = Set(input.kind);
        model.title = Set(input.title.clone());
        model.place = Set(place);
        model.district_key = Set(district_key);
        model.starts_at = Set(input.starts_at);
        model.ends_at = Set(input.ends_at);
        model.volunteers_needed = Set(input.volunteers_needed);
        model.participants_per_helper = Set(input.participants_per_helper);
        model.skills = Set(input.skills);
        model.update(&txn).await?;
        if moved {
            self.tell_helpers(&txn, id, "shift-changed", &input.title, input.starts_at)
                .await?;
        }
        audit::record(&txn, Some(by), "shift.update", &format!("shift:{id}"), "").await?;
        txn.commit().await?;
        Ok(())
    }

    /// Mails every helper signed up for a session (`kind` selects the texts).
    async fn tell_helpers(
        &self,
        conn: &impl ConnectionTrait,
        shift_id: i32,
        kind: &str,
        title: &str,
        starts_at: DateTime<Utc>,
    ) -> Result<usize, VolunteeringError> {
        let helpers = helpers_of(conn, shift_id).await?;
        for helper in &helpers {
            let Ok(to) = Email::parse(&helper.email) else {
                continue;
            };
            let args = shift_args(title, starts_at, helper.language);
            let mail = self.composer.notice(
                helper.language,
                &to,
                kind,
                &format!("/verwaltung/einsaetze/{shift_id}"),
                &args,
                None,
            )?;
            mail::enqueue(conn, mail).await?;
        }
        Ok(helpers.len())
    }

    /// Keeps the helper sessions of course dates in step with their dates, after a date was cancelled
    /// or moved: cancelled dates cancel their sessions, moved ones move them; helpers are told.
    pub async fn follow_dates(&self, date_ids: &[i32]) -> Result<usize, VolunteeringError> {
        let mut changed = 0;
        let shifts = volunteer_shift::Entity::find()
            .filter(volunteer_shift::Column::OfferDateId.is_in(date_ids.to_vec()))
            .filter(volunteer_shift::Column::Status.eq(ShiftStatus::Open))
            .all(&self.db)
            .await?;
        for shift in shifts {
            let txn = begin_write(&self.db).await?;
            let Some(date) = offer_date::Entity::find_by_id(shift.offer_date_id.unwrap_or(0))
                .one(&txn)
                .await?
            else {
                continue;
            };
            let (title, id) = (shift.title.clone(), shift.id);
            if date.status.is_cancelled() {
                let mut model: volunteer_shift::ActiveModel = shift.into();
                model.status = Set(ShiftStatus::Cancelled);
                model.update(&txn).await?;
                self.tell_helpers(&txn, id, "shift-cancelled", &title, date.starts_at)
                    .await?;
            } else if date.starts_at != shift.starts_at || date.ends_at != shift.ends_at {
                let mut model: volunteer_shift::ActiveModel = shift.into();
                model.starts_at = Set(date.starts_at);
                model.ends_at = Set(date.ends_at);
                model.update(&txn).await?;
                self.tell_helpers(&txn, id, "shift-changed", &title, date.starts_at)
                    .await?;
            } else {
                continue;
            }
            txn.commit().await?;
            changed += 1;
        }
        Ok(changed)
    }

    /// Cancels a session and tells everyone signed up, in the same transaction.
    pub async fn cancel(
        &self,
        id: i32,
        scope: &Option<Vec<i32>>,
        by: i32,
        now: DateTime<Utc>,
    ) -> Result<usize, VolunteeringError> {
        let txn = begin_write(&self.db).await?;
        let current = volunteer_shift::Entity::find_by_id(id)
            .lock_exclusive()
            .one(&txn)
            .await?
            .filter(|s| in_scope(scope, s.organisation_id))
            .ok_or(VolunteeringError::NotFound)?;
        let Some(cancelled) = current.status.cancel() else {
            return Ok(0);
        };
        if current.ends_at <= now {
            return Err(VolunteeringError::Refused("error-shift-over"));
        }
        let title = current.title.clone();
        let starts_at = current.starts_at;
        let mut model: volunteer_shift::ActiveModel = current.into();
        model.status = Set(cancelled);
        model.update(&txn).await?;
        let told = self
            .tell_helpers(&txn, id, "shift-cancelled", &title, starts_at)
            .await?;
        audit::record(
            &txn,
            Some(by),
            "shift.cancel",
            &format!("shift:{id}"),
            &format!("{told} volunteers informed"),
        )
        .await?;
        txn.commit().await?;
        Ok(told)
    }

    /// Upcoming sessions of the user's organisations, soonest first.
    pub async fn for_coordinator(
        &self,
        scope: &Option<Vec<i32>>,
        now: DateTime<Utc>,
    ) -> Result<Vec<ShiftRow>, DbErr> {
        let mut query = volunteer_shift::Entity::find()
            .filter(volunteer_shift::Column::EndsAt.gt(now - Duration::days(31)))
            .order_by_asc(volunteer_shift::Column::StartsAt);
        if let Some(ids) = scope {
            query = query.filter(volunteer_shift::Column::OrganisationId.is_in(ids.clone()));
        }
        self.rows(query.all(&self.db).await?, None).await
    }

    /// Open sessions in the next two weeks that still lack helpers.
    pub async fn gaps(
        &self,
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
        Ok(self
            .rows(query.all(&self.db).await?, None)
            .await?
            .into_iter()
            .filter(|r| r.missing > 0)
            .collect())
    }

    /// Sessions of a course date, for the warning on the date's back-office page.
    pub async fn for_date(&self, date_id: i32) -> Result<Vec<ShiftRow>, DbErr> {
        let shifts = volunteer_shift::Entity::find()
            .filter(volunteer_shift::Column::OfferDateId.eq(date_id))
            .filter(volunteer_shift::Column::Status.eq(ShiftStatus::Open))
            .order_by_asc(volunteer_shift::Column::StartsAt)
            .all(&self.db)
            .await?;
        self.rows(shifts, None).await
    }

    /// Open upcoming sessions that still need helpers (or that the volunteer already helps at),
    /// optionally in one district.
    pub async fn open(
        &self,
        district: Option<&str>,
        viewer: i32,
        now: DateTime<Utc>,
    ) -> Result<Vec<ShiftRow>, DbErr> {
        let mut query = volunteer_shift::Entity::find()
            .filter(volunteer_shift::Column::Status.eq(ShiftStatus::Open))
            .filter(volunteer_shift::Column::StartsAt.gt(now))
            .order_by_asc(volunteer_shift::Column::StartsAt);
        if let Some(key) = district {
            query = query.filter(volunteer_shift::Column::DistrictKey.eq(key));
        }
        Ok(self
            .rows(query.all(&self.db).await?, Some(viewer))
            .await?
            .into_iter()
            .filter(|r| r.missing > 0 || r.mine)
            .collect())
    }

    /// The volunteer's sessions: active sign-ups and sessions with logged hours, newest last.
    pub async fn mine(&self, user_id: i32) -> Result<Vec<ShiftRow>, DbErr> {
        let mut ids: Vec<i32> = volunteer_signup::Entity::find()
            .filter(volunteer_signup::Column::UserId.eq(user_id))
            .filter(volunteer_signup::Column::Status.eq(SignupStatus::Active))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|s| s.shift_id)
            .collect();
        ids.extend(
            volunteer_hours::Entity::find()
                .filter(volunteer_hours::Column::UserId.eq(user_id))
                .all(&self.db)
                .await?
                .into_iter()
                .map(|h| h.shift_id),
        );
        let shifts = volunteer_shift::Entity::find()
            .filter(volunteer_shift::Column::Id.is_in(ids))
            .order_by_asc(volunteer_shift::Column::StartsAt)
            .all(&self.db)
            .await?;
        self.rows(shifts, Some(user_id)).await
    }

    /// Signs a volunteer up, unless the session is full, over, cancelled or already theirs.
    pub async fn sign_up(
        &self,
        shift_id: i32,
        user_id: i32,
        now: DateTime<Utc>,
    ) -> Result<(), VolunteeringError> {
        let txn = begin_write(&self.db).await?;
        let shift = volunteer_shift::Entity::find_by_id(shift_id)
            .lock_exclusive()
            .one(&txn)
            .await?
            .ok_or(VolunteeringError::NotFound)?;
        if !shift.status.is_open() {
            return Err(VolunteeringError::Refused("error-shift-cancelled"));
        }
        if shift.starts_at <= now {
            return Err(VolunteeringError::Refused("error-shift-started"));
        }
        let existing = volunteer_signup::Entity::find()
            .filter(volunteer_signup::Column::ShiftId.eq(shift_id))
            .filter(volunteer_signup::Column::UserId.eq(user_id))
            .one(&txn)
            .await?;
        if existing
            .as_ref()
            .is_some_and(|s| s.status == SignupStatus::Active)
        {
            return Err(VolunteeringError::Refused("error-shift-already-signed-up"));
        }
        let participants = participants_of(&txn, shift.offer_date_id).await?;
        let needed = helpers_needed(
            shift.volunteers_needed,
            shift.participants_per_helper,
            participants,
        );
        // The counter moves only while below what is needed, whatever else runs at the same time.
        let moved = volunteer_shift::Entity::update_many()
            .col_expr(
                volunteer_shift::Column::SignedUp,
                Expr::col(volunteer_shift::Column::SignedUp).add(1),
            )
            .filter(volunteer_shift::Column::Id.eq(shift_id))
            .filter(volunteer_shift::Column::SignedUp.lt(needed))
            .exec(&txn)
            .await?;
        if moved.rows_affected != 1 {
            return Err(VolunteeringError::Refused("error-shift-full"));
        }
        match existing {
            Some(row) => {
                let mut model: volunteer_signup::ActiveModel = row.into();
                model.status = Set(SignupStatus::Active);
                model.signed_up_at = Set(now);
                model.withdrawn_at = Set(None);
                model.update(&txn).await?;
            }
            None => {
                volunteer_signup::ActiveModel {
                    shift_id: Set(shift_id),
                    user_id: Set(user_id),
                    status: Set(SignupStatus::Active),
                    signed_up_at: Set(now),
                    withdrawn_at: Set(None),
                    ..Default::default()
                }
                .insert(&txn)
                .await?;
            }
        }
        txn.commit().await?;
        Ok(())
    }

    /// Withdraws a sign-up before the start. Later than the minimum notice, the coordinators get a
    /// mail in the same transaction. Returns whether the withdrawal was late.
    pub async fn withdraw(
        &self,
        shift_id: i32,
        user_id: i32,
        now: DateTime<Utc>,
    ) -> Result<bool, VolunteeringError> {
        let txn = begin_write(&self.db).await?;
        let shift = volunteer_shift::Entity::find_by_id(shift_id)
            .lock_exclusive()
            .one(&txn)
            .await?
            .ok_or(VolunteeringError::NotFound)?;
        let signup = volunteer_signup::Entity::find()
            .filter(volunteer_signup::Column::ShiftId.eq(shift_id))
            .filter(volunteer_signup::Column::UserId.eq(user_id))
            .one(&txn)
            .await?;
        let Some((signup, withdrawn)) =
            signup.and_then(|s| s.status.withdraw().map(|withdrawn| (s, withdrawn)))
        else {
            return Err(VolunteeringError::Refused("error-shift-not-signed-up"));
        };
        if shift.starts_at <= now {
            return Err(VolunteeringError::Refused("error-shift-started"));
        }
        let mut model: volunteer_signup::ActiveModel = signup.into();
        model.status = Set(withdrawn);
        model.withdrawn_at = Set(Some(now));
        model.update(&txn).await?;
        volunteer_shift::Entity::update_many()
            .col_expr(
                volunteer_shift::Column::SignedUp,
                Expr::col(volunteer_shift::Column::SignedUp).sub(1),
            )
            .filter(volunteer_shift::Column::Id.eq(shift_id))
            .filter(volunteer_shift::Column::SignedUp.gt(0))
            .exec(&txn)
            .await?;
        let late = shift.starts_at - now < self.min_notice;
        if late && shift.status.is_open() {
            let volunteer = user::Entity::find_by_id(user_id)
                .one(&txn)
                .await?
                .map(|u| u.display_name)
                .unwrap_or_default();
            for (to, lang) in coordinators_of(&txn, shift.organisation_id).await? {
                let mut args = shift_args(&shift.title, shift.starts_at, lang);
                args.insert("name".into(), FluentValue::from(volunteer.clone()));
                let mail = self.composer.notice(
                    lang,
                    &to,
                    "shift-withdrawn-late",
                    &format!("/verwaltung/einsaetze/{shift_id}"),
                    &args,
                    None,
                )?;
                mail::enqueue(&txn, mail).await?;
            }
        }
        txn.commit().await?;
        Ok(late)
    }

    pub async fn helpers(&self, shift_id: i32) -> Result<Vec<Helper>, DbErr> {
        helpers_of(&self.db, shift_id).await
    }

    pub async fn report(&self, shift_id: i32) -> Result<Option<ReportView>, DbErr> {
        Ok(session_report::Entity::find_by_id(shift_id)
            .one(&self.db)
            .await?
            .map(|r| ReportView {
                head_count: r.head_count,
                walk_ins: r.walk_ins,
                topics: r
                    .topics
                    .split(',')
                    .filter(|t| !t.is_empty())
                    .map(str::to_owned)
                    .collect(),
                questions: r.questions,
                updated_at: r.updated_at,
            }))
    }

    /// Saves (or replaces) the session's notes once it has begun.
    pub async fn save_report(
        &self,
        shift: &ShiftRow,
        report: SessionReport,
        by: i32,
        now: DateTime<Utc>,
    ) -> Result<(), VolunteeringError> {
        if shift.status.is_cancelled() {
            return Err(VolunteeringError::Refused("error-shift-cancelled"));
        }
        if shift.starts_at > now {
            return Err(field("head_count", "error-report-too-early"));
        }
        let model = session_report::ActiveModel {
            shift_id: Set(shift.id),
            head_count: Set(report.head_count),
            walk_ins: Set(report.walk_ins),
            topics: Set(report.topic_keys()),
            questions: Set(report.questions),
            recorded_by: Set(Some(by)),
            updated_at: Set(now),
        };
        // The session row's lock serialises two saves of the same notes (a double click).
        let txn = begin_write(&self.db).await?;
        volunteer_shift::Entity::find_by_id(shift.id)
            .lock_exclusive()
            .one(&txn)
            .await?;
        if session_report::Entity::find_by_id(shift.id)
            .one(&txn)
            .await?
            .is_some()
        {
            model.update(&txn).await?;
        } else {
            model.insert(&txn).await?;
        }
        audit::record(
            &txn,
            Some(by),
            "shift.report",
            &format!("shift:{}", shift.id),
            "",
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// The volunteer's own hours at a session, if logged.
    pub async fn hours_of(
        &self,
        shift_id: i32,
        user_id: i32,
    ) -> Result<Option<volunteer_hours::Model>, DbErr> {
        volunteer_hours::Entity::find()
            .filter(volunteer_hours::Column::ShiftId.eq(shift_id))
            .filter(volunteer_hours::Column::UserId.eq(user_id))
            .one(&self.db)
            .await
    }

    /// Logs (or corrects, until approved) a volunteer's hours at a session they helped at.
    pub async fn log_hours(
        &self,
        shift: &ShiftRow,
        user_id: i32,
        worked: WorkedTime,
        now: DateTime<Utc>,
    ) -> Result<(), VolunteeringError> {
        if shift.status.is_cancelled() {
            return Err(VolunteeringError::Refused("error-shift-cancelled"));
        }
        if !shift.mine {
            return Err(field("from", "error-hours-not-signed-up"));
        }
        // The session row's lock serialises this with an approval and with a double click.
        let txn = begin_write(&self.db).await?;
        volunteer_shift::Entity::find_by_id(shift.id)
            .lock_exclusive()
            .one(&txn)
            .await?;
        let existing = volunteer_hours::Entity::find()
            .filter(volunteer_hours::Column::ShiftId.eq(shift.id))
            .filter(volunteer_hours::Column::UserId.eq(user_id))
            .one(&txn)
            .await?;
        match existing {
            Some(row) => {
                let status = row
                    .status
                    .correct()
                    .ok_or_else(|| field("from", "error-hours-approved"))?;
                let mut model: volunteer_hours::ActiveModel = row.into();
                model.started_at = Set(worked.started_at);
                model.ended_at = Set(worked.ended_at);
                model.minutes = Set(worked.minutes());
                model.status = Set(status);
                model.decided_by = Set(None);
                model.decided_at = Set(None);
                model.update(&txn).await?;
            }
            None => {
                volunteer_hours::ActiveModel {
                    shift_id: Set(shift.id),
                    user_id: Set(user_id),
                    started_at: Set(worked.started_at),
                    ended_at: Set(worked.ended_at),
                    minutes: Set(worked.minutes()),
                    status: Set(HoursStatus::Submitted),
                    decided_by: Set(None),
                    decided_at: Set(None),
                    created_at: Set(now),
                    ..Default::default()
                }
                .insert(&txn)
                .await?;
            }
        }
        txn.commit().await?;
        Ok(())
    }

    /// Approves or rejects submitted hours at a session of the coordinator's organisations.
    pub async fn decide_hours(
        &self,
        hours_id: i64,
        scope: &Option<Vec<i32>>,
        approve: bool,
        by: i32,
        now: DateTime<Utc>,
    ) -> Result<i32, VolunteeringError> {
        let txn = begin_write(&self.db).await?;
        let hours = volunteer_hours::Entity::find_by_id(hours_id)
            .one(&txn)
            .await?
            .ok_or(VolunteeringError::NotFound)?;
        if hours.user_id == by {
            return Err(VolunteeringError::Refused("error-hours-own"));
        }
        let shift = volunteer_shift::Entity::find_by_id(hours.shift_id)
            .lock_exclusive()
            .one(&txn)
            .await?
            .filter(|s| in_scope(scope, s.organisation_id))
            .ok_or(VolunteeringError::NotFound)?;
        // Only submitted hours change; a second click or a stale page changes nothing and leaves no
        // audit entry. The update is conditional on the status read, in case it changed since.
        let Some(status) = hours.status.decide(approve) else {
            return Ok(shift.id);
        };
        let decided = volunteer_hours::Entity::update_many()
            .col_expr(volunteer_hours::Column::Status, Expr::value(status))
            .col_expr(volunteer_hours::Column::DecidedBy, Expr::value(by))
            .col_expr(volunteer_hours::Column::DecidedAt, Expr::value(now))
            .filter(volunteer_hours::Column::Id.eq(hours_id))
            .filter(volunteer_hours::Column::Status.eq(hours.status))
            .exec(&txn)
            .await?
            .rows_affected;
        if decided == 0 {
            return Ok(shift.id);
        }
        audit::record(
            &txn,
            Some(by),
            &format!("hours.{status}"),
            &format!("hours:{hours_id}"),
            "",
        )
        .await?;
        txn.commit().await?;
        Ok(shift.id)
    }

    /// Hours entries with volunteer and session, filtered by the given condition.
    async fn hours_lines(
        &self,
        filter: sea_orm::Condition,
        scope: &Option<Vec<i32>>,
    ) -> Result<Vec<HoursLine>, DbErr> {
        let hours = volunteer_hours::Entity::find()
            .filter(filter)
            .order_by_asc(volunteer_hours::Column::StartedAt)
            .all(&self.db)
            .await?;
        let shift_ids: Vec<i32> = hours.iter().map(|h| h.shift_id).collect();
        let shifts: HashMap<i32, volunteer_shift::Model> = volunteer_shift::Entity::find()
            .filter(volunteer_shift::Column::Id.is_in(shift_ids))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|s| (s.id, s))
            .collect();
        let user_ids: Vec<i32> = hours.iter().map(|h| h.user_id).collect();
        let users: HashMap<i32, String> = user::Entity::find()
            .filter(user::Column::Id.is_in(user_ids))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|u| (u.id, u.display_name))
            .collect();
        let orgs: HashMap<i32, String> = organisation::Entity::find()
            .all(&self.db)
            .await?
            .into_iter()
            .map(|o| (o.id, o.name))
            .collect();
        Ok(hours
            .into_iter()
            .filter_map(|h| {
                let shift = shifts.get(&h.shift_id)?;
                in_scope(scope, shift.organisation_id).then(|| HoursLine {
                    id: h.id,
                    user_id: h.user_id,
                    volunteer: users.get(&h.user_id).cloned().unwrap_or_default(),
                    shift_id: shift.id,
                    shift_title: shift.title.clone(),
                    organisation_name: orgs
                        .get(&shift.organisation_id)
                        .cloned()
                        .unwrap_or_default(),
                    started_at: h.started_at,
                    ended_at: h.ended_at,
                    minutes: h.minutes,
                    hours: f64::from(h.minutes) / 60.0,
                    status: h.status,
                })
            })
            .collect())
    }

    /// Hours waiting for a decision at the coordinator's organisations.
    pub async fn pending_hours(&self, scope: &Option<Vec<i32>>) -> Result<Vec<HoursLine>, DbErr> {
        self.hours_lines(
            sea_orm::Condition::all()
                .add(volunteer_hours::Column::Status.eq(HoursStatus::Submitted)),
            scope,
        )
        .await
    }

    /// All hours at one session (the coordinator's view of the session page).
    pub async fn hours_at(&self, shift_id: i32) -> Result<Vec<HoursLine>, DbErr> {
        self.hours_lines(
            sea_orm::Condition::all().add(volunteer_hours::Column::ShiftId.eq(shift_id)),
            &None,
        )
        .await
    }

    /// Approved hours in a month per volunteer: of one volunteer (`only`), within the scope.
    pub async fn month(
        &self,
        month: Month,
        scope: &Option<Vec<i32>>,
        only: Option<i32>,
    ) -> Result<Vec<MonthSummary>, DbErr> {
        let (from, to) = month.bounds();
        let mut condition = sea_orm::Condition::all()
            .add(volunteer_hours::Column::Status.eq(HoursStatus::Approved))
            .add(volunteer_hours::Column::StartedAt.gte(from))
            .add(volunteer_hours::Column::StartedAt.lt(to));
        if let Some(user_id) = only {
            condition = condition.add(volunteer_hours::Column::UserId.eq(user_id));
        }
        let mut by_person: Vec<MonthSummary> = Vec::new();
        for line in self.hours_lines(condition, scope).await? {
            match by_person.iter_mut().find(|s| s.user_id == line.user_id) {
                Some(summary) => {
                    summary.minutes += line.minutes;
                    summary.hours = f64::from(summary.minutes) / 60.0;
                    summary.lines.push(line);
                }
                None => by_person.push(MonthSummary {
                    user_id: line.user_id,
                    volunteer: line.volunteer.clone(),
                    minutes: line.minutes,
                    hours: line.hours,
                    lines: vec![line],
                }),
            }
        }
        by_person.sort_by(|a, b| a.volunteer.cmp(&b.volunteer));
        Ok(by_person)
    }

    /// A new secret address for the volunteer's calendar feed; the previous one stops working.
    pub async fn renew_feed(&self, user_id: i32, now: DateTime<Utc>) -> Result<String, DbErr> {
        let token = random_token();
        let txn = self.db.begin().await?;
        volunteer_feed::Entity::delete_by_id(user_id)
            .exec(&txn)
            .await?;
        volunteer_feed::ActiveModel {
            user_id: Set(user_id),
            token_hash: Set(hash_token(&token)),
            created_at: Set(now),
        }
        .insert(&txn)
        .await?;
        txn.commit().await?;
        Ok(token)
    }

    pub async fn revoke_feed(&self, user_id: i32) -> Result<(), DbErr> {
        volunteer_feed::Entity::delete_by_id(user_id)
            .exec(&self.db)
            .await
            .map(drop)
    }

    pub async fn has_feed(&self, user_id: i32) -> Result<bool, DbErr> {
        Ok(volunteer_feed::Entity::find_by_id(user_id)
            .one(&self.db)
            .await?
            .is_some())
    }

    /// The calendar of a feed token: the volunteer's sessions, cancelled ones marked so.
    pub async fn feed(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<String>, VolunteeringError> {
        let Some(feed) = volunteer_feed::Entity::find()
            .filter(volunteer_feed::Column::TokenHash.eq(hash_token(token)))
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        // The link is only as good as the role: once it is revoked (or the account is gone), the
        // feed answers like an unknown link.
        let still_volunteer = user_role::Entity::find()
            .filter(user_role::Column::UserId.eq(feed.user_id))
            .filter(user_role::Column::Role.eq(Role::Volunteer.as_str()))
            .one(&self.db)
            .await?
            .is_some();
        if !still_volunteer {
            return Ok(None);
        }
        let base = self.composer.base_url.trim_end_matches('/').to_owned();
        let translations = &self.composer.translations;
        let events: Vec<CalendarEvent> = self
            .mine(feed.user_id)
            .await?
            .into_iter()
            .filter(|s| s.ends_at > now - Duration::days(60))
            .map(|s| CalendarEvent {
                uid: format!("shift-{}@teilhabe", s.id),
                sequence: 0,
                summary: s.title.clone(),
                description: format!(
                    "{} · {}",
                    translations.text(Language::De, &format!("shift-kind-{}", s.kind)),
                    s.organisation_name
                ),
                location: s.place.clone(),
                url: format!("{base}/verwaltung/einsaetze/{}", s.id),
                starts_at: s.starts_at,
                ends_at: s.ends_at,
                cancelled: s.status.is_cancelled(),
                alarm_before: Some(Duration::hours(2)),
            })
            .collect();
        Ok(Some(calendar::calendar(
            &translations.text(Language::De, "volunteer-feed-name"),
            &events,
            now,
        )))
    }

    /// Mails each organisation's coordinators about sessions in the next two weeks that lack helpers.
    /// Each session is claimed by a conditional update, so several instances never send one twice.
    pub async fn remind_gaps(&self, now: DateTime<Utc>) -> Result<usize, VolunteeringError> {
        let mut by_org: HashMap<i32, Vec<ShiftRow>> = HashMap::new();
        for gap in self.gaps(&None, now).await? {
            let claimed = volunteer_shift::Entity::update_many()
                .col_expr(volunteer_shift::Column::GapRemindedAt, Expr::value(now))
                .filter(volunteer_shift::Column::Id.eq(gap.id))
                .filter(
                    sea_orm::Condition::any()
                        .add(volunteer_shift::Column::GapRemindedAt.is_null())
                        .add(volunteer_shift::Column::GapRemindedAt.lte(now - GAP_REMINDER_EVERY)),
                )
                .exec(&self.db)
                .await?;
            if claimed.rows_affected == 1 {
                by_org.entry(gap.organisation_id).or_default().push(gap);
            }
        }
        let mut sent = 0;
        for (organisation_id, gaps) in by_org {
            let details = |lang: Language| {
                gaps.iter()
                    .map(|g| {
                        format!(
                            "{} – {}: {} ({} / {})",
                            when(g.starts_at, lang),
                            g.title,
                            g.place,
                            g.signed_up,
                            g.needed
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            let mut args: HashMap<Cow<'static, str>, FluentValue<'static>> = HashMap::new();
            args.insert("count".into(), FluentValue::from(gaps.len()));
            let txn = self.db.begin().await?;
            for (to, lang) in coordinators_of(&txn, organisation_id).await? {
                let details = details(lang);
                let mail = self.composer.notice(
                    lang,
                    &to,
                    "shift-gaps",
                    "/verwaltung/einsaetze",
                    &args,
                    Some(details.as_str()),
                )?;
                mail::enqueue(&txn, mail).await?;
                sent += 1;
            }
            txn.commit().await?;
        }
        Ok(sent)
    }
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

/// Confirmed places of a linked date (for a later session of a course, of its first date).
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
    let users: HashMap<i32, user::Model> = user::Entity::find()
        .filter(user::Column::Id.is_in(signups.iter().map(|s| s.user_id).collect::<Vec<_>>()))
        .all(conn)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
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
