use std::time::Instant;

use actix_web::{
    Error, HttpMessage,
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    http::header::{HeaderName, HeaderValue},
    middleware::Next,
};
use tracing::Instrument;

use super::route_table;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The request's id, for pages that show it (the error page, so support can find the log lines).
#[derive(Clone)]
pub struct RequestId(pub String);

/// Whether a route pattern (`/buchung/{token}`) holds its secret in the path: the route table
/// (and the API's list) name the secret parameter of every secret link.
pub fn is_secret_route(pattern: &str) -> bool {
    route_table::secret_parameter(pattern)
        .is_some_and(|secret| pattern.split('/').any(|s| is_secret_segment(s, secret)))
}

fn is_secret_segment(pattern_segment: &str, secret: &str) -> bool {
    pattern_segment.contains(&format!("{{{secret}}}"))
        || pattern_segment.contains(&format!("{{{secret}:"))
}

/// The path as it may be logged: every segment that the matching route pattern names as a secret
/// parameter is replaced by `…`. Query strings are never logged (reset and confirmation links carry
/// their token there). A path that matches no route (a secret link cut short or mistyped) keeps only
/// its first segment.
pub fn loggable_path<'a>(path: &'a str, pattern: Option<&str>) -> std::borrow::Cow<'a, str> {
    let Some(pattern) = pattern else {
        return match path.trim_start_matches('/').split_once('/') {
            Some((first, _)) => format!("/{first}/…").into(),
            None => path.into(),
        };
    };
    match route_table::secret_parameter(pattern) {
        Some(secret) => masked(path, pattern, secret).into(),
        None => path.into(),
    }
}

/// `path` with every segment where `pattern` has the parameter `secret` replaced by `…`.
fn masked(path: &str, pattern: &str, secret: &str) -> String {
    let segments: Vec<&str> = path.split('/').collect();
    let patterns: Vec<&str> = pattern.split('/').collect();
    let mut masked = Vec::with_capacity(segments.len());
    for (i, segment) in segments.iter().enumerate() {
        match patterns.get(i) {
            // A fixed suffix such as `.ics` after the secret stays readable.
            Some(p) if is_secret_segment(p, secret) => {
                let suffix = p.rsplit_once('}').map(|(_, s)| s).unwrap_or("");
                masked.push(if !suffix.is_empty() && segment.ends_with(suffix) {
                    format!("…{suffix}")
                } else {
                    "…".to_owned()
                });
            }
            Some(_) => masked.push((*segment).to_owned()),
            // Segments beyond the pattern (a tail match) could be anything: not logged.
            None => {
                masked.push("…".to_owned());
                break;
            }
        }
    }
    masked.join("/")
}

/// Gives every request an id, runs it inside a span carrying that id (so every log line of the request
/// has it) and writes one access-log line. Client addresses are not logged (data minimisation).
pub async fn access_log(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let request_id = uuid::Uuid::new_v4().to_string();
    let pattern = req.resource_map().match_pattern(req.path());
    let path = loggable_path(req.path(), pattern.as_deref()).into_owned();
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
    use super::{loggable_path, masked};

    #[test]
    fn secret_segments_named_by_the_pattern_are_masked() {
        assert_eq!(
            loggable_path("/buchung/AbC123/absagen", Some("/buchung/{token}/absagen")),
            "/buchung/…/absagen"
        );
        assert_eq!(
            loggable_path(
                "/api/v1/bookings/tok",
                Some("/api/v1/bookings/{cancel_token}")
            ),
            "/api/v1/bookings/…"
        );
        assert_eq!(
            loggable_path(
                "/rueckmeldung/termin/7/geheim",
                Some("/rueckmeldung/termin/{date_id}/{code}")
            ),
            "/rueckmeldung/termin/7/…"
        );
        assert_eq!(
            masked("/x/geheim.ics", "/x/{token}.ics", "token"),
            "/x/….ics"
        );
        assert_eq!(
            loggable_path("/kurse/abc", Some("/kurse/{slug}")),
            "/kurse/abc"
        );
        assert_eq!(loggable_path("/unbekannt", None), "/unbekannt");
        assert_eq!(loggable_path("/buchung/AbC123/falsch", None), "/buchung/…");
    }
}
