use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use teilhabe::db::entities::{audit_log, outbox, proposal_support, session, user};

use crate::helpers::*;
use crate::on_both_backends;

const EMAIL: &str = "neu@example.de";
const PASSWORD: &str = "grüne Wiese am Hainich";

async fn register(app: &TestApp) -> reqwest::Response {
    app.submit(
        "/registrieren",
        "/registrieren",
        &[
            ("name", "Neu Person"),
            ("email", EMAIL),
            ("password", PASSWORD),
            ("website", ""),
        ],
    )
    .await
}

on_both_backends!(register_confirm_login_logout, |app| {
    let res = register(&app).await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/registrieren/gesendet");

    // Not confirmed yet: login is refused with a clear message.
    let res = app.login(EMAIL, PASSWORD).await;
    assert_eq!(res.status(), 422);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Bitte bestätigen Sie zuerst Ihre E-Mail-Adresse")
    );

    let link = app.link_in_mail(EMAIL, "/konto/bestaetigen?token=").await;
    let token = link.split("token=").nth(1).unwrap().to_owned();
    let (status, doc) = app.get_html(&link).await;
    assert_eq!(status, 200);
    assert_eq!(select(&doc, "form[action=\"/konto/bestaetigen\"]").len(), 1);
    // The link alone does not confirm: the password chosen at registration goes with it (someone
    // else may have registered this address), and a wrong one leaves the link valid.
    let res = app
        .submit(
            &link,
            "/konto/bestaetigen",
            &[("token", &token), ("password", "nicht das Passwort")],
        )
        .await;
    assert_eq!(res.status(), 422);
    let doc = scraper::Html::parse_document(&res.text().await.unwrap());
    assert!(text_of(&doc, "#password-error").contains("Das Passwort stimmt nicht"));
    assert_eq!(app.login(EMAIL, "nicht das Passwort").await.status(), 422);
    let res = app
        .submit(
            &link,
            "/konto/bestaetigen",
            &[("token", &token), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(
        res.headers()["location"],
        "/konto?erledigt=konto-bestaetigt",
        "confirmed and signed in"
    );
    let (status, _) = app.get_html("/konto").await;
    assert_eq!(status, 200);
    app.submit("/konto", "/abmelden", &[]).await;
    // Single use.
    let (_, doc) = app.get_html(&link).await;
    assert_eq!(text_of(&doc, "h1"), "Dieser Link gilt nicht mehr");

    let before = app
        .get("/anmelden")
        .await
        .cookies()
        .find(|c| c.name() == "teilhabe_sitzung")
        .map(|c| c.value().to_owned());
    let res = app.login(EMAIL, PASSWORD).await;
    assert_eq!(res.status(), 303);
    let cookie = res
        .cookies()
        .find(|c| c.name() == "teilhabe_sitzung")
        .expect("session cookie");
    assert!(cookie.http_only());
    assert_ne!(
        Some(cookie.value().to_owned()),
        before,
        "session id rotates at login"
    );
    let res = app.get("/konto").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let doc = scraper::Html::parse_document(&res.text().await.unwrap());
    assert!(
        doc.root_element()
            .text()
            .collect::<String>()
            .contains(EMAIL)
    );

    let res = app.submit("/konto", "/abmelden", &[]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(app.get("/konto").await.status(), 303, "signed out");
});

#[tokio::test]
async fn wrong_password_and_unknown_address_get_the_same_answer_and_are_throttled() {
    let app = spawn_app(Backend::Sqlite, Default::default())
        .await
        .unwrap();
    let (admin, _) = DEMO_PASSWORD_ADMIN;
    let wrong = app.login(admin, "falsches Passwort").await;
    assert_eq!(wrong.status(), 422);
    let unknown = app.login("niemand@example.de", "falsches Passwort").await;
    assert_eq!(unknown.status(), 422);
    let text = |html: String| {
        let doc = scraper::Html::parse_document(&html);
        text_of(&doc, ".error-summary")
    };
    assert_eq!(
        text(wrong.text().await.unwrap()),
        text(unknown.text().await.unwrap())
    );

    for _ in 0..4 {
        app.login(admin, "falsches Passwort").await;
    }
    let res = app.login(admin, "Demo-Admin-2026").await;
    assert_eq!(
        res.status(),
        429,
        "the correct password does not help while throttled"
    );
    assert!(res.text().await.unwrap().contains("Minuten noch einmal"));
    let failures = audit_log::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "login.failure")
        .count();
    assert_eq!(failures, 6);
}

// How long the answer takes must not tell whether an address has an account: a known one costs a
// link, a mail and an audit entry, an unknown one nothing. Both answer after the same floor.
on_both_backends!(
    a_reset_request_takes_as_long_for_an_unknown_address,
    |app| {
        let floor = std::time::Duration::from_millis(250);
        for address in [DEMO_PASSWORD_ADMIN.0, "niemand@example.org"] {
            let token = app.csrf_token("/passwort-vergessen").await;
            let started = std::time::Instant::now();
            let res = app
                .post_form(
                    "/passwort-vergessen",
                    &[("email", address), ("csrf_token", &token)],
                )
                .await;
            assert_eq!(res.headers()["location"], "/passwort-vergessen/gesendet");
            assert!(
                started.elapsed() >= floor,
                "{address}: {:?}",
                started.elapsed()
            );
        }
    }
);

#[tokio::test]
async fn password_reset_is_single_use_and_revokes_sessions() {
    let app = spawn_app(Backend::Sqlite, Default::default())
        .await
        .unwrap();
    let (admin, old_password) = DEMO_PASSWORD_ADMIN;
    assert_eq!(app.login(admin, old_password).await.status(), 303);
    assert_eq!(session::Entity::find().count(&app.db).await.unwrap(), 1);

    let other = spawn_client();
    let res = other
        .post(app.url("/passwort-vergessen"))
        .form(&[
            ("email", admin),
            (
                "csrf_token",
                &csrf_with(&other, &app, "/passwort-vergessen").await,
            ),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["location"], "/passwort-vergessen/gesendet");
    let link = app.link_in_mail(admin, "/passwort-neu?token=").await;
    let token = link.split("token=").nth(1).unwrap().to_owned();

    let res = other
        .post(app.url("/passwort-neu"))
        .form(&[
            ("token", token.as_str()),
            ("password", "kurz"),
            ("csrf_token", &csrf_with(&other, &app, &link).await),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422, "rules apply");
    let res = other
        .post(app.url("/passwort-neu"))
        .form(&[
            ("token", token.as_str()),
            ("password", "ein neues langes Passwort"),
            ("csrf_token", &csrf_with(&other, &app, &link).await),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "{:?}", res.headers());
    assert_eq!(res.headers()["location"], "/anmelden?hinweis=passwort");

    // The first browser's session is gone; the old password no longer works, the new one does.
    assert_eq!(app.get("/konto").await.status(), 303);
    assert_eq!(app.login(admin, old_password).await.status(), 422);
    assert_eq!(
        app.login(admin, "ein neues langes Passwort").await.status(),
        303
    );
    let (_, doc) = app.get_html(&link).await;
    assert_eq!(text_of(&doc, "h1"), "Dieser Link gilt nicht mehr");
}

fn spawn_client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn csrf_with(client: &reqwest::Client, app: &TestApp, path: &str) -> String {
    let html = client
        .get(app.url(path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let doc = scraper::Html::parse_document(&html);
    select(&doc, "input[name=\"csrf_token\"]")[0]
        .value()
        .attr("value")
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn registration_rejects_bad_input_field_by_field_and_keeps_it() {
    let app = spawn_app(
        Backend::Sqlite,
        Options {
            demo: false,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let res = app
        .submit(
            "/registrieren",
            "/registrieren",
            &[
                ("name", "<b>Ich</b>"),
                ("email", "kein-at"),
                ("password", "passwort123"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(!html.contains("<b>Ich</b>"));
    let doc = scraper::Html::parse_document(&html);
    assert_eq!(
        select(&doc, "input#name")[0].value().attr("value"),
        Some("<b>Ich</b>")
    );
    assert_eq!(
        select(&doc, "input#password")[0].value().attr("value"),
        Some(""),
        "passwords are never sent back"
    );
    let links: Vec<_> = select(&doc, ".error-summary a")
        .iter()
        .map(|a| a.value().attr("href").unwrap().to_owned())
        .collect();
    assert_eq!(links, ["#email", "#password"]);
    assert_eq!(user::Entity::find().count(&app.db).await.unwrap(), 0);
}

#[tokio::test]
async fn bots_are_turned_away_without_captchas() {
    let app = spawn_app(
        Backend::Sqlite,
        Options {
            demo: false,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let hidden = app.hidden_fields("/registrieren").await;
    let mut form: Vec<(&str, &str)> = vec![
        ("name", "Bot"),
        ("email", "bot@example.de"),
        ("password", PASSWORD),
    ];
    form.extend(hidden.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    // Honeypot filled: looks like success, stores nothing.
    let mut bot = form.clone();
    bot.push(("website", "http://spam"));
    let res = app.post_form("/registrieren", &bot).await;
    assert_eq!(res.status(), 303);
    assert_eq!(user::Entity::find().count(&app.db).await.unwrap(), 0);
    assert!(app.mails().await.is_empty());
    // A person sending the form at once (autofill) is not taken for a bot.
    let res = app.post_form("/registrieren", &form).await;
    assert_eq!(res.status(), 303);
    assert_eq!(user::Entity::find().count(&app.db).await.unwrap(), 1);
}

#[tokio::test]
async fn an_existing_address_is_not_revealed_on_registration() {
    let app = spawn_app(Backend::Sqlite, Default::default())
        .await
        .unwrap();
    let (admin, _) = DEMO_PASSWORD_ADMIN;
    let res = app
        .submit(
            "/registrieren",
            "/registrieren",
            &[("name", "Wer"), ("email", admin), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(
        res.headers()["location"],
        "/registrieren/gesendet",
        "same answer as for a new address"
    );
    let mails = app.mails().await;
    assert!(
        mails
            .iter()
            .any(|m| m.contains(&format!("To: {admin}")) && m.contains("/passwort-vergessen"))
    );
}

#[tokio::test]
async fn my_data_can_be_downloaded_and_the_account_deleted() {
    let app = spawn_app(Backend::Sqlite, Default::default())
        .await
        .unwrap();
    assert_eq!(
        app.login("buergerin@demo.teilhabe.example", "Demo-Buergerin-2026")
            .await
            .status(),
        303
    );
    let res = app.get("/konto/daten").await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("attachment")
    );
    let data: serde_json::Value = res.json().await.unwrap();
    assert_eq!(data["account"]["email"], "buergerin@demo.teilhabe.example");
    assert_eq!(data["roles"][0]["role"], "citizen");

    // Mail to the person is queued (a password reset), so deletion has something to remove.
    app.submit(
        "/passwort-vergessen",
        "/passwort-vergessen",
        &[("email", "buergerin@demo.teilhabe.example")],
    )
    .await;
    assert_eq!(app.mails().await.len(), 1);
    // Two supports of the person: one signed in, one by mailed link with the same address.
    let address_hash = app
        .state()
        .pseudonyms
        .support_address("buergerin@demo.teilhabe.example");
    let citizen_id = user::Entity::find()
        .filter(user::Column::Email.eq("buergerin@demo.teilhabe.example"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .id;
    let proposals: Vec<i64> = teilhabe::db::entities::proposal::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .iter()
        .map(|p| p.id)
        .take(3)
        .collect();
    // A confirmed support under the person's address hash, given by `user_id` (or by mailed link).
    let support = |proposal_id: i64, user_id: Option<i32>| {
        use sea_orm::ActiveModelTrait;
        let model = proposal_support::ActiveModel {
            proposal_id: sea_orm::Set(proposal_id),
            user_id: sea_orm::Set(user_id),
            email_hash: sea_orm::Set(Some(address_hash.clone())),
            confirm_token_hash: sea_orm::Set(None),
            confirmed_at: sea_orm::Set(Some(chrono::Utc::now())),
            created_at: sea_orm::Set(chrono::Utc::now()),
            ..Default::default()
        };
        let db = app.db.clone();
        async move { model.insert(&db).await.unwrap().id }
    };
    let supports = [
        support(proposals[0], Some(citizen_id)).await,
        support(proposals[1], None).await,
    ];
    // Another account's support under the same address hash (it had the address before) is not
    // this person's, in the download nor when deleting.
    let admin_id = user::Entity::find()
        .filter(user::Column::Email.eq(DEMO_PASSWORD_ADMIN.0))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .id;
    let others = support(proposals[2], Some(admin_id)).await;
    // What an administrator did to the account is the person's too, without who did it.
    teilhabe::services::audit::record(
        &app.db,
        Some(admin_id),
        "role.granted",
        &format!("user:{citizen_id}"),
        "volunteer",
    )
    .await
    .unwrap();
    // The download holds both supports (deletion finds both), the sessions and the security log.
    let data: serde_json::Value = app.get("/konto/daten").await.json().await.unwrap();
    let by: Vec<&str> = data["proposal_supports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["by"].as_str().unwrap())
        .collect();
    assert_eq!(by, ["account", "link"], "{data}");
    // Mail to the address is not listed: it may be about what an earlier holder of the address did.
    assert!(data.get("mails").is_none());
    let actions: Vec<&str> = data["security_log"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    assert!(actions.contains(&"account.data_exported"), "{actions:?}");
    assert!(actions.contains(&"role.granted"), "{actions:?}");
    for entry in data["security_log"].as_array().unwrap() {
        let mut keys: Vec<&String> = entry.as_object().unwrap().keys().collect();
        keys.sort();
        assert_eq!(keys, ["action", "at", "target"], "no actor: {entry}");
    }
    assert_eq!(data["sessions"].as_array().unwrap().len(), 1, "{data}");
    let users_before = user::Entity::find().count(&app.db).await.unwrap();
    let res = app.submit("/konto/loeschen", "/konto/loeschen", &[]).await;
    assert_eq!(res.headers()["location"], "/konto/geloescht");
    assert_eq!(
        user::Entity::find().count(&app.db).await.unwrap(),
        users_before - 1
    );
    assert_eq!(
        outbox::Entity::find().count(&app.db).await.unwrap(),
        0,
        "sent mail removed with the account"
    );
    // The supports still count, but nothing ties them to the address any more.
    for id in supports {
        let support = proposal_support::Entity::find_by_id(id)
            .one(&app.db)
            .await
            .unwrap()
            .expect("the support still counts");
        assert_eq!((support.user_id, support.email_hash), (None, None));
    }
    let others = proposal_support::Entity::find_by_id(others)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (others.user_id, others.email_hash),
        (Some(admin_id), Some(address_hash)),
        "another account's support stays as it was"
    );
    assert_eq!(app.get("/konto").await.status(), 303);
    assert_eq!(
        app.login("buergerin@demo.teilhabe.example", "Demo-Buergerin-2026")
            .await
            .status(),
        422
    );
    let deleted = audit_log::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .any(|e| e.action == "account.deleted");
    assert!(deleted);
}

#[tokio::test]
async fn admins_grant_and_revoke_roles_and_it_is_audited() {
    let app = spawn_app(Backend::Sqlite, Default::default())
        .await
        .unwrap();
    let (admin, password) = DEMO_PASSWORD_ADMIN;
    app.login(admin, password).await;
    let citizen = user::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.email.starts_with("buergerin"))
        .unwrap();
    let page = format!("/verwaltung/nutzer/{}", citizen.id);
    let action = format!("{page}/rollen");

    // A moderator needs a district: specific error, nothing stored.
    let res = app
        .submit(
            &page,
            &action,
            &[
                ("role", "moderator"),
                ("organisation", ""),
                ("district", ""),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    // The choices stay: a role list back at its first entry would grant the wrong role when only
    // the missing field is filled in.
    let chosen = |doc: &scraper::Html, id: &str| -> Vec<String> {
        select(doc, &format!("#{id} option[selected]"))
            .iter()
            .map(|o| o.value().attr("value").unwrap_or_default().to_owned())
            .collect()
    };
    let doc = scraper::Html::parse_document(&res.text().await.unwrap());
    assert_eq!(chosen(&doc, "role"), ["moderator"]);
    let res = app
        .submit(
            &page,
            &action,
            &[
                ("role", "provider_staff"),
                ("organisation", ""),
                ("district", "16053"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let doc = scraper::Html::parse_document(&res.text().await.unwrap());
    assert_eq!(chosen(&doc, "role"), ["provider_staff"]);
    assert_eq!(chosen(&doc, "district"), ["16053"]);
    let res = app
        .submit(
            &page,
            &action,
            &[
                ("role", "moderator"),
                ("organisation", ""),
                ("district", "16053"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let (_, doc) = app.get_html(&page).await;
    assert!(text_of(&doc, ".role-list").contains("Moderation (Jena)"));

    let revoke = select(&doc, ".role-list form")
        .last()
        .unwrap()
        .value()
        .attr("action")
        .unwrap()
        .to_owned();
    let res = app.submit(&page, &revoke, &[]).await;
    assert_eq!(res.status(), 303);
    let (_, doc) = app.get_html(&page).await;
    assert!(!text_of(&doc, ".role-list").contains("Moderation"));

    let (_, log) = app.get_html("/verwaltung/protokoll").await;
    let text = log.root_element().text().collect::<String>();
    assert!(
        text.contains("role.granted")
            && text.contains("role.revoked")
            && text.contains("login.success")
    );
}

on_both_backends!(
    email_change_needs_the_password_and_the_new_address_confirmed,
    |app| {
        let (old, password) = ("gemeinde@demo.teilhabe.example", "Demo-Gemeinde-2026");
        assert_eq!(app.login(old, password).await.status(), 303);
        let res = app
            .submit(
                "/konto/email",
                "/konto/email",
                &[("email", "neu@gemeinde.example"), ("password", "falsch")],
            )
            .await;
        assert_eq!(res.status(), 422);
        let res = app
            .submit(
                "/konto/email",
                "/konto/email",
                &[
                    ("email", "admin@demo.teilhabe.example"),
                    ("password", password),
                ],
            )
            .await;
        // The same answer as for a free address: the form does not reveal other accounts (issue 14).
        assert_eq!(res.status(), 200, "address of another account");
        // The account's own address is not a change: said next to the field, and nothing is mailed
        // (the owner was told "someone wanted to use your address").
        let mails_before = app.mails().await.len();
        let res = app
            .submit(
                "/konto/email",
                "/konto/email",
                &[
                    ("email", " Gemeinde@Demo.Teilhabe.example"),
                    ("password", password),
                ],
            )
            .await;
        assert_eq!(res.status(), 422);
        let doc = scraper::Html::parse_document(&res.text().await.unwrap());
        assert!(
            text_of(&doc, "#email-error").contains("schon die E-Mail-Adresse Ihres Kontos"),
            "{}",
            text_of(&doc, "#email-error")
        );
        assert_eq!(
            select(&doc, "input#email")[0].value().attr("value"),
            Some(" Gemeinde@Demo.Teilhabe.example")
        );
        assert_eq!(app.mails().await.len(), mails_before);
        let res = app
            .submit(
                "/konto/email",
                "/konto/email",
                &[("email", "Neu@Gemeinde.example"), ("password", password)],
            )
            .await;
        assert_eq!(res.status(), 200);

        // Nothing changes until the link from the mail to the new address is used; the old address is told.
        let mails = app.mails().await;
        assert!(
            mails
                .iter()
                .any(|m| m.contains(&format!("To: {old}")) && m.contains("/passwort-vergessen"))
        );
        let link = app
            .link_in_mail("neu@gemeinde.example", "/konto/email-bestaetigen?token=")
            .await;
        let token = link.split("token=").nth(1).unwrap().to_owned();
        let res = app
            .submit(&link, "/konto/email-bestaetigen", &[("token", &token)])
            .await;
        assert_eq!(res.status(), 200);
        let (_, doc) = app.get_html("/konto").await;
        assert!(
            doc.root_element()
                .text()
                .collect::<String>()
                .contains("neu@gemeinde.example")
        );
        app.submit("/konto", "/abmelden", &[]).await;
        assert_eq!(
            app.login("neu@gemeinde.example", password).await.status(),
            303
        );
    }
);

on_both_backends!(the_audit_log_cannot_be_changed_or_emptied, |app| {
    use sea_orm::ConnectionTrait;
    let (admin, password) = DEMO_PASSWORD_ADMIN;
    app.login(admin, password).await;
    let before = audit_log::Entity::find().count(&app.db).await.unwrap();
    assert!(before > 0);
    assert!(
        app.db
            .execute_unprepared("UPDATE audit_log SET action = 'nothing'")
            .await
            .is_err()
    );
    assert!(
        app.db
            .execute_unprepared("DELETE FROM audit_log")
            .await
            .is_err()
    );
    assert_eq!(
        audit_log::Entity::find().count(&app.db).await.unwrap(),
        before
    );
});

on_both_backends!(
    a_new_password_stops_an_address_change_and_a_new_address_stops_old_reset_links,
    |app| {
        // Someone who knew the password asks to move the account to their own address.
        let (owner, password) = ("gemeinde@demo.teilhabe.example", "Demo-Gemeinde-2026");
        assert_eq!(app.login(owner, password).await.status(), 303);
        let res = app
            .submit(
                "/konto/email",
                "/konto/email",
                &[("email", "mallory@example.org"), ("password", password)],
            )
            .await;
        assert_eq!(res.status(), 200);
        let change = app
            .link_in_mail("mallory@example.org", "/konto/email-bestaetigen?token=")
            .await;
        app.submit("/konto", "/abmelden", &[]).await;

        // The owner, told of it, sets a new password; the pending change must not go through.
        let res = app
            .submit(
                "/passwort-vergessen",
                "/passwort-vergessen",
                &[("email", owner)],
            )
            .await;
        assert_eq!(res.status(), 303);
        let reset = app.link_in_mail(owner, "/passwort-neu?token=").await;
        let token = reset.split("token=").nth(1).unwrap().to_owned();
        let res = app
            .submit(
                &reset,
                "/passwort-neu",
                &[("token", &token), ("password", "ein ganz neues Passwort")],
            )
            .await;
        assert_eq!(res.status(), 303);
        let (_, doc) = app.get_html(&change).await;
        assert_eq!(text_of(&doc, "h1"), "Dieser Link gilt nicht mehr");
        let stored = user::Entity::find()
            .filter(user::Column::Email.eq(owner))
            .one(&app.db)
            .await
            .unwrap();
        assert!(stored.is_some(), "the address stays the owner's");

        // The other way round: a reset link mailed to the old address dies with the change.
        let (owner, password) = (owner, "ein ganz neues Passwort");
        let res = app
            .submit(
                "/passwort-vergessen",
                "/passwort-vergessen",
                &[("email", owner)],
            )
            .await;
        assert_eq!(res.status(), 303);
        let old_reset = app.link_in_mail(owner, "/passwort-neu?token=").await;
        assert_ne!(old_reset, reset);
        assert_eq!(app.login(owner, password).await.status(), 303);
        app.submit(
            "/konto/email",
            "/konto/email",
            &[("email", "neu@gemeinde.example"), ("password", password)],
        )
        .await;
        let change = app
            .link_in_mail("neu@gemeinde.example", "/konto/email-bestaetigen?token=")
            .await;
        let token = change.split("token=").nth(1).unwrap().to_owned();
        app.submit(&change, "/konto/email-bestaetigen", &[("token", &token)])
            .await;
        app.submit("/konto", "/abmelden", &[]).await;
        let token = old_reset.split("token=").nth(1).unwrap().to_owned();
        app.submit(
            &old_reset,
            "/passwort-neu",
            &[
                ("token", &token),
                ("password", "das Passwort von jemand anderem"),
            ],
        )
        .await;
        assert_eq!(
            app.login("neu@gemeinde.example", "das Passwort von jemand anderem")
                .await
                .status(),
            422,
            "an old reset link set the password"
        );
        assert_eq!(
            app.login("neu@gemeinde.example", password).await.status(),
            303
        );
    }
);

// A person books signed in with the family address, then moves the account to an address of
// their own. Whoever registers the family address afterwards gets none of that person's data,
// and deleting that new account leaves the person's booking alone.
on_both_backends!(
    an_address_given_up_does_not_hand_over_the_accounts_data,
    |app| {
        use sea_orm::{QueryOrder, QuerySelect};
        use teilhabe::domain::booking::{BookingRequest, Channel};
        let citizen = user::Entity::find()
            .filter(user::Column::Email.eq("buergerin@demo.teilhabe.example"))
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        let date_id: i32 = teilhabe::db::entities::offer_date::Entity::find()
            .select_only()
            .column(teilhabe::db::entities::offer_date::Column::Id)
            .filter(teilhabe::db::entities::offer_date::Column::StartsAt.gt(chrono::Utc::now()))
            .filter(teilhabe::db::entities::offer_date::Column::SeriesLeadId.is_null())
            .filter(teilhabe::db::entities::offer_date::Column::Status.eq("scheduled"))
            .order_by_asc(teilhabe::db::entities::offer_date::Column::StartsAt)
            .into_tuple()
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        let mut request =
            BookingRequest::parse("Anna Früher", EMAIL, "0361 556677", "1", Channel::Online)
                .unwrap();
        request.user_id = Some(citizen.id);
        let booked = app
            .desk()
            .book(date_id, request, chrono::Utc::now())
            .await
            .unwrap();
        // The account now has another address; the old one is free.
        let mut moved: user::ActiveModel = citizen.into();
        moved.email = sea_orm::Set("anna.eigen@example.de".into());
        sea_orm::ActiveModelTrait::update(moved, &app.db)
            .await
            .unwrap();

        let res = register(&app).await;
        assert_eq!(res.status(), 303);
        let link = app.link_in_mail(EMAIL, "/konto/bestaetigen?token=").await;
        let token = link.split("token=").nth(1).unwrap().to_owned();
        let res = app
            .submit(
                &link,
                "/konto/bestaetigen",
                &[("token", &token), ("password", PASSWORD)],
            )
            .await;
        assert_eq!(res.status(), 303);
        let data = app.get("/konto/daten").await.text().await.unwrap();
        assert!(!data.contains("Anna Früher"), "{data}");
        assert!(!data.contains("0361 556677"), "{data}");

        let res = app
            .submit(
                "/konto/loeschen",
                "/konto/loeschen",
                &[("password", PASSWORD)],
            )
            .await;
        assert_eq!(res.status(), 303);
        let after = teilhabe::db::entities::booking::Entity::find_by_id(booked.booking_id)
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (after.status, after.name.as_str()),
            (booked.status, "Anna Früher"),
            "the other person's booking stays"
        );
    }
);

// What the person keeps under their address moves with an address change: follows would otherwise
// mail answers to the old address (perhaps someone else's mailbox by now), and neither the data
// download nor the deletion would find them.
on_both_backends!(an_address_change_takes_follows_and_proposals_along, |app| {
    use sea_orm::{ActiveModelTrait, ColumnTrait, QueryFilter, Set};
    use teilhabe::db::entities::{proposal, proposal_follow};
    let (old, password) = ("buergerin@demo.teilhabe.example", "Demo-Buergerin-2026");
    let new = "buergerin@neu.example";
    let public = proposal::Entity::find()
        .filter(proposal::Column::Status.eq("published"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    proposal_follow::ActiveModel {
        proposal_id: Set(public.id),
        email: Set(old.into()),
        language: Set("de".into()),
        token: Set("folge-token-der-buergerin".into()),
        confirmed_at: Set(Some(chrono::Utc::now())),
        created_at: Set(chrono::Utc::now()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    let mut handed_in: proposal::ActiveModel = public.clone().into();
    handed_in.author_email = Set(Some(old.into()));
    handed_in.author_user_id = Set(None);
    handed_in.confirmed_at = Set(Some(chrono::Utc::now()));
    handed_in.update(&app.db).await.unwrap();
    // A proposal of the account that moderation sent back for changes, with its private link.
    let citizen = teilhabe::db::entities::user::Entity::find()
        .filter(teilhabe::db::entities::user::Column::Email.eq(old))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let sent_back = proposal::Entity::find()
        .filter(proposal::Column::Status.eq("published"))
        .filter(proposal::Column::Id.ne(public.id))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let mut sent_back: proposal::ActiveModel = sent_back.into();
    sent_back.status = Set(teilhabe::domain::proposal::ProposalStatus::ChangesRequested);
    sent_back.moderation_note = Set(Some("Bitte nennen Sie den Ort.".into()));
    sent_back.author_email = Set(Some(old.into()));
    sent_back.author_user_id = Set(Some(citizen.id));
    sent_back.author_token_hash = Set(teilhabe::services::sessions::hash_token(
        "link-aus-der-alten-mail",
    ));
    let sent_back = sent_back.update(&app.db).await.unwrap();
    // A follow not confirmed yet: its link is its confirmation link.
    proposal_follow::ActiveModel {
        proposal_id: Set(sent_back.id),
        email: Set(old.into()),
        language: Set("de".into()),
        token: Set("unbestaetigte-folge".into()),
        confirmed_at: Set(None),
        created_at: Set(chrono::Utc::now()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    // A proposal followed under both addresses: confirmed under the old one, still waiting for its
    // confirmation under the new one. The confirmed follow is what stays.
    let followed_twice = proposal::Entity::find()
        .filter(proposal::Column::Status.eq("published"))
        .filter(proposal::Column::Id.is_not_in([public.id, sent_back.id]))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    for (email, token, confirmed_at) in [
        (old, "bestaetigt-unter-alt", Some(chrono::Utc::now())),
        (new, "unbestaetigt-unter-neu", None),
    ] {
        proposal_follow::ActiveModel {
            proposal_id: Set(followed_twice.id),
            email: Set(email.into()),
            language: Set("de".into()),
            token: Set(token.into()),
            confirmed_at: Set(confirmed_at),
            created_at: Set(chrono::Utc::now()),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .unwrap();
    }
    // A barrier report sent with the old address, before the account had it, say.
    let report = teilhabe::db::entities::barrier_report::ActiveModel {
        page_url: Set("/kurse".into()),
        description: Set("Der Kontrast der Knöpfe ist zu schwach.".into()),
        contact_name: Set(Some("Bürgerin Demo".into())),
        contact_email: Set(Some(old.into())),
        language: Set("de".into()),
        status: Set(teilhabe::domain::barrier_report::BarrierReportStatus::Open),
        created_at: Set(chrono::Utc::now()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    let (old_author_link, old_unfollow_link) = (
        "/vorschlaege/eigene/link-aus-der-alten-mail",
        "/vorschlaege/abmelden/folge-token-der-buergerin",
    );
    assert_eq!(app.get(old_author_link).await.status(), 200);

    assert_eq!(app.login(old, password).await.status(), 303);
    change_address(&app, password, new).await;
    // Whoever reads the old mailbox now can no longer stop the follow, read moderation's note or
    // revise the proposal; the new address has the new link.
    assert_eq!(app.get(old_author_link).await.status(), 404);
    let unfollowing = app.submit(old_unfollow_link, old_unfollow_link, &[]).await;
    assert_eq!(unfollowing.status(), 404);
    let new_author_link = app.link_in_mail(new, "/vorschlaege/eigene/").await;
    assert_ne!(new_author_link, old_author_link);
    let (status, page) = app.get_html(&new_author_link).await;
    assert_eq!(status, 200);
    assert!(
        page.root_element()
            .text()
            .any(|t| t.contains("Bitte nennen Sie den Ort.")),
        "the new link shows what moderation asked for"
    );
    let follows: Vec<String> = proposal_follow::Entity::find()
        .filter(proposal_follow::Column::ProposalId.eq(public.id))
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|f| f.email)
        .collect();
    assert!(
        follows.contains(&new.to_owned()) && !follows.contains(&old.to_owned()),
        "{follows:?}"
    );
    let handed_in = proposal::Entity::find_by_id(public.id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(handed_in.author_email.as_deref(), Some(new));
    // Its new private link is not mailed: the account lists it instead.
    assert_eq!(handed_in.author_user_id, Some(citizen.id));
    // The unconfirmed follow can still be confirmed, at the new address.
    let unconfirmed = proposal_follow::Entity::find()
        .filter(proposal_follow::Column::ProposalId.eq(sent_back.id))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (unconfirmed.email.as_str(), unconfirmed.token.as_str()),
        (new, "unbestaetigte-folge")
    );

    let kept: Vec<_> = proposal_follow::Entity::find()
        .filter(proposal_follow::Column::ProposalId.eq(followed_twice.id))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(kept[0].email, new);
    assert!(kept[0].confirmed_at.is_some(), "the confirmed follow stays");
    assert!(
        !["bestaetigt-unter-alt", "unbestaetigt-unter-neu"].contains(&kept[0].token.as_str()),
        "with a link of its own"
    );

    let moved = teilhabe::db::entities::barrier_report::Entity::find_by_id(report.id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        moved.contact_email.as_deref(),
        Some(new),
        "the report's answer goes to the new address"
    );
    let data = app.get("/konto/daten").await.text().await.unwrap();
    assert!(
        data.contains("Kontrast der Knöpfe"),
        "the data download finds it"
    );

    let res = app.submit("/konto/loeschen", "/konto/loeschen", &[]).await;
    assert_eq!(res.headers()["location"], "/konto/geloescht");
    let gone = teilhabe::db::entities::barrier_report::Entity::find_by_id(report.id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (gone.contact_name, gone.contact_email),
        (None, None),
        "deletion finds it too"
    );
    let left = proposal_follow::Entity::find()
        .filter(proposal_follow::Column::Email.is_in([old, new]))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(left, 0);
});

// Bookings move with an address change: their reminders and changes would go on to the old address
// (perhaps someone else's mailbox by now), each with the booking's link to see and cancel it. The
// booking gets a new link, the old one stops working, and mail not sent yet goes to the new address
// with the new link.
on_both_backends!(
    an_address_change_takes_bookings_along_with_a_new_link,
    |app| {
        use sea_orm::{ActiveModelTrait, Set};
        use teilhabe::db::entities::booking;
        let (old, password) = ("buergerin@demo.teilhabe.example", "Demo-Buergerin-2026");
        let new = "buergerin@neu.example";
        let (slug, upcoming, _, _) = crate::text_cleaning::dates(&app).await;
        let form = format!("/kurse/{slug}/termine/{upcoming}/buchen");
        assert_eq!(app.login(old, password).await.status(), 303);
        let res = app
            .submit(
                &form,
                &form,
                &[
                    ("name", "Bürgerin Demo"),
                    ("email", old),
                    ("phone", ""),
                    ("places", "1"),
                ],
            )
            .await;
        assert_eq!(res.status(), 303);
        let old_link = res.headers()["location"].to_str().unwrap().to_owned();
        assert!(old_link.starts_with("/buchung/"), "{old_link}");
        let booked = booking::Entity::find()
            .filter(booking::Column::DateId.eq(upcoming))
            .filter(booking::Column::Email.eq(old))
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        // A reminder queued for later, with the link.
        let reminder = outbox::ActiveModel {
            message_id: Set("<erinnerung@teilhabe.test>".into()),
            recipient: Set(old.into()),
            subject: Set("Erinnerung".into()),
            body_text: Set(format!("Ihre Buchung: http://teilhabe.test{old_link}")),
            body_html: Set(format!(
                "<a href=\"http://teilhabe.test{old_link}\">Ihre Buchung</a>"
            )),
            attempts: Set(1),
            last_error: Set(Some("421 4.3.2 try again later".into())),
            next_attempt_at: Set(chrono::Utc::now() + chrono::Duration::days(1)),
            created_at: Set(chrono::Utc::now()),
            booking_id: Set(Some(booked.id)),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .unwrap();

        change_address(&app, password, new).await;

        let moved = booking::Entity::find_by_id(booked.id)
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(moved.email.as_deref(), Some(new));
        let new_link = format!("/buchung/{}", app.link_secret(&moved).unwrap());
        assert_ne!(new_link, old_link);
        assert_eq!(app.get(&old_link).await.status(), 404);
        let (_, page) = app.get_html("/konto").await;
        assert_eq!(
            select(&page, &format!("a[href=\"{new_link}\"]")).len(),
            1,
            "the account lists the booking with its new link"
        );
        assert_eq!(app.get(&new_link).await.status(), 200);
        let reminder = outbox::Entity::find_by_id(reminder.id)
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(reminder.recipient, new);
        for body in [&reminder.body_text, &reminder.body_html] {
            assert!(
                body.contains(&new_link) && !body.contains(&old_link),
                "{body}"
            );
        }
    }
);

// Supports given by the mailed link are kept under a pseudonym of the address. An address change
// moves them to the new address's pseudonym: the old one would tie them to whoever knows the old
// address, account deletion would miss them, and the person could support a second time.
on_both_backends!(an_address_change_takes_supports_by_link_along, |app| {
    let (old, password) = ("buergerin@demo.teilhabe.example", "Demo-Buergerin-2026");
    let new = "buergerin@neu.example";
    let id = 2_i64; // a published demo proposal
    let page = format!("/vorschlaege/{id}");
    let action = format!("/vorschlaege/{id}/unterstuetzen");
    let before = supports_count(&app, id).await;
    // Without signing in: counted by the old address's link; the new address's link is not used.
    app.submit(&page, &action, &[("email", old)]).await;
    let link = app.link_in_mail(old, "/vorschlaege/unterstuetzen/").await;
    assert_eq!(app.submit(&link, &link, &[]).await.status(), 303);
    app.submit(&page, &action, &[("email", new)]).await;
    assert_eq!(supports_count(&app, id).await, before + 1);

    // Another account that had the old address once supported proposal 3 while signed in; its
    // row keeps that address's pseudonym and is not this person's to take along.
    let other = user_id(&app, DEMO_PASSWORD_ADMIN.0).await;
    {
        use sea_orm::{ActiveModelTrait, Set};
        proposal_support::ActiveModel {
            proposal_id: Set(3),
            user_id: Set(Some(other)),
            email_hash: Set(Some(app.state().pseudonyms.support_address(old))),
            confirmed_at: Set(Some(chrono::Utc::now())),
            created_at: Set(chrono::Utc::now()),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .unwrap();
    }
    assert_eq!(app.login(old, password).await.status(), 303);
    change_address(&app, password, new).await;

    let pseudonyms = app.state().pseudonyms;
    let hashes = |address: &str| pseudonyms.support_address(address);
    let with_hash = |hash: String| {
        proposal_support::Entity::find()
            .filter(proposal_support::Column::EmailHash.eq(hash))
            .all(&app.db)
    };
    let left: Vec<Option<i32>> = with_hash(hashes(old))
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.user_id)
        .collect();
    assert_eq!(left, [Some(other)], "only the other account's row keeps it");
    let moved = with_hash(hashes(new)).await.unwrap();
    assert_eq!(moved.len(), 1, "{moved:?}");
    assert!(moved[0].confirmed_at.is_some());
    assert_eq!(supports_count(&app, id).await, before + 1);

    // The person supported already, by whichever address.
    let res = app.submit(&page, &action, &[]).await;
    assert!(
        res.headers()["location"]
            .to_str()
            .unwrap()
            .contains("hinweis=schon-unterstuetzt")
    );
    assert_eq!(supports_count(&app, id).await, before + 1);

    let res = app.submit("/konto/loeschen", "/konto/loeschen", &[]).await;
    assert_eq!(res.headers()["location"], "/konto/geloescht");
    assert!(with_hash(hashes(new)).await.unwrap().is_empty());
    assert_eq!(supports_count(&app, id).await, before + 1);
});

// The data download holds everything the portal keeps about a booking: who booked it (the channel),
// the mail language, attendance as staff recorded it, and an offer of places with its deadline.
#[tokio::test]
async fn the_data_download_tells_all_a_booking_keeps() {
    let app = spawn_app(Backend::Sqlite, Default::default())
        .await
        .unwrap();
    let (address, password) = ("buergerin@demo.teilhabe.example", "Demo-Buergerin-2026");
    assert_eq!(app.login(address, password).await.status(), 303);
    let (slug, upcoming, _, _) = crate::text_cleaning::dates(&app).await;
    let form = format!("/kurse/{slug}/termine/{upcoming}/buchen");
    let res = app
        .submit(
            &form,
            &form,
            &[
                ("name", "Bürgerin Demo"),
                ("email", address),
                ("phone", ""),
                ("places", "1"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    // Staff recorded the person at a further session of the course.
    let booked = teilhabe::db::entities::booking::Entity::find()
        .filter(teilhabe::db::entities::booking::Column::DateId.eq(upcoming))
        .filter(teilhabe::db::entities::booking::Column::Email.eq(address))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    use sea_orm::ActiveModelTrait;
    teilhabe::db::entities::session_attendance::ActiveModel {
        booking_id: sea_orm::Set(booked.id),
        date_id: sea_orm::Set(upcoming),
        attendance: sea_orm::Set(teilhabe::domain::booking::Attendance::Present),
        recorded_at: sea_orm::Set(chrono::Utc::now()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    let data: serde_json::Value = app.get("/konto/daten").await.json().await.unwrap();
    let booking = data["bookings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["date_id"] == upcoming)
        .unwrap_or_else(|| panic!("the booking is in the download: {data}"));
    for key in [
        "id",
        "booked_by",
        "mail_language",
        "attendance",
        "places_offered",
        "offer_valid_until",
    ] {
        assert!(booking.get(key).is_some(), "{key} missing: {booking}");
    }
    assert_eq!(booking["booked_by"], "online");
    assert_eq!(
        data["course_session_attendance"][0]["booking_id"], booked.id,
        "{data}"
    );
    assert_eq!(
        data["course_session_attendance"][0]["attendance"],
        "present"
    );
    let proposal_keys = [
        "category",
        "district",
        "town",
        "moderation_note",
        "official_answer",
    ];
    for proposal in data["proposals"].as_array().unwrap() {
        for key in proposal_keys {
            assert!(proposal.get(key).is_some(), "{key} missing: {proposal}");
        }
    }
}

// Two admins (or two tabs) grant the same role at the same moment: it is stored once and recorded
// once. Stored twice, revoking one row said "revoked" while the other kept the role in effect.
on_both_backends!(a_role_granted_several_times_at_once_is_held_once, |app| {
    let (admin, password) = DEMO_PASSWORD_ADMIN;
    app.login(admin, password).await;
    let citizen = user::Entity::find()
        .filter(user::Column::Email.eq(CITIZEN.0))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let page = format!("/verwaltung/nutzer/{}", citizen.id);
    let action = format!("{page}/rollen");
    let grant = [
        ("role", "moderator"),
        ("organisation", ""),
        ("district", "16053"),
    ];
    // Each with a form of its own (a form sent twice is answered once by the form key).
    let mut requests = Vec::new();
    for _ in 0..6 {
        let mut form: Vec<(String, String)> = app.hidden_fields(&page).await;
        form.extend(grant.map(|(k, v)| (k.to_owned(), v.to_owned())));
        requests.push(app.client.post(app.url(&action)).form(&form));
    }
    let mut sending = tokio::task::JoinSet::new();
    for request in requests {
        sending.spawn(async move { request.send().await.unwrap().status().as_u16() });
    }
    for status in sending.join_all().await {
        // Held already: the same page with "already held".
        assert!([303, 409, 422].contains(&status), "{status}");
    }
    let held = teilhabe::db::entities::user_role::Entity::find()
        .filter(teilhabe::db::entities::user_role::Column::UserId.eq(citizen.id))
        .filter(teilhabe::db::entities::user_role::Column::Role.eq("moderator"))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(held, 1);
    let recorded = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("role.granted"))
        .filter(audit_log::Column::Target.eq(format!("user:{}", citizen.id)))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(recorded, 1);
});
