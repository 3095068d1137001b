//! `GET /api/v1/dates` with the filters of the HTML catalogue, and `GET /api/v1/dates/{id}`.
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use sea_orm::{DatabaseConnection, DbErr, EntityTrait};

use super::{
    error::{ApiError, ErrorResponse},
    views::{CourseDate, DatePage, Links, venues_by_slug},
};
use crate::{
    db::entities::offer,
    domain::offer::{CatalogueFilter, CatalogueQuery, OfferKind},
    services::catalogue::{self, Entry},
    web::state::AppState,
};

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
        ("seite" = Option<String>, Query, description = "Page, from 1; nonsense means 1, a page beyond the last returns the last."),
    ),
    responses(
        (status = 200, description = "One page of dates", body = DatePage),
        (status = 400, description = "Unreadable query string (`bad_request`)", body = ErrorResponse),
        (status = 422, description = "A filter value is wrong (`validation_failed`); `fields` names each parameter", body = ErrorResponse,
            example = json!({"error": {"code": "validation_failed", "message": "Einige Angaben fehlen oder sind fehlerhaft.",
                "fields": [{"field": "von", "code": "error-date-invalid", "message": "Geben Sie das Datum so ein: 24.12.2026."}]}})),
        (status = 503, description = "The database cannot be reached right now (`unavailable`); nothing was stored, try again later", body = ErrorResponse),
        (status = 500, description = "Internal error (`internal`)", body = ErrorResponse),
    )
)]
pub async fn list(
    state: web::Data<AppState>,
    query: web::Query<CatalogueQuery>,
) -> Result<HttpResponse, ApiError> {
    let filter = CatalogueFilter::parse(&query)
        .map_err(|errors| ApiError::validation(&state.translations, &errors))?;
    let now = Utc::now();
    let found = catalogue::search(&state.db, OfferKind::Course, &filter, now).await?;
    let venues = venues_by_slug(
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
        total: found.total,
        page: u64::from(found.page),
        pages: found.pages,
        per_page: catalogue::PAGE_SIZE,
    }))
}

/// A date of a published course, in whatever state (past and cancelled dates included).
pub async fn published_course_date(
    db: &DatabaseConnection,
    date_id: i32,
    now: DateTime<Utc>,
) -> Result<Option<Entry>, DbErr> {
    let Some(entry) = catalogue::date(db, date_id, now).await? else {
        return Ok(None);
    };
    if entry.date.kind != OfferKind::Course {
        return Ok(None);
    }
    let published = offer::Entity::find_by_id(entry.date.offer_id)
        .one(db)
        .await?
        .is_some_and(|o| o.status.is_public());
    Ok(published.then_some(entry))
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
        (status = 503, description = "The database cannot be reached right now (`unavailable`); nothing was stored, try again later", body = ErrorResponse),
        (status = 500, description = "Internal error (`internal`)", body = ErrorResponse),
    )
)]
pub async fn show(
    state: web::Data<AppState>,
    id: web::Path<i32>,
) -> Result<HttpResponse, ApiError> {
    let entry = published_course_date(&state.db, *id, Utc::now())
        .await?
        .ok_or_else(ApiError::not_found)?;
    let venues = venues_by_slug(&state.db, entry.date.venue_slug.clone()).await?;
    Ok(HttpResponse::Ok().json(CourseDate::new(&entry, &venues, &Links::new(&state))))
}
