use sea_orm::entity::prelude::*;

use crate::{
    domain::booking::{Attendance, BookingStatus},
    sealing::{Purpose, Sealer},
};

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
    /// The secret of the person's booking link in clear, as versions before migration 35 kept it;
    /// sealed and emptied by the housekeeping (`services::booking::links`). Read through
    /// [`Model::link_secret`].
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
    /// The secret of the person's booking link, for later mails, sealed (`crate::sealing`); `None`
    /// once anonymised.
    #[sea_orm(column_type = "Text", nullable)]
    pub manage_link_sealed: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    /// The secret of the booking's link (`/buchung/<secret>`), if it still has one.
    pub fn link_secret(&self, sealer: &Sealer) -> Option<String> {
        // An older instance anonymises without knowing the sealed link (the housekeeping removes it).
        if self.anonymised_at.is_some() {
            return None;
        }
        // A link in clear is the newer one where both are kept: this version never writes one, so
        // it was written after the seal by an older instance (a new link with a new address).
        match (&self.manage_token, &self.manage_link_sealed) {
            (Some(plain), _) => Some(plain.clone()),
            (None, Some(sealed)) => {
                sealer.open(Purpose::BookingLink, &self.cancel_token_hash, sealed)
            }
            (None, None) => None,
        }
    }
}

/// What a booking keeps of its link `secret`: sealed, and bound to the link's hash
/// (`cancel_token_hash`), so it opens only while that is the booking's link.
pub fn sealed_link(sealer: &Sealer, secret: &str, secret_hash: &str) -> String {
    sealer.seal(Purpose::BookingLink, secret_hash, secret)
}
