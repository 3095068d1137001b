//! The figures of the impact dashboard ("Wirkung"): participation, dates held, no-shows, feedback
//! and proposals per district and month. Aggregated in the database, so the page stays fast with
//! many feedback forms.
use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, QueryFilter, Statement,
    Value,
};
use serde::Serialize;

use crate::{
    db::entities::organisation,
    domain::{
        booking::{Attendance, BookingStatus},
        offer::{DateStatus, OfferKind},
        proposal::ProposalStatus,
        volunteering::{HoursStatus, ShiftStatus},
    },
    export::suppression::mean_of_enough,
};

mod shown;
use shown::suppressed_rows;
pub use shown::{Row, Shown, Small};

/// The districts of these organisations (one query).
pub async fn districts_of(
    db: &impl ConnectionTrait,
    organisations: Vec<i32>,
) -> Result<Vec<String>, DbErr> {
    Ok(organisation::Entity::find()
        .filter(organisation::Column::Id.is_in(organisations))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|o| o.district_key)
        .collect())
}

/// Which figures to show: calendar months `from..=to` (first days), optionally one district.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImpactFilter {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Districts to include; `None` means all of Thuringia.
    pub districts: Option<Vec<String>>,
}

/// The counts behind a row, before suppression. Not serializable, so that none of them reaches a
/// template or a JSON body by accident: [`Row::shown`] holds what may be shown.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Figures {
    pub dates_held: i64,
    pub course_dates: i64,
    pub event_dates: i64,
    /// Confirmed places on the dates held.
    pub participants: i64,
    pub present: i64,
    pub absent: i64,
    pub feedback_forms: i64,
    rating_sum: i64,
    confidence_change_sum: i64,
    confidence_pairs: i64,
    /// Forms that answered any item before and after.
    confidence_forms: i64,
    /// Pages opened at kiosk terminals, and bookings, feedback forms and proposals completed there.
    pub kiosk_views: i64,
    pub kiosk_actions: i64,
    pub volunteer_sessions: i64,
    /// Head counts, or people marked present plus walk-ins, at volunteer sessions.
    pub volunteer_people: i64,
    volunteer_minutes: i64,
    /// The helpers whose approved hours these are, by account.
    volunteer_helpers: BTreeSet<i32>,
    /// Whether some of the minutes are of helpers whose accounts were deleted since (at least one
    /// more helper, perhaps one of them again in another session).
    departed_helpers: bool,
}

impl Figures {
    /// Approved volunteer hours.
    pub fn volunteer_hours(&self) -> f64 {
        self.volunteer_minutes as f64 / 60.0
    }

    /// How many helpers the approved hours are from, at least: the accounts, and one for any
    /// minutes of deleted accounts.
    pub fn volunteer_helpers(&self) -> i64 {
        self.volunteer_helpers.len() as i64 + i64::from(self.departed_helpers)
    }

    fn add(&mut self, other: &Figures) {
        self.volunteer_helpers
            .extend(other.volunteer_helpers.iter().copied());
        self.departed_helpers |= other.departed_helpers;
        self.kiosk_views += other.kiosk_views;
        self.kiosk_actions += other.kiosk_actions;
        self.volunteer_sessions += other.volunteer_sessions;
        self.volunteer_people += other.volunteer_people;
        self.volunteer_minutes += other.volunteer_minutes;
        self.dates_held += other.dates_held;
        self.course_dates += other.course_dates;
        self.event_dates += other.event_dates;
        self.participants += other.participants;
        self.present += other.present;
        self.absent += other.absent;
        self.feedback_forms += other.feedback_forms;
        self.rating_sum += other.rating_sum;
        self.confidence_change_sum += other.confidence_change_sum;
        self.confidence_pairs += other.confidence_pairs;
        self.confidence_forms += other.confidence_forms;
    }

    /// Share of marked participants who did not come, in percent.
    fn no_show_percent(&self) -> Option<f64> {
        let marked = self.present + self.absent;
        (marked > 0).then(|| 100.0 * self.absent as f64 / marked as f64)
    }

    /// The mean rating, over at least [`MIN_GROUP`](crate::export::datasets::MIN_GROUP) forms: one form is one person's rating.
    fn rating_average(&self) -> Option<f64> {
        mean_of_enough(self.rating_sum, self.feedback_forms, self.feedback_forms)
    }

    /// Mean change of self-assessed confidence (after minus before, on a 1–5 scale) per answered item,
    /// over at least [`MIN_GROUP`](crate::export::datasets::MIN_GROUP) forms that answered any.
    fn confidence_change(&self) -> Option<f64> {
        mean_of_enough(
            self.confidence_change_sum,
            self.confidence_pairs,
            self.confidence_forms,
        )
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ProposalFigures {
    /// Count per public status, in lifecycle order.
    pub by_status: Vec<(String, i64)>,
    pub total: i64,
    pub answered: i64,
    /// Mean days from publication to the official answer.
    pub days_to_answer: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Impact {
    pub months: Vec<Row>,
    pub districts: Vec<Row>,
    pub total: Row,
    pub proposals: ProposalFigures,
}

#[derive(FromQueryResult)]
struct DateFigures {
    starts_at: DateTime<Utc>,
    kind: OfferKind,
    district: Option<String>,
    participants: Option<i64>,
    present: Option<i64>,
    absent: Option<i64>,
    forms: Option<i64>,
    rating_sum: Option<i64>,
    change_sum: Option<i64>,
    pairs: Option<i64>,
    pair_forms: Option<i64>,
}

#[derive(FromQueryResult)]
struct KioskFigures {
    day: NaiveDate,
    district: String,
    action: String,
    uses: Option<i64>,
}

#[derive(FromQueryResult)]
struct SessionFigures {
    id: i32,
    starts_at: DateTime<Utc>,
    district: String,
    booking_date: Option<i32>,
    head_count: Option<i32>,
    walk_ins: Option<i32>,
    present: Option<i64>,
    minutes: Option<i64>,
    departed_minutes: i32,
}

#[derive(FromQueryResult)]
struct HelperOfSession {
    shift_id: i32,
    user_id: i32,
}

#[derive(FromQueryResult)]
struct ProposalRow {
    status: ProposalStatus,
    published_at: Option<DateTime<Utc>>,
    answered_at: Option<DateTime<Utc>>,
}

const AREAS: [&str; 5] = [
    "information",
    "communication",
    "content",
    "safety",
    "problem_solving",
];

fn month_start(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}

fn next_month(d: NaiveDate) -> NaiveDate {
    d.checked_add_months(chrono::Months::new(1)).unwrap_or(d)
}

/// Every month of the filter, so empty months show as zero instead of being skipped.
fn months(filter: &ImpactFilter) -> Vec<String> {
    let mut out = Vec::new();
    let mut m = month_start(filter.from);
    while m <= filter.to && out.len() < 120 {
        out.push(m.format("%Y-%m").to_string());
        m = next_month(m);
    }
    out
}

fn utc_start(d: NaiveDate) -> DateTime<Utc> {
    chrono_tz::Europe::Berlin
        .from_local_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default())
        .earliest()
        .map_or_else(
            || d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc(),
            |t| t.with_timezone(&Utc),
        )
}

pub async fn figures(
    db: &impl ConnectionTrait,
    filter: &ImpactFilter,
    now: DateTime<Utc>,
) -> Result<Impact, DbErr> {
    let backend = db.get_database_backend();
    let start = utc_start(month_start(filter.from));
    let end = std::cmp::min(utc_start(next_month(month_start(filter.to))), now);
    // Each query's first two values bound its period: `{p1}` and `{p2}` in its SQL.
    let (p1, p2) = (placeholder(backend, 1), placeholder(backend, 2));
    let in_period = |sql: String| {
        Statement::from_sql_and_values(backend, sql, [Value::from(start), Value::from(end)])
    };
    let pair = |area: &str| {
        format!(
            "SUM(CASE WHEN f.before_{area} IS NOT NULL AND f.after_{area} IS NOT NULL THEN f.after_{area} - f.before_{area} ELSE 0 END)"
        )
    };
    let counted = |area: &str| {
        format!(
            "SUM(CASE WHEN f.before_{area} IS NOT NULL AND f.after_{area} IS NOT NULL THEN 1 ELSE 0 END)"
        )
    };
    let change_sum = AREAS.map(pair).join(" + ");
    let pairs = AREAS.map(counted).join(" + ");
    let any_pair = AREAS
        .map(|area| format!("(f.before_{area} IS NOT NULL AND f.after_{area} IS NOT NULL)"))
        .join(" OR ");
    // One row per date held: its place's district, its bookings and its feedback, each summed in a
    // subquery so that bookings and feedback do not multiply each other. Participants, present and
    // absent are places of confirmed bookings, as in the export (`export::datasets` attendance): a
    // booking cancelled after it was marked counts for neither.
    let sql = format!(
        "SELECT d.starts_at AS starts_at, o.kind AS kind, COALESCE(v.district_key, org.district_key) AS district,
            (SELECT SUM(b.places) FROM bookings b WHERE b.date_id = d.id AND b.status = '{confirmed}') AS participants,
            (SELECT SUM(b.places) FROM bookings b WHERE b.date_id = d.id AND b.status = '{confirmed}' AND b.attendance = '{present}') AS present,
            (SELECT SUM(b.places) FROM bookings b WHERE b.date_id = d.id AND b.status = '{confirmed}' AND b.attendance = '{absent}') AS absent,
            fb.forms AS forms, fb.rating_sum AS rating_sum, fb.change_sum AS change_sum, fb.pairs AS pairs,
            fb.pair_forms AS pair_forms
         FROM offer_dates d
         JOIN offers o ON o.id = d.offer_id
         JOIN organisations org ON org.id = o.organisation_id
         LEFT JOIN venues v ON v.id = o.venue_id
         LEFT JOIN (SELECT f.date_id AS date_id, COUNT(*) AS forms, SUM(f.rating) AS rating_sum,
                           {change_sum} AS change_sum, {pairs} AS pairs,
                           SUM(CASE WHEN {any_pair} THEN 1 ELSE 0 END) AS pair_forms
                    FROM feedback f GROUP BY f.date_id) fb ON fb.date_id = d.id
         WHERE d.status <> '{date_cancelled}' AND d.series_lead_id IS NULL
           AND d.starts_at >= {p1} AND d.starts_at < {p2}",
        confirmed = BookingStatus::Confirmed,
        present = Attendance::Present,
        absent = Attendance::Absent,
        date_cancelled = DateStatus::Cancelled,
    );
    let rows = DateFigures::find_by_statement(in_period(sql))
        .all(db)
        .await?;

    let month_keys = months(filter);
    let mut by_month: BTreeMap<String, Figures> = month_keys
        .iter()
        .map(|m| (m.clone(), Figures::default()))
        .collect();
    let mut by_district: BTreeMap<String, Figures> = BTreeMap::new();
    let mut total = Figures::default();
    let mut count = |district: String, at: DateTime<Utc>, figures: Figures| {
        if let Some(wanted) = &filter.districts
            && !wanted.contains(&district)
        {
            return;
        }
        let month = at
            .with_timezone(&chrono_tz::Europe::Berlin)
            .format("%Y-%m")
            .to_string();
        if let Some(m) = by_month.get_mut(&month) {
            m.add(&figures);
        }
        by_district.entry(district).or_default().add(&figures);
        total.add(&figures);
    };
    for row in rows {
        let district = row.district.unwrap_or_default();
        let figures = Figures {
            dates_held: 1,
            course_dates: i64::from(row.kind == OfferKind::Course),
            event_dates: i64::from(row.kind == OfferKind::Dialogue),
            participants: row.participants.unwrap_or(0),
            present: row.present.unwrap_or(0),
            absent: row.absent.unwrap_or(0),
            feedback_forms: row.forms.unwrap_or(0),
            rating_sum: row.rating_sum.unwrap_or(0),
            confidence_change_sum: row.change_sum.unwrap_or(0),
            confidence_pairs: row.pairs.unwrap_or(0),
            confidence_forms: row.pair_forms.unwrap_or(0),
            ..Figures::default()
        };
        count(district, row.starts_at, figures);
    }

    // Kiosk terminals count by the district of their venue and the day of use.
    let kiosk = KioskFigures::find_by_statement(Statement::from_sql_and_values(
        backend,
        format!(
            "SELECT u.day AS day, v.district_key AS district, u.action AS action, SUM(u.count) AS uses
             FROM kiosk_usage u
             JOIN kiosk_terminals t ON t.id = u.terminal_id
             JOIN venues v ON v.id = t.venue_id
             WHERE u.day >= {p1} AND u.day < {p2}
             GROUP BY u.day, v.district_key, u.action",
        ),
        [
            Value::from(month_start(filter.from)),
            Value::from(next_month(month_start(filter.to))),
        ],
    ))
    .all(db)
    .await?;
    for row in kiosk {
        let uses = row.uses.unwrap_or(0);
        let figures = if row.action == "view" {
            Figures {
                kiosk_views: uses,
                ..Figures::default()
            }
        } else {
            Figures {
                kiosk_actions: uses,
                ..Figures::default()
            }
        };
        count(row.district, utc_start(row.day), figures);
    }

    // Volunteer sessions held, with the people reached and the approved hours.
    let sessions = SessionFigures::find_by_statement(in_period(format!(
        "SELECT s.id AS id, s.starts_at AS starts_at, s.district_key AS district,
                    s.departed_minutes AS departed_minutes, r.head_count AS head_count,
                    r.walk_ins AS walk_ins, COALESCE(d.series_lead_id, d.id) AS booking_date,
                    (SELECT SUM(b.places) FROM bookings b WHERE b.date_id = COALESCE(d.series_lead_id, d.id)
                       AND b.status = '{confirmed}' AND b.attendance = '{present}') AS present,
                    COALESCE((SELECT SUM(h.minutes) FROM volunteer_hours h WHERE h.shift_id = s.id AND h.status = '{approved}'), 0)
                      + s.departed_minutes AS minutes
             FROM volunteer_shifts s
             LEFT JOIN session_reports r ON r.shift_id = s.id
             LEFT JOIN offer_dates d ON d.id = s.offer_date_id
             WHERE s.status <> '{cancelled}' AND s.starts_at >= {p1} AND s.starts_at < {p2}",
        confirmed = BookingStatus::Confirmed,
        present = Attendance::Present,
        approved = HoursStatus::Approved,
        cancelled = ShiftStatus::Cancelled,
    )))
    .all(db)
    .await?;
    // Whose approved hours they are: hours of one to four helpers are not shown.
    let mut helpers: HashMap<i32, BTreeSet<i32>> = HashMap::new();
    for h in HelperOfSession::find_by_statement(in_period(format!(
        "SELECT DISTINCT h.shift_id AS shift_id, h.user_id AS user_id
             FROM volunteer_hours h
             JOIN volunteer_shifts s ON s.id = h.shift_id
             WHERE h.status = '{approved}' AND s.status <> '{cancelled}'
               AND s.starts_at >= {p1} AND s.starts_at < {p2}",
        approved = HoursStatus::Approved,
        cancelled = ShiftStatus::Cancelled,
    )))
    .all(db)
    .await?
    {
        helpers.entry(h.shift_id).or_default().insert(h.user_id);
    }
    // People marked present on a course date count once, however many helper sessions it had.
    let mut counted_dates = std::collections::HashSet::new();
    for row in sessions {
        let walk_ins = i64::from(row.walk_ins.unwrap_or(0));
        let people = match (row.head_count, row.booking_date) {
            (Some(n), _) => i64::from(n),
            (None, Some(date)) if counted_dates.insert(date) => row.present.unwrap_or(0) + walk_ins,
            _ => walk_ins,
        };
        let figures = Figures {
            volunteer_sessions: 1,
            volunteer_people: people,
            volunteer_minutes: row.minutes.unwrap_or(0),
            volunteer_helpers: helpers.remove(&row.id).unwrap_or_default(),
            departed_helpers: row.departed_minutes > 0,
            ..Figures::default()
        };
        count(row.district, row.starts_at, figures);
    }

    let proposals = ProposalRow::find_by_statement(Statement::from_sql_and_values(
        backend,
        format!(
            "SELECT status, published_at, answered_at FROM proposals WHERE created_at >= {p1} AND created_at < {p2}{}",
            match &filter.districts {
                Some(keys) if keys.is_empty() => " AND 1 = 0".to_owned(),
                Some(keys) => format!(
                    " AND district_key IN ({})",
                    (0..keys.len())
                        .map(|i| placeholder(backend, i + 3))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                None => String::new(),
            }
        ),
        [Value::from(start), Value::from(utc_start(next_month(month_start(filter.to))))]
            .into_iter()
            .chain(
                filter
                    .districts
                    .iter()
                    .flatten()
                    .map(|k| Value::from(k.clone())),
            ),
    ))
    .all(db)
    .await?;
    let mut counts: HashMap<ProposalStatus, i64> = HashMap::new();
    let (mut answered, mut days) = (0i64, 0f64);
    for p in &proposals {
        *counts.entry(p.status).or_default() += 1;
        if let (Some(published), Some(answer)) = (p.published_at, p.answered_at) {
            answered += 1;
            days += (answer - published).num_minutes().max(0) as f64 / (24.0 * 60.0);
        }
    }
    let by_status: Vec<(String, i64)> = ProposalStatus::PUBLIC
        .iter()
        .map(|s| (s.key().to_owned(), counts.get(s).copied().unwrap_or(0)))
        .collect();
    let (months, districts, total) = suppressed_rows(
        by_month.into_iter().collect(),
        by_district.into_iter().collect(),
        total,
    );
    Ok(Impact {
        months,
        districts,
        total,
        proposals: ProposalFigures {
            total: by_status.iter().map(|(_, n)| n).sum(),
            by_status,
            answered,
            days_to_answer: (answered > 0).then(|| days / answered as f64),
        },
    })
}

fn placeholder(backend: sea_orm::DbBackend, n: usize) -> String {
    match backend {
        sea_orm::DbBackend::Postgres => format!("${n}"),
        _ => "?".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_month_of_the_period_is_listed() {
        let filter = ImpactFilter {
            from: NaiveDate::from_ymd_opt(2025, 11, 15).unwrap(),
            to: NaiveDate::from_ymd_opt(2026, 2, 1).unwrap(),
            districts: None,
        };
        assert_eq!(
            months(&filter),
            ["2025-11", "2025-12", "2026-01", "2026-02"]
        );
    }

    #[test]
    fn rates_and_averages_need_data() {
        let empty = Figures::default();
        assert_eq!(empty.no_show_percent(), None);
        assert_eq!(empty.rating_average(), None);
        let some = Figures {
            present: 3,
            absent: 1,
            feedback_forms: 5,
            rating_sum: 21,
            confidence_change_sum: 3,
            confidence_pairs: 2,
            confidence_forms: 5,
            ..Figures::default()
        };
        assert_eq!(some.no_show_percent(), Some(25.0));
        assert_eq!(some.rating_average(), Some(4.2));
        assert_eq!(some.confidence_change(), Some(1.5));
    }
}
