//! Snippets: the part of a text around what matched, with the matched words marked.

use std::collections::BTreeMap;

use tantivy::schema::Field;
use tantivy::snippet::SnippetGenerator;
use tantivy::tokenizer::TextAnalyzer;

use super::analysis::{stem_analyzer, tokens, word_analyzer};
use super::query::QueryWord;
use crate::search::SnippetPart;

const SNIPPET_CHARS: usize = 200;

/// Finds the words of a text that a search word matched: the same word or a longer one starting
/// with it, the same stem (also at the end of a compound), or a word within the typo budget.
pub(super) struct Highlighter<'a> {
    words: &'a [QueryWord],
}

impl<'a> Highlighter<'a> {
    pub(super) fn new(words: &'a [QueryWord]) -> Self {
        Highlighter { words }
    }

    fn matches(&self, stemmer: &mut TextAnalyzer, word: &str) -> bool {
        let mut stem = None;
        self.words.iter().any(|wanted| {
            (wanted.prefix && word.starts_with(wanted.word.as_str()))
                || wanted.near.as_ref().is_some_and(|n| n.matches(word))
                // Stemming only drops letters ("doerfer" becomes "dorf"), so a word that does
                // not hold the wanted stem's letters in order need not be stemmed (most words).
                || is_subsequence(&wanted.stem, word)
                    && stem
                        .get_or_insert_with(|| tokens(stemmer, word).pop())
                        .as_deref()
                        .is_some_and(|s| {
                            s == wanted.stem
                                || (wanted.compound && s.ends_with(wanted.stem.as_str()))
                        })
        })
    }

    /// A snippet of `text` around the matched words, or `None` when nothing in it matched.
    pub(super) fn snippet(&self, field: Field, text: &str) -> Option<Vec<SnippetPart>> {
        let mut analyzer = word_analyzer();
        let mut stemmer = stem_analyzer();
        // Only the matched words are copied: most words of a text are not.
        let mut terms: BTreeMap<String, f32> = BTreeMap::new();
        let mut stream = analyzer.token_stream(text);
        while stream.advance() {
            let word = &stream.token().text;
            if !terms.contains_key(word) && self.matches(&mut stemmer, word) {
                terms.insert(word.clone(), 1.0);
            }
        }
        drop(stream);
        if terms.is_empty() {
            return None;
        }
        let generator = SnippetGenerator::new(terms, analyzer, field, SNIPPET_CHARS);
        let snippet = generator.snippet(text);
        if snippet.highlighted().is_empty() {
            return None;
        }
        Some(snippet_parts(snippet.fragment(), snippet.highlighted()))
    }
}

/// Whether the bytes of `needle` occur in `haystack` in the same order (not necessarily together).
pub(super) fn is_subsequence(needle: &str, haystack: &str) -> bool {
    let mut rest = haystack.bytes();
    needle.bytes().all(|b| rest.any(|h| h == b))
}

fn snippet_parts(fragment: &str, highlighted: &[std::ops::Range<usize>]) -> Vec<SnippetPart> {
    let mut parts = Vec::new();
    let mut at = 0;
    for range in highlighted {
        if range.start > at {
            parts.push(SnippetPart {
                text: fragment[at..range.start].to_string(),
                highlighted: false,
            });
        }
        parts.push(SnippetPart {
            text: fragment[range.clone()].to_string(),
            highlighted: true,
        });
        at = range.end;
    }
    if at < fragment.len() {
        parts.push(SnippetPart {
            text: fragment[at..].to_string(),
            highlighted: false,
        });
    }
    parts
}

/// The start of a text, cut at a word boundary near [`SNIPPET_CHARS`].
pub(super) fn leading_snippet(text: &str) -> Vec<SnippetPart> {
    let text = text.trim_start();
    let cut = match text.char_indices().nth(SNIPPET_CHARS) {
        None => text,
        Some((end, _)) => {
            let head = &text[..end];
            head.rfind(char::is_whitespace)
                .map_or(head, |space| &head[..space])
                .trim_end()
        }
    };
    if cut.is_empty() {
        return Vec::new();
    }
    vec![SnippetPart {
        text: cut.to_string(),
        highlighted: false,
    }]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leading_snippet_cuts_at_a_word_boundary() {
        let text = "wort ".repeat(100);
        let parts = leading_snippet(&text);
        assert_eq!(parts.len(), 1);
        assert!(parts[0].text.chars().count() <= SNIPPET_CHARS);
        assert!(parts[0].text.ends_with("wort"));
        assert!(leading_snippet("   ").is_empty());
    }

    #[test]
    fn snippet_parts_split_at_highlights() {
        let parts = snippet_parts("ein Glasfaser Netz ein", &[4..13, 19..22]);
        let flags: Vec<_> = parts
            .iter()
            .map(|p| (p.text.as_str(), p.highlighted))
            .collect();
        assert_eq!(
            flags,
            [
                ("ein ", false),
                ("Glasfaser", true),
                (" Netz ", false),
                ("ein", true)
            ]
        );
    }
}
