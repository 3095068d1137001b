//! The layout every page shares, security headers and error pages.
use crate::helpers::*;

async fn app() -> TestApp {
    spawn_app(Backend::Sqlite, Default::default())
        .await
        .unwrap()
}

#[tokio::test]
async fn layout_has_lang_skip_link_main_and_footer_links() {
    let app = app().await;
    let (status, doc) = app.get_html("/").await;
    assert_eq!(status, 200);
    assert_eq!(select(&doc, "html")[0].value().attr("lang"), Some("de"));
    let first_link = select(&doc, "body a")[0];
    assert_eq!(first_link.value().attr("href"), Some("#main"));
    assert_eq!(select(&doc, "main#main").len(), 1);
    assert_eq!(select(&doc, "h1").len(), 1);
    for href in [
        "/barrierefreiheit",
        "/leichte-sprache",
        "/gebaerdensprache",
        "/datenschutz",
        "/impressum",
        "/kontakt",
    ] {
        assert_eq!(
            select(&doc, &format!("footer a[href=\"{href}\"]")).len(),
            1,
            "{href}"
        );
    }
    // BITV 2.0 § 4: easy language and sign language are linked from the home page's content.
    assert!(!select(&doc, "main a[href=\"/leichte-sprache\"]").is_empty());
    assert!(!select(&doc, "main a[href=\"/gebaerdensprache\"]").is_empty());
    assert!(select(&doc, "script").is_empty(), "no JavaScript needed");
    assert!(select(&doc, "[style]").is_empty(), "no inline styles");
}

async fn report_barrier_href(app: &TestApp, page: &str) -> String {
    let (_, doc) = app.get_html(page).await;
    select(&doc, "footer a")
        .into_iter()
        .find(|a| {
            a.value()
                .attr("href")
                .unwrap()
                .starts_with("/barriere-melden")
        })
        .unwrap_or_else(|| panic!("no report link on {page}"))
        .value()
        .attr("href")
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn report_barrier_link_carries_the_current_page() {
    let app = app().await;
    assert_eq!(
        report_barrier_href(&app, "/orte?kreis=16051").await,
        "/barriere-melden?seite=%2Forte%3Fkreis%3D16051"
    );
}

// A report is stored and read by staff: a secret link's token must not travel into it.
#[tokio::test]
async fn report_barrier_link_leaves_out_the_token_of_a_secret_link() {
    let app = app().await;
    let secret = "GeheimesZeichen123";
    assert_eq!(
        report_barrier_href(&app, &format!("/passwort-neu?token={secret}&x=1")).await,
        "/barriere-melden?seite=%2Fpasswort-neu%3Fx%3D1"
    );
    let booking = report_barrier_href(&app, &format!("/buchung/{secret}")).await;
    assert!(!booking.contains(secret), "{booking}");
    assert!(booking.contains("%2Fbuchung%2F"), "{booking}");
}

#[tokio::test]
async fn strict_security_headers_everywhere() {
    let app = app().await;
    for path in [
        "/",
        "/does-not-exist",
        "/static/css/main.css",
        "/barriere-melden",
    ] {
        let res = app.get(path).await;
        let h = res.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("default-src 'self'"), "{path}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}");
        assert!(!csp.contains("unsafe-inline"), "{path}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "same-origin", "{path}");
        assert_eq!(
            h["x-request-id"].len(),
            36,
            "{path}: request id for support and logs"
        );
    }
}

#[tokio::test]
async fn unknown_route_gets_a_helpful_404_in_the_layout() {
    let app = app().await;
    let (status, doc) = app.get_html("/gibt-es-nicht").await;
    assert_eq!(status, 404);
    assert_eq!(text_of(&doc, "h1"), "Seite nicht gefunden");
    assert_eq!(select(&doc, "a.skip-link").len(), 1);
    assert!(!select(&doc, "main a[href=\"/\"]").is_empty());

    let res = app
        .client
        .get(app.url("/gibt-es-nicht"))
        .header("accept-language", "en")
        .send()
        .await
        .unwrap();
    let doc = scraper::Html::parse_document(&res.text().await.unwrap());
    assert_eq!(text_of(&doc, "h1"), "Page not found");
}

#[tokio::test]
async fn unknown_venue_and_missing_static_file_are_404() {
    let app = app().await;
    assert_eq!(app.get("/orte/gibt-es-nicht").await.status(), 404);
    assert_eq!(app.get("/static/nope.css").await.status(), 404);
}

#[tokio::test]
async fn wrong_method_oversized_body_and_malformed_input_are_4xx_pages() {
    let app = app().await;
    let res = app
        .client
        .delete(app.url("/barriere-melden"))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_client_error(), "{}", res.status());
    assert!(res.text().await.unwrap().contains("<main"));

    let huge = "x".repeat(200 * 1024);
    let res = app
        .post_form("/barriere-melden", &[("description", &huge)])
        .await;
    assert_eq!(res.status(), 413);
    let doc = scraper::Html::parse_document(&res.text().await.unwrap());
    assert_eq!(text_of(&doc, "h1"), "Die Eingabe ist zu lang");

    let res = app
        .client
        .post(app.url("/barriere-melden"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("description=%ZZ%&&&=")
        .send()
        .await
        .unwrap();
    assert!(res.status().is_client_error(), "{}", res.status());

    for path in [
        "/orte?kreis=%ZZ",
        "/orte?kreis[]=1&kreis[]=2",
        "/orte?%%%",
        "/barriere-melden?seite=%00%ff",
    ] {
        let status = app.get(path).await.status();
        assert!(
            status.is_success() || status.is_client_error(),
            "{path}: {status}"
        );
    }
}

#[tokio::test]
async fn static_assets_are_served_with_validators() {
    let app = app().await;
    let res = app.get("/static/css/main.css").await;
    assert_eq!(res.status(), 200);
    assert!(res.headers().contains_key("etag"));
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
}
