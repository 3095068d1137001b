//! Every form is handled once: each rendered form carries a fresh key (`einreichung`, written by the
//! `forms::csrf` macro), and a second submission of the same form with the same content, at the same
//! moment (double click, double tap on a kiosk) or later (back button, a slow connection sent again),
//! leads where the first one did instead of creating a second record. A form sent again with changed
//! content is a new submission.
//!
//! Where the first submission led is kept for a day, often a booking's or a proposal's own link. It
//! is kept sealed under a key made from the form as sent (session token, address, key and content),
//! which the database does not hold: only the sender of the same form can read it back.
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
use crate::{
    sealing::{self, Purpose, Sealer},
    services::form_submissions::{self, Claim},
};

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
pub struct Submission {
    /// What the database keeps to recognise the submission.
    key_hash: String,
    /// Seals its result; derived from the same parts as `key_hash`, but not from it.
    result_key: [u8; 32],
}

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
        let digest = |domain: &[u8]| {
            let mut digest = Sha256::new();
            digest.update(domain);
            for part in [csrf_token.as_bytes(), path.as_bytes(), key.as_bytes(), body] {
                digest.update((part.len() as u64).to_be_bytes());
                digest.update(part);
            }
            digest.finalize()
        };
        Some(Self {
            key_hash: hex::encode(digest(b"")),
            result_key: digest(b"result-key").into(),
        })
    }

    fn sealer(&self) -> Sealer {
        Sealer::new(&self.result_key)
    }

    /// Where the first submission led, as kept: sealed, or in clear by an older version.
    fn open(&self, kept: &str) -> Option<String> {
        if sealing::is_sealed(kept) {
            self.sealer()
                .open(Purpose::FormResult, &self.key_hash, kept)
        } else {
            Some(kept.to_owned())
        }
    }
}

/// Runs the handler once per submission: a repeat gets the first one's redirect. A refused
/// submission (anything but a redirect) releases its key, so the corrected form can be sent.
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let submission = req.extensions().get::<Submission>().cloned();
    let (Some(submission), Some(state)) =
        (submission, req.app_data::<web::Data<AppState>>().cloned())
    else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    let key_hash = &submission.key_hash;
    let db = &state.db;
    let deadline = tokio::time::Instant::now() + WAIT;
    // Whether an earlier look found the key taken: a first submission exists, so a fault now must
    // not lead to handling the form a second time.
    let mut seen_taken = false;
    let stamp = loop {
        let claimed = match form_submissions::claim(db, key_hash).await {
            Ok(claimed) => claimed,
            Err(e) if seen_taken => {
                tracing::warn!(error = %e, "a form sent again could not be looked up");
                let busy = super::errors::WebError::StillHandled.error_response();
                return Ok(req.into_response(busy).map_into_right_body());
            }
            Err(e) => {
                // Without the record the form is still handled: a lost duplicate check is better
                // than a lost booking. (On SQLite the record's single statement does not queue with
                // this instance's writers, so under a rush it may give up where the handler's
                // writes, which queue, get through.)
                tracing::warn!(error = %e, "form submission could not be recorded");
                return Ok(next.call(req).await?.map_into_left_body());
            }
        };
        match claimed {
            Claim::Mine(stamp) => break stamp,
            Claim::Done(kept) => {
                let answer = match submission.open(&kept) {
                    Some(location) => see_other(location),
                    // Only a changed row gets here (`Sealer::open` logs it).
                    None => super::errors::WebError::Internal(anyhow::anyhow!(
                        "the kept result of a form does not open"
                    ))
                    .error_response(),
                };
                return Ok(req.into_response(answer).map_into_right_body());
            }
            Claim::StillRunning if tokio::time::Instant::now() < deadline => {
                seen_taken = true;
                tokio::time::sleep(POLL).await;
            }
            Claim::StillRunning => {
                tracing::warn!("the same form is still being handled");
                let busy = super::errors::WebError::StillHandled.error_response();
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
        Some(location) => {
            let sealed = submission
                .sealer()
                .seal(Purpose::FormResult, key_hash, &location);
            form_submissions::keep_location(db, key_hash, stamp, sealed).await
        }
        None => form_submissions::release(db, key_hash, stamp).await,
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
                .key_hash
        };
        let body = format!("name=A&{FIELD}={KEY}");
        let one = of("t", "/a", &body);
        assert_eq!(one, of("t", "/a", &body));
        assert_ne!(one, of("u", "/a", &body));
        assert_ne!(one, of("t", "/b", &body));
        assert_ne!(one, of("t", "/a", &format!("name=B&{FIELD}={KEY}")));
    }

    #[test]
    fn only_the_same_submission_reads_where_it_led() {
        let body = format!("name=A&{FIELD}={KEY}");
        let of = |token: &str, body: &str| {
            Submission::of(token, "/a", Some(KEY), body.as_bytes()).unwrap()
        };
        let first = of("t", &body);
        let sealed = first
            .sealer()
            .seal(Purpose::FormResult, &first.key_hash, "/buchung/geheim");
        assert!(!sealed.contains("geheim"));
        assert!(!sealed.contains(&first.key_hash));
        assert_eq!(
            of("t", &body).open(&sealed).as_deref(),
            Some("/buchung/geheim")
        );
        assert_eq!(of("u", &body).open(&sealed), None, "another session");
        assert_eq!(
            of("t", &format!("name=B&{FIELD}={KEY}")).open(&sealed),
            None,
            "other content"
        );
        // Kept in clear by an older version.
        assert_eq!(first.open("/danke").as_deref(), Some("/danke"));
    }

    #[test]
    fn no_well_formed_key_no_submission() {
        assert!(Submission::of("t", "/a", None, b"name=A").is_none());
        assert!(Submission::of("t", "/a", Some("xyz"), b"x").is_none());
        let longer = format!("{KEY}0");
        assert!(Submission::of("t", "/a", Some(&longer), b"x").is_none());
    }
}
