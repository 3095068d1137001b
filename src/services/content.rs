//! Editorial pages (accessibility statement, Leichte Sprache, sign language, privacy, imprint, help)
//! rendered from Markdown under `content/<lang>/`, so editors change them without a new build.
use std::{
    collections::HashMap,
    path::{Path, PathBuf},
};

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd, html};
use serde::Serialize;

use crate::{config::SiteContacts, domain::Language, i18n::Translations};

/// The pages and their URL slugs, in footer order.
pub const PAGES: [&str; 7] = [
    "barrierefreiheit",
    "leichte-sprache",
    "gebaerdensprache",
    "datenschutz",
    "impressum",
    "hilfe",
    "kontakt",
];

#[derive(Debug, thiserror::Error)]
pub enum ContentError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: template error: {message}", path.display())]
    Template { path: PathBuf, message: String },
    #[error("{}: the page must start with one '# Title' heading", path.display())]
    MissingTitle { path: PathBuf },
}

#[derive(Debug, Serialize)]
pub struct RenderedPage {
    pub title: String,
    pub html: String,
    /// The language the text is actually in (English falls back to German where missing).
    pub language: Language,
}

#[derive(Clone)]
pub struct ContentPages {
    content_dir: PathBuf,
    static_dir: PathBuf,
    contacts: SiteContacts,
    base_url: String,
    translations: Translations,
}

impl ContentPages {
    pub fn new(
        content_dir: &Path,
        static_dir: &Path,
        contacts: SiteContacts,
        base_url: String,
        translations: Translations,
    ) -> Self {
        Self {
            content_dir: content_dir.to_owned(),
            static_dir: static_dir.to_owned(),
            contacts,
            base_url,
            translations,
        }
    }

    pub fn exists(slug: &str) -> bool {
        PAGES.contains(&slug)
    }

    pub fn render(&self, slug: &str, wanted: Language) -> Result<RenderedPage, ContentError> {
        let (path, language) = [wanted, Language::De]
            .into_iter()
            .map(|lang| {
                (
                    self.content_dir
                        .join(lang.code())
                        .join(format!("{slug}.md")),
                    lang,
                )
            })
            .find(|(path, _)| path.is_file())
            .unwrap_or_else(|| {
                (
                    self.content_dir.join("de").join(format!("{slug}.md")),
                    Language::De,
                )
            });
        let source = std::fs::read_to_string(&path).map_err(|source| ContentError::Io {
            path: path.clone(),
            source,
        })?;
        let markdown = self.expand(&path, &source, language)?;
        let (title, html) = markdown_to_html(&markdown);
        let title = title.ok_or(ContentError::MissingTitle { path })?;
        Ok(RenderedPage {
            title,
            html,
            language,
        })
    }

    /// Fills in contact data from the configuration and the sign-language video slots.
    fn expand(
        &self,
        path: &Path,
        source: &str,
        language: Language,
    ) -> Result<String, ContentError> {
        let template_error = |e: tera::Error| {
            let mut message = e.to_string();
            let mut cause = std::error::Error::source(&e);
            while let Some(c) = cause {
                message.push_str(&format!(": {c}"));
                cause = c.source();
            }
            ContentError::Template {
                path: path.to_owned(),
                message,
            }
        };
        let mut tera = tera::Tera::default();
        tera.autoescape_on(vec![]);
        tera.add_raw_template("page", source)
            .map_err(template_error)?;
        let video_dir = self.static_dir.join("video/dgs");
        let pending = self.translations.text(language, "sign-video-pending");
        tera.register_function("sign_video", move |args: &HashMap<String, tera::Value>| {
            let get = |name: &str| args.get(name).and_then(|v| v.as_str()).unwrap_or_default();
            Ok(tera::Value::String(sign_video_html(
                &video_dir,
                get("id"),
                get("title"),
                &pending,
            )))
        });
        let mut context = tera::Context::from_serialize(&self.contacts).map_err(template_error)?;
        context.insert("base_url", self.base_url.trim_end_matches('/'));
        tera.render("page", &context).map_err(template_error)
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A captioned player when the video and its captions exist, otherwise an honest note.
fn sign_video_html(video_dir: &Path, id: &str, title: &str, pending: &str) -> String {
    let safe_id = id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') && !id.is_empty();
    let (title, id) = (escape(title), escape(id));
    if safe_id
        && video_dir.join(format!("{id}.mp4")).is_file()
        && video_dir.join(format!("{id}.vtt")).is_file()
    {
        format!(
            "<figure class=\"sign-video\"><video controls preload=\"metadata\" aria-label=\"{title}\">\
             <source src=\"/static/video/dgs/{id}.mp4\" type=\"video/mp4\">\
             <track kind=\"captions\" src=\"/static/video/dgs/{id}.vtt\" srclang=\"de\" label=\"Deutsch\" default>\
             </video><figcaption>{title}</figcaption></figure>"
        )
    } else {
        format!(
            "<div class=\"sign-video sign-video--pending\"><p class=\"sign-video__title\">{title}</p><p>{}</p></div>",
            escape(pending)
        )
    }
}

/// Renders Markdown and takes the first level-one heading as the page title.
pub fn markdown_to_html(markdown: &str) -> (Option<String>, String) {
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    options.insert(Options::ENABLE_STRIKETHROUGH);
    let mut title = None;
    let mut in_h1 = false;
    let mut current = String::new();
    let events: Vec<Event> = Parser::new_ext(markdown, options)
        .inspect(|event| match event {
            Event::Start(Tag::Heading {
                level: HeadingLevel::H1,
                ..
            }) => in_h1 = title.is_none(),
            Event::End(TagEnd::Heading(HeadingLevel::H1)) if in_h1 => {
                title = Some(current.trim().to_owned());
                in_h1 = false;
            }
            Event::Text(text) | Event::Code(text) if in_h1 => current.push_str(text),
            _ => {}
        })
        .collect();
    let mut out = String::new();
    html::push_html(&mut out, events.into_iter());
    (title, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_comes_from_the_first_heading() {
        let (title, html) = markdown_to_html("# Hilfe *für* alle\n\nText\n\n## Mehr");
        assert_eq!(title.as_deref(), Some("Hilfe für alle"));
        assert!(html.contains("<h2>Mehr</h2>"));
    }

    #[test]
    fn pending_video_is_described_and_escaped() {
        let html = sign_video_html(
            Path::new("/nonexistent"),
            "ueberblick",
            "<Überblick>",
            "Video folgt",
        );
        assert!(html.contains("&lt;Überblick&gt;"));
        assert!(html.contains("Video folgt"));
        assert!(!html.contains("<video"));
    }
}
