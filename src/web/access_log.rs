use std::time::Instant;

use actix_web::{
    Error, HttpMessage,
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    http::header::{HeaderName, HeaderValue},
    middleware::Next,
};
use tracing::Instrument;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The request's id, for pages that show it (the error page, so support can find the log lines).
#[derive(Clone)]
pub struct RequestId(pub String);

/// Secret links (a person's booking page, the API's cancel token) must not end up in
/// logs: the segment after such a prefix is replaced.
fn loggable_path(path: &str) -> std::borrow::Cow<'_, str> {
    for prefix in ["/buchung/", "/api/v1/bookings/"] {
        if let Some(rest) = path.strip_prefix(prefix) {
            let tail = rest.split_once('/').map(|(_, t)| t).unwrap_or("");
            let separator = if tail.is_empty() { "" } else { "/" };
            return format!("{prefix}…{separator}{tail}").into();
        }
    }
    path.into()
}

/// Gives every request an id, runs it inside a span carrying that id (so every log line of the request
/// has it) and writes one access-log line. Client addresses are not logged (data minimisation).
pub async fn access_log(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let request_id = uuid::Uuid::new_v4().to_string();
    let path = loggable_path(req.path());
    let span = tracing::info_span!("request", request_id = %request_id, method = %req.method(), path = %path);
    req.extensions_mut().insert(RequestId(request_id.clone()));
    let mut res = next.call(req).instrument(span.clone()).await?;
    span.in_scope(|| {
        tracing::info!(
            status = res.status().as_u16(),
            elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
            "request"
        )
    });
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        res.headers_mut().insert(REQUEST_ID, value);
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    #[test]
    fn secret_links_are_masked() {
        use super::loggable_path;
        assert_eq!(
            loggable_path("/buchung/AbC123/absagen"),
            "/buchung/…/absagen"
        );
        assert_eq!(loggable_path("/buchung/AbC123"), "/buchung/…");
        assert_eq!(loggable_path("/api/v1/bookings/tok"), "/api/v1/bookings/…");
        assert_eq!(loggable_path("/kurse/abc"), "/kurse/abc");
    }
}
