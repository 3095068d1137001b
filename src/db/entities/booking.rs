use sea_orm::entity::prelude::*;

use crate::domain::booking::{Attendance, BookingStatus};

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
    pub status: BookingStatus,
    pub channel: String,
    #[sea_orm(unique)]
    pub cancel_token_hash: String,
    pub created_at: DateTimeUtc,
    /// Language of the person's mails.
    pub language: String,
    /// The secret of the person's booking link, for later mails; `None` once anonymised.
    pub manage_token: Option<String>,
    /// Set once staff marked attendance.
    pub attendance: Option<Attendance>,
    /// Places offered to a waiting entry that needs more than are free, until `offer_expires_at`.
    pub offered_places: Option<i32>,
    pub offer_expires_at: Option<DateTimeUtc>,
    /// Name and contact were removed after the retention period; counts stay.
    pub anonymised_at: Option<DateTimeUtc>,
    /// The API client's `Idempotency-Key` with the date, hashed: a repeat gets this booking.
    #[sea_orm(unique)]
    pub idempotency_key_hash: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
