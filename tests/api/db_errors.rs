//! Database errors are reported as what they are: an outage is 503 with the maintenance message, a change
//! refused by a constraint is 409, anything else a 500 (issue 17). Each error here is a real one, raised by
//! the database itself.
use actix_web::ResponseError;
use std::time::Duration;

use sea_orm::{ConnectOptions, ConnectionTrait, Database, DbErr};
use teilhabe::{
    db::{DbFailure, classify, copy_of, is_lock_timeout},
    web::{api::error::ApiError, errors::WebError},
};

use crate::{helpers::CITIZEN, on_both_backends};

async fn error_of(db: &impl ConnectionTrait, sql: &str) -> DbErr {
    db.execute_unprepared(sql)
        .await
        .expect_err(&format!("{sql} must fail"))
}

fn statuses(e: DbErr) -> (u16, u16) {
    (
        WebError::Database(e.clone()).status_code().as_u16(),
        ApiError::from(e).status_code().as_u16(),
    )
}

on_both_backends!(
    constraint_violations_are_conflicts_and_query_bugs_are_faults,
    |app| {
        let db = &app.db;
        db.execute_unprepared(
        "CREATE TABLE probe (id INTEGER PRIMARY KEY, code INTEGER UNIQUE, places INTEGER CHECK (places >= 0))",
    )
    .await
    .unwrap();
        db.execute_unprepared("INSERT INTO probe (id, code, places) VALUES (1, 7, 1)")
            .await
            .unwrap();

        for sql in [
            "INSERT INTO probe (id, code, places) VALUES (2, 7, 1)",
            "INSERT INTO probe (id, code, places) VALUES (1, 8, 1)",
            "UPDATE probe SET places = -1 WHERE id = 1",
            "INSERT INTO bookings (date_id, name, places, status, channel, cancel_token_hash, language, created_at) \
         VALUES (999999, 'x', 1, 'confirmed', 'online', 'h', 'de', '2026-01-01 00:00:00')",
        ] {
            let e = error_of(db, sql).await;
            assert_eq!(classify(&e), DbFailure::Conflict, "{sql}: {e}");
            // Copied for the other requests of a failed booking turn: still a conflict.
            assert_eq!(classify(&copy_of(&e)), DbFailure::Conflict, "{sql}: {e}");
            assert_eq!(statuses(copy_of(&e)), (409, 409), "{sql}");
            assert_eq!(statuses(e), (409, 409), "{sql}");
        }

        for sql in [
            "SELECT * FROM no_such_table",
            "SELEC 1",
            "INSERT INTO probe (id, code, places) VALUES (NULL, NULL, NULL, NULL)",
        ] {
            let e = error_of(db, sql).await;
            assert_eq!(classify(&e), DbFailure::Fault, "{sql}: {e}");
            assert_eq!(classify(&copy_of(&e)), DbFailure::Fault, "{sql}: {e}");
            assert_eq!(statuses(e), (500, 500), "{sql}");
        }
    }
);

on_both_backends!(a_closed_pool_is_an_outage, |app| {
    let db = teilhabe::db::connect(&app.settings).await.unwrap();
    db.clone().close().await.unwrap();
    let e = error_of(&db, "SELECT 1").await;
    assert_eq!(classify(&e), DbFailure::Unavailable, "{e}");
    assert_eq!(classify(&copy_of(&e)), DbFailure::Unavailable, "{e}");
    assert_eq!(statuses(e), (503, 503));
});

#[tokio::test]
async fn an_unreachable_server_is_an_outage() {
    // Port 9 (discard) has no PostgreSQL behind it on this machine. The pool gives up after a
    // second (the default waits 30 s for a connection that will not come).
    let mut options = ConnectOptions::new("postgres://postgres@127.0.0.1:9/none");
    options
        .connect_timeout(Duration::from_secs(1))
        .acquire_timeout(Duration::from_secs(1));
    let e = Database::connect(options)
        .await
        .expect_err("nothing listens there");
    assert_eq!(classify(&e), DbFailure::Unavailable, "{e}");
    assert_eq!(statuses(e), (503, 503));
}

/// Two changes of the same records at once (PostgreSQL aborts one of them: a deadlock, a
/// serialization failure, a lock not available) are reported as a clash to try again, not as
/// maintenance for minutes; and a service's error that a handler passes on as internal is
/// classified by the database error behind it, not shown as our fault.
#[tokio::test]
async fn a_clash_during_a_booking_is_reported_as_such_on_postgres() {
    use teilhabe::services::booking::BookingError;
    let Some(app) =
        crate::helpers::spawn_app(crate::helpers::Backend::Postgres, Default::default()).await
    else {
        return;
    };
    for code in ["40P01", "40001"] {
        let e = error_of(
            &app.db,
            &format!("DO $$ BEGIN RAISE EXCEPTION 'clash' USING ERRCODE = '{code}'; END $$"),
        )
        .await;
        assert_eq!(classify(&e), DbFailure::Conflict, "{code}: {e}");
        assert!(!is_lock_timeout(&e), "{code}");
        let copy = copy_of(&e);
        assert_eq!(classify(&copy), DbFailure::Conflict, "{code}: {copy}");
        assert!(!is_lock_timeout(&copy), "{code}");
        assert_eq!(statuses(e.clone()), (409, 409), "{code}");
        let passed_on = WebError::Internal(anyhow::Error::from(BookingError::Db(e)));
        assert_eq!(passed_on.status_code().as_u16(), 409, "{code}");
    }
    // A lock given up on is a wait, not a clash: reloading at once would wait as long again.
    let e = error_of(
        &app.db,
        "DO $$ BEGIN RAISE EXCEPTION 'waited' USING ERRCODE = '55P03'; END $$",
    )
    .await;
    assert_eq!(classify(&e), DbFailure::Busy, "{e}");
    assert!(is_lock_timeout(&e));
    let copy = copy_of(&e);
    assert_eq!(classify(&copy), DbFailure::Busy, "{copy}");
    assert!(is_lock_timeout(&copy));
    assert_eq!(statuses(e.clone()), (503, 503));
    let passed_on = WebError::Internal(anyhow::Error::from(BookingError::Db(e)));
    assert_eq!(passed_on.status_code().as_u16(), 503);

    let outage = error_of(
        &app.db,
        "DO $$ BEGIN RAISE EXCEPTION 'gone' USING ERRCODE = '08006'; END $$",
    )
    .await;
    let passed_on = WebError::Internal(anyhow::Error::from(BookingError::Db(outage)));
    assert_eq!(passed_on.status_code().as_u16(), 503);

    // Through the booking form: the booking's insert meets a deadlock.
    app.db
        .execute_unprepared(
            "CREATE FUNCTION clash() RETURNS trigger AS $$ BEGIN \
             RAISE EXCEPTION 'deadlock' USING ERRCODE = '40P01'; END $$ LANGUAGE plpgsql; \
             CREATE TRIGGER clash BEFORE INSERT ON bookings FOR EACH ROW EXECUTE FUNCTION clash();",
        )
        .await
        .unwrap();
    let form = "/kurse/smartphone-grundlagen-fuer-einsteiger-erfurt/termine/1/buchen";
    let res = app
        .submit(
            form,
            form,
            &[
                ("name", "Erika Muster"),
                ("email", "erika.muster@example.de"),
                ("phone", ""),
                ("places", "1"),
            ],
        )
        .await;
    assert_eq!(res.status(), 409);
    let page = res.text().await.unwrap();
    assert!(page.contains("überschnitten"), "{page}");
}

/// A booking on PostgreSQL meets its date locked elsewhere for longer than writers wait (a stuck
/// job, a session left open by hand): it is refused as busy, to try again in a minute, after about
/// ten seconds, and so are the requests that queued behind it meanwhile, at the same moment: in a turn
/// of their own, or one by one, each would wait as long again. Nothing is stored, and once the lock
/// is gone the date books.
#[tokio::test]
async fn a_booking_gives_up_on_a_date_locked_elsewhere_on_postgres() {
    use chrono::Utc;
    use sea_orm::TransactionTrait;
    use teilhabe::{
        domain::booking::{BookingRequest, Channel},
        services::booking::BookingError,
    };
    let Some(app) =
        crate::helpers::spawn_app(crate::helpers::Backend::Postgres, Default::default()).await
    else {
        return;
    };
    let date_id = crate::helpers::course_date(&app, Default::default()).await;
    let request = |i: usize| {
        BookingRequest::parse(
            &format!("Person {i}"),
            &format!("person{i}@example.de"),
            "",
            "1",
            Channel::Online,
        )
        .unwrap()
    };
    let elsewhere = teilhabe::db::connect(&app.settings).await.unwrap();
    let holder = elsewhere.begin().await.unwrap();
    holder
        .execute_unprepared(&format!(
            "SELECT id FROM offer_dates WHERE id = {date_id} FOR UPDATE"
        ))
        .await
        .unwrap();

    // One desk, as one instance: its requests for the date share the turns.
    let desk = app.desk();
    let first = tokio::spawn({
        let desk = desk.clone();
        async move { desk.book(date_id, request(0), Utc::now()).await }
    });
    crate::helpers::until_someone_waits_for_a_lock(&app.db).await;
    let started = std::time::Instant::now();
    // These two queue behind the first.
    let later: Vec<_> = (1..3)
        .map(|i| {
            let desk = desk.clone();
            tokio::spawn(async move { desk.book(date_id, request(i), Utc::now()).await })
        })
        .collect();
    // Without a bound on the wait they would wait for the holder, which waits for them.
    let answers = tokio::time::timeout(Duration::from_secs(60), async {
        let mut answers = vec![first.await.unwrap()];
        for one in later {
            answers.push(one.await.unwrap());
        }
        answers
    })
    .await
    .expect("the bookings give up waiting for the lock");
    let took = started.elapsed();
    for answer in &answers {
        match answer {
            Err(BookingError::Db(e)) => {
                assert_eq!(classify(e), DbFailure::Busy, "{e}");
                assert!(is_lock_timeout(e), "{e}");
            }
            other => panic!("refused as busy, not {other:?}"),
        }
    }
    // One wait of ten seconds, not one per turn (20 s) or per request (40 s).
    assert!(
        took < Duration::from_secs(15),
        "all answered when the first gives up: {took:?}"
    );
    assert!(
        crate::helpers::bookings_of_date(&app, date_id)
            .await
            .is_empty(),
        "nothing stored"
    );

    holder.rollback().await.unwrap();
    assert!(
        app.desk()
            .book(date_id, request(3), Utc::now())
            .await
            .is_ok()
    );
}

// A booking meets the same records held by another change for longer than writers wait (on
// PostgreSQL the date's row, on SQLite the file's write lock, say by an import on the command
// line). The page says so, not "maintenance" nor "reload": 503 with `Retry-After`, the API's code
// `busy`; nothing is stored.
on_both_backends!(
    a_booking_behind_a_change_held_elsewhere_is_asked_to_wait,
    |app| {
        use sea_orm::{DbBackend, TransactionTrait};
        let date_id = 1;
        let elsewhere = teilhabe::db::connect(&app.settings).await.unwrap();
        let holder = if app.db.get_database_backend() == DbBackend::Sqlite {
            // Not `begin_write`: the portal's own writers queue in turn before the file's lock, and
            // this stands for another process.
            elsewhere
                .begin_with_options(sea_orm::TransactionOptions {
                    sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
                    ..Default::default()
                })
                .await
                .unwrap()
        } else {
            let holder = elsewhere.begin().await.unwrap();
            holder
                .execute_unprepared(&format!(
                    "SELECT id FROM offer_dates WHERE id = {date_id} FOR UPDATE"
                ))
                .await
                .unwrap();
            holder
        };

        let form = "/kurse/smartphone-grundlagen-fuer-einsteiger-erfurt/termine/1/buchen";
        let page = app.submit(
            form,
            form,
            &[
                ("name", "Erika Muster"),
                ("email", "erika.muster@example.de"),
                ("phone", ""),
                ("places", "1"),
            ],
        );
        let api = app
        .client
        .post(app.url(&format!("/api/v1/dates/{date_id}/bookings")))
        .json(&serde_json::json!({ "name": "Max Muster", "email": "max@example.de", "places": 1 }))
        .send();
        let (page, api) = tokio::join!(page, api);

        assert_eq!(page.status(), 503);
        assert_eq!(page.headers()["retry-after"], "60");
        let text = page.text().await.unwrap();
        assert!(text.contains("Gerade besetzt"), "{text}");
        assert!(text.contains("nicht gespeichert"), "{text}");
        assert!(!text.contains("Wartungsarbeiten"), "{text}");
        let api = api.unwrap();
        assert_eq!(api.status(), 503);
        assert_eq!(api.headers()["retry-after"], "60");
        let body: serde_json::Value = api.json().await.unwrap();
        assert_eq!(body["error"]["code"], "busy", "{body}");

        holder.rollback().await.unwrap();
        let stored: Vec<_> = crate::helpers::bookings_of_date(&app, date_id)
            .await
            .into_iter()
            .filter(|b| ["Erika Muster", "Max Muster"].contains(&b.name.as_str()))
            .collect();
        assert!(stored.is_empty(), "nothing stored: {stored:?}");
    }
);

// A session that cannot be read is a fault to report, not a signed-out visitor: the person would be
// sent to sign in, and their form refused as forged (its token is the session's).
on_both_backends!(
    a_session_that_cannot_be_read_is_not_taken_for_signed_out,
    |app| {
        assert_eq!(app.login(CITIZEN.0, CITIZEN.1).await.status(), 303);
        assert_eq!(app.get("/konto").await.status(), 200);

        app.db
            .execute_unprepared("ALTER TABLE sessions RENAME TO sessions_away")
            .await
            .unwrap();
        let page = app.get("/konto").await;
        let posted = app.post_form("/abmelden", &[]).await;
        let style = app.get("/static/css/main.css").await.status();
        let ready = app.get("/ready").await.status();
        let typed = app
            .post_form(
                "/vorschlaege/neu",
                &[
                    ("titel", "Schnelles Internet"),
                    ("text", "Ein langer Text über das Dorf"),
                ],
            )
            .await;
        app.db
            .execute_unprepared("ALTER TABLE sessions_away RENAME TO sessions")
            .await
            .unwrap();
        // What was typed is shown again, on a page the browser does not keep.
        assert_eq!(typed.status(), 500);
        assert_eq!(typed.headers()["cache-control"], "no-store");
        let typed = typed.text().await.unwrap();
        assert!(typed.contains("Ein langer Text über das Dorf"), "{typed}");

        assert_eq!(page.status(), 500, "not sent to sign in");
        let request_id = page.headers()["x-request-id"].to_str().unwrap().to_owned();
        let text = page.text().await.unwrap();
        assert!(
            text.contains(&format!("<code>{request_id}</code>")),
            "{text}"
        );
        assert_eq!(posted.status(), 500, "not refused as a forged form");
        assert_eq!(style, 200, "the error page keeps its style sheet");
        assert_eq!(ready, 200, "the database itself answers");
        assert_eq!(app.get("/konto").await.status(), 200, "still signed in");
    }
);

/// A signed-in page view records the session's last use at most once a minute. When that write
/// meets the SQLite file held by another process past the busy timeout, the page is still shown,
/// signed in: the write is housekeeping.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_whose_last_use_cannot_be_written_stays_signed_in() {
    use sea_orm::TransactionTrait;
    let app = crate::helpers::spawn_app(crate::helpers::Backend::Sqlite, Default::default())
        .await
        .expect("sqlite app");
    assert_eq!(app.login(CITIZEN.0, CITIZEN.1).await.status(), 303);
    {
        use sea_orm::EntityTrait;
        use teilhabe::db::entities::session;
        session::Entity::update_many()
            .col_expr(
                session::Column::LastSeenAt,
                sea_orm::sea_query::Expr::value(chrono::Utc::now() - chrono::Duration::minutes(5)),
            )
            .exec(&app.db)
            .await
            .unwrap();
    }
    let elsewhere = teilhabe::db::connect(&app.settings).await.unwrap();
    let holder = elsewhere
        .begin_with_options(sea_orm::TransactionOptions {
            sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
            ..Default::default()
        })
        .await
        .unwrap();
    let page = app.get("/konto").await;
    holder.rollback().await.unwrap();
    assert_eq!(page.status(), 200);
    let text = page.text().await.unwrap();
    assert!(text.contains(r#"action="/abmelden""#), "signed in: {text}");
}

// A sign-in whose session cannot be saved: the person is told that the sign-in was not kept, not
// that nothing was saved, and the browser keeps no half session.
on_both_backends!(a_sign_in_whose_session_cannot_be_saved_says_so, |app| {
    let form = app.hidden_fields("/anmelden").await;
    app.db
        .execute_unprepared("ALTER TABLE sessions RENAME TO sessions_away")
        .await
        .unwrap();
    let mut fields: Vec<(&str, &str)> = vec![("email", CITIZEN.0), ("password", CITIZEN.1)];
    fields.extend(form.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let res = app.post_form("/anmelden", &fields).await;
    app.db
        .execute_unprepared("ALTER TABLE sessions_away RENAME TO sessions")
        .await
        .unwrap();
    assert_eq!(res.status(), 500);
    assert!(
        res.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("no-store")
    );
    let cleared = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .any(|c| c.to_str().unwrap().contains("Max-Age=0"));
    assert!(cleared, "the browser forgets its session");
    let text = res.text().await.unwrap();
    assert!(text.contains("nicht angemeldet"), "{text}");
    assert!(
        !text.contains("Eingaben wurden nicht gespeichert"),
        "{text}"
    );
});
