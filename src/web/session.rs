//! Loads the server-side session, checks the CSRF token of every state-changing form request,
//! and applies session changes (login, logout, a new anonymous session for a form) to the response.
use std::{
    cell::{Cell, RefCell},
    rc::Rc,
};

use actix_web::{
    Error, HttpMessage, HttpResponse,
    body::{EitherBody, MessageBody},
    cookie::{Cookie, SameSite, time::Duration as CookieDuration},
    dev::{ServiceRequest, ServiceResponse},
    http::{Method, header},
    middleware::Next,
    web,
};
use chrono::Utc;
use sha2::{Digest, Sha256};

use super::{errors::WebError, page::Page, state::AppState};
use crate::{
    domain::account::CurrentUser,
    services::{accounts, sessions},
};

pub const COOKIE: &str = "teilhabe_sitzung";
pub const CSRF_FIELD: &str = "csrf_token";

enum Change {
    Start { user_id: i32 },
    End,
}

/// Per-request view of the session, shared by the middleware, extractors and handlers.
pub struct SessionState {
    session_id: Option<String>,
    pub user: Option<CurrentUser>,
    csrf: RefCell<Option<String>>,
    needs_new_anonymous: Cell<bool>,
    change: RefCell<Option<Change>>,
}

impl SessionState {
    fn anonymous() -> Self {
        Self {
            session_id: None,
            user: None,
            csrf: RefCell::new(None),
            needs_new_anonymous: Cell::new(false),
            change: RefCell::new(None),
        }
    }

    /// The token for forms; creates a session for anonymous visitors when the response is sent.
    pub fn csrf_token(&self) -> String {
        if let Some(token) = self.csrf.borrow().as_ref() {
            return token.clone();
        }
        let token = sessions::random_token();
        *self.csrf.borrow_mut() = Some(token.clone());
        self.needs_new_anonymous.set(true);
        token
    }

    /// Starts a signed-in session with a new id (the old one is discarded: no session fixation).
    pub fn log_in(&self, user_id: i32) {
        *self.change.borrow_mut() = Some(Change::Start { user_id });
    }

    pub fn log_out(&self) {
        *self.change.borrow_mut() = Some(Change::End);
    }
}

pub fn state_of(req: &actix_web::HttpRequest) -> Rc<SessionState> {
    req.extensions()
        .get::<Rc<SessionState>>()
        .cloned()
        .unwrap_or_else(|| Rc::new(SessionState::anonymous()))
}

fn timeouts(state: &AppState) -> sessions::Timeouts {
    let to_chrono = |d: std::time::Duration| {
        chrono::Duration::from_std(d).unwrap_or(chrono::Duration::minutes(30))
    };
    sessions::Timeouts {
        idle: to_chrono(state.settings.session_idle),
        absolute: to_chrono(state.settings.session_absolute),
    }
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    // Comparing digests keeps the time independent of where the strings differ.
    Sha256::digest(a.as_bytes()) == Sha256::digest(b.as_bytes())
}

fn session_cookie(value: String, secure: bool, max_age: CookieDuration) -> Cookie<'static> {
    Cookie::build(COOKIE, value)
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .max_age(max_age)
        .finish()
}

async fn load(state: &AppState, req: &ServiceRequest) -> Result<SessionState, WebError> {
    let Some(cookie) = req.cookie(COOKIE) else {
        return Ok(SessionState::anonymous());
    };
    let Some(found) =
        sessions::load(&state.db, cookie.value(), &timeouts(state), Utc::now()).await?
    else {
        return Ok(SessionState::anonymous());
    };
    let user = match found.user_id {
        Some(id) => accounts::current_user(&state.db, id).await?,
        None => None,
    };
    Ok(SessionState {
        session_id: Some(found.id),
        user,
        csrf: RefCell::new(Some(found.csrf_token)),
        needs_new_anonymous: Cell::new(false),
        change: RefCell::new(None),
    })
}

fn is_state_changing(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// A friendly page instead of the action: the form was stale or did not come from us.
fn refusal(
    http_req: actix_web::HttpRequest,
    status: actix_web::http::StatusCode,
    title: &str,
    text: &str,
) -> ServiceResponse {
    // A kiosk terminal stays in its own layout (no sign-in link), e.g. after a double submission.
    let kiosk = http_req.path() == "/kiosk" || http_req.path().starts_with("/kiosk/");
    let body = Page::from_request(&http_req).and_then(|page| {
        let mut ctx = page.context();
        ctx.insert("status", &status.as_u16());
        ctx.insert("title_key", title);
        ctx.insert("text_key", text);
        if kiosk {
            ctx.insert("idle_seconds", &page.state().settings.kiosk_idle.as_secs());
            page.render_to_string("kiosk/error.html", &ctx)
        } else {
            page.render_to_string("error.html", &ctx)
        }
    });
    let response = match body {
        Ok(html) => HttpResponse::build(status)
            .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
            .body(html),
        Err(e) => {
            tracing::error!(error = %e, "refusal page could not be rendered");
            HttpResponse::build(status).finish()
        }
    };
    ServiceResponse::new(http_req, response)
}

pub async fn middleware(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    // The JSON API is stateless: no cookies are read or set, so there is no ambient authority for a
    // forged cross-site request to borrow, and no session to protect with a form token.
    if req.path().starts_with("/api/") {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    let session = match load(&state, &req).await {
        Ok(session) => session,
        Err(e) => {
            tracing::error!(error = %e, "session could not be loaded");
            SessionState::anonymous()
        }
    };

    if is_state_changing(req.method()) {
        let is_form = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
        let body = if is_form {
            match req.extract::<web::Bytes>().await {
                Ok(bytes) => Some(bytes),
                Err(e) => {
                    let status = e.as_response_error().status_code();
                    let (title, text) = if status == actix_web::http::StatusCode::PAYLOAD_TOO_LARGE
                    {
                        ("error-413-title", "error-413-text")
                    } else {
                        ("error-400-title", "error-400-text")
                    };
                    let (http_req, _) = req.into_parts();
                    return Ok(refusal(http_req, status, title, text).map_into_right_body());
                }
            }
        } else {
            None
        };
        let sent_token = body.as_ref().and_then(|bytes| {
            serde_urlencoded::from_bytes::<Vec<(String, String)>>(bytes)
                .ok()?
                .into_iter()
                .find(|(k, _)| k == CSRF_FIELD)
                .map(|(_, v)| v)
        });
        let expected = session.csrf.borrow().clone();
        let valid = matches!((&sent_token, &expected), (Some(sent), Some(exp)) if constant_time_eq(sent, exp));
        if !valid {
            tracing::warn!(
                path = req.path(),
                "state-changing request without a valid CSRF token refused"
            );
            let status = actix_web::http::StatusCode::FORBIDDEN;
            let (http_req, _) = req.into_parts();
            return Ok(
                refusal(http_req, status, "error-csrf-title", "error-csrf-text")
                    .map_into_right_body(),
            );
        }
        if let Some(bytes) = body {
            req.set_payload(bytes.into());
        }
    }

    let session = Rc::new(session);
    req.extensions_mut().insert(session.clone());
    let mut res = next.call(req).await?;

    let secure = state.settings.secure_cookies();
    let max_age = CookieDuration::seconds(state.settings.session_absolute.as_secs() as i64);
    let change = session.change.borrow_mut().take();
    let outcome: Result<Option<Cookie<'static>>, sea_orm::DbErr> = async {
        match change {
            Some(Change::Start { user_id }) => {
                if let Some(old) = &session.session_id {
                    sessions::delete(&state.db, old).await?;
                }
                let (token, _) =
                    sessions::create(&state.db, Some(user_id), None, &timeouts(&state)).await?;
                Ok(Some(session_cookie(token, secure, max_age)))
            }
            Some(Change::End) => {
                if let Some(old) = &session.session_id {
                    sessions::delete(&state.db, old).await?;
                }
                Ok(Some(session_cookie(
                    String::new(),
                    secure,
                    CookieDuration::ZERO,
                )))
            }
            None if session.session_id.is_none() && session.needs_new_anonymous.get() => {
                let csrf = session.csrf.borrow().clone();
                let (token, _) = sessions::create(&state.db, None, csrf, &timeouts(&state)).await?;
                Ok(Some(session_cookie(token, secure, max_age)))
            }
            None => Ok(None),
        }
    }
    .await;
    match outcome {
        Ok(Some(cookie)) => res.response_mut().add_cookie(&cookie)?,
        Ok(None) => {}
        Err(e) => {
            tracing::error!(error = %e, "session could not be saved");
            let status = actix_web::http::StatusCode::SERVICE_UNAVAILABLE;
            let (http_req, _) = res.into_parts();
            return Ok(
                refusal(http_req, status, "error-503-title", "error-503-text")
                    .map_into_right_body(),
            );
        }
    }
    if session.user.is_some() {
        // Pages with personal data must not stay in shared caches or the back-button history of kiosks.
        res.headers_mut().insert(
            header::CACHE_CONTROL,
            header::HeaderValue::from_static("no-store"),
        );
    }
    Ok(res.map_into_left_body())
}
