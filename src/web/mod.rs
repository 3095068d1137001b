//! HTTP: routes, handlers, extractors and middleware.
pub mod access_log;
pub mod errors;
pub mod handlers;
pub mod language;
pub mod page;
pub mod security_headers;
pub mod state;

use actix_web::{HttpResponse, error, http::header, web};

use crate::services::content::PAGES;
use handlers::{barrier_report, content_pages, home, operations, venues};

/// Largest form body we accept; the longest field (a report) is 5,000 characters.
const FORM_LIMIT: usize = 64 * 1024;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::FormConfig::default().limit(FORM_LIMIT))
        .app_data(web::PayloadConfig::default().limit(FORM_LIMIT))
        .app_data(web::QueryConfig::default().error_handler(|e, _| error::ErrorBadRequest(e)))
        .app_data(
            web::PathConfig::default().error_handler(|_, _| error::ErrorNotFound("not found")),
        )
        .route("/", web::get().to(home::show))
        .route("/health", web::get().to(operations::health))
        .route("/ready", web::get().to(operations::ready))
        .route("/sitemap.xml", web::get().to(operations::sitemap))
        .route("/robots.txt", web::get().to(operations::robots))
        .route("/orte", web::get().to(venues::list))
        .route("/orte/{slug}", web::get().to(venues::show))
        .service(
            web::resource("/barriere-melden")
                .route(web::get().to(barrier_report::form))
                .route(web::post().to(barrier_report::submit)),
        )
        .route(
            "/barriere-melden/danke",
            web::get().to(barrier_report::thanks),
        );
    for slug in PAGES {
        cfg.route(&format!("/{slug}"), web::get().to(content_pages::show));
    }
}

pub async fn not_found() -> HttpResponse {
    HttpResponse::NotFound().finish()
}

/// Static assets change only with a release; their names do not carry a hash, so caching stays short.
pub fn static_files(dir: std::path::PathBuf) -> actix_files::Files {
    actix_files::Files::new("/static", dir)
        .use_etag(true)
        .use_last_modified(true)
        .mime_override(|_| header::DispositionType::Inline)
}
