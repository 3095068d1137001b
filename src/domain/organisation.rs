use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OrganisationKind {
    Probierladen,
    Volkshochschule,
    Kommune,
    Landesministerium,
    /// Welfare associations, senior-home operators and other bodies running offers.
    Traeger,
}

impl OrganisationKind {
    pub const ALL: [Self; 5] = [
        Self::Probierladen,
        Self::Volkshochschule,
        Self::Kommune,
        Self::Landesministerium,
        Self::Traeger,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Probierladen => "probierladen",
            Self::Volkshochschule => "volkshochschule",
            Self::Kommune => "kommune",
            Self::Landesministerium => "landesministerium",
            Self::Traeger => "traeger",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == raw.trim())
            .ok_or("error-organisation-kind-invalid")
    }
}

impl fmt::Display for OrganisationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        for kind in OrganisationKind::ALL {
            assert_eq!(OrganisationKind::parse(kind.as_str()), Ok(kind));
        }
        assert!(OrganisationKind::parse("verein").is_err());
    }
}
