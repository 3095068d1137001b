//! The public JSON API: its OpenAPI document, the catalogue filters, booking and cancelling, one error
//! shape for everything that goes wrong, and no overselling under 200 concurrent HTTP requests.
use std::collections::BTreeSet;
use teilhabe::domain::offer::{DateStatus, OfferKind, OfferStatus};

use chrono::{Duration, Utc};
use reqwest::{StatusCode, header};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use serde_json::{Value, json};
use teilhabe::{
    db::entities::{booking, offer, offer_date, organisation, venue},
    domain::offer::CatalogueQuery,
    services::throttle,
};

use crate::helpers::*;
use crate::on_both_backends;

const PATHS: [&str; 5] = [
    "/api/v1/courses",
    "/api/v1/dates",
    "/api/v1/dates/{id}",
    "/api/v1/dates/{id}/bookings",
    "/api/v1/bookings/{cancel_token}",
];

struct DateSpec {
    capacity: i32,
    max_places: i32,
    starts_in: Duration,
    offer_status: &'static str,
}

impl Default for DateSpec {
    fn default() -> Self {
        Self {
            capacity: 10,
            max_places: 2,
            starts_in: Duration::days(7),
            offer_status: "published",
        }
    }
}

/// A course with one date, at a demo venue, straight into the database.
async fn course_date(app: &TestApp, spec: DateSpec) -> i32 {
    let org = organisation::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .expect("demo organisation");
    let place = venue::Entity::find().one(&app.db).await.unwrap();
    let now = Utc::now();
    let offer = offer::ActiveModel {
        slug: Set(format!("api-kurs-{}", uuid::Uuid::new_v4().simple())),
        organisation_id: Set(org.id),
        venue_id: Set(place.map(|v| v.id)),
        kind: Set(OfferKind::Course),
        title: Set("Videotelefonie mit der Familie".into()),
        description: Set("Wir telefonieren mit Bild.".into()),
        topic: Set("videotelefonie".into()),
        level: Set("einsteiger".into()),
        target_group: Set("senioren".into()),
        language: Set("de".into()),
        online_url: Set(None),
        what_to_bring: Set("Ihr Smartphone".into()),
        accessibility_notes: Set(String::new()),
        price_cents: Set(0),
        status: Set(OfferStatus::parse(spec.offer_status).unwrap()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    offer_date::ActiveModel {
        offer_id: Set(offer.id),
        starts_at: Set(now + spec.starts_in),
        ends_at: Set(now + spec.starts_in + Duration::hours(2)),
        capacity: Set(spec.capacity),
        booked_places: Set(0),
        max_places_per_booking: Set(spec.max_places),
        booking_opens_at: Set(None),
        booking_closes_at: Set(None),
        status: Set(DateStatus::Scheduled),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap()
    .id
}

async fn bookings_of(app: &TestApp, date_id: i32) -> u64 {
    booking::Entity::find()
        .filter(booking::Column::DateId.eq(date_id))
        .count(&app.db)
        .await
        .unwrap()
}

async fn get_json(app: &TestApp, path: &str) -> (StatusCode, Value) {
    let res = app.get(path).await;
    let status = res.status();
    assert_json(&res, path);
    (status, res.json().await.expect("JSON body"))
}

async fn post_booking(app: &TestApp, date_id: i32, body: &Value) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/api/v1/dates/{date_id}/bookings")))
        .json(body)
        .send()
        .await
        .expect("POST")
}

async fn delete(app: &TestApp, path: &str) -> reqwest::Response {
    app.client
        .delete(app.url(path))
        .send()
        .await
        .expect("DELETE")
}

fn assert_json(res: &reqwest::Response, what: &str) {
    let ct = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(
        ct.starts_with("application/json"),
        "{what}: content type {ct}"
    );
}

/// The one error shape: a stable code, German text, and the wrong fields (possibly none).
fn assert_error(body: &Value, code: &str) {
    let error = &body["error"];
    assert_eq!(error["code"], code, "{body}");
    let message = error["message"].as_str().expect("message");
    assert!(!message.is_empty() && !message.contains("error-"), "{body}");
    assert!(error["fields"].is_array(), "{body}");
}

fn field_names(body: &Value) -> BTreeSet<String> {
    body["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_openapi_document_describes_every_endpoint_and_the_error_shape() {
    let app = spawn_app(Backend::Sqlite, Default::default())
        .await
        .unwrap();
    let (status, doc) = get_json(&app, "/api/openapi.json").await;
    assert_eq!(status, 200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."), "{doc}");
    assert_eq!(doc["servers"][0]["url"], "http://teilhabe.test");
    for path in PATHS {
        assert!(doc["paths"][path].is_object(), "{path} is not documented");
    }
    let mut operations = BTreeSet::new();
    for (path, methods) in doc["paths"].as_object().unwrap() {
        for (method, operation) in methods.as_object().unwrap() {
            let id = operation["operationId"].as_str().unwrap();
            assert!(
                operations.insert(id.to_owned()),
                "{method} {path}: {id} twice"
            );
        }
    }
    let schemas = &doc["components"]["schemas"];
    assert_eq!(
        schemas["DatePage"]["properties"]["items"]["items"]["$ref"],
        "#/components/schemas/CourseDate"
    );
    assert_eq!(
        doc["paths"]["/api/v1/dates/{id}"]["get"]["responses"]["200"]["content"]["application/json"]
            ["schema"]["$ref"],
        "#/components/schemas/CourseDate"
    );
    for schema in ["ErrorResponse", "ErrorDetail", "FieldProblem", "ErrorCode"] {
        assert!(schemas[schema].is_object(), "schema {schema} missing");
    }
    let codes: Vec<&str> = schemas["ErrorCode"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    for code in [
        "validation_failed",
        "not_found",
        "not_bookable",
        "duplicate",
        "too_many_places",
        "rate_limited",
        "already_cancelled",
        "bad_request",
        "unavailable",
        "busy",
        "conflict",
        "internal",
    ] {
        assert!(codes.contains(&code), "{code} not in {codes:?}");
    }
    let post = &doc["paths"]["/api/v1/dates/{id}/bookings"]["post"];
    for status in ["201", "400", "404", "409", "422", "429", "503", "500"] {
        let response = &post["responses"][status];
        assert!(response.is_object(), "POST booking: no {status} response");
        if status != "201" {
            assert_eq!(
                response["content"]["application/json"]["schema"]["$ref"],
                "#/components/schemas/ErrorResponse",
                "{status}"
            );
        }
    }
    assert!(post["responses"]["201"]["headers"]["Location"].is_object());
    assert!(post["responses"]["201"]["headers"]["Idempotent-Replayed"].is_object());
    assert!(post["responses"]["429"]["headers"]["Retry-After"].is_object());
    assert!(post["responses"]["503"]["headers"]["Retry-After"].is_object());
    // The key's rule is in the document, so generated clients (and the fuzzer) send valid keys.
    let key = post["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "Idempotency-Key")
        .expect("the Idempotency-Key header is documented");
    assert_eq!(key["in"], "header");
    assert_eq!(key["required"], false);
    assert_eq!(key["schema"]["pattern"], "^[!-~]{16,255}$", "{key}");
    assert!(
        post["description"]
            .as_str()
            .unwrap()
            .contains("409** with code `not_bookable`")
    );
    let delete = &doc["paths"]["/api/v1/bookings/{cancel_token}"]["delete"];
    for status in ["200", "404", "409"] {
        assert!(delete["responses"][status].is_object(), "DELETE: {status}");
    }
    // The documented filters are exactly the catalogue's, and where a client left off.
    let documented: BTreeSet<String> = doc["paths"]["/api/v1/dates"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_owned())
        .collect();
    let catalogue: BTreeSet<String> = serde_urlencoded::from_str::<Vec<(String, String)>>(
        &serde_urlencoded::to_string(CatalogueQuery::default()).unwrap(),
    )
    .unwrap()
    .into_iter()
    .map(|(k, _)| k)
    .chain(["nach".to_owned()])
    .collect();
    assert_eq!(documented, catalogue);
}

on_both_backends!(courses_and_dates_filter_like_the_catalogue, |app| {
    // Courses, page by page.
    let (status, all) = get_json(&app, "/api/v1/courses?per_page=1000").await;
    assert_eq!(status, 200);
    assert_eq!(all["per_page"], 100);
    let total = all["total"].as_u64().unwrap();
    assert!(total > 5, "demo courses: {total}");
    let (_, page2) = get_json(&app, "/api/v1/courses?page=2&per_page=5").await;
    assert_eq!(page2["page"], 2);
    assert_eq!(page2["pages"].as_u64().unwrap(), total.div_ceil(5));
    assert_eq!(page2["items"].as_array().unwrap().len(), 5);
    let course = &page2["items"][0];
    let slug = course["slug"].as_str().unwrap();
    assert_eq!(course["url"], format!("http://teilhabe.test/kurse/{slug}"));
    assert!(
        course["organisation_name"]
            .as_str()
            .is_some_and(|n| !n.is_empty())
    );
    assert!(course["upcoming_dates"].is_u64());
    assert!(
        course.get("online_url").is_none(),
        "access links only for people who booked"
    );
    let with_venue = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["venue"].is_object())
        .expect("a course at a venue");
    assert_eq!(with_venue["online"], false);
    assert!(
        with_venue["venue"]["district_key"]
            .as_str()
            .unwrap()
            .starts_with("16")
    );
    assert!(with_venue["upcoming_dates"].as_u64().unwrap() > 0);

    // Dates: every filter narrows, and each item matches it.
    let (status, unfiltered) = get_json(&app, "/api/v1/dates").await;
    assert_eq!(status, 200);
    let everything = unfiltered["total"].as_u64().unwrap();
    assert!(everything > 20);
    assert_eq!(unfiltered["items"].as_array().unwrap().len(), 20);
    let item = &unfiltered["items"][0];
    let id = item["id"].as_i64().unwrap();
    assert_eq!(
        item["ics_url"],
        format!("http://teilhabe.test/kalender/termin/{id}.ics")
    );
    for key in ["starts_at", "ends_at"] {
        chrono::DateTime::parse_from_rfc3339(item[key].as_str().unwrap()).expect("RFC 3339");
    }
    assert!(item["capacity"].as_i64().unwrap() >= item["free_places"].as_i64().unwrap());

    for (query, check) in [
        ("kreis=16051", "district"),
        ("thema=videotelefonie", "topic"),
        ("kreis=16052&thema=videotelefonie", "both"),
        ("stufenlos=1&hoerschleife=1", "access"),
    ] {
        let (status, found) = get_json(&app, &format!("/api/v1/dates?{query}")).await;
        assert_eq!(status, 200, "{query}");
        let narrowed = found["total"].as_u64().unwrap();
        assert!(narrowed > 0 && narrowed < everything, "{query}: {narrowed}");
        for item in found["items"].as_array().unwrap() {
            let venue = &item["venue"];
            match check {
                "district" => assert_eq!(venue["district_key"], "16051", "{item}"),
                "topic" => assert_eq!(item["topic"], "videotelefonie", "{item}"),
                "both" => {
                    assert_eq!(venue["district_key"], "16052", "{item}");
                    assert_eq!(item["topic"], "videotelefonie", "{item}");
                }
                _ => {
                    assert_eq!(venue["step_free"], true, "{item}");
                    assert_eq!(venue["hearing_loop"], true, "{item}");
                }
            }
        }
    }
    // The same filter on the HTML catalogue finds the same number of dates.
    let (_, html) = app.get_html("/kurse?kreis=16051").await;
    let (_, api) = get_json(&app, "/api/v1/dates?kreis=16051").await;
    let count = text_of(&html, ".result-count");
    assert!(
        count.contains(&api["total"].to_string()),
        "HTML says {count:?}, API {}",
        api["total"]
    );

    // Wrong filters: 422, one entry per parameter, German text.
    let (status, bad) = get_json(&app, "/api/v1/dates?von=gestern").await;
    assert_eq!(status, 422);
    assert_error(&bad, "validation_failed");
    assert_eq!(bad["error"]["fields"][0]["field"], "von");
    assert_eq!(bad["error"]["fields"][0]["code"], "error-date-invalid");
    assert_eq!(
        bad["error"]["fields"][0]["message"],
        "Geben Sie das Datum so ein: 24.12.2026."
    );
    let (status, bad) = get_json(
        &app,
        "/api/v1/dates?kreis=99999&thema=kochen&von=2026-12-10&bis=2026-12-01",
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(
        field_names(&bad),
        BTreeSet::from(["kreis".into(), "thema".into(), "bis".into()])
    );

    // One date; unknown ids, dates of unpublished courses and unknown paths are 404 in the same shape.
    let (status, one) = get_json(&app, &format!("/api/v1/dates/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(one["id"], id);
    assert!(one["capacity"].is_i64() && one["free_places"].is_i64());
    let draft = course_date(
        &app,
        DateSpec {
            offer_status: "draft",
            ..Default::default()
        },
    )
    .await;
    for path in [
        "/api/v1/dates/999999".to_owned(),
        "/api/v1/dates/abc".to_owned(),
        format!("/api/v1/dates/{draft}"),
        "/api/v1/gibt-es-nicht".to_owned(),
        "/api/v2/dates".to_owned(),
    ] {
        let (status, body) = get_json(&app, &path).await;
        assert_eq!(status, 404, "{path}");
        assert_error(&body, "not_found");
    }
    let res = delete(&app, "/api/v1/dates").await;
    assert_eq!(res.status(), 405);
    assert_eq!(res.headers()[header::ALLOW], "GET");
    assert_json(&res, "405");
    assert_error(&res.json().await.unwrap(), "method_not_allowed");
});

on_both_backends!(booking_and_cancelling_with_clear_refusals, |app| {
    let date_id = course_date(
        &app,
        DateSpec {
            capacity: 2,
            ..Default::default()
        },
    )
    .await;

    // Booked: 201, a link to the person's page, nothing cached.
    let res = post_booking(
        &app,
        date_id,
        &json!({"name": "Erika Mustermann", "email": "erika@example.de", "places": 2}),
    )
    .await;
    assert_eq!(res.status(), 201);
    assert_json(&res, "201");
    assert_eq!(res.headers()[header::CACHE_CONTROL], "no-store");
    assert!(res.headers().get(header::SET_COOKIE).is_none());
    let location = res.headers()[header::LOCATION].to_str().unwrap().to_owned();
    let booked: Value = res.json().await.unwrap();
    assert_eq!(booked["status"], "confirmed");
    assert_eq!(booked["waiting_position"], Value::Null);
    let token = booked["cancel_token"].as_str().unwrap().to_owned();
    assert_eq!(location, format!("http://teilhabe.test/buchung/{token}"));
    assert_eq!(booked["manage_url"], location);
    assert_eq!(app.get(&format!("/buchung/{token}")).await.status(), 200);

    // Full: the next one waits, in English mails if asked; phone only is fine too.
    let res = post_booking(
        &app,
        date_id,
        &json!({"name": "Max Muster", "phone": "0361 123456", "places": "1", "language": "en"}),
    )
    .await;
    assert_eq!(res.status(), 201);
    let waiting: Value = res.json().await.unwrap();
    assert_eq!(waiting["status"], "waitlisted");
    assert_eq!(waiting["waiting_position"], 1);
    let stored = booking::Entity::find_by_id(waiting["booking_id"].as_i64().unwrap())
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (stored.channel.as_str(), stored.language.as_str()),
        ("api", "en")
    );

    // Duplicate address, too many places for this date.
    let res = post_booking(
        &app,
        date_id,
        &json!({"name": "Erika", "email": "ERIKA@example.de", "places": 1}),
    )
    .await;
    assert_eq!(res.status(), 409);
    let body: Value = res.json().await.unwrap();
    assert_error(&body, "duplicate");
    assert_eq!(field_names(&body), BTreeSet::from(["email".into()]));
    let res = post_booking(
        &app,
        date_id,
        &json!({"name": "Erika", "email": "erika2@example.de", "places": 3}),
    )
    .await;
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    assert_error(&body, "too_many_places");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("höchstens 2 Plätze")
    );

    // Wrong inputs: 422 naming each field, and nothing stored.
    let before = bookings_of(&app, date_id).await;
    for (body, fields) in [
        (
            json!({"name": "Erika", "email": "kein-at-zeichen", "places": 0}),
            vec!["email", "places"],
        ),
        (
            json!({"email": "erika3@example.de", "places": 1}),
            vec!["name"],
        ),
        (json!({"name": "Erika", "places": 1}), vec!["email"]),
        (
            json!({"name": "", "email": "x", "phone": "abc", "places": "zwei"}),
            vec!["name", "email", "phone", "places"],
        ),
        (
            json!({"name": "Erika", "email": "e@example.de"}),
            vec!["places"],
        ),
    ] {
        let res = post_booking(&app, date_id, &body).await;
        assert_eq!(res.status(), 422, "{body}");
        assert_json(&res, "422");
        let error: Value = res.json().await.unwrap();
        assert_error(&error, "validation_failed");
        assert_eq!(
            field_names(&error),
            fields
                .iter()
                .map(|f| f.to_string())
                .collect::<BTreeSet<_>>(),
            "{body}"
        );
        for field in error["error"]["fields"].as_array().unwrap() {
            assert!(field["code"].as_str().unwrap().starts_with("error-"));
            assert!(!field["message"].as_str().unwrap().starts_with("error-"));
        }
    }
    // Not JSON, not declared as JSON, wrong types: 400 in the same shape.
    let url = app.url(&format!("/api/v1/dates/{date_id}/bookings"));
    for (content_type, raw) in [
        ("application/json", "{\"name\": \"Erika\","),
        (
            "text/plain",
            "{\"name\": \"Erika\", \"email\": \"e@example.de\", \"places\": 1}",
        ),
        (
            "application/json",
            "{\"name\": \"Erika\", \"email\": \"e@example.de\", \"places\": 1, \"language\": \"fr\"}",
        ),
        ("application/json", "[1, 2]"),
    ] {
        let res = app
            .client
            .post(&url)
            .header(header::CONTENT_TYPE, content_type)
            .body(raw)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "{content_type} {raw}");
        assert_json(&res, raw);
        assert_error(&res.json().await.unwrap(), "bad_request");
    }
    let res = post_booking(
        &app,
        date_id,
        &json!({"name": "x".repeat(20_000), "email": "e@example.de", "places": 1}),
    )
    .await;
    assert_eq!(res.status(), 413);
    assert_error(&res.json().await.unwrap(), "payload_too_large");
    assert_eq!(bookings_of(&app, date_id).await, before, "nothing stored");

    // Past dates: 409 not_bookable with the reason; unknown dates and unpublished courses: 404.
    let past = course_date(
        &app,
        DateSpec {
            starts_in: Duration::days(-1),
            ..Default::default()
        },
    )
    .await;
    let draft = course_date(
        &app,
        DateSpec {
            offer_status: "draft",
            ..Default::default()
        },
    )
    .await;
    let person = json!({"name": "Erika", "email": "erika4@example.de", "places": 1});
    let res = post_booking(&app, past, &person).await;
    assert_eq!(res.status(), 409);
    let body: Value = res.json().await.unwrap();
    assert_error(&body, "not_bookable");
    assert_eq!(
        body["error"]["message"],
        "Dieser Termin hat schon begonnen oder ist vorbei. Er kann nicht mehr gebucht werden."
    );
    for id in [draft, 999_999] {
        let res = post_booking(&app, id, &person).await;
        assert_eq!(res.status(), 404);
        assert_error(&res.json().await.unwrap(), "not_found");
    }
    assert_eq!(
        bookings_of(&app, past).await + bookings_of(&app, draft).await,
        0
    );

    // Cancelling: the waiting person gets the place; twice is a conflict; unknown tokens are 404.
    let res = delete(&app, &format!("/api/v1/bookings/{token}")).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()[header::CACHE_CONTROL], "no-store");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body, json!({"status": "cancelled", "promoted": 1}));
    let res = delete(&app, &format!("/api/v1/bookings/{token}")).await;
    assert_eq!(res.status(), 409);
    assert_error(&res.json().await.unwrap(), "already_cancelled");
    let res = delete(&app, "/api/v1/bookings/unbekannt").await;
    assert_eq!(res.status(), 404);
    assert_error(&res.json().await.unwrap(), "not_found");
    let (_, date) = get_json(&app, &format!("/api/v1/dates/{date_id}")).await;
    assert_eq!(
        (date["capacity"].as_i64(), date["free_places"].as_i64()),
        (Some(2), Some(1))
    );
});

#[tokio::test]
async fn bookings_from_one_address_are_throttled_like_the_form() {
    let app = spawn_app(Backend::Sqlite, Default::default())
        .await
        .unwrap();
    let date_id = course_date(&app, DateSpec::default()).await;
    let bucket = app
        .state()
        .pseudonyms
        .throttle_bucket("booking-address", "127.0.0.1");
    for _ in 0..throttle::BOOKING_PER_ADDRESS.max {
        throttle::record(&app.db, &bucket).await.unwrap();
    }
    let res = post_booking(
        &app,
        date_id,
        &json!({"name": "Erika", "email": "erika@example.de", "places": 1}),
    )
    .await;
    assert_eq!(res.status(), 429);
    let wait: u64 = res.headers()[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((60..=3600).contains(&wait), "{wait}");
    assert_error(&res.json().await.unwrap(), "rate_limited");
    assert_eq!(bookings_of(&app, date_id).await, 0);
}

/// 200 people press "book" at once over HTTP for 20 places, spread over `instances` instances of
/// the portal on one database (two: like two instances behind the load balancer, each booking the
/// requests it gets in turns of its own).
async fn two_hundred_concurrent_requests(backend: Backend, instances: usize) {
    let options = || Options {
        env: vec![("TEILHABE_RATE_LIMITS", "off".into())],
        ..Default::default()
    };
    let Some(app) = spawn_app(backend, options()).await else {
        return;
    };
    let mut bases = vec![app.address.clone()];
    let second_data = tempfile::tempdir().unwrap();
    if instances == 2 {
        let teilhabe::config::DatabaseTarget::Url(database_url) = &app.settings.database else {
            panic!("a second instance needs a database server");
        };
        let database_url = secrecy::ExposeSecret::expose_secret(database_url);
        let settings = settings_for(second_data.path(), Some(database_url), &options());
        let second = teilhabe::startup::Application::build(settings)
            .await
            .expect("second instance");
        bases.push(format!("http://127.0.0.1:{}", second.port()));
        tokio::spawn(second.run_until_stopped());
    }
    let date_id = course_date(
        &app,
        DateSpec {
            capacity: 20,
            max_places: 1,
            ..Default::default()
        },
    )
    .await;
    let path = format!("/api/v1/dates/{date_id}/bookings");
    let mut requests = tokio::task::JoinSet::new();
    for i in 0..200 {
        let client = app.client.clone();
        let url = format!("{}{path}", bases[i % bases.len()]);
        requests.spawn(async move {
            let res = client
                .post(&url)
                .json(&json!({"name": format!("Person {i}"), "email": format!("person{i}@example.de"), "places": 1}))
                .send()
                .await
                .expect("POST");
            (res.status(), res.text().await.expect("body"))
        });
    }
    let outcomes = tokio::time::timeout(std::time::Duration::from_secs(60), requests.join_all())
        .await
        .expect("200 bookings within a minute");
    let mut confirmed = 0;
    let mut positions = Vec::new();
    for (status, body) in &outcomes {
        assert_eq!(*status, 201, "{body}");
        let body: Value = serde_json::from_str(body).unwrap();
        match body["status"].as_str().unwrap() {
            "confirmed" => confirmed += 1,
            "waitlisted" => positions.push(body["waiting_position"].as_u64().unwrap()),
            other => panic!("status {other}"),
        }
    }
    assert_eq!(confirmed, 20);
    positions.sort_unstable();
    assert_eq!(positions, (1..=180).collect::<Vec<u64>>());
    let date = offer_date::Entity::find_by_id(date_id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(date.booked_places, 20);
    assert_eq!(bookings_of(&app, date_id).await, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_concurrent_http_bookings_for_twenty_places_sqlite() {
    two_hundred_concurrent_requests(Backend::Sqlite, 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_concurrent_http_bookings_for_twenty_places_postgres() {
    two_hundred_concurrent_requests(Backend::Postgres, 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_concurrent_http_bookings_through_two_instances_on_postgres() {
    two_hundred_concurrent_requests(Backend::Postgres, 2).await;
}

// A client reading every date page by page: a date of page 1 begins before page 2 is asked for.
// Counted pages shift by one and skip a date; reading on after the last date (`next` as `nach`)
// misses none.
on_both_backends!(
    reading_on_with_next_misses_no_date_when_dates_begin,
    |app| {
        use sea_orm::sea_query::Expr;
        let ids = |page: &Value| -> Vec<i64> {
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d["id"].as_i64().unwrap())
                .collect()
        };
        let (status, first) = get_json(&app, "/api/v1/dates").await;
        assert_eq!(status, StatusCode::OK);
        assert!(first["pages"].as_u64().unwrap() >= 3, "{first}");
        let (_, second_before) = get_json(&app, "/api/v1/dates?seite=2").await;
        let next = first["next"].as_str().expect("a next cursor").to_owned();

        // The first date of page 1 begins.
        let begun = ids(&first)[0] as i32;
        offer_date::Entity::update_many()
            .col_expr(
                offer_date::Column::StartsAt,
                Expr::value(Utc::now() - Duration::minutes(5)),
            )
            .filter(offer_date::Column::Id.eq(begun))
            .exec(&app.db)
            .await
            .unwrap();

        let (_, counted) = get_json(&app, "/api/v1/dates?seite=2").await;
        assert_ne!(
            ids(&counted)[0],
            ids(&second_before)[0],
            "counted pages shift (which is why `next` exists)"
        );
        let (status, read_on) = get_json(&app, &format!("/api/v1/dates?nach={next}")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(ids(&read_on), ids(&second_before), "{read_on}");
        assert!(read_on["next"].is_string());

        let (status, body) = get_json(&app, "/api/v1/dates?nach=gestern").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["error"]["fields"][0]["field"], "nach", "{body}");
        // The last page has no `next`.
        let pages = first["pages"].as_u64().unwrap();
        let (_, last) = get_json(&app, &format!("/api/v1/dates?seite={pages}")).await;
        assert!(last["next"].is_null(), "{last}");
    }
);

async fn post_booking_with_key(
    app: &TestApp,
    date_id: i32,
    key: &str,
    body: &Value,
) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/api/v1/dates/{date_id}/bookings")))
        .header("Idempotency-Key", key)
        .json(body)
        .send()
        .await
        .expect("POST")
}

// A client that got no answer (a timeout at the proxy, a connection dropped after the commit) sends
// the same request again. With the same `Idempotency-Key` it gets the booking the first one made; a
// booking by phone has no address for the duplicate check to catch, and was made twice.
on_both_backends!(a_repeated_idempotency_key_gets_the_first_booking, |app| {
    let date_id = course_date(&app, DateSpec::default()).await;
    let by_phone = json!({"name": "Gerda Anruf", "phone": "0361 123456", "places": 2});
    let first = post_booking_with_key(&app, date_id, "anruf-4711-0f3c9a2e", &by_phone).await;
    assert_eq!(first.status(), 201);
    assert!(first.headers().get("Idempotent-Replayed").is_none());
    let first: Value = first.json().await.unwrap();

    let again = post_booking_with_key(&app, date_id, "anruf-4711-0f3c9a2e", &by_phone).await;
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["Idempotent-Replayed"], "true");
    let again: Value = again.json().await.unwrap();
    assert_eq!(again, first);
    assert_eq!(bookings_of(&app, date_id).await, 1);
    let date = offer_date::Entity::find_by_id(date_id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(date.booked_places, 2, "the places are held once");

    // The same key with another number of places is another request: refused, nothing stored.
    let fewer = json!({"name": "Gerda Anruf", "phone": "0361 123456", "places": 1});
    let res = post_booking_with_key(&app, date_id, "anruf-4711-0f3c9a2e", &fewer).await;
    assert_eq!(res.status(), 422);
    assert_error(&res.json().await.unwrap(), "idempotency_key_reused");
    assert_eq!(bookings_of(&app, date_id).await, 1);

    // So is the same key with another person.
    let other = json!({"name": "Otto Anders", "phone": "0361 654321", "places": 1});
    let res = post_booking_with_key(&app, date_id, "anruf-4711-0f3c9a2e", &other).await;
    assert_eq!(res.status(), 422);
    assert_error(&res.json().await.unwrap(), "idempotency_key_reused");
    // The same key for another date is a key of its own.
    let second_date = course_date(&app, DateSpec::default()).await;
    let res = post_booking_with_key(&app, second_date, "anruf-4711-0f3c9a2e", &other).await;
    assert_eq!(res.status(), 201);
    // Without a key, the same request books again, as before.
    assert_eq!(post_booking(&app, date_id, &by_phone).await.status(), 201);
    assert_eq!(bookings_of(&app, date_id).await, 2);

    // A key is kept for a day.
    booking::Entity::update_many()
        .col_expr(
            booking::Column::CreatedAt,
            sea_orm::sea_query::Expr::value(Utc::now() - Duration::hours(25)),
        )
        .filter(booking::Column::DateId.eq(date_id))
        .exec(&app.db)
        .await
        .unwrap();
    let res = post_booking_with_key(&app, date_id, "anruf-4711-0f3c9a2e", &by_phone).await;
    assert_eq!(res.status(), 422);
    assert_eq!(bookings_of(&app, date_id).await, 2);

    for bad in [
        "",
        "zu-kurz-12345",
        "mit leerzeichen drin",
        &"k".repeat(256),
    ] {
        let res = post_booking_with_key(&app, date_id, bad, &by_phone).await;
        assert_eq!(res.status(), 400, "{bad:?}");
        assert_error(&res.json().await.unwrap(), "bad_request");
    }
    assert_eq!(bookings_of(&app, date_id).await, 2);
});

// A client that retries at once, before the first answer came: the requests with one key arrive
// together, and one booking is made; every answer names it.
async fn one_key_sent_twenty_times_at_once(backend: Backend) {
    let Some(app) = spawn_app(
        backend,
        Options {
            env: vec![("TEILHABE_RATE_LIMITS", "off".into())],
            ..Default::default()
        },
    )
    .await
    else {
        return;
    };
    let date_id = course_date(&app, DateSpec::default()).await;
    let url = app.url(&format!("/api/v1/dates/{date_id}/bookings"));
    let mut requests = tokio::task::JoinSet::new();
    for with_address in [false, true] {
        for _ in 0..10 {
            let (client, url) = (app.client.clone(), url.clone());
            let (key, body) = if with_address {
                (
                    "mit-adresse-5b1d7c40",
                    json!({"name": "Erika Muster", "email": "erika@example.de", "places": 1}),
                )
            } else {
                (
                    "nur-telefon-9e2a6f18",
                    json!({"name": "Gerda Anruf", "phone": "0361 123456", "places": 1}),
                )
            };
            requests.spawn(async move {
                let res = client
                    .post(&url)
                    .header("Idempotency-Key", key)
                    .json(&body)
                    .send()
                    .await
                    .expect("POST");
                let status = res.status();
                (key, status, res.json::<Value>().await.expect("JSON"))
            });
        }
    }
    let outcomes = tokio::time::timeout(std::time::Duration::from_secs(60), requests.join_all())
        .await
        .expect("answers within a minute");
    for key in ["mit-adresse-5b1d7c40", "nur-telefon-9e2a6f18"] {
        let ids: BTreeSet<i64> = outcomes
            .iter()
            .filter(|(k, _, _)| *k == key)
            .map(|(_, status, body)| {
                assert_eq!(*status, 201, "{body}");
                body["booking_id"].as_i64().unwrap()
            })
            .collect();
        assert_eq!(ids.len(), 1, "{key}: {ids:?}");
    }
    assert_eq!(bookings_of(&app, date_id).await, 2);
    let date = offer_date::Entity::find_by_id(date_id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(date.booked_places, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_idempotency_key_sent_twenty_times_at_once_books_once_sqlite() {
    one_key_sent_twenty_times_at_once(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_idempotency_key_sent_twenty_times_at_once_books_once_postgres() {
    one_key_sent_twenty_times_at_once(Backend::Postgres).await;
}
