//! The translation catalogue: Fluent files under `content/locales/<lang>/`, German as fallback.
//! Templates call `t(key="…", lang=lang)`, with further named arguments passed to Fluent.
use std::{
    borrow::Cow,
    collections::{BTreeSet, HashMap},
    path::Path,
    sync::Arc,
};

use chrono::{DateTime, Utc};
use fluent_templates::{ArcLoader, fluent_bundle::FluentValue};

use crate::domain::Language;

#[derive(Clone)]
pub struct Translations(Arc<Catalogue>);

struct Catalogue {
    loader: ArcLoader,
    /// Every message that takes no arguments, formatted once at load, per language (in German
    /// where the language lacks it). Most of a page's hundred-odd texts are such labels, and
    /// Fluent formatted each anew on every request.
    plain: [HashMap<String, String>; 3],
}

/// The place of a language's texts in [`Catalogue::plain`].
fn slot(lang: Language) -> usize {
    match lang {
        Language::De => 0,
        Language::En => 1,
        Language::Ls => 2,
    }
}

impl Translations {
    pub fn load(dir: &Path) -> anyhow::Result<Self> {
        let loader = ArcLoader::builder(dir, Language::De.langid())
            // Unicode isolation marks would end up as invisible characters in HTML and mails.
            .customize(|bundle| bundle.set_use_isolating(false))
            .build()
            .map_err(|e| anyhow::anyhow!("cannot load translations from {}: {e}", dir.display()))?;
        let mut catalogue = Catalogue {
            loader,
            plain: Default::default(),
        };
        let ids = message_ids(dir)?;
        for lang in Language::FOR_MAIL {
            // A message that needs arguments fails to format without them and is left out.
            catalogue.plain[slot(lang)] = ids
                .iter()
                .filter_map(|id| Some((id.clone(), catalogue.format(lang, id, None)?)))
                .collect();
        }
        Ok(Self(Arc::new(catalogue)))
    }

    pub fn text(&self, lang: Language, key: &str) -> String {
        self.lookup(lang, key, None)
    }

    pub fn text_with(
        &self,
        lang: Language,
        key: &str,
        args: &HashMap<Cow<'static, str>, FluentValue>,
    ) -> String {
        self.lookup(lang, key, (!args.is_empty()).then_some(args))
    }

    fn lookup(
        &self,
        lang: Language,
        key: &str,
        args: Option<&HashMap<Cow<'static, str>, FluentValue>>,
    ) -> String {
        if args.is_none()
            && let Some(text) = self.0.plain[slot(lang)].get(key)
        {
            return text.clone();
        }
        self.0
            .format(lang, key, args)
            // Same as the loader: a missing message shows its id (tests make sure none is missing).
            .unwrap_or_else(|| format!("Unknown localization key: {key:?}"))
    }

    /// Registers `t(key, lang, …args)` and the date filters in a tera instance.
    pub fn register(&self, tera: &mut tera::Tera) {
        tera.register_filter("local_date", date_filter(DateStyle::Date));
        tera.register_filter("local_time", date_filter(DateStyle::Time));
        tera.register_filter("short_date", date_filter(DateStyle::Short));
        tera.register_filter("decimal", decimal_filter);
        let me = self.clone();
        tera.register_function("t", move |args: &HashMap<String, tera::Value>| {
            let key = args
                .get("key")
                .and_then(|v| v.as_str())
                .ok_or_else(|| tera::Error::msg("t() needs key=\"…\""))?;
            let lang = args
                .get("lang")
                .and_then(|v| v.as_str())
                .and_then(Language::from_code)
                .ok_or_else(|| tera::Error::msg(format!("t(key=\"{key}\") needs lang=lang")))?;
            let fluent_args: HashMap<Cow<'static, str>, FluentValue> = args
                .iter()
                .filter(|(name, _)| !matches!(name.as_str(), "key" | "lang"))
                .map(|(name, value)| {
                    let value = match value {
                        tera::Value::Number(n) => FluentValue::from(n.as_f64().unwrap_or_default()),
                        tera::Value::String(s) => FluentValue::from(s.clone()),
                        other => FluentValue::from(other.to_string()),
                    };
                    (Cow::Owned(name.clone()), value)
                })
                .collect();
            Ok(tera::Value::String(me.text_with(lang, key, &fluent_args)))
        });
    }
}

impl Catalogue {
    /// The message in `lang`, else in German. The loader's own lookup negotiates the fallback chain
    /// on every call, which was a noticeable share of rendering a page with a hundred texts.
    fn format(
        &self,
        lang: Language,
        key: &str,
        args: Option<&HashMap<Cow<'static, str>, FluentValue>>,
    ) -> Option<String> {
        let own = lang.langid();
        if let Ok(text) = self.loader.lookup_single_language(&own, key, args) {
            return Some(text);
        }
        let fallback = Language::De.langid();
        if own == fallback {
            return None;
        }
        self.loader
            .lookup_single_language(&fallback, key, args)
            .ok()
    }
}

/// The ids of the messages in every language's files.
fn message_ids(dir: &Path) -> anyhow::Result<BTreeSet<String>> {
    use fluent_syntax::{ast::Entry, parser};
    let mut ids = BTreeSet::new();
    for lang in Language::FOR_MAIL {
        let folder = dir.join(lang.langid().to_string());
        let Ok(files) = std::fs::read_dir(&folder) else {
            continue;
        };
        for file in files {
            let path = file?.path();
            if path.extension().is_none_or(|ext| ext != "ftl") {
                continue;
            }
            let text = std::fs::read_to_string(&path)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
            // The loader has parsed the files already and refused broken ones.
            let resource = parser::parse(text.as_str()).unwrap_or_else(|(partial, _)| partial);
            for entry in resource.body {
                if let Entry::Message(message) = entry {
                    ids.insert(message.id.name.to_owned());
                }
            }
        }
    }
    Ok(ids)
}

/// `{{ 4.25 | decimal(lang=lang, places=1) }}` → "4,3" in German, "4.3" in English; no value → "–".
fn decimal_filter(
    value: &tera::Value,
    args: &HashMap<String, tera::Value>,
) -> tera::Result<tera::Value> {
    let Some(number) = value.as_f64() else {
        return Ok(tera::Value::String("–".into()));
    };
    let places = args.get("places").and_then(|p| p.as_u64()).unwrap_or(1) as usize;
    let lang = match args.get("lang").and_then(|l| l.as_str()) {
        Some("de" | "de-x-ls") => Language::De,
        _ => Language::En,
    };
    Ok(tera::Value::String(format_decimal(number, places, lang)))
}

/// A number with `places` decimals and the language's decimal mark: "1,50" in German, "1.50" in English.
pub fn format_decimal(number: f64, places: usize, lang: Language) -> String {
    let text = format!("{number:.places$}");
    if lang.is_german() {
        text.replace('.', ",")
    } else {
        text
    }
}

#[derive(Clone, Copy)]
pub enum DateStyle {
    /// "Dienstag, 8. Dezember 2026"
    Date,
    /// "14:30"
    Time,
    /// "08.12.2026"
    Short,
}

/// Formats an instant in Thuringia's time zone, in the reader's language. Every time shown to people
/// goes through here, so a date never shows in UTC.
pub fn format_instant(at: DateTime<Utc>, lang: Language, style: DateStyle) -> String {
    let local = at.with_timezone(&chrono_tz::Europe::Berlin);
    let (pattern, locale) = match (style, lang) {
        (DateStyle::Date, Language::De | Language::Ls) => ("%A, %-d. %B %Y", chrono::Locale::de_DE),
        (DateStyle::Date, Language::En) => ("%A %-d %B %Y", chrono::Locale::en_GB),
        (DateStyle::Time, _) => ("%H:%M", chrono::Locale::de_DE),
        (DateStyle::Short, _) => ("%d.%m.%Y", chrono::Locale::de_DE),
    };
    local.format_localized(pattern, locale).to_string()
}

fn date_filter(
    style: DateStyle,
) -> impl Fn(&tera::Value, &HashMap<String, tera::Value>) -> tera::Result<tera::Value> {
    move |value, args| {
        let at = value
            .as_str()
            .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
            .ok_or_else(|| tera::Error::msg(format!("not a timestamp: {value}")))?;
        let lang = args
            .get("lang")
            .and_then(|v| v.as_str())
            .and_then(Language::from_code)
            .unwrap_or(Language::De);
        Ok(tera::Value::String(format_instant(
            at.with_timezone(&Utc),
            lang,
            style,
        )))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    fn message_ids(lang: &str) -> BTreeSet<String> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("content/locales")
            .join(lang);
        let mut ids = BTreeSet::new();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            for line in text.lines() {
                if let Some((id, _)) = line.split_once(" =")
                    && !id.starts_with([' ', '#', '.'])
                    && !id.is_empty()
                {
                    ids.insert(id.trim().to_owned());
                }
            }
        }
        ids
    }

    use super::*;

    #[test]
    fn instants_show_in_thuringian_time_across_daylight_saving() {
        use super::{DateStyle, format_instant};
        let winter = "2026-12-08T09:30:00Z";
        let summer = "2026-06-09T09:30:00Z";
        for (at, lang, style, shown) in [
            (winter, Language::De, DateStyle::Time, "10:30"),
            (summer, Language::De, DateStyle::Time, "11:30"),
            (
                winter,
                Language::De,
                DateStyle::Date,
                "Dienstag, 8. Dezember 2026",
            ),
            (
                winter,
                Language::En,
                DateStyle::Date,
                "Tuesday 8 December 2026",
            ),
        ] {
            assert_eq!(format_instant(at.parse().unwrap(), lang, style), shown);
        }
    }

    #[test]
    fn the_catalogue_loads_without_duplicate_or_broken_messages() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("content/locales");
        super::Translations::load(&dir).expect("catalogue loads");
        for lang in ["de", "en"] {
            let text = std::fs::read_to_string(dir.join(lang).join("main.ftl")).unwrap();
            let mut seen = BTreeSet::new();
            for line in text.lines() {
                if let Some((id, _)) = line.split_once(" =")
                    && !id.starts_with([' ', '#'])
                    && !id.is_empty()
                {
                    assert!(seen.insert(id.to_owned()), "{lang}: {id} appears twice");
                }
            }
        }
    }

    #[test]
    fn german_and_english_catalogues_have_the_same_messages() {
        let de = message_ids("de");
        let en = message_ids("en");
        assert!(!de.is_empty());
        let missing_en: Vec<_> = de.difference(&en).collect();
        let missing_de: Vec<_> = en.difference(&de).collect();
        assert!(missing_en.is_empty(), "missing in English: {missing_en:?}");
        assert!(missing_de.is_empty(), "missing in German: {missing_de:?}");
    }

    #[test]
    fn every_mail_has_a_leichte_sprache_version() {
        let de = message_ids("de");
        let easy = message_ids("de-leichte");
        let unknown: Vec<_> = easy.difference(&de).collect();
        assert!(unknown.is_empty(), "not in German: {unknown:?}");
        let missing: Vec<_> = de
            .iter()
            .filter(|id| id.starts_with("mail-") && !easy.contains(*id))
            .collect();
        assert!(
            missing.is_empty(),
            "mails without Leichte Sprache: {missing:?}"
        );

        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("content/locales");
        let t = Translations::load(&dir).unwrap();
        assert_eq!(
            t.text(Language::Ls, "mail-booking-reminder-intro"),
            "Guten Tag. Bald ist Ihr Termin. Wir möchten Sie daran erinnern."
        );
        // Pages have no easy version: German instead.
        assert_eq!(
            t.text(Language::Ls, "account-title"),
            t.text(Language::De, "account-title")
        );
    }

    #[test]
    fn every_key_used_in_templates_and_code_exists() {
        let known = message_ids("de");
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut used = BTreeSet::new();
        let mut stack = vec![
            root.join("templates"),
            root.join("src/domain"),
            root.join("src/web"),
        ];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap();
                for part in text.split("key=\"").skip(1) {
                    let key = part.split('"').next().unwrap();
                    // `key="org-kind-" ~ kind` builds the id from a prefix.
                    if !key.ends_with('-') {
                        used.insert(key.to_owned());
                    }
                }
                // Domain and handler errors are message ids in Rust string literals.
                if path.extension().is_some_and(|e| e == "rs") {
                    for part in text.split("\"error-").skip(1) {
                        let id = part.split('"').next().unwrap();
                        if !id.is_empty()
                            && id
                                .chars()
                                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                        {
                            used.insert(format!("error-{id}"));
                        }
                    }
                }
            }
        }
        let unknown: Vec<_> = used.iter().filter(|k| !known.contains(*k)).collect();
        assert!(unknown.is_empty(), "keys without translation: {unknown:?}");
    }

    #[test]
    fn labels_fall_back_to_german_and_messages_with_arguments_take_them() {
        let catalogue = Path::new(env!("CARGO_MANIFEST_DIR")).join("content/locales");
        let t = Translations::load(&catalogue).unwrap();
        assert_eq!(t.text(Language::De, "oa-save"), "Speichern");
        assert_eq!(t.text(Language::En, "oa-save"), "Save");
        // Leichte Sprache has mails only; a label comes in plain German.
        assert_eq!(t.text(Language::Ls, "oa-save"), "Speichern");
        let args = HashMap::from([
            (Cow::Borrowed("signed"), FluentValue::from(2)),
            (Cow::Borrowed("needed"), FluentValue::from(3)),
        ]);
        assert_eq!(
            t.text_with(Language::En, "shift-staffing", &args),
            "2 of 3 helpers"
        );
        assert_eq!(
            t.text(Language::En, "no-such-message"),
            "Unknown localization key: \"no-such-message\""
        );
    }
}
