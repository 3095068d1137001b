//! A search text becomes a tantivy query without a query parser: each word an exact, a prefix and
//! a fuzzy clause, in score tiers.

use std::collections::HashSet;

use tantivy::Term;
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, DisjunctionMaxQuery, Occur, Query,
    TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption};

use super::Fields;
use super::analysis::{MAX_TOKEN_BYTES, query_word_analyzer, reversed, stem_analyzer, tokens};
use super::automata::{AutomatonQuery, Prefix, Typos};
use super::bonus::BonusQuery;
use crate::search::{SearchQuery, allowed_typos};

/// More words than this add cost, not precision.
const MAX_QUERY_WORDS: usize = 10;
/// Only the start of an absurdly long query is read.
const MAX_QUERY_CHARS: usize = 1_000;
/// Prefix matching on one or two letters would expand to most of the dictionary.
const MIN_PREFIX_CHARS: usize = 3;
/// Shorter stems would find too many compounds ("bau" in every "…bau").
const MIN_COMPOUND_STEM_CHARS: usize = 4;

/// Score tiers. An exact match gets a constant bonus above anything prefix and fuzzy clauses can
/// add, so exact matches rank above prefix matches, which rank above fuzzy ones; BM25 orders
/// documents within the exact tier.
const EXACT_BONUS: f32 = 4.0;
const PREFIX_SCORE: f32 = 1.0;
const COMPOUND_SCORE: f32 = 0.5;
const FUZZY_SCORE: f32 = 0.3;
const TITLE_BOOST: f32 = 2.0;

/// One search word after analysis.
pub(super) struct QueryWord {
    /// Lower-cased as typed.
    pub(super) word: String,
    pub(super) stem: String,
    /// The words within the typo budget of `word`, when it allows any.
    pub(super) near: Option<Typos>,
    pub(super) prefix: bool,
    /// Long enough to be looked for at the end of compounds.
    pub(super) compound: bool,
}

pub(super) fn query_words(text: &str) -> Vec<QueryWord> {
    let end = text
        .char_indices()
        .nth(MAX_QUERY_CHARS)
        .map_or(text.len(), |(i, _)| i);
    let mut words = query_word_analyzer();
    let mut stemmer = stem_analyzer();
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for word in tokens(&mut words, &text[..end]) {
        // Never indexed: looked for exactly as typed, so it matches nothing (and costs no
        // automaton).
        let indexed = word.len() < MAX_TOKEN_BYTES;
        let stem = if indexed {
            let Some(stem) = tokens(&mut stemmer, &word).into_iter().next() else {
                continue;
            };
            stem
        } else {
            word.clone()
        };
        if !seen.insert(stem.clone()) {
            continue;
        }
        let typos = if indexed { allowed_typos(&word) } else { 0 };
        out.push(QueryWord {
            near: (typos > 0).then(|| Typos::new(&word, typos)),
            prefix: indexed && word.chars().count() >= MIN_PREFIX_CHARS,
            compound: indexed && stem.chars().count() >= MIN_COMPOUND_STEM_CHARS,
            stem,
            word,
        });
        if out.len() == MAX_QUERY_WORDS {
            break;
        }
    }
    out
}

/// Whether every word is required, or any will do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum MatchMode {
    All,
    /// Fallback when no document has all words: better some results than none.
    Any,
}

fn boxed(q: impl Query) -> Box<dyn Query> {
    Box::new(q)
}

/// The scoring of one word, see the tier constants.
fn word_query(fields: &Fields, word: &QueryWord) -> Box<dyn Query> {
    let searchable = [
        (fields.title, TITLE_BOOST),
        (fields.text, 1.0),
        (fields.answer, 1.0),
    ];
    let term = |field: Field| Term::from_field_text(field, &word.stem);
    let exact = BooleanQuery::new(
        searchable
            .iter()
            .map(|&(field, boost)| {
                let q = TermQuery::new(term(field), IndexRecordOption::WithFreqs);
                (Occur::Should, boxed(BoostQuery::new(boxed(q), boost)))
            })
            .collect(),
    );
    let mut clauses = vec![(
        Occur::Should,
        boxed(BonusQuery::new(boxed(exact), EXACT_BONUS)),
    )];
    // Automaton queries score a constant; the max over the two fields keeps a word found in
    // title and text from outranking an exact match. They compare the word as typed.
    let automaton_clause = |make: &dyn Fn(Field) -> Box<dyn Query>, score: f32| {
        let per_field = [(fields.title_words, 1.2), (fields.body_words, 1.0)]
            .into_iter()
            .map(|(field, tilt)| boxed(BoostQuery::new(make(field), score * tilt)))
            .collect();
        (Occur::Should, boxed(DisjunctionMaxQuery::new(per_field)))
    };
    if word.prefix {
        let prefix = Prefix::new(&word.word);
        clauses.push(automaton_clause(
            &|field| boxed(AutomatonQuery::new(field, prefix.clone())),
            PREFIX_SCORE,
        ));
    }
    if word.compound {
        let q = AutomatonQuery::new(fields.tails, Prefix::new(&reversed(&word.stem)));
        clauses.push((
            Occur::Should,
            boxed(BoostQuery::new(boxed(q), COMPOUND_SCORE)),
        ));
    }
    if let Some(near) = &word.near {
        clauses.push(automaton_clause(
            &|field| boxed(AutomatonQuery::new(field, near.clone())),
            FUZZY_SCORE,
        ));
    }
    boxed(BooleanQuery::new(clauses))
}

pub(super) fn build_query(
    fields: &Fields,
    query: &SearchQuery,
    words: &[QueryWord],
    mode: MatchMode,
) -> Box<dyn Query> {
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    for (field, value) in [
        (fields.category, &query.category),
        (fields.district, &query.district),
        (fields.status, &query.status),
    ] {
        if let Some(value) = value {
            let q = TermQuery::new(
                Term::from_field_text(field, value),
                IndexRecordOption::Basic,
            );
            // Filters must not change the ranking.
            clauses.push((Occur::Must, boxed(ConstScoreQuery::new(boxed(q), 0.0))));
        }
    }
    if words.is_empty() {
        clauses.push((Occur::Must, boxed(AllQuery)));
    } else {
        let per_word = words.iter().map(|w| word_query(fields, w));
        match mode {
            MatchMode::All => clauses.extend(per_word.map(|q| (Occur::Must, q))),
            MatchMode::Any => {
                let any = BooleanQuery::new(per_word.map(|q| (Occur::Should, q)).collect());
                clauses.push((Occur::Must, boxed(any)));
            }
        }
    }
    boxed(BooleanQuery::new(clauses))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_words_are_stemmed_capped_and_deduplicated() {
        let words = query_words("Schulen SCHULE schule Glasfaser a");
        let stems: Vec<_> = words.iter().map(|w| w.stem.as_str()).collect();
        assert_eq!(stems, ["schul", "glasfas", "a"]);
        assert_eq!(words[0].word, "schulen");
        // Snowball's quirk: "Kurs" loses its s, "Kurse" only the e. The typo budget of the
        // five-letter "Kurse" bridges that (see the contract test `stemming`).
        let kurs: Vec<_> = query_words("Kurse Kurs")
            .into_iter()
            .map(|w| w.stem)
            .collect();
        assert_eq!(kurs, ["kurs", "kur"]);
        let near = words[0].near.as_ref().expect("seven letters allow a typo");
        assert!(near.matches("schulne") && near.matches("schuen"));
        assert!(
            !near.matches("schuene"),
            "seven letters allow one typo, not two"
        );
        assert!(
            !words[2].prefix,
            "one letter is too short for prefix matching"
        );
        let many = (0..50)
            .map(|i| format!("wort{i}"))
            .collect::<Vec<_>>()
            .join(" ");
        assert_eq!(query_words(&many).len(), MAX_QUERY_WORDS);
        assert!(query_words("\"-+*:() 🎉\u{200b}").is_empty());
    }
}
