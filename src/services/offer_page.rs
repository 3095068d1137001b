//! The public page of one published offer: what it is, who runs it and where.
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, JoinType, QueryFilter, QuerySelect,
};
use serde::Serialize;

use super::venues::{self, VenueView};
use crate::{
    db::entities::{offer, organisation},
    domain::offer::{OfferKind, OfferStatus, Support},
    services::reference::District,
};

/// What the page says about the offer itself.
#[derive(Debug, Serialize)]
pub struct OfferView {
    pub slug: String,
    pub title: String,
    pub description: String,
    pub topic: String,
    pub level: String,
    pub target_group: String,
    pub language: String,
    pub online_url: Option<String>,
    pub what_to_bring: String,
    pub accessibility_notes: String,
    pub price_cents: i32,
    pub price: String,
    pub agenda: Option<String>,
    pub registration_required: bool,
    pub audience: Option<String>,
    pub support_offered: Vec<String>,
}

impl From<offer::Model> for OfferView {
    fn from(o: offer::Model) -> Self {
        Self {
            price: format!("{},{:02} €", o.price_cents / 100, o.price_cents % 100),
            support_offered: o
                .support_offered
                .as_deref()
                .unwrap_or_default()
                .split(',')
                .filter(|k| Support::parse(k).is_ok())
                .map(str::to_owned)
                .collect(),
            slug: o.slug,
            title: o.title,
            description: o.description,
            topic: o.topic,
            level: o.level,
            target_group: o.target_group,
            language: o.language,
            online_url: o.online_url,
            what_to_bring: o.what_to_bring,
            accessibility_notes: o.accessibility_notes,
            price_cents: o.price_cents,
            agenda: o.agenda,
            registration_required: o.registration_required,
            audience: o.audience,
        }
    }
}

/// The organisation that runs the offer, as its contact.
#[derive(Debug, Serialize)]
pub struct Provider {
    pub name: String,
    pub email: String,
    pub phone: String,
}

#[derive(Debug)]
pub struct PublishedOffer {
    pub id: i32,
    pub kind: OfferKind,
    pub offer: OfferView,
    pub provider: Provider,
    pub venue: Option<VenueView>,
}

/// A published offer by its slug, with its organisation and its place (two queries).
pub async fn published_offer(
    db: &DatabaseConnection,
    slug: &str,
    districts: &[District],
) -> Result<Option<PublishedOffer>, DbErr> {
    let Some((found, Some(org))) = offer::Entity::find()
        .filter(offer::Column::Slug.eq(slug))
        .filter(offer::Column::Status.eq(OfferStatus::Published))
        .join(
            JoinType::InnerJoin,
            offer::Entity::belongs_to(organisation::Entity)
                .from(offer::Column::OrganisationId)
                .to(organisation::Column::Id)
                .into(),
        )
        .select_also(organisation::Entity)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let place = match found.venue_id {
        Some(id) => venues::by_id(db, id, districts).await?,
        None => None,
    };
    Ok(Some(PublishedOffer {
        id: found.id,
        kind: found.kind,
        offer: found.into(),
        provider: Provider {
            name: org.name,
            email: org.email,
            phone: org.phone,
        },
        venue: place,
    }))
}
