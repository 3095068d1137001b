use sea_orm::entity::prelude::*;

use crate::domain::proposal::ProposalStatus;

/// A suggestion, idea or proposal handed in by a citizen.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "proposals")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub title: String,
    pub body: String,
    pub category: String,
    pub district_key: String,
    pub town: Option<String>,
    pub status: ProposalStatus,
    /// Shown to the author only: what to change, or why moderation did not publish it.
    pub moderation_note: Option<String>,
    pub official_answer: Option<String>,
    pub answered_at: Option<DateTimeUtc>,
    /// `online`, `kiosk`, `assisted` (through staff) or `import`.
    pub channel: String,
    pub author_user_id: Option<i32>,
    pub author_email: Option<String>,
    pub contact: Option<String>,
    pub language: String,
    #[sea_orm(unique)]
    pub author_token_hash: String,
    pub confirmed_at: Option<DateTimeUtc>,
    pub merged_into_id: Option<i64>,
    pub event_offer_id: Option<i64>,
    pub imported_supports: i32,
    pub supports_count: i32,
    pub search_text: String,
    pub created_at: DateTimeUtc,
    pub published_at: Option<DateTimeUtc>,
    pub updated_at: DateTimeUtc,
    /// Fingerprint of an imported proposal (unique): a second run of the same file adds only new rows.
    pub import_key: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
