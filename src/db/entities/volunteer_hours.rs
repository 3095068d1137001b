use sea_orm::entity::prelude::*;

use crate::domain::volunteering::HoursStatus;

/// Hours a volunteer worked at a session, approved or rejected by a coordinator.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "volunteer_hours")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub shift_id: i32,
    pub user_id: i32,
    pub started_at: DateTimeUtc,
    pub ended_at: DateTimeUtc,
    pub minutes: i32,
    pub status: HoursStatus,
    pub decided_by: Option<i32>,
    pub decided_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
