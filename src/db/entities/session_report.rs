use sea_orm::entity::prelude::*;

/// What happened at a volunteer session: how many people came and what they asked about.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "session_reports")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub shift_id: i32,
    pub head_count: Option<i32>,
    pub walk_ins: i32,
    pub topics: String,
    pub questions: String,
    pub recorded_by: Option<i32>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
