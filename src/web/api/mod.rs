//! Public JSON API for partner apps, described at `/api/openapi.json`.
//!
//! Stateless: no cookies are read or set (the session middleware skips `/api/`), so no CSRF token is
//! needed. Every response is JSON; every error has the shape of [`error::ErrorResponse`], including
//! unknown paths, wrong methods and unreadable bodies.
pub mod bookings;
pub mod courses;
pub mod dates;
pub mod error;
pub mod export;
pub mod proposals;
pub mod views;

use actix_web::{
    FromRequest, Handler, HttpResponse, Resource, Responder,
    http::{Method, header},
    middleware::DefaultHeaders,
    web::{self, ServiceConfig},
};
use utoipa::OpenApi;

use error::{ApiError, ErrorCode, ErrorDetail, ErrorResponse, FieldProblem};

/// The API's routes whose path holds a secret, with its parameter, for the access log (the HTML
/// routes declare theirs in the route table).
pub const SECRET_LINKS: &[(&str, &str)] = &[("/api/v1/bookings/{cancel_token}", "cancel_token")];

/// Booking requests are small; anything larger is not a booking.
const JSON_LIMIT: usize = 16 * 1024;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Teilhabe API",
        version = "1.0.0",
        description = "Courses on digital literacy in Thuringia: published courses, their dates with free \
            places, booking and cancellation.\n\n\
            **Errors** always have the shape `{\"error\": {\"code\", \"message\", \"fields\"}}`: `code` is \
            stable and meant for programs, `message` is German plain text, `fields` lists each wrong \
            input with the message id of the rule (`error-email-invalid`) and its German text. \
            Status codes: 400 `bad_request`, 401 `unauthorized`, 403 `forbidden`, 404 `not_found`, 405 `method_not_allowed`, \
            409 `not_bookable` / `duplicate` / `already_cancelled` / `already_begun` / `date_cancelled` / `conflict` \
            (someone changed the same record at the same moment; reload and try again), \
            413 `payload_too_large`, 422 `validation_failed` / `too_many_places` / \
            `idempotency_key_reused`, 429 `rate_limited`, 500 `internal`, 503 `unavailable` (the \
            database cannot be reached) / `busy` (the same records are held by another change). \
            429 and 503 carry `Retry-After` in seconds; nothing was stored with any error.\n\n\
            Booking a date that cannot be booked now (past, cancelled, booking not open or closed) \
            gives **409 `not_bookable`**, because the request is fine but the date's state does not \
            allow it.\n\n\
            Times are RFC 3339 in UTC. Links are absolute and point to the pages for people.",
        license(name = "EUPL-1.2"),
    ),
    paths(
        courses::list,
        dates::list,
        dates::show,
        bookings::create,
        bookings::cancel,
        proposals::search,
        export::download,
    ),
    components(schemas(ErrorResponse, ErrorDetail, FieldProblem, ErrorCode)),
    tags(
        (name = "courses", description = "Published courses"),
        (name = "dates", description = "Dates of courses, with the catalogue's filters"),
        (name = "bookings", description = "Booking and cancelling places"),
        (name = "proposals", description = "Citizens' proposals and the official answers"),
        (name = "export", description = "Anonymised export for the state ministry (API token of an admin)"),
    ),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

/// The `bearer` security scheme used by the export: an API token from `teilhabe token add`.
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "API token of an admin, created with `teilhabe token add`",
                    ))
                    .build(),
            ),
        );
    }
}

/// The OpenAPI 3 document, with this instance's address as server.
pub fn document(base_url: &str) -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.servers = Some(vec![utoipa::openapi::Server::new(
        base_url.trim_end_matches('/'),
    )]);
    doc
}

async fn openapi(state: web::Data<crate::web::state::AppState>) -> HttpResponse {
    HttpResponse::Ok().json(document(state.settings.base_url.as_str()))
}

async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::not_found())
}

/// The answer for a known path with a method it does not have (a resource's default service).
fn only(allow: &'static str) -> actix_web::Route {
    web::to(move || async move { Err::<HttpResponse, _>(ApiError::method_not_allowed(allow)) })
}

/// A path with its one method; any other method gets 405 naming it.
fn endpoint<F, Args>(path: &str, method: &'static str, handler: F) -> Resource
where
    F: Handler<Args>,
    Args: FromRequest + 'static,
    F::Output: Responder + 'static,
{
    let route = web::method(Method::from_bytes(method.as_bytes()).expect("a method's name"));
    web::resource(path)
        .route(route.to(handler))
        .default_service(only(method))
}

fn no_store() -> DefaultHeaders {
    DefaultHeaders::new().add((header::CACHE_CONTROL, "no-store"))
}

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(
        web::scope("/api")
            .app_data(
                web::JsonConfig::default()
                    .limit(JSON_LIMIT)
                    .error_handler(error::json_error),
            )
            .app_data(web::QueryConfig::default().error_handler(error::query_error))
            .app_data(web::PathConfig::default().error_handler(error::path_error))
            .service(endpoint("/openapi.json", "GET", openapi))
            .service(endpoint("/v1/courses", "GET", courses::list))
            .service(endpoint("/v1/dates", "GET", dates::list))
            .service(endpoint("/v1/dates/{id}", "GET", dates::show))
            .service(endpoint("/v1/dates/{id}/bookings", "POST", bookings::create).wrap(no_store()))
            .service(endpoint("/v1/proposals", "GET", proposals::search))
            .service(endpoint("/v1/export", "GET", export::download).wrap(no_store()))
            .service(
                endpoint("/v1/bookings/{cancel_token}", "DELETE", bookings::cancel)
                    .wrap(no_store()),
            )
            .default_service(web::to(not_found)),
    );
}
