use sea_orm::entity::prelude::*;

use crate::domain::offer::OfferKind;

/// "Tell me when there is a course for me": a catalogue filter and the address that gets at most one
/// mail a week about new matching dates. Nothing is sent before `confirmed_at`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "course_alerts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub email: String,
    pub language: String,
    /// The catalogue section the filter is from.
    pub kind: OfferKind,
    /// The filter as a canonical query string of the catalogue form (`thema=…&kreis=…`).
    pub filter_query: String,
    /// The account it was set up from, if any.
    pub user_id: Option<i32>,
    /// `online`, `kiosk` or `staff`.
    pub channel: String,
    pub created_at: DateTimeUtc,
    pub confirmed_at: Option<DateTimeUtc>,
    pub last_sent_at: Option<DateTimeUtc>,
    /// When an instance last looked for new dates (the claim of the weekly job).
    pub checked_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
