use sea_orm::entity::prelude::*;

/// A reminder sent to a booking before one of its dates (a course's first date or a later session).
/// Unique per booking, date and revision, and per booking and day: inserting the row claims it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "booking_reminders")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub booking_id: i64,
    pub date_id: i32,
    /// The date's revision the reminder was about; a moved date is reminded again.
    pub revision: i32,
    /// The calendar day in Thuringia the reminder went out (`YYYY-MM-DD`).
    pub reminded_on: String,
    pub sent_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
