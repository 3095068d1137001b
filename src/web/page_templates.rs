//! The page templates once per language, with their fixed texts written in.
//!
//! A page calls `t(key=…, lang=lang)` with a quoted key a hundred times and more; each call had tera collect its
//! arguments and the catalogue format the message again, for the same text on every request. The
//! page's language is known before rendering (it is the context's `lang`), so each call with a
//! literal key and no other argument is replaced by its text when the templates are loaded. Calls
//! with arguments or a computed key stay calls. Mails and the sitemap are one shared set
//! ([`super::state::AppState::templates`]): a mail's language is the recipient's.
use std::path::Path;

use regex::{Captures, Regex};

use crate::{domain::Language, i18n::Translations};

pub struct PageTemplates {
    by_language: Vec<(Language, tera::Tera)>,
}

/// The templates of `dir`: the pages once per language, and the rest (mails, the sitemap) once.
pub struct Loaded {
    pub pages: PageTemplates,
    pub shared: tera::Tera,
}

/// `configure` registers the functions and filters every set needs. The languages' sets are
/// parsed side by side: parsing is most of the start-up time.
pub fn load(
    dir: &Path,
    translations: &Translations,
    configure: impl Fn(&mut tera::Tera) + Sync,
) -> anyhow::Result<Loaded> {
    let (shared_sources, page_sources): (Vec<_>, Vec<_>) = sources(dir)?
        .into_iter()
        .partition(|(name, _)| is_shared(name));
    let parse = |sources: Vec<(String, String)>| -> anyhow::Result<tera::Tera> {
        let mut tera = tera::Tera::default();
        tera.add_raw_templates(sources)
            .map_err(|e| anyhow::anyhow!("templates in {}: {e:?}", dir.display()))?;
        configure(&mut tera);
        Ok(tera)
    };
    let (pages, shared) = std::thread::scope(|scope| {
        let languages: Vec<_> = Language::ALL
            .into_iter()
            .map(|lang| {
                let written = page_sources
                    .iter()
                    .map(|(name, source)| {
                        let escape = name.ends_with(".html");
                        let text = |key: &str| translations.text(lang, key);
                        (name.clone(), write_in_texts(source, escape, text))
                    })
                    .collect::<Vec<_>>();
                let parse = &parse;
                scope.spawn(move || parse(written).map(|tera| (lang, tera)))
            })
            .collect();
        let shared = parse(shared_sources);
        let pages = languages
            .into_iter()
            .map(|parsing| parsing.join().expect("template parsing does not panic"))
            .collect::<anyhow::Result<Vec<_>>>();
        (pages, shared)
    });
    Ok(Loaded {
        pages: PageTemplates {
            by_language: pages?,
        },
        shared: shared?,
    })
}

/// Rendered in the recipient's language, or in none.
fn is_shared(name: &str) -> bool {
    name.starts_with("mail/") || name == "sitemap.xml"
}

impl PageTemplates {
    pub fn for_language(&self, lang: Language) -> &tera::Tera {
        self.by_language
            .iter()
            .find(|(l, _)| *l == lang)
            .or(self.by_language.first())
            .map(|(_, tera)| tera)
            .expect("templates for every page language")
    }
}

/// Every template under `dir`, named as `tera::Tera::new` names them.
fn sources(dir: &Path) -> anyhow::Result<Vec<(String, String)>> {
    let mut found = Vec::new();
    let mut folders = vec![dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        let entries = std::fs::read_dir(&folder)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", folder.display()))?;
        for entry in entries {
            let path = entry?.path();
            if path.is_dir() {
                folders.push(path);
                continue;
            }
            let name = path
                .strip_prefix(dir)?
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            let source = std::fs::read_to_string(&path)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
            found.push((name, source));
        }
    }
    Ok(found)
}

/// `{{ t(key=…, lang=lang) }}` with a quoted key becomes the key's text, escaped as tera escapes output in
/// `.html` templates. A text that looks like template syntax keeps its call.
fn write_in_texts(source: &str, escape: bool, text: impl Fn(&str) -> String) -> String {
    static CALL: std::sync::LazyLock<Regex> = std::sync::LazyLock::new(|| {
        // The quotes as \x22: the check that every key in the code exists reads this file too.
        Regex::new(r"\{\{ t\(key=\x22([a-z0-9-]+)\x22, lang=lang\) \}\}").expect("valid pattern")
    });
    CALL.replace_all(source, |call: &Captures| {
        let text = text(&call[1]);
        if ["{{", "{%", "{#"]
            .iter()
            .any(|syntax| text.contains(syntax))
        {
            call[0].to_owned()
        } else if escape {
            tera::escape_html(&text)
        } else {
            text
        }
    })
    .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_calls_are_written_in_and_others_stay() {
        // Quotes written with `q`: the check that every key in the code exists reads this file.
        let q = '"';
        let call = |key: &str| format!("{{{{ t(key={q}{key}{q}, lang=lang) }}}}");
        let kept = format!(
            "{{{{ t(key={q}n{q}, lang=lang, count=2) }}}}{{{{ t(key=name, lang=lang) }}}}{}",
            call("odd")
        );
        let source = format!("<p title={q}{}{q}>{}</p>{kept}", call("a-b"), call("c"));
        let text = |key: &str| match key {
            "a-b" => "Tom & \"Jerry\"".to_owned(),
            "c" => "<b>".to_owned(),
            "odd" => "{{ x }}".to_owned(),
            other => panic!("{other} is not written in"),
        };
        assert_eq!(
            write_in_texts(&source, true, text),
            format!("<p title={q}Tom &amp; &quot;Jerry&quot;{q}>&lt;b&gt;</p>{kept}")
        );
        assert_eq!(write_in_texts(&call("c"), false, text), "<b>");
    }
}
