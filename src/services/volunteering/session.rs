//! One session's page: who may open it (its coordinators and its helpers), who helps, and the notes
//! on what happened there.
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, Set,
};

use super::{
    Access, Helper, ReportView, ShiftRow, VolunteeringError, helpers_of, locked_shift, rows,
};
use crate::{
    db::{
        begin_write,
        entities::{session_report, volunteer_hours, volunteer_shift},
    },
    domain::volunteering::SessionReport,
    policy::in_scope,
    services::audit,
};

#[derive(Clone)]
pub struct SessionDesk {
    pub db: DatabaseConnection,
}

impl SessionDesk {
    pub async fn shift(&self, id: i32, viewer: Option<i32>) -> Result<ShiftRow, VolunteeringError> {
        let found = volunteer_shift::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .ok_or(VolunteeringError::NotFound)?;
        rows(&self.db, vec![found], viewer)
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

    pub async fn helpers(&self, shift_id: i32) -> Result<Vec<Helper>, DbErr> {
        helpers_of(&self.db, shift_id).await
    }

    pub async fn report(&self, shift_id: i32) -> Result<Option<ReportView>, DbErr> {
        Ok(session_report::Entity::find_by_id(shift_id)
            .one(&self.db)
            .await?
            .map(|r| ReportView {
                seen: report_seen(r.updated_at),
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

    /// Whether the session takes notes now: it has begun and is not cancelled. The session's page
    /// shows the notes form only then, so each refusal is about the session, not a field.
    pub fn may_report(
        &self,
        shift: &ShiftRow,
        now: DateTime<Utc>,
    ) -> Result<(), VolunteeringError> {
        if shift.status.is_cancelled() {
            return Err(VolunteeringError::Refused("error-shift-cancelled"));
        }
        if shift.starts_at > now {
            return Err(VolunteeringError::Refused("error-report-too-early"));
        }
        Ok(())
    }

    /// Saves (or replaces) the session's notes once it has begun, if they are still as `seen` (the
    /// stamp of the notes the form was filled from, empty when there were none): two helpers with
    /// the page open would otherwise replace each other's figures.
    pub async fn save_report(
        &self,
        shift: &ShiftRow,
        report: SessionReport,
        seen: &str,
        by: i32,
        now: DateTime<Utc>,
    ) -> Result<(), VolunteeringError> {
        self.may_report(shift, now)?;
        let model = session_report::ActiveModel {
            shift_id: Set(shift.id),
            head_count: Set(report.head_count),
            walk_ins: Set(report.walk_ins),
            topics: Set(report.topic_keys()),
            questions: Set(report.questions),
            recorded_by: Set(Some(by)),
            updated_at: Set(now),
        };
        // The session row's lock serialises two saves of the same notes.
        let txn = begin_write(&self.db).await?;
        let locked = locked_shift(&txn, shift.id)
            .await?
            .ok_or(VolunteeringError::NotFound)?;
        if locked.status.is_cancelled() {
            return Err(VolunteeringError::Refused("error-shift-cancelled"));
        }
        let stored = session_report::Entity::find_by_id(shift.id)
            .one(&txn)
            .await?;
        if stored
            .as_ref()
            .map(|r| report_seen(r.updated_at))
            .unwrap_or_default()
            != seen
        {
            return Err(VolunteeringError::Changed);
        }
        if stored.is_some() {
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
}

/// The stamp of the session's notes: when they were last saved.
fn report_seen(updated_at: DateTime<Utc>) -> String {
    updated_at.timestamp_micros().to_string()
}
