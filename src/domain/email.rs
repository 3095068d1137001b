use std::{fmt, str::FromStr};

use unicode_normalization::UnicodeNormalization;

use super::text;

/// A syntactically valid e-mail address, trimmed and lower-cased so that one person is one address.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        // NFC here and not only in the form layer: the API and the command line pass addresses
        // too, and "zoë" typed as e + combining diaeresis must be the same address as "zoë".
        let normalised: String = raw.trim().nfc().collect();
        let trimmed = normalised.as_str();
        if trimmed.is_empty() {
            return Err("error-email-missing");
        }
        if trimmed.chars().count() > 254 {
            return Err("error-email-too-long");
        }
        // email_address follows RFC 5322; we additionally insist on a dot in the domain,
        // because a mail to "name@localhost" never reaches a citizen.
        let parsed =
            email_address::EmailAddress::from_str(trimmed).map_err(|_| "error-email-invalid")?;
        if !parsed.domain().contains('.')
            || trimmed.contains(|c: char| c.is_whitespace() || c.is_control() || text::is_joiner(c))
        {
            return Err("error-email-invalid");
        }
        Ok(Self(trimmed.to_lowercase()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// Only the domain, for logs: addresses are personal data.
    pub fn domain(&self) -> &str {
        self.0.rsplit('@').next().unwrap_or_default()
    }
}

impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Email(***@{})", self.domain())
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_and_normalises() {
        assert_eq!(
            Email::parse("  Anna.Muster@Example.DE ").unwrap().as_str(),
            "anna.muster@example.de"
        );
    }

    #[test]
    fn a_joiner_makes_no_second_address() {
        // Looks like erika@example.de to staff, but is another address that receives nothing.
        assert!(Email::parse("erika\u{200D}@example.de").is_err());
        assert!(Email::parse("eri\u{200C}ka@example.de").is_err());
    }

    #[test]
    fn one_address_in_either_unicode_form() {
        assert_eq!(
            Email::parse("Zo\u{65}\u{308}@example.de"),
            Email::parse("zo\u{eb}@example.de")
        );
    }

    #[test]
    fn rejects_with_specific_messages() {
        assert_eq!(Email::parse(""), Err("error-email-missing"));
        assert_eq!(Email::parse("anna"), Err("error-email-invalid"));
        assert_eq!(Email::parse("anna@localhost"), Err("error-email-invalid"));
        assert_eq!(Email::parse("<script>@x.de"), Err("error-email-invalid"));
        assert_eq!(
            Email::parse(&format!("{}@example.de", "a".repeat(260))),
            Err("error-email-too-long")
        );
    }

    #[test]
    fn debug_hides_the_local_part() {
        assert_eq!(
            format!("{:?}", Email::parse("anna@example.de").unwrap()),
            "Email(***@example.de)"
        );
    }

    proptest! {
        #[test]
        fn never_panics_and_valid_values_round_trip(s in "\\PC{0,80}") {
            if let Ok(email) = Email::parse(&s) {
                prop_assert_eq!(Email::parse(email.as_str()).unwrap(), email);
            }
        }
    }
}
