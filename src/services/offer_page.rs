//! The public page of one published offer: what it is, who runs it and where.
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, FromQueryResult, JoinType,
    sea_query::{Alias, Expr, ExprTrait, Query, SelectStatement},
};
use serde::Serialize;

use super::venues::{self, VenueView};
use crate::{
    db::entities::{offer, organisation, venue},
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

/// Column prefixes of the offer page's one query: each of its four rows under its own.
const OFFER: &str = "o_";
const PROVIDER: &str = "p_";
const PLACE: &str = "v_";
const PLACE_OWNER: &str = "vo_";

/// Every column of the entity `C` belongs to, from the table known as `alias` in the query, as
/// `<prefix><column>`.
fn select_columns<C: ColumnTrait>(select: &mut SelectStatement, alias: &Alias, prefix: &str) {
    for column in C::iter() {
        select.expr_as(
            Expr::col((alias.clone(), column)),
            Alias::new(format!("{prefix}{}", column.as_str())),
        );
    }
}

/// A published offer by its slug, with its organisation and its place with the place's
/// organisation, in one query: every query costs the page a hand-over to the database's thread
/// and back, more than the join.
pub async fn published_offer(
    db: &DatabaseConnection,
    slug: &str,
    districts: &[District],
) -> Result<Option<PublishedOffer>, DbErr> {
    let (offers, provider, place, owner) = (
        Alias::new("offers"),
        Alias::new("provider"),
        Alias::new("place"),
        Alias::new("place_owner"),
    );
    let mut select = Query::select();
    select
        .from_as(offer::Entity, offers.clone())
        .join_as(
            JoinType::InnerJoin,
            organisation::Entity,
            provider.clone(),
            Expr::col((provider.clone(), organisation::Column::Id))
                .equals((offers.clone(), offer::Column::OrganisationId)),
        )
        .join_as(
            JoinType::LeftJoin,
            venue::Entity,
            place.clone(),
            Expr::col((place.clone(), venue::Column::Id))
                .equals((offers.clone(), offer::Column::VenueId)),
        )
        .join_as(
            JoinType::LeftJoin,
            organisation::Entity,
            owner.clone(),
            Expr::col((owner.clone(), organisation::Column::Id))
                .equals((place.clone(), venue::Column::OrganisationId)),
        )
        .and_where(Expr::col((offers.clone(), offer::Column::Slug)).eq(slug))
        .and_where(Expr::col((offers.clone(), offer::Column::Status)).eq(OfferStatus::Published));
    select_columns::<offer::Column>(&mut select, &offers, OFFER);
    select_columns::<organisation::Column>(&mut select, &provider, PROVIDER);
    select_columns::<venue::Column>(&mut select, &place, PLACE);
    select_columns::<organisation::Column>(&mut select, &owner, PLACE_OWNER);
    let Some(row) = db
        .query_one_raw(db.get_database_backend().build(&select))
        .await?
    else {
        return Ok(None);
    };
    let found = offer::Model::from_query_result(&row, OFFER)?;
    let org = organisation::Model::from_query_result(&row, PROVIDER)?;
    let place = match (
        venue::Model::from_query_result_optional(&row, PLACE)?,
        organisation::Model::from_query_result_optional(&row, PLACE_OWNER)?,
    ) {
        (Some(place), Some(owner)) => Some(venues::view(place, owner, districts)),
        _ => None,
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
