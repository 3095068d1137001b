//! Password hygiene: a reset makes every older reset link useless, and new passwords may be neither
//! the account's address nor common or patterned (`aaaaaaaa`); the reason is shown at the field.
use crate::helpers::*;
use crate::on_both_backends;

async fn request_reset(app: &TestApp, email: &str) -> String {
    let res = app
        .submit(
            "/passwort-vergessen",
            "/passwort-vergessen",
            &[("email", email)],
        )
        .await;
    assert_eq!(res.headers()["location"], "/passwort-vergessen/gesendet");
    app.link_in_mail(email, "/passwort-neu?token=").await
}

async fn reset(app: &TestApp, link: &str, password: &str) -> reqwest::Response {
    let token = link.split("token=").nth(1).unwrap().to_owned();
    app.submit(
        link,
        "/passwort-neu",
        &[("token", token.as_str()), ("password", password)],
    )
    .await
}

async fn field_error(res: reqwest::Response) -> String {
    let doc = scraper::Html::parse_document(&res.text().await.unwrap());
    text_of(&doc, "#password-error")
}

on_both_backends!(a_reset_invalidates_every_older_reset_link, |app| {
    let (admin, _) = DEMO_PASSWORD_ADMIN;
    let older = request_reset(&app, admin).await;
    let newer = request_reset(&app, admin).await;
    assert_ne!(older, newer);

    // The account's own address is refused as password, with the reason at the field.
    for own in [admin, "ADMIN@demo.teilhabe.example", "admin2026"] {
        let res = reset(&app, &newer, own).await;
        assert_eq!(res.status(), 422, "{own}");
        assert!(
            field_error(res).await.contains("E-Mail-Adresse"),
            "{own}: the reason is named"
        );
    }
    let res = reset(&app, &newer, "aaaaaaaa").await;
    assert_eq!(res.status(), 422);
    assert!(field_error(res).await.contains("Muster"));

    let res = reset(&app, &newer, "ein neues langes Passwort").await;
    assert_eq!(res.headers()["location"], "/anmelden?hinweis=passwort");

    // The older mail's link no longer resets anything.
    let (_, doc) = app.get_html(&older).await;
    assert_eq!(text_of(&doc, "h1"), "Dieser Link gilt nicht mehr");
    let res = reset(&app, &older, "noch ein anderes Passwort").await;
    assert_ne!(res.status(), 303);
    assert_eq!(
        app.login(admin, "noch ein anderes Passwort").await.status(),
        422
    );
    assert_eq!(
        app.login(admin, "ein neues langes Passwort").await.status(),
        303
    );
});

#[tokio::test]
async fn registration_refuses_patterned_and_common_passwords_at_the_field() {
    let app = spawn_app(
        Backend::Sqlite,
        Options {
            demo: false,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    for (password, reason) in [
        ("aaaaaaaa", "Muster"),
        ("abcdefgh", "Muster"),
        ("12345678", "bekannt"),
        ("passwort2024!", "bekannt"),
        ("erika.muster", "E-Mail-Adresse"),
    ] {
        let res = app
            .submit(
                "/registrieren",
                "/registrieren",
                &[
                    ("email", "erika.muster@example.de"),
                    ("name", "Erika Muster"),
                    ("password", password),
                ],
            )
            .await;
        assert_eq!(res.status(), 422, "{password}");
        let shown = field_error(res).await;
        assert!(shown.contains(reason), "{password}: {shown}");
    }
}
