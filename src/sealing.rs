//! Secrets the portal has to read back, kept in the database only sealed: a booking's link, which
//! later mails, the account's list and the staff's receipt show again, and where a form led (often
//! to such a link), for the form sent again. Whoever has a copy of the database (a backup, a dump
//! for support) gets no working link from it.
//!
//! XChaCha20-Poly1305 with a random nonce per value. A booking's link is sealed under a key derived
//! from the pseudonym key, which lives outside the database (`services::pseudonyms`); a form's
//! result under a key derived from the form as sent, which only its sender has (`web::submission`).
//! Each value is bound to its purpose, so a sealed value cannot be moved to another use.
use std::sync::Arc;

use chacha20poly1305::{
    Key, KeyInit, XChaCha20Poly1305, XNonce,
    aead::{Aead, Payload},
};
use rand::RngCore;

/// Marks a sealed value (and its scheme), so a later scheme can be told apart.
const MARK: &str = "x1:";
const NONCE_BYTES: usize = 24;

/// What a sealed value is for; part of what the seal protects.
#[derive(Clone, Copy, Debug)]
pub enum Purpose {
    BookingLink,
    FormResult,
}

impl Purpose {
    fn label(self) -> &'static [u8] {
        match self {
            Self::BookingLink => b"booking-link",
            Self::FormResult => b"form-result",
        }
    }
}

/// What a seal is bound to besides the key: the purpose and the record.
fn associated(purpose: Purpose, bound_to: &str) -> Vec<u8> {
    [purpose.label(), b"\0", bound_to.as_bytes()].concat()
}

/// Whether a stored value is sealed, or in clear as an older version kept it.
pub fn is_sealed(value: &str) -> bool {
    value.starts_with(MARK)
}

/// Seals and opens; cheap to clone.
#[derive(Clone)]
pub struct Sealer {
    cipher: Arc<XChaCha20Poly1305>,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(…)")
    }
}

impl Sealer {
    pub fn new(key: &[u8; 32]) -> Self {
        Self {
            cipher: Arc::new(XChaCha20Poly1305::new(Key::from_slice(key))),
        }
    }

    /// Seals `secret` for `purpose` and the record it belongs to (`bound_to`, for example the
    /// booking's link hash): it opens only for the same two, so a sealed value copied to another
    /// record, or left behind when the record changed, does not.
    pub fn seal(&self, purpose: Purpose, bound_to: &str, secret: &str) -> String {
        let mut nonce = [0u8; NONCE_BYTES];
        rand::rng().fill_bytes(&mut nonce);
        let sealed = self
            .cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: secret.as_bytes(),
                    aad: &associated(purpose, bound_to),
                },
            )
            .expect("sealing fails only for messages of gigabytes");
        format!("{MARK}{}{}", hex::encode(nonce), hex::encode(sealed))
    }

    /// The secret, or `None` when the value was not sealed by this key for this purpose and record
    /// (another key, a changed value): a caller treats it like a missing secret, and it is logged.
    pub fn open(&self, purpose: Purpose, bound_to: &str, sealed: &str) -> Option<String> {
        let opened = sealed
            .strip_prefix(MARK)
            .and_then(|rest| hex::decode(rest).ok())
            .filter(|bytes| bytes.len() > NONCE_BYTES)
            .and_then(|bytes| {
                let (nonce, sealed) = bytes.split_at(NONCE_BYTES);
                self.cipher
                    .decrypt(
                        XNonce::from_slice(nonce),
                        Payload {
                            msg: sealed,
                            aad: &associated(purpose, bound_to),
                        },
                    )
                    .ok()
            })
            .and_then(|plain| String::from_utf8(plain).ok());
        if opened.is_none() {
            tracing::error!(?purpose, "a sealed value could not be opened with this key");
        }
        opened
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINK: Purpose = Purpose::BookingLink;

    #[test]
    fn a_sealed_secret_opens_only_with_its_key_purpose_and_record() {
        let sealer = Sealer::new(&[7; 32]);
        let sealed = sealer.seal(LINK, "buchung-1", "geheimer-link");
        assert!(is_sealed(&sealed));
        assert!(!sealed.contains("geheimer-link"));
        assert_eq!(
            sealer.open(LINK, "buchung-1", &sealed).as_deref(),
            Some("geheimer-link")
        );
        // A fresh nonce each time: equal secrets do not look equal.
        assert_ne!(sealed, sealer.seal(LINK, "buchung-1", "geheimer-link"));
        assert_eq!(Sealer::new(&[8; 32]).open(LINK, "buchung-1", &sealed), None);
        assert_eq!(
            sealer.open(LINK, "buchung-2", &sealed),
            None,
            "another record"
        );
        assert_eq!(
            sealer.open(Purpose::FormResult, "buchung-1", &sealed),
            None,
            "another purpose"
        );
    }

    #[test]
    fn a_changed_or_foreign_value_does_not_open() {
        let sealer = Sealer::new(&[7; 32]);
        let sealed = sealer.seal(LINK, "b", "geheimer-link");
        let mut changed = sealed.clone().into_bytes();
        let last = changed.len() - 1;
        changed[last] = if changed[last] == b'0' { b'1' } else { b'0' };
        let changed = String::from_utf8(changed).unwrap();
        for value in [
            changed.as_str(),
            "geheimer-link",
            "x1:",
            "x1:zz",
            &sealed[..40],
        ] {
            assert_eq!(sealer.open(LINK, "b", value), None, "{value}");
        }
        assert!(!is_sealed("/buchung/in-klartext"));
    }
}
