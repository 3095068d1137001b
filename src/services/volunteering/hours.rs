//! Volunteers log their hours at a session; coordinators approve or reject them and add them up per
//! month.
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
    Set, sea_query::Expr,
};

use super::{
    HoursLine, MonthSummary, ShiftRow, VolunteeringError, hours_seen, locked_shift,
    locked_shift_in_scope,
};
use crate::{
    db::{
        begin_write,
        entities::{organisation, user, volunteer_hours, volunteer_shift},
        lookup,
    },
    domain::volunteering::{HoursStatus, Month, WorkedTime},
    policy::in_scope,
    services::audit,
};

/// The session's part of [`HoursDesk::may_log`]: not cancelled, begun, and the volunteer signed up.
fn session_takes_hours(shift: &ShiftRow, now: DateTime<Utc>) -> Result<(), VolunteeringError> {
    if shift.status.is_cancelled() {
        return Err(VolunteeringError::Refused("error-shift-cancelled"));
    }
    if !shift.mine {
        return Err(VolunteeringError::Refused("error-hours-not-signed-up"));
    }
    if shift.starts_at > now {
        return Err(VolunteeringError::Refused("hours-later"));
    }
    Ok(())
}

#[derive(Clone)]
pub struct HoursDesk {
    pub db: DatabaseConnection,
}

impl HoursDesk {
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

    /// Whether the volunteer may log hours at the session now: it is not cancelled, has begun, they
    /// are signed up, and their hours are not approved yet. The session's page shows the form only
    /// then, so each refusal is about the session, not a field.
    pub async fn may_log(
        &self,
        shift: &ShiftRow,
        user_id: i32,
        now: DateTime<Utc>,
    ) -> Result<(), VolunteeringError> {
        session_takes_hours(shift, now)?;
        match self.hours_of(shift.id, user_id).await? {
            Some(row) if row.status.correct().is_none() => {
                Err(VolunteeringError::Refused("error-hours-approved"))
            }
            _ => Ok(()),
        }
    }

    /// Logs (or corrects, until approved) a volunteer's hours at a session they helped at.
    pub async fn log_hours(
        &self,
        shift: &ShiftRow,
        user_id: i32,
        worked: WorkedTime,
        now: DateTime<Utc>,
    ) -> Result<(), VolunteeringError> {
        // Whether the hours are approved already is read under the lock below.
        session_takes_hours(shift, now)?;
        // The session row's lock serialises this with an approval and with a double click.
        let txn = begin_write(&self.db).await?;
        locked_shift(&txn, shift.id).await?;
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
                    .ok_or(VolunteeringError::Refused("error-hours-approved"))?;
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
        seen: &str,
        scope: &Option<Vec<i32>>,
        approve: bool,
        by: i32,
        now: DateTime<Utc>,
    ) -> Result<i32, VolunteeringError> {
        let txn = begin_write(&self.db).await?;
        let shift_id = volunteer_hours::Entity::find_by_id(hours_id)
            .one(&txn)
            .await?
            .ok_or(VolunteeringError::NotFound)?
            .shift_id;
        let shift = locked_shift_in_scope(&txn, scope, shift_id).await?;
        // Read under the session's lock: a correction the volunteer saved while this waited for it
        // is what the checks below see, not the entry as it was before.
        let hours = volunteer_hours::Entity::find_by_id(hours_id)
            .one(&txn)
            .await?
            .filter(|h| h.shift_id == shift.id)
            .ok_or(VolunteeringError::NotFound)?;
        if hours.user_id == by {
            return Err(VolunteeringError::Refused("error-hours-own"));
        }
        // Only submitted hours change; a second click or a stale page changes nothing and leaves no
        // audit entry. The update is conditional on the entry as read.
        let Some(status) = hours.status.decide(approve) else {
            return Ok(shift.id);
        };
        // Nobody helped at a cancelled session: its hours can only be rejected.
        if approve && shift.status.is_cancelled() {
            return Err(VolunteeringError::Refused("error-hours-shift-cancelled"));
        }
        // The volunteer corrected the entry after the page was loaded: look again first.
        if seen != hours_seen(hours.started_at, hours.ended_at) {
            return Err(VolunteeringError::Refused("error-hours-changed"));
        }
        let decided = volunteer_hours::Entity::update_many()
            .col_expr(volunteer_hours::Column::Status, Expr::value(status))
            .col_expr(volunteer_hours::Column::DecidedBy, Expr::value(by))
            .col_expr(volunteer_hours::Column::DecidedAt, Expr::value(now))
            .filter(volunteer_hours::Column::Id.eq(hours_id))
            .filter(volunteer_hours::Column::Status.eq(hours.status))
            .filter(volunteer_hours::Column::StartedAt.eq(hours.started_at))
            .filter(volunteer_hours::Column::EndedAt.eq(hours.ended_at))
            .exec(&txn)
            .await?
            .rows_affected;
        if decided == 0 {
            // Not expected under the lock; should the entry have changed all the same, the
            // coordinator must not be told it was decided.
            return Err(VolunteeringError::Refused("error-hours-changed"));
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
        let shift_ids = hours.iter().map(|h| h.shift_id);
        let shifts = lookup(&self.db, volunteer_shift::Column::Id, shift_ids, |s| {
            (s.id, s)
        })
        .await?;
        let user_ids = hours.iter().map(|h| h.user_id);
        let users = lookup(&self.db, user::Column::Id, user_ids, |u| {
            (u.id, u.display_name)
        })
        .await?;
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
                    seen: hours_seen(h.started_at, h.ended_at),
                    shift_cancelled: shift.status.is_cancelled(),
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
}
