//! "Mein Konto": what is stored about me, download it, delete the account.
use actix_web::{HttpResponse, http::header};

use crate::{
    policy,
    services::accounts,
    web::{errors::WebError, handlers::auth::message, page::Page},
};

pub async fn overview(page: Page) -> Result<HttpResponse, WebError> {
    page.require(policy::can_use_account)?;
    let ctx = page.context();
    page.render("account/overview.html", &ctx)
}

/// The GDPR download (Art. 15 and 20): everything stored about the person, as JSON.
pub async fn download(page: Page) -> Result<HttpResponse, WebError> {
    let user = page.require(policy::can_use_account)?;
    let data = accounts::export(&page.state().db, user.id).await?;
    let body = serde_json::to_string_pretty(&data).map_err(|e| WebError::Internal(e.into()))?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/json; charset=utf-8"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"teilhabe-meine-daten.json\"",
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body))
}

pub async fn delete_form(page: Page) -> Result<HttpResponse, WebError> {
    page.require(policy::can_use_account)?;
    page.render("account/delete.html", &page.form_context())
}

pub async fn delete(page: Page) -> Result<HttpResponse, WebError> {
    let user = page.require(policy::can_use_account)?;
    accounts::delete_account(&page.state().db, user.id).await?;
    page.session().log_out();
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/konto/geloescht"))
        .finish())
}

pub async fn deleted(page: Page) -> Result<HttpResponse, WebError> {
    message(
        &page,
        "account-deleted-title",
        "account-deleted-text",
        "/",
        "error-home-link",
    )
}
