//! The ministry export in the back office: choose a period and format, follow the job, download the
//! ZIP, and see earlier runs with their manifests.
use actix_web::{HttpResponse, http::header, web};
use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::{
    domain::{FieldErrors, export_job::ExportJobStatus},
    export::{self, ExportError, ExportFormat, ExportPeriod},
    policy,
    services::export_jobs,
    web::{errors::WebError, handlers::see_other, page::Page},
};

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
pub struct ExportForm {
    von: String,
    bis: String,
    format: String,
    bom: String,
}

/// A date as a date field sends it (2026-03-31) or as people type it (31.03.2026).
fn day(raw: &str) -> Option<NaiveDate> {
    crate::domain::offer::date(raw).ok()
}

impl ExportForm {
    /// Every wrong field at once, each with its own message.
    fn parse(&self, today: NaiveDate) -> Result<(ExportPeriod, ExportFormat, bool), FieldErrors> {
        let mut errors = FieldErrors::default();
        let mut date = |field: &'static str, raw: &str, missing, invalid| match raw.trim() {
            "" => {
                errors.add(field, missing);
                None
            }
            raw => day(raw).or_else(|| {
                errors.add(field, invalid);
                None
            }),
        };
        let from = date(
            "von",
            &self.von,
            "error-export-form-from-missing",
            "error-export-form-from-invalid",
        );
        let to = date(
            "bis",
            &self.bis,
            "error-export-form-to-missing",
            "error-export-form-to-invalid",
        );
        let format = ExportFormat::parse(&self.format)
            .map_err(|_| errors.add("format", "error-export-form-format"))
            .ok();
        let period = match (from, to) {
            (Some(from), Some(to)) => ExportPeriod::new(from, to)
                .and_then(|p| p.ending_by(today))
                .map_err(|e| match e {
                    ExportError::NotOver { .. } => errors.add("bis", "error-export-form-future"),
                    _ => errors.add("bis", "error-export-form-range"),
                })
                .ok(),
            _ => None,
        };
        match (period, format) {
            (Some(period), Some(format)) if errors.is_empty() => {
                Ok((period, format, !self.bom.is_empty()))
            }
            _ => Err(errors),
        }
    }
}

#[derive(Serialize)]
struct JobRow {
    id: i32,
    period_from: NaiveDate,
    period_to: NaiveDate,
    format: String,
    status: ExportJobStatus,
    created_at: chrono::DateTime<Utc>,
}

async fn index_page(
    page: &Page,
    form: &ExportForm,
    errors: &FieldErrors,
) -> Result<HttpResponse, WebError> {
    let db = &page.state().db;
    let jobs: Vec<JobRow> = export_jobs::recent(db, 20)
        .await?
        .into_iter()
        .map(|j| JobRow {
            id: j.id,
            period_from: j.period_from,
            period_to: j.period_to,
            format: j.format,
            status: j.status,
            created_at: j.created_at,
        })
        .collect();
    let mut ctx = page.form_context();
    ctx.insert("form", form);
    // A date field can only show a date; anything else stays in the error message.
    ctx.insert("von_value", &day(&form.von).map(|d| d.to_string()));
    ctx.insert("bis_value", &day(&form.bis).map(|d| d.to_string()));
    ctx.insert("checked_format", &[form.format.as_str()]);
    ctx.insert("jobs", &jobs);
    ctx.insert("runs", &export_jobs::recent_runs(db, 20).await?);
    page.render_form("export/index.html", ctx, errors)
}

pub async fn index(page: Page) -> Result<HttpResponse, WebError> {
    page.require(policy::can_export)?;
    let form = ExportForm {
        format: "csv".into(),
        ..ExportForm::default()
    };
    index_page(&page, &form, &FieldErrors::default()).await
}

pub async fn request(page: Page, form: web::Form<ExportForm>) -> Result<HttpResponse, WebError> {
    let user = page.require(policy::can_export)?;
    let form = form.into_inner();
    let today = export::today_in_berlin(Utc::now());
    let (period, format, bom) = match form.parse(today) {
        Ok(parsed) => parsed,
        Err(errors) => return index_page(&page, &form, &errors).await,
    };
    let id = export_jobs::enqueue(&page.state().db, user.id, period, format, bom).await?;
    Ok(see_other(format!("/verwaltung/export/{id}")))
}

#[derive(Deserialize, Serialize)]
struct ManifestFile {
    name: String,
    rows: Option<u64>,
    bytes: u64,
    sha256: String,
}

#[derive(Deserialize)]
struct Manifest {
    files: Vec<ManifestFile>,
}

pub async fn job(page: Page, id: web::Path<i32>) -> Result<HttpResponse, WebError> {
    page.require(policy::can_export)?;
    let job = export_jobs::find(&page.state().db, *id)
        .await?
        .ok_or(WebError::NotFound)?;
    let files = match &job.manifest {
        Some(json) => {
            serde_json::from_str::<Manifest>(json)
                .map_err(|e| WebError::Internal(e.into()))?
                .files
        }
        None => Vec::new(),
    };
    let mut ctx = page.context();
    ctx.insert("job_id", &job.id);
    ctx.insert("period_from", &job.period_from);
    ctx.insert("period_to", &job.period_to);
    ctx.insert("format", &job.format);
    ctx.insert("status", &job.status);
    ctx.insert("files_done", &job.files_done);
    ctx.insert("files_total", &job.files_total);
    ctx.insert("rows_done", &job.rows_done);
    ctx.insert("created_at", &job.created_at);
    ctx.insert("finished_at", &job.finished_at);
    ctx.insert("files", &files);
    page.render("export/job.html", &ctx)
}

pub async fn download(page: Page, id: web::Path<i32>) -> Result<HttpResponse, WebError> {
    let user = page.require(policy::can_export)?;
    let (job, zip) = export_jobs::download(&page.state().db, *id, user.id)
        .await?
        .ok_or(WebError::NotFound)?;
    let name = format!(
        "teilhabe-export-{}-{}-{}.zip",
        job.period_from, job.period_to, job.format
    );
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/zip"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(zip))
}
