//! Proposals from handing in to the official answer, one module per use case: handing in and the
//! author's link (`intake`), moderation and reports (`moderation`, `merging`), official answers
//! (`answers`), supports and follows (`support`), and the public pages (`public`). Every change runs in
//! one transaction together with its history entry, audit record, mails and search-index update, so
//! nothing is stored half-way. Permission decisions stay in `policy.rs`.
use std::{borrow::Cow, collections::HashMap};

use chrono::{DateTime, Utc};
use fluent_templates::fluent_bundle::FluentValue;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr,
    EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, QuerySelect, Set,
    sea_query::{Expr, ExprTrait},
};
use serde::Serialize;

use crate::{
    db::entities::{organisation, proposal, proposal_event, proposal_follow, proposal_support},
    domain::{
        Email, Language,
        proposal::{Channel, ProposalStatus},
    },
    mail::{self, compose::Composer},
    policy::ProposalRights,
    search::indexer::IndexWake,
    services::{
        reference::District,
        sessions::{hash_token, random_token},
    },
};

mod answers;
mod intake;
mod merging;
mod moderation;
mod public;
mod support;

pub use answers::Answers;
pub use intake::{Intake, Receipt, Submitter, dialogue_events};
pub use moderation::{Decision, Moderation, ReportRow};
pub use public::{EventLink, Lookup, PublicProposal, event_link, from_event, public, public_ids};
pub use support::{FollowOutcome, SupportOutcome, Supports};

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
    /// The proposal changed since the form was opened (its stamp differs); nothing was stored.
    #[error("changed since the form was opened")]
    Changed,
    #[error("database: {0}")]
    Db(#[from] DbErr),
    #[error("composing a mail: {0}")]
    Mail(#[from] anyhow::Error),
}

fn field(field: &'static str, message: &'static str) -> ProposalError {
    ProposalError::Field { field, message }
}

#[derive(Debug, Clone, Copy)]
pub struct Actor<'a> {
    pub user_id: i32,
    pub rights: &'a ProposalRights,
}

/// What every page about a proposal shows of it; never the author or the contact.
#[derive(Debug, Serialize)]
pub struct ProposalView {
    pub id: i64,
    pub title: String,
    pub body: String,
    pub category: String,
    pub district_key: String,
    pub district_name: String,
    pub town: Option<String>,
    pub status: ProposalStatus,
    pub official_answer: Option<String>,
    pub answered_at: Option<DateTime<Utc>>,
    pub supports: i32,
    pub created_at: DateTime<Utc>,
    pub published_at: Option<DateTime<Utc>>,
    pub with_assistance: bool,
}

impl ProposalView {
    fn new(model: proposal::Model, district_name: String) -> Self {
        Self {
            with_assistance: model.channel == Channel::Assisted.key(),
            id: model.id,
            title: model.title,
            body: model.body,
            category: model.category,
            district_key: model.district_key,
            district_name,
            town: model.town,
            status: model.status,
            official_answer: model.official_answer,
            answered_at: model.answered_at,
            supports: model.supports_count,
            created_at: model.created_at,
            published_at: model.published_at,
        }
    }
}

/// One step of a proposal's history.
#[derive(Debug, Serialize)]
pub struct EventView {
    pub status: ProposalStatus,
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<proposal_event::Model> for EventView {
    fn from(event: proposal_event::Model) -> Self {
        Self {
            status: event.status,
            note: event.note,
            created_at: event.created_at,
        }
    }
}

/// A proposal as its author (by the secret link) and staff see it: with the notes, the contact
/// and the whole history.
#[derive(Debug)]
pub struct ProposalFile {
    pub proposal: ProposalView,
    pub channel: String,
    pub contact: Option<String>,
    pub moderation_note: Option<String>,
    pub history: Vec<EventView>,
    /// State and answer as the answer form is filled; an answer saved from an older form is refused.
    pub answer_seen: String,
    /// The proposal as the moderation form is filled; a decision sent from an older page is refused.
    pub moderation_seen: String,
}

impl ProposalFile {
    fn new(
        model: proposal::Model,
        history: Vec<proposal_event::Model>,
        districts: &[District],
    ) -> Self {
        let name = district_name(districts, &model.district_key);
        Self {
            answer_seen: answers::answer_seen(&model),
            moderation_seen: moderation::moderation_seen(&model),
            channel: model.channel.clone(),
            contact: model.contact.clone(),
            moderation_note: model.moderation_note.clone(),
            history: history.into_iter().map(EventView::from).collect(),
            proposal: ProposalView::new(model, name),
        }
    }
}

fn district_name(districts: &[District], key: &str) -> String {
    districts
        .iter()
        .find(|d| d.key == key)
        .map(|d| d.name.clone())
        .unwrap_or_default()
}

/// A proposal in a back-office list.
#[derive(Debug, Serialize)]
pub struct Row {
    pub id: i64,
    pub title: String,
    pub district_name: String,
    pub status: ProposalStatus,
    pub channel: String,
    pub supports: i32,
    pub answered: bool,
    pub created_at: DateTime<Utc>,
}

impl Row {
    fn new(model: proposal::Model, districts: &[District]) -> Self {
        Self {
            district_name: district_name(districts, &model.district_key),
            answered: model.official_answer.is_some(),
            id: model.id,
            title: model.title,
            status: model.status,
            channel: model.channel,
            supports: model.supports_count,
            created_at: model.created_at,
        }
    }
}

/// What every proposal use case needs: the database, mail texts, the search-index wake-up and the
/// supporters' address pseudonyms. A handler takes the use case it serves from it (`intake`,
/// `moderation`, `answers`, `supports`).
#[derive(Clone)]
pub struct ProposalDesk {
    pub db: DatabaseConnection,
    pub composer: Composer,
    pub index_wake: IndexWake,
    pub pseudonyms: crate::services::pseudonyms::Pseudonyms,
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
    rights.moderates(&model.district_key)
}

/// The proposal, locked for the rest of the transaction (PostgreSQL; SQLite writes one at a time).
async fn locked(txn: &DatabaseTransaction, id: i64) -> Result<proposal::Model, ProposalError> {
    let mut select = proposal::Entity::find_by_id(id);
    if txn.get_database_backend() == sea_orm::DbBackend::Postgres {
        select = select.lock_exclusive();
    }
    select.one(txn).await?.ok_or(ProposalError::NotFound)
}

impl ProposalDesk {
    pub fn intake(&self) -> Intake {
        Intake { desk: self.clone() }
    }

    pub fn moderation(&self) -> Moderation {
        Moderation { desk: self.clone() }
    }

    pub fn answers(&self) -> Answers {
        Answers { desk: self.clone() }
    }

    pub fn supports(&self) -> Supports {
        Supports { desk: self.clone() }
    }

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
        let message =
            self.composer
                .notice(lang, &to, kind, &path, &self.args(model), details, None)?;
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
            let message = self.composer.notice(
                lang,
                &to,
                "proposal-update",
                &format!("/vorschlaege/{}", model.id),
                &args,
                details,
                Some(&format!("/vorschlaege/abmelden/{}", follower.token)),
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
}

impl ProposalDesk {
    /// An address change: what the person holds under `old` takes `new`, with new secrets. The
    /// links mailed to the old address (perhaps a former work address someone else reads now)
    /// would let its reader stop the follows, read moderation's notes, revise or confirm the
    /// proposal. Confirmed follows get new unsubscribe links, carried by their next mail. Proposals
    /// handed in with the account, or without one under that address, get new private links; one
    /// that waits for its author (to be confirmed, or changed as moderation asked) is mailed its
    /// new link to the new address, and a confirmed one handed in without an account becomes the
    /// account's, listed under "Mein Konto".
    pub(crate) async fn move_to_address(
        &self,
        txn: &impl ConnectionTrait,
        user_id: i32,
        old: &str,
        new: &str,
    ) -> Result<(), ProposalError> {
        // Where both addresses follow a proposal, one follow stays: a confirmed one over one that
        // waits for its confirmation (which would otherwise drop the person's updates unasked).
        let confirmed_under_old: Vec<i64> = proposal_follow::Entity::find()
            .select_only()
            .column(proposal_follow::Column::ProposalId)
            .filter(proposal_follow::Column::Email.eq(old))
            .filter(proposal_follow::Column::ConfirmedAt.is_not_null())
            .into_tuple()
            .all(txn)
            .await?;
        proposal_follow::Entity::delete_many()
            .filter(proposal_follow::Column::Email.eq(new))
            .filter(proposal_follow::Column::ConfirmedAt.is_null())
            .filter(proposal_follow::Column::ProposalId.is_in(confirmed_under_old))
            .exec(txn)
            .await?;
        let already_followed: Vec<i64> = proposal_follow::Entity::find()
            .select_only()
            .column(proposal_follow::Column::ProposalId)
            .filter(proposal_follow::Column::Email.eq(new))
            .into_tuple()
            .all(txn)
            .await?;
        proposal_follow::Entity::delete_many()
            .filter(proposal_follow::Column::Email.eq(old))
            .filter(proposal_follow::Column::ProposalId.is_in(already_followed))
            .exec(txn)
            .await?;
        // An unconfirmed follow's link is its confirmation link, which only the old mailbox has:
        // a new one would leave it unconfirmable. It moves with its link.
        proposal_follow::Entity::update_many()
            .col_expr(proposal_follow::Column::Email, Expr::value(new))
            .filter(proposal_follow::Column::Email.eq(old))
            .filter(proposal_follow::Column::ConfirmedAt.is_null())
            .exec(txn)
            .await?;
        let follows: Vec<i64> = proposal_follow::Entity::find()
            .select_only()
            .column(proposal_follow::Column::Id)
            .filter(proposal_follow::Column::Email.eq(old))
            .into_tuple()
            .all(txn)
            .await?;
        for id in follows {
            proposal_follow::Entity::update_many()
                .col_expr(proposal_follow::Column::Email, Expr::value(new))
                .col_expr(proposal_follow::Column::Token, Expr::value(random_token()))
                .filter(proposal_follow::Column::Id.eq(id))
                .exec(txn)
                .await?;
        }
        let handed_in = proposal::Entity::find()
            .filter(proposal::Column::AuthorEmail.eq(old))
            .filter(
                sea_orm::Condition::any()
                    .add(proposal::Column::AuthorUserId.eq(user_id))
                    .add(proposal::Column::AuthorUserId.is_null()),
            )
            .all(txn)
            .await?;
        for found in handed_in {
            let token = random_token();
            // Handed in without an account and confirmed from this address: the account lists
            // it from now on, since its new private link is mailed only while it waits for the
            // author.
            let adopt = found.author_user_id.is_none() && found.confirmed_at.is_some();
            let mut active = found.into_active_model();
            active.author_email = Set(Some(new.to_owned()));
            active.author_token_hash = Set(hash_token(&token));
            if adopt {
                active.author_user_id = Set(Some(user_id));
            }
            let moved = active.update(txn).await?;
            let waiting_for_author = match moved.status {
                ProposalStatus::Unconfirmed => Some("proposal-confirm"),
                ProposalStatus::ChangesRequested => Some("proposal-changes"),
                _ => None,
            };
            if let Some(kind) = waiting_for_author {
                let note = moved.moderation_note.as_deref();
                self.mail_author(txn, &moved, kind, Some(&token), note)
                    .await?;
            }
        }
        Ok(())
    }
}

/// Removes the author's address and phone number from the proposals the caller's filter selects
/// (an account deleted, a rejection past the retention period); text, place and answers stay.
pub(crate) fn forget_authors_contact() -> sea_orm::UpdateMany<proposal::Entity> {
    proposal::Entity::update_many()
        .col_expr(
            proposal::Column::AuthorEmail,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            proposal::Column::Contact,
            Expr::value(Option::<String>::None),
        )
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
