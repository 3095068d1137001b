//! The feedback form after a date: behind a mailed single-use link, behind a date's printed QR code,
//! and for staff typing in paper forms.
use actix_web::{
    HttpRequest, HttpResponse,
    http::{StatusCode, header},
    web,
};
use chrono::Utc;

use crate::{
    domain::{
        FieldErrors,
        feedback::{COMPETENCE_AREAS, FeedbackInput},
        form::first_value,
        offer::Topic,
    },
    policy,
    services::{catalogue, feedback::FeedbackError, offer_admin},
    web::{
        errors::WebError,
        handlers::see_other,
        page::Page,
        throttling::{self, Subject},
    },
};

fn web_error(e: FeedbackError) -> WebError {
    match e {
        FeedbackError::NotFound | FeedbackError::NotYet => WebError::NotFound,
        FeedbackError::Db(e) => WebError::Database(e),
        other => WebError::Internal(other.into()),
    }
}

fn message(page: &Page, title_key: &str, text_key: &str) -> Result<HttpResponse, WebError> {
    page.message(title_key, text_key, "/", "feedback-home-link")
}

/// A message page answering with `status`, for a form that is not taken.
fn refusal(
    page: &Page,
    status: StatusCode,
    title_key: &str,
    text_key: &str,
) -> Result<HttpResponse, WebError> {
    let mut response = message(page, title_key, text_key)?;
    *response.status_mut() = status;
    Ok(response)
}

/// Why a printed code takes no form, told to the person; anything else is an error.
fn code_refusal(page: &Page, e: FeedbackError) -> Result<HttpResponse, WebError> {
    match e {
        FeedbackError::Expired => refusal(
            page,
            StatusCode::GONE,
            "feedback-expired-title",
            "feedback-expired-text",
        ),
        FeedbackError::Enough => refusal(
            page,
            StatusCode::CONFLICT,
            "feedback-enough-title",
            "feedback-enough-text",
        ),
        FeedbackError::Throttled => refusal(
            page,
            StatusCode::TOO_MANY_REQUESTS,
            "feedback-throttled-title",
            "feedback-throttled-text",
        ),
        other => Err(web_error(other)),
    }
}

/// Renders the form for `date_id`, posting to `action`, with the answers given so far.
async fn render_form(
    page: &Page,
    date_id: i32,
    action: &str,
    answers: &[(String, String)],
    errors: &FieldErrors,
    saved: Option<u64>,
) -> Result<HttpResponse, WebError> {
    let entry = catalogue::date(&page.state().db, date_id, Utc::now())
        .await?
        .ok_or(WebError::NotFound)?;
    let mut ctx = page.form_context();
    ctx.insert("entry", &entry);
    ctx.insert("action", action);
    ctx.insert("areas", &COMPETENCE_AREAS);
    ctx.insert(
        "topics",
        &Topic::ALL.iter().map(|t| t.key()).collect::<Vec<_>>(),
    );
    let value = |name: &str| first_value(answers, name).unwrap_or_default().to_owned();
    let answers_map: std::collections::HashMap<&str, String> = answers
        .iter()
        .filter(|(k, _)| k != "themen" && k != "csrf_token")
        .map(|(k, _)| (k.as_str(), value(k)))
        .collect();
    ctx.insert("answers", &answers_map);
    ctx.insert(
        "chosen_topics",
        &answers
            .iter()
            .filter(|(k, _)| k == "themen")
            .map(|(_, v)| v.as_str())
            .collect::<Vec<_>>(),
    );
    ctx.insert("saved", &saved);
    ctx.insert("paper", &action.starts_with("/verwaltung/"));
    page.render_form("feedback/form.html", ctx, errors)
}

pub async fn invited_form(page: Page, token: web::Path<String>) -> Result<HttpResponse, WebError> {
    match page.state().feedback_desk().invitation(&token).await {
        Ok(date_id) => {
            render_form(
                &page,
                date_id,
                &format!("/rueckmeldung/{token}"),
                &[],
                &FieldErrors::default(),
                None,
            )
            .await
        }
        Err(FeedbackError::AlreadyUsed) => {
            message(&page, "feedback-used-title", "feedback-used-text")
        }
        Err(e) => Err(web_error(e)),
    }
}

/// Where a taken feedback form leads (so that sending it again, or reloading, sends nothing twice).
const THANKS: &str = "/rueckmeldung/danke";

pub async fn thanks(page: Page) -> Result<HttpResponse, WebError> {
    message(&page, "feedback-thanks-title", "feedback-thanks-text")
}

pub async fn invited_submit(
    page: Page,
    token: web::Path<String>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, WebError> {
    let desk = page.state().feedback_desk();
    let date_id = match desk.invitation(&token).await {
        Ok(date_id) => date_id,
        Err(FeedbackError::AlreadyUsed) => {
            return message(&page, "feedback-used-title", "feedback-used-text");
        }
        Err(e) => return Err(web_error(e)),
    };
    let action = format!("/rueckmeldung/{token}");
    let input = match FeedbackInput::parse(&form) {
        Ok(input) => input,
        Err(errors) => return render_form(&page, date_id, &action, &form, &errors, None).await,
    };
    match desk.submit_invited(&token, input, Utc::now()).await {
        Ok(()) => Ok(see_other(THANKS)),
        Err(FeedbackError::AlreadyUsed) => {
            message(&page, "feedback-used-title", "feedback-used-text")
        }
        Err(e) => Err(web_error(e)),
    }
}

pub async fn code_form(
    page: Page,
    path: web::Path<(i32, String)>,
) -> Result<HttpResponse, WebError> {
    let (date_id, code) = path.into_inner();
    if let Err(e) = page
        .state()
        .feedback_desk()
        .date_for_code(date_id, &code, Utc::now())
        .await
    {
        return code_refusal(&page, e);
    }
    render_form(
        &page,
        date_id,
        &format!("/rueckmeldung/termin/{date_id}/{code}"),
        &[],
        &FieldErrors::default(),
        None,
    )
    .await
}

pub async fn code_submit(
    req: HttpRequest,
    page: Page,
    path: web::Path<(i32, String)>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, WebError> {
    let (date_id, code) = path.into_inner();
    let desk = page.state().feedback_desk();
    let action = format!("/rueckmeldung/termin/{date_id}/{code}");
    if let Err(e) = desk.date_taking_answers(date_id, &code, Utc::now()).await {
        return answers_refused(&page, date_id, &action, &form, e).await;
    }
    let input = match FeedbackInput::parse(&form) {
        Ok(input) => input,
        Err(errors) => return render_form(&page, date_id, &action, &form, &errors, None).await,
    };
    let buckets = throttling::buckets(&req, &page, Subject::default())?;
    match desk
        .submit_with_code(date_id, &code, input, Utc::now(), &buckets)
        .await
    {
        Ok(()) => Ok(see_other(THANKS)),
        Err(e) => answers_refused(&page, date_id, &action, &form, e).await,
    }
}

/// Answers the link no longer takes come back in the form with the reason on top, so whoever
/// typed them can still copy them (or send them again later when the limit was the cause).
async fn answers_refused(
    page: &Page,
    date_id: i32,
    action: &str,
    answers: &[(String, String)],
    e: FeedbackError,
) -> Result<HttpResponse, WebError> {
    let (status, reason) = match e {
        FeedbackError::Expired => (StatusCode::GONE, "feedback-expired-text"),
        FeedbackError::Enough => (StatusCode::CONFLICT, "feedback-enough-text"),
        FeedbackError::Throttled => (StatusCode::TOO_MANY_REQUESTS, "feedback-throttled-text"),
        other => return Err(web_error(other)),
    };
    let errors = FieldErrors::single("bewertung", reason);
    let mut response = render_form(page, date_id, action, answers, &errors, None).await?;
    *response.status_mut() = status;
    Ok(response)
}

async fn staff_date(page: &Page, id: i32) -> Result<(), WebError> {
    let user = page.require(policy::can_manage_offers)?;
    let scope = policy::managed_organisations(&user);
    offer_admin::date(&page.state().db, &scope, id).await?;
    Ok(())
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct PaperQuery {
    erfasst: String,
}

/// Staff type in paper forms one after another; the count of forms saved so far is shown.
pub async fn paper_form(
    page: Page,
    id: web::Path<i32>,
    query: web::Query<PaperQuery>,
) -> Result<HttpResponse, WebError> {
    staff_date(&page, *id).await?;
    render_form(
        &page,
        *id,
        &format!("/verwaltung/termine/{id}/rueckmeldungen"),
        &[],
        &FieldErrors::default(),
        query.erfasst.parse().ok(),
    )
    .await
}

pub async fn paper_submit(
    page: Page,
    id: web::Path<i32>,
    query: web::Query<PaperQuery>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, WebError> {
    staff_date(&page, *id).await?;
    let action = format!("/verwaltung/termine/{id}/rueckmeldungen");
    let input = match FeedbackInput::parse(&form) {
        Ok(input) => input,
        Err(errors) => return render_form(&page, *id, &action, &form, &errors, None).await,
    };
    match page
        .state()
        .feedback_desk()
        .submit_paper(*id, input, Utc::now())
        .await
    {
        Ok(()) => {}
        Err(FeedbackError::NotYet) => {
            let errors = FieldErrors::single("bewertung", "error-feedback-paper-not-yet");
            return render_form(&page, *id, &action, &form, &errors, None).await;
        }
        Err(e) => return Err(web_error(e)),
    }
    let saved = query.erfasst.parse::<u64>().unwrap_or(0) + 1;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("{action}?erfasst={saved}")))
        .finish())
}

/// A printable sheet with the date's QR code, for the end of a session.
pub async fn qr_sheet(page: Page, id: web::Path<i32>) -> Result<HttpResponse, WebError> {
    staff_date(&page, *id).await?;
    let code = page
        .state()
        .feedback_desk()
        .code_for(*id)
        .await
        .map_err(web_error)?;
    let base = page
        .state()
        .settings
        .base_url
        .as_str()
        .trim_end_matches('/');
    let link = format!("{base}/rueckmeldung/termin/{id}/{code}");
    let svg = qr_svg(&link, &page.t("feedback-qr-label"))?;
    let entry = catalogue::date(&page.state().db, *id, Utc::now())
        .await?
        .ok_or(WebError::NotFound)?;
    let mut ctx = page.context();
    ctx.insert("entry", &entry);
    ctx.insert("link", &link);
    ctx.insert("qr_svg", &svg);
    ctx.insert("date_id", &*id);
    page.render("feedback/qr.html", &ctx)
}

/// A QR code of `link` as inline SVG (no inline styles), labelled for screen readers.
pub fn qr_svg(link: &str, label: &str) -> Result<String, WebError> {
    let svg = qrcode::QrCode::new(link.as_bytes())
        .map_err(|e| WebError::Internal(anyhow::anyhow!("QR code: {e}")))?
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(240, 240)
        .quiet_zone(true)
        .build();
    // The renderer starts with an XML declaration, which has no place inside HTML.
    let label = label
        .replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;");
    Ok(svg
        .split_once("?>")
        .map_or(svg.as_str(), |(_, rest)| rest)
        .trim()
        .replacen(
            "<svg ",
            &format!("<svg role=\"img\" aria-label=\"{label}\" "),
            1,
        ))
}
