//! Errors of the web layer. The browser gets a helpful page in the layout; the log gets the cause.
use actix_web::{
    HttpMessage, HttpResponse, ResponseError,
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
    Busy,
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
            Self::Busy => StatusCode::CONFLICT,
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
            Self::Busy => {
                let mut res = HttpResponse::build(self.status_code()).finish();
                res.extensions_mut().insert(StillHandled);
                return res;
            }
            Self::NotFound | Self::Forbidden => {}
            Self::Database(e) => log_database_error(e),
            Self::Internal(e) => match database_cause(e) {
                Some(db) => log_database_error(db),
                None => tracing::error!(error = ?e, "internal error"),
            },
        }
        // The body is replaced by `render_error_page` with a page in the user's language.
        HttpResponse::build(self.status_code()).finish()
    }
}

/// The database error behind a service's error (`BookingError::Db`, `ProposalError::Db`, …) that a
/// handler passed on as internal: an outage or a conflict is answered as such, not as our fault.
fn database_cause(e: &anyhow::Error) -> Option<&sea_orm::DbErr> {
    e.chain()
        .find_map(|cause| cause.downcast_ref::<sea_orm::DbErr>())
}

fn status_of(e: &sea_orm::DbErr) -> StatusCode {
    match classify(e) {
        DbFailure::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        DbFailure::Conflict => StatusCode::CONFLICT,
        DbFailure::Fault => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

fn log_database_error(e: &sea_orm::DbErr) {
    match classify(e) {
        DbFailure::Unavailable => tracing::warn!(error = %e, "database unavailable"),
        DbFailure::Conflict => {
            tracing::warn!(error = %e, "change refused: a constraint or a concurrent change")
        }
        DbFailure::Fault => tracing::error!(error = %e, "database error"),
    }
}

/// Marks the answer to a form sent again while its first submission is still being handled: its
/// page must not say that nothing was saved (the first one may yet be), or people send a new form
/// and book twice.
struct StillHandled;

fn message_keys(
    status: StatusCode,
    still_handled: bool,
    on_kiosk: bool,
) -> (&'static str, &'static str) {
    match status.as_u16() {
        // A kiosk terminal has no account and no mailbox to look in; the staff can look.
        409 if still_handled && on_kiosk => (
            "error-still-handled-title",
            "error-still-handled-kiosk-text",
        ),
        409 if still_handled => ("error-still-handled-title", "error-still-handled-text"),
        400 => ("error-400-title", "error-400-text"),
        403 => ("error-403-title", "error-403-text"),
        404 => ("error-404-title", "error-404-text"),
        405 => ("error-405-title", "error-405-text"),
        409 => ("error-409-title", "error-409-text"),
        413 => ("error-413-title", "error-413-text"),
        429 => ("error-429-title", "error-429-text"),
        503 => ("error-503-title", "error-503-text"),
        s if s < 500 => ("error-400-title", "error-400-text"),
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
    let status = res.status();
    let (req, original) = res.into_parts();
    let still_handled = original.extensions().get::<StillHandled>().is_some();
    let on_kiosk = super::handlers::kiosk::is_kiosk_path(req.path());
    let html = Page::from_request(&req).and_then(|page| {
        let (title, text) = message_keys(status, still_handled, on_kiosk);
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
    let res = ServiceResponse::new(req, response.body(body));
    Ok(ErrorHandlerResponse::Response(res.map_into_right_body()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_still_handled_on_a_kiosk_points_to_the_staff_not_to_an_account() {
        let (_, text) = message_keys(StatusCode::CONFLICT, true, true);
        assert_eq!(text, "error-still-handled-kiosk-text");
        let (_, text) = message_keys(StatusCode::CONFLICT, true, false);
        assert_eq!(text, "error-still-handled-text");
        let (_, text) = message_keys(StatusCode::CONFLICT, false, true);
        assert_eq!(text, "error-409-text");
    }
}
