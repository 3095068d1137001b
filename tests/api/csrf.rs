//! Every state-changing request needs the synchronizer token from the form.
use crate::helpers::*;

#[test]
fn the_route_table_has_the_forms() {
    // The checks below post to every state-changing route of the table; an empty or shrunken table
    // would make them pass without checking anything.
    let routes = post_routes();
    assert!(routes.len() >= 60, "{routes:?}");
    for path in [
        "/anmelden",
        "/kurse/x/termine/1/buchen",
        "/verwaltung/export",
    ] {
        assert!(routes.iter().any(|r| r == path), "{path}");
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
    for path in post_routes() {
        let path = path.as_str();
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
