//! Feedback forms, one row each, without free text that could name a person.

use std::collections::HashSet;

use chrono::Datelike;

use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter};

use super::{Batches, FillError, MIN_GROUP, Source, offers::offers_of_dates, tick};
use crate::{
    db::{count_by, entities::feedback},
    export::{
        scrub::scrub_opt,
        writers::{Cell, RowSink},
    },
};

pub(super) async fn feedback_rows(
    source: Source<'_>,
    sink: &mut dyn RowSink,
) -> Result<u64, FillError> {
    let (db, lookups, period, progress) = source.parts();
    let mut batches = Batches::new(
        feedback::Entity::find()
            .filter(feedback::Column::SubmittedOn.gte(period.from()))
            .filter(feedback::Column::SubmittedOn.lte(period.to())),
        feedback::Column::Id,
    );
    let mut rows = 0;
    // Forms not tied to their date, written after the others in groups that look alike.
    let mut unlinked: Vec<Vec<Cell>> = Vec::new();
    while let Some(batch) = batches.next(db).await? {
        let date_ids: HashSet<i32> = batch.iter().map(|f| f.date_id).collect();
        let offers = offers_of_dates(db, date_ids.clone()).await?;
        let forms_of_date = count_by(
            db,
            feedback::Column::DateId,
            Condition::all().add(feedback::Column::DateId.is_in(date_ids.iter().copied())),
        )
        .await?;
        for f in &batch {
            let offer_id = offers.get(&f.date_id).copied();
            // The dates file hides a count of one to four forms; rows naming their date would
            // count them again, and tie the answers to the few people who came.
            let linked = forms_of_date.get(&f.date_id).copied().unwrap_or(0) >= MIN_GROUP;
            let kind = offer_id
                .and_then(|o| lookups.offers.get(&o))
                .map(|o| o.kind.key().to_owned());
            let district = offer_id
                .and_then(|o| lookups.offer_district(o))
                .map(str::to_owned);
            // Without the date, the day of the form and the district would still point to the one
            // date held there that day, and the form's id (and so its place in the file) between
            // forms of known dates to about when it came: such forms get the month only, no id,
            // and a place in the file of their content alone.
            let row = vec![
                if linked { f.id.into() } else { Cell::Empty },
                Some(f.date_id)
                    .filter(|_| linked)
                    .map_or(Cell::Empty, Cell::from),
                offer_id.filter(|_| linked).map_or(Cell::Empty, Cell::from),
                kind.into(),
                district.into(),
                f.channel.as_str().into(),
                Cell::Int(f.rating.into()),
                scrub_opt(f.helped.as_deref()).into(),
                scrub_opt(f.missing.as_deref()).into(),
                f.topics_wanted.clone().into(),
                scrub_opt(f.free_text.as_deref()).into(),
                f.before_information.into(),
                f.before_communication.into(),
                f.before_content.into(),
                f.before_safety.into(),
                f.before_problem_solving.into(),
                f.after_information.into(),
                f.after_communication.into(),
                f.after_content.into(),
                f.after_safety.into(),
                f.after_problem_solving.into(),
                if linked {
                    f.submitted_on
                } else {
                    f.submitted_on.with_day(1).unwrap_or(f.submitted_on)
                }
                .to_string()
                .into(),
            ];
            if linked {
                sink.write_row(&row)?;
                rows += 1;
            } else {
                unlinked.push(row);
            }
        }
        tick(progress, batch.len());
    }
    // At most four forms per date (more are linked): a few per date, not the whole table.
    for row in in_groups_that_hide_their_date(unlinked) {
        sink.write_row(&row)?;
        rows += 1;
    }
    Ok(rows)
}

/// Where a row keeps what could point to its date (see [`super::columns::FEEDBACK_COLUMNS`]).
const KIND: usize = 3;
const DISTRICT: usize = 4;
const CHANNEL: usize = 5;
const SUBMITTED: usize = 21;

/// The forms not tied to their date, each in a group of at least [`MIN_GROUP`] rows that show the
/// same kind, district, channel and month, in an order of their content alone. Without the groups,
/// a district's one course date in a month with two forms would still be named by its two rows
/// (the dates file lists every date). A form in a smaller group loses its district, then its
/// channel (the statistics tell which districts have kiosk terminals), then its kind, then its
/// month, until its group is large enough; forms still in a smaller group then are left out (the
/// statistics count them). Each group then holds forms of at least two dates, since one date with
/// five forms would have named them.
fn in_groups_that_hide_their_date(rows: Vec<Vec<Cell>>) -> Vec<Vec<Cell>> {
    let mut shown = Vec::new();
    let mut pending = rows;
    for blanked in [
        &[][..],
        &[DISTRICT],
        &[DISTRICT, CHANNEL],
        &[DISTRICT, CHANNEL, KIND],
        &[DISTRICT, CHANNEL, KIND, SUBMITTED],
    ] {
        let mut groups: std::collections::BTreeMap<String, Vec<Vec<Cell>>> = Default::default();
        for mut row in pending.drain(..) {
            for &column in blanked {
                row[column] = Cell::Empty;
            }
            let key = format!(
                "{:?}",
                (&row[KIND], &row[DISTRICT], &row[CHANNEL], &row[SUBMITTED])
            );
            groups.entry(key).or_default().push(row);
        }
        for (_, group) in groups {
            if group.len() as i64 >= MIN_GROUP {
                shown.extend(group);
            } else {
                pending.extend(group);
            }
        }
    }
    shown.sort_by_cached_key(|row| format!("{row:?}"));
    shown
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::datasets::columns::FEEDBACK_COLUMNS;

    #[test]
    fn the_columns_blanked_are_kind_district_channel_and_day() {
        let name = |i: usize| FEEDBACK_COLUMNS[i].name;
        assert_eq!(
            (name(KIND), name(DISTRICT), name(CHANNEL), name(SUBMITTED)),
            ("offer_kind", "district_key", "channel", "submitted_on")
        );
        assert_eq!(SUBMITTED, FEEDBACK_COLUMNS.len() - 1);
    }

    fn form(kind: &str, district: &str, month: &str) -> Vec<Cell> {
        form_by(kind, district, "qr", month)
    }

    fn form_by(kind: &str, district: &str, channel: &str, month: &str) -> Vec<Cell> {
        let mut row = vec![Cell::Empty; FEEDBACK_COLUMNS.len()];
        row[KIND] = Cell::Text(kind.into());
        row[DISTRICT] = Cell::Text(district.into());
        row[CHANNEL] = Cell::Text(channel.into());
        row[SUBMITTED] = Cell::Text(month.into());
        row
    }

    fn shown(rows: &[Vec<Cell>], kind: &str, district: &str, month: &str) -> usize {
        let text = |s: &str| {
            if s.is_empty() {
                Cell::Empty
            } else {
                Cell::Text(s.into())
            }
        };
        rows.iter()
            .filter(|r| r[KIND] == text(kind) && r[DISTRICT] == text(district))
            .filter(|r| r[SUBMITTED] == text(month))
            .count()
    }

    #[test]
    fn each_form_stands_in_a_group_of_five_that_look_alike() {
        let mut rows = Vec::new();
        // Erfurt: six course forms in March, from three dates; they keep their district.
        rows.extend((0..6).map(|_| form("kurs", "16051", "2025-03-01")));
        // Jena two, Weimar three: five course forms in March, shown without their district.
        rows.extend((0..2).map(|_| form("kurs", "16053", "2025-03-01")));
        rows.extend((0..3).map(|_| form("kurs", "16055", "2025-03-01")));
        // Two dialogue forms and three course forms in April: five in April, kind and district gone.
        rows.extend((0..2).map(|_| form("dialog", "16051", "2025-04-01")));
        rows.extend((0..3).map(|_| form("kurs", "16053", "2025-04-01")));
        // One in May and four in June: only without their month.
        rows.push(form("kurs", "16051", "2025-05-01"));
        rows.extend((0..4).map(|_| form("dialog", "16053", "2025-06-01")));
        // One more that stays alone would be left out, but here it joins the five without a month.
        rows.push(form("dialog", "16055", "2025-07-01"));
        let out = in_groups_that_hide_their_date(rows);
        assert_eq!(shown(&out, "kurs", "16051", "2025-03-01"), 6);
        assert_eq!(shown(&out, "kurs", "", "2025-03-01"), 5);
        assert_eq!(shown(&out, "", "", "2025-04-01"), 5);
        assert_eq!(shown(&out, "", "", ""), 6);
        assert_eq!(out.len(), 22);
    }

    /// A district with the only kiosk terminals: its kiosk forms, shown without their district,
    /// would still point to it by their channel.
    #[test]
    fn the_channel_does_not_point_to_the_district() {
        let mut rows: Vec<_> = (0..4)
            .map(|_| form_by("kurs", "16051", "qr", "2025-03-01"))
            .collect();
        rows.push(form_by("kurs", "16053", "kiosk", "2025-03-01"));
        let out = in_groups_that_hide_their_date(rows);
        assert_eq!(out.len(), 5);
        assert!(
            out.iter()
                .all(|r| r[CHANNEL] == Cell::Empty && r[DISTRICT] == Cell::Empty)
        );
    }

    #[test]
    fn forms_that_stay_fewer_than_five_are_left_out() {
        let rows: Vec<_> = (0..4)
            .map(|_| form("kurs", "16051", "2025-03-01"))
            .collect();
        assert!(in_groups_that_hide_their_date(rows).is_empty());
    }
}
