//! Kiosk terminals in the back office (admins only): list with usage counts, register (shows the
//! one-time pairing code), revoke. Every change is in the audit log.
use actix_web::{HttpResponse, http::header, web};
use chrono::Utc;
use serde::{Deserialize, Serialize};

use crate::{
    domain::FieldErrors,
    policy,
    services::{
        kiosk::{self, KioskError},
        venues,
    },
    web::{errors::WebError, page::Page},
};

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
pub struct TerminalForm {
    name: String,
    venue: String,
}

#[derive(Serialize)]
struct NewCode {
    code: String,
    expires_at: chrono::DateTime<Utc>,
    name: String,
}

async fn render(
    page: &Page,
    form: &TerminalForm,
    errors: &FieldErrors,
    new_code: Option<NewCode>,
) -> Result<HttpResponse, WebError> {
    let db = &page.state().db;
    let mut ctx = page.form_context();
    ctx.insert("terminals", &kiosk::list(db, Utc::now()).await?);
    ctx.insert("venues", &venues::choices(db).await?);
    ctx.insert("form", form);
    ctx.insert("new_code", &new_code);
    ctx.insert("actions", &kiosk::Action::ALL.map(|a| a.key()));
    page.render_form("admin/terminals.html", ctx, errors)
}

pub async fn list(page: Page) -> Result<HttpResponse, WebError> {
    page.require(policy::can_manage_terminals)?;
    render(
        &page,
        &TerminalForm::default(),
        &FieldErrors::default(),
        None,
    )
    .await
}

pub async fn register(page: Page, form: web::Form<TerminalForm>) -> Result<HttpResponse, WebError> {
    let user = page.require(policy::can_manage_terminals)?;
    let form = form.into_inner();
    match kiosk::register(
        &page.state().db,
        &form.name,
        &form.venue,
        Some(user.id),
        Utc::now(),
    )
    .await
    {
        Ok(registered) => {
            let new_code = NewCode {
                code: registered.code,
                expires_at: registered.expires_at,
                name: form.name.trim().to_owned(),
            };
            render(
                &page,
                &TerminalForm::default(),
                &FieldErrors::default(),
                Some(new_code),
            )
            .await
        }
        Err(KioskError::Field { field, message }) => {
            let mut errors = FieldErrors::default();
            errors.add(field, message);
            render(&page, &form, &errors, None).await
        }
        Err(KioskError::NotFound) => Err(WebError::NotFound),
        Err(KioskError::Db(e)) => Err(WebError::Database(e)),
    }
}

pub async fn revoke(page: Page, id: web::Path<i32>) -> Result<HttpResponse, WebError> {
    let user = page.require(policy::can_manage_terminals)?;
    match kiosk::revoke(&page.state().db, *id, Some(user.id), Utc::now()).await {
        Ok(()) => Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, "/verwaltung/terminals"))
            .finish()),
        Err(KioskError::NotFound) => Err(WebError::NotFound),
        Err(KioskError::Db(e)) => Err(WebError::Database(e)),
        Err(e @ KioskError::Field { .. }) => Err(WebError::Internal(e.into())),
    }
}
