//! Endpoints for operators and crawlers: liveness, readiness, sitemap, robots.txt.
use actix_web::{HttpResponse, http::header, web};
use serde_json::json;

use crate::{
    db, search,
    services::{catalogue, content::PAGES, proposals, venues},
    web::{errors::WebError, route_table, state::AppState},
};

pub async fn health() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// 200 while the database serves, also when the search has a problem: every instance shares the
/// search server, so taking them out of the load balancer would turn a search outage (pages fall
/// back to the database search) into a full one. The problem is reported as `"status": "degraded"`
/// with what is wrong, for monitoring, and in the log.
pub async fn ready(state: web::Data<AppState>) -> HttpResponse {
    match db::is_ready(&state.db).await {
        Ok(true) => {
            let index = &state.search.index;
            match index.problem() {
                None => HttpResponse::Ok().json(json!({ "status": "ready" })),
                Some(problem) => {
                    let pending = search::indexer::pending(&state.db).await.ok();
                    HttpResponse::Ok().json(json!({
                        "status": "degraded",
                        "search": {
                            "backend": index.backend(),
                            "problem": problem,
                            "pending_updates": pending,
                        },
                    }))
                }
            }
        }
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

/// Everything public may be crawled, except the pages behind secret links (a booking with name and
/// address, own proposals, confirmations): a forwarded or pasted link must not reach a search engine.
pub async fn robots(state: web::Data<AppState>) -> HttpResponse {
    let base = state.settings.base_url.as_str().trim_end_matches('/');
    let disallowed: String = route_table::secret_link_prefixes()
        .into_iter()
        .map(|prefix| format!("Disallow: {prefix}\n"))
        .collect();
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body(format!(
            "User-agent: *\n{disallowed}Allow: /\nSitemap: {base}/sitemap.xml\n"
        ))
}
