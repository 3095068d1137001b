//! An offer as staff enter it in the back office, and its parsed input.
use serde::{Deserialize, Serialize};

use super::{Level, OfferKind, Support, TargetGroup, Topic};
use crate::domain::{FieldErrors, form::optional};

/// An offer as staff enter it in the back office.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct OfferForm {
    /// `kurs` or `dialog`.
    pub kind: String,
    pub title: String,
    pub description: String,
    pub topic: String,
    pub level: String,
    pub target_group: String,
    pub venue: String,
    pub online_url: String,
    pub what_to_bring: String,
    pub accessibility_notes: String,
    pub price: String,
    pub agenda: String,
    pub audience: String,
    /// Checkbox: a dialogue event open to everyone without registration.
    pub no_registration: String,
    pub support_gebaerdensprache: String,
    pub support_hoerschleife: String,
    pub support_begleitung: String,
    /// The offer's stamp when its edit form was filled; empty for a new offer.
    pub seen: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferInput {
    pub kind: OfferKind,
    pub title: String,
    pub description: String,
    pub topic: Topic,
    pub level: Level,
    pub target_group: TargetGroup,
    /// A venue id (checked against the organisation's venues by the service) or an online link.
    pub venue_id: Option<i32>,
    pub online_url: Option<url::Url>,
    pub what_to_bring: String,
    pub accessibility_notes: String,
    pub price_cents: i32,
    pub agenda: Option<String>,
    pub audience: Option<String>,
    pub registration_required: bool,
    pub support: Vec<Support>,
}

fn bounded(
    raw: &str,
    min: usize,
    max: usize,
    short: &'static str,
    long: &'static str,
) -> Result<String, &'static str> {
    // The title is the only single-line field of an offer; a single-line parser is called for it.
    let s = crate::domain::text::multiline(raw);
    match s.chars().count() {
        n if n < min => Err(short),
        n if n > max => Err(long),
        _ => Ok(s),
    }
}

/// "0", "5", "5,00", "12.50" euros → cents.
fn price_cents(raw: &str) -> Result<i32, &'static str> {
    let s = raw.trim().trim_end_matches('€').trim().replace(',', ".");
    if s.is_empty() {
        return Ok(0);
    }
    let (euros, cents) = match s.split_once('.') {
        Some((e, c)) if c.len() <= 2 && c.chars().all(|c| c.is_ascii_digit()) => {
            (e, format!("{c:0<2}"))
        }
        Some(_) => return Err("error-price-invalid"),
        None => (s.as_str(), "00".to_owned()),
    };
    let euros: i32 = euros.parse().map_err(|_| "error-price-invalid")?;
    let cents: i32 = cents.parse().map_err(|_| "error-price-invalid")?;
    if !(0..=1000).contains(&euros) {
        return Err("error-price-invalid");
    }
    Ok(euros * 100 + cents)
}

impl OfferInput {
    pub fn parse(form: &OfferForm) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let title = errors.check(
            "title",
            bounded(
                &crate::domain::text::line(&form.title),
                5,
                120,
                "error-title-short",
                "error-title-long",
            ),
        );
        let description = errors.check(
            "description",
            bounded(
                &form.description,
                20,
                4000,
                "error-description-short",
                "error-description-long",
            ),
        );
        let topic = errors.check("topic", Topic::parse(&form.topic));
        let level = errors.check("level", Level::parse(&form.level));
        let target_group = errors.check("target_group", TargetGroup::parse(&form.target_group));
        let venue_id = errors
            .check(
                "venue",
                optional(&form.venue, |v| {
                    v.parse::<i32>().map_err(|_| "error-venue-invalid")
                }),
            )
            .flatten();
        let online_url = errors
            .check(
                "online_url",
                optional(&form.online_url, |u| {
                    url::Url::parse(u)
                        .ok()
                        .filter(|u| u.scheme() == "https")
                        .ok_or("error-online-url-invalid")
                }),
            )
            .flatten();
        if venue_id.is_none()
            && online_url.is_none()
            && errors.for_field("venue").is_none()
            && errors.for_field("online_url").is_none()
        {
            errors.add("venue", "error-venue-or-online");
        }
        let what_to_bring = errors.check(
            "what_to_bring",
            bounded(
                &form.what_to_bring,
                0,
                500,
                "",
                "error-what-to-bring-too-long",
            ),
        );
        let accessibility_notes = errors.check(
            "accessibility_notes",
            bounded(
                &form.accessibility_notes,
                0,
                1000,
                "",
                "error-accessibility-notes-too-long",
            ),
        );
        let price_cents = errors.check("price", price_cents(&form.price));
        let kind = errors.check(
            "kind",
            match form.kind.trim() {
                "" => Ok(OfferKind::Course),
                raw => OfferKind::parse(raw),
            },
        );
        let agenda = errors.check(
            "agenda",
            bounded(&form.agenda, 0, 4000, "", "error-agenda-too-long"),
        );
        let audience = errors.check(
            "audience",
            bounded(&form.audience, 0, 500, "", "error-audience-too-long"),
        );
        let support: Vec<Support> = [
            (&form.support_gebaerdensprache, Support::SignLanguage),
            (&form.support_hoerschleife, Support::HearingLoop),
            (&form.support_begleitung, Support::Companion),
        ]
        .into_iter()
        .filter(|(checked, _)| !checked.trim().is_empty())
        .map(|(_, support)| support)
        .collect();
        let Some(kind) = kind else {
            return Err(errors);
        };
        // Only dialogue events are held without registration.
        let registration_required =
            kind == OfferKind::Course || form.no_registration.trim().is_empty();
        match (
            title,
            description,
            topic,
            level,
            target_group,
            what_to_bring,
            accessibility_notes,
            price_cents,
        ) {
            (
                Some(title),
                Some(description),
                Some(topic),
                Some(level),
                Some(target_group),
                Some(what_to_bring),
                Some(accessibility_notes),
                Some(price_cents),
            ) if errors.is_empty() => Ok(Self {
                kind,
                agenda: agenda.filter(|a| !a.is_empty()),
                audience: audience.filter(|a| !a.is_empty()),
                registration_required,
                support,
                title,
                description,
                topic,
                level,
                target_group,
                venue_id,
                online_url,
                what_to_bring,
                accessibility_notes,
                price_cents,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offer_form() -> OfferForm {
        OfferForm {
            title: "Smartphone-Grundlagen".into(),
            description: "Wir lernen gemeinsam die ersten Schritte.".into(),
            topic: "smartphone-grundlagen".into(),
            level: "einsteiger".into(),
            target_group: "senioren".into(),
            venue: "3".into(),
            price: "5,50".into(),
            ..Default::default()
        }
    }

    #[test]
    fn offers_parse_and_report_each_field() {
        let ok = OfferInput::parse(&offer_form()).unwrap();
        assert_eq!(ok.price_cents, 550);
        assert_eq!(ok.venue_id, Some(3));
        let errors = OfferInput::parse(&OfferForm {
            title: "Kurs".into(),
            topic: "x".into(),
            venue: String::new(),
            online_url: "http://unsicher.example".into(),
            price: "viel".into(),
            ..offer_form()
        })
        .unwrap_err();
        assert_eq!(errors.for_field("title"), Some("error-title-short"));
        assert_eq!(errors.for_field("topic"), Some("error-topic-invalid"));
        assert_eq!(
            errors.for_field("online_url"),
            Some("error-online-url-invalid")
        );
        assert_eq!(errors.for_field("price"), Some("error-price-invalid"));
        let online = OfferInput::parse(&OfferForm {
            venue: String::new(),
            online_url: "https://konferenz.example/raum".into(),
            ..offer_form()
        })
        .unwrap();
        assert!(online.venue_id.is_none() && online.online_url.is_some());
    }

    /// Each text field names its own limit: one message for several limits left people guessing.
    #[test]
    fn each_long_text_is_named_with_its_own_limit() {
        let long = "x".repeat(4_001);
        let errors = OfferInput::parse(&OfferForm {
            what_to_bring: long.clone(),
            accessibility_notes: long.clone(),
            agenda: long.clone(),
            audience: long,
            ..offer_form()
        })
        .unwrap_err();
        for (field, message) in [
            ("what_to_bring", "error-what-to-bring-too-long"),
            ("accessibility_notes", "error-accessibility-notes-too-long"),
            ("agenda", "error-agenda-too-long"),
            ("audience", "error-audience-too-long"),
        ] {
            assert_eq!(errors.for_field(field), Some(message), "{field}");
        }
        let fits = OfferInput::parse(&OfferForm {
            what_to_bring: "x".repeat(500),
            accessibility_notes: "x".repeat(1_000),
            agenda: "x".repeat(4_000),
            audience: "x".repeat(500),
            ..offer_form()
        });
        assert!(fits.is_ok(), "{fits:?}");
    }
}
