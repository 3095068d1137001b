//! How text becomes index terms: German folding, word and stem analyzers, reversed stems.

use tantivy::tokenizer::{
    Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer, TextAnalyzer, Token,
    TokenFilter, TokenStream, Tokenizer,
};

use crate::search::fold_german;

/// Names under which the analyzers are registered; tantivy does not persist them, so every
/// `open` registers them again.
pub(super) const STEMMED: &str = "de_stem";
pub(super) const WORDS: &str = "de_words";
/// Tokens of this many bytes or more are noise (base64, URLs) and would make fuzzy automata
/// expensive: the index leaves them out.
pub(super) const MAX_TOKEN_BYTES: usize = 40;

/// Writes umlauts and ß out (see [`fold_german`]); runs after lower-casing.
#[derive(Clone)]
struct GermanFolder;

impl TokenFilter for GermanFolder {
    type Tokenizer<T: Tokenizer> = GermanFolderFilter<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> Self::Tokenizer<T> {
        GermanFolderFilter(tokenizer)
    }
}

#[derive(Clone)]
struct GermanFolderFilter<T>(T);

impl<T: Tokenizer> Tokenizer for GermanFolderFilter<T> {
    type TokenStream<'a> = GermanFolderStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        GermanFolderStream(self.0.token_stream(text))
    }
}

struct GermanFolderStream<T>(T);

impl<T: TokenStream> TokenStream for GermanFolderStream<T> {
    fn advance(&mut self) -> bool {
        if !self.0.advance() {
            return false;
        }
        let token = self.0.token_mut();
        if !token.text.is_ascii() {
            token.text = fold_german(&token.text);
        }
        true
    }

    fn token(&self) -> &Token {
        self.0.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.0.token_mut()
    }
}

/// Lower-cased words, as typed (for typo allowances and highlighting), umlauts written out.
pub(super) fn word_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter(LowerCaser)
        .filter(GermanFolder)
        .build()
}

/// The words of a search text, long ones kept: a search for a word the index leaves out must find
/// nothing, not become a search without words (which lists everything).
pub(super) fn query_word_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(LowerCaser)
        .filter(GermanFolder)
        .build()
}

/// What the index stores: lower-cased words, umlauts written out, reduced by the German
/// Snowball stemmer.
pub(super) fn stem_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter(LowerCaser)
        .filter(GermanFolder)
        .filter(Stemmer::new(Language::German))
        .build()
}

pub(super) fn reversed(word: &str) -> String {
    word.chars().rev().collect()
}

/// The reversed stems of a text, for the `tails` field.
pub(super) fn tails(stemmer: &mut TextAnalyzer, text: &str) -> String {
    tokens(stemmer, text)
        .iter()
        .map(|stem| reversed(stem))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The German stems of a text exactly as this index stores them: words lower-cased, umlauts and ß
/// written out, reduced by the Snowball stemmer ("Dörfer", "Doerfer" and "Dorfes" all become
/// "dorf"). The Meilisearch backend indexes and queries the same stems, so both backends agree
/// on word forms.
pub fn german_stems(text: &str) -> Vec<String> {
    tokens(&mut stem_analyzer(), text)
}

pub(super) fn tokens(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while stream.advance() {
        out.push(stream.token().text.clone());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::snippets::is_subsequence;
    use super::*;

    /// The highlighter skips stemming words that do not hold a wanted stem's letters in order; that
    /// is only right while stemming keeps the letters it does not drop in their order.
    #[test]
    fn stemming_keeps_the_order_of_the_letters_it_keeps() {
        let text = "Dörfer Dorfes Häuser Straßen Bürgerbeteiligung Glasfaserausbau Senioren Kurse \
                    bauen Bauer Frauen euer neuer freue Bayern Rufbusse Bänken Schlüssel größeren \
                    Überweisungen Gebärdensprache ausgeübt Videosprechstunden Beteiligungen";
        let mut words = word_analyzer();
        let mut stemmer = stem_analyzer();
        for word in tokens(&mut words, text) {
            let stem = tokens(&mut stemmer, &word).pop().expect("a stem");
            assert!(is_subsequence(&stem, &word), "{stem} is not in {word}");
        }
        assert!(is_subsequence("dorf", "doerfer") && !is_subsequence("dorf", "fordern"));
    }
}
