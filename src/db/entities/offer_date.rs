use sea_orm::entity::prelude::*;

use crate::domain::offer::{DateStatus, OfferKind};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "offer_dates")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub offer_id: i32,
    pub starts_at: DateTimeUtc,
    pub ends_at: DateTimeUtc,
    pub capacity: i32,
    /// Confirmed places; changed only inside the booking transaction.
    pub booked_places: i32,
    pub max_places_per_booking: i32,
    pub booking_opens_at: Option<DateTimeUtc>,
    pub booking_closes_at: Option<DateTimeUtc>,
    pub status: DateStatus,
    pub created_at: DateTimeUtc,
    /// Below this many confirmed places at `decision_at`, staff decide whether the date takes place.
    pub min_participants: i32,
    pub decision_at: Option<DateTimeUtc>,
    pub decided_at: Option<DateTimeUtc>,
    /// Places kept for people who walk in, bookable online only from `walk_in_release_at` on.
    pub walk_in_places: i32,
    pub walk_in_release_at: Option<DateTimeUtc>,
    pub reminder_sent_at: Option<DateTimeUtc>,
    /// Raised on every change by the provider (iCalendar SEQUENCE).
    pub revision: i32,
    /// Set on the later sessions of a course booked as a whole: the first date, which takes the bookings.
    pub series_lead_id: Option<i32>,
    /// When the feedback invitations for this date went out (once, after it ended).
    pub feedback_invited_at: Option<DateTimeUtc>,
    /// Secret in the printed QR link to the date's feedback form; made when first printed.
    pub feedback_code: Option<String>,
    /// The offer's kind while it is published, else empty; with `topic` and `district_key` copies
    /// of the offer's and venue's values that the catalogue's indexes order by start. Database
    /// triggers keep them (migration `m20261205_000025_catalogue_listing`); nothing writes them.
    pub listed_as: Option<OfferKind>,
    pub topic: Option<String>,
    pub district_key: Option<String>,
    /// Bookings on the date's waiting list. Database triggers keep it in step with the bookings
    /// (migration `m20261207_000034_waiting_count`); nothing writes it.
    pub waiting_count: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
