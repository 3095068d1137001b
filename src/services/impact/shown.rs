//! What a row of the dashboard may show: the export's small-number rule within each row, and the
//! same rule across the rows that add up to the total, so that no hidden figure can be worked out.
use std::sync::LazyLock;

use serde::Serialize;

use super::Figures;
use crate::export::{
    datasets::MIN_GROUP,
    suppression::{Rules, Sum, Suppressor},
    writers::{Cell, Column, ColumnType, col},
};

/// The counts of people or forms a row shows, and how the export's small-number rule applies to
/// them: 1 to 4 hidden, and the participants with their present and absent parts as one sum. The
/// last three columns are not counts of people: the approved minutes of volunteers (hidden with 1
/// to 4 helpers) and the forms behind the two averages (hidden with 1 to 4 forms). They stand here
/// so that the rule across rows ([`hide_across`]) treats them like the counts.
const SHOWN_COLUMNS: &[Column] = &[
    col("participants", ColumnType::Integer),
    col("present", ColumnType::Integer),
    col("absent", ColumnType::Integer),
    col("feedback_forms", ColumnType::Integer),
    col("kiosk_actions", ColumnType::Integer),
    col("volunteer_people", ColumnType::Integer),
    col("volunteer_minutes", ColumnType::Integer),
    col("rated_forms", ColumnType::Integer),
    col("confidence_forms", ColumnType::Integer),
];

const SHOWN_SUPPRESSION: Rules = Rules {
    counts: &[
        "participants",
        "present",
        "absent",
        "feedback_forms",
        "kiosk_actions",
        "volunteer_people",
    ],
    sums: &[Sum {
        total: "participants",
        parts: &["present", "absent"],
    }],
    together: &[],
};

static SUPPRESSOR: LazyLock<Suppressor> =
    LazyLock::new(|| SHOWN_SUPPRESSION.resolve(SHOWN_COLUMNS));

/// Positions in [`SHOWN_COLUMNS`].
const PARTICIPANTS: usize = 0;
const PRESENT: usize = 1;
const ABSENT: usize = 2;
const FEEDBACK_FORMS: usize = 3;
const KIOSK_ACTIONS: usize = 4;
const VOLUNTEER_PEOPLE: usize = 5;
const VOLUNTEER_MINUTES: usize = 6;
const RATED_FORMS: usize = 7;
const CONFIDENCE_FORMS: usize = 8;

impl Figures {
    /// The row's cells in the order of [`SHOWN_COLUMNS`].
    fn cells(&self) -> Vec<Cell> {
        [
            self.participants,
            self.present,
            self.absent,
            self.feedback_forms,
            self.kiosk_actions,
            self.volunteer_people,
            self.volunteer_minutes,
            self.feedback_forms,
            self.confidence_forms,
        ]
        .map(Cell::Int)
        .to_vec()
    }

    /// What the row alone hides: counts of 1 to 4 and what gives them away within the row, the
    /// hours of 1 to 4 helpers, and averages of 1 to 4 forms.
    fn hidden(&self) -> Vec<bool> {
        let cells = self.cells();
        let mut hidden = vec![false; cells.len()];
        let helpers = self.volunteer_helpers();
        // Minutes without a helper's account are of deleted accounts: at least one helper.
        hidden[VOLUNTEER_MINUTES] = (1..MIN_GROUP).contains(&helpers);
        hidden[RATED_FORMS] = self.feedback_forms > 0 && self.rating_average().is_none();
        hidden[CONFIDENCE_FORMS] = self.confidence_forms > 0 && self.confidence_change().is_none();
        SUPPRESSOR.extend(&cells, &mut hidden);
        hidden
    }
}

/// The columns [`hide_across`] keeps from being worked out across rows: all of them.
const ACROSS: std::ops::Range<usize> = 0..SHOWN_COLUMNS.len();

/// Rows that add up to the total (the months; the districts), with the cells hidden in each.
#[derive(Debug, Clone, PartialEq)]
struct Partition {
    cells: Vec<Vec<Cell>>,
    hidden: Vec<Vec<bool>>,
}

impl Partition {
    fn of(rows: &[Figures]) -> Self {
        Self {
            cells: rows.iter().map(Figures::cells).collect(),
            hidden: rows.iter().map(Figures::hidden).collect(),
        }
    }

    fn value(&self, r: usize, c: usize) -> i64 {
        match self.cells[r][c] {
            Cell::Int(v) => v,
            _ => 0,
        }
    }

    /// The row with the smallest value above 0 in column `c` that still shows it.
    fn smallest_shown(&self, c: usize) -> Option<usize> {
        (0..self.cells.len())
            .filter(|r| !self.hidden[*r][c] && self.value(*r, c) > 0)
            .min_by_key(|r| self.value(*r, c))
    }
}

/// Hides further cells of the rows and of the total until no hidden cell can be worked out from
/// the shown ones, the way the export does within a district and month
/// ([`Suppressor::extend_group`]): in each partition a column with a lone hidden cell (or several
/// that can only all be 1) also hides its smallest shown non-zero cell, or, where there is none,
/// the total's. A hidden total is the sum of a partition that shows every cell of the column, so
/// then one of those goes too. Zeros stay shown: a hidden cell is never 0.
///
/// What this guarantees: for a reader of one page who knows that each partition adds up to the
/// total, every hidden count could still have at least two values, and a hidden average (its
/// forms standing in as the column) is never the only unknown of the total's weighted mean. The
/// months and the districts share only the total; one page does not show the months of each
/// district, so together they give no further equation, and where the total is hidden neither
/// partition shows all of its column. What it does not: bounds (a hidden cell lies between 1 and
/// the total less the shown cells) still narrow the values; and other pages are not taken into
/// account: the dashboard for another period (March to May less March to April is May) or for
/// one district (that district's months), and the export, show other sums of the same dates, and
/// subtracting them can give a hidden cell away.
fn hide_across(total: &[Cell], total_hidden: &mut [bool], partitions: &mut [Partition]) {
    let value = |c: usize| match total[c] {
        Cell::Int(v) => v,
        _ => 0,
    };
    // Each round hides at least one more cell, so this ends.
    loop {
        let mut changed = SUPPRESSOR.extend(total, total_hidden);
        for p in partitions.iter_mut() {
            for (row, hidden) in p.cells.iter().zip(p.hidden.iter_mut()) {
                changed |= SUPPRESSOR.extend(row, hidden);
            }
            for c in ACROSS {
                if total_hidden[c] {
                    if value(c) > 0
                        && p.hidden.iter().all(|h| !h[c])
                        && let Some(r) = p.smallest_shown(c)
                    {
                        p.hidden[r][c] = true;
                        changed = true;
                    }
                } else if SUPPRESSOR.column_exposed(&p.cells, &p.hidden, c) {
                    match p.smallest_shown(c) {
                        Some(r) => p.hidden[r][c] = true,
                        None => total_hidden[c] = true,
                    }
                    changed = true;
                }
            }
        }
        if !changed {
            return;
        }
    }
}

/// Figures of a row left out because they are about fewer than [`MIN_GROUP`] people, forms or
/// helpers, or would give such a figure away; the page says so instead.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Small {
    pub participants: bool,
    pub no_show: bool,
    pub feedback_forms: bool,
    pub rating: bool,
    pub confidence: bool,
    pub kiosk_actions: bool,
    pub volunteer_people: bool,
    pub volunteer_hours: bool,
}

impl Small {
    fn of(hidden: &[bool]) -> Self {
        Self {
            participants: hidden[PARTICIPANTS],
            no_show: hidden[PRESENT] || hidden[ABSENT],
            feedback_forms: hidden[FEEDBACK_FORMS],
            rating: hidden[RATED_FORMS],
            confidence: hidden[CONFIDENCE_FORMS],
            kiosk_actions: hidden[KIOSK_ACTIONS],
            volunteer_people: hidden[VOLUNTEER_PEOPLE],
            volunteer_hours: hidden[VOLUNTEER_MINUTES],
        }
    }
}

/// The figures of a row that may be shown: `None` where [`Small`] hides them.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Shown {
    pub dates_held: i64,
    pub course_dates: i64,
    pub event_dates: i64,
    pub participants: Option<i64>,
    pub feedback_forms: Option<i64>,
    pub kiosk_views: i64,
    pub kiosk_actions: Option<i64>,
    pub volunteer_sessions: i64,
    pub volunteer_people: Option<i64>,
    /// Approved volunteer hours.
    pub volunteer_hours: Option<f64>,
}

/// One line of the dashboard: what it may show, and which figures it leaves out.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// `2026-11` or a district key.
    pub key: String,
    /// The counts before suppression, for the service and its tests; never serialized.
    #[serde(skip)]
    pub figures: Figures,
    pub small: Small,
    pub shown: Shown,
    pub no_show_percent: Option<f64>,
    pub rating_average: Option<f64>,
    pub confidence_change: Option<f64>,
}

impl Row {
    /// A row with the cells `hidden` names left out.
    fn new(key: String, figures: Figures, hidden: &[bool]) -> Self {
        let small = Small::of(hidden);
        let unless = |hide: bool, v: i64| (!hide).then_some(v);
        let f = &figures;
        Self {
            shown: Shown {
                dates_held: f.dates_held,
                course_dates: f.course_dates,
                event_dates: f.event_dates,
                participants: unless(small.participants, f.participants),
                feedback_forms: unless(small.feedback_forms, f.feedback_forms),
                kiosk_views: f.kiosk_views,
                kiosk_actions: unless(small.kiosk_actions, f.kiosk_actions),
                volunteer_sessions: f.volunteer_sessions,
                volunteer_people: unless(small.volunteer_people, f.volunteer_people),
                volunteer_hours: (!small.volunteer_hours).then(|| f.volunteer_hours()),
            },
            no_show_percent: f.no_show_percent().filter(|_| !small.no_show),
            rating_average: f.rating_average().filter(|_| !small.rating),
            confidence_change: f.confidence_change().filter(|_| !small.confidence),
            small,
            key,
            figures,
        }
    }
}

/// The rows of the months and of the districts and the total row, with whatever would give a small
/// figure away left out.
pub(super) fn suppressed_rows(
    months: Vec<(String, Figures)>,
    districts: Vec<(String, Figures)>,
    total: Figures,
) -> (Vec<Row>, Vec<Row>, Row) {
    let total_cells = total.cells();
    let mut total_hidden = total.hidden();
    let mut partitions = [&months, &districts]
        .map(|rows| Partition::of(&rows.iter().map(|(_, f)| f.clone()).collect::<Vec<_>>()));
    hide_across(&total_cells, &mut total_hidden, &mut partitions);
    let [month_cells, district_cells] = partitions;
    let finish = |rows: Vec<(String, Figures)>, p: Partition| -> Vec<Row> {
        rows.into_iter()
            .zip(p.hidden)
            .map(|((key, f), hidden)| Row::new(key, f, &hidden))
            .collect()
    };
    (
        finish(months, month_cells),
        finish(districts, district_cells),
        Row::new("total".into(), total, &total_hidden),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_about_fewer_than_five_are_left_out() {
        let one_form = Figures {
            participants: 12,
            present: 9,
            absent: 3,
            feedback_forms: 1,
            rating_sum: 2,
            confidence_change_sum: 1,
            confidence_pairs: 1,
            confidence_forms: 1,
            kiosk_actions: 40,
            volunteer_people: 0,
            ..Figures::default()
        };
        let row = alone("2026-03", one_form);
        assert_eq!(row.rating_average, None);
        assert_eq!(row.confidence_change, None);
        assert_eq!(row.no_show_percent, None, "three absent");
        assert_eq!(
            row.small,
            Small {
                participants: false,
                no_show: true,
                feedback_forms: true,
                rating: true,
                confidence: true,
                kiosk_actions: false,
                volunteer_people: false,
                volunteer_hours: false,
            }
        );
        assert_eq!(row.shown.feedback_forms, None);
        let nothing = alone("2026-04", Figures::default());
        assert_eq!(nothing.small, Small::default(), "zeros are shown");
    }

    /// A row on its own, with what it hides by itself.
    fn alone(key: &str, figures: Figures) -> Row {
        let hidden = figures.hidden();
        Row::new(key.into(), figures, &hidden)
    }

    fn people(participants: i64, present: i64, absent: i64) -> Figures {
        Figures {
            participants,
            present,
            absent,
            ..Figures::default()
        }
    }

    fn sum(rows: &[Figures]) -> Figures {
        let mut total = Figures::default();
        for f in rows {
            total.add(f);
        }
        total
    }

    fn keyed(rows: &[Figures]) -> Vec<(String, Figures)> {
        rows.iter()
            .enumerate()
            .map(|(i, f)| (i.to_string(), f.clone()))
            .collect()
    }

    #[test]
    fn a_lone_hidden_month_gets_company_from_the_next_smallest() {
        // 20 = 3 + 0 + 10 + 7: with 20, 0, 10 and 7 shown, the hidden one would be 3.
        let months = [
            people(3, 3, 0),
            people(0, 0, 0),
            people(10, 10, 0),
            people(7, 7, 0),
        ];
        let districts = [sum(&months)];
        let (months, districts, total) =
            suppressed_rows(keyed(&months), keyed(&districts), sum(&months));
        let participants: Vec<_> = months.iter().map(|r| r.shown.participants).collect();
        assert_eq!(participants, [None, Some(0), Some(10), None]);
        let no_show: Vec<_> = months.iter().map(|r| r.small.no_show).collect();
        assert_eq!(
            no_show,
            [true, false, false, true],
            "the present ones alike"
        );
        assert_eq!(total.shown.participants, Some(20));
        assert_eq!(
            districts[0].shown.participants,
            Some(20),
            "one district is the total"
        );
    }

    #[test]
    fn a_hidden_total_is_not_the_sum_of_shown_rows() {
        // 8 participants, 1 present, 5 absent: the total hides its one present and, as its
        // company, the 5 absent. The months show 0, 0 and 5 absent: their sum would be the
        // total's again, so the third month's 5 go too; so do the second district's.
        let months = [people(1, 0, 0), people(2, 1, 0), people(5, 0, 5)];
        let districts = [people(1, 1, 0), people(7, 0, 5)];
        let (months, districts, total) =
            suppressed_rows(keyed(&months), keyed(&districts), sum(&months));
        assert_eq!(total.shown.participants, Some(8));
        assert!(total.small.no_show);
        assert!(months[2].small.no_show, "{:?}", months[2]);
        assert!(districts[1].small.no_show, "{:?}", districts[1]);
        // Without a shown row left to hide, the total's value goes.
        let only = Figures {
            kiosk_actions: 9,
            ..Figures::default()
        };
        let mut total_hidden = only.hidden();
        let mut partitions = [Partition::of(std::slice::from_ref(&only))];
        partitions[0].hidden[0][KIOSK_ACTIONS] = true;
        hide_across(&only.cells(), &mut total_hidden, &mut partitions);
        assert!(total_hidden[KIOSK_ACTIONS]);
    }

    fn helped(helpers: std::ops::Range<i32>, minutes: i64) -> Figures {
        Figures {
            volunteer_sessions: 1,
            volunteer_minutes: minutes,
            volunteer_helpers: helpers.collect(),
            ..Figures::default()
        }
    }

    #[test]
    fn hours_of_fewer_than_five_helpers_are_hidden_across_rows() {
        // One helper in five sessions is still one helper.
        let one = sum(&[(); 5].map(|()| helped(1..2, 120)));
        assert_eq!(one.volunteer_helpers(), 1);
        let months = [
            one,
            helped(2..7, 300),
            helped(2..8, 900),
            Figures::default(),
        ];
        let (months, _, total) =
            suppressed_rows(keyed(&months), keyed(&[sum(&months)]), sum(&months));
        let hours: Vec<_> = months.iter().map(|r| r.shown.volunteer_hours).collect();
        assert_eq!(hours, [None, None, Some(15.0), Some(0.0)]);
        assert!(months[0].small.volunteer_hours && months[1].small.volunteer_hours);
        assert_eq!(total.shown.volunteer_hours, Some(30.0));
        // Minutes of deleted accounts are of at least one more helper.
        let four_and_departed = Figures {
            departed_helpers: true,
            ..helped(1..5, 600)
        };
        assert_eq!(four_and_departed.volunteer_helpers(), 5);
        assert_eq!(
            alone("x", four_and_departed).shown.volunteer_hours,
            Some(10.0)
        );
        let departed_only = Figures {
            departed_helpers: true,
            ..helped(0..0, 600)
        };
        assert!(alone("x", departed_only).small.volunteer_hours);
    }

    #[test]
    fn hidden_figures_are_not_serialized() {
        let row = alone("x", people(3, 2, 1));
        let json = serde_json::to_value(&row).unwrap();
        assert!(json.get("figures").is_none(), "{json}");
        assert_eq!(json["shown"]["participants"], serde_json::Value::Null);
        assert!(!json.to_string().contains('3'), "{json}");
    }

    /// A count: often 0, often small, sometimes larger.
    fn count() -> impl proptest::strategy::Strategy<Value = i64> {
        use proptest::prelude::*;
        prop_oneof![Just(0i64), 1i64..5, 5i64..16]
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(200))]

        /// Months by districts, of which the page shows the sums per month, per district and in
        /// all: no column of either partition has a hidden cell that follows from the others.
        #[test]
        fn no_hidden_figure_follows_from_the_rows_and_the_total(
            cells in proptest::collection::vec((count(), count(), count(), count()), 6),
        ) {
            let cell = |(present, absent, unmarked, kiosk): (i64, i64, i64, i64)| Figures {
                participants: present + absent + unmarked,
                present,
                absent,
                kiosk_actions: kiosk,
                ..Figures::default()
            };
            // Three months by two districts.
            let cells: Vec<Figures> = cells.into_iter().map(cell).collect();
            let months: Vec<Figures> = cells.chunks(2).map(sum).collect();
            let districts: Vec<Figures> =
                (0..2).map(|d| sum(&[cells[d].clone(), cells[2 + d].clone(), cells[4 + d].clone()])).collect();
            let total = sum(&cells);
            let mut total_hidden = total.hidden();
            let mut partitions = [Partition::of(&months), Partition::of(&districts)];
            hide_across(&total.cells(), &mut total_hidden, &mut partitions);
            for p in &partitions {
                for c in ACROSS {
                    let hidden = p.hidden.iter().filter(|h| h[c]).count();
                    if total_hidden[c] {
                        let sum: i64 = (0..p.cells.len()).map(|r| p.value(r, c)).sum();
                        proptest::prop_assert!(sum == 0 || hidden > 0, "column {c}: {p:?}");
                    } else {
                        proptest::prop_assert!(
                            !SUPPRESSOR.column_exposed(&p.cells, &p.hidden, c),
                            "column {c}: {p:?}"
                        );
                    }
                    for r in 0..p.cells.len() {
                        if (1..MIN_GROUP).contains(&p.value(r, c)) && c < VOLUNTEER_MINUTES {
                            proptest::prop_assert!(p.hidden[r][c]);
                        }
                    }
                }
            }
        }
    }
}
