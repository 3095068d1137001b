//! The operator's contacts and the accessibility statement shown on the legal pages.

use serde::{Deserialize, Serialize};

/// Who runs this installation; shown on the legal pages. Each municipality or ministry names its own.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Contact {
    pub name: String,
    pub street: String,
    pub postal_code: String,
    pub town: String,
    pub email: String,
    pub phone: String,
    pub url: String,
    pub representative: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct AccessibilityStatement {
    /// "vollständig", "teilweise" or "nicht" (EU model statement); without it the status follows from
    /// the findings: none from the accessibility suite's last run and none below means "vollständig".
    pub status: Option<String>,
    pub prepared_on: String,
    /// Shown as the last review only while no result of the accessibility suite is at hand.
    pub reviewed_on: String,
    /// How the operator assesses the portal; the automated checks of the last run are described after it.
    pub method: String,
    /// The operator's own findings that no automated check can make, listed with the suite's findings.
    pub findings: Vec<StatementFinding>,
}

/// One item of the statement's list of content that is not (yet) accessible, in Markdown.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StatementFinding {
    pub de: String,
    /// The English page shows the German text when this is missing.
    #[serde(default)]
    pub en: Option<String>,
}

impl Default for AccessibilityStatement {
    fn default() -> Self {
        Self {
            status: None,
            prepared_on: "29.11.2026".into(),
            reviewed_on: "29.11.2026".into(),
            method: "Selbstbewertung".into(),
            findings: vec![StatementFinding {
                de: "**Videos in Deutscher Gebärdensprache:** Die Videos, die den Inhalt des Portals, \
                     die Bedienung und diese Erklärung in Deutscher Gebärdensprache erklären, werden noch \
                     produziert. Bis sie fertig sind, steht auf der Seite [Gebärdensprache](/gebaerdensprache) \
                     der vollständige Text jedes Videos. Dieselben Informationen gibt es auch in \
                     [Leichter Sprache](/leichte-sprache)."
                    .into(),
                en: Some(
                    "**Videos in German Sign Language:** the videos that explain the portal, how to use it \
                     and this statement in German Sign Language are still being produced. Until they are \
                     ready, the page [Sign language](/gebaerdensprache) has the full text of every video. \
                     The same information is available in [easy-to-read language](/leichte-sprache)."
                        .into(),
                ),
            }],
        }
    }
}

/// Legal and contact texts used by the content pages.
#[derive(Debug, Clone, Serialize)]
pub struct SiteContacts {
    pub operator: Contact,
    pub dpo: Contact,
    pub enforcement: Contact,
    pub statement: AccessibilityStatement,
}

impl Default for SiteContacts {
    fn default() -> Self {
        Self {
            operator: Contact {
                name: "Teilhabe-Demonstrationsbetrieb".into(),
                street: "Musterstraße 1".into(),
                postal_code: "99084".into(),
                town: "Erfurt".into(),
                email: "kontakt@teilhabe.example".into(),
                phone: "0361 000000".into(),
                url: String::new(),
                representative: "Die Leitung des Demonstrationsbetriebs".into(),
            },
            dpo: Contact {
                name: "Datenschutzbeauftragte Person des Betreibers".into(),
                email: "datenschutz@teilhabe.example".into(),
                ..Contact::default()
            },
            enforcement: Contact {
                name: "Landesdurchsetzungsstelle für digitale Barrierefreiheit beim Beauftragten für Menschen mit Behinderungen des Freistaats Thüringen".into(),
                street: "Werner-Seelenbinder-Straße 6".into(),
                postal_code: "99096".into(),
                town: "Erfurt".into(),
                url: "https://www.tlmb-thueringen.de/".into(),
                ..Contact::default()
            },
            statement: AccessibilityStatement::default(),
        }
    }
}
