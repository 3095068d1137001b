//! Removes e-mail addresses and phone numbers from free text before it leaves the portal.
//!
//! Deliberately generous: a date or an amount that looks like a phone number is lost rather than a
//! real number slipping through. Names in free text cannot be found reliably and stay; the export
//! documentation says so.
use std::sync::LazyLock;

use regex::Regex;

pub const REPLACEMENT: &str = "[entfernt]";

/// Also the spelled-out forms people use to dodge spam harvesters: `name (at) example.de`.
static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)[a-z0-9._%+\-]+\s*(?:@|\(at\)|\[at\])\s*[a-z0-9\-]+(?:(?:\.|\s*\(dot\)\s*|\s*\[dot\]\s*)[a-z0-9\-]+)*(?:\.|\s*\(dot\)\s*|\s*\[dot\]\s*)[a-z]{2,}\b",
    )
    .expect("static e-mail pattern")
});

/// Starts with `+country`, `(0` or a `0` at a word start; digits with spaces, tabs, `/`, `-`, `(`, `)`
/// in between. Dots are left out so that dates (01.12.2026) survive; the digit count is checked in
/// [`scrub`].
static PHONE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:\+\s?\d{1,3}|\(\s?0|\b0)[\d \t/\-()]{3,}\d").expect("static phone pattern")
});

/// Fewer digits than this is not a phone number (a German number has at least a prefix and a few digits).
const MIN_PHONE_DIGITS: usize = 6;

pub fn scrub(text: &str) -> String {
    // Both patterns need a digit, `@`, `(` or `[`; most free text has none, and this check is far
    // cheaper than running the patterns over a million rows.
    if !text
        .bytes()
        .any(|b| b.is_ascii_digit() || matches!(b, b'@' | b'(' | b'['))
    {
        return text.to_owned();
    }
    let without_mail = EMAIL.replace_all(text, REPLACEMENT);
    PHONE
        .replace_all(&without_mail, |caps: &regex::Captures<'_>| {
            let found = &caps[0];
            if found.chars().filter(char::is_ascii_digit).count() >= MIN_PHONE_DIGITS {
                REPLACEMENT.to_owned()
            } else {
                found.to_owned()
            }
        })
        .into_owned()
}

pub fn scrub_opt(text: Option<&str>) -> Option<String> {
    text.map(scrub)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_every_common_phone_format() {
        for phone in [
            "+49 361 1234567",
            "0361/123456",
            "0171-1234567",
            "(0361) 12 34 56",
            "+49 (0)361 123456",
            "+493611234567",
            "0361 - 12 34 56",
            "03611234567",
        ] {
            let text = format!("Rufen Sie an: {phone}, danke.");
            let scrubbed = scrub(&text);
            assert_eq!(scrubbed, "Rufen Sie an: [entfernt], danke.", "{phone}");
        }
    }

    #[test]
    fn removes_e_mail_addresses_also_spelled_out() {
        for mail in [
            "erika.mustermann@example.org",
            "Erika_M+kurs@mail.example.de",
            "erika (at) example (dot) de",
            "erika[at]example.de",
        ] {
            let scrubbed = scrub(&format!("Schreiben Sie {mail} bitte"));
            assert_eq!(scrubbed, "Schreiben Sie [entfernt] bitte", "{mail}");
        }
    }

    #[test]
    fn keeps_ordinary_text_numbers_and_dates() {
        for text in [
            "Der Kurs am 01.12.2026 um 10 Uhr war gut.",
            "Wir waren 12 Leute, 3 davon zum ersten Mal.",
            "Im Jahr 2026 kostet es 0 Euro.",
            "PLZ 99084 Erfurt",
        ] {
            assert_eq!(scrub(text), text);
        }
    }
}
