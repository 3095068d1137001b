//! FSJ-Digital sessions with what their reports, attendance and approved hours say.
use std::collections::HashMap;

use sea_orm::{ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};

use super::{
    Batches, FillError, Source, berlin_day, is_suppressed, offers::attendance_by_date, suppressed,
    tick,
};
use crate::{
    db::{
        entities::{offer_date, session_report, volunteer_hours, volunteer_shift},
        sum_by,
    },
    domain::volunteering::HoursStatus,
    export::{
        ExportPeriod,
        writers::{Cell, RowSink},
    },
};

/// One volunteer session as the export sees it, with what happened there.
pub(super) struct SessionFacts {
    pub(super) shift: volunteer_shift::Model,
    pub(super) head_count: Option<i64>,
    /// The date holding the bookings (a course's first date for its later sessions) and the places
    /// marked present there.
    pub(super) present: Option<(i32, i64)>,
    pub(super) walk_ins: Option<i64>,
    pub(super) topics: String,
    pub(super) approved_minutes: i64,
}

impl SessionFacts {
    /// The head count where nobody registers; otherwise who was marked present plus walk-ins.
    pub(super) fn people_reached(&self) -> Option<i64> {
        match (self.head_count, self.present) {
            (Some(n), _) => Some(n),
            (None, Some((_, present))) => Some(present + self.walk_ins.unwrap_or(0)),
            (None, None) => self.walk_ins,
        }
    }
}

/// Sessions held (or planned) in the period, in batches, with their reports, attendance and hours.
pub(super) async fn session_batches(
    db: &DatabaseConnection,
    period: &ExportPeriod,
    mut each: impl FnMut(Vec<SessionFacts>) -> Result<(), FillError>,
) -> Result<(), FillError> {
    let (start, end) = period.utc_bounds();
    let mut batches = Batches::new(
        volunteer_shift::Entity::find()
            .filter(volunteer_shift::Column::StartsAt.gte(start))
            .filter(volunteer_shift::Column::StartsAt.lt(end)),
        volunteer_shift::Column::Id,
    );
    while let Some(batch) = batches.next(db).await? {
        let ids: Vec<i32> = batch.iter().map(|s| s.id).collect();
        let reports: HashMap<i32, session_report::Model> = session_report::Entity::find()
            .filter(session_report::Column::ShiftId.is_in(ids.clone()))
            .all(db)
            .await?
            .into_iter()
            .map(|r| (r.shift_id, r))
            .collect();
        let minutes = sum_by(
            db,
            volunteer_hours::Column::ShiftId,
            volunteer_hours::Column::Minutes,
            Condition::all()
                .add(volunteer_hours::Column::ShiftId.is_in(ids))
                .add(volunteer_hours::Column::Status.eq(HoursStatus::Approved)),
        )
        .await?;
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
                    approved_minutes: minutes.get(&shift.id).copied().unwrap_or(0)
                        + i64::from(shift.departed_minutes),
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

/// With one to four helpers the organisation could tell whose approved hours a session's are.
pub(super) fn hours_hidden(signed_up: i32) -> bool {
    is_suppressed(i64::from(signed_up))
}

pub(super) async fn volunteer_sessions(
    source: Source<'_>,
    sink: &mut dyn RowSink,
) -> Result<u64, FillError> {
    let (db, lookups, period, progress) = source.parts();
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
                // Without a head count it is the date's `participants_present` (in `dates`) plus
                // the walk-ins: one shown beside the other would give either away where it is
                // hidden, and both shown add up to it. Left to the reader.
                if f.head_count.is_none() && f.present.is_some() {
                    Cell::Empty
                } else {
                    f.people_reached().map_or(Cell::Empty, suppressed)
                },
                f.walk_ins.map_or(Cell::Empty, suppressed),
                f.topics.as_str().into(),
                if hours_hidden(s.signed_up) {
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
