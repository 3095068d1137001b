//! Robustness of input (issue 8): every form in the router gets garbage (wrong types, huge and empty
//! values, markup, control characters, other scripts) from signed-in people with a valid CSRF token, so
//! the handlers' own checks are reached. No answer may be a 5xx, a refused request stores nothing, and
//! every link of its error summary leads to something on the page.
use rand::{Rng, SeedableRng, rngs::StdRng};
use sea_orm::{ConnectionTrait, Statement};

use crate::helpers::{Backend, Options, TestApp, post_routes, spawn_app};

/// Every field name the templates use.
const FIELDS: &[&str] = &[
    "accessibility_notes",
    "action",
    "agenda",
    "aktion",
    "anmerkungen",
    "answer",
    "antwort",
    "attendance",
    "audience",
    "begruendung",
    "bewertung",
    "bis",
    "booking",
    "capacity",
    "code",
    "contact_email",
    "contact_name",
    "date",
    "day",
    "decision",
    "description",
    "district",
    "email",
    "end",
    "from",
    "gefehlt",
    "geholfen",
    "grund",
    "head_count",
    "kategorie",
    "kind",
    "kontakt",
    "kreis",
    "max_places",
    "min_participants",
    "monat",
    "name",
    "online_url",
    "organisation",
    "ort",
    "participants_per_helper",
    "password",
    "phone",
    "place",
    "places",
    "price",
    "questions",
    "role",
    "schritt",
    "skills",
    "start",
    "status",
    "text",
    "themen",
    "titel",
    "title",
    "to",
    "token",
    "venue",
    "veranstaltung",
    "volunteers_needed",
    "von",
    "walk_in_places",
    "walk_ins",
    "website",
    "what_to_bring",
    "ziel",
    "zielgruppe",
];

/// Values that break naive parsers.
const NASTY: &[&str] = &[
    "",
    " ",
    "0",
    "-1",
    "1",
    "2",
    "99999999999999999999",
    "1.5",
    "1e9",
    "NaN",
    "true",
    "null",
    "2026-13-45",
    "31.02.2027",
    "25:61",
    "00:00",
    "23:59",
    "16051",
    "99999",
    "admin",
    "approve",
    "present",
    "kurs",
    "dialog",
    "sprechstunde",
    "<script>alert(1)</script>",
    "' OR '1'='1",
    "\"; DROP TABLE users; --",
    "%00",
    "\u{0}",
    "\u{202e}gnp.exe",
    "🙂🙂🙂",
    "ÄÖÜäöüß",
    "a@b",
    "erika@example.de",
    "=SUM(A1)",
    "../../etc/passwd",
    "javascript:alert(1)",
];

fn value(rng: &mut StdRng) -> String {
    match rng.random_range(0..5) {
        0..=2 => NASTY[rng.random_range(0..NASTY.len())].to_owned(),
        3 => (0..rng.random_range(1..40))
            .map(|_| char::from_u32(rng.random_range(1..0x2FFF)).unwrap_or('?'))
            .collect(),
        _ => rng.random_range(-1000i64..100_000).to_string(),
    }
}

/// Rows of the tables a form can change; a refused request must leave them all as they were.
const TABLES: &[&str] = &[
    "users",
    "user_roles",
    "organisations",
    "venues",
    "offers",
    "offer_dates",
    "bookings",
    "staff_tasks",
    "proposals",
    "proposal_supports",
    "proposal_follows",
    "proposal_reports",
    "feedback",
    "barrier_reports",
    "kiosk_terminals",
    "api_tokens",
    "outbox",
    "audit_log",
    "volunteer_shifts",
    "volunteer_signups",
    "volunteer_hours",
    "session_reports",
    "volunteer_feeds",
];

/// The row count of every table in `TABLES`, read in one statement: a round trip per table made
/// the PostgreSQL run take minutes.
async fn counts(app: &TestApp) -> Vec<i64> {
    let columns: Vec<String> = TABLES
        .iter()
        .enumerate()
        .map(|(i, table)| format!("(SELECT COUNT(*) FROM {table}) AS n{i}"))
        .collect();
    let row = app
        .db
        .query_one_raw(Statement::from_string(
            app.db.get_database_backend(),
            format!("SELECT {}", columns.join(", ")),
        ))
        .await
        .unwrap()
        .unwrap();
    (0..TABLES.len())
        .map(|i| row.try_get::<i64>("", &format!("n{i}")).unwrap())
        .collect()
}

/// The error summary's links (`#field`) whose target is not on the page: a person following one
/// (or a screen reader user jumping to the field) lands nowhere.
fn summary_links_without_target(html: &str) -> Vec<String> {
    let doc = scraper::Html::parse_document(html);
    let ids: std::collections::HashSet<&str> = doc
        .select(&scraper::Selector::parse("[id]").unwrap())
        .filter_map(|e| e.value().attr("id"))
        .collect();
    doc.select(&scraper::Selector::parse(".error-summary a[href]").unwrap())
        .filter_map(|a| a.value().attr("href"))
        .filter(|href| {
            href.strip_prefix('#')
                .is_none_or(|target| !ids.contains(target))
        })
        .map(str::to_owned)
        .collect()
}

async fn fuzz_as(app: &TestApp, email: &str, password: &str, seed: u64) {
    app.login(email, password).await;
    let token = app.csrf_token("/konto").await;
    let mut rng = StdRng::seed_from_u64(seed);
    for route in post_routes() {
        let route = route.as_str();
        // Signing out or deleting the account would end the session being fuzzed with.
        if ["/abmelden", "/konto/loeschen"].contains(&route) {
            continue;
        }
        for round in 0..12 {
            let mut fields: Vec<(String, String)> = vec![("csrf_token".into(), token.clone())];
            for name in FIELDS {
                if rng.random_bool(0.4) {
                    fields.push(((*name).to_owned(), value(&mut rng)));
                }
            }
            // Now and then one value far longer than any field allows (the body stays under the
            // 64 KiB form limit, so the handler sees it).
            if fields.len() > 1 && rng.random_bool(0.3) {
                let i = rng.random_range(1..fields.len());
                fields[i].1 = "ä".repeat(rng.random_range(1000..5000));
            }
            let before = counts(app).await;
            let res = app
                .client
                .post(app.url(route))
                .form(&fields)
                .send()
                .await
                .unwrap();
            let status = res.status();
            if std::env::var("FUZZ_DEBUG").is_ok() {
                eprintln!("FUZZ {route} {status}");
            }
            assert!(
                status.as_u16() < 500,
                "POST {route} (round {round}) answered {status} for {fields:?}"
            );
            if status.is_client_error() {
                let body = res.text().await.unwrap_or_default();
                let missing = summary_links_without_target(&body);
                assert!(
                    missing.is_empty(),
                    "POST {route} (round {round}, {status}): the error summary links to {missing:?}, \
                     which the page does not have, for {fields:?}"
                );
                let after = counts(app).await;
                let changed: Vec<_> = TABLES
                    .iter()
                    .zip(before.iter().zip(&after))
                    .filter(|(_, (b, a))| b != a)
                    .map(|(t, (b, a))| format!("{t}: {b} → {a}"))
                    .collect();
                assert!(
                    changed.is_empty(),
                    "POST {route} was refused with {status} but changed {changed:?}"
                );
            }
        }
    }
}

async fn check_forms(backend: Backend) {
    // The scheduled jobs (reminders, feedback links) would write rows between the counts before and
    // after a refused request; the forms alone must change nothing.
    let options = Options {
        env: vec![("TEILHABE_BACKGROUND_JOBS", "false".to_owned())],
        ..Options::default()
    };
    let Some(app) = spawn_app(backend, options).await else {
        return;
    };
    fuzz_as(&app, "admin@demo.teilhabe.example", "Demo-Admin-2026", 8).await;
    app.submit("/konto", "/abmelden", &[]).await;
    fuzz_as(
        &app,
        "freiwillig@demo.teilhabe.example",
        "Demo-Freiwillig-2026",
        9,
    )
    .await;
    app.submit("/konto", "/abmelden", &[]).await;
    fuzz_as(
        &app,
        "anbieter@demo.teilhabe.example",
        "Demo-Anbieter-2026",
        10,
    )
    .await;
}

mod every_form_survives_garbage_and_stores_nothing_when_refusing {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        check_forms(Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        check_forms(Backend::Postgres).await;
    }
}
