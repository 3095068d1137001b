//! "Barriere melden": the accessibility feedback form, reachable from every page.
use actix_web::{HttpRequest, HttpResponse, http::header, web};
use serde::{Deserialize, Serialize};

use crate::{
    domain::{FieldErrors, barrier_report::NewBarrierReport},
    services::barrier_reports,
    web::{
        errors::WebError,
        page::Page,
        spam,
        throttling::{self, Refused, Subject},
    },
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

const FORM_PAGE: &str = "barrier_report/form.html";

pub async fn form(page: Page, prefill: web::Query<Prefill>) -> Result<HttpResponse, WebError> {
    let form = BarrierForm {
        page: prefill.into_inner().seite,
        ..BarrierForm::default()
    };
    page.render_form_values(FORM_PAGE, &form, &FieldErrors::default())
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
    if spam::caught_in_honeypot(&form.website, "barrier report") {
        return Ok(thanks_redirect());
    }
    let db = &page.state().db;
    match NewBarrierReport::parse(
        &form.page,
        &form.description,
        &form.contact_name,
        &form.contact_email,
    ) {
        Ok(report) => {
            if let Err(refused) = throttling::take(&req, &page, Subject::default()).await? {
                return Refused::answer(page.render_form_values(FORM_PAGE, &form, &refused.errors));
            }
            barrier_reports::submit(db, report, page.language).await?;
            Ok(thanks_redirect())
        }
        Err(errors) => page.render_form_values(FORM_PAGE, &form, &errors),
    }
}

pub async fn thanks(page: Page) -> Result<HttpResponse, WebError> {
    page.render("barrier_report/thanks.html", &page.context())
}
