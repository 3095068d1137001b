//! Removes e-mail addresses and phone numbers from free text before it leaves the portal.
//!
//! Deliberately generous: a date or an amount that looks like a phone number is lost rather than a
//! real number slipping through. Names in free text cannot be found reliably and stay; the export
//! documentation says so.
use std::sync::LazyLock;

use regex::Regex;

pub const REPLACEMENT: &str = "[entfernt]";

/// Also the spelled-out forms people use to dodge spam harvesters: `name (at) example.de`,
/// `name(ät)example.de`, `name at example.de`, `name @ example . de`; letters of any script, so
/// that `info@müller-it.de` is one too.
static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    let local = r"[\p{L}\p{N}._%+\-]+";
    let at = r"(?:\s*[@＠]\s*|\s*[(\[{]\s*(?:at|ät)\s*[)\]}]\s*|\s+(?:at|ät)\s+)";
    let label = r"[\p{L}\p{N}\-]+";
    let dot = r"(?:\.|\s+\.\s+|\s*[(\[{]\s*(?:dot|punkt)\s*[)\]}]\s*|\s+(?:dot|punkt)\s+)";
    Regex::new(&format!(
        r"(?i){local}{at}{label}(?:{dot}{label})*{dot}\p{{L}}{{2,}}\b"
    ))
    .expect("static e-mail pattern")
});

/// Starts with `+country`, `(0` or a `0` at a word start; digits of any script with spaces, tabs,
/// `/`, `-`, `.`, `(`, `)` (also their full-width forms) in between. The digit count is checked in
/// [`scrub`], and so are the dates and times the dots let in (01.12.2026, 09.30).
static PHONE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:[+＋]\s?\d{1,3}|[(（]\s?[0٠۰０]|\b[0٠۰０])[\d \t/\-.()／－．（）]{3,}\d")
        .expect("static phone pattern")
});

/// Any other run of digits with spaces, tabs, `/`, `-` or brackets between them: a number written
/// without its leading 0 (`361 5550199`, `5550199`) or glued to a word (`Tel0361 5550199`). Kept
/// when it continues a date, an amount or a time (after `.`, `,`, `:` or another digit), has fewer
/// than [`MIN_LOOSE_DIGITS`] digits, or is a date, a span of years or a range of two numbers of one
/// length (`2026-12-01`, `1/12/2026`, `2025/2026`, `99084 - 99099`).
static DIGIT_RUN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[(（]?\d[\d \t/\-()／－（）]{4,}\d").expect("static digit-run pattern")
});

/// A local number has at least a few digits more than a postal code.
const MIN_LOOSE_DIGITS: usize = 7;

/// What a digit run may be besides a phone number.
static NOT_A_PHONE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(?:(?:19|20)\d{2}\s?[/\-]\s?(?:(?:19|20)\d{2}|\d{2})|\d{4}-\d{1,2}-\d{1,2}|\d{1,2}/\d{1,2}/(?:\d{4}|\d{2}))$",
    )
    .expect("static date pattern")
});

/// `99084 - 99099`, `101-105`: two numbers of one length, a range.
fn is_range(run: &str) -> bool {
    let parts: Vec<&str> = run.split(['-', '/', '－', '／']).map(str::trim).collect();
    parts.len() == 2
        && parts[0].len() == parts[1].len()
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(char::is_numeric))
}

/// A date or time at the start of a phone-like match: `01.12.2026`, `01.12.`, `03.2026`, `09.30`.
static DATE_OR_TIME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:\d{1,2}\.\d{1,2}\.(?:\d{4}|\d{2})?|\d{1,2}[.:](?:\d{4}|\d{2}))")
        .expect("static date pattern")
});

/// Fewer digits than this is not a phone number (a German number has at least a prefix and a few digits).
const MIN_PHONE_DIGITS: usize = 6;

/// Worth running the patterns on: a digit of any script, `@`, a bracket, or an `at`/`ät`. Most free
/// text has none, and this check is far cheaper than running the patterns over a million rows.
fn may_hold_contact(text: &str) -> bool {
    !text.is_ascii()
        || text
            .bytes()
            .any(|b| b.is_ascii_digit() || matches!(b, b'@' | b'(' | b'[' | b'{'))
        || text
            .as_bytes()
            .windows(2)
            .any(|w| w.eq_ignore_ascii_case(b"at"))
}

pub fn scrub(text: &str) -> String {
    if !may_hold_contact(text) {
        return text.to_owned();
    }
    let without_mail = EMAIL.replace_all(text, REPLACEMENT);
    scrub_phones(&without_mail)
}

fn scrub_phones(text: &str) -> String {
    let without_phones = scrub_phone_pattern(text);
    DIGIT_RUN
        .replace_all(&without_phones, |caps: &regex::Captures<'_>| {
            let found = caps.get(0).expect("whole match");
            let continues = without_phones[..found.start()]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_numeric() || matches!(c, '.' | ',' | ':' | '-' | '/'));
            let run = found.as_str();
            let digits = run.chars().filter(|c| c.is_numeric()).count();
            if continues
                || digits < MIN_LOOSE_DIGITS
                || NOT_A_PHONE.is_match(run.trim())
                || is_range(run)
            {
                run.to_owned()
            } else {
                REPLACEMENT.to_owned()
            }
        })
        .into_owned()
}

fn scrub_phone_pattern(text: &str) -> String {
    PHONE
        .replace_all(text, |caps: &regex::Captures<'_>| {
            let found = caps.get(0).expect("whole match");
            let (before, found) = (&text[..found.start()], found.as_str());
            // The tail of a larger number or date (1.000.000, 12.03.2026) is no phone's start; nor
            // is a date or time, though a number may follow it.
            let mut before_chars = before.chars().rev();
            let glued = matches!(before_chars.next(), Some('.' | ',' | ':'))
                && before_chars.next().is_some_and(char::is_numeric);
            let skip = if glued {
                found
                    .find(|c: char| !(c.is_numeric() || c == '.'))
                    .unwrap_or(found.len())
            } else {
                DATE_OR_TIME
                    .find(found)
                    .map(|m| m.end())
                    .filter(|end| {
                        !found[*end..]
                            .chars()
                            .next()
                            .is_some_and(|c| c.is_numeric() || c == '.')
                    })
                    .unwrap_or(0)
            };
            if skip > 0 {
                format!("{}{}", &found[..skip], scrub_phone_pattern(&found[skip..]))
            } else if found.chars().filter(|c| c.is_numeric()).count() >= MIN_PHONE_DIGITS {
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
            "0361.5550199",
            "0171.555.01.99",
            "+49.361.5550199",
            // Arabic-Indic, Eastern Arabic-Indic and full-width digits.
            "٠٣٦١ ٥٥٥٠١٩٩",
            "+٤٩ ٣٦١ ٥٥٥٠١٩٩",
            "۰۱۷۱ ۵۵۵۰۱۹۹",
            "０３６１／５５５０１９９",
            "０１７１－５５５０１９９",
            "0171-1234567",
            "(0361) 12 34 56",
            "+49 (0)361 123456",
            "+493611234567",
            "0361 - 12 34 56",
            "03611234567",
            // Without the leading 0, or glued to a word.
            "5550199",
            "361 5550199",
            "(361) 555 01 99",
        ] {
            let text = format!("Rufen Sie an: {phone}, danke.");
            let scrubbed = scrub(&text);
            assert_eq!(scrubbed, "Rufen Sie an: [entfernt], danke.", "{phone}");
        }
        assert_eq!(scrub("Tel0361 5550199"), "Tel[entfernt]");
    }

    #[test]
    fn removes_e_mail_addresses_also_spelled_out() {
        for mail in [
            "erika.mustermann@example.org",
            "Erika_M+kurs@mail.example.de",
            "erika (at) example (dot) de",
            "erika[at]example.de",
            "erika at web.de",
            "erika AT web.de",
            "erika(ät)web.de",
            "erika [ät] web.de",
            "erika @ web . de",
            "erika at web dot de",
            "info@müller-it.de",
            "jürgen.groß@straße.de",
            "erika＠web.de",
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
            "ab 10.30 Uhr am 12.03.2026",
            "am 05.03.2026 von 09.30 - 11.00 Uhr",
            "Treffen 01.12. um 09:30, Termin 03.2026",
            "Es kostet 1.000.000 Euro, 0,50 Euro pro Stück.",
            "Wir treffen uns at the station.",
            "Look at this: it is great at home.",
            "Version 0.9.1 läuft.",
            "Am ١٢ Mai waren wir ٣ Leute.",
            "Ärger über die Wartezeit.",
            "Im Schuljahr 2025/2026 und 2026-27 wieder.",
            "Kurs 3 - 5 Termine, 12 (13) Leute",
            "am 05.12.2026 14 Uhr",
            "Treffen am 06.12.2026 10 - 12 Uhr",
            "Termin 2026-12-01 und am 1/12/2026",
            "Digitalkurs 2026 (10 Abende)",
            "Raum 101-105, Seiten 100-150",
            "PLZ 99084 - 99099 und 99084/99085",
            "Kosten 250 000 Euro",
        ] {
            assert_eq!(scrub(text), text);
        }
    }

    #[test]
    fn keeps_the_date_before_a_phone_number_and_removes_the_number() {
        assert_eq!(
            scrub("am 12.03.2026 0361 5550199 anrufen"),
            "am 12.03.2026 [entfernt] anrufen"
        );
        assert_eq!(scrub("01.12.2026 0171.555.01.99"), "01.12.2026 [entfernt]");
        assert_eq!(
            scrub("Schreiben Sie an erika@web.de. Danke"),
            "Schreiben Sie an [entfernt]. Danke"
        );
    }
}
