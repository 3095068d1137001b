//! Form pages opened without a session write nothing to the database: the form token of a visitor
//! without a session lives in a cookie (double submit), and is still required on every POST.
use sea_orm::{EntityTrait, PaginatorTrait};
use teilhabe::db::entities::session;

use crate::helpers::*;
use crate::on_both_backends;

fn fresh_client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn token_on(client: &reqwest::Client, app: &TestApp, path: &str) -> String {
    let html = client
        .get(app.url(path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let doc = scraper::Html::parse_document(&html);
    select(&doc, "input[name=\"csrf_token\"]")[0]
        .value()
        .attr("value")
        .unwrap()
        .to_owned()
}

on_both_backends!(anonymous_form_pages_store_no_session, |app| {
    let sessions = || async { session::Entity::find().count(&app.db).await.unwrap() };
    let before = sessions().await;
    let pages = [
        "/anmelden",
        "/registrieren",
        "/passwort-vergessen",
        "/vorschlaege/neu",
        "/barriere-melden",
    ];
    for n in 0..20 {
        // Half of them as new visitors without any cookie, half as one returning visitor.
        let client = if n % 2 == 0 {
            fresh_client()
        } else {
            app.client.clone()
        };
        let path = pages[n % pages.len()];
        let res = client.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
    }
    assert_eq!(
        sessions().await,
        before,
        "no session row for anonymous form pages"
    );

    // The token still protects: the page's own token with its cookie passes…
    let report = [
        ("page", "/orte"),
        ("description", "Die Schrift ist zu klein für mich."),
    ];
    let hidden = app.hidden_fields("/barriere-melden").await;
    if hidden.iter().any(|(k, _)| k == "stamp") {
        // Not faster than a person fills the form in.
        tokio::time::sleep(std::time::Duration::from_millis(3100)).await;
    }
    let mut form = report.to_vec();
    form.extend(hidden.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let res = app.post_form("/barriere-melden", &form).await;
    assert_eq!(res.status(), 303);
    // …the same token without the cookie (another browser, a forged cross-site form) does not…
    let res = fresh_client()
        .post(app.url("/barriere-melden"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    // …nor a cookie with another visitor's token.
    let other = fresh_client();
    let _ = token_on(&other, &app, "/barriere-melden").await;
    let res = other
        .post(app.url("/barriere-melden"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    // A form cookie that is not a token of ours is ignored.
    let res = fresh_client()
        .post(app.url("/barriere-melden"))
        .header("cookie", "teilhabe_formular=x")
        .form(&[("csrf_token", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(sessions().await, before);

    // Signing in starts the one real session.
    let (email, password) = DEMO_PASSWORD_ADMIN;
    assert_eq!(app.login(email, password).await.status(), 303);
    assert_eq!(sessions().await, before + 1);
    assert_eq!(app.get("/konto").await.status(), 200);
});
