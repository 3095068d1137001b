//! Registration, address confirmation, login, password reset, address change; the
//! data download and account deletion are in [`personal_data`].
use argon2::{Argon2, PasswordHash, PasswordVerifier};
use chrono::{Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set, sea_query::Expr,
};

use super::{
    audit,
    proposals::{ProposalDesk, ProposalError},
    pseudonyms::Pseudonyms,
    sessions, throttle,
    users::{grant_role, hash_password, hash_password_blocking, insert_account},
};
use crate::{
    db::entities::{
        account_token, barrier_report, booking, course_alert, proposal_support, user, user_role,
    },
    domain::{
        Email, Language, PersonName, Role,
        account::{CurrentUser, RoleGrant},
        password::NewPassword,
    },
    mail::{self, compose::Composer},
    sealing::Sealer,
};

mod personal_data;
pub(crate) use personal_data::of_account;

pub use personal_data::{DeletionError, bookings_cancelled_on_deletion, delete_account, export};

const VERIFY_VALID: Duration = Duration::hours(48);
const RESET_VALID: Duration = Duration::hours(1);

pub const PURPOSE_VERIFY: &str = "verify_email";
pub const PURPOSE_RESET: &str = "reset_password";
pub const PURPOSE_CHANGE_EMAIL: &str = "change_email";
const CHANGE_VALID: Duration = Duration::hours(24);

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("e-mail address or password is wrong")]
    InvalidCredentials,
    #[error("the address is not confirmed yet")]
    NotVerified,
    #[error("the link is unknown, used or expired")]
    InvalidToken,
    #[error("the address belongs to another account")]
    AddressTaken,
    #[error("database: {0}")]
    Db(#[from] DbErr),
    #[error("{0}")]
    Internal(String),
}

impl From<anyhow::Error> for AccountError {
    fn from(e: anyhow::Error) -> Self {
        Self::Internal(format!("{e:#}"))
    }
}

/// A hash to verify against when the address is unknown, so the answer takes as long either way.
static DUMMY_HASH: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| hash_password("no account has this password").unwrap_or_default());

async fn email_taken(db: &impl ConnectionTrait, email: &str) -> Result<bool, DbErr> {
    Ok(user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .one(db)
        .await?
        .is_some())
}

pub async fn current_user(
    db: &impl ConnectionTrait,
    user_id: i32,
) -> Result<Option<CurrentUser>, DbErr> {
    let Some(found) = user::Entity::find_by_id(user_id).one(db).await? else {
        return Ok(None);
    };
    let grants = user_role::Entity::find()
        .filter(user_role::Column::UserId.eq(user_id))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|r| {
            Some(RoleGrant {
                role: Role::parse(&r.role).ok()?,
                organisation_id: r.organisation_id,
                district_key: r.district_key,
            })
        })
        .collect();
    Ok(Some(CurrentUser {
        id: found.id,
        email: found.email,
        display_name: found.display_name,
        grants,
    }))
}

async fn issue_token(
    db: &impl ConnectionTrait,
    user_id: i32,
    purpose: &str,
    valid: Duration,
) -> Result<String, DbErr> {
    let token = sessions::random_token();
    let now = Utc::now();
    account_token::ActiveModel {
        user_id: Set(user_id),
        purpose: Set(purpose.to_owned()),
        token_hash: Set(sessions::hash_token(&token)),
        new_email: Set(None),
        expires_at: Set(now + valid),
        used_at: Set(None),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(token)
}

/// Marks a token used (single use) and returns it, or fails when unknown, used or expired.
async fn redeem_token(
    db: &impl ConnectionTrait,
    token: &str,
    purpose: &str,
) -> Result<account_token::Model, AccountError> {
    let now = Utc::now();
    let found = account_token::Entity::find()
        .filter(account_token::Column::TokenHash.eq(sessions::hash_token(token)))
        .filter(account_token::Column::Purpose.eq(purpose))
        .one(db)
        .await?
        .ok_or(AccountError::InvalidToken)?;
    if found.used_at.is_some() || found.expires_at <= now {
        return Err(AccountError::InvalidToken);
    }
    let claimed = account_token::Entity::update_many()
        .col_expr(
            account_token::Column::UsedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(account_token::Column::Id.eq(found.id))
        .filter(account_token::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    if claimed.rows_affected != 1 {
        return Err(AccountError::InvalidToken);
    }
    Ok(found)
}

/// Holds `email` until the transaction ends, for a registration or an address change to it.
async fn take_address(txn: &crate::db::WriteTransaction, email: &str) -> Result<(), DbErr> {
    crate::db::lock_names(txn, crate::db::LockedNames::AccountAddresses, &[email]).await
}

pub struct Registration {
    pub email: Email,
    pub name: PersonName,
    pub password: NewPassword,
}

/// Creates an unconfirmed account and mails the confirmation link. For an address that already has an
/// account the answer is the same and that person gets a hint instead, so the form reveals nothing.
pub async fn register(
    db: &DatabaseConnection,
    composer: &Composer,
    lang: Language,
    registration: Registration,
) -> Result<(), AccountError> {
    let password = registration.password.expose().to_owned();
    let hash = hash_password_blocking(password)
        .await
        .map_err(|e| AccountError::Internal(e.to_string()))?;
    let txn = crate::db::begin_write(db).await?;
    // Two registrations of one address at the same moment (two tabs) take turns: the second finds
    // the first's account and gets the same answer, instead of failing on the unique index.
    take_address(&txn, registration.email.as_str()).await?;
    if email_taken(&txn, registration.email.as_str()).await? {
        let mail =
            composer.account_link(lang, &registration.email, "exists", "/passwort-vergessen")?;
        mail::enqueue(&txn, mail).await?;
        txn.commit().await?;
        return Ok(());
    }
    let now = Utc::now();
    let email = registration.email.as_str();
    let name = registration.name.as_str().to_owned();
    let created = insert_account(&txn, email, name, hash, None, now).await?;
    grant_role(&txn, created.id, Role::Citizen, None, None, now).await?;
    let token = issue_token(&txn, created.id, PURPOSE_VERIFY, VERIFY_VALID).await?;
    let mail = composer.account_link(
        lang,
        &registration.email,
        "verify",
        &format!("/konto/bestaetigen?token={token}"),
    )?;
    mail::enqueue(&txn, mail).await?;
    audit::record(
        &txn,
        Some(created.id),
        "account.registered",
        &format!("user:{}", created.id),
        "",
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Confirms a new account's address with the mailed link and the account's password. The link
/// alone proves only who reads the mailbox: someone else may have registered the address with a
/// password of their own, and its owner must not confirm an account that person signs in to. A
/// wrong password leaves the link valid.
pub async fn confirm_email(
    db: &DatabaseConnection,
    token: &str,
    password: &str,
) -> Result<Verified, AccountError> {
    let pending = unused_token(db, token, PURPOSE_VERIFY)
        .await?
        .ok_or(AccountError::InvalidToken)?;
    let hash = user::Entity::find_by_id(pending.user_id)
        .one(db)
        .await?
        .and_then(|u| u.password_hash);
    if !password_matches(hash.clone(), password).await? {
        return Err(AccountError::InvalidCredentials);
    }
    let txn = crate::db::begin_write(db).await?;
    let redeemed = redeem_token(&txn, token, PURPOSE_VERIFY).await?;
    let user_id = confirm_address(txn, redeemed.user_id, None, "account.confirmed").await?;
    Ok(Verified {
        user_id,
        password_hash: hash.unwrap_or_default(),
    })
}

/// Checks `password` against `hash` with argon2 off the async threads; without a hash the same
/// work is done against a dummy one, so the answer takes as long.
async fn password_matches(hash: Option<String>, password: &str) -> Result<bool, AccountError> {
    let known = hash.is_some();
    let hash = hash.unwrap_or_else(|| DUMMY_HASH.clone());
    let password = password.to_owned();
    let matches = tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash).is_ok_and(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
    })
    .await
    .map_err(|e| AccountError::Internal(e.to_string()))?;
    Ok(known && matches)
}

/// Marks the account's address (a new one, when given) as confirmed now, records `action` in the
/// audit log and commits.
async fn confirm_address(
    txn: crate::db::WriteTransaction,
    user_id: i32,
    new_email: Option<String>,
    action: &str,
) -> Result<i32, AccountError> {
    let mut update = user::Entity::update_many();
    if let Some(email) = new_email {
        update = update.col_expr(user::Column::Email, Expr::value(email));
    }
    update
        .col_expr(user::Column::EmailVerifiedAt, Expr::value(Utc::now()))
        .filter(user::Column::Id.eq(user_id))
        .exec(&txn)
        .await?;
    audit::record(&txn, Some(user_id), action, &format!("user:{user_id}"), "").await?;
    txn.commit().await?;
    Ok(user_id)
}

/// An account whose password was just checked, with the hash it was checked against.
///
/// Checking takes a while (argon2), and a password reset may end every session and link meanwhile.
/// What relies on the check (a new session, a link to change the address) is written only after
/// [`Verified::still_holds`] in the same transaction, so the reset comes either before, and the
/// write is refused, or after, and ends what was written.
pub struct Verified {
    pub user_id: i32,
    password_hash: String,
}

impl Verified {
    /// Whether the account still has the password that was checked, read without a lock: the form
    /// can say so before anything is recorded as a sign-in.
    pub async fn still_current(&self, db: &DatabaseConnection) -> Result<bool, DbErr> {
        Ok(self.with_checked_password().one(db).await?.is_some())
    }

    /// Whether the account still has the password that was checked; the account's row stays locked
    /// against a reset until `txn` ends.
    pub async fn still_holds(&self, txn: &DatabaseTransaction) -> Result<bool, DbErr> {
        Ok(self
            .with_checked_password()
            .lock_shared()
            .one(txn)
            .await?
            .is_some())
    }

    /// The account, if it still has the password that was checked.
    fn with_checked_password(&self) -> sea_orm::Select<user::Entity> {
        user::Entity::find_by_id(self.user_id)
            .filter(user::Column::PasswordHash.eq(self.password_hash.as_str()))
    }
}

/// Checks the password with argon2 (off the async threads); the same work is done for unknown addresses.
pub async fn authenticate(
    db: &DatabaseConnection,
    email: &Email,
    password: &str,
) -> Result<Verified, AccountError> {
    let found = user::Entity::find()
        .filter(user::Column::Email.eq(email.as_str()))
        .one(db)
        .await?;
    let hash = found.as_ref().and_then(|u| u.password_hash.clone());
    let matches = password_matches(hash, password).await?;
    match found {
        Some(u) if matches => {
            if u.email_verified_at.is_none() {
                return Err(AccountError::NotVerified);
            }
            Ok(Verified {
                user_id: u.id,
                password_hash: u.password_hash.unwrap_or_default(),
            })
        }
        _ => Err(AccountError::InvalidCredentials),
    }
}

/// Opens a session for an account whose password was just checked, unless a reset changed the
/// password since: a session opened with the old password must not outlive the reset.
pub async fn open_session(
    db: &DatabaseConnection,
    verified: &Verified,
    timeouts: &sessions::Timeouts,
) -> Result<Option<String>, DbErr> {
    let txn = crate::db::begin_write(db).await?;
    if !verified.still_holds(&txn).await? {
        return Ok(None);
    }
    let (token, _) = sessions::create(&*txn, Some(verified.user_id), None, timeouts).await?;
    txn.commit().await?;
    Ok(Some(token))
}

/// Mails a reset link when the address has an account; says nothing either way.
pub async fn request_password_reset(
    db: &DatabaseConnection,
    composer: &Composer,
    lang: Language,
    email: &Email,
) -> Result<(), AccountError> {
    let txn = crate::db::begin_write(db).await?;
    if let Some(found) = user::Entity::find()
        .filter(user::Column::Email.eq(email.as_str()))
        .one(&txn)
        .await?
    {
        let token = issue_token(&txn, found.id, PURPOSE_RESET, RESET_VALID).await?;
        let mail = composer.account_link(
            lang,
            email,
            "reset",
            &format!("/passwort-neu?token={token}"),
        )?;
        mail::enqueue(&txn, mail).await?;
        audit::record(
            &txn,
            Some(found.id),
            "account.reset_requested",
            &format!("user:{}", found.id),
            "",
        )
        .await?;
    }
    txn.commit().await?;
    Ok(())
}

pub async fn token_is_valid(
    db: &DatabaseConnection,
    token: &str,
    purpose: &str,
) -> Result<bool, DbErr> {
    Ok(unused_token(db, token, purpose).await?.is_some())
}

/// The link's token while it is unused and unexpired.
async fn unused_token(
    db: &DatabaseConnection,
    token: &str,
    purpose: &str,
) -> Result<Option<account_token::Model>, DbErr> {
    Ok(account_token::Entity::find()
        .filter(account_token::Column::TokenHash.eq(sessions::hash_token(token)))
        .filter(account_token::Column::Purpose.eq(purpose))
        .one(db)
        .await?
        .filter(|t| t.used_at.is_none() && t.expires_at > Utc::now()))
}

/// The address of the account a valid reset link belongs to, so the new password can be checked
/// against it.
pub async fn reset_email(db: &DatabaseConnection, token: &str) -> Result<Option<String>, DbErr> {
    let Some(found) = unused_token(db, token, PURPOSE_RESET).await? else {
        return Ok(None);
    };
    Ok(user::Entity::find_by_id(found.user_id)
        .one(db)
        .await?
        .map(|u| u.email))
}

/// Sets the new password, confirms the address (the link proved it), ends every session and makes
/// every other link of the account useless: an older reset mail must not reset it again, and an
/// address change asked for by whoever knew the old password must not go through.
pub async fn reset_password(
    db: &DatabaseConnection,
    token: &str,
    password: NewPassword,
) -> Result<i32, AccountError> {
    let secret = password.expose().to_owned();
    let hash = hash_password_blocking(secret)
        .await
        .map_err(|e| AccountError::Internal(e.to_string()))?;
    let txn = crate::db::begin_write(db).await?;
    let redeemed = redeem_token(&txn, token, PURPOSE_RESET).await?;
    let found = user::Entity::find_by_id(redeemed.user_id)
        .one(&txn)
        .await?
        .ok_or(AccountError::InvalidToken)?;
    let verified = found.email_verified_at.unwrap_or_else(Utc::now);
    let mut update: user::ActiveModel = found.into();
    update.password_hash = Set(Some(hash));
    update.email_verified_at = Set(Some(verified));
    update.update(&txn).await?;
    account_token::Entity::update_many()
        .col_expr(
            account_token::Column::UsedAt,
            sea_orm::sea_query::Expr::value(Utc::now()),
        )
        .filter(account_token::Column::UserId.eq(redeemed.user_id))
        .filter(account_token::Column::UsedAt.is_null())
        .exec(&txn)
        .await?;
    sessions::delete_all_for_user(&txn, redeemed.user_id).await?;
    audit::record(
        &txn,
        Some(redeemed.user_id),
        "account.password_reset",
        &format!("user:{}", redeemed.user_id),
        "sessions revoked",
    )
    .await?;
    txn.commit().await?;
    Ok(redeemed.user_id)
}

/// Tells the owner of the account for `email` (if there is one) that sign-in attempts were stopped,
/// at most once an hour, with the way to a new password.
pub async fn tell_of_blocked_sign_in(
    db: &DatabaseConnection,
    composer: &Composer,
    pseudonyms: &Pseudonyms,
    email: &Email,
) -> anyhow::Result<()> {
    let bucket = pseudonyms.throttle_bucket("login-blocked-mail", email.as_str());
    if throttle::take(db, &[(&bucket, throttle::LOGIN_BLOCKED_MAIL)])
        .await?
        .is_some()
    {
        return Ok(());
    }
    let owner = user::Entity::find()
        .filter(user::Column::Email.eq(email.as_str()))
        .one(db)
        .await?;
    if owner.is_some() {
        let mail =
            composer.account_link(Language::De, email, "login-blocked", "/passwort-vergessen")?;
        mail::enqueue(db, mail).await?;
    }
    Ok(())
}

/// Checks the current password, then mails a confirmation link to the new address; the address changes
/// only when that link is used. The old address is told, so a hijacked session cannot quietly take over.
pub async fn request_email_change(
    db: &DatabaseConnection,
    composer: &Composer,
    lang: Language,
    user: &CurrentUser,
    new_email: &Email,
    password: &str,
) -> Result<(), AccountError> {
    let current = Email::parse(&user.email).map_err(|e| AccountError::Internal(e.to_owned()))?;
    let verified = authenticate(db, &current, password).await?;
    if email_taken(db, new_email.as_str()).await? {
        // The same answer as for a free address, so the form does not reveal who has an account; the
        // address's owner is told instead, as on registration.
        let mail =
            composer.account_link(lang, new_email, "change-exists", "/passwort-vergessen")?;
        mail::enqueue(db, mail).await?;
        return Ok(());
    }
    let txn = crate::db::begin_write(db).await?;
    if !verified.still_holds(&txn).await? {
        return Err(AccountError::InvalidCredentials);
    }
    let token = issue_token(&txn, user.id, PURPOSE_CHANGE_EMAIL, CHANGE_VALID).await?;
    account_token::Entity::update_many()
        .col_expr(
            account_token::Column::NewEmail,
            sea_orm::sea_query::Expr::value(new_email.as_str()),
        )
        .filter(account_token::Column::TokenHash.eq(sessions::hash_token(&token)))
        .exec(&txn)
        .await?;
    let mail = composer.account_link(
        lang,
        new_email,
        "change",
        &format!("/konto/email-bestaetigen?token={token}"),
    )?;
    mail::enqueue(&txn, mail).await?;
    let notice = composer.account_link(lang, &current, "change-notice", "/passwort-vergessen")?;
    mail::enqueue(&txn, notice).await?;
    audit::record(
        &txn,
        Some(user.id),
        "account.email_change_requested",
        &format!("user:{}", user.id),
        new_email.domain(),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Confirms an address change by its link; what the person keeps under the old address moves
/// along (see [`move_address_data`]).
pub async fn confirm_email_change(
    db: &DatabaseConnection,
    pseudonyms: &Pseudonyms,
    proposals: &ProposalDesk,
    token: &str,
) -> Result<i32, AccountError> {
    let txn = crate::db::begin_write(db).await?;
    let redeemed = redeem_token(&txn, token, PURPOSE_CHANGE_EMAIL).await?;
    // The account first, as its deletion and a follow lock it first: one order, no deadlock with
    // them over the follows and proposals moved below.
    user::Entity::find_by_id(redeemed.user_id)
        .lock_exclusive()
        .one(&*txn)
        .await?
        .ok_or(AccountError::InvalidToken)?;
    let new_email = redeemed
        .new_email
        .clone()
        .ok_or(AccountError::InvalidToken)?;
    take_address(&txn, new_email.as_str()).await?;
    if email_taken(&txn, new_email.as_str()).await? {
        return Err(AccountError::AddressTaken);
    }
    // Reset links mailed to the old address must not reach the account any more.
    account_token::Entity::update_many()
        .col_expr(account_token::Column::UsedAt, Expr::value(Utc::now()))
        .filter(account_token::Column::UserId.eq(redeemed.user_id))
        .filter(account_token::Column::Purpose.eq(PURPOSE_RESET))
        .filter(account_token::Column::UsedAt.is_null())
        .exec(&txn)
        .await?;
    move_address_data(&txn, pseudonyms, proposals, redeemed.user_id, &new_email).await?;
    confirm_address(
        txn,
        redeemed.user_id,
        Some(new_email),
        "account.email_changed",
    )
    .await
}

/// What the person keeps under their address moves to the new one: follows of proposals (the
/// answers were mailed to the old address, perhaps a former work address read by someone else now)
/// and proposals they handed in, with or without the account (both with new links, see
/// [`ProposalDesk::move_to_address`]), the supports given by the mailed link, course alerts for the
/// address, and bookings. The data download and the account's deletion find them by the current
/// address.
async fn move_address_data(
    txn: &impl ConnectionTrait,
    pseudonyms: &Pseudonyms,
    proposals: &ProposalDesk,
    user_id: i32,
    new_email: &str,
) -> Result<(), AccountError> {
    let Some(old) = user::Entity::find_by_id(user_id).one(txn).await? else {
        return Ok(());
    };
    proposals
        .move_to_address(txn, user_id, &old.email, new_email)
        .await
        .map_err(|e| match e {
            ProposalError::Db(e) => AccountError::Db(e),
            other => AccountError::Internal(other.to_string()),
        })?;
    crate::services::course_alerts::move_to_address(txn, user_id, &old.email, new_email).await?;
    move_bookings(txn, &pseudonyms.sealer(), user_id, &old.email, new_email).await?;
    // Barrier reports sent with the old address: the answer goes to the new one, and the data
    // download and the account's deletion find them under it.
    barrier_report::Entity::update_many()
        .col_expr(
            barrier_report::Column::ContactEmail,
            Expr::value(new_email.to_owned()),
        )
        .filter(barrier_report::Column::ContactEmail.eq(old.email.as_str()))
        .exec(txn)
        .await?;
    Ok(move_supports(txn, pseudonyms, user_id, &old.email, new_email).await?)
}

/// Bookings with the old address, made with the account or by nobody signed in: their reminders,
/// offers of a place and changes would go on to the old address, each with the booking's link to
/// see and cancel it. Each booking gets a new link (see `booking::change_address`); the account
/// lists them with it.
async fn move_bookings(
    txn: &impl ConnectionTrait,
    sealer: &Sealer,
    user_id: i32,
    old_email: &str,
    new_email: &str,
) -> Result<(), DbErr> {
    let moving = booking::Entity::find()
        .filter(booking::Column::Email.eq(old_email))
        .filter(
            sea_orm::Condition::any()
                .add(booking::Column::UserId.eq(user_id))
                .add(booking::Column::UserId.is_null()),
        )
        .filter(booking::Column::AnonymisedAt.is_null())
        .order_by_asc(booking::Column::Id)
        // Locked: a staff correction of one of them at the same moment gives it a new link, and
        // its queued mail would be relinked from the one read here.
        .lock_exclusive()
        .all(txn)
        .await?;
    for found in moving {
        crate::services::booking::change_address(txn, sealer, &found, new_email).await?;
    }
    Ok(())
}

/// Supports kept under the old address's pseudonym (by link, or by the account, which records its
/// address too) take the new one: the old pseudonym would still tie them to anyone who knows the
/// old address, account deletion would not find them, and the person could support once more by
/// the new address. Where the new address has a row of its own for the same proposal, one of the
/// two goes: an unconfirmed row never counted, so deleting it changes no count; where both were
/// confirmed, or the new address's row is another account's (from when it had that address), the
/// old one keeps counting without any address, as when keyed hashes came in.
async fn move_supports(
    txn: &impl ConnectionTrait,
    pseudonyms: &Pseudonyms,
    user_id: i32,
    old_email: &str,
    new_email: &str,
) -> Result<(), DbErr> {
    // The account's own or by link: a row of another account that once had the address stays.
    let this_person = || {
        sea_orm::Condition::any()
            .add(proposal_support::Column::UserId.eq(user_id))
            .add(proposal_support::Column::UserId.is_null())
    };
    let new_hash = pseudonyms.support_address(new_email);
    // An old instance during a rolling update may have stored the plain hash.
    let old_hashes = [
        pseudonyms.support_address(old_email),
        sessions::hash_token(old_email),
    ];
    let moving = proposal_support::Entity::find()
        .filter(proposal_support::Column::EmailHash.is_in(old_hashes))
        .filter(this_person())
        .order_by_asc(proposal_support::Column::Id)
        .all(txn)
        .await?;
    for row in moving {
        let at_new = proposal_support::Entity::find()
            .filter(proposal_support::Column::ProposalId.eq(row.proposal_id))
            .filter(proposal_support::Column::EmailHash.eq(new_hash.as_str()))
            .one(txn)
            .await?;
        // Rows read as unconfirmed may be confirmed by their link at this moment: they are deleted
        // only if still unconfirmed (the statement waits for the confirmation and looks again), and
        // otherwise count on like any confirmed row.
        let hash = match at_new {
            None => Some(new_hash.clone()),
            // Another account's, from when it had the new address: left alone.
            Some(theirs) if theirs.user_id.is_some_and(|other| other != user_id) => None,
            Some(at_new)
                if at_new.confirmed_at.is_none() && delete_unconfirmed(txn, at_new.id).await? =>
            {
                Some(new_hash.clone())
            }
            Some(_) if row.confirmed_at.is_none() && delete_unconfirmed(txn, row.id).await? => {
                continue;
            }
            Some(_) => None,
        };
        proposal_support::Entity::update_many()
            .col_expr(proposal_support::Column::EmailHash, Expr::value(hash))
            .filter(proposal_support::Column::Id.eq(row.id))
            .exec(txn)
            .await?;
    }
    Ok(())
}

/// Deletes a support that never counted; `false` when it was confirmed meanwhile (and stays).
async fn delete_unconfirmed(txn: &impl ConnectionTrait, id: i64) -> Result<bool, DbErr> {
    Ok(proposal_support::Entity::delete_many()
        .filter(proposal_support::Column::Id.eq(id))
        .filter(proposal_support::Column::ConfirmedAt.is_null())
        .exec(txn)
        .await?
        .rows_affected
        == 1)
}

/// The language the person chose for their mails, if they chose one.
pub async fn mail_language(
    db: &impl ConnectionTrait,
    user_id: i32,
) -> Result<Option<Language>, DbErr> {
    Ok(user::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .and_then(|u| u.language)
        .and_then(|code| Language::from_code(&code)))
}

/// Stores the language of the person's mails, and uses it from now on for the mails about the
/// bookings they made with the account (reminders, changes, cancellations) and for its course alerts.
pub async fn set_mail_language(
    db: &DatabaseConnection,
    user_id: i32,
    language: Language,
) -> Result<(), DbErr> {
    let txn = crate::db::begin_write(db).await?;
    user::Entity::update_many()
        .col_expr(user::Column::Language, Expr::value(language.code()))
        .filter(user::Column::Id.eq(user_id))
        .exec(&txn)
        .await?;
    booking::Entity::update_many()
        .col_expr(booking::Column::Language, Expr::value(language.code()))
        .filter(booking::Column::UserId.eq(user_id))
        .exec(&txn)
        .await?;
    course_alert::Entity::update_many()
        .col_expr(course_alert::Column::Language, Expr::value(language.code()))
        .filter(course_alert::Column::UserId.eq(user_id))
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        Some(user_id),
        "account.language",
        &format!("user:{user_id}"),
        language.code(),
    )
    .await?;
    txn.commit().await
}
