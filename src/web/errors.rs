//! Errors of the web layer. The browser gets a helpful page in the layout; the log gets the cause.
use actix_web::{
    HttpMessage, HttpRequest, HttpResponse, ResponseError,
    body::MessageBody,
    dev::ServiceResponse,
    http::{StatusCode, header},
    middleware::ErrorHandlerResponse,
};

use super::{access_log::RequestId, page::Page};
use crate::db::{DbFailure, classify};

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("not found")]
    NotFound,
    /// Anonymous visitor on a page that needs an account; carries the page to return to.
    #[error("login required")]
    LoginRequired(String),
    #[error("forbidden")]
    Forbidden,
    /// The same form is still being handled by a first submission, which may still succeed.
    #[error("the same form is still being handled")]
    StillHandled,
    #[error("database: {0}")]
    Database(#[from] sea_orm::DbErr),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ResponseError for WebError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::LoginRequired(_) => StatusCode::SEE_OTHER,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::StillHandled => StatusCode::CONFLICT,
            Self::Database(e) => status_of(e),
            Self::Internal(e) => {
                database_cause(e).map_or(StatusCode::INTERNAL_SERVER_ERROR, status_of)
            }
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::LoginRequired(back) => {
                let query =
                    serde_urlencoded::to_string([("weiter", back.as_str())]).unwrap_or_default();
                return HttpResponse::SeeOther()
                    .insert_header((header::LOCATION, format!("/anmelden?{query}")))
                    .finish();
            }
            Self::StillHandled => return answer(self.status_code(), Some(Reason::StillHandled)),
            Self::NotFound | Self::Forbidden => {}
            Self::Database(e) => return database_error_response(e, e),
            // Logged with what the service was doing ("cancelling a booking: …").
            Self::Internal(e) => match database_cause(e) {
                Some(db) => return database_error_response(db, &format!("{e:#}")),
                None => tracing::error!(error = ?e, "internal error"),
            },
        }
        // The body is replaced by `render_error_page` with a page in the user's language.
        HttpResponse::build(self.status_code()).finish()
    }
}

/// How many seconds to wait before trying again (`Retry-After`), for the pages and the API: a
/// change held elsewhere is waited out in a minute, a restart or failover takes a minute or two.
pub(crate) fn retry_after_seconds(class: DbFailure) -> Option<u32> {
    match class {
        DbFailure::Busy => Some(60),
        DbFailure::Unavailable => Some(120),
        DbFailure::Conflict | DbFailure::Fault => None,
    }
}

/// The answer to a database error `e`, logged as `logged` (the error with its context).
fn database_error_response(e: &sea_orm::DbErr, logged: &dyn std::fmt::Display) -> HttpResponse {
    let class = classify(e);
    match class {
        DbFailure::Unavailable => tracing::warn!(error = %logged, "database unavailable"),
        DbFailure::Busy => {
            tracing::warn!(error = %logged, "gave up waiting for a change held elsewhere")
        }
        DbFailure::Conflict => {
            tracing::warn!(error = %logged, "change refused: a constraint or a concurrent change")
        }
        DbFailure::Fault => tracing::error!(error = %logged, "database error"),
    }
    let mut res = HttpResponse::build(status_of(e));
    if let Some(seconds) = retry_after_seconds(class) {
        res.insert_header((header::RETRY_AFTER, seconds));
    }
    let mut res = res.finish();
    if class == DbFailure::Busy {
        set_reason(&mut res, Reason::DatabaseBusy);
    }
    res
}

/// The database error behind a service's error (`BookingError::Db`, `ProposalError::Db`, …) that a
/// handler passed on as internal: an outage or a conflict is answered as such, not as our fault.
fn database_cause(e: &anyhow::Error) -> Option<&sea_orm::DbErr> {
    e.chain()
        .find_map(|cause| cause.downcast_ref::<sea_orm::DbErr>())
}

fn status_of(e: &sea_orm::DbErr) -> StatusCode {
    match classify(e) {
        DbFailure::Unavailable | DbFailure::Busy => StatusCode::SERVICE_UNAVAILABLE,
        DbFailure::Conflict => StatusCode::CONFLICT,
        DbFailure::Fault => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// Why an error answer was given, where its status alone does not tell the page's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reason {
    /// A form sent again while its first submission is still being handled: the page must not say
    /// that nothing was saved (the first one may yet be), or people send a new form and book twice.
    StillHandled,
    /// A change held elsewhere for longer than a writer waits: not maintenance, and nothing to
    /// reload; in a minute it works.
    DatabaseBusy,
    /// The request was carried out, but its sign-in or sign-out could not be kept: the page must not
    /// say that nothing was saved.
    SessionNotSaved,
    /// A form without our form token: stale, or sent from elsewhere.
    FormNotOurs,
}

/// An error answer with the status and, where the status alone does not tell, why; its page comes
/// from [`error_page`] (or `render_error_page`).
pub(crate) fn answer(status: StatusCode, reason: Option<Reason>) -> HttpResponse {
    let mut res = HttpResponse::build(status).finish();
    if let Some(reason) = reason {
        set_reason(&mut res, reason);
    }
    res
}

/// Says why the error answer `res` was given, for its page's text (replacing any reason before).
pub(crate) fn set_reason(res: &mut HttpResponse, reason: Reason) {
    res.extensions_mut().insert(reason);
}

fn message_keys(
    status: StatusCode,
    reason: Option<Reason>,
    on_kiosk: bool,
) -> (&'static str, &'static str) {
    match (status.as_u16(), reason) {
        // A kiosk terminal has no account and no mailbox to look in; the staff can look.
        (409, Some(Reason::StillHandled)) if on_kiosk => (
            "error-still-handled-title",
            "error-still-handled-kiosk-text",
        ),
        (409, Some(Reason::StillHandled)) => {
            ("error-still-handled-title", "error-still-handled-text")
        }
        (503, Some(Reason::DatabaseBusy)) => ("error-busy-title", "error-busy-text"),
        (_, Some(Reason::SessionNotSaved)) => ("error-session-title", "error-session-text"),
        (_, Some(Reason::FormNotOurs)) => ("error-csrf-title", "error-csrf-text"),
        (400, _) => ("error-400-title", "error-400-text"),
        (403, _) => ("error-403-title", "error-403-text"),
        (404, _) => ("error-404-title", "error-404-text"),
        (405, _) => ("error-405-title", "error-405-text"),
        (409, _) => ("error-409-title", "error-409-text"),
        (413, _) => ("error-413-title", "error-413-text"),
        (429, _) => ("error-429-title", "error-429-text"),
        (503, _) => ("error-503-title", "error-503-text"),
        (s, _) if s < 500 => ("error-400-title", "error-400-text"),
        _ => ("error-500-title", "error-500-text"),
    }
}

/// Gives every 4xx/5xx response that is not already a page of ours the error page in the layout.
pub fn render_error_page<B: MessageBody>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let already_rendered = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("text/html") || ct.starts_with("application/json"));
    if already_rendered {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let (req, original) = res.into_parts();
    let page = error_page(&req, &original);
    let res = ServiceResponse::new(req, page);
    Ok(ErrorHandlerResponse::Response(res.map_into_right_body()))
}

/// What a person typed into a form whose request failed (the form expired with the session, the
/// database was busy or away): the error page shows it, so that a long text does not go with the
/// form (form pages are not kept by the browser). Only typed text, with a letter and a space: no
/// passwords, tokens, ids, stamps or single words, which are quickly typed again.
#[derive(Clone, Debug, PartialEq)]
struct TypedText(Vec<String>);

impl TypedText {
    fn from_form(pairs: &[(String, String)]) -> Option<Self> {
        let technical = |name: &str| {
            crate::domain::text::is_verbatim_field(name)
                || name.contains("token")
                || name == super::submission::FIELD
                || matches!(name, "website" | "seen" | "answer_seen" | "weiter")
        };
        let typed = |value: &str| {
            let value = value.trim();
            value.chars().any(char::is_alphabetic) && value.chars().any(char::is_whitespace)
        };
        let kept: Vec<String> = pairs
            .iter()
            .filter(|(name, value)| !technical(name) && typed(value))
            // As the handler would have read it: no control or bidi characters.
            .map(|(name, value)| {
                let cleaned = crate::domain::text::clean_form_value(name, value);
                cleaned.as_deref().unwrap_or(value).trim().to_owned()
            })
            .collect();
        (!kept.is_empty()).then_some(Self(kept))
    }
}

/// The body of a form sent with the portal's cookies, kept for its error page (a reference to the
/// bytes already read): the typed text is read from it only when the request fails, not for every
/// form sent.
#[derive(Clone)]
pub struct PostedForm(pub actix_web::web::Bytes);

impl PostedForm {
    fn typed_text(&self) -> Option<TypedText> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&self.0).ok()?;
        TypedText::from_form(&pairs)
    }
}

/// The error page in the layout for the error answer `original` to `req`, with the headers that
/// say when to try again and which methods are allowed. For middleware outside the error
/// handlers (the session's).
pub fn error_page<B>(req: &HttpRequest, original: &HttpResponse<B>) -> HttpResponse {
    let status = original.status();
    let reason = original.extensions().get::<Reason>().copied();
    let on_kiosk = super::handlers::kiosk::is_kiosk_path(req.path());
    let html = Page::from_request(req).and_then(|page| {
        let (title, text) = message_keys(status, reason, on_kiosk);
        let mut ctx = page.context();
        ctx.insert("status", &status.as_u16());
        ctx.insert("title_key", title);
        ctx.insert("text_key", text);
        // With this number, support finds the cause in the log.
        if status.is_server_error()
            && let Some(id) = req.extensions().get::<RequestId>()
        {
            ctx.insert("request_id", &id.0);
        }
        // Not on a kiosk terminal: what a walk-in person typed must not stay on its screen. Nor
        // where the form went through or may yet: copying it to send again would send it twice.
        let handled = matches!(reason, Some(Reason::StillHandled | Reason::SessionNotSaved));
        if !on_kiosk
            && !handled
            && let Some(typed) = req
                .extensions()
                .get::<PostedForm>()
                .and_then(PostedForm::typed_text)
        {
            ctx.insert("typed", &typed.0);
        }
        // Error pages on a kiosk terminal stay in the kiosk layout (no sign-in link).
        if on_kiosk {
            ctx.insert("idle_seconds", &page.state().settings.kiosk_idle.as_secs());
            page.render_to_string("kiosk/error.html", &ctx)
        } else {
            page.render_to_string("error.html", &ctx)
        }
    });
    let body = match html {
        Ok(html) => html,
        Err(e) => {
            tracing::error!(error = %e, "error page could not be rendered");
            format!(
                "<!DOCTYPE html><html lang=\"de\"><title>Fehler {0}</title><h1>Fehler {0}</h1></html>",
                status.as_u16()
            )
        }
    };
    let mut response = HttpResponse::build(status);
    response.insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"));
    for name in [header::RETRY_AFTER, header::ALLOW] {
        if let Some(value) = original.headers().get(&name) {
            response.insert_header((name, value.clone()));
        }
    }
    response.body(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_typed_text_is_shown_again() {
        let pairs = |list: &[(&str, &str)]| -> Vec<(String, String)> {
            list.iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect()
        };
        let typed = TypedText::from_form(&pairs(&[
            ("csrf_token", "abc def"),
            ("einreichung", "x y"),
            ("password", "mein geheimes Passwort"),
            ("seen", "2026-12-07 10:00"),
            ("title", "Schnelles Internet"),
            ("text", "  Im Dorf fehlt\nschnelles Internet.  "),
            ("district", "16053"),
            ("email", "erika@example.de"),
        ]));
        assert_eq!(
            typed,
            Some(TypedText(vec![
                "Schnelles Internet".into(),
                "Im Dorf fehlt\nschnelles Internet.".into()
            ]))
        );
        assert_eq!(TypedText::from_form(&pairs(&[("places", "2")])), None);
    }

    #[test]
    fn a_form_still_handled_on_a_kiosk_points_to_the_staff_not_to_an_account() {
        let handled = Some(Reason::StillHandled);
        let (_, text) = message_keys(StatusCode::CONFLICT, handled, true);
        assert_eq!(text, "error-still-handled-kiosk-text");
        let (_, text) = message_keys(StatusCode::CONFLICT, handled, false);
        assert_eq!(text, "error-still-handled-text");
        let (_, text) = message_keys(StatusCode::CONFLICT, None, true);
        assert_eq!(text, "error-409-text");
    }

    #[test]
    fn a_wait_given_up_is_not_called_maintenance() {
        let busy = Some(Reason::DatabaseBusy);
        assert_eq!(
            message_keys(StatusCode::SERVICE_UNAVAILABLE, busy, false),
            ("error-busy-title", "error-busy-text")
        );
        assert_eq!(
            message_keys(StatusCode::SERVICE_UNAVAILABLE, None, false),
            ("error-503-title", "error-503-text")
        );
    }
}
