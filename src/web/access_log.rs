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

/// Route parameters that are secrets (bearer links: a booking, the API's cancel token, a volunteer's
/// calendar feed, own proposals, feedback links and printed codes, support, follow and unfollow
/// links). Routes name their parameter like this exactly when the value grants access, so the log
/// follows the route table: a new secret route is masked by naming its parameter `{token}`.
pub const SECRET_PARAMETERS: &[&str] = &["token", "code", "cancel_token"];

/// Whether a route pattern (`/buchung/{token}`) has a secret parameter.
pub fn is_secret_route(pattern: &str) -> bool {
    pattern.split('/').any(is_secret_segment)
}

fn is_secret_segment(pattern_segment: &str) -> bool {
    SECRET_PARAMETERS.iter().any(|name| {
        pattern_segment.contains(&format!("{{{name}}}"))
            || pattern_segment.contains(&format!("{{{name}:"))
    })
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
    if !is_secret_route(pattern) {
        return path.into();
    }
    let segments: Vec<&str> = path.split('/').collect();
    let patterns: Vec<&str> = pattern.split('/').collect();
    let mut masked = Vec::with_capacity(segments.len());
    for (i, segment) in segments.iter().enumerate() {
        match patterns.get(i) {
            // A fixed suffix such as `.ics` after the secret stays readable.
            Some(p) if is_secret_segment(p) => {
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
    masked.join("/").into()
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
    use super::loggable_path;

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
            loggable_path("/x/geheim.ics", Some("/x/{token}.ics")),
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
