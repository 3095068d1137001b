//! Where sign-in leads: only to a page of this site, whatever `weiter` says (issue 14).
use crate::helpers::*;

/// Signs in with a fresh client, as if from a link `/anmelden?weiter=…`; returns status and Location.
async fn sign_in_then(app: &TestApp, weiter: &str) -> (u16, String) {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = client
        .get(app.url("/anmelden"))
        .query(&[("weiter", weiter)])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let doc = scraper::Html::parse_document(&page);
    let csrf = select(&doc, "input[name=\"csrf_token\"]")[0]
        .value()
        .attr("value")
        .unwrap()
        .to_owned();
    let res = client
        .post(app.url("/anmelden"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("email", DEMO_PASSWORD_ADMIN.0),
            ("password", DEMO_PASSWORD_ADMIN.1),
            ("weiter", weiter),
        ])
        .send()
        .await
        .unwrap();
    let location = res
        .headers()
        .get("location")
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .unwrap_or_default();
    (res.status().as_u16(), location)
}

#[tokio::test]
async fn sign_in_never_leads_to_another_site() {
    let app = spawn_app(Backend::Sqlite, Default::default())
        .await
        .unwrap();
    assert_eq!(
        sign_in_then(&app, "/verwaltung/stunden?monat=2026-11").await,
        (303, "/verwaltung/stunden?monat=2026-11".to_owned())
    );
    // Every posted value passes the text rule first, which drops the NUL: what is left is this
    // site's start page.
    assert_eq!(sign_in_then(&app, "/\0").await, (303, "/".to_owned()));
    for weiter in [
        "/\t/evil.example",
        "/\n/evil.example",
        "/\r\n/evil.example",
        "//evil.example",
        "/\\evil.example",
        "https://evil.example/",
        "/\u{3000}/evil.example",
    ] {
        assert_eq!(
            sign_in_then(&app, weiter).await,
            (303, "/konto".to_owned()),
            "{weiter:?}"
        );
    }
}
