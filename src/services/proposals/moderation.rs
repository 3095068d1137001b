//! Moderation: the queue of a district, a moderator's decision (merging is in `merging`), and
//! reports of published proposals.
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder, QuerySelect, Set, sea_query::Expr,
};
use serde::Serialize;

use super::{
    Actor, ProposalDesk, ProposalError, ProposalFile, Row, answering_districts, begin, field,
    locked, moderates, record_event,
};
use crate::{
    db::{
        LockedNames,
        entities::{proposal, proposal_event, proposal_report},
        lock_names,
    },
    domain::proposal::{ModerationStep, NOTE_MAX, ProposalStatus, statement},
    policy::ProposalRights,
    search::indexer,
    services::{
        audit,
        reference::District,
        sessions::{hash_token, random_token},
    },
};

/// A moderator's decision on a proposal.
#[derive(Debug, Clone)]
pub enum Decision {
    Publish,
    RequestChanges(String),
    Reject(String),
    Hide(String),
    /// Keep the other proposal; supports and followers move there.
    Merge(i64),
}

impl Decision {
    fn step(&self) -> ModerationStep {
        match self {
            Self::Publish => ModerationStep::Publish,
            Self::RequestChanges(_) => ModerationStep::RequestChanges,
            Self::Reject(_) => ModerationStep::Reject,
            Self::Hide(_) => ModerationStep::Hide,
            Self::Merge(_) => ModerationStep::Merge,
        }
    }

    fn key(&self) -> &'static str {
        match self {
            Self::Publish => "publish",
            Self::RequestChanges(_) => "request-changes",
            Self::Reject(_) => "reject",
            Self::Hide(_) => "hide",
            Self::Merge(_) => "merge",
        }
    }
}

/// An open report with the proposal it is about.
#[derive(Debug, Serialize)]
pub struct ReportRow {
    pub id: i64,
    pub reason: String,
    pub created_at: chrono::DateTime<Utc>,
    pub proposal: Row,
}

/// A stamp of what a moderator decides on: the state and the proposal as handed in. Two moderators
/// can have the page open at once: a decision sent from the older page would overrule the other's
/// (publishing from a page opened before someone hid the proposal restored it), so
/// [`Moderation::moderate`] compares it first.
pub(super) fn moderation_seen(model: &proposal::Model) -> String {
    let shown = format!(
        "{}|{}|{}|{}|{}|{}",
        model.status.key(),
        model.title,
        model.body,
        model.category,
        model.district_key,
        model.town.as_deref().unwrap_or_default(),
    );
    crate::domain::form::stamp(&shown)
}

/// The moderators' desk.
#[derive(Clone)]
pub struct Moderation {
    pub(super) desk: ProposalDesk,
}

impl Moderation {
    /// Proposals waiting for a moderator of these rights, oldest first, and open reports.
    pub async fn queue(
        &self,
        rights: &ProposalRights,
        districts: &[District],
    ) -> Result<(Vec<Row>, Vec<ReportRow>), ProposalError> {
        let db = &self.desk.db;
        let mut waiting = proposal::Entity::find()
            .filter(proposal::Column::Status.eq(ProposalStatus::Submitted))
            .order_by_asc(proposal::Column::Id);
        if !rights.everywhere {
            waiting = waiting
                .filter(proposal::Column::DistrictKey.is_in(rights.moderated_districts.clone()));
        }
        let waiting = waiting.limit(200).all(db).await?;
        let reports = proposal_report::Entity::find()
            .filter(proposal_report::Column::ResolvedAt.is_null())
            .order_by_asc(proposal_report::Column::Id)
            .limit(500)
            .all(db)
            .await?;
        let reported_ids: Vec<i64> = reports.iter().map(|r| r.proposal_id).collect();
        let reported_proposals = proposal::Entity::find()
            .filter(proposal::Column::Id.is_in(reported_ids))
            .all(db)
            .await?;
        let reported = reports
            .into_iter()
            .filter_map(|report| {
                reported_proposals
                    .iter()
                    .find(|p| p.id == report.proposal_id && moderates(rights, p))
                    .map(|p| ReportRow {
                        id: report.id,
                        reason: report.reason,
                        created_at: report.created_at,
                        proposal: Row::new(p.clone(), districts),
                    })
            })
            .collect();
        Ok((
            waiting
                .into_iter()
                .map(|m| Row::new(m, districts))
                .collect(),
            reported,
        ))
    }

    /// A proposal in the actor's area that the actor may open, for the back-office page.
    pub async fn for_staff(
        &self,
        id: i64,
        rights: &ProposalRights,
        districts: &[District],
    ) -> Result<ProposalFile, ProposalError> {
        let model = proposal::Entity::find_by_id(id)
            .one(&self.desk.db)
            .await?
            .ok_or(ProposalError::NotFound)?;
        let answers_there = answering_districts(&self.desk.db, rights)
            .await?
            .contains(&model.district_key);
        if !rights.may_open_file(&model.district_key, model.status, answers_there) {
            return Err(ProposalError::NotFound);
        }
        let history = proposal_event::Entity::find()
            .filter(proposal_event::Column::ProposalId.eq(id))
            .order_by_asc(proposal_event::Column::Id)
            .all(&self.desk.db)
            .await?;
        Ok(ProposalFile::new(model, history, districts))
    }

    /// A moderator's decision, if the proposal is still as `seen` (its [`moderation_seen`] stamp
    /// when the page was opened): publishing restores a hidden proposal only from a page that
    /// showed it hidden.
    pub async fn moderate(
        &self,
        id: i64,
        decision: Decision,
        seen: &str,
        actor: Actor<'_>,
    ) -> Result<(), ProposalError> {
        let now = Utc::now();
        let txn = begin(&self.desk.db).await?;
        // "A into B" and "B into A" at the same moment each locked its own proposal and then the
        // other, and deadlocked on PostgreSQL: merges of the same two proposals take turns first.
        // The rows stay locked merged one first, then kept one, the order in which an account's
        // deletion and a support's confirmation lock them too.
        if let Decision::Merge(kept_id) = &decision {
            let pair = format!("{}-{}", id.min(*kept_id), id.max(*kept_id));
            lock_names(&txn, LockedNames::ProposalMerges, &[pair.as_str()]).await?;
        }
        let model = locked(&txn, id).await?;
        if !moderates(actor.rights, &model) {
            return Err(ProposalError::NotFound);
        }
        if moderation_seen(&model) != seen {
            return Err(ProposalError::Changed);
        }
        let status = model.status;
        let note = match &decision {
            Decision::RequestChanges(note) | Decision::Reject(note) | Decision::Hide(note) => {
                Some(statement(note, NOTE_MAX).map_err(|m| field("begruendung", m))?)
            }
            _ => None,
        };
        let next = status
            .moderate(decision.step())
            .ok_or(ProposalError::Refused("error-proposal-step-not-possible"))?;
        // Publishing a hidden proposal restores it: it continues where it was, answered or not,
        // and its public history and its author hear of it only if it had never been public.
        let restoring = status == ProposalStatus::Hidden;
        let next = if restoring {
            ProposalStatus::restored(status_before_hiding(&txn, id).await?)
        } else {
            next
        };
        let first_publication = next == ProposalStatus::Published && model.published_at.is_none();
        // Publishing and merging are steps of the public history.
        let public_event = if restoring {
            first_publication
        } else {
            matches!(next, ProposalStatus::Published | ProposalStatus::Merged)
        };
        let mut active = model.clone().into_active_model();
        active.status = Set(next);
        active.updated_at = Set(now);
        if let Some(note) = &note {
            active.moderation_note = Set(Some(note.clone()));
        }
        if next == ProposalStatus::Published && model.published_at.is_none() {
            active.published_at = Set(Some(now));
        }
        if let Decision::Merge(kept_id) = decision {
            self.merge_into(&txn, &model, kept_id, actor).await?;
            active.merged_into_id = Set(Some(kept_id));
        }
        let updated = active.update(&txn).await?;
        // A hidden proposal's history shows nothing; a restored one continues where it was.
        record_event(
            &txn,
            id,
            next,
            note.clone(),
            public_event,
            Some(actor.user_id),
            now,
        )
        .await?;
        // Not the note: it may quote what made the proposal a matter for moderation (a neighbour's
        // name, say), and the audit log is never purged; the proposal's history keeps it.
        audit::record(
            &txn,
            Some(actor.user_id),
            &format!("proposal.{}", decision.key()),
            &format!("proposal:{id}"),
            if note.is_some() { "with a note" } else { "" },
        )
        .await?;
        match next {
            ProposalStatus::Published if !restoring || first_publication => {
                self.desk
                    .mail_author(&txn, &updated, "proposal-published", None, None)
                    .await?;
            }
            ProposalStatus::ChangesRequested => {
                // A new secret link: the old one is not known to the server any more.
                let token = random_token();
                let mut active = updated.clone().into_active_model();
                active.author_token_hash = Set(hash_token(&token));
                active.update(&txn).await?;
                self.desk
                    .mail_author(
                        &txn,
                        &updated,
                        "proposal-changes",
                        Some(&token),
                        note.as_deref(),
                    )
                    .await?;
            }
            ProposalStatus::Rejected => {
                self.desk
                    .mail_author(&txn, &updated, "proposal-rejected", None, note.as_deref())
                    .await?;
            }
            _ => {}
        }
        indexer::enqueue(&txn, id).await?;
        txn.commit().await?;
        self.desk.index_wake.nudge();
        Ok(())
    }

    pub async fn report(&self, id: i64, reason: &str) -> Result<(), ProposalError> {
        let reason = statement(reason, NOTE_MAX).map_err(|m| field("grund", m))?;
        let model = proposal::Entity::find_by_id(id)
            .one(&self.desk.db)
            .await?
            .ok_or(ProposalError::NotFound)?;
        if !model.status.is_public() {
            return Err(ProposalError::NotFound);
        }
        proposal_report::ActiveModel {
            proposal_id: Set(id),
            reason: Set(reason),
            created_at: Set(Utc::now()),
            resolved_at: Set(None),
            ..Default::default()
        }
        .insert(&self.desk.db)
        .await?;
        Ok(())
    }

    /// Marks a report as dealt with (the proposal stays as it is).
    pub async fn resolve_report(
        &self,
        report_id: i64,
        actor: Actor<'_>,
    ) -> Result<(), ProposalError> {
        let txn = begin(&self.desk.db).await?;
        let report = proposal_report::Entity::find_by_id(report_id)
            .one(&txn)
            .await?
            .ok_or(ProposalError::NotFound)?;
        let model = locked(&txn, report.proposal_id).await?;
        if !moderates(actor.rights, &model) {
            return Err(ProposalError::NotFound);
        }
        // Conditional: a second click, or a colleague at the same moment, changes and records nothing.
        let resolved = proposal_report::Entity::update_many()
            .col_expr(proposal_report::Column::ResolvedAt, Expr::value(Utc::now()))
            .filter(proposal_report::Column::Id.eq(report.id))
            .filter(proposal_report::Column::ResolvedAt.is_null())
            .exec(&txn)
            .await?
            .rows_affected;
        if resolved == 1 {
            audit::record(
                &txn,
                Some(actor.user_id),
                "proposal.report-resolved",
                &format!("proposal:{}", model.id),
                "",
            )
            .await?;
        }
        txn.commit().await?;
        Ok(())
    }
}

/// The state a hidden proposal had before it was hidden, from its history.
async fn status_before_hiding(
    conn: &impl ConnectionTrait,
    id: i64,
) -> Result<Option<ProposalStatus>, DbErr> {
    Ok(proposal_event::Entity::find()
        .filter(proposal_event::Column::ProposalId.eq(id))
        .filter(proposal_event::Column::Status.ne(ProposalStatus::Hidden))
        .order_by_desc(proposal_event::Column::Id)
        .one(conn)
        .await?
        .map(|event| event.status))
}
