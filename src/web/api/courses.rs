//! `GET /api/v1/courses`: published courses, page by page.
use std::collections::HashMap;

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
    sea_query::{Expr, ExprTrait},
};
use serde::Deserialize;

use super::{
    error::{ApiError, ErrorResponse},
    views::{Course, CoursePage, Links},
};
use crate::{
    db::entities::{offer, offer_date, organisation, venue},
    domain::offer::{DateStatus, OfferKind, OfferStatus},
    web::state::AppState,
};

pub const DEFAULT_PER_PAGE: u64 = 20;
pub const MAX_PER_PAGE: u64 = 100;

/// Read leniently, like the catalogue's `seite`: nonsense means the default.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CoursesQuery {
    page: String,
    per_page: String,
}

impl CoursesQuery {
    fn page(&self) -> u64 {
        self.page
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|p| (1..=u64::from(crate::domain::offer::MAX_PAGE)).contains(p))
            .unwrap_or(1)
    }
    fn per_page(&self) -> u64 {
        self.per_page
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|n| *n >= 1)
            .map_or(DEFAULT_PER_PAGE, |n| std::cmp::min(n, MAX_PER_PAGE))
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/courses",
    operation_id = "listCourses",
    tag = "courses",
    summary = "Published courses",
    description = "All published courses in alphabetical order of their slug, including courses without \
        upcoming dates (`upcoming_dates` is 0). Parameters that are not numbers are ignored.",
    params(
        ("page" = Option<u64>, Query, description = "Page, from 1 (default 1); a page beyond the last returns the last."),
        ("per_page" = Option<u64>, Query, description = "Courses per page, 1 to 100 (default 20); larger values mean 100."),
    ),
    responses(
        (status = 200, description = "One page of courses", body = CoursePage),
        (status = 400, description = "Unreadable query string (`bad_request`)", body = ErrorResponse),
        (status = 503, description = "The database cannot be reached right now (`unavailable`); nothing was stored, try again later", body = ErrorResponse),
        (status = 500, description = "Internal error (`internal`)", body = ErrorResponse),
    )
)]
pub async fn list(
    state: web::Data<AppState>,
    query: web::Query<CoursesQuery>,
) -> Result<HttpResponse, ApiError> {
    let body = course_page(
        &state.db,
        query.page(),
        query.per_page(),
        Utc::now(),
        &Links::new(&state),
    )
    .await?;
    Ok(HttpResponse::Ok().json(body))
}

async fn course_page(
    db: &DatabaseConnection,
    page: u64,
    per_page: u64,
    now: DateTime<Utc>,
    links: &Links,
) -> Result<CoursePage, DbErr> {
    let paginator = offer::Entity::find()
        .filter(offer::Column::Status.eq(OfferStatus::Published))
        .filter(offer::Column::Kind.eq(OfferKind::Course))
        .order_by_asc(offer::Column::Slug)
        .order_by_asc(offer::Column::Id)
        .paginate(db, per_page);
    let counted = paginator.num_items_and_pages().await?;
    let pages = std::cmp::max(counted.number_of_pages, 1);
    let page = std::cmp::min(page, pages);
    let offers = paginator.fetch_page(page - 1).await?;

    let organisation_ids: Vec<i32> = offers.iter().map(|o| o.organisation_id).collect();
    let venue_ids: Vec<i32> = offers.iter().filter_map(|o| o.venue_id).collect();
    let offer_ids: Vec<i32> = offers.iter().map(|o| o.id).collect();
    let organisations: HashMap<i32, String> = organisation::Entity::find()
        .filter(organisation::Column::Id.is_in(organisation_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    let venues: HashMap<i32, venue::Model> = venue::Entity::find()
        .filter(venue::Column::Id.is_in(venue_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|v| (v.id, v))
        .collect();
    // The same notion of "upcoming" as the catalogue: ahead and not cancelled.
    let upcoming: HashMap<i32, i64> = offer_date::Entity::find()
        .select_only()
        .column(offer_date::Column::OfferId)
        .column_as(Expr::col(offer_date::Column::Id).count(), "n")
        .filter(offer_date::Column::OfferId.is_in(offer_ids))
        .filter(offer_date::Column::StartsAt.gt(now))
        .filter(offer_date::Column::Status.ne(DateStatus::Cancelled))
        .group_by(offer_date::Column::OfferId)
        .into_tuple::<(i32, i64)>()
        .all(db)
        .await?
        .into_iter()
        .collect();

    let items = offers
        .into_iter()
        .map(|o| {
            let organisation_name = organisations
                .get(&o.organisation_id)
                .cloned()
                .unwrap_or_default();
            let venue = o.venue_id.and_then(|id| venues.get(&id));
            let dates = upcoming
                .get(&o.id)
                .map_or(0, |n| u64::try_from(*n).unwrap_or(0));
            Course::new(o, organisation_name, venue, dates, links)
        })
        .collect();
    Ok(CoursePage {
        items,
        total: counted.number_of_items,
        page,
        pages,
        per_page,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paging_parameters_are_read_leniently() {
        let q = |page: &str, per_page: &str| CoursesQuery {
            page: page.into(),
            per_page: per_page.into(),
        };
        assert_eq!((q("", "").page(), q("", "").per_page()), (1, 20));
        assert_eq!((q("3", "50").page(), q("3", "50").per_page()), (3, 50));
        assert_eq!((q("0", "0").page(), q("0", "0").per_page()), (1, 20));
        assert_eq!((q("x", "1000").page(), q("x", "1000").per_page()), (1, 100));
    }
}
