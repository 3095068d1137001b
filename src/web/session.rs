//! Loads the server-side session, checks the CSRF token of every state-changing form request,
//! and applies session changes (login, logout, the form cookie of a visitor without a session) to the
//! response.
use std::{
    cell::{Cell, RefCell},
    rc::Rc,
};

use actix_web::{
    Error, HttpMessage, ResponseError,
    body::{EitherBody, MessageBody},
    cookie::{Cookie, SameSite, time::Duration as CookieDuration},
    dev::{ServiceRequest, ServiceResponse},
    http::{Method, header},
    middleware::Next,
    web,
};
use chrono::Utc;
use sha2::{Digest, Sha256};

use super::{
    access_log,
    errors::{self, WebError},
    state::AppState,
    submission::Submission,
};
use crate::{
    domain::{account::CurrentUser, text},
    services::{
        accounts::{self, Verified},
        sessions,
    },
};

pub const COOKIE: &str = "teilhabe_sitzung";
/// The form token of a visitor without a session (double-submit cookie): anonymous form pages
/// need no stored row, and a forged request from another site can read neither cookie nor page.
pub const FORM_COOKIE: &str = "teilhabe_formular";
pub const CSRF_FIELD: &str = "csrf_token";

enum Change {
    Start(Verified),
    End,
}

/// Per-request view of the session, shared by the middleware, extractors and handlers.
pub struct SessionState {
    session_id: Option<String>,
    pub user: Option<CurrentUser>,
    csrf: RefCell<Option<String>>,
    needs_new_anonymous: Cell<bool>,
    /// The page carries a form (it asked for the token): it takes data, so it is not stored.
    form_shown: Cell<bool>,
    change: RefCell<Option<Change>>,
}

impl SessionState {
    fn anonymous() -> Self {
        Self {
            session_id: None,
            user: None,
            csrf: RefCell::new(None),
            needs_new_anonymous: Cell::new(false),
            form_shown: Cell::new(false),
            change: RefCell::new(None),
        }
    }

    /// The token for forms; for visitors without a session it is sent back as the form cookie
    /// (no session row is written).
    pub fn csrf_token(&self) -> String {
        self.form_shown.set(true);
        if let Some(token) = self.csrf.borrow().as_ref() {
            return token.clone();
        }
        let token = sessions::random_token();
        *self.csrf.borrow_mut() = Some(token.clone());
        self.needs_new_anonymous.set(true);
        token
    }

    /// Starts a signed-in session with a new id (the old one is discarded: no session fixation).
    pub fn log_in(&self, verified: Verified) {
        *self.change.borrow_mut() = Some(Change::Start(verified));
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
    cookie(COOKIE, value, secure, max_age)
}

fn cookie(
    name: &'static str,
    value: String,
    secure: bool,
    max_age: CookieDuration,
) -> Cookie<'static> {
    Cookie::build(name, value)
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .max_age(max_age)
        .finish()
}

/// A visitor without a session: the form token is the one in the form cookie, if it has the shape
/// of one (a random 256-bit hex value).
fn anonymous(req: &ServiceRequest) -> SessionState {
    let state = SessionState::anonymous();
    if let Some(cookie) = req.cookie(FORM_COOKIE)
        && cookie.value().len() == 64
        && cookie.value().bytes().all(|b| b.is_ascii_hexdigit())
    {
        *state.csrf.borrow_mut() = Some(cookie.value().to_owned());
    }
    state
}

async fn load(state: &AppState, req: &ServiceRequest) -> Result<SessionState, WebError> {
    let Some(cookie) = req.cookie(COOKIE) else {
        return Ok(anonymous(req));
    };
    let Some(found) =
        sessions::load(&state.db, cookie.value(), &timeouts(state), Utc::now()).await?
    else {
        return Ok(anonymous(req));
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
        form_shown: Cell::new(false),
        change: RefCell::new(None),
    })
}

/// Every posted form value passes the common text rule before a handler reads it (`text::clean_form_value`):
/// a NUL byte or a bidi override cannot reach a handler that forgot to clean a field.
fn cleaned_form(bytes: web::Bytes) -> web::Bytes {
    let Ok(pairs) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes) else {
        return bytes;
    };
    let mut changed = false;
    let pairs: Vec<(String, String)> = pairs
        .into_iter()
        .map(
            |(name, value)| match text::clean_form_value(&name, &value) {
                Some(cleaned) => {
                    changed = true;
                    (name, cleaned)
                }
                None => (name, value),
            },
        )
        .collect();
    if !changed {
        return bytes;
    }
    serde_urlencoded::to_string(&pairs)
        .map(web::Bytes::from)
        .unwrap_or(bytes)
}

/// A page opened by a secret link: a route with a secret parameter, or a mailed link that carries
/// its token in the query (password reset, address confirmation).
fn on_secret_link(req: &actix_web::HttpRequest) -> bool {
    req.match_pattern()
        .is_some_and(|pattern| access_log::is_secret_route(&pattern))
        || req
            .query_string()
            .split('&')
            .any(|pair| pair.starts_with("token="))
}

fn no_store<B>(res: &mut ServiceResponse<B>) {
    let already = res
        .headers()
        .get(header::CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("no-store"));
    if already {
        return;
    }
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
}

fn is_state_changing(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The error page instead of the action: the form was stale, did not come from us, or could not be
/// read.
fn refusal(
    http_req: actix_web::HttpRequest,
    status: actix_web::http::StatusCode,
    reason: Option<errors::Reason>,
) -> ServiceResponse {
    let page = errors::error_page(&http_req, &errors::answer(status, reason));
    let mut res = ServiceResponse::new(http_req, page);
    // It may show what was typed into the form it refuses.
    no_store(&mut res);
    res
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
    // (Its booking routes send `no-store` themselves.)
    // Files, and the probes of load balancers and monitors, read no session either: a session
    // that cannot be read must not take the error page's style sheet with it.
    if req.path().starts_with("/api/")
        || req.path().starts_with("/static/")
        || matches!(req.path(), "/health" | "/ready")
    {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    let changing = is_state_changing(req.method());
    // A form's body is read before the session: what was typed is shown again should the session
    // not load (a database away), as on any other error page.
    let mut body = None;
    let mut pairs: Vec<(String, String)> = Vec::new();
    if changing {
        let is_form = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
        if is_form {
            match req.extract::<web::Bytes>().await {
                Ok(bytes) => body = Some(bytes),
                Err(e) => {
                    let status = e.as_response_error().status_code();
                    // 413 and 400 each have their page.
                    let (http_req, _) = req.into_parts();
                    return Ok(refusal(http_req, status, None).map_into_right_body());
                }
            }
        }
        pairs = body
            .as_ref()
            .and_then(|bytes| serde_urlencoded::from_bytes(bytes).ok())
            .unwrap_or_default();
        // Only for a form sent with this portal's cookies (SameSite=Lax, so never from another
        // site): a forged form must not put its own text on a page of the portal.
        if (req.cookie(COOKIE).is_some() || req.cookie(FORM_COOKIE).is_some())
            && let Some(bytes) = &body
        {
            req.extensions_mut()
                .insert(errors::PostedForm(bytes.clone()));
        }
    }
    // Not anonymous when the session cannot be read: a signed-in person would be sent to sign in,
    // and their form refused as forged (its token is the session's), for a passing fault.
    let session = match load(&state, &req).await {
        Ok(session) => session,
        Err(e) => {
            let (http_req, _) = req.into_parts();
            let page = errors::error_page(&http_req, &e.error_response());
            let mut res = ServiceResponse::new(http_req, page);
            no_store(&mut res);
            return Ok(res.map_into_right_body());
        }
    };

    if changing {
        let sent_token = pairs
            .iter()
            .find(|(k, _)| k == CSRF_FIELD)
            .map(|(_, v)| v.clone());
        let expected = session.csrf.borrow().clone();
        let valid = matches!((&sent_token, &expected), (Some(sent), Some(exp)) if constant_time_eq(sent, exp));
        // A mail program's one-click unsubscribe (RFC 8058) has no session: the secret in its
        // address is what allows it, so a forged request from elsewhere cannot borrow anything.
        let one_click = super::handlers::alerts::is_one_click_unsubscribe(req.path(), &pairs);
        if !valid && !one_click {
            // The request's span names the path, with secret links masked.
            tracing::warn!("state-changing request without a valid CSRF token refused");
            let status = actix_web::http::StatusCode::FORBIDDEN;
            let (http_req, _) = req.into_parts();
            return Ok(
                refusal(http_req, status, Some(errors::Reason::FormNotOurs)).map_into_right_body()
            );
        }
        if let Some(bytes) = body {
            let key = pairs
                .iter()
                .find(|(k, _)| k == super::submission::FIELD)
                .map(|(_, v)| v.as_str());
            if let Some(submission) = expected
                .as_deref()
                .and_then(|token| Submission::of(token, req.path(), key, &bytes))
            {
                req.extensions_mut().insert(submission);
            }
            req.set_payload(cleaned_form(bytes).into());
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
            Some(Change::Start(verified)) => {
                if let Some(old) = &session.session_id {
                    sessions::delete(&state.db, old).await?;
                }
                match accounts::open_session(&state.db, &verified, &timeouts(&state)).await? {
                    Some(token) => Ok(Some(session_cookie(token, secure, max_age))),
                    // A password reset came first: the person stays signed out.
                    None => Ok(Some(session_cookie(
                        String::new(),
                        secure,
                        CookieDuration::ZERO,
                    ))),
                }
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
                let csrf = session.csrf.borrow().clone().unwrap_or_default();
                Ok(Some(cookie(FORM_COOKIE, csrf, secure, max_age)))
            }
            None => Ok(None),
        }
    }
    .await;
    match outcome {
        Ok(Some(cookie)) => {
            res.response_mut().add_cookie(&cookie)?;
            if cookie.name() == COOKIE && cookie.value().is_empty() {
                // Ending a session also ends the form token of a visitor without one (a kiosk
                // after a booking): a second submission of the same form is refused.
                res.response_mut().add_cookie(&self::cookie(
                    FORM_COOKIE,
                    String::new(),
                    secure,
                    CookieDuration::ZERO,
                ))?;
            }
        }
        Ok(None) => {}
        Err(e) => {
            let (http_req, handled) = res.into_parts();
            // Logged there, with what failed.
            let mut answer =
                WebError::Internal(anyhow::Error::new(e).context("saving the session"))
                    .error_response();
            // What was asked for is done (a confirmed account, say); only the sign-in or sign-out
            // was not kept, which the page says instead of "nothing was saved".
            if handled.status().is_success() || handled.status().is_redirection() {
                errors::set_reason(&mut answer, errors::Reason::SessionNotSaved);
            }
            let mut page = errors::error_page(&http_req, &answer);
            // The browser forgets its session either way: half a sign-in (or sign-out) must not
            // stay behind on a shared computer.
            page.add_cookie(&session_cookie(String::new(), secure, CookieDuration::ZERO))?;
            let mut res = ServiceResponse::new(http_req, page);
            no_store(&mut res);
            return Ok(res.map_into_right_body());
        }
    }
    // Pages with personal data must not stay in shared caches or the back-button history of kiosks
    // and shared computers: everything signed in, every page with a form (it takes personal data),
    // every answer to a form, and every page behind a secret link (a booking, own proposals).
    let secret_link = on_secret_link(res.request());
    if session.user.is_some() || session.form_shown.get() || changing || secret_link {
        no_store(&mut res);
    }
    // The page's own style sheets, scripts and links would carry the secret in `Referer` to the
    // portal, where a proxy in front of it logs it (nginx's default log format does).
    // A forwarded or pasted link that a crawler follows must not put a person's booking into a
    // search engine (robots.txt keeps well-behaved crawlers out; this covers those that came anyway).
    if secret_link {
        res.headers_mut().insert(
            actix_web::http::header::REFERRER_POLICY,
            actix_web::http::header::HeaderValue::from_static("no-referrer"),
        );
        res.headers_mut().insert(
            actix_web::http::header::HeaderName::from_static("x-robots-tag"),
            actix_web::http::header::HeaderValue::from_static("noindex, nofollow"),
        );
    }
    Ok(res.map_into_left_body())
}
