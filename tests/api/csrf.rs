//! Every state-changing request needs the synchronizer token from the form.
use crate::helpers::*;

/// Every POST route of the app; a new one must be added here and is then checked.
pub const POST_ROUTES: &[&str] = &[
    "/barriere-melden",
    "/anmelden",
    "/abmelden",
    "/registrieren",
    "/konto/bestaetigen",
    "/passwort-vergessen",
    "/passwort-neu",
    "/konto/loeschen",
    "/konto/email",
    "/konto/email-bestaetigen",
    "/verwaltung/nutzer/1/rollen",
    "/verwaltung/nutzer/1/rollen/1/entziehen",
    "/kurse/x/termine/1/buchen",
    "/veranstaltungen/x/termine/1/buchen",
    "/buchung/x/absagen",
    "/buchung/x/angebot",
    "/verwaltung/angebote/neu",
    "/verwaltung/angebote/1",
    "/verwaltung/angebote/1/status",
    "/verwaltung/angebote/1/kopieren",
    "/verwaltung/angebote/1/absagen",
    "/verwaltung/angebote/1/termine/neu",
    "/verwaltung/termine/1/bearbeiten",
    "/verwaltung/termine/1/absagen",
    "/verwaltung/termine/1/folgetermin",
    "/verwaltung/termine/1/buchen",
    "/verwaltung/termine/1/anwesenheit",
    "/verwaltung/buchungen/1/stornieren",
    "/verwaltung/buchungen/1/adresse",
    "/verwaltung/export",
    "/verwaltung/aufgaben/1/erledigt",
    "/vorschlaege/neu",
    "/rueckmeldung/x",
    "/rueckmeldung/termin/1/x",
    "/verwaltung/termine/1/rueckmeldungen",
    "/vorschlaege/eigene/x",
    "/vorschlaege/eigene/x/bestaetigen",
    "/vorschlaege/unterstuetzen/x",
    "/vorschlaege/folgen/x",
    "/vorschlaege/abmelden/x",
    "/vorschlaege/1/unterstuetzen",
    "/vorschlaege/1/folgen",
    "/vorschlaege/1/melden",
    "/verwaltung/vorschlaege/erfassen",
    "/verwaltung/vorschlaege/meldungen/1/erledigt",
    "/verwaltung/vorschlaege/1/moderation",
    "/verwaltung/vorschlaege/1/antwort",
    "/verwaltung/terminals",
    "/verwaltung/terminals/1/sperren",
    "/verwaltung/einsaetze/neu",
    "/verwaltung/einsaetze/1/bearbeiten",
    "/verwaltung/einsaetze/1/absagen",
    "/verwaltung/einsaetze/1/anwesenheit",
    "/verwaltung/einsaetze/1/bericht",
    "/verwaltung/einsaetze/1/stunden",
    "/verwaltung/stunden/1",
    "/freiwillige/einsaetze/1/anmelden",
    "/freiwillige/einsaetze/1/abmelden",
    "/freiwillige/kalender",
    "/freiwillige/kalender/sperren",
    "/kiosk/koppeln",
    "/kiosk/kurse/1/buchen",
    "/kiosk/rueckmeldung/1",
    "/kiosk/vorschlag",
    "/kiosk/benachrichtigung",
    "/benachrichtigung",
    "/benachrichtigung/bestaetigen/x",
    "/benachrichtigung/abmelden/x",
    "/konto/benachrichtigungen/1/loeschen",
    "/verwaltung/benachrichtigung",
];

#[test]
fn every_post_route_in_the_router_is_listed_here() {
    let router = include_str!("../../src/web/mod.rs");
    for line in router.lines() {
        // `web::resource("/x")` followed by `.route(web::post()…)`, or `.route("/x", web::post()…)`
        if let Some(rest) = line.split(".route(\"").nth(1)
            && line.contains("web::post()")
        {
            let path = rest
                .split('"')
                .next()
                .unwrap()
                .replace("{id}", "1")
                .replace("{role_id}", "1")
                .replace("{date_id}", "1")
                .replace("{slug}", "x")
                .replace("{token}", "x")
                .replace("{code}", "x");
            assert!(
                POST_ROUTES.contains(&path.as_str()),
                "{path} has no CSRF test row"
            );
        }
    }
    let resources: Vec<&str> = router
        .split("web::resource(\"")
        .skip(1)
        .map(|s| s.split('"').next().unwrap())
        .collect();
    for path in resources {
        let path = path
            .replace("{id}", "1")
            .replace("{date_id}", "1")
            .replace("{slug}", "x")
            .replace("{token}", "x")
            .replace("{code}", "x");
        assert!(
            POST_ROUTES.contains(&path.as_str()),
            "{path} has no CSRF test row"
        );
    }
}

#[tokio::test]
async fn posts_without_or_with_a_wrong_token_are_refused_with_a_friendly_page() {
    let app = spawn_app(Backend::Sqlite, Default::default())
        .await
        .unwrap();
    let (email, password) = DEMO_PASSWORD_ADMIN;
    assert_eq!(app.login(email, password).await.status(), 303);
    // Even signed in as admin, with a valid session, the token must match.
    for path in POST_ROUTES {
        for token in [None, Some("falsch"), Some("")] {
            let mut form = vec![
                ("description", "Ein ausreichend langer Text"),
                ("email", email),
                ("password", password),
            ];
            if let Some(t) = token {
                form.push(("csrf_token", t));
            }
            let res = app.post_form(path, &form).await;
            assert_eq!(res.status(), 403, "{path} with token {token:?}");
            let doc = scraper::Html::parse_document(&res.text().await.unwrap());
            assert_eq!(text_of(&doc, "h1"), "Das Formular ist abgelaufen", "{path}");
        }
    }
    // The session survived all of that: still signed in.
    assert_eq!(app.get("/konto").await.status(), 200);
}

#[tokio::test]
async fn json_or_other_bodies_cannot_skip_the_check() {
    let app = spawn_app(
        Backend::Sqlite,
        Options {
            demo: false,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let token = app.csrf_token("/barriere-melden").await;
    let res = app
        .client
        .post(app.url("/barriere-melden"))
        .json(&serde_json::json!({ "csrf_token": token, "description": "Ein ausreichend langer Text" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
}
