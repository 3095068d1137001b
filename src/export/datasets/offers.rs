//! Courses, dialogue events and their dates, with bookings and attendance per date.
use std::collections::{HashMap, HashSet};

use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QuerySelect,
    sea_query::{Expr, ExprTrait, Query},
};

use super::{
    BATCH, Batches, FillError, Source, berlin_day, berlin_time,
    columns::{DATE_COLUMNS, DATE_SUPPRESSION},
    date_in_period, month_of, tick,
};
use crate::{
    db::{
        count_by,
        entities::{booking, feedback, offer, offer_date, session_attendance},
    },
    domain::{
        booking::{Attendance as BookedAttendance, BookingStatus},
        offer::{DateStatus, OfferKind},
    },
    export::{
        scrub::{scrub, scrub_opt},
        suppression::Suppressor,
        writers::{Cell, RowSink},
    },
};

/// Courses or dialogue events with at least one date in the period.
pub(super) async fn offers(
    source: Source<'_>,
    kind: OfferKind,
    sink: &mut dyn RowSink,
) -> Result<u64, FillError> {
    let (db, lookups, period, progress) = source.parts();
    let (start, end) = period.utc_bounds();
    let with_dates = Query::select()
        .column(offer_date::Column::OfferId)
        .from(offer_date::Entity)
        .and_where(Expr::col(offer_date::Column::StartsAt).gte(start))
        .and_where(Expr::col(offer_date::Column::StartsAt).lt(end))
        .to_owned();
    let mut batches = Batches::new(
        offer::Entity::find()
            .filter(offer::Column::Kind.eq(kind))
            .filter(offer::Column::Id.in_subquery(with_dates)),
        offer::Column::Id,
    );
    let mut rows = 0;
    while let Some(batch) = batches.next(db).await? {
        let ids: Vec<i32> = batch.iter().map(|o| o.id).collect();
        let in_batch = offer_date::Column::OfferId.is_in(ids);
        let counts = count_by(
            db,
            offer_date::Column::OfferId,
            date_in_period(period).add(in_batch),
        )
        .await?;
        for o in &batch {
            let organisation = lookups
                .organisations
                .get(&o.organisation_id)
                .map(|(name, _)| name.clone());
            let district = lookups
                .district_of(o.venue_id, o.organisation_id)
                .map(str::to_owned);
            let town = o
                .venue_id
                .and_then(|v| lookups.venues.get(&v))
                .map(|(town, _)| town.clone());
            let dates = Cell::Int(counts.get(&o.id).copied().unwrap_or(0));
            let online = o.venue_id.is_none() || o.online_url.is_some();
            let row = match kind {
                OfferKind::Course => vec![
                    o.id.into(),
                    scrub(&o.title).into(),
                    o.topic.as_str().into(),
                    o.level.as_str().into(),
                    o.target_group.as_str().into(),
                    o.language.as_str().into(),
                    organisation.into(),
                    district.into(),
                    town.into(),
                    online.into(),
                    o.price_cents.into(),
                    o.status.key().into(),
                    dates,
                ],
                OfferKind::Dialogue => vec![
                    o.id.into(),
                    scrub(&o.title).into(),
                    o.topic.as_str().into(),
                    organisation.into(),
                    district.into(),
                    town.into(),
                    online.into(),
                    o.registration_required.into(),
                    scrub_opt(o.audience.as_deref()).into(),
                    o.support_offered.clone().into(),
                    scrub_opt(o.agenda.as_deref()).into(),
                    o.status.key().into(),
                    dates,
                ],
            };
            sink.write_row(&row)?;
        }
        rows += batch.len() as u64;
        tick(progress, batch.len());
    }
    Ok(rows)
}

/// Per date: confirmed bookings, places marked present and absent.
#[derive(Default, Clone, Copy)]
pub(super) struct Attendance {
    pub(super) bookings: i64,
    /// Confirmed places (for a later session of a course booked as a whole, the first date's).
    pub(super) booked_places: i64,
    pub(super) present: i64,
    pub(super) absent: i64,
}

/// Attendance per date, for dates given with the first date of their course (`None` for a single
/// date or a course's first date). A later session of a course booked as a whole counts the first
/// date's confirmed bookings, and the attendance marked at that session.
pub(super) async fn attendance_by_date(
    db: &DatabaseConnection,
    dates: &[(i32, Option<i32>)],
) -> Result<HashMap<i32, Attendance>, DbErr> {
    let own: Vec<i32> = dates.iter().map(|(id, lead)| lead.unwrap_or(*id)).collect();
    let mut by_date: HashMap<i32, Attendance> = HashMap::new();
    for chunk in own.chunks(BATCH as usize) {
        let rows = booking::Entity::find()
            .select_only()
            .column(booking::Column::DateId)
            .column(booking::Column::Attendance)
            .column_as(Expr::col(booking::Column::Id).count(), "n")
            .column_as(Expr::col(booking::Column::Places).sum(), "places")
            .filter(booking::Column::DateId.is_in(chunk.iter().copied()))
            .filter(booking::Column::Status.eq(BookingStatus::Confirmed))
            .group_by(booking::Column::DateId)
            .group_by(booking::Column::Attendance)
            .into_tuple::<(i32, Option<BookedAttendance>, i64, Option<i64>)>()
            .all(db)
            .await?;
        for (date_id, attendance, n, places) in rows {
            let entry = by_date.entry(date_id).or_default();
            entry.bookings += n;
            entry.booked_places += places.unwrap_or(0);
            match attendance {
                Some(BookedAttendance::Present) => entry.present += places.unwrap_or(0),
                Some(BookedAttendance::Absent) => entry.absent += places.unwrap_or(0),
                None => {}
            }
        }
    }
    let sessions: Vec<(i32, i32)> = dates
        .iter()
        .filter_map(|(id, lead)| lead.map(|lead| (*id, lead)))
        .collect();
    if sessions.is_empty() {
        return Ok(by_date);
    }
    let mut marks: HashMap<i32, Vec<(i64, BookedAttendance)>> = HashMap::new();
    for chunk in sessions.chunks(BATCH as usize) {
        let rows = session_attendance::Entity::find()
            .filter(session_attendance::Column::DateId.is_in(chunk.iter().map(|(id, _)| *id)))
            .all(db)
            .await?;
        for m in rows {
            marks
                .entry(m.date_id)
                .or_default()
                .push((m.booking_id, m.attendance));
        }
    }
    let leads: HashSet<i32> = sessions.iter().map(|(_, lead)| *lead).collect();
    let mut places: HashMap<i64, i64> = HashMap::new();
    for chunk in leads.into_iter().collect::<Vec<_>>().chunks(BATCH as usize) {
        places.extend(
            booking::Entity::find()
                .select_only()
                .columns([booking::Column::Id, booking::Column::Places])
                .filter(booking::Column::DateId.is_in(chunk.iter().copied()))
                .filter(booking::Column::Status.eq(BookingStatus::Confirmed))
                .into_tuple::<(i64, i32)>()
                .all(db)
                .await?
                .into_iter()
                .map(|(id, p)| (id, i64::from(p))),
        );
    }
    for (session, lead) in sessions {
        let of_lead = by_date.get(&lead).copied().unwrap_or_default();
        let mut entry = Attendance {
            bookings: of_lead.bookings,
            booked_places: of_lead.booked_places,
            present: 0,
            absent: 0,
        };
        for (booking_id, attendance) in marks.get(&session).into_iter().flatten() {
            // Only people still booked count, as for a single date.
            let Some(p) = places.get(booking_id) else {
                continue;
            };
            match attendance {
                BookedAttendance::Present => entry.present += p,
                BookedAttendance::Absent => entry.absent += p,
            }
        }
        by_date.insert(session, entry);
    }
    Ok(by_date)
}

/// The columns of `dates` from `booked_places` on: counts of people or forms.
const DATE_COUNTS: std::ops::Range<usize> = 9..14;

/// Dates per district, month and whether they were cancelled: the figures per district and month add
/// up the counts of the dates held in each.
type DateGroup = (Option<String>, String, bool);

/// The counts of every date of the period (a few numbers each) and which of them `dates` hides: read
/// before any row is written, so that cells hidden in one date can be protected within its district
/// and month, and so that the figures per district and month can tell which of their sums would
/// still give a hidden date's count away.
pub(super) struct DateCells {
    counts: HashMap<i32, Vec<Cell>>,
    hidden: HashMap<i32, Vec<bool>>,
    groups: HashMap<DateGroup, Vec<i32>>,
    suppression: Suppressor,
}

impl DateCells {
    pub(super) async fn read(source: Source<'_>) -> Result<Self, FillError> {
        let (db, lookups, period, _) = source.parts();
        let suppression = DATE_SUPPRESSION.resolve(DATE_COLUMNS);
        let mut counts: HashMap<i32, Vec<Cell>> = HashMap::new();
        let mut groups: HashMap<DateGroup, Vec<i32>> = HashMap::new();
        let mut batches = Batches::new(
            offer_date::Entity::find().filter(date_in_period(period)),
            offer_date::Column::Id,
        );
        while let Some(batch) = batches.next(db).await? {
            let ids: Vec<i32> = batch.iter().map(|d| d.id).collect();
            let attendance = attendance_by_date(
                db,
                &batch
                    .iter()
                    .map(|d| (d.id, d.series_lead_id))
                    .collect::<Vec<_>>(),
            )
            .await?;
            let in_batch = Condition::all().add(feedback::Column::DateId.is_in(ids));
            let forms = count_by(db, feedback::Column::DateId, in_batch).await?;
            for d in &batch {
                let a = attendance.get(&d.id).copied().unwrap_or_default();
                let mut row = vec![Cell::Empty; DATE_COUNTS.start];
                row.extend([
                    // A later session's people are its course's first date's.
                    match d.series_lead_id {
                        Some(_) => a.booked_places,
                        None => i64::from(d.booked_places),
                    }
                    .into(),
                    a.bookings.into(),
                    a.present.into(),
                    a.absent.into(),
                    forms.get(&d.id).copied().unwrap_or(0).into(),
                ]);
                counts.insert(d.id, row);
                groups
                    .entry((
                        lookups.offer_district(d.offer_id).map(str::to_owned),
                        month_of(berlin_day(d.starts_at)),
                        d.status == DateStatus::Cancelled,
                    ))
                    .or_default()
                    .push(d.id);
            }
        }
        let mut hidden: HashMap<i32, Vec<bool>> = HashMap::with_capacity(counts.len());
        for ids in groups.values() {
            let rows: Vec<Vec<Cell>> = ids.iter().map(|id| counts[id].clone()).collect();
            let mut masks = vec![vec![false; DATE_COLUMNS.len()]; rows.len()];
            suppression.extend_group(&rows, &mut masks);
            hidden.extend(ids.iter().copied().zip(masks));
        }
        Ok(Self {
            counts,
            hidden,
            groups,
            suppression,
        })
    }

    /// Whether the dates file leaves this date's `column` empty; a date it does not list counts as
    /// hidden.
    pub(super) fn hides(&self, date_id: i32, column: &str) -> bool {
        self.hidden
            .get(&date_id)
            .is_none_or(|mask| mask[Suppressor::position(DATE_COLUMNS, column)])
    }

    /// Whether the sum of `column` over the dates held in this district and month would give a
    /// hidden cell away (no other cell was left to hide with it): the figures per district and
    /// month must then leave that sum empty.
    pub(super) fn sum_exposed(&self, district: Option<&str>, month: &str, column: &str) -> bool {
        let Some(ids) = self
            .groups
            .get(&(district.map(str::to_owned), month.to_owned(), false))
        else {
            return false;
        };
        let rows: Vec<Vec<Cell>> = ids.iter().map(|id| self.counts[id].clone()).collect();
        let masks: Vec<Vec<bool>> = ids.iter().map(|id| self.hidden[id].clone()).collect();
        self.suppression
            .column_exposed(&rows, &masks, Suppressor::position(DATE_COLUMNS, column))
    }
}

pub(super) async fn dates(source: Source<'_>, sink: &mut dyn RowSink) -> Result<u64, FillError> {
    let DateCells { counts, hidden, .. } = DateCells::read(source).await?;

    let (db, lookups, period, progress) = source.parts();
    let mut batches = Batches::new(
        offer_date::Entity::find().filter(date_in_period(period)),
        offer_date::Column::Id,
    );
    let mut rows = 0;
    while let Some(batch) = batches.next(db).await? {
        for d in &batch {
            // A date added since the counts were read waits for the next export.
            let (Some(counted), Some(mask)) = (counts.get(&d.id), hidden.get(&d.id)) else {
                continue;
            };
            let offer = lookups.offers.get(&d.offer_id);
            let mut row: Vec<Cell> = vec![
                d.id.into(),
                d.offer_id.into(),
                offer.map(|o| o.kind.key().to_owned()).into(),
                offer.map(|o| o.topic.clone()).into(),
                lookups.offer_district(d.offer_id).map(str::to_owned).into(),
                berlin_time(d.starts_at).into(),
                berlin_time(d.ends_at).into(),
                d.status.key().into(),
                d.capacity.into(),
            ];
            row.extend(counted[DATE_COUNTS].iter().cloned());
            for (cell, hide) in row.iter_mut().zip(mask) {
                if *hide {
                    *cell = Cell::Empty;
                }
            }
            sink.write_row(&row)?;
            rows += 1;
        }
        tick(progress, batch.len());
    }
    Ok(rows)
}

/// The offer of each date, for a batch of dates.
pub(super) async fn offers_of_dates(
    db: &DatabaseConnection,
    ids: HashSet<i32>,
) -> Result<HashMap<i32, i32>, DbErr> {
    let mut found = HashMap::with_capacity(ids.len());
    let ids: Vec<i32> = ids.into_iter().collect();
    // Bounded lists keep within every backend's limit of bound parameters.
    for chunk in ids.chunks(BATCH as usize) {
        found.extend(
            offer_date::Entity::find()
                .select_only()
                .columns([offer_date::Column::Id, offer_date::Column::OfferId])
                .filter(offer_date::Column::Id.is_in(chunk.iter().copied()))
                .into_tuple::<(i32, i32)>()
                .all(db)
                .await?,
        );
    }
    Ok(found)
}
