use sea_orm::entity::prelude::*;

use crate::domain::booking::Attendance;

/// Attendance of a booking at a later session of a course booked as a whole (the first date's
/// attendance is on the booking). One row per booking and session.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "session_attendance")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub booking_id: i64,
    pub date_id: i32,
    pub attendance: Attendance,
    pub recorded_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
