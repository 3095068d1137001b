//! `HEAD` on every page, and how long browsers may keep static files and pages.
use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(head_answers_like_get_without_a_body, |app| {
    let slug: String = app
        .get("/api/v1/courses?per_page=1")
        .await
        .json::<serde_json::Value>()
        .await
        .unwrap()["items"][0]["slug"]
        .as_str()
        .unwrap()
        .to_owned();
    for path in [
        "/",
        "/health",
        "/kurse?kreis=16051&frei=1",
        &format!("/kurse/{slug}"),
        "/vorschlaege",
        "/api/v1/dates",
        "/impressum",
        "/static/css/main.css",
    ] {
        let get = app.get(path).await;
        assert_eq!(get.status(), 200, "GET {path}");
        let head = app.client.head(app.url(path)).send().await.unwrap();
        assert_eq!(head.status(), 200, "HEAD {path}");
        assert_eq!(
            head.headers()["content-type"],
            get.headers()["content-type"],
            "{path}"
        );
        assert!(
            head.bytes().await.unwrap().is_empty(),
            "HEAD {path} has a body"
        );
    }
    let head = app
        .client
        .head(app.url("/gibt-es-nicht"))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 404);
});

#[tokio::test]
async fn static_files_linked_by_pages_are_immutable_pages_are_not() {
    let app = spawn_app(Backend::Sqlite, Default::default())
        .await
        .unwrap();
    let page = app.get("/").await;
    assert!(
        !page.headers().contains_key("cache-control"),
        "pages stay revalidated as before"
    );
    let (_, doc) = app.get_html("/").await;
    let css = select(&doc, "link[rel=stylesheet]")[0]
        .value()
        .attr("href")
        .unwrap()
        .to_owned();
    let version = css.strip_prefix("/static/css/main.css?v=").expect(&css);
    assert!(
        version.len() >= 8 && version.chars().all(|c| c.is_ascii_hexdigit()),
        "{css}"
    );

    let res = app.get(&css).await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    let current = res.bytes().await.unwrap();
    assert_eq!(
        current,
        std::fs::read(app.settings.static_dir().join("css/main.css")).unwrap()
    );

    // Another version or none: the file may have changed since, so it is revalidated.
    for stale in [
        "/static/css/main.css?v=000000000000",
        "/static/css/main.css",
    ] {
        let res = app.get(stale).await;
        assert_eq!(res.status(), 200, "{stale}");
        assert_eq!(res.headers()["cache-control"], "no-cache", "{stale}");
    }
}
