//! The portal always keeps one administrator: without one nobody can give roles any more, and only
//! the command line on the server could bring one back.
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use teilhabe::{
    db::entities::{user, user_role},
    domain::{Email, Role},
    services::{admin, users},
};

use crate::helpers::*;
use crate::on_both_backends;

async fn admin_role_of(app: &TestApp, user_id: i32) -> user_role::Model {
    user_role::Entity::find()
        .filter(user_role::Column::UserId.eq(user_id))
        .filter(user_role::Column::Role.eq(Role::Admin.as_str()))
        .one(&app.db)
        .await
        .unwrap()
        .expect("an administrator role")
}

async fn administrators(app: &TestApp) -> u64 {
    user_role::Entity::find()
        .filter(user_role::Column::Role.eq(Role::Admin.as_str()))
        .count(&app.db)
        .await
        .unwrap()
}

async fn second_administrator(app: &TestApp, email: &str) -> i32 {
    users::add_user_with_role(
        &app.db,
        users::NewRoleGrant {
            email: Email::parse(email).unwrap(),
            role: Role::Admin,
            organisation: None,
            district: None,
        },
    )
    .await
    .unwrap()
    .user_id
}

on_both_backends!(the_last_administrator_keeps_the_role, |app| {
    let (email, password) = DEMO_PASSWORD_ADMIN;
    assert_eq!(administrators(&app).await, 1);
    let me = user_id(&app, email).await;
    let role = admin_role_of(&app, me).await;
    assert_eq!(app.login(email, password).await.status(), 303);
    let page = format!("/verwaltung/nutzer/{me}");
    let res = app
        .submit(&page, &format!("{page}/rollen/{}/entziehen", role.id), &[])
        .await;
    assert_eq!(res.status(), 409);
    let doc = scraper::Html::parse_document(&res.text().await.unwrap());
    assert!(
        text_of(&doc, ".error-summary").contains("letzte Rolle „Administration“"),
        "{}",
        text_of(&doc, ".error-summary")
    );
    assert!(
        text_of(&doc, "#roles-error").contains("letzte Rolle"),
        "the message stands next to the roles"
    );
    assert_eq!(administrators(&app).await, 1);
    assert_eq!(app.get("/verwaltung/nutzer").await.status(), 200);

    // With a second administrator the role can go.
    second_administrator(&app, "zweite-verwaltung@example.org").await;
    let res = app
        .submit(&page, &format!("{page}/rollen/{}/entziehen", role.id), &[])
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(administrators(&app).await, 1);
    assert_eq!(app.get("/verwaltung/nutzer").await.status(), 403);
});

on_both_backends!(the_last_administrator_cannot_delete_the_account, |app| {
    let (email, password) = DEMO_PASSWORD_ADMIN;
    let me = user_id(&app, email).await;
    assert_eq!(app.login(email, password).await.status(), 303);
    let (status, doc) = app.get_html("/konto/loeschen").await;
    assert_eq!(status, 200);
    assert!(text_of(&doc, "#last-administrator").contains("letzte Rolle „Administration“"));
    assert!(
        select(&doc, "form[action='/konto/loeschen']").is_empty(),
        "no button that cannot work"
    );

    // A form opened before (or sent by hand) is refused as well.
    let token = app.csrf_token("/konto").await;
    let res = app
        .post_form("/konto/loeschen", &[("csrf_token", &token)])
        .await;
    assert_eq!(res.status(), 409);
    assert!(
        user::Entity::find_by_id(me)
            .one(&app.db)
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(app.get("/verwaltung/nutzer").await.status(), 200);

    second_administrator(&app, "zweite-verwaltung@example.org").await;
    let (_, doc) = app.get_html("/konto/loeschen").await;
    assert!(select(&doc, "#last-administrator").is_empty());
    let token = app.csrf_token("/konto/loeschen").await;
    let res = app
        .post_form("/konto/loeschen", &[("csrf_token", &token)])
        .await;
    assert_eq!(res.status(), 303);
    assert!(
        user::Entity::find_by_id(me)
            .one(&app.db)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(administrators(&app).await, 1);
});

// Two administrators taking each other's role at the same moment: one of them goes through, the
// other is refused, and one administrator remains. Each revocation locks the account it changes,
// so without a turn for the count both would see the other still there.
on_both_backends!(two_administrators_revoking_each_other_leave_one, |app| {
    let mut first = user_id(&app, DEMO_PASSWORD_ADMIN.0).await;
    for round in 0..5 {
        let second = second_administrator(&app, &format!("verwaltung-{round}@example.org")).await;
        let sign_ups = app.state().volunteer_sign_up();
        let (first_role, second_role) = (
            admin_role_of(&app, first).await,
            admin_role_of(&app, second).await,
        );
        let (a, b) = tokio::join!(
            admin::revoke(&app.db, &sign_ups, first, second, second_role.id),
            admin::revoke(&app.db, &sign_ups, second, first, first_role.id),
        );
        let mut outcomes = [a.unwrap(), b.unwrap()];
        outcomes.sort_by_key(|o| format!("{o:?}"));
        assert_eq!(
            outcomes,
            [admin::Revoked::Done, admin::Revoked::LastAdministrator],
            "round {round}"
        );
        assert_eq!(administrators(&app).await, 1, "round {round}");
        // The one left races the next newcomer.
        if user_role::Entity::find()
            .filter(user_role::Column::UserId.eq(first))
            .filter(user_role::Column::Role.eq(Role::Admin.as_str()))
            .one(&app.db)
            .await
            .unwrap()
            .is_none()
        {
            first = second;
        }
    }
});
