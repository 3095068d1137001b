//! Course alerts ("tell me when there is a course for me"): a catalogue filter and an address.
//! The filter is kept as the catalogue form's own query string, written one canonical way, so the
//! same filter is the same alert however its address was spelled.
use super::{Email, FieldErrors, offer::CatalogueFilter, offer::CatalogueQuery, offer::OfferKind};

/// How long a confirmation link is valid; unconfirmed alerts are removed afterwards.
pub const CONFIRM_DAYS: i64 = 7;

/// Where an alert was set up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AlertChannel {
    Online,
    Kiosk,
    /// Staff on the phone; the person still confirms by mail.
    Staff,
}

impl AlertChannel {
    pub fn key(self) -> &'static str {
        match self {
            Self::Online => "online",
            Self::Kiosk => "kiosk",
            Self::Staff => "staff",
        }
    }
}

/// The catalogue section of an alert: `kurse` (courses) or `veranstaltungen` (dialogue events).
pub fn section(raw: &str) -> Result<OfferKind, &'static str> {
    match raw.trim() {
        "" | "kurse" => Ok(OfferKind::Course),
        "veranstaltungen" => Ok(OfferKind::Dialogue),
        _ => Err("error-alert-section-invalid"),
    }
}

/// The section's name in addresses.
pub fn section_key(kind: OfferKind) -> &'static str {
    match kind {
        OfferKind::Course => "kurse",
        OfferKind::Dialogue => "veranstaltungen",
    }
}

/// The filter as the catalogue form would send it, without the page and without empty fields.
pub fn canonical_query(filter: &CatalogueFilter) -> CatalogueQuery {
    let flag = |on: bool| if on { "1".to_owned() } else { String::new() };
    CatalogueQuery {
        q: filter.text.clone().unwrap_or_default(),
        kreis: filter
            .district
            .as_ref()
            .map(|d| d.as_str().to_owned())
            .unwrap_or_default(),
        ort: filter.town.clone().unwrap_or_default(),
        von: filter
            .from
            .map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_default(),
        bis: filter
            .to
            .map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_default(),
        thema: filter.topic.map(|t| t.key().to_owned()).unwrap_or_default(),
        zielgruppe: filter
            .target_group
            .map(|g| g.key().to_owned())
            .unwrap_or_default(),
        stufenlos: flag(filter.step_free),
        hoerschleife: flag(filter.hearing_loop),
        wc: flag(filter.accessible_toilet),
        frei: flag(filter.free_places_only),
        seite: String::new(),
    }
}

/// A query as a query string, empty fields left out.
pub fn query_string(query: &CatalogueQuery) -> String {
    serde_urlencoded::to_string(query)
        .unwrap_or_default()
        .split('&')
        .filter(|pair| !pair.is_empty() && !pair.ends_with('='))
        .collect::<Vec<_>>()
        .join("&")
}

/// The stored filter again; `None` when it no longer parses (a vocabulary changed).
pub fn stored_filter(filter_query: &str) -> Option<CatalogueFilter> {
    let query: CatalogueQuery = serde_urlencoded::from_str(filter_query).ok()?;
    CatalogueFilter::parse(&query).ok()
}

/// A checked request for an alert.
#[derive(Debug, Clone)]
pub struct AlertInput {
    pub email: Email,
    pub kind: OfferKind,
    pub filter: CatalogueFilter,
}

impl AlertInput {
    /// The e-mail address goes into `email`; a wrong filter names its own field.
    pub fn parse(
        email: &str,
        section_raw: &str,
        query: &CatalogueQuery,
    ) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let email = errors.check("email", Email::parse(email));
        let kind = errors.check("bereich", section(section_raw));
        let filter = match CatalogueFilter::parse(query) {
            Ok(filter) => Some(filter),
            Err(filter_errors) => {
                for e in filter_errors.iter() {
                    errors.add(e.field, e.message);
                }
                None
            }
        };
        match (email, kind, filter) {
            (Some(email), Some(kind), Some(filter)) if errors.is_empty() => Ok(Self {
                email,
                kind,
                filter: CatalogueFilter { page: 1, ..filter },
            }),
            _ => Err(errors),
        }
    }

    /// The filter as stored.
    pub fn filter_query(&self) -> String {
        query_string(&canonical_query(&self.filter))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_filter_is_stored_one_way() {
        let a = CatalogueQuery {
            thema: " videotelefonie ".into(),
            stufenlos: "on".into(),
            seite: "3".into(),
            ..Default::default()
        };
        let b = CatalogueQuery {
            thema: "videotelefonie".into(),
            stufenlos: "1".into(),
            ..Default::default()
        };
        let a = AlertInput::parse("A@Example.de", "kurse", &a).unwrap();
        let b = AlertInput::parse("a@example.de", "", &b).unwrap();
        assert_eq!(a.filter_query(), b.filter_query());
        assert_eq!(a.filter_query(), "thema=videotelefonie&stufenlos=1");
        assert_eq!(stored_filter(&a.filter_query()), Some(a.filter.clone()));
    }

    #[test]
    fn wrong_input_names_its_fields() {
        let errors = AlertInput::parse(
            "kein-at",
            "kochen",
            &CatalogueQuery {
                thema: "kochen".into(),
                ..Default::default()
            },
        )
        .unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["email", "bereich", "thema"]);
    }
}
