//! Figures per district and month: dates, bookings, attendance, proposals, feedback, kiosk use and
//! volunteering, summed in one pass over each table.
use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, EntityTrait, QueryFilter, QuerySelect,
    sea_query::{Expr, ExprTrait},
};

use super::{
    Batches, FillError, MIN_GROUP, NO_DISTRICT_NAME, Source, berlin_day,
    columns::{STATISTICS_COLUMNS, STATISTICS_SUPPRESSION},
    date_in_period, is_suppressed, month_of,
    offers::{DateCells, attendance_by_date, offers_of_dates},
    proposals::public_in_period,
    tick,
    volunteering::{hours_hidden, session_batches},
};
use crate::{
    db::entities::{booking, feedback, kiosk_terminal, kiosk_usage, offer_date, proposal},
    domain::{
        booking::{Attendance as BookedAttendance, BookingStatus},
        offer::{DateStatus, OfferKind},
        proposal::Channel as ProposalChannel,
    },
    export::{
        suppression::{Suppressor, mean_of_enough},
        writers::{Cell, RowSink},
    },
};

const BOOKING_CHANNELS: [&str; 4] = ["online", "staff", "kiosk", "api"];
const FEEDBACK_CHANNELS: [&str; 4] = ["online", "qr", "kiosk", "paper"];

fn proposal_channels() -> [&'static str; 4] {
    [
        ProposalChannel::Online.key(),
        ProposalChannel::Kiosk.key(),
        ProposalChannel::Assisted.key(),
        ProposalChannel::Import.key(),
    ]
}

fn channel_index(channels: &[&str; 4], channel: &str) -> Option<usize> {
    channels.iter().position(|c| *c == channel)
}

/// One row of the statistics file while it is being summed up.
#[derive(Default)]
struct Tally {
    dates_held: i64,
    course_dates: i64,
    dialogue_dates: i64,
    bookings: [i64; 4],
    bookings_other: i64,
    present: i64,
    absent: i64,
    proposals: [i64; 4],
    proposals_other: i64,
    feedback: [i64; 4],
    feedback_other: i64,
    rating_sum: i64,
    /// Sum of after − before over every item answered both times, their number, and the forms with any.
    change_sum: i64,
    change_items: i64,
    change_forms: i64,
    /// Kiosk actions in the order of `KIOSK_ACTIONS`.
    kiosk: [i64; 4],
    volunteer_sessions: i64,
    volunteer_people: i64,
    volunteer_minutes: i64,
    /// Approved minutes the session file hides (one to four helpers), and those sessions' helpers.
    hidden_minutes: i64,
    hidden_helpers: i64,
    /// The parts of `volunteer_people` the session file hides (head counts and walk-ins of one to
    /// four), and the dates whose attendance counts in it, with the people present.
    people_hidden: Vec<i64>,
    people_at_dates: Vec<(i32, i64)>,
}

impl Tally {
    /// Empty where the hidden hours of the session file would follow from this total (the total
    /// less the hours the session file shows) and belong to fewer than five helpers.
    fn volunteer_hours(&self) -> Cell {
        if self.hidden_minutes > 0 && self.hidden_helpers < MIN_GROUP {
            Cell::Empty
        } else {
            Cell::Decimal(self.volunteer_minutes as f64 / 60.0)
        }
    }

    /// Empty where this total less what the session and dates files show would give a hidden
    /// count away: one hidden part alone, several that can only all be 1 (the rule of
    /// `Suppressor::column_exposed`), or, where every hidden part is one the session file hides
    /// (so at most 4), several that can only all be 4. The people present at a date count as
    /// hidden where the dates file hides them (with no upper bound: it hides larger counts too).
    fn volunteer_people(&self, dates_hidden: impl Fn(i32) -> bool) -> Cell {
        let at_dates: Vec<i64> = self
            .people_at_dates
            .iter()
            .filter(|(date, present)| *present > 0 && dates_hidden(*date))
            .map(|(_, present)| *present)
            .collect();
        let parts = (self.people_hidden.len() + at_dates.len()) as i64;
        let sum: i64 = self.people_hidden.iter().chain(&at_dates).sum();
        let all_highest = at_dates.is_empty() && sum == (MIN_GROUP - 1) * parts;
        if parts == 1 || (parts > 1 && (sum == parts || all_highest)) {
            Cell::Empty
        } else {
            Cell::Int(self.volunteer_people)
        }
    }
}

/// What kiosk terminals count (`services::kiosk::Action`), in the column order of the statistics.
const KIOSK_ACTIONS: [&str; 4] = ["view", "booking", "feedback", "proposal"];

fn average(sum: i64, n: i64, forms: i64) -> Cell {
    mean_of_enough(sum, n, forms).map_or(Cell::Empty, Cell::Decimal)
}

/// Per (district key, month): `None` is "no district" (online offers of organisations without one).
type Key = (Option<String>, String);

/// Sums over all items answered before and after; standard SQL, the same on SQLite and PostgreSQL.
const CHANGE_ITEMS: [(&str, &str); 5] = [
    ("before_information", "after_information"),
    ("before_communication", "after_communication"),
    ("before_content", "after_content"),
    ("before_safety", "after_safety"),
    ("before_problem_solving", "after_problem_solving"),
];

fn change_sql(sum_of: impl Fn(&str, &str) -> String, joiner: &str) -> String {
    CHANGE_ITEMS
        .iter()
        .map(|(before, after)| sum_of(before, after))
        .collect::<Vec<_>>()
        .join(joiner)
}

pub(super) async fn statistics(
    source: Source<'_>,
    sink: &mut dyn RowSink,
) -> Result<u64, FillError> {
    let (db, lookups, period, progress) = source.parts();
    let mut tallies: BTreeMap<Key, Tally> = BTreeMap::new();

    // Dates held in the period and their bookings, by the month the date took place.
    let mut batches = Batches::new(
        offer_date::Entity::find()
            .select_only()
            .columns([
                offer_date::Column::Id,
                offer_date::Column::OfferId,
                offer_date::Column::StartsAt,
                offer_date::Column::SeriesLeadId,
            ])
            .filter(offer_date::Column::Status.ne(DateStatus::Cancelled))
            .filter(date_in_period(period)),
        offer_date::Column::Id,
    );
    while let Some(batch) = batches
        .next_tuples(db, |row: &(i32, i32, DateTime<Utc>, Option<i32>)| row.0)
        .await?
    {
        let ids: Vec<i32> = batch.iter().map(|d| d.0).collect();
        let bookings = booking::Entity::find()
            .select_only()
            .column(booking::Column::DateId)
            .column(booking::Column::Channel)
            .column(booking::Column::Attendance)
            .column_as(Expr::col(booking::Column::Id).count(), "n")
            .column_as(Expr::col(booking::Column::Places).sum(), "places")
            .filter(booking::Column::DateId.is_in(ids))
            .filter(booking::Column::Status.eq(BookingStatus::Confirmed))
            .group_by(booking::Column::DateId)
            .group_by(booking::Column::Channel)
            .group_by(booking::Column::Attendance)
            .into_tuple::<(i32, String, Option<BookedAttendance>, i64, Option<i64>)>()
            .all(db)
            .await?;
        let mut keys: HashMap<i32, Key> = HashMap::with_capacity(batch.len());
        for (date_id, offer_id, starts_at, _) in &batch {
            let key = (
                lookups.offer_district(*offer_id).map(str::to_owned),
                month_of(berlin_day(*starts_at)),
            );
            let tally = tallies.entry(key.clone()).or_default();
            tally.dates_held += 1;
            match lookups.offers.get(offer_id).map(|o| o.kind) {
                Some(OfferKind::Course) => tally.course_dates += 1,
                Some(OfferKind::Dialogue) => tally.dialogue_dates += 1,
                None => {}
            }
            keys.insert(*date_id, key);
        }
        for (date_id, channel, attendance, n, places) in bookings {
            let Some(tally) = keys.get(&date_id).and_then(|k| tallies.get_mut(k)) else {
                continue;
            };
            match channel_index(&BOOKING_CHANNELS, &channel) {
                Some(i) => tally.bookings[i] += n,
                None => tally.bookings_other += n,
            }
            match attendance {
                Some(BookedAttendance::Present) => tally.present += places.unwrap_or(0),
                Some(BookedAttendance::Absent) => tally.absent += places.unwrap_or(0),
                None => {}
            }
        }
        // Later sessions of a course booked as a whole have no bookings of their own: their
        // attendance is recorded per session.
        let sessions: Vec<(i32, Option<i32>)> = batch
            .iter()
            .filter(|d| d.3.is_some())
            .map(|d| (d.0, d.3))
            .collect();
        if !sessions.is_empty() {
            for (date_id, a) in attendance_by_date(db, &sessions).await? {
                let Some(tally) = sessions
                    .iter()
                    .any(|(id, _)| *id == date_id)
                    .then(|| keys.get(&date_id))
                    .flatten()
                    .and_then(|k| tallies.get_mut(k))
                else {
                    continue;
                };
                tally.present += a.present;
                tally.absent += a.absent;
            }
        }
        tick(progress, batch.len());
    }

    // Feedback by the day it was submitted, summed in the database per date, channel and day.
    let change_sum = change_sql(|b, a| format!("COALESCE({a} - {b}, 0)"), " + ");
    let change_items = change_sql(
        |b, a| format!("CASE WHEN {a} IS NOT NULL AND {b} IS NOT NULL THEN 1 ELSE 0 END"),
        " + ",
    );
    // Grouped by month in the database, so the result grows with dates × channels × months, not rows.
    let month_sql = match db.get_database_backend() {
        sea_orm::DbBackend::Postgres => "to_char(submitted_on, 'YYYY-MM')",
        _ => "strftime('%Y-%m', submitted_on)",
    };
    let grouped = feedback::Entity::find()
        .select_only()
        .column(feedback::Column::DateId)
        .column(feedback::Column::Channel)
        .column_as(Expr::cust(month_sql), "month")
        .column_as(Expr::col(feedback::Column::Id).count(), "n")
        .column_as(Expr::cust("SUM(CAST(rating AS INTEGER))"), "rating_sum")
        .column_as(Expr::cust(format!("SUM({change_sum})")), "change_sum")
        .column_as(Expr::cust(format!("SUM({change_items})")), "change_items")
        .column_as(
            Expr::cust(format!(
                "SUM(CASE WHEN ({change_items}) > 0 THEN 1 ELSE 0 END)"
            )),
            "change_forms",
        )
        .filter(feedback::Column::SubmittedOn.gte(period.from()))
        .filter(feedback::Column::SubmittedOn.lte(period.to()))
        .group_by(feedback::Column::DateId)
        .group_by(feedback::Column::Channel)
        .group_by(Expr::cust(month_sql))
        .into_tuple::<(i32, String, String, i64, i64, i64, i64, i64)>()
        .all(db)
        .await?;
    let offers = offers_of_dates(db, grouped.iter().map(|g| g.0).collect()).await?;
    for (date_id, channel, month, n, rating_sum, change_sum, change_items, change_forms) in grouped
    {
        let district = offers
            .get(&date_id)
            .and_then(|o| lookups.offer_district(*o))
            .map(str::to_owned);
        let tally = tallies.entry((district, month)).or_default();
        match channel_index(&FEEDBACK_CHANNELS, &channel) {
            Some(i) => tally.feedback[i] += n,
            None => tally.feedback_other += n,
        }
        tally.rating_sum += rating_sum;
        tally.change_sum += change_sum;
        tally.change_items += change_items;
        tally.change_forms += change_forms;
    }

    // Public proposals by the month they were handed in.
    let channels = proposal_channels();
    let mut batches = Batches::new(
        proposal::Entity::find()
            .select_only()
            .columns([
                proposal::Column::Id,
                proposal::Column::DistrictKey,
                proposal::Column::Channel,
                proposal::Column::CreatedAt,
            ])
            .filter(public_in_period(period)),
        proposal::Column::Id,
    );
    while let Some(batch) = batches
        .next_tuples(db, |row: &(i64, String, String, DateTime<Utc>)| row.0)
        .await?
    {
        for (_, district, channel, created_at) in batch {
            let tally = tallies
                .entry((Some(district), month_of(berlin_day(created_at))))
                .or_default();
            match channel_index(&channels, &channel) {
                Some(i) => tally.proposals[i] += 1,
                None => tally.proposals_other += 1,
            }
        }
    }

    // Kiosk usage per terminal and day, by the district of the terminal's venue.
    let terminals: HashMap<i32, i32> = kiosk_terminal::Entity::find()
        .select_only()
        .columns([kiosk_terminal::Column::Id, kiosk_terminal::Column::VenueId])
        .into_tuple::<(i32, i32)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let usage = kiosk_usage::Entity::find()
        .filter(kiosk_usage::Column::Day.gte(period.from()))
        .filter(kiosk_usage::Column::Day.lte(period.to()))
        .all(db)
        .await?;
    for u in usage {
        let district = terminals
            .get(&u.terminal_id)
            .and_then(|venue| lookups.venues.get(venue))
            .map(|(_, district)| district.clone());
        let tally = tallies.entry((district, month_of(u.day))).or_default();
        if let Some(i) = KIOSK_ACTIONS.iter().position(|a| *a == u.action) {
            tally.kiosk[i] += i64::from(u.count);
        }
    }

    // Volunteer sessions held (begun, not cancelled), by the month they took place. People marked
    // present on a course date count once, however many helper sessions the date had.
    let now = Utc::now();
    let mut counted_dates: HashSet<i32> = HashSet::new();
    session_batches(db, period, |batch| {
        for f in batch
            .iter()
            .filter(|f| !f.shift.status.is_cancelled() && f.shift.starts_at <= now)
        {
            let tally = tallies
                .entry((
                    Some(f.shift.district_key.clone()),
                    month_of(berlin_day(f.shift.starts_at)),
                ))
                .or_default();
            tally.volunteer_sessions += 1;
            let walk_ins = f.walk_ins.unwrap_or(0);
            let shown_alone = match (f.head_count, f.present) {
                (Some(n), _) => n,
                (None, Some((date, present))) if counted_dates.insert(date) => {
                    tally.people_at_dates.push((date, present));
                    tally.volunteer_people += present;
                    walk_ins
                }
                _ => walk_ins,
            };
            tally.volunteer_people += shown_alone;
            // The session file shows it through `suppressed`.
            if is_suppressed(shown_alone) {
                tally.people_hidden.push(shown_alone);
            }
            tally.volunteer_minutes += f.approved_minutes;
            if hours_hidden(f.shift.signed_up) && f.approved_minutes > 0 {
                tally.hidden_minutes += f.approved_minutes;
                tally.hidden_helpers += i64::from(f.shift.signed_up);
            }
        }
        Ok(())
    })
    .await?;

    let suppression = STATISTICS_SUPPRESSION.resolve(STATISTICS_COLUMNS);
    // The sums of the dates file's counts per district and month that would still give a hidden
    // date's count away are left empty here.
    let date_cells = DateCells::read(source).await?;
    let of_dates = [
        ("bookings_total", "bookings"),
        ("participants_present", "participants_present"),
        ("no_shows", "no_shows"),
    ]
    .map(|(total, cell)| (Suppressor::position(STATISTICS_COLUMNS, total), cell));
    let mut rows = 0;
    for ((district, month), t) in &tallies {
        let bookings_total = t.bookings.iter().sum::<i64>() + t.bookings_other;
        let proposals_total = t.proposals.iter().sum::<i64>() + t.proposals_other;
        let feedback_total = t.feedback.iter().sum::<i64>() + t.feedback_other;
        let name = district
            .as_deref()
            .map_or(NO_DISTRICT_NAME, |k| lookups.district_name(k));
        let mut row: Vec<Cell> = vec![
            district.clone().into(),
            name.into(),
            month.as_str().into(),
            // Dates are events, not people: they are not suppressed.
            t.dates_held.into(),
            t.course_dates.into(),
            t.dialogue_dates.into(),
            bookings_total.into(),
        ];
        row.extend(t.bookings.iter().map(|n| Cell::Int(*n)));
        row.push(t.present.into());
        row.push(t.absent.into());
        row.push(proposals_total.into());
        row.extend(t.proposals.iter().map(|n| Cell::Int(*n)));
        row.push(feedback_total.into());
        row.extend(t.feedback.iter().map(|n| Cell::Int(*n)));
        row.push(average(t.rating_sum, feedback_total, feedback_total));
        row.push(average(t.change_sum, t.change_items, t.change_forms));
        // Page views are not people; a booking, form or proposal at a terminal is one.
        row.push(t.kiosk[0].into());
        row.extend(t.kiosk[1..].iter().map(|n| Cell::Int(*n)));
        // Sessions are events, not people.
        row.push(t.volunteer_sessions.into());
        row.push(t.volunteer_people(|date| date_cells.hides(date, "participants_present")));
        row.push(t.volunteer_hours());
        let mut hidden = vec![false; row.len()];
        for (total, cell) in of_dates {
            hidden[total] = date_cells.sum_exposed(district.as_deref(), month, cell);
        }
        suppression.extend(&row, &mut hidden);
        for (cell, hide) in row.iter_mut().zip(hidden) {
            if hide {
                *cell = Cell::Empty;
            }
        }
        sink.write_row(&row)?;
        rows += 1;
    }
    tick(progress, tallies.len());
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volunteer_hours_hidden_in_the_session_file_do_not_follow_from_the_total() {
        let one_helper = Tally {
            volunteer_minutes: 600 + 210,
            hidden_minutes: 210,
            hidden_helpers: 1,
            ..Tally::default()
        };
        assert_eq!(one_helper.volunteer_hours(), Cell::Empty);
        let five_helpers = Tally {
            hidden_helpers: 5,
            ..one_helper
        };
        assert_eq!(five_helpers.volunteer_hours(), Cell::Decimal(13.5));
        let nothing_hidden = Tally {
            volunteer_minutes: 600,
            ..Tally::default()
        };
        assert_eq!(nothing_hidden.volunteer_hours(), Cell::Decimal(10.0));
    }

    #[test]
    fn people_reached_hidden_in_the_session_file_do_not_follow_from_the_total() {
        // Sessions with 12 and 3 people: the 3 is hidden there, and the total less 12 would show it.
        let one_hidden = Tally {
            volunteer_people: 15,
            people_hidden: vec![3],
            ..Tally::default()
        };
        assert_eq!(one_hidden.volunteer_people(|_| false), Cell::Empty);
        // Two hidden, 3 and 2: the total says only that they add up to 5.
        let two_hidden = Tally {
            volunteer_people: 17,
            people_hidden: vec![3, 2],
            ..Tally::default()
        };
        assert_eq!(two_hidden.volunteer_people(|_| false), Cell::Int(17));
        // Two hidden that add up to 8 while each is at most 4: both are 4.
        let fours = Tally {
            volunteer_people: 20,
            people_hidden: vec![4, 4],
            ..Tally::default()
        };
        assert_eq!(fours.volunteer_people(|_| false), Cell::Empty);
        // Unless a hidden count of the dates file, which may be larger, is among them.
        let with_a_date = Tally {
            volunteer_people: 20,
            people_hidden: vec![4],
            people_at_dates: vec![(7, 4)],
            ..Tally::default()
        };
        assert_eq!(with_a_date.volunteer_people(|_| true), Cell::Int(20));
        // Two hidden that can only both be 1.
        let ones = Tally {
            volunteer_people: 14,
            people_hidden: vec![1, 1],
            ..Tally::default()
        };
        assert_eq!(ones.volunteer_people(|_| false), Cell::Empty);
        // The people present at a course date count where the dates file hides them.
        let at_a_date = Tally {
            volunteer_people: 20,
            people_at_dates: vec![(7, 8)],
            ..Tally::default()
        };
        assert_eq!(at_a_date.volunteer_people(|_| false), Cell::Int(20));
        assert_eq!(at_a_date.volunteer_people(|date| date == 7), Cell::Empty);
        let nothing_hidden = Tally {
            volunteer_people: 12,
            ..Tally::default()
        };
        assert_eq!(nothing_hidden.volunteer_people(|_| true), Cell::Int(12));
    }

    #[test]
    fn averages_over_fewer_than_five_forms_are_left_empty() {
        assert_eq!(average(20, 4, 4), Cell::Empty);
        assert_eq!(average(21, 5, 5), Cell::Decimal(4.2));
    }
}
