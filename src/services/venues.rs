//! Places where offers happen (Probierläden, VHS sites, senior homes, town halls).
use std::collections::HashMap;

use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, Select,
};
use serde::Serialize;

use super::reference::District;
use crate::{
    db::{
        entities::{organisation, venue},
        lookup,
    },
    domain::DistrictKey,
};

#[derive(Debug, Serialize)]
pub struct VenueView {
    pub slug: String,
    pub name: String,
    pub street: String,
    pub postal_code: String,
    pub town: String,
    pub district_name: String,
    pub step_free: bool,
    pub accessible_toilet: bool,
    pub hearing_loop: bool,
    pub parking: bool,
    pub accessibility_notes: String,
    pub directions: String,
    pub organisation_name: String,
    pub organisation_kind: String,
    pub organisation_email: String,
    pub organisation_phone: String,
    pub organisation_website: String,
}

pub(super) fn view(v: venue::Model, org: organisation::Model, districts: &[District]) -> VenueView {
    VenueView {
        district_name: districts
            .iter()
            .find(|d| d.key == v.district_key)
            .map(|d| d.name.clone())
            .unwrap_or_default(),
        slug: v.slug,
        name: v.name,
        street: v.street,
        postal_code: v.postal_code,
        town: v.town,
        step_free: v.step_free,
        accessible_toilet: v.accessible_toilet,
        hearing_loop: v.hearing_loop,
        parking: v.parking,
        accessibility_notes: v.accessibility_notes,
        directions: v.directions,
        organisation_name: org.name,
        organisation_kind: org.kind,
        organisation_email: org.email,
        organisation_phone: org.phone,
        organisation_website: org.website,
    }
}

/// Where an offer takes place, with what matters for access (the API shows it with its dates).
#[derive(Debug, Clone)]
pub struct VenueFacts {
    pub slug: String,
    pub name: String,
    pub street: String,
    pub postal_code: String,
    pub town: String,
    pub district_key: String,
    pub step_free: bool,
    pub accessible_toilet: bool,
    pub hearing_loop: bool,
    pub parking: bool,
}

impl From<venue::Model> for VenueFacts {
    fn from(v: venue::Model) -> Self {
        Self {
            slug: v.slug,
            name: v.name,
            street: v.street,
            postal_code: v.postal_code,
            town: v.town,
            district_key: v.district_key,
            step_free: v.step_free,
            accessible_toilet: v.accessible_toilet,
            hearing_loop: v.hearing_loop,
            parking: v.parking,
        }
    }
}

/// Venues by slug, for the dates of one page (one query).
pub async fn facts_by_slug(
    db: &DatabaseConnection,
    slugs: impl IntoIterator<Item = String>,
) -> Result<HashMap<String, VenueFacts>, DbErr> {
    let mut slugs: Vec<String> = slugs.into_iter().collect();
    slugs.sort();
    slugs.dedup();
    if slugs.is_empty() {
        return Ok(HashMap::new());
    }
    lookup(db, venue::Column::Slug, slugs, |v| {
        (v.slug.clone(), v.into())
    })
    .await
}

pub async fn list(
    db: &DatabaseConnection,
    district_filter: Option<&DistrictKey>,
    step_free_only: bool,
    districts: &[District],
) -> Result<Vec<VenueView>, DbErr> {
    let mut query = venue::Entity::find().find_also_related(organisation::Entity);
    if let Some(key) = district_filter {
        query = query.filter(venue::Column::DistrictKey.eq(key.as_str()));
    }
    if step_free_only {
        query = query.filter(venue::Column::StepFree.eq(true));
    }
    let rows = query
        .order_by_asc(venue::Column::Town)
        .order_by_asc(venue::Column::Name)
        .all(db)
        .await?;
    // Every venue has an organisation (foreign key), so the join always finds one.
    Ok(rows
        .into_iter()
        .filter_map(|(v, o)| Some(view(v, o?, districts)))
        .collect())
}

pub async fn by_slug(
    db: &DatabaseConnection,
    slug: &str,
    districts: &[District],
) -> Result<Option<VenueView>, DbErr> {
    one_view(
        db,
        venue::Entity::find().filter(venue::Column::Slug.eq(slug)),
        districts,
    )
    .await
}

/// The one venue `select` finds, with its organisation.
async fn one_view(
    db: &DatabaseConnection,
    select: Select<venue::Entity>,
    districts: &[District],
) -> Result<Option<VenueView>, DbErr> {
    let row = select
        .find_also_related(organisation::Entity)
        .one(db)
        .await?;
    Ok(row.and_then(|(v, o)| Some(view(v, o?, districts))))
}

/// Every venue as (slug, "name (town)") by name, for a choice in a form.
pub async fn choices(db: &DatabaseConnection) -> Result<Vec<(String, String)>, DbErr> {
    Ok(venue::Entity::find()
        .order_by_asc(venue::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(|v| (v.slug, format!("{} ({})", v.name, v.town)))
        .collect())
}

pub async fn all_slugs(db: &DatabaseConnection) -> Result<Vec<String>, DbErr> {
    Ok(venue::Entity::find()
        .order_by_asc(venue::Column::Slug)
        .all(db)
        .await?
        .into_iter()
        .map(|v| v.slug)
        .collect())
}
