//! What the API returns: plain data with absolute links to the HTML pages and calendar files.
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::{
    domain::booking::BookingStatus,
    services::{
        catalogue::{CourseSummary, Entry},
        venues::VenueFacts,
    },
    web::state::AppState,
};

/// Absolute links on the portal, from the configured base address.
#[derive(Clone)]
pub struct Links(String);

impl Links {
    pub fn new(state: &AppState) -> Self {
        Self(
            state
                .settings
                .base_url
                .as_str()
                .trim_end_matches('/')
                .to_owned(),
        )
    }
    pub fn course(&self, slug: &str) -> String {
        format!("{}/kurse/{slug}", self.0)
    }
    pub fn booking_form(&self, slug: &str, date_id: i32) -> String {
        format!("{}/kurse/{slug}/termine/{date_id}/buchen", self.0)
    }
    pub fn date_ics(&self, date_id: i32) -> String {
        format!("{}/kalender/termin/{date_id}.ics", self.0)
    }
    pub fn venue(&self, slug: &str) -> String {
        format!("{}/orte/{slug}", self.0)
    }
    pub fn manage(&self, token: &str) -> String {
        format!("{}/buchung/{token}", self.0)
    }
}

/// Where an offer takes place, with what matters for access.
#[derive(Debug, Serialize, ToSchema)]
pub struct Venue {
    #[schema(example = "probierladen-erfurt-anger")]
    pub slug: String,
    #[schema(example = "Probierladen Digital am Anger")]
    pub name: String,
    #[schema(example = "Anger 52")]
    pub street: String,
    #[schema(example = "99084")]
    pub postal_code: String,
    #[schema(example = "Erfurt")]
    pub town: String,
    /// Official key (Kreisschlüssel) of the district or independent city.
    #[schema(example = "16051")]
    pub district_key: String,
    pub step_free: bool,
    pub accessible_toilet: bool,
    pub hearing_loop: bool,
    pub parking: bool,
    /// The venue's page with directions and accessibility notes.
    pub url: String,
}

impl Venue {
    pub fn new(v: &VenueFacts, links: &Links) -> Self {
        Self {
            slug: v.slug.clone(),
            name: v.name.clone(),
            street: v.street.clone(),
            postal_code: v.postal_code.clone(),
            town: v.town.clone(),
            district_key: v.district_key.clone(),
            step_free: v.step_free,
            accessible_toilet: v.accessible_toilet,
            hearing_loop: v.hearing_loop,
            parking: v.parking,
            url: links.venue(&v.slug),
        }
    }
}

/// A published course.
#[derive(Debug, Serialize, ToSchema)]
pub struct Course {
    pub id: i32,
    #[schema(example = "smartphone-grundlagen-fuer-einsteiger-erfurt")]
    pub slug: String,
    #[schema(example = "Smartphone-Grundlagen für Einsteiger")]
    pub title: String,
    pub description: String,
    /// Topic key, e.g. `smartphone-grundlagen`, `videotelefonie`, `sicher-im-netz`.
    #[schema(example = "smartphone-grundlagen")]
    pub topic: String,
    /// `einsteiger` or `fortgeschrittene`.
    #[schema(example = "einsteiger")]
    pub level: String,
    /// `alle`, `senioren`, `frauen`, `jugendliche` or `menschen-mit-behinderung`; everyone is welcome.
    #[schema(example = "senioren")]
    pub target_group: String,
    /// Language the course is taught in.
    #[schema(example = "de")]
    pub language: String,
    /// Price per place in euro cents; 0 is free of charge.
    pub price_cents: i32,
    pub organisation_name: String,
    /// True when the course takes place online; the access link goes only to people who booked.
    pub online: bool,
    /// The place, unless the course is online.
    pub venue: Option<Venue>,
    /// The course's page with all dates.
    pub url: String,
    /// Dates that lie ahead and are not cancelled.
    pub upcoming_dates: u64,
}

/// One date of a course with its free places.
#[derive(Debug, Serialize, ToSchema)]
pub struct CourseDate {
    pub id: i32,
    #[schema(example = "smartphone-grundlagen-fuer-einsteiger-erfurt")]
    pub course_slug: String,
    #[schema(example = "Smartphone-Grundlagen für Einsteiger")]
    pub title: String,
    #[schema(example = "smartphone-grundlagen")]
    pub topic: String,
    #[schema(example = "einsteiger")]
    pub level: String,
    #[schema(example = "senioren")]
    pub target_group: String,
    /// RFC 3339, UTC.
    pub starts_at: DateTime<Utc>,
    /// RFC 3339, UTC.
    pub ends_at: DateTime<Utc>,
    pub capacity: i32,
    /// Places that can be booked online now; places held for walk-ins count once released.
    pub free_places: i32,
    /// True when no place is free: a booking joins the waiting list.
    pub waiting_list: bool,
    /// Most places one booking may take for this date.
    pub max_places_per_booking: i32,
    /// `scheduled` or `cancelled`.
    #[schema(example = "scheduled")]
    pub status: String,
    pub price_cents: i32,
    pub organisation_name: String,
    /// True when the date takes place online; the access link goes only to people who booked.
    pub online: bool,
    /// The place, unless the date is online.
    pub venue: Option<Venue>,
    /// The course's page.
    pub url: String,
    /// The booking form for people.
    pub booking_url: String,
    /// Calendar file of this date.
    pub ics_url: String,
}

impl CourseDate {
    pub fn new(entry: &Entry, venues: &HashMap<String, VenueFacts>, links: &Links) -> Self {
        let d = &entry.date;
        Self {
            id: d.date_id,
            course_slug: d.offer_slug.clone(),
            title: d.title.clone(),
            topic: d.topic.clone(),
            level: d.level.clone(),
            target_group: d.target_group.clone(),
            starts_at: d.starts_at,
            ends_at: d.ends_at,
            capacity: d.capacity,
            free_places: entry.free_places,
            waiting_list: entry.waiting_list,
            max_places_per_booking: d.max_places_per_booking,
            status: d.date_status.key().to_owned(),
            price_cents: d.price_cents,
            organisation_name: d.organisation_name.clone(),
            online: d.venue_slug.is_none(),
            venue: d
                .venue_slug
                .as_ref()
                .and_then(|slug| venues.get(slug))
                .map(|v| Venue::new(v, links)),
            url: links.course(&d.offer_slug),
            booking_url: links.booking_form(&d.offer_slug, d.date_id),
            ics_url: links.date_ics(d.date_id),
        }
    }
}

impl Course {
    pub fn new(c: CourseSummary, links: &Links) -> Self {
        Self {
            id: c.id,
            url: links.course(&c.slug),
            online: c.online,
            venue: c.venue.as_ref().map(|v| Venue::new(v, links)),
            slug: c.slug,
            title: c.title,
            description: c.description,
            topic: c.topic,
            level: c.level,
            target_group: c.target_group,
            language: c.language,
            price_cents: c.price_cents,
            organisation_name: c.organisation_name,
            upcoming_dates: c.upcoming_dates,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CoursePage {
    pub items: Vec<Course>,
    /// Courses on all pages.
    pub total: u64,
    /// The page returned (1-based); a page beyond the last returns the last.
    pub page: u64,
    pub pages: u64,
    pub per_page: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DatePage {
    pub items: Vec<CourseDate>,
    /// Dates matching the filters, on all pages.
    pub total: u64,
    /// The page returned (1-based); a page beyond the last returns the last.
    pub page: u64,
    pub pages: u64,
    pub per_page: u64,
    /// For `nach`: the dates after this page's last, when there are more.
    pub next: Option<String>,
}

/// State of a booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BookingState {
    Confirmed,
    Waitlisted,
    Cancelled,
}

impl From<BookingStatus> for BookingState {
    fn from(s: BookingStatus) -> Self {
        match s {
            BookingStatus::Confirmed => Self::Confirmed,
            BookingStatus::Waitlisted => Self::Waitlisted,
            BookingStatus::Cancelled => Self::Cancelled,
        }
    }
}

/// A booking was made: a confirmed place, or a place on the waiting list.
#[derive(Debug, Serialize, ToSchema)]
pub struct BookingCreated {
    /// `confirmed` or `waitlisted`.
    pub status: BookingState,
    pub booking_id: i64,
    /// Secret of the booking: cancels it (`DELETE /api/v1/bookings/{cancel_token}`) and opens its page.
    /// Keep it like a password.
    pub cancel_token: String,
    /// 1-based position on the waiting list; null when confirmed.
    pub waiting_position: Option<u64>,
    /// The person's own booking page (details, calendar file, cancellation); also sent by mail.
    pub manage_url: String,
}

/// A booking was cancelled.
#[derive(Debug, Serialize, ToSchema)]
pub struct BookingCancelled {
    /// Always `cancelled`.
    pub status: BookingState,
    /// How many waiting-list entries got the freed places (they are told by mail).
    pub promoted: usize,
}
