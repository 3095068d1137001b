//! Merging a proposal into another one: supports and followers move to the kept proposal unless
//! the same person is already there.
use sea_orm::{
    ColumnTrait, Condition, DatabaseTransaction, EntityTrait, QueryFilter,
    sea_query::{Expr, ExprTrait, Query},
};

use super::{Actor, ProposalError, field, locked, moderates, moderation::Moderation, recount};
use crate::{
    db::entities::{proposal, proposal_follow, proposal_support},
    search::indexer,
};

impl Moderation {
    pub(super) async fn merge_into(
        &self,
        txn: &DatabaseTransaction,
        merged: &proposal::Model,
        kept_id: i64,
        actor: Actor<'_>,
    ) -> Result<(), ProposalError> {
        if kept_id == merged.id {
            return Err(field("ziel", "error-merge-self"));
        }
        let kept = locked(txn, kept_id)
            .await
            .map_err(|_| field("ziel", "error-merge-target-unknown"))?;
        if !kept.status.is_public() || !moderates(actor.rights, &kept) {
            return Err(field("ziel", "error-merge-target-unknown"));
        }
        // Supports and followers move unless the same person is already on the kept proposal;
        // those left behind are dropped with the merged proposal's state.
        let on_kept = |column: proposal_support::Column| {
            Query::select()
                .column(column)
                .from(proposal_support::Entity)
                .and_where(proposal_support::Column::ProposalId.eq(kept_id))
                .and_where(Expr::col(column).is_not_null())
                .to_owned()
        };
        // A confirmed support outweighs an unconfirmed one of the same person on the kept
        // proposal: the unconfirmed one gives way, so the confirmed one moves and keeps counting.
        let confirmed_on_merged = |column: proposal_support::Column| {
            Query::select()
                .column(column)
                .from(proposal_support::Entity)
                .and_where(proposal_support::Column::ProposalId.eq(merged.id))
                .and_where(proposal_support::Column::ConfirmedAt.is_not_null())
                .and_where(Expr::col(column).is_not_null())
                .to_owned()
        };
        proposal_support::Entity::delete_many()
            .filter(proposal_support::Column::ProposalId.eq(kept_id))
            .filter(proposal_support::Column::ConfirmedAt.is_null())
            .filter(
                Condition::any()
                    .add(
                        proposal_support::Column::UserId
                            .in_subquery(confirmed_on_merged(proposal_support::Column::UserId)),
                    )
                    .add(
                        proposal_support::Column::EmailHash
                            .in_subquery(confirmed_on_merged(proposal_support::Column::EmailHash)),
                    ),
            )
            .exec(txn)
            .await?;
        proposal_support::Entity::update_many()
            .col_expr(proposal_support::Column::ProposalId, Expr::value(kept_id))
            .filter(proposal_support::Column::ProposalId.eq(merged.id))
            .filter(
                Condition::any()
                    .add(proposal_support::Column::UserId.is_null())
                    .add(
                        proposal_support::Column::UserId
                            .not_in_subquery(on_kept(proposal_support::Column::UserId)),
                    ),
            )
            .filter(
                Condition::any()
                    .add(proposal_support::Column::EmailHash.is_null())
                    .add(
                        proposal_support::Column::EmailHash
                            .not_in_subquery(on_kept(proposal_support::Column::EmailHash)),
                    ),
            )
            .exec(txn)
            .await?;
        proposal_support::Entity::delete_many()
            .filter(proposal_support::Column::ProposalId.eq(merged.id))
            .exec(txn)
            .await?;
        proposal_follow::Entity::delete_many()
            .filter(proposal_follow::Column::ProposalId.eq(kept_id))
            .filter(proposal_follow::Column::ConfirmedAt.is_null())
            .filter(
                proposal_follow::Column::Email.in_subquery(
                    Query::select()
                        .column(proposal_follow::Column::Email)
                        .from(proposal_follow::Entity)
                        .and_where(proposal_follow::Column::ProposalId.eq(merged.id))
                        .and_where(proposal_follow::Column::ConfirmedAt.is_not_null())
                        .to_owned(),
                ),
            )
            .exec(txn)
            .await?;
        proposal_follow::Entity::update_many()
            .col_expr(proposal_follow::Column::ProposalId, Expr::value(kept_id))
            .filter(proposal_follow::Column::ProposalId.eq(merged.id))
            .filter(
                proposal_follow::Column::Email.not_in_subquery(
                    Query::select()
                        .column(proposal_follow::Column::Email)
                        .from(proposal_follow::Entity)
                        .and_where(proposal_follow::Column::ProposalId.eq(kept_id))
                        .to_owned(),
                ),
            )
            .exec(txn)
            .await?;
        proposal_follow::Entity::delete_many()
            .filter(proposal_follow::Column::ProposalId.eq(merged.id))
            .exec(txn)
            .await?;
        recount(txn, kept_id, merged.imported_supports).await?;
        recount(txn, merged.id, -merged.imported_supports).await?;
        indexer::enqueue(txn, kept_id).await?;
        Ok(())
    }
}
