//! Every form is handled once: each rendered form carries a fresh key (`einreichung`, written by the
//! `forms::csrf` macro), and a second submission of the same form with the same content, at the same
//! moment (double click, double tap on a kiosk) or later (back button, a slow connection sent again),
//! leads where the first one did instead of creating a second record. A form sent again with changed
//! content is a new submission.
use std::collections::HashMap;

use actix_web::{
    Error, HttpMessage, ResponseError,
    body::{EitherBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    http::header,
    middleware::Next,
    web,
};
use sha2::{Digest, Sha256};

use super::{handlers::see_other, state::AppState};
use crate::services::form_submissions::{self, Claim};

/// The hidden field's name.
pub const FIELD: &str = "einreichung";
/// How long a second submission waits for the first one to finish.
const WAIT: std::time::Duration = std::time::Duration::from_secs(10);
const POLL: std::time::Duration = std::time::Duration::from_millis(100);

/// A new key for a form being rendered.
pub fn new_key() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// `submission_key()` in templates: a fresh key for each form on a page.
pub fn register(tera: &mut tera::Tera) {
    tera.register_function("submission_key", |_: &HashMap<String, tera::Value>| {
        Ok(tera::Value::String(new_key()))
    });
}

/// What identifies one submission of one form: set by the session middleware once the form's
/// CSRF token is checked, read by [`middleware`].
#[derive(Clone)]
pub struct Submission(String);

impl Submission {
    /// The submission of a form body whose key (the `einreichung` field, already read from the body
    /// by the caller) is well-formed, bound to the session's form token (a key seen by someone else
    /// leads nowhere), the address and the content. `None` without a key (the API, an old page):
    /// the form is handled as it comes.
    pub fn of(csrf_token: &str, path: &str, key: Option<&str>, body: &[u8]) -> Option<Self> {
        let key = key?.trim();
        if key.len() != 32 || !key.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let mut digest = Sha256::new();
        for part in [csrf_token.as_bytes(), path.as_bytes(), key.as_bytes(), body] {
            digest.update((part.len() as u64).to_be_bytes());
            digest.update(part);
        }
        Some(Self(hex::encode(digest.finalize())))
    }
}

/// Runs the handler once per submission: a repeat gets the first one's redirect. A refused
/// submission (anything but a redirect) releases its key, so the corrected form can be sent.
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let submission = req.extensions().get::<Submission>().cloned();
    let (Some(Submission(key_hash)), Some(state)) =
        (submission, req.app_data::<web::Data<AppState>>().cloned())
    else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    let db = &state.db;
    let deadline = tokio::time::Instant::now() + WAIT;
    let stamp = loop {
        let claimed = match form_submissions::claim(db, &key_hash).await {
            Ok(claimed) => claimed,
            Err(e) => {
                // Without the record the form is still handled: a lost duplicate check is better
                // than a lost booking.
                tracing::warn!(error = %e, "form submission could not be recorded");
                return Ok(next.call(req).await?.map_into_left_body());
            }
        };
        match claimed {
            Claim::Mine(stamp) => break stamp,
            Claim::Done(location) => {
                return Ok(req.into_response(see_other(location)).map_into_right_body());
            }
            Claim::Busy if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(POLL).await;
            }
            Claim::Busy => {
                tracing::warn!("the same form is still being handled");
                let busy = super::errors::WebError::Busy.error_response();
                return Ok(req.into_response(busy).map_into_right_body());
            }
        }
    };
    let res = next.call(req).await?;
    let location = res
        .status()
        .is_redirection()
        .then(|| res.headers().get(header::LOCATION))
        .flatten()
        .and_then(|l| l.to_str().ok())
        .map(str::to_owned);
    let kept = match location {
        Some(location) => form_submissions::keep_location(db, &key_hash, stamp, location).await,
        None => form_submissions::release(db, &key_hash, stamp).await,
    };
    if let Err(e) = kept {
        tracing::warn!(error = %e, "the result of a form could not be kept for a repeat");
    }
    Ok(res.map_into_left_body())
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn a_submission_is_its_session_address_key_and_content() {
        let of = |token, path, body: &str| {
            Submission::of(token, path, Some(KEY), body.as_bytes())
                .unwrap()
                .0
        };
        let body = format!("name=A&{FIELD}={KEY}");
        let one = of("t", "/a", &body);
        assert_eq!(one, of("t", "/a", &body));
        assert_ne!(one, of("u", "/a", &body));
        assert_ne!(one, of("t", "/b", &body));
        assert_ne!(one, of("t", "/a", &format!("name=B&{FIELD}={KEY}")));
    }

    #[test]
    fn no_well_formed_key_no_submission() {
        assert!(Submission::of("t", "/a", None, b"name=A").is_none());
        assert!(Submission::of("t", "/a", Some("xyz"), b"x").is_none());
        let longer = format!("{KEY}0");
        assert!(Submission::of("t", "/a", Some(&longer), b"x").is_none());
    }
}
