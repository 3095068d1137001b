//! The public catalogue of courses: list with filters, an offer's page, the printable programme and
//! calendar files.
use actix_web::{HttpResponse, http::header, web};
use chrono::{DateTime, Datelike, Days, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::{
    calendar,
    domain::{
        DistrictKey, FieldErrors,
        offer::{self, CatalogueFilter, CatalogueQuery, OfferKind, Topic},
    },
    mail::compose::calendar_event,
    services::{catalogue, offer_page, proposals, venues},
    web::{
        errors::WebError,
        handlers::{district_choices, offer_vocabulary},
        page::Page,
    },
};

/// Most dates a printed programme or a calendar feed lists.
const FEED_LIMIT: u64 = 500;

/// The query string of the current filter without the page number, for pagination links.
fn query_without_page(query: &CatalogueQuery) -> String {
    let mut q = query.clone();
    q.seite.clear();
    serde_urlencoded::to_string(&q)
        .unwrap_or_default()
        .split('&')
        .filter(|pair| !pair.ends_with('='))
        .collect::<Vec<_>>()
        .join("&")
}

/// Courses and dialogue events share the catalogue, pages and booking; a section names which.
#[derive(Clone, Copy, Serialize)]
pub struct Section {
    #[serde(skip)]
    pub kind: OfferKind,
    /// Where the section's pages live, e.g. `/kurse`.
    pub base: &'static str,
    /// Prefix of the section's own texts, e.g. `courses` for `courses-title`.
    pub texts: &'static str,
}

pub const COURSES: Section = Section {
    kind: OfferKind::Course,
    base: "/kurse",
    texts: "courses",
};

pub const EVENTS: Section = Section {
    kind: OfferKind::Dialogue,
    base: "/veranstaltungen",
    texts: "events",
};

pub async fn list(page: Page, query: web::Query<CatalogueQuery>) -> Result<HttpResponse, WebError> {
    list_section(page, query.into_inner(), COURSES).await
}

pub async fn events(
    page: Page,
    query: web::Query<CatalogueQuery>,
) -> Result<HttpResponse, WebError> {
    list_section(page, query.into_inner(), EVENTS).await
}

async fn list_section(
    page: Page,
    query: CatalogueQuery,
    section: Section,
) -> Result<HttpResponse, WebError> {
    let db = &page.state().db;
    let districts = page.state().districts().await?;
    let mut ctx = page.context();
    ctx.insert("section", &section);
    offer_vocabulary(&mut ctx);
    ctx.insert("districts", &district_choices(&districts));
    ctx.insert("query", &shown_in_form(&query));
    ctx.insert("base_query", &query_without_page(&query));
    let now = Utc::now();
    match CatalogueFilter::parse(&query) {
        Ok(filter) => {
            let results = catalogue::search(db, section.kind, &filter, now).await?;
            ctx.insert("results", &results);
            page.render_form("courses/list.html", ctx, &FieldErrors::default())
        }
        Err(errors) => page.render_form("courses/list.html", ctx, &naming_date_fields(&errors)),
    }
}

/// The query as the form shows it again: a date field holds only a date in the form it can show
/// (yyyy-mm-dd), so an invalid date is not echoed (it would make the page invalid HTML).
fn shown_in_form(query: &CatalogueQuery) -> CatalogueQuery {
    let date = |raw: &str| {
        offer::date(raw.trim())
            .map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_default()
    };
    CatalogueQuery {
        von: date(&query.von),
        bis: date(&query.bis),
        ..query.clone()
    }
}

/// The two date fields share the domain's message (the JSON API's code); in the form's error summary
/// each names its own field, or the two entries would read the same.
fn naming_date_fields(errors: &FieldErrors) -> FieldErrors {
    let mut named = FieldErrors::default();
    for e in errors.iter() {
        let message = match (e.field, e.message) {
            ("von", "error-date-invalid") => "error-filter-from-invalid",
            ("bis", "error-date-invalid") => "error-filter-to-invalid",
            (_, message) => message,
        };
        named.add(e.field, message);
    }
    named
}

#[derive(Serialize)]
struct DateRow {
    #[serde(flatten)]
    entry: catalogue::Entry,
    bookable: bool,
    past: bool,
}

pub async fn show(page: Page, slug: web::Path<String>) -> Result<HttpResponse, WebError> {
    show_section(page, &slug, COURSES).await
}

pub async fn event(page: Page, slug: web::Path<String>) -> Result<HttpResponse, WebError> {
    show_section(page, &slug, EVENTS).await
}

async fn show_section(page: Page, slug: &str, section: Section) -> Result<HttpResponse, WebError> {
    let db = &page.state().db;
    let districts = page.state().districts().await?;
    let found = offer_page::published_offer(db, slug, &districts)
        .await?
        .filter(|found| found.kind == section.kind)
        .ok_or(WebError::NotFound)?;
    let now = Utc::now();
    let dates: Vec<DateRow> = catalogue::dates_of_offer(db, found.id, now, now)
        .await?
        .into_iter()
        .map(|entry| DateRow {
            bookable: !entry.date.date_status.is_cancelled()
                && entry.date.starts_at > now
                && entry.date.series_lead_id.is_none(),
            past: entry.date.starts_at <= now,
            entry,
        })
        .collect();
    let mut ctx = page.context();
    ctx.insert("section", &section);
    if section.kind == OfferKind::Dialogue {
        ctx.insert(
            "event_proposals",
            &proposals::from_event(db, found.id).await?,
        );
    }
    ctx.insert("offer", &found.offer);
    ctx.insert("organisation_name", &found.provider.name);
    ctx.insert("organisation_email", &found.provider.email);
    ctx.insert("organisation_phone", &found.provider.phone);
    ctx.insert("venue", &found.venue);
    ctx.insert("dates", &dates);
    page.render("courses/show.html", &ctx)
}

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
pub struct ProgrammeQuery {
    ort: String,
    kreis: String,
    /// `woche` or `monat`.
    zeitraum: String,
    ab: String,
}

/// The printable programme of a venue or a district for a week or a month: for notice boards and for
/// people who are not online.
pub async fn programme(
    page: Page,
    query: web::Query<ProgrammeQuery>,
) -> Result<HttpResponse, WebError> {
    let db = &page.state().db;
    let query = query.into_inner();
    let districts = page.state().districts().await?;
    let today = Utc::now()
        .with_timezone(&chrono_tz::Europe::Berlin)
        .date_naive();
    let from = NaiveDate::parse_from_str(query.ab.trim(), "%Y-%m-%d").unwrap_or(today);
    let month = query.zeitraum == "monat";
    let to = if month {
        from.checked_add_months(chrono::Months::new(1))
            .and_then(|d| d.checked_sub_days(Days::new(1)))
            .unwrap_or(from)
    } else {
        from.checked_add_days(Days::new(6)).unwrap_or(from)
    };
    let venue = match query.ort.trim() {
        "" => None,
        slug => venues::by_slug(db, slug, &districts).await?,
    };
    let district = DistrictKey::parse(&query.kreis)
        .ok()
        .and_then(|k| districts.iter().find(|d| d.key == k.as_str()).cloned());
    let mut ctx = page.context();
    ctx.insert("query", &query);
    ctx.insert("districts", &district_choices(&districts));
    ctx.insert(
        "venues",
        &venues::list(db, None, false, &districts)
            .await?
            .into_iter()
            .map(|v| (v.slug, format!("{}, {}", v.name, v.town)))
            .collect::<Vec<_>>(),
    );
    ctx.insert("month", &month);
    ctx.insert(
        "catalogue_url",
        &format!(
            "{}/kurse",
            page.state()
                .settings
                .base_url
                .as_str()
                .trim_end_matches('/')
        ),
    );
    ctx.insert("from", &from.format("%d.%m.%Y").to_string());
    ctx.insert("to", &to.format("%d.%m.%Y").to_string());
    ctx.insert("from_iso", &from.to_string());
    ctx.insert("year", &from.year());
    if venue.is_none() && district.is_none() {
        return page.render("courses/programme.html", &ctx);
    }
    let filter = CatalogueFilter {
        district: district
            .as_ref()
            .and_then(|d| DistrictKey::parse(&d.key).ok()),
        from: Some(from),
        to: Some(to),
        venue: venue.as_ref().map(|v| v.slug.clone()),
        include_sessions: true,
        ..Default::default()
    };
    let entries =
        catalogue::all_matching(db, OfferKind::Course, &filter, Utc::now(), FEED_LIMIT).await?;
    ctx.insert("venue", &venue);
    ctx.insert("district_name", &district.map(|d| d.name));
    ctx.insert("entries", &entries);
    ctx.insert("show_results", &true);
    page.render("courses/programme.html", &ctx)
}

fn ics_response(body: String, file_name: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/calendar; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("inline; filename=\"{file_name}\""),
        ))
        .body(body)
}

/// A calendar feed of these dates, named after what they have in common.
fn feed_response(
    page: &Page,
    entries: &[catalogue::Entry],
    name: &str,
    now: DateTime<Utc>,
    file_name: &str,
) -> HttpResponse {
    let base = page.state().settings.base_url.to_string();
    let events: Vec<_> = entries
        .iter()
        .map(|e| calendar_event(&e.date, &base))
        .collect();
    let body = calendar::calendar(&format!("Teilhabe: {name}"), &events, now);
    ics_response(body, file_name)
}

/// The calendar file of one date.
pub async fn date_ics(page: Page, id: web::Path<i32>) -> Result<HttpResponse, WebError> {
    let now = Utc::now();
    let entry = catalogue::date(&page.state().db, *id, now)
        .await?
        // Drafts stay private; published dates keep their file when cancelled (STATUS:CANCELLED).
        .filter(|e| e.date.offer_status.is_public())
        .ok_or(WebError::NotFound)?;
    let base = page.state().settings.base_url.to_string();
    let event = calendar_event(&entry.date, &base);
    Ok(ics_response(
        calendar::calendar(&entry.date.title, &[event], now),
        &format!("termin-{}.ics", entry.date.date_id),
    ))
}

/// Subscribable feeds: `ort/<venue>`, `thema/<topic>` or `kreis/<district key>`.
pub async fn feed(page: Page, path: web::Path<(String, String)>) -> Result<HttpResponse, WebError> {
    let (kind, key) = path.into_inner();
    let db = &page.state().db;
    let mut filter = CatalogueFilter {
        include_cancelled: true,
        include_sessions: true,
        ..Default::default()
    };
    let name = match kind.as_str() {
        "ort" => {
            let districts = page.state().districts().await?;
            let venue = venues::by_slug(db, &key, &districts)
                .await?
                .ok_or(WebError::NotFound)?;
            filter.venue = Some(venue.slug.clone());
            venue.name
        }
        "thema" => {
            let topic = Topic::parse(&key).map_err(|_| WebError::NotFound)?;
            filter.topic = Some(topic);
            page.t(&format!("topic-{}", topic.key()))
        }
        "kreis" => {
            let districts = page.state().districts().await?;
            let district = districts
                .iter()
                .find(|d| d.key == key)
                .cloned()
                .ok_or(WebError::NotFound)?;
            filter.district = DistrictKey::parse(&district.key).ok();
            district.name
        }
        _ => return Err(WebError::NotFound),
    };
    let now = Utc::now();
    // A place's or district's feed carries its courses and its dialogue events, and keeps dates
    // that began for a while: subscribed calendars delete what a feed drops.
    let mut entries =
        catalogue::feed_dates(db, OfferKind::Course, &filter, now, FEED_LIMIT).await?;
    entries.extend(catalogue::feed_dates(db, OfferKind::Dialogue, &filter, now, FEED_LIMIT).await?);
    let entries = catalogue::keep_for_feed(entries, now, FEED_LIMIT as usize);
    let file_name = format!("{kind}-{key}.ics");
    Ok(feed_response(&page, &entries, &name, now, &file_name))
}

/// The calendar feed of a catalogue filter (a course alert's calendar form).
pub async fn filter_feed(
    page: &Page,
    kind: OfferKind,
    filter: &CatalogueFilter,
    name: &str,
) -> Result<HttpResponse, WebError> {
    let now = Utc::now();
    let entries = catalogue::feed_dates(&page.state().db, kind, filter, now, FEED_LIMIT).await?;
    let file_name = format!("{}.ics", crate::domain::course_alert::section_key(kind));
    Ok(feed_response(page, &entries, name, now, &file_name))
}
