//! Unpaged lists of matching dates: print programmes, calendar feeds (with the dates just over) and
//! the dates course alerts look at.
use chrono::{DateTime, Utc};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbErr,
    sea_query::{Cond, Expr, ExprTrait, Order},
};

use super::{
    Entry,
    filter::{conditions, conditions_within, filtered_select},
    select::{entries, statement, summary_select},
};
use crate::{
    db::entities::offer_date,
    domain::offer::{CatalogueFilter, OfferKind},
};

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
