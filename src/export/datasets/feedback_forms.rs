//! Feedback forms, one row each, without free text that could name a person.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::{FillError, InBatches, Source, offers::offers_of_dates, tick};
use crate::{
    db::entities::feedback,
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
    let mut last = 0;
    let mut rows = 0;
    loop {
        let batch = feedback::Entity::find()
            .filter(feedback::Column::SubmittedOn.gte(period.from()))
            .filter(feedback::Column::SubmittedOn.lte(period.to()))
            .batch_after(feedback::Column::Id, last)
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
