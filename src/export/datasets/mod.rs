//! The files of an export: their columns and the queries that fill them.
//!
//! Rows are read in keyset-paginated batches (`id > last ORDER BY id LIMIT n`), written and dropped
//! before the next batch is read, so memory does not grow with the number of rows. Only small
//! reference tables (districts, organisations, venues, the offers' kind and place) are held whole.
use std::collections::HashMap;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use chrono_tz::Europe::Berlin;
use indicatif::ProgressBar;
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, ModelTrait, QueryFilter, QueryOrder,
    QuerySelect, Select, Selector, SelectorTrait, TryGetableMany, Value,
};

use super::{
    ExportPeriod,
    writers::{Cell, Column, RowSink, WriteError},
};
use crate::{
    db::entities::{district, offer, offer_date, organisation, venue},
    domain::offer::OfferKind,
};

mod columns;
mod feedback_forms;
mod offers;
mod proposals;
mod statistics;
mod volunteering;

use columns::{
    COURSE_COLUMNS, DATE_COLUMNS, DIALOGUE_COLUMNS, FEEDBACK_COLUMNS, PROPOSAL_COLUMNS,
    STATISTICS_COLUMNS, VOLUNTEER_SESSION_COLUMNS,
};

/// Rows read per query.
pub const BATCH: u64 = 5_000;

/// Keyset paging for the large tables: each call reads the next [`BATCH`] rows of `query` after
/// the last one read, in id order, so an export never holds a whole table and reads each row once.
pub(super) struct Batches<E: EntityTrait> {
    query: Select<E>,
    id: E::Column,
    last: Option<Value>,
}

impl<E: EntityTrait> Batches<E> {
    pub(super) fn new(query: Select<E>, id: E::Column) -> Self {
        Self {
            query,
            id,
            last: None,
        }
    }

    /// The next batch of rows, or `None` once every row was read.
    pub(super) async fn next(
        &mut self,
        db: &DatabaseConnection,
    ) -> Result<Option<Vec<E::Model>>, DbErr> {
        let id = self.id;
        self.next_as(db, Select::into_model, |row: &E::Model| row.get(id))
            .await
    }

    /// [`Self::next`] for queries that select some columns, read as tuples `T`; `id` gives a row's id.
    pub(super) async fn next_tuples<T, K>(
        &mut self,
        db: &DatabaseConnection,
        id: impl Fn(&T) -> K,
    ) -> Result<Option<Vec<T>>, DbErr>
    where
        T: TryGetableMany,
        K: Into<Value>,
    {
        self.next_as(db, Select::into_tuple, |row: &T| id(row).into())
            .await
    }

    async fn next_as<S: SelectorTrait>(
        &mut self,
        db: &DatabaseConnection,
        read: impl FnOnce(Select<E>) -> Selector<S>,
        id: impl Fn(&S::Item) -> Value,
    ) -> Result<Option<Vec<S::Item>>, DbErr> {
        let mut query = self.query.clone();
        if let Some(last) = self.last.clone() {
            query = query.filter(self.id.gt(last));
        }
        let batch = read(query.order_by_asc(self.id).limit(BATCH))
            .all(db)
            .await?;
        let Some(tail) = batch.last() else {
            return Ok(None);
        };
        self.last = Some(id(tail));
        Ok(Some(batch))
    }
}

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

/// Whether a count about people or forms is hidden: 1 to 4.
pub fn is_suppressed(count: i64) -> bool {
    (1..MIN_GROUP).contains(&count)
}

/// A count about people or forms, or empty when it is 1 to 4.
pub fn suppressed(count: i64) -> Cell {
    if is_suppressed(count) {
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

/// What every file's query reads from: the database, the small tables, the period, the progress bar.
#[derive(Clone, Copy)]
pub(super) struct Source<'a> {
    db: &'a DatabaseConnection,
    lookups: &'a Lookups,
    period: &'a ExportPeriod,
    progress: Option<&'a ProgressBar>,
}

impl<'a> Source<'a> {
    fn parts(
        self,
    ) -> (
        &'a DatabaseConnection,
        &'a Lookups,
        &'a ExportPeriod,
        Option<&'a ProgressBar>,
    ) {
        (self.db, self.lookups, self.period, self.progress)
    }
}

pub async fn fill(
    db: &DatabaseConnection,
    lookups: &Lookups,
    period: &ExportPeriod,
    dataset: DatasetId,
    sink: &mut dyn RowSink,
    progress: Option<&ProgressBar>,
) -> Result<u64, FillError> {
    let source = Source {
        db,
        lookups,
        period,
        progress,
    };
    match dataset {
        DatasetId::Courses => offers::offers(source, OfferKind::Course, sink).await,
        DatasetId::DialogueEvents => offers::offers(source, OfferKind::Dialogue, sink).await,
        DatasetId::Dates => offers::dates(source, sink).await,
        DatasetId::Feedback => feedback_forms::feedback_rows(source, sink).await,
        DatasetId::Proposals => proposals::proposals(source, sink).await,
        DatasetId::VolunteerSessions => volunteering::volunteer_sessions(source, sink).await,
        DatasetId::Statistics => statistics::statistics(source, sink).await,
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

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn counts_of_one_to_four_are_suppressed_zero_and_five_are_not() {
        assert_eq!(suppressed(0), Cell::Int(0));
        for n in 1..5 {
            assert_eq!(suppressed(n), Cell::Empty);
        }
        assert_eq!(suppressed(5), Cell::Int(5));
    }

    #[test]
    fn every_dataset_has_a_unique_name_and_columns() {
        let names: HashSet<_> = DATASETS.iter().map(|d| d.name).collect();
        assert_eq!(names.len(), DATASETS.len());
        assert!(DATASETS.iter().all(|d| !d.columns.is_empty()));
    }
}
