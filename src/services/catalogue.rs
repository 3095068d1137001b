//! The public catalogue: upcoming dates of published offers with filters that combine, and an offer's
//! detail. One query builder serves the HTML pages, the print programme, the calendar feeds and the API.
use std::sync::LazyLock;

use chrono::{DateTime, Days, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Europe::Berlin;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    FromQueryResult, PaginatorTrait, QueryFilter, QueryOrder, Statement,
    sea_query::{Alias, Cond, Expr, ExprTrait, Func, Order, Query, SelectStatement},
};
use serde::Serialize;

use super::venues::VenueFacts;
use crate::{
    db::{
        count_by,
        entities::{offer, offer_date, organisation, venue},
        lookup,
    },
    domain::{
        booking::BookingStatus,
        offer::{CatalogueFilter, DateStatus, OfferKind, OfferStatus},
    },
};

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
    pub waiting: i64,
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

/// Dates with their offer and venue, and with the organisation when `with_organisation`.
fn dates_joined(with_organisation: bool) -> SelectStatement {
    let mut select = Query::select();
    select
        .from(offer_date::Entity)
        .inner_join(
            offer::Entity,
            Expr::col((offer::Entity, offer::Column::Id))
                .equals((offer_date::Entity, offer_date::Column::OfferId)),
        )
        .left_join(
            venue::Entity,
            Expr::col((venue::Entity, venue::Column::Id))
                .equals((offer::Entity, offer::Column::VenueId)),
        );
    if with_organisation {
        select.inner_join(
            organisation::Entity,
            Expr::col((organisation::Entity, organisation::Column::Id))
                .equals((offer::Entity, offer::Column::OrganisationId)),
        );
    }
    select
}

/// The dates matching a filter, without their columns: what a count or a page of ids needs. Kind,
/// publication, topic and district are the date's own copies, so the common filters read the dates'
/// indexes alone, in start order; the offer, venue and organisation are joined only for filters on
/// their other columns.
fn filtered_select(
    kind: OfferKind,
    filter: &CatalogueFilter,
    now: DateTime<Utc>,
) -> SelectStatement {
    let Conditions { cond, joins } = conditions(kind, filter, now);
    let mut select = if joins {
        dates_joined(false)
    } else {
        Query::select().from(offer_date::Entity).to_owned()
    };
    select.cond_where(cond);
    select
}

/// Later sessions of the date in the current row.
const SESSION_COUNT: &str =
    "(SELECT COUNT(*) FROM offer_dates AS sessions WHERE sessions.series_lead_id = offer_dates.id)";
/// Waiting-list entries of the date in the current row (a constant query: the key is no input).
static WAITING_COUNT: LazyLock<String> = LazyLock::new(|| {
    format!(
        "(SELECT COUNT(*) FROM bookings WHERE bookings.date_id = offer_dates.id AND bookings.status = '{}')",
        BookingStatus::Waitlisted.key()
    )
});
/// The same as `WAITING_COUNT = 0`, but it stops at the first entry.
static NOBODY_WAITING: LazyLock<String> = LazyLock::new(|| {
    format!(
        "NOT EXISTS (SELECT 1 FROM bookings WHERE bookings.date_id = offer_dates.id AND bookings.status = '{}')",
        BookingStatus::Waitlisted.key()
    )
});

/// Dates with their offer, venue and organisation and the columns of a [`DateSummary`]: what a
/// row of the catalogue shows.
fn summary_select() -> SelectStatement {
    let mut select = dates_joined(true);
    select
        .expr_as(Expr::cust(WAITING_COUNT.as_str()), Alias::new("waiting"))
        .expr_as(Expr::cust(SESSION_COUNT), Alias::new("sessions"))
        .expr_as(
            Expr::col((offer_date::Entity, offer_date::Column::SeriesLeadId)),
            Alias::new("series_lead_id"),
        )
        .expr_as(
            Expr::col((offer::Entity, offer::Column::Status)),
            Alias::new("offer_status"),
        )
        .expr_as(
            Expr::col((offer_date::Entity, offer_date::Column::BookingClosesAt)),
            Alias::new("booking_closes_at"),
        );
    let d = offer_date::Entity;
    let o = offer::Entity;
    let v = venue::Entity;
    for (expr, alias) in [
        (Expr::col((d, offer_date::Column::Id)), "date_id"),
        (Expr::col((o, offer::Column::Id)), "offer_id"),
        (Expr::col((o, offer::Column::Slug)), "offer_slug"),
        (Expr::col((o, offer::Column::Kind)), "kind"),
        (Expr::col((o, offer::Column::Title)), "title"),
        (Expr::col((o, offer::Column::Topic)), "topic"),
        (Expr::col((o, offer::Column::TargetGroup)), "target_group"),
        (Expr::col((o, offer::Column::Level)), "level"),
        (Expr::col((d, offer_date::Column::StartsAt)), "starts_at"),
        (Expr::col((d, offer_date::Column::EndsAt)), "ends_at"),
        (Expr::col((d, offer_date::Column::Capacity)), "capacity"),
        (
            Expr::col((d, offer_date::Column::BookedPlaces)),
            "booked_places",
        ),
        (
            Expr::col((d, offer_date::Column::MaxPlacesPerBooking)),
            "max_places_per_booking",
        ),
        (
            Expr::col((d, offer_date::Column::WalkInPlaces)),
            "walk_in_places",
        ),
        (
            Expr::col((d, offer_date::Column::WalkInReleaseAt)),
            "walk_in_release_at",
        ),
        (Expr::col((d, offer_date::Column::Status)), "date_status"),
        (Expr::col((d, offer_date::Column::Revision)), "revision"),
        (Expr::col((o, offer::Column::PriceCents)), "price_cents"),
        (Expr::col((o, offer::Column::OnlineUrl)), "online_url"),
        (Expr::col((v, venue::Column::Slug)), "venue_slug"),
        (Expr::col((v, venue::Column::Name)), "venue_name"),
        (Expr::col((v, venue::Column::Street)), "street"),
        (Expr::col((v, venue::Column::PostalCode)), "postal_code"),
        (Expr::col((v, venue::Column::Town)), "town"),
        (Expr::col((v, venue::Column::DistrictKey)), "district_key"),
        (Expr::col((v, venue::Column::StepFree)), "step_free"),
        (
            Expr::col((organisation::Entity, organisation::Column::Id)),
            "organisation_id",
        ),
        (
            Expr::col((organisation::Entity, organisation::Column::Name)),
            "organisation_name",
        ),
    ] {
        select.expr_as(expr, Alias::new(alias));
    }
    select
}

/// Start of a calendar day in Thuringia, as an instant.
pub fn start_of_local_day(day: NaiveDate) -> DateTime<Utc> {
    Berlin
        .from_local_datetime(&day.and_time(NaiveTime::MIN))
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| day.and_time(NaiveTime::MIN).and_utc())
}

/// `%` and `_` in what people type are literal characters, not wildcards.
fn like_pattern(text: &str) -> String {
    let escaped = text
        .trim()
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

fn contains(column: Expr, text: &str) -> Expr {
    Expr::expr(Func::lower(column))
        .like(sea_orm::sea_query::LikeExpr::new(like_pattern(text)).escape('\\'))
}

/// A filter's conditions, and whether they test columns of the offer, venue or organisation (the
/// dates' own copies need none of them joined).
struct Conditions {
    cond: Cond,
    joins: bool,
}

/// The conditions of a filter for dates yet to begin; shared by the page query and its count.
fn conditions(kind: OfferKind, filter: &CatalogueFilter, now: DateTime<Utc>) -> Conditions {
    let upcoming =
        Cond::all().add(Expr::col((offer_date::Entity, offer_date::Column::StartsAt)).gt(now));
    conditions_within(kind, filter, now, upcoming)
}

/// The conditions of a filter for the dates `window` (a condition on their times) lets through.
fn conditions_within(
    kind: OfferKind,
    filter: &CatalogueFilter,
    now: DateTime<Utc>,
    window: Cond,
) -> Conditions {
    let mut joins = false;
    let d = offer_date::Entity;
    let o = offer::Entity;
    let v = venue::Entity;
    // `listed_as` is the offer's kind while it is published.
    let mut cond = Cond::all()
        .add(Expr::col((d, offer_date::Column::ListedAs)).eq(kind))
        .add(window);
    if !filter.include_sessions {
        cond = cond.add(Expr::col((d, offer_date::Column::SeriesLeadId)).is_null());
    }
    if !filter.include_cancelled {
        cond = cond.add(Expr::col((d, offer_date::Column::Status)).ne(DateStatus::Cancelled));
    }
    // In the lists' order: a later start, or the same start and a higher id.
    if let Some(after) = filter.after {
        let starts_at = || Expr::col((d, offer_date::Column::StartsAt));
        cond = cond.add(
            Cond::any().add(starts_at().gt(after.starts_at)).add(
                Cond::all()
                    .add(starts_at().eq(after.starts_at))
                    .add(Expr::col((d, offer_date::Column::Id)).gt(after.id)),
            ),
        );
    }
    if let Some(slug) = &filter.venue {
        joins = true;
        cond = cond.add(Expr::col((v, venue::Column::Slug)).eq(slug.as_str()));
    }
    if let Some(from) = filter.from {
        cond = cond.add(Expr::col((d, offer_date::Column::StartsAt)).gte(start_of_local_day(from)));
    }
    if let Some(to) = filter.to.and_then(|to| to.checked_add_days(Days::new(1))) {
        cond = cond.add(Expr::col((d, offer_date::Column::StartsAt)).lt(start_of_local_day(to)));
    }
    if let Some(district) = &filter.district {
        cond = cond.add(Expr::col((d, offer_date::Column::DistrictKey)).eq(district.as_str()));
    }
    if let Some(town) = &filter.town {
        joins = true;
        cond = cond.add(contains(Expr::col((v, venue::Column::Town)), town));
    }
    if let Some(topic) = filter.topic {
        cond = cond.add(Expr::col((d, offer_date::Column::Topic)).eq(topic.key()));
    }
    if let Some(group) = filter.target_group {
        joins = true;
        cond = cond.add(Expr::col((o, offer::Column::TargetGroup)).eq(group.key()));
    }
    for (wanted, column) in [
        (filter.step_free, venue::Column::StepFree),
        (filter.hearing_loop, venue::Column::HearingLoop),
        (filter.accessible_toilet, venue::Column::AccessibleToilet),
    ] {
        if wanted {
            joins = true;
            cond = cond.add(Expr::col((v, column)).eq(true));
        }
    }
    if filter.free_places_only {
        let held = Expr::case(
            Expr::col((d, offer_date::Column::WalkInReleaseAt)).gt(now),
            Expr::col((d, offer_date::Column::WalkInPlaces)),
        )
        .finally(0);
        cond = cond.add(Expr::cust(NOBODY_WAITING.as_str())).add(
            Expr::col((d, offer_date::Column::Capacity))
                .sub(Expr::col((d, offer_date::Column::BookedPlaces)))
                .sub(Expr::expr(held))
                .gt(0),
        );
    }
    if let Some(text) = &filter.text {
        cond = cond
            .add(Expr::col((d, offer_date::Column::OfferId)).in_subquery(offers_mentioning(text)));
    }
    Conditions { cond, joins }
}

/// The offers whose text, organisation or town contains `text`. Matched once per offer, not once per
/// date of the period: the dates are then only looked up in the list of those offers. The few
/// organisations and towns are matched on their own, not once for each of their offers.
fn offers_mentioning(text: &str) -> SelectStatement {
    let o = offer::Entity;
    let named = Query::select()
        .column(organisation::Column::Id)
        .from(organisation::Entity)
        .cond_where(contains(Expr::col(organisation::Column::Name), text))
        .to_owned();
    let towns = Query::select()
        .column(venue::Column::Id)
        .from(venue::Entity)
        .cond_where(contains(Expr::col(venue::Column::Town), text))
        .to_owned();
    Query::select()
        .column((o, offer::Column::Id))
        .from(o)
        .cond_where(
            Cond::any()
                .add(
                    Expr::col((o, offer::Column::SearchText))
                        .like(sea_orm::sea_query::LikeExpr::new(like_pattern(text)).escape('\\')),
                )
                .add(Expr::col((o, offer::Column::OrganisationId)).in_subquery(named))
                .add(Expr::col((o, offer::Column::VenueId)).in_subquery(towns)),
        )
        .to_owned()
}

fn statement(db: &impl ConnectionTrait, select: &SelectStatement) -> Statement {
    db.get_database_backend().build(select)
}

/// The dates a [`summary_select`] finds.
async fn summaries(
    db: &impl ConnectionTrait,
    select: &SelectStatement,
) -> Result<Vec<DateSummary>, DbErr> {
    DateSummary::find_by_statement(statement(db, select))
        .all(db)
        .await
}

/// The dates a [`summary_select`] finds, as the catalogue shows them at `now`.
async fn entries(
    db: &impl ConnectionTrait,
    select: &SelectStatement,
    now: DateTime<Utc>,
) -> Result<Vec<Entry>, DbErr> {
    Ok(summaries(db, select)
        .await?
        .into_iter()
        .map(|d| Entry::new(d, now))
        .collect())
}

#[derive(FromQueryResult)]
struct Count {
    n: i64,
}

/// One page of upcoming dates matching the filter, earliest first.
///
/// The page's dates are chosen on their ids and sort key alone; only those 20 are then read with
/// their offer, place and waiting list. A first page with room to spare holds every match, so it
/// needs no count; other pages count first, so that a page beyond the last shows the last.
pub async fn search(
    db: &DatabaseConnection,
    kind: OfferKind,
    filter: &CatalogueFilter,
    now: DateTime<Utc>,
) -> Result<Page, DbErr> {
    if filter.text.is_some() && db.get_database_backend() == sea_orm::DbBackend::Postgres {
        // PostgreSQL keeps a generic plan for a prepared statement after five runs; with the
        // search text behind a parameter that plan tests the text on every date of the period
        // (about 9 ms a statement instead of 1 to 2). These two statements are planned for their
        // text; the other filters keep their cached plans (planning every statement cost them a
        // third, BENCHMARKS.md).
        let txn = sea_orm::TransactionTrait::begin(db).await?;
        txn.execute_unprepared("SET LOCAL plan_cache_mode = force_custom_plan")
            .await?;
        let page = search_in(&txn, kind, filter, now).await?;
        txn.commit().await?;
        return Ok(page);
    }
    search_in(db, kind, filter, now).await
}

async fn search_in(
    db: &impl ConnectionTrait,
    kind: OfferKind,
    filter: &CatalogueFilter,
    now: DateTime<Utc>,
) -> Result<Page, DbErr> {
    let requested = u64::from(filter.page);
    if requested <= 1 {
        let dates = page_of(db, kind, filter, now, 0).await?;
        let found = dates.len() as u64;
        if found < PAGE_SIZE {
            return Ok(page_from(dates, found, 1, now));
        }
        let total = count(db, kind, filter, now).await?;
        return Ok(page_from(dates, total, 1, now));
    }
    let total = count(db, kind, filter, now).await?;
    let pages = std::cmp::max(total.div_ceil(PAGE_SIZE), 1);
    let page = std::cmp::min(requested, pages);
    let dates = page_of(db, kind, filter, now, (page - 1) * PAGE_SIZE).await?;
    Ok(page_from(dates, total, page, now))
}

fn page_from(dates: Vec<DateSummary>, total: u64, page: u64, now: DateTime<Utc>) -> Page {
    Page {
        entries: dates.into_iter().map(|d| Entry::new(d, now)).collect(),
        total,
        page: page as u32,
        pages: std::cmp::max(total.div_ceil(PAGE_SIZE), 1),
    }
}

async fn count(
    db: &impl ConnectionTrait,
    kind: OfferKind,
    filter: &CatalogueFilter,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let mut count = filtered_select(kind, filter, now);
    count.expr_as(
        Expr::col((offer_date::Entity, offer_date::Column::Id)).count(),
        Alias::new("n"),
    );
    Ok(Count::find_by_statement(statement(db, &count))
        .one(db)
        .await?
        .map_or(0, |c| u64::try_from(c.n).unwrap_or(0)))
}

/// Up to a page of matching dates from `offset` on, earliest first.
async fn page_of(
    db: &impl ConnectionTrait,
    kind: OfferKind,
    filter: &CatalogueFilter,
    now: DateTime<Utc>,
    offset: u64,
) -> Result<Vec<DateSummary>, DbErr> {
    let d = offer_date::Entity;
    let mut ids = filtered_select(kind, filter, now);
    ids.column((d, offer_date::Column::Id))
        .order_by((d, offer_date::Column::StartsAt), Order::Asc)
        .order_by((d, offer_date::Column::Id), Order::Asc)
        .limit(PAGE_SIZE)
        .offset(offset);
    let mut select = summary_select();
    select
        .and_where(Expr::col((d, offer_date::Column::Id)).in_subquery(ids))
        .order_by((d, offer_date::Column::StartsAt), Order::Asc)
        .order_by((d, offer_date::Column::Id), Order::Asc);
    summaries(db, &select).await
}

/// Every upcoming date matching the filter, without paging: for print programmes and calendar feeds,
/// whose filters always narrow the set (a venue, a district, a topic, a period).
pub async fn all_matching(
    db: &DatabaseConnection,
    kind: OfferKind,
    filter: &CatalogueFilter,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<Entry>, DbErr> {
    matching_and(db, kind, filter, now, Cond::all(), limit).await
}

/// [`all_matching`] for the dates that `also` (a condition on the date) lets through as well.
pub async fn matching_and(
    db: &DatabaseConnection,
    kind: OfferKind,
    filter: &CatalogueFilter,
    now: DateTime<Utc>,
    also: Cond,
    limit: u64,
) -> Result<Vec<Entry>, DbErr> {
    let mut select = summary_select();
    select
        .cond_where(conditions(kind, filter, now).cond)
        .cond_where(also)
        .order_by(
            (offer_date::Entity, offer_date::Column::StartsAt),
            Order::Asc,
        )
        .order_by((offer_date::Entity, offer_date::Column::Id), Order::Asc)
        .limit(limit);
    entries(db, &select, now).await
}

/// The ids of every upcoming date matching the filter, however many there are: only the dates'
/// indexes are read.
pub async fn matching_ids(
    db: &DatabaseConnection,
    kind: OfferKind,
    filter: &CatalogueFilter,
    now: DateTime<Utc>,
) -> Result<Vec<i32>, DbErr> {
    let mut ids = filtered_select(kind, filter, now);
    ids.column((offer_date::Entity, offer_date::Column::Id));
    db.query_all_raw(statement(db, &ids))
        .await?
        .iter()
        .map(|row| row.try_get_by_index::<i32>(0))
        .collect()
}

/// How long a calendar feed keeps a date after it ended. A subscribed calendar deletes what the feed
/// no longer lists, so a date that is running or just over must stay in it (as in the volunteers'
/// feed), or it vanishes from people's calendars the moment it begins.
pub const FEED_KEEPS_ENDED: chrono::Duration = chrono::Duration::days(60);

/// The dates of a calendar feed: every coming date matching the filter, and those that began
/// already but ended less than [`FEED_KEEPS_ENDED`] ago; at most `limit`, in time order. When there
/// are more, the coming ones come first (see [`keep_for_feed`]).
pub async fn feed_dates(
    db: &DatabaseConnection,
    kind: OfferKind,
    filter: &CatalogueFilter,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<Entry>, DbErr> {
    let coming = all_matching(db, kind, filter, now, limit).await?;
    let room = limit.saturating_sub(coming.len() as u64);
    if room == 0 {
        return Ok(coming);
    }
    let d = offer_date::Entity;
    let begun = Cond::all()
        .add(Expr::col((d, offer_date::Column::StartsAt)).lte(now))
        .add(Expr::col((d, offer_date::Column::EndsAt)).gt(now - FEED_KEEPS_ENDED));
    let mut select = summary_select();
    select
        .cond_where(conditions_within(kind, filter, now, begun).cond)
        .order_by((d, offer_date::Column::StartsAt), Order::Desc)
        .order_by((d, offer_date::Column::Id), Order::Desc)
        .limit(room);
    let mut recent = entries(db, &select, now).await?;
    recent.reverse();
    recent.extend(coming);
    Ok(recent)
}

/// At most `limit` of a feed's entries, in time order: the coming ones nearest first, then as many
/// of those already begun as there is room for, the latest first.
pub fn keep_for_feed(entries: Vec<Entry>, now: DateTime<Utc>, limit: usize) -> Vec<Entry> {
    let (mut begun, mut coming): (Vec<Entry>, Vec<Entry>) =
        entries.into_iter().partition(|e| e.date.starts_at <= now);
    coming.sort_by_key(|e| (e.date.starts_at, e.date.date_id));
    coming.truncate(limit);
    begun.sort_by_key(|e| std::cmp::Reverse((e.date.starts_at, e.date.date_id)));
    begun.truncate(limit - coming.len());
    begun.reverse();
    begun.extend(coming);
    begun
}

/// Dates of one venue, including cancelled ones, for a venue's calendar feed.
pub async fn dates_of_offer(
    db: &DatabaseConnection,
    offer_id: i32,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Vec<Entry>, DbErr> {
    let mut select = summary_select();
    select
        .and_where(Expr::col((offer::Entity, offer::Column::Id)).eq(offer_id))
        .and_where(Expr::col((offer_date::Entity, offer_date::Column::EndsAt)).gt(since))
        .order_by(
            (offer_date::Entity, offer_date::Column::StartsAt),
            Order::Asc,
        );
    entries(db, &select, now).await
}

/// Why a date cannot be booked right now, as a message id; `None` when it can.
pub fn refusal(date: &DateSummary, now: DateTime<Utc>) -> Option<&'static str> {
    if !date.offer_status.is_public() {
        Some("error-booking-not-published")
    } else if date.date_status.is_cancelled() {
        Some("error-booking-cancelled")
    } else if date.starts_at <= now {
        Some("error-booking-past")
    } else if date.booking_closes_at.is_some_and(|closes| closes <= now) {
        Some("error-booking-closed")
    } else if date.series_lead_id.is_some() {
        Some("error-booking-session")
    } else {
        None
    }
}

/// The later sessions of a course booked as a whole, earliest first.
pub async fn sessions_of(
    db: &impl ConnectionTrait,
    lead_id: i32,
) -> Result<Vec<DateSummary>, DbErr> {
    let mut select = summary_select();
    select
        .and_where(Expr::col((offer_date::Entity, offer_date::Column::SeriesLeadId)).eq(lead_id))
        .order_by(
            (offer_date::Entity, offer_date::Column::StartsAt),
            Order::Asc,
        );
    summaries(db, &select).await
}

/// One date with its offer, whatever its state (for booking pages and calendars).
pub async fn date(
    db: &impl ConnectionTrait,
    date_id: i32,
    now: DateTime<Utc>,
) -> Result<Option<Entry>, DbErr> {
    let mut select = summary_select();
    select.and_where(Expr::col((offer_date::Entity, offer_date::Column::Id)).eq(date_id));
    Ok(DateSummary::find_by_statement(statement(db, &select))
        .one(db)
        .await?
        .map(|d| Entry::new(d, now)))
}

/// A date of a published course, in whatever state (past and cancelled dates included).
pub async fn published_course_date(
    db: &DatabaseConnection,
    date_id: i32,
    now: DateTime<Utc>,
) -> Result<Option<Entry>, DbErr> {
    let Some(entry) = date(db, date_id, now).await? else {
        return Ok(None);
    };
    // The date's row carries its offer's kind and state, so this is one query.
    let published_course =
        entry.date.kind == OfferKind::Course && entry.date.offer_status.is_public();
    Ok(published_course.then_some(entry))
}

/// A published course with its place and how many of its dates are upcoming.
pub struct CourseSummary {
    pub id: i32,
    pub slug: String,
    pub title: String,
    pub description: String,
    pub topic: String,
    pub level: String,
    pub target_group: String,
    pub language: String,
    pub price_cents: i32,
    pub organisation_name: String,
    pub online: bool,
    pub venue: Option<VenueFacts>,
    pub upcoming_dates: u64,
}

/// One page of published courses.
pub struct CoursePage {
    pub courses: Vec<CourseSummary>,
    /// Courses on all pages.
    pub total: u64,
    /// The page returned (1-based); a page beyond the last gives the last.
    pub page: u64,
    pub pages: u64,
}

/// Published courses in the order of their slug, page by page, including courses without upcoming
/// dates (four queries: the page with its count, organisations, venues, upcoming dates).
pub async fn published_courses(
    db: &DatabaseConnection,
    page: u64,
    per_page: u64,
    now: DateTime<Utc>,
) -> Result<CoursePage, DbErr> {
    let paginator = offer::Entity::find()
        .filter(offer::Column::Status.eq(OfferStatus::Published))
        .filter(offer::Column::Kind.eq(OfferKind::Course))
        .order_by_asc(offer::Column::Slug)
        .order_by_asc(offer::Column::Id)
        .paginate(db, per_page);
    let counted = paginator.num_items_and_pages().await?;
    let pages = std::cmp::max(counted.number_of_pages, 1);
    let page = std::cmp::min(page, pages);
    let offers = paginator.fetch_page(page - 1).await?;

    let organisation_ids = offers.iter().map(|o| o.organisation_id);
    let venue_ids = offers.iter().filter_map(|o| o.venue_id);
    let offer_ids: Vec<i32> = offers.iter().map(|o| o.id).collect();
    let organisations = lookup(db, organisation::Column::Id, organisation_ids, |o| {
        (o.id, o.name)
    })
    .await?;
    let venues = lookup(db, venue::Column::Id, venue_ids, |v| {
        (v.id, VenueFacts::from(v))
    })
    .await?;
    // Upcoming as the catalogue lists dates: ahead and not cancelled.
    let upcoming = Condition::all()
        .add(offer_date::Column::OfferId.is_in(offer_ids))
        .add(offer_date::Column::StartsAt.gt(now))
        .add(offer_date::Column::Status.ne(DateStatus::Cancelled));
    let upcoming = count_by(db, offer_date::Column::OfferId, upcoming).await?;

    let courses = offers
        .into_iter()
        .map(|o| CourseSummary {
            organisation_name: organisations
                .get(&o.organisation_id)
                .cloned()
                .unwrap_or_default(),
            online: o.venue_id.is_none(),
            venue: o.venue_id.and_then(|id| venues.get(&id)).cloned(),
            upcoming_dates: upcoming
                .get(&o.id)
                .map_or(0, |n| u64::try_from(*n).unwrap_or(0)),
            id: o.id,
            slug: o.slug,
            title: o.title,
            description: o.description,
            topic: o.topic,
            level: o.level,
            target_group: o.target_group,
            language: o.language,
            price_cents: o.price_cents,
        })
        .collect();
    Ok(CoursePage {
        courses,
        total: counted.number_of_items,
        page,
        pages,
    })
}

/// The public pages of published offers with dates to come.
pub async fn published_pages(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
) -> Result<Vec<String>, DbErr> {
    let ids: Vec<i32> = offer_date::Entity::find()
        .filter(offer_date::Column::StartsAt.gt(now))
        .all(db)
        .await?
        .into_iter()
        .map(|d| d.offer_id)
        .collect();
    Ok(offer::Entity::find()
        .filter(offer::Column::Status.eq(OfferStatus::Published))
        .filter(offer::Column::Id.is_in(ids))
        .order_by_asc(offer::Column::Slug)
        .all(db)
        .await?
        .into_iter()
        .map(|o| o.kind.page_of(&o.slug))
        .collect())
}

/// Dates of published offers at one venue that started between `since` and `now` (not cancelled,
/// first sessions only), latest first: what a kiosk in that venue offers feedback on.
pub async fn recent_at_venue(
    db: &impl ConnectionTrait,
    venue_id: i32,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Vec<Entry>, DbErr> {
    let d = offer_date::Entity;
    let mut select = summary_select();
    select
        .and_where(Expr::col((venue::Entity, venue::Column::Id)).eq(venue_id))
        .and_where(Expr::col((offer::Entity, offer::Column::Status)).eq(OfferStatus::Published))
        .and_where(Expr::col((d, offer_date::Column::StartsAt)).gte(since))
        .and_where(Expr::col((d, offer_date::Column::StartsAt)).lte(now))
        .and_where(Expr::col((d, offer_date::Column::Status)).ne(DateStatus::Cancelled))
        .and_where(Expr::col((d, offer_date::Column::SeriesLeadId)).is_null())
        .order_by((d, offer_date::Column::StartsAt), Order::Desc)
        .limit(20);
    entries(db, &select, now).await
}
