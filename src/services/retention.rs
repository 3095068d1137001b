//! Personal data that has served its purpose and goes by itself: what was never confirmed, the
//! contact of an author whose proposal was left aside (rejected, hidden, or never changed as asked)
//! or answered for good, and spent account links. Bookings have their
//! own rule (`booking::jobs::anonymise_past_bookings`), mail its own (`mail::delete_older_than`).
//!
//! Every step is one conditional statement, so instances running it side by side, or a person
//! confirming at the same moment, change nothing twice and lose nothing.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
    sea_query::{Expr, ExprTrait, Query},
};

use crate::{
    db::entities::{
        account_token, feedback_invitation, proposal, proposal_follow, proposal_support, user,
        user_role,
    },
    domain::{proposal::ProposalStatus, role::Role},
};

/// How long an address waits for its confirmation link to be used: an account never confirmed, a
/// proposal, support or follow given without an account and never confirmed. The links themselves
/// run out sooner (48 hours for an account); the rest is room for a person who asks staff for help.
pub const UNCONFIRMED_KEPT: Duration = Duration::days(30);

/// How long an account link that was used or ran out is kept (it may hold a new address).
pub const SPENT_LINK_KEPT: Duration = Duration::days(1);

/// What one run removed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Purged {
    pub accounts: u64,
    pub proposals: u64,
    pub supports: u64,
    pub follows: u64,
    pub author_contacts: u64,
    pub account_links: u64,
    /// Used feedback links that still told the day of their use.
    pub feedback_link_days: u64,
}

impl Purged {
    pub fn total(&self) -> u64 {
        self.accounts
            + self.proposals
            + self.supports
            + self.follows
            + self.author_contacts
            + self.account_links
            + self.feedback_link_days
    }
}

/// Removes what was never confirmed within [`UNCONFIRMED_KEPT`], the author's address and phone
/// number of proposals left aside ([`ProposalStatus::LEFT_ASIDE`], with their follows) or answered
/// for good ([`ProposalStatus::SETTLED`]) unchanged for more than `retention`, and spent account
/// links.
pub async fn purge(
    db: &impl ConnectionTrait,
    retention: Duration,
    now: DateTime<Utc>,
) -> Result<Purged, DbErr> {
    let unconfirmed_before = now - UNCONFIRMED_KEPT;
    // An account that staff gave a role is theirs to clear up: it was meant to be used.
    let with_staff_role = Query::select()
        .column(user_role::Column::UserId)
        .from(user_role::Entity)
        .and_where(user_role::Column::Role.ne(Role::Citizen.as_str()))
        .to_owned();
    // Roles, sessions and links go by the foreign keys' cascade; an unconfirmed account cannot sign
    // in, so it has nothing else.
    let accounts = user::Entity::delete_many()
        .filter(user::Column::EmailVerifiedAt.is_null())
        .filter(user::Column::CreatedAt.lt(unconfirmed_before))
        .filter(user::Column::Id.not_in_subquery(with_staff_role))
        .exec(db)
        .await?
        .rows_affected;
    // Never seen by anyone but the author: not in the index, no supports; its history goes by the
    // cascade.
    let proposals = proposal::Entity::delete_many()
        .filter(proposal::Column::Status.eq(ProposalStatus::Unconfirmed))
        .filter(proposal::Column::CreatedAt.lt(unconfirmed_before))
        .exec(db)
        .await?
        .rows_affected;
    let supports = proposal_support::Entity::delete_many()
        .filter(proposal_support::Column::ConfirmedAt.is_null())
        .filter(proposal_support::Column::CreatedAt.lt(unconfirmed_before))
        .exec(db)
        .await?
        .rows_affected;
    // Left aside, unchanged for the retention period.
    let left_long_ago = Condition::all()
        .add(proposal::Column::Status.is_in(ProposalStatus::LEFT_ASIDE.iter().copied()))
        .add(proposal::Column::UpdatedAt.lt(now - retention));
    let left_long_ago_ids = Query::select()
        .column(proposal::Column::Id)
        .from(proposal::Entity)
        .cond_where(left_long_ago.clone())
        .to_owned();
    let follows = proposal_follow::Entity::delete_many()
        .filter(
            Condition::any()
                .add(
                    Condition::all()
                        .add(proposal_follow::Column::ConfirmedAt.is_null())
                        .add(proposal_follow::Column::CreatedAt.lt(unconfirmed_before)),
                )
                .add(proposal_follow::Column::ProposalId.in_subquery(left_long_ago_ids)),
        )
        .exec(db)
        .await?
        .rows_affected;
    // The author was told why; nothing more will be sent unless someone acts, and a change sent
    // by the author's link needs no address. The account, if any, keeps seeing the proposal in
    // its list. The condition is on the row itself, not a subquery: on PostgreSQL an update that
    // waited for the row (the author revising it this moment) tests its own conditions again on
    // the row as committed, but not a subquery's.
    let settled_long_ago = Condition::all()
        .add(proposal::Column::Status.is_in(ProposalStatus::SETTLED.iter().copied()))
        .add(proposal::Column::UpdatedAt.lt(now - retention));
    let author_contacts = crate::services::proposals::forget_authors_contact()
        .filter(Condition::any().add(left_long_ago).add(settled_long_ago))
        .filter(
            Condition::any()
                .add(proposal::Column::AuthorEmail.is_not_null())
                .add(proposal::Column::Contact.is_not_null()),
        )
        .exec(db)
        .await?
        .rows_affected;
    let spent_before = now - SPENT_LINK_KEPT;
    let account_links = account_token::Entity::delete_many()
        .filter(
            Condition::any()
                .add(account_token::Column::ExpiresAt.lt(spent_before))
                .add(account_token::Column::UsedAt.lt(spent_before)),
        )
        .exec(db)
        .await?
        .rows_affected;
    // A used feedback link keeps the time it was sent (`feedback::submit_invited`); an instance
    // of an older release, during a rolling update, still writes the day of use, which matched
    // the form's day.
    let feedback_link_days = feedback_invitation::Entity::update_many()
        .col_expr(
            feedback_invitation::Column::UsedAt,
            Expr::col(feedback_invitation::Column::CreatedAt),
        )
        .filter(feedback_invitation::Column::UsedAt.is_not_null())
        .filter(
            Expr::col(feedback_invitation::Column::UsedAt)
                .ne(Expr::col(feedback_invitation::Column::CreatedAt)),
        )
        .exec(db)
        .await?
        .rows_affected;
    Ok(Purged {
        feedback_link_days,
        accounts,
        proposals,
        supports,
        follows,
        author_contacts,
        account_links,
    })
}
