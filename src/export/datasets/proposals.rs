//! Public proposals as the public page shows them.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QuerySelect};

use super::{Batches, FillError, Source, berlin_day, berlin_time, tick};
use crate::{
    db::entities::proposal,
    domain::proposal::ProposalStatus,
    export::{
        ExportPeriod,
        scrub::{scrub, scrub_opt},
        writers::RowSink,
    },
};

fn public_statuses() -> impl Iterator<Item = ProposalStatus> {
    ProposalStatus::PUBLIC.iter().copied()
}

/// Public proposals handed in within the period (inclusive days in Europe/Berlin).
pub(super) fn public_in_period(period: &ExportPeriod) -> Condition {
    let (start, end) = period.utc_bounds();
    Condition::all()
        .add(proposal::Column::Status.is_in(public_statuses()))
        .add(proposal::Column::CreatedAt.gte(start))
        .add(proposal::Column::CreatedAt.lt(end))
}

/// Only the public states, and only what the public page shows: no author, e-mail or contact.
pub(super) async fn proposals(
    source: Source<'_>,
    sink: &mut dyn RowSink,
) -> Result<u64, FillError> {
    let (db, _, period, progress) = source.parts();
    let mut batches = Batches::new(
        proposal::Entity::find()
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
            .filter(public_in_period(period)),
        proposal::Column::Id,
    );
    let mut rows = 0;
    while let Some(batch) = batches.next_tuples(db, |row: &ProposalRow| row.0).await? {
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
