use std::fmt;

/// An official Kreisschlüssel of a Thuringian district: five digits starting with 16.
/// That the district exists is the database's business (foreign key to the reference table).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DistrictKey(String);

impl DistrictKey {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let s = raw.trim();
        if s.len() == 5 && s.starts_with("16") && s.chars().all(|c| c.is_ascii_digit()) {
            Ok(Self(s.to_owned()))
        } else {
            Err("error-district-invalid")
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DistrictKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn keys() {
        assert!(DistrictKey::parse("16051").is_ok());
        for bad in ["", "1605", "09162", "16a51", "160511"] {
            assert!(DistrictKey::parse(bad).is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn only_thuringian_keys_parse(s in "\\PC{0,12}") {
            if let Ok(key) = DistrictKey::parse(&s) {
                prop_assert!(key.as_str().len() == 5 && key.as_str().starts_with("16"));
            }
        }
    }
}
