use sea_orm::entity::prelude::*;

/// A kiosk terminal in a Probierladen; the pairing code and the terminal secret are stored as hashes.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "kiosk_terminals")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub name: String,
    pub venue_id: i32,
    #[sea_orm(unique)]
    pub pairing_code_hash: String,
    pub pairing_expires_at: DateTimeUtc,
    pub paired_at: Option<DateTimeUtc>,
    #[sea_orm(unique)]
    pub secret_hash: Option<String>,
    pub revoked_at: Option<DateTimeUtc>,
    /// The booking whose receipt the terminal may show once.
    pub receipt_booking_id: Option<i64>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
