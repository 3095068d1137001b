//! "Mein Konto": what is stored about me, download it, delete the account.
use actix_web::{HttpRequest, HttpResponse, http::header, web};
use chrono::Utc;
use serde::{Deserialize, Serialize};

use crate::{
    domain::{Email, FieldErrors, Language, account::CurrentUser},
    policy,
    services::{
        accounts::{self, AccountError, PURPOSE_CHANGE_EMAIL},
        admin, audit, own_bookings, own_proposals,
    },
    web::{
        errors::WebError,
        handlers::auth::{composer, invalid_link},
        notice::{Done, see_other_done},
        page::Page,
        throttling::{self, Refused, Subject},
    },
};

pub async fn overview(page: Page) -> Result<HttpResponse, WebError> {
    let user = page.require(policy::can_use_account)?;
    let db = &page.state().db;
    let bookings = own_bookings::of_user(db, &page.state().sealer, user.id, Utc::now()).await?;
    let proposals = own_proposals::of_user(db, user.id).await?;
    let alerts = page
        .state()
        .alert_desk()
        .of_user(user.id, &user.email, page.language)
        .await?;
    let mut ctx = page.form_context();
    ctx.insert("bookings", &bookings);
    ctx.insert("proposals", &proposals);
    ctx.insert("alerts", &alerts);
    ctx.insert(
        "mail_language",
        accounts::mail_language(db, user.id)
            .await?
            .unwrap_or(page.language)
            .code(),
    );
    ctx.insert(
        "mail_languages",
        &Language::FOR_MAIL.map(|l| l.code()).to_vec(),
    );
    page.render("account/overview.html", &ctx)
}

#[derive(Deserialize)]
pub struct LanguageForm {
    #[serde(default)]
    sprache: String,
}

/// The language of the person's mails, chosen once on the account page. Choosing English or German
/// also switches the pages; Leichte Sprache has its own pages, so the pages stay in German.
pub async fn set_language(
    page: Page,
    form: web::Form<LanguageForm>,
) -> Result<HttpResponse, WebError> {
    let user = page.require(policy::can_use_account)?;
    // The form only offers the three; anything else keeps what was stored.
    let Some(language) = Language::from_code(&form.sprache)
        .filter(|l| Language::FOR_MAIL.contains(l) && !form.sprache.is_empty())
    else {
        return Ok(see_other_done(
            "/konto#mail-sprache",
            Done::MailLanguageSaved,
        ));
    };
    accounts::set_mail_language(&page.state().db, user.id, language).await?;
    let location = match Language::interface_from_code(language.code()) {
        Some(interface) => format!("/konto?lang={}#mail-sprache", interface.code()),
        None => "/konto#mail-sprache".to_owned(),
    };
    Ok(see_other_done(&location, Done::MailLanguageSaved))
}

/// The GDPR download (Art. 15 and 20): everything stored about the person, as JSON.
pub async fn download(page: Page) -> Result<HttpResponse, WebError> {
    let user = page.require(policy::can_use_account)?;
    let data = accounts::export(&page.state().db, &page.state().pseudonyms, user.id).await?;
    audit::record(
        &page.state().db,
        Some(user.id),
        "account.data_exported",
        &format!("user:{}", user.id),
        "",
    )
    .await?;
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
    let user = page.require(policy::can_use_account)?;
    delete_page(&page, &user).await
}

async fn delete_page(page: &Page, user: &CurrentUser) -> Result<HttpResponse, WebError> {
    let db = &page.state().db;
    let mut ctx = page.form_context();
    ctx.insert(
        "upcoming_bookings",
        &accounts::bookings_cancelled_on_deletion(db, user, Utc::now()).await?,
    );
    ctx.insert(
        "last_administrator",
        &admin::is_last_administrator(db, user.id).await?,
    );
    page.render("account/delete.html", &ctx)
}

pub async fn delete(page: Page) -> Result<HttpResponse, WebError> {
    let user = page.require(policy::can_use_account)?;
    match accounts::delete_account(
        &page.state().booking_desk(),
        &page.state().volunteer_sign_up(),
        &page.state().pseudonyms,
        user.id,
        Utc::now(),
    )
    .await
    {
        Ok(()) => {}
        Err(accounts::DeletionError::LastAdministrator) => {
            let mut response = delete_page(&page, &user).await?;
            *response.status_mut() = actix_web::http::StatusCode::CONFLICT;
            return Ok(response);
        }
        Err(accounts::DeletionError::Db(e)) => return Err(e.into()),
    }
    page.session().log_out();
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/konto/geloescht"))
        .finish())
}

pub async fn deleted(page: Page) -> Result<HttpResponse, WebError> {
    page.message(
        "account-deleted-title",
        "account-deleted-text",
        "/",
        "error-home-link",
    )
}

#[derive(Deserialize, Serialize, Default)]
pub struct EmailForm {
    #[serde(default)]
    email: String,
    #[serde(default, skip_serializing)]
    password: String,
}

const EMAIL_PAGE: &str = "account/email.html";

pub async fn email_form(page: Page) -> Result<HttpResponse, WebError> {
    page.require(policy::can_use_account)?;
    page.render_form_values(EMAIL_PAGE, &EmailForm::default(), &FieldErrors::default())
}

pub async fn change_email(
    req: HttpRequest,
    page: Page,
    form: web::Form<EmailForm>,
) -> Result<HttpResponse, WebError> {
    let user = page.require(policy::can_use_account)?;
    let form = form.into_inner();
    let mut errors = FieldErrors::default();
    let email = errors
        .check("email", Email::parse(&form.email))
        .filter(|email| {
            let unchanged = Email::parse(&user.email).is_ok_and(|current| current == *email);
            if unchanged {
                errors.add("email", "error-email-unchanged");
            }
            !unchanged
        });
    if form.password.is_empty() {
        errors.add("password", "error-password-missing");
    }
    let Some(email) = email.filter(|_| errors.is_empty()) else {
        return page.render_form_values(EMAIL_PAGE, &form, &errors);
    };
    if let Err(refused) = throttling::take(&req, &page, Subject::default()).await? {
        return Refused::answer(page.render_form_values(EMAIL_PAGE, &form, &refused.errors));
    }
    match accounts::request_email_change(
        &page.state().db,
        &composer(&page),
        page.language,
        &user,
        &email,
        &form.password,
    )
    .await
    {
        Ok(()) => page.message(
            "email-change-sent-title",
            "email-change-sent-text",
            "/konto",
            "account-title",
        ),
        Err(AccountError::InvalidCredentials | AccountError::NotVerified) => {
            errors.add("password", "error-password-wrong");
            page.render_form_values(EMAIL_PAGE, &form, &errors)
        }
        Err(e) => Err(WebError::Internal(anyhow::Error::new(e))),
    }
}

#[derive(Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

pub async fn confirm_email_form(
    page: Page,
    query: web::Query<TokenQuery>,
) -> Result<HttpResponse, WebError> {
    if !accounts::token_is_valid(&page.state().db, &query.token, PURPOSE_CHANGE_EMAIL).await? {
        return invalid_link(&page, "/konto", "account-title");
    }
    let mut ctx = page.form_context();
    ctx.insert("token", &query.token);
    page.render("account/email_confirm.html", &ctx)
}

pub async fn confirm_email(
    page: Page,
    form: web::Form<TokenQuery>,
) -> Result<HttpResponse, WebError> {
    let state = page.state();
    match accounts::confirm_email_change(
        &state.db,
        &state.pseudonyms,
        &state.proposal_desk(),
        &form.token,
    )
    .await
    {
        Ok(_) => page.message(
            "email-changed-title",
            "email-changed-text",
            "/konto",
            "account-title",
        ),
        Err(AccountError::InvalidToken) => invalid_link(&page, "/konto", "account-title"),
        Err(AccountError::AddressTaken) => page.message(
            "email-taken-title",
            "error-email-taken",
            "/konto",
            "account-title",
        ),
        Err(e) => Err(WebError::Internal(anyhow::Error::new(e))),
    }
}
