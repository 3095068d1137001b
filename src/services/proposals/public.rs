//! What anyone may read: a proposal's public page, the proposals of a dialogue event, the sitemap.
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::Serialize;

use super::{EventView, ProposalError, ProposalView};
use crate::{
    db::entities::{district, offer, proposal, proposal_event},
    domain::proposal::ProposalStatus,
};

/// What the public page of a proposal shows.
pub struct PublicProposal {
    pub proposal: ProposalView,
    pub history: Vec<EventView>,
    /// The dialogue event where it was collected, if any.
    pub event_offer_id: Option<i64>,
}

pub enum Lookup {
    Found(Box<PublicProposal>),
    /// Merged into another proposal: the page redirects there.
    MergedInto(i64),
}

/// A published proposal (or one with a public state) for its public page.
pub async fn public(db: &DatabaseConnection, id: i64) -> Result<Lookup, ProposalError> {
    let model = proposal::Entity::find_by_id(id)
        .one(db)
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
        .all(db)
        .await?;
    let district_name = district::Entity::find_by_id(model.district_key.as_str())
        .one(db)
        .await?
        .map(|d| d.name)
        .unwrap_or_default();
    Ok(Lookup::Found(Box::new(PublicProposal {
        event_offer_id: model.event_offer_id,
        proposal: ProposalView::new(model, district_name),
        history: history.into_iter().map(EventView::from).collect(),
    })))
}

/// The public dialogue event where a proposal was collected, for a link on its page.
#[derive(Debug, Serialize)]
pub struct EventLink {
    pub title: String,
    pub path: String,
}

pub async fn event_link(
    db: &DatabaseConnection,
    offer_id: i64,
) -> Result<Option<EventLink>, DbErr> {
    let Ok(offer_id) = i32::try_from(offer_id) else {
        return Ok(None);
    };
    Ok(offer::Entity::find_by_id(offer_id)
        .one(db)
        .await?
        .filter(|o| o.status.is_public())
        .map(|o| EventLink {
            path: o.kind.page_of(&o.slug),
            title: o.title,
        }))
}

/// Published proposals collected at a dialogue event, for the event's page: (id, title).
pub async fn from_event(
    db: &DatabaseConnection,
    offer_id: i32,
) -> Result<Vec<(i64, String)>, DbErr> {
    proposal::Entity::find()
        .select_only()
        .column(proposal::Column::Id)
        .column(proposal::Column::Title)
        .filter(proposal::Column::EventOfferId.eq(i64::from(offer_id)))
        .filter(proposal::Column::Status.is_in(ProposalStatus::PUBLIC.iter().copied()))
        .order_by_asc(proposal::Column::Id)
        .into_tuple()
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
