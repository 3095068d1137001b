//! The authorization matrix: every protected page × every role (and anonymous).
use crate::helpers::*;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Expect {
    Allowed,
    Forbidden,
    Login,
    /// Allowed to use the page, but this record belongs to another organisation or district.
    NotTheirs,
}
use Expect::*;

/// Demo accounts, one per role, in the column order of `MATRIX`.
const ACCOUNTS: [(&str, &str); 6] = [
    ("buergerin@demo.teilhabe.example", "Demo-Buergerin-2026"),
    ("freiwillig@demo.teilhabe.example", "Demo-Freiwillig-2026"),
    ("anbieter@demo.teilhabe.example", "Demo-Anbieter-2026"),
    ("gemeinde@demo.teilhabe.example", "Demo-Gemeinde-2026"),
    ("moderation@demo.teilhabe.example", "Demo-Moderation-2026"),
    ("admin@demo.teilhabe.example", "Demo-Admin-2026"),
];

/// path: anonymous, citizen, volunteer, provider staff, municipality editor, moderator, admin
const MATRIX: &[(&str, [Expect; 7])] = &[
    (
        "/verwaltung/wirkung",
        [
            Login, Forbidden, Forbidden, Forbidden, Allowed, Forbidden, Allowed,
        ],
    ),
    (
        "/verwaltung/termine/1/rueckmeldungen",
        [
            Login, Forbidden, Forbidden, Allowed, NotTheirs, Forbidden, Allowed,
        ],
    ),
    (
        "/verwaltung/termine/1/rueckmeldung-qr",
        [
            Login, Forbidden, Forbidden, Allowed, NotTheirs, Forbidden, Allowed,
        ],
    ),
    (
        "/verwaltung/vorschlaege",
        [
            Login, Forbidden, Forbidden, Forbidden, Allowed, Allowed, Allowed,
        ],
    ),
    (
        "/verwaltung/vorschlaege/erfassen",
        [
            Login, Forbidden, Forbidden, Allowed, Allowed, Allowed, Allowed,
        ],
    ),
    // Demo proposal 1 is from Sömmerda, the district of the demo municipality and moderator.
    (
        "/verwaltung/vorschlaege/1",
        [
            Login, Forbidden, Forbidden, Forbidden, Allowed, Allowed, Allowed,
        ],
    ),
    (
        "/konto",
        [Login, Allowed, Allowed, Allowed, Allowed, Allowed, Allowed],
    ),
    (
        "/konto/daten",
        [Login, Allowed, Allowed, Allowed, Allowed, Allowed, Allowed],
    ),
    (
        "/konto/loeschen",
        [Login, Allowed, Allowed, Allowed, Allowed, Allowed, Allowed],
    ),
    (
        "/konto/email",
        [Login, Allowed, Allowed, Allowed, Allowed, Allowed, Allowed],
    ),
    (
        "/verwaltung",
        [
            Login, Forbidden, Allowed, Allowed, Allowed, Allowed, Allowed,
        ],
    ),
    (
        "/verwaltung/nutzer",
        [
            Login, Forbidden, Forbidden, Forbidden, Forbidden, Forbidden, Allowed,
        ],
    ),
    (
        "/verwaltung/nutzer/1",
        [
            Login, Forbidden, Forbidden, Forbidden, Forbidden, Forbidden, Allowed,
        ],
    ),
    (
        "/verwaltung/protokoll",
        [
            Login, Forbidden, Forbidden, Forbidden, Forbidden, Forbidden, Allowed,
        ],
    ),
    (
        "/verwaltung/export",
        [
            Login, Forbidden, Forbidden, Forbidden, Forbidden, Forbidden, Allowed,
        ],
    ),
    // No export job exists in the demo data: admins get past the check and find nothing.
    (
        "/verwaltung/export/1",
        [
            Login, Forbidden, Forbidden, Forbidden, Forbidden, Forbidden, NotTheirs,
        ],
    ),
    (
        "/verwaltung/export/1/zip",
        [
            Login, Forbidden, Forbidden, Forbidden, Forbidden, Forbidden, NotTheirs,
        ],
    ),
    (
        "/verwaltung/unzustellbar",
        [
            Login, Forbidden, Forbidden, Forbidden, Forbidden, Forbidden, Allowed,
        ],
    ),
    (
        "/verwaltung/buchungen/1/adresse",
        [
            Login, Forbidden, Forbidden, Allowed, NotTheirs, Forbidden, Allowed,
        ],
    ),
    (
        "/verwaltung/barrieren",
        [
            Login, Forbidden, Forbidden, Forbidden, Forbidden, Forbidden, Allowed,
        ],
    ),
    (
        "/verwaltung/angebote",
        [
            Login, Forbidden, Forbidden, Allowed, Allowed, Forbidden, Allowed,
        ],
    ),
    (
        "/verwaltung/benachrichtigung",
        [
            Login, Forbidden, Forbidden, Allowed, Allowed, Forbidden, Allowed,
        ],
    ),
    (
        "/verwaltung/angebote/neu",
        [
            Login, Forbidden, Forbidden, Allowed, Allowed, Forbidden, Allowed,
        ],
    ),
    (
        "/verwaltung/angebote/1",
        [
            Login, Forbidden, Forbidden, Allowed, NotTheirs, Forbidden, Allowed,
        ],
    ),
    (
        "/verwaltung/angebote/1/termine/neu",
        [
            Login, Forbidden, Forbidden, Allowed, NotTheirs, Forbidden, Allowed,
        ],
    ),
    (
        "/verwaltung/termine/1",
        [
            Login, Forbidden, Forbidden, Allowed, NotTheirs, Forbidden, Allowed,
        ],
    ),
    (
        "/verwaltung/termine/1/bearbeiten",
        [
            Login, Forbidden, Forbidden, Allowed, NotTheirs, Forbidden, Allowed,
        ],
    ),
    (
        "/verwaltung/termine/1/teilnehmende.csv",
        [
            Login, Forbidden, Forbidden, Allowed, NotTheirs, Forbidden, Allowed,
        ],
    ),
    (
        "/verwaltung/buchungen/1/beleg",
        [
            Login, Forbidden, Forbidden, Allowed, NotTheirs, Forbidden, Allowed,
        ],
    ),
    (
        "/verwaltung/termine/1/folgetermin",
        [
            Login, Forbidden, Forbidden, Allowed, NotTheirs, Forbidden, Allowed,
        ],
    ),
    (
        "/verwaltung/aufgaben",
        [
            Login, Forbidden, Forbidden, Allowed, Allowed, Forbidden, Allowed,
        ],
    ),
    (
        "/verwaltung/terminals",
        [
            Login, Forbidden, Forbidden, Forbidden, Forbidden, Forbidden, Allowed,
        ],
    ),
    (
        "/verwaltung/einsaetze",
        [
            Login, Forbidden, Forbidden, Allowed, Allowed, Forbidden, Allowed,
        ],
    ),
    (
        "/verwaltung/einsaetze/neu",
        [
            Login, Forbidden, Forbidden, Allowed, Allowed, Forbidden, Allowed,
        ],
    ),
    (
        "/verwaltung/einsaetze/1",
        [
            Login, Forbidden, Allowed, Allowed, NotTheirs, Forbidden, Allowed,
        ],
    ),
    (
        "/verwaltung/einsaetze/1/liste",
        [
            Login, Forbidden, Allowed, Allowed, NotTheirs, Forbidden, Allowed,
        ],
    ),
    (
        "/verwaltung/einsaetze/1/bearbeiten",
        [
            Login, Forbidden, Forbidden, Allowed, NotTheirs, Forbidden, Allowed,
        ],
    ),
    (
        "/verwaltung/stunden",
        [
            Login, Forbidden, Forbidden, Allowed, Allowed, Forbidden, Allowed,
        ],
    ),
    (
        "/verwaltung/stunden.csv",
        [
            Login, Forbidden, Forbidden, Allowed, Allowed, Forbidden, Allowed,
        ],
    ),
    (
        "/verwaltung/stunden/person/1",
        [
            Login, Forbidden, Forbidden, Allowed, Allowed, Forbidden, Allowed,
        ],
    ),
    (
        "/freiwillige",
        [
            Login, Forbidden, Allowed, Forbidden, Forbidden, Forbidden, Forbidden,
        ],
    ),
    (
        "/freiwillige/einsaetze",
        [
            Login, Forbidden, Allowed, Forbidden, Forbidden, Forbidden, Forbidden,
        ],
    ),
    (
        "/freiwillige/stunden",
        [
            Login, Forbidden, Allowed, Forbidden, Forbidden, Forbidden, Forbidden,
        ],
    ),
    (
        "/freiwillige/stunden.csv",
        [
            Login, Forbidden, Allowed, Forbidden, Forbidden, Forbidden, Forbidden,
        ],
    ),
];

/// Routes under these prefixes are protected; public ones are named explicitly.
const PROTECTED_PREFIXES: [&str; 3] = ["/konto", "/verwaltung", "/freiwillige"];
/// Token links from mails, the goodbye page and private calendar feeds work without a session.
const PUBLIC_UNDER_PREFIX: [&str; 4] = [
    "/freiwillige/kalender/{token}",
    "/konto/bestaetigen",
    "/konto/geloescht",
    "/konto/email-bestaetigen",
];

#[test]
fn every_protected_get_route_has_a_row() {
    let router = include_str!("../../src/web/mod.rs");
    let mut paths: Vec<String> = router
        .split(".route(\"")
        .skip(1)
        // Only this route's own call: up to the end of its `.to(handler)`.
        .filter(|s| {
            s.split("))")
                .next()
                .is_some_and(|call| call.contains("web::get()"))
        })
        .map(|s| s.split('"').next().unwrap().to_owned())
        .collect();
    paths.extend(
        router
            .split("web::resource(\"")
            .skip(1)
            .map(|s| s.split('"').next().unwrap().to_owned()),
    );
    for path in paths {
        let path = path.replace("{id}", "1");
        if PROTECTED_PREFIXES.iter().any(|p| path.starts_with(p))
            && !PUBLIC_UNDER_PREFIX.contains(&path.as_str())
        {
            assert!(
                MATRIX.iter().any(|(p, _)| *p == path),
                "protected route {path} has no row in MATRIX"
            );
        }
    }
}

async fn check(app: &TestApp, who: &str, column: usize) {
    for (path, row) in MATRIX {
        let res = app.get(path).await;
        let got = match res.status().as_u16() {
            200 => Allowed,
            403 => Forbidden,
            404 => NotTheirs,
            303 if res.headers()["location"]
                .to_str()
                .unwrap()
                .starts_with("/anmelden?weiter=") =>
            {
                Login
            }
            other => panic!("{who} {path}: unexpected status {other}"),
        };
        assert_eq!(got, row[column], "{who} on {path}");
        if got == Forbidden {
            let doc = scraper::Html::parse_document(&res.text().await.unwrap());
            assert_eq!(
                text_of(&doc, "h1"),
                "Kein Zugriff",
                "{who} on {path}: friendly page"
            );
        }
    }
}

#[tokio::test]
async fn anonymous_and_each_role_get_exactly_what_the_matrix_says() {
    let anonymous = spawn_app(Backend::Sqlite, Default::default())
        .await
        .unwrap();
    check(&anonymous, "anonymous", 0).await;
    for (i, (email, password)) in ACCOUNTS.iter().enumerate() {
        // A fresh app per role keeps `/konto/loeschen` and the sessions independent.
        let app = spawn_app(Backend::Sqlite, Default::default())
            .await
            .unwrap();
        assert_eq!(
            app.login(email, password).await.status(),
            303,
            "{email} logs in"
        );
        check(&app, email, i + 1).await;
    }
}

#[tokio::test]
async fn login_returns_to_the_page_asked_for_but_never_to_another_site() {
    let app = spawn_app(Backend::Sqlite, Default::default())
        .await
        .unwrap();
    let res = app.get("/verwaltung/protokoll").await;
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(location, "/anmelden?weiter=%2Fverwaltung%2Fprotokoll");
    let token = app.csrf_token(&location).await;
    let (email, password) = ACCOUNTS[5];
    let res = app
        .post_form(
            "/anmelden",
            &[
                ("email", email),
                ("password", password),
                ("weiter", "/verwaltung/protokoll"),
                ("csrf_token", &token),
            ],
        )
        .await;
    assert_eq!(res.headers()["location"], "/verwaltung/protokoll");

    let other = spawn_app(Backend::Sqlite, Default::default())
        .await
        .unwrap();
    let token = other.csrf_token("/anmelden").await;
    let res = other
        .post_form(
            "/anmelden",
            &[
                ("email", email),
                ("password", password),
                ("weiter", "//evil.example/"),
                ("csrf_token", &token),
            ],
        )
        .await;
    assert_eq!(res.headers()["location"], "/konto");
}
