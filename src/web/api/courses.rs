//! `GET /api/v1/courses`: published courses, page by page.
use actix_web::{HttpResponse, web};
use chrono::Utc;
use serde::Deserialize;

use super::{
    error::{ApiError, ErrorResponse, ServerErrors},
    views::{Course, CoursePage, Links},
};
use crate::{services::catalogue, web::state::AppState};

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
        ServerErrors,
    )
)]
pub async fn list(
    state: web::Data<AppState>,
    query: web::Query<CoursesQuery>,
) -> Result<HttpResponse, ApiError> {
    let per_page = query.per_page();
    let found = catalogue::published_courses(&state.db, query.page(), per_page, Utc::now()).await?;
    let links = Links::new(&state);
    Ok(HttpResponse::Ok().json(CoursePage {
        items: found
            .courses
            .into_iter()
            .map(|c| Course::new(c, &links))
            .collect(),
        total: found.total,
        page: found.page,
        pages: found.pages,
        per_page,
    }))
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
