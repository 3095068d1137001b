use unic_langid::{LanguageIdentifier, langid};

/// The interface languages. German is the default and the fallback.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    #[default]
    De,
    En,
}

impl Language {
    pub const ALL: [Self; 2] = [Self::De, Self::En];

    pub fn code(self) -> &'static str {
        match self {
            Self::De => "de",
            Self::En => "en",
        }
    }

    pub fn langid(self) -> LanguageIdentifier {
        match self {
            Self::De => langid!("de"),
            Self::En => langid!("en"),
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        let primary = code.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        Self::ALL.into_iter().find(|l| l.code() == primary)
    }

    /// Picks the best language from an `Accept-Language` header, honouring q-values.
    pub fn from_accept_language(header: &str) -> Option<Self> {
        let mut candidates: Vec<(f32, Self)> = header
            .split(',')
            .filter_map(|part| {
                let mut pieces = part.split(';');
                let lang = Self::from_code(pieces.next()?)?;
                let q = pieces
                    .find_map(|p| p.trim().strip_prefix("q="))
                    .and_then(|q| q.parse::<f32>().ok())
                    .unwrap_or(1.0);
                (q > 0.0).then_some((q, lang))
            })
            .collect();
        // Stable sort keeps header order among equal weights.
        candidates.sort_by(|a, b| b.0.total_cmp(&a.0));
        candidates.first().map(|(_, l)| *l)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language() {
        assert_eq!(
            Language::from_accept_language("en-GB,en;q=0.9,de;q=0.8"),
            Some(Language::En)
        );
        assert_eq!(
            Language::from_accept_language("fr-FR, de;q=0.5, en;q=0.4"),
            Some(Language::De)
        );
        assert_eq!(Language::from_accept_language("fr"), None);
        assert_eq!(
            Language::from_accept_language("en;q=0, de"),
            Some(Language::De)
        );
        assert_eq!(Language::from_accept_language(""), None);
    }
}
