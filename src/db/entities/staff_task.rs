use sea_orm::entity::prelude::*;

/// Something staff of an organisation must do: confirm or cancel a date below its minimum, or phone a
/// person who has no e-mail address (promoted from the waiting list, date changed or cancelled).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "staff_tasks")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organisation_id: i32,
    pub date_id: Option<i32>,
    pub booking_id: Option<i64>,
    pub kind: String,
    pub created_at: DateTimeUtc,
    pub done_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
