use sea_orm::entity::prelude::*;

/// One booking of one or more places (a companion counts) for a date; waiting-list entries are ordered by id.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "bookings")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub date_id: i32,
    pub user_id: Option<i32>,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub places: i32,
    pub status: String,
    pub channel: String,
    #[sea_orm(unique)]
    pub cancel_token_hash: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
