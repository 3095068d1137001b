//! Editorial pages (accessibility statement, Leichte Sprache, sign language, privacy, imprint, help)
//! rendered from Markdown under `content/<lang>/`, so editors change them without a new build.
//! The pages read the list of features (which the navigation reads too) and the accessibility suite's
//! last result, so what they say about the portal follows what exists and what was tested.
use std::{
    collections::HashMap,
    path::{Path, PathBuf},
};

use chrono::NaiveDate;
use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd, html};
use serde::{Deserialize, Serialize};

use crate::{
    config::{AccessibilityStatement, SiteContacts},
    domain::Language,
    i18n::Translations,
};

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
pub const EVIDENCE_FILE: &str = "a11y-evidence.json";

/// The accessibility suite's last complete run.
#[derive(Debug, Deserialize)]
pub struct Evidence {
    pub checked_on: NaiveDate,
    pub tools: Tools,
    pub widths: Vec<u32>,
    /// Distinct pages (URLs) checked, and page × width runs.
    pub pages: u32,
    pub runs: u32,
    /// The roles whose signed-in pages were checked.
    pub roles: Vec<String>,
    /// The ids of the checks the suite made (`a11y-check-<id>` in the catalogue describes each).
    pub checks: Vec<String>,
    pub findings: Vec<EvidenceFinding>,
}

#[derive(Debug, Deserialize)]
pub struct Tools {
    pub axe_core: String,
    pub nu_html_checker: String,
    pub chromium: String,
}

/// A problem the suite found, with the pages it found it on.
#[derive(Debug, Deserialize)]
pub struct EvidenceFinding {
    /// WCAG success criterion such as "1.4.10"; none for best practices and failures of the run.
    pub criterion: Option<String>,
    pub check: String,
    /// The axe-core rule, for axe findings.
    #[serde(default)]
    pub rule: Option<String>,
    pub help: String,
    pub pages: Vec<String>,
}

/// What the statement pages get as `statement`.
#[derive(Debug, Serialize)]
struct StatementView<'a> {
    /// "vollständig", "teilweise" or "nicht".
    status: &'a str,
    prepared_on: &'a str,
    /// The day of the last automated check, or the configured review without one.
    checked_on: String,
    method: &'a str,
    evidence: Option<EvidenceView>,
    findings: Vec<FindingView>,
}

#[derive(Debug, Serialize)]
struct EvidenceView {
    axe_core: String,
    nu_html_checker: String,
    chromium: String,
    widths: Vec<u32>,
    pages: u32,
    runs: u32,
    roles: Vec<String>,
    /// What each check does, in the page's language.
    checks: Vec<String>,
}

/// One item of "not accessible": a title (the success criterion) and a Markdown text.
#[derive(Debug, Serialize)]
struct FindingView {
    title: String,
    text: String,
}

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
const EXAMPLE_PAGES: usize = 3;

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
}

impl ContentPages {
    pub fn new(
        content_dir: &Path,
        static_dir: &Path,
        contacts: SiteContacts,
        base_url: String,
        translations: Translations,
    ) -> Self {
        Self {
            content_dir: content_dir.to_owned(),
            static_dir: static_dir.to_owned(),
            contacts,
            base_url,
            translations,
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

    /// The suite's last result, if the content folder has one that can be read.
    fn evidence(&self) -> Option<Evidence> {
        let path = self.content_dir.join(EVIDENCE_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "accessibility evidence unreadable");
                return None;
            }
        };
        serde_json::from_str(&text)
            .inspect_err(|e| {
                tracing::warn!(path = %path.display(), error = %e, "accessibility evidence invalid");
            })
            .ok()
    }

    /// The statement as the evidence and the operator's configuration say: the suite's findings and
    /// the operator's own, the method and the day of the last check.
    fn statement<'a>(
        &self,
        config: &'a AccessibilityStatement,
        evidence: Option<&Evidence>,
        language: Language,
    ) -> StatementView<'a> {
        let t = |key: &str| self.translations.text(language, key);
        let mut findings: Vec<FindingView> = evidence
            .map(|e| e.findings.iter())
            .into_iter()
            .flatten()
            .map(|f| {
                let title = match &f.criterion {
                    Some(sc) => {
                        format!("WCAG {sc} {}", t(&format!("wcag-{}", sc.replace('.', "-"))))
                    }
                    None => t("statement-finding-without-criterion"),
                };
                let what = match &f.rule {
                    Some(rule) => format!(
                        "{} („{}“: {})",
                        t(&format!("a11y-check-{}", f.check)),
                        rule,
                        f.help
                    ),
                    None => format!("{} ({})", t(&format!("a11y-check-{}", f.check)), f.help),
                };
                let examples: Vec<String> = f
                    .pages
                    .iter()
                    .take(EXAMPLE_PAGES)
                    .map(|p| format!("`{}`", p.replace('`', "")))
                    .collect();
                let mut args = HashMap::new();
                args.insert("count".into(), f.pages.len().into());
                args.insert("examples".into(), examples.join(", ").into());
                let pages = self
                    .translations
                    .text_with(language, "statement-finding-pages", &args);
                FindingView {
                    title,
                    text: format!("{} {pages}", markdown_text(&what)),
                }
            })
            .collect();
        findings.extend(config.findings.iter().map(|f| FindingView {
            title: String::new(),
            text: match language {
                Language::En => f.en.clone().unwrap_or_else(|| f.de.clone()),
                Language::De | Language::Ls => f.de.clone(),
            },
        }));
        let status = match (&config.status, evidence) {
            (Some(status), _) => status.as_str(),
            // Untested, nothing can be claimed in full.
            (None, None) => "teilweise",
            (None, Some(_)) if findings.is_empty() => "vollständig",
            (None, Some(_)) => "teilweise",
        };
        let checked_on = match evidence {
            Some(e) => match language {
                Language::De | Language::Ls => e.checked_on.format("%d.%m.%Y").to_string(),
                Language::En => e.checked_on.format("%-d %B %Y").to_string(),
            },
            None => config.reviewed_on.clone(),
        };
        StatementView {
            status,
            prepared_on: &config.prepared_on,
            checked_on,
            method: &config.method,
            evidence: evidence.map(|e| EvidenceView {
                axe_core: e.tools.axe_core.clone(),
                nu_html_checker: e.tools.nu_html_checker.clone(),
                chromium: e.tools.chromium.clone(),
                widths: e.widths.clone(),
                pages: e.pages,
                runs: e.runs,
                roles: e.roles.iter().map(|r| t(&format!("role-{r}"))).collect(),
                checks: e
                    .checks
                    .iter()
                    .map(|c| t(&format!("a11y-check-{c}")))
                    .collect(),
            }),
            findings,
        }
    }
}

/// Text from outside (a tool's message) as literal Markdown: no HTML, no emphasis, no links.
fn markdown_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in escape(text).chars() {
        if matches!(c, '\\' | '`' | '*' | '_' | '[' | ']' | '#' | '|' | '~') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A captioned player when the video and its captions exist, otherwise an honest note.
fn sign_video_html(video_dir: &Path, id: &str, title: &str, pending: &str) -> String {
    let safe_id = id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') && !id.is_empty();
    let (title, id) = (escape(title), escape(id));
    if safe_id
        && video_dir.join(format!("{id}.mp4")).is_file()
        && video_dir.join(format!("{id}.vtt")).is_file()
    {
        format!(
            "<figure class=\"sign-video\"><video controls preload=\"metadata\" aria-label=\"{title}\">\
             <source src=\"/static/video/dgs/{id}.mp4\" type=\"video/mp4\">\
             <track kind=\"captions\" src=\"/static/video/dgs/{id}.vtt\" srclang=\"de\" label=\"Deutsch\" default>\
             </video><figcaption>{title}</figcaption></figure>"
        )
    } else {
        format!(
            "<div class=\"sign-video sign-video--pending\"><p class=\"sign-video__title\">{title}</p><p>{}</p></div>",
            escape(pending)
        )
    }
}

/// Renders Markdown and takes the first level-one heading as the page title.
pub fn markdown_to_html(markdown: &str) -> (Option<String>, String) {
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    options.insert(Options::ENABLE_STRIKETHROUGH);
    // `## Kurse finden { #kurse }`: the sections of the features have fixed anchors.
    options.insert(Options::ENABLE_HEADING_ATTRIBUTES);
    let mut title = None;
    let mut in_h1 = false;
    let mut current = String::new();
    let events: Vec<Event> = Parser::new_ext(markdown, options)
        .inspect(|event| match event {
            Event::Start(Tag::Heading {
                level: HeadingLevel::H1,
                ..
            }) => in_h1 = title.is_none(),
            Event::End(TagEnd::Heading(HeadingLevel::H1)) if in_h1 => {
                title = Some(current.trim().to_owned());
                in_h1 = false;
            }
            Event::Text(text) | Event::Code(text) if in_h1 => current.push_str(text),
            _ => {}
        })
        .collect();
    let mut out = String::new();
    html::push_html(&mut out, events.into_iter());
    (title, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
    }

    fn translations() -> Translations {
        Translations::load(&repo().join("content/locales")).unwrap()
    }

    fn pages_in(content_dir: &Path, contacts: SiteContacts) -> ContentPages {
        ContentPages::new(
            content_dir,
            &repo().join("static"),
            contacts,
            "https://teilhabe.example".into(),
            translations(),
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

    fn statement_with(evidence: Option<&str>, contacts: SiteContacts, lang: Language) -> String {
        let dir = tempfile::tempdir().unwrap();
        for l in ["de", "en"] {
            std::fs::create_dir_all(dir.path().join(l)).unwrap();
            std::fs::copy(
                repo().join("content").join(l).join("barrierefreiheit.md"),
                dir.path().join(l).join("barrierefreiheit.md"),
            )
            .unwrap();
        }
        if let Some(json) = evidence {
            std::fs::write(dir.path().join(EVIDENCE_FILE), json).unwrap();
        }
        pages_in(dir.path(), contacts)
            .render("barrierefreiheit", lang)
            .unwrap()
            .html
    }

    /// A result file of the suite with these findings (a JSON array).
    fn evidence(findings: &str) -> String {
        format!(
            r#"{{
            "checked_on": "2026-12-02",
            "tools": {{ "axe_core": "4.11.0", "nu_html_checker": "26.9.27", "chromium": "Chromium 156" }},
            "widths": [1280, 320], "pages": 150, "runs": 706,
            "roles": ["citizen", "admin"],
            "checks": ["axe", "tables"],
            "findings": {findings}
        }}"#
        )
    }

    const FINDINGS: &str = r#"[
        { "criterion": "1.4.10", "check": "tables", "rule": null, "help": "tables keep whole words",
          "pages": ["/verwaltung/nutzer", "/verwaltung/terminals", "/verwaltung/wirkung", "/verwaltung/angebote"] },
        { "criterion": null, "check": "axe", "rule": "region", "help": "All page content should be <contained> by landmarks",
          "pages": ["/kiosk"] }
    ]"#;

    fn without_operator_findings() -> SiteContacts {
        let mut contacts = SiteContacts::default();
        contacts.statement.findings.clear();
        contacts
    }

    #[test]
    fn the_statement_lists_the_suites_findings_with_criterion_pages_method_and_date() {
        let html = statement_with(
            Some(&evidence(FINDINGS)),
            without_operator_findings(),
            Language::De,
        );
        assert!(
            html.contains("teilweise vereinbar"),
            "status follows the findings"
        );
        assert!(html.contains("WCAG 1.4.10 Umbruch (Reflow)"));
        assert!(
            html.contains("gefunden auf 4 Seiten, zum Beispiel: <code>/verwaltung/nutzer</code>")
        );
        assert!(
            !html.contains("/verwaltung/angebote"),
            "three example pages, not all"
        );
        // A tool's text is shown as text, never as markup.
        assert!(html.contains("&lt;contained&gt;"), "{html}");
        assert!(html.contains("axe-core 4.11.0"));
        assert!(html.contains("Nu HTML Checker 26.9.27"));
        assert!(html.contains("auf 150 Seiten in 706 Prüfläufen"));
        assert!(html.contains("Bürgerin oder Bürger, Administration"));
        assert!(html.contains("zuletzt am 02.12.2026 überprüft"));
        let en = statement_with(
            Some(&evidence(FINDINGS)),
            without_operator_findings(),
            Language::En,
        );
        assert!(en.contains("WCAG 1.4.10 Reflow") && en.contains("2 December 2026"));
    }

    #[test]
    fn without_findings_the_statement_says_fully_compliant_and_operator_findings_count() {
        let clean = evidence("[]");
        let html = statement_with(Some(&clean), without_operator_findings(), Language::De);
        assert!(html.contains("vollständig vereinbar"), "{html}");
        assert!(html.contains("keine Unvereinbarkeit gefunden"));

        // The operator's own findings (here the default: the sign-language videos) make it partial.
        let html = statement_with(Some(&clean), SiteContacts::default(), Language::De);
        assert!(html.contains("teilweise vereinbar"));
        assert!(html.contains("Videos in Deutscher Gebärdensprache"));
        let en = statement_with(Some(&clean), SiteContacts::default(), Language::En);
        assert!(en.contains("Videos in German Sign Language"));
    }

    #[test]
    fn without_evidence_the_statement_says_no_automated_result_and_claims_nothing_in_full() {
        let html = statement_with(None, without_operator_findings(), Language::De);
        assert!(html.contains("noch kein Ergebnis der automatisierten Prüfung"));
        assert!(html.contains("teilweise vereinbar"));
        assert!(html.contains(&SiteContacts::default().statement.reviewed_on));
        // A broken file is the same as none (logged), not an error page.
        let html = statement_with(
            Some("{ not json"),
            without_operator_findings(),
            Language::De,
        );
        assert!(html.contains("noch kein Ergebnis der automatisierten Prüfung"));
    }

    #[test]
    fn title_comes_from_the_first_heading() {
        let (title, html) = markdown_to_html("# Hilfe *für* alle\n\nText\n\n## Mehr");
        assert_eq!(title.as_deref(), Some("Hilfe für alle"));
        assert!(html.contains("<h2>Mehr</h2>"));
    }

    #[test]
    fn pending_video_is_described_and_escaped() {
        let html = sign_video_html(
            Path::new("/nonexistent"),
            "ueberblick",
            "<Überblick>",
            "Video folgt",
        );
        assert!(html.contains("&lt;Überblick&gt;"));
        assert!(html.contains("Video folgt"));
        assert!(!html.contains("<video"));
    }
}
