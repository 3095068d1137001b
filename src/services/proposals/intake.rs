//! Handing a proposal in (online, at a kiosk, or typed in by staff) and the author's secret link:
//! confirming the address, looking at the state, revising after moderation asked for changes.
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, Set, sea_query::Expr,
};

use super::{ProposalDesk, ProposalError, ProposalFile, begin, field, locked, record_event};
use crate::{
    db::entities::{district, offer, proposal, proposal_event},
    domain::{
        Email, Language,
        offer::OfferKind,
        proposal::{Channel, ProposalDraft, ProposalStatus, search_text},
    },
    services::{
        audit,
        reference::District,
        sessions::{hash_token, random_token},
    },
};

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

/// Handing in and the author's own link.
#[derive(Clone)]
pub struct Intake {
    pub(super) desk: ProposalDesk,
}

impl Intake {
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
        let txn = begin(&self.desk.db).await?;
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
            self.desk
                .follow_confirmed(&txn, model.id, email, lang, now)
                .await?;
        }
        let kind = if status == ProposalStatus::Unconfirmed {
            "proposal-confirm"
        } else {
            "proposal-received"
        };
        self.desk
            .mail_author(&txn, &model, kind, Some(&token), None)
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
        districts: &[District],
    ) -> Result<ProposalFile, ProposalError> {
        let model = by_author_link(&self.desk.db, token).await?;
        let history = proposal_event::Entity::find()
            .filter(proposal_event::Column::ProposalId.eq(model.id))
            .order_by_asc(proposal_event::Column::Id)
            .all(&self.desk.db)
            .await?;
        Ok(ProposalFile::new(model, history, districts))
    }

    /// Confirms the address of a proposal handed in without an account; it then goes to moderation.
    /// Confirming twice is fine.
    pub async fn confirm_author(&self, token: &str) -> Result<(), ProposalError> {
        let now = Utc::now();
        let txn = begin(&self.desk.db).await?;
        let found = by_author_link(&txn, token).await?;
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
                self.desk
                    .follow_confirmed(&txn, found.id, &email, lang, now)
                    .await?;
            }
        }
        txn.commit().await?;
        Ok(())
    }

    /// The author revises a proposal after moderation asked for changes; it goes back to the queue.
    pub async fn revise(&self, token: &str, draft: ProposalDraft) -> Result<(), ProposalError> {
        let now = Utc::now();
        let txn = begin(&self.desk.db).await?;
        // Locked and read again: a revision sent twice, or a moderator's decision meanwhile, is
        // weighed against the proposal as it is now, not as it was before the lock.
        let found = locked(&txn, by_author_link(&txn, token).await?.id).await?;
        if found.author_token_hash != hash_token(token) {
            return Err(ProposalError::NotFound);
        }
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
}

/// Dialogue events of these organisations (all for `None`), newest first: where staff may say an
/// idea was collected, as (id, title).
pub async fn dialogue_events(
    db: &DatabaseConnection,
    organisations: Option<Vec<i32>>,
) -> Result<Vec<(String, String)>, DbErr> {
    let mut query = offer::Entity::find()
        .select_only()
        .column(offer::Column::Id)
        .column(offer::Column::Title)
        .filter(offer::Column::Kind.eq(OfferKind::Dialogue.key()))
        .order_by_desc(offer::Column::Id);
    if let Some(ids) = organisations {
        query = query.filter(offer::Column::OrganisationId.is_in(ids));
    }
    Ok(query
        .limit(100)
        .into_tuple::<(i32, String)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(id, title)| (id.to_string(), title))
        .collect())
}

/// The proposal whose author holds this link (handed in without an account).
async fn by_author_link(
    conn: &impl ConnectionTrait,
    token: &str,
) -> Result<proposal::Model, ProposalError> {
    proposal::Entity::find()
        .filter(proposal::Column::AuthorTokenHash.eq(hash_token(token)))
        .one(conn)
        .await?
        .ok_or(ProposalError::NotFound)
}
