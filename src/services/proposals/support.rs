//! Supports (one per person, by account or confirmed address) and follows (mails on every public
//! change), each confirmed by a mailed link when the address is not proven yet.
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, Set,
    sea_query::{Expr, Query},
};

use super::{ProposalDesk, ProposalError, begin, field, locked, recount};
use crate::{
    db::{
        entities::{proposal, proposal_follow, proposal_support, user},
        is_unique_violation,
    },
    domain::{Email, Language},
    mail,
    search::indexer,
    services::sessions::{hash_token, random_token},
};

#[derive(Debug, PartialEq, Eq)]
pub enum SupportOutcome {
    Counted,
    /// A link went to the address; the support counts once it is used.
    ConfirmationSent,
    AlreadySupported,
}

#[derive(Debug, PartialEq, Eq)]
pub enum FollowOutcome {
    Following,
    ConfirmationSent,
    AlreadyFollowing,
}

/// Supporting and following proposals.
#[derive(Clone)]
pub struct Supports {
    pub(super) desk: ProposalDesk,
}

impl Supports {
    /// One support per person, known by account or by confirmed address; no down-votes. A signed-in
    /// support also records the hash of the account's (confirmed) address, so the same person
    /// cannot add a second one by the mailed link, and a support by link for an address whose
    /// account already supported is not counted again.
    pub async fn support(
        &self,
        id: i64,
        user_id: Option<i32>,
        email: Option<&Email>,
        lang: Language,
    ) -> Result<SupportOutcome, ProposalError> {
        let now = Utc::now();
        let txn = begin(&self.desk.db).await?;
        let model = locked_public(&txn, id).await?;
        let (user, address, token) = match (user_id, email) {
            (Some(user), _) => {
                let address = user::Entity::find_by_id(user)
                    .one(&txn)
                    .await?
                    .map(|u| u.email);
                (Some(user), address, None)
            }
            (None, Some(email)) => (None, Some(email.as_str().to_owned()), Some(random_token())),
            (None, None) => return Err(field("email", "error-email-missing")),
        };
        let email_hash = address
            .as_deref()
            .map(|a| self.desk.pseudonyms.support_address(a));
        // The person's supports: by account, by the address's hash, and (for a support by link)
        // by the account that has this address now. An instance of an older version, during a
        // rolling update, stores the plain hash, which housekeeping converts later: that one
        // is the same person's too.
        let mut same_person = Condition::any();
        if let Some(user) = user {
            same_person = same_person.add(proposal_support::Column::UserId.eq(user));
        }
        if let (Some(hash), Some(address)) = (&email_hash, &address) {
            same_person = same_person.add(
                proposal_support::Column::EmailHash.is_in([hash.clone(), hash_token(address)]),
            );
        }
        if let (None, Some(email)) = (user, email) {
            same_person = same_person.add(
                proposal_support::Column::UserId.in_subquery(
                    Query::select()
                        .column(user::Column::Id)
                        .from(user::Entity)
                        .and_where(user::Column::Email.eq(email.as_str()))
                        .to_owned(),
                ),
            );
        }
        let existing = proposal_support::Entity::find()
            .filter(proposal_support::Column::ProposalId.eq(id))
            .filter(same_person)
            .order_by_asc(proposal_support::Column::Id)
            .all(&txn)
            .await?;
        if existing.iter().any(|s| s.confirmed_at.is_some()) {
            // Whoever typed the address is answered as for any address (see the handler): who
            // supports what is nobody else's business. The mailbox learns nothing more is needed.
            if let (None, Some(to)) = (user, email) {
                self.mail_notice(&txn, &model, to, lang, "proposal-support-already")
                    .await?;
                txn.commit().await?;
            }
            return Ok(SupportOutcome::AlreadySupported);
        }
        if let (Some(user), Some(pending)) = (user, existing.first()) {
            // The address's link was not used yet; signing in proved the address, so this row
            // becomes the account's support and counts now.
            let mut active = pending.clone().into_active_model();
            active.user_id = Set(Some(user));
            active.confirm_token_hash = Set(None);
            count_support(&txn, active, id, now).await?;
            txn.commit().await?;
            self.desk.index_wake.nudge();
            return Ok(SupportOutcome::Counted);
        }
        if let Some(found) = existing.into_iter().next() {
            // Not confirmed yet: send a fresh link instead of a second row. Its 30 days until
            // an unconfirmed support is removed (`services::retention`) start again.
            let token = token.unwrap_or_else(random_token);
            let mut active = found.into_active_model();
            active.confirm_token_hash = Set(Some(hash_token(&token)));
            active.created_at = Set(now);
            active.update(&txn).await?;
            self.mail_support_link(&txn, &model, email, lang, &token)
                .await?;
            txn.commit().await?;
            return Ok(SupportOutcome::ConfirmationSent);
        }
        let inserted = proposal_support::ActiveModel {
            proposal_id: Set(id),
            user_id: Set(user),
            email_hash: Set(email_hash),
            confirm_token_hash: Set(token.as_deref().map(hash_token)),
            confirmed_at: Set(user.map(|_| now)),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await;
        match inserted {
            Ok(_) => {}
            // A second request of the same person raced this one; its row counts.
            Err(e) if is_unique_violation(&e) => {
                return Ok(SupportOutcome::AlreadySupported);
            }
            Err(e) => return Err(e.into()),
        }
        let outcome = if let Some(token) = token {
            self.mail_support_link(&txn, &model, email, lang, &token)
                .await?;
            SupportOutcome::ConfirmationSent
        } else {
            recount(&txn, id, 0).await?;
            indexer::enqueue(&txn, id).await?;
            SupportOutcome::Counted
        };
        txn.commit().await?;
        if outcome == SupportOutcome::Counted {
            self.desk.index_wake.nudge();
        }
        Ok(outcome)
    }

    /// A notice about the proposal with a link to its page.
    async fn mail_notice(
        &self,
        conn: &impl ConnectionTrait,
        model: &proposal::Model,
        to: &Email,
        lang: Language,
        kind: &str,
    ) -> Result<(), ProposalError> {
        let page = format!("/vorschlaege/{}", model.id);
        self.mail_about(conn, model, to, lang, kind, &page).await
    }

    async fn mail_support_link(
        &self,
        conn: &impl ConnectionTrait,
        model: &proposal::Model,
        email: Option<&Email>,
        lang: Language,
        token: &str,
    ) -> Result<(), ProposalError> {
        let Some(to) = email else { return Ok(()) };
        let link = format!("/vorschlaege/unterstuetzen/{token}");
        self.mail_about(conn, model, to, lang, "proposal-support-confirm", &link)
            .await
    }

    /// A mail of `kind` about the proposal, leading to `path`.
    async fn mail_about(
        &self,
        conn: &impl ConnectionTrait,
        model: &proposal::Model,
        to: &Email,
        lang: Language,
        kind: &str,
        path: &str,
    ) -> Result<(), ProposalError> {
        let message =
            self.desk
                .composer
                .notice(lang, to, kind, path, &self.desk.args(model), None, None)?;
        mail::enqueue(conn, message).await?;
        Ok(())
    }

    /// Confirms a support by its mailed link; returns the proposal's id.
    pub async fn confirm_support(&self, token: &str) -> Result<i64, ProposalError> {
        let now = Utc::now();
        let txn = begin(&self.desk.db).await?;
        let by_token = || {
            proposal_support::Entity::find()
                .filter(proposal_support::Column::ConfirmTokenHash.eq(hash_token(token)))
        };
        let mut id = by_token()
            .one(&txn)
            .await?
            .ok_or(ProposalError::NotFound)?
            .proposal_id;
        // The proposal first, like `support` does: one lock order, so a link used while the person
        // supports signed in cannot deadlock; then the row again, as that may have changed it. A
        // merge committed while this waited has moved the support to the kept proposal: that one
        // is locked and counts it.
        let found = loop {
            locked(&txn, id).await?;
            let found = by_token().one(&txn).await?.ok_or(ProposalError::NotFound)?;
            if found.proposal_id == id {
                break found;
            }
            id = found.proposal_id;
        };
        if found.confirmed_at.is_none() {
            count_support(&txn, found.into_active_model(), id, now).await?;
        }
        txn.commit().await?;
        self.desk.index_wake.nudge();
        Ok(id)
    }

    /// Follows a proposal. `signed_in` is the account whose own address `email` is: it follows at
    /// once; others confirm by link.
    pub async fn follow(
        &self,
        id: i64,
        email: &Email,
        signed_in: Option<i32>,
        lang: Language,
    ) -> Result<FollowOutcome, ProposalError> {
        let now = Utc::now();
        let txn = begin(&self.desk.db).await?;
        // The account first, as its deletion locks it first: a follow while the account is being
        // deleted waits and then finds it gone, instead of adding a follow the deletion has passed.
        if let Some(user_id) = signed_in {
            user::Entity::find_by_id(user_id)
                .filter(user::Column::Email.eq(email.as_str()))
                .lock_shared()
                .one(&txn)
                .await?
                .ok_or(ProposalError::NotFound)?;
        }
        let confirmed = signed_in.is_some();
        let model = locked_public(&txn, id).await?;
        let existing = proposal_follow::Entity::find()
            .filter(proposal_follow::Column::ProposalId.eq(id))
            .filter(proposal_follow::Column::Email.eq(email.as_str()))
            .one(&txn)
            .await?;
        if existing.as_ref().is_some_and(|f| f.confirmed_at.is_some()) {
            // As for supports: the mailbox of a typed-in address is told instead of whoever typed it.
            if !confirmed {
                self.mail_notice(&txn, &model, email, lang, "proposal-follow-already")
                    .await?;
                txn.commit().await?;
            }
            return Ok(FollowOutcome::AlreadyFollowing);
        }
        if confirmed {
            self.desk
                .follow_confirmed(&txn, id, email, lang, now)
                .await?;
            txn.commit().await?;
            return Ok(FollowOutcome::Following);
        }
        let token = match existing {
            // The same link again; its 30 days until an unconfirmed follow is removed
            // (`services::retention`) start again.
            Some(found) => {
                let token = found.token.clone();
                let mut active = found.into_active_model();
                active.created_at = Set(now);
                active.update(&txn).await?;
                token
            }
            None => {
                let token = random_token();
                proposal_follow::ActiveModel {
                    proposal_id: Set(id),
                    email: Set(email.as_str().to_owned()),
                    language: Set(lang.code().to_owned()),
                    token: Set(token.clone()),
                    confirmed_at: Set(None),
                    created_at: Set(now),
                    ..Default::default()
                }
                .insert(&txn)
                .await?;
                token
            }
        };
        let link = format!("/vorschlaege/folgen/{token}");
        self.mail_about(&txn, &model, email, lang, "proposal-follow-confirm", &link)
            .await?;
        txn.commit().await?;
        Ok(FollowOutcome::ConfirmationSent)
    }

    /// Confirms a follow by its mailed link; returns the proposal's id.
    pub async fn confirm_follow(&self, token: &str) -> Result<i64, ProposalError> {
        // One conditional statement, then the row as it is: the follow may have been confirmed,
        // moved by a merge or removed (unfollowed, the account deleted) since the page was opened.
        proposal_follow::Entity::update_many()
            .col_expr(
                proposal_follow::Column::ConfirmedAt,
                Expr::value(Utc::now()),
            )
            .filter(proposal_follow::Column::Token.eq(token))
            .filter(proposal_follow::Column::ConfirmedAt.is_null())
            .exec(&self.desk.db)
            .await?;
        Ok(proposal_follow::Entity::find()
            .filter(proposal_follow::Column::Token.eq(token))
            .one(&self.desk.db)
            .await?
            .ok_or(ProposalError::NotFound)?
            .proposal_id)
    }

    /// Ends a follow by the link in every notification; returns the proposal's title.
    pub async fn unfollow(&self, token: &str) -> Result<String, ProposalError> {
        let found = proposal_follow::Entity::find()
            .filter(proposal_follow::Column::Token.eq(token))
            .one(&self.desk.db)
            .await?
            .ok_or(ProposalError::NotFound)?;
        let title = proposal::Entity::find_by_id(found.proposal_id)
            .one(&self.desk.db)
            .await?
            .map(|p| p.title)
            .unwrap_or_default();
        proposal_follow::Entity::delete_by_id(found.id)
            .exec(&self.desk.db)
            .await?;
        Ok(title)
    }
}

/// A support counts from now on: confirmed, and the proposal's count and search entry updated.
async fn count_support(
    txn: &DatabaseTransaction,
    mut support: proposal_support::ActiveModel,
    proposal_id: i64,
    now: DateTime<Utc>,
) -> Result<(), ProposalError> {
    support.confirmed_at = Set(Some(now));
    support.update(txn).await?;
    recount(txn, proposal_id, 0).await?;
    indexer::enqueue(txn, proposal_id).await?;
    Ok(())
}

/// A published proposal, locked like [`locked`]: only those can be supported and followed.
async fn locked_public(
    txn: &DatabaseTransaction,
    id: i64,
) -> Result<proposal::Model, ProposalError> {
    let model = locked(txn, id).await?;
    if !model.status.is_public() {
        return Err(ProposalError::NotFound);
    }
    Ok(model)
}
