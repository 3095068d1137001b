//! The course catalogue as people use it: finding dates with filters, an offer's page, booking by
//! form (with mails and calendar files), cancelling by link, the waiting list with offers of fewer
//! places, calendar feeds, the printable programme and places kept for people who walk in.
use std::collections::{BTreeSet, HashMap};
use teilhabe::domain::offer::{DateStatus, OfferKind, OfferStatus};

use chrono::{DateTime, Days, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Europe::Berlin;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use teilhabe::{
    db::entities::{booking, offer, offer_date, organisation, venue},
    domain::booking::{BookingRequest, BookingStatus, Channel},
    services::booking::Booked,
};

use crate::helpers::*;
use crate::on_both_backends;

/// Step-free demo venue in Erfurt (district 16051).
const ERFURT_ANGER: &str = "probierladen-erfurt-anger";
/// Demo venue in Gera with steps at the door.
const GERA_REICHSSTRASSE: &str = "vhs-gera-reichsstrasse";

// ---------------------------------------------------------------------------------------------
// Test data
// ---------------------------------------------------------------------------------------------

async fn demo_venue(app: &TestApp, slug: &str) -> venue::Model {
    venue::Entity::find()
        .filter(venue::Column::Slug.eq(slug))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("demo venue {slug}"))
}

/// A course of the demo organisation that runs `venue_slug`; online when there is no venue.
async fn create_offer(
    app: &TestApp,
    title: &str,
    venue_slug: Option<&str>,
    status: &str,
) -> offer::Model {
    let place = match venue_slug {
        Some(slug) => Some(demo_venue(app, slug).await),
        None => None,
    };
    let organisation_id = match &place {
        Some(v) => v.organisation_id,
        None => {
            organisation::Entity::find()
                .one(&app.db)
                .await
                .unwrap()
                .expect("demo organisation")
                .id
        }
    };
    offer::ActiveModel {
        slug: Set(format!(
            "testkurs-{}",
            &uuid::Uuid::new_v4().simple().to_string()[..12]
        )),
        organisation_id: Set(organisation_id),
        venue_id: Set(place.as_ref().map(|v| v.id)),
        kind: Set(OfferKind::Course),
        title: Set(title.into()),
        description: Set("Ein Kurs, den nur dieser Test anlegt.".into()),
        search_text: Set(teilhabe::domain::offer::search_text(
            title,
            "Ein Kurs, den nur dieser Test anlegt.",
        )),
        topic: Set("smartphone-grundlagen".into()),
        level: Set("einsteiger".into()),
        target_group: Set("alle".into()),
        language: Set("de".into()),
        online_url: Set(place
            .is_none()
            .then(|| "https://konferenz.example/raum".into())),
        what_to_bring: Set("Ihr Smartphone".into()),
        accessibility_notes: Set(String::new()),
        price_cents: Set(0),
        status: Set(OfferStatus::parse(status).unwrap()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap()
}

struct DateSpec {
    starts_at: DateTime<Utc>,
    capacity: i32,
    max_places: i32,
    walk_in_places: i32,
    walk_in_release_at: Option<DateTime<Utc>>,
    status: &'static str,
}

impl DateSpec {
    fn in_days(days: i64, capacity: i32) -> Self {
        Self::at(Utc::now() + Duration::days(days), capacity)
    }

    /// At 10:00 Berlin time, `days` days from now: a date the one-day date form can show
    /// whatever the hour the test runs at.
    fn morning_in_days(days: i64, capacity: i32) -> Self {
        let day = (Utc::now() + Duration::days(days))
            .with_timezone(&Berlin)
            .date_naive();
        let starts_at = day
            .and_hms_opt(10, 0, 0)
            .and_then(|t| t.and_local_timezone(Berlin).single())
            .expect("10:00 exists every day")
            .with_timezone(&Utc);
        Self::at(starts_at, capacity)
    }

    fn at(starts_at: DateTime<Utc>, capacity: i32) -> Self {
        Self {
            starts_at,
            capacity,
            max_places: 4,
            walk_in_places: 0,
            walk_in_release_at: None,
            status: "scheduled",
        }
    }
}

async fn create_date(app: &TestApp, offer_id: i32, spec: DateSpec) -> i32 {
    offer_date::ActiveModel {
        offer_id: Set(offer_id),
        starts_at: Set(spec.starts_at),
        ends_at: Set(spec.starts_at + Duration::hours(2)),
        capacity: Set(spec.capacity),
        booked_places: Set(0),
        max_places_per_booking: Set(spec.max_places),
        booking_opens_at: Set(None),
        booking_closes_at: Set(None),
        status: Set(DateStatus::parse(spec.status).unwrap()),
        created_at: Set(Utc::now()),
        walk_in_places: Set(spec.walk_in_places),
        walk_in_release_at: Set(spec.walk_in_release_at),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap()
    .id
}

/// One new course at the Erfurt demo venue with one date.
async fn course_with_date(app: &TestApp, title: &str, spec: DateSpec) -> (String, i32) {
    let offer = create_offer(app, title, Some(ERFURT_ANGER), "published").await;
    let date_id = create_date(app, offer.id, spec).await;
    (offer.slug, date_id)
}

async fn date_row(app: &TestApp, date_id: i32) -> offer_date::Model {
    offer_date::Entity::find_by_id(date_id)
        .one(&app.db)
        .await
        .unwrap()
        .expect("date")
}

async fn set_date(app: &TestApp, date_id: i32, change: impl FnOnce(&mut offer_date::ActiveModel)) {
    let mut active: offer_date::ActiveModel = date_row(app, date_id).await.into();
    change(&mut active);
    active.update(&app.db).await.unwrap();
}

async fn booking_count(app: &TestApp, date_id: i32) -> u64 {
    booking::Entity::find()
        .filter(booking::Column::DateId.eq(date_id))
        .count(&app.db)
        .await
        .unwrap()
}

/// Books through the engine the way staff or the form would (same rules, same mails).
async fn desk_book(
    app: &TestApp,
    date_id: i32,
    who: &str,
    places: &str,
    channel: Channel,
) -> Booked {
    let request = match channel {
        Channel::Staff => BookingRequest::parse(who, "", "0361 123456", places, channel),
        _ => BookingRequest::parse(who, &email_of(who), "", places, channel),
    }
    .unwrap();
    app.desk()
        .book(date_id, request, Utc::now())
        .await
        .expect("booking accepted")
}

fn email_of(who: &str) -> String {
    format!("{}@example.de", who.to_lowercase().replace(' ', "."))
}

// ---------------------------------------------------------------------------------------------
// What the catalogue should list, computed from the database independently of the app
// ---------------------------------------------------------------------------------------------

struct Listed {
    date: offer_date::Model,
    offer: offer::Model,
    venue: Option<venue::Model>,
}

impl Listed {
    fn district(&self) -> &str {
        self.venue.as_ref().map_or("", |v| v.district_key.as_str())
    }
    fn step_free(&self) -> bool {
        self.venue.as_ref().is_some_and(|v| v.step_free)
    }
    /// Places bookable online now: walk-in places count once released.
    fn free_online(&self, now: DateTime<Utc>) -> i32 {
        let held = match self.date.walk_in_release_at {
            Some(release) if release > now => self.date.walk_in_places,
            _ => 0,
        };
        (self.date.capacity - self.date.booked_places - held).max(0)
    }
}

/// Upcoming dates of published courses, earliest first (ties by id), as the catalogue orders them.
async fn upcoming(app: &TestApp, with_cancelled: bool) -> Vec<Listed> {
    let now = Utc::now();
    let offers: HashMap<i32, offer::Model> = offer::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|o| (o.id, o))
        .collect();
    let venues: HashMap<i32, venue::Model> = venue::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|v| (v.id, v))
        .collect();
    let mut rows: Vec<Listed> = offer_date::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        // Later sessions of a course booked as a whole are listed with its first date only.
        .filter(|d| d.series_lead_id.is_none())
        .filter(|d| d.starts_at > now && (with_cancelled || d.status != DateStatus::Cancelled))
        .filter_map(|date| {
            let offer = offers.get(&date.offer_id)?.clone();
            (offer.status == OfferStatus::Published && offer.kind == OfferKind::Course).then(|| {
                Listed {
                    venue: offer.venue_id.and_then(|id| venues.get(&id).cloned()),
                    offer,
                    date,
                }
            })
        })
        .collect();
    rows.sort_by_key(|r| (r.date.starts_at, r.date.id));
    rows
}

fn titles(rows: &[&Listed]) -> Vec<String> {
    rows.iter().map(|r| r.offer.title.clone()).collect()
}

fn count_line(n: usize) -> String {
    match n {
        0 => "Wir haben keinen Termin gefunden.".into(),
        1 => "Wir haben 1 Termin gefunden.".into(),
        n => format!("Wir haben {n} Termine gefunden."),
    }
}

fn places_line(free: i32) -> String {
    match free {
        0 => "Ausgebucht – Warteliste möglich".into(),
        1 => "Noch 1 Platz frei".into(),
        n => format!("Noch {n} Plätze frei"),
    }
}

// ---------------------------------------------------------------------------------------------
// HTML
// ---------------------------------------------------------------------------------------------

fn squash(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn texts(doc: &scraper::Html, css: &str) -> Vec<String> {
    select(doc, css)
        .iter()
        .map(|e| squash(&e.text().collect::<String>()))
        .collect()
}

fn attrs(doc: &scraper::Html, css: &str, attr: &str) -> Vec<String> {
    select(doc, css)
        .iter()
        .filter_map(|e| e.value().attr(attr).map(str::to_owned))
        .collect()
}

/// The text pieces of the first match (a `<br>` separates pieces without a blank).
fn text_parts(doc: &scraper::Html, css: &str) -> Vec<String> {
    select(doc, css)
        .first()
        .map(|e| e.text().map(squash).filter(|t| !t.is_empty()).collect())
        .unwrap_or_default()
}

/// The value next to `label` in a summary list (`<dt>label</dt><dd>value</dd>`).
fn summary_value(doc: &scraper::Html, label: &str) -> Option<String> {
    let dt = scraper::Selector::parse("dt").unwrap();
    let dd = scraper::Selector::parse("dd").unwrap();
    select(doc, ".summary-list__row")
        .into_iter()
        .find_map(|row| {
            let name = squash(&row.select(&dt).next()?.text().collect::<String>());
            let value = squash(&row.select(&dd).next()?.text().collect::<String>());
            (name == label).then_some(value)
        })
}

fn page_text(doc: &scraper::Html) -> String {
    squash(&doc.root_element().text().collect::<String>())
}

/// The pairs of a link's query string, order ignored.
fn query_pairs(href: &str) -> (String, BTreeSet<(String, String)>) {
    let url = url::Url::parse(&format!("http://x{href}")).expect("link");
    (
        url.path().to_owned(),
        url.query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect(),
    )
}

fn pairs(list: &[(&str, &str)]) -> BTreeSet<(String, String)> {
    list.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Booking by form
// ---------------------------------------------------------------------------------------------

fn form_path(slug: &str, date_id: i32) -> String {
    format!("/kurse/{slug}/termine/{date_id}/buchen")
}

/// The hidden fields of a booking form (its CSRF token belongs to the session, so it serves every
/// booking form of this client).
async fn ready_to_book(app: &TestApp, slug: &str, date_id: i32) -> Vec<(String, String)> {
    let hidden = app.hidden_fields(&form_path(slug, date_id)).await;
    assert!(
        hidden.iter().any(|(k, _)| k == "csrf_token"),
        "the booking form has a CSRF token: {hidden:?}"
    );
    hidden
}

async fn post_booking(
    app: &TestApp,
    hidden: &[(String, String)],
    slug: &str,
    date_id: i32,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    // Each call is a booking of its own, as if from a freshly opened form: a new form key.
    let key = teilhabe::web::submission::new_key();
    let mut form: Vec<(&str, &str)> = fields.to_vec();
    form.push(("einreichung", &key));
    form.extend(
        hidden
            .iter()
            .filter(|(k, _)| k != "einreichung")
            .map(|(k, v)| (k.as_str(), v.as_str())),
    );
    app.post_form(&form_path(slug, date_id), &form).await
}

/// The booking page a successful booking redirects to.
fn booking_page_of(res: &reqwest::Response) -> String {
    assert_eq!(res.status(), 303, "booking accepted");
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with("/buchung/"), "{location}");
    location
}

async fn heading(app: &TestApp, path: &str) -> String {
    let (status, doc) = app.get_html(path).await;
    assert_eq!(status, 200, "{path}");
    text_of(&doc, "h1")
}

/// Cancels on the person's own page, with the CSRF token of that page.
async fn cancel_by_link(app: &TestApp, page: &str) -> reqwest::Response {
    let token = app.csrf_token(page).await;
    app.post_form(&format!("{page}/absagen"), &[("csrf_token", &token)])
        .await
}

async fn answer_offer(app: &TestApp, page: &str, answer: &str) -> reqwest::Response {
    let token = app.csrf_token(page).await;
    app.post_form(
        &format!("{page}/angebot"),
        &[("csrf_token", &token), ("answer", answer)],
    )
    .await
}

// ---------------------------------------------------------------------------------------------
// Mail as it arrives: just enough MIME to read subject, text and attachments
// ---------------------------------------------------------------------------------------------

struct Mail {
    to: String,
    subject: String,
    text: String,
    /// Decoded bodies of `text/calendar` parts.
    calendars: Vec<String>,
    /// The `method` parameter of each calendar part's content type (iTIP).
    calendar_methods: Vec<String>,
    auto_submitted: String,
}

struct MimePart {
    headers: Vec<(String, String)>,
    body: String,
}

impl MimePart {
    fn parse(raw: &str) -> Self {
        let (head, body) = raw.split_once("\n\n").unwrap_or((raw, ""));
        let mut headers: Vec<(String, String)> = Vec::new();
        for line in head.lines().filter(|l| !l.is_empty()) {
            if line.starts_with([' ', '\t']) {
                if let Some((_, value)) = headers.last_mut() {
                    value.push_str(line);
                }
            } else if let Some((name, value)) = line.split_once(':') {
                headers.push((name.trim().to_owned(), value.trim().to_owned()));
            }
        }
        Self {
            headers,
            body: body.to_owned(),
        }
    }

    fn header(&self, name: &str) -> String {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| decode_words(v))
            .unwrap_or_default()
    }

    fn mime_type(&self) -> String {
        let value = self.header("Content-Type");
        match value.split(';').next().map(str::trim) {
            Some(t) if !t.is_empty() => t.to_ascii_lowercase(),
            _ => "text/plain".into(),
        }
    }

    fn boundary(&self) -> Option<String> {
        let value = self.header("Content-Type");
        let start = value.to_ascii_lowercase().find("boundary=")? + "boundary=".len();
        let rest = &value[start..];
        Some(match rest.strip_prefix('"') {
            Some(quoted) => quoted.split('"').next()?.to_owned(),
            None => rest.split(';').next()?.trim().to_owned(),
        })
    }

    fn leaves(self) -> Vec<MimePart> {
        let Some(boundary) = self
            .mime_type()
            .starts_with("multipart/")
            .then(|| self.boundary())
            .flatten()
        else {
            return vec![self];
        };
        let delimiter = format!("--{boundary}");
        self.body
            .split(&delimiter)
            .skip(1)
            .take_while(|segment| !segment.starts_with("--"))
            .flat_map(|segment| MimePart::parse(segment.trim_start_matches('\n')).leaves())
            .collect()
    }

    fn decoded(&self) -> String {
        let bytes = match self
            .header("Content-Transfer-Encoding")
            .to_ascii_lowercase()
            .as_str()
        {
            "base64" => base64(&self.body),
            "quoted-printable" => quoted_printable(&self.body, false),
            _ => self.body.clone().into_bytes(),
        };
        String::from_utf8(bytes).expect("UTF-8 body")
    }
}

/// RFC 2047 encoded words (`=?utf-8?b?…?=`, `=?utf-8?q?…?=`); blanks between two words are dropped.
fn decode_words(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    let mut after_word = false;
    while let Some(start) = rest.find("=?") {
        let gap = &rest[..start];
        if !(after_word && gap.trim().is_empty()) {
            out.push_str(gap);
        }
        let mut fields = rest[start + 2..].splitn(3, '?');
        let (Some(_charset), Some(encoding), Some(tail)) =
            (fields.next(), fields.next(), fields.next())
        else {
            break;
        };
        let Some(end) = tail.find("?=") else { break };
        let bytes = if encoding.eq_ignore_ascii_case("b") {
            base64(&tail[..end])
        } else {
            quoted_printable(&tail[..end], true)
        };
        out.push_str(&String::from_utf8(bytes).expect("UTF-8 header"));
        rest = &tail[end + 2..];
        after_word = true;
    }
    out.push_str(rest);
    out
}

fn base64(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for c in text.bytes().filter(|c| !c.is_ascii_whitespace()) {
        let Some(value) = ALPHABET.iter().position(|&a| a == c) else {
            break; // padding
        };
        buffer = (buffer << 6) | value as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    out
}

fn quoted_printable(text: &str, underscore_is_space: bool) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'=' if bytes.get(i + 1) == Some(&b'\n') => i += 2,
            b'=' if i + 3 <= bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 3;
                    }
                    Err(_) => {
                        out.push(b'=');
                        i += 1;
                    }
                }
            }
            b'_' if underscore_is_space => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

/// Delivers the outbox and returns the mails to `to`, oldest first.
async fn mails_to(app: &TestApp, to: &str) -> Vec<Mail> {
    let files: Vec<String> = app
        .delivered_mails()
        .await
        .into_iter()
        .map(|raw| raw.replace("\r\n", "\n"))
        .collect();
    files
        .into_iter()
        .map(|raw| {
            let message = MimePart::parse(&raw);
            let to = message.header("To");
            let subject = message.header("Subject");
            let auto_submitted = message.header("Auto-Submitted");
            let leaves = message.leaves();
            Mail {
                to,
                subject,
                text: leaves
                    .iter()
                    .find(|p| p.mime_type() == "text/plain")
                    .map(MimePart::decoded)
                    .unwrap_or_default(),
                calendars: leaves
                    .iter()
                    .filter(|p| p.mime_type() == "text/calendar")
                    .map(MimePart::decoded)
                    .collect(),
                calendar_methods: leaves
                    .iter()
                    .filter(|p| p.mime_type() == "text/calendar")
                    .map(|p| {
                        let content_type = p.header("Content-Type").to_ascii_lowercase();
                        content_type
                            .split(';')
                            .find_map(|param| param.trim().strip_prefix("method="))
                            .unwrap_or_default()
                            .trim_matches('"')
                            .to_owned()
                    })
                    .collect(),
                auto_submitted,
            }
        })
        .filter(|m| m.to.trim_matches(['<', '>']) == to)
        .collect()
}

fn subjects(mails: &[Mail]) -> Vec<&str> {
    mails.iter().map(|m| m.subject.as_str()).collect()
}

// ---------------------------------------------------------------------------------------------
// Calendars
// ---------------------------------------------------------------------------------------------

fn parse_calendar(body: &str) -> ical::parser::ical::component::IcalCalendar {
    let mut calendars: Vec<_> = ical::IcalParser::new(std::io::BufReader::new(body.as_bytes()))
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("calendar does not parse: {e}\n{body}"));
    assert_eq!(calendars.len(), 1, "one VCALENDAR");
    calendars.remove(0)
}

fn prop<'a>(
    props: &'a [ical::property::Property],
    name: &str,
) -> Option<&'a ical::property::Property> {
    props.iter().find(|p| p.name == name)
}

fn value_of(props: &[ical::property::Property], name: &str) -> String {
    prop(props, name)
        .and_then(|p| p.value.clone())
        .unwrap_or_else(|| panic!("no {name}"))
}

fn tzid_of(props: &[ical::property::Property], name: &str) -> Option<String> {
    prop(props, name)?
        .params
        .as_ref()?
        .iter()
        .find(|(k, _)| k == "TZID")
        .map(|(_, v)| v.join(","))
}

fn berlin_stamp(at: DateTime<Utc>) -> String {
    at.with_timezone(&Berlin)
        .format("%Y%m%dT%H%M%S")
        .to_string()
}

/// Date ids of a feed's events (UID `date-<id>@teilhabe.test`) with their STATUS.
fn feed_events(body: &str) -> BTreeSet<(i32, String)> {
    parse_calendar(body)
        .events
        .iter()
        .map(|e| {
            let uid = value_of(&e.properties, "UID");
            let id = uid
                .strip_prefix("date-")
                .and_then(|r| r.strip_suffix("@teilhabe.test"))
                .unwrap_or_else(|| panic!("UID {uid}"))
                .parse()
                .unwrap();
            (id, value_of(&e.properties, "STATUS"))
        })
        .collect()
}

async fn get_calendar(app: &TestApp, path: &str) -> String {
    let res = app.get(path).await;
    assert_eq!(res.status(), 200, "{path}");
    let content_type = res.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(
        content_type.starts_with("text/calendar"),
        "{path}: {content_type}"
    );
    res.text().await.unwrap()
}

async fn sqlite_app() -> TestApp {
    spawn_app(Backend::Sqlite, Options::default())
        .await
        .expect("sqlite app")
}

fn berlin_today() -> NaiveDate {
    Utc::now().with_timezone(&Berlin).date_naive()
}

fn berlin(day: NaiveDate, hour: u32, minute: u32) -> DateTime<Utc> {
    Berlin
        .from_local_datetime(&day.and_time(NaiveTime::from_hms_opt(hour, minute, 0).unwrap()))
        .earliest()
        .unwrap()
        .with_timezone(&Utc)
}

// =============================================================================================
// 1. The catalogue
// =============================================================================================

#[tokio::test]
async fn the_catalogue_lists_upcoming_dates_earliest_first_with_their_places() {
    let app = sqlite_app().await;
    let past = create_offer(
        &app,
        "Vergangener Zauberkurs",
        Some(ERFURT_ANGER),
        "published",
    )
    .await;
    create_date(&app, past.id, DateSpec::in_days(-1, 8)).await;
    let expected = upcoming(&app, false).await;
    assert_eq!(
        expected.len(),
        101,
        "the demo data: 113 upcoming dates, 12 of them later sessions of courses booked as a whole"
    );

    let (status, doc) = app.get_html("/kurse").await;
    assert_eq!(status, 200);
    assert_eq!(text_of(&doc, "h1"), "Kurse und Termine");
    assert_eq!(text_of(&doc, ".result-count"), count_line(101));
    let first_page: Vec<&Listed> = expected.iter().take(20).collect();
    assert_eq!(texts(&doc, ".result__title a"), titles(&first_page));
    assert_eq!(
        attrs(&doc, ".result__title a", "href"),
        first_page
            .iter()
            .map(|r| format!("/kurse/{}", r.offer.slug))
            .collect::<Vec<_>>()
    );
    // Free places online (walk-in places held until their release) or the waiting list.
    let now = Utc::now();
    let wanted: Vec<String> = first_page
        .iter()
        .map(|r| places_line(r.free_online(now)))
        .collect();
    assert_eq!(texts(&doc, ".result .places"), wanted);
    assert!(wanted.iter().any(|w| w.starts_with("Ausgebucht")));
    assert!(wanted.iter().any(|w| w.starts_with("Noch")));
    assert_eq!(
        select(&doc, ".result .places--full").len(),
        wanted
            .iter()
            .filter(|w| w.starts_with("Ausgebucht"))
            .count()
    );

    // A course whose only date is over is not listed.
    let (_, doc) = app.get_html("/kurse?q=Zauberkurs").await;
    assert_eq!(text_of(&doc, ".result-count"), count_line(0));
    assert!(select(&doc, ".result").is_empty());
}

#[tokio::test]
async fn each_filter_narrows_the_list_and_filters_combine() {
    let app = sqlite_app().await;
    let all = upcoming(&app, false).await;
    let town = |r: &Listed| r.venue.as_ref().map_or(String::new(), |v| v.town.clone());
    type Case<'a> = (&'a str, Box<dyn Fn(&Listed) -> bool>);
    let cases: Vec<Case> = vec![
        ("kreis=16051", Box::new(|r| r.district() == "16051")),
        (
            "thema=videotelefonie",
            Box::new(|r| r.offer.topic == "videotelefonie"),
        ),
        (
            "zielgruppe=frauen",
            Box::new(|r| r.offer.target_group == "frauen"),
        ),
        ("stufenlos=1", Box::new(|r| r.step_free())),
        (
            "hoerschleife=1",
            Box::new(|r| r.venue.as_ref().is_some_and(|v| v.hearing_loop)),
        ),
        (
            "wc=1",
            Box::new(|r| r.venue.as_ref().is_some_and(|v| v.accessible_toilet)),
        ),
        ("ort=jena", Box::new(move |r| town(r) == "Jena")),
        ("kreis=16052", Box::new(|r| r.district() == "16052")),
        (
            "kreis=16052&stufenlos=1",
            Box::new(|r| r.district() == "16052" && r.step_free()),
        ),
        (
            "kreis=16052&thema=smartphone-grundlagen",
            Box::new(|r| r.district() == "16052" && r.offer.topic == "smartphone-grundlagen"),
        ),
        (
            "kreis=16052&thema=smartphone-grundlagen&stufenlos=1",
            Box::new(|_| false),
        ),
    ];
    let mut sizes = HashMap::new();
    for (query, wanted) in &cases {
        let expected: Vec<&Listed> = all.iter().filter(|r| wanted(r)).collect();
        let (status, doc) = app.get_html(&format!("/kurse?{query}")).await;
        assert_eq!(status, 200, "{query}");
        assert_eq!(
            text_of(&doc, ".result-count"),
            count_line(expected.len()),
            "{query}"
        );
        let shown: Vec<&Listed> = expected.iter().copied().take(20).collect();
        assert_eq!(texts(&doc, ".result__title a"), titles(&shown), "{query}");
        sizes.insert(*query, expected.len());
        if *query == "kreis=16051" {
            let places = texts(&doc, ".result__meta");
            assert!(!places.is_empty());
            assert!(
                places.iter().all(|p| p.ends_with("Erfurt")),
                "only Erfurt venues: {places:?}"
            );
        }
        if *query == "thema=videotelefonie" {
            let topics = texts(&doc, ".result .feature-list li:first-child");
            assert!(!topics.is_empty());
            assert!(topics.iter().all(|t| t == "Videotelefonie"), "{topics:?}");
        }
        if *query == "stufenlos=1" {
            for entry in select(&doc, ".result") {
                let features: Vec<String> = entry
                    .select(&scraper::Selector::parse(".feature-list li").unwrap())
                    .map(|li| squash(&li.text().collect::<String>()))
                    .collect();
                assert!(
                    features.contains(&"Stufenloser Zugang".to_owned()),
                    "{features:?}"
                );
            }
        }
    }
    // The demo data makes every filter bite, and combining them narrows further.
    assert_eq!(sizes["kreis=16051"], 8);
    assert_eq!(sizes["thema=videotelefonie"], 17);
    assert_eq!(sizes["stufenlos=1"], 81);
    assert_eq!(sizes["kreis=16052"], 9);
    assert_eq!(sizes["kreis=16052&stufenlos=1"], 4);
    assert_eq!(sizes["kreis=16052&thema=smartphone-grundlagen"], 4);
    assert_eq!(
        sizes["kreis=16052&thema=smartphone-grundlagen&stufenlos=1"],
        0
    );
    assert!(sizes.values().all(|n| *n < all.len()));
    // The chosen filters stay chosen in the form.
    let (_, doc) = app
        .get_html("/kurse?kreis=16052&thema=smartphone-grundlagen&stufenlos=1")
        .await;
    assert_eq!(attrs(&doc, "#kreis option[selected]", "value"), ["16052"]);
    assert_eq!(
        attrs(&doc, "#thema option[selected]", "value"),
        ["smartphone-grundlagen"]
    );
    assert_eq!(select(&doc, "#stufenlos[checked]").len(), 1);
    assert_eq!(select(&doc, "#frei[checked]").len(), 0);
}

#[tokio::test]
async fn text_search_finds_titles_whatever_the_case() {
    let app = sqlite_app().await;
    let offer = create_offer(
        &app,
        "Zauberwürfel-Treff am Anger",
        Some(ERFURT_ANGER),
        "published",
    )
    .await;
    create_date(&app, offer.id, DateSpec::in_days(3, 8)).await;
    create_date(&app, offer.id, DateSpec::in_days(4, 8)).await;
    for q in [
        "Zauberwürfel",
        "zauberwürfel-treff",
        "ZAUBERW",
        "  Treff am Anger  ",
    ] {
        let (status, doc) = app.get_html(&format!("/kurse?q={}", url_encode(q))).await;
        assert_eq!(status, 200);
        assert_eq!(text_of(&doc, ".result-count"), count_line(2), "{q}");
        assert_eq!(
            texts(&doc, ".result__title a"),
            ["Zauberwürfel-Treff am Anger", "Zauberwürfel-Treff am Anger"]
        );
        assert_eq!(
            attrs(&doc, "input#q", "value"),
            [q.to_owned()],
            "the search term stays in the field"
        );
    }
    // Wildcards typed by people are literal characters.
    let (_, doc) = app.get_html("/kurse?q=%25").await;
    assert_eq!(text_of(&doc, ".result-count"), count_line(0));
    let (_, doc) = app.get_html("/kurse?q=Zauber_rfel").await;
    assert_eq!(text_of(&doc, ".result-count"), count_line(0));
}

fn url_encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// "Überweisungen" is in the description of both "Onlinebanking Schritt für Schritt" courses; people
/// type it in lower or upper case.
async fn search_ignores_the_case_of_umlauts(app: &TestApp) {
    let expected = upcoming(app, false)
        .await
        .into_iter()
        .filter(|r| r.offer.description.contains("Überweisungen"))
        .count();
    assert_eq!(expected, 4);
    for q in ["überweisungen", "ÜBERWEISUNGEN"] {
        let (_, doc) = app.get_html(&format!("/kurse?q={}", url_encode(q))).await;
        assert_eq!(text_of(&doc, ".result-count"), count_line(expected), "{q}");
    }
}

#[tokio::test]
async fn text_search_ignores_the_case_of_umlauts_on_sqlite() {
    search_ignores_the_case_of_umlauts(&sqlite_app().await).await;
}

#[tokio::test]
async fn text_search_ignores_the_case_of_umlauts_on_postgres() {
    let Some(app) = spawn_app(Backend::Postgres, Options::default()).await else {
        return;
    };
    search_ignores_the_case_of_umlauts(&app).await;
}

#[tokio::test]
async fn the_date_range_means_calendar_days_in_thuringia() {
    let app = sqlite_app().await;
    let offer = create_offer(&app, "Mitternachtskurs", Some(ERFURT_ANGER), "published").await;
    let day = berlin_today().checked_add_days(Days::new(20)).unwrap();
    let before = day.pred_opt().unwrap();
    let after = day.succ_opt().unwrap();
    // Just before and after midnight local time: in UTC these fall on the neighbouring days.
    for (d, h, m) in [
        (before, 23, 45),
        (day, 0, 15),
        (day, 23, 45),
        (after, 0, 15),
    ] {
        create_date(&app, offer.id, DateSpec::at(berlin(d, h, m), 8)).await;
    }
    let when = |doc: &scraper::Html| texts(doc, ".result__when");
    let iso = |d: NaiveDate| d.format("%Y-%m-%d").to_string();

    let (_, doc) = app
        .get_html(&format!(
            "/kurse?q=Mitternachtskurs&von={}&bis={}",
            iso(day),
            iso(day)
        ))
        .await;
    assert_eq!(text_of(&doc, ".result-count"), count_line(2));
    let shown = when(&doc);
    assert!(shown[0].ends_with("00:15 bis 02:15 Uhr"), "{shown:?}");
    assert!(shown[1].ends_with("23:45 bis 01:45 Uhr"), "{shown:?}");

    // German date format, open end.
    let (_, doc) = app
        .get_html(&format!(
            "/kurse?q=Mitternachtskurs&von={}",
            day.format("%d.%m.%Y")
        ))
        .await;
    assert_eq!(text_of(&doc, ".result-count"), count_line(3));

    let (_, doc) = app
        .get_html(&format!("/kurse?q=Mitternachtskurs&bis={}", iso(before)))
        .await;
    assert_eq!(text_of(&doc, ".result-count"), count_line(1));
    assert!(when(&doc)[0].ends_with("23:45 bis 01:45 Uhr"));

    let (_, doc) = app
        .get_html(&format!("/kurse?q=Mitternachtskurs&von={}", iso(after)))
        .await;
    assert_eq!(text_of(&doc, ".result-count"), count_line(1));
    assert!(when(&doc)[0].ends_with("00:15 bis 02:15 Uhr"));
}

#[tokio::test]
async fn pagination_keeps_the_filters_and_an_overlong_page_number_shows_the_last_page() {
    let app = sqlite_app().await;
    let expected: Vec<Listed> = upcoming(&app, false)
        .await
        .into_iter()
        .filter(|r| r.step_free() && r.offer.target_group == "senioren")
        .collect();
    let total = expected.len();
    assert_eq!(total, 26, "demo data: more than one page");
    let page = |n: usize| -> Vec<&Listed> { expected.iter().skip((n - 1) * 20).take(20).collect() };

    let (status, doc) = app.get_html("/kurse?stufenlos=1&zielgruppe=senioren").await;
    assert_eq!(status, 200);
    assert_eq!(text_of(&doc, ".result-count"), count_line(total));
    assert_eq!(texts(&doc, ".result__title a"), titles(&page(1)));
    assert_eq!(
        text_of(&doc, ".pagination [aria-current=page]"),
        "Seite 1 von 2"
    );
    assert!(select(&doc, ".pagination a[rel=prev]").is_empty());
    let next = attrs(&doc, ".pagination a[rel=next]", "href");
    assert_eq!(next.len(), 1);
    assert_eq!(
        query_pairs(&next[0]),
        (
            "/kurse".to_owned(),
            pairs(&[
                ("stufenlos", "1"),
                ("zielgruppe", "senioren"),
                ("seite", "2")
            ])
        )
    );

    let (status, doc) = app.get_html(&next[0]).await;
    assert_eq!(status, 200);
    assert!(text_of(&doc, "title").contains("Seite 2 von 2"));
    assert_eq!(texts(&doc, ".result__title a"), titles(&page(2)));
    assert_eq!(texts(&doc, ".result__title a").len(), 6);
    assert!(select(&doc, ".pagination a[rel=next]").is_empty());
    let prev = attrs(&doc, ".pagination a[rel=prev]", "href");
    assert_eq!(
        query_pairs(&prev[0]),
        (
            "/kurse".to_owned(),
            pairs(&[
                ("stufenlos", "1"),
                ("zielgruppe", "senioren"),
                ("seite", "1")
            ])
        )
    );

    // Past the end: the last page, not an error or an empty list.
    let (status, doc) = app
        .get_html("/kurse?stufenlos=1&zielgruppe=senioren&seite=999")
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        text_of(&doc, ".pagination [aria-current=page]"),
        "Seite 2 von 2"
    );
    assert_eq!(texts(&doc, ".result__title a"), titles(&page(2)));

    // Few results: no page navigation at all.
    let (_, doc) = app.get_html("/kurse?kreis=16051").await;
    assert_eq!(text_of(&doc, ".result-count"), count_line(8));
    assert!(select(&doc, ".pagination").is_empty());

    // The whole catalogue: 101 listed dates on six pages.
    let (_, doc) = app.get_html("/kurse?seite=999").await;
    assert_eq!(
        text_of(&doc, ".pagination [aria-current=page]"),
        "Seite 6 von 6"
    );
    assert_eq!(select(&doc, ".result").len(), 101 - 5 * 20);

    // A search term with a blank and an umlaut survives in the links.
    let offer = create_offer(&app, "Rätselabend Spezial", Some(ERFURT_ANGER), "published").await;
    for day in 1..=21 {
        create_date(&app, offer.id, DateSpec::in_days(day, 8)).await;
    }
    let (_, doc) = app
        .get_html("/kurse?q=R%C3%A4tselabend+Spezial&frei=1")
        .await;
    assert_eq!(text_of(&doc, ".result-count"), count_line(21));
    let next = attrs(&doc, ".pagination a[rel=next]", "href");
    assert_eq!(
        query_pairs(&next[0]),
        (
            "/kurse".to_owned(),
            pairs(&[("q", "Rätselabend Spezial"), ("frei", "1"), ("seite", "2")])
        )
    );
    let (_, doc) = app.get_html(&next[0]).await;
    assert_eq!(select(&doc, ".result").len(), 1);
    assert_eq!(attrs(&doc, "input#q", "value"), ["Rätselabend Spezial"]);
}

#[tokio::test]
async fn bad_filter_input_is_explained_in_german_and_kept_in_the_form() {
    let app = sqlite_app().await;
    let res = app
        .get("/kurse?q=Tablet&von=gestern&kreis=99999&thema=kochen&stufenlos=1")
        .await;
    assert_eq!(res.status(), 422);
    let doc = scraper::Html::parse_document(&res.text().await.unwrap());
    assert!(text_of(&doc, "title").starts_with("Fehler:"));
    assert_eq!(text_of(&doc, ".error-summary h2"), "Es gibt ein Problem");
    assert_eq!(
        attrs(&doc, ".error-summary a", "href"),
        ["#kreis", "#von", "#thema"]
    );
    assert_eq!(
        texts(&doc, ".error-summary a"),
        [
            "Wählen Sie einen Landkreis oder eine kreisfreie Stadt aus der Liste.",
            "Geben Sie das Datum „von“ so ein: 24.12.2026.",
            "Wählen Sie ein Thema aus der Liste.",
        ]
    );
    // Each link target exists, and the message also stands next to its field.
    for id in ["kreis", "von", "thema"] {
        assert_eq!(select(&doc, &format!("#{id}")).len(), 1, "#{id}");
        assert!(
            select(&doc, &format!("#{id}"))[0]
                .value()
                .attr("aria-describedby")
                .is_some_and(|d| d.contains(&format!("{id}-error"))),
            "#{id} describes its error"
        );
    }
    assert_eq!(
        text_of(&doc, "#von-error"),
        "Fehler: Geben Sie das Datum „von“ so ein: 24.12.2026."
    );
    assert_eq!(
        text_of(&doc, "#thema-error"),
        "Fehler: Wählen Sie ein Thema aus der Liste."
    );
    // What was entered is still there, except what a date field cannot hold (that would be
    // invalid HTML; the message says what was wrong); nothing is listed.
    assert_eq!(attrs(&doc, "input#q", "value"), ["Tablet"]);
    assert_eq!(attrs(&doc, "input#von", "value"), [""]);
    assert_eq!(select(&doc, "#stufenlos[checked]").len(), 1);
    assert!(select(&doc, ".result").is_empty());
    assert!(select(&doc, ".result-count").is_empty());

    // An end before the start.
    let res = app
        .get("/kurse?von=2030-12-10&bis=2030-12-01&ort=Jena")
        .await;
    assert_eq!(res.status(), 422);
    let doc = scraper::Html::parse_document(&res.text().await.unwrap());
    assert_eq!(attrs(&doc, ".error-summary a", "href"), ["#bis"]);
    assert_eq!(
        text_of(&doc, "#bis-error"),
        "Fehler: Das Datum „bis“ muss nach dem Datum „von“ liegen."
    );
    assert_eq!(attrs(&doc, "input#von", "value"), ["2030-12-10"]);
    assert_eq!(attrs(&doc, "input#bis", "value"), ["2030-12-01"]);
    assert_eq!(attrs(&doc, "input#ort", "value"), ["Jena"]);

    // Nonsense page numbers are not errors.
    for seite in ["0", "-3", "zwei"] {
        let (status, _) = app.get_html(&format!("/kurse?seite={seite}")).await;
        assert_eq!(status, 200, "seite={seite}");
    }
}

// =============================================================================================
// 2. An offer's page
// =============================================================================================

#[tokio::test]
async fn an_offer_page_shows_every_upcoming_date_the_place_and_how_to_book() {
    let app = sqlite_app().await;
    let slug = "videotelefonie-mit-der-familie-gera";
    let rows: Vec<Listed> = upcoming(&app, true)
        .await
        .into_iter()
        .filter(|r| r.offer.slug == slug)
        .collect();
    assert_eq!(rows.len(), 4);
    let place = rows[0].venue.clone().expect("a venue");
    // One date is cancelled: it stays on the page, marked, without a booking link.
    let cancelled = rows[1].date.id;
    set_date(&app, cancelled, |d| d.status = Set(DateStatus::Cancelled)).await;

    let (status, doc) = app.get_html(&format!("/kurse/{slug}")).await;
    assert_eq!(status, 200);
    assert_eq!(text_of(&doc, "h1"), rows[0].offer.title);
    assert_eq!(select(&doc, ".date-list__item").len(), 4);
    let booking_links: Vec<String> = rows
        .iter()
        .filter(|r| r.date.id != cancelled)
        .map(|r| form_path(slug, r.date.id))
        .collect();
    assert_eq!(
        attrs(&doc, ".date-list__item a.button", "href"),
        booking_links
    );
    assert_eq!(
        attrs(&doc, ".date-list__item a[href^=\"/kalender/\"]", "href"),
        rows.iter()
            .map(|r| format!("/kalender/termin/{}.ics", r.date.id))
            .collect::<Vec<_>>()
    );
    let items = texts(&doc, ".date-list__item");
    assert!(
        items[1].contains("Dieser Termin ist abgesagt."),
        "{}",
        items[1]
    );
    assert!(items[0].contains("Platz buchen"), "{}", items[0]);

    assert_eq!(
        text_parts(&doc, ".address"),
        [
            place.name.clone(),
            place.street.clone(),
            format!("{} {}", place.postal_code, place.town)
        ]
    );
    assert_eq!(place.street, "Zeulsdorfer Straße 54");
    assert_eq!(
        attrs(&doc, ".address a", "href"),
        [format!("/orte/{}", place.slug)]
    );
    let text = page_text(&doc);
    assert!(!place.directions.is_empty());
    assert!(text.contains(&squash(&place.directions)), "directions");
    assert_eq!(
        texts(&doc, "main .feature-list li"),
        [
            "Stufenloser Zugang: ja",
            "Barrierefreie Toilette: ja",
            "Induktive Höranlage: ja"
        ]
    );
    assert!(text.contains(&squash(&place.accessibility_notes)));

    // A venue with steps says so.
    let (status, doc) = app.get_html("/kurse/mein-erstes-smartphone-gera").await;
    assert_eq!(status, 200);
    assert_eq!(
        texts(&doc, "main .feature-list li"),
        [
            "Stufenloser Zugang: nein",
            "Barrierefreie Toilette: nein",
            "Induktive Höranlage: nein"
        ]
    );
}

#[tokio::test]
async fn unknown_and_unpublished_offers_are_not_found() {
    let app = sqlite_app().await;
    assert_eq!(app.get("/kurse/gibt-es-nicht").await.status(), 404);
    let draft = create_offer(&app, "Entwurf Geheimkurs", Some(ERFURT_ANGER), "draft").await;
    create_date(&app, draft.id, DateSpec::in_days(5, 8)).await;
    assert_eq!(
        app.get(&format!("/kurse/{}", draft.slug)).await.status(),
        404
    );
    let (_, doc) = app.get_html("/kurse?q=Geheimkurs").await;
    assert_eq!(text_of(&doc, ".result-count"), count_line(0));
    // Once published it is there.
    let mut active: offer::ActiveModel = draft.clone().into();
    active.status = Set(OfferStatus::Published);
    active.update(&app.db).await.unwrap();
    assert_eq!(
        app.get(&format!("/kurse/{}", draft.slug)).await.status(),
        200
    );
}

#[tokio::test]
async fn a_draft_offers_dates_are_not_reachable_by_address() {
    let app = sqlite_app().await;
    let draft = create_offer(&app, "Entwurf Geheimkurs", Some(ERFURT_ANGER), "draft").await;
    let date_id = create_date(&app, draft.id, DateSpec::in_days(5, 8)).await;
    assert_eq!(
        app.get(&form_path(&draft.slug, date_id)).await.status(),
        404
    );
    assert_eq!(
        app.get(&format!("/kalender/termin/{date_id}.ics"))
            .await
            .status(),
        404
    );
}

// =============================================================================================
// 3. Booking by form
// =============================================================================================

on_both_backends!(
    booking_by_form_confirms_and_mails_the_calendar_entry,
    |app| {
        let title = "Smartphone-Treff für Einsteiger";
        let (slug, date_id) = course_with_date(&app, title, DateSpec::in_days(6, 8)).await;
        let (status, doc) = app.get_html(&form_path(&slug, date_id)).await;
        assert_eq!(status, 200);
        assert_eq!(text_of(&doc, "h1"), "Platz buchen");
        assert_eq!(attrs(&doc, "#places option", "value"), ["1", "2", "3", "4"]);

        let hidden = ready_to_book(&app, &slug, date_id).await;
        let res = post_booking(
            &app,
            &hidden,
            &slug,
            date_id,
            &[
                ("name", "Erika Muster"),
                ("email", "Erika.Muster@Example.de"),
                ("phone", "0361 654321"),
                ("places", "2"),
            ],
        )
        .await;
        let page = booking_page_of(&res);
        let (status, doc) = app.get_html(&page).await;
        assert_eq!(status, 200);
        assert_eq!(text_of(&doc, "h1"), "Ihr Platz ist gebucht");
        let text = page_text(&doc);
        assert!(text.contains("Erika Muster"));
        assert!(text.contains("erika.muster@example.de"));

        let stored = bookings_of_date(&app, date_id).await;
        assert_eq!(stored.len(), 1);
        assert_eq!(
            (
                stored[0].status.key(),
                stored[0].places,
                stored[0].channel.as_str()
            ),
            ("confirmed", 2, "online")
        );
        assert_eq!(date_row(&app, date_id).await.booked_places, 2);

        let mails = mails_to(&app, "erika.muster@example.de").await;
        assert_eq!(
            subjects(&mails),
            [format!("Ihr Platz ist gebucht: {title}")]
        );
        let mail = &mails[0];
        assert!(
            mail.text.contains(&format!("http://teilhabe.test{page}")),
            "link to the booking page in {}",
            mail.text
        );
        assert_eq!(mail.calendars.len(), 1, "one calendar attachment");
        let ics = &mail.calendars[0];
        for needle in [
            "BEGIN:VEVENT",
            "DTSTART;TZID=Europe/Berlin:",
            "BEGIN:VALARM",
            "BEGIN:VTIMEZONE",
        ] {
            assert!(ics.contains(needle), "{needle} in {ics}");
        }
        let calendar = parse_calendar(ics);
        let date = date_row(&app, date_id).await;
        assert_eq!(
            value_of(&calendar.events[0].properties, "DTSTART"),
            berlin_stamp(date.starts_at)
        );
        assert_eq!(calendar.events[0].alarms.len(), 1);

        // The person's own calendar file from the booking page has the reminder too.
        let ics = get_calendar(&app, &format!("{page}/termin.ics")).await;
        let calendar = parse_calendar(&ics);
        assert_eq!(calendar.events.len(), 1);
        let event = &calendar.events[0];
        assert_eq!(event.alarms.len(), 1, "VALARM");
        assert_eq!(value_of(&event.alarms[0].properties, "ACTION"), "DISPLAY");
        assert_eq!(value_of(&event.alarms[0].properties, "TRIGGER"), "-P1D");
        assert_eq!(value_of(&event.properties, "SUMMARY"), title);
        assert_eq!(
            tzid_of(&event.properties, "DTSTART").as_deref(),
            Some("Europe/Berlin")
        );
    }
);

// Someone signed in who books for a caller or a relative: the booking is the other person's, not
// the account's (their data in its download, the account's deletion cancelling it).
on_both_backends!(a_booking_for_another_address_is_not_the_accounts, |app| {
    let (slug, date_id) = course_with_date(&app, "Tablet-Treff", DateSpec::in_days(6, 8)).await;
    let (email, password) = ("buergerin@demo.teilhabe.example", "Demo-Buergerin-2026");
    assert_eq!(app.login(email, password).await.status(), 303);
    let hidden = ready_to_book(&app, &slug, date_id).await;
    for (name, address, phone) in [
        ("Nachbarin Nina", "nachbarin@example.org", "0361 777888"),
        ("Bürgerin", "Buergerin@Demo.Teilhabe.Example", ""),
    ] {
        let res = post_booking(
            &app,
            &hidden,
            &slug,
            date_id,
            &[
                ("name", name),
                ("email", address),
                ("phone", phone),
                ("places", "1"),
            ],
        )
        .await;
        booking_page_of(&res);
    }
    let account = teilhabe::db::entities::user::Entity::find()
        .filter(teilhabe::db::entities::user::Column::Email.eq(email))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let stored = bookings_of_date(&app, date_id).await;
    let owner = |address: &str| {
        stored
            .iter()
            .find(|b| b.email.as_deref() == Some(address))
            .unwrap()
            .user_id
    };
    assert_eq!(owner("nachbarin@example.org"), None);
    assert_eq!(
        owner(email),
        Some(account.id),
        "one's own booking stays the account's"
    );
    let data = app.get("/konto/daten").await.text().await.unwrap();
    assert!(
        !data.contains("nachbarin@example.org") && !data.contains("777888"),
        "{data}"
    );
    let res = app.submit("/konto/loeschen", "/konto/loeschen", &[]).await;
    assert_eq!(res.headers()["location"], "/konto/geloescht");
    let after = bookings_of_date(&app, date_id).await;
    let neighbours = after
        .iter()
        .find(|b| b.email.as_deref() == Some("nachbarin@example.org"))
        .unwrap();
    assert_eq!(
        neighbours.status,
        BookingStatus::Confirmed,
        "not cancelled with the account"
    );
});

/// The hidden field only bots fill in: nothing is booked, and the answer tells the bot nothing.
#[tokio::test]
async fn a_booking_with_the_hidden_field_filled_in_books_nothing() {
    let app = sqlite_app().await;
    let (slug, date_id) = course_with_date(&app, "Tablet-Kurs", DateSpec::in_days(6, 8)).await;
    let hidden = ready_to_book(&app, &slug, date_id).await;
    let res = post_booking(
        &app,
        &hidden,
        &slug,
        date_id,
        &[
            ("name", "Erika Muster"),
            ("email", "erika@example.de"),
            ("places", "1"),
            ("website", "http://spam.example"),
        ],
    )
    .await;
    assert_eq!(res.status(), 404);
    assert!(bookings_of_date(&app, date_id).await.is_empty());
}

on_both_backends!(
    booking_a_full_date_joins_the_waiting_list_and_says_so,
    |app| {
        let title = "Videoanrufe mit den Enkeln";
        let (slug, date_id) = course_with_date(&app, title, DateSpec::in_days(6, 1)).await;
        desk_book(&app, date_id, "Anna", "1", Channel::Online).await;
        desk_book(&app, date_id, "Bernd", "1", Channel::Online).await;

        let (_, doc) = app.get_html(&format!("/kurse/{slug}")).await;
        assert_eq!(
            texts(&doc, ".date-list__item .places"),
            ["Ausgebucht – Warteliste möglich"]
        );
        assert_eq!(
            texts(&doc, ".date-list__item a.button"),
            [format!(
                "Auf die Warteliste: {}",
                date_row(&app, date_id)
                    .await
                    .starts_at
                    .with_timezone(&Berlin)
                    .format("%d.%m.%Y")
            )]
        );
        let (_, doc) = app.get_html(&form_path(&slug, date_id)).await;
        assert!(text_of(&doc, "main .notice").starts_with("Alle Plätze sind vergeben."));
        assert_eq!(
            text_of(&doc, "main form button[type=submit]"),
            "Auf die Warteliste"
        );

        let hidden = ready_to_book(&app, &slug, date_id).await;
        let res = post_booking(
            &app,
            &hidden,
            &slug,
            date_id,
            &[
                ("name", "Clara"),
                ("email", "clara@example.de"),
                ("places", "1"),
            ],
        )
        .await;
        let page = booking_page_of(&res);
        let (_, doc) = app.get_html(&page).await;
        assert_eq!(text_of(&doc, "h1"), "Sie stehen auf der Warteliste");
        assert_eq!(
            text_of(&doc, "p.lead"),
            "Sie sind auf Platz 2 der Warteliste. Wir schreiben Ihnen, sobald ein Platz für Sie frei wird."
        );
        let stored = bookings_of_date(&app, date_id).await;
        assert_eq!(
            stored.iter().map(|b| b.status.key()).collect::<Vec<_>>(),
            ["confirmed", "waitlisted", "waitlisted"]
        );
        assert_eq!(date_row(&app, date_id).await.booked_places, 1);
        let mails = mails_to(&app, "clara@example.de").await;
        assert_eq!(
            subjects(&mails),
            [format!("Sie stehen auf der Warteliste: {title}")]
        );
        assert!(
            mails[0]
                .text
                .contains(&format!("http://teilhabe.test{page}"))
        );
        assert!(
            mails[0].calendars.is_empty(),
            "no calendar entry without a place"
        );
    }
);

// =============================================================================================
// 4. Bad input on the booking form
// =============================================================================================

on_both_backends!(
    bad_booking_input_is_explained_at_the_field_and_stores_nothing,
    |app| {
        let spec = DateSpec {
            max_places: 2,
            ..DateSpec::in_days(8, 10)
        };
        let (slug, date_id) = course_with_date(&app, "Tablet-Stammtisch", spec).await;
        let hidden = ready_to_book(&app, &slug, date_id).await;
        let ok = [
            ("name", "Erika Muster"),
            ("email", "erika@example.de"),
            ("phone", "0361 123456"),
            ("places", "1"),
        ];
        let with =
            |field: &'static str, value: &'static str| -> Vec<(&'static str, &'static str)> {
                ok.iter()
                    .map(|(k, v)| if *k == field { (*k, value) } else { (*k, *v) })
                    .collect()
            };
        // (form as sent, field with the error, message)
        type Case<'a> = (Vec<(&'a str, &'a str)>, &'a str, &'a str);
        let cases: Vec<Case> = vec![
            (with("name", "   "), "name", "Geben Sie Ihren Namen ein."),
            (
                with("email", "erika(at)example"),
                "email",
                "Geben Sie eine E-Mail-Adresse im richtigen Format ein, zum Beispiel name@beispiel.de.",
            ),
            (
                vec![
                    ("name", "Erika Muster"),
                    ("email", ""),
                    ("phone", ""),
                    ("places", "1"),
                ],
                "email",
                "Geben Sie eine E-Mail-Adresse oder eine Telefonnummer an, damit wir Sie erreichen können.",
            ),
            (
                with("places", "0"),
                "places",
                "Buchen Sie mindestens einen Platz.",
            ),
            (
                with("places", "11"),
                "places",
                "Sie können höchstens 10 Plätze auf einmal buchen.",
            ),
            (
                with("places", "zwei"),
                "places",
                "Geben Sie die Zahl der Plätze als Ziffer ein, zum Beispiel 2.",
            ),
            (
                with("places", "3"),
                "places",
                "Für diesen Termin können Sie höchstens 2 Plätze auf einmal buchen.",
            ),
        ];
        for (form, field, message) in &cases {
            let res = post_booking(&app, &hidden, &slug, date_id, form).await;
            assert_eq!(res.status(), 422, "{form:?}");
            let doc = scraper::Html::parse_document(&res.text().await.unwrap());
            assert!(text_of(&doc, "title").starts_with("Fehler:"), "{form:?}");
            assert_eq!(
                text_of(&doc, &format!("#{field}-error")),
                format!("Fehler: {message}"),
                "{form:?}"
            );
            assert_eq!(
                attrs(&doc, ".error-summary a", "href"),
                [format!("#{field}")],
                "{form:?}"
            );
            if *field != "places" {
                // The summary repeats the message (see the separate test for the places limit).
                assert_eq!(texts(&doc, ".error-summary a"), [*message], "{form:?}");
            }
            assert_eq!(
                select(&doc, &format!("#{field}"))[0]
                    .value()
                    .attr("aria-invalid"),
                Some("true")
            );
            // What the person typed is still there.
            let sent = |name: &str| form.iter().find(|(k, _)| *k == name).unwrap().1;
            for input in ["name", "email", "phone"] {
                assert_eq!(
                    attrs(&doc, &format!("input#{input}"), "value"),
                    [sent(input).to_owned()],
                    "{input} kept for {form:?}"
                );
            }
            assert_eq!(booking_count(&app, date_id).await, 0, "{form:?}");
        }

        // The same address cannot book the same date twice.
        let res = post_booking(&app, &hidden, &slug, date_id, &ok).await;
        booking_page_of(&res);
        let res = post_booking(
            &app,
            &hidden,
            &slug,
            date_id,
            &[
                ("name", "Erika M."),
                ("email", " ERIKA@example.de "),
                ("places", "1"),
            ],
        )
        .await;
        assert_eq!(res.status(), 422);
        let doc = scraper::Html::parse_document(&res.text().await.unwrap());
        assert_eq!(
            text_of(&doc, "#email-error"),
            "Fehler: Mit dieser E-Mail-Adresse ist dieser Termin schon gebucht. Den Link zu dieser Buchung finden Sie in Ihrem E-Mail-Postfach. Wir schicken ihn höchstens einmal in der Stunde noch einmal an diese Adresse."
        );
        assert_eq!(attrs(&doc, ".error-summary a", "href"), ["#email"]);
        assert_eq!(attrs(&doc, "input#name", "value"), ["Erika M."]);
        assert_eq!(booking_count(&app, date_id).await, 1);
        assert_eq!(date_row(&app, date_id).await.booked_places, 1);
    }
);

#[tokio::test]
async fn the_error_summary_names_the_dates_place_limit() {
    let app = sqlite_app().await;
    let spec = DateSpec {
        max_places: 2,
        ..DateSpec::in_days(8, 10)
    };
    let (slug, date_id) = course_with_date(&app, "Tablet-Stammtisch", spec).await;
    let hidden = ready_to_book(&app, &slug, date_id).await;
    let res = post_booking(
        &app,
        &hidden,
        &slug,
        date_id,
        &[
            ("name", "Erika"),
            ("email", "erika@example.de"),
            ("places", "3"),
        ],
    )
    .await;
    assert_eq!(res.status(), 422);
    let doc = scraper::Html::parse_document(&res.text().await.unwrap());
    assert_eq!(
        texts(&doc, ".error-summary a"),
        ["Für diesen Termin können Sie höchstens 2 Plätze auf einmal buchen."]
    );
}

on_both_backends!(
    past_and_cancelled_dates_explain_why_and_store_nothing,
    |app| {
        let offer = create_offer(
            &app,
            "Sicher im Netz am Abend",
            Some(ERFURT_ANGER),
            "published",
        )
        .await;
        let open = create_date(&app, offer.id, DateSpec::in_days(5, 8)).await;
        let past = create_date(&app, offer.id, DateSpec::in_days(-2, 8)).await;
        let cancelled = create_date(
            &app,
            offer.id,
            DateSpec {
                status: "cancelled",
                ..DateSpec::in_days(6, 8)
            },
        )
        .await;
        let hidden = ready_to_book(&app, &offer.slug, open).await;
        for (date_id, reason) in [
            (
                past,
                "Dieser Termin hat schon begonnen oder ist vorbei. Er kann nicht mehr gebucht werden.",
            ),
            (cancelled, "Dieser Termin wurde abgesagt."),
        ] {
            let res = post_booking(
                &app,
                &hidden,
                &offer.slug,
                date_id,
                &[
                    ("name", "Erika"),
                    ("email", "erika@example.de"),
                    ("places", "1"),
                ],
            )
            .await;
            let status = res.status();
            assert!(!status.is_redirection() && status != 500, "{status}");
            let doc = scraper::Html::parse_document(&res.text().await.unwrap());
            assert!(
                text_of(&doc, "main .notice[role=alert]").starts_with(reason),
                "{reason}"
            );
            assert_eq!(
                attrs(&doc, "main .notice a", "href"),
                [format!("/kurse/{}", offer.slug)],
                "a way to the other dates"
            );
            assert!(select(&doc, "main form[method=post]").is_empty(), "no form");
            assert_eq!(booking_count(&app, date_id).await, 0);
        }
        // The offer page offers no booking for either.
        let (_, doc) = app.get_html(&format!("/kurse/{}", offer.slug)).await;
        assert_eq!(
            attrs(&doc, ".date-list__item a.button", "href"),
            [form_path(&offer.slug, open)]
        );
        assert!(mails_to(&app, "erika@example.de").await.is_empty());
    }
);

#[tokio::test]
async fn the_booking_form_of_a_past_or_cancelled_date_explains_it_at_once() {
    let app = sqlite_app().await;
    let offer = create_offer(
        &app,
        "Sicher im Netz am Abend",
        Some(ERFURT_ANGER),
        "published",
    )
    .await;
    let past = create_date(&app, offer.id, DateSpec::in_days(-2, 8)).await;
    let cancelled = create_date(
        &app,
        offer.id,
        DateSpec {
            status: "cancelled",
            ..DateSpec::in_days(6, 8)
        },
    )
    .await;
    for (date_id, reason) in [
        (
            past,
            "Dieser Termin hat schon begonnen oder ist vorbei. Er kann nicht mehr gebucht werden.",
        ),
        (cancelled, "Dieser Termin wurde abgesagt."),
    ] {
        let (status, doc) = app.get_html(&form_path(&offer.slug, date_id)).await;
        assert_eq!(status, 200);
        assert!(select(&doc, "main form[method=post]").is_empty(), "no form");
        assert!(text_of(&doc, "main .notice").starts_with(reason));
    }
}

#[tokio::test]
async fn unknown_dates_and_dates_of_another_offer_are_not_found() {
    let app = sqlite_app().await;
    let (slug, date_id) =
        course_with_date(&app, "Fotos verschicken", DateSpec::in_days(5, 8)).await;
    let (other_slug, other_date) =
        course_with_date(&app, "Fotos bearbeiten", DateSpec::in_days(5, 8)).await;
    let hidden = ready_to_book(&app, &slug, date_id).await;
    let form = [
        ("name", "Erika"),
        ("email", "erika@example.de"),
        ("places", "1"),
    ];
    for (s, id) in [
        (slug.as_str(), 999_999),
        (slug.as_str(), other_date),
        (other_slug.as_str(), date_id),
        ("gibt-es-nicht", date_id),
    ] {
        assert_eq!(
            app.get(&form_path(s, id)).await.status(),
            404,
            "GET {s}/{id}"
        );
        assert_eq!(
            post_booking(&app, &hidden, s, id, &form).await.status(),
            404,
            "POST {s}/{id}"
        );
    }
    assert_eq!(
        app.get("/kurse/x/termine/keine-zahl/buchen").await.status(),
        404
    );
    assert_eq!(booking_count(&app, date_id).await, 0);
    assert_eq!(booking_count(&app, other_date).await, 0);
    // An unknown booking link.
    assert_eq!(app.get("/buchung/unbekannt").await.status(), 404);
    let csrf = hidden
        .iter()
        .find(|(k, _)| k == "csrf_token")
        .unwrap()
        .1
        .clone();
    assert_eq!(
        app.post_form("/buchung/unbekannt/absagen", &[("csrf_token", &csrf)])
            .await
            .status(),
        404
    );
}

// =============================================================================================
// 5. Cancelling by link
// =============================================================================================

// The provider cancels the date: the person's page says so, offers no cancelling of its own (which
// would send a second, contradicting mail), and a form opened before changes nothing.
on_both_backends!(
    a_booking_of_a_cancelled_date_says_so_and_cannot_be_cancelled,
    |app| {
        let title = "Sicher einkaufen im Internet";
        let (slug, date_id) = course_with_date(&app, title, DateSpec::in_days(4, 2)).await;
        let hidden = ready_to_book(&app, &slug, date_id).await;
        let res = post_booking(
            &app,
            &hidden,
            &slug,
            date_id,
            &[
                ("name", "Anna"),
                ("email", "anna@example.de"),
                ("places", "1"),
            ],
        )
        .await;
        let anna = booking_page_of(&res);
        let csrf = app.csrf_token(&anna).await;
        let bernd = desk_book(&app, date_id, "Bernd", "1", Channel::Online).await;
        app.desk()
            .cancel(&bernd.cancel_token, Utc::now())
            .await
            .unwrap();
        app.desk()
            .cancel_date(date_id, Utc::now(), None)
            .await
            .unwrap();
        let mails_before = subjects(&mails_to(&app, "anna@example.de").await)
            .into_iter()
            .map(str::to_owned)
            .collect::<Vec<_>>();
        assert_eq!(
            mails_before.last().unwrap(),
            &format!("Termin abgesagt: {title}")
        );
        // The mail offers the booking's page to look at, not to cancel, and says what the
        // calendar file does now.
        let told = mails_to(&app, "anna@example.de").await.pop().unwrap();
        assert!(told.text.contains("Buchung ansehen:"), "{}", told.text);
        assert!(
            !told.text.contains("absagen") && !told.text.contains("sagen Sie bitte"),
            "{}",
            told.text
        );
        assert!(
            told.text
                .contains("Damit verschwindet der Termin auch dort.")
        );

        let (_, doc) = app.get_html(&anna).await;
        assert_eq!(text_of(&doc, "h1"), "Dieser Termin ist abgesagt");
        assert!(
            select(&doc, ".confirmation").is_empty(),
            "{}",
            page_text(&doc)
        );
        assert!(select(&doc, "main form").is_empty(), "nothing to cancel");
        assert!(select(&doc, "a[href$='termin.ics']").is_empty());

        let res = app
            .post_form(&format!("{anna}/absagen"), &[("csrf_token", &csrf)])
            .await;
        assert_eq!(res.status(), 303);
        assert_eq!(heading(&app, &anna).await, "Dieser Termin ist abgesagt");
        assert_eq!(
            subjects(&mails_to(&app, "anna@example.de").await),
            mails_before,
            "no second mail"
        );
        assert_eq!(
            bookings_of_date(&app, date_id)
                .await
                .iter()
                .map(|b| b.status.key())
                .collect::<Vec<_>>(),
            ["confirmed", "cancelled"],
            "the bookings stay as the cancellation left them"
        );

        // Nor can staff cancel it (a list opened before the date was cancelled).
        let booking_id = bookings_of_date(&app, date_id).await[0].id;
        let staff = user_id(&app, "anbieter@demo.teilhabe.example").await;
        let refused = app
            .desk()
            .cancel_by_staff(booking_id, staff, Utc::now())
            .await;
        assert!(
            matches!(
                refused,
                Err(teilhabe::services::booking::BookingError::DateCancelled)
            ),
            "{refused:?}"
        );
        assert_eq!(
            subjects(&mails_to(&app, "anna@example.de").await),
            mails_before,
            "no mail from staff either"
        );

        // The API says why.
        let token = anna.trim_start_matches("/buchung/");
        let res = app
            .client
            .delete(app.url(&format!("/api/v1/bookings/{token}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 409);
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "date_cancelled", "{body}");
        // A booking cancelled before its date was: that is what the API says.
        let res = app
            .client
            .delete(app.url(&format!("/api/v1/bookings/{}", bernd.cancel_token)))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 409);
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "already_cancelled", "{body}");
    }
);

on_both_backends!(
    cancelling_by_link_gives_the_place_to_the_first_waiting_person,
    |app| {
        let title = "Onlinebanking am Vormittag";
        let (slug, date_id) = course_with_date(&app, title, DateSpec::in_days(4, 1)).await;
        let hidden = ready_to_book(&app, &slug, date_id).await;
        let res = post_booking(
            &app,
            &hidden,
            &slug,
            date_id,
            &[
                ("name", "Anna"),
                ("email", "anna@example.de"),
                ("places", "1"),
            ],
        )
        .await;
        let anna = booking_page_of(&res);
        let bernd = desk_book(&app, date_id, "Bernd", "1", Channel::Online).await;
        let clara = desk_book(&app, date_id, "Clara", "1", Channel::Online).await;
        let bernd_page = format!("/buchung/{}", bernd.cancel_token);
        let clara_page = format!("/buchung/{}", clara.cancel_token);

        let (_, doc) = app.get_html(&anna).await;
        assert_eq!(
            attrs(&doc, "main form", "action"),
            [format!("{anna}/absagen")]
        );
        let csrf = app.csrf_token(&anna).await;
        let res = cancel_by_link(&app, &anna).await;
        assert_eq!(res.status(), 303);
        assert_eq!(res.headers()["location"], anna.as_str());
        let (_, doc) = app.get_html(&anna).await;
        assert_eq!(text_of(&doc, "h1"), "Diese Buchung ist abgesagt");
        assert!(
            select(&doc, "main form").is_empty(),
            "nothing left to cancel"
        );

        assert_eq!(heading(&app, &bernd_page).await, "Ihr Platz ist gebucht");
        let (_, doc) = app.get_html(&clara_page).await;
        assert_eq!(text_of(&doc, "h1"), "Sie stehen auf der Warteliste");
        assert!(text_of(&doc, "p.lead").starts_with("Sie sind auf Platz 1 der Warteliste."));
        assert_eq!(date_row(&app, date_id).await.booked_places, 1);

        let bernd_mails = mails_to(&app, "bernd@example.de").await;
        assert_eq!(
            subjects(&bernd_mails),
            [
                format!("Sie stehen auf der Warteliste: {title}"),
                format!("Ein Platz ist frei geworden: {title}")
            ]
        );
        assert!(
            bernd_mails[1]
                .text
                .contains(&format!("http://teilhabe.test{bernd_page}"))
        );
        assert_eq!(bernd_mails[1].calendars.len(), 1);
        assert_eq!(
            subjects(&mails_to(&app, "anna@example.de").await),
            [
                format!("Ihr Platz ist gebucht: {title}"),
                format!("Ihre Buchung ist abgesagt: {title}")
            ]
        );
        assert_eq!(
            subjects(&mails_to(&app, "clara@example.de").await),
            [format!("Sie stehen auf der Warteliste: {title}")]
        );

        // Cancelling again (say, from a second tab) changes nothing and sends nothing.
        let res = app
            .post_form(&format!("{anna}/absagen"), &[("csrf_token", &csrf)])
            .await;
        assert_eq!(res.status(), 303);
        assert_eq!(heading(&app, &anna).await, "Diese Buchung ist abgesagt");
        assert_eq!(heading(&app, &bernd_page).await, "Ihr Platz ist gebucht");
        assert_eq!(date_row(&app, date_id).await.booked_places, 1);
        assert_eq!(mails_to(&app, "anna@example.de").await.len(), 2);
        assert_eq!(
            bookings_of_date(&app, date_id)
                .await
                .iter()
                .map(|b| b.status.key())
                .collect::<Vec<_>>(),
            ["cancelled", "confirmed", "waitlisted"]
        );
        // The cancelled booking's calendar file withdraws the event.
        let ics = get_calendar(&app, &format!("{anna}/termin.ics")).await;
        assert_eq!(
            value_of(&parse_calendar(&ics).events[0].properties, "STATUS"),
            "CANCELLED"
        );
    }
);

/// UID, SEQUENCE, STATUS of the first event and METHOD of a calendar file.
fn calendar_entry(ics: &str) -> (String, i32, String, String) {
    let calendar = parse_calendar(ics);
    let event = &calendar.events[0].properties;
    (
        value_of(event, "UID"),
        value_of(event, "SEQUENCE").parse().unwrap(),
        value_of(event, "STATUS"),
        value_of(&calendar.properties, "METHOD"),
    )
}

on_both_backends!(cancelling_withdraws_the_entry_people_imported, |app| {
    let title = "Fotos am Smartphone ordnen";
    let (_, date_id) = course_with_date(&app, title, DateSpec::in_days(5, 4)).await;
    let anna = desk_book(&app, date_id, "Anna", "1", Channel::Online).await;
    desk_book(&app, date_id, "Bernd", "1", Channel::Online).await;
    let confirmed = mails_to(&app, "anna@example.de").await;
    let (uid, sequence, status, method) = calendar_entry(&confirmed[0].calendars[0]);
    assert_eq!(
        (uid.as_str(), status.as_str(), method.as_str()),
        (
            format!("date-{date_id}@teilhabe.test").as_str(),
            "CONFIRMED",
            "PUBLISH"
        )
    );
    // One UID per date: the public calendar file and feeds use it too.
    let public = get_calendar(&app, &format!("/kalender/termin/{date_id}.ics")).await;
    assert_eq!(calendar_entry(&public).0, uid);

    // Anna cancels: her mail carries a cancellation of the same entry, with a higher SEQUENCE.
    app.desk()
        .cancel(&anna.cancel_token, Utc::now())
        .await
        .unwrap();
    let mails = mails_to(&app, "anna@example.de").await;
    assert_eq!(
        subjects(&mails),
        [
            format!("Ihr Platz ist gebucht: {title}"),
            format!("Ihre Buchung ist abgesagt: {title}")
        ]
    );
    assert_eq!(
        mails[1].calendars.len(),
        1,
        "the cancellation has a calendar file"
    );
    assert_eq!(mails[1].calendar_methods, ["cancel"]);
    let (cancel_uid, cancel_sequence, cancel_status, cancel_method) =
        calendar_entry(&mails[1].calendars[0]);
    assert_eq!(cancel_uid, uid);
    assert!(cancel_sequence > sequence, "{cancel_sequence} > {sequence}");
    assert_eq!(
        (cancel_status.as_str(), cancel_method.as_str()),
        ("CANCELLED", "CANCEL")
    );
    // The calendar file on her booking page says the same.
    let own = get_calendar(&app, &format!("/buchung/{}/termin.ics", anna.cancel_token)).await;
    let (own_uid, own_sequence, own_status, _) = calendar_entry(&own);
    assert_eq!((own_uid, own_status.as_str()), (uid.clone(), "CANCELLED"));
    assert!(own_sequence > sequence);

    // The provider cancels the date: Bernd's entry is withdrawn the same way.
    let before = calendar_entry(&mails_to(&app, "bernd@example.de").await[0].calendars[0]);
    app.desk()
        .cancel_date(date_id, Utc::now(), None)
        .await
        .unwrap();
    let mails = mails_to(&app, "bernd@example.de").await;
    let last = mails.last().unwrap();
    assert_eq!(last.calendar_methods, ["cancel"]);
    let after = calendar_entry(&last.calendars[0]);
    assert_eq!(
        (&after.0, after.2.as_str(), after.3.as_str()),
        (&uid, "CANCELLED", "CANCEL")
    );
    assert!(after.1 > before.1);

    // Every mail says it was sent automatically, so no out-of-office reply comes back.
    for mail in mails_to(&app, "anna@example.de").await.iter().chain(&mails) {
        assert_eq!(mail.auto_submitted, "auto-generated", "{}", mail.subject);
    }
});

/// Moves the date by three hours as the provider's form would (a new revision) and tells the people
/// who booked.
async fn move_date_and_announce(app: &TestApp, date_id: i32) {
    let row = date_row(app, date_id).await;
    set_date(app, date_id, |d| {
        d.starts_at = Set(row.starts_at + Duration::hours(3));
        d.ends_at = Set(row.ends_at + Duration::hours(3));
        d.revision = Set(row.revision + 1);
    })
    .await;
    app.desk()
        .announce_change(date_id, Utc::now())
        .await
        .unwrap();
}

// Someone on the waiting list has no place yet: a change of the date reaches them in words only,
// with no calendar entry that would look like a confirmed place, and their booking has no calendar
// file. Once they move up, they get the entry.
on_both_backends!(the_waiting_list_gets_no_calendar_entry, |app| {
    let title = "Tablet für Einsteiger";
    let (_, date_id) = course_with_date(&app, title, DateSpec::in_days(5, 1)).await;
    let anna = desk_book(&app, date_id, "Anna", "1", Channel::Online).await;
    let clara = desk_book(&app, date_id, "Clara", "1", Channel::Online).await;
    assert_eq!(clara.status, BookingStatus::Waitlisted);
    move_date_and_announce(&app, date_id).await;

    let mails = mails_to(&app, "anna@example.de").await;
    let last = mails.last().unwrap();
    assert_eq!(last.subject, format!("Termin geändert: {title}"));
    assert_eq!(last.calendars.len(), 1, "Anna has a place");
    let mails = mails_to(&app, "clara@example.de").await;
    assert_eq!(
        subjects(&mails),
        [
            format!("Sie stehen auf der Warteliste: {title}"),
            format!("Termin geändert: {title}")
        ]
    );
    for mail in &mails {
        assert!(mail.calendars.is_empty(), "{}: no calendar", mail.subject);
    }
    // Nor do the words point to an attachment.
    for mail in &mails {
        assert!(!mail.text.contains("Anhang"), "{}", mail.text);
    }
    let clara_page = format!("/buchung/{}", clara.cancel_token);
    assert_eq!(
        app.get(&format!("{clara_page}/termin.ics")).await.status(),
        404
    );
    let (_, doc) = app.get_html(&clara_page).await;
    assert!(attrs(&doc, "a[href$=\"termin.ics\"]", "href").is_empty());

    // Anna cancels, Clara moves up and gets her confirmed entry.
    app.desk()
        .cancel(&anna.cancel_token, Utc::now())
        .await
        .unwrap();
    let mails = mails_to(&app, "clara@example.de").await;
    let last = mails.last().unwrap();
    assert_eq!(
        last.subject,
        format!("Ein Platz ist frei geworden: {title}")
    );
    assert_eq!(calendar_entry(&last.calendars[0]).2, "CONFIRMED");
    let own = get_calendar(&app, &format!("{clara_page}/termin.ics")).await;
    assert_eq!(calendar_entry(&own).2, "CONFIRMED");
});

// A person who cancels and books the same date again: the new confirmation carries the date's UID
// like the cancellation did, so it must come with a higher SEQUENCE, or calendars keep the entry
// withdrawn.
on_both_backends!(booking_again_after_cancelling_restores_the_entry, |app| {
    let title = "Online-Banking sicher nutzen";
    let (_, date_id) = course_with_date(&app, title, DateSpec::in_days(5, 4)).await;
    let first = desk_book(&app, date_id, "Anna", "1", Channel::Online).await;
    app.desk()
        .cancel(&first.cancel_token, Utc::now())
        .await
        .unwrap();
    let again = desk_book(&app, date_id, "Anna", "1", Channel::Online).await;
    let mails = mails_to(&app, "anna@example.de").await;
    assert_eq!(
        subjects(&mails),
        [
            format!("Ihr Platz ist gebucht: {title}"),
            format!("Ihre Buchung ist abgesagt: {title}"),
            format!("Ihr Platz ist gebucht: {title}")
        ]
    );
    let confirmed = calendar_entry(&mails[0].calendars[0]);
    let cancelled = calendar_entry(&mails[1].calendars[0]);
    let rebooked = calendar_entry(&mails[2].calendars[0]);
    assert_eq!(cancelled.2, "CANCELLED");
    assert!(cancelled.1 > confirmed.1);
    assert_eq!(
        (rebooked.2.as_str(), rebooked.3.as_str()),
        ("CONFIRMED", "PUBLISH")
    );
    assert!(
        rebooked.0 != cancelled.0 || rebooked.1 > cancelled.1,
        "{rebooked:?} replaces {cancelled:?}"
    );
    // The new booking's own file says the same; the old one's still withdraws.
    let own = calendar_entry(
        &get_calendar(&app, &format!("/buchung/{}/termin.ics", again.cancel_token)).await,
    );
    assert_eq!(own, rebooked);
    let old = calendar_entry(
        &get_calendar(&app, &format!("/buchung/{}/termin.ics", first.cancel_token)).await,
    );
    assert_eq!(old, cancelled);

    // A change of the date raises the SEQUENCE of the new booking's entry again.
    move_date_and_announce(&app, date_id).await;
    let mails = mails_to(&app, "anna@example.de").await;
    let changed = calendar_entry(&mails.last().unwrap().calendars[0]);
    assert_eq!(changed.2, "CONFIRMED");
    assert!(changed.1 > rebooked.1);
});

// =============================================================================================
// 6. An offer of fewer places holds the queue
// =============================================================================================

struct Queue {
    title: &'static str,
    slug: String,
    date_id: i32,
    b: Booked,
    c: Booked,
    d: Booked,
}

/// Capacity 3: A books 2 and B 1 (full); C waits for 2, then D for 1.
async fn full_date_with_queue(app: &TestApp) -> Queue {
    let title = "Behördengänge online erledigen";
    let (slug, date_id) = course_with_date(app, title, DateSpec::morning_in_days(9, 3)).await;
    let a = desk_book(app, date_id, "Anna", "2", Channel::Online).await;
    let b = desk_book(app, date_id, "Bernd", "1", Channel::Online).await;
    let c = desk_book(app, date_id, "Clara", "2", Channel::Online).await;
    let d = desk_book(app, date_id, "Dieter", "1", Channel::Online).await;
    assert_eq!(
        [a.status, b.status, c.status, d.status],
        [
            BookingStatus::Confirmed,
            BookingStatus::Confirmed,
            BookingStatus::Waitlisted,
            BookingStatus::Waitlisted
        ]
    );
    assert_eq!(date_row(app, date_id).await.booked_places, 3);
    Queue {
        title,
        slug,
        date_id,
        b,
        c,
        d,
    }
}

fn page_of(booked: &Booked) -> String {
    format!("/buchung/{}", booked.cancel_token)
}

/// B cancels: one place is free, C (who needs two) is offered it, D must not overtake.
async fn b_cancels_and_c_is_offered_one_place(app: &TestApp, q: &Queue) {
    assert_eq!(cancel_by_link(app, &page_of(&q.b)).await.status(), 303);
    assert_eq!(date_row(app, q.date_id).await.booked_places, 2);

    let (_, doc) = app.get_html(&page_of(&q.c)).await;
    assert_eq!(text_of(&doc, "h1"), "Sie stehen auf der Warteliste");
    assert_eq!(
        text_of(&doc, ".panel h2"),
        "Für Sie ist ein Platz frei geworden"
    );
    assert!(
        text_of(&doc, ".panel p").starts_with(
            "Sie wollten 2 Plätze. Frei ist jetzt 1 Platz. Wir halten ihn für Sie bis"
        ),
        "{}",
        text_of(&doc, ".panel p")
    );
    assert_eq!(
        attrs(&doc, ".panel form", "action"),
        [format!("{}/angebot", page_of(&q.c))]
    );
    assert_eq!(
        texts(&doc, ".panel button[name=answer]"),
        ["1 Platz annehmen", "Nein, weiter auf alle Plätze warten"]
    );
    assert_eq!(
        attrs(&doc, ".panel button[name=answer]", "value"),
        ["annehmen", "ablehnen"]
    );
    let c_mails = mails_to(app, "clara@example.de").await;
    assert_eq!(
        subjects(&c_mails).last().copied(),
        Some(format!("Wir halten Plätze für Sie: {}", q.title).as_str())
    );
    assert!(c_mails.last().unwrap().text.contains(&page_of(&q.c)));
    assert!(
        c_mails
            .last()
            .unwrap()
            .text
            .contains("es ist 1 Platz frei geworden"),
        "one place, in the singular: {}",
        c_mails.last().unwrap().text
    );

    // D keeps waiting behind C and is told nothing new.
    let (_, doc) = app.get_html(&page_of(&q.d)).await;
    assert_eq!(text_of(&doc, "h1"), "Sie stehen auf der Warteliste");
    assert!(text_of(&doc, "p.lead").starts_with("Sie sind auf Platz 2 der Warteliste."));
    assert!(select(&doc, ".panel").is_empty());
    assert_eq!(
        subjects(&mails_to(app, "dieter@example.de").await),
        [format!("Sie stehen auf der Warteliste: {}", q.title)]
    );
    let c_row = &bookings_of_date(app, q.date_id).await[2];
    assert_eq!(c_row.offered_places, Some(1));
    assert!(c_row.offer_expires_at.is_some_and(|t| t > Utc::now()));
}

on_both_backends!(
    declining_an_offer_of_fewer_places_lets_the_next_person_move_up,
    |app| {
        let q = full_date_with_queue(&app).await;
        b_cancels_and_c_is_offered_one_place(&app, &q).await;

        let res = answer_offer(&app, &page_of(&q.c), "ablehnen").await;
        assert_eq!(res.status(), 303);
        assert_eq!(res.headers()["location"], page_of(&q.c).as_str());
        assert_eq!(heading(&app, &page_of(&q.d)).await, "Ihr Platz ist gebucht");
        assert_eq!(
            subjects(&mails_to(&app, "dieter@example.de").await)
                .last()
                .copied(),
            Some(format!("Ein Platz ist frei geworden: {}", q.title).as_str())
        );
        let (_, doc) = app.get_html(&page_of(&q.c)).await;
        assert_eq!(text_of(&doc, "h1"), "Sie stehen auf der Warteliste");
        assert!(text_of(&doc, "p.lead").starts_with("Sie sind auf Platz 1 der Warteliste."));
        assert!(select(&doc, ".panel").is_empty(), "no offer any more");
        assert_eq!(date_row(&app, q.date_id).await.booked_places, 3);
        assert_eq!(
            bookings_of_date(&app, q.date_id)
                .await
                .iter()
                .map(|b| (b.status.key(), b.places))
                .collect::<Vec<_>>(),
            [
                ("confirmed", 2),
                ("cancelled", 1),
                ("waitlisted", 2),
                ("confirmed", 1)
            ]
        );
    }
);

on_both_backends!(accepting_an_offer_books_the_offered_places, |app| {
    let q = full_date_with_queue(&app).await;
    b_cancels_and_c_is_offered_one_place(&app, &q).await;

    let res = answer_offer(&app, &page_of(&q.c), "annehmen").await;
    assert_eq!(res.status(), 303);
    let (_, doc) = app.get_html(&page_of(&q.c)).await;
    assert_eq!(text_of(&doc, "h1"), "Ihr Platz ist gebucht");
    assert!(select(&doc, ".panel").is_empty());
    assert_eq!(
        summary_value(&doc, "Plätze").as_deref(),
        Some("1"),
        "one place now"
    );
    let date = date_row(&app, q.date_id).await;
    assert_eq!(date.booked_places, 3);
    assert_eq!(date.booked_places, date.capacity);
    let c_row = &bookings_of_date(&app, q.date_id).await[2];
    assert_eq!(
        (c_row.status.key(), c_row.places, c_row.offered_places),
        ("confirmed", 1, None)
    );
    assert_eq!(
        subjects(&mails_to(&app, "clara@example.de").await)
            .last()
            .copied(),
        Some(format!("Ihr Platz ist gebucht: {}", q.title).as_str())
    );
    // D is now first in line, still waiting.
    let (_, doc) = app.get_html(&page_of(&q.d)).await;
    assert!(text_of(&doc, "p.lead").starts_with("Sie sind auf Platz 1 der Warteliste."));
    // A second answer changes nothing.
    assert_eq!(
        answer_offer(&app, &page_of(&q.c), "annehmen")
            .await
            .status(),
        303
    );
    assert_eq!(date_row(&app, q.date_id).await.booked_places, 3);
});

// Places freed while an offer is open wait behind it (C asked for 3, was offered 1, then 2 were
// free); once C takes the 1, the place left over goes on down the list at once: no job would pick
// the date up later, as no offer has expired.
on_both_backends!(
    places_freed_during_an_open_offer_move_on_once_it_is_accepted,
    |app| {
        let title = "Behördengänge online erledigen";
        let (_, date_id) = course_with_date(&app, title, DateSpec::morning_in_days(9, 3)).await;
        desk_book(&app, date_id, "Anna", "1", Channel::Online).await;
        let b = desk_book(&app, date_id, "Bernd", "1", Channel::Online).await;
        let e = desk_book(&app, date_id, "Emil", "1", Channel::Online).await;
        let c = desk_book(&app, date_id, "Clara", "3", Channel::Online).await;
        let d = desk_book(&app, date_id, "Dieter", "1", Channel::Online).await;
        assert_eq!([c.status, d.status], [BookingStatus::Waitlisted; 2]);

        app.desk()
            .cancel(&b.cancel_token, Utc::now())
            .await
            .unwrap();
        app.desk()
            .cancel(&e.cancel_token, Utc::now())
            .await
            .unwrap();
        // C's open offer holds the queue: D does not overtake it.
        let rows = bookings_of_date(&app, date_id).await;
        assert_eq!(rows[3].offered_places, Some(1));
        assert_eq!(rows[4].status, BookingStatus::Waitlisted);
        assert_eq!(date_row(&app, date_id).await.booked_places, 1);

        let answered = app
            .desk()
            .answer_offer(&c.cancel_token, true, Utc::now())
            .await
            .unwrap();
        assert_eq!(answered, BookingStatus::Confirmed);
        assert_eq!(
            bookings_of_date(&app, date_id)
                .await
                .iter()
                .map(|b| (b.status.key(), b.places))
                .collect::<Vec<_>>(),
            [
                ("confirmed", 1),
                ("cancelled", 1),
                ("cancelled", 1),
                ("confirmed", 1),
                ("confirmed", 1)
            ]
        );
        assert_eq!(date_row(&app, date_id).await.booked_places, 3);
        assert_eq!(heading(&app, &page_of(&d)).await, "Ihr Platz ist gebucht");
        assert_eq!(
            subjects(&mails_to(&app, "dieter@example.de").await)
                .last()
                .copied(),
            Some(format!("Ein Platz ist frei geworden: {title}").as_str())
        );
    }
);

on_both_backends!(an_unanswered_offer_expires_and_the_places_move_on, |app| {
    let q = full_date_with_queue(&app).await;
    b_cancels_and_c_is_offered_one_place(&app, &q).await;
    // Nothing happens while the offer is open.
    assert_eq!(app.desk().expire_offers(Utc::now()).await.unwrap(), 0);
    assert_eq!(
        heading(&app, &page_of(&q.d)).await,
        "Sie stehen auf der Warteliste"
    );

    let c_row = bookings_of_date(&app, q.date_id).await.remove(2);
    assert_eq!(c_row.id, q.c.booking_id);
    let mut active: booking::ActiveModel = c_row.into();
    active.offer_expires_at = Set(Some(Utc::now() - Duration::minutes(5)));
    active.update(&app.db).await.unwrap();

    assert_eq!(app.desk().expire_offers(Utc::now()).await.unwrap(), 1);
    assert_eq!(heading(&app, &page_of(&q.d)).await, "Ihr Platz ist gebucht");
    assert_eq!(
        subjects(&mails_to(&app, "dieter@example.de").await)
            .last()
            .copied(),
        Some(format!("Ein Platz ist frei geworden: {}", q.title).as_str())
    );
    let (_, doc) = app.get_html(&page_of(&q.c)).await;
    assert_eq!(text_of(&doc, "h1"), "Sie stehen auf der Warteliste");
    assert!(
        select(&doc, ".panel").is_empty(),
        "the expired offer is gone"
    );
    assert_eq!(date_row(&app, q.date_id).await.booked_places, 3);
    // Too late to accept now.
    assert_eq!(
        answer_offer(&app, &page_of(&q.c), "annehmen")
            .await
            .status(),
        303
    );
    assert_eq!(date_row(&app, q.date_id).await.booked_places, 3);
    assert_eq!(
        bookings_of_date(&app, q.date_id).await[2].status,
        BookingStatus::Waitlisted
    );
    // Running it again promotes nobody twice.
    assert_eq!(app.desk().expire_offers(Utc::now()).await.unwrap(), 0);
});

// The jobs did not run for more than a day (a database outage, jobs switched off everywhere): the
// places of an offer that expired meanwhile still move on when they run again.
on_both_backends!(an_offer_that_expired_days_ago_still_moves_on, |app| {
    let q = full_date_with_queue(&app).await;
    b_cancels_and_c_is_offered_one_place(&app, &q).await;
    let c_row = bookings_of_date(&app, q.date_id).await.remove(2);
    let mut active: booking::ActiveModel = c_row.into();
    active.offer_expires_at = Set(Some(Utc::now() - Duration::hours(30)));
    active.update(&app.db).await.unwrap();

    assert_eq!(app.desk().expire_offers(Utc::now()).await.unwrap(), 1);
    assert_eq!(heading(&app, &page_of(&q.d)).await, "Ihr Platz ist gebucht");
    // Nothing left to pass on: the next runs do nothing.
    assert_eq!(app.desk().expire_offers(Utc::now()).await.unwrap(), 0);
});

#[tokio::test]
async fn a_place_held_for_an_offer_is_not_advertised_as_free() {
    let app = sqlite_app().await;
    let q = full_date_with_queue(&app).await;
    app.desk()
        .cancel(&q.b.cancel_token, Utc::now())
        .await
        .unwrap();
    let (_, doc) = app.get_html(&format!("/kurse/{}", q.slug)).await;
    let shown = texts(&doc, ".date-list__item .places");
    let booked = desk_book(&app, q.date_id, "Erwin", "1", Channel::Online).await;
    assert_eq!(
        booked.status,
        BookingStatus::Waitlisted,
        "the place is held for C"
    );
    assert_eq!(shown, ["Ausgebucht – Warteliste möglich"]);
}

// =============================================================================================
// 7. Calendar files and feeds
// =============================================================================================

#[tokio::test]
async fn a_dates_calendar_file_is_valid_icalendar_in_berlin_time() {
    let app = sqlite_app().await;
    let row = upcoming(&app, false)
        .await
        .into_iter()
        .find(|r| r.offer.slug == "videotelefonie-mit-der-familie-gera")
        .unwrap();
    let ics = get_calendar(&app, &format!("/kalender/termin/{}.ics", row.date.id)).await;
    let calendar = parse_calendar(&ics);
    assert_eq!(value_of(&calendar.properties, "VERSION"), "2.0");
    assert_eq!(calendar.timezones.len(), 1, "VTIMEZONE");
    assert_eq!(
        value_of(&calendar.timezones[0].properties, "TZID"),
        "Europe/Berlin"
    );
    assert_eq!(calendar.events.len(), 1);
    let event = &calendar.events[0];
    assert_eq!(
        value_of(&event.properties, "UID"),
        format!("date-{}@teilhabe.test", row.date.id)
    );
    assert_eq!(
        tzid_of(&event.properties, "DTSTART").as_deref(),
        Some("Europe/Berlin")
    );
    assert_eq!(
        value_of(&event.properties, "DTSTART"),
        berlin_stamp(row.date.starts_at)
    );
    assert_eq!(
        value_of(&event.properties, "DTEND"),
        berlin_stamp(row.date.ends_at)
    );
    assert_eq!(value_of(&event.properties, "SUMMARY"), row.offer.title);
    assert_eq!(value_of(&event.properties, "STATUS"), "CONFIRMED");
    assert!(value_of(&event.properties, "LOCATION").contains("Zeulsdorfer Straße 54"));
    assert!(event.alarms.is_empty(), "a public date has no reminder");
    assert!(ics.contains("DTSTART;TZID=Europe/Berlin:"));

    for path in ["/kalender/termin/999999.ics", "/kalender/termin/abc.ics"] {
        assert_eq!(app.get(path).await.status(), 404, "{path}");
    }
}

#[tokio::test]
async fn feeds_hold_only_matching_dates_and_announce_cancellations() {
    let app = sqlite_app().await;
    let erfurt: Vec<Listed> = upcoming(&app, true)
        .await
        .into_iter()
        .filter(|r| r.district() == "16051")
        .collect();
    let cancelled = erfurt[0].date.id;
    set_date(&app, cancelled, |d| d.status = Set(DateStatus::Cancelled)).await;
    let all = upcoming(&app, true).await;
    let status_of = |r: &Listed| {
        if r.date.status == DateStatus::Cancelled {
            "CANCELLED".to_owned()
        } else {
            "CONFIRMED".to_owned()
        }
    };
    let expect = |keep: &dyn Fn(&Listed) -> bool| -> BTreeSet<(i32, String)> {
        all.iter()
            .filter(|r| keep(r))
            .map(|r| (r.date.id, status_of(r)))
            .collect()
    };

    let feed = feed_events(&get_calendar(&app, "/kalender/kreis/16051.ics").await);
    assert_eq!(feed, expect(&|r| r.district() == "16051"));
    assert_eq!(feed.len(), 8);
    assert!(feed.contains(&(cancelled, "CANCELLED".to_owned())));
    assert_eq!(feed.iter().filter(|(_, s)| s == "CANCELLED").count(), 1);

    let ics = get_calendar(&app, "/kalender/thema/videotelefonie.ics").await;
    assert_eq!(
        value_of(&parse_calendar(&ics).properties, "X-WR-CALNAME"),
        "Teilhabe: Videotelefonie"
    );
    let feed = feed_events(&ics);
    assert_eq!(feed, expect(&|r| r.offer.topic == "videotelefonie"));
    assert_eq!(feed.len(), 17);

    let feed = feed_events(&get_calendar(&app, &format!("/kalender/ort/{ERFURT_ANGER}.ics")).await);
    assert_eq!(
        feed,
        expect(&|r| r.venue.as_ref().is_some_and(|v| v.slug == ERFURT_ANGER))
    );
    assert_eq!(feed.len(), 3);

    // A cancelled date stays out of the catalogue, though.
    let (_, doc) = app.get_html("/kurse?kreis=16051").await;
    assert_eq!(text_of(&doc, ".result-count"), count_line(7));
}

// A subscribed calendar deletes what a feed no longer lists: a date that is running, or ended a
// few weeks ago, stays in the feeds; one that ended long ago is dropped.
on_both_backends!(feeds_keep_running_and_recent_dates, |app| {
    let (_, running) = course_with_date(
        &app,
        "Läuft gerade",
        DateSpec::at(Utc::now() - Duration::minutes(30), 4),
    )
    .await;
    let (_, recent) = course_with_date(
        &app,
        "Vor einem Monat",
        DateSpec::at(Utc::now() - Duration::days(30), 4),
    )
    .await;
    let (_, old) = course_with_date(
        &app,
        "Vor einem Vierteljahr",
        DateSpec::at(Utc::now() - Duration::days(90), 4),
    )
    .await;
    let (_, coming) = course_with_date(&app, "Kommt noch", DateSpec::in_days(3, 4)).await;
    for feed in [
        "/kalender/kreis/16051.ics".to_owned(),
        format!("/kalender/ort/{ERFURT_ANGER}.ics"),
        "/kalender/kurse.ics?kreis=16051".to_owned(),
    ] {
        let ids: BTreeSet<i32> = feed_events(&get_calendar(&app, &feed).await)
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        for id in [running, recent, coming] {
            assert!(ids.contains(&id), "{feed} keeps date {id}");
        }
        assert!(!ids.contains(&old), "{feed} drops the old date");
    }
    // The catalogue itself lists only what is still to come.
    let (_, doc) = app.get_html("/kurse?kreis=16051").await;
    let text = page_text(&doc);
    assert!(text.contains("Kommt noch"));
    assert!(!text.contains("Läuft gerade"));
});

#[tokio::test]
async fn unknown_feeds_are_not_found() {
    let app = sqlite_app().await;
    for path in [
        "/kalender/stadt/erfurt.ics",
        "/kalender/kreis/99999.ics",
        "/kalender/kreis/erfurt.ics",
        "/kalender/thema/kochen.ics",
        "/kalender/ort/gibt-es-nicht.ics",
    ] {
        assert_eq!(app.get(path).await.status(), 404, "{path}");
    }
    assert_eq!(
        app.get(&format!("/kalender/ort/{GERA_REICHSSTRASSE}.ics"))
            .await
            .status(),
        200
    );
}

// The access link of an online course goes only to the people who booked it: the date's public
// file and the feeds say "Online"; the confirmation, the booking page and the booking's own calendar
// file carry the link, and someone on the waiting list does not get it yet.
on_both_backends!(an_online_courses_link_is_not_in_public_calendars, |app| {
    let title = "Videosprechstunde üben";
    let offer = create_offer(&app, title, None, "published").await;
    let date_id = create_date(&app, offer.id, DateSpec::in_days(5, 1)).await;
    let link = "https://konferenz.example/raum";

    let public = get_calendar(&app, &format!("/kalender/termin/{date_id}.ics")).await;
    assert!(!public.contains("konferenz.example"), "{public}");
    assert_eq!(
        value_of(&parse_calendar(&public).events[0].properties, "LOCATION"),
        "Online"
    );
    for feed in [
        "/kalender/thema/smartphone-grundlagen.ics",
        "/kalender/kurse.ics?thema=smartphone-grundlagen",
    ] {
        let ics = get_calendar(&app, feed).await;
        assert!(
            feed_events(&ics).iter().any(|(id, _)| *id == date_id),
            "{feed} lists the date"
        );
        assert!(!ics.contains("konferenz.example"), "{feed}: {ics}");
    }

    let anna = desk_book(&app, date_id, "Anna", "1", Channel::Online).await;
    let mails = mails_to(&app, "anna@example.de").await;
    assert!(mails[0].text.contains(link), "{}", mails[0].text);
    assert!(mails[0].calendars[0].contains(link));
    let page = format!("/buchung/{}", anna.cancel_token);
    let (_, doc) = app.get_html(&page).await;
    assert!(page_text(&doc).contains(link));
    let own = get_calendar(&app, &format!("{page}/termin.ics")).await;
    assert_eq!(
        value_of(&parse_calendar(&own).events[0].properties, "LOCATION"),
        link
    );

    // Bernd waits: no link for him yet.
    let bernd = desk_book(&app, date_id, "Bernd", "1", Channel::Online).await;
    assert_eq!(bernd.status, BookingStatus::Waitlisted);
    let mails = mails_to(&app, "bernd@example.de").await;
    assert!(!mails[0].text.contains("konferenz.example"));
    let (_, doc) = app
        .get_html(&format!("/buchung/{}", bernd.cancel_token))
        .await;
    assert!(!page_text(&doc).contains("konferenz.example"));
});

// =============================================================================================
// 8. The printable programme
// =============================================================================================

#[tokio::test]
async fn the_printable_programme_lists_a_venues_or_districts_dates_in_a_table() {
    let app = sqlite_app().await;
    let today = berlin_today();
    let month_end = today
        .checked_add_months(chrono::Months::new(1))
        .unwrap()
        .pred_opt()
        .unwrap();
    let in_month = |r: &Listed| {
        let day = r.date.starts_at.with_timezone(&Berlin).date_naive();
        day >= today && day <= month_end
    };
    let all = upcoming(&app, false).await;

    let (status, doc) = app
        .get_html(&format!(
            "/kurse/programm?ort={ERFURT_ANGER}&zeitraum=monat"
        ))
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        text_of(&doc, "h1"),
        "Programm: Probierladen Digital am Anger"
    );
    let expected: Vec<&Listed> = all
        .iter()
        .filter(|r| r.venue.as_ref().is_some_and(|v| v.slug == ERFURT_ANGER) && in_month(r))
        .collect();
    assert_eq!(expected.len(), 3);
    let rows = select(&doc, "table.programme tbody tr");
    assert_eq!(rows.len(), 3);
    assert_eq!(
        texts(&doc, "table.programme tbody tr td:nth-child(2) strong"),
        titles(&expected)
    );
    let places: Vec<Vec<String>> = select(&doc, "table.programme tbody tr td:nth-child(3)")
        .iter()
        .map(|td| td.text().map(squash).filter(|t| !t.is_empty()).collect())
        .collect();
    assert_eq!(
        places,
        vec![
            vec![
                "Probierladen Digital am Anger".to_owned(),
                "Anger 52, Erfurt".to_owned()
            ];
            3
        ]
    );
    assert_eq!(
        text_of(&doc, "p.lead"),
        format!(
            "Termine vom {} bis zum {}",
            today.format("%d.%m.%Y"),
            month_end.format("%d.%m.%Y")
        )
    );
    assert_eq!(
        attrs(&doc, "#ort option[selected]", "value"),
        [ERFURT_ANGER]
    );
    assert_eq!(
        attrs(&doc, "#zeitraum option[selected]", "value"),
        ["monat"]
    );
    assert!(text_of(&doc, ".programme__footer").contains("http://teilhabe.test/kurse"));

    let (status, doc) = app
        .get_html("/kurse/programm?kreis=16052&zeitraum=monat")
        .await;
    assert_eq!(status, 200);
    assert_eq!(text_of(&doc, "h1"), "Programm: Gera");
    let expected: Vec<&Listed> = all
        .iter()
        .filter(|r| r.district() == "16052" && in_month(r))
        .collect();
    assert_eq!(expected.len(), 9);
    assert_eq!(
        texts(&doc, "table.programme tbody tr td:nth-child(2) strong"),
        titles(&expected)
    );

    // A week from a chosen day.
    let from = today.checked_add_days(Days::new(7)).unwrap();
    let (_, doc) = app
        .get_html(&format!(
            "/kurse/programm?ort={ERFURT_ANGER}&zeitraum=woche&ab={}",
            from.format("%Y-%m-%d")
        ))
        .await;
    let week_end = from.checked_add_days(Days::new(6)).unwrap();
    let expected: Vec<&Listed> = all
        .iter()
        .filter(|r| {
            let day = r.date.starts_at.with_timezone(&Berlin).date_naive();
            r.venue.as_ref().is_some_and(|v| v.slug == ERFURT_ANGER)
                && day >= from
                && day <= week_end
        })
        .collect();
    assert_eq!(expected.len(), 2, "days 7 and 9");
    assert_eq!(
        texts(&doc, "table.programme tbody tr td:nth-child(2) strong"),
        titles(&expected)
    );

    // Without a venue or district: just the form.
    let (status, doc) = app.get_html("/kurse/programm").await;
    assert_eq!(status, 200);
    assert_eq!(text_of(&doc, "h1"), "Programm");
    assert_eq!(select(&doc, "form[action=\"/kurse/programm\"]").len(), 1);
    assert!(select(&doc, "table").is_empty());
    assert!(select(&doc, ".programme__footer").is_empty());
    assert!(attrs(&doc, "#ort option", "value").contains(&ERFURT_ANGER.to_owned()));
}

#[tokio::test]
async fn an_empty_programme_says_there_are_no_dates() {
    let app = sqlite_app().await;
    let far = berlin_today().checked_add_days(Days::new(200)).unwrap();
    let (status, doc) = app
        .get_html(&format!(
            "/kurse/programm?ort={ERFURT_ANGER}&ab={}",
            far.format("%Y-%m-%d")
        ))
        .await;
    assert_eq!(status, 200);
    assert!(
        page_text(&doc).contains("In diesem Zeitraum gibt es hier keine Termine."),
        "explains the empty period"
    );
}

// =============================================================================================
// 9. Places kept for people who walk in
// =============================================================================================

on_both_backends!(
    walk_in_places_are_kept_for_the_counter_until_released,
    |app| {
        let spec = DateSpec {
            walk_in_places: 2,
            walk_in_release_at: Some(Utc::now() + Duration::days(2)),
            ..DateSpec::in_days(5, 4)
        };
        let (slug, date_id) = course_with_date(&app, "Sprechstunde am Tresen", spec).await;
        let a = desk_book(&app, date_id, "Anna", "1", Channel::Online).await;
        let b = desk_book(&app, date_id, "Bernd", "1", Channel::Online).await;
        assert_eq!([a.status, b.status], [BookingStatus::Confirmed; 2]);
        // Online the date is now full …
        let (_, doc) = app.get_html(&format!("/kurse/{slug}")).await;
        assert_eq!(
            texts(&doc, ".date-list__item .places"),
            ["Ausgebucht – Warteliste möglich"]
        );
        // … while the counter can still give out both kept places.
        let s1 = desk_book(&app, date_id, "Walter Tresen", "1", Channel::Staff).await;
        let s2 = desk_book(&app, date_id, "Wilma Tresen", "1", Channel::Staff).await;
        assert_eq!([s1.status, s2.status], [BookingStatus::Confirmed; 2]);
        assert_eq!(date_row(&app, date_id).await.booked_places, 4);
        let c = desk_book(&app, date_id, "Clara", "1", Channel::Online).await;
        assert_eq!(
            (c.status, c.waiting_position),
            (BookingStatus::Waitlisted, Some(1))
        );
        let s3 = desk_book(&app, date_id, "Werner Tresen", "1", Channel::Staff).await;
        assert_eq!(
            s3.status,
            BookingStatus::Waitlisted,
            "never more than the capacity"
        );
        assert_eq!(date_row(&app, date_id).await.booked_places, 4);

        // Another date: once the kept places are released, they can be booked online.
        let title = "Sprechstunde am Nachmittag";
        let spec = DateSpec {
            walk_in_places: 2,
            walk_in_release_at: Some(Utc::now() + Duration::days(2)),
            ..DateSpec::in_days(5, 4)
        };
        let (slug, date_id) = course_with_date(&app, title, spec).await;
        let hidden = ready_to_book(&app, &slug, date_id).await;
        let res = post_booking(
            &app,
            &hidden,
            &slug,
            date_id,
            &[
                ("name", "Anna"),
                ("email", "anna@example.de"),
                ("places", "2"),
            ],
        )
        .await;
        booking_page_of(&res);
        let (_, doc) = app.get_html("/kurse?q=Sprechstunde+am+Nachmittag").await;
        assert_eq!(
            texts(&doc, ".result .places"),
            ["Ausgebucht – Warteliste möglich"]
        );
        let (_, doc) = app
            .get_html("/kurse?q=Sprechstunde+am+Nachmittag&frei=1")
            .await;
        assert_eq!(text_of(&doc, ".result-count"), count_line(0));

        set_date(&app, date_id, |d| {
            d.walk_in_release_at = Set(Some(Utc::now() - Duration::minutes(1)))
        })
        .await;
        let (_, doc) = app.get_html("/kurse?q=Sprechstunde+am+Nachmittag").await;
        assert_eq!(texts(&doc, ".result .places"), ["Noch 2 Plätze frei"]);
        let (_, doc) = app
            .get_html("/kurse?q=Sprechstunde+am+Nachmittag&frei=1")
            .await;
        assert_eq!(text_of(&doc, ".result-count"), count_line(1));
        let res = post_booking(
            &app,
            &hidden,
            &slug,
            date_id,
            &[
                ("name", "Bernd"),
                ("email", "bernd@example.de"),
                ("places", "2"),
            ],
        )
        .await;
        let page = booking_page_of(&res);
        assert_eq!(heading(&app, &page).await, "Ihr Platz ist gebucht");
        assert_eq!(date_row(&app, date_id).await.booked_places, 4);
    }
);

on_both_backends!(
    free_places_filter_drops_full_dates_and_wording_follows_the_places,
    |app| {
        let offer =
            create_offer(&app, "Kniffelkurs digital", Some(ERFURT_ANGER), "published").await;
        let full = create_date(&app, offer.id, DateSpec::in_days(3, 2)).await;
        let open = create_date(&app, offer.id, DateSpec::in_days(4, 3)).await;
        desk_book(&app, full, "Anna", "2", Channel::Online).await;
        desk_book(&app, open, "Bernd", "2", Channel::Online).await;

        let (_, doc) = app.get_html("/kurse?q=Kniffelkurs").await;
        assert_eq!(text_of(&doc, ".result-count"), count_line(2));
        assert_eq!(
            texts(&doc, ".result .places"),
            ["Ausgebucht – Warteliste möglich", "Noch 1 Platz frei"]
        );
        assert_eq!(select(&doc, ".result .places--full").len(), 1);

        let (_, doc) = app.get_html("/kurse?q=Kniffelkurs&frei=1").await;
        assert_eq!(text_of(&doc, ".result-count"), count_line(1));
        assert_eq!(texts(&doc, ".result .places"), ["Noch 1 Platz frei"]);
        assert_eq!(select(&doc, "#frei[checked]").len(), 1);

        // The last place goes: nothing free any more.
        desk_book(&app, open, "Clara", "1", Channel::Online).await;
        let (_, doc) = app.get_html("/kurse?q=Kniffelkurs&frei=1").await;
        assert_eq!(text_of(&doc, ".result-count"), count_line(0));
        // Across the demo catalogue, every date left by `frei=1` has places online.
        let now = Utc::now();
        let free: Vec<String> = upcoming(&app, false)
            .await
            .iter()
            .filter(|r| r.free_online(now) > 0)
            .take(20)
            .map(|r| r.offer.title.clone())
            .collect();
        let (_, doc) = app.get_html("/kurse?frei=1").await;
        assert_eq!(texts(&doc, ".result__title a"), free);
        assert!(
            texts(&doc, ".result .places")
                .iter()
                .all(|p| p.starts_with("Noch"))
        );
    }
);

#[tokio::test]
async fn the_online_waiting_list_does_not_block_walk_in_places() {
    let app = sqlite_app().await;
    let spec = DateSpec {
        walk_in_places: 2,
        walk_in_release_at: Some(Utc::now() + Duration::days(2)),
        ..DateSpec::in_days(5, 4)
    };
    let (_, date_id) = course_with_date(&app, "Sprechstunde am Tresen", spec).await;
    desk_book(&app, date_id, "Anna", "1", Channel::Online).await;
    desk_book(&app, date_id, "Bernd", "1", Channel::Online).await;
    let c = desk_book(&app, date_id, "Clara", "1", Channel::Online).await;
    assert_eq!(c.status, BookingStatus::Waitlisted);
    // Clara waits for an online place; the kept places are not hers until they are released.
    let s1 = desk_book(&app, date_id, "Walter Tresen", "1", Channel::Staff).await;
    let s2 = desk_book(&app, date_id, "Wilma Tresen", "1", Channel::Staff).await;
    assert_eq!([s1.status, s2.status], [BookingStatus::Confirmed; 2]);
    assert_eq!(date_row(&app, date_id).await.booked_places, 4);
}

// Counter bookings that push the booked places past the online limit must still leave the place
// offered to Clara: it is hers until she answers, whoever asks for it meanwhile.
on_both_backends!(counter_bookings_leave_the_places_of_an_open_offer, |app| {
    let spec = DateSpec {
        walk_in_places: 2,
        walk_in_release_at: Some(Utc::now() + Duration::days(2)),
        ..DateSpec::in_days(5, 4)
    };
    let (_, date_id) = course_with_date(&app, "Sprechstunde am Tresen", spec).await;
    desk_book(&app, date_id, "Anna", "1", Channel::Online).await;
    let c = desk_book(&app, date_id, "Clara", "2", Channel::Online).await;
    assert_eq!(c.status, BookingStatus::Waitlisted);
    // The first counter booking finds the free online place and offers it to Clara first.
    let s1 = desk_book(&app, date_id, "Walter Tresen", "1", Channel::Staff).await;
    let clara = |rows: Vec<booking::Model>| rows.into_iter().find(|b| b.id == c.booking_id);
    assert_eq!(
        clara(bookings_of_date(&app, date_id).await).and_then(|b| b.offered_places),
        Some(1)
    );
    let s2 = desk_book(&app, date_id, "Wilma Tresen", "1", Channel::Staff).await;
    assert_eq!([s1.status, s2.status], [BookingStatus::Confirmed; 2]);
    // Both walk-in places are taken; the last place is held for Clara.
    let s3 = desk_book(&app, date_id, "Willi Tresen", "1", Channel::Staff).await;
    assert_eq!(s3.status, BookingStatus::Waitlisted);
    let kiosk = desk_book(&app, date_id, "Karla", "1", Channel::Kiosk).await;
    assert_eq!(kiosk.status, BookingStatus::Waitlisted);
    assert_eq!(date_row(&app, date_id).await.booked_places, 3);

    let answered = app
        .desk()
        .answer_offer(&c.cancel_token, true, Utc::now())
        .await
        .expect("the offer is still open");
    assert_eq!(answered, BookingStatus::Confirmed);
    let row = clara(bookings_of_date(&app, date_id).await).expect("Clara's booking");
    assert_eq!((row.status, row.places), (BookingStatus::Confirmed, 1));
    assert_eq!(date_row(&app, date_id).await.booked_places, 4);
});

// The waiting list itself respects an open offer: Paula, ahead in the queue but past her own offer,
// gets a freed place only beyond the one held for Erik.
on_both_backends!(
    an_earlier_entry_does_not_take_the_places_of_an_open_offer,
    |app| {
        let (_, date_id) =
            course_with_date(&app, "Handy-Sprechstunde", DateSpec::in_days(6, 3)).await;
        desk_book(&app, date_id, "Anna", "1", Channel::Online).await;
        let b = desk_book(&app, date_id, "Bernd", "1", Channel::Online).await;
        let f = desk_book(&app, date_id, "Frieda", "1", Channel::Online).await;
        let p = desk_book(&app, date_id, "Paula", "2", Channel::Online).await;
        let e = desk_book(&app, date_id, "Erik", "3", Channel::Online).await;
        let desk = app.desk();
        desk.cancel(&b.cancel_token, Utc::now()).await.unwrap();
        // Paula declines the one place; it is offered to Erik.
        let declined = desk.answer_offer(&p.cancel_token, false, Utc::now()).await;
        assert_eq!(declined.unwrap(), BookingStatus::Waitlisted);
        // Two places are free now, but one of them is Erik's until he answers.
        desk.cancel(&f.cancel_token, Utc::now()).await.unwrap();
        let rows = bookings_of_date(&app, date_id).await;
        assert_eq!(
            (rows[3].status, rows[4].offered_places),
            (BookingStatus::Waitlisted, Some(1))
        );
        assert_eq!(date_row(&app, date_id).await.booked_places, 1);
        let accepted = desk.answer_offer(&e.cancel_token, true, Utc::now()).await;
        assert_eq!(accepted.unwrap(), BookingStatus::Confirmed);
        assert_eq!(date_row(&app, date_id).await.booked_places, 2);
    }
);

#[tokio::test]
async fn released_walk_in_places_go_to_the_waiting_list() {
    let app = sqlite_app().await;
    let spec = DateSpec {
        walk_in_places: 2,
        walk_in_release_at: Some(Utc::now() + Duration::days(2)),
        ..DateSpec::in_days(5, 4)
    };
    let (_, date_id) = course_with_date(&app, "Sprechstunde am Tresen", spec).await;
    desk_book(&app, date_id, "Anna", "1", Channel::Online).await;
    desk_book(&app, date_id, "Bernd", "1", Channel::Online).await;
    let c = desk_book(&app, date_id, "Clara", "1", Channel::Online).await;
    assert_eq!(c.status, BookingStatus::Waitlisted);
    set_date(&app, date_id, |d| {
        d.walk_in_release_at = Set(Some(Utc::now() - Duration::minutes(1)))
    })
    .await;
    // Someone books the place the catalogue now advertises.
    let e = desk_book(&app, date_id, "Emil", "1", Channel::Online).await;
    let statuses: Vec<String> = bookings_of_date(&app, date_id)
        .await
        .into_iter()
        .map(|b| b.status.key().to_owned())
        .collect();
    assert_eq!(
        statuses,
        ["confirmed", "confirmed", "confirmed", "confirmed"],
        "Clara moved up and Emil got the last place ({:?})",
        e.status
    );
}

// The search text also finds the dates of an organisation by its name and of a place by its town,
// with a period and on both databases (the offers are matched first, then their dates).
on_both_backends!(text_search_finds_organisations_and_towns, |app| {
    let place = demo_venue(&app, ERFURT_ANGER).await;
    let mut organisation: organisation::ActiveModel =
        organisation::Entity::find_by_id(place.organisation_id)
            .one(&app.db)
            .await
            .unwrap()
            .unwrap()
            .into();
    organisation.name = Set("Zauberwerkstatt Quirlbach e. V.".into());
    organisation.update(&app.db).await.unwrap();
    let mut town: venue::ActiveModel = place.clone().into();
    town.town = Set("Bad Wunderbrunn".into());
    town.update(&app.db).await.unwrap();

    let rows = upcoming(&app, false).await;
    let of_organisation = rows
        .iter()
        .filter(|r| r.offer.organisation_id == place.organisation_id)
        .count();
    let in_town = rows
        .iter()
        .filter(|r| r.venue.as_ref().is_some_and(|v| v.id == place.id))
        .count();
    assert!(
        of_organisation > in_town && in_town > 0,
        "{of_organisation} {in_town}"
    );
    for (q, expected) in [
        ("quirlbach", of_organisation),
        ("WUNDERBRUNN", in_town),
        ("zauberwerkstatt wunderbrunn", 0),
    ] {
        let (status, doc) = app.get_html(&format!("/kurse?q={}", url_encode(q))).await;
        assert_eq!(status, 200);
        assert_eq!(text_of(&doc, ".result-count"), count_line(expected), "{q}");
    }
    let last = rows.iter().map(|r| r.date.starts_at).max().unwrap();
    let (_, doc) = app
        .get_html(&format!(
            "/kurse?q=wunderbrunn&bis={}",
            (last + chrono::Duration::days(1))
                .with_timezone(&Berlin)
                .format("%Y-%m-%d")
        ))
        .await;
    assert_eq!(text_of(&doc, ".result-count"), count_line(in_town));
});

// Places offered to the waiting list count against the capacity: staff cannot lower it below the
// booked and offered places, and an offer accepted after the capacity was lowered some other way
// lapses instead of overbooking the date.
on_both_backends!(
    an_open_offer_keeps_the_capacity_from_being_overbooked,
    |app| {
        use teilhabe::services::offer_admin::OfferAdminError;
        let q = full_date_with_queue(&app).await;
        b_cancels_and_c_is_offered_one_place(&app, &q).await;
        let date = date_row(&app, q.date_id).await;
        assert_eq!((date.booked_places, date.capacity), (2, 3));
        let refused = change_date_as_staff(&app.state(), q.date_id, with_capacity(&date, 2)).await;
        assert!(
            matches!(
                refused,
                Err(OfferAdminError::Refused {
                    field: "capacity",
                    message: "error-capacity-below-offered"
                })
            ),
            "{refused:?}"
        );
        assert_eq!(date_row(&app, q.date_id).await.capacity, 3);

        // Lowered all the same (directly, as an older version could): the offer lapses on accepting.
        let mut lowered: offer_date::ActiveModel = date.into();
        lowered.capacity = Set(2);
        lowered.update(&app.db).await.unwrap();
        answer_offer(&app, &page_of(&q.c), "annehmen").await;
        let date = date_row(&app, q.date_id).await;
        assert_eq!(
            (date.booked_places, date.capacity),
            (2, 2),
            "not overbooked"
        );
        let c_row = &bookings_of_date(&app, q.date_id).await[2];
        assert_eq!(c_row.status.key(), "waitlisted", "still waiting");
    }
);

// An offer of places is no way onto a date that was cancelled or has begun: accepting it then
// lapses the offer and books nobody.
on_both_backends!(
    an_open_offer_cannot_be_taken_once_the_date_is_cancelled,
    |app| {
        let q = full_date_with_queue(&app).await;
        b_cancels_and_c_is_offered_one_place(&app, &q).await;
        app.desk()
            .cancel_date(q.date_id, Utc::now(), None)
            .await
            .unwrap();
        let booked = date_row(&app, q.date_id).await.booked_places;
        let (_, doc) = app.get_html(&page_of(&q.c)).await;
        assert!(select(&doc, "main form").is_empty(), "no offer shown");
        // A tab opened before still has the form.
        let csrf = app.csrf_token("/barriere-melden").await;
        app.post_form(
            &format!("{}/angebot", page_of(&q.c)),
            &[("csrf_token", &csrf), ("answer", "annehmen")],
        )
        .await;
        assert_eq!(date_row(&app, q.date_id).await.booked_places, booked);
        let c_row = &bookings_of_date(&app, q.date_id).await[2];
        assert_eq!(
            c_row.status.key(),
            "waitlisted",
            "not confirmed on a cancelled date"
        );
    }
);

// An offer made shortly before the date is held until the date begins at the latest, not for the
// whole usual hold: the page and the mail promised places hours after the course had started.
on_both_backends!(
    an_offer_of_places_is_held_no_longer_than_until_the_start,
    |app| {
        let q = full_date_with_queue(&app).await;
        let starts_at = Utc::now() + Duration::hours(3);
        set_date(&app, q.date_id, |d| {
            d.starts_at = Set(starts_at);
            d.ends_at = Set(starts_at + Duration::hours(2));
        })
        .await;
        assert_eq!(cancel_by_link(&app, &page_of(&q.b)).await.status(), 303);
        let offered = bookings_of_date(&app, q.date_id).await[2].clone();
        assert_eq!(offered.offered_places, Some(1));
        let until = offered.offer_expires_at.expect("an open offer");
        assert!(
            (until - starts_at).num_seconds().abs() <= 1,
            "held until {until}, the date starts at {starts_at}"
        );
    }
);

// Once the date has begun, the person's own link no longer cancels: a stale tab must not turn an
// attended booking into a cancelled one or change the figures after the fact.
on_both_backends!(
    a_booking_cannot_be_cancelled_by_its_link_once_the_date_began,
    |app| {
        let q = full_date_with_queue(&app).await;
        offer_date::Entity::update_many()
            .col_expr(
                offer_date::Column::StartsAt,
                sea_orm::sea_query::Expr::value(Utc::now() - chrono::Duration::minutes(10)),
            )
            .filter(offer_date::Column::Id.eq(q.date_id))
            .exec(&app.db)
            .await
            .unwrap();
        // The page shows no cancel button any more; a tab opened before still has the form.
        let csrf = app.csrf_token("/barriere-melden").await;
        let res = app
            .post_form(
                &format!("{}/absagen", page_of(&q.b)),
                &[("csrf_token", &csrf)],
            )
            .await;
        assert_eq!(res.status(), 303);
        let res = app
            .client
            .delete(app.url(&format!("/api/v1/bookings/{}", q.b.cancel_token)))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 409);
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "already_begun");
        assert_eq!(date_row(&app, q.date_id).await.booked_places, 3);
        assert_eq!(
            bookings_of_date(&app, q.date_id).await[1].status.key(),
            "confirmed"
        );
    }
);

// An open event (no registration needed) has no list to be on: its booking form's address, typed
// in, and the API both book nobody.
on_both_backends!(an_event_without_registration_cannot_be_booked, |app| {
    let (slug, date_id) = course_with_date(
        &app,
        "Offene Sprechstunde Digitales",
        DateSpec::morning_in_days(5, 10),
    )
    .await;
    let date = date_row(&app, date_id).await;
    let mut open: offer::ActiveModel = offer::Entity::find_by_id(date.offer_id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .into();
    open.registration_required = Set(false);
    open.update(&app.db).await.unwrap();

    let csrf = app.csrf_token("/barriere-melden").await;
    let res = app
        .post_form(
            &form_path(&slug, date_id),
            &[
                ("csrf_token", csrf.as_str()),
                ("einreichung", &teilhabe::web::submission::new_key()),
                ("name", "Otto Offen"),
                ("email", "otto@example.de"),
                ("places", "1"),
            ],
        )
        .await;
    let page = res.text().await.unwrap();
    assert!(page.contains("keine Anmeldung nötig"), "{page}");
    let res = app
        .client
        .post(app.url(&format!("/api/v1/dates/{date_id}/bookings")))
        .json(&serde_json::json!({"name": "Otto Offen", "email": "otto@example.de", "places": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409);
    assert!(bookings_of_date(&app, date_id).await.is_empty());
});

/// The date as it is, with another capacity: what staff submit when they change only that.
fn with_capacity(date: &offer_date::Model, capacity: i32) -> teilhabe::domain::offer::DateInput {
    let local = |at: DateTime<Utc>| at.with_timezone(&Berlin);
    let form = teilhabe::domain::offer::DateForm {
        day: local(date.starts_at).format("%Y-%m-%d").to_string(),
        start: local(date.starts_at).format("%H:%M").to_string(),
        end: local(date.ends_at).format("%H:%M").to_string(),
        capacity: capacity.to_string(),
        max_places: date.max_places_per_booking.min(capacity).to_string(),
        min_participants: "0".into(),
        walk_in_places: "0".into(),
        seen: String::new(),
    };
    teilhabe::domain::offer::DateInput::parse(&form, Utc::now()).expect("a valid form")
}

/// A booking in progress on another instance holds the date's row: lowering the capacity waits for
/// it and sees its places, instead of checking the places from before and writing after it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lowering_the_capacity_waits_for_a_booking_in_progress_on_postgres() {
    use sea_orm::ConnectionTrait;
    use teilhabe::services::offer_admin::OfferAdminError;
    let app = spawn_app(Backend::Postgres, Default::default())
        .await
        .unwrap();
    let (_, date_id) = course_with_date(
        &app,
        "Videotelefonie mit der Familie",
        DateSpec::morning_in_days(12, 10),
    )
    .await;
    for n in 0..2 {
        desk_book(&app, date_id, &format!("Vorher {n}"), "4", Channel::Online).await;
    }
    let date = date_row(&app, date_id).await;
    assert_eq!(date.booked_places, 8);

    let booking = crate::helpers::holding(
        &app.db,
        &format!("SELECT id FROM offer_dates WHERE id = {date_id} FOR UPDATE"),
    )
    .await;
    booking
        .execute_unprepared(&format!(
            "UPDATE offer_dates SET booked_places = 10 WHERE id = {date_id}"
        ))
        .await
        .unwrap();
    let change = tokio::spawn({
        let state = app.state();
        let input = with_capacity(&date, 8);
        async move { change_date_as_staff(&state, date_id, input).await }
    });
    crate::helpers::until_someone_waits_for_a_lock(&app.db).await;
    booking.commit().await.unwrap();
    let lowered = change.await.unwrap();
    assert!(
        matches!(
            lowered,
            Err(OfferAdminError::Refused {
                field: "capacity",
                ..
            })
        ),
        "{lowered:?}"
    );
    let date = date_row(&app, date_id).await;
    assert_eq!((date.booked_places, date.capacity), (10, 10));
}

/// A booking reads its date before it waits for the date's lock, and when the date is full it
/// writes its waiting-list mail then. A place freed while it waited makes it a confirmed booking,
/// and it gets the confirmation with its calendar file, not the mail written ahead.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_place_freed_while_a_booking_waits_for_its_date_confirms_it_on_postgres() {
    use sea_orm::ConnectionTrait;
    let Some(app) = spawn_app(Backend::Postgres, Default::default()).await else {
        return;
    };
    let title = "Fotos vom Handy auf den Rechner";
    let (_, date_id) = course_with_date(&app, title, DateSpec::in_days(9, 1)).await;
    desk_book(&app, date_id, "Erste", "1", Channel::Online).await;

    let cancelling = crate::helpers::holding(
        &app.db,
        &format!("SELECT id FROM offer_dates WHERE id = {date_id} FOR UPDATE"),
    )
    .await;
    cancelling
        .execute_unprepared(&format!(
            "UPDATE bookings SET status = 'cancelled' WHERE date_id = {date_id}; \
             UPDATE offer_dates SET booked_places = 0 WHERE id = {date_id}"
        ))
        .await
        .unwrap();
    let booking = tokio::spawn({
        let app_desk = app.desk();
        let request =
            BookingRequest::parse("Zweite", "zweite@example.de", "", "1", Channel::Online).unwrap();
        async move { app_desk.book(date_id, request, Utc::now()).await }
    });
    crate::helpers::until_someone_waits_for_a_lock(&app.db).await;
    cancelling.commit().await.unwrap();
    let booked = booking.await.unwrap().expect("booking accepted");

    assert_eq!(booked.status, BookingStatus::Confirmed);
    assert_eq!(date_row(&app, date_id).await.booked_places, 1);
    let mails = mails_to(&app, "zweite@example.de").await;
    assert_eq!(
        subjects(&mails),
        [format!("Ihr Platz ist gebucht: {title}")]
    );
    assert_eq!(mails[0].calendars.len(), 1);
}

/// A coordinator cancels the helper session of a course date while staff move the date. The move
/// read the session as open before the cancellation committed and wrote after it: the cancelled
/// session was moved along, and its helpers were told it had changed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_helper_session_cancelled_while_its_date_moves_stays_where_it_was_on_postgres() {
    use sea_orm::QueryOrder;
    use teilhabe::{
        db::entities::volunteer_shift,
        domain::{
            DistrictKey,
            volunteering::{ShiftInput, ShiftKind, ShiftPlace, ShiftStatus},
        },
    };
    let Some(app) = spawn_app(Backend::Postgres, Default::default()).await else {
        return;
    };
    let date = offer_date::Entity::find()
        .filter(offer_date::Column::OfferId.eq(2))
        .filter(offer_date::Column::StartsAt.gt(Utc::now()))
        .filter(offer_date::Column::SeriesLeadId.is_null())
        .order_by_asc(offer_date::Column::StartsAt)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let shift_id = app
        .state()
        .volunteer_planning()
        .create(
            &None,
            ShiftInput {
                organisation_id: None,
                title: "Hilfe beim Kurs".into(),
                kind: ShiftKind::CourseAssistance,
                starts_at: date.starts_at,
                ends_at: date.ends_at,
                place: ShiftPlace::Elsewhere {
                    place: "Kursraum".into(),
                    district: DistrictKey::parse("16051").unwrap(),
                },
                volunteers_needed: 1,
                participants_per_helper: None,
                skills: String::new(),
                offer_date_id: Some(date.id),
            },
            1,
            Utc::now(),
        )
        .await
        .unwrap();
    // The coordinator's cancellation holds the session until it commits.
    let cancelling = crate::helpers::holding(
        &app.db,
        &format!(
            "UPDATE volunteer_shifts SET status = '{}' WHERE id = {shift_id}",
            ShiftStatus::Cancelled.key()
        ),
    )
    .await;
    let mut moved = date.clone();
    moved.starts_at += Duration::days(1);
    moved.ends_at += Duration::days(1);
    let a_day_later = with_capacity(&moved, date.capacity);
    let state = app.state();
    let moving =
        tokio::spawn(async move { change_date_as_staff(&state, date.id, a_day_later).await });
    until_someone_waits_for_a_lock(&app.db).await;
    cancelling.commit().await.unwrap();
    moving.await.unwrap().unwrap();

    let shift = volunteer_shift::Entity::find_by_id(shift_id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(shift.status, ShiftStatus::Cancelled);
    assert_eq!(
        shift.starts_at, date.starts_at,
        "the cancelled session was moved"
    );
}

/// A change of a date as the date form makes it, by an admin (no organisation scope), from a form
/// opened just before.
async fn change_date_as_staff(
    state: &teilhabe::web::state::AppState,
    date_id: i32,
    input: teilhabe::domain::offer::DateInput,
) -> Result<bool, teilhabe::services::offer_admin::OfferAdminError> {
    use teilhabe::services::offer_admin::{MoveFollowers, change_date, date};
    let followers = MoveFollowers {
        bookings: &state.booking_desk(),
        helpers: &state.volunteer_planning(),
    };
    // The form is filled from the date as it is now.
    let seen = date(&state.db, &None, date_id).await?.seen;
    change_date(&state.db, &None, 1, date_id, input, &seen, followers).await
}

// The jobs did not run for more than a day after the walk-in places were released (an instance
// stopped over a weekend): the released places still go to the waiting list at the next run, and
// a date already handled is not taken up again.
on_both_backends!(
    walk_in_places_released_more_than_a_day_ago_still_go_to_the_waiting_list,
    |app| {
        let spec = DateSpec {
            walk_in_places: 2,
            walk_in_release_at: Some(Utc::now() + Duration::days(2)),
            ..DateSpec::in_days(5, 4)
        };
        let (_, date_id) = course_with_date(&app, "Sprechstunde am Tresen", spec).await;
        desk_book(&app, date_id, "Anna", "1", Channel::Online).await;
        desk_book(&app, date_id, "Bernd", "1", Channel::Online).await;
        let clara = desk_book(&app, date_id, "Clara", "1", Channel::Online).await;
        assert_eq!(clara.status, BookingStatus::Waitlisted);
        set_date(&app, date_id, |d| {
            d.walk_in_release_at = Set(Some(Utc::now() - Duration::hours(25)))
        })
        .await;
        let now = Utc::now();
        assert_eq!(app.desk().release_walk_in_places(now).await.unwrap(), 1);
        let row = bookings_of_date(&app, date_id)
            .await
            .into_iter()
            .find(|b| b.id == clara.booking_id)
            .unwrap();
        assert_eq!(row.status, BookingStatus::Confirmed);
        assert_eq!(date_row(&app, date_id).await.booked_places, 3);
        assert_eq!(app.desk().release_walk_in_places(now).await.unwrap(), 0);
    }
);
