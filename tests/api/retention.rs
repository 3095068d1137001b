//! Personal data that goes by itself: unconfirmed accounts, proposals, supports and follows, the
//! contact of a rejected proposal's author, spent account links, and the file transport's mails.
use chrono::{Duration, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use teilhabe::{
    db::entities::{account_token, proposal, proposal_follow, proposal_support, user, user_role},
    domain::proposal::ProposalStatus,
    services::retention::{Purged, purge},
};

use crate::helpers::*;
use crate::on_both_backends;

const RETENTION: Duration = Duration::days(90);

async fn user_with(app: &TestApp, email: &str) -> Option<user::Model> {
    user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .one(&app.db)
        .await
        .unwrap()
}

async fn register(app: &TestApp, email: &str) {
    let res = app
        .submit(
            "/registrieren",
            "/registrieren",
            &[
                ("name", "Nie Bestätigt"),
                ("email", email),
                ("password", "ein-langes-Passwort-2026"),
                ("website", ""),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
}

async fn public_proposal(app: &TestApp) -> i64 {
    proposal::Entity::find()
        .filter(proposal::Column::Status.eq(ProposalStatus::Published))
        .one(&app.db)
        .await
        .unwrap()
        .expect("the demo data has published proposals")
        .id
}

/// The first published proposals, one for each of `states`, put in that state at `at` with their
/// author's address and phone number and the author following each; their ids, in that order.
async fn proposals_in(
    app: &TestApp,
    states: &[ProposalStatus],
    at: chrono::DateTime<Utc>,
) -> Vec<i64> {
    use sea_orm::{QueryOrder, QuerySelect, sea_query::Expr};
    let published: Vec<i64> = proposal::Entity::find()
        .filter(proposal::Column::Status.eq(ProposalStatus::Published))
        .order_by_asc(proposal::Column::Id)
        .limit(states.len() as u64)
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.id)
        .collect();
    for (n, (&id, &status)) in published.iter().zip(states).enumerate() {
        let address = format!("autorin{n}@example.de");
        proposal::Entity::update_many()
            .col_expr(proposal::Column::Status, Expr::value(status))
            .col_expr(proposal::Column::AuthorEmail, Expr::value(address.clone()))
            .col_expr(proposal::Column::Contact, Expr::value("0361 987654"))
            .col_expr(proposal::Column::UpdatedAt, Expr::value(at))
            .filter(proposal::Column::Id.eq(id))
            .exec(&app.db)
            .await
            .unwrap();
        proposal_follow::ActiveModel {
            proposal_id: Set(id),
            email: Set(address),
            language: Set("de".into()),
            token: Set(format!("folgen-der-autorin-{n}")),
            confirmed_at: Set(Some(at)),
            created_at: Set(at),
            ..Default::default()
        }
        .insert(&app.db)
        .await
        .unwrap();
    }
    published
}

/// A proposal's state, its author's address and phone number, as stored now.
async fn stored_contact(
    app: &TestApp,
    id: i64,
) -> (ProposalStatus, Option<String>, Option<String>) {
    let found = proposal::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    (found.status, found.author_email, found.contact)
}

on_both_backends!(what_was_never_confirmed_goes_after_thirty_days, |app| {
    // An account never confirmed, and one never confirmed that staff gave a role.
    register(&app, "nie@example.de").await;
    register(&app, "helferin@example.de").await;
    let helper = user_with(&app, "helferin@example.de").await.unwrap();
    user_role::ActiveModel {
        user_id: Set(helper.id),
        role: Set("volunteer".into()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    // A proposal handed in without an account and never confirmed.
    let fields = [
        ("titel", "Ein WLAN-Zugang in der Bibliothek Sömmerda"),
        (
            "text",
            "Die Bibliothek braucht freies WLAN für alle, die kein eigenes Datenvolumen haben.",
        ),
        ("kategorie", "verwaltung-digital"),
        ("kreis", "16068"),
        ("ort", "Sömmerda"),
        ("email", "vergesslich@example.de"),
        ("kontakt", "03634 123456"),
        ("schritt", "absenden"),
    ];
    let res = app
        .submit("/vorschlaege/neu", "/vorschlaege/neu", &fields)
        .await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    let unconfirmed = proposal::Entity::find()
        .filter(proposal::Column::Status.eq(ProposalStatus::Unconfirmed))
        .one(&app.db)
        .await
        .unwrap()
        .expect("the proposal waits for its confirmation");
    // A support and a follow given by address and never confirmed, and a confirmed follow.
    let id = public_proposal(&app).await;
    let page = format!("/vorschlaege/{id}");
    app.submit(
        &page,
        &format!("{page}/unterstuetzen"),
        &[("email", "fremd@example.de")],
    )
    .await;
    app.submit(
        &page,
        &format!("{page}/folgen"),
        &[("follow-email", "fremd@example.de")],
    )
    .await;
    app.submit(
        &page,
        &format!("{page}/folgen"),
        &[("follow-email", "leserin@example.de")],
    )
    .await;
    let link = app
        .link_in_mail("leserin@example.de", "/vorschlaege/folgen/")
        .await;
    assert_eq!(app.submit(&link, &link, &[]).await.status(), 303);
    let unconfirmed_supports =
        || proposal_support::Entity::find().filter(proposal_support::Column::ConfirmedAt.is_null());
    assert_eq!(unconfirmed_supports().count(&app.db).await.unwrap(), 1);
    let follows_of = |email: &'static str| {
        proposal_follow::Entity::find().filter(proposal_follow::Column::Email.eq(email))
    };
    assert_eq!(
        follows_of("fremd@example.de").count(&app.db).await.unwrap(),
        1
    );
    let users_before = user::Entity::find().count(&app.db).await.unwrap();

    // Within the thirty days nothing goes.
    let soon = purge(&app.db, RETENTION, Utc::now() + Duration::days(29))
        .await
        .unwrap();
    assert_eq!(
        (soon.accounts, soon.proposals, soon.supports, soon.follows),
        (0, 0, 0, 0)
    );

    let later = purge(&app.db, RETENTION, Utc::now() + Duration::days(31))
        .await
        .unwrap();
    assert_eq!(
        (
            later.accounts,
            later.proposals,
            later.supports,
            later.follows
        ),
        (1, 1, 1, 1),
        "{later:?}"
    );
    assert!(user_with(&app, "nie@example.de").await.is_none());
    assert!(
        user_with(&app, "helferin@example.de").await.is_some(),
        "staff gave that account a role"
    );
    assert_eq!(
        user::Entity::find().count(&app.db).await.unwrap(),
        users_before - 1,
        "confirmed accounts stay"
    );
    assert!(
        proposal::Entity::find_by_id(unconfirmed.id)
            .one(&app.db)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(unconfirmed_supports().count(&app.db).await.unwrap(), 0);
    assert_eq!(
        follows_of("fremd@example.de").count(&app.db).await.unwrap(),
        0
    );
    assert_eq!(
        follows_of("leserin@example.de")
            .count(&app.db)
            .await
            .unwrap(),
        1,
        "a confirmed follow stays"
    );
    // The proposal's link in the mail leads nowhere now.
    let link = app
        .link_in_mail("vergesslich@example.de", "/vorschlaege/eigene/")
        .await;
    assert_eq!(app.get(&link).await.status(), 404);
    // A second run finds nothing more.
    let again = purge(&app.db, RETENTION, Utc::now() + Duration::days(31))
        .await
        .unwrap();
    assert_eq!(again, Purged::default());
});

// Rejected, hidden by moderation, merged into another, or sent back to an author who never came
// back: nobody works on the proposal any more, and nothing more is sent to its author. A published one keeps both, as its
// author and followers are told of answers.
on_both_backends!(
    the_authors_contact_goes_once_a_proposal_was_left_for_the_retention_period,
    |app| {
        let left_at = Utc::now();
        let states = [
            ProposalStatus::Rejected,
            ProposalStatus::Hidden,
            ProposalStatus::ChangesRequested,
            ProposalStatus::Merged,
            ProposalStatus::Published,
        ];
        let published = proposals_in(&app, &states, left_at).await;
        let contact = |id: i64| stored_contact(&app, id);
        let follows = |id: i64| {
            proposal_follow::Entity::find()
                .filter(proposal_follow::Column::ProposalId.eq(id))
                .count(&app.db)
        };

        let within = purge(&app.db, RETENTION, left_at + Duration::days(89))
            .await
            .unwrap();
        assert_eq!((within.author_contacts, within.follows), (0, 0));
        assert!(contact(published[0]).await.1.is_some());

        let after = purge(&app.db, RETENTION, left_at + Duration::days(91))
            .await
            .unwrap();
        assert_eq!((after.author_contacts, after.follows), (4, 4), "{after:?}");
        for (&id, status) in published.iter().zip(states).take(4) {
            assert_eq!(
                contact(id).await,
                (status, None, None),
                "the proposal stays, without its author's contact"
            );
            assert_eq!(follows(id).await.unwrap(), 0);
        }
        let (_, address, phone) = contact(published[4]).await;
        assert!(address.is_some() && phone.is_some());
        assert_eq!(follows(published[4]).await.unwrap(), 1);
    }
);

/// The author revises a proposal left for the retention period (sent back for changes) while the
/// hourly purge runs: the purge waits for the row and must then see the revision, not clear the
/// contact the author has just given.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proposal_revised_while_the_purge_runs_keeps_its_contact_on_postgres() {
    use sea_orm::{ConnectionTrait, TransactionTrait, sea_query::Expr};
    let Some(app) = spawn_app(Backend::Postgres, Default::default()).await else {
        return;
    };
    let id = public_proposal(&app).await;
    let sent_back_at = Utc::now() - Duration::days(120);
    proposal::Entity::update_many()
        .col_expr(
            proposal::Column::Status,
            Expr::value(ProposalStatus::ChangesRequested),
        )
        .col_expr(
            proposal::Column::AuthorEmail,
            Expr::value("autorin@example.de"),
        )
        .col_expr(proposal::Column::UpdatedAt, Expr::value(sent_back_at))
        .filter(proposal::Column::Id.eq(id))
        .exec(&app.db)
        .await
        .unwrap();
    // The revision, holding the row until it commits.
    let revising = app.db.begin().await.unwrap();
    revising
        .execute_unprepared(&format!(
            "UPDATE proposals SET status = 'submitted', contact = '0361 987654', updated_at = now() \
             WHERE id = {id}"
        ))
        .await
        .unwrap();
    let purging = purge(&app.db, RETENTION, Utc::now());
    let committing = async {
        until_someone_waits_for_a_lock(&app.db).await;
        revising.commit().await.unwrap();
    };
    let (purged, ()) = tokio::join!(purging, committing);
    assert_eq!(purged.unwrap().author_contacts, 0);
    let found = proposal::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (found.author_email.as_deref(), found.contact.as_deref()),
        (Some("autorin@example.de"), Some("0361 987654"))
    );
}

// During a rolling update an instance of the older release still marks a used feedback link with
// the day of its use, which matches its form's day; the hourly run makes it look like every other.
on_both_backends!(a_feedback_link_marked_with_its_day_is_evened_out, |app| {
    use teilhabe::db::entities::{feedback_invitation, offer_date};
    let date = offer_date::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let sent = Utc::now() - Duration::days(3);
    let link = |token: &str, used_at| feedback_invitation::ActiveModel {
        date_id: Set(date.id),
        token_hash: Set(token.into()),
        used_at: Set(used_at),
        created_at: Set(sent),
        ..Default::default()
    };
    let old_release = link(
        "von-der-alten-version",
        Some(Utc::now() - Duration::days(1)),
    )
    .insert(&app.db)
    .await
    .unwrap();
    let unused = link("noch-offen", None).insert(&app.db).await.unwrap();
    let purged = purge(&app.db, RETENTION, Utc::now()).await.unwrap();
    assert_eq!(purged.feedback_link_days, 1);
    let after = |id: i64| feedback_invitation::Entity::find_by_id(id).one(&app.db);
    let evened = after(old_release.id).await.unwrap().unwrap();
    assert_eq!(evened.used_at, Some(evened.created_at));
    assert_eq!(after(unused.id).await.unwrap().unwrap().used_at, None);
});

on_both_backends!(spent_account_links_go_a_day_later, |app| {
    // A reset link (valid an hour) and an address change waiting for its confirmation.
    app.submit(
        "/passwort-vergessen",
        "/passwort-vergessen",
        &[("email", "buergerin@demo.teilhabe.example")],
    )
    .await;
    app.login("buergerin@demo.teilhabe.example", "Demo-Buergerin-2026")
        .await;
    let res = app
        .submit(
            "/konto/email",
            "/konto/email",
            &[
                ("email", "neue-adresse@example.de"),
                ("password", "Demo-Buergerin-2026"),
            ],
        )
        .await;
    assert_eq!(res.status(), 200, "the page saying where the link went");
    let data: serde_json::Value = app.get("/konto/daten").await.json().await.unwrap();
    assert_eq!(
        data["pending_email_change"][0]["new_email"], "neue-adresse@example.de",
        "the download shows the address waiting for its confirmation"
    );
    let links = || account_token::Entity::find().count(&app.db);
    assert_eq!(links().await.unwrap(), 2);
    // The reset link ran out an hour ago, the change link not yet.
    let soon = purge(&app.db, RETENTION, Utc::now() + Duration::hours(2))
        .await
        .unwrap();
    assert_eq!(soon.account_links, 0, "kept a day after it ran out");
    let next_day = purge(&app.db, RETENTION, Utc::now() + Duration::hours(26))
        .await
        .unwrap();
    assert_eq!(next_day.account_links, 1);
    let remaining = account_token::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(
        remaining[0].new_email.as_deref(),
        Some("neue-adresse@example.de")
    );
    let two_days = purge(&app.db, RETENTION, Utc::now() + Duration::hours(49))
        .await
        .unwrap();
    assert_eq!(
        two_days.account_links, 1,
        "with the unconfirmed new address"
    );
    assert_eq!(links().await.unwrap(), 0);
});

#[tokio::test]
async fn the_file_transports_old_mails_are_removed() {
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("alt.eml");
    let new = dir.path().join("neu.eml");
    let other = dir.path().join("notiz.txt");
    for path in [&old, &new, &other] {
        std::fs::write(path, "Subject: Ihre Buchung").unwrap();
    }
    let forty_days_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(40 * 86_400);
    for path in [&old, &other] {
        std::fs::File::options()
            .write(true)
            .open(path)
            .unwrap()
            .set_modified(forty_days_ago)
            .unwrap();
    }
    let removed = teilhabe::mail::delete_files_older_than(
        dir.path(),
        std::time::Duration::from_secs(30 * 86_400),
    )
    .await
    .unwrap();
    assert_eq!(removed, 1);
    assert!(!old.exists());
    assert!(new.exists(), "a recent mail stays");
    assert!(other.exists(), "only mail files are touched");
    // A folder that was never written is no error.
    assert_eq!(
        teilhabe::mail::delete_files_older_than(&dir.path().join("nie"), std::time::Duration::ZERO)
            .await
            .unwrap(),
        0
    );
}

on_both_backends!(a_link_sent_again_gets_its_thirty_days_again, |app| {
    let id = public_proposal(&app).await;
    let page = format!("/vorschlaege/{id}");
    let ask = |action: &'static str, field: &'static str| {
        let (app, page) = (&app, page.clone());
        async move {
            app.submit(
                &page,
                &format!("{page}/{action}"),
                &[(field, "spaet@example.de")],
            )
            .await
        }
    };
    ask("unterstuetzen", "email").await;
    ask("folgen", "follow-email").await;
    // Both links were sent 29 days ago, and the person asks for them again today.
    let four_weeks_ago = Utc::now() - Duration::days(29);
    proposal_support::Entity::update_many()
        .col_expr(
            proposal_support::Column::CreatedAt,
            sea_orm::sea_query::Expr::value(four_weeks_ago),
        )
        .exec(&app.db)
        .await
        .unwrap();
    proposal_follow::Entity::update_many()
        .col_expr(
            proposal_follow::Column::CreatedAt,
            sea_orm::sea_query::Expr::value(four_weeks_ago),
        )
        .exec(&app.db)
        .await
        .unwrap();
    ask("unterstuetzen", "email").await;
    ask("folgen", "follow-email").await;

    let in_two_days = purge(&app.db, RETENTION, Utc::now() + Duration::days(2))
        .await
        .unwrap();
    assert_eq!(
        (in_two_days.supports, in_two_days.follows),
        (0, 0),
        "the links sent today still work"
    );
    let link = app
        .link_in_mail("spaet@example.de", "/vorschlaege/folgen/")
        .await;
    assert_eq!(app.submit(&link, &link, &[]).await.status(), 303);
});

// Answered for good (implemented, or declined with its reasons) and left so for the retention
// period: the author was told, and their address and phone number go. Followers keep following
// (they chose to, and each mail lets them stop); a proposal still open keeps its author's contact.
on_both_backends!(
    the_authors_contact_goes_once_a_proposal_was_settled_for_the_retention_period,
    |app| {
        let answered_at = Utc::now();
        let states = [
            ProposalStatus::Implemented,
            ProposalStatus::Declined,
            ProposalStatus::UnderReview,
        ];
        let published = proposals_in(&app, &states, answered_at).await;
        let contact = |id: i64| {
            let stored = stored_contact(&app, id);
            async move {
                let (_, address, phone) = stored.await;
                (address.is_some(), phone.is_some())
            }
        };

        let within = purge(&app.db, RETENTION, answered_at + Duration::days(89))
            .await
            .unwrap();
        assert_eq!(within.author_contacts, 0);
        let after = purge(&app.db, RETENTION, answered_at + Duration::days(91))
            .await
            .unwrap();
        assert_eq!((after.author_contacts, after.follows), (2, 0), "{after:?}");
        assert_eq!(contact(published[0]).await, (false, false));
        assert_eq!(contact(published[1]).await, (false, false));
        assert_eq!(contact(published[2]).await, (true, true), "still open");
        let follows = proposal_follow::Entity::find()
            .filter(proposal_follow::Column::ProposalId.is_in(published.clone()))
            .count(&app.db)
            .await
            .unwrap();
        assert_eq!(follows, 3);
    }
);
