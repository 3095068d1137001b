//! Official answers by moderators and municipality editors, and the list of what is to answer.
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use super::{
    Actor, ProposalDesk, ProposalError, Row, answering_districts, begin, field, locked,
    record_event,
};
use crate::{
    db::entities::proposal,
    domain::proposal::{ANSWER_MAX, ProposalStatus, search_text, statement},
    policy::ProposalRights,
    search::indexer,
    services::{audit, reference::District},
};

/// A stamp of what the answer form is filled with: the state and the official answer. Two editors
/// can have the form open at once: saving the older one would put the state back and replace the
/// other's answer (and tell every follower the opposite), so [`Answers::answer`] compares it first.
pub(super) fn answer_seen(model: &proposal::Model) -> String {
    let shown = format!(
        "{}|{}",
        model.status.key(),
        model.official_answer.as_deref().unwrap_or_default()
    );
    crate::domain::form::stamp(&shown)
}

/// The answering desk.
#[derive(Clone)]
pub struct Answers {
    pub(super) desk: ProposalDesk,
}

impl Answers {
    /// Published proposals in the districts these rights answer for, those without an answer first.
    pub async fn to_answer(
        &self,
        rights: &ProposalRights,
        districts: &[District],
    ) -> Result<Vec<Row>, ProposalError> {
        let mut select = proposal::Entity::find()
            .filter(proposal::Column::Status.is_in(ProposalStatus::PUBLIC.iter().copied()));
        if !rights.everywhere {
            let districts = answering_districts(&self.desk.db, rights).await?;
            select = select.filter(proposal::Column::DistrictKey.is_in(districts));
        }
        Ok(select
            .order_by_asc(proposal::Column::AnsweredAt.is_not_null())
            .order_by_desc(proposal::Column::SupportsCount)
            .order_by_asc(proposal::Column::Id)
            .limit(500)
            .all(&self.desk.db)
            .await?
            .into_iter()
            .map(|m| Row::new(m, districts))
            .collect())
    }

    /// An official answer and/or a new lifecycle state, by a moderator or a municipality editor,
    /// if state and answer are still as `seen` (their [`answer_seen`] stamp when the form was
    /// filled).
    pub async fn answer(
        &self,
        id: i64,
        next: ProposalStatus,
        answer: &str,
        seen: &str,
        actor: Actor<'_>,
    ) -> Result<(), ProposalError> {
        if !ProposalStatus::ANSWERS.contains(&next) {
            return Err(field("status", "error-status-invalid"));
        }
        let answer = match answer.trim() {
            "" if next.needs_justification() => {
                return Err(field("antwort", "error-justification-missing"));
            }
            "" => None,
            raw => Some(statement(raw, ANSWER_MAX).map_err(|m| field("antwort", m))?),
        };
        let now = Utc::now();
        let txn = begin(&self.desk.db).await?;
        let model = locked(&txn, id).await?;
        let allowed = actor.rights.everywhere
            || answering_districts(&txn, actor.rights)
                .await?
                .contains(&model.district_key);
        if !allowed {
            return Err(ProposalError::NotFound);
        }
        let current = model.status;
        if !current.can_answer_to(next) {
            return Err(ProposalError::Refused("error-proposal-step-not-possible"));
        }
        if answer_seen(&model) != seen {
            return Err(ProposalError::Changed);
        }
        if current == next && answer.is_none() {
            return Err(field("antwort", "error-answer-nothing-changed"));
        }
        let mut active = model.clone().into_active_model();
        active.status = Set(next);
        active.updated_at = Set(now);
        if let Some(text) = &answer {
            active.official_answer = Set(Some(text.clone()));
            active.answered_at = Set(Some(now));
            active.search_text = Set(search_text(&model.title, &model.body, Some(text)));
        }
        let updated = active.update(&txn).await?;
        record_event(
            &txn,
            id,
            next,
            answer.clone(),
            true,
            Some(actor.user_id),
            now,
        )
        .await?;
        audit::record(
            &txn,
            Some(actor.user_id),
            "proposal.answer",
            &format!("proposal:{id}"),
            next.key(),
        )
        .await?;
        self.desk
            .notify_followers(&txn, &updated, answer.as_deref())
            .await?;
        indexer::enqueue(&txn, id).await?;
        txn.commit().await?;
        self.desk.index_wake.nudge();
        Ok(())
    }
}
