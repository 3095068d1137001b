//! An alert's filter in words, and the links to the catalogue and calendar feed with that filter.
use std::{borrow::Cow, collections::HashMap};

use fluent_templates::fluent_bundle::FluentValue;

use super::AlertDesk;
use crate::{
    db::entities::course_alert,
    domain::{
        Language,
        course_alert::{canonical_query, query_string, section_key, stored_filter},
        offer::{CatalogueFilter, OfferKind},
    },
    mail::compose::Composer,
    services::reference::District,
};

/// The catalogue with the filter, e.g. `/kurse?thema=videotelefonie`.
pub fn catalogue_href(kind: OfferKind, filter_query: &str) -> String {
    if filter_query.is_empty() {
        kind.path().to_owned()
    } else {
        format!("{}?{filter_query}", kind.path())
    }
}

/// The calendar feed with the filter, e.g. `/kalender/kurse.ics?thema=videotelefonie`.
pub fn feed_href(kind: OfferKind, filter_query: &str) -> String {
    let base = format!("/kalender/{}.ics", section_key(kind));
    if filter_query.is_empty() {
        base
    } else {
        format!("{base}?{filter_query}")
    }
}

/// The filter in words, one part per condition ("Thema: Videotelefonie", "stufenloser Zugang").
pub fn describe(
    composer: &Composer,
    lang: Language,
    kind: OfferKind,
    filter: &CatalogueFilter,
    districts: &[District],
) -> Vec<String> {
    let tr = &composer.translations;
    let with = |key: &str, value: String| {
        let mut args: HashMap<Cow<'static, str>, FluentValue> = HashMap::new();
        args.insert("value".into(), value.into());
        tr.text_with(lang, key, &args)
    };
    let mut parts = Vec::new();
    if let Some(topic) = filter.topic {
        parts.push(with(
            "alert-filter-topic",
            tr.text(lang, &format!("topic-{}", topic.key())),
        ));
    }
    if let Some(key) = &filter.district {
        let name = districts
            .iter()
            .find(|d| d.key == key.as_str())
            .map_or_else(|| key.as_str().to_owned(), |d| d.name.clone());
        parts.push(with("alert-filter-district", name));
    }
    if let Some(town) = &filter.town {
        parts.push(with("alert-filter-town", town.clone()));
    }
    if let Some(group) = filter.target_group {
        parts.push(with(
            "alert-filter-target-group",
            tr.text(lang, &format!("target-group-{}", group.key())),
        ));
    }
    if let Some(text) = &filter.text {
        parts.push(with("alert-filter-text", text.clone()));
    }
    if let Some(from) = filter.from {
        parts.push(with(
            "alert-filter-from",
            from.format("%d.%m.%Y").to_string(),
        ));
    }
    if let Some(to) = filter.to {
        parts.push(with("alert-filter-to", to.format("%d.%m.%Y").to_string()));
    }
    for (on, key) in [
        (filter.step_free, "feature-step-free"),
        (filter.hearing_loop, "feature-hearing-loop"),
        (filter.accessible_toilet, "feature-accessible-toilet"),
        (filter.free_places_only, "courses-filter-free"),
    ] {
        if on {
            parts.push(tr.text(lang, key));
        }
    }
    if parts.is_empty() {
        parts.push(tr.text(
            lang,
            match kind {
                OfferKind::Course => "alert-filter-all-courses",
                OfferKind::Dialogue => "alert-filter-all-events",
            },
        ));
    }
    parts
}

/// The canonical query string of a filter (for links built from a filter that was just parsed).
pub fn filter_query(filter: &CatalogueFilter) -> String {
    query_string(&canonical_query(filter))
}

impl AlertDesk {
    pub(super) fn describe_model(
        &self,
        model: &course_alert::Model,
        lang: Language,
        districts: &[District],
    ) -> Vec<String> {
        match stored_filter(&model.filter_query) {
            Some(filter) => describe(&self.composer, lang, model.kind, &filter, districts),
            None => vec![model.filter_query.clone()],
        }
    }
}
