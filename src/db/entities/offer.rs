use sea_orm::entity::prelude::*;

use crate::domain::offer::{OfferKind, OfferStatus};

/// A course or dialogue event; its dates carry capacity and bookings.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "offers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub slug: String,
    pub organisation_id: i32,
    pub venue_id: Option<i32>,
    pub kind: OfferKind,
    pub title: String,
    #[sea_orm(column_type = "Text")]
    pub description: String,
    pub topic: String,
    pub level: String,
    pub target_group: String,
    pub language: String,
    pub online_url: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub what_to_bring: String,
    #[sea_orm(column_type = "Text")]
    pub accessibility_notes: String,
    pub price_cents: i32,
    pub status: OfferStatus,
    /// Title and description in lower case for the text search; see `domain::offer::search_text`.
    #[sea_orm(column_type = "Text")]
    pub search_text: String,
    pub created_at: DateTimeUtc,
    /// Dialogue events: what will be discussed.
    pub agenda: Option<String>,
    /// Dialogue events may be open to everyone without registration.
    pub registration_required: bool,
    /// Whom a dialogue event is especially meant for, in words.
    pub audience: Option<String>,
    /// Comma-separated `domain::offer::Support` keys.
    pub support_offered: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
