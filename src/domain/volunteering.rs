//! FSJ-Digital volunteering: what a session needing helpers is, how many helpers it needs, and the
//! forms for sessions, hours and session reports. No I/O here.
use chrono::{DateTime, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

use super::{
    DistrictKey, FieldErrors,
    form::{first_value, optional},
    offer::{Topic, date, local_instant, local_instant_field},
};

stored_vocabulary!(
    /// What volunteers do at a session. The German keys after `|` are those stored before the keys
    /// became English; the demo data and older forms still use them.
    ShiftKind, "error-shift-kind-invalid", {
        OfficeHours => "office-hours" | "sprechstunde",
        SmartphoneAfternoon => "smartphone-afternoon" | "smartphone-nachmittag",
        CourseAssistance => "course-assistance" | "kursassistenz",
        EventHelp => "event-help" | "veranstaltungshilfe",
    }
);

stored_vocabulary!(
    /// Whether a session takes place.
    ShiftStatus, "error-status-invalid", {
        Open => "open",
        Cancelled => "cancelled",
    }
);

impl ShiftStatus {
    /// Only an open session is cancelled; `None` once it is.
    pub fn cancel(self) -> Option<Self> {
        (self == Self::Open).then_some(Self::Cancelled)
    }

    pub fn is_open(self) -> bool {
        self == Self::Open
    }

    pub fn is_cancelled(self) -> bool {
        self == Self::Cancelled
    }
}

stored_vocabulary!(
    /// A volunteer's sign-up: withdrawing keeps the row, signing up again makes it active again.
    SignupStatus, "error-status-invalid", {
        Active => "active",
        Withdrawn => "withdrawn",
    }
);

impl SignupStatus {
    /// Only an active sign-up is withdrawn; `None` once it is.
    pub fn withdraw(self) -> Option<Self> {
        (self == Self::Active).then_some(Self::Withdrawn)
    }
}

stored_vocabulary!(
    /// Hours a volunteer logged: waiting for a coordinator's decision, or decided.
    HoursStatus, "error-status-invalid", {
        Submitted => "submitted",
        Approved => "approved",
        Rejected => "rejected",
    }
);

impl HoursStatus {
    /// A coordinator decides only hours that wait for it; `None` once they are decided.
    pub fn decide(self, approve: bool) -> Option<Self> {
        match (self, approve) {
            (Self::Submitted, true) => Some(Self::Approved),
            (Self::Submitted, false) => Some(Self::Rejected),
            _ => None,
        }
    }

    /// The volunteer may correct their hours (submitting them again) until they are approved.
    pub fn correct(self) -> Option<Self> {
        (self != Self::Approved).then_some(Self::Submitted)
    }
}

pub const TITLE_MAX: usize = 120;
pub const TEXT_MAX: usize = 1000;
pub const HELPERS_MAX: i32 = 50;

/// Volunteers a session needs: its fixed minimum, or for helpers of a course date one per
/// `per_helper` participants when that is more (a smartphone clinic: one helper per two people).
pub fn helpers_needed(minimum: i32, per_helper: Option<i32>, participants: i32) -> i32 {
    let proportional = match per_helper {
        Some(n) if n > 0 => (participants.max(0) + n - 1) / n,
        _ => 0,
    };
    minimum.max(proportional)
}

/// A session as coordinators enter it: day and times in Thuringian local time.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct ShiftForm {
    pub organisation: String,
    pub title: String,
    pub kind: String,
    pub day: String,
    pub start: String,
    pub end: String,
    pub venue: String,
    pub place: String,
    pub district: String,
    pub volunteers_needed: String,
    pub participants_per_helper: String,
    pub skills: String,
    /// The course date these helpers are for, when created from a date.
    pub date: String,
    /// The session's stamp when an edit form was filled; empty for a new session.
    pub seen: String,
}

/// Where a session takes place: a registered venue (its district counts), or a described place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShiftPlace {
    Venue {
        id: i32,
        detail: String,
    },
    Elsewhere {
        place: String,
        district: DistrictKey,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShiftInput {
    pub organisation_id: Option<i32>,
    pub title: String,
    pub kind: ShiftKind,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub place: ShiftPlace,
    pub volunteers_needed: i32,
    pub participants_per_helper: Option<i32>,
    pub skills: String,
    pub offer_date_id: Option<i32>,
}

fn id(raw: &str) -> Result<i32, &'static str> {
    raw.trim()
        .parse::<i32>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or("error-choice-invalid")
}

/// Short fields (titles, places) are one line; long ones keep their line breaks.
fn bounded_text(raw: &str, max: usize, too_long: &'static str) -> Result<String, &'static str> {
    let lines = if max <= TITLE_MAX {
        super::text::Lines::Single
    } else {
        super::text::Lines::Multi
    };
    let value = super::text::clean(raw, lines);
    if value.chars().count() > max {
        Err(too_long)
    } else {
        Ok(value)
    }
}

fn clock(raw: &str) -> Result<NaiveTime, &'static str> {
    NaiveTime::parse_from_str(raw.trim(), "%H:%M").map_err(|_| "error-time-invalid")
}

fn number_in(raw: &str, range: std::ops::RangeInclusive<i32>) -> Result<i32, &'static str> {
    match raw.trim().parse::<i32>() {
        Ok(n) if range.contains(&n) => Ok(n),
        Ok(_) => Err("error-number-range"),
        Err(_) => Err("error-number-invalid"),
    }
}

/// Helpers who signed up for a session see the names of the course's participants from a day
/// before it (to print the list), not from the moment they sign up: anyone with a volunteer account
/// may sign up for any open session, and withdraw again.
pub fn helpers_see_participants(starts_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now >= starts_at - chrono::Duration::hours(24)
}

/// Attendance is taken when people arrive: from an hour before the start. A mark days before
/// would count someone as absent who has not had the chance to come.
pub fn attendance_open(starts_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now >= starts_at - chrono::Duration::hours(1)
}

impl ShiftInput {
    pub fn parse(form: &ShiftForm, now: DateTime<Utc>) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let organisation_id = errors
            .check("organisation", optional(&form.organisation, id))
            .flatten();
        let title = errors.check(
            "title",
            match form.title.trim() {
                t if t.chars().count() < 3 => Err("error-title-short"),
                t => bounded_text(t, TITLE_MAX, "error-title-long"),
            },
        );
        let kind = errors.check("kind", ShiftKind::parse(&form.kind));
        let day = errors.check("day", date(form.day.trim()));
        let start = errors.check("start", clock(&form.start));
        let end = errors.check("end", clock(&form.end));
        let venue = errors.check("venue", optional(&form.venue, id)).flatten();
        let place_text = errors.check(
            "place",
            bounded_text(&form.place, TITLE_MAX, "error-place-long"),
        );
        let place = match (venue, place_text) {
            (Some(id), Some(detail)) => Some(ShiftPlace::Venue { id, detail }),
            (None, Some(place)) => {
                if place.is_empty() {
                    errors.add("place", "error-shift-place-missing");
                }
                let district = errors.check(
                    "district",
                    if form.district.trim().is_empty() {
                        Err("error-shift-district-missing")
                    } else {
                        DistrictKey::parse(&form.district)
                    },
                );
                district.map(|district| ShiftPlace::Elsewhere { place, district })
            }
            _ => None,
        };
        let volunteers_needed = errors.check(
            "volunteers_needed",
            number_in(&form.volunteers_needed, 0..=HELPERS_MAX),
        );
        let participants_per_helper = errors
            .check(
                "participants_per_helper",
                optional(&form.participants_per_helper, |raw| number_in(raw, 1..=50)),
            )
            .flatten();
        let skills = errors.check(
            "skills",
            bounded_text(&form.skills, TEXT_MAX, "error-text-long"),
        );
        let offer_date_id = errors.check("date", optional(&form.date, id)).flatten();
        if offer_date_id.is_none() && participants_per_helper.is_some() {
            errors.add("participants_per_helper", "error-shift-ratio-needs-date");
        }
        if volunteers_needed == Some(0) && participants_per_helper.is_none() {
            errors.add("volunteers_needed", "error-shift-needs-helpers");
        }
        let starts_at = local_instant_field(&mut errors, "start", day, start);
        let ends_at = local_instant_field(&mut errors, "end", day, end);
        if starts_at.is_some_and(|s| s <= now) {
            errors.add("day", "error-date-past");
        }
        if let (Some(s), Some(e)) = (starts_at, ends_at)
            && e <= s
        {
            errors.add("end", "error-end-before-start");
        }
        match (
            title,
            kind,
            starts_at,
            ends_at,
            place,
            volunteers_needed,
            skills,
        ) {
            (
                Some(title),
                Some(kind),
                Some(starts_at),
                Some(ends_at),
                Some(place),
                Some(volunteers_needed),
                Some(skills),
            ) if errors.is_empty() => Ok(Self {
                organisation_id,
                title,
                kind,
                starts_at,
                ends_at,
                place,
                volunteers_needed,
                participants_per_helper,
                skills,
                offer_date_id,
            }),
            _ => Err(errors),
        }
    }
}

/// Hours as a volunteer enters them: from and to on the day of the session.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct HoursForm {
    pub from: String,
    pub to: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkedTime {
    pub started_at: DateTime<Utc>,
    pub ended_at: DateTime<Utc>,
}

impl WorkedTime {
    pub fn minutes(self) -> i32 {
        (self.ended_at - self.started_at).num_minutes() as i32
    }

    /// Hours count only within the session and not before they happened.
    pub fn parse(
        form: &HoursForm,
        session_start: DateTime<Utc>,
        session_end: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let day = session_start
            .with_timezone(&chrono_tz::Europe::Berlin)
            .date_naive();
        let from = errors.check("from", clock(&form.from));
        let from = local_instant_field(&mut errors, "from", Some(day), from);
        let to = errors.check("to", clock(&form.to));
        let to = local_instant_field(&mut errors, "to", Some(day), to);
        if let (Some(from), Some(to)) = (from, to) {
            if to <= from {
                errors.add("to", "error-end-before-start");
            } else if from < session_start || to > session_end {
                errors.add("from", "error-hours-outside-session");
            } else if to > now {
                errors.add("to", "error-hours-future");
            }
        }
        match (from, to) {
            (Some(started_at), Some(ended_at)) if errors.is_empty() => Ok(Self {
                started_at,
                ended_at,
            }),
            _ => Err(errors),
        }
    }
}

/// What happened at a session, for the anonymous statistics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionReport {
    /// People reached where nobody registers; `None` where the attendance list counts.
    pub head_count: Option<i32>,
    pub walk_ins: i32,
    pub topics: Vec<Topic>,
    pub questions: String,
}

impl SessionReport {
    /// Parses the posted form as name/value pairs (the topic checkboxes repeat `themen`).
    pub fn parse(fields: &[(String, String)]) -> Result<Self, FieldErrors> {
        let value = |name: &str| first_value(fields, name).unwrap_or_default();
        let mut errors = FieldErrors::default();
        let head_count = errors
            .check(
                "head_count",
                optional(value("head_count"), |raw| number_in(raw, 0..=1000)),
            )
            .flatten();
        let walk_ins = errors
            .check(
                "walk_ins",
                optional(value("walk_ins"), |raw| number_in(raw, 0..=500)),
            )
            .map(|n| n.unwrap_or(0));
        // The people reached include those who came without registering.
        if let (Some(reached), Some(walk_ins)) = (head_count, walk_ins)
            && walk_ins > reached
        {
            errors.add("walk_ins", "error-walk-ins-over-head-count");
        }
        let mut topics = Vec::new();
        for (_, raw) in fields.iter().filter(|(k, _)| k == "themen") {
            match Topic::parse(raw) {
                Ok(topic) if !topics.contains(&topic) => topics.push(topic),
                Ok(_) => {}
                Err(message) => {
                    errors.add("themen", message);
                    break;
                }
            }
        }
        let questions = errors.check(
            "questions",
            bounded_text(value("questions"), TEXT_MAX, "error-text-long"),
        );
        match (walk_ins, questions) {
            (Some(walk_ins), Some(questions)) if errors.is_empty() => Ok(Self {
                head_count,
                walk_ins,
                topics,
                questions,
            }),
            _ => Err(errors),
        }
    }

    pub fn topic_keys(&self) -> String {
        self.topics
            .iter()
            .map(|t| t.key())
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// A month of the hours log, as `2026-11` in forms and links.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Month {
    pub year: i32,
    pub month: u32,
}

impl Month {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let (year, month) = raw.trim().split_once('-').ok_or("error-month-invalid")?;
        match (year.parse::<i32>(), month.parse::<u32>()) {
            (Ok(year), Ok(month)) if (2020..=2100).contains(&year) && (1..=12).contains(&month) => {
                Ok(Self { year, month })
            }
            _ => Err("error-month-invalid"),
        }
    }

    pub fn of(instant: DateTime<Utc>) -> Self {
        use chrono::Datelike;
        let local = instant.with_timezone(&chrono_tz::Europe::Berlin);
        Self {
            year: local.year(),
            month: local.month(),
        }
    }

    pub fn key(self) -> String {
        format!("{:04}-{:02}", self.year, self.month)
    }

    /// The month as an interval of instants, midnight to midnight in Thuringia.
    pub fn bounds(self) -> (DateTime<Utc>, DateTime<Utc>) {
        let first = |year: i32, month: u32| {
            chrono::NaiveDate::from_ymd_opt(year, month, 1)
                .and_then(|d| local_instant(d, NaiveTime::MIN))
                .unwrap_or_default()
        };
        let (next_year, next_month) = if self.month == 12 {
            (self.year + 1, 1)
        } else {
            (self.year, self.month + 1)
        };
        (first(self.year, self.month), first(next_year, next_month))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn kinds_are_stored_in_english_and_read_the_german_keys() {
        assert_eq!(ShiftKind::OfficeHours.key(), "office-hours");
        for (old, kind) in [
            ("sprechstunde", ShiftKind::OfficeHours),
            ("smartphone-nachmittag", ShiftKind::SmartphoneAfternoon),
            ("kursassistenz", ShiftKind::CourseAssistance),
            ("veranstaltungshilfe", ShiftKind::EventHelp),
        ] {
            assert_eq!(ShiftKind::parse(old), Ok(kind));
            assert_eq!(ShiftKind::parse(kind.key()), Ok(kind));
        }
        assert!(ShiftKind::parse("party").is_err());
    }

    #[test]
    fn sessions_are_cancelled_once_and_only_while_open() {
        assert_eq!(ShiftStatus::Open.cancel(), Some(ShiftStatus::Cancelled));
        assert_eq!(ShiftStatus::Cancelled.cancel(), None);
    }

    #[test]
    fn sign_ups_are_withdrawn_once() {
        assert_eq!(
            SignupStatus::Active.withdraw(),
            Some(SignupStatus::Withdrawn)
        );
        assert_eq!(SignupStatus::Withdrawn.withdraw(), None);
    }

    #[test]
    fn hours_are_decided_only_while_submitted_and_corrected_until_approved() {
        use HoursStatus::*;
        assert_eq!(Submitted.decide(true), Some(Approved));
        assert_eq!(Submitted.decide(false), Some(Rejected));
        for decided in [Approved, Rejected] {
            assert_eq!(decided.decide(true), None);
            assert_eq!(decided.decide(false), None);
        }
        assert_eq!(Submitted.correct(), Some(Submitted));
        assert_eq!(Rejected.correct(), Some(Submitted));
        assert_eq!(Approved.correct(), None);
    }

    #[test]
    fn helpers_follow_the_larger_of_minimum_and_ratio() {
        assert_eq!(helpers_needed(1, None, 9), 1);
        assert_eq!(helpers_needed(1, Some(2), 5), 3);
        assert_eq!(helpers_needed(4, Some(2), 5), 4);
        assert_eq!(helpers_needed(0, Some(3), 0), 0);
        assert_eq!(helpers_needed(0, Some(3), 1), 1);
    }

    fn form() -> ShiftForm {
        ShiftForm {
            title: "Digitale Sprechstunde".into(),
            kind: "sprechstunde".into(),
            day: "2026-12-08".into(),
            start: "10:00".into(),
            end: "12:00".into(),
            place: "Seniorenheim Am Park, Aufenthaltsraum".into(),
            district: "16051".into(),
            volunteers_needed: "2".into(),
            ..Default::default()
        }
    }

    #[test]
    fn sessions_parse_and_report_each_field() {
        let now = "2026-11-29T10:00:00Z".parse().unwrap();
        let ok = ShiftInput::parse(&form(), now).unwrap();
        assert_eq!(ok.starts_at.to_rfc3339(), "2026-12-08T09:00:00+00:00");
        assert!(matches!(ok.place, ShiftPlace::Elsewhere { .. }));
        let bad = ShiftInput::parse(
            &ShiftForm {
                kind: "party".into(),
                end: "09:00".into(),
                place: String::new(),
                district: String::new(),
                volunteers_needed: "0".into(),
                participants_per_helper: "2".into(),
                ..form()
            },
            now,
        )
        .unwrap_err();
        assert_eq!(bad.for_field("kind"), Some("error-shift-kind-invalid"));
        assert_eq!(bad.for_field("end"), Some("error-end-before-start"));
        assert_eq!(bad.for_field("place"), Some("error-shift-place-missing"));
        assert_eq!(
            bad.for_field("district"),
            Some("error-shift-district-missing")
        );
        assert_eq!(
            bad.for_field("participants_per_helper"),
            Some("error-shift-ratio-needs-date")
        );
        let at_venue = ShiftInput::parse(
            &ShiftForm {
                venue: "3".into(),
                place: String::new(),
                district: String::new(),
                ..form()
            },
            now,
        )
        .unwrap();
        assert_eq!(
            at_venue.place,
            ShiftPlace::Venue {
                id: 3,
                detail: String::new()
            }
        );
    }

    #[test]
    fn hours_lie_within_the_session_and_in_the_past() {
        let start: DateTime<Utc> = "2026-11-20T09:00:00Z".parse().unwrap();
        let end = start + chrono::Duration::hours(2);
        let now = "2026-11-29T10:00:00Z".parse().unwrap();
        let hours = |from: &str, to: &str| HoursForm {
            from: from.into(),
            to: to.into(),
        };
        let ok = WorkedTime::parse(&hours("10:00", "11:30"), start, end, now).unwrap();
        assert_eq!(ok.minutes(), 90);
        let outside = WorkedTime::parse(&hours("09:00", "11:30"), start, end, now).unwrap_err();
        assert_eq!(
            outside.for_field("from"),
            Some("error-hours-outside-session")
        );
        let reversed = WorkedTime::parse(&hours("11:00", "10:00"), start, end, now).unwrap_err();
        assert_eq!(reversed.for_field("to"), Some("error-end-before-start"));
        let early = WorkedTime::parse(&hours("10:00", "11:00"), start, end, start).unwrap_err();
        assert_eq!(early.for_field("to"), Some("error-hours-future"));
    }

    #[test]
    fn reports_take_counts_and_known_topics() {
        let pairs = |list: &[(&str, &str)]| {
            list.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<Vec<_>>()
        };
        let ok = SessionReport::parse(&pairs(&[
            ("head_count", "12"),
            ("themen", "videotelefonie"),
            ("themen", "sicher-im-netz"),
            ("questions", "Wie erkenne ich falsche SMS?"),
        ]))
        .unwrap();
        assert_eq!(ok.head_count, Some(12));
        assert_eq!(ok.walk_ins, 0);
        assert_eq!(ok.topic_keys(), "videotelefonie,sicher-im-netz");
        let bad = SessionReport::parse(&pairs(&[
            ("head_count", "-1"),
            ("walk_ins", "viele"),
            ("themen", "kochen"),
        ]))
        .unwrap_err();
        assert_eq!(bad.for_field("head_count"), Some("error-number-range"));
        let more_walk_ins_than_people =
            SessionReport::parse(&pairs(&[("head_count", "3"), ("walk_ins", "10")])).unwrap_err();
        assert_eq!(
            more_walk_ins_than_people.for_field("walk_ins"),
            Some("error-walk-ins-over-head-count")
        );
        assert!(SessionReport::parse(&pairs(&[("head_count", "3"), ("walk_ins", "3")])).is_ok());
        assert!(SessionReport::parse(&pairs(&[("walk_ins", "10")])).is_ok());
        assert_eq!(bad.for_field("walk_ins"), Some("error-number-invalid"));
        assert_eq!(bad.for_field("themen"), Some("error-topic-invalid"));
    }

    #[test]
    fn months_have_local_bounds() {
        let m = Month::parse("2026-11").unwrap();
        let (from, to) = m.bounds();
        assert_eq!(from.to_rfc3339(), "2026-10-31T23:00:00+00:00");
        assert_eq!(to.to_rfc3339(), "2026-11-30T23:00:00+00:00");
        assert_eq!(Month::parse("2026-13"), Err("error-month-invalid"));
        assert_eq!(
            Month::parse("2026-12").unwrap().bounds().1.to_rfc3339(),
            "2026-12-31T23:00:00+00:00"
        );
    }

    proptest! {
        #[test]
        fn any_session_form_parses_to_a_sound_session_or_errors(
            title in "\\PC{0,130}", kind in "[a-z-]{0,25}", day in "[0-9.-]{0,12}",
            start in "[0-9:]{0,6}", end in "[0-9:]{0,6}", venue in "[0-9-]{0,4}",
            place in "\\PC{0,20}", district in "[0-9]{0,6}", needed in "-?[0-9]{0,3}",
            ratio in "-?[0-9]{0,3}", date in "[0-9]{0,3}",
        ) {
            let now = "2026-11-29T10:00:00Z".parse().unwrap();
            let form = ShiftForm {
                title, kind, day, start, end, venue, place, district,
                volunteers_needed: needed, participants_per_helper: ratio, date,
                ..Default::default()
            };
            match ShiftInput::parse(&form, now) {
                Ok(input) => {
                    prop_assert!(input.starts_at > now && input.ends_at > input.starts_at);
                    prop_assert!((0..=HELPERS_MAX).contains(&input.volunteers_needed));
                    prop_assert!(input.volunteers_needed > 0 || input.participants_per_helper.is_some());
                }
                Err(errors) => prop_assert!(!errors.is_empty()),
            }
        }

        #[test]
        fn logged_hours_always_lie_within_the_session(from in "[0-9:]{0,6}", to in "[0-9:]{0,6}") {
            let start: DateTime<Utc> = "2026-11-20T09:00:00Z".parse().unwrap();
            let end = start + chrono::Duration::hours(2);
            let now = "2026-11-29T10:00:00Z".parse().unwrap();
            if let Ok(worked) = WorkedTime::parse(&HoursForm { from, to }, start, end, now) {
                prop_assert!(worked.started_at >= start && worked.ended_at <= end);
                prop_assert!(worked.minutes() > 0);
            }
        }

        #[test]
        fn reports_and_months_never_panic(
            fields in proptest::collection::vec(("[a-z_]{1,12}", "\\PC{0,30}"), 0..12),
            month in "\\PC{0,10}",
        ) {
            if let Ok(report) = SessionReport::parse(&fields) {
                prop_assert!((0..=500).contains(&report.walk_ins));
                prop_assert!(report.head_count.is_none_or(|reached| report.walk_ins <= reached));
            }
            if let Ok(m) = Month::parse(&month) {
                prop_assert_eq!(Month::parse(&m.key()).unwrap(), m);
                let (from, to) = m.bounds();
                prop_assert!(from < to);
            }
        }
    }
}
