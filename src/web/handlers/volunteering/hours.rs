//! Volunteers' hours in the back office: coordinators approve or reject them, and see, print and
//! download each month's approved hours.
use actix_web::{HttpResponse, web};
use chrono::Utc;
use serde::Deserialize;

use super::coordinator;
use crate::web::notice::{Done, see_other_done};
use crate::{
    domain::{FieldErrors, volunteering::Month},
    export::writers::{Cell, ColumnType},
    i18n::{DateStyle, format_instant},
    services::volunteering::VolunteeringError,
    web::{
        errors::WebError,
        handlers::offer_admin::{csv_download, sheet_error, staff_csv},
        page::Page,
    },
};

#[derive(Deserialize)]
pub struct MonthQuery {
    monat: Option<String>,
}

/// The month asked for, or the current one; a malformed value is reported next to the field.
pub fn month_of(query: &MonthQuery) -> (Month, FieldErrors) {
    let mut errors = FieldErrors::default();
    let month = match query.monat.as_deref().map(str::trim) {
        None | Some("") => Month::of(Utc::now()),
        Some(raw) => errors
            .check("monat", Month::parse(raw))
            .unwrap_or_else(|| Month::of(Utc::now())),
    };
    (month, errors)
}

/// Hours waiting for approval and the month's approved hours per volunteer.
pub async fn hours_overview(
    page: Page,
    query: web::Query<MonthQuery>,
) -> Result<HttpResponse, WebError> {
    let (_, scope) = coordinator(&page)?;
    render_hours_overview(&page, &scope, &query, FieldErrors::default()).await
}

async fn render_hours_overview(
    page: &Page,
    scope: &Option<Vec<i32>>,
    query: &MonthQuery,
    mut errors: FieldErrors,
) -> Result<HttpResponse, WebError> {
    let desk = page.state().volunteer_hours();
    let (month, month_errors) = month_of(query);
    for e in month_errors.iter() {
        errors.add(e.field, e.message);
    }
    let mut ctx = page.form_context();
    ctx.insert("pending", &desk.pending_hours(scope).await?);
    ctx.insert("summaries", &desk.month(month, scope, None).await?);
    ctx.insert("month", &month.key());
    ctx.insert(
        "monat_value",
        &query.monat.clone().unwrap_or_else(|| month.key()),
    );
    page.render_form("volunteering/hours.html", ctx, &errors)
}

#[derive(Deserialize)]
pub struct DecisionForm {
    decision: String,
    /// The entry as shown (`HoursLine::seen`).
    #[serde(default)]
    seen: String,
}

pub async fn decide_hours(
    page: Page,
    id: web::Path<i64>,
    form: web::Form<DecisionForm>,
) -> Result<HttpResponse, WebError> {
    let (user, scope) = coordinator(&page)?;
    let approve = match form.decision.as_str() {
        "approve" => true,
        "reject" => false,
        _ => return Err(WebError::NotFound),
    };
    match page
        .state()
        .volunteer_hours()
        .decide_hours(*id, &form.seen, &scope, approve, user.id, Utc::now())
        .await
    {
        Ok(_) => Ok(see_other_done("/verwaltung/stunden", Done::HoursDecided)),
        Err(VolunteeringError::Refused(reason)) => {
            let query = MonthQuery { monat: None };
            render_hours_overview(&page, &scope, &query, FieldErrors::single("offen", reason)).await
        }
        Err(e) => Err(e.into()),
    }
}

/// Printable monthly summary of one volunteer's approved hours at the coordinator's organisations.
pub async fn month_sheet(
    page: Page,
    person: web::Path<i32>,
    query: web::Query<MonthQuery>,
) -> Result<HttpResponse, WebError> {
    let (_, scope) = coordinator(&page)?;
    render_month_sheet(&page, &scope, *person, &query, false).await
}

pub async fn render_month_sheet(
    page: &Page,
    scope: &Option<Vec<i32>>,
    person: i32,
    query: &MonthQuery,
    own: bool,
) -> Result<HttpResponse, WebError> {
    let (month, errors) = month_of(query);
    let summary = page
        .state()
        .volunteer_hours()
        .month(month, scope, Some(person))
        .await?
        .pop();
    let mut ctx = page.form_context();
    ctx.insert("summary", &summary);
    ctx.insert("month", &month.key());
    ctx.insert(
        "monat_value",
        &query.monat.clone().unwrap_or_else(|| month.key()),
    );
    ctx.insert("person", &person);
    ctx.insert("own", &own);
    page.render_form("volunteering/month.html", ctx, &errors)
}

/// The month's approved hours as CSV: one line per session, for the volunteer year's paperwork.
pub async fn hours_csv(
    page: Page,
    query: web::Query<MonthQuery>,
) -> Result<HttpResponse, WebError> {
    let (_, scope) = coordinator(&page)?;
    month_csv(&page, &scope, None, &query).await
}

pub async fn month_csv(
    page: &Page,
    scope: &Option<Vec<i32>>,
    only: Option<i32>,
    query: &MonthQuery,
) -> Result<HttpResponse, WebError> {
    let (month, errors) = month_of(query);
    if !errors.is_empty() {
        return Err(WebError::NotFound);
    }
    let summaries = page
        .state()
        .volunteer_hours()
        .month(month, scope, only)
        .await?;
    let mut sheet = staff_csv(
        page,
        [
            ("hours-csv-volunteer", ColumnType::Text),
            ("hours-csv-day", ColumnType::Text),
            ("hours-csv-from", ColumnType::Text),
            ("hours-csv-to", ColumnType::Text),
            ("hours-csv-hours", ColumnType::Decimal(2)),
            ("hours-csv-session", ColumnType::Text),
            ("hours-csv-organisation", ColumnType::Text),
        ],
    )?;
    for summary in &summaries {
        for line in &summary.lines {
            sheet
                .write_row(&[
                    line.volunteer.as_str().into(),
                    format_instant(line.started_at, page.language, DateStyle::Short).into(),
                    format_instant(line.started_at, page.language, DateStyle::Time).into(),
                    format_instant(line.ended_at, page.language, DateStyle::Time).into(),
                    Cell::Decimal(line.hours),
                    line.shift_title.as_str().into(),
                    line.organisation_name.as_str().into(),
                ])
                .map_err(sheet_error)?;
        }
    }
    let body = sheet.into_inner().map_err(sheet_error)?;
    // Volunteers' names and hours leave the portal with this file.
    crate::services::audit::record(
        &page.state().db,
        page.user().map(|u| u.id),
        "hours.downloaded",
        &format!("hours:{}", month.key()),
        &only.map_or_else(|| "all".to_owned(), |id| format!("user:{id}")),
    )
    .await?;
    Ok(csv_download(body, &format!("stunden-{}.csv", month.key())))
}
