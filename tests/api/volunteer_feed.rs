//! A volunteer's calendar link stops working when the volunteer role is revoked, and a later grant
//! does not revive it.
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use teilhabe::db::entities::{user, user_role};

use crate::helpers::*;
use crate::on_both_backends;

const VOLUNTEER: (&str, &str) = ("freiwillig@demo.teilhabe.example", "Demo-Freiwillig-2026");

async fn feed_path(app: &TestApp) -> String {
    assert_eq!(app.login(VOLUNTEER.0, VOLUNTEER.1).await.status(), 303);
    let res = app
        .submit("/freiwillige", "/freiwillige/kalender", &[])
        .await;
    assert_eq!(res.status(), 200);
    let doc = scraper::Html::parse_document(&res.text().await.unwrap());
    let url = text_of(&doc, ".feed-url");
    let token = app.csrf_token("/konto").await;
    app.post_form("/abmelden", &[("csrf_token", &token)]).await;
    url.trim_start_matches("http://teilhabe.test").to_owned()
}

async fn volunteer_role(app: &TestApp) -> (i32, Option<user_role::Model>) {
    let id = user::Entity::find()
        .filter(user::Column::Email.eq(VOLUNTEER.0))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .id;
    let role = user_role::Entity::find()
        .filter(user_role::Column::UserId.eq(id))
        .filter(user_role::Column::Role.eq("volunteer"))
        .one(&app.db)
        .await
        .unwrap();
    (id, role)
}

on_both_backends!(the_feed_ends_with_the_volunteer_role, |app| {
    let path = feed_path(&app).await;
    let anonymous = reqwest::Client::new();
    assert_eq!(
        anonymous.get(app.url(&path)).send().await.unwrap().status(),
        200
    );

    // An administrator revokes the role.
    let (user_id, role) = volunteer_role(&app).await;
    let role = role.expect("the demo volunteer has the role");
    let (email, password) = DEMO_PASSWORD_ADMIN;
    assert_eq!(app.login(email, password).await.status(), 303);
    let token = app
        .csrf_token(&format!("/verwaltung/nutzer/{user_id}"))
        .await;
    let res = app
        .post_form(
            &format!("/verwaltung/nutzer/{user_id}/rollen/{}/entziehen", role.id),
            &[("csrf_token", &token)],
        )
        .await;
    assert!(res.status().is_redirection(), "{}", res.status());
    assert!(volunteer_role(&app).await.1.is_none());
    assert_eq!(
        anonymous.get(app.url(&path)).send().await.unwrap().status(),
        404
    );

    // Granted again: the old link stays dead.
    let mut again: user_role::ActiveModel = role.into();
    again.id = sea_orm::ActiveValue::NotSet;
    sea_orm::ActiveModelTrait::insert(again, &app.db)
        .await
        .unwrap();
    assert_eq!(
        anonymous.get(app.url(&path)).send().await.unwrap().status(),
        404
    );
});

on_both_backends!(the_feed_checks_the_role_on_every_request, |app| {
    let path = feed_path(&app).await;
    let anonymous = reqwest::Client::new();
    assert_eq!(
        anonymous.get(app.url(&path)).send().await.unwrap().status(),
        200
    );
    // The role disappears by any other way (a script, the database): the feed still ends.
    let (_, role) = volunteer_role(&app).await;
    user_role::Entity::delete_by_id(role.unwrap().id)
        .exec(&app.db)
        .await
        .unwrap();
    assert_eq!(
        anonymous.get(app.url(&path)).send().await.unwrap().status(),
        404
    );
});
