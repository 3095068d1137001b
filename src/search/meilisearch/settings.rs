//! The index settings: which fields are searched, ranked, filtered and shown, and how the text is
//! read (see the parent module's comment for why it is indexed three times).

use meilisearch_sdk::settings::{
    FacetSortValue, FacetingSettings, LocalizedAttributes, MinWordSizeForTypos, PaginationSetting,
    Settings, TypoToleranceSettings,
};
use serde_json::Value;

/// `totalHits` is exact up to this many matches.
pub(super) const MAX_TOTAL_HITS: usize = 1_000_000;
const SEPARATORS: [&str; 6] = ["<", ">", "|", "=", "~", "^"];
pub(super) const FACETS: [&str; 3] = ["category", "district", "status"];
/// Whole-word fields; the query is read the same way (see the parent module's comment). English has no
/// segmenter and no special normalisation, so this means: Latin words, lower-cased, no accents.
pub(super) const WORD_LOCALES: [&str; 1] = ["eng"];
const WORD_FIELDS: [&str; 5] = ["title", "text", "answer", "folded", "stems"];
const PART_FIELDS: [&str; 1] = ["parts"];
/// Searchable in this order: an attribute earlier in the list ranks higher, so the title is
/// boosted and the stems, which match every form of a word, count least.
const SEARCHABLE: [&str; 6] = ["title", "text", "answer", "parts", "folded", "stems"];
/// What the server may return at all; the copies made for matching (`parts`, `folded`, `stems`)
/// are not displayed.
const DISPLAYED: [&str; 10] = [
    "id",
    "title",
    "text",
    "answer",
    "category",
    "district",
    "status",
    "supports",
    "created_at",
    "created_at_exact",
];

/// The version of [`settings`]: raise it with every change to them. During a rolling update the
/// instances of the old and the new release each found the other's settings wrong, applied their
/// own and asked for a rebuild, round after round, until the last old instance stopped; each
/// change of settings makes Meilisearch re-index every document. An instance leaves settings of a
/// newer version alone (see `MeilisearchIndex::prepare`).
pub(super) const SETTINGS_VERSION: u32 = 2;
/// The version travels with the settings as a one-way synonym of a word nobody types.
const VERSION_WORD: &str = "teilhabesettingsversion";

/// The version of the settings an index has, when a portal that versions them set them.
pub(super) fn version_of(current: &Value) -> Option<u32> {
    current["synonyms"][VERSION_WORD][0].as_str()?.parse().ok()
}

/// Set with the settings of a live index that was created, or set up anew, and waits for the
/// rebuild that fills it. Only the instance doing the repair knows it is under way; when that
/// instance stops (a deploy, a crash), the next writer finds this mark and repairs the index,
/// instead of taking an empty or stale index for a complete one. A rebuild's staging index never
/// carries it, so swapping the rebuilt index in clears it. Older releases compare only the
/// synonyms they set, so they leave the mark alone.
const INCOMPLETE_WORD: &str = "teilhabeindexunvollstaendig";

/// Whether the index's settings carry the mark of an unfinished repair.
pub(super) fn marked_incomplete(current: &Value) -> bool {
    current["synonyms"].get(INCOMPLETE_WORD).is_some()
}

/// [`settings`] with the mark of an index that still waits for its rebuild.
pub(super) fn settings_marked_incomplete() -> Settings {
    let mut marked = settings();
    if let Some(synonyms) = &mut marked.synonyms {
        synonyms.insert(INCOMPLETE_WORD.to_string(), vec!["1".to_string()]);
    }
    marked
}

/// The settings the portal applies itself; an operator sets nothing by hand.
pub(super) fn settings() -> Settings {
    Settings::new()
        .with_synonyms(std::collections::HashMap::from([(
            VERSION_WORD.to_string(),
            vec![SETTINGS_VERSION.to_string()],
        )]))
        .with_searchable_attributes(SEARCHABLE)
        .with_displayed_attributes(DISPLAYED)
        .with_filterable_attributes(FACETS)
        // Not word boundaries by default: "<b>Wichtig</b>" would be the word "b>wichtig".
        .with_separation_tokens(SEPARATORS)
        .with_sortable_attributes(["created_at", "supports"])
        .with_typo_tolerance(TypoToleranceSettings {
            enabled: Some(true),
            min_word_size_for_typos: Some(MinWordSizeForTypos {
                one_typo: Some(5),
                two_typos: Some(9),
            }),
            ..Default::default()
        })
        .with_pagination(PaginationSetting {
            max_total_hits: MAX_TOTAL_HITS,
        })
        .with_faceting(FacetingSettings {
            max_values_per_facet: 100,
            sort_facet_values_by: Some(
                [("*".to_string(), FacetSortValue::Count)]
                    .into_iter()
                    .collect(),
            ),
        })
        // Fixed locales instead of guessing the language per document (unreliable for short
        // titles); see the module comment for why the text is read twice.
        .with_localized_attributes([
            LocalizedAttributes {
                locales: vec!["deu".to_string()],
                attribute_patterns: PART_FIELDS.iter().map(|f| f.to_string()).collect(),
            },
            LocalizedAttributes {
                locales: WORD_LOCALES.iter().map(|l| l.to_string()).collect(),
                attribute_patterns: WORD_FIELDS.iter().map(|f| f.to_string()).collect(),
            },
        ])
}

/// Whether the server's settings already hold everything `wanted` sets. Lists whose order carries
/// no meaning (filterable and sortable fields, locales) are compared as sets.
pub(super) fn settings_match(wanted: &Value, current: &Value, key: &str) -> bool {
    match (wanted, current) {
        (Value::Null, _) => true,
        (Value::Object(w), Value::Object(c)) => w
            .iter()
            .all(|(k, v)| settings_match(v, c.get(k).unwrap_or(&Value::Null), k)),
        (Value::Array(w), Value::Array(c)) if key == "searchableAttributes" => w == c,
        (Value::Array(w), Value::Array(c)) => {
            w.len() == c.len()
                && w.iter()
                    .all(|wv| c.iter().any(|cv| settings_match(wv, cv, key)))
        }
        (w, c) => w == c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::allowed_typos;

    /// A change to `allowed_typos` must be mirrored in the Meilisearch settings.
    #[test]
    fn typo_settings_match_the_contract() {
        let typo = settings().typo_tolerance.unwrap();
        let sizes = typo.min_word_size_for_typos.unwrap();
        let one = "a".repeat(sizes.one_typo.unwrap() as usize);
        let two = "a".repeat(sizes.two_typos.unwrap() as usize);
        assert_eq!(allowed_typos(&one[1..]), 0);
        assert_eq!(allowed_typos(&one), 1);
        assert_eq!(allowed_typos(&two[1..]), 1);
        assert_eq!(allowed_typos(&two), 2);
    }

    /// Changing the settings without raising [`SETTINGS_VERSION`] would let an instance of the
    /// older release overwrite them: this fingerprint changes with them. When it fails, raise the
    /// version and write the new pair here.
    #[test]
    fn a_change_of_settings_raises_their_version() {
        let mut without_version = serde_json::to_value(settings()).unwrap();
        without_version["synonyms"] = Value::Null;
        // FNV-1a over the JSON text: stable across Rust releases, unlike the standard hasher.
        let fingerprint = without_version
            .to_string()
            .bytes()
            .fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
                (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
            });
        assert_eq!(
            (SETTINGS_VERSION, fingerprint),
            (2, 351_218_498_184_075_035)
        );
    }

    #[test]
    fn the_mark_of_an_unfinished_repair_is_read_back_and_ignored_by_the_comparison() {
        let clean = serde_json::to_value(settings()).unwrap();
        let marked = serde_json::to_value(settings_marked_incomplete()).unwrap();
        assert!(!marked_incomplete(&clean));
        assert!(marked_incomplete(&marked));
        assert_eq!(version_of(&marked), Some(SETTINGS_VERSION));
        // A marked index has the portal's settings: nothing is applied again for the mark alone.
        assert!(settings_match(&clean, &marked, ""));
    }

    #[test]
    fn the_version_is_read_back_from_the_servers_settings() {
        let current = serde_json::to_value(settings()).unwrap();
        assert_eq!(version_of(&current), Some(SETTINGS_VERSION));
        assert_eq!(version_of(&serde_json::json!({ "synonyms": {} })), None);
    }

    #[test]
    fn settings_compare_as_the_server_returns_them() {
        let wanted = serde_json::to_value(settings()).unwrap();
        let mut current = wanted.clone();
        // The server lists filterable fields in its own order and adds defaults.
        current["filterableAttributes"] = serde_json::json!(["status", "district", "category"]);
        current["stopWords"] = serde_json::json!([]);
        assert!(settings_match(&wanted, &current, ""));
        // The order of searchable fields is the ranking: it must match.
        current["searchableAttributes"] =
            serde_json::json!(["text", "title", "answer", "parts", "folded"]);
        assert!(!settings_match(&wanted, &current, ""));
        // An index set up by an earlier version, without the stems: its documents lack them, so
        // the settings must differ, which makes the indexer apply them and rebuild the index.
        let mut earlier = wanted.clone();
        earlier["searchableAttributes"] =
            serde_json::json!(["title", "text", "answer", "parts", "folded"]);
        earlier["displayedAttributes"] = serde_json::json!(["*"]);
        earlier["localizedAttributes"][1]["attributePatterns"] =
            serde_json::json!(["title", "text", "answer", "folded"]);
        assert!(!settings_match(&wanted, &earlier, ""));
        earlier["searchableAttributes"] = wanted["searchableAttributes"].clone();
        assert!(
            !settings_match(&wanted, &earlier, ""),
            "the stems also need their locale"
        );
        // Meilisearch's defaults (as after a write re-created a deleted index).
        let defaults = serde_json::json!({
            "searchableAttributes": ["*"], "filterableAttributes": [], "localizedAttributes": null
        });
        assert!(!settings_match(&wanted, &defaults, ""));
    }
}
