//! Small counts are hidden, and so is whatever would let them be worked out again.
//!
//! Primary suppression hides every count of people or forms from 1 to 4. That alone is not enough:
//! with `bookings_total 43`, `bookings_online 42` and the other channels 0, a hidden `bookings_api`
//! is 1 by subtraction. Complementary suppression therefore hides further cells of the same sum
//! until every hidden cell could still have at least two values, for a reader who knows the visible
//! cells, that the parts add up to the total, and that a hidden cell is never 0 (zeros are shown).
//! Cells that give each other away within narrow bounds (bookings and booked places) are hidden
//! together.
use super::{
    datasets::MIN_GROUP,
    writers::{Cell, Column},
};

/// `total` is the sum of `parts`. Some sums have a part that is not published (people whose
/// attendance nobody marked); they are treated as exact all the same, since a reader would assume
/// that part is 0.
#[derive(Debug)]
pub struct Sum {
    pub total: &'static str,
    pub parts: &'static [&'static str],
}

/// The suppression of one file, by column name.
#[derive(Debug)]
pub struct Rules {
    /// Counts of people or forms: hidden from 1 to 4.
    pub counts: &'static [&'static str],
    pub sums: &'static [Sum],
    /// Hidden all together as soon as one of them is.
    pub together: &'static [&'static [&'static str]],
}

struct ResolvedSum {
    total: usize,
    parts: Vec<usize>,
}

/// [`Rules`] with column names turned into positions in the row.
pub struct Suppressor {
    counts: Vec<usize>,
    sums: Vec<ResolvedSum>,
    together: Vec<Vec<usize>>,
}

impl Rules {
    /// Panics on a name that is not a column: the rules and the columns are written together.
    pub fn resolve(&self, columns: &[Column]) -> Suppressor {
        let at = |name: &str| {
            columns
                .iter()
                .position(|c| c.name == name)
                .unwrap_or_else(|| panic!("suppression rule names unknown column {name}"))
        };
        Suppressor {
            counts: self.counts.iter().map(|n| at(n)).collect(),
            sums: self
                .sums
                .iter()
                .map(|s| ResolvedSum {
                    total: at(s.total),
                    parts: s.parts.iter().map(|n| at(n)).collect(),
                })
                .collect(),
            together: self
                .together
                .iter()
                .map(|g| g.iter().map(|n| at(n)).collect())
                .collect(),
        }
    }
}

/// The mean of answers adding up to `sum` over `n` answers from `forms` forms; `None` with fewer
/// than [`MIN_GROUP`] forms (one form is one person's answer) or no answer at all.
pub fn mean_of_enough(sum: i64, n: i64, forms: i64) -> Option<f64> {
    (forms >= MIN_GROUP && n > 0).then(|| sum as f64 / n as f64)
}

fn value(row: &[Cell], i: usize) -> i64 {
    match row[i] {
        Cell::Int(v) => v,
        _ => 0,
    }
}

impl ResolvedSum {
    /// A cell to hide so that no hidden cell of this sum can be worked out, if one is needed.
    fn next_to_hide(&self, row: &[Cell], hidden: &[bool]) -> Option<usize> {
        let hidden_parts = self.parts.iter().filter(|p| hidden[**p]).count() as i64;
        let visible_sum: i64 = self
            .parts
            .iter()
            .filter(|p| !hidden[**p])
            .map(|p| value(row, *p))
            .sum();
        let exposed = if hidden[self.total] {
            // The total is the sum of the visible parts, unless a part is hidden too.
            hidden_parts == 0 && visible_sum > 0
        } else {
            // The hidden parts share what the visible ones leave; each is at least 1. One alone is
            // that remainder; several whose remainder is their number are all 1.
            let rest = value(row, self.total) - visible_sum;
            hidden_parts == 1 || (hidden_parts > 1 && rest == hidden_parts)
        };
        if !exposed {
            return None;
        }
        // The smallest visible part that is not 0 (a hidden 0 would be known as one); failing that,
        // the total.
        self.parts
            .iter()
            .filter(|p| !hidden[**p] && value(row, **p) > 0)
            .min_by_key(|p| value(row, **p))
            .copied()
            .or((!hidden[self.total]).then_some(self.total))
    }
}

impl Suppressor {
    /// Which cells of `row` to hide.
    pub fn hidden(&self, row: &[Cell]) -> Vec<bool> {
        let mut hidden = vec![false; row.len()];
        self.extend(row, &mut hidden);
        hidden
    }

    /// Adds to `hidden` what the rules hide in `row` given the cells hidden already (by the rules of
    /// a group of rows, say); returns whether it hid any more.
    pub fn extend(&self, row: &[Cell], hidden: &mut [bool]) -> bool {
        let mut any = false;
        for &i in &self.counts {
            if (1..MIN_GROUP).contains(&value(row, i)) && !hidden[i] {
                hidden[i] = true;
                any = true;
            }
        }
        // Each round hides at least one more cell, so this ends.
        loop {
            let mut changed = false;
            for group in &self.together {
                if group.iter().any(|i| hidden[*i]) {
                    for &i in group {
                        changed |= !hidden[i];
                        hidden[i] = true;
                    }
                }
            }
            for sum in &self.sums {
                if let Some(i) = sum.next_to_hide(row, hidden) {
                    hidden[i] = true;
                    changed = true;
                }
            }
            if !changed {
                return any;
            }
            any = true;
        }
    }

    /// Hides cells of `rows` (with `hidden` per row) until neither a row's rules nor the sums of
    /// its count columns over all of `rows` give a hidden cell away. Another file shows those sums
    /// (the figures per district and month add up the dates of each), so within a group a column
    /// with hidden cells is treated like the parts of a visible total: one hidden cell alone, or
    /// several that can only all be 1, get the smallest visible non-zero cell of the column as
    /// company.
    pub fn extend_group(&self, rows: &[Vec<Cell>], hidden: &mut [Vec<bool>]) {
        loop {
            let mut changed = false;
            for (row, mask) in rows.iter().zip(hidden.iter_mut()) {
                changed |= self.extend(row, mask);
            }
            for &c in &self.counts {
                if !self.column_exposed(rows, hidden, c) {
                    continue;
                }
                let company = rows
                    .iter()
                    .enumerate()
                    .filter(|(r, row)| !hidden[*r][c] && value(row, c) > 0)
                    .min_by_key(|(_, row)| value(row, c))
                    .map(|(r, _)| r);
                if let Some(r) = company {
                    hidden[r][c] = true;
                    changed = true;
                }
            }
            if !changed {
                return;
            }
        }
    }

    /// Whether the sum of column `c` over `rows`, shown elsewhere, gives a hidden cell of it away:
    /// one hidden cell alone is that sum less the visible ones; several whose share is their number
    /// are all 1. Where [`Self::extend_group`] found no cell left to hide, the sum must not be shown.
    pub fn column_exposed(&self, rows: &[Vec<Cell>], hidden: &[Vec<bool>], c: usize) -> bool {
        let hidden_cells = hidden.iter().filter(|mask| mask[c]).count() as i64;
        let rest: i64 = rows
            .iter()
            .zip(hidden)
            .filter(|(_, mask)| mask[c])
            .map(|(row, _)| value(row, c))
            .sum();
        hidden_cells == 1 || (hidden_cells > 1 && rest == hidden_cells)
    }

    /// The position of a column the rules were resolved with.
    pub fn position(columns: &[Column], name: &str) -> usize {
        columns
            .iter()
            .position(|c| c.name == name)
            .unwrap_or_else(|| panic!("unknown column {name}"))
    }

    /// Empties the cells [`Self::hidden`] names.
    pub fn apply(&self, row: &mut [Cell]) {
        let hidden = self.hidden(row);
        for (cell, hide) in row.iter_mut().zip(hidden) {
            if hide {
                *cell = Cell::Empty;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use proptest::prelude::*;

    use super::*;
    use crate::export::writers::{ColumnType, col};

    const COLUMNS: &[Column] = &[
        col("total", ColumnType::Integer),
        col("a", ColumnType::Integer),
        col("b", ColumnType::Integer),
        col("c", ColumnType::Integer),
        col("d", ColumnType::Integer),
        col("places", ColumnType::Integer),
        col("present", ColumnType::Integer),
        col("absent", ColumnType::Integer),
        col("bookings", ColumnType::Integer),
    ];

    const RULES: Rules = Rules {
        counts: &[
            "total", "a", "b", "c", "d", "places", "present", "absent", "bookings",
        ],
        sums: &[
            Sum {
                total: "total",
                parts: &["a", "b", "c", "d"],
            },
            Sum {
                total: "places",
                parts: &["present", "absent"],
            },
        ],
        together: &[&["bookings", "places"]],
    };

    fn row(values: &[i64]) -> Vec<Cell> {
        values.iter().map(|v| Cell::Int(*v)).collect()
    }

    fn shown(values: &[i64]) -> Vec<Option<i64>> {
        let mut cells = row(values);
        RULES.resolve(COLUMNS).apply(&mut cells);
        cells
            .into_iter()
            .map(|c| match c {
                Cell::Int(v) => Some(v),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn the_reported_case_hides_a_second_channel() {
        // bookings_total 43 = online 42 + staff 0 + kiosk 0 + api 1.
        let out = shown(&[43, 42, 0, 0, 1, 0, 0, 0, 0]);
        assert_eq!(out[..5], [Some(43), None, Some(0), Some(0), None]);
    }

    #[test]
    fn hidden_ones_that_add_up_to_the_rest_get_company() {
        // 12 = 10 + 1 + 1 + 0: the two hidden cells share 2, so both would be 1.
        let out = shown(&[12, 10, 1, 1, 0, 0, 0, 0, 0]);
        assert_eq!(out[..5], [Some(12), None, None, None, Some(0)]);
        // 13 = 10 + 2 + 1: they share 3, which is (1, 2) or (2, 1).
        let out = shown(&[13, 10, 2, 1, 0, 0, 0, 0, 0]);
        assert_eq!(out[..5], [Some(13), Some(10), None, None, Some(0)]);
    }

    #[test]
    fn few_bookings_hide_the_booked_places_and_their_parts_follow() {
        // 3 bookings for 6 places, 5 present, 1 absent: with the places hidden too, the absent
        // could be any number.
        let out = shown(&[0, 0, 0, 0, 0, 6, 5, 1, 3]);
        assert_eq!(out[5..], [None, Some(5), None, None]);
        // 7 bookings for 7 places, 6 present, 1 absent: the present ones go with the absent one.
        let out = shown(&[0, 0, 0, 0, 0, 7, 6, 1, 7]);
        assert_eq!(out[5..], [Some(7), None, None, Some(7)]);
        // 8 bookings for 9 places: nothing small, nothing hidden.
        let out = shown(&[0, 0, 0, 0, 0, 9, 9, 0, 8]);
        assert_eq!(out[5..], [Some(9), Some(9), Some(0), Some(8)]);
    }

    #[test]
    fn a_hidden_cell_of_a_group_gets_company_from_the_next_smallest() {
        // District and month: date A 12 bookings for 12 places, date B 3 for 3, date C none.
        let rows: Vec<Vec<Cell>> = [
            [0, 0, 0, 0, 0, 12, 12, 0, 12],
            [0, 0, 0, 0, 0, 3, 3, 0, 3],
            [0, 0, 0, 0, 0, 0, 0, 0, 0],
        ]
        .iter()
        .map(|r| row(r))
        .collect();
        let suppressor = RULES.resolve(COLUMNS);
        let mut hidden = vec![vec![false; COLUMNS.len()]; rows.len()];
        suppressor.extend_group(&rows, &mut hidden);
        // 15 − 12 would be B's 3: A's places, present and bookings go with B's.
        assert_eq!(hidden[0][5..], [true, true, false, true]);
        assert_eq!(hidden[1][5..], [true, true, false, true]);
        assert_eq!(hidden[2][5..], [false; 4]);
        for c in 5..9 {
            assert!(!suppressor.column_exposed(&rows, &hidden, c), "column {c}");
        }
        // A lone hidden cell with nothing left to hide beside it: the sum must not be shown.
        let alone = vec![row(&[0, 0, 0, 0, 0, 3, 3, 0, 3])];
        let mut hidden = vec![vec![false; COLUMNS.len()]];
        suppressor.extend_group(&alone, &mut hidden);
        assert!(suppressor.column_exposed(&alone, &hidden, 8));
    }

    /// Every value each hidden cell of `sum` could have, given the visible cells, that the parts add
    /// up to the total, and that hidden cells are at least 1. Guesses go up to `bound`; one hidden
    /// cell is not guessed but follows from the others.
    fn possible_values(
        sum: &ResolvedSum,
        published: &[Option<i64>],
        bound: i64,
    ) -> Vec<(usize, BTreeSet<i64>)> {
        let unknown: Vec<usize> = std::iter::once(sum.total)
            .chain(sum.parts.iter().copied())
            .filter(|i| published[*i].is_none())
            .collect();
        let Some((&derived, free)) = unknown.split_last() else {
            return Vec::new();
        };
        let mut seen: Vec<BTreeSet<i64>> = vec![BTreeSet::new(); unknown.len()];
        let mut guess = vec![1i64; free.len()];
        loop {
            let at = |i: usize| {
                free.iter()
                    .position(|u| *u == i)
                    .map_or_else(|| published[i].unwrap_or(0), |k| guess[k])
            };
            let others: i64 = sum
                .parts
                .iter()
                .filter(|p| **p != derived)
                .map(|p| at(*p))
                .sum();
            let follows = if derived == sum.total {
                others
            } else {
                at(sum.total) - others
            };
            if follows >= 1 {
                for (k, g) in guess.iter().enumerate() {
                    seen[k].insert(*g);
                }
                seen[free.len()].insert(follows);
            }
            // The next guess, like an odometer.
            let Some(k) = guess.iter().position(|g| *g < bound) else {
                break;
            };
            guess[k] += 1;
            for g in &mut guess[..k] {
                *g = 1;
            }
        }
        unknown.into_iter().zip(seen).collect()
    }

    /// A count: often 0, often small, sometimes larger.
    fn count() -> impl Strategy<Value = i64> {
        prop_oneof![Just(0i64), 1i64..5, 5i64..16]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn no_hidden_count_can_be_worked_out(
            channels in proptest::array::uniform4(count()),
            present in count(),
            absent in count(),
            unmarked in count(),
            per_booking in 1i64..3,
        ) {
            let places = present + absent + unmarked;
            // Each booking holds one or two places.
            let bookings = if places == 0 { 0 } else { (places / per_booking).max(1) };
            let total: i64 = channels.iter().sum();
            let values = [
                total, channels[0], channels[1], channels[2], channels[3],
                places, present, absent, bookings,
            ];
            let published = shown(&values);
            let suppressor = RULES.resolve(COLUMNS);

            for (i, v) in values.iter().enumerate() {
                if (1..MIN_GROUP).contains(v) {
                    prop_assert!(published[i].is_none(), "{i} = {v} shown: {published:?}");
                }
                if let Some(visible) = published[i] {
                    prop_assert_eq!(visible, *v);
                }
            }
            prop_assert_eq!(published[5].is_none(), published[8].is_none());
            for sum in &suppressor.sums {
                let largest = std::iter::once(sum.total)
                    .chain(sum.parts.iter().copied())
                    .map(|i| values[i])
                    .max()
                    .unwrap();
                for (cell, could_be) in possible_values(sum, &published, largest + MIN_GROUP) {
                    // Attendance nobody marked makes the places more than their parts; then no
                    // value may fit the sum, and nothing can be worked out either.
                    prop_assert!(
                        could_be.len() != 1,
                        "cell {cell} can only be {could_be:?}: {values:?} shown as {published:?}"
                    );
                }
            }
        }
    }
}
