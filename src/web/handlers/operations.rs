//! Endpoints for operators and crawlers: liveness, readiness, sitemap, robots.txt.
use actix_web::{HttpResponse, http::header, web};
use serde_json::json;

use crate::{
    db,
    services::{catalogue, content::PAGES, proposals, venues},
    web::{errors::WebError, state::AppState},
};

pub async fn health() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

pub async fn ready(state: web::Data<AppState>) -> HttpResponse {
    match db::is_ready(&state.db).await {
        Ok(true) => HttpResponse::Ok().json(json!({ "status": "ready" })),
        Ok(false) => {
            HttpResponse::ServiceUnavailable().json(json!({ "status": "migrations pending" }))
        }
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            HttpResponse::ServiceUnavailable().json(json!({ "status": "database unreachable" }))
        }
    }
}

/// Every public page; the accessibility suite crawls exactly this list.
pub async fn sitemap(state: web::Data<AppState>) -> Result<HttpResponse, WebError> {
    let base = state
        .settings
        .base_url
        .as_str()
        .trim_end_matches('/')
        .to_owned();
    let mut paths: Vec<String> = [
        "/",
        "/orte",
        "/kurse",
        "/kurse/programm",
        "/veranstaltungen",
        "/vorschlaege",
        "/vorschlaege/neu",
        "/barriere-melden",
        "/anmelden",
        "/registrieren",
        "/passwort-vergessen",
    ]
    .map(String::from)
    .to_vec();
    paths.extend(PAGES.iter().map(|p| format!("/{p}")));
    paths.extend(
        venues::all_slugs(&state.db)
            .await?
            .into_iter()
            .map(|s| format!("/orte/{s}")),
    );
    paths.extend(catalogue::published_pages(&state.db, chrono::Utc::now()).await?);
    paths.extend(
        proposals::public_ids(&state.db)
            .await?
            .into_iter()
            .map(|id| format!("/vorschlaege/{id}")),
    );
    let mut ctx = tera::Context::new();
    ctx.insert(
        "urls",
        &paths
            .iter()
            .map(|p| format!("{base}{p}"))
            .collect::<Vec<_>>(),
    );
    let xml = state
        .templates
        .render("sitemap.xml", &ctx)
        .map_err(|e| WebError::Internal(e.into()))?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/xml; charset=utf-8"))
        .body(xml))
}

pub async fn robots(state: web::Data<AppState>) -> HttpResponse {
    let base = state.settings.base_url.as_str().trim_end_matches('/');
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body(format!(
            "User-agent: *\nAllow: /\nSitemap: {base}/sitemap.xml\n"
        ))
}
