//! What offers are about and whom they are for, and the filters of the public catalogue.
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{DistrictKey, FieldErrors, form::optional};

vocabulary!(
    /// The subject of a course or event.
    Topic, "error-topic-invalid", {
        SmartphoneBasics => "smartphone-grundlagen",
        TabletBasics => "tablet-grundlagen",
        VideoCalls => "videotelefonie",
        PayingOnline => "sicher-online-bezahlen",
        SafeOnline => "sicher-im-netz",
        GovernmentOnline => "behoerdengaenge-online",
        AiInEverydayLife => "ki-im-alltag",
        PhotosAndMessaging => "fotos-und-nachrichten",
        Participation => "beteiligung-vor-ort",
    }
);

vocabulary!(
    /// Whom an offer is meant for; everyone is welcome to any offer.
    TargetGroup, "error-target-group-invalid", {
        Everyone => "alle",
        Seniors => "senioren",
        Women => "frauen",
        Youth => "jugendliche",
        PeopleWithDisabilities => "menschen-mit-behinderung",
    }
);

vocabulary!(
    Level, "error-level-invalid", {
        Beginners => "einsteiger",
        Advanced => "fortgeschrittene",
    }
);

stored_vocabulary!(
    /// Courses teach; dialogue events collect what people think. Both share dates and booking.
    /// The German keys after `|` are those stored before the keys became English; addresses keep
    /// their German words (`/kurse`, `/veranstaltungen`).
    OfferKind, "error-kind-invalid", {
        Course => "course" | "kurs",
        Dialogue => "dialogue" | "dialog",
    }
);

impl OfferKind {
    /// Where the public pages of offers of this kind live.
    pub fn path(self) -> &'static str {
        match self {
            Self::Course => "/kurse",
            Self::Dialogue => "/veranstaltungen",
        }
    }

    /// The public page of an offer of this kind.
    pub fn page_of(self, slug: &str) -> String {
        format!("{}/{slug}", self.path())
    }
}

stored_vocabulary!(
    /// Whether an offer is being prepared, shown in the catalogue, or ended for good.
    OfferStatus, "error-status-invalid", {
        Draft => "draft",
        Published => "published",
        Cancelled => "cancelled",
    }
);

impl OfferStatus {
    /// Only published offers are shown and booked.
    pub fn is_public(self) -> bool {
        self == Self::Published
    }
}

stored_vocabulary!(
    /// Whether a date takes place.
    DateStatus, "error-status-invalid", {
        Scheduled => "scheduled",
        Cancelled => "cancelled",
    }
);

impl DateStatus {
    pub fn is_cancelled(self) -> bool {
        self == Self::Cancelled
    }
}

vocabulary!(
    /// Support a dialogue event offers; more can be asked for.
    Support, "error-support-invalid", {
        SignLanguage => "gebaerdensprache",
        HearingLoop => "hoerschleife",
        Companion => "begleitung",
    }
);

/// What the catalogue's text search looks in: title and description, folded to lower case here
/// because SQLite folds only ASCII letters.
pub fn search_text(title: &str, description: &str) -> String {
    format!("{}\n{}", title.to_lowercase(), description.to_lowercase())
}

/// The catalogue's GET form as sent; every field may be empty or nonsense.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(default)]
pub struct CatalogueQuery {
    pub q: String,
    pub kreis: String,
    pub ort: String,
    pub von: String,
    pub bis: String,
    pub thema: String,
    pub zielgruppe: String,
    pub stufenlos: String,
    pub hoerschleife: String,
    pub wc: String,
    pub frei: String,
    pub seite: String,
}

/// Filters that combine (all must hold). Empty means "any".
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CatalogueFilter {
    pub text: Option<String>,
    pub district: Option<DistrictKey>,
    pub town: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub topic: Option<Topic>,
    pub target_group: Option<TargetGroup>,
    pub step_free: bool,
    pub hearing_loop: bool,
    pub accessible_toilet: bool,
    pub free_places_only: bool,
    pub page: u32,
    /// Only dates at this venue (slug); used by venue programmes and feeds, not by the public form.
    pub venue: Option<String>,
    /// Calendar feeds keep cancelled dates so subscribed calendars learn of the cancellation.
    pub include_cancelled: bool,
    /// Calendar feeds and programmes show every session of a multi-session course; lists show its first.
    pub include_sessions: bool,
    /// Only dates after this one (the API reads on from where a client left off).
    pub after: Option<super::cursor::DateCursor>,
}

const MAX_TEXT: usize = 100;
pub const MAX_PAGE: u32 = 10_000;

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

fn short_text(raw: &str) -> Result<String, &'static str> {
    let text = super::text::line(raw);
    if text.chars().count() > MAX_TEXT {
        Err("error-search-too-long")
    } else {
        Ok(text)
    }
}

fn flag(raw: &str) -> bool {
    matches!(raw.trim(), "1" | "ja" | "true" | "on")
}

impl CatalogueFilter {
    pub fn parse(query: &CatalogueQuery) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let text = errors.check("q", optional(&query.q, short_text)).flatten();
        let district = errors
            .check("kreis", optional(&query.kreis, DistrictKey::parse))
            .flatten();
        let town = errors
            .check("ort", optional(&query.ort, short_text))
            .flatten();
        let from = errors.check("von", optional(&query.von, date)).flatten();
        let to = errors.check("bis", optional(&query.bis, date)).flatten();
        if let (Some(from), Some(to)) = (from, to)
            && to < from
        {
            errors.add("bis", "error-date-range");
        }
        let topic = errors
            .check("thema", optional(&query.thema, Topic::parse))
            .flatten();
        let target_group = errors
            .check(
                "zielgruppe",
                optional(&query.zielgruppe, TargetGroup::parse),
            )
            .flatten();
        let page = match query.seite.trim() {
            "" => 1,
            raw => raw
                .parse::<u32>()
                .ok()
                .filter(|p| (1..=MAX_PAGE).contains(p))
                .unwrap_or(1),
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Self {
            text,
            district,
            town,
            from,
            to,
            topic,
            target_group,
            step_free: flag(&query.stufenlos),
            hearing_loop: flag(&query.hoerschleife),
            accessible_toilet: flag(&query.wc),
            free_places_only: flag(&query.frei),
            page,
            venue: None,
            include_cancelled: false,
            include_sessions: false,
            after: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn vocabularies_round_trip() {
        for topic in Topic::ALL {
            assert_eq!(Topic::parse(topic.key()), Ok(*topic));
        }
        for group in TargetGroup::ALL {
            assert_eq!(TargetGroup::parse(group.key()), Ok(*group));
        }
        assert_eq!(Topic::parse("kochen"), Err("error-topic-invalid"));
    }

    #[test]
    fn kinds_and_states_round_trip_and_old_german_kinds_still_parse() {
        for kind in OfferKind::ALL {
            assert_eq!(OfferKind::parse(kind.key()), Ok(*kind));
        }
        assert_eq!(OfferKind::parse("kurs"), Ok(OfferKind::Course));
        assert_eq!(OfferKind::parse("dialog"), Ok(OfferKind::Dialogue));
        assert_eq!(
            OfferKind::Dialogue.page_of("rathaus"),
            "/veranstaltungen/rathaus"
        );
        for status in OfferStatus::ALL {
            assert_eq!(OfferStatus::parse(status.key()), Ok(*status));
            assert_eq!(status.is_public(), *status == OfferStatus::Published);
        }
        for status in DateStatus::ALL {
            assert_eq!(DateStatus::parse(status.key()), Ok(*status));
        }
        assert!(DateStatus::Cancelled.is_cancelled());
        assert!(!DateStatus::Scheduled.is_cancelled());
    }

    #[test]
    fn filters_combine_and_report_each_bad_field() {
        let ok = CatalogueFilter::parse(&CatalogueQuery {
            q: "Smartphone".into(),
            kreis: "16051".into(),
            von: "2026-12-01".into(),
            bis: "31.12.2026".into(),
            thema: "videotelefonie".into(),
            stufenlos: "1".into(),
            seite: "3".into(),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(ok.text.as_deref(), Some("Smartphone"));
        assert_eq!(ok.to, NaiveDate::from_ymd_opt(2026, 12, 31));
        assert_eq!(ok.topic, Some(Topic::VideoCalls));
        assert!(ok.step_free && !ok.free_places_only);
        assert_eq!(ok.page, 3);

        let errors = CatalogueFilter::parse(&CatalogueQuery {
            kreis: "99999".into(),
            von: "2026-12-10".into(),
            bis: "2026-12-01".into(),
            thema: "kochen".into(),
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(errors.for_field("kreis"), Some("error-district-invalid"));
        assert_eq!(errors.for_field("bis"), Some("error-date-range"));
        assert_eq!(errors.for_field("thema"), Some("error-topic-invalid"));
        assert_eq!(
            CatalogueFilter::parse(&CatalogueQuery {
                von: "gestern".into(),
                ..Default::default()
            })
            .unwrap_err()
            .for_field("von"),
            Some("error-date-invalid")
        );
    }

    #[test]
    fn a_nonsense_page_number_means_the_first_page() {
        for raw in ["0", "-1", "x", "99999999999"] {
            let query = CatalogueQuery {
                seite: raw.into(),
                ..Default::default()
            };
            assert_eq!(CatalogueFilter::parse(&query).unwrap().page, 1, "{raw}");
        }
    }

    proptest! {
        #[test]
        fn parsing_never_panics(q in "\\PC{0,120}", d in "\\PC{0,12}") {
            let _ = CatalogueFilter::parse(&CatalogueQuery { q: q.clone(), von: d.clone(), bis: d, ort: q, ..Default::default() });
        }
    }
}

/// An offer as staff enter it in the back office.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct OfferForm {
    /// `kurs` or `dialog`.
    pub kind: String,
    pub title: String,
    pub description: String,
    pub topic: String,
    pub level: String,
    pub target_group: String,
    pub venue: String,
    pub online_url: String,
    pub what_to_bring: String,
    pub accessibility_notes: String,
    pub price: String,
    pub agenda: String,
    pub audience: String,
    /// Checkbox: a dialogue event open to everyone without registration.
    pub no_registration: String,
    pub support_gebaerdensprache: String,
    pub support_hoerschleife: String,
    pub support_begleitung: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferInput {
    pub kind: OfferKind,
    pub title: String,
    pub description: String,
    pub topic: Topic,
    pub level: Level,
    pub target_group: TargetGroup,
    /// A venue id (checked against the organisation's venues by the service) or an online link.
    pub venue_id: Option<i32>,
    pub online_url: Option<url::Url>,
    pub what_to_bring: String,
    pub accessibility_notes: String,
    pub price_cents: i32,
    pub agenda: Option<String>,
    pub audience: Option<String>,
    pub registration_required: bool,
    pub support: Vec<Support>,
}

fn bounded(
    raw: &str,
    min: usize,
    max: usize,
    short: &'static str,
    long: &'static str,
) -> Result<String, &'static str> {
    // The title is the only single-line field of an offer; a single-line parser is called for it.
    let s = super::text::multiline(raw);
    match s.chars().count() {
        n if n < min => Err(short),
        n if n > max => Err(long),
        _ => Ok(s),
    }
}

/// "0", "5", "5,00", "12.50" euros → cents.
fn price_cents(raw: &str) -> Result<i32, &'static str> {
    let s = raw.trim().trim_end_matches('€').trim().replace(',', ".");
    if s.is_empty() {
        return Ok(0);
    }
    let (euros, cents) = match s.split_once('.') {
        Some((e, c)) if c.len() <= 2 && c.chars().all(|c| c.is_ascii_digit()) => {
            (e, format!("{c:0<2}"))
        }
        Some(_) => return Err("error-price-invalid"),
        None => (s.as_str(), "00".to_owned()),
    };
    let euros: i32 = euros.parse().map_err(|_| "error-price-invalid")?;
    let cents: i32 = cents.parse().map_err(|_| "error-price-invalid")?;
    if !(0..=1000).contains(&euros) {
        return Err("error-price-invalid");
    }
    Ok(euros * 100 + cents)
}

impl OfferInput {
    pub fn parse(form: &OfferForm) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let title = errors.check(
            "title",
            bounded(
                &super::text::line(&form.title),
                5,
                120,
                "error-title-short",
                "error-title-long",
            ),
        );
        let description = errors.check(
            "description",
            bounded(
                &form.description,
                20,
                4000,
                "error-description-short",
                "error-description-long",
            ),
        );
        let topic = errors.check("topic", Topic::parse(&form.topic));
        let level = errors.check("level", Level::parse(&form.level));
        let target_group = errors.check("target_group", TargetGroup::parse(&form.target_group));
        let venue_id = errors
            .check(
                "venue",
                optional(&form.venue, |v| {
                    v.parse::<i32>().map_err(|_| "error-venue-invalid")
                }),
            )
            .flatten();
        let online_url = errors
            .check(
                "online_url",
                optional(&form.online_url, |u| {
                    url::Url::parse(u)
                        .ok()
                        .filter(|u| u.scheme() == "https")
                        .ok_or("error-online-url-invalid")
                }),
            )
            .flatten();
        if venue_id.is_none()
            && online_url.is_none()
            && errors.for_field("venue").is_none()
            && errors.for_field("online_url").is_none()
        {
            errors.add("venue", "error-venue-or-online");
        }
        let what_to_bring = errors.check(
            "what_to_bring",
            bounded(&form.what_to_bring, 0, 500, "", "error-notes-too-long"),
        );
        let accessibility_notes = errors.check(
            "accessibility_notes",
            bounded(
                &form.accessibility_notes,
                0,
                1000,
                "",
                "error-notes-too-long",
            ),
        );
        let price_cents = errors.check("price", price_cents(&form.price));
        let kind = errors.check(
            "kind",
            match form.kind.trim() {
                "" => Ok(OfferKind::Course),
                raw => OfferKind::parse(raw),
            },
        );
        let agenda = errors.check(
            "agenda",
            bounded(&form.agenda, 0, 4000, "", "error-notes-too-long"),
        );
        let audience = errors.check(
            "audience",
            bounded(&form.audience, 0, 500, "", "error-notes-too-long"),
        );
        let support: Vec<Support> = [
            (&form.support_gebaerdensprache, Support::SignLanguage),
            (&form.support_hoerschleife, Support::HearingLoop),
            (&form.support_begleitung, Support::Companion),
        ]
        .into_iter()
        .filter(|(checked, _)| !checked.trim().is_empty())
        .map(|(_, support)| support)
        .collect();
        let Some(kind) = kind else {
            return Err(errors);
        };
        // Only dialogue events are held without registration.
        let registration_required =
            kind == OfferKind::Course || form.no_registration.trim().is_empty();
        match (
            title,
            description,
            topic,
            level,
            target_group,
            what_to_bring,
            accessibility_notes,
            price_cents,
        ) {
            (
                Some(title),
                Some(description),
                Some(topic),
                Some(level),
                Some(target_group),
                Some(what_to_bring),
                Some(accessibility_notes),
                Some(price_cents),
            ) if errors.is_empty() => Ok(Self {
                kind,
                agenda: agenda.filter(|a| !a.is_empty()),
                audience: audience.filter(|a| !a.is_empty()),
                registration_required,
                support,
                title,
                description,
                topic,
                level,
                target_group,
                venue_id,
                online_url,
                what_to_bring,
                accessibility_notes,
                price_cents,
            }),
            _ => Err(errors),
        }
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
            && (m < 1 || m > c.get() || m > super::booking::MAX_PLACES as i32)
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
mod back_office_tests {
    use super::*;

    fn offer_form() -> OfferForm {
        OfferForm {
            title: "Smartphone-Grundlagen".into(),
            description: "Wir lernen gemeinsam die ersten Schritte.".into(),
            topic: "smartphone-grundlagen".into(),
            level: "einsteiger".into(),
            target_group: "senioren".into(),
            venue: "3".into(),
            price: "5,50".into(),
            ..Default::default()
        }
    }

    #[test]
    fn offers_parse_and_report_each_field() {
        let ok = OfferInput::parse(&offer_form()).unwrap();
        assert_eq!(ok.price_cents, 550);
        assert_eq!(ok.venue_id, Some(3));
        let errors = OfferInput::parse(&OfferForm {
            title: "Kurs".into(),
            topic: "x".into(),
            venue: String::new(),
            online_url: "http://unsicher.example".into(),
            price: "viel".into(),
            ..offer_form()
        })
        .unwrap_err();
        assert_eq!(errors.for_field("title"), Some("error-title-short"));
        assert_eq!(errors.for_field("topic"), Some("error-topic-invalid"));
        assert_eq!(
            errors.for_field("online_url"),
            Some("error-online-url-invalid")
        );
        assert_eq!(errors.for_field("price"), Some("error-price-invalid"));
        let online = OfferInput::parse(&OfferForm {
            venue: String::new(),
            online_url: "https://konferenz.example/raum".into(),
            ..offer_form()
        })
        .unwrap();
        assert!(online.venue_id.is_none() && online.online_url.is_some());
    }

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
