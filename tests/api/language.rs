use crate::helpers::*;

async fn app() -> TestApp {
    spawn_app(
        Backend::Sqlite,
        Options {
            demo: false,
            ..Default::default()
        },
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn german_is_the_default() {
    let app = app().await;
    let (_, doc) = app.get_html("/").await;
    assert_eq!(select(&doc, "html")[0].value().attr("lang"), Some("de"));
    assert_eq!(text_of(&doc, "h1"), "Digital dabei in Thüringen");
}

#[tokio::test]
async fn accept_language_is_respected_on_first_visit() {
    let app = app().await;
    let res = app
        .client
        .get(app.url("/"))
        .header("accept-language", "en-GB,en;q=0.9,de;q=0.5")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["content-language"], "en");
    let doc = scraper::Html::parse_document(&res.text().await.unwrap());
    assert_eq!(select(&doc, "html")[0].value().attr("lang"), Some("en"));
    assert_eq!(text_of(&doc, "h1"), "Going digital in Thuringia");
}

#[tokio::test]
async fn switch_keeps_the_page_and_is_remembered() {
    let app = app().await;
    let (_, doc) = app.get_html("/orte?kreis=16053").await;
    let english = select(&doc, ".language-switch a[lang=\"en\"]")[0];
    let href = english.value().attr("href").unwrap();
    assert_eq!(href, "/orte?kreis=16053&lang=en");

    let (_, doc) = app.get_html(href).await;
    assert_eq!(select(&doc, "html")[0].value().attr("lang"), Some("en"));
    // The cookie now carries the choice, even against the browser's header.
    let res = app
        .client
        .get(app.url("/"))
        .header("accept-language", "de")
        .send()
        .await
        .unwrap();
    let doc = scraper::Html::parse_document(&res.text().await.unwrap());
    assert_eq!(select(&doc, "html")[0].value().attr("lang"), Some("en"));
    // The German link is marked as German, so screen readers pronounce it right.
    assert_eq!(select(&doc, ".language-switch a[lang=\"de\"]").len(), 1);
}
