//! iCalendar (RFC 5545) export of course dates, for "add to my calendar" links and feeds.
//!
//! The structure (VCALENDAR, VTIMEZONE, VEVENT, VALARM and their properties) is built with the
//! `ical` crate's generator types. Two things the crate does not do correctly are done here:
//!
//! * It writes property values verbatim, so TEXT values are escaped by `escape_text` before
//!   they are handed to it (and only there, so nothing is escaped twice).
//! * It folds lines after 75 *characters*, not 75 *octets*, so a line with umlauts can exceed
//!   the limit. Its output is therefore unfolded and folded again by `fold_line`.
use chrono::{DateTime, Duration, MappedLocalTime, TimeZone, Utc};
use chrono_tz::Europe::Berlin;
use ical::generator::{Emitter, IcalCalendarBuilder, IcalEvent, IcalEventBuilder, Property};
use ical::ical_property;
use ical::parser::ical::component::{
    IcalAlarm, IcalTimeZone, IcalTimeZoneTransition, IcalTimeZoneTransitionType,
};

/// All course dates take place in Thuringia, so every local time is Berlin time.
const TZID: &str = "Europe/Berlin";
const PRODID: &str = "-//Teilhabe Thüringen//Teilhabe//DE";
/// RFC 5545 section 3.1: lines SHOULD NOT be longer than 75 octets, excluding the line break.
const MAX_LINE_OCTETS: usize = 75;

/// One course date (or one person's booking of it) as a calendar entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarEvent {
    /// Stable across changes, one per date, e.g. "date-42@teilhabe.example": the public file, the
    /// feeds and a person's booking name the same entry.
    pub uid: String,
    /// iCalendar SEQUENCE: raised on each change by the provider, and when a booking is cancelled.
    pub sequence: i32,
    pub summary: String,
    pub description: String,
    pub location: String,
    pub url: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub cancelled: bool,
    /// Reminder alarm this long before the start (VALARM DISPLAY), e.g. for a person's own booking.
    pub alarm_before: Option<Duration>,
}

/// What a calendar file asks of the calendar that reads it (iTIP, RFC 5546).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// Add or update the entries.
    Publish,
    /// Withdraw the entries with these UIDs (every event is STATUS:CANCELLED).
    Cancel,
}

impl Method {
    /// As in the file and in the `method` parameter of a mail part's content type.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Publish => "PUBLISH",
            Self::Cancel => "CANCEL",
        }
    }
}

/// A complete VCALENDAR (PRODID "-//Teilhabe Thüringen//Teilhabe//DE", VERSION 2.0, CALSCALE GREGORIAN, METHOD PUBLISH,
/// X-WR-CALNAME = name, X-WR-TIMEZONE Europe/Berlin), one VTIMEZONE for Europe/Berlin, and one VEVENT per event.
///
/// `stamp` becomes every event's DTSTAMP: the moment this calendar was generated.
pub fn calendar(name: &str, events: &[CalendarEvent], stamp: DateTime<Utc>) -> String {
    with_method(Method::Publish, name, events, stamp)
}

/// [`calendar`] with the given METHOD; with [`Method::Cancel`] every event is written cancelled.
pub fn with_method(
    method: Method,
    name: &str,
    events: &[CalendarEvent],
    stamp: DateTime<Utc>,
) -> String {
    let mut builder = IcalCalendarBuilder::version("2.0")
        .gregorian()
        .prodid(escape_text(PRODID))
        .set(ical_property!("METHOD", method.as_str()))
        // Non-standard, but Google Calendar and Apple Calendar show X-WR-CALNAME as the feed's
        // name and use X-WR-TIMEZONE as its default zone.
        .set(ical_property!("X-WR-CALNAME", escape_text(name)))
        .set(ical_property!("X-WR-TIMEZONE", TZID))
        .add_tz(berlin_timezone());
    for event in events {
        builder = builder.add_event(vevent(event, method, stamp));
    }
    refold(&builder.build().generate())
}

fn vevent(e: &CalendarEvent, method: Method, stamp: DateTime<Utc>) -> IcalEvent {
    let status = if e.cancelled || method == Method::Cancel {
        "CANCELLED"
    } else {
        "CONFIRMED"
    };
    let mut event = IcalEventBuilder::tzid(TZID)
        .uid(escape_text(&e.uid))
        .changed_utc(utc_date_time(stamp))
        .start(berlin_local(e.starts_at))
        .end(berlin_local(e.ends_at))
        .set(ical_property!("SUMMARY", escape_text(&e.summary)))
        .set(ical_property!("DESCRIPTION", escape_text(&e.description)))
        .set(ical_property!("LOCATION", escape_text(&e.location)))
        // URL has value type URI, which is not TEXT: backslash escapes would corrupt it.
        // Control characters could break the line structure, so they are dropped.
        .set(ical_property!("URL", without_controls(&e.url)))
        .set(ical_property!("SEQUENCE", e.sequence.to_string()))
        .set(ical_property!("STATUS", status))
        .build();
    utc_for_repeated_hour(&mut event, "DTSTART", e.starts_at);
    utc_for_repeated_hour(&mut event, "DTEND", e.ends_at);
    if let Some(before) = e.alarm_before {
        event.alarms.push(IcalAlarm {
            properties: vec![
                ical_property!("ACTION", "DISPLAY"),
                ical_property!("TRIGGER", trigger_before(before)),
                // DESCRIPTION is required for a DISPLAY alarm; it is the text the reminder shows.
                ical_property!("DESCRIPTION", escape_text(&e.summary)),
            ],
        });
    }
    event
}

/// Europe/Berlin as the EU has defined it since 1996 (changes at 01:00 UTC on the last Sundays
/// of March and October). Written out rather than derived from chrono-tz because the rules are
/// fixed and every calendar client understands this classic two-rule form; dates before 1996
/// are not relevant for course dates.
fn berlin_timezone() -> IcalTimeZone {
    let transition = |transition, name: &str, from: &str, to: &str, start: &str, rule: &str| {
        IcalTimeZoneTransition {
            transition,
            properties: vec![
                ical_property!("TZOFFSETFROM", from),
                ical_property!("TZOFFSETTO", to),
                ical_property!("TZNAME", name),
                ical_property!("DTSTART", start),
                ical_property!("RRULE", rule),
            ],
        }
    };
    IcalTimeZone {
        properties: vec![ical_property!("TZID", TZID)],
        transitions: vec![
            transition(
                IcalTimeZoneTransitionType::STANDARD,
                "CET",
                "+0200",
                "+0100",
                "19701025T030000",
                "FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
            ),
            transition(
                IcalTimeZoneTransitionType::DAYLIGHT,
                "CEST",
                "+0100",
                "+0200",
                "19700329T020000",
                "FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
            ),
        ],
    }
}

/// Local wall-clock time in Berlin, for `DTSTART;TZID=Europe/Berlin:`.
fn berlin_local(instant: DateTime<Utc>) -> String {
    instant
        .with_timezone(&Berlin)
        .format("%Y%m%dT%H%M%S")
        .to_string()
}

fn utc_date_time(instant: DateTime<Utc>) -> String {
    instant.format("%Y%m%dT%H%M%SZ").to_string()
}

/// When summer time ends, 02:00-02:59 happens twice, and RFC 5545 (3.3.5) reads such a local
/// time with a TZID as the *first* occurrence. An instant in the second one cannot be written
/// with the TZID, so it is written in UTC instead (`DTSTART:...Z`, equally valid).
fn utc_for_repeated_hour(event: &mut IcalEvent, name: &str, instant: DateTime<Utc>) {
    let local = instant.with_timezone(&Berlin).naive_local();
    if let MappedLocalTime::Ambiguous(first, _) = Berlin.from_local_datetime(&local)
        && first != instant
        && let Some(property) = event.properties.iter_mut().find(|p| p.name == name)
    {
        property.params = None;
        property.value = Some(utc_date_time(instant));
    }
}

/// TRIGGER for an alarm `before` the start, as an RFC 5545 duration ("-PT15M", "-P1D", ...).
/// Precision is whole seconds; a negative `before` puts the alarm after the start.
fn trigger_before(before: Duration) -> String {
    let seconds = before.num_seconds();
    let sign = if seconds >= 0 { "-" } else { "" };
    let seconds = seconds.unsigned_abs();
    if seconds != 0 && seconds.is_multiple_of(86_400) {
        format!("{sign}P{}D", seconds / 86_400)
    } else if seconds.is_multiple_of(60) {
        format!("{sign}PT{}M", seconds / 60)
    } else {
        format!("{sign}PT{seconds}S")
    }
}

/// Escapes a TEXT value (RFC 5545 3.3.11): `\` `;` `,` get a backslash, a line break of any
/// kind becomes `\n`. Other control characters are not allowed in TEXT and are dropped.
/// The `ical` crate writes values verbatim, so this is the only escaping that happens.
fn escape_text(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => escaped.push_str("\\\\"),
            ';' => escaped.push_str("\\;"),
            ',' => escaped.push_str("\\,"),
            '\n' => escaped.push_str("\\n"),
            '\r' => {
                chars.next_if_eq(&'\n');
                escaped.push_str("\\n");
            }
            '\t' => escaped.push('\t'),
            c if c.is_control() => {}
            c => escaped.push(c),
        }
    }
    escaped
}

fn without_controls(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).collect()
}

/// Replaces the `ical` crate's folding (after 75 characters) with folding after 75 octets.
/// Unfolding its output is exact: every CRLF + space in it was inserted by its folding, since
/// the values contain no line breaks (escaped or dropped above).
fn refold(generated: &str) -> String {
    let unfolded = generated.replace("\r\n ", "");
    let mut out = String::with_capacity(unfolded.len() + unfolded.len() / 32);
    for line in unfolded.split_terminator("\r\n") {
        fold_line(line, &mut out);
    }
    out
}

/// Appends one content line, folded (RFC 5545 3.1) so that no physical line exceeds 75 octets,
/// each ending in CRLF and each continuation starting with one space. Breaks only between
/// UTF-8 characters, and where possible not right after a space or tab: some readers (the
/// `ical` crate's parser among them) strip trailing whitespace from each physical line, which
/// would swallow that space.
fn fold_line(line: &str, out: &mut String) {
    let mut rest = line;
    let mut budget = MAX_LINE_OCTETS;
    while rest.len() > budget {
        let mut cut = budget;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        let before_whitespace = rest[..cut].trim_end_matches([' ', '\t']).len();
        if before_whitespace > 0 {
            cut = before_whitespace;
        }
        out.push_str(&rest[..cut]);
        out.push_str("\r\n ");
        rest = &rest[cut..];
        // The leading space of a continuation line counts towards its 75 octets.
        budget = MAX_LINE_OCTETS - 1;
    }
    out.push_str(rest);
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Datelike, NaiveDateTime, Offset, Weekday};
    use ical::IcalParser;
    use ical::parser::ical::component::IcalCalendar;

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
    }

    fn event(uid: &str, starts_at: DateTime<Utc>) -> CalendarEvent {
        CalendarEvent {
            uid: uid.to_owned(),
            sequence: 0,
            summary: "Sicher im Netz".to_owned(),
            description: "Ein Kurs".to_owned(),
            location: "Bibliothek Erfurt".to_owned(),
            url: "https://teilhabe.example/angebote/7".to_owned(),
            starts_at,
            ends_at: starts_at + Duration::hours(2),
            cancelled: false,
            alarm_before: None,
        }
    }

    fn stamp() -> DateTime<Utc> {
        utc(2026, 2, 1, 12, 0)
    }

    fn parse(ics: &str) -> IcalCalendar {
        let mut calendars = IcalParser::new(ics.as_bytes());
        let calendar = calendars.next().expect("one calendar").expect("parses");
        assert!(calendars.next().is_none(), "exactly one VCALENDAR");
        calendar
    }

    fn value<'a>(properties: &'a [Property], name: &str) -> &'a str {
        properties
            .iter()
            .find(|p| p.name == name)
            .and_then(|p| p.value.as_deref())
            .unwrap_or_else(|| panic!("{name} missing"))
    }

    fn find_event<'a>(calendar: &'a IcalCalendar, uid: &str) -> &'a IcalEvent {
        calendar
            .events
            .iter()
            .find(|e| value(&e.properties, "UID") == uid)
            .unwrap_or_else(|| panic!("event {uid} missing"))
    }

    /// Reads DTSTART/DTEND back into an instant the way a client does: TZID local time via
    /// chrono-tz (first occurrence if repeated), or UTC with a trailing Z.
    fn instant(event: &IcalEvent, name: &str) -> DateTime<Utc> {
        let property = event.properties.iter().find(|p| p.name == name).unwrap();
        let value = property.value.as_deref().unwrap();
        match &property.params {
            Some(params) => {
                assert_eq!(params, &vec![("TZID".to_owned(), vec![TZID.to_owned()])]);
                let local = NaiveDateTime::parse_from_str(value, "%Y%m%dT%H%M%S").unwrap();
                Berlin
                    .from_local_datetime(&local)
                    .earliest()
                    .unwrap()
                    .with_timezone(&Utc)
            }
            None => NaiveDateTime::parse_from_str(value, "%Y%m%dT%H%M%SZ")
                .unwrap()
                .and_utc(),
        }
    }

    /// Inverse of RFC 5545 TEXT escaping; the `ical` parser returns values still escaped.
    fn unescape(text: &str) -> String {
        let mut out = String::new();
        let mut chars = text.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                match chars.next() {
                    Some('n' | 'N') => out.push('\n'),
                    Some(c @ ('\\' | ';' | ',')) => out.push(c),
                    other => panic!("invalid escape \\{other:?} in {text:?}"),
                }
            } else {
                assert!(!matches!(c, ';' | ','), "unescaped {c:?} in {text:?}");
                out.push(c);
            }
        }
        out
    }

    #[test]
    fn calendar_header_and_berlin_timezone_are_present() {
        let ics = calendar("Kurse in Jena, Gera; Suhl", &[], stamp());
        assert!(ics.starts_with("BEGIN:VCALENDAR\r\n"));
        assert!(ics.ends_with("END:VCALENDAR\r\n"));
        let cal = parse(&ics);
        assert_eq!(value(&cal.properties, "VERSION"), "2.0");
        assert_eq!(value(&cal.properties, "PRODID"), PRODID);
        assert_eq!(value(&cal.properties, "CALSCALE"), "GREGORIAN");
        assert_eq!(value(&cal.properties, "METHOD"), "PUBLISH");
        assert_eq!(value(&cal.properties, "X-WR-TIMEZONE"), TZID);
        assert_eq!(
            unescape(value(&cal.properties, "X-WR-CALNAME")),
            "Kurse in Jena, Gera; Suhl"
        );

        assert_eq!(cal.timezones.len(), 1);
        let tz = &cal.timezones[0];
        assert_eq!(value(&tz.properties, "TZID"), TZID);
        assert_eq!(tz.transitions.len(), 2);
        let standard = tz
            .transitions
            .iter()
            .find(|t| matches!(t.transition, IcalTimeZoneTransitionType::STANDARD))
            .expect("STANDARD");
        let daylight = tz
            .transitions
            .iter()
            .find(|t| matches!(t.transition, IcalTimeZoneTransitionType::DAYLIGHT))
            .expect("DAYLIGHT");
        for (t, name, from, to, start, rule) in [
            (
                standard,
                "CET",
                "+0200",
                "+0100",
                "19701025T030000",
                "FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
            ),
            (
                daylight,
                "CEST",
                "+0100",
                "+0200",
                "19700329T020000",
                "FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
            ),
        ] {
            assert_eq!(value(&t.properties, "TZNAME"), name);
            assert_eq!(value(&t.properties, "TZOFFSETFROM"), from);
            assert_eq!(value(&t.properties, "TZOFFSETTO"), to);
            assert_eq!(value(&t.properties, "DTSTART"), start);
            assert_eq!(value(&t.properties, "RRULE"), rule);
        }
    }

    /// The written VTIMEZONE must agree with chrono-tz (the tz database): each rule, read back
    /// from the output (BYMONTH, local DTSTART time, TZOFFSETFROM/TO), is applied to the last
    /// Sunday of its month; a minute before, the old offset holds, at that instant the new one.
    #[test]
    fn timezone_rules_match_the_tz_database() {
        fn last_sunday(year: i32, month: u32) -> chrono::NaiveDate {
            let first = chrono::NaiveDate::from_ymd_opt(year, month, 1).unwrap();
            let mut day = first + chrono::Months::new(1) - chrono::Days::new(1);
            while day.weekday() != Weekday::Sun {
                day = day.pred_opt().unwrap();
            }
            day
        }
        fn offset_seconds(text: &str) -> i32 {
            let sign = if text.starts_with('-') { -1 } else { 1 };
            let hours: i32 = text[1..3].parse().unwrap();
            let minutes: i32 = text[3..5].parse().unwrap();
            sign * (hours * 3600 + minutes * 60)
        }
        let offset_at = |instant: DateTime<Utc>| {
            instant
                .with_timezone(&Berlin)
                .offset()
                .fix()
                .local_minus_utc()
        };

        let cal = parse(&calendar("Kurse", &[], stamp()));
        let transitions = &cal.timezones[0].transitions;
        assert_eq!(transitions.len(), 2);
        for t in transitions {
            let rule = value(&t.properties, "RRULE");
            let month: u32 = rule
                .strip_prefix("FREQ=YEARLY;BYMONTH=")
                .and_then(|r| r.strip_suffix(";BYDAY=-1SU"))
                .unwrap_or_else(|| panic!("unexpected RRULE {rule}"))
                .parse()
                .unwrap();
            let start =
                NaiveDateTime::parse_from_str(value(&t.properties, "DTSTART"), "%Y%m%dT%H%M%S")
                    .unwrap();
            assert_eq!(
                start.date(),
                last_sunday(1970, month),
                "DTSTART follows RRULE"
            );
            let from = offset_seconds(value(&t.properties, "TZOFFSETFROM"));
            let to = offset_seconds(value(&t.properties, "TZOFFSETTO"));
            for year in 1996..=2037 {
                // DTSTART's local time is in the offset before the change (TZOFFSETFROM).
                let change = last_sunday(year, month).and_time(start.time()).and_utc()
                    - Duration::seconds(i64::from(from));
                assert_eq!(
                    offset_at(change - Duration::minutes(1)),
                    from,
                    "{rule} {year}"
                );
                assert_eq!(offset_at(change), to, "{rule} {year}");
            }
        }
    }

    /// A calendar of two two-hour events, checked to read back at the instants they were written for.
    fn two_events_read_back(a: (&str, DateTime<Utc>), b: (&str, DateTime<Utc>)) -> String {
        let ics = calendar("Kurse", &[event(a.0, a.1), event(b.0, b.1)], stamp());
        let cal = parse(&ics);
        for (uid, start) in [a, b] {
            let e = find_event(&cal, uid);
            assert_eq!(instant(e, "DTSTART"), start, "{uid}");
            assert_eq!(instant(e, "DTEND"), start + Duration::hours(2), "{uid}");
        }
        ics
    }

    #[test]
    fn local_berlin_time_across_the_march_change() {
        // Saturday 28 March 2026 10:00 CET and Monday 30 March 2026 10:00 CEST.
        let before = utc(2026, 3, 28, 9, 0);
        let after = utc(2026, 3, 30, 8, 0);
        let ics = two_events_read_back(("before@t", before), ("after@t", after));
        assert!(ics.contains("\r\nDTSTART;TZID=Europe/Berlin:20260328T100000\r\n"));
        assert!(ics.contains("\r\nDTEND;TZID=Europe/Berlin:20260328T120000\r\n"));
        assert!(ics.contains("\r\nDTSTART;TZID=Europe/Berlin:20260330T100000\r\n"));
        assert!(ics.contains("\r\nDTEND;TZID=Europe/Berlin:20260330T120000\r\n"));
    }

    #[test]
    fn local_berlin_time_across_the_october_change() {
        // Saturday 24 October 2026 10:00 CEST and Monday 26 October 2026 10:00 CET.
        let before = utc(2026, 10, 24, 8, 0);
        let after = utc(2026, 10, 26, 9, 0);
        let ics = two_events_read_back(("before@t", before), ("after@t", after));
        assert!(ics.contains("\r\nDTSTART;TZID=Europe/Berlin:20261024T100000\r\n"));
        assert!(ics.contains("\r\nDTSTART;TZID=Europe/Berlin:20261026T100000\r\n"));
    }

    #[test]
    fn repeated_hour_in_october_stays_unambiguous() {
        // 25 October 2026: 02:30 local happens at 00:30 UTC (CEST) and again at 01:30 UTC (CET).
        let first = utc(2026, 10, 25, 0, 30);
        let second = utc(2026, 10, 25, 1, 30);
        let ics = two_events_read_back(("first@t", first), ("second@t", second));
        assert!(ics.contains("\r\nDTSTART;TZID=Europe/Berlin:20261025T023000\r\n"));
        assert!(ics.contains("\r\nDTSTART:20261025T013000Z\r\n"));
    }

    #[test]
    fn event_has_uid_stamp_sequence_status_and_links() {
        let mut e = event("date-42@teilhabe.example", utc(2026, 5, 4, 14, 0));
        e.sequence = 3;
        let ics = calendar("Kurse", &[e], utc(2026, 4, 30, 7, 5));
        let cal = parse(&ics);
        assert_eq!(cal.events.len(), 1);
        let ev = &cal.events[0];
        assert_eq!(value(&ev.properties, "UID"), "date-42@teilhabe.example");
        assert_eq!(value(&ev.properties, "SEQUENCE"), "3");
        assert_eq!(value(&ev.properties, "DTSTAMP"), "20260430T070500Z");
        let dtstamp = ev.properties.iter().find(|p| p.name == "DTSTAMP").unwrap();
        assert!(dtstamp.params.is_none(), "DTSTAMP must be plain UTC");
        assert_eq!(value(&ev.properties, "STATUS"), "CONFIRMED");
        assert_eq!(
            value(&ev.properties, "URL"),
            "https://teilhabe.example/angebote/7"
        );
        assert_eq!(value(&ev.properties, "LOCATION"), "Bibliothek Erfurt");
        assert!(ev.alarms.is_empty(), "no alarm unless asked for");
    }

    #[test]
    fn cancelled_event_has_status_cancelled() {
        let mut cancelled = event("gone@t", utc(2026, 6, 1, 8, 0));
        cancelled.cancelled = true;
        cancelled.sequence = 2;
        let ics = calendar(
            "Kurse",
            &[event("kept@t", utc(2026, 6, 2, 8, 0)), cancelled],
            stamp(),
        );
        let cal = parse(&ics);
        let gone = find_event(&cal, "gone@t");
        assert_eq!(value(&gone.properties, "STATUS"), "CANCELLED");
        assert_eq!(value(&gone.properties, "SEQUENCE"), "2");
        let kept = find_event(&cal, "kept@t");
        assert_eq!(value(&kept.properties, "STATUS"), "CONFIRMED");
    }

    #[test]
    fn a_cancellation_withdraws_every_event() {
        let mut e = event("date-9@t", utc(2026, 6, 1, 8, 0));
        e.sequence = 4;
        let cal = parse(&with_method(Method::Cancel, "Kurse", &[e], stamp()));
        assert_eq!(value(&cal.properties, "METHOD"), "CANCEL");
        let ev = find_event(&cal, "date-9@t");
        assert_eq!(value(&ev.properties, "STATUS"), "CANCELLED");
        assert_eq!(value(&ev.properties, "SEQUENCE"), "4");
    }

    #[test]
    fn alarm_is_a_display_reminder_before_the_start() {
        let mut e = event("booking-7@t", utc(2026, 6, 1, 8, 0));
        e.summary = "Tablet-Kurs, Teil 1".to_owned();
        e.alarm_before = Some(Duration::minutes(90));
        let cal = parse(&calendar("Meine Buchungen", &[e], stamp()));
        let ev = &cal.events[0];
        assert_eq!(ev.alarms.len(), 1);
        let alarm = &ev.alarms[0].properties;
        assert_eq!(value(alarm, "ACTION"), "DISPLAY");
        assert_eq!(value(alarm, "TRIGGER"), "-PT90M");
        assert_eq!(unescape(value(alarm, "DESCRIPTION")), "Tablet-Kurs, Teil 1");
    }

    #[test]
    fn trigger_durations_are_valid_rfc5545() {
        assert_eq!(trigger_before(Duration::minutes(15)), "-PT15M");
        assert_eq!(trigger_before(Duration::days(2)), "-P2D");
        assert_eq!(trigger_before(Duration::hours(25)), "-PT1500M");
        assert_eq!(trigger_before(Duration::seconds(90)), "-PT90S");
        assert_eq!(trigger_before(Duration::zero()), "-PT0M");
        assert_eq!(trigger_before(Duration::minutes(-10)), "PT10M");
    }

    #[test]
    fn text_with_umlauts_and_special_characters_round_trips() {
        let summary = "Smartphone-Grundlagen für Ältere; Teil 1, mit Übungen \\ Pause";
        let description = "Bitte mitbringen:\n- eigenes Gerät, geladen\r\n- Zugangsdaten; falls \
                           vorhanden\n\nÖffentliche Verkehrsmittel: Straßenbahn 4, Haltestelle \
                           „Anger“ – danach 5 Minuten Fußweg.";
        let location = "Volkshochschule Weimar, Raum 2.13; Graben 6";
        let mut e = event("text@t", utc(2026, 9, 10, 15, 0));
        e.summary = summary.to_owned();
        e.description = description.to_owned();
        e.location = location.to_owned();
        let ics = calendar("Kurse", &[e], stamp());
        assert!(ics.contains("Ältere\\; Teil 1\\, mit Übungen \\\\ Pause"));
        let cal = parse(&ics);
        let ev = find_event(&cal, "text@t");
        assert_eq!(unescape(value(&ev.properties, "SUMMARY")), summary);
        assert_eq!(
            unescape(value(&ev.properties, "DESCRIPTION")),
            description.replace("\r\n", "\n")
        );
        assert_eq!(unescape(value(&ev.properties, "LOCATION")), location);
    }

    #[test]
    fn escaping_handles_every_special_character_once() {
        assert_eq!(escape_text(r"a\b;c,d"), r"a\\b\;c\,d");
        assert_eq!(
            escape_text("eins\nzwei\r\ndrei\rvier"),
            r"eins\nzwei\ndrei\nvier"
        );
        assert_eq!(escape_text("Tab\there\u{7}"), "Tab\there");
        assert_eq!(escape_text("Grüße: \"OK\""), "Grüße: \"OK\"");
    }

    #[test]
    fn every_physical_line_has_at_most_75_octets_and_ends_with_crlf() {
        let mut e = event("long@t", utc(2026, 11, 3, 13, 0));
        // Many two- and three-byte characters, so folding after 75 characters would produce
        // lines of up to 150+ octets.
        e.summary = "Überblick über Öffentliche Dienste für Ältere: ".repeat(3) + &"ä".repeat(80);
        e.description = "Hinweis – „Datenschutz“ – "
            .repeat(12)
            .trim_end()
            .to_owned();
        e.location = "Straße".repeat(30);
        e.alarm_before = Some(Duration::days(1));
        let ics = calendar(&"Kursübersicht Thüringen ".repeat(6), &[e.clone()], stamp());

        assert!(ics.ends_with("\r\n"));
        let body = ics.strip_suffix("\r\n").unwrap();
        let mut continuation_lines = 0;
        for line in body.split("\r\n") {
            assert!(
                line.len() <= MAX_LINE_OCTETS,
                "{} octets: {line:?}",
                line.len()
            );
            assert!(!line.contains(['\r', '\n']), "bare CR or LF in {line:?}");
            assert!(!line.is_empty());
            if line.starts_with(' ') {
                continuation_lines += 1;
            }
        }
        assert!(
            continuation_lines > 10,
            "the test text must actually be folded"
        );

        let cal = parse(&ics);
        let ev = find_event(&cal, "long@t");
        assert_eq!(unescape(value(&ev.properties, "SUMMARY")), e.summary);
        assert_eq!(
            unescape(value(&ev.properties, "DESCRIPTION")),
            e.description
        );
        assert_eq!(unescape(value(&ev.properties, "LOCATION")), e.location);
        assert_eq!(value(&ev.alarms[0].properties, "TRIGGER"), "-P1D");
    }

    #[test]
    fn folding_counts_octets_and_keeps_characters_whole() {
        let mut out = String::new();
        let line = format!("SUMMARY:{}", "ü".repeat(100));
        fold_line(&line, &mut out);
        let physical: Vec<&str> = out.strip_suffix("\r\n").unwrap().split("\r\n").collect();
        // 8 + 200 octets: 8 + 66 (33 ü; a 34th would need octets 75 and 76), then 1 + 74 (37 ü).
        assert_eq!(physical[0], format!("SUMMARY:{}", "ü".repeat(33)));
        assert_eq!(physical[1], format!(" {}", "ü".repeat(37)));
        assert_eq!(physical[2], format!(" {}", "ü".repeat(30)));
        assert_eq!(physical.len(), 3);
        assert!(physical.iter().all(|l| l.len() <= MAX_LINE_OCTETS));
        assert_eq!(out.replace("\r\n ", ""), format!("{line}\r\n"));

        let mut short = String::new();
        fold_line(&"x".repeat(75), &mut short);
        assert_eq!(short, format!("{}\r\n", "x".repeat(75)));
    }

    #[test]
    fn folding_does_not_leave_a_space_at_the_end_of_a_line() {
        // Octet 75 is a space: a naive fold would end the first line with it.
        let summary = format!("{} Ende des Titels", "a".repeat(66));
        let line = format!("SUMMARY:{summary}");
        assert_eq!(&line[74..75], " ");
        let mut out = String::new();
        fold_line(&line, &mut out);
        assert!(out.split("\r\n").all(|l| !l.ends_with(' ')), "{out:?}");
        assert_eq!(out.replace("\r\n ", ""), format!("{line}\r\n"));

        let mut e = event("space@t", utc(2026, 7, 1, 8, 0));
        e.summary = summary.clone();
        let cal = parse(&calendar("Kurse", &[e], stamp()));
        assert_eq!(value(&cal.events[0].properties, "SUMMARY"), summary);
    }
}
