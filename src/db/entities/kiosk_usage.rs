use sea_orm::entity::prelude::*;

/// Anonymous usage counts of a kiosk terminal per day and action.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "kiosk_usage")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub terminal_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub day: Date,
    #[sea_orm(primary_key, auto_increment = false)]
    pub action: String,
    pub count: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
