//! Demo courses from `content/demo/courses.csv` and `course_dates.csv`. Dates are given relative to the
//! day of seeding, so a fresh start always shows upcoming dates. Demo bookings fill dates (some beyond
//! capacity, so their waiting lists show) the way the booking engine would: confirmed up to capacity,
//! the rest waiting in order.
use std::path::Path;

use chrono::{DateTime, Days, Duration, NaiveTime, TimeZone, Utc};
use chrono_tz::Europe::Berlin;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, Set};
use serde::Deserialize;

use super::demo::{DemoError, SeedSummary};
use crate::services::{
    booking::links::NewLink,
    csv_rows::{self, CsvError, Row},
};
use crate::{
    db::entities::{booking, offer, offer_date, organisation, venue},
    domain::{
        Slug,
        booking::{BookingStatus, Channel},
        offer::{
            DateStatus, Level, OfferKind, OfferStatus, Support, TargetGroup, Topic, search_text,
        },
    },
    sealing::Sealer,
};

#[derive(Deserialize)]
pub(super) struct CourseRow {
    slug: String,
    organisation: String,
    venue: String,
    title: String,
    description: String,
    topic: String,
    level: String,
    target_group: String,
    what_to_bring: String,
    accessibility_notes: String,
    price_cents: i32,
    capacity: i32,
    max_places: i32,
    min_participants: i32,
    walk_in_places: i32,
    online_url: String,
    /// The dates form one course booked as a whole: later dates are sessions of the first.
    booked_as_whole: bool,
    /// `kurs` (when empty) or `dialog`; the last four columns describe dialogue events.
    #[serde(default)]
    kind: String,
    #[serde(default)]
    agenda: String,
    #[serde(default)]
    audience: String,
    /// `false` for events everyone may simply attend; empty means `true`.
    #[serde(default)]
    registration_required: String,
    /// Comma-separated support keys, e.g. `gebaerdensprache,hoerschleife`.
    #[serde(default)]
    support_offered: String,
}

#[derive(Deserialize)]
pub(super) struct DateRow {
    course: String,
    days_from_today: u64,
    start: String,
    minutes: i64,
    demo_bookings: i32,
}

pub(super) struct DemoCourses {
    courses: Vec<Row<CourseRow>>,
    dates: Vec<(Row<DateRow>, DateTime<Utc>)>,
}

impl DemoCourses {
    pub(super) fn len(&self) -> usize {
        self.courses.len()
    }
}

/// Reads and checks both files; `venues` and `organisations` are the slugs from the other demo files.
pub(super) fn read(
    content_dir: &Path,
    organisations: &[String],
    venues: &[(String, String)],
    now: DateTime<Utc>,
) -> Result<DemoCourses, CsvError> {
    let course_path = content_dir.join("demo/courses.csv");
    let date_path = content_dir.join("demo/course_dates.csv");
    if !course_path.is_file() {
        return Ok(DemoCourses {
            courses: Vec::new(),
            dates: Vec::new(),
        });
    }
    let courses = csv_rows::read::<CourseRow>(&course_path)?;
    for row in &courses {
        let r = &row.value;
        let fail = |field: &str, problem: &str| row.field_error(&course_path, field, problem);
        Slug::parse(&r.slug).map_err(|_| fail("slug", "is not a valid slug"))?;
        Topic::parse(&r.topic).map_err(|_| fail("topic", "is not a topic"))?;
        Level::parse(&r.level).map_err(|_| fail("level", "is not a level"))?;
        TargetGroup::parse(&r.target_group)
            .map_err(|_| fail("target_group", "is not a target group"))?;
        if !organisations.contains(&r.organisation) {
            return Err(fail(
                "organisation",
                "no such organisation in organisations.csv",
            ));
        }
        if !r.venue.is_empty() && !venues.iter().any(|(slug, _)| slug == &r.venue) {
            return Err(fail("venue", "no such venue in venues.csv"));
        }
        if r.venue.is_empty() && r.online_url.is_empty() {
            return Err(fail(
                "online_url",
                "a course without a venue needs an online link",
            ));
        }
        if !(1..=500).contains(&r.capacity) {
            return Err(fail("capacity", "must be between 1 and 500"));
        }
        let most = r.capacity.min(crate::domain::booking::MAX_PLACES as i32);
        if !(1..=most).contains(&r.max_places) {
            return Err(fail(
                "max_places",
                "must be between 1 and the capacity, at most 10",
            ));
        }
        if !(0..r.capacity).contains(&r.walk_in_places) {
            return Err(fail("walk_in_places", "must be below the capacity"));
        }
        if !r.kind.is_empty() {
            OfferKind::parse(&r.kind).map_err(|_| fail("kind", "is not kurs or dialog"))?;
        }
        if !matches!(r.registration_required.as_str(), "" | "true" | "false") {
            return Err(fail("registration_required", "must be true or false"));
        }
        if r.support_offered
            .split(',')
            .any(|k| !k.is_empty() && Support::parse(k).is_err())
        {
            return Err(fail(
                "support_offered",
                "may hold only gebaerdensprache, hoerschleife and begleitung",
            ));
        }
    }
    let today = now.with_timezone(&Berlin).date_naive();
    let mut dates = Vec::new();
    for row in csv_rows::read::<DateRow>(&date_path)? {
        let r = &row.value;
        if !courses.iter().any(|c| c.value.slug == r.course) {
            return Err(row.field_error(&date_path, "course", "no such course in courses.csv"));
        }
        let time = NaiveTime::parse_from_str(&r.start, "%H:%M")
            .map_err(|_| row.field_error(&date_path, "start", "is not a time like 14:30"))?;
        let day = today
            .checked_add_days(Days::new(r.days_from_today))
            .ok_or_else(|| row.field_error(&date_path, "days_from_today", "is too far away"))?;
        let starts_at = Berlin
            .from_local_datetime(&day.and_time(time))
            .earliest()
            .ok_or_else(|| row.field_error(&date_path, "start", "does not exist on that day"))?
            .with_timezone(&Utc);
        if !(15..=600).contains(&r.minutes) {
            return Err(row.field_error(&date_path, "minutes", "must be between 15 and 600"));
        }
        dates.push((row, starts_at));
    }
    Ok(DemoCourses { courses, dates })
}

pub(super) async fn write(
    txn: &DatabaseTransaction,
    sealer: &Sealer,
    demo: DemoCourses,
    now: DateTime<Utc>,
    summary: &mut SeedSummary,
    progress: &indicatif::ProgressBar,
) -> Result<(), DemoError> {
    for row in demo.courses {
        let r = row.value;
        progress.inc(1);
        if offer::Entity::find()
            .filter(offer::Column::Slug.eq(&r.slug))
            .one(txn)
            .await?
            .is_some()
        {
            summary.already_present += 1;
            continue;
        }
        let Some(org) = organisation::Entity::find()
            .filter(organisation::Column::Slug.eq(&r.organisation))
            .one(txn)
            .await?
        else {
            continue;
        };
        let venue_id = match r.venue.as_str() {
            "" => None,
            slug => venue::Entity::find()
                .filter(venue::Column::Slug.eq(slug))
                .one(txn)
                .await?
                .map(|v| v.id),
        };
        let created = offer::ActiveModel {
            search_text: Set(search_text(&r.title, &r.description)),
            slug: Set(r.slug.clone()),
            organisation_id: Set(org.id),
            venue_id: Set(venue_id),
            kind: Set(OfferKind::parse(&r.kind).unwrap_or(OfferKind::Course)),
            agenda: Set(Some(r.agenda).filter(|a| !a.is_empty())),
            audience: Set(Some(r.audience).filter(|a| !a.is_empty())),
            registration_required: Set(r.registration_required != "false"),
            support_offered: Set(Some(r.support_offered).filter(|s| !s.is_empty())),
            title: Set(r.title),
            description: Set(r.description),
            topic: Set(r.topic),
            level: Set(r.level),
            target_group: Set(r.target_group),
            language: Set("de".into()),
            online_url: Set((!r.online_url.is_empty()).then_some(r.online_url)),
            what_to_bring: Set(r.what_to_bring),
            accessibility_notes: Set(r.accessibility_notes),
            price_cents: Set(r.price_cents),
            status: Set(OfferStatus::Published),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(txn)
        .await?;
        summary.courses_added += 1;
        let mut lead: Option<i32> = None;
        for (date_row, starts_at) in demo.dates.iter().filter(|(d, _)| d.value.course == r.slug) {
            let d = &date_row.value;
            let series_lead_id = if r.booked_as_whole { lead } else { None };
            // Sessions of a course booked as a whole take no bookings of their own.
            let demo_bookings = if series_lead_id.is_some() {
                0
            } else {
                d.demo_bookings
            };
            let confirmed = demo_bookings.min(r.capacity);
            // Minimum and walk-in places belong to the date people book: the first of a series.
            let (minimum, walk_ins) = if series_lead_id.is_some() {
                (0, 0)
            } else {
                (r.min_participants, r.walk_in_places)
            };
            let date = offer_date::ActiveModel {
                offer_id: Set(created.id),
                starts_at: Set(*starts_at),
                ends_at: Set(*starts_at + Duration::minutes(d.minutes)),
                capacity: Set(r.capacity),
                booked_places: Set(confirmed),
                max_places_per_booking: Set(r.max_places),
                booking_opens_at: Set(None),
                booking_closes_at: Set(Some(*starts_at)),
                status: Set(DateStatus::Scheduled),
                created_at: Set(now),
                min_participants: Set(minimum),
                decision_at: Set((minimum > 0).then(|| *starts_at - Duration::days(14))),
                decided_at: Set(None),
                walk_in_places: Set(walk_ins),
                walk_in_release_at: Set((walk_ins > 0).then(|| *starts_at - Duration::hours(24))),
                reminder_sent_at: Set(None),
                revision: Set(0),
                series_lead_id: Set(series_lead_id),
                ..Default::default()
            }
            .insert(txn)
            .await?;
            lead.get_or_insert(date.id);
            summary.dates_added += 1;
            for n in 0..demo_bookings {
                let status = if n < confirmed {
                    BookingStatus::Confirmed
                } else {
                    BookingStatus::Waitlisted
                };
                let link = NewLink::new(sealer);
                booking::ActiveModel {
                    date_id: Set(date.id),
                    user_id: Set(None),
                    name: Set(format!("Demo-Teilnehmende {}", n + 1)),
                    email: Set(Some(format!(
                        "teilnehmende-{}-{}@demo.teilhabe.example",
                        date.id,
                        n + 1
                    ))),
                    phone: Set(None),
                    places: Set(1),
                    status: Set(status),
                    channel: Set(Channel::Online.as_str().to_owned()),
                    cancel_token_hash: Set(link.hash),
                    manage_link_sealed: Set(Some(link.sealed)),
                    language: Set("de".into()),
                    created_at: Set(now),
                    ..Default::default()
                }
                .insert(txn)
                .await?;
                summary.bookings_added += 1;
            }
        }
    }
    Ok(())
}
