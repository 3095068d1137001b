//! Facet counts for the embedded index: how many matches each value of a keyword field has.
//!
//! tantivy's aggregation framework answers this too, but builds a generic request, a hash map per
//! bucket and JSON-like intermediate results for every search; that was most of a search's time
//! after the query itself. A keyword field's fast column numbers its values (term ordinals), so a
//! count is one array slot per value, filled while the query runs.
use std::collections::BTreeMap;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::StrColumn;
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

/// Counts the values of the named fast keyword fields over every match.
pub struct TermCounts {
    fields: &'static [&'static str],
}

impl TermCounts {
    pub const fn new(fields: &'static [&'static str]) -> Self {
        Self { fields }
    }
}

/// Per field (in the order given), each value with its number of matches.
pub type Counts = Vec<BTreeMap<String, u64>>;

pub struct SegmentTermCounts {
    columns: Vec<Option<(StrColumn, Vec<u64>)>>,
}

impl Collector for TermCounts {
    type Fruit = Counts;
    type Child = SegmentTermCounts;

    fn for_segment(
        &self,
        _: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<SegmentTermCounts> {
        let columns = self
            .fields
            .iter()
            .map(|field| {
                Ok(reader.fast_fields().str(field)?.map(|column| {
                    let slots = vec![0; column.num_terms()];
                    (column, slots)
                }))
            })
            .collect::<tantivy::Result<_>>()?;
        Ok(SegmentTermCounts { columns })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, segments: Vec<Counts>) -> tantivy::Result<Counts> {
        let mut merged: Counts = vec![BTreeMap::new(); self.fields.len()];
        for segment in segments {
            for (into, from) in merged.iter_mut().zip(segment) {
                for (value, n) in from {
                    *into.entry(value).or_default() += n;
                }
            }
        }
        Ok(merged)
    }
}

impl SegmentCollector for SegmentTermCounts {
    type Fruit = Counts;

    fn collect(&mut self, doc: DocId, _: Score) {
        for (column, slots) in self.columns.iter_mut().flatten() {
            for ord in column.term_ords(doc) {
                slots[ord as usize] += 1;
            }
        }
    }

    fn harvest(self) -> Counts {
        self.columns
            .into_iter()
            .map(|entry| {
                let mut counts = BTreeMap::new();
                if let Some((column, slots)) = entry {
                    for (ord, n) in slots.into_iter().enumerate().filter(|(_, n)| *n > 0) {
                        let mut value = String::new();
                        // An ordinal from the column itself always has a term.
                        if column.ord_to_str(ord as u64, &mut value).unwrap_or(false) {
                            counts.insert(value, n);
                        }
                    }
                }
                counts
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use tantivy::collector::Count;
    use tantivy::query::{AllQuery, TermQuery};
    use tantivy::schema::{FAST, IndexRecordOption, STRING, Schema};
    use tantivy::{Index, Term, doc};

    use super::*;

    #[test]
    fn counts_each_value_of_each_field_over_the_matches_only() {
        let mut schema = Schema::builder();
        let colour = schema.add_text_field("colour", STRING | FAST);
        let size = schema.add_text_field("size", STRING | FAST);
        let index = Index::create_in_ram(schema.build());
        let mut writer: tantivy::IndexWriter =
            index.writer_with_num_threads(1, 15_000_000).unwrap();
        for (c, s) in [("red", "s"), ("red", "m"), ("blue", "m"), ("green", "l")] {
            writer.add_document(doc!(colour => c, size => s)).unwrap();
        }
        writer.commit().unwrap();
        // A second segment, so merging counts across segments is checked too.
        writer
            .add_document(doc!(colour => "red", size => "l"))
            .unwrap();
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        assert_eq!(searcher.segment_readers().len(), 2);

        let counts = searcher
            .search(&AllQuery, &TermCounts::new(&["colour", "size"]))
            .unwrap();
        let expected = |pairs: &[(&str, u64)]| {
            pairs
                .iter()
                .map(|(k, n)| ((*k).to_owned(), *n))
                .collect::<BTreeMap<_, _>>()
        };
        assert_eq!(
            counts[0],
            expected(&[("blue", 1), ("green", 1), ("red", 3)])
        );
        assert_eq!(counts[1], expected(&[("l", 2), ("m", 2), ("s", 1)]));

        let only_medium =
            TermQuery::new(Term::from_field_text(size, "m"), IndexRecordOption::Basic);
        let (n, counts) = searcher
            .search(&only_medium, &(Count, TermCounts::new(&["colour"])))
            .unwrap();
        assert_eq!(n, 2);
        assert_eq!(counts[0], expected(&[("blue", 1), ("red", 1)]));
    }
}
