//! The FSJ-Digital volunteers' own pages: "Meine Einsätze", open sessions to sign up for, the
//! private calendar feed and the monthly hours summary.
use actix_web::{HttpResponse, http::header, web};
use chrono::Utc;
use serde::Deserialize;

use super::hours::{MonthQuery, month_csv, render_month_sheet};
use crate::{
    domain::{DistrictKey, FieldErrors, account::CurrentUser},
    policy,
    services::volunteering::VolunteeringError,
    web::{
        errors::WebError,
        handlers::{proposals::district_options, see_other},
        page::Page,
    },
};

fn volunteer(page: &Page) -> Result<CurrentUser, WebError> {
    page.require(policy::can_volunteer)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct MineQuery {
    /// Set after a sign-up or withdrawal, to say what happened.
    status: String,
}

async fn mine_page(
    page: &Page,
    user: &CurrentUser,
    status: &str,
    feed_url: Option<String>,
) -> Result<HttpResponse, WebError> {
    let now = Utc::now();
    let (upcoming, past): (Vec<_>, Vec<_>) = page
        .state()
        .volunteer_sign_up()
        .mine(user.id)
        .await?
        .into_iter()
        .partition(|s| s.ends_at > now);
    let mut ctx = page.form_context();
    ctx.insert("upcoming", &upcoming);
    ctx.insert("past", &past.into_iter().rev().collect::<Vec<_>>());
    ctx.insert(
        "has_feed",
        &page.state().volunteer_feeds().has_feed(user.id).await?,
    );
    ctx.insert("feed_url", &feed_url);
    let known = [
        "angemeldet",
        "abgemeldet",
        "abgemeldet-spaet",
        "kalender-gesperrt",
    ];
    ctx.insert("status", &known.contains(&status).then_some(status));
    page.render("volunteering/mine.html", &ctx)
}

pub async fn mine(page: Page, query: web::Query<MineQuery>) -> Result<HttpResponse, WebError> {
    let user = volunteer(&page)?;
    mine_page(&page, &user, &query.status, None).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct OpenQuery {
    kreis: String,
}

async fn open_page(
    page: &Page,
    user: &CurrentUser,
    kreis: &str,
    errors: &FieldErrors,
) -> Result<HttpResponse, WebError> {
    let mut errors = errors.clone();
    let district = match kreis.trim() {
        "" => None,
        raw => errors.check("kreis", DistrictKey::parse(raw)),
    };
    let shifts = page
        .state()
        .volunteer_sign_up()
        .open(
            district.as_ref().map(DistrictKey::as_str),
            user.id,
            Utc::now(),
        )
        .await?;
    let mut ctx = page.form_context();
    ctx.insert("shifts", &shifts);
    ctx.insert("districts", &district_options(page).await?);
    ctx.insert("kreis", kreis);
    page.render_form("volunteering/open.html", ctx, &errors)
}

pub async fn open(page: Page, query: web::Query<OpenQuery>) -> Result<HttpResponse, WebError> {
    let user = volunteer(&page)?;
    open_page(&page, &user, &query.kreis, &FieldErrors::default()).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SignUpForm {
    /// The district filter of the list the button was on, to show the same list after a refusal.
    kreis: String,
}

pub async fn sign_up(
    page: Page,
    id: web::Path<i32>,
    form: web::Form<SignUpForm>,
) -> Result<HttpResponse, WebError> {
    let user = volunteer(&page)?;
    match page
        .state()
        .volunteer_sign_up()
        .sign_up(*id, user.id, Utc::now())
        .await
    {
        Ok(()) => Ok(see_other("/freiwillige?status=angemeldet")),
        Err(VolunteeringError::Refused(reason)) => {
            let mut response = open_page(
                &page,
                &user,
                &form.kreis,
                &FieldErrors::single("einsaetze", reason),
            )
            .await?;
            *response.status_mut() = actix_web::http::StatusCode::CONFLICT;
            Ok(response)
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn withdraw(page: Page, id: web::Path<i32>) -> Result<HttpResponse, WebError> {
    let user = volunteer(&page)?;
    match page
        .state()
        .volunteer_sign_up()
        .withdraw(*id, user.id, Utc::now())
        .await
    {
        Ok(false) => Ok(see_other("/freiwillige?status=abgemeldet")),
        Ok(true) => Ok(see_other("/freiwillige?status=abgemeldet-spaet")),
        Err(VolunteeringError::Refused(reason)) => {
            let mut response = page.message(
                "volunteer-withdraw-refused",
                reason,
                "/freiwillige",
                "volunteer-back-to-mine",
            )?;
            *response.status_mut() = actix_web::http::StatusCode::CONFLICT;
            Ok(response)
        }
        Err(e) => Err(e.into()),
    }
}

/// A new secret feed address, shown once on the page; the previous address stops working.
pub async fn renew_feed(page: Page) -> Result<HttpResponse, WebError> {
    let user = volunteer(&page)?;
    let token = page
        .state()
        .volunteer_feeds()
        .renew_feed(user.id, Utc::now())
        .await?
        .ok_or(WebError::Forbidden)?;
    let url = format!(
        "{}/freiwillige/kalender/{token}.ics",
        page.state()
            .settings
            .base_url
            .as_str()
            .trim_end_matches('/')
    );
    let mut response = mine_page(&page, &user, "", Some(url)).await?;
    // The address is a secret: no cache may keep the page that shows it.
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

pub async fn revoke_feed(page: Page) -> Result<HttpResponse, WebError> {
    let user = volunteer(&page)?;
    page.state().volunteer_feeds().revoke_feed(user.id).await?;
    Ok(see_other("/freiwillige?status=kalender-gesperrt"))
}

/// The private feed: whoever has the address sees the volunteer's sessions, so it is revocable.
pub async fn feed(page: Page, token: web::Path<String>) -> Result<HttpResponse, WebError> {
    let token = token.trim_end_matches(".ics");
    match page
        .state()
        .volunteer_feeds()
        .feed(token, Utc::now())
        .await?
    {
        Some(body) => Ok(HttpResponse::Ok()
            .content_type("text/calendar; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "private, no-store"))
            .body(body)),
        None => Err(WebError::NotFound),
    }
}

/// The volunteer's own approved hours of a month, across organisations, printable.
pub async fn hours(page: Page, query: web::Query<MonthQuery>) -> Result<HttpResponse, WebError> {
    let user = volunteer(&page)?;
    render_month_sheet(&page, &None, user.id, &query, true).await
}

pub async fn hours_csv(
    page: Page,
    query: web::Query<MonthQuery>,
) -> Result<HttpResponse, WebError> {
    let user = volunteer(&page)?;
    month_csv(&page, &None, Some(user.id), &query).await
}
