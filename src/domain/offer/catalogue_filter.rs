//! The public catalogue's filters: its GET form as sent and the combined filters parsed from it,
//! and the text its search looks in.
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{TargetGroup, Topic, dates::date};
use crate::domain::{DistrictKey, FieldErrors, form::optional};

/// What the catalogue's text search looks in: title and description, folded to lower case here
/// because SQLite folds only ASCII letters.
pub fn search_text(title: &str, description: &str) -> String {
    format!("{}\n{}", title.to_lowercase(), description.to_lowercase())
}

/// The catalogue's GET form as sent; every field may be empty or nonsense.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(default)]
pub struct CatalogueQuery {
    pub q: String,
    pub kreis: String,
    pub ort: String,
    pub von: String,
    pub bis: String,
    pub thema: String,
    pub zielgruppe: String,
    pub stufenlos: String,
    pub hoerschleife: String,
    pub wc: String,
    pub frei: String,
    pub seite: String,
}

/// Filters that combine (all must hold). Empty means "any".
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CatalogueFilter {
    pub text: Option<String>,
    pub district: Option<DistrictKey>,
    pub town: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub topic: Option<Topic>,
    pub target_group: Option<TargetGroup>,
    pub step_free: bool,
    pub hearing_loop: bool,
    pub accessible_toilet: bool,
    pub free_places_only: bool,
    pub page: u32,
    /// Only dates at this venue (slug); used by venue programmes and feeds, not by the public form.
    pub venue: Option<String>,
    /// Calendar feeds keep cancelled dates so subscribed calendars learn of the cancellation.
    pub include_cancelled: bool,
    /// Calendar feeds and programmes show every session of a multi-session course; lists show its first.
    pub include_sessions: bool,
    /// Only dates after this one (the API reads on from where a client left off).
    pub after: Option<crate::domain::cursor::DateCursor>,
}

const MAX_TEXT: usize = 100;
pub const MAX_PAGE: u32 = 10_000;

fn short_text(raw: &str) -> Result<String, &'static str> {
    let text = crate::domain::text::line(raw);
    if text.chars().count() > MAX_TEXT {
        Err("error-search-too-long")
    } else {
        Ok(text)
    }
}

fn flag(raw: &str) -> bool {
    matches!(raw.trim(), "1" | "ja" | "true" | "on")
}

impl CatalogueFilter {
    pub fn parse(query: &CatalogueQuery) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let text = errors.check("q", optional(&query.q, short_text)).flatten();
        let district = errors
            .check("kreis", optional(&query.kreis, DistrictKey::parse))
            .flatten();
        let town = errors
            .check("ort", optional(&query.ort, short_text))
            .flatten();
        let from = errors.check("von", optional(&query.von, date)).flatten();
        let to = errors.check("bis", optional(&query.bis, date)).flatten();
        if let (Some(from), Some(to)) = (from, to)
            && to < from
        {
            errors.add("bis", "error-date-range");
        }
        let topic = errors
            .check("thema", optional(&query.thema, Topic::parse))
            .flatten();
        let target_group = errors
            .check(
                "zielgruppe",
                optional(&query.zielgruppe, TargetGroup::parse),
            )
            .flatten();
        let page = match query.seite.trim() {
            "" => 1,
            raw => raw
                .parse::<u32>()
                .ok()
                .filter(|p| (1..=MAX_PAGE).contains(p))
                .unwrap_or(1),
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Self {
            text,
            district,
            town,
            from,
            to,
            topic,
            target_group,
            step_free: flag(&query.stufenlos),
            hearing_loop: flag(&query.hoerschleife),
            accessible_toilet: flag(&query.wc),
            free_places_only: flag(&query.frei),
            page,
            venue: None,
            include_cancelled: false,
            include_sessions: false,
            after: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn filters_combine_and_report_each_bad_field() {
        let ok = CatalogueFilter::parse(&CatalogueQuery {
            q: "Smartphone".into(),
            kreis: "16051".into(),
            von: "2026-12-01".into(),
            bis: "31.12.2026".into(),
            thema: "videotelefonie".into(),
            stufenlos: "1".into(),
            seite: "3".into(),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(ok.text.as_deref(), Some("Smartphone"));
        assert_eq!(ok.to, NaiveDate::from_ymd_opt(2026, 12, 31));
        assert_eq!(ok.topic, Some(Topic::VideoCalls));
        assert!(ok.step_free && !ok.free_places_only);
        assert_eq!(ok.page, 3);

        let errors = CatalogueFilter::parse(&CatalogueQuery {
            kreis: "99999".into(),
            von: "2026-12-10".into(),
            bis: "2026-12-01".into(),
            thema: "kochen".into(),
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(errors.for_field("kreis"), Some("error-district-invalid"));
        assert_eq!(errors.for_field("bis"), Some("error-date-range"));
        assert_eq!(errors.for_field("thema"), Some("error-topic-invalid"));
        assert_eq!(
            CatalogueFilter::parse(&CatalogueQuery {
                von: "gestern".into(),
                ..Default::default()
            })
            .unwrap_err()
            .for_field("von"),
            Some("error-date-invalid")
        );
    }

    #[test]
    fn a_nonsense_page_number_means_the_first_page() {
        for raw in ["0", "-1", "x", "99999999999"] {
            let query = CatalogueQuery {
                seite: raw.into(),
                ..Default::default()
            };
            assert_eq!(CatalogueFilter::parse(&query).unwrap().page, 1, "{raw}");
        }
    }

    proptest! {
        #[test]
        fn parsing_never_panics(q in "\\PC{0,120}", d in "\\PC{0,12}") {
            let _ = CatalogueFilter::parse(&CatalogueQuery { q: q.clone(), von: d.clone(), bis: d, ort: q, ..Default::default() });
        }
    }
}
