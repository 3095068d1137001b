//! The administrators' user search takes `%`, `_` and `\` literally on both databases.
use chrono::Utc;
use sea_orm::{ActiveModelTrait, Set};
use teilhabe::{db::entities::user, services::admin};

use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(percent_and_underscore_are_not_wildcards, |app| {
    for email in [
        "max_muster@example.de",
        "maxomuster@example.de",
        "rabatt100%@example.de",
        "rabatt1000@example.de",
        "back\\slash@example.de",
    ] {
        user::ActiveModel {
            email: Set(email.into()),
            display_name: Set("Suche".into()),
            created_at: Set(Utc::now()),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .unwrap();
    }
    let found = |search: &'static str| {
        let db = app.db.clone();
        async move {
            admin::users(&db, search)
                .await
                .unwrap()
                .into_iter()
                .map(|u| u.email)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(found("max_m").await, ["max_muster@example.de"]);
    assert_eq!(found("100%").await, ["rabatt100%@example.de"]);
    assert_eq!(found("%").await, ["rabatt100%@example.de"]);
    assert_eq!(found("_").await, ["max_muster@example.de"]);
    assert_eq!(found("k\\s").await, ["back\\slash@example.de"]);
    // A NUL byte is dropped like in every other text, not sent to the database.
    assert_eq!(found("max_m\u{0}").await, ["max_muster@example.de"]);
    assert_eq!(
        found("MUSTER").await,
        ["max_muster@example.de", "maxomuster@example.de"]
    );

    // The page shows the same.
    let (email, password) = DEMO_PASSWORD_ADMIN;
    assert_eq!(app.login(email, password).await.status(), 303);
    let (status, doc) = app.get_html("/verwaltung/nutzer?suche=%25").await;
    assert_eq!(status, 200);
    let text = doc.root_element().text().collect::<String>();
    assert!(text.contains("rabatt100%@example.de"));
    assert!(!text.contains("rabatt1000@example.de"));
});
