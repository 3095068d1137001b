use sea_orm::entity::prelude::*;

use crate::domain::proposal::ProposalStatus;

/// One step of a proposal's history; public steps make the lifecycle everyone sees.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "proposal_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub proposal_id: i64,
    pub status: ProposalStatus,
    pub note: Option<String>,
    pub public: bool,
    pub actor_user_id: Option<i32>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
