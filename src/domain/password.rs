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
        if COMMON.contains(lower.as_str()) || email.is_some_and(|e| e.eq_ignore_ascii_case(raw)) {
            return Err("error-password-common");
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
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
        assert_eq!(
            NewPassword::parse("anna@example.de", Some("anna@example.de")).unwrap_err(),
            "error-password-common"
        );
        // No composition rules; Unicode counts by characters.
        assert!(NewPassword::parse("grüne wiese am see", None).is_ok());
        assert!(NewPassword::parse("äöüßäöüß", None).is_ok());
        assert_eq!(
            format!("{:?}", NewPassword::parse("geheimes wort", None).unwrap()),
            "NewPassword(***)"
        );
    }
}
