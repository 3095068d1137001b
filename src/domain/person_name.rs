use std::fmt;

pub const MAX_CHARS: usize = 100;

/// How a person wants to be addressed: 1–100 characters, one line, cleaned by the common text
/// rule (`text::line`). Any script is fine.
#[derive(Clone, PartialEq, Eq)]
pub struct PersonName(String);

impl PersonName {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let name = super::text::line(raw);
        if name.is_empty() {
            return Err("error-name-missing");
        }
        if name.chars().count() > MAX_CHARS {
            return Err("error-name-too-long");
        }
        Ok(Self(name))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Personal data stays out of logs.
impl fmt::Debug for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PersonName(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn names() {
        assert_eq!(
            PersonName::parse("  Zoë Łukasiewicz ").unwrap().as_str(),
            "Zoë Łukasiewicz"
        );
        assert_eq!(PersonName::parse(" ").unwrap_err(), "error-name-missing");
        assert_eq!(
            PersonName::parse(&"a".repeat(101)).unwrap_err(),
            "error-name-too-long"
        );
        assert_eq!(PersonName::parse("a\u{0}b\u{202E}").unwrap().as_str(), "ab");
        assert_eq!(
            PersonName::parse("\u{0}").unwrap_err(),
            "error-name-missing"
        );
    }

    proptest! {
        #[test]
        fn never_panics_and_valid_names_round_trip(s in "\\PC{0,150}") {
            if let Ok(name) = PersonName::parse(&s) {
                prop_assert_eq!(PersonName::parse(name.as_str()).unwrap(), name);
            }
        }
    }
}
