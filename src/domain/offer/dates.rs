//! A date of an offer as staff enter it (day and times in Thuringian local time, capacity and
//! booking rules), and the reading of days and local times that the catalogue's filters share.
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::domain::FieldErrors;

/// A day as a date field sends it (2026-12-24) or as people type it (24.12.2026, or 24.12.26 for
/// 2026). chrono alone reads "24.12.26" as the year 26 and "26-12-24" as the year 26 too: the year
/// must have four digits, or two after a day and month.
pub(crate) fn date(raw: &str) -> Result<NaiveDate, &'static str> {
    let raw = raw.trim();
    let digits = |part: &str, lengths: std::ops::RangeInclusive<usize>| {
        lengths.contains(&part.len()) && part.bytes().all(|b| b.is_ascii_digit())
    };
    let iso: Vec<&str> = raw.split('-').collect();
    let german: Vec<&str> = raw.split('.').collect();
    match (iso.as_slice(), german.as_slice()) {
        ([year, month, day], _)
            if digits(year, 4..=4) && digits(month, 1..=2) && digits(day, 1..=2) =>
        {
            NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| "error-date-invalid")
        }
        (_, [day, month, year]) if digits(day, 1..=2) && digits(month, 1..=2) => {
            let parse = |year: &str| {
                NaiveDate::parse_from_str(&format!("{day}.{month}.{year}"), "%d.%m.%Y")
                    .map_err(|_| "error-date-invalid")
            };
            match year.len() {
                4 if digits(year, 4..=4) => parse(year),
                // Two digits after day and month mean this century.
                2 if digits(year, 2..=2) => parse(&format!("20{year}")),
                _ => Err("error-date-invalid"),
            }
        }
        _ => Err("error-date-invalid"),
    }
}

/// A date as staff enter it: day and times in Thuringian local time, capacity and booking rules.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct DateForm {
    pub day: String,
    pub start: String,
    pub end: String,
    pub capacity: String,
    pub max_places: String,
    pub min_participants: String,
    pub walk_in_places: String,
    /// The date's stamp when its edit form was filled; empty for a new date or session.
    pub seen: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateInput {
    pub starts_at: chrono::DateTime<chrono::Utc>,
    pub ends_at: chrono::DateTime<chrono::Utc>,
    pub capacity: Capacity,
    pub max_places: i32,
    pub min_participants: i32,
    pub walk_in_places: i32,
}

/// Places of a date: 1 to 500.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capacity(i32);

impl Capacity {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        match raw.trim().parse::<i32>() {
            Ok(n) if (1..=500).contains(&n) => Ok(Self(n)),
            Ok(_) => Err("error-capacity-range"),
            Err(_) => Err("error-number-invalid"),
        }
    }
    pub fn get(self) -> i32 {
        self.0
    }
}

fn count(raw: &str, default: i32) -> Result<i32, &'static str> {
    match raw.trim() {
        "" => Ok(default),
        s => s
            .parse::<i32>()
            .ok()
            .filter(|n| (0..=500).contains(n))
            .ok_or("error-number-invalid"),
    }
}

pub(crate) fn local_instant(
    day: NaiveDate,
    time: chrono::NaiveTime,
) -> Option<chrono::DateTime<chrono::Utc>> {
    use chrono::TimeZone;
    chrono_tz::Europe::Berlin
        .from_local_datetime(&day.and_time(time))
        .earliest()
        .map(|t| t.with_timezone(&chrono::Utc))
}

/// The instant of a day and time typed for `field`; a time the clocks skip (02:30 on the last Sunday
/// of March) is an error on that field rather than a form that comes back without a word.
pub(crate) fn local_instant_field(
    errors: &mut FieldErrors,
    field: &'static str,
    day: Option<NaiveDate>,
    time: Option<chrono::NaiveTime>,
) -> Option<chrono::DateTime<chrono::Utc>> {
    let (day, time) = day.zip(time)?;
    let instant = local_instant(day, time);
    if instant.is_none() {
        errors.add(field, "error-time-not-on-clock");
    }
    instant
}

impl DateInput {
    pub fn parse(form: &DateForm, now: chrono::DateTime<chrono::Utc>) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let day = errors.check("day", date(form.day.trim()));
        let time = |raw: &str| {
            chrono::NaiveTime::parse_from_str(raw.trim(), "%H:%M").map_err(|_| "error-time-invalid")
        };
        let start = errors.check("start", time(&form.start));
        let end = errors.check("end", time(&form.end));
        let capacity = errors.check("capacity", Capacity::parse(&form.capacity));
        let max_places = errors.check("max_places", count(&form.max_places, 4));
        let min_participants = errors.check("min_participants", count(&form.min_participants, 0));
        let walk_in_places = errors.check("walk_in_places", count(&form.walk_in_places, 0));
        let starts_at = local_instant_field(&mut errors, "start", day, start);
        let ends_at = local_instant_field(&mut errors, "end", day, end);
        if let Some(s) = starts_at
            && s <= now
        {
            errors.add("day", "error-date-past");
        }
        if let (Some(s), Some(e)) = (starts_at, ends_at)
            && e <= s
        {
            errors.add("end", "error-end-before-start");
        }
        // No booking form offers more places than one booking may take.
        if let (Some(c), Some(m)) = (capacity, max_places)
            && (m < 1 || m > c.get() || m > crate::domain::booking::MAX_PLACES as i32)
        {
            errors.add("max_places", "error-max-places-range");
        }
        if let (Some(c), Some(w)) = (capacity, walk_in_places)
            && w >= c.get()
        {
            errors.add("walk_in_places", "error-walk-in-range");
        }
        if let (Some(c), Some(m)) = (capacity, min_participants)
            && m > c.get()
        {
            errors.add("min_participants", "error-min-participants-range");
        }
        match (
            starts_at,
            ends_at,
            capacity,
            max_places,
            min_participants,
            walk_in_places,
        ) {
            (
                Some(starts_at),
                Some(ends_at),
                Some(capacity),
                Some(max_places),
                Some(min_participants),
                Some(walk_in_places),
            ) if errors.is_empty() => Ok(Self {
                starts_at,
                ends_at,
                capacity,
                max_places,
                min_participants,
                walk_in_places,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_local_times_and_checked_against_each_other() {
        let now = "2026-11-29T10:00:00Z".parse().unwrap();
        let form = DateForm {
            day: "2026-12-08".into(),
            start: "10:00".into(),
            end: "11:30".into(),
            capacity: "8".into(),
            max_places: "2".into(),
            min_participants: "4".into(),
            walk_in_places: "2".into(),
            seen: String::new(),
        };
        let ok = DateInput::parse(&form, now).unwrap();
        assert_eq!(ok.starts_at.to_rfc3339(), "2026-12-08T09:00:00+00:00");
        let bad = DateInput::parse(
            &DateForm {
                day: "2026-11-01".into(),
                end: "09:00".into(),
                capacity: "0".into(),
                ..form.clone()
            },
            now,
        )
        .unwrap_err();
        assert_eq!(bad.for_field("day"), Some("error-date-past"));
        assert_eq!(bad.for_field("end"), Some("error-end-before-start"));
        assert_eq!(bad.for_field("capacity"), Some("error-capacity-range"));
        let too_many = DateInput::parse(
            &DateForm {
                max_places: "9".into(),
                walk_in_places: "8".into(),
                ..form.clone()
            },
            now,
        )
        .unwrap_err();
        assert_eq!(
            too_many.for_field("max_places"),
            Some("error-max-places-range")
        );
        assert_eq!(
            too_many.for_field("walk_in_places"),
            Some("error-walk-in-range")
        );
        let more_than_a_booking_takes = DateInput::parse(
            &DateForm {
                capacity: "50".into(),
                max_places: "11".into(),
                ..form.clone()
            },
            now,
        )
        .unwrap_err();
        assert_eq!(
            more_than_a_booking_takes.for_field("max_places"),
            Some("error-max-places-range")
        );
        // 02:30 on 28 March 2027 does not exist in Berlin: the clocks go from 02:00 to 03:00.
        let skipped = DateInput::parse(
            &DateForm {
                day: "28.03.2027".into(),
                start: "02:30".into(),
                end: "02:45".into(),
                ..form
            },
            now,
        )
        .unwrap_err();
        assert_eq!(skipped.for_field("start"), Some("error-time-not-on-clock"));
        assert_eq!(skipped.for_field("end"), Some("error-time-not-on-clock"));
    }

    #[test]
    fn days_need_a_whole_year_or_two_digits_for_this_century() {
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(date("24.12.2026"), Ok(day(2026, 12, 24)));
        assert_eq!(date(" 2026-12-24 "), Ok(day(2026, 12, 24)));
        assert_eq!(date("1.3.2027"), Ok(day(2027, 3, 1)));
        assert_eq!(date("24.12.26"), Ok(day(2026, 12, 24)));
        assert_eq!(date("29.02.28"), Ok(day(2028, 2, 29)));
        for wrong in [
            "26-12-24",
            "24.12.026",
            "24.12.2",
            "24.12.20266",
            "29.02.27",
            "24/12/2026",
            "",
        ] {
            assert_eq!(date(wrong), Err("error-date-invalid"), "{wrong}");
        }
    }
}
