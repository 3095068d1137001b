//! What a person does with their account while something else changes it at the same moment: a
//! password reset, an address change, the account's deletion. PostgreSQL only: on SQLite every
//! write waits for the one before (`db::begin_write`), so most of these interleavings cannot happen
//! there. A sign-in checks the password before its write, so it can meet a reset on SQLite too;
//! its write checks again that the password is still the one it checked (`Verified::still_holds`).
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter,
};
use teilhabe::db::entities::{account_token, user};

use crate::helpers::*;

use crate::helpers::CITIZEN;

async fn citizen_id(app: &TestApp) -> i32 {
    user::Entity::find()
        .filter(user::Column::Email.eq(CITIZEN.0))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .id
}

/// A password reset in flight: its transaction holds the account's row. [`reset_and_commit`]
/// finishes it the way `accounts::reset_password` does.
async fn reset_begun(app: &TestApp, user_id: i32) -> DatabaseTransaction {
    crate::helpers::holding(
        &app.db,
        &format!("SELECT id FROM users WHERE id = {user_id} FOR UPDATE"),
    )
    .await
}

/// The rest of the reset: a new password, every link of the account used up, every session ended.
async fn reset_and_commit(holding: DatabaseTransaction, user_id: i32) {
    for statement in [
        format!("UPDATE users SET password_hash = 'reset' WHERE id = {user_id}"),
        format!(
            "UPDATE account_tokens SET used_at = now() WHERE user_id = {user_id} AND used_at IS NULL"
        ),
        format!("DELETE FROM sessions WHERE user_id = {user_id}"),
    ] {
        holding.execute_unprepared(&statement).await.unwrap();
    }
    holding.commit().await.unwrap();
}

/// Someone who knows the old password signs in while the owner resets it. The sign-in checked the
/// old password before the reset committed and opened its session after the reset had ended every
/// session: the reset that should have shut them out let them stay.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_in_with_the_old_password_does_not_outlive_a_reset_on_postgres() {
    let Some(app) = spawn_app(Backend::Postgres, Default::default()).await else {
        return;
    };
    let user_id = citizen_id(&app).await;
    let reset = reset_begun(&app, user_id).await;
    let signing_in = app.login(CITIZEN.0, CITIZEN.1);
    let resetting = async {
        until_someone_waits_for_a_lock(&app.db).await;
        reset_and_commit(reset, user_id).await;
    };
    let (signed_in, ()) = tokio::join!(signing_in, resetting);
    assert_eq!(signed_in.status(), 303);

    let account = app.get("/konto").await;
    assert_ne!(
        account.status(),
        200,
        "the old password's session survived the reset"
    );
    let sessions = teilhabe::db::entities::session::Entity::find()
        .filter(teilhabe::db::entities::session::Column::UserId.eq(user_id))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(sessions, 0);
}

/// Someone signed in with the old password asks to move the account to their own address while the
/// owner resets the password. The reset used up every link of the account, but the change's link
/// was written after it and stayed valid: whoever used it took the account over.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_address_change_asked_for_during_a_reset_is_refused_on_postgres() {
    let Some(app) = spawn_app(Backend::Postgres, Default::default()).await else {
        return;
    };
    let user_id = citizen_id(&app).await;
    app.login(CITIZEN.0, CITIZEN.1).await;
    let reset = reset_begun(&app, user_id).await;
    let changing = app.submit(
        "/konto/email",
        "/konto/email",
        &[("email", "uebernahme@example.org"), ("password", CITIZEN.1)],
    );
    let resetting = async {
        until_someone_waits_for_a_lock(&app.db).await;
        reset_and_commit(reset, user_id).await;
    };
    let (changed, ()) = tokio::join!(changing, resetting);
    // The password checked is no longer the account's: the form says so.
    assert_eq!(changed.status(), 422);

    let usable_links = account_token::Entity::find()
        .filter(account_token::Column::UserId.eq(user_id))
        .filter(account_token::Column::UsedAt.is_null())
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(
        usable_links, 0,
        "a link to change the address outlived the reset"
    );
    assert!(
        app.mails()
            .await
            .iter()
            .all(|m| !m.contains("/konto/email-bestaetigen?token=")),
        "the new address was sent a link"
    );
}

/// The person follows a proposal in one tab while deleting the account in another. The deletion
/// had removed the address's follows before the follow committed, so the follow stayed, and
/// updates kept going to the address of an account that no longer exists.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follow_made_while_the_account_is_deleted_does_not_stay_on_postgres() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use teilhabe::{db::entities::proposal, domain::proposal::ProposalStatus};
    let Some(app) = spawn_app(Backend::Postgres, Default::default()).await else {
        return;
    };
    let user_id = citizen_id(&app).await;
    let public: Vec<i64> = proposal::Entity::find()
        .filter(proposal::Column::Status.eq(ProposalStatus::Published))
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.id)
        .collect();
    let (supported, followed) = (public[0], public[1]);
    app.login(CITIZEN.0, CITIZEN.1).await;
    let page = format!("/vorschlaege/{supported}");
    let res = app
        .submit(
            &page,
            &format!("/vorschlaege/{supported}/unterstuetzen"),
            &[],
        )
        .await;
    assert!(res.status().is_redirection(), "{}", res.status());

    // Someone else's change holds the person's support, so the deletion stops there, after it
    // removed the follows.
    let holding = crate::helpers::holding(
        &app.db,
        &format!("SELECT id FROM proposal_supports WHERE user_id = {user_id} FOR UPDATE"),
    )
    .await;
    let followed_done = AtomicBool::new(false);
    let deleting = app.submit("/konto/loeschen", "/konto/loeschen", &[]);
    let following = async {
        until_someone_waits_for_a_lock(&app.db).await;
        let page = format!("/vorschlaege/{followed}");
        let res = app
            .submit(&page, &format!("/vorschlaege/{followed}/folgen"), &[])
            .await;
        followed_done.store(true, Ordering::SeqCst);
        res
    };
    let releasing = async {
        let started = std::time::Instant::now();
        // The follow either went through or waits for the deletion.
        while !followed_done.load(Ordering::SeqCst) && waiting_for_locks(&app.db).await < 2 {
            assert!(started.elapsed() < PATIENCE, "neither followed nor waiting");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        holding.commit().await.unwrap();
    };
    let (deleted, follow, ()) = tokio::join!(deleting, following, releasing);
    assert_eq!(deleted.headers()["location"], "/konto/geloescht");
    assert!(!follow.status().is_server_error(), "{}", follow.status());
    let follows = teilhabe::db::entities::proposal_follow::Entity::find()
        .filter(teilhabe::db::entities::proposal_follow::Column::Email.eq(CITIZEN.0))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(follows, 0, "a follow outlived the account");
}

/// The feedback invitations of a date that just ended go out while a participant deletes their
/// account. The invitations read the participant's booking before the deletion took its address
/// and committed after the deletion had removed every mail to it: the invitation stayed queued
/// for an account that no longer exists.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_feedback_invitation_is_queued_for_an_account_being_deleted_on_postgres() {
    use chrono::Utc;
    use teilhabe::{
        db::entities::{offer_date, outbox},
        domain::booking::{BookingRequest, Channel},
    };
    let Some(app) = spawn_app(Backend::Postgres, Default::default()).await else {
        return;
    };
    let user_id = citizen_id(&app).await;
    // A date without later sessions, booked by the person, that has just ended.
    let dates = offer_date::Entity::find()
        .filter(offer_date::Column::StartsAt.gt(Utc::now()))
        .filter(offer_date::Column::SeriesLeadId.is_null())
        .all(&app.db)
        .await
        .unwrap();
    let date_id = dates
        .iter()
        .map(|d| d.id)
        .find(|id| dates.iter().all(|d| d.series_lead_id != Some(*id)))
        .unwrap();
    let mut request =
        BookingRequest::parse("Erika Demo", CITIZEN.0, "", "1", Channel::Online).unwrap();
    request.user_id = Some(user_id);
    app.desk().book(date_id, request, Utc::now()).await.unwrap();
    app.db
        .execute_unprepared(&format!(
            "UPDATE offer_dates SET starts_at = now() - interval '3 hours', \
             ends_at = now() - interval '2 hours' WHERE id = {date_id} OR series_lead_id = {date_id}"
        ))
        .await
        .unwrap();
    // The person's support, which someone else's change holds: the deletion stops there, after
    // it took the bookings' addresses and removed the mail to the address.
    app.login(CITIZEN.0, CITIZEN.1).await;
    let supported = teilhabe::db::entities::proposal::Entity::find()
        .filter(
            teilhabe::db::entities::proposal::Column::Status
                .eq(teilhabe::domain::proposal::ProposalStatus::Published),
        )
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .id;
    let page = format!("/vorschlaege/{supported}");
    app.submit(&page, &format!("{page}/unterstuetzen"), &[])
        .await;
    let holding = crate::helpers::holding(
        &app.db,
        &format!("SELECT id FROM proposal_supports WHERE user_id = {user_id} FOR UPDATE"),
    )
    .await;
    let invited = std::sync::atomic::AtomicBool::new(false);
    let deleting = app.submit("/konto/loeschen", "/konto/loeschen", &[]);
    let inviting = async {
        until_someone_waits_for_a_lock(&app.db).await;
        let desk = app.state().feedback_desk();
        desk.invite_after_dates(Utc::now()).await.unwrap();
        invited.store(true, std::sync::atomic::Ordering::SeqCst);
    };
    let releasing = async {
        until_someone_waits_for_a_lock(&app.db).await;
        let started = std::time::Instant::now();
        // The invitations either went out or wait for the deletion.
        while !invited.load(std::sync::atomic::Ordering::SeqCst)
            && waiting_for_locks(&app.db).await < 2
        {
            assert!(started.elapsed() < PATIENCE, "neither invited nor waiting");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        holding.commit().await.unwrap();
    };
    let (deleted, _, ()) = tokio::join!(deleting, inviting, releasing);
    assert_eq!(deleted.headers()["location"], "/konto/geloescht");
    let queued = outbox::Entity::find()
        .filter(outbox::Column::Recipient.eq(CITIZEN.0))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(queued, 0, "mail was queued for the deleted account");
}

/// The person follows a proposal they handed in while confirming an address change in another
/// tab. The follow locks the account, then the proposal; the address change moves the proposal
/// (a new private link) and changes the account. Locked in the other order, the two deadlocked
/// and one of them failed. Here another change holds the account until both wait for it; the
/// follow, first in line, goes first and the address change after it, and the new follow moves to
/// the new address with the rest.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follow_during_an_address_change_does_not_deadlock_on_postgres() {
    use teilhabe::{
        db::entities::{proposal, proposal_follow},
        domain::proposal::ProposalStatus,
    };
    let Some(app) = spawn_app(Backend::Postgres, Default::default()).await else {
        return;
    };
    let user_id = citizen_id(&app).await;
    let own = proposal::Entity::find()
        .filter(proposal::Column::Status.eq(ProposalStatus::Published))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .id;
    app.db
        .execute_unprepared(&format!(
            "UPDATE proposals SET author_user_id = {user_id}, author_email = '{}' WHERE id = {own}",
            CITIZEN.0
        ))
        .await
        .unwrap();
    app.login(CITIZEN.0, CITIZEN.1).await;
    let new = "buergerin.neu@example.de";
    let (link, token) = ask_for_address_change(&app, CITIZEN.1, new).await;

    let holding = crate::helpers::holding(
        &app.db,
        &format!("SELECT id FROM users WHERE id = {user_id} FOR UPDATE"),
    )
    .await;
    let (page, action) = (
        format!("/vorschlaege/{own}"),
        format!("/vorschlaege/{own}/folgen"),
    );
    let following = app.submit(&page, &action, &[]);
    let confirming = async {
        until_someone_waits_for_a_lock(&app.db).await;
        app.submit(&link, "/konto/email-bestaetigen", &[("token", &token)])
            .await
    };
    let releasing = async {
        until_waiting_for_locks(&app.db, 2).await;
        holding.commit().await.unwrap();
    };
    let (follow, confirm, ()) = tokio::join!(following, confirming, releasing);
    assert!(follow.status().is_redirection(), "{}", follow.status());
    assert_eq!(confirm.status(), 200);
    let follows: Vec<String> = proposal_follow::Entity::find()
        .filter(proposal_follow::Column::ProposalId.eq(own))
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|f| f.email)
        .collect();
    assert_eq!(follows, [new]);
}

/// The person changes their address. A support given by link with the new address, not yet
/// confirmed, goes (the old address's confirmed support takes the new address). Its link is used
/// at that very moment: the change read the row as unconfirmed and deleted it after the
/// confirmation committed, so a support the proposal counted was gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_support_confirmed_while_the_address_changes_stays_on_postgres() {
    use sea_orm::{ActiveModelTrait, Set};
    use teilhabe::db::entities::{proposal, proposal_support};
    let Some(app) = spawn_app(Backend::Postgres, Default::default()).await else {
        return;
    };
    let user_id = citizen_id(&app).await;
    let new_address = "neue.adresse@example.de";
    let proposal_id = proposal::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .id;
    let pseudonyms = app.state().pseudonyms;
    let support =
        |hash: String, user: Option<i32>, confirmed: bool| proposal_support::ActiveModel {
            proposal_id: Set(proposal_id),
            user_id: Set(user),
            email_hash: Set(Some(hash)),
            confirm_token_hash: Set((!confirmed).then(|| "link-of-the-new-address".to_owned())),
            confirmed_at: Set(confirmed.then(chrono::Utc::now)),
            created_at: Set(chrono::Utc::now()),
            ..Default::default()
        };
    support(pseudonyms.support_address(CITIZEN.0), Some(user_id), true)
        .insert(&app.db)
        .await
        .unwrap();
    let by_link = support(pseudonyms.support_address(new_address), None, false)
        .insert(&app.db)
        .await
        .unwrap();

    assert_eq!(app.login(CITIZEN.0, CITIZEN.1).await.status(), 303);
    let (link, token) = ask_for_address_change(&app, CITIZEN.1, new_address).await;
    // The link's confirmation, begun and holding the row.
    let confirming = crate::helpers::holding(
        &app.db,
        &format!(
            "UPDATE proposal_supports SET confirmed_at = now(), confirm_token_hash = NULL \
             WHERE id = {}",
            by_link.id
        ),
    )
    .await;
    let changing = {
        let mut form: Vec<(String, String)> = app.hidden_fields(&link).await;
        form.retain(|(name, _)| name != "token");
        form.push(("token".into(), token));
        let request = app
            .client
            .post(app.url("/konto/email-bestaetigen"))
            .form(&form);
        tokio::spawn(async move { request.send().await.unwrap().status().as_u16() })
    };
    crate::helpers::until_someone_waits_for_a_lock(&app.db).await;
    confirming.commit().await.unwrap();
    assert_eq!(changing.await.unwrap(), 200);

    let kept = proposal_support::Entity::find_by_id(by_link.id)
        .one(&app.db)
        .await
        .unwrap();
    assert!(
        kept.is_some_and(|s| s.confirmed_at.is_some()),
        "the confirmed support still counts"
    );
    assert_eq!(
        user::Entity::find_by_id(user_id)
            .one(&app.db)
            .await
            .unwrap()
            .unwrap()
            .email,
        new_address
    );
}
