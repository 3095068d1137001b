//! One support per person: a support given signed in and one by the mailed link with the account's
//! address count once, in either order and when the requests run in parallel, on both databases.
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use teilhabe::{
    db::entities::{proposal, user},
    domain::{Email, Language, proposal::ProposalStatus},
    services::proposals::SupportOutcome,
};

use crate::helpers::*;
use crate::on_both_backends;

const CITIZEN: &str = "buergerin@demo.teilhabe.example";

async fn public_proposals(app: &TestApp) -> Vec<i64> {
    proposal::Entity::find()
        .filter(proposal::Column::Status.eq(ProposalStatus::Published))
        .order_by_asc(proposal::Column::Id)
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.id)
        .collect()
}

/// Every support link mailed so far for this proposal's page, newest last.
async fn support_tokens(app: &TestApp) -> Vec<String> {
    app.mails()
        .await
        .iter()
        .flat_map(|m| {
            m.match_indices("/vorschlaege/unterstuetzen/")
                .map(|(at, prefix)| {
                    m[at + prefix.len()..]
                        .chars()
                        .take_while(|c| c.is_ascii_hexdigit())
                        .collect::<String>()
                })
                .collect::<Vec<_>>()
        })
        .filter(|t| t.len() == 64)
        .collect()
}

on_both_backends!(signed_in_and_by_link_count_once_per_person, |app| {
    let ids = public_proposals(&app).await;
    assert!(ids.len() >= 4, "demo data has public proposals");
    let desk = app.state().proposal_desk().supports();
    let citizen = user::Entity::find()
        .filter(user::Column::Email.eq(CITIZEN))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .id;
    let address = Email::parse(CITIZEN).unwrap();

    // Signed in first, then by link with the same address (in other letter case): counted once.
    let id = ids[0];
    let before = supports_count(&app, id).await;
    let outcome = desk.support(id, Some(citizen), None, Language::De).await;
    assert_eq!(outcome.unwrap(), SupportOutcome::Counted);
    let again = Email::parse("Buergerin@Demo.Teilhabe.Example").unwrap();
    let outcome = desk.support(id, None, Some(&again), Language::De).await;
    assert_eq!(outcome.unwrap(), SupportOutcome::AlreadySupported);
    for token in support_tokens(&app).await {
        let _ = desk.confirm_support(&token).await;
    }
    assert_eq!(supports_count(&app, id).await, before + 1);

    // By link first (not used yet), then signed in, then the link is used: counted once.
    let id = ids[1];
    let before = supports_count(&app, id).await;
    let outcome = desk.support(id, None, Some(&address), Language::De).await;
    assert_eq!(outcome.unwrap(), SupportOutcome::ConfirmationSent);
    let outcome = desk.support(id, Some(citizen), None, Language::De).await;
    assert_eq!(outcome.unwrap(), SupportOutcome::Counted);
    for token in support_tokens(&app).await {
        let _ = desk.confirm_support(&token).await;
    }
    assert_eq!(supports_count(&app, id).await, before + 1);
    let outcome = desk.support(id, Some(citizen), None, Language::De).await;
    assert_eq!(outcome.unwrap(), SupportOutcome::AlreadySupported);

    // In parallel: a pending link used 10 times while the person supports 10 times signed in and
    // asks 10 more times by link.
    let id = ids[2];
    let before = supports_count(&app, id).await;
    let outcome = desk.support(id, None, Some(&address), Language::De).await;
    assert_eq!(outcome.unwrap(), SupportOutcome::ConfirmationSent);
    let pending = support_tokens(&app).await;
    let token = pending.last().unwrap().clone();
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..30 {
        let (desk, token, address) = (desk.clone(), token.clone(), address.clone());
        tasks.spawn(async move {
            match n % 3 {
                0 => desk.confirm_support(&token).await.map(|_| ()),
                1 => desk
                    .support(id, Some(citizen), None, Language::De)
                    .await
                    .map(|_| ()),
                _ => desk
                    .support(id, None, Some(&address), Language::De)
                    .await
                    .map(|_| ()),
            }
        });
    }
    for result in tasks.join_all().await {
        // A link already turned into the account's support is unknown now; nothing else fails.
        if let Err(e) = result {
            assert!(
                matches!(e, teilhabe::services::proposals::ProposalError::NotFound),
                "{e:?}"
            );
        }
    }
    for token in support_tokens(&app).await {
        let _ = desk.confirm_support(&token).await;
    }
    assert_eq!(supports_count(&app, id).await, before + 1);

    // Through the pages as well: signed in, then by link from another browser.
    let other = ids[3];
    let before_other = supports_count(&app, other).await;
    assert_eq!(
        app.login(CITIZEN, "Demo-Buergerin-2026").await.status(),
        303
    );
    let page = format!("/vorschlaege/{other}");
    let action = format!("/vorschlaege/{other}/unterstuetzen");
    let res = app.submit(&page, &action, &[]).await;
    assert!(!res.status().is_server_error());
    let anonymous = spawn_app_client();
    let html = anonymous
        .get(app.url(&page))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let doc = scraper::Html::parse_document(&html);
    let csrf = select(&doc, "input[name=\"csrf_token\"]")[0]
        .value()
        .attr("value")
        .unwrap()
        .to_owned();
    let res = anonymous
        .post(app.url(&action))
        .form(&[("csrf_token", csrf.as_str()), ("email", CITIZEN)])
        .send()
        .await
        .unwrap();
    assert!(!res.status().is_server_error());
    for token in support_tokens(&app).await {
        let _ = desk.confirm_support(&token).await;
    }
    assert_eq!(supports_count(&app, other).await, before_other + 1);
});

fn spawn_app_client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

on_both_backends!(
    supports_from_before_the_address_rule_get_the_address_hash,
    |app| {
        use migration::MigratorTrait;
        use sea_orm::ActiveModelTrait;
        use sha2::Digest;
        use teilhabe::db::entities::proposal_support;
        let ids = public_proposals(&app).await;
        let desk = app.state().proposal_desk().supports();
        let citizen = user::Entity::find()
            .filter(user::Column::Email.eq(CITIZEN))
            .one(&app.db)
            .await
            .unwrap()
            .unwrap()
            .id;
        let outcome = desk
            .support(ids[0], Some(citizen), None, Language::De)
            .await;
        assert_eq!(outcome.unwrap(), SupportOutcome::Counted);
        let support = || async {
            proposal_support::Entity::find()
                .filter(proposal_support::Column::UserId.eq(citizen))
                .one(&app.db)
                .await
                .unwrap()
                .unwrap()
        };
        let expected = support()
            .await
            .email_hash
            .expect("recorded with the support");
        // As a support given before the rule was stored.
        let mut old: proposal_support::ActiveModel = support().await.into();
        old.email_hash = sea_orm::Set(None);
        old.update(&app.db).await.unwrap();

        let backfill = migration::Migrator::migrations()
            .into_iter()
            .find(|m| m.name() == "m20261202_000017_support_address_hashes")
            .expect("the migration exists");
        backfill
            .up(&migration::SchemaManager::new(&app.db))
            .await
            .unwrap();
        // The migration stores the plain hash of the time; the next start converts it to the
        // keyed one.
        let plain = hex::encode(sha2::Sha256::digest(CITIZEN.as_bytes()));
        assert_eq!(support().await.email_hash, Some(plain));
        teilhabe::startup::prepare_database(&app.settings)
            .await
            .expect("next start");
        assert_eq!(support().await.email_hash, Some(expected));

        // The same person by link with the account's address: not counted again.
        let address = Email::parse(CITIZEN).unwrap();
        let outcome = desk
            .support(ids[0], None, Some(&address), Language::De)
            .await;
        assert_eq!(outcome.unwrap(), SupportOutcome::AlreadySupported);
    }
);
