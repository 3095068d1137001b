//! The accessibility statement as the suite's last result and the operator's configuration say.
use std::collections::HashMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{ContentPages, markdown::escape};
use crate::{config::AccessibilityStatement, domain::Language};
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
pub(super) struct StatementView<'a> {
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

const EXAMPLE_PAGES: usize = 3;

impl ContentPages {
    /// The suite's last result, if the content folder has one that can be read.
    pub(super) fn evidence(&self) -> Option<Evidence> {
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
    pub(super) fn statement<'a>(
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

#[cfg(test)]
mod tests {
    use super::super::tests::{pages_in, repo};
    use super::*;
    use crate::config::SiteContacts;

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
}
