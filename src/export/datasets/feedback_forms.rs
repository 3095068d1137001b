//! Feedback forms, one row each, without free text that could name a person.

use std::collections::HashSet;

use chrono::Datelike;

use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter};

use super::{Batches, FillError, MIN_GROUP, Source, offers::offers_of_dates, tick};
use crate::{
    db::{count_by, entities::feedback},
    export::{
        scrub::scrub_opt,
        writers::{Cell, RowSink},
    },
};

pub(super) async fn feedback_rows(
    source: Source<'_>,
    sink: &mut dyn RowSink,
) -> Result<u64, FillError> {
    let (db, lookups, period, progress) = source.parts();
    let mut batches = Batches::new(
        feedback::Entity::find()
            .filter(feedback::Column::SubmittedOn.gte(period.from()))
            .filter(feedback::Column::SubmittedOn.lte(period.to())),
        feedback::Column::Id,
    );
    let mut rows = 0;
    // Forms not tied to their date, written after the others in an order of their content alone.
    let mut unlinked: Vec<Vec<Cell>> = Vec::new();
    while let Some(batch) = batches.next(db).await? {
        let date_ids: HashSet<i32> = batch.iter().map(|f| f.date_id).collect();
        let offers = offers_of_dates(db, date_ids.clone()).await?;
        let forms_of_date = count_by(
            db,
            feedback::Column::DateId,
            Condition::all().add(feedback::Column::DateId.is_in(date_ids.iter().copied())),
        )
        .await?;
        for f in &batch {
            let offer_id = offers.get(&f.date_id).copied();
            // The dates file hides a count of one to four forms; rows naming their date would
            // count them again, and tie the answers to the few people who came.
            let linked = forms_of_date.get(&f.date_id).copied().unwrap_or(0) >= MIN_GROUP;
            let kind = offer_id
                .and_then(|o| lookups.offers.get(&o))
                .map(|o| o.kind.key().to_owned());
            let district = offer_id
                .and_then(|o| lookups.offer_district(o))
                .map(str::to_owned);
            // Without the date, the day of the form and the district would still point to the one
            // date held there that day, and the form's id (and so its place in the file) between
            // forms of known dates to about when it came: such forms get the month only, no id,
            // and a place in the file of their content alone.
            let row = vec![
                if linked { f.id.into() } else { Cell::Empty },
                Some(f.date_id)
                    .filter(|_| linked)
                    .map_or(Cell::Empty, Cell::from),
                offer_id.filter(|_| linked).map_or(Cell::Empty, Cell::from),
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
                if linked {
                    f.submitted_on
                } else {
                    f.submitted_on.with_day(1).unwrap_or(f.submitted_on)
                }
                .to_string()
                .into(),
            ];
            if linked {
                sink.write_row(&row)?;
            } else {
                unlinked.push(row);
            }
        }
        rows += batch.len() as u64;
        tick(progress, batch.len());
    }
    // At most four forms per date (more are linked): a few per date, not the whole table.
    unlinked.sort_by_cached_key(|row| format!("{row:?}"));
    for row in &unlinked {
        sink.write_row(row)?;
    }
    Ok(rows)
}
