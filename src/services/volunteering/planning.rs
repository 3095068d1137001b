//! Coordinators plan sessions: create, change and cancel them, keep helper sessions of course dates
//! in step with their dates, and see their sessions and the gaps in them.
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::{
    ShiftRow, VolunteeringError, field, gaps, helpers_of, locked_shift_in_scope, participants_of,
    rows, shift_args, shift_seen,
};
use crate::{
    db::{
        begin_write,
        entities::{district, offer, offer_date, organisation, venue, volunteer_shift},
    },
    domain::{
        Email,
        volunteering::{ShiftInput, ShiftPlace, ShiftStatus, helpers_needed},
    },
    mail::{self, compose::Composer},
    policy::in_scope,
    services::audit,
};

#[derive(Clone)]
pub struct PlanningDesk {
    pub db: DatabaseConnection,
    pub composer: Composer,
}

impl PlanningDesk {
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
        let txn = crate::db::begin_write(&self.db).await?;
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

    /// Changes a session before it begins, if it is still as `seen` (its [`shift_seen`] stamp when
    /// the form was filled). The number of helpers may not drop below those already signed up; when
    /// the time or place changes, the helpers are told in the same transaction.
    pub async fn update(
        &self,
        id: i32,
        scope: &Option<Vec<i32>>,
        input: ShiftInput,
        seen: &str,
        by: i32,
        now: DateTime<Utc>,
    ) -> Result<(), VolunteeringError> {
        let (organisation_id, venue_id, place, district_key) = self.resolve(scope, &input).await?;
        let txn = begin_write(&self.db).await?;
        let current = locked_shift_in_scope(&txn, scope, id).await?;
        if !current.status.is_open() {
            return Err(VolunteeringError::Refused("error-shift-cancelled"));
        }
        if current.starts_at <= now {
            return Err(VolunteeringError::Refused("error-shift-started"));
        }
        if shift_seen(&current) != seen {
            return Err(VolunteeringError::Changed);
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
                None,
            )?;
            mail::enqueue(conn, mail).await?;
        }
        Ok(helpers.len())
    }

    /// Cancels the open helper sessions of the dates `date_ids` that have not begun, and tells their
    /// helpers. Runs in the transaction that cancels the dates, so a date is never cancelled
    /// without its sessions. A session that has begun stays: its helpers are there (setting up the
    /// room) and log their hours; they are told that nobody will come.
    pub async fn cancel_with_dates_in(
        &self,
        conn: &impl ConnectionTrait,
        date_ids: &[i32],
        now: DateTime<Utc>,
    ) -> Result<usize, VolunteeringError> {
        if date_ids.is_empty() {
            return Ok(0);
        }
        // Locked as a sign-up locks them, in id order: a sign-up at this moment waits and then
        // finds the session cancelled.
        let shifts = volunteer_shift::Entity::find()
            .filter(volunteer_shift::Column::OfferDateId.is_in(date_ids.to_vec()))
            .filter(volunteer_shift::Column::Status.eq(ShiftStatus::Open))
            .filter(volunteer_shift::Column::StartsAt.gt(now))
            .order_by_asc(volunteer_shift::Column::Id)
            .lock_exclusive()
            .all(conn)
            .await?;
        for shift in &shifts {
            let mut model: volunteer_shift::ActiveModel = shift.clone().into();
            model.status = Set(ShiftStatus::Cancelled);
            model.update(conn).await?;
            self.tell_helpers(
                conn,
                shift.id,
                "shift-cancelled",
                &shift.title,
                shift.starts_at,
            )
            .await?;
        }
        let begun = volunteer_shift::Entity::find()
            .filter(volunteer_shift::Column::OfferDateId.is_in(date_ids.to_vec()))
            .filter(volunteer_shift::Column::Status.eq(ShiftStatus::Open))
            .filter(volunteer_shift::Column::StartsAt.lte(now))
            .filter(volunteer_shift::Column::EndsAt.gt(now))
            .all(conn)
            .await?;
        for shift in &begun {
            self.tell_helpers(
                conn,
                shift.id,
                "shift-date-cancelled",
                &shift.title,
                shift.starts_at,
            )
            .await?;
        }
        Ok(shifts.len())
    }

    /// Moves the open helper sessions of a date that moved from `before` to `after` by as much as
    /// the date's start and end moved, so a session that begins earlier than its course (helpers
    /// set up the room) keeps its lead; helpers are told. Runs in the transaction that moves the
    /// date, so the move is never stored without it.
    pub async fn move_with_date(
        &self,
        conn: &impl ConnectionTrait,
        before: &offer_date::Model,
        after: &offer_date::Model,
    ) -> Result<usize, VolunteeringError> {
        let start_shift = after.starts_at - before.starts_at;
        let end_shift = after.ends_at - before.ends_at;
        if start_shift.is_zero() && end_shift.is_zero() {
            return Ok(0);
        }
        let shifts = open_shifts_locked(
            conn,
            Condition::all().add(volunteer_shift::Column::OfferDateId.eq(after.id)),
        )
        .await?;
        for shift in &shifts {
            let starts_at = shift.starts_at + start_shift;
            // A session never ends before it starts, whatever the date's new length.
            let ends_at = Ord::max(shift.ends_at + end_shift, starts_at + Duration::minutes(15));
            let mut model: volunteer_shift::ActiveModel = shift.clone().into();
            model.starts_at = Set(starts_at);
            model.ends_at = Set(ends_at);
            model.update(conn).await?;
            self.tell_helpers(conn, shift.id, "shift-changed", &shift.title, starts_at)
                .await?;
        }
        Ok(shifts.len())
    }

    /// Moves the open helper sessions of `date_ids` held at the venue `from` to the venue `to`,
    /// where their course now takes place, and tells their helpers, like [`Self::move_with_date`]
    /// does for a new time. The place's detail (a room) was the old venue's and is dropped. Runs
    /// in the transaction that changes the course.
    pub async fn move_with_venue(
        &self,
        conn: &impl ConnectionTrait,
        date_ids: &[i32],
        from: i32,
        to: &venue::Model,
    ) -> Result<usize, VolunteeringError> {
        if from == to.id || date_ids.is_empty() {
            return Ok(0);
        }
        let shifts = open_shifts_locked(
            conn,
            Condition::all()
                .add(volunteer_shift::Column::OfferDateId.is_in(date_ids.to_vec()))
                .add(volunteer_shift::Column::VenueId.eq(from)),
        )
        .await?;
        for shift in &shifts {
            let mut model: volunteer_shift::ActiveModel = shift.clone().into();
            model.venue_id = Set(Some(to.id));
            model.place = Set(String::new());
            model.district_key = Set(to.district_key.clone());
            model.update(conn).await?;
            self.tell_helpers(
                conn,
                shift.id,
                "shift-changed",
                &shift.title,
                shift.starts_at,
            )
            .await?;
        }
        Ok(shifts.len())
    }

    /// Cancels a session before it begins and tells everyone signed up, in the same transaction.
    pub async fn cancel(
        &self,
        id: i32,
        scope: &Option<Vec<i32>>,
        by: i32,
        now: DateTime<Utc>,
    ) -> Result<usize, VolunteeringError> {
        let txn = begin_write(&self.db).await?;
        let current = locked_shift_in_scope(&txn, scope, id).await?;
        let Some(cancelled) = current.status.cancel() else {
            return Ok(0);
        };
        // Once it has begun, its helpers are there and log their hours: too late to call it off.
        if current.starts_at <= now {
            return Err(VolunteeringError::Refused("error-shift-cancel-started"));
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
        rows(&self.db, query.all(&self.db).await?, None).await
    }

    /// Open sessions in the next two weeks that still lack helpers.
    pub async fn gaps(
        &self,
        scope: &Option<Vec<i32>>,
        now: DateTime<Utc>,
    ) -> Result<Vec<ShiftRow>, DbErr> {
        gaps(&self.db, scope, now).await
    }

    /// Sessions of a course date, for the warning on the date's back-office page.
    pub async fn for_date(&self, date_id: i32) -> Result<Vec<ShiftRow>, DbErr> {
        let shifts = volunteer_shift::Entity::find()
            .filter(volunteer_shift::Column::OfferDateId.eq(date_id))
            .filter(volunteer_shift::Column::Status.eq(ShiftStatus::Open))
            .order_by_asc(volunteer_shift::Column::StartsAt)
            .all(&self.db)
            .await?;
        rows(&self.db, shifts, None).await
    }
}

/// The open sessions that `filter` picks, locked, as a coordinator's change of a session locks it:
/// a session cancelled or moved by hand meanwhile is read as it is now, not moved again from where
/// it was.
async fn open_shifts_locked(
    conn: &impl ConnectionTrait,
    filter: Condition,
) -> Result<Vec<volunteer_shift::Model>, DbErr> {
    volunteer_shift::Entity::find()
        .filter(filter)
        .filter(volunteer_shift::Column::Status.eq(ShiftStatus::Open))
        .order_by_asc(volunteer_shift::Column::Id)
        .lock_exclusive()
        .all(conn)
        .await
}
