//! The accessibility feedback mechanism required by EU directive 2016/2102 (Art. 7).
use super::{Email, FieldErrors};

stored_vocabulary!(
    /// Where a report stands. Reports arrive open; the office answers them by mail.
    BarrierReportStatus, "error-status-invalid", {
        Open => "open",
    }
);

pub const DESCRIPTION_MAX: usize = 5000;
pub const NAME_MAX: usize = 200;
const PAGE_MAX: usize = 500;

/// A report that passed every check and may be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewBarrierReport {
    /// A path on this site (`/kurse?x=1`), never a foreign address.
    pub page: String,
    pub description: String,
    pub contact_name: Option<String>,
    pub contact_email: Option<Email>,
}

impl NewBarrierReport {
    pub fn parse(
        page: &str,
        description: &str,
        contact_name: &str,
        contact_email: &str,
    ) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let page = errors.check("page", parse_page(page));
        let description = errors.check("description", parse_description(description));
        let contact_name = errors.check("contact_name", optional_text(contact_name, NAME_MAX));
        let contact_email = errors.check(
            "contact_email",
            match contact_email.trim() {
                "" => Ok(None),
                raw => Email::parse(raw).map(Some),
            },
        );
        match (page, description, contact_name, contact_email) {
            (Some(page), Some(description), Some(contact_name), Some(contact_email))
                if errors.is_empty() =>
            {
                Ok(Self {
                    page,
                    description,
                    contact_name,
                    contact_email,
                })
            }
            _ => Err(errors),
        }
    }
}

/// Accepts a local path, or an absolute URL of which only path and query are kept.
fn parse_page(raw: &str) -> Result<String, &'static str> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok("/".into());
    }
    let path = if raw.starts_with('/') && !raw.starts_with("//") {
        raw.to_owned()
    } else {
        let url = url::Url::parse(raw).map_err(|_| "error-page-invalid")?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err("error-page-invalid");
        }
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        }
    };
    if path.chars().count() > PAGE_MAX || path.chars().any(char::is_control) {
        return Err("error-page-invalid");
    }
    Ok(path)
}

fn parse_description(raw: &str) -> Result<String, &'static str> {
    let text = super::text::multiline(raw);
    match text.chars().count() {
        0 => Err("error-description-missing"),
        1..10 => Err("error-description-too-short"),
        n if n > DESCRIPTION_MAX => Err("error-description-too-long"),
        _ => Ok(text),
    }
}

fn optional_text(raw: &str, max: usize) -> Result<Option<String>, &'static str> {
    let text = super::text::line(raw);
    if text.chars().count() > max {
        return Err("error-text-too-long");
    }
    Ok((!text.is_empty()).then_some(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_report_keeps_only_the_local_path() {
        let r = NewBarrierReport::parse(
            "https://teilhabe.example/kurse?ort=Jena",
            "Der Kontrast der Knöpfe ist zu schwach.",
            "",
            "",
        )
        .unwrap();
        assert_eq!(r.page, "/kurse?ort=Jena");
        assert_eq!(r.contact_name, None);
        assert_eq!(r.contact_email, None);
    }

    #[test]
    fn every_bad_field_is_named() {
        let errors =
            NewBarrierReport::parse("javascript:alert(1)", "kurz", &"x".repeat(201), "kein-at")
                .unwrap_err();
        assert_eq!(errors.for_field("page"), Some("error-page-invalid"));
        assert_eq!(
            errors.for_field("description"),
            Some("error-description-too-short")
        );
        assert_eq!(
            errors.for_field("contact_name"),
            Some("error-text-too-long")
        );
        assert_eq!(
            errors.for_field("contact_email"),
            Some("error-email-invalid")
        );
    }

    #[test]
    fn empty_description_and_overlong_description() {
        let e = NewBarrierReport::parse("/", "   ", "", "").unwrap_err();
        assert_eq!(
            e.for_field("description"),
            Some("error-description-missing")
        );
        let e = NewBarrierReport::parse("/", &"ä".repeat(DESCRIPTION_MAX + 1), "", "").unwrap_err();
        assert_eq!(
            e.for_field("description"),
            Some("error-description-too-long")
        );
    }
}
