//! Spam protection without CAPTCHAs, which shut out blind and older people: a honeypot field,
//! a minimum fill time (a signed form stamp) and rate limits per client address.
use actix_web::HttpRequest;
use sha2::{Digest, Sha256};

use super::page::Page;

/// Forms filled in faster than this are from scripts, not people.
const MIN_FILL_SECONDS: i64 = 3;

pub fn client_address(req: &HttpRequest) -> String {
    req.peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_default()
}

/// The context for a form with spam protection: CSRF token plus the signed time it was shown.
pub fn stamped_form_context(page: &Page) -> tera::Context {
    let mut ctx = page.form_context();
    let csrf = page.session().csrf_token();
    ctx.insert("stamp", &form_stamp(&csrf, chrono::Utc::now().timestamp()));
    ctx
}

/// Whether the submitted stamp is forged or younger than a person needs to fill in the form.
pub fn sent_too_fast(page: &Page, stamp: &str) -> bool {
    filled_too_fast(&page.session().csrf_token(), stamp)
}

/// Signs the time a form was shown with the session's CSRF token, so it cannot be forged.
fn form_stamp(csrf: &str, at: i64) -> String {
    format!(
        "{at}.{}",
        &hex::encode(Sha256::digest(format!("{csrf}:{at}")))[..16]
    )
}

fn filled_too_fast(csrf: &str, stamp: &str) -> bool {
    let Some((at, _)) = stamp.split_once('.') else {
        return true;
    };
    let Ok(at) = at.parse::<i64>() else {
        return true;
    };
    form_stamp(csrf, at) != stamp || chrono::Utc::now().timestamp() - at < MIN_FILL_SECONDS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_are_bound_to_the_session_and_need_time() {
        let now = chrono::Utc::now().timestamp();
        assert!(filled_too_fast("token", &form_stamp("token", now)));
        assert!(!filled_too_fast("token", &form_stamp("token", now - 10)));
        assert!(filled_too_fast("other", &form_stamp("token", now - 10)));
        assert!(filled_too_fast("token", &format!("{}.forged", now - 10)));
        assert!(filled_too_fast("token", "garbage"));
    }
}
