//! The providers' back office as staff use it: only their own organisation, offers and dates through the
//! forms, bookings by phone, participant lists, cancellations with their mails and tasks, and the jobs.
use chrono::{DateTime, Duration, DurationRound, NaiveDate, TimeZone, Utc};
use chrono_tz::Europe::Berlin;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use teilhabe::domain::offer::{DateStatus, OfferKind, OfferStatus};
use teilhabe::{
    db::entities::{
        audit_log, booking, offer, offer_date, organisation, outbox, staff_task, venue,
    },
    domain::{
        Language,
        booking::{BookingRequest, BookingStatus, Channel},
    },
    i18n::{DateStyle, format_instant},
    services::{booking::Booked, catalogue, sessions},
};

use crate::helpers::*;
use crate::on_both_backends;

const STAFF: (&str, &str) = ("anbieter@demo.teilhabe.example", "Demo-Anbieter-2026");
/// The organisation the demo provider account works for, and one of its venues.
const OWN_ORG: &str = "probierladen-erfurt";
const OWN_VENUE: &str = "probierladen-erfurt-anger";
/// Another organisation in the same town, with a demo course that has a date and a booking.
const OTHER_ORG: &str = "vhs-erfurt";
const OTHER_VENUE: &str = "vhs-erfurt-schottenstrasse";
const OTHER_OFFER: &str = "tablet-grundlagen-erfurt";

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// Signs in and returns the session's CSRF token.
async fn sign_in(app: &TestApp, (email, password): (&str, &str)) -> String {
    assert_eq!(
        app.login(email, password).await.status(),
        303,
        "{email} logs in"
    );
    app.csrf_token("/verwaltung/angebote/neu").await
}

async fn sign_out(app: &TestApp, token: &str) {
    let res = post(app, "/abmelden", token, &[]).await;
    assert_eq!(res.status(), 303, "signed out");
}

async fn post(
    app: &TestApp,
    path: &str,
    token: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let mut all = vec![("csrf_token", token)];
    all.extend_from_slice(fields);
    app.post_form(path, &all).await
}

fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get("location")
        .unwrap_or_else(|| panic!("no Location header ({})", res.status()))
        .to_str()
        .unwrap()
        .to_owned()
}

async fn html(res: reqwest::Response) -> scraper::Html {
    scraper::Html::parse_document(&res.text().await.expect("body"))
}

fn value_of(doc: &scraper::Html, css: &str) -> String {
    select(doc, css)
        .first()
        .and_then(|e| e.value().attr("value"))
        .unwrap_or_else(|| panic!("no value on {css}"))
        .to_owned()
}

/// The named inputs of the form posting to `action`, as the page filled them in.
fn form_values(doc: &scraper::Html, action: &str) -> Vec<(String, String)> {
    select(
        doc,
        &format!("form[action=\"{action}\"] input[name]:not([name=\"csrf_token\"])"),
    )
    .iter()
    .map(|e| {
        (
            e.value().attr("name").unwrap().to_owned(),
            e.value().attr("value").unwrap_or("").to_owned(),
        )
    })
    .collect()
}

fn with(values: &[(String, String)], changes: &[(&str, &str)]) -> Vec<(String, String)> {
    values
        .iter()
        .map(|(k, v)| {
            let changed = changes.iter().find(|(name, _)| name == k).map(|(_, v)| *v);
            (k.clone(), changed.unwrap_or(v).to_owned())
        })
        .collect()
}

async fn org_id(app: &TestApp, slug: &str) -> i32 {
    organisation::Entity::find()
        .filter(organisation::Column::Slug.eq(slug))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("demo organisation {slug}"))
        .id
}

async fn venue_id(app: &TestApp, slug: &str) -> i32 {
    venue::Entity::find()
        .filter(venue::Column::Slug.eq(slug))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("demo venue {slug}"))
        .id
}

async fn offer_by_id(app: &TestApp, id: i32) -> offer::Model {
    offer::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .expect("offer")
}

async fn date_by_id(app: &TestApp, id: i32) -> offer_date::Model {
    offer_date::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .expect("date")
}

async fn dates_of(app: &TestApp, offer_id: i32) -> Vec<offer_date::Model> {
    offer_date::Entity::find()
        .filter(offer_date::Column::OfferId.eq(offer_id))
        .order_by_asc(offer_date::Column::Id)
        .all(&app.db)
        .await
        .unwrap()
}

async fn tasks_of(app: &TestApp, date_id: i32) -> Vec<staff_task::Model> {
    staff_task::Entity::find()
        .filter(staff_task::Column::DateId.eq(date_id))
        .order_by_asc(staff_task::Column::Id)
        .all(&app.db)
        .await
        .unwrap()
}

async fn mails_with_subject(app: &TestApp, subject: &str) -> Vec<outbox::Model> {
    outbox::Entity::find()
        .filter(outbox::Column::Subject.eq(subject))
        .order_by_asc(outbox::Column::Id)
        .all(&app.db)
        .await
        .unwrap()
}

async fn mail_count(app: &TestApp) -> u64 {
    outbox::Entity::find().count(&app.db).await.unwrap()
}

fn recipients(mails: &[outbox::Model]) -> Vec<&str> {
    let mut to: Vec<&str> = mails.iter().map(|m| m.recipient.as_str()).collect();
    to.sort();
    to
}

async fn audit_rows(app: &TestApp, action: &str, target: &str) -> Vec<audit_log::Model> {
    audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq(action))
        .filter(audit_log::Column::Target.eq(target))
        .all(&app.db)
        .await
        .unwrap()
}

/// A calendar day in Thuringia, `days` from today.
fn berlin_day(days: i64) -> NaiveDate {
    (Utc::now() + Duration::days(days))
        .with_timezone(&Berlin)
        .date_naive()
}

fn at_local(day: NaiveDate, hour: u32, minute: u32) -> DateTime<Utc> {
    Berlin
        .from_local_datetime(&day.and_hms_opt(hour, minute, 0).unwrap())
        .earliest()
        .unwrap()
        .with_timezone(&Utc)
}

/// `hours` from now, on a whole minute as dates entered through the form are.
fn in_hours(hours: i64) -> DateTime<Utc> {
    (Utc::now() + Duration::hours(hours))
        .duration_trunc(Duration::minutes(1))
        .unwrap()
}

struct Course {
    offer_id: i32,
    slug: String,
    title: String,
    organisation_id: i32,
}

/// A published course of `org` at its first venue, with a title no demo course has.
async fn new_course(app: &TestApp, org: &str) -> Course {
    let organisation_id = org_id(app, org).await;
    let venue = venue::Entity::find()
        .filter(venue::Column::OrganisationId.eq(organisation_id))
        .order_by_asc(venue::Column::Id)
        .one(&app.db)
        .await
        .unwrap()
        .expect("a venue of the organisation");
    let code = uuid::Uuid::new_v4().simple().to_string()[..8].to_owned();
    let title = format!("Handy-Sprechstunde {code}");
    let created = offer::ActiveModel {
        slug: Set(format!("handy-sprechstunde-{code}")),
        organisation_id: Set(organisation_id),
        venue_id: Set(Some(venue.id)),
        kind: Set(OfferKind::Course),
        title: Set(title.clone()),
        description: Set("Wir beantworten Ihre Fragen zum eigenen Smartphone.".into()),
        search_text: Set(teilhabe::domain::offer::search_text(
            &title,
            "Wir beantworten Ihre Fragen zum eigenen Smartphone.",
        )),
        topic: Set("smartphone-grundlagen".into()),
        level: Set("einsteiger".into()),
        target_group: Set("alle".into()),
        language: Set("de".into()),
        online_url: Set(None),
        what_to_bring: Set("Ihr Smartphone".into()),
        accessibility_notes: Set(String::new()),
        price_cents: Set(0),
        status: Set(OfferStatus::Published),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    Course {
        offer_id: created.id,
        slug: created.slug,
        title,
        organisation_id,
    }
}

/// A scheduled date of 90 minutes, at most 2 places per booking; `tweak` sets anything else.
async fn add_date(
    app: &TestApp,
    offer_id: i32,
    starts_at: DateTime<Utc>,
    capacity: i32,
    tweak: impl FnOnce(&mut offer_date::ActiveModel),
) -> offer_date::Model {
    let mut date = offer_date::ActiveModel {
        offer_id: Set(offer_id),
        starts_at: Set(starts_at),
        ends_at: Set(starts_at + Duration::minutes(90)),
        capacity: Set(capacity),
        booked_places: Set(0),
        max_places_per_booking: Set(2),
        booking_opens_at: Set(None),
        booking_closes_at: Set(Some(starts_at)),
        status: Set(DateStatus::Scheduled),
        created_at: Set(Utc::now()),
        min_participants: Set(0),
        decision_at: Set(None),
        decided_at: Set(None),
        walk_in_places: Set(0),
        walk_in_release_at: Set(None),
        reminder_sent_at: Set(None),
        revision: Set(0),
        ..Default::default()
    };
    tweak(&mut date);
    date.insert(&app.db).await.unwrap()
}

/// A booking through the engine, as the public form or the staff form make them.
async fn book(
    app: &TestApp,
    date_id: i32,
    (name, email, phone): (&str, &str, &str),
    places: &str,
    channel: Channel,
) -> Booked {
    let request = BookingRequest::parse(name, email, phone, places, channel).expect("valid");
    app.desk()
        .book(date_id, request, Utc::now())
        .await
        .expect("booked")
}

/// A new course of the own organisation with one date in nine days at 10:00 for `capacity` people,
/// and Anna Gebucht booked on it online for one place.
async fn course_with_anna(app: &TestApp, capacity: i32) -> (Course, offer_date::Model, Booked) {
    let course = new_course(app, OWN_ORG).await;
    let date = add_date(
        app,
        course.offer_id,
        at_local(berlin_day(9), 10, 0),
        capacity,
        |_| {},
    )
    .await;
    let anna = book(
        app,
        date.id,
        ("Anna Gebucht", "anna@example.de", ""),
        "1",
        Channel::Online,
    )
    .await;
    (course, date, anna)
}

/// A valid offer form with this title and venue.
fn offer_fields<'a>(title: &'a str, venue: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("title", title),
        (
            "description",
            "Wir zeigen Schritt für Schritt, wie das Tablet funktioniert.",
        ),
        ("topic", "tablet-grundlagen"),
        ("level", "einsteiger"),
        ("target_group", "senioren"),
        ("venue", venue),
        ("online_url", ""),
        ("what_to_bring", "Ihr Tablet, falls vorhanden"),
        ("accessibility_notes", ""),
        ("price", "2,50"),
    ]
}

fn date_fields<'a>(day: &'a str, capacity: &'a str, walk_in: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("day", day),
        ("start", "10:00"),
        ("end", "11:30"),
        ("capacity", capacity),
        ("max_places", "2"),
        ("min_participants", "0"),
        ("walk_in_places", walk_in),
    ]
}

/// Offer ids linked from the back office's offer list.
async fn listed_offers(app: &TestApp) -> Vec<i32> {
    let (status, doc) = app.get_html("/verwaltung/angebote").await;
    assert_eq!(status, 200);
    let mut ids: Vec<i32> = select(&doc, "table a[href^=\"/verwaltung/angebote/\"]")
        .iter()
        .map(|a| {
            a.value()
                .attr("href")
                .unwrap()
                .trim_start_matches("/verwaltung/angebote/")
                .parse()
                .expect("offer id in link")
        })
        .collect();
    ids.sort();
    ids
}

async fn offers_of(app: &TestApp, organisation_id: Option<i32>) -> Vec<i32> {
    let mut query = offer::Entity::find();
    if let Some(id) = organisation_id {
        query = query.filter(offer::Column::OrganisationId.eq(id));
    }
    let mut ids: Vec<i32> = query
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.id)
        .collect();
    ids.sort();
    ids
}

/// Whether the public catalogue, searched for `text`, links to the offer.
async fn in_catalogue(app: &TestApp, text: &str, slug: &str) -> bool {
    let (status, doc) = app.get_html(&format!("/kurse?q={text}")).await;
    assert_eq!(status, 200);
    !select(&doc, &format!(".result-list a[href=\"/kurse/{slug}\"]")).is_empty()
}

// ---------------------------------------------------------------------------------------------
// 1. Scope
// ---------------------------------------------------------------------------------------------

on_both_backends!(staff_see_and_change_only_their_own_organisation, |app| {
    let own = org_id(&app, OWN_ORG).await;
    let other_org = org_id(&app, OTHER_ORG).await;
    let other = offer::Entity::find()
        .filter(offer::Column::Slug.eq(OTHER_OFFER))
        .one(&app.db)
        .await
        .unwrap()
        .expect("demo course of another organisation");
    assert_eq!(other.organisation_id, other_org);
    let other_date = dates_of(&app, other.id).await.remove(0);
    let other_booking = bookings_of_date(&app, other_date.id).await.remove(0);
    let other_task = staff_task::ActiveModel {
        organisation_id: Set(other_org),
        date_id: Set(Some(other_date.id)),
        booking_id: Set(None),
        kind: Set("decide-minimum".into()),
        created_at: Set(Utc::now()),
        done_at: Set(None),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();

    let token = sign_in(&app, STAFF).await;
    let own_offers = offers_of(&app, Some(own)).await;
    assert!(own_offers.len() >= 3, "demo courses of {OWN_ORG}");
    assert_eq!(
        listed_offers(&app).await,
        own_offers,
        "only their own offers"
    );

    let (o, d, b) = (other.id, other_date.id, other_booking.id);
    for path in [
        format!("/verwaltung/angebote/{o}"),
        format!("/verwaltung/angebote/{o}/termine/neu"),
        format!("/verwaltung/termine/{d}"),
        format!("/verwaltung/termine/{d}/bearbeiten"),
        format!("/verwaltung/termine/{d}/teilnehmende.csv"),
        format!("/verwaltung/buchungen/{b}/beleg"),
    ] {
        assert_eq!(app.get(&path).await.status(), 404, "GET {path}");
    }

    let offers_before = offer::Entity::find().count(&app.db).await.unwrap();
    let dates_before = offer_date::Entity::find().count(&app.db).await.unwrap();
    let bookings_before = booking::Entity::find().count(&app.db).await.unwrap();
    let mails_before = mail_count(&app).await;
    let own_venue = venue_id(&app, OWN_VENUE).await.to_string();
    let day = berlin_day(20).to_string();
    let booking_id = b.to_string();
    let attempts: Vec<(String, Vec<(&str, &str)>)> = vec![
        (
            format!("/verwaltung/angebote/{o}"),
            offer_fields("Übernommener Kurs", &own_venue),
        ),
        (
            format!("/verwaltung/angebote/{o}/status"),
            vec![("action", "zurueckziehen")],
        ),
        (format!("/verwaltung/angebote/{o}/kopieren"), vec![]),
        (
            format!("/verwaltung/angebote/{o}/termine/neu"),
            date_fields(&day, "8", "0"),
        ),
        (
            format!("/verwaltung/termine/{d}/bearbeiten"),
            date_fields(&day, "8", "0"),
        ),
        (format!("/verwaltung/termine/{d}/absagen"), vec![]),
        (
            format!("/verwaltung/termine/{d}/buchen"),
            vec![
                ("name", "Fremde Person"),
                ("phone", "0361 123456"),
                ("places", "1"),
            ],
        ),
        (
            format!("/verwaltung/termine/{d}/anwesenheit"),
            vec![("booking", &booking_id), ("attendance", "absent")],
        ),
        (format!("/verwaltung/buchungen/{b}/stornieren"), vec![]),
        (
            format!("/verwaltung/aufgaben/{}/erledigt", other_task.id),
            vec![],
        ),
    ];
    for (path, fields) in &attempts {
        assert_eq!(
            post(&app, path, &token, fields).await.status(),
            404,
            "POST {path}"
        );
    }
    // Nothing changed.
    assert_eq!(offer_by_id(&app, o).await, other);
    assert_eq!(date_by_id(&app, d).await, other_date);
    assert_eq!(booking_by_id(&app, b).await, other_booking);
    assert_eq!(
        offer::Entity::find().count(&app.db).await.unwrap(),
        offers_before
    );
    assert_eq!(
        offer_date::Entity::find().count(&app.db).await.unwrap(),
        dates_before
    );
    assert_eq!(
        booking::Entity::find().count(&app.db).await.unwrap(),
        bookings_before
    );
    assert_eq!(
        mail_count(&app).await,
        mails_before,
        "nobody was told anything"
    );
    let task_after = staff_task::Entity::find_by_id(other_task.id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(task_after.done_at, None);
    let done_form = format!(
        "form[action=\"/verwaltung/aufgaben/{}/erledigt\"]",
        other_task.id
    );
    let (_, tasks) = app.get_html("/verwaltung/aufgaben").await;
    assert!(
        select(&tasks, &done_form).is_empty(),
        "another organisation's task"
    );

    // An administrator manages every organisation's offers.
    sign_out(&app, &token).await;
    sign_in(&app, DEMO_PASSWORD_ADMIN).await;
    let all = offers_of(&app, None).await;
    assert!(all.len() > own_offers.len());
    assert_eq!(listed_offers(&app).await, all);
    for path in [
        format!("/verwaltung/angebote/{o}"),
        format!("/verwaltung/termine/{d}"),
        format!("/verwaltung/buchungen/{b}/beleg"),
    ] {
        assert_eq!(app.get(&path).await.status(), 200, "admin GET {path}");
    }
    let (_, tasks) = app.get_html("/verwaltung/aufgaben").await;
    assert_eq!(select(&tasks, &done_form).len(), 1, "admin sees every task");
});

// ---------------------------------------------------------------------------------------------
// 2. Offer lifecycle through the forms
// ---------------------------------------------------------------------------------------------

on_both_backends!(an_offer_goes_from_draft_to_catalogue_and_back, |app| {
    let token = sign_in(&app, STAFF).await;
    let staff_id = user_id(&app, STAFF.0).await;
    let own = org_id(&app, OWN_ORG).await;
    let own_venue = venue_id(&app, OWN_VENUE).await.to_string();
    let offers_before = offer::Entity::find().count(&app.db).await.unwrap();

    // Bad input: every field says what is wrong, and what was typed stays.
    let res = post(
        &app,
        "/verwaltung/angebote/neu",
        &token,
        &[
            ("title", "Kurs"),
            ("description", "Zu kurz."),
            ("topic", "kochen"),
            ("level", "einsteiger"),
            ("target_group", "alle"),
            ("venue", ""),
            ("online_url", "http://unsicher.example/raum"),
            ("what_to_bring", "Gute Laune"),
            ("price", "viel"),
        ],
    )
    .await;
    assert_eq!(res.status(), 422);
    let doc = html(res).await;
    for (field, message) in [
        (
            "title",
            "Geben Sie einen Titel mit mindestens 5 Zeichen ein.",
        ),
        (
            "description",
            "Beschreiben Sie das Angebot in mindestens 20 Zeichen.",
        ),
        ("topic", "Wählen Sie ein Thema aus der Liste."),
        (
            "online_url",
            "Geben Sie eine Adresse ein, die mit https:// beginnt.",
        ),
        (
            "price",
            "Geben Sie den Preis in Euro ein, zum Beispiel 5,00.",
        ),
    ] {
        let shown = text_of(&doc, &format!("#{field}-error"));
        assert!(shown.ends_with(message), "{field}: {shown:?}");
    }
    assert_eq!(select(&doc, ".error-summary__list li").len(), 5);
    assert_eq!(value_of(&doc, "input#title"), "Kurs");
    assert_eq!(text_of(&doc, "textarea#description"), "Zu kurz.");
    assert_eq!(
        value_of(&doc, "input#online_url"),
        "http://unsicher.example/raum"
    );
    assert_eq!(value_of(&doc, "input#what_to_bring"), "Gute Laune");
    assert_eq!(value_of(&doc, "input#price"), "viel");

    // Neither a place nor a link, or a venue of another organisation: refused at the venue field.
    let code = uuid::Uuid::new_v4().simple().to_string()[..8].to_owned();
    let title = format!("Tablet-Treff {code}");
    let other_venue = venue_id(&app, OTHER_VENUE).await.to_string();
    for (venue, message) in [
        (
            "",
            "Wählen Sie einen Ort oder geben Sie einen Link zum Online-Kurs an.",
        ),
        (other_venue.as_str(), "Wählen Sie einen Ort aus der Liste."),
    ] {
        let res = post(
            &app,
            "/verwaltung/angebote/neu",
            &token,
            &offer_fields(&title, venue),
        )
        .await;
        assert_eq!(res.status(), 422, "venue {venue:?}");
        let doc = html(res).await;
        let shown = text_of(&doc, "#venue-error");
        assert!(shown.ends_with(message), "venue {venue:?}: {shown:?}");
        assert_eq!(value_of(&doc, "input#title"), title);
    }
    assert_eq!(
        offer::Entity::find().count(&app.db).await.unwrap(),
        offers_before,
        "nothing stored"
    );

    // A good draft at their own venue.
    let res = post(
        &app,
        "/verwaltung/angebote/neu",
        &token,
        &offer_fields(&title, &own_venue),
    )
    .await;
    assert_eq!(res.status(), 303);
    let path = location(&res);
    let id: i32 = path
        .strip_prefix("/verwaltung/angebote/")
        .and_then(|rest| rest.strip_suffix("?erledigt=angebot-angelegt"))
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("redirect to the offer, got {path}"));
    let created = offer_by_id(&app, id).await;
    assert_eq!(
        (
            created.title.as_str(),
            created.status,
            created.organisation_id,
            created.venue_id,
            created.price_cents,
            created.kind,
        ),
        (
            title.as_str(),
            OfferStatus::Draft,
            own,
            Some(own_venue.parse().unwrap()),
            250,
            OfferKind::Course
        )
    );
    let slug = created.slug.clone();
    let create_log = audit_rows(&app, "offer.create", &format!("offer:{id}")).await;
    assert_eq!(create_log.len(), 1, "audit log of the creation");
    assert_eq!(create_log[0].actor_user_id, Some(staff_id));
    let (status, doc) = app.get_html(&path).await;
    assert_eq!(status, 200);
    assert_eq!(text_of(&doc, "h1"), title);
    assert!(text_of(&doc, "main .lead").contains("Entwurf (nicht öffentlich)"));

    // Drafts are not public.
    assert_eq!(app.get(&format!("/kurse/{slug}")).await.status(), 404);
    assert!(!in_catalogue(&app, &code, &slug).await);

    // Dates: each mistake is named.
    let new_date = format!("/verwaltung/angebote/{id}/termine/neu");
    assert_eq!(app.get(&new_date).await.status(), 200);
    let yesterday = berlin_day(-1).to_string();
    let bad = [
        ("day", yesterday.as_str()),
        ("start", "10:00"),
        ("end", "09:00"),
        ("capacity", "0"),
        ("max_places", "2"),
        ("min_participants", "0"),
        ("walk_in_places", "0"),
    ];
    let res = post(&app, &new_date, &token, &bad).await;
    assert_eq!(res.status(), 422);
    let doc = html(res).await;
    for (field, message) in [
        ("day", "Der Termin muss in der Zukunft liegen."),
        ("end", "Das Ende muss nach dem Beginn liegen."),
        ("capacity", "Geben Sie zwischen 1 und 500 Plätzen an."),
    ] {
        let shown = text_of(&doc, &format!("#{field}-error"));
        assert!(shown.ends_with(message), "{field}: {shown:?}");
    }
    assert_eq!(value_of(&doc, "input#day"), yesterday);
    assert_eq!(value_of(&doc, "input#end"), "09:00");
    let day = berlin_day(3);
    let day_text = day.to_string();
    let res = post(&app, &new_date, &token, &date_fields(&day_text, "4", "4")).await;
    assert_eq!(res.status(), 422);
    let shown = text_of(&html(res).await, "#walk_in_places-error");
    assert!(
        shown.ends_with("Es muss mindestens ein Platz online buchbar bleiben."),
        "{shown:?}"
    );
    assert!(dates_of(&app, id).await.is_empty(), "no date stored");

    let res = post(&app, &new_date, &token, &date_fields(&day_text, "8", "2")).await;
    assert_eq!(res.status(), 303);
    let date = dates_of(&app, id).await.remove(0);
    assert_eq!(
        location(&res),
        format!("/verwaltung/termine/{}?erledigt=termin-angelegt", date.id)
    );
    assert_eq!(date.starts_at, at_local(day, 10, 0));
    assert_eq!(date.ends_at, at_local(day, 11, 30));
    assert_eq!((date.capacity, date.walk_in_places), (8, 2));
    assert_eq!(
        date.walk_in_release_at,
        Some(date.starts_at - Duration::hours(24))
    );
    assert_eq!(app.get(&format!("/kurse/{slug}")).await.status(), 404);
    assert!(!in_catalogue(&app, &code, &slug).await, "still a draft");

    // Published: in the catalogue with its date.
    let status_path = format!("/verwaltung/angebote/{id}/status");
    let res = post(
        &app,
        &status_path,
        &token,
        &[("action", "veroeffentlichen")],
    )
    .await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        location(&res),
        path.replace("angebot-angelegt", "angebot-veroeffentlicht")
    );
    assert_eq!(offer_by_id(&app, id).await.status, OfferStatus::Published);
    assert_eq!(
        audit_rows(&app, "offer.published", &format!("offer:{id}"))
            .await
            .len(),
        1,
        "audit log of the publication"
    );
    assert!(in_catalogue(&app, &code, &slug).await);
    let (status, doc) = app.get_html(&format!("/kurse/{slug}")).await;
    assert_eq!(status, 200);
    assert_eq!(text_of(&doc, "h1"), title);
    assert_eq!(
        select(
            &doc,
            &format!("a[href=\"/kurse/{slug}/termine/{}/buchen\"]", date.id)
        )
        .len(),
        1
    );

    // Withdrawn: gone again.
    let res = post(&app, &status_path, &token, &[("action", "zurueckziehen")]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(offer_by_id(&app, id).await.status, OfferStatus::Draft);
    assert_eq!(app.get(&format!("/kurse/{slug}")).await.status(), 404);
    assert!(!in_catalogue(&app, &code, &slug).await);

    // A copy for next term: a draft with the same title and no dates.
    let res = post(
        &app,
        &format!("/verwaltung/angebote/{id}/kopieren"),
        &token,
        &[],
    )
    .await;
    assert_eq!(res.status(), 303);
    let copy_path = location(&res);
    let copy_id: i32 = copy_path
        .strip_prefix("/verwaltung/angebote/")
        .and_then(|rest| rest.strip_suffix("?erledigt=angebot-kopiert"))
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("redirect to the copy, got {copy_path}"));
    assert_ne!(copy_id, id);
    let copy = offer_by_id(&app, copy_id).await;
    assert_eq!(
        (
            copy.title.as_str(),
            copy.status.key(),
            copy.organisation_id,
            copy.venue_id
        ),
        (title.as_str(), "draft", own, created.venue_id)
    );
    assert_ne!(copy.slug, slug);
    assert!(dates_of(&app, copy_id).await.is_empty());
    assert_eq!(
        dates_of(&app, id).await.len(),
        1,
        "the original keeps its date"
    );
    let (status, doc) = app.get_html(&copy_path).await;
    assert_eq!(status, 200);
    assert_eq!(text_of(&doc, "h1"), title);
    assert!(doc.html().contains("Noch keine Termine."));
});

// ---------------------------------------------------------------------------------------------
// 3. Booking by phone
// ---------------------------------------------------------------------------------------------

// The audit entry of a counter booking is written with it: when it cannot be written, there is no
// booking either (staff saw an error for a booking that existed, and booked again).
on_both_backends!(a_counter_booking_and_its_audit_entry_are_one, |app| {
    let course = new_course(&app, OWN_ORG).await;
    let date = add_date(&app, course.offer_id, in_hours(24 * 5), 4, |_| {}).await;
    let token = sign_in(&app, STAFF).await;
    let path = format!("/verwaltung/termine/{}/buchen", date.id);
    let fields = [
        ("name", "Gerda Anruf"),
        ("phone", "0361 123456"),
        ("email", ""),
        ("places", "1"),
    ];
    refuse_inserts(&app.db, "audit_log", true).await;
    let res = post(&app, &path, &token, &fields).await;
    assert!(res.status().is_server_error(), "{}", res.status());
    refuse_inserts(&app.db, "audit_log", false).await;
    assert!(bookings_of_date(&app, date.id).await.is_empty());

    let res = post(&app, &path, &token, &fields).await;
    assert_eq!(res.status(), 303);
    let booked = bookings_of_date(&app, date.id).await;
    assert_eq!(booked.len(), 1);
    let audited = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("booking.staff"))
        .filter(audit_log::Column::Target.eq(format!("booking:{}", booked[0].id)))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(audited, 1);
});

on_both_backends!(staff_book_by_phone_and_may_use_walk_in_places, |app| {
    let course = new_course(&app, OWN_ORG).await;
    let starts_at = at_local(berlin_day(5), 10, 0);
    let date = add_date(&app, course.offer_id, starts_at, 4, |d| {
        d.walk_in_places = Set(2);
        d.walk_in_release_at = Set(Some(starts_at - Duration::hours(24)));
    })
    .await;
    let token = sign_in(&app, STAFF).await;
    let path = format!("/verwaltung/termine/{}/buchen", date.id);

    // Neither phone nor e-mail: the phone field says what is missing.
    let res = post(
        &app,
        &path,
        &token,
        &[
            ("name", "Gerda Anruf"),
            ("phone", ""),
            ("email", ""),
            ("places", "1"),
        ],
    )
    .await;
    assert_eq!(res.status(), 422);
    let doc = html(res).await;
    let shown = text_of(&doc, "#phone-error");
    assert!(
        shown.ends_with(
            "Geben Sie eine Telefonnummer oder E-Mail-Adresse der Person an, damit sie bei Änderungen erreichbar ist."
        ),
        "the message speaks of the caller, not of the staff member: {shown:?}"
    );
    assert_eq!(value_of(&doc, "input#name"), "Gerda Anruf");
    assert_eq!(text_of(&doc, "label[for=name]"), "Name der Person");
    assert!(bookings_of_date(&app, date.id).await.is_empty());

    // Online, the two walk-in places are not for sale: after two places nothing is free.
    let online = book(
        &app,
        date.id,
        ("Olga Online", "olga@example.de", ""),
        "2",
        Channel::Online,
    )
    .await;
    assert_eq!(online.status, BookingStatus::Confirmed);
    let entry = catalogue::date(&app.db, date.id, Utc::now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!((entry.free_places, entry.waiting_list), (0, true));

    // Staff fill them for a caller with a phone number only.
    let mails_before = mail_count(&app).await;
    let res = post(
        &app,
        &path,
        &token,
        &[
            ("name", "Gerda Anruf"),
            ("phone", "0361 123456"),
            ("email", ""),
            ("places", "2"),
        ],
    )
    .await;
    assert_eq!(res.status(), 303);
    let receipt = location(&res);
    let booking_id: i64 = receipt
        .strip_prefix("/verwaltung/buchungen/")
        .and_then(|r| r.strip_suffix("/beleg"))
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("redirect to the receipt, got {receipt}"));
    let stored = booking_by_id(&app, booking_id).await;
    assert_eq!(
        (
            stored.name.as_str(),
            stored.phone.as_deref(),
            stored.email.as_deref(),
            stored.places,
            stored.status.key(),
            stored.channel.as_str(),
        ),
        (
            "Gerda Anruf",
            Some("0361 123456"),
            None,
            2,
            "confirmed",
            "staff"
        )
    );
    assert_eq!(date_by_id(&app, date.id).await.booked_places, 4);
    assert_eq!(
        mail_count(&app).await,
        mails_before,
        "no mail without an address"
    );

    let (status, doc) = app.get_html(&receipt).await;
    assert_eq!(status, 200);
    assert_eq!(text_of(&doc, "h1"), "Buchungsbeleg");
    let rows: Vec<String> = select(&doc, ".summary-list__row")
        .iter()
        .map(|r| r.text().collect::<String>())
        .collect();
    let row = |label: &str| {
        rows.iter()
            .find(|r| r.contains(label))
            .unwrap_or_else(|| panic!("no {label} on the receipt: {rows:?}"))
            .clone()
    };
    assert!(row("Buchungsnummer").contains(&booking_id.to_string()));
    assert!(row("Name").contains("Gerda Anruf"));
    assert!(
        rows.iter().any(|r| r.contains(&course.title)),
        "the course on the receipt: {rows:?}"
    );
    let when = format_instant(starts_at, Language::De, DateStyle::Date);
    assert!(
        rows.iter()
            .any(|r| r.contains(&when) && r.contains("10:00")),
        "{when} on the receipt: {rows:?}"
    );

    // Now the date is full for everyone.
    let late = book(
        &app,
        date.id,
        ("Lena Spät", "lena@example.de", ""),
        "1",
        Channel::Online,
    )
    .await;
    assert_eq!(late.status, BookingStatus::Waitlisted);
});

// Walk-in places are held for the counter; people on the online waiting list cannot get them before
// the release, so a caller booked by staff takes nothing from them.
on_both_backends!(
    staff_can_use_walk_in_places_while_people_wait_online,
    |app| {
        let course = new_course(&app, OWN_ORG).await;
        let starts_at = at_local(berlin_day(5), 10, 0);
        let date = add_date(&app, course.offer_id, starts_at, 4, |d| {
            d.walk_in_places = Set(2);
            d.walk_in_release_at = Set(Some(starts_at - Duration::hours(24)));
        })
        .await;
        let first = book(
            &app,
            date.id,
            ("Olga Online", "olga@example.de", ""),
            "2",
            Channel::Online,
        )
        .await;
        assert_eq!(first.status, BookingStatus::Confirmed);
        let waiting = book(
            &app,
            date.id,
            ("Lena Wartet", "lena@example.de", ""),
            "1",
            Channel::Online,
        )
        .await;
        assert_eq!(waiting.status, BookingStatus::Waitlisted);

        let token = sign_in(&app, STAFF).await;
        let res = post(
            &app,
            &format!("/verwaltung/termine/{}/buchen", date.id),
            &token,
            &[
                ("name", "Gerda Anruf"),
                ("phone", "0361 123456"),
                ("places", "1"),
            ],
        )
        .await;
        assert_eq!(res.status(), 303);
        let at_counter = bookings_of_date(&app, date.id)
            .await
            .into_iter()
            .find(|b| b.name == "Gerda Anruf")
            .expect("staff booking stored");
        assert_eq!(
            at_counter.status,
            BookingStatus::Confirmed,
            "two walk-in places were free"
        );
        assert_eq!(date_by_id(&app, date.id).await.booked_places, 3);
    }
);

// ---------------------------------------------------------------------------------------------
// 4. Participants, attendance, CSV
// ---------------------------------------------------------------------------------------------

on_both_backends!(participants_attendance_and_csv, |app| {
    let course = new_course(&app, OWN_ORG).await;
    let date = add_date(
        &app,
        course.offer_id,
        at_local(berlin_day(4), 14, 0),
        10,
        |_| {},
    )
    .await;
    let people = [
        ("Wanda Warte", "wanda@example.de", "", Channel::Online),
        ("Clara Zuerst", "", "0361 111111", Channel::Staff),
        ("Walter Später", "walter@example.de", "", Channel::Online),
        (
            "Cem Anwesend",
            "cem@example.de",
            "0361 222222",
            Channel::Staff,
        ),
    ];
    let mut ids = Vec::new();
    for (name, email, phone, channel) in people {
        ids.push(
            book(&app, date.id, (name, email, phone), "1", channel)
                .await
                .booking_id,
        );
    }
    // Wanda and Walter came first but are waiting (as after a capacity cut): arrival order alone is not
    // the list's order.
    for id in [ids[0], ids[2]] {
        let mut waiting: booking::ActiveModel = booking_by_id(&app, id).await.into();
        waiting.status = Set(BookingStatus::Waitlisted);
        waiting.update(&app.db).await.unwrap();
    }
    let mut counted: offer_date::ActiveModel = date.clone().into();
    counted.booked_places = Set(2);
    counted.update(&app.db).await.unwrap();
    let (wanda, clara, walter, cem) = (ids[0], ids[1], ids[2], ids[3]);

    let token = sign_in(&app, STAFF).await;
    let page = format!("/verwaltung/termine/{}", date.id);
    let attendance = format!("{page}/anwesenheit");
    for (id, value) in [(clara, "present"), (cem, "absent")] {
        let res = post(
            &app,
            &attendance,
            &token,
            &[("booking", &id.to_string()), ("attendance", value)],
        )
        .await;
        assert_eq!(res.status(), 303);
        assert_eq!(
            location(&res),
            format!("{page}?erledigt=anwesenheit#teilnehmende")
        );
    }
    // Only people with a place can be there: refused with the reason.
    let res = post(
        &app,
        &attendance,
        &token,
        &[("booking", &wanda.to_string()), ("attendance", "present")],
    )
    .await;
    assert_eq!(res.status(), 422);
    assert_eq!(
        booking_by_id(&app, clara)
            .await
            .attendance
            .map(teilhabe::domain::booking::Attendance::key),
        Some("present")
    );
    assert_eq!(
        booking_by_id(&app, cem)
            .await
            .attendance
            .map(teilhabe::domain::booking::Attendance::key),
        Some("absent")
    );
    assert_eq!(booking_by_id(&app, wanda).await.attendance, None);
    assert_eq!(booking_by_id(&app, walter).await.attendance, None);

    let (status, doc) = app.get_html(&page).await;
    assert_eq!(status, 200);
    let rows = select(&doc, "table tbody tr");
    let cells = |row: &scraper::ElementRef, n: usize| -> String {
        row.select(&scraper::Selector::parse("td").unwrap())
            .nth(n)
            .map(|c| c.text().collect::<String>().trim().to_owned())
            .unwrap_or_default()
    };
    let names: Vec<String> = rows.iter().map(|r| cells(r, 0)).collect();
    assert_eq!(
        names,
        [
            "Clara Zuerst",
            "Cem Anwesend",
            "Wanda Warte",
            "Walter Später"
        ],
        "confirmed first, then waiting, each in arrival order"
    );
    assert!(cells(&rows[0], 3).starts_with("Gebucht"));
    assert!(cells(&rows[2], 3).starts_with("Warteliste"));
    let pressed = |row: &scraper::ElementRef, value: &str| -> Option<String> {
        row.select(&scraper::Selector::parse(&format!("button[value=\"{value}\"]")).unwrap())
            .next()
            .and_then(|b| b.value().attr("aria-pressed").map(str::to_owned))
    };
    assert_eq!(pressed(&rows[0], "present").as_deref(), Some("true"));
    assert_eq!(pressed(&rows[0], "absent").as_deref(), Some("false"));
    assert_eq!(pressed(&rows[1], "present").as_deref(), Some("false"));
    assert_eq!(pressed(&rows[1], "absent").as_deref(), Some("true"));
    assert_eq!(
        pressed(&rows[2], "present"),
        None,
        "no attendance while waiting"
    );

    let res = app.get(&format!("{page}/teilnehmende.csv")).await;
    assert_eq!(res.status(), 200);
    let header = |name: &str| {
        res.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    assert!(header("content-type").starts_with("text/csv"));
    assert_eq!(header("cache-control"), "no-store");
    assert!(header("content-disposition").starts_with("attachment"));
    let body = res.bytes().await.unwrap();
    assert_eq!(&body[..3], b"\xEF\xBB\xBF", "UTF-8 byte order mark");
    let mut reader = csv::Reader::from_reader(&body[3..]);
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        [
            "Name",
            "Telefon",
            "E-Mail",
            "Plätze",
            "Status",
            "Weg",
            "Anwesenheit",
            "Gebucht am"
        ]
    );
    let records: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    let summary: Vec<[&str; 6]> = records
        .iter()
        .map(|r| [&r[0], &r[1], &r[2], &r[4], &r[5], &r[6]].map(String::as_str))
        .collect();
    assert_eq!(
        summary,
        [
            [
                "Clara Zuerst",
                "0361 111111",
                "",
                "Gebucht",
                "durch Mitarbeitende",
                "Da"
            ],
            [
                "Cem Anwesend",
                "0361 222222",
                "cem@example.de",
                "Gebucht",
                "durch Mitarbeitende",
                "Nicht gekommen"
            ],
            [
                "Wanda Warte",
                "",
                "wanda@example.de",
                "Warteliste",
                "online",
                ""
            ],
            [
                "Walter Später",
                "",
                "walter@example.de",
                "Warteliste",
                "online",
                ""
            ],
        ]
    );
});

// ---------------------------------------------------------------------------------------------
// 5. Staff cancel a booking: the waiting list moves up
// ---------------------------------------------------------------------------------------------

on_both_backends!(a_cancelled_place_goes_to_the_waiting_list, |app| {
    let course = new_course(&app, OWN_ORG).await;
    let date = add_date(
        &app,
        course.offer_id,
        at_local(berlin_day(6), 10, 0),
        2,
        |_| {},
    )
    .await;
    let anna = book(
        &app,
        date.id,
        ("Anna Abgesagt", "anna@example.de", ""),
        "1",
        Channel::Online,
    )
    .await;
    let bernd = book(
        &app,
        date.id,
        ("Bernd Bleibt", "bernd@example.de", ""),
        "1",
        Channel::Online,
    )
    .await;
    let wilma = book(
        &app,
        date.id,
        ("Wilma Wartet", "wilma@example.de", ""),
        "1",
        Channel::Online,
    )
    .await;
    let paul = book(
        &app,
        date.id,
        ("Paul Telefon", "", "0361 333333"),
        "1",
        Channel::Staff,
    )
    .await;
    assert_eq!(
        [anna.status, bernd.status, wilma.status, paul.status],
        [
            BookingStatus::Confirmed,
            BookingStatus::Confirmed,
            BookingStatus::Waitlisted,
            BookingStatus::Waitlisted
        ]
    );
    let token = sign_in(&app, STAFF).await;

    let res = post(
        &app,
        &format!("/verwaltung/buchungen/{}/stornieren", anna.booking_id),
        &token,
        &[],
    )
    .await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        location(&res),
        format!(
            "/verwaltung/termine/{}?erledigt=buchung-storniert#teilnehmende",
            date.id
        )
    );
    assert_eq!(
        booking_by_id(&app, anna.booking_id).await.status,
        BookingStatus::Cancelled
    );
    assert_eq!(
        booking_by_id(&app, wilma.booking_id).await.status,
        BookingStatus::Confirmed
    );
    assert_eq!(
        booking_by_id(&app, paul.booking_id).await.status,
        BookingStatus::Waitlisted
    );
    assert_eq!(date_by_id(&app, date.id).await.booked_places, 2);
    let promoted = mails_with_subject(
        &app,
        &format!("Ein Platz ist frei geworden: {}", course.title),
    )
    .await;
    assert_eq!(recipients(&promoted), ["wilma@example.de"]);
    let told = mails_with_subject(
        &app,
        &format!("Ihre Buchung wurde storniert: {}", course.title),
    )
    .await;
    assert_eq!(recipients(&told), ["anna@example.de"]);
    assert!(tasks_of(&app, date.id).await.is_empty());
    assert_eq!(
        audit_rows(
            &app,
            "booking.cancel",
            &format!("booking:{}", anna.booking_id)
        )
        .await
        .len(),
        1
    );

    // Paul has no e-mail address: staff get a task to call him.
    let res = post(
        &app,
        &format!("/verwaltung/buchungen/{}/stornieren", bernd.booking_id),
        &token,
        &[],
    )
    .await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        booking_by_id(&app, paul.booking_id).await.status,
        BookingStatus::Confirmed
    );
    let tasks = tasks_of(&app, date.id).await;
    assert_eq!(tasks.len(), 1);
    let task = &tasks[0];
    assert_eq!(
        (
            task.kind.as_str(),
            task.booking_id,
            task.organisation_id,
            task.done_at
        ),
        (
            "call-promoted",
            Some(paul.booking_id),
            course.organisation_id,
            None
        )
    );

    let done = format!("/verwaltung/aufgaben/{}/erledigt", task.id);
    let (status, doc) = app.get_html("/verwaltung/aufgaben").await;
    assert_eq!(status, 200);
    let item = select(&doc, ".result-list li")
        .into_iter()
        .find(|li| li.html().contains(&format!("action=\"{done}\"")))
        .expect("the task is listed");
    let item_text = item.text().collect::<String>();
    assert!(item_text.contains("Anrufen: von der Warteliste nachgerückt"));
    assert!(item_text.contains("Paul Telefon"));
    assert!(item_text.contains(&course.title));
    assert!(item.html().contains("href=\"tel:0361333333\""));

    let res = post(&app, &done, &token, &[]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        location(&res),
        "/verwaltung/aufgaben?erledigt=aufgabe-erledigt"
    );
    let task = staff_task::Entity::find_by_id(task.id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(task.done_at.is_some());
    let (_, doc) = app.get_html("/verwaltung/aufgaben").await;
    assert!(select(&doc, &format!("form[action=\"{done}\"]")).is_empty());
    assert!(!doc.html().contains("Paul Telefon"));
    // A colleague's tab pressed it too: done once, recorded once.
    let res = post(&app, &done, &token, &[]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        audit_rows(&app, "task.done", &format!("task:{}", task.id))
            .await
            .len(),
        1
    );
});

// ---------------------------------------------------------------------------------------------
// 6. Cancelling a date
// ---------------------------------------------------------------------------------------------

on_both_backends!(
    a_cancelled_date_tells_everyone_and_takes_no_bookings,
    |app| {
        let course = new_course(&app, OWN_ORG).await;
        let date = add_date(
            &app,
            course.offer_id,
            at_local(berlin_day(8), 10, 0),
            2,
            |_| {},
        )
        .await;
        // Xaver cancelled himself before; he is not told again.
        let xaver = book(
            &app,
            date.id,
            ("Xaver Weg", "xaver@example.de", ""),
            "1",
            Channel::Online,
        )
        .await;
        app.desk()
            .cancel(&xaver.cancel_token, Utc::now())
            .await
            .unwrap();
        let anna = book(
            &app,
            date.id,
            ("Anna Gebucht", "anna@example.de", ""),
            "1",
            Channel::Online,
        )
        .await;
        let paul = book(
            &app,
            date.id,
            ("Paul Telefon", "", "0361 333333"),
            "1",
            Channel::Staff,
        )
        .await;
        let wilma = book(
            &app,
            date.id,
            ("Wilma Wartet", "wilma@example.de", ""),
            "1",
            Channel::Online,
        )
        .await;
        assert_eq!(
            [anna.status, paul.status, wilma.status],
            [
                BookingStatus::Confirmed,
                BookingStatus::Confirmed,
                BookingStatus::Waitlisted
            ]
        );
        // Nora opened the booking form before the date was cancelled.
        let book_path = format!("/kurse/{}/termine/{}/buchen", course.slug, date.id);
        let nora = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let form_page = nora.get(app.url(&book_path)).send().await.unwrap();
        let form_page = html(form_page).await;
        let nora_form: Vec<(String, String)> = select(
            &form_page,
            &format!("form[action=\"{book_path}\"] input[type=\"hidden\"]"),
        )
        .iter()
        .map(|e| {
            (
                e.value().attr("name").unwrap().to_owned(),
                e.value().attr("value").unwrap().to_owned(),
            )
        })
        .collect();
        assert!(
            nora_form.iter().any(|(k, _)| k == "csrf_token"),
            "{nora_form:?}"
        );
        let token = sign_in(&app, STAFF).await;
        let page = format!("/verwaltung/termine/{}", date.id);

        let res = post(&app, &format!("{page}/absagen"), &token, &[]).await;
        assert_eq!(res.status(), 303);
        assert_eq!(location(&res), format!("{page}?erledigt=termin-abgesagt"));
        let cancelled = date_by_id(&app, date.id).await;
        assert_eq!(
            (cancelled.status.key(), cancelled.revision),
            ("cancelled", 1)
        );

        let subject = format!("Termin abgesagt: {}", course.title);
        let mails = mails_with_subject(&app, &subject).await;
        assert_eq!(recipients(&mails), ["anna@example.de", "wilma@example.de"]);
        for mail in &mails {
            assert!(
                mail.attachment_type
                    .as_deref()
                    .is_some_and(|t| t.starts_with("text/calendar")),
                "calendar attached for {}",
                mail.recipient
            );
            let ics = mail.attachment_body.as_deref().unwrap_or_default();
            assert!(ics.contains("STATUS:CANCELLED"), "{ics}");
        }
        let tasks = tasks_of(&app, date.id).await;
        assert_eq!(
            tasks
                .iter()
                .map(|t| (t.kind.as_str(), t.booking_id))
                .collect::<Vec<_>>(),
            [("call-date-cancelled", Some(paul.booking_id))]
        );

        // Cancelling twice tells nobody twice.
        let res = post(&app, &format!("{page}/absagen"), &token, &[]).await;
        assert_eq!(res.status(), 303);
        assert_eq!(mails_with_subject(&app, &subject).await.len(), 2);
        assert_eq!(tasks_of(&app, date.id).await.len(), 1);

        // The public pages show the cancellation and offer no booking.
        let (status, doc) = app.get_html(&format!("/kurse/{}", course.slug)).await;
        assert_eq!(status, 200);
        assert!(doc.html().contains("Dieser Termin ist abgesagt."));
        assert!(select(&doc, &format!("a[href=\"{book_path}\"]")).is_empty());
        let (status, doc) = app.get_html(&book_path).await;
        assert_eq!(status, 200);
        assert!(text_of(&doc, "main [role=\"alert\"]").contains("Dieser Termin wurde abgesagt."));
        assert!(select(&doc, &format!("form[action=\"{book_path}\"]")).is_empty());
        let ics = app
            .get(&format!("/kalender/termin/{}.ics", date.id))
            .await
            .text()
            .await
            .unwrap();
        assert!(ics.contains("STATUS:CANCELLED"));

        // Booking it is refused, through a form opened before and by staff.
        let bookings_before = bookings_of_date(&app, date.id).await.len();
        let mut fields = vec![
            ("name", "Nora Neu"),
            ("email", "nora@example.de"),
            ("places", "1"),
        ];
        fields.extend(nora_form.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let res = nora
            .post(app.url(&book_path))
            .form(&fields)
            .send()
            .await
            .unwrap();
        let doc = html(res).await;
        assert!(
            text_of(&doc, "main [role=\"alert\"]").contains("Dieser Termin wurde abgesagt."),
            "public refusal"
        );
        let (_, staff_page) = app.get_html(&page).await;
        assert!(staff_page.html().contains("Dieser Termin ist abgesagt."));
        assert!(select(&staff_page, &format!("form[action=\"{page}/buchen\"]")).is_empty());
        let res = post(
            &app,
            &format!("{page}/buchen"),
            &token,
            &[
                ("name", "Gerda Anruf"),
                ("phone", "0361 123456"),
                ("places", "1"),
            ],
        )
        .await;
        assert_eq!(res.status(), 422);
        // The booking form is gone from the page, so the summary at the top names the reason.
        assert_eq!(
            text_of(&html(res).await, ".error-summary__list"),
            "Dieser Termin wurde abgesagt."
        );
        assert_eq!(bookings_of_date(&app, date.id).await.len(), bookings_before);
    }
);

// ---------------------------------------------------------------------------------------------
// 7. Changing a date
// ---------------------------------------------------------------------------------------------

on_both_backends!(
    a_changed_time_is_announced_and_capacity_keeps_booked_places,
    |app| {
        let day = berlin_day(9);
        let (course, date, _) = course_with_anna(&app, 3).await;
        let paul = book(
            &app,
            date.id,
            ("Paul Telefon", "", "0361 333333"),
            "1",
            Channel::Staff,
        )
        .await;
        let token = sign_in(&app, STAFF).await;
        let edit = format!("/verwaltung/termine/{}/bearbeiten", date.id);

        let (status, doc) = app.get_html(&edit).await;
        assert_eq!(status, 200);
        let shown = form_values(&doc, &edit);
        let value = |name: &str| {
            shown
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
                .unwrap_or_else(|| panic!("no {name} in {shown:?}"))
        };
        assert_eq!(
            [
                value("day"),
                value("start"),
                value("end"),
                value("capacity")
            ],
            [day.to_string().as_str(), "10:00", "11:30", "3"]
        );

        // Two hours later.
        let later = with(&shown, &[("start", "14:00"), ("end", "15:30")]);
        let res = post(&app, &edit, &token, &as_pairs(&later)).await;
        assert_eq!(res.status(), 303);
        assert_eq!(
            location(&res),
            format!("/verwaltung/termine/{}?erledigt=termin-verschoben", date.id)
        );
        let changed = date_by_id(&app, date.id).await;
        assert_eq!(changed.starts_at, at_local(day, 14, 0));
        assert_eq!(changed.ends_at, at_local(day, 15, 30));
        assert_eq!(changed.revision, 1);

        let compact = day.format("%Y%m%d").to_string();
        let subject = format!("Termin geändert: {}", course.title);
        let mails = mails_with_subject(&app, &subject).await;
        assert_eq!(recipients(&mails), ["anna@example.de"]);
        let attached = mails[0].attachment_body.as_deref().unwrap_or_default();
        assert!(attached.contains("SEQUENCE:1"), "{attached}");
        assert!(
            attached.contains(&format!("{compact}T140000")),
            "{attached}"
        );
        assert_eq!(
            tasks_of(&app, date.id)
                .await
                .iter()
                .map(|t| (t.kind.as_str(), t.booking_id))
                .collect::<Vec<_>>(),
            [("call-date-changed", Some(paul.booking_id))]
        );

        let res = app.get(&format!("/kalender/termin/{}.ics", date.id)).await;
        assert_eq!(res.status(), 200);
        let ics = res.text().await.unwrap().replace("\r\n", "\n");
        assert!(ics.contains("SEQUENCE:1"), "{ics}");
        assert!(
            ics.contains(&format!("DTSTART;TZID=Europe/Berlin:{compact}T140000")),
            "{ics}"
        );
        assert!(
            ics.contains(&format!("DTEND;TZID=Europe/Berlin:{compact}T153000")),
            "{ics}"
        );

        // The form opened again after the move.
        let (_, doc) = app.get_html(&edit).await;
        let later = form_values(&doc, &edit);

        // Fewer places than are booked: refused, nothing changes, nobody is told.
        let mails_before = mail_count(&app).await;
        let fewer = with(&later, &[("capacity", "1"), ("max_places", "1")]);
        let res = post(&app, &edit, &token, &as_pairs(&fewer)).await;
        assert_eq!(res.status(), 422);
        let doc = html(res).await;
        let shown = text_of(&doc, "#capacity-error");
        assert!(
        shown.ends_with(
            "Es sind schon mehr Plätze gebucht. Sagen Sie erst Buchungen ab oder wählen Sie mehr Plätze."
        ),
        "{shown:?}"
    );
        assert_eq!(value_of(&doc, "input#capacity"), "1");
        assert_eq!(date_by_id(&app, date.id).await, changed);
        assert_eq!(mail_count(&app).await, mails_before);

        // More places at the same time: saved without a change notice.
        let more = with(&later, &[("capacity", "5")]);
        let res = post(&app, &edit, &token, &as_pairs(&more)).await;
        assert_eq!(res.status(), 303);
        let saved = date_by_id(&app, date.id).await;
        assert_eq!((saved.capacity, saved.revision), (5, 1));
        assert_eq!(
            mail_count(&app).await,
            mails_before,
            "no mail when the time stays"
        );
    }
);

// ---------------------------------------------------------------------------------------------
// 8. Jobs
// ---------------------------------------------------------------------------------------------

on_both_backends!(reminders_go_out_once_to_confirmed_people, |app| {
    let course = new_course(&app, OWN_ORG).await;
    let soon = add_date(&app, course.offer_id, in_hours(30), 3, |_| {}).await;
    let xaver = book(
        &app,
        soon.id,
        ("Xaver Weg", "xaver@example.de", ""),
        "1",
        Channel::Online,
    )
    .await;
    app.desk()
        .cancel(&xaver.cancel_token, Utc::now())
        .await
        .unwrap();
    for (name, email, phone) in [
        ("Anna Gebucht", "anna@example.de", ""),
        ("Bernd Gebucht", "bernd@example.de", ""),
        ("Paul Telefon", "", "0361 333333"),
        ("Wilma Wartet", "wilma@example.de", ""),
    ] {
        book(&app, soon.id, (name, email, phone), "1", Channel::Staff).await;
    }
    let other = new_course(&app, OWN_ORG).await;
    let later = add_date(&app, other.offer_id, in_hours(24 * 5), 3, |_| {}).await;
    book(
        &app,
        later.id,
        ("Clara Später", "clara@example.de", ""),
        "1",
        Channel::Online,
    )
    .await;

    let subject = format!("Erinnerung: {}", course.title);
    let desk = app.desk();
    let sent = desk
        .send_reminders(Duration::hours(48), Utc::now())
        .await
        .unwrap();
    assert!(
        sent >= 3,
        "three confirmed bookings of the date, got {sent}"
    );
    let reminders = mails_with_subject(&app, &subject).await;
    assert_eq!(
        recipients(&reminders),
        ["anna@example.de", "bernd@example.de"],
        "one per confirmed booking with an address"
    );
    assert!(reminders.iter().all(|m| m.attachment_body.is_some()));
    assert!(
        mails_with_subject(&app, &format!("Erinnerung: {}", other.title))
            .await
            .is_empty(),
        "not yet for dates further ahead"
    );
    assert!(date_by_id(&app, soon.id).await.reminder_sent_at.is_some());
    assert_eq!(date_by_id(&app, later.id).await.reminder_sent_at, None);

    let again = desk
        .send_reminders(Duration::hours(48), Utc::now())
        .await
        .unwrap();
    assert_eq!(again, 0);
    assert_eq!(mails_with_subject(&app, &subject).await.len(), 2);
});

// Reminders go out date by date, earliest first: a date whose reminders keep failing (here its
// reminder rows are refused) must not hold back the dates after it.
on_both_backends!(a_date_whose_reminders_fail_holds_back_no_other, |app| {
    use sea_orm::ConnectionTrait;
    let course = new_course(&app, OWN_ORG).await;
    let failing = add_date(&app, course.offer_id, in_hours(20), 8, |_| {}).await;
    let later = add_date(&app, course.offer_id, in_hours(22), 8, |_| {}).await;
    let stuck = book(
        &app,
        failing.id,
        ("Anna", "anna@example.de", ""),
        "1",
        Channel::Online,
    )
    .await;
    book(
        &app,
        later.id,
        ("Bernd", "bernd@example.de", ""),
        "1",
        Channel::Online,
    )
    .await;
    let postgres = app.db.get_database_backend() == sea_orm::DatabaseBackend::Postgres;
    let (refuse, allow) = if postgres {
        (
            format!(
                "CREATE FUNCTION refuse_reminder() RETURNS trigger AS $$ BEGIN \
                 IF NEW.booking_id = {} THEN RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$ \
                 LANGUAGE plpgsql; CREATE TRIGGER refuse_reminder BEFORE INSERT ON booking_reminders \
                 FOR EACH ROW EXECUTE FUNCTION refuse_reminder();",
                stuck.booking_id
            ),
            "DROP TRIGGER refuse_reminder ON booking_reminders; DROP FUNCTION refuse_reminder();"
                .to_owned(),
        )
    } else {
        (
            format!(
                "CREATE TRIGGER refuse_reminder BEFORE INSERT ON booking_reminders \
                 WHEN NEW.booking_id = {} BEGIN SELECT RAISE(ABORT, 'refused'); END;",
                stuck.booking_id
            ),
            "DROP TRIGGER refuse_reminder;".to_owned(),
        )
    };
    app.db.execute_unprepared(&refuse).await.unwrap();
    let reminded = |to: &'static str| {
        let app = &app;
        async move {
            outbox::Entity::find()
                .filter(outbox::Column::Recipient.eq(to))
                .all(&app.db)
                .await
                .unwrap()
                .iter()
                .filter(|m| m.subject.starts_with("Erinnerung"))
                .count()
        }
    };
    app.desk()
        .send_reminders(Duration::hours(48), Utc::now())
        .await
        .unwrap();
    assert_eq!(reminded("bernd@example.de").await, 1);
    assert_eq!(reminded("anna@example.de").await, 0);
    app.db.execute_unprepared(&allow).await.unwrap();
    app.desk()
        .send_reminders(Duration::hours(48), Utc::now())
        .await
        .unwrap();
    assert_eq!(
        reminded("anna@example.de").await,
        1,
        "the next run catches up"
    );
});

// A cancellation still in flight when the job reads the due dates: the job claims the decision
// only after it, and must judge by the count the cancellation left.
on_both_backends!(
    a_cancellation_during_the_decision_still_raises_the_task,
    |app| {
        use sea_orm::{TransactionTrait, sea_query::Expr};
        let course = new_course(&app, OWN_ORG).await;
        let date = add_date(&app, course.offer_id, in_hours(24 * 10), 8, |d| {
            d.min_participants = Set(2);
            d.decision_at = Set(Some(Utc::now() - Duration::hours(1)));
        })
        .await;
        for (name, email) in [("Bernd", "bernd@example.de"), ("Clara", "clara@example.de")] {
            book(&app, date.id, (name, email, ""), "1", Channel::Online).await;
        }
        let cancellation = app.db.begin().await.unwrap();
        offer_date::Entity::update_many()
            .col_expr(offer_date::Column::BookedPlaces, Expr::value(1))
            .filter(offer_date::Column::Id.eq(date.id))
            .exec(&cancellation)
            .await
            .unwrap();
        let desk = app.desk();
        let job = tokio::spawn(async move { desk.raise_decision_tasks(Utc::now()).await });
        tokio::time::sleep(std::time::Duration::from_millis(700)).await;
        cancellation.commit().await.unwrap();
        job.await.unwrap().unwrap();
        assert_eq!(tasks_of(&app, date.id).await.len(), 1);
    }
);

on_both_backends!(dates_below_their_minimum_raise_one_decision_task, |app| {
    let course = new_course(&app, OWN_ORG).await;
    let now = Utc::now();
    let with_minimum = |min: i32, decide_at: DateTime<Utc>| {
        move |d: &mut offer_date::ActiveModel| {
            d.min_participants = Set(min);
            d.decision_at = Set(Some(decide_at));
        }
    };
    let below = add_date(
        &app,
        course.offer_id,
        in_hours(24 * 10),
        8,
        with_minimum(3, now - Duration::hours(1)),
    )
    .await;
    let enough = add_date(
        &app,
        course.offer_id,
        in_hours(24 * 11),
        8,
        with_minimum(2, now - Duration::hours(1)),
    )
    .await;
    let not_yet = add_date(
        &app,
        course.offer_id,
        in_hours(24 * 20),
        8,
        with_minimum(3, now + Duration::days(6)),
    )
    .await;
    book(
        &app,
        below.id,
        ("Anna Gebucht", "anna@example.de", ""),
        "1",
        Channel::Online,
    )
    .await;
    for (name, email) in [("Bernd", "bernd@example.de"), ("Clara", "clara@example.de")] {
        book(&app, enough.id, (name, email, ""), "1", Channel::Online).await;
    }

    let desk = app.desk();
    desk.raise_decision_tasks(Utc::now()).await.unwrap();
    let tasks = tasks_of(&app, below.id).await;
    assert_eq!(
        tasks
            .iter()
            .map(|t| (t.kind.as_str(), t.organisation_id, t.booking_id, t.done_at))
            .collect::<Vec<_>>(),
        [("decide-minimum", course.organisation_id, None, None)]
    );
    assert!(
        tasks_of(&app, enough.id).await.is_empty(),
        "minimum reached"
    );
    assert!(tasks_of(&app, not_yet.id).await.is_empty(), "not due yet");

    desk.raise_decision_tasks(Utc::now()).await.unwrap();
    desk.raise_decision_tasks(Utc::now() + Duration::hours(1))
        .await
        .unwrap();
    assert_eq!(tasks_of(&app, below.id).await.len(), 1, "only once");

    sign_in(&app, STAFF).await;
    let (_, doc) = app.get_html("/verwaltung/aufgaben").await;
    let item = select(&doc, ".result-list li")
        .into_iter()
        .find(|li| {
            li.html()
                .contains(&format!("href=\"/verwaltung/termine/{}\"", below.id))
        })
        .expect("the task is listed");
    assert!(
        item.text()
            .collect::<String>()
            .contains("Zu wenige Anmeldungen: Termin bestätigen oder absagen")
    );
});

on_both_backends!(personal_data_is_removed_after_the_retention_period, |app| {
    let course = new_course(&app, OWN_ORG).await;
    let now = Utc::now();
    let old = add_date(&app, course.offer_id, now - Duration::days(101), 4, |d| {
        d.booked_places = Set(3);
    })
    .await;
    let recent = add_date(&app, course.offer_id, now - Duration::days(10), 4, |d| {
        d.booked_places = Set(1);
    })
    .await;
    let sealer = app.sealer();
    let stored = |date_id: i32,
                  name: &str,
                  email: Option<&str>,
                  phone: Option<&str>,
                  places: i32,
                  channel: &str| {
        let token = sessions::random_token();
        let model = booking::ActiveModel {
            date_id: Set(date_id),
            user_id: Set(None),
            name: Set(name.to_owned()),
            email: Set(email.map(str::to_owned)),
            phone: Set(phone.map(str::to_owned)),
            places: Set(places),
            status: Set(BookingStatus::Confirmed),
            channel: Set(channel.to_owned()),
            cancel_token_hash: Set(sessions::hash_token(&token)),
            manage_link_sealed: Set(Some(booking::sealed_link(
                &sealer,
                &token,
                &sessions::hash_token(&token),
            ))),
            language: Set("de".into()),
            created_at: Set(now - Duration::days(120)),
            attendance: Set(Some(teilhabe::domain::booking::Attendance::Present)),
            ..Default::default()
        };
        (token, model)
    };
    let (anna_token, anna) = stored(
        old.id,
        "Anna Alt",
        Some("anna@example.de"),
        None,
        2,
        "online",
    );
    let anna = anna.insert(&app.db).await.unwrap();
    let (_, paul) = stored(
        old.id,
        "Paul Telefon",
        None,
        Some("0361 333333"),
        1,
        "staff",
    );
    let paul = paul.insert(&app.db).await.unwrap();
    let (bernd_token, bernd) = stored(
        recent.id,
        "Bernd Neu",
        Some("bernd@example.de"),
        None,
        1,
        "online",
    );
    let bernd = bernd.insert(&app.db).await.unwrap();
    let future = add_date(&app, course.offer_id, in_hours(24 * 3), 4, |_| {}).await;
    let clara = book(
        &app,
        future.id,
        ("Clara Kommt", "clara@example.de", ""),
        "1",
        Channel::Online,
    )
    .await;
    let clara_before = booking_by_id(&app, clara.booking_id).await;
    assert_eq!(
        app.get(&format!("/buchung/{anna_token}")).await.status(),
        200
    );
    // A mail about Anna's booking still being retried (a retention period shorter than the
    // outbox's month), and one about Bernd's: it carries the name, the address and the link.
    let retried = |booking: &booking::Model| {
        teilhabe::db::entities::outbox::ActiveModel {
            message_id: Set(format!("<retried-{}@teilhabe.test>", booking.id)),
            recipient: Set(booking.email.clone().unwrap()),
            subject: Set(format!("Ihre Buchung, {}", booking.name)),
            body_text: Set("http://teilhabe.test/buchung/…".into()),
            body_html: Set(String::new()),
            attempts: Set(3),
            next_attempt_at: Set(now + Duration::hours(1)),
            created_at: Set(now - Duration::days(2)),
            booking_id: Set(Some(booking.id)),
            ..Default::default()
        }
        .insert(&app.db)
    };
    retried(&anna).await.unwrap();
    retried(&bernd).await.unwrap();
    let mails_about = |booking_id: i64| {
        teilhabe::db::entities::outbox::Entity::find()
            .filter(teilhabe::db::entities::outbox::Column::BookingId.eq(booking_id))
            .count(&app.db)
    };

    let removed = app
        .desk()
        .anonymise_past_bookings(Duration::days(90), now)
        .await
        .unwrap();
    assert!(removed >= 2, "both old bookings, got {removed}");
    for before in [&anna, &paul] {
        let after = booking_by_id(&app, before.id).await;
        assert_eq!(
            (
                after.name.as_str(),
                after.email.as_deref(),
                after.phone.as_deref(),
                after.manage_token.as_deref(),
                after.manage_link_sealed.as_deref()
            ),
            ("", None, None, None, None),
            "{} anonymised",
            before.name
        );
        assert!(after.anonymised_at.is_some());
        assert_eq!(
            (
                after.places,
                after.status.key(),
                after.channel.as_str(),
                after
                    .attendance
                    .map(teilhabe::domain::booking::Attendance::key),
                after.date_id
            ),
            (
                before.places,
                before.status.key(),
                before.channel.as_str(),
                before
                    .attendance
                    .map(teilhabe::domain::booking::Attendance::key),
                before.date_id
            ),
            "counts stay"
        );
    }
    assert_eq!(booking_by_id(&app, bernd.id).await, bernd);
    assert_eq!(booking_by_id(&app, clara.booking_id).await, clara_before);
    assert_eq!(mails_about(anna.id).await.unwrap(), 0, "Anna's mail went");
    assert_eq!(mails_about(bernd.id).await.unwrap(), 1);
    assert_eq!(
        app.get(&format!("/buchung/{anna_token}")).await.status(),
        404
    );
    let res = app.get(&format!("/buchung/{bernd_token}")).await;
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("Bernd Neu"));

    assert_eq!(
        app.desk()
            .anonymise_past_bookings(Duration::days(90), now)
            .await
            .unwrap(),
        0,
        "nothing twice"
    );
});

// A semester course booked as a whole runs longer than the retention period: its participants keep
// their names, addresses and personal link until the retention period has passed since the last
// session, not since the first date (where the bookings sit).
on_both_backends!(
    a_running_course_keeps_its_participants_past_the_retention_period,
    |app| {
        let course = new_course(&app, OWN_ORG).await;
        let now = Utc::now();
        let lead = add_date(&app, course.offer_id, now - Duration::days(101), 4, |d| {
            d.booked_places = Set(1);
        })
        .await;
        let last_session = add_date(&app, course.offer_id, now + Duration::days(5), 4, |d| {
            d.series_lead_id = Set(Some(lead.id));
        })
        .await;
        let token = sessions::random_token();
        let booking = booking::ActiveModel {
            date_id: Set(lead.id),
            name: Set("Erna Semester".into()),
            email: Set(Some("erna@example.de".into())),
            places: Set(1),
            status: Set(BookingStatus::Confirmed),
            channel: Set("online".into()),
            cancel_token_hash: Set(sessions::hash_token(&token)),
            manage_link_sealed: Set(Some(booking::sealed_link(
                &app.sealer(),
                &token,
                &sessions::hash_token(&token),
            ))),
            language: Set("de".into()),
            created_at: Set(now - Duration::days(120)),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .unwrap();

        let retention = Duration::days(90);
        app.desk()
            .anonymise_past_bookings(retention, now)
            .await
            .unwrap();
        assert_eq!(
            booking_by_id(&app, booking.id).await,
            booking,
            "the course is still running"
        );
        assert_eq!(app.get(&format!("/buchung/{token}")).await.status(), 200);

        let after_the_last_session = last_session.ends_at + retention + Duration::hours(1);
        app.desk()
            .anonymise_past_bookings(retention, after_the_last_session)
            .await
            .unwrap();
        let after = booking_by_id(&app, booking.id).await;
        assert_eq!(
            (after.name.as_str(), after.email.as_deref()),
            ("", None),
            "anonymised once the retention period has passed since the last session"
        );
    }
);

// ---------------------------------------------------------------------------------------------
// Found along the way
// ---------------------------------------------------------------------------------------------

// The printed receipt carries the person's own link only for a booking without an address: taken by
// phone or at the counter, its maker has no other way to it. A booking with an address got the link
// by mail, and staff holding it could cancel or answer an offer of places as the person.
on_both_backends!(
    a_receipt_shows_the_personal_link_only_without_an_address,
    |app| {
        let (_, date, anna) = course_with_anna(&app, 3).await;
        let gerda = book(
            &app,
            date.id,
            ("Gerda Anruf", "", "0361 123456"),
            "1",
            Channel::Staff,
        )
        .await;
        sign_in(&app, STAFF).await;
        let app = &app;
        let receipt = |id: i64| {
            let path = format!("/verwaltung/buchungen/{id}/beleg");
            async move {
                let res = app.get(&path).await;
                assert_eq!(res.status(), 200);
                res.text().await.unwrap()
            }
        };
        let annas = receipt(anna.booking_id).await;
        // Tera writes the slashes of the link as `&#x2F;`; the secret itself is plain hex.
        assert!(!annas.contains(&anna.cancel_token), "{annas}");
        assert!(!annas.contains("receipt-link"), "{annas}");
        assert!(annas.contains("Link in Ihrer Bestätigungs-E-Mail"));
        let gerdas = receipt(gerda.booking_id).await;
        assert!(
            gerdas.contains(&format!("buchung&#x2F;{}", gerda.cancel_token)),
            "{gerdas}"
        );
    }
);

// A provider adds places because people are waiting: they should get them, not wait for a
// cancellation. The new places go to the waiting list in the change's own transaction. When that
// part failed after the change was stored, staff saw an error saying nothing was saved, while the
// capacity had changed and the places stayed free with people waiting.
on_both_backends!(more_places_go_to_the_waiting_list_with_the_change, |app| {
    let (course, date, _) = course_with_anna(&app, 1).await;
    let wilma = book(
        &app,
        date.id,
        ("Wilma Wartet", "wilma@example.de", ""),
        "1",
        Channel::Online,
    )
    .await;
    let token = sign_in(&app, STAFF).await;
    let edit = format!("/verwaltung/termine/{}/bearbeiten", date.id);
    let (_, doc) = app.get_html(&edit).await;
    let more = with(&form_values(&doc, &edit), &[("capacity", "2")]);
    let more = as_pairs(&more);
    refuse_where(&app.db, "UPDATE", "bookings", "NEW.status = 'confirmed'").await;
    let res = post(&app, &edit, &token, &more).await;
    assert!(res.status().is_server_error(), "{}", res.status());
    stop_refusing(&app.db, "bookings").await;
    assert_eq!(date_by_id(&app, date.id).await.capacity, 1);
    assert_eq!(
        booking_by_id(&app, wilma.booking_id).await.status,
        BookingStatus::Waitlisted
    );

    let res = post(&app, &edit, &token, &more).await;
    assert_eq!(res.status(), 303);
    assert_eq!(date_by_id(&app, date.id).await.capacity, 2);
    assert_eq!(
        booking_by_id(&app, wilma.booking_id).await.status,
        BookingStatus::Confirmed,
        "the new place goes to the first person waiting"
    );
    assert_eq!(
        recipients(
            &mails_with_subject(
                &app,
                &format!("Ein Platz ist frei geworden: {}", course.title)
            )
            .await
        ),
        ["wilma@example.de"]
    );
});

/// A cancelled date cannot be edited from its page; a form left open before the cancellation must not
/// move it either and tell the people "date changed" about a date that does not take place.
#[tokio::test]
async fn a_cancelled_date_cannot_be_changed() {
    let app = spawn_app(Backend::Sqlite, Default::default())
        .await
        .unwrap();
    let (course, date, _) = course_with_anna(&app, 3).await;
    let token = sign_in(&app, STAFF).await;
    let edit = format!("/verwaltung/termine/{}/bearbeiten", date.id);
    let (_, doc) = app.get_html(&edit).await;
    let later = with(
        &form_values(&doc, &edit),
        &[("start", "14:00"), ("end", "15:30")],
    );
    let res = post(
        &app,
        &format!("/verwaltung/termine/{}/absagen", date.id),
        &token,
        &[],
    )
    .await;
    assert_eq!(res.status(), 303);
    let cancelled = date_by_id(&app, date.id).await;

    let res = post(&app, &edit, &token, &as_pairs(&later)).await;
    assert_ne!(res.status(), 303, "the change is refused");
    assert_eq!(
        date_by_id(&app, date.id).await,
        cancelled,
        "nothing changed"
    );
    assert!(
        mails_with_subject(&app, &format!("Termin geändert: {}", course.title))
            .await
            .is_empty(),
        "nobody is told of a change to a cancelled date"
    );
}

// Two people open the same date's form. One moves the date an hour later; the other, with the
// older form, raises the places. Saving the older form must not put the date back at its old time
// (and tell everyone booked of a second move) without that person seeing the move: it is refused,
// the stored date is shown and the input kept, and saving again applies it knowingly.
on_both_backends!(
    a_date_form_opened_before_another_change_cannot_undo_it,
    |app| {
        let day = berlin_day(9);
        let (course, date, _) = course_with_anna(&app, 3).await;
        let token = sign_in(&app, STAFF).await;
        let edit = format!("/verwaltung/termine/{}/bearbeiten", date.id);
        let (_, doc) = app.get_html(&edit).await;
        let opened = form_values(&doc, &edit);
        let moved = with(&opened, &[("start", "11:00"), ("end", "12:30")]);
        let res = post(&app, &edit, &token, &as_pairs(&moved)).await;
        assert_eq!(res.status(), 303);
        let after_move = date_by_id(&app, date.id).await;
        assert_eq!(after_move.starts_at, at_local(day, 11, 0));

        let more_places = with(&opened, &[("capacity", "5")]);
        let res = post(&app, &edit, &token, &as_pairs(&more_places)).await;
        let doc = refused_as_changed(res, "seit Sie das Formular geöffnet haben", "11:00").await;
        assert_eq!(
            select(&doc, "#capacity")[0].value().attr("value"),
            Some("5"),
            "the input is kept"
        );
        assert_eq!(
            date_by_id(&app, date.id).await,
            after_move,
            "nothing changed"
        );
        assert_eq!(
            mails_with_subject(&app, &format!("Termin geändert: {}", course.title))
                .await
                .len(),
            1,
            "Anna is told of the one move only"
        );

        let again = form_as_sent(&doc, &edit);
        let res = app.post_form(&edit, &as_pairs(&again)).await;
        assert_eq!(
            res.status(),
            303,
            "saved again with the stored date in view"
        );
        let saved = date_by_id(&app, date.id).await;
        assert_eq!((saved.starts_at, saved.capacity), (at_local(day, 10, 0), 5));
    }
);

// Two people open the same offer. One moves the course to another venue (everyone booked is told);
// the other, with the older form, fixes the description. Saving the older form must not move the
// course back and announce the old place again: it is refused with the stored place shown and the
// input kept; saving again applies it knowingly.
on_both_backends!(
    an_offer_form_opened_before_another_change_cannot_undo_it,
    |app| {
        let (course, _, _) = course_with_anna(&app, 3).await;
        let old_venue = offer_by_id(&app, course.offer_id).await.venue_id.unwrap();
        sign_in(&app, STAFF).await;
        let edit = format!("/verwaltung/angebote/{}", course.offer_id);
        let (_, doc) = app.get_html(&edit).await;
        let opened = form_as_sent(&doc, &edit);
        let new_place = another_venue(
            &app,
            &course,
            (
                "probierladen-erfurt-zweigstelle",
                "Probierladen Zweigstelle",
                "Krämpferstraße 5",
            ),
        )
        .await;
        move_course(&app, &course, new_place.id).await;
        let told = || async {
            mails_with_subject(&app, &format!("Termin geändert: {}", course.title))
                .await
                .len()
        };
        assert_eq!(told().await, 1, "Anna is told of the new place");

        let typo_fixed = with(
            &opened,
            &[(
                "description",
                "Wir zeigen Schritt für Schritt, wie ein Tablet funktioniert.",
            )],
        );
        let res = app.post_form(&edit, &as_pairs(&typo_fixed)).await;
        let doc = refused_as_changed(
            res,
            "seit Sie das Formular geöffnet haben",
            "Probierladen Zweigstelle",
        )
        .await;
        assert_eq!(
            text_of(&doc, "textarea#description"),
            "Wir zeigen Schritt für Schritt, wie ein Tablet funktioniert.",
            "the input is kept"
        );
        assert_eq!(
            offer_by_id(&app, course.offer_id).await.venue_id,
            Some(new_place.id),
            "the move stands"
        );
        assert_eq!(told().await, 1, "nobody is told of a move back");

        let again = form_as_sent(&doc, &edit);
        let res = app.post_form(&edit, &as_pairs(&again)).await;
        assert_eq!(
            res.status(),
            303,
            "saved again with the stored place in view"
        );
        assert_eq!(
            offer_by_id(&app, course.offer_id).await.venue_id,
            Some(old_venue)
        );
    }
);

// A publish or withdraw button left on an older page does not bring back an offer someone cancelled
// meanwhile: its dates are cancelled and everyone was told. Reopened as a draft (its own button), it
// can be published again.
on_both_backends!(
    a_cancelled_offer_is_not_published_from_an_older_page,
    |app| {
        let course = new_course(&app, OWN_ORG).await;
        add_date(
            &app,
            course.offer_id,
            at_local(berlin_day(9), 10, 0),
            3,
            |_| {},
        )
        .await;
        let token = sign_in(&app, STAFF).await;
        let page = format!("/verwaltung/angebote/{}", course.offer_id);
        let set_status = |action: &'static str| {
            let (app, token, page) = (&app, &token, &page);
            async move { post(app, &format!("{page}/status"), token, &[("action", action)]).await }
        };
        assert_eq!(set_status("zurueckziehen").await.status(), 303);
        assert_eq!(
            offer_by_id(&app, course.offer_id).await.status,
            OfferStatus::Draft
        );
        let res = post(&app, &format!("{page}/absagen"), &token, &[]).await;
        assert_eq!(res.status(), 303);

        let res = set_status("veroeffentlichen").await;
        assert_eq!(res.status(), 422, "refused");
        let doc = html(res).await;
        assert!(
            text_of(&doc, ".error-summary").contains("seit Sie die Seite geöffnet haben"),
            "{}",
            text_of(&doc, ".error-summary")
        );
        assert_eq!(
            offer_by_id(&app, course.offer_id).await.status,
            OfferStatus::Cancelled
        );

        // "Withdraw" from a page that showed it published does not reopen it either.
        assert_eq!(set_status("zurueckziehen").await.status(), 422);
        assert_eq!(
            offer_by_id(&app, course.offer_id).await.status,
            OfferStatus::Cancelled
        );

        assert_eq!(set_status("wieder-oeffnen").await.status(), 303, "reopened");
        assert_eq!(
            offer_by_id(&app, course.offer_id).await.status,
            OfferStatus::Draft
        );
        assert_eq!(set_status("veroeffentlichen").await.status(), 303);
        assert_eq!(
            offer_by_id(&app, course.offer_id).await.status,
            OfferStatus::Published
        );
    }
);

/// Names come from the public booking form; in the participant list they must stay text, not become
/// spreadsheet formulas when staff open the file (CSV/formula injection).
#[tokio::test]
async fn the_participant_list_does_not_carry_formulas() {
    let app = spawn_app(Backend::Sqlite, Default::default())
        .await
        .unwrap();
    let course = new_course(&app, OWN_ORG).await;
    let date = add_date(
        &app,
        course.offer_id,
        at_local(berlin_day(9), 10, 0),
        3,
        |_| {},
    )
    .await;
    let name = "=HYPERLINK(\"https://boese.example/\";\"Liste aktualisieren\")";
    book(
        &app,
        date.id,
        (name, "mallory@example.de", ""),
        "1",
        Channel::Online,
    )
    .await;
    sign_in(&app, STAFF).await;
    let res = app
        .get(&format!("/verwaltung/termine/{}/teilnehmende.csv", date.id))
        .await;
    assert_eq!(res.status(), 200);
    let body = res.bytes().await.unwrap();
    let mut reader = csv::Reader::from_reader(&body[3..]);
    let record = reader.records().next().unwrap().unwrap();
    let cell = &record[0];
    assert!(
        cell.contains("HYPERLINK"),
        "the name is still there: {cell}"
    );
    assert!(
        !cell.starts_with(['=', '+', '-', '@']),
        "a spreadsheet would run this as a formula: {cell}"
    );
}

on_both_backends!(a_course_with_several_sessions_is_booked_as_a_whole, |app| {
    let course = new_course(&app, OWN_ORG).await;
    let lead = add_date(&app, course.offer_id, in_hours(72), 8, |_| {}).await;
    let token = sign_in(&app, STAFF).await;

    // Staff add two sessions through the form; a session before the first date is refused.
    let day = |hours: i64| {
        in_hours(hours)
            .with_timezone(&Berlin)
            .format("%Y-%m-%d")
            .to_string()
    };
    let path = format!("/verwaltung/termine/{}/folgetermin", lead.id);
    let early = day(24);
    let res = post(
        &app,
        &path,
        &token,
        &[("day", &early), ("start", "10:00"), ("end", "11:30")],
    )
    .await;
    assert_eq!(res.status(), 422);
    assert!(
        html(res)
            .await
            .root_element()
            .html()
            .contains("nach dem ersten Termin"),
        "explains the order"
    );
    for hours in [24 * 10, 24 * 17] {
        let res = post(
            &app,
            &path,
            &token,
            &[("day", &day(hours)), ("start", "10:00"), ("end", "11:30")],
        )
        .await;
        assert_eq!(res.status(), 303, "session added");
    }
    let sessions: Vec<offer_date::Model> = dates_of(&app, course.offer_id)
        .await
        .into_iter()
        .filter(|d| d.id != lead.id)
        .collect();
    assert_eq!(sessions.len(), 2);
    assert!(sessions.iter().all(|s| s.series_lead_id == Some(lead.id)));

    // The catalogue lists the course once, as a course with three dates.
    let (_, doc) = app
        .get_html(&format!("/kurse?q={}", course.title.replace(' ', "+")))
        .await;
    assert_eq!(
        text_of(&doc, ".result-count"),
        "Wir haben 1 Termin gefunden."
    );
    assert!(text_of(&doc, ".result-list").contains("Kurs mit 3 Terminen"));

    // Booking the first date books all: the confirmation carries three calendar events.
    let booked = book(
        &app,
        lead.id,
        ("Erika Muster", "erika.serie@example.de", ""),
        "1",
        Channel::Online,
    )
    .await;
    assert_eq!(booked.status, BookingStatus::Confirmed);
    let mail = mails_with_subject(&app, &format!("Ihr Platz ist gebucht: {}", course.title))
        .await
        .pop()
        .expect("confirmation");
    let ics = mail.attachment_body.expect("calendar attached");
    assert_eq!(ics.matches("BEGIN:VEVENT").count(), 3, "{ics}");
    assert!(mail.body_text.contains("Weitere Termine dieses Kurses"));

    // A session cannot be booked on its own.
    let request =
        BookingRequest::parse("Max", "max.serie@example.de", "", "1", Channel::Online).unwrap();
    let refused = app.desk().book(sessions[0].id, request, Utc::now()).await;
    assert!(
        matches!(
            refused,
            Err(teilhabe::services::booking::BookingError::NotBookable(
                "error-booking-session"
            ))
        ),
        "{refused:?}"
    );

    // Cancelling the first date cancels the whole course and tells the person.
    let res = post(
        &app,
        &format!("/verwaltung/termine/{}/absagen", lead.id),
        &token,
        &[],
    )
    .await;
    assert_eq!(res.status(), 303);
    assert!(
        dates_of(&app, course.offer_id)
            .await
            .iter()
            .all(|d| d.status == DateStatus::Cancelled)
    );
    assert_eq!(
        recipients(&mails_with_subject(&app, &format!("Termin abgesagt: {}", course.title)).await),
        ["erika.serie@example.de"]
    );
});

#[tokio::test]
async fn cancelling_an_offer_cancels_its_coming_dates_and_hides_it() {
    let app = spawn_app(Backend::Sqlite, Default::default())
        .await
        .unwrap();
    let course = new_course(&app, OWN_ORG).await;
    let first = add_date(&app, course.offer_id, in_hours(48), 6, |_| {}).await;
    let second = add_date(&app, course.offer_id, in_hours(24 * 9), 6, |_| {}).await;
    book(
        &app,
        first.id,
        ("Erika Muster", "erika.absage@example.de", ""),
        "1",
        Channel::Online,
    )
    .await;
    book(
        &app,
        second.id,
        ("Karl Telefon", "", "0361 123456"),
        "1",
        Channel::Staff,
    )
    .await;
    let token = sign_in(&app, STAFF).await;
    let res = post(
        &app,
        &format!("/verwaltung/angebote/{}/absagen", course.offer_id),
        &token,
        &[],
    )
    .await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        offer_by_id(&app, course.offer_id).await.status,
        OfferStatus::Cancelled
    );
    assert!(
        dates_of(&app, course.offer_id)
            .await
            .iter()
            .all(|d| d.status == DateStatus::Cancelled)
    );
    assert_eq!(
        recipients(&mails_with_subject(&app, &format!("Termin abgesagt: {}", course.title)).await),
        ["erika.absage@example.de"]
    );
    assert_eq!(tasks_of(&app, second.id).await.len(), 1, "phone the person");
    assert_eq!(
        app.get(&format!("/kurse/{}", course.slug)).await.status(),
        404
    );
    // Another organisation's offer cannot be cancelled.
    let other = offer::Entity::find()
        .filter(offer::Column::Slug.eq(OTHER_OFFER))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let res = post(
        &app,
        &format!("/verwaltung/angebote/{}/absagen", other.id),
        &token,
        &[],
    )
    .await;
    assert_eq!(res.status(), 404);
    assert_eq!(
        offer_by_id(&app, other.id).await.status,
        OfferStatus::Published
    );
}

/// Staff cancel an offer while a colleague adds a date to it and someone books that date. The
/// cancellation worked from the dates it had read first: the new date stayed on with its booking
/// under an offer that was cancelled and no longer shown, and nobody told the person.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_date_added_while_the_offer_is_cancelled_goes_too_on_postgres() {
    let Some(app) = spawn_app(Backend::Postgres, Default::default()).await else {
        return;
    };
    let course = new_course(&app, OWN_ORG).await;
    let first = add_date(&app, course.offer_id, in_hours(48), 6, |_| {}).await;
    let token = sign_in(&app, STAFF).await;
    // Someone else's change holds the first date: the cancellation waits there, its dates read.
    let holding = crate::helpers::holding(
        &app.db,
        &format!(
            "SELECT id FROM offer_dates WHERE id = {} FOR UPDATE",
            first.id
        ),
    )
    .await;
    let action = format!("/verwaltung/angebote/{}/absagen", course.offer_id);
    let cancelling = post(&app, &action, &token, &[]);
    let adding = async {
        until_someone_waits_for_a_lock(&app.db).await;
        let added = add_date(&app, course.offer_id, in_hours(24 * 5), 6, |_| {}).await;
        book(
            &app,
            added.id,
            ("Erika Neu", "erika.neu@example.de", ""),
            "1",
            Channel::Online,
        )
        .await;
        holding.commit().await.unwrap();
    };
    let (res, ()) = tokio::join!(cancelling, adding);
    assert_eq!(res.status(), 303);
    assert_eq!(
        offer_by_id(&app, course.offer_id).await.status,
        OfferStatus::Cancelled
    );
    let dates = dates_of(&app, course.offer_id).await;
    assert_eq!(dates.len(), 2);
    assert!(
        dates.iter().all(|d| d.status == DateStatus::Cancelled),
        "{dates:?}"
    );
    assert_eq!(
        recipients(&mails_with_subject(&app, &format!("Termin abgesagt: {}", course.title)).await),
        ["erika.neu@example.de"]
    );
}

/// Staff move a course to another place: everyone booked is told once, and the date's revision
/// rises, so the calendar entry in the mail replaces the old one and a booking made with the old
/// place in view is asked to look again.
#[tokio::test]
async fn a_new_place_is_announced_with_a_new_revision() {
    let app = spawn_app(Backend::Sqlite, Default::default())
        .await
        .unwrap();
    let (course, date, _) = course_with_anna(&app, 4).await;
    let other_place = another_venue(
        &app,
        &course,
        (
            "probierladen-erfurt-zweiter-raum",
            "Probierladen, zweiter Raum",
            "Anger 2",
        ),
    )
    .await;
    sign_in(&app, STAFF).await;
    move_course(&app, &course, other_place.id).await;
    assert_eq!(date_by_id(&app, date.id).await.revision, date.revision + 1);
    let told = mails_with_subject(&app, &format!("Termin geändert: {}", course.title)).await;
    assert_eq!(recipients(&told), ["anna@example.de"]);
}

/// A second step-free venue in Erfurt of the course's organisation.
async fn another_venue(
    app: &TestApp,
    course: &Course,
    (slug, name, street): (&str, &str, &str),
) -> venue::Model {
    venue::ActiveModel {
        slug: Set(slug.into()),
        organisation_id: Set(course.organisation_id),
        name: Set(name.into()),
        street: Set(street.into()),
        postal_code: Set("99084".into()),
        town: Set("Erfurt".into()),
        district_key: Set("16051".into()),
        step_free: Set(true),
        accessible_toilet: Set(true),
        hearing_loop: Set(false),
        parking: Set(false),
        accessibility_notes: Set(String::new()),
        directions: Set(String::new()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap()
}

/// Staff, signed in, move the course to `venue_id` with the offer form, opened just before.
async fn move_course(app: &TestApp, course: &Course, venue_id: i32) {
    let edit = format!("/verwaltung/angebote/{}", course.offer_id);
    let (_, doc) = app.get_html(&edit).await;
    let opened = form_as_sent(&doc, &edit);
    let moved = with(&opened, &[("venue", &venue_id.to_string())]);
    let res = app.post_form(&edit, &as_pairs(&moved)).await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
}

/// The event of `uid` in a calendar feed, unfolded.
fn event_with_uid(ics: &str, uid: &str) -> String {
    ics.replace("\r\n ", "")
        .split("BEGIN:VEVENT")
        .skip(1)
        .map(|e| e.split("END:VEVENT").next().unwrap().to_owned())
        .find(|e| e.contains(&format!("UID:{uid}\r\n")))
        .unwrap_or_else(|| panic!("no event {uid} in {ics}"))
}

fn property(event: &str, name: &str) -> String {
    event
        .split("\r\n")
        .find_map(|line| line.strip_prefix(&format!("{name}:")))
        .unwrap_or_else(|| panic!("no {name} in {event}"))
        .to_owned()
}

/// Staff move a course to another venue: the helper session of its date moves with it, its helper
/// is told like after a change of time, and the helper's calendar feed shows the new venue with a
/// higher SEQUENCE, so the calendar replaces the entry.
#[tokio::test]
async fn helpers_follow_their_course_to_a_new_venue() {
    use teilhabe::domain::volunteering::{ShiftInput, ShiftKind, ShiftPlace};
    let app = spawn_app(Backend::Sqlite, Default::default())
        .await
        .unwrap();
    let course = new_course(&app, OWN_ORG).await;
    let date = add_date(
        &app,
        course.offer_id,
        at_local(berlin_day(9), 10, 0),
        4,
        |_| {},
    )
    .await;
    let old_venue = offer_by_id(&app, course.offer_id).await.venue_id.unwrap();
    let shift_title = "Hilfe im verlegten Kurs";
    let shift_id = app
        .state()
        .volunteer_planning()
        .create(
            &None,
            ShiftInput {
                organisation_id: None,
                title: shift_title.into(),
                kind: ShiftKind::CourseAssistance,
                starts_at: date.starts_at,
                ends_at: date.ends_at,
                place: ShiftPlace::Venue {
                    id: old_venue,
                    detail: "Raum 1".into(),
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
    let helper = user_id(&app, "freiwillig@demo.teilhabe.example").await;
    app.state()
        .volunteer_sign_up()
        .sign_up(shift_id, helper, Utc::now())
        .await
        .unwrap();
    let feed_token = app
        .state()
        .volunteer_feeds()
        .renew_feed(helper, Utc::now())
        .await
        .unwrap()
        .unwrap();
    let feed = format!("/freiwillige/kalender/{feed_token}.ics");
    let uid = format!("shift-{shift_id}@teilhabe");
    let before = event_with_uid(&app.get(&feed).await.text().await.unwrap(), &uid);
    assert!(!property(&before, "LOCATION").contains("Probierladen Zweigstelle"));

    let new_place = another_venue(
        &app,
        &course,
        (
            "probierladen-erfurt-zweigstelle",
            "Probierladen Zweigstelle",
            "Krämpferstraße 5",
        ),
    )
    .await;
    sign_in(&app, STAFF).await;
    move_course(&app, &course, new_place.id).await;

    let told = mails_with_subject(&app, &format!("Einsatz geändert: {shift_title}")).await;
    assert_eq!(recipients(&told), ["freiwillig@demo.teilhabe.example"]);
    let after = event_with_uid(&app.get(&feed).await.text().await.unwrap(), &uid);
    assert!(
        property(&after, "LOCATION").contains("Probierladen Zweigstelle"),
        "{after}"
    );
    let sequence = |event: &str| property(event, "SEQUENCE").parse::<i32>().unwrap();
    assert!(sequence(&after) > sequence(&before), "{before}\n{after}");
}

/// Publishing, hiding or re-filing an offer locks the offer, then its dates (the catalogue's
/// trigger updates them); adding a session locked the first date, then needed the offer for the
/// new row. Both at once deadlocked on PostgreSQL, and one of the two people lost their change.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adding_a_session_while_the_offer_changes_does_not_deadlock_on_postgres() {
    use sea_orm::ConnectionTrait;
    let Some(app) = spawn_app(Backend::Postgres, Default::default()).await else {
        return;
    };
    let course = new_course(&app, OWN_ORG).await;
    let lead = add_date(&app, course.offer_id, in_hours(72), 8, |_| {}).await;
    let token = sign_in(&app, STAFF).await;
    // Another person's change of the offer, half-way: the offer is locked, its dates come next.
    let other = crate::helpers::holding(
        &app.db,
        &format!(
            "SELECT id FROM offers WHERE id = {} FOR UPDATE",
            course.offer_id
        ),
    )
    .await;
    let day = in_hours(24 * 10)
        .with_timezone(&Berlin)
        .format("%Y-%m-%d")
        .to_string();
    let path = format!("/verwaltung/termine/{}/folgetermin", lead.id);
    let fields = [("day", day.as_str()), ("start", "10:00"), ("end", "11:30")];
    let adding = post(&app, &path, &token, &fields);
    let changing = async {
        // Once the session's request waits for a lock, the change goes on to the dates.
        until_someone_waits_for_a_lock(&app.db).await;
        other
            .execute_unprepared(&format!(
                "UPDATE offer_dates SET revision = revision + 1 WHERE offer_id = {}",
                course.offer_id
            ))
            .await?;
        other.commit().await
    };
    let (added, changed) = tokio::join!(adding, changing);
    changed.expect("the offer's change went through");
    assert_eq!(added.status(), 303, "the session was added too");
    assert_eq!(dates_of(&app, course.offer_id).await.len(), 2);
}

// The offer's page shows each date's booked places and, while anyone waits, its waiting list.
on_both_backends!(the_offer_page_counts_each_dates_waiting_list, |app| {
    let (course, date, _anna) = course_with_anna(&app, 1).await;
    let later = add_date(
        &app,
        course.offer_id,
        at_local(berlin_day(10), 10, 0),
        2,
        |_| {},
    )
    .await;
    let people = [
        ("Bernd", "bernd@example.de", date.id),
        ("Carla", "carla@example.de", date.id),
        ("Dora", "dora@example.de", later.id),
    ];
    for (name, email, date_id) in people {
        book(&app, date_id, (name, email, ""), "1", Channel::Online).await;
    }
    sign_in(&app, STAFF).await;
    let page = app
        .get(&format!("/verwaltung/angebote/{}", course.offer_id))
        .await
        .text()
        .await
        .unwrap();
    // The dates in start order: two wait for the first, nobody for the second.
    let first = page.find("1 von 1 Plätzen gebucht, 2 auf der Warteliste");
    let second = page.find("1 von 2 Plätzen gebucht</td>");
    assert!(
        first.is_some() && second.is_some() && first < second,
        "{page}"
    );
    assert!(!page.contains("1 auf der Warteliste"), "{page}");
});

// A date with an open offer of places moves: the offer is held as if made now (until the new start
// at the latest), so it neither lapses at the old start before the date nor outlasts a new one.
on_both_backends!(an_open_offer_is_held_until_the_moved_date_begins, |app| {
    let course = new_course(&app, OWN_ORG).await;
    let starts_at = in_hours(3);
    let date = add_date(&app, course.offer_id, starts_at, 2, |_| {}).await;
    let first = book(
        &app,
        date.id,
        ("Erste Person", "erste@example.de", ""),
        "1",
        Channel::Online,
    )
    .await;
    for (name, email, places) in [
        ("Zweite Person", "zweite@example.de", "1"),
        ("Wartet Zu Zweit", "zu-zweit@example.de", "2"),
    ] {
        book(&app, date.id, (name, email, ""), places, Channel::Online).await;
    }
    app.desk()
        .cancel(&first.cancel_token, Utc::now())
        .await
        .unwrap();
    let offer_lapses = || async {
        bookings_of_date(&app, date.id)
            .await
            .into_iter()
            .find(|b| b.offered_places.is_some())
            .expect("an open offer")
            .offer_expires_at
            .expect("with its end")
    };
    assert_eq!(offer_lapses().await, starts_at, "held until the start");

    // Later the same way staff move it, with its length kept on one calendar day.
    let later = [4, 5, 6]
        .into_iter()
        .map(in_hours)
        .find(|t| {
            t.with_timezone(&Berlin).date_naive()
                == (*t + Duration::minutes(30))
                    .with_timezone(&Berlin)
                    .date_naive()
        })
        .unwrap();
    let (day, start, end) = (
        later.with_timezone(&Berlin).format("%Y-%m-%d").to_string(),
        later.with_timezone(&Berlin).format("%H:%M").to_string(),
        (later + Duration::minutes(30))
            .with_timezone(&Berlin)
            .format("%H:%M")
            .to_string(),
    );
    let token = sign_in(&app, STAFF).await;
    let edit = format!("/verwaltung/termine/{}/bearbeiten", date.id);
    let (_, doc) = app.get_html(&edit).await;
    let moved = with(
        &form_values(&doc, &edit),
        &[("day", &day), ("start", &start), ("end", &end)],
    );
    let res = post(&app, &edit, &token, &as_pairs(&moved)).await;
    assert_eq!(res.status(), 303);
    assert_eq!(date_by_id(&app, date.id).await.starts_at, later);
    assert_eq!(offer_lapses().await, later, "held until the new start");
});
