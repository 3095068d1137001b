//! The authorization matrix: every protected page × every role (and anonymous).
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use teilhabe::{
    db::entities::user,
    services::accounts,
    web::route_table::{Access, Route, TABLE},
};

use crate::helpers::*;
use crate::on_both_backends;

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

/// The route table's entry whose pattern gives `path` (ids as 1).
fn declared(path: &str) -> &'static Route {
    TABLE
        .iter()
        .find(|route| example_path(route.path) == path)
        .unwrap_or_else(|| panic!("{path} is not in the route table"))
}

#[test]
fn every_protected_page_has_a_row() {
    let mut protected = 0;
    for route in TABLE {
        if let Access::Permission(name, _) = route.access
            && route.methods.contains(&"get")
        {
            protected += 1;
            let path = example_path(route.path);
            assert!(
                MATRIX.iter().any(|(p, _)| *p == path),
                "protected route {path} ({name}) has no row in MATRIX"
            );
        }
    }
    assert!(protected >= MATRIX.len(), "{protected} protected pages");
}

#[test]
fn the_back_office_and_the_account_are_never_public() {
    for route in TABLE {
        let under = ["/konto", "/verwaltung", "/freiwillige"]
            .iter()
            .any(|prefix| route.path.starts_with(prefix));
        if under && matches!(route.access, Access::Public) {
            // Only the goodbye page after deleting an account.
            assert_eq!(route.path, "/konto/geloescht");
        }
    }
}

/// What each role may do according to the permission the table declares, checked against the
/// matrix (which records what the running app answers): the declaration is the truth.
#[tokio::test]
async fn the_declared_permissions_are_what_the_roles_get() {
    let app = spawn_app(Backend::Sqlite, Default::default())
        .await
        .unwrap();
    let mut people = vec![None];
    for (email, _) in ACCOUNTS {
        let id = user::Entity::find()
            .filter(user::Column::Email.eq(email))
            .one(&app.db)
            .await
            .unwrap()
            .unwrap()
            .id;
        people.push(accounts::current_user(&app.db, id).await.unwrap());
    }
    for (path, row) in MATRIX {
        let Access::Permission(name, allowed) = declared(path).access else {
            panic!("{path} has a row but no permission in the route table");
        };
        for (person, expected) in people.iter().zip(row) {
            assert_eq!(
                allowed(person.as_ref()),
                matches!(expected, Allowed | NotTheirs),
                "{path}: {name} for {:?}",
                person.as_ref().map(|p| &p.email)
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

// A token for the TMDI export belongs to an admin; when the role goes, the token goes with it, so a
// later grant (for another task) does not bring back a token that may have been handed on.
on_both_backends!(an_api_token_ends_with_the_admin_role, |app| {
    use teilhabe::{
        db::entities::user_role,
        domain::{Email, Role},
        services::{api_tokens, users},
    };
    let email = Email::parse("ministerium@example.org").unwrap();
    let added = users::add_user_with_role(
        &app.db,
        users::NewRoleGrant {
            email: email.clone(),
            role: Role::Admin,
            organisation: None,
            district: None,
        },
    )
    .await
    .unwrap();
    let token = api_tokens::create(&app.db, &email, "TMDI Export")
        .await
        .unwrap()
        .token;
    let export = || async {
        app.client
            .get(app.url("/api/v1/export?from=2026-01-01&to=2026-01-31&format=csv"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .status()
    };
    assert_eq!(export().await, 200);

    let role = user_role::Entity::find()
        .filter(user_role::Column::UserId.eq(added.user_id))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let (admin, password) = DEMO_PASSWORD_ADMIN;
    assert_eq!(app.login(admin, password).await.status(), 303);
    let path = format!("/verwaltung/nutzer/{}", added.user_id);
    let res = app
        .submit(&path, &format!("{path}/rollen/{}/entziehen", role.id), &[])
        .await;
    assert!(res.status().is_redirection(), "{}", res.status());

    // Granted again: the old token stays dead.
    let mut again: user_role::ActiveModel = role.into();
    again.id = sea_orm::ActiveValue::NotSet;
    sea_orm::ActiveModelTrait::insert(again, &app.db)
        .await
        .unwrap();
    assert_eq!(export().await, 401);
});
