//! The translation catalogue: Fluent files under `content/locales/<lang>/`, German as fallback.
//! Templates call `t(key="…", lang=lang)`, with further named arguments passed to Fluent.
use std::{borrow::Cow, collections::HashMap, path::Path, sync::Arc};

use fluent_templates::{ArcLoader, Loader, fluent_bundle::FluentValue};

use crate::domain::Language;

#[derive(Clone)]
pub struct Translations(Arc<ArcLoader>);

impl Translations {
    pub fn load(dir: &Path) -> anyhow::Result<Self> {
        let loader = ArcLoader::builder(dir, Language::De.langid())
            // Unicode isolation marks would end up as invisible characters in HTML and mails.
            .customize(|bundle| bundle.set_use_isolating(false))
            .build()
            .map_err(|e| anyhow::anyhow!("cannot load translations from {}: {e}", dir.display()))?;
        Ok(Self(Arc::new(loader)))
    }

    pub fn text(&self, lang: Language, key: &str) -> String {
        self.0.lookup(&lang.langid(), key)
    }

    pub fn text_with(
        &self,
        lang: Language,
        key: &str,
        args: &HashMap<Cow<'static, str>, FluentValue>,
    ) -> String {
        self.0.lookup_with_args(&lang.langid(), key, args)
    }

    /// Registers `t(key, lang, …args)` in a tera instance.
    pub fn register(&self, tera: &mut tera::Tera) {
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
}
