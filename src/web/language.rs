//! Chooses the interface language: `?lang=` (remembered in a cookie), the cookie, `Accept-Language`, German.
use actix_web::{
    Error, HttpMessage,
    body::MessageBody,
    cookie::{Cookie, SameSite, time::Duration},
    dev::{ServiceRequest, ServiceResponse},
    http::header::{self, HeaderValue},
    middleware::Next,
    web,
};

use super::state::AppState;
use crate::domain::Language;

pub const COOKIE: &str = "lang";

pub fn language_from_query(query: &str) -> Option<Language> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(query)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == "lang")
        .and_then(|(_, v)| Language::interface_from_code(&v))
}

pub async fn negotiate(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let from_query = language_from_query(req.query_string());
    let language = from_query
        .or_else(|| {
            req.cookie(COOKIE)
                .and_then(|c| Language::interface_from_code(c.value()))
        })
        .or_else(|| {
            req.headers()
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Language::from_accept_language)
        })
        .unwrap_or_default();
    req.extensions_mut().insert(language);
    let secure = req
        .app_data::<web::Data<AppState>>()
        .is_some_and(|s| s.settings.secure_cookies());

    let mut res = next.call(req).await?;
    if let Some(chosen) = from_query {
        let cookie = Cookie::build(COOKIE, chosen.code())
            .path("/")
            .max_age(Duration::days(365))
            .same_site(SameSite::Lax)
            .http_only(true)
            .secure(secure)
            .finish();
        res.response_mut().add_cookie(&cookie)?;
    }
    res.headers_mut().insert(
        header::VARY,
        HeaderValue::from_static("Accept-Language, Cookie"),
    );
    Ok(res)
}
