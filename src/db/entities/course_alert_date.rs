use sea_orm::entity::prelude::*;

/// A date an alert has already told about (or that existed when it was confirmed): never listed again.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "course_alert_dates")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub alert_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub date_id: i32,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
