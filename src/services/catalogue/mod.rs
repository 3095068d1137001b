//! The public catalogue: upcoming dates of published offers with filters that combine, and an offer's
//! detail. One query builder serves the HTML pages, the print programme, the calendar feeds and the API.
//! The rows and their SQL in `select`, a filter's conditions in `filter`, the paged search in
//! `search`, unpaged lists for programmes, feeds and alerts in `feeds`, single dates and the dates of
//! one offer or venue in `dates`, and the published courses in `courses`.
use chrono::{DateTime, Utc};
use sea_orm::FromQueryResult;
use serde::Serialize;

use crate::domain::offer::{DateStatus, OfferKind, OfferStatus};

mod courses;
mod dates;
mod feeds;
mod filter;
mod search;
mod select;

pub use courses::{CoursePage, CourseSummary, published_courses, published_pages};
pub use dates::{
    date, dates_of_offer, published_course_date, recent_at_venue, refusal, sessions_of,
};
pub use feeds::{
    FEED_KEEPS_ENDED, all_matching, feed_dates, keep_for_feed, matching_and, matching_ids,
};
pub use filter::start_of_local_day;
pub use search::search;

pub const PAGE_SIZE: u64 = 20;

/// One date as the catalogue lists it.
#[derive(Debug, Clone, Serialize, FromQueryResult)]
pub struct DateSummary {
    pub date_id: i32,
    pub offer_id: i32,
    pub offer_slug: String,
    pub kind: OfferKind,
    pub title: String,
    pub topic: String,
    pub target_group: String,
    pub level: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub capacity: i32,
    pub booked_places: i32,
    pub max_places_per_booking: i32,
    pub walk_in_places: i32,
    pub walk_in_release_at: Option<DateTime<Utc>>,
    pub date_status: DateStatus,
    pub offer_status: OfferStatus,
    pub booking_closes_at: Option<DateTime<Utc>>,
    /// Entries on the waiting list; while anyone waits, free places are theirs.
    pub waiting: i32,
    /// Later sessions of a course booked as a whole (on its first date).
    pub sessions: i64,
    pub series_lead_id: Option<i32>,
    pub revision: i32,
    pub price_cents: i32,
    pub online_url: Option<String>,
    pub venue_slug: Option<String>,
    pub venue_name: Option<String>,
    pub street: Option<String>,
    pub postal_code: Option<String>,
    pub town: Option<String>,
    pub district_key: Option<String>,
    pub step_free: Option<bool>,
    pub organisation_id: i32,
    pub organisation_name: String,
}

impl DateSummary {
    /// Places people can book online now: walk-in places count only once they are released.
    pub fn free_places(&self, now: DateTime<Utc>) -> i32 {
        if self.waiting > 0 {
            return 0;
        }
        std::cmp::max(
            self.capacity - self.booked_places - held_for_walk_ins(self, now),
            0,
        )
    }
}

fn held_for_walk_ins(date: &DateSummary, now: DateTime<Utc>) -> i32 {
    match date.walk_in_release_at {
        Some(release) if release > now => date.walk_in_places,
        _ => 0,
    }
}

/// A catalogue entry with what a reader needs to decide: free places or waiting list.
#[derive(Debug, Serialize)]
pub struct Entry {
    #[serde(flatten)]
    pub date: DateSummary,
    pub free_places: i32,
    pub waiting_list: bool,
    /// The offer's public page (`/kurse/…` or `/veranstaltungen/…`).
    pub offer_path: String,
}

impl Entry {
    pub fn new(date: DateSummary, now: DateTime<Utc>) -> Self {
        let free_places = date.free_places(now);
        Self {
            waiting_list: free_places == 0,
            free_places,
            offer_path: date.kind.page_of(&date.offer_slug),
            date,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct Page {
    pub entries: Vec<Entry>,
    pub total: u64,
    pub page: u32,
    pub pages: u64,
}
