//! "Barriere melden": the accessibility feedback form, reachable from every page.
use actix_web::{HttpResponse, http::header, web};
use serde::{Deserialize, Serialize};

use crate::{
    domain::{FieldErrors, barrier_report::NewBarrierReport},
    services::barrier_reports,
    web::{errors::WebError, page::Page},
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
}

fn render_form(
    page: &Page,
    form: &BarrierForm,
    errors: &FieldErrors,
) -> Result<HttpResponse, WebError> {
    let mut ctx = page.form_context();
    ctx.insert("form", form);
    Page::insert_errors(&mut ctx, errors);
    let mut response = page.render("barrier_report/form.html", &ctx)?;
    if !errors.is_empty() {
        *response.status_mut() = actix_web::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(response)
}

pub async fn form(page: Page, prefill: web::Query<Prefill>) -> Result<HttpResponse, WebError> {
    let form = BarrierForm {
        page: prefill.into_inner().seite,
        ..BarrierForm::default()
    };
    render_form(&page, &form, &FieldErrors::default())
}

pub async fn submit(page: Page, form: web::Form<BarrierForm>) -> Result<HttpResponse, WebError> {
    let form = form.into_inner();
    match NewBarrierReport::parse(
        &form.page,
        &form.description,
        &form.contact_name,
        &form.contact_email,
    ) {
        Ok(report) => {
            barrier_reports::submit(&page.state().db, report, page.language).await?;
            Ok(HttpResponse::SeeOther()
                .insert_header((header::LOCATION, "/barriere-melden/danke"))
                .finish())
        }
        Err(errors) => render_form(&page, &form, &errors),
    }
}

pub async fn thanks(page: Page) -> Result<HttpResponse, WebError> {
    page.render("barrier_report/thanks.html", &page.context())
}
