//! HTTP: routes, handlers, extractors and middleware.
pub mod access_log;
pub mod api;
pub mod assets;
pub mod errors;
pub mod handlers;
pub mod language;
pub mod notice;
pub mod page;
pub mod page_cache;
pub mod page_templates;
pub mod route_table;
pub mod security_headers;
pub mod session;
pub mod spam;
pub mod state;
pub mod submission;
pub mod throttling;

use actix_web::{
    Error, HttpResponse,
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    error,
    http::{Method, header},
    middleware::{Next, from_fn},
    web,
};

use crate::services::content::PAGES;
use handlers::content_pages;

/// Largest form body we accept; the longest field (a report) is 5,000 characters.
const FORM_LIMIT: usize = 64 * 1024;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::FormConfig::default().limit(FORM_LIMIT))
        .app_data(web::PayloadConfig::default().limit(FORM_LIMIT))
        .app_data(web::QueryConfig::default().error_handler(|e, _| error::ErrorBadRequest(e)))
        .app_data(
            web::PathConfig::default().error_handler(|_, _| error::ErrorNotFound("not found")),
        )
        .configure(api::routes)
        .configure(route_table::register);
    // The content pages (help, accessibility statement …) come from `content/`: public, GET only.
    for slug in PAGES {
        cfg.route(&format!("/{slug}"), web::get().to(content_pages::show));
    }
}

pub async fn not_found() -> HttpResponse {
    HttpResponse::NotFound().finish()
}

/// Static assets; templates link them with a content hash (see `assets`), which sets how long they
/// may be cached.
pub fn static_files(
    dir: std::path::PathBuf,
) -> actix_web::Scope<
    impl actix_web::dev::ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = Error,
        InitError = (),
    >,
> {
    web::scope("/static")
        .wrap(from_fn(assets::cache_control))
        .service(
            actix_files::Files::new("", dir)
                .use_etag(true)
                .use_last_modified(true)
                .mime_override(|_| header::DispositionType::Inline),
        )
}

/// `HEAD` answers like `GET` without the body (uptime monitors and link checkers use it): the request
/// is routed as a `GET`, and the HTTP layer, which saw the `HEAD`, sends the headers only.
pub async fn head_as_get(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    if req.method() == Method::HEAD {
        req.head_mut().method = Method::GET;
    }
    next.call(req).await
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("src/web is readable") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                rust_files(&path, found);
            } else if path.extension().is_some_and(|e| e == "rs") {
                found.push(path);
            }
        }
    }

    #[test]
    fn handlers_reach_the_database_only_through_services() {
        let web = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/web");
        let mut files = Vec::new();
        rust_files(&web, &mut files);
        assert!(files.len() > 40, "{files:?}");
        // Built here, so this file does not name what it looks for; without the `db::` prefix
        // it also catches the entities named inside a grouped `db::{…}` import.
        let entities = ["entities", ""].join("::");
        for file in files {
            let name = file
                .strip_prefix(&web)
                .expect("under src/web")
                .to_string_lossy()
                .replace('\\', "/");
            let queries = std::fs::read_to_string(&file)
                .expect("a readable source file")
                .contains(&entities);
            assert!(
                !queries,
                "src/web/{name} names `{entities}`: move its queries to the feature's service"
            );
        }
    }
}
