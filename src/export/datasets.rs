//! The files of an export: their columns and the queries that fill them.
//!
//! Rows are read in keyset-paginated batches (`id > last ORDER BY id LIMIT n`), written and dropped
//! before the next batch is read, so memory does not grow with the number of rows. Only small
//! reference tables (districts, organisations, venues, the offers' kind and place) are held whole.
use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use chrono_tz::Europe::Berlin;
use indicatif::ProgressBar;
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Expr, ExprTrait, Query},
};

use super::{
    ExportPeriod,
    scrub::{scrub, scrub_opt},
    suppression::{Rules, Sum},
    writers::{Cell, Column, ColumnType as T, RowSink, WriteError, col},
};
use crate::{
    db::entities::{
        booking, district, feedback, kiosk_terminal, kiosk_usage, offer, offer_date, organisation,
        proposal, session_attendance, session_report, venue, volunteer_hours, volunteer_shift,
    },
    domain::{
        booking::BookingStatus,
        offer::{DateStatus, OfferKind},
        proposal::{Channel as ProposalChannel, ProposalStatus},
        volunteering::HoursStatus,
    },
};

/// Rows read per query.
pub const BATCH: u64 = 5_000;

/// Figures about fewer people or forms than this are left empty.
pub const MIN_GROUP: i64 = 5;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DatasetId {
    Courses,
    Dates,
    DialogueEvents,
    Feedback,
    Proposals,
    VolunteerSessions,
    Statistics,
}

pub struct Dataset {
    pub id: DatasetId,
    /// File name without extension; also the XLSX sheet name.
    pub name: &'static str,
    pub title: &'static str,
    /// Only counts and averages over groups of at least [`MIN_GROUP`]: fit for publication as open data.
    pub aggregated: bool,
    pub columns: &'static [Column],
}

const COURSE_COLUMNS: &[Column] = &[
    col("course_id", T::Integer),
    col("title", T::Text),
    col("topic", T::Text),
    col("level", T::Text),
    col("target_group", T::Text),
    col("language", T::Text),
    col("organisation", T::Text),
    col("district_key", T::Text),
    col("town", T::Text),
    col("online", T::Boolean),
    col("price_cents", T::Integer),
    col("status", T::Text),
    col("dates_in_period", T::Integer),
];

const DIALOGUE_COLUMNS: &[Column] = &[
    col("event_id", T::Integer),
    col("title", T::Text),
    col("topic", T::Text),
    col("organisation", T::Text),
    col("district_key", T::Text),
    col("town", T::Text),
    col("online", T::Boolean),
    col("registration_required", T::Boolean),
    col("audience", T::Text),
    col("support_offered", T::Text),
    col("agenda", T::Text),
    col("status", T::Text),
    col("dates_in_period", T::Integer),
];

const DATE_COLUMNS: &[Column] = &[
    col("date_id", T::Integer),
    col("offer_id", T::Integer),
    col("offer_kind", T::Text),
    col("topic", T::Text),
    col("district_key", T::Text),
    col("starts_at", T::DateTime),
    col("ends_at", T::DateTime),
    col("status", T::Text),
    col("capacity", T::Integer),
    col("booked_places", T::Integer),
    col("bookings", T::Integer),
    col("participants_present", T::Integer),
    col("no_shows", T::Integer),
    col("feedback_forms", T::Integer),
];

/// Booked places are people too; and since a booking holds only a few places, booked places and
/// bookings give each other away: they are hidden together.
const DATE_SUPPRESSION: Rules = Rules {
    counts: &[
        "booked_places",
        "bookings",
        "participants_present",
        "no_shows",
        "feedback_forms",
    ],
    // Places nobody marked present or absent are in the total only.
    sums: &[Sum {
        total: "booked_places",
        parts: &["participants_present", "no_shows"],
    }],
    together: &[&["bookings", "booked_places"]],
};

const FEEDBACK_COLUMNS: &[Column] = &[
    col("feedback_id", T::Integer),
    col("date_id", T::Integer),
    col("offer_id", T::Integer),
    col("offer_kind", T::Text),
    col("district_key", T::Text),
    col("channel", T::Text),
    col("rating", T::Integer),
    col("helped", T::Text),
    col("missing", T::Text),
    col("topics_wanted", T::Text),
    col("free_text", T::Text),
    col("before_information", T::Integer),
    col("before_communication", T::Integer),
    col("before_content", T::Integer),
    col("before_safety", T::Integer),
    col("before_problem_solving", T::Integer),
    col("after_information", T::Integer),
    col("after_communication", T::Integer),
    col("after_content", T::Integer),
    col("after_safety", T::Integer),
    col("after_problem_solving", T::Integer),
    col("submitted_on", T::Date),
];

const PROPOSAL_COLUMNS: &[Column] = &[
    col("proposal_id", T::Integer),
    col("title", T::Text),
    col("text", T::Text),
    col("category", T::Text),
    col("district_key", T::Text),
    col("status", T::Text),
    col("official_answer", T::Text),
    col("answered_at", T::DateTime),
    col("supports", T::Integer),
    col("created_on", T::Date),
    col("channel", T::Text),
];

const STATISTICS_COLUMNS: &[Column] = &[
    col("district_key", T::Text),
    col("district_name", T::Text),
    col("month", T::Text),
    col("dates_held", T::Integer),
    col("course_dates", T::Integer),
    col("dialogue_dates", T::Integer),
    col("bookings_total", T::Integer),
    col("bookings_online", T::Integer),
    col("bookings_staff", T::Integer),
    col("bookings_kiosk", T::Integer),
    col("bookings_api", T::Integer),
    col("participants_present", T::Integer),
    col("no_shows", T::Integer),
    col("proposals_total", T::Integer),
    col("proposals_online", T::Integer),
    col("proposals_kiosk", T::Integer),
    col("proposals_assisted", T::Integer),
    col("proposals_import", T::Integer),
    col("feedback_total", T::Integer),
    col("feedback_online", T::Integer),
    col("feedback_qr", T::Integer),
    col("feedback_kiosk", T::Integer),
    col("feedback_paper", T::Integer),
    col("average_rating", T::Decimal(1)),
    col("average_confidence_change", T::Decimal(2)),
    col("kiosk_views", T::Integer),
    col("kiosk_bookings", T::Integer),
    col("kiosk_feedback", T::Integer),
    col("kiosk_proposals", T::Integer),
    col("volunteer_sessions", T::Integer),
    col("volunteer_people_reached", T::Integer),
    col("volunteer_hours", T::Decimal(1)),
];

const STATISTICS_SUPPRESSION: Rules = Rules {
    counts: &[
        "bookings_total",
        "bookings_online",
        "bookings_staff",
        "bookings_kiosk",
        "bookings_api",
        "participants_present",
        "no_shows",
        "proposals_total",
        "proposals_online",
        "proposals_kiosk",
        "proposals_assisted",
        "proposals_import",
        "feedback_total",
        "feedback_online",
        "feedback_qr",
        "feedback_kiosk",
        "feedback_paper",
        "kiosk_bookings",
        "kiosk_feedback",
        "kiosk_proposals",
        "volunteer_people_reached",
    ],
    sums: &[
        Sum {
            total: "bookings_total",
            parts: &[
                "bookings_online",
                "bookings_staff",
                "bookings_kiosk",
                "bookings_api",
            ],
        },
        Sum {
            total: "proposals_total",
            parts: &[
                "proposals_online",
                "proposals_kiosk",
                "proposals_assisted",
                "proposals_import",
            ],
        },
        Sum {
            total: "feedback_total",
            parts: &[
                "feedback_online",
                "feedback_qr",
                "feedback_kiosk",
                "feedback_paper",
            ],
        },
    ],
    together: &[],
};

const VOLUNTEER_SESSION_COLUMNS: &[Column] = &[
    col("session_id", T::Integer),
    col("kind", T::Text),
    col("organisation", T::Text),
    col("district_key", T::Text),
    col("held_on", T::Date),
    col("date_id", T::Integer),
    col("status", T::Text),
    col("helpers_needed", T::Integer),
    col("helpers_signed_up", T::Integer),
    col("people_reached", T::Integer),
    col("walk_ins", T::Integer),
    col("topics", T::Text),
    col("approved_hours", T::Decimal(1)),
];

pub const DATASETS: &[Dataset] = &[
    Dataset {
        id: DatasetId::Courses,
        name: "courses",
        title: "Kurse mit Terminen im Zeitraum",
        aggregated: false,
        columns: COURSE_COLUMNS,
    },
    Dataset {
        id: DatasetId::Dates,
        name: "dates",
        title: "Termine im Zeitraum mit Teilnehmendenzahlen",
        aggregated: false,
        columns: DATE_COLUMNS,
    },
    Dataset {
        id: DatasetId::DialogueEvents,
        name: "dialogue_events",
        title: "Dialogveranstaltungen mit Terminen im Zeitraum",
        aggregated: false,
        columns: DIALOGUE_COLUMNS,
    },
    Dataset {
        id: DatasetId::Feedback,
        name: "feedback",
        title: "Rückmeldebögen (anonym, Freitext bereinigt)",
        aggregated: false,
        columns: FEEDBACK_COLUMNS,
    },
    Dataset {
        id: DatasetId::Proposals,
        name: "proposals",
        title: "Öffentliche Vorschläge mit Stand und Antwort",
        aggregated: false,
        columns: PROPOSAL_COLUMNS,
    },
    Dataset {
        id: DatasetId::VolunteerSessions,
        name: "volunteer_sessions",
        title: "Einsätze von Freiwilligen im Zeitraum (ohne Namen)",
        aggregated: false,
        columns: VOLUNTEER_SESSION_COLUMNS,
    },
    Dataset {
        id: DatasetId::Statistics,
        name: "statistics_by_district_month",
        title: "Kennzahlen je Kreis und Monat",
        aggregated: true,
        columns: STATISTICS_COLUMNS,
    },
];

#[derive(Debug, thiserror::Error)]
pub enum FillError {
    #[error(transparent)]
    Database(#[from] DbErr),
    #[error(transparent)]
    Write(#[from] WriteError),
}

/// A count about people or forms, or empty when it is 1 to 4.
pub fn suppressed(count: i64) -> Cell {
    if count > 0 && count < MIN_GROUP {
        Cell::Empty
    } else {
        Cell::Int(count)
    }
}

fn berlin_time(at: DateTime<Utc>) -> String {
    at.with_timezone(&Berlin).to_rfc3339()
}

fn berlin_day(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&Berlin).date_naive()
}

fn month_of(day: NaiveDate) -> String {
    format!("{:04}-{:02}", day.year(), day.month())
}

struct OfferRef {
    kind: OfferKind,
    topic: String,
    venue_id: Option<i32>,
    organisation_id: i32,
}

/// Small tables every file needs, read once.
pub struct Lookups {
    districts: HashMap<String, String>,
    organisations: HashMap<i32, (String, Option<String>)>,
    venues: HashMap<i32, (String, String)>,
    offers: HashMap<i32, OfferRef>,
}

impl Lookups {
    pub async fn load(db: &DatabaseConnection) -> Result<Self, DbErr> {
        let districts = district::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .map(|d| (d.key, d.name))
            .collect();
        let organisations = organisation::Entity::find()
            .select_only()
            .columns([
                organisation::Column::Id,
                organisation::Column::Name,
                organisation::Column::DistrictKey,
            ])
            .into_tuple::<(i32, String, Option<String>)>()
            .all(db)
            .await?
            .into_iter()
            .map(|(id, name, district)| (id, (name, district)))
            .collect();
        let venues = venue::Entity::find()
            .select_only()
            .columns([
                venue::Column::Id,
                venue::Column::Town,
                venue::Column::DistrictKey,
            ])
            .into_tuple::<(i32, String, String)>()
            .all(db)
            .await?
            .into_iter()
            .map(|(id, town, district)| (id, (town, district)))
            .collect();
        let offers = offer::Entity::find()
            .select_only()
            .columns([
                offer::Column::Id,
                offer::Column::Kind,
                offer::Column::Topic,
                offer::Column::VenueId,
                offer::Column::OrganisationId,
            ])
            .into_tuple::<(i32, OfferKind, String, Option<i32>, i32)>()
            .all(db)
            .await?
            .into_iter()
            .map(|(id, kind, topic, venue_id, organisation_id)| {
                (
                    id,
                    OfferRef {
                        kind,
                        topic,
                        venue_id,
                        organisation_id,
                    },
                )
            })
            .collect();
        Ok(Self {
            districts,
            organisations,
            venues,
            offers,
        })
    }

    /// The venue's district; for online offers the organisation's, if it has one.
    fn district_of(&self, venue_id: Option<i32>, organisation_id: i32) -> Option<&str> {
        venue_id
            .and_then(|v| self.venues.get(&v))
            .map(|(_, district)| district.as_str())
            .or_else(|| {
                self.organisations
                    .get(&organisation_id)
                    .and_then(|(_, district)| district.as_deref())
            })
    }

    fn offer_district(&self, offer_id: i32) -> Option<&str> {
        let offer = self.offers.get(&offer_id)?;
        self.district_of(offer.venue_id, offer.organisation_id)
    }

    pub fn district_name(&self, key: &str) -> &str {
        self.districts
            .get(key)
            .map_or(NO_DISTRICT_NAME, String::as_str)
    }
}

/// Statistics rows for offers without a venue and without a district of their organisation.
pub const NO_DISTRICT_NAME: &str = "ohne Kreis (online)";

pub async fn fill(
    db: &DatabaseConnection,
    lookups: &Lookups,
    period: &ExportPeriod,
    dataset: DatasetId,
    sink: &mut dyn RowSink,
    progress: Option<&ProgressBar>,
) -> Result<u64, FillError> {
    match dataset {
        DatasetId::Courses => offers(db, lookups, period, OfferKind::Course, sink, progress).await,
        DatasetId::DialogueEvents => {
            offers(db, lookups, period, OfferKind::Dialogue, sink, progress).await
        }
        DatasetId::Dates => dates(db, lookups, period, sink, progress).await,
        DatasetId::Feedback => feedback_rows(db, lookups, period, sink, progress).await,
        DatasetId::Proposals => proposals(db, period, sink, progress).await,
        DatasetId::VolunteerSessions => {
            volunteer_sessions(db, lookups, period, sink, progress).await
        }
        DatasetId::Statistics => statistics(db, lookups, period, sink, progress).await,
    }
}

fn tick(progress: Option<&ProgressBar>, n: usize) {
    if let Some(bar) = progress {
        bar.inc(n as u64);
    }
}

/// `starts_at` within the period (inclusive days in Europe/Berlin).
fn date_in_period(period: &ExportPeriod) -> sea_orm::Condition {
    let (start, end) = period.utc_bounds();
    sea_orm::Condition::all()
        .add(offer_date::Column::StartsAt.gte(start))
        .add(offer_date::Column::StartsAt.lt(end))
}

/// Courses or dialogue events with at least one date in the period.
async fn offers(
    db: &DatabaseConnection,
    lookups: &Lookups,
    period: &ExportPeriod,
    kind: OfferKind,
    sink: &mut dyn RowSink,
    progress: Option<&ProgressBar>,
) -> Result<u64, FillError> {
    let (start, end) = period.utc_bounds();
    let mut last = 0;
    let mut rows = 0;
    loop {
        let with_dates = Query::select()
            .column(offer_date::Column::OfferId)
            .from(offer_date::Entity)
            .and_where(Expr::col(offer_date::Column::StartsAt).gte(start))
            .and_where(Expr::col(offer_date::Column::StartsAt).lt(end))
            .to_owned();
        let batch = offer::Entity::find()
            .filter(offer::Column::Kind.eq(kind))
            .filter(offer::Column::Id.gt(last))
            .filter(offer::Column::Id.in_subquery(with_dates))
            .order_by_asc(offer::Column::Id)
            .limit(BATCH)
            .all(db)
            .await?;
        let Some(tail) = batch.last() else { break };
        last = tail.id;
        let ids: Vec<i32> = batch.iter().map(|o| o.id).collect();
        let counts: HashMap<i32, i64> = offer_date::Entity::find()
            .select_only()
            .column(offer_date::Column::OfferId)
            .column_as(Expr::col(offer_date::Column::Id).count(), "n")
            .filter(offer_date::Column::OfferId.is_in(ids))
            .filter(date_in_period(period))
            .group_by(offer_date::Column::OfferId)
            .into_tuple::<(i32, i64)>()
            .all(db)
            .await?
            .into_iter()
            .collect();
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
struct Attendance {
    bookings: i64,
    /// Confirmed places (for a later session of a course booked as a whole, the first date's).
    booked_places: i64,
    present: i64,
    absent: i64,
}

/// Attendance per date, for dates given with the first date of their course (`None` for a single
/// date or a course's first date). A later session of a course booked as a whole counts the first
/// date's confirmed bookings, and the attendance marked at that session.
async fn attendance_by_date(
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
            .into_tuple::<(i32, Option<String>, i64, Option<i64>)>()
            .all(db)
            .await?;
        for (date_id, attendance, n, places) in rows {
            let entry = by_date.entry(date_id).or_default();
            entry.bookings += n;
            entry.booked_places += places.unwrap_or(0);
            match attendance.as_deref() {
                Some("present") => entry.present += places.unwrap_or(0),
                Some("absent") => entry.absent += places.unwrap_or(0),
                _ => {}
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
    let mut marks: HashMap<i32, Vec<(i64, String)>> = HashMap::new();
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
            match attendance.as_str() {
                "present" => entry.present += p,
                "absent" => entry.absent += p,
                _ => {}
            }
        }
        by_date.insert(session, entry);
    }
    Ok(by_date)
}

async fn dates(
    db: &DatabaseConnection,
    lookups: &Lookups,
    period: &ExportPeriod,
    sink: &mut dyn RowSink,
    progress: Option<&ProgressBar>,
) -> Result<u64, FillError> {
    let suppression = DATE_SUPPRESSION.resolve(DATE_COLUMNS);
    let mut last = 0;
    let mut rows = 0;
    loop {
        let batch = offer_date::Entity::find()
            .filter(offer_date::Column::Id.gt(last))
            .filter(date_in_period(period))
            .order_by_asc(offer_date::Column::Id)
            .limit(BATCH)
            .all(db)
            .await?;
        let Some(tail) = batch.last() else { break };
        last = tail.id;
        let ids: Vec<i32> = batch.iter().map(|d| d.id).collect();
        let attendance = attendance_by_date(
            db,
            &batch
                .iter()
                .map(|d| (d.id, d.series_lead_id))
                .collect::<Vec<_>>(),
        )
        .await?;
        let forms: HashMap<i32, i64> = feedback::Entity::find()
            .select_only()
            .column(feedback::Column::DateId)
            .column_as(Expr::col(feedback::Column::Id).count(), "n")
            .filter(feedback::Column::DateId.is_in(ids))
            .group_by(feedback::Column::DateId)
            .into_tuple::<(i32, i64)>()
            .all(db)
            .await?
            .into_iter()
            .collect();
        for d in &batch {
            let offer = lookups.offers.get(&d.offer_id);
            let a = attendance.get(&d.id).copied().unwrap_or_default();
            let mut row = [
                d.id.into(),
                d.offer_id.into(),
                offer.map(|o| o.kind.key().to_owned()).into(),
                offer.map(|o| o.topic.clone()).into(),
                lookups.offer_district(d.offer_id).map(str::to_owned).into(),
                berlin_time(d.starts_at).into(),
                berlin_time(d.ends_at).into(),
                d.status.key().into(),
                d.capacity.into(),
                // A later session's people are its course's first date's.
                match d.series_lead_id {
                    Some(_) => a.booked_places as i32,
                    None => d.booked_places,
                }
                .into(),
                a.bookings.into(),
                a.present.into(),
                a.absent.into(),
                forms.get(&d.id).copied().unwrap_or(0).into(),
            ];
            suppression.apply(&mut row);
            sink.write_row(&row)?;
        }
        rows += batch.len() as u64;
        tick(progress, batch.len());
    }
    Ok(rows)
}

/// The offer of each date, for a batch of dates.
async fn offers_of_dates(
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

async fn feedback_rows(
    db: &DatabaseConnection,
    lookups: &Lookups,
    period: &ExportPeriod,
    sink: &mut dyn RowSink,
    progress: Option<&ProgressBar>,
) -> Result<u64, FillError> {
    let mut last = 0;
    let mut rows = 0;
    loop {
        let batch = feedback::Entity::find()
            .filter(feedback::Column::Id.gt(last))
            .filter(feedback::Column::SubmittedOn.gte(period.from()))
            .filter(feedback::Column::SubmittedOn.lte(period.to()))
            .order_by_asc(feedback::Column::Id)
            .limit(BATCH)
            .all(db)
            .await?;
        let Some(tail) = batch.last() else { break };
        last = tail.id;
        let offers = offers_of_dates(db, batch.iter().map(|f| f.date_id).collect()).await?;
        for f in &batch {
            let offer_id = offers.get(&f.date_id).copied();
            let kind = offer_id
                .and_then(|o| lookups.offers.get(&o))
                .map(|o| o.kind.key().to_owned());
            let district = offer_id
                .and_then(|o| lookups.offer_district(o))
                .map(str::to_owned);
            sink.write_row(&[
                f.id.into(),
                f.date_id.into(),
                offer_id.map_or(Cell::Empty, Cell::from),
                kind.into(),
                district.into(),
                f.channel.as_str().into(),
                Cell::Int(f.rating.into()),
                scrub_opt(f.helped.as_deref()).into(),
                scrub_opt(f.missing.as_deref()).into(),
                f.topics_wanted.clone().into(),
                scrub_opt(f.free_text.as_deref()).into(),
                f.before_information.into(),
                f.before_communication.into(),
                f.before_content.into(),
                f.before_safety.into(),
                f.before_problem_solving.into(),
                f.after_information.into(),
                f.after_communication.into(),
                f.after_content.into(),
                f.after_safety.into(),
                f.after_problem_solving.into(),
                f.submitted_on.to_string().into(),
            ])?;
        }
        rows += batch.len() as u64;
        tick(progress, batch.len());
    }
    Ok(rows)
}

fn public_statuses() -> impl Iterator<Item = ProposalStatus> {
    ProposalStatus::PUBLIC.iter().copied()
}

/// Only the public states, and only what the public page shows: no author, e-mail or contact.
async fn proposals(
    db: &DatabaseConnection,
    period: &ExportPeriod,
    sink: &mut dyn RowSink,
    progress: Option<&ProgressBar>,
) -> Result<u64, FillError> {
    let (start, end) = period.utc_bounds();
    let mut last = 0;
    let mut rows = 0;
    loop {
        let batch = proposal::Entity::find()
            .select_only()
            .columns([
                proposal::Column::Id,
                proposal::Column::Title,
                proposal::Column::Body,
                proposal::Column::Category,
                proposal::Column::DistrictKey,
                proposal::Column::Status,
                proposal::Column::OfficialAnswer,
                proposal::Column::AnsweredAt,
                proposal::Column::SupportsCount,
                proposal::Column::CreatedAt,
                proposal::Column::Channel,
            ])
            .filter(proposal::Column::Id.gt(last))
            .filter(proposal::Column::Status.is_in(public_statuses()))
            .filter(proposal::Column::CreatedAt.gte(start))
            .filter(proposal::Column::CreatedAt.lt(end))
            .order_by_asc(proposal::Column::Id)
            .limit(BATCH)
            .into_tuple::<ProposalRow>()
            .all(db)
            .await?;
        let Some(tail) = batch.last() else { break };
        last = tail.0;
        for (
            id,
            title,
            body,
            category,
            district,
            status,
            answer,
            answered_at,
            supports,
            created_at,
            channel,
        ) in &batch
        {
            sink.write_row(&[
                (*id).into(),
                scrub(title).into(),
                scrub(body).into(),
                category.as_str().into(),
                district.as_str().into(),
                status.as_str().into(),
                scrub_opt(answer.as_deref()).into(),
                answered_at.map(berlin_time).into(),
                (*supports).into(),
                berlin_day(*created_at).to_string().into(),
                channel.as_str().into(),
            ])?;
        }
        rows += batch.len() as u64;
        tick(progress, batch.len());
    }
    Ok(rows)
}

type ProposalRow = (
    i64,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<DateTime<Utc>>,
    i32,
    DateTime<Utc>,
    String,
);

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
}

/// What kiosk terminals count (`services::kiosk::Action`), in the column order of the statistics.
const KIOSK_ACTIONS: [&str; 4] = ["view", "booking", "feedback", "proposal"];

/// One volunteer session as the export sees it, with what happened there.
struct SessionFacts {
    shift: volunteer_shift::Model,
    head_count: Option<i64>,
    /// The date holding the bookings (a course's first date for its later sessions) and the places
    /// marked present there.
    present: Option<(i32, i64)>,
    walk_ins: Option<i64>,
    topics: String,
    approved_minutes: i64,
}

impl SessionFacts {
    /// The head count where nobody registers; otherwise who was marked present plus walk-ins.
    fn people_reached(&self) -> Option<i64> {
        match (self.head_count, self.present) {
            (Some(n), _) => Some(n),
            (None, Some((_, present))) => Some(present + self.walk_ins.unwrap_or(0)),
            (None, None) => self.walk_ins,
        }
    }
}

/// Sessions held (or planned) in the period, in batches, with their reports, attendance and hours.
async fn session_batches(
    db: &DatabaseConnection,
    period: &ExportPeriod,
    mut each: impl FnMut(Vec<SessionFacts>) -> Result<(), FillError>,
) -> Result<(), FillError> {
    let (start, end) = period.utc_bounds();
    let mut last = 0;
    loop {
        let batch = volunteer_shift::Entity::find()
            .filter(volunteer_shift::Column::Id.gt(last))
            .filter(volunteer_shift::Column::StartsAt.gte(start))
            .filter(volunteer_shift::Column::StartsAt.lt(end))
            .order_by_asc(volunteer_shift::Column::Id)
            .limit(BATCH)
            .all(db)
            .await?;
        let Some(tail) = batch.last() else { break };
        last = tail.id;
        let ids: Vec<i32> = batch.iter().map(|s| s.id).collect();
        let reports: HashMap<i32, session_report::Model> = session_report::Entity::find()
            .filter(session_report::Column::ShiftId.is_in(ids.clone()))
            .all(db)
            .await?
            .into_iter()
            .map(|r| (r.shift_id, r))
            .collect();
        let minutes: HashMap<i32, i64> = volunteer_hours::Entity::find()
            .select_only()
            .column(volunteer_hours::Column::ShiftId)
            .column_as(Expr::col(volunteer_hours::Column::Minutes).sum(), "minutes")
            .filter(volunteer_hours::Column::ShiftId.is_in(ids))
            .filter(volunteer_hours::Column::Status.eq(HoursStatus::Approved))
            .group_by(volunteer_hours::Column::ShiftId)
            .into_tuple::<(i32, Option<i64>)>()
            .all(db)
            .await?
            .into_iter()
            .map(|(id, m)| (id, m.unwrap_or(0)))
            .collect();
        let date_ids: Vec<i32> = batch.iter().filter_map(|s| s.offer_date_id).collect();
        // Helpers at a later session of a course report that session's attendance.
        let linked: Vec<(i32, Option<i32>)> = offer_date::Entity::find()
            .select_only()
            .columns([offer_date::Column::Id, offer_date::Column::SeriesLeadId])
            .filter(offer_date::Column::Id.is_in(date_ids))
            .into_tuple::<(i32, Option<i32>)>()
            .all(db)
            .await?;
        let booking_dates: HashMap<i32, i32> = linked.iter().map(|(id, _)| (*id, *id)).collect();
        let attendance = attendance_by_date(db, &linked).await?;
        let facts = batch
            .into_iter()
            .map(|shift| {
                let report = reports.get(&shift.id);
                let booking_date = shift
                    .offer_date_id
                    .and_then(|d| booking_dates.get(&d).copied());
                SessionFacts {
                    approved_minutes: minutes.get(&shift.id).copied().unwrap_or(0),
                    topics: report.map(|r| r.topics.clone()).unwrap_or_default(),
                    head_count: report.and_then(|r| r.head_count).map(i64::from),
                    walk_ins: report.map(|r| i64::from(r.walk_ins)),
                    present: booking_date
                        .map(|d| (d, attendance.get(&d).map_or(0, |a| a.present)))
                        .filter(|(_, present)| report.is_some() || *present > 0),
                    shift,
                }
            })
            .collect();
        each(facts)?;
    }
    Ok(())
}

async fn volunteer_sessions(
    db: &DatabaseConnection,
    lookups: &Lookups,
    period: &ExportPeriod,
    sink: &mut dyn RowSink,
    progress: Option<&ProgressBar>,
) -> Result<u64, FillError> {
    let mut rows = 0;
    session_batches(db, period, |batch| {
        for f in &batch {
            let s = &f.shift;
            let organisation = lookups
                .organisations
                .get(&s.organisation_id)
                .map(|(name, _)| name.clone());
            let row: Vec<Cell> = vec![
                i64::from(s.id).into(),
                s.kind.key().into(),
                organisation.into(),
                s.district_key.as_str().into(),
                berlin_day(s.starts_at).to_string().into(),
                s.offer_date_id.map_or(Cell::Empty, Cell::from),
                s.status.key().into(),
                i64::from(s.volunteers_needed).into(),
                i64::from(s.signed_up).into(),
                f.people_reached().map_or(Cell::Empty, suppressed),
                f.walk_ins.map_or(Cell::Empty, suppressed),
                f.topics.as_str().into(),
                // With one to four helpers the organisation could tell whose hours these are.
                if (1..MIN_GROUP).contains(&i64::from(s.signed_up)) {
                    Cell::Empty
                } else {
                    Cell::Decimal(f.approved_minutes as f64 / 60.0)
                },
            ];
            sink.write_row(&row)?;
            rows += 1;
        }
        tick(progress, batch.len());
        Ok(())
    })
    .await?;
    Ok(rows)
}

fn average(sum: i64, n: i64, forms: i64) -> Cell {
    if forms < MIN_GROUP || n == 0 {
        Cell::Empty
    } else {
        Cell::Decimal(sum as f64 / n as f64)
    }
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

async fn statistics(
    db: &DatabaseConnection,
    lookups: &Lookups,
    period: &ExportPeriod,
    sink: &mut dyn RowSink,
    progress: Option<&ProgressBar>,
) -> Result<u64, FillError> {
    let mut tallies: BTreeMap<Key, Tally> = BTreeMap::new();

    // Dates held in the period and their bookings, by the month the date took place.
    let mut last = 0;
    loop {
        let batch: Vec<(i32, i32, DateTime<Utc>, Option<i32>)> = offer_date::Entity::find()
            .select_only()
            .columns([
                offer_date::Column::Id,
                offer_date::Column::OfferId,
                offer_date::Column::StartsAt,
                offer_date::Column::SeriesLeadId,
            ])
            .filter(offer_date::Column::Id.gt(last))
            .filter(offer_date::Column::Status.ne(DateStatus::Cancelled))
            .filter(date_in_period(period))
            .order_by_asc(offer_date::Column::Id)
            .limit(BATCH)
            .into_tuple()
            .all(db)
            .await?;
        let Some(tail) = batch.last() else { break };
        last = tail.0;
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
            .into_tuple::<(i32, String, Option<String>, i64, Option<i64>)>()
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
            match attendance.as_deref() {
                Some("present") => tally.present += places.unwrap_or(0),
                Some("absent") => tally.absent += places.unwrap_or(0),
                _ => {}
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
    let (start, end) = period.utc_bounds();
    let channels = proposal_channels();
    let mut last = 0;
    loop {
        let batch: Vec<(i64, String, String, DateTime<Utc>)> = proposal::Entity::find()
            .select_only()
            .columns([
                proposal::Column::Id,
                proposal::Column::DistrictKey,
                proposal::Column::Channel,
                proposal::Column::CreatedAt,
            ])
            .filter(proposal::Column::Id.gt(last))
            .filter(proposal::Column::Status.is_in(public_statuses()))
            .filter(proposal::Column::CreatedAt.gte(start))
            .filter(proposal::Column::CreatedAt.lt(end))
            .order_by_asc(proposal::Column::Id)
            .limit(BATCH)
            .into_tuple()
            .all(db)
            .await?;
        let Some(tail) = batch.last() else { break };
        last = tail.0;
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
            tally.volunteer_people += match (f.head_count, f.present) {
                (Some(n), _) => n,
                (None, Some((date, present))) if counted_dates.insert(date) => {
                    present + f.walk_ins.unwrap_or(0)
                }
                _ => f.walk_ins.unwrap_or(0),
            };
            tally.volunteer_minutes += f.approved_minutes;
        }
        Ok(())
    })
    .await?;

    let suppression = STATISTICS_SUPPRESSION.resolve(STATISTICS_COLUMNS);
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
        row.push(t.volunteer_people.into());
        row.push(Cell::Decimal(t.volunteer_minutes as f64 / 60.0));
        suppression.apply(&mut row);
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
    fn counts_of_one_to_four_are_suppressed_zero_and_five_are_not() {
        assert_eq!(suppressed(0), Cell::Int(0));
        for n in 1..5 {
            assert_eq!(suppressed(n), Cell::Empty);
        }
        assert_eq!(suppressed(5), Cell::Int(5));
        assert_eq!(average(20, 4, 4), Cell::Empty);
        assert_eq!(average(21, 5, 5), Cell::Decimal(4.2));
    }

    #[test]
    fn suppression_rules_name_real_columns() {
        // `resolve` panics on a name that is no column.
        DATE_SUPPRESSION.resolve(DATE_COLUMNS);
        STATISTICS_SUPPRESSION.resolve(STATISTICS_COLUMNS);
    }

    #[test]
    fn every_dataset_has_a_unique_name_and_columns() {
        let names: HashSet<_> = DATASETS.iter().map(|d| d.name).collect();
        assert_eq!(names.len(), DATASETS.len());
        assert!(DATASETS.iter().all(|d| !d.columns.is_empty()));
    }
}
