//! `GET /api/v1/dates` with the filters of the HTML catalogue, and `GET /api/v1/dates/{id}`.
use actix_web::{HttpResponse, web};
use chrono::Utc;

use super::{
    error::{ApiError, ErrorResponse, ServerErrors},
    views::{CourseDate, DatePage, Links},
};
use crate::{
    domain::{
        FieldErrors,
        cursor::DateCursor,
        form::optional,
        offer::{CatalogueFilter, CatalogueQuery, OfferKind},
    },
    services::{catalogue, venues},
    web::state::AppState,
};

/// Where the client left off (`nach`), besides the catalogue's filters.
#[derive(serde::Deserialize)]
pub struct CursorQuery {
    #[serde(default)]
    nach: String,
}

#[utoipa::path(
    get,
    path = "/api/v1/dates",
    operation_id = "listDates",
    tag = "dates",
    summary = "Upcoming dates with free places",
    description = "Upcoming, not cancelled dates of published courses, earliest first, 20 per page. \
        The filters are those of the catalogue page `/kurse` and combine (all must hold); empty \
        parameters mean \"any\". Wrong values give 422 with one entry per parameter in `fields`.",
    params(
        ("q" = Option<String>, Query, description = "Text in title, description, organisation or town (at most 100 characters)."),
        ("kreis" = Option<String>, Query, description = "District key (Kreisschlüssel), e.g. `16051` for Erfurt."),
        ("ort" = Option<String>, Query, description = "Part of the town's name (at most 100 characters)."),
        ("von" = Option<String>, Query, description = "Dates on or after this day: `2026-12-24` or `24.12.2026`."),
        ("bis" = Option<String>, Query, description = "Dates on or before this day (not before `von`)."),
        ("thema" = Option<String>, Query, description = "Topic key, e.g. `videotelefonie`."),
        ("zielgruppe" = Option<String>, Query, description = "Target group key, e.g. `senioren`."),
        ("stufenlos" = Option<String>, Query, description = "`1`: only step-free venues."),
        ("hoerschleife" = Option<String>, Query, description = "`1`: only venues with a hearing loop."),
        ("wc" = Option<String>, Query, description = "`1`: only venues with an accessible toilet."),
        ("frei" = Option<String>, Query, description = "`1`: only dates with free places."),
        ("seite" = Option<String>, Query, description = "Page, from 1; nonsense means 1, a page beyond the last returns the last. Pages shift when dates begin or fill between two requests; to read every date, follow `next` with `nach` instead."),
        ("nach" = Option<String>, Query, description = "The `next` of the page before: the dates after the last one read, earliest first. With `nach`, `seite` is not used and `total` counts the dates from there on."),
    ),
    responses(
        (status = 200, description = "One page of dates", body = DatePage),
        (status = 400, description = "Unreadable query string (`bad_request`)", body = ErrorResponse),
        (status = 422, description = "A filter value is wrong (`validation_failed`); `fields` names each parameter", body = ErrorResponse,
            example = json!({"error": {"code": "validation_failed", "message": "Einige Angaben fehlen oder sind fehlerhaft.",
                "fields": [{"field": "von", "code": "error-date-invalid", "message": "Geben Sie das Datum so ein: 24.12.2026."}]}})),
        ServerErrors,
    )
)]
pub async fn list(
    state: web::Data<AppState>,
    query: web::Query<CatalogueQuery>,
    cursor: web::Query<CursorQuery>,
) -> Result<HttpResponse, ApiError> {
    let (filter, mut errors) = match CatalogueFilter::parse(&query) {
        Ok(filter) => (Some(filter), FieldErrors::default()),
        Err(errors) => (None, errors),
    };
    let after = errors
        .check("nach", optional(&cursor.nach, DateCursor::parse))
        .flatten();
    let Some(mut filter) = filter.filter(|_| errors.is_empty()) else {
        return Err(ApiError::validation(&state.translations, &errors));
    };
    if after.is_some() {
        filter.after = after;
        filter.page = 1;
    }
    let now = Utc::now();
    let found = catalogue::search(&state.db, OfferKind::Course, &filter, now).await?;
    let venues = venues::facts_by_slug(
        &state.db,
        found
            .entries
            .iter()
            .filter_map(|e| e.date.venue_slug.clone()),
    )
    .await?;
    let links = Links::new(&state);
    Ok(HttpResponse::Ok().json(DatePage {
        items: found
            .entries
            .iter()
            .map(|e| CourseDate::new(e, &venues, &links))
            .collect(),
        next: (u64::from(found.page) < found.pages)
            .then(|| found.entries.last())
            .flatten()
            .map(|last| {
                DateCursor {
                    starts_at: last.date.starts_at,
                    id: last.date.date_id,
                }
                .to_string()
            }),
        total: found.total,
        page: u64::from(found.page),
        pages: found.pages,
        per_page: catalogue::PAGE_SIZE,
    }))
}

#[utoipa::path(
    get,
    path = "/api/v1/dates/{id}",
    operation_id = "getDate",
    tag = "dates",
    summary = "One date",
    description = "A date of a published course with its capacity and free places, also when it is past \
        or cancelled (see `status`).",
    params(("id" = i32, Path, description = "Id of the date")),
    responses(
        (status = 200, description = "The date", body = CourseDate),
        (status = 404, description = "No such date, or its course is not published (`not_found`)", body = ErrorResponse),
        ServerErrors,
    )
)]
pub async fn show(
    state: web::Data<AppState>,
    id: web::Path<i32>,
) -> Result<HttpResponse, ApiError> {
    let entry = catalogue::published_course_date(&state.db, *id, Utc::now())
        .await?
        .ok_or_else(ApiError::not_found)?;
    let venues = venues::facts_by_slug(&state.db, entry.date.venue_slug.clone()).await?;
    Ok(HttpResponse::Ok().json(CourseDate::new(&entry, &venues, &Links::new(&state))))
}
