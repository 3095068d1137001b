//! Proposals from handing in to the official answer: confirmation, moderation, answers, supports,
//! followers and reports. Every change runs in one transaction together with its history entry,
//! audit record, mails and search-index update, so nothing is stored half-way.
use std::{borrow::Cow, collections::HashMap};

use chrono::{DateTime, Utc};
use fluent_templates::fluent_bundle::FluentValue;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, DbErr, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, SqlErr,
    sea_query::{Expr, ExprTrait, Query},
};

use crate::{
    db::entities::{
        district, offer, organisation, proposal, proposal_event, proposal_follow, proposal_report,
        proposal_support, user,
    },
    domain::{
        Email, Language,
        offer::OfferKind,
        proposal::{
            ANSWER_MAX, Channel, ModerationStep, NOTE_MAX, ProposalDraft, ProposalStatus,
            search_text, statement,
        },
    },
    mail::{self, compose::Composer},
    policy::ProposalRights,
    search::indexer::{self, IndexWake},
    services::{
        audit,
        sessions::{hash_token, random_token},
    },
};

#[derive(Debug, thiserror::Error)]
pub enum ProposalError {
    #[error("no such proposal")]
    NotFound,
    /// The step is not possible now; the message id says why.
    #[error("refused: {0}")]
    Refused(&'static str),
    /// A field of the form is wrong; the message id belongs next to that field.
    #[error("invalid {field}: {message}")]
    Field {
        field: &'static str,
        message: &'static str,
    },
    #[error("database: {0}")]
    Db(#[from] DbErr),
    #[error("composing a mail: {0}")]
    Mail(#[from] anyhow::Error),
}

fn field(field: &'static str, message: &'static str) -> ProposalError {
    ProposalError::Field { field, message }
}

/// Who hands a proposal in.
#[derive(Debug, Clone)]
pub enum Submitter {
    Account {
        user_id: i32,
        email: Email,
    },
    /// Without an account: counts only after the address is confirmed by link.
    Unregistered(Email),
    /// Typed in by staff from a paper card or a phone call.
    Assisted {
        staff_user_id: i32,
    },
    /// Handed in anonymously at a kiosk terminal: no address to confirm, straight to moderation.
    Kiosk,
}

pub struct Receipt {
    pub id: i64,
    /// The author's secret link token (status page, confirmation, changes).
    pub token: String,
    pub status: ProposalStatus,
}

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

#[derive(Debug, Clone, Copy)]
pub struct Actor<'a> {
    pub user_id: i32,
    pub rights: &'a ProposalRights,
}

/// What the public page of a proposal shows.
pub struct PublicProposal {
    pub proposal: proposal::Model,
    pub district_name: String,
    pub history: Vec<proposal_event::Model>,
}

pub enum Lookup {
    Found(Box<PublicProposal>),
    /// Merged into another proposal: the page redirects there.
    MergedInto(i64),
}

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

#[derive(Clone)]
pub struct ProposalDesk {
    pub db: DatabaseConnection,
    pub composer: Composer,
    pub index_wake: IndexWake,
}

async fn begin(db: &DatabaseConnection) -> Result<crate::db::WriteTransaction, DbErr> {
    crate::db::begin_write(db).await
}

async fn record_event(
    conn: &impl ConnectionTrait,
    proposal_id: i64,
    status: ProposalStatus,
    note: Option<String>,
    public: bool,
    actor: Option<i32>,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    proposal_event::ActiveModel {
        proposal_id: Set(proposal_id),
        status: Set(status),
        note: Set(note),
        public: Set(public),
        actor_user_id: Set(actor),
        created_at: Set(at),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(())
}

/// The districts where a person may act: moderated ones, and for answers also those of their organisations.
async fn answering_districts(
    conn: &impl ConnectionTrait,
    rights: &ProposalRights,
) -> Result<Vec<String>, DbErr> {
    let mut districts = rights.moderated_districts.clone();
    if !rights.answering_organisations.is_empty() {
        let organisations = organisation::Entity::find()
            .filter(organisation::Column::Id.is_in(rights.answering_organisations.clone()))
            .all(conn)
            .await?;
        districts.extend(organisations.into_iter().filter_map(|o| o.district_key));
    }
    Ok(districts)
}

fn moderates(rights: &ProposalRights, model: &proposal::Model) -> bool {
    rights.everywhere || rights.moderated_districts.contains(&model.district_key)
}

impl ProposalDesk {
    fn args(&self, model: &proposal::Model) -> HashMap<Cow<'static, str>, FluentValue<'static>> {
        let mut args: HashMap<Cow<'static, str>, FluentValue> = HashMap::new();
        args.insert("title".into(), model.title.clone().into());
        args
    }

    async fn mail_author(
        &self,
        conn: &impl ConnectionTrait,
        model: &proposal::Model,
        kind: &str,
        token: Option<&str>,
        details: Option<&str>,
    ) -> Result<(), ProposalError> {
        let Some(to) = model
            .author_email
            .as_deref()
            .and_then(|e| Email::parse(e).ok())
        else {
            return Ok(());
        };
        let lang = Language::from_code(&model.language).unwrap_or(Language::De);
        let path = match token {
            Some(token) => format!("/vorschlaege/eigene/{token}"),
            None => format!("/vorschlaege/{}", model.id),
        };
        let message = self
            .composer
            .notice(lang, &to, kind, &path, &self.args(model), details)?;
        mail::enqueue(conn, message).await?;
        Ok(())
    }

    /// Tells every confirmed follower that the public state changed.
    async fn notify_followers(
        &self,
        conn: &impl ConnectionTrait,
        model: &proposal::Model,
        details: Option<&str>,
    ) -> Result<(), ProposalError> {
        let followers = proposal_follow::Entity::find()
            .filter(proposal_follow::Column::ProposalId.eq(model.id))
            .filter(proposal_follow::Column::ConfirmedAt.is_not_null())
            .all(conn)
            .await?;
        for follower in followers {
            let Ok(to) = Email::parse(&follower.email) else {
                continue;
            };
            let lang = Language::from_code(&follower.language).unwrap_or(Language::De);
            let mut args = self.args(model);
            args.insert(
                "status".into(),
                self.composer
                    .translations
                    .text(lang, &format!("proposal-status-{}", model.status))
                    .into(),
            );
            let message = self.composer.notice_with_unsubscribe(
                lang,
                &to,
                "proposal-update",
                &format!("/vorschlaege/{}", model.id),
                &args,
                details,
                &format!("/vorschlaege/abmelden/{}", follower.token),
            )?;
            mail::enqueue(conn, message).await?;
        }
        Ok(())
    }

    async fn follow_confirmed(
        &self,
        conn: &impl ConnectionTrait,
        proposal_id: i64,
        email: &Email,
        lang: Language,
        now: DateTime<Utc>,
    ) -> Result<(), DbErr> {
        let existing = proposal_follow::Entity::find()
            .filter(proposal_follow::Column::ProposalId.eq(proposal_id))
            .filter(proposal_follow::Column::Email.eq(email.as_str()))
            .one(conn)
            .await?;
        match existing {
            Some(found) if found.confirmed_at.is_some() => {}
            Some(found) => {
                let mut active = found.into_active_model();
                active.confirmed_at = Set(Some(now));
                active.update(conn).await?;
            }
            None => {
                proposal_follow::ActiveModel {
                    proposal_id: Set(proposal_id),
                    email: Set(email.as_str().to_owned()),
                    language: Set(lang.code().to_owned()),
                    token: Set(random_token()),
                    confirmed_at: Set(Some(now)),
                    created_at: Set(now),
                    ..Default::default()
                }
                .insert(conn)
                .await?;
            }
        }
        Ok(())
    }

    pub async fn submit(
        &self,
        draft: ProposalDraft,
        submitter: Submitter,
        lang: Language,
    ) -> Result<Receipt, ProposalError> {
        let now = Utc::now();
        let token = random_token();
        let (status, channel, author_user_id, author_email) = match &submitter {
            Submitter::Account { user_id, email } => (
                ProposalStatus::Submitted,
                Channel::Online,
                Some(*user_id),
                Some(email.clone()),
            ),
            Submitter::Unregistered(email) => (
                ProposalStatus::Unconfirmed,
                Channel::Online,
                None,
                Some(email.clone()),
            ),
            // A person on the phone may leave an address to hear back; it needs no confirmation,
            // because staff took it down from them.
            Submitter::Assisted { .. } => (
                ProposalStatus::Submitted,
                Channel::Assisted,
                None,
                draft.email.clone(),
            ),
            // Nothing personal is kept from a shared terminal, not even an address.
            Submitter::Kiosk => (ProposalStatus::Submitted, Channel::Kiosk, None, None),
        };
        let txn = begin(&self.db).await?;
        if district::Entity::find_by_id(draft.district.as_str())
            .one(&txn)
            .await?
            .is_none()
        {
            return Err(field("kreis", "error-district-unknown"));
        }
        // Only staff link an idea to the dialogue event where it was collected.
        let event_offer_id = match (&submitter, draft.event) {
            (Submitter::Assisted { .. }, Some(event)) => {
                offer::Entity::find_by_id(event)
                    .one(&txn)
                    .await?
                    .filter(|o| o.kind == OfferKind::Dialogue)
                    .ok_or_else(|| field("veranstaltung", "error-event-invalid"))?;
                Some(i64::from(event))
            }
            _ => None,
        };
        let model = proposal::ActiveModel {
            title: Set(draft.title.as_str().to_owned()),
            body: Set(draft.body.as_str().to_owned()),
            category: Set(draft.category.key().to_owned()),
            district_key: Set(draft.district.as_str().to_owned()),
            town: Set(draft.town.clone()),
            status: Set(status),
            moderation_note: Set(None),
            official_answer: Set(None),
            answered_at: Set(None),
            channel: Set(channel.key().to_owned()),
            author_user_id: Set(author_user_id),
            author_email: Set(author_email.as_ref().map(|e| e.as_str().to_owned())),
            contact: Set(draft.contact.clone()),
            language: Set(lang.code().to_owned()),
            author_token_hash: Set(hash_token(&token)),
            confirmed_at: Set((status != ProposalStatus::Unconfirmed).then_some(now)),
            merged_into_id: Set(None),
            event_offer_id: Set(event_offer_id),
            imported_supports: Set(0),
            supports_count: Set(0),
            search_text: Set(search_text(draft.title.as_str(), draft.body.as_str(), None)),
            created_at: Set(now),
            published_at: Set(None),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        let actor = match submitter {
            Submitter::Account { user_id, .. } => Some(user_id),
            Submitter::Assisted { staff_user_id } => Some(staff_user_id),
            _ => None,
        };
        record_event(&txn, model.id, status, None, false, actor, now).await?;
        if let Submitter::Assisted { staff_user_id } = submitter {
            audit::record(
                &txn,
                Some(staff_user_id),
                "proposal.entered-with-assistance",
                &format!("proposal:{}", model.id),
                "",
            )
            .await?;
        }
        if let Some(email) = &author_email
            && status == ProposalStatus::Submitted
        {
            self.follow_confirmed(&txn, model.id, email, lang, now)
                .await?;
        }
        let kind = if status == ProposalStatus::Unconfirmed {
            "proposal-confirm"
        } else {
            "proposal-received"
        };
        self.mail_author(&txn, &model, kind, Some(&token), None)
            .await?;
        txn.commit().await?;
        Ok(Receipt {
            id: model.id,
            token,
            status,
        })
    }

    /// The author's view through the secret link.
    pub async fn open_by_author(
        &self,
        token: &str,
    ) -> Result<(proposal::Model, Vec<proposal_event::Model>), ProposalError> {
        let model = proposal::Entity::find()
            .filter(proposal::Column::AuthorTokenHash.eq(hash_token(token)))
            .one(&self.db)
            .await?
            .ok_or(ProposalError::NotFound)?;
        let history = proposal_event::Entity::find()
            .filter(proposal_event::Column::ProposalId.eq(model.id))
            .order_by_asc(proposal_event::Column::Id)
            .all(&self.db)
            .await?;
        Ok((model, history))
    }

    /// Confirms the address of a proposal handed in without an account; it then goes to moderation.
    /// Confirming twice is fine.
    pub async fn confirm_author(&self, token: &str) -> Result<(), ProposalError> {
        let now = Utc::now();
        let txn = begin(&self.db).await?;
        let found = proposal::Entity::find()
            .filter(proposal::Column::AuthorTokenHash.eq(hash_token(token)))
            .one(&txn)
            .await?
            .ok_or(ProposalError::NotFound)?;
        let Some(next) = found.status.confirm() else {
            return Ok(());
        };
        let updated = proposal::Entity::update_many()
            .col_expr(proposal::Column::Status, Expr::value(next))
            .col_expr(proposal::Column::ConfirmedAt, Expr::value(now))
            .col_expr(proposal::Column::UpdatedAt, Expr::value(now))
            .filter(proposal::Column::Id.eq(found.id))
            .filter(proposal::Column::Status.eq(ProposalStatus::Unconfirmed))
            .exec(&txn)
            .await?;
        if updated.rows_affected == 1 {
            record_event(&txn, found.id, next, None, false, None, now).await?;
            if let Some(email) = found
                .author_email
                .as_deref()
                .and_then(|e| Email::parse(e).ok())
            {
                let lang = Language::from_code(&found.language).unwrap_or(Language::De);
                self.follow_confirmed(&txn, found.id, &email, lang, now)
                    .await?;
            }
        }
        txn.commit().await?;
        Ok(())
    }

    /// The author revises a proposal after moderation asked for changes; it goes back to the queue.
    pub async fn revise(&self, token: &str, draft: ProposalDraft) -> Result<(), ProposalError> {
        let now = Utc::now();
        let txn = begin(&self.db).await?;
        let found = proposal::Entity::find()
            .filter(proposal::Column::AuthorTokenHash.eq(hash_token(token)))
            .one(&txn)
            .await?
            .ok_or(ProposalError::NotFound)?;
        let Some(next) = found.status.revise() else {
            return Err(ProposalError::Refused("error-proposal-not-editable"));
        };
        if district::Entity::find_by_id(draft.district.as_str())
            .one(&txn)
            .await?
            .is_none()
        {
            return Err(field("kreis", "error-district-unknown"));
        }
        let id = found.id;
        let mut active = found.into_active_model();
        active.title = Set(draft.title.as_str().to_owned());
        active.body = Set(draft.body.as_str().to_owned());
        active.category = Set(draft.category.key().to_owned());
        active.district_key = Set(draft.district.as_str().to_owned());
        active.town = Set(draft.town.clone());
        active.contact = Set(draft.contact.clone());
        active.search_text = Set(search_text(draft.title.as_str(), draft.body.as_str(), None));
        active.status = Set(next);
        active.updated_at = Set(now);
        active.update(&txn).await?;
        record_event(&txn, id, next, None, false, None, now).await?;
        txn.commit().await?;
        Ok(())
    }

    /// A published proposal (or one with a public state) for its public page.
    pub async fn public(&self, id: i64) -> Result<Lookup, ProposalError> {
        let model = proposal::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .ok_or(ProposalError::NotFound)?;
        let status = model.status;
        if status == ProposalStatus::Merged
            && let Some(kept) = model.merged_into_id
        {
            return Ok(Lookup::MergedInto(kept));
        }
        if !status.is_public() {
            return Err(ProposalError::NotFound);
        }
        let history = proposal_event::Entity::find()
            .filter(proposal_event::Column::ProposalId.eq(id))
            .filter(proposal_event::Column::Public.eq(true))
            .order_by_asc(proposal_event::Column::Id)
            .all(&self.db)
            .await?;
        let district_name = district::Entity::find_by_id(model.district_key.as_str())
            .one(&self.db)
            .await?
            .map(|d| d.name)
            .unwrap_or_default();
        Ok(Lookup::Found(Box::new(PublicProposal {
            proposal: model,
            district_name,
            history,
        })))
    }

    /// Proposals waiting for a moderator of these rights, oldest first, and open reports.
    pub async fn queue(
        &self,
        rights: &ProposalRights,
    ) -> Result<
        (
            Vec<proposal::Model>,
            Vec<(proposal_report::Model, proposal::Model)>,
        ),
        ProposalError,
    > {
        let mut waiting = proposal::Entity::find()
            .filter(proposal::Column::Status.eq(ProposalStatus::Submitted))
            .order_by_asc(proposal::Column::Id);
        if !rights.everywhere {
            waiting = waiting
                .filter(proposal::Column::DistrictKey.is_in(rights.moderated_districts.clone()));
        }
        let waiting = waiting.limit(200).all(&self.db).await?;
        let reports = proposal_report::Entity::find()
            .filter(proposal_report::Column::ResolvedAt.is_null())
            .order_by_asc(proposal_report::Column::Id)
            .limit(500)
            .all(&self.db)
            .await?;
        let reported_ids: Vec<i64> = reports.iter().map(|r| r.proposal_id).collect();
        let reported_proposals = proposal::Entity::find()
            .filter(proposal::Column::Id.is_in(reported_ids))
            .all(&self.db)
            .await?;
        let reported = reports
            .into_iter()
            .filter_map(|report| {
                reported_proposals
                    .iter()
                    .find(|p| p.id == report.proposal_id && moderates(rights, p))
                    .map(|p| (report, p.clone()))
            })
            .collect();
        Ok((waiting, reported))
    }

    /// Published proposals in the districts these rights answer for, those without an answer first.
    pub async fn to_answer(
        &self,
        rights: &ProposalRights,
    ) -> Result<Vec<proposal::Model>, ProposalError> {
        let mut select = proposal::Entity::find()
            .filter(proposal::Column::Status.is_in(ProposalStatus::PUBLIC.iter().copied()));
        if !rights.everywhere {
            let districts = answering_districts(&self.db, rights).await?;
            select = select.filter(proposal::Column::DistrictKey.is_in(districts));
        }
        Ok(select
            .order_by_asc(proposal::Column::AnsweredAt.is_not_null())
            .order_by_desc(proposal::Column::SupportsCount)
            .order_by_asc(proposal::Column::Id)
            .limit(500)
            .all(&self.db)
            .await?)
    }

    /// Any proposal in the actor's area, for the back-office page.
    pub async fn for_staff(
        &self,
        id: i64,
        rights: &ProposalRights,
    ) -> Result<(proposal::Model, Vec<proposal_event::Model>), ProposalError> {
        let model = proposal::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .ok_or(ProposalError::NotFound)?;
        if !rights.everywhere
            && !answering_districts(&self.db, rights)
                .await?
                .contains(&model.district_key)
        {
            return Err(ProposalError::NotFound);
        }
        let history = proposal_event::Entity::find()
            .filter(proposal_event::Column::ProposalId.eq(id))
            .order_by_asc(proposal_event::Column::Id)
            .all(&self.db)
            .await?;
        Ok((model, history))
    }

    async fn locked(
        &self,
        txn: &DatabaseTransaction,
        id: i64,
    ) -> Result<proposal::Model, ProposalError> {
        let mut select = proposal::Entity::find_by_id(id);
        if txn.get_database_backend() == sea_orm::DbBackend::Postgres {
            select = select.lock_exclusive();
        }
        select.one(txn).await?.ok_or(ProposalError::NotFound)
    }

    pub async fn moderate(
        &self,
        id: i64,
        decision: Decision,
        actor: Actor<'_>,
    ) -> Result<(), ProposalError> {
        let now = Utc::now();
        let txn = begin(&self.db).await?;
        let model = self.locked(&txn, id).await?;
        if !moderates(actor.rights, &model) {
            return Err(ProposalError::NotFound);
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
        // Publishing and merging are steps of the public history.
        let public_event = matches!(next, ProposalStatus::Published | ProposalStatus::Merged);
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
        audit::record(
            &txn,
            Some(actor.user_id),
            &format!("proposal.{}", decision.key()),
            &format!("proposal:{id}"),
            note.as_deref().unwrap_or_default(),
        )
        .await?;
        match next {
            ProposalStatus::Published => {
                self.mail_author(&txn, &updated, "proposal-published", None, None)
                    .await?;
            }
            ProposalStatus::ChangesRequested => {
                // A new secret link: the old one is not known to the server any more.
                let token = random_token();
                let mut active = updated.clone().into_active_model();
                active.author_token_hash = Set(hash_token(&token));
                active.update(&txn).await?;
                self.mail_author(
                    &txn,
                    &updated,
                    "proposal-changes",
                    Some(&token),
                    note.as_deref(),
                )
                .await?;
            }
            ProposalStatus::Rejected => {
                self.mail_author(&txn, &updated, "proposal-rejected", None, note.as_deref())
                    .await?;
            }
            _ => {}
        }
        indexer::enqueue(&txn, id).await?;
        txn.commit().await?;
        self.index_wake.nudge();
        Ok(())
    }

    async fn merge_into(
        &self,
        txn: &DatabaseTransaction,
        merged: &proposal::Model,
        kept_id: i64,
        actor: Actor<'_>,
    ) -> Result<(), ProposalError> {
        if kept_id == merged.id {
            return Err(field("ziel", "error-merge-self"));
        }
        let kept = self
            .locked(txn, kept_id)
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

    /// An official answer and/or a new lifecycle state, by a moderator or a municipality editor.
    pub async fn answer(
        &self,
        id: i64,
        next: ProposalStatus,
        answer: &str,
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
        let txn = begin(&self.db).await?;
        let model = self.locked(&txn, id).await?;
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
        self.notify_followers(&txn, &updated, answer.as_deref())
            .await?;
        indexer::enqueue(&txn, id).await?;
        txn.commit().await?;
        self.index_wake.nudge();
        Ok(())
    }

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
        let txn = begin(&self.db).await?;
        let model = self.locked(&txn, id).await?;
        if !model.status.is_public() {
            return Err(ProposalError::NotFound);
        }
        let (user, email_hash, token) = match (user_id, email) {
            (Some(user), _) => {
                let address = user::Entity::find_by_id(user)
                    .one(&txn)
                    .await?
                    .map(|u| hash_token(&u.email));
                (Some(user), address, None)
            }
            (None, Some(email)) => (None, Some(hash_token(email.as_str())), Some(random_token())),
            (None, None) => return Err(field("email", "error-email-missing")),
        };
        // The person's supports: by account, by the address's hash, and (for a support by link)
        // by the account that has this address now.
        let mut same_person = Condition::any();
        if let Some(user) = user {
            same_person = same_person.add(proposal_support::Column::UserId.eq(user));
        }
        if let Some(hash) = &email_hash {
            same_person = same_person.add(proposal_support::Column::EmailHash.eq(hash.as_str()));
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
            return Ok(SupportOutcome::AlreadySupported);
        }
        if let (Some(user), Some(pending)) = (user, existing.first()) {
            // The address's link was not used yet; signing in proved the address, so this row
            // becomes the account's support and counts now.
            let mut active = pending.clone().into_active_model();
            active.user_id = Set(Some(user));
            active.confirm_token_hash = Set(None);
            active.confirmed_at = Set(Some(now));
            active.update(&txn).await?;
            recount(&txn, id, 0).await?;
            indexer::enqueue(&txn, id).await?;
            txn.commit().await?;
            self.index_wake.nudge();
            return Ok(SupportOutcome::Counted);
        }
        if let Some(found) = existing.into_iter().next() {
            // Not confirmed yet: send a fresh link instead of a second row.
            let token = token.unwrap_or_else(random_token);
            let mut active = found.into_active_model();
            active.confirm_token_hash = Set(Some(hash_token(&token)));
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
            Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
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
            self.index_wake.nudge();
        }
        Ok(outcome)
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
        let message = self.composer.notice(
            lang,
            to,
            "proposal-support-confirm",
            &format!("/vorschlaege/unterstuetzen/{token}"),
            &self.args(model),
            None,
        )?;
        mail::enqueue(conn, message).await?;
        Ok(())
    }

    /// Confirms a support by its mailed link; returns the proposal's id.
    pub async fn confirm_support(&self, token: &str) -> Result<i64, ProposalError> {
        let now = Utc::now();
        let txn = begin(&self.db).await?;
        let by_token = || {
            proposal_support::Entity::find()
                .filter(proposal_support::Column::ConfirmTokenHash.eq(hash_token(token)))
        };
        let id = by_token()
            .one(&txn)
            .await?
            .ok_or(ProposalError::NotFound)?
            .proposal_id;
        // The proposal first, like `support` does: one lock order, so a link used while the person
        // supports signed in cannot deadlock; then the row again, as that may have changed it.
        self.locked(&txn, id).await?;
        let found = by_token().one(&txn).await?.ok_or(ProposalError::NotFound)?;
        if found.confirmed_at.is_none() {
            let mut active = found.into_active_model();
            active.confirmed_at = Set(Some(now));
            active.update(&txn).await?;
            recount(&txn, id, 0).await?;
            indexer::enqueue(&txn, id).await?;
        }
        txn.commit().await?;
        self.index_wake.nudge();
        Ok(id)
    }

    /// Follows a proposal; signed-in people with their own address follow at once, others confirm by link.
    pub async fn follow(
        &self,
        id: i64,
        email: &Email,
        confirmed: bool,
        lang: Language,
    ) -> Result<FollowOutcome, ProposalError> {
        let now = Utc::now();
        let txn = begin(&self.db).await?;
        let model = self.locked(&txn, id).await?;
        if !model.status.is_public() {
            return Err(ProposalError::NotFound);
        }
        let existing = proposal_follow::Entity::find()
            .filter(proposal_follow::Column::ProposalId.eq(id))
            .filter(proposal_follow::Column::Email.eq(email.as_str()))
            .one(&txn)
            .await?;
        if existing.as_ref().is_some_and(|f| f.confirmed_at.is_some()) {
            return Ok(FollowOutcome::AlreadyFollowing);
        }
        if confirmed {
            self.follow_confirmed(&txn, id, email, lang, now).await?;
            txn.commit().await?;
            return Ok(FollowOutcome::Following);
        }
        let token = match existing {
            Some(found) => found.token,
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
        let message = self.composer.notice(
            lang,
            email,
            "proposal-follow-confirm",
            &format!("/vorschlaege/folgen/{token}"),
            &self.args(&model),
            None,
        )?;
        mail::enqueue(&txn, message).await?;
        txn.commit().await?;
        Ok(FollowOutcome::ConfirmationSent)
    }

    /// Confirms a follow by its mailed link; returns the proposal's id.
    pub async fn confirm_follow(&self, token: &str) -> Result<i64, ProposalError> {
        let found = proposal_follow::Entity::find()
            .filter(proposal_follow::Column::Token.eq(token))
            .one(&self.db)
            .await?
            .ok_or(ProposalError::NotFound)?;
        let id = found.proposal_id;
        if found.confirmed_at.is_none() {
            let mut active = found.into_active_model();
            active.confirmed_at = Set(Some(Utc::now()));
            active.update(&self.db).await?;
        }
        Ok(id)
    }

    /// Ends a follow by the link in every notification; returns the proposal's title.
    pub async fn unfollow(&self, token: &str) -> Result<String, ProposalError> {
        let found = proposal_follow::Entity::find()
            .filter(proposal_follow::Column::Token.eq(token))
            .one(&self.db)
            .await?
            .ok_or(ProposalError::NotFound)?;
        let title = proposal::Entity::find_by_id(found.proposal_id)
            .one(&self.db)
            .await?
            .map(|p| p.title)
            .unwrap_or_default();
        proposal_follow::Entity::delete_by_id(found.id)
            .exec(&self.db)
            .await?;
        Ok(title)
    }

    pub async fn report(&self, id: i64, reason: &str) -> Result<(), ProposalError> {
        let reason = statement(reason, NOTE_MAX).map_err(|m| field("grund", m))?;
        let model = proposal::Entity::find_by_id(id)
            .one(&self.db)
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
        .insert(&self.db)
        .await?;
        Ok(())
    }

    /// Marks a report as dealt with (the proposal stays as it is).
    pub async fn resolve_report(
        &self,
        report_id: i64,
        actor: Actor<'_>,
    ) -> Result<(), ProposalError> {
        let txn = begin(&self.db).await?;
        let report = proposal_report::Entity::find_by_id(report_id)
            .one(&txn)
            .await?
            .ok_or(ProposalError::NotFound)?;
        let model = self.locked(&txn, report.proposal_id).await?;
        if !moderates(actor.rights, &model) {
            return Err(ProposalError::NotFound);
        }
        let mut active = report.into_active_model();
        active.resolved_at = Set(Some(Utc::now()));
        active.update(&txn).await?;
        audit::record(
            &txn,
            Some(actor.user_id),
            "proposal.report-resolved",
            &format!("proposal:{}", model.id),
            "",
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }
}

/// Published proposals collected at a dialogue event, for the event's page.
pub async fn from_event(
    db: &DatabaseConnection,
    offer_id: i32,
) -> Result<Vec<proposal::Model>, DbErr> {
    proposal::Entity::find()
        .filter(proposal::Column::EventOfferId.eq(i64::from(offer_id)))
        .filter(proposal::Column::Status.is_in(ProposalStatus::PUBLIC.iter().copied()))
        .order_by_asc(proposal::Column::Id)
        .all(db)
        .await
}

/// Every proposal with a public page, for the sitemap.
pub async fn public_ids(db: &DatabaseConnection) -> Result<Vec<i64>, DbErr> {
    proposal::Entity::find()
        .select_only()
        .column(proposal::Column::Id)
        .filter(proposal::Column::Status.is_in(ProposalStatus::PUBLIC.iter().copied()))
        .order_by_asc(proposal::Column::Id)
        .into_tuple()
        .all(db)
        .await
}

/// Sets the stored count to the confirmed supports plus imported ones (`imported_change` adjusts
/// the imported part first, used when merging).
async fn recount(conn: &impl ConnectionTrait, id: i64, imported_change: i32) -> Result<(), DbErr> {
    if imported_change != 0 {
        proposal::Entity::update_many()
            .col_expr(
                proposal::Column::ImportedSupports,
                Expr::col(proposal::Column::ImportedSupports).add(imported_change),
            )
            .filter(proposal::Column::Id.eq(id))
            .exec(conn)
            .await?;
    }
    let confirmed = proposal_support::Entity::find()
        .filter(proposal_support::Column::ProposalId.eq(id))
        .filter(proposal_support::Column::ConfirmedAt.is_not_null())
        .count(conn)
        .await?;
    proposal::Entity::update_many()
        .col_expr(
            proposal::Column::SupportsCount,
            Expr::col(proposal::Column::ImportedSupports).add(confirmed as i32),
        )
        .filter(proposal::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}
