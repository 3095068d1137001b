use unic_langid::{LanguageIdentifier, langid};

/// The languages of texts. German is the default and the fallback. The web interface is German or
/// English ([`Language::ALL`]); mails can also be in Leichte Sprache (easy German, BITV 2.0), which
/// people choose on their account page ([`Language::FOR_MAIL`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Serialize)]
pub enum Language {
    #[default]
    #[serde(rename = "de")]
    De,
    #[serde(rename = "en")]
    En,
    /// Leichte Sprache: German in short sentences, one idea each, with hard words explained.
    /// Messages without an easy version fall back to plain German.
    #[serde(rename = "de-x-ls")]
    Ls,
}

impl Language {
    /// The languages of the web interface.
    pub const ALL: [Self; 2] = [Self::De, Self::En];
    /// The languages a person can choose for their mails.
    pub const FOR_MAIL: [Self; 3] = [Self::De, Self::En, Self::Ls];

    /// The stored code, also a valid BCP 47 tag (`de-x-ls` is German with a private-use subtag).
    pub fn code(self) -> &'static str {
        match self {
            Self::De => "de",
            Self::En => "en",
            Self::Ls => "de-x-ls",
        }
    }

    /// The identifier of the Fluent catalogue (`content/locales/<langid>/`).
    pub fn langid(self) -> LanguageIdentifier {
        match self {
            Self::De => langid!("de"),
            Self::En => langid!("en"),
            Self::Ls => langid!("de-leichte"),
        }
    }

    /// German and Leichte Sprache write dates, times and numbers the German way.
    pub fn is_german(self) -> bool {
        matches!(self, Self::De | Self::Ls)
    }

    /// A stored or requested code: `de`, `en` (with any region) or `de-x-ls`.
    pub fn from_code(code: &str) -> Option<Self> {
        // Templates pass the page's own code with every text: no allocation for those.
        if let Some(exact) = Self::FOR_MAIL.into_iter().find(|l| l.code() == code) {
            return Some(exact);
        }
        let code = code.trim().to_ascii_lowercase().replace('_', "-");
        if code == Self::Ls.code() || code == "de-leichte" {
            return Some(Self::Ls);
        }
        let primary = code.split('-').next()?;
        Self::ALL.into_iter().find(|l| l.code() == primary)
    }

    /// A code for the web interface: Leichte Sprache is offered as its own pages (`/leichte-sprache`),
    /// not as an interface language, so it is not taken from a link, cookie or browser setting.
    pub fn interface_from_code(code: &str) -> Option<Self> {
        Self::from_code(code).filter(|l| Self::ALL.contains(l))
    }

    /// Picks the best language from an `Accept-Language` header, honouring q-values.
    pub fn from_accept_language(header: &str) -> Option<Self> {
        let mut candidates: Vec<(f32, Self)> = header
            .split(',')
            .filter_map(|part| {
                let mut pieces = part.split(';');
                let lang = Self::interface_from_code(pieces.next()?)?;
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
        assert_eq!(Language::from_accept_language("de-x-ls"), None);
    }

    #[test]
    fn codes() {
        for lang in Language::FOR_MAIL {
            assert_eq!(Language::from_code(lang.code()), Some(lang));
        }
        assert_eq!(Language::from_code("de-DE"), Some(Language::De));
        assert_eq!(Language::from_code("en_GB"), Some(Language::En));
        assert_eq!(Language::interface_from_code("de-x-ls"), None);
        assert_eq!(Language::interface_from_code("en"), Some(Language::En));
    }
}
