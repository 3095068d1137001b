use std::fmt;

/// A URL-safe identifier such as `probierladen-erfurt`: lower-case ASCII letters, digits and single hyphens.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Slug(String);

impl Slug {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let s = raw.trim();
        let valid_chars = s
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if s.len() < 2
            || s.len() > 80
            || !valid_chars
            || s.starts_with('-')
            || s.ends_with('-')
            || s.contains("--")
        {
            return Err("error-slug-invalid");
        }
        Ok(Self(s.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn slugs() {
        assert!(Slug::parse("vhs-erfurt").is_ok());
        for bad in [
            "",
            "a",
            "VHS",
            "vhs--erfurt",
            "-vhs",
            "vhs erfurt",
            "vhs_erfurt",
            "ä",
        ] {
            assert!(Slug::parse(bad).is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn valid_slugs_are_lower_case_words_with_single_hyphens(s in "\\PC{0,60}") {
            if let Ok(slug) = Slug::parse(&s) {
                let text = slug.to_string();
                prop_assert!(text.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'));
                prop_assert!(!text.contains("--") && !text.starts_with('-') && !text.ends_with('-'));
            }
        }
    }
}
