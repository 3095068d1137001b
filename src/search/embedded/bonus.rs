//! A query whose matches score the inner query's score plus a constant: the exact-match tier in
//! one pass over the posting lists. The same result as a constant-score copy of the query beside
//! the query itself, which reads every posting list twice.

use std::fmt;

use tantivy::query::{EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::{DocId, DocSet, Score, SegmentReader, Term};

pub(super) struct BonusQuery {
    query: Box<dyn Query>,
    bonus: Score,
}

impl BonusQuery {
    pub(super) fn new(query: Box<dyn Query>, bonus: Score) -> Self {
        Self { query, bonus }
    }
}

impl Clone for BonusQuery {
    fn clone(&self) -> Self {
        Self {
            query: self.query.box_clone(),
            bonus: self.bonus,
        }
    }
}

impl fmt::Debug for BonusQuery {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "Bonus(query={:?}, bonus={})", self.query, self.bonus)
    }
}

impl Query for BonusQuery {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let weight = self.query.weight(enable_scoring)?;
        if !enable_scoring.is_scoring_enabled() {
            return Ok(weight);
        }
        Ok(Box::new(BonusWeight {
            weight,
            bonus: self.bonus,
        }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        self.query.query_terms(visitor)
    }
}

struct BonusWeight {
    weight: Box<dyn Weight>,
    bonus: Score,
}

impl Weight for BonusWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        Ok(Box::new(BonusScorer {
            scorer: self.weight.scorer(reader, boost)?,
            bonus: self.bonus * boost,
        }))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let inner = self.weight.explain(reader, doc)?;
        let mut explanation = Explanation::new_with_string(
            format!("{} plus ...", self.bonus),
            inner.value() + self.bonus,
        );
        explanation.add_detail(inner);
        Ok(explanation)
    }

    fn count(&self, reader: &SegmentReader) -> tantivy::Result<u32> {
        self.weight.count(reader)
    }
}

struct BonusScorer {
    scorer: Box<dyn Scorer>,
    bonus: Score,
}

impl DocSet for BonusScorer {
    fn advance(&mut self) -> DocId {
        self.scorer.advance()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        self.scorer.seek(target)
    }

    fn doc(&self) -> DocId {
        self.scorer.doc()
    }

    fn size_hint(&self) -> u32 {
        self.scorer.size_hint()
    }

    fn cost(&self) -> u64 {
        self.scorer.cost()
    }
}

impl Scorer for BonusScorer {
    fn score(&mut self) -> Score {
        self.scorer.score() + self.bonus
    }
}

#[cfg(test)]
mod tests {
    use tantivy::collector::TopDocs;
    use tantivy::query::{BooleanQuery, ConstScoreQuery, Occur, TermQuery};
    use tantivy::schema::IndexRecordOption;

    use super::*;

    /// The scores equal those of the query it replaces: a constant-score copy beside the query.
    #[test]
    fn scores_the_query_plus_the_bonus() {
        let (searcher, text) = super::super::searcher_over(&[
            "glasfaser",
            "glasfaser glasfaser ausbau",
            "ausbau",
            "glasfaser im dorf und in der stadt",
        ]);
        let term = || -> Box<dyn Query> {
            Box::new(TermQuery::new(
                Term::from_field_text(text, "glasfaser"),
                IndexRecordOption::WithFreqs,
            ))
        };
        let pair = BooleanQuery::new(vec![
            (Occur::Should, Box::new(ConstScoreQuery::new(term(), 4.0))),
            (Occur::Should, term()),
        ]);
        let bonus = BonusQuery::new(term(), 4.0);
        let top = |q: &dyn Query| {
            searcher
                .search(q, &TopDocs::with_limit(10).order_by_score())
                .unwrap()
        };
        let (expected, found) = (top(&pair), top(&bonus));
        assert_eq!(found.len(), 3);
        assert_eq!(
            found.iter().map(|(_, d)| *d).collect::<Vec<_>>(),
            expected.iter().map(|(_, d)| *d).collect::<Vec<_>>()
        );
        for ((want, _), (got, _)) in expected.iter().zip(&found) {
            assert!((want - got).abs() < 1e-5, "{want} against {got}");
        }
    }
}
