//! What offers are about and whom they are for, and the filters of the public catalogue.
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{DistrictKey, FieldErrors};

/// A closed vocabulary stored by its key; labels live in the translation catalogue as `<prefix>-<key>`.
macro_rules! vocabulary {
    ($(#[$doc:meta])* $name:ident, $error:literal, { $($variant:ident => $key:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];
            pub fn key(self) -> &'static str {
                match self { $(Self::$variant => $key),+ }
            }
            pub fn parse(raw: &str) -> Result<Self, &'static str> {
                match raw.trim() {
                    $($key => Ok(Self::$variant),)+
                    _ => Err($error),
                }
            }
        }
    };
}

vocabulary!(
    /// The subject of a course or event.
    Topic, "error-topic-invalid", {
        SmartphoneBasics => "smartphone-grundlagen",
        TabletBasics => "tablet-grundlagen",
        VideoCalls => "videotelefonie",
        PayingOnline => "sicher-online-bezahlen",
        SafeOnline => "sicher-im-netz",
        GovernmentOnline => "behoerdengaenge-online",
        AiInEverydayLife => "ki-im-alltag",
        PhotosAndMessaging => "fotos-und-nachrichten",
        Participation => "beteiligung-vor-ort",
    }
);

vocabulary!(
    /// Whom an offer is meant for; everyone is welcome to any offer.
    TargetGroup, "error-target-group-invalid", {
        Everyone => "alle",
        Seniors => "senioren",
        Women => "frauen",
        Youth => "jugendliche",
        PeopleWithDisabilities => "menschen-mit-behinderung",
    }
);

vocabulary!(
    Level, "error-level-invalid", {
        Beginners => "einsteiger",
        Advanced => "fortgeschrittene",
    }
);

vocabulary!(
    /// Courses teach; dialogue events collect what people think. Both share dates and booking.
    OfferKind, "error-kind-invalid", {
        Course => "kurs",
        Dialogue => "dialog",
    }
);

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
}

const MAX_TEXT: usize = 100;
pub const MAX_PAGE: u32 = 10_000;

fn optional<T>(
    raw: &str,
    parse: impl Fn(&str) -> Result<T, &'static str>,
) -> Result<Option<T>, &'static str> {
    match raw.trim() {
        "" => Ok(None),
        value => parse(value).map(Some),
    }
}

fn date(raw: &str) -> Result<NaiveDate, &'static str> {
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(raw, "%d.%m.%Y"))
        .map_err(|_| "error-date-invalid")
}

fn short_text(raw: &str) -> Result<String, &'static str> {
    if raw.chars().count() > MAX_TEXT {
        Err("error-search-too-long")
    } else {
        Ok(raw.to_owned())
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
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn vocabularies_round_trip() {
        for topic in Topic::ALL {
            assert_eq!(Topic::parse(topic.key()), Ok(*topic));
        }
        for group in TargetGroup::ALL {
            assert_eq!(TargetGroup::parse(group.key()), Ok(*group));
        }
        assert_eq!(Topic::parse("kochen"), Err("error-topic-invalid"));
    }

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
