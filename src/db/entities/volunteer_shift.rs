use sea_orm::entity::prelude::*;

use crate::domain::volunteering::{ShiftKind, ShiftStatus};

/// A session that needs volunteers: standalone (office hours, a senior-home afternoon) or the helpers
/// for a course date (`offer_date_id`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "volunteer_shifts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub organisation_id: i32,
    pub offer_date_id: Option<i32>,
    pub venue_id: Option<i32>,
    pub kind: ShiftKind,
    pub title: String,
    pub place: String,
    pub district_key: String,
    pub starts_at: DateTimeUtc,
    pub ends_at: DateTimeUtc,
    pub volunteers_needed: i32,
    pub participants_per_helper: Option<i32>,
    pub skills: String,
    pub signed_up: i32,
    pub status: ShiftStatus,
    pub gap_reminded_at: Option<DateTimeUtc>,
    pub created_by: Option<i32>,
    pub created_at: DateTimeUtc,
    /// Approved minutes of helpers whose accounts were deleted since (their own hours went with them).
    pub departed_minutes: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
