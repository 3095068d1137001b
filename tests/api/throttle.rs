//! Rate limits hold under parallel requests: checking and counting an attempt is one atomic step, on
//! SQLite and on PostgreSQL (issue 14).
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;
use teilhabe::{
    db::entities::{audit_log, booking},
    services::throttle,
};

use crate::{helpers::*, on_both_backends};

on_both_backends!(parallel_wrong_passwords_get_five_checks, |app| {
    let csrf = app.csrf_token("/anmelden").await;
    let url = app.url("/anmelden");
    let statuses = all_at_once(
        (0..12)
            .map(|_| {
                app.client.post(url.as_str()).form(&[
                    ("csrf_token", csrf.as_str()),
                    ("email", DEMO_PASSWORD_ADMIN.0),
                    ("password", "falsch-geraten-2026"),
                ])
            })
            .collect(),
    )
    .await
    .into_iter()
    .map(|(status, _)| status)
    .collect::<Vec<_>>();
    let limited = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(limited, 12 - 5, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s < 500), "{statuses:?}");
    let checked = audit_log::Entity::find()
        .filter(audit_log::Column::Action.eq("login.failure"))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(checked, 5, "passwords checked");
    // The right password waits too: the account is locked for this client for now.
    let res = app
        .post_form(
            "/anmelden",
            &[
                ("csrf_token", csrf.as_str()),
                ("email", DEMO_PASSWORD_ADMIN.0),
                ("password", DEMO_PASSWORD_ADMIN.1),
            ],
        )
        .await;
    assert_eq!(res.status(), 429);
});

on_both_backends!(parallel_api_bookings_stop_at_the_limit, |app| {
    // Two bookings left for this address in the hour.
    fill_bucket_leaving(&app, "127.0.0.1", 2).await;
    let date_id = roomy_date(&app).await;
    let url = app.url(&format!("/api/v1/dates/{date_id}/bookings"));
    let statuses = all_at_once(
        (0..40)
            .map(|n| {
                app.client.post(url.as_str()).json(&json!({
                    "name": format!("Person {n}"),
                    "email": format!("person{n}@example.de"),
                    "places": 1
                }))
            })
            .collect(),
    )
    .await
    .into_iter()
    .map(|(status, _)| status)
    .collect::<Vec<_>>();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        2,
        "{statuses:?}"
    );
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 38);
    let stored = booking::Entity::find()
        .filter(booking::Column::DateId.eq(date_id))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(stored, 2);
});

async fn book_from(app: &TestApp, date_id: i32, n: u32, forwarded_for: &str) -> u16 {
    app.client
        .post(app.url(&format!("/api/v1/dates/{date_id}/bookings")))
        .header("X-Forwarded-For", forwarded_for)
        .json(&json!({
            "name": format!("Person {n}"),
            "email": format!("person{n}@example.de"),
            "places": 1
        }))
        .send()
        .await
        .expect("POST")
        .status()
        .as_u16()
}

async fn fill_bucket(app: &TestApp, address: &str) {
    fill_bucket_leaving(app, address, 0).await;
}

/// Counts bookings from `address` within the hour until `left` remain.
async fn fill_bucket_leaving(app: &TestApp, address: &str, left: u64) {
    let bucket = app
        .state()
        .pseudonyms
        .throttle_bucket("booking-address", address);
    for _ in 0..throttle::BOOKING_PER_ADDRESS.max - left {
        throttle::record(&app.db, &bucket).await.unwrap();
    }
}

/// A date with room for many, one place per booking.
async fn roomy_date(app: &TestApp) -> i32 {
    course_date(
        app,
        NewCourseDate {
            capacity: 100,
            max_places_per_booking: 1,
            ..Default::default()
        },
    )
    .await
}

#[tokio::test]
async fn forwarded_headers_from_an_untrusted_peer_are_ignored() {
    let app = spawn_app(Backend::Sqlite, Default::default())
        .await
        .unwrap();
    let date_id = roomy_date(&app).await;
    fill_bucket(&app, "127.0.0.1").await;
    // A made-up address does not get the client a fresh bucket.
    assert_eq!(book_from(&app, date_id, 1, "203.0.113.50").await, 429);
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_client_has_its_own_bucket() {
    let app = spawn_app(
        Backend::Sqlite,
        Options {
            env: vec![(
                "TEILHABE_TRUSTED_PROXIES",
                "127.0.0.0/8, 10.1.0.0/16".into(),
            )],
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let date_id = roomy_date(&app).await;
    fill_bucket(&app, "198.51.100.7").await;
    assert_eq!(book_from(&app, date_id, 1, "198.51.100.7").await, 429);
    // Another visitor behind the same load balancer still books.
    assert_eq!(book_from(&app, date_id, 2, "198.51.100.8").await, 201);
    // Read from the right: what the client put in front does not help, a second trusted hop is skipped.
    assert_eq!(
        book_from(&app, date_id, 3, "198.51.100.8, 198.51.100.7, 10.1.2.3").await,
        429
    );
    // The proxy's own address is not the bucket any more.
    assert_eq!(book_from(&app, date_id, 4, "198.51.100.9").await, 201);
    let stored = booking::Entity::find()
        .filter(booking::Column::DateId.eq(date_id))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(stored, 2);
}

async fn sign_in_from(app: &TestApp, forwarded_for: &str, password: &str) -> u16 {
    let csrf = app.csrf_token("/anmelden").await;
    app.client
        .post(app.url("/anmelden"))
        .header("X-Forwarded-For", forwarded_for)
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("email", DEMO_PASSWORD_ADMIN.0),
            ("password", password),
        ])
        .send()
        .await
        .expect("POST")
        .status()
        .as_u16()
}

#[tokio::test]
async fn guessing_from_one_place_leaves_the_owner_signing_in_elsewhere() {
    let app = spawn_app(
        Backend::Sqlite,
        Options {
            env: vec![("TEILHABE_TRUSTED_PROXIES", "127.0.0.0/8".into())],
            ..Default::default()
        },
    )
    .await
    .unwrap();
    for _ in 0..throttle::LOGIN_PER_ACCOUNT.max {
        assert_eq!(
            sign_in_from(&app, "203.0.113.66", "falsch-geraten").await,
            422
        );
    }
    assert_eq!(
        sign_in_from(&app, "203.0.113.66", "falsch-geraten").await,
        429
    );
    assert_eq!(
        sign_in_from(&app, "203.0.113.66", DEMO_PASSWORD_ADMIN.1).await,
        429
    );
    // The owner, somewhere else, signs in as usual and has been told, once.
    assert_eq!(
        sign_in_from(&app, "198.51.100.20", DEMO_PASSWORD_ADMIN.1).await,
        303
    );
    let told = app
        .mails()
        .await
        .into_iter()
        .filter(|m| {
            m.contains(&format!("To: {}", DEMO_PASSWORD_ADMIN.0))
                && m.contains("/passwort-vergessen")
        })
        .count();
    assert_eq!(told, 1);
}

async fn change_email_to(app: &TestApp, address: &str) -> (u16, String) {
    let csrf = app.csrf_token("/konto/email").await;
    let res = app
        .post_form(
            "/konto/email",
            &[
                ("csrf_token", csrf.as_str()),
                ("email", address),
                ("password", DEMO_PASSWORD_ADMIN.1),
            ],
        )
        .await;
    let status = res.status().as_u16();
    let doc = scraper::Html::parse_document(&res.text().await.unwrap());
    (status, text_of(&doc, "h1"))
}

#[tokio::test]
async fn changing_the_address_reveals_no_other_account_and_is_throttled() {
    let app = spawn_app(Backend::Sqlite, Default::default())
        .await
        .unwrap();
    app.login(DEMO_PASSWORD_ADMIN.0, DEMO_PASSWORD_ADMIN.1)
        .await;
    let taken = "anbieter@demo.teilhabe.example";
    let free = change_email_to(&app, "neu-admin@example.de").await;
    assert_eq!(free.0, 200);
    // An address with an account gets the same answer; its owner is told, and nothing changes.
    assert_eq!(change_email_to(&app, taken).await, free);
    let mails = app.mails().await;
    let to = |address: &str| {
        mails
            .iter()
            .filter(|m| m.contains(&format!("To: {address}")))
            .collect::<Vec<_>>()
    };
    assert_eq!(to(taken).len(), 1);
    assert!(to(taken)[0].contains("anderen Konto"));
    assert!(!to(taken)[0].contains("/konto/email-bestaetigen"));
    assert!(to("neu-admin@example.de")[0].contains("/konto/email-bestaetigen"));
    for _ in 2..throttle::EMAIL_CHANGE_PER_ACCOUNT.max {
        assert_eq!(change_email_to(&app, "noch-neuer@example.de").await.0, 200);
    }
    assert_eq!(change_email_to(&app, "noch-neuer@example.de").await.0, 429);
}

// Every registration mails its address; one mailbox gets at most three such mails an hour, from
// however many clients, while other addresses can still register.
on_both_backends!(
    registrations_mail_one_address_at_most_three_times_an_hour,
    |app| {
        let register = |email: &'static str| {
            let app = &app;
            async move {
                app.submit(
                    "/registrieren",
                    "/registrieren",
                    &[
                        ("name", "Irgendwer"),
                        ("email", email),
                        ("password", "ein langes Passwort 2026"),
                        ("website", ""),
                    ],
                )
                .await
                .status()
                .as_u16()
            }
        };
        let mut statuses = Vec::new();
        for _ in 0..4 {
            statuses.push(register("postfach@example.de").await);
        }
        assert_eq!(statuses, [303, 303, 303, 429]);
        let mails = app
            .mails()
            .await
            .into_iter()
            .filter(|m| m.contains("To: postfach@example.de"))
            .count();
        assert_eq!(mails, 3);
        assert_eq!(register("jemand.anderes@example.de").await, 303);
    }
);

// A booking that failed on our side (here: the database refuses the insert) gives its attempt
// back: after a database fault, people trying again were refused as trying too often.
on_both_backends!(a_booking_that_failed_on_our_side_costs_no_attempt, |app| {
    fill_bucket_leaving(&app, "127.0.0.1", 1).await;
    let date_id = roomy_date(&app).await;
    refuse_inserts_where(&app.db, "bookings", "NEW.places > 0").await;
    for n in 0..3 {
        assert_eq!(book_from(&app, date_id, n, "").await, 500, "the fault");
    }
    let slug: String = {
        let date = teilhabe::db::entities::offer_date::Entity::find_by_id(date_id)
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        teilhabe::db::entities::offer::Entity::find_by_id(date.offer_id)
            .one(&app.db)
            .await
            .unwrap()
            .unwrap()
            .slug
    };
    let form = format!("/kurse/{slug}/termine/{date_id}/buchen");
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
    assert_eq!(res.status(), 500, "the fault, through the form");
    stop_refusing(&app.db, "bookings").await;

    assert_eq!(
        book_from(&app, date_id, 10, "").await,
        201,
        "the last attempt"
    );
    assert_eq!(book_from(&app, date_id, 11, "").await, 429, "and no more");
});

// Sign-ins that succeed give their attempt back. Several at the same moment from one address (a
// Probierladen, a school) each take back one: reading the newest attempt and deleting it apart,
// two of them deleted the same one, and the attempts left over added up towards locking everyone
// at that address out.
on_both_backends!(parallel_give_backs_each_take_back_one_attempt, |app| {
    use teilhabe::db::entities::throttle_event;
    let bucket = "login-address:test";
    let limit = throttle::Limit {
        max: 100,
        window: chrono::Duration::minutes(15),
    };
    for _ in 0..8 {
        assert_eq!(
            throttle::take(&app.db, &[(bucket, limit)]).await.unwrap(),
            None
        );
    }
    let mut giving_back = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let db = app.db.clone();
        giving_back.spawn(async move { throttle::give_back(&db, bucket).await });
    }
    for given in giving_back.join_all().await {
        given.unwrap();
    }
    let left = throttle_event::Entity::find()
        .filter(throttle_event::Column::Bucket.eq(bucket))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(left, 0, "every attempt taken back");
});
