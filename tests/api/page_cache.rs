//! The anonymous page cache: catalogue pages come from memory, any change through the app empties it,
//! and signed-in people always see fresh pages.
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use teilhabe::db::entities::offer;

use crate::helpers::*;

async fn title_with(client: &reqwest::Client, app: &TestApp, path: &str) -> String {
    let res = client.get(app.url(path)).send().await.unwrap();
    assert_eq!(res.status(), 200, "{path}");
    let doc = scraper::Html::parse_document(&res.text().await.unwrap());
    text_of(&doc, "h1")
}

#[tokio::test]
async fn catalogue_pages_are_cached_for_visitors_until_something_changes() {
    let app = spawn_app(
        Backend::Sqlite,
        Options {
            env: vec![("TEILHABE_PAGE_CACHE_SECONDS", "600".into())],
            ..Default::default()
        },
    )
    .await
    .unwrap();
    // `app.client` is signed in as staff; `visitor` is anonymous.
    assert_eq!(
        app.login("anbieter@demo.teilhabe.example", "Demo-Anbieter-2026")
            .await
            .status(),
        303
    );
    let visitor = reqwest::Client::new();
    let first = offer::Entity::find_by_id(1)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let path = format!("/kurse/{}", first.slug);
    assert_eq!(title_with(&visitor, &app, &path).await, first.title);

    // Changed behind the app's back: visitors still get the cached page, signed-in staff do not.
    let mut changed: offer::ActiveModel = first.clone().into();
    changed.title = Set("Neuer Titel für den Cache-Test".into());
    changed.update(&app.db).await.unwrap();
    assert_eq!(title_with(&visitor, &app, &path).await, first.title);
    assert_eq!(
        title_with(&app.client, &app, &path).await,
        "Neuer Titel für den Cache-Test"
    );

    // Any state-changing request through the app empties the cache (here: a refused booking).
    let res = visitor
        .post(app.url("/api/v1/dates/999999/bookings"))
        .json(&serde_json::json!({"name": "X", "email": "x@example.de", "places": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(
        title_with(&visitor, &app, &path).await,
        "Neuer Titel für den Cache-Test"
    );
}

/// The one request that renders a stale page anew got an error (here the course was withdrawn for
/// a moment): every later visitor got the stale page until it expired at three times its time to
/// live, although the next request could render it.
#[tokio::test]
async fn a_failed_refresh_lets_the_next_request_try_again() {
    use teilhabe::domain::offer::OfferStatus;
    let app = spawn_app(
        Backend::Sqlite,
        Options {
            env: vec![("TEILHABE_PAGE_CACHE_SECONDS", "2".into())],
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let visitor = reqwest::Client::new();
    let first = offer::Entity::find_by_id(1)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let path = format!("/kurse/{}", first.slug);
    assert_eq!(title_with(&visitor, &app, &path).await, first.title);

    let mut withdrawn: offer::ActiveModel = first.clone().into();
    withdrawn.status = Set(OfferStatus::Draft);
    withdrawn.update(&app.db).await.unwrap();
    // Stale after 2 s; kept until 6 s, when it would expire anyway.
    tokio::time::sleep(std::time::Duration::from_millis(2_200)).await;
    let res = visitor.get(app.url(&path)).send().await.unwrap();
    assert_eq!(res.status(), 404, "the stale page is rendered anew");

    let mut back: offer::ActiveModel = first.clone().into();
    back.status = Set(OfferStatus::Published);
    back.title = Set("Wieder da".into());
    back.update(&app.db).await.unwrap();
    assert_eq!(title_with(&visitor, &app, &path).await, "Wieder da");
}
