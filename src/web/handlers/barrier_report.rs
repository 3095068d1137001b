//! "Barriere melden": the accessibility feedback form, reachable from every page.
use actix_web::{HttpRequest, HttpResponse, http::header, web};
use serde::{Deserialize, Serialize};

use crate::{
    domain::{FieldErrors, barrier_report::NewBarrierReport},
    services::{barrier_reports, throttle},
    web::{errors::WebError, page::Page, spam::client_address},
};

#[derive(Deserialize)]
pub struct Prefill {
    #[serde(default)]
    seite: String,
}

#[derive(Deserialize, Serialize, Default)]
pub struct BarrierForm {
    #[serde(default)]
    page: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    contact_name: String,
    #[serde(default)]
    contact_email: String,
    /// Honeypot: hidden from people, filled in by bots.
    #[serde(default, skip_serializing)]
    website: String,
}

fn render_form(
    page: &Page,
    form: &BarrierForm,
    errors: &FieldErrors,
) -> Result<HttpResponse, WebError> {
    let mut ctx = page.form_context();
    ctx.insert("form", form);
    page.render_form("barrier_report/form.html", ctx, errors)
}

pub async fn form(page: Page, prefill: web::Query<Prefill>) -> Result<HttpResponse, WebError> {
    let form = BarrierForm {
        page: prefill.into_inner().seite,
        ..BarrierForm::default()
    };
    render_form(&page, &form, &FieldErrors::default())
}

fn thanks_redirect() -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/barriere-melden/danke"))
        .finish()
}

pub async fn submit(
    req: HttpRequest,
    page: Page,
    form: web::Form<BarrierForm>,
) -> Result<HttpResponse, WebError> {
    let form = form.into_inner();
    if !form.website.is_empty() {
        tracing::info!("barrier report honeypot filled; ignored");
        return Ok(thanks_redirect());
    }
    let db = &page.state().db;
    let mut errors = FieldErrors::default();
    match NewBarrierReport::parse(
        &form.page,
        &form.description,
        &form.contact_name,
        &form.contact_email,
    ) {
        Ok(report) => {
            let bucket = throttle::bucket("report-address", &client_address(&req));
            if page.state().settings.rate_limits
                && throttle::take(db, &[(&bucket, throttle::REPORT_PER_ADDRESS)])
                    .await?
                    .is_some()
            {
                errors.add("description", "error-throttled");
                let mut response = render_form(&page, &form, &errors)?;
                *response.status_mut() = actix_web::http::StatusCode::TOO_MANY_REQUESTS;
                return Ok(response);
            }
            barrier_reports::submit(db, report, page.language).await?;
            Ok(thanks_redirect())
        }
        Err(errors) => render_form(&page, &form, &errors),
    }
}

pub async fn thanks(page: Page) -> Result<HttpResponse, WebError> {
    page.render("barrier_report/thanks.html", &page.context())
}
