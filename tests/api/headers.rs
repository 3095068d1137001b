//! Transport and cache headers: HSTS when the portal is served over HTTPS, `no-store` on every page
//! that shows or takes personal data, so neither a shared cache nor the browser history of a shared
//! computer keeps it, and no `Referer` from pages behind a secret link.
use crate::helpers::*;
use crate::on_both_backends;

fn cache_control(res: &reqwest::Response) -> Option<String> {
    res.headers()
        .get("cache-control")
        .map(|v| v.to_str().unwrap().to_owned())
}

#[tokio::test]
async fn hsts_is_sent_exactly_when_the_base_url_is_https() {
    let https = spawn_app(
        Backend::Sqlite,
        Options {
            demo: false,
            env: vec![("TEILHABE_BASE_URL", "https://teilhabe.test".into())],
        },
    )
    .await
    .unwrap();
    for path in ["/", "/health", "/api/v1/courses", "/gibt-es-nicht"] {
        let res = https.get(path).await;
        assert_eq!(
            res.headers()
                .get("strict-transport-security")
                .map(|v| v.to_str().unwrap()),
            Some("max-age=31536000; includeSubDomains"),
            "{path}"
        );
    }
    let http = spawn_app(
        Backend::Sqlite,
        Options {
            demo: false,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(
        !http
            .get("/")
            .await
            .headers()
            .contains_key("strict-transport-security")
    );
}

on_both_backends!(pages_with_personal_data_are_not_stored, |app| {
    let (slug, upcoming, _, _) = crate::text_cleaning::dates(&app).await;
    let form = format!("/kurse/{slug}/termine/{upcoming}/buchen");
    for path in [
        form.as_str(),
        "/anmelden",
        "/registrieren",
        "/passwort-vergessen",
        "/passwort-neu?token=abc",
        "/konto/bestaetigen?token=abc",
        "/vorschlaege/neu",
        "/barriere-melden",
        "/buchung/unbekannt",
        "/vorschlaege/eigene/unbekannt",
    ] {
        let res = app.get(path).await;
        assert_eq!(cache_control(&res).as_deref(), Some("no-store"), "{path}");
    }
    // The booking itself, its answer and the booking's own page.
    let res = app
        .submit(
            &form,
            &form,
            &[
                ("name", "Erika Muster"),
                ("email", "erika@example.de"),
                ("phone", ""),
                ("places", "1"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(cache_control(&res).as_deref(), Some("no-store"));
    let page = res.headers()["location"].to_str().unwrap().to_owned();
    let res = app.get(&page).await;
    assert_eq!(res.status(), 200, "{page}");
    assert_eq!(cache_control(&res).as_deref(), Some("no-store"), "{page}");
    // Its style sheets and links must not carry the secret to the proxy's log in `Referer`.
    assert_eq!(res.headers()["referrer-policy"], "no-referrer", "{page}");
    // Nor may a forwarded link put it into a search engine.
    assert_eq!(res.headers()["x-robots-tag"], "noindex, nofollow", "{page}");
    assert!(res.text().await.unwrap().contains("Erika Muster"));
    for path in ["/passwort-neu?token=abc", "/konto/bestaetigen?token=abc"] {
        let res = app.get(path).await;
        assert_eq!(res.headers()["referrer-policy"], "no-referrer", "{path}");
    }
    assert_eq!(
        app.get("/kurse").await.headers()["referrer-policy"],
        "same-origin"
    );
    assert!(
        !app.get("/kurse")
            .await
            .headers()
            .contains_key("x-robots-tag")
    );

    // Public pages without a form stay cacheable as before.
    for path in ["/", "/kurse", &format!("/kurse/{slug}")] {
        assert_eq!(cache_control(&app.get(path).await), None, "{path}");
    }

    // Signed in, every page is personal.
    let (email, password) = DEMO_PASSWORD_ADMIN;
    assert_eq!(app.login(email, password).await.status(), 303);
    for path in ["/konto", "/konto/email", "/", "/verwaltung/nutzer"] {
        let res = app.get(path).await;
        assert_eq!(cache_control(&res).as_deref(), Some("no-store"), "{path}");
    }
});
