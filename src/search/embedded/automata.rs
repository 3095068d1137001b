//! The automata a search word walks the term dictionaries with, built once per word.
//!
//! tantivy's `FuzzyTermQuery` builds a Levenshtein DFA each time a search uses it: for each word
//! once per field, again for the fallback search, and the highlighter built its own. Building the
//! DFA was about a tenth of a search's CPU time. A prefix is matched with a DFA of distance 0 there;
//! here it is a plain comparison of bytes, which needs no building at all.

use std::fmt;
use std::sync::{Arc, OnceLock};

use levenshtein_automata::{DFA, Distance, LevenshteinAutomatonBuilder, SINK_STATE};
use tantivy::query::{AutomatonWeight, EnableScoring, Query, Weight};
use tantivy::schema::Field;
use tantivy_fst::Automaton;

/// The words within `typos` edits of a word (a swap of two letters counts as one), as
/// `FuzzyTermQuery::new(term, typos, true)` matches them.
#[derive(Clone)]
pub(super) struct Typos(Arc<DFA>);

impl Typos {
    /// `typos` is 1 or 2; more is clamped to 2.
    pub(super) fn new(word: &str, typos: u8) -> Self {
        static BUILDERS: [OnceLock<LevenshteinAutomatonBuilder>; 2] =
            [OnceLock::new(), OnceLock::new()];
        let slot = usize::from(typos.clamp(1, 2) - 1);
        let builder =
            BUILDERS[slot].get_or_init(|| LevenshteinAutomatonBuilder::new(slot as u8 + 1, true));
        Self(Arc::new(builder.build_dfa(word)))
    }

    pub(super) fn matches(&self, word: &str) -> bool {
        matches!(self.0.eval(word), Distance::Exact(_))
    }
}

impl Automaton for Typos {
    type State = u32;

    fn start(&self) -> u32 {
        self.0.initial_state()
    }

    fn is_match(&self, state: &u32) -> bool {
        matches!(self.0.distance(*state), Distance::Exact(_))
    }

    fn can_match(&self, state: &u32) -> bool {
        *state != SINK_STATE
    }

    fn accept(&self, state: &u32, byte: u8) -> u32 {
        self.0.transition(*state, byte)
    }
}

/// The terms that start with the given bytes.
#[derive(Clone)]
pub(super) struct Prefix(Arc<[u8]>);

impl Prefix {
    pub(super) fn new(prefix: &str) -> Self {
        Self(Arc::from(prefix.as_bytes()))
    }
}

impl Automaton for Prefix {
    /// How many bytes of the prefix were read; `None` once a byte differed.
    type State = Option<usize>;

    fn start(&self) -> Option<usize> {
        Some(0)
    }

    fn is_match(&self, state: &Option<usize>) -> bool {
        *state == Some(self.0.len())
    }

    fn can_match(&self, state: &Option<usize>) -> bool {
        state.is_some()
    }

    fn will_always_match(&self, state: &Option<usize>) -> bool {
        self.is_match(state)
    }

    fn accept(&self, state: &Option<usize>, byte: u8) -> Option<usize> {
        let read = (*state)?;
        match self.0.get(read) {
            None => Some(read),
            Some(&wanted) if wanted == byte => Some(read + 1),
            Some(_) => None,
        }
    }
}

/// Documents holding a term of `field` that `automaton` accepts, each scoring 1 (times the boost).
pub(super) struct AutomatonQuery<A> {
    field: Field,
    automaton: A,
}

impl<A> AutomatonQuery<A> {
    pub(super) fn new(field: Field, automaton: A) -> Self {
        Self { field, automaton }
    }
}

impl<A: Clone> Clone for AutomatonQuery<A> {
    fn clone(&self) -> Self {
        Self {
            field: self.field,
            automaton: self.automaton.clone(),
        }
    }
}

impl<A> fmt::Debug for AutomatonQuery<A> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(
            f,
            "AutomatonQuery({:?}, {})",
            self.field,
            std::any::type_name::<A>()
        )
    }
}

impl<A> Query for AutomatonQuery<A>
where
    A: Automaton + Clone + Send + Sync + 'static,
    A::State: Clone,
{
    fn weight(&self, _: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(AutomatonWeight::new(
            self.field,
            self.automaton.clone(),
        )))
    }
}

#[cfg(test)]
mod tests {
    use tantivy::Term;
    use tantivy::collector::DocSetCollector;
    use tantivy::query::FuzzyTermQuery;

    use super::*;

    /// The same documents as tantivy's own fuzzy and prefix queries find.
    #[test]
    fn match_what_tantivys_fuzzy_queries_match() {
        let (searcher, text) = super::super::searcher_over(&[
            "glasfaser",
            "glasfasr",
            "glasfaserausbau",
            "glas",
            "gasfaser",
            "lgasfaser",
            "glasfaesr",
            "breitband",
            "glasfasern",
            "ausbau",
            "bau",
            "baum",
            "abau",
        ]);
        let found = |q: &dyn Query| {
            let mut docs: Vec<_> = searcher
                .search(q, &DocSetCollector)
                .unwrap()
                .into_iter()
                .collect();
            docs.sort();
            docs
        };
        for word in ["glasfaser", "bau", "glas", "x"] {
            let term = Term::from_field_text(text, word);
            for typos in [1, 2] {
                let ours = found(&AutomatonQuery::new(text, Typos::new(word, typos)));
                assert_eq!(ours, found(&FuzzyTermQuery::new(term.clone(), typos, true)));
            }
            let ours = found(&AutomatonQuery::new(text, Prefix::new(word)));
            assert_eq!(ours, found(&FuzzyTermQuery::new_prefix(term, 0, true)));
        }
        assert_eq!(
            found(&AutomatonQuery::new(text, Prefix::new("glas"))).len(),
            6
        );
        assert!(Typos::new("glasfaser", 1).matches("glasfasr"));
        assert!(!Typos::new("glasfaser", 1).matches("gasfasr"));
    }
}
