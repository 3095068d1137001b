//! Password rules after NIST SP 800-63B: length counts, composition rules do not; common passwords are refused.
use std::{collections::HashSet, fmt, sync::LazyLock};

pub const MIN_CHARS: usize = 8;
/// Bounds the hashing work an attacker can ask for.
pub const MAX_CHARS: usize = 256;

static COMMON: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("../../content/reference/common-passwords.txt")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .collect()
});

/// A password that satisfies the rules. Any Unicode is allowed; `Debug` never shows it.
#[derive(Clone)]
pub struct NewPassword(String);

impl NewPassword {
    pub fn parse(raw: &str, email: Option<&str>) -> Result<Self, &'static str> {
        let count = raw.chars().count();
        if count == 0 {
            return Err("error-password-missing");
        }
        if count < MIN_CHARS {
            return Err("error-password-too-short");
        }
        if count > MAX_CHARS {
            return Err("error-password-too-long");
        }
        let lower = raw.to_lowercase();
        if email.is_some_and(|e| is_the_address(&lower, &e.trim().to_lowercase())) {
            return Err("error-password-is-email");
        }
        if is_common(&lower) {
            return Err("error-password-common");
        }
        if is_pattern(&lower) {
            return Err("error-password-pattern");
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// The address itself, or its part before the `@`, with or without digits and signs around it.
fn is_the_address(lower: &str, email: &str) -> bool {
    if email.is_empty() {
        return false;
    }
    let local = email.split('@').next().unwrap_or(email);
    let core = strip_affixes(lower);
    lower.contains(email) || core == local || core == email
}

/// A listed password, also with digits or signs added before or after (`passwort2024!`).
fn is_common(lower: &str) -> bool {
    let core = strip_affixes(lower);
    COMMON.contains(lower) || COMMON.contains(core) || (core.chars().count() < 4 && core != lower)
}

fn strip_affixes(lower: &str) -> &str {
    lower.trim_matches(|c: char| c.is_ascii_digit() || c.is_ascii_punctuation() || c == ' ')
}

/// Rows of German and English keyboards, and the digits, forwards; backwards is checked too.
const KEYBOARD_ROWS: [&str; 6] = [
    "1234567890",
    "qwertzuiopü",
    "qwertyuiop",
    "asdfghjklöä",
    "yxcvbnm",
    "zxcvbnm",
];

/// Easy to guess however long: two or fewer distinct characters (`aaaaaaaa`, `abababab`), one short
/// part repeated (`abcabcabc`, `hallohallo`), or a run of neighbours in the alphabet, on the number
/// row or a keyboard row (`abcdefgh`, `87654321`, `qwertzuiop`).
fn is_pattern(lower: &str) -> bool {
    let chars: Vec<char> = lower.chars().collect();
    let n = chars.len();
    let mut distinct = chars.clone();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() <= 2 {
        return true;
    }
    let repeated = (1..=n / 2)
        .any(|unit| n.is_multiple_of(unit) && chars.chunks(unit).all(|c| c == &chars[..unit]));
    if repeated {
        return true;
    }
    let steps: Vec<i64> = chars
        .windows(2)
        .map(|w| i64::from(u32::from(w[1])) - i64::from(u32::from(w[0])))
        .collect();
    if steps.iter().all(|s| *s == 1) || steps.iter().all(|s| *s == -1) {
        return true;
    }
    KEYBOARD_ROWS.iter().any(|row| {
        let backwards: String = row.chars().rev().collect();
        row.contains(lower) || backwards.contains(lower)
    })
}

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules() {
        assert_eq!(
            NewPassword::parse("", None).unwrap_err(),
            "error-password-missing"
        );
        assert_eq!(
            NewPassword::parse("kurz", None).unwrap_err(),
            "error-password-too-short"
        );
        assert_eq!(
            NewPassword::parse("Passwort123", None).unwrap_err(),
            "error-password-common"
        );
        assert_eq!(
            NewPassword::parse(&"x".repeat(257), None).unwrap_err(),
            "error-password-too-long"
        );
        for own in [
            "anna@example.de",
            "Anna@Example.de",
            "anna12345",
            "xanna@example.de!",
        ] {
            assert_eq!(
                NewPassword::parse(own, Some("anna@example.de")).unwrap_err(),
                "error-password-is-email",
                "{own}"
            );
        }
        for common in ["passwort2024!", "!!sommer2025", "Fussball1904", "12ab!!!!"] {
            assert_eq!(
                NewPassword::parse(common, None).unwrap_err(),
                "error-password-common",
                "{common}"
            );
        }
        for pattern in [
            "aaaaaaaa",
            "abababab",
            "abcabcabc",
            "hallohallo",
            "abcdefgh",
            "hgfedcba",
            "poiuztrewq",
            "lkjhgfdsa",
            "ÄÄÄÄÄÄÄÄ",
        ] {
            assert_eq!(
                NewPassword::parse(pattern, None).unwrap_err(),
                "error-password-pattern",
                "{pattern}"
            );
        }
        assert!(NewPassword::parse("Kaffee mit Milch", Some("anna@example.de")).is_ok());
        assert!(NewPassword::parse("anna-geht-gern-wandern", Some("anna@example.de")).is_ok());
        // No composition rules; Unicode counts by characters.
        assert!(NewPassword::parse("grüne wiese am see", None).is_ok());
        assert!(NewPassword::parse("äöüßöäüß", None).is_ok());
        assert_eq!(
            format!("{:?}", NewPassword::parse("geheimes wort", None).unwrap()),
            "NewPassword(***)"
        );
    }
}
