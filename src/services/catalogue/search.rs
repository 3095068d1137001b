//! The catalogue's paged search: one page of upcoming dates matching a filter, and how many there are.
use chrono::{DateTime, Utc};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbErr, FromQueryResult,
    sea_query::{Alias, Expr, ExprTrait, Order},
};

use super::{
    DateSummary, Entry, PAGE_SIZE, Page,
    filter::filtered_select,
    select::{statement, summaries, summary_select},
};
use crate::{
    db::entities::offer_date,
    domain::offer::{CatalogueFilter, OfferKind},
};

#[derive(FromQueryResult)]
struct Count {
    n: i64,
}

/// One page of upcoming dates matching the filter, earliest first.
///
/// The page's dates are chosen on their ids and sort key alone; only those 20 are then read with
/// their offer, place and waiting list. A first page with room to spare holds every match, so it
/// needs no count; other pages count first, so that a page beyond the last shows the last.
pub async fn search(
    db: &DatabaseConnection,
    kind: OfferKind,
    filter: &CatalogueFilter,
    now: DateTime<Utc>,
) -> Result<Page, DbErr> {
    if filter.text.is_some() && db.get_database_backend() == sea_orm::DbBackend::Postgres {
        // PostgreSQL keeps a generic plan for a prepared statement after five runs; with the
        // search text behind a parameter that plan tests the text on every date of the period
        // (about 9 ms a statement instead of 1 to 2). These two statements are planned for their
        // text; the other filters keep their cached plans (planning every statement cost them a
        // third, BENCHMARKS.md).
        let txn = sea_orm::TransactionTrait::begin(db).await?;
        txn.execute_unprepared("SET LOCAL plan_cache_mode = force_custom_plan")
            .await?;
        let page = search_in(&txn, kind, filter, now).await?;
        txn.commit().await?;
        return Ok(page);
    }
    search_in(db, kind, filter, now).await
}

async fn search_in(
    db: &impl ConnectionTrait,
    kind: OfferKind,
    filter: &CatalogueFilter,
    now: DateTime<Utc>,
) -> Result<Page, DbErr> {
    let requested = u64::from(filter.page);
    if requested <= 1 {
        let dates = page_of(db, kind, filter, now, 0).await?;
        let found = dates.len() as u64;
        if found < PAGE_SIZE {
            return Ok(page_from(dates, found, 1, now));
        }
        let total = count(db, kind, filter, now).await?;
        return Ok(page_from(dates, total, 1, now));
    }
    let total = count(db, kind, filter, now).await?;
    let pages = std::cmp::max(total.div_ceil(PAGE_SIZE), 1);
    let page = std::cmp::min(requested, pages);
    let dates = page_of(db, kind, filter, now, (page - 1) * PAGE_SIZE).await?;
    Ok(page_from(dates, total, page, now))
}

fn page_from(dates: Vec<DateSummary>, total: u64, page: u64, now: DateTime<Utc>) -> Page {
    Page {
        entries: dates.into_iter().map(|d| Entry::new(d, now)).collect(),
        total,
        page: page as u32,
        pages: std::cmp::max(total.div_ceil(PAGE_SIZE), 1),
    }
}

async fn count(
    db: &impl ConnectionTrait,
    kind: OfferKind,
    filter: &CatalogueFilter,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let mut count = filtered_select(kind, filter, now);
    count.expr_as(
        Expr::col((offer_date::Entity, offer_date::Column::Id)).count(),
        Alias::new("n"),
    );
    Ok(Count::find_by_statement(statement(db, &count))
        .one(db)
        .await?
        .map_or(0, |c| u64::try_from(c.n).unwrap_or(0)))
}

/// Up to a page of matching dates from `offset` on, earliest first.
async fn page_of(
    db: &impl ConnectionTrait,
    kind: OfferKind,
    filter: &CatalogueFilter,
    now: DateTime<Utc>,
    offset: u64,
) -> Result<Vec<DateSummary>, DbErr> {
    let d = offer_date::Entity;
    let mut ids = filtered_select(kind, filter, now);
    ids.column((d, offer_date::Column::Id))
        .order_by((d, offer_date::Column::StartsAt), Order::Asc)
        .order_by((d, offer_date::Column::Id), Order::Asc)
        .limit(PAGE_SIZE)
        .offset(offset);
    let mut select = summary_select();
    select
        .and_where(Expr::col((d, offer_date::Column::Id)).in_subquery(ids))
        .order_by((d, offer_date::Column::StartsAt), Order::Asc)
        .order_by((d, offer_date::Column::Id), Order::Asc);
    summaries(db, &select).await
}
