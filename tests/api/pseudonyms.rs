//! Stored addresses are keyed hashes: a supporter's address and the client address and account a
//! throttle counts. Plain hashes (from an installation from before, or from an old instance during a
//! rolling update) are converted on the next start, once even when two instances start together,
//! and a start with another key is refused.
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set, sea_query::Expr,
};
use sha2::{Digest, Sha256};
use teilhabe::{
    db::entities::{proposal, proposal_support, pseudonym_key, throttle_event},
    domain::{Email, Language, proposal::ProposalStatus},
    services::{proposals::SupportOutcome, pseudonyms::Pseudonyms},
    startup::{StartupError, prepare_database},
};

use crate::helpers::*;
use crate::on_both_backends;

const SUPPORTER: &str = "unterstuetzerin@example.org";

fn plain_hash(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}

async fn first_public_proposal(app: &TestApp) -> i64 {
    proposal::Entity::find()
        .filter(proposal::Column::Status.eq(ProposalStatus::Published))
        .order_by_asc(proposal::Column::Id)
        .one(&app.db)
        .await
        .unwrap()
        .expect("demo data has public proposals")
        .id
}

async fn stored_hashes(app: &TestApp, proposal_id: i64) -> Vec<Option<String>> {
    proposal_support::Entity::find()
        .filter(proposal_support::Column::ProposalId.eq(proposal_id))
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.email_hash)
        .collect()
}

on_both_backends!(
    stored_addresses_are_keyed_and_plain_ones_convert_once,
    |app| {
        let pseudonyms = app.state().pseudonyms;
        let desk = app.state().proposal_desk().supports();
        let id = first_public_proposal(&app).await;
        let address = Email::parse(SUPPORTER).unwrap();

        let outcome = desk.support(id, None, Some(&address), Language::De).await;
        assert_eq!(outcome.unwrap(), SupportOutcome::ConfirmationSent);
        let link = app
            .link_in_mail(SUPPORTER, "/vorschlaege/unterstuetzen/")
            .await;
        let token = link.rsplit('/').next().unwrap().to_owned();
        desk.confirm_support(&token).await.expect("confirmed");
        let keyed = pseudonyms.support_address(SUPPORTER);
        assert_eq!(stored_hashes(&app, id).await, vec![Some(keyed.clone())]);
        assert_ne!(keyed, plain_hash(SUPPORTER));

        // A wrong password is counted per client address and account: no bucket holds their plain hash.
        let res = app.login("niemand@example.org", "falsches-passwort").await;
        assert!(res.status().is_success() || res.status().is_redirection() || res.status() == 422);
        let buckets: Vec<String> = throttle_event::Entity::find()
            .all(&app.db)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.bucket)
            .collect();
        assert!(
            buckets.contains(&pseudonyms.throttle_bucket("login-address", "127.0.0.1")),
            "{buckets:?}"
        );
        for plain in [plain_hash("127.0.0.1"), plain_hash("niemand@example.org")] {
            assert!(
                !buckets.iter().any(|b| b.ends_with(&plain[..32])),
                "{buckets:?}"
            );
        }

        // An installation from before: the plain hash stored, a plain throttle count, no key
        // recorded.
        let store_plain = || async {
            proposal_support::Entity::update_many()
                .col_expr(
                    proposal_support::Column::EmailHash,
                    Expr::value(plain_hash(SUPPORTER)),
                )
                .filter(proposal_support::Column::ProposalId.eq(id))
                .exec(&app.db)
                .await
                .unwrap();
            throttle_event::Entity::insert(throttle_event::ActiveModel {
                bucket: Set(format!("login-address:{}", &plain_hash("127.0.0.1")[..32])),
                created_at: Set(chrono::Utc::now()),
                ..Default::default()
            })
            .exec(&app.db)
            .await
            .unwrap();
        };
        store_plain().await;
        pseudonym_key::Entity::delete_many()
            .exec(&app.db)
            .await
            .unwrap();
        // Two instances start at the same moment: the hash is converted once, not twice.
        let (one, other) = tokio::join!(
            prepare_database(&app.settings),
            prepare_database(&app.settings)
        );
        one.expect("first start");
        other.expect("second start");
        let converted = || async {
            assert_eq!(stored_hashes(&app, id).await, vec![Some(keyed.clone())]);
            let buckets = throttle_event::Entity::find().all(&app.db).await.unwrap();
            assert!(
                buckets.iter().all(|e| e.bucket.contains(":k1:")),
                "plain counts removed: {buckets:?}"
            );
        };
        converted().await;
        assert_eq!(
            pseudonym_key::Entity::find()
                .all(&app.db)
                .await
                .unwrap()
                .len(),
            1
        );
        // A start that finds no record of the key (a migration undone and done again) does not
        // convert twice.
        pseudonym_key::Entity::delete_many()
            .exec(&app.db)
            .await
            .unwrap();
        prepare_database(&app.settings).await.expect("start");
        converted().await;
        // An old instance still running during a rolling update writes plain hashes again: the
        // next start converts them.
        store_plain().await;
        prepare_database(&app.settings).await.expect("next start");
        converted().await;
        // Such an instance does not recognise the keyed hash either and stores the person's support
        // a second time: the next start removes the plain hash from it (both keep counting).
        proposal_support::Entity::insert(proposal_support::ActiveModel {
            proposal_id: Set(id),
            user_id: Set(None),
            email_hash: Set(Some(plain_hash(SUPPORTER))),
            confirm_token_hash: Set(None),
            confirmed_at: Set(Some(chrono::Utc::now())),
            created_at: Set(chrono::Utc::now()),
            ..Default::default()
        })
        .exec(&app.db)
        .await
        .unwrap();
        prepare_database(&app.settings)
            .await
            .expect("start after that");
        let mut hashes = stored_hashes(&app, id).await;
        hashes.sort();
        assert_eq!(hashes, vec![None, Some(keyed.clone())]);
        // The converted hash still recognises the person.
        let again = Email::parse("Unterstuetzerin@Example.org").unwrap();
        let outcome = desk.support(id, None, Some(&again), Language::De).await;
        assert_eq!(outcome.unwrap(), SupportOutcome::AlreadySupported);
    }
);

on_both_backends!(a_start_with_another_key_is_refused, |app| {
    let mut other = app.settings.clone();
    other.pseudonym_key = Some("another-key-of-another-instance-0123456789".into());
    match prepare_database(&other).await {
        Err(StartupError::Config(e)) => {
            assert_eq!(e.setting, "TEILHABE_PSEUDONYM_KEY");
            assert!(e.problem.contains("differs"), "{e}");
        }
        Err(e) => panic!("refused for another reason: {e}"),
        Ok(_) => panic!("started with another key"),
    }
    // The right key still starts, and nothing was converted by the refused start.
    prepare_database(&app.settings)
        .await
        .expect("the right key");
});

#[test]
fn the_command_line_names_the_setting_when_the_key_differs() {
    let dir = tempfile::tempdir().unwrap();
    let first = teilhabe_command(dir.path())
        .env("TEILHABE_DEMO", "false")
        .arg("migrate")
        .output()
        .unwrap();
    assert!(first.status.success(), "{first:?}");
    let key_file = dir.path().join(teilhabe::services::pseudonyms::KEY_FILE);
    assert_eq!(std::fs::read_to_string(&key_file).unwrap().len(), 64);

    let refused = teilhabe_command(dir.path())
        .env(
            "TEILHABE_PSEUDONYM_KEY",
            "another-key-of-another-instance-0123456789",
        )
        .arg("migrate")
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2), "{refused:?}");
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("TEILHABE_PSEUDONYM_KEY"), "{stderr}");
    assert!(stderr.contains("pseudonym.key"), "{stderr}");
}

// An old instance during a rolling update stores the plain hash of a supporter's address until the
// next start converts it; deleting the account in that window removes it too.
on_both_backends!(
    deleting_an_account_removes_a_plain_support_hash_too,
    |app| {
        const MEMBER: &str = "freiwillig@demo.teilhabe.example";
        let member = teilhabe::db::entities::user::Entity::find()
            .filter(teilhabe::db::entities::user::Column::Email.eq(MEMBER))
            .one(&app.db)
            .await
            .unwrap()
            .expect("a demo account")
            .id;
        let id = first_public_proposal(&app).await;
        proposal_support::Entity::insert(proposal_support::ActiveModel {
            proposal_id: Set(id),
            user_id: Set(None),
            email_hash: Set(Some(plain_hash(MEMBER))),
            confirm_token_hash: Set(None),
            confirmed_at: Set(Some(chrono::Utc::now())),
            created_at: Set(chrono::Utc::now()),
            ..Default::default()
        })
        .exec(&app.db)
        .await
        .unwrap();
        assert!(
            stored_hashes(&app, id)
                .await
                .contains(&Some(plain_hash(MEMBER)))
        );

        teilhabe::services::accounts::delete_account(
            &app.desk(),
            &app.state().volunteer_sign_up(),
            &app.state().pseudonyms,
            member,
            chrono::Utc::now(),
        )
        .await
        .unwrap();
        let hashes = stored_hashes(&app, id).await;
        assert!(!hashes.contains(&Some(plain_hash(MEMBER))), "{hashes:?}");
        assert!(
            hashes.contains(&None),
            "the support still counts: {hashes:?}"
        );
    }
);

// During a rolling update an instance of the older version stores a support with the plain hash
// of the address. The same person supporting again through a new instance was counted a second
// time: the new version looked only for the keyed hash, and the plain one was converted at the
// next start only. Now the plain hash counts as the same person, and housekeeping converts it.
on_both_backends!(
    a_support_an_older_instance_stored_is_the_same_persons,
    |app| {
        const PERSON: &str = "zweimal@example.org";
        let id = first_public_proposal(&app).await;
        proposal_support::Entity::insert(proposal_support::ActiveModel {
            proposal_id: Set(id),
            user_id: Set(None),
            email_hash: Set(Some(plain_hash(PERSON))),
            confirm_token_hash: Set(None),
            confirmed_at: Set(Some(chrono::Utc::now())),
            created_at: Set(chrono::Utc::now()),
            ..Default::default()
        })
        .exec(&app.db)
        .await
        .unwrap();
        let before = stored_hashes(&app, id).await.len();
        let outcome = app
            .state()
            .proposal_desk()
            .supports()
            .support(
                id,
                None,
                Some(&teilhabe::domain::Email::parse(PERSON).unwrap()),
                teilhabe::domain::Language::De,
            )
            .await
            .unwrap();
        assert_eq!(
            outcome,
            teilhabe::services::proposals::SupportOutcome::AlreadySupported
        );
        assert_eq!(stored_hashes(&app, id).await.len(), before);

        let converted = teilhabe::services::pseudonyms::convert_plain_supports(
            &app.db,
            &app.state().pseudonyms,
        )
        .await
        .unwrap();
        assert!(converted >= 1);
        let hashes = stored_hashes(&app, id).await;
        assert!(
            hashes.contains(&Some(app.state().pseudonyms.support_address(PERSON))),
            "{hashes:?}"
        );
        assert!(!hashes.contains(&Some(plain_hash(PERSON))), "{hashes:?}");
    }
);

// A booking's link is kept only sealed with the key outside the database: a copy of the bookings
// gives no working link, yet the mails, the account and the receipt still show it.
on_both_backends!(booking_links_are_kept_sealed, |app| {
    use teilhabe::{
        domain::booking::{BookingRequest, Channel},
        sealing::Sealer,
    };
    let date_id = course_date(&app, NewCourseDate::default()).await;
    let request =
        BookingRequest::parse("Gisela Gast", "gisela@example.de", "", "1", Channel::Online)
            .unwrap();
    let booked = app
        .desk()
        .book(date_id, request, chrono::Utc::now())
        .await
        .unwrap();
    let secret = booked.cancel_token;
    let row = booking_by_id(&app, booked.booking_id).await;
    assert_eq!(row.manage_token, None);
    assert!(
        !format!("{row:?}").contains(&secret),
        "no column holds the link: {row:?}"
    );
    assert_eq!(app.link_secret(&row).as_deref(), Some(secret.as_str()));
    let another_key = Pseudonyms::new(b"another-key-0123456789abcdef0123456789").sealer();
    assert_eq!(
        row.link_secret(&another_key),
        None,
        "another key opens nothing"
    );
    assert_eq!(row.link_secret(&Sealer::new(&[1; 32])), None);

    let link = app.link_in_mail("gisela@example.de", "/buchung/").await;
    assert_eq!(link, format!("/buchung/{secret}"), "the mail has the link");
    assert_eq!(app.get(&link).await.status(), 200);
});

// Links an earlier version kept in clear (or an older instance writes during a rolling update) are
// sealed by the housekeeping, once, but only an hour after the migration, when the older instances
// that read them are gone; a sealed link an older instance left on a booking it anonymised goes.
on_both_backends!(booking_links_kept_in_clear_are_sealed_once, |app| {
    use teilhabe::{
        db::entities::booking,
        domain::booking::{BookingRequest, Channel},
        services::{booking::links, sessions},
    };
    let date_id = course_date(&app, NewCourseDate::default()).await;
    let mut ids = Vec::new();
    for n in 0..3 {
        let request = BookingRequest::parse(
            &format!("Person {n}"),
            &format!("person{n}@example.de"),
            "",
            "1",
            Channel::Online,
        )
        .unwrap();
        let booked = app
            .desk()
            .book(date_id, request, chrono::Utc::now())
            .await
            .unwrap();
        ids.push(booked.booking_id);
    }
    let in_clear = |n: usize| format!("link-in-clear-{n}-{}", sessions::random_token());
    let (first, renewed) = (in_clear(0), in_clear(1));
    // A link in clear, as an older version writes it.
    let in_clear_on = |id: i64, secret: &str| {
        booking::Entity::update_many()
            .col_expr(booking::Column::ManageToken, Expr::value(secret))
            .col_expr(
                booking::Column::CancelTokenHash,
                Expr::value(sessions::hash_token(secret)),
            )
            .filter(booking::Column::Id.eq(id))
    };
    // As an earlier version kept it: in clear, nothing sealed.
    in_clear_on(ids[0], &first)
        .col_expr(
            booking::Column::ManageLinkSealed,
            Expr::value(Option::<String>::None),
        )
        .exec(&app.db)
        .await
        .unwrap();
    // An older instance gave the booking a new address and link: the sealed one is stale.
    in_clear_on(ids[1], &renewed).exec(&app.db).await.unwrap();
    // An older instance anonymised a booking, not knowing the sealed link.
    booking::Entity::update_many()
        .col_expr(booking::Column::Name, Expr::value(""))
        .col_expr(booking::Column::Email, Expr::value(Option::<String>::None))
        .col_expr(
            booking::Column::AnonymisedAt,
            Expr::value(chrono::Utc::now()),
        )
        .filter(booking::Column::Id.eq(ids[2]))
        .exec(&app.db)
        .await
        .unwrap();
    assert_eq!(
        app.link_secret(&booking_by_id(&app, ids[1]).await)
            .as_deref(),
        Some(renewed.as_str()),
        "before the housekeeping, the newer link in clear counts"
    );

    let sealer = app.sealer();
    let now = chrono::Utc::now();
    let migrated_at = |at: chrono::DateTime<chrono::Utc>| {
        let db = app.db.clone();
        async move {
            db.execute_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                format!(
                    "UPDATE seaql_migrations SET applied_at = {} \
                     WHERE version = 'm20261207_000035_sealed_booking_links'",
                    at.timestamp()
                ),
            ))
            .await
            .unwrap();
        }
    };
    // During the rolling update: only the anonymised booking's sealed link goes.
    migrated_at(now - links::ROLLOUT + chrono::Duration::minutes(1)).await;
    assert_eq!(links::tidy(&app.db, &sealer, now).await.unwrap(), 1);
    assert_eq!(
        booking_by_id(&app, ids[0]).await.manage_token.as_deref(),
        Some(first.as_str())
    );
    // An hour after the migration.
    migrated_at(now - links::ROLLOUT).await;
    assert_eq!(links::tidy(&app.db, &sealer, now).await.unwrap(), 2);
    assert_eq!(links::tidy(&app.db, &sealer, now).await.unwrap(), 0);
    for (id, secret) in [(ids[0], &first), (ids[1], &renewed)] {
        let row = booking_by_id(&app, id).await;
        assert_eq!(row.manage_token, None);
        assert!(!format!("{row:?}").contains(secret.as_str()));
        assert_eq!(app.link_secret(&row).as_deref(), Some(secret.as_str()));
        assert_eq!(app.get(&format!("/buchung/{secret}")).await.status(), 200);
    }
    let anonymised = booking_by_id(&app, ids[2]).await;
    assert_eq!(
        (anonymised.manage_token, anonymised.manage_link_sealed),
        (None, None)
    );
});
