//! Markdown to HTML for the editorial pages, and the sign-language video slots in them.
use std::path::Path;

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd, html};

pub(super) fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A captioned player when the video and its captions exist, otherwise an honest note.
pub(super) fn sign_video_html(video_dir: &Path, id: &str, title: &str, pending: &str) -> String {
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
    // `## Kurse finden { #kurse }`: the sections of the features have fixed anchors.
    options.insert(Options::ENABLE_HEADING_ATTRIBUTES);
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
