//! Editorial pages (accessibility statement, Leichte Sprache, sign language, privacy, imprint, help)
//! rendered from Markdown under `content/<lang>/`, so editors change them without a new build.
//! The pages read the list of features (which the navigation reads too) and the accessibility suite's
//! last result, so what they say about the portal follows what exists and what was tested.
use std::{
    collections::HashMap,
    path::{Path, PathBuf},
};

use serde::Serialize;

mod markdown;
mod statement;

pub use markdown::markdown_to_html;
use markdown::sign_video_html;
pub use statement::{EVIDENCE_FILE, Evidence, EvidenceFinding, Tools};

use crate::{config::SiteContacts, domain::Language, i18n::Translations};

/// The pages and their URL slugs, in footer order.
pub const PAGES: [&str; 7] = [
    "barrierefreiheit",
    "leichte-sprache",
    "gebaerdensprache",
    "datenschutz",
    "impressum",
    "hilfe",
    "kontakt",
];

/// Something people can do on the portal. The main navigation, the help page, the Leichte Sprache page
/// and the sign-language texts all follow this one list: each of those pages has a section whose anchor
/// is the feature's id (the tests below check it), so none of them can leave a feature out.
#[derive(Debug, Clone, Copy)]
pub struct Feature {
    /// The anchor of its section: `{ #id }` after the heading in Markdown (with the spaces, as `{#`
    /// opens a comment in the page's template).
    pub id: &'static str,
    /// Fluent id of its name.
    pub title: &'static str,
    /// Its public page, if it has one.
    pub path: Option<&'static str>,
    /// Fluent id of its label in the main navigation, if it is there.
    pub nav_label: Option<&'static str>,
    /// Lower-case words that name it (a trailing `*` matches any word that starts so): no "coming soon"
    /// passage may use them.
    pub names: &'static [&'static str],
}

/// In the order of the sections; the navigation shows those with a label in this order.
pub const FEATURES: [Feature; 10] = [
    Feature {
        id: "kurse",
        title: "feature-kurse",
        path: Some("/kurse"),
        nav_label: Some("nav-courses"),
        names: &["kurs*", "course*"],
    },
    Feature {
        id: "warteliste",
        title: "feature-warteliste",
        path: None,
        nav_label: None,
        names: &[
            "warteliste*",
            "warte-liste*",
            "waiting list*",
            "waiting-list*",
        ],
    },
    Feature {
        id: "veranstaltungen",
        title: "feature-veranstaltungen",
        path: Some("/veranstaltungen"),
        nav_label: Some("nav-events"),
        names: &["veranstaltung*", "treffen", "event*", "meeting*"],
    },
    Feature {
        id: "vorschlaege",
        title: "feature-vorschlaege",
        path: Some("/vorschlaege"),
        nav_label: Some("nav-proposals"),
        names: &["vorschl*", "idee*", "proposal*", "idea*"],
    },
    Feature {
        id: "orte",
        title: "feature-orte",
        path: Some("/orte"),
        nav_label: Some("nav-places"),
        names: &["orte", "place*"],
    },
    Feature {
        id: "rueckmeldung",
        title: "feature-rueckmeldung",
        path: None,
        nav_label: None,
        names: &["rückmeldung*", "feedback*"],
    },
    Feature {
        id: "freiwillige",
        title: "feature-freiwillige",
        path: None,
        nav_label: None,
        names: &["freiwillig*", "ehrenamt*", "volunteer*", "fsj*"],
    },
    Feature {
        id: "kiosk",
        title: "feature-kiosk",
        path: None,
        nav_label: None,
        names: &["terminal*", "kiosk*"],
    },
    Feature {
        id: "konto",
        title: "feature-konto",
        path: Some("/registrieren"),
        nav_label: None,
        names: &["konto*", "account*"],
    },
    Feature {
        id: "barriere-melden",
        title: "feature-barriere-melden",
        path: Some("/barriere-melden"),
        nav_label: None,
        names: &[
            "barriere melden",
            "barriere-melden",
            "report a barrier",
            "barrier report*",
        ],
    },
];

/// An entry of the main navigation.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct NavEntry {
    pub path: &'static str,
    /// Fluent id of its label.
    pub label: &'static str,
    /// Marked current on the pages below it too (`/kurse/…`), not only on itself.
    pub prefix: bool,
}

/// The main navigation: the start page, the features that have a label, help and Leichte Sprache.
pub fn navigation() -> Vec<NavEntry> {
    let entry = |path, label, prefix| NavEntry {
        path,
        label,
        prefix,
    };
    let mut nav = vec![entry("/", "nav-home", false)];
    nav.extend(
        FEATURES
            .iter()
            .filter_map(|f| Some(entry(f.path?, f.nav_label?, true))),
    );
    nav.push(entry("/hilfe", "nav-help", false));
    nav.push(entry("/leichte-sprache", "footer-easy-language", false));
    nav
}

/// Where the accessibility suite (`a11y-tests/`) writes the result of its last complete run, inside
/// the content folder; the file is committed, so the statement shows what was tested for this release.

#[derive(Debug, Serialize)]
struct FeatureView {
    id: &'static str,
    title: String,
    path: Option<&'static str>,
}

#[derive(Debug, Serialize)]
struct NavView {
    path: &'static str,
    label: String,
}

/// Pages named per finding in the statement; the suite's result file has them all.
#[derive(Debug, thiserror::Error)]
pub enum ContentError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: template error: {message}", path.display())]
    Template { path: PathBuf, message: String },
    #[error("{}: the page must start with one '# Title' heading", path.display())]
    MissingTitle { path: PathBuf },
}

#[derive(Debug, Serialize)]
pub struct RenderedPage {
    pub title: String,
    pub html: String,
    /// The language the text is actually in (English falls back to German where missing).
    pub language: Language,
}

#[derive(Clone)]
pub struct ContentPages {
    content_dir: PathBuf,
    static_dir: PathBuf,
    contacts: SiteContacts,
    base_url: String,
    translations: Translations,
    /// Days after a date (or a course's last session) before bookings lose names and contacts.
    retention_days: i64,
}

impl ContentPages {
    pub fn new(
        content_dir: &Path,
        static_dir: &Path,
        contacts: SiteContacts,
        base_url: String,
        translations: Translations,
        retention_days: i64,
    ) -> Self {
        Self {
            content_dir: content_dir.to_owned(),
            static_dir: static_dir.to_owned(),
            contacts,
            base_url,
            translations,
            retention_days,
        }
    }

    pub fn exists(slug: &str) -> bool {
        PAGES.contains(&slug)
    }

    pub fn render(&self, slug: &str, wanted: Language) -> Result<RenderedPage, ContentError> {
        let (path, language) = [wanted, Language::De]
            .into_iter()
            .map(|lang| {
                (
                    self.content_dir
                        .join(lang.code())
                        .join(format!("{slug}.md")),
                    lang,
                )
            })
            .find(|(path, _)| path.is_file())
            .unwrap_or_else(|| {
                (
                    self.content_dir.join("de").join(format!("{slug}.md")),
                    Language::De,
                )
            });
        let source = std::fs::read_to_string(&path).map_err(|source| ContentError::Io {
            path: path.clone(),
            source,
        })?;
        let markdown = self.expand(&path, &source, language)?;
        let (title, html) = markdown_to_html(&markdown);
        let title = title.ok_or(ContentError::MissingTitle { path })?;
        Ok(RenderedPage {
            title,
            html,
            language,
        })
    }

    /// Fills in contact data from the configuration and the sign-language video slots.
    fn expand(
        &self,
        path: &Path,
        source: &str,
        language: Language,
    ) -> Result<String, ContentError> {
        let template_error = |e: tera::Error| {
            let mut message = e.to_string();
            let mut cause = std::error::Error::source(&e);
            while let Some(c) = cause {
                message.push_str(&format!(": {c}"));
                cause = c.source();
            }
            ContentError::Template {
                path: path.to_owned(),
                message,
            }
        };
        let mut tera = tera::Tera::default();
        tera.autoescape_on(vec![]);
        tera.add_raw_template("page", source)
            .map_err(template_error)?;
        let video_dir = self.static_dir.join("video/dgs");
        let pending = self.translations.text(language, "sign-video-pending");
        tera.register_function("sign_video", move |args: &HashMap<String, tera::Value>| {
            let get = |name: &str| args.get(name).and_then(|v| v.as_str()).unwrap_or_default();
            Ok(tera::Value::String(sign_video_html(
                &video_dir,
                get("id"),
                get("title"),
                &pending,
            )))
        });
        let mut context = tera::Context::from_serialize(&self.contacts).map_err(template_error)?;
        context.insert("base_url", self.base_url.trim_end_matches('/'));
        context.insert("retention_days", &self.retention_days);
        let evidence = self.evidence();
        context.insert(
            "statement",
            &self.statement(&self.contacts.statement, evidence.as_ref(), language),
        );
        let features: Vec<FeatureView> = FEATURES
            .iter()
            .map(|f| FeatureView {
                id: f.id,
                title: self.translations.text(language, f.title),
                path: f.path,
            })
            .collect();
        context.insert("features", &features);
        let navigation: Vec<NavView> = navigation()
            .into_iter()
            .map(|n| NavView {
                path: n.path,
                label: self.translations.text(language, n.label),
            })
            .collect();
        context.insert("navigation", &navigation);
        tera.render("page", &context).map_err(template_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn repo() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
    }

    pub(super) fn translations() -> Translations {
        Translations::load(&repo().join("content/locales")).unwrap()
    }

    pub(super) fn pages_in(content_dir: &Path, contacts: SiteContacts) -> ContentPages {
        ContentPages::new(
            content_dir,
            &repo().join("static"),
            contacts,
            "https://teilhabe.example".into(),
            translations(),
            90,
        )
    }

    fn repo_pages() -> ContentPages {
        pages_in(&repo().join("content"), SiteContacts::default())
    }

    /// The rendered text of a page, one entry per section (the text under a heading, with it).
    fn sections(html: &str) -> Vec<String> {
        let mut out = vec![String::new()];
        let mut rest = html;
        while let Some(start) = rest.find('<') {
            out.last_mut().unwrap().push_str(&rest[..start]);
            let end = rest[start..]
                .find('>')
                .map_or(rest.len(), |e| start + e + 1);
            let tag = &rest[start..end];
            if tag.len() > 3 && tag.starts_with("<h") && tag.as_bytes()[2].is_ascii_digit() {
                out.push(String::new());
            }
            out.last_mut().unwrap().push(' ');
            rest = &rest[end..];
        }
        out.last_mut().unwrap().push_str(rest);
        out.into_iter().map(|s| s.to_lowercase()).collect()
    }

    /// `word` at a word start in `text`; a trailing `*` lets the word go on.
    fn names(text: &str, word: &str) -> bool {
        let (word, prefix) = match word.strip_suffix('*') {
            Some(w) => (w, true),
            None => (word, false),
        };
        text.match_indices(word).any(|(at, _)| {
            let before = text[..at].chars().next_back();
            let after = text[at + word.len()..].chars().next();
            !before.is_some_and(char::is_alphanumeric)
                && (prefix || !after.is_some_and(char::is_alphanumeric))
        })
    }

    /// Words that announce something as not there yet.
    const COMING_SOON: [&str; 15] = [
        "bald",
        "demnächst",
        "in vorbereitung",
        "gibt es noch nicht",
        "geht aber noch nicht",
        "geht noch nicht",
        "noch nicht freigeschaltet",
        "coming soon",
        "soon",
        "in preparation",
        "does not exist yet",
        "do not exist yet",
        "not available yet",
        "not yet available",
        "not possible yet",
    ];

    /// The sections of `text` that announce something as coming and name an existing feature.
    fn coming_soon_naming_a_feature(text: &[String]) -> Vec<String> {
        text.iter()
            .map(|section| section.replace("as soon as", ""))
            .filter(|section| COMING_SOON.iter().any(|m| names(section, m)))
            .filter_map(|section| {
                let named: Vec<&str> = FEATURES
                    .iter()
                    .filter(|f| f.names.iter().any(|n| names(&section, n)))
                    .map(|f| f.id)
                    .collect();
                (!named.is_empty()).then(|| {
                    let start: String = section.split_whitespace().collect::<Vec<_>>().join(" ");
                    format!(
                        "{named:?} in: {}",
                        start.chars().take(160).collect::<String>()
                    )
                })
            })
            .collect()
    }

    #[test]
    fn every_feature_has_its_section_on_the_help_easy_language_and_sign_language_pages() {
        let pages = repo_pages();
        for lang in Language::ALL {
            for slug in ["hilfe", "leichte-sprache", "gebaerdensprache"] {
                let page = pages.render(slug, lang).unwrap();
                assert_eq!(page.language, lang, "{slug} exists in {}", lang.code());
                for feature in FEATURES {
                    assert!(
                        page.html.contains(&format!(" id=\"{}\"", feature.id)),
                        "{slug} ({}) has no section #{}",
                        lang.code(),
                        feature.id
                    );
                }
            }
        }
    }

    #[test]
    fn easy_language_and_sign_language_pages_name_every_navigation_entry() {
        let pages = repo_pages();
        let translations = translations();
        for lang in Language::ALL {
            let easy = pages.render("leichte-sprache", lang).unwrap().html;
            let sign = pages.render("gebaerdensprache", lang).unwrap().html;
            for entry in navigation() {
                let label = translations.text(lang, entry.label);
                assert!(
                    easy.contains(&format!("<a href=\"{}\">{label}</a>", entry.path)),
                    "leichte-sprache ({}) lists no menu link {label}",
                    lang.code()
                );
                assert!(
                    sign.contains(&label),
                    "gebaerdensprache ({}) names no {label}",
                    lang.code()
                );
            }
        }
    }

    #[test]
    fn navigation_shows_the_features_with_a_label_between_home_and_help() {
        let nav = navigation();
        assert_eq!(nav.first().map(|n| n.path), Some("/"));
        assert_eq!(
            nav.iter().rev().take(2).map(|n| n.path).collect::<Vec<_>>(),
            ["/leichte-sprache", "/hilfe"]
        );
        let labelled: Vec<&str> = FEATURES
            .iter()
            .filter(|f| f.nav_label.is_some())
            .filter_map(|f| f.path)
            .collect();
        assert_eq!(
            nav[1..nav.len() - 2]
                .iter()
                .map(|n| n.path)
                .collect::<Vec<_>>(),
            labelled
        );
    }

    #[test]
    fn no_page_or_message_announces_an_existing_feature_as_coming() {
        let pages = repo_pages();
        let mut found = Vec::new();
        for lang in Language::ALL {
            for slug in PAGES {
                let html = pages.render(slug, lang).unwrap().html;
                for hit in coming_soon_naming_a_feature(&sections(&html)) {
                    found.push(format!("/{slug} ({}): {hit}", lang.code()));
                }
            }
            // Every message of the catalogue, one at a time.
            let catalogue = std::fs::read_to_string(
                repo()
                    .join("content/locales")
                    .join(lang.code())
                    .join("main.ftl"),
            )
            .unwrap();
            let mut messages: Vec<String> = vec![String::new()];
            for line in catalogue.lines().filter(|l| !l.starts_with('#')) {
                // A message starts at its id; indented lines and closing braces continue it.
                if !line.starts_with([' ', '}']) && line.contains(" =") {
                    messages.push(String::new());
                }
                messages.last_mut().unwrap().push_str(&format!("{line} "));
            }
            // The text only: an id such as `volunteer-status-…` names no feature to a reader.
            let messages: Vec<String> = messages
                .into_iter()
                .map(|m| {
                    m.split_once(" =")
                        .map_or(m.clone(), |(_, text)| text.to_lowercase())
                })
                .collect();
            for hit in coming_soon_naming_a_feature(&messages) {
                found.push(format!("main.ftl ({}): {hit}", lang.code()));
            }
        }
        assert!(
            found.is_empty(),
            "coming soon, though it exists:\n{}",
            found.join("\n")
        );
    }

    #[test]
    fn the_coming_soon_check_finds_an_announced_feature() {
        let text = sections(
            "<h3>Das gibt es bald</h3><ul><li>Sie finden Treffen in Ihrer Gemeinde.</li></ul>",
        );
        assert_eq!(coming_soon_naming_a_feature(&text).len(), 1);
        let text = sections(
            "<p>Sobald ein Platz frei wird, bekommen Sie ihn. As soon as a course starts.</p>",
        );
        assert!(coming_soon_naming_a_feature(&text).is_empty());
    }
}
