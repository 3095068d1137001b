//! The proposals a signed-in person handed in with their account, for "Mein Konto": where each
//! stands and the answer, without needing the private link from the mail.
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;

use crate::{db::entities::proposal, domain::proposal::ProposalStatus};

#[derive(Debug, Serialize)]
pub struct OwnProposal {
    pub title: String,
    pub created_at: DateTime<Utc>,
    /// The page translates its key, e.g. `published`.
    pub status: ProposalStatus,
    /// The public page, once the proposal is public.
    pub href: Option<String>,
    pub answer: Option<String>,
    /// What moderation asked to change or why it was not published; the author may see it.
    pub moderation_note: Option<String>,
    pub supports: i32,
}

/// The person's proposals, newest first. Merged ones link to the proposal they joined.
pub async fn of_user(db: &impl ConnectionTrait, user_id: i32) -> Result<Vec<OwnProposal>, DbErr> {
    let rows = proposal::Entity::find()
        .filter(proposal::Column::AuthorUserId.eq(user_id))
        .order_by_desc(proposal::Column::CreatedAt)
        .order_by_desc(proposal::Column::Id)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|p| {
            let status = p.status;
            let href = match (status, p.merged_into_id) {
                (ProposalStatus::Merged, Some(kept)) => Some(format!("/vorschlaege/{kept}")),
                (s, _) if s.is_public() => Some(format!("/vorschlaege/{}", p.id)),
                _ => None,
            };
            let moderation_note = matches!(
                status,
                ProposalStatus::ChangesRequested | ProposalStatus::Rejected
            )
            .then_some(p.moderation_note)
            .flatten();
            OwnProposal {
                title: p.title,
                created_at: p.created_at,
                status: p.status,
                href,
                answer: p.official_answer,
                moderation_note,
                supports: p.supports_count,
            }
        })
        .collect())
}
