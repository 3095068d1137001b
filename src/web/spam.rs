//! Spam protection without CAPTCHAs, which shut out blind and older people: a honeypot field and
//! rate limits per client address. There is no minimum fill time: autofill and people who know a
//! form are quick, and a person who filled in a form is never refused for it.
use actix_web::HttpRequest;

pub fn client_address(req: &HttpRequest) -> String {
    req.peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_default()
}
