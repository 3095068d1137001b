//! Registration, address confirmation, login, password reset, data export and account deletion.
use argon2::{Argon2, PasswordHash, PasswordVerifier};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QuerySelect, Set, TransactionTrait,
    sea_query::{Expr, ExprTrait},
};
use serde_json::json;

use super::{
    audit,
    booking::{BookingError, Desk},
    sessions, throttle,
    users::{hash_password, hash_password_blocking},
};
use crate::{
    db::entities::{
        account_token, barrier_report, booking, course_alert, offer_date, outbox, proposal,
        proposal_follow, proposal_support, user, user_role, volunteer_feed, volunteer_hours,
        volunteer_shift, volunteer_signup,
    },
    domain::{
        Email, Language, PersonName, Role,
        account::{CurrentUser, RoleGrant},
        booking::BookingStatus,
        password::NewPassword,
    },
    mail::{
        self,
        compose::{BookingMail, Composer},
    },
};

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
    let txn = db.begin().await?;
    if email_taken(&txn, registration.email.as_str()).await? {
        let mail =
            composer.account_link(lang, &registration.email, "exists", "/passwort-vergessen")?;
        mail::enqueue(&txn, mail).await?;
        txn.commit().await?;
        return Ok(());
    }
    let now = Utc::now();
    let created = user::ActiveModel {
        email: Set(registration.email.to_string()),
        display_name: Set(registration.name.as_str().to_owned()),
        password_hash: Set(Some(hash)),
        email_verified_at: Set(None),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    user_role::ActiveModel {
        user_id: Set(created.id),
        role: Set(Role::Citizen.as_str().to_owned()),
        organisation_id: Set(None),
        district_key: Set(None),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
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

pub async fn confirm_email(db: &DatabaseConnection, token: &str) -> Result<i32, AccountError> {
    let txn = db.begin().await?;
    let redeemed = redeem_token(&txn, token, PURPOSE_VERIFY).await?;
    user::Entity::update_many()
        .col_expr(
            user::Column::EmailVerifiedAt,
            sea_orm::sea_query::Expr::value(Utc::now()),
        )
        .filter(user::Column::Id.eq(redeemed.user_id))
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        Some(redeemed.user_id),
        "account.confirmed",
        &format!("user:{}", redeemed.user_id),
        "",
    )
    .await?;
    txn.commit().await?;
    Ok(redeemed.user_id)
}

/// Checks the password with argon2 (off the async threads); the same work is done for unknown addresses.
pub async fn authenticate(
    db: &DatabaseConnection,
    email: &Email,
    password: &str,
) -> Result<i32, AccountError> {
    let found = user::Entity::find()
        .filter(user::Column::Email.eq(email.as_str()))
        .one(db)
        .await?;
    let hash = found
        .as_ref()
        .and_then(|u| u.password_hash.clone())
        .unwrap_or_else(|| DUMMY_HASH.clone());
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
    match found {
        Some(u) if matches && u.password_hash.is_some() => {
            if u.email_verified_at.is_none() {
                return Err(AccountError::NotVerified);
            }
            Ok(u.id)
        }
        _ => Err(AccountError::InvalidCredentials),
    }
}

/// Mails a reset link when the address has an account; says nothing either way.
pub async fn request_password_reset(
    db: &DatabaseConnection,
    composer: &Composer,
    lang: Language,
    email: &Email,
) -> Result<(), AccountError> {
    let txn = db.begin().await?;
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
    Ok(account_token::Entity::find()
        .filter(account_token::Column::TokenHash.eq(sessions::hash_token(token)))
        .filter(account_token::Column::Purpose.eq(purpose))
        .one(db)
        .await?
        .is_some_and(|t| t.used_at.is_none() && t.expires_at > Utc::now()))
}

/// The address of the account a valid reset link belongs to, so the new password can be checked
/// against it.
pub async fn reset_email(db: &DatabaseConnection, token: &str) -> Result<Option<String>, DbErr> {
    let Some(found) = account_token::Entity::find()
        .filter(account_token::Column::TokenHash.eq(sessions::hash_token(token)))
        .filter(account_token::Column::Purpose.eq(PURPOSE_RESET))
        .one(db)
        .await?
        .filter(|t| t.used_at.is_none() && t.expires_at > Utc::now())
    else {
        return Ok(None);
    };
    Ok(user::Entity::find_by_id(found.user_id)
        .one(db)
        .await?
        .map(|u| u.email))
}

/// Sets the new password, confirms the address (the link proved it), ends every session and makes
/// every other reset link of the account useless (an older mail must not reset it again).
pub async fn reset_password(
    db: &DatabaseConnection,
    token: &str,
    password: NewPassword,
) -> Result<i32, AccountError> {
    let secret = password.expose().to_owned();
    let hash = hash_password_blocking(secret)
        .await
        .map_err(|e| AccountError::Internal(e.to_string()))?;
    let txn = db.begin().await?;
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
        .filter(account_token::Column::Purpose.eq(PURPOSE_RESET))
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

/// Everything stored about a person, for the GDPR download (Art. 15 and 20).
pub async fn export(db: &DatabaseConnection, user_id: i32) -> Result<serde_json::Value, DbErr> {
    let Some(found) = user::Entity::find_by_id(user_id).one(db).await? else {
        return Ok(json!({}));
    };
    let roles: Vec<_> = user_role::Entity::find()
        .filter(user_role::Column::UserId.eq(user_id))
        .all(db)
        .await?
        .into_iter()
        .map(|r| json!({ "role": r.role, "organisation_id": r.organisation_id, "district": r.district_key, "since": r.created_at }))
        .collect();
    let reports: Vec<_> = barrier_report::Entity::find()
        .filter(barrier_report::Column::ContactEmail.eq(found.email.as_str()))
        .all(db)
        .await?
        .into_iter()
        .map(|r| json!({ "page": r.page_url, "description": r.description, "name": r.contact_name, "created_at": r.created_at }))
        .collect();
    let proposals: Vec<_> = proposal::Entity::find()
        .filter(
            proposal::Column::AuthorUserId
                .eq(user_id)
                .or(proposal::Column::AuthorEmail.eq(found.email.as_str())),
        )
        .all(db)
        .await?
        .into_iter()
        .map(|p| json!({ "id": p.id, "title": p.title, "text": p.body, "status": p.status, "contact": p.contact, "created_at": p.created_at }))
        .collect();
    let supports: Vec<_> = proposal_support::Entity::find()
        .filter(proposal_support::Column::UserId.eq(user_id))
        .all(db)
        .await?
        .into_iter()
        .map(|s| json!({ "proposal_id": s.proposal_id, "since": s.created_at }))
        .collect();
    let follows: Vec<_> = proposal_follow::Entity::find()
        .filter(proposal_follow::Column::Email.eq(found.email.as_str()))
        .all(db)
        .await?
        .into_iter()
        .map(|f| json!({ "proposal_id": f.proposal_id, "confirmed_at": f.confirmed_at }))
        .collect();
    let alerts: Vec<_> = course_alert::Entity::find()
        .filter(
            course_alert::Column::UserId
                .eq(user_id)
                .or(course_alert::Column::Email.eq(found.email.as_str())),
        )
        .all(db)
        .await?
        .into_iter()
        .map(|a| json!({ "email": a.email, "section": a.kind, "filter": a.filter_query, "language": a.language, "created_at": a.created_at, "confirmed_at": a.confirmed_at, "last_mail_at": a.last_sent_at }))
        .collect();
    let bookings: Vec<_> = booking::Entity::find()
        .filter(
            booking::Column::UserId
                .eq(user_id)
                .or(booking::Column::Email.eq(found.email.as_str())),
        )
        .all(db)
        .await?
        .into_iter()
        .map(|b| json!({ "date_id": b.date_id, "name": b.name, "email": b.email, "phone": b.phone, "places": b.places, "status": b.status, "created_at": b.created_at }))
        .collect();
    let signups: Vec<_> = volunteer_signup::Entity::find()
        .filter(volunteer_signup::Column::UserId.eq(user_id))
        .all(db)
        .await?
        .into_iter()
        .map(|s| json!({ "session_id": s.shift_id, "status": s.status, "signed_up_at": s.signed_up_at, "withdrawn_at": s.withdrawn_at }))
        .collect();
    let hours: Vec<_> = volunteer_hours::Entity::find()
        .filter(volunteer_hours::Column::UserId.eq(user_id))
        .all(db)
        .await?
        .into_iter()
        .map(|h| json!({ "session_id": h.shift_id, "from": h.started_at, "to": h.ended_at, "minutes": h.minutes, "status": h.status }))
        .collect();
    let feed = volunteer_feed::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .map(|f| json!({ "created_at": f.created_at }));
    Ok(json!({
        "account": {
            "email": found.email,
            "name": found.display_name,
            "email_confirmed_at": found.email_verified_at,
            "created_at": found.created_at,
            "mail_language": found.language,
        },
        "roles": roles,
        "barrier_reports": reports,
        "proposals": proposals,
        "proposal_supports": supports,
        "proposal_follows": follows,
        "course_alerts": alerts,
        "bookings": bookings,
        "volunteer_signups": signups,
        "volunteer_hours": hours,
        "volunteer_calendar_feed": feed,
        "exported_at": Utc::now(),
    }))
}

/// The person's bookings (made signed in or with the account's address) that deleting the account
/// cancels: not cancelled, for a date still ahead.
async fn upcoming_bookings(
    conn: &impl ConnectionTrait,
    user_id: i32,
    email: &str,
    now: DateTime<Utc>,
) -> Result<Vec<booking::Model>, DbErr> {
    let date_ids: Vec<i32> = offer_date::Entity::find()
        .select_only()
        .column(offer_date::Column::Id)
        .filter(offer_date::Column::StartsAt.gt(now))
        .into_tuple()
        .all(conn)
        .await?;
    let mut found = Vec::new();
    for chunk in date_ids.chunks(500) {
        found.extend(
            booking::Entity::find()
                .filter(
                    booking::Column::UserId
                        .eq(user_id)
                        .or(booking::Column::Email.eq(email)),
                )
                .filter(booking::Column::Status.ne(BookingStatus::Cancelled))
                .filter(booking::Column::DateId.is_in(chunk.to_vec()))
                .all(conn)
                .await?,
        );
    }
    Ok(found)
}

/// How many upcoming bookings deleting the account would cancel, for the delete page.
pub async fn bookings_cancelled_on_deletion(
    db: &DatabaseConnection,
    user: &CurrentUser,
    now: DateTime<Utc>,
) -> Result<usize, DbErr> {
    Ok(upcoming_bookings(db, user.id, &user.email, now)
        .await?
        .len())
}

/// Deletes the account and the mails sent to it; reports keep their text but lose name and address.
/// Upcoming bookings are cancelled as if the person cancelled them (places freed, the waiting list moved
/// on, in this one transaction); then every booking of the person loses name, address and phone like
/// the retention job's, so only the counts stay for the statistics.
pub async fn delete_account(desk: &Desk, user_id: i32, now: DateTime<Utc>) -> Result<(), DbErr> {
    let txn = crate::db::begin_write(&desk.db).await?;
    if let Some(found) = user::Entity::find_by_id(user_id).one(&txn).await? {
        for upcoming in upcoming_bookings(&txn, user_id, &found.email, now).await? {
            match desk
                .cancel_in(&txn, &upcoming, BookingMail::CancelledByPerson, now)
                .await
            {
                // Cancelled meanwhile by another request: nothing left to do.
                Ok(_) | Err(BookingError::AlreadyCancelled) => {}
                Err(BookingError::Db(e)) => return Err(e),
                Err(e) => return Err(DbErr::Custom(format!("cancelling a booking: {e}"))),
            }
        }
        booking::Entity::update_many()
            .col_expr(booking::Column::Name, Expr::value(""))
            .col_expr(booking::Column::Email, Expr::value(Option::<String>::None))
            .col_expr(booking::Column::Phone, Expr::value(Option::<String>::None))
            .col_expr(
                booking::Column::ManageToken,
                Expr::value(Option::<String>::None),
            )
            .col_expr(booking::Column::UserId, Expr::value(Option::<i32>::None))
            .col_expr(booking::Column::AnonymisedAt, Expr::value(now))
            .filter(
                booking::Column::UserId
                    .eq(user_id)
                    .or(booking::Column::Email.eq(found.email.as_str())),
            )
            .exec(&txn)
            .await?;
        barrier_report::Entity::update_many()
            .col_expr(
                barrier_report::Column::ContactName,
                sea_orm::sea_query::Expr::value(Option::<String>::None),
            )
            .col_expr(
                barrier_report::Column::ContactEmail,
                sea_orm::sea_query::Expr::value(Option::<String>::None),
            )
            .filter(barrier_report::Column::ContactEmail.eq(found.email.as_str()))
            .exec(&txn)
            .await?;
        outbox::Entity::delete_many()
            .filter(outbox::Column::Recipient.eq(found.email.as_str()))
            .exec(&txn)
            .await?;
        // Proposals stay public (they belong to the debate) but lose every trace of the author.
        proposal::Entity::update_many()
            .col_expr(
                proposal::Column::AuthorEmail,
                sea_orm::sea_query::Expr::value(Option::<String>::None),
            )
            .col_expr(
                proposal::Column::Contact,
                sea_orm::sea_query::Expr::value(Option::<String>::None),
            )
            .filter(
                proposal::Column::AuthorUserId
                    .eq(user_id)
                    .or(proposal::Column::AuthorEmail.eq(found.email.as_str())),
            )
            .exec(&txn)
            .await?;
        proposal_follow::Entity::delete_many()
            .filter(proposal_follow::Column::Email.eq(found.email.as_str()))
            .exec(&txn)
            .await?;
        crate::services::course_alerts::delete_of_account(&txn, user_id, found.email.as_str())
            .await?;
        // Sessions the person had signed up for need a helper again; the rest goes with the account.
        // Their rows are locked first, as a withdrawal does, so the counter cannot drop twice.
        let mut shift_ids: Vec<i32> = volunteer_signup::Entity::find()
            .filter(volunteer_signup::Column::UserId.eq(user_id))
            .all(&txn)
            .await?
            .into_iter()
            .map(|s| s.shift_id)
            .collect();
        shift_ids.sort_unstable();
        for shift_id in shift_ids {
            volunteer_shift::Entity::find_by_id(shift_id)
                .lock_exclusive()
                .one(&txn)
                .await?;
        }
        let active: Vec<i32> = volunteer_signup::Entity::find()
            .filter(volunteer_signup::Column::UserId.eq(user_id))
            .filter(volunteer_signup::Column::Status.eq("active"))
            .all(&txn)
            .await?
            .into_iter()
            .map(|s| s.shift_id)
            .collect();
        volunteer_shift::Entity::update_many()
            .col_expr(
                volunteer_shift::Column::SignedUp,
                sea_orm::sea_query::Expr::col(volunteer_shift::Column::SignedUp).sub(1),
            )
            .filter(volunteer_shift::Column::Id.is_in(active))
            .filter(volunteer_shift::Column::SignedUp.gt(0))
            .exec(&txn)
            .await?;
        volunteer_signup::Entity::delete_many()
            .filter(volunteer_signup::Column::UserId.eq(user_id))
            .exec(&txn)
            .await?;
        volunteer_hours::Entity::delete_many()
            .filter(volunteer_hours::Column::UserId.eq(user_id))
            .exec(&txn)
            .await?;
        volunteer_feed::Entity::delete_by_id(user_id)
            .exec(&txn)
            .await?;
        user::Entity::delete_by_id(user_id).exec(&txn).await?;
        audit::record(
            &txn,
            Some(user_id),
            "account.deleted",
            &format!("user:{user_id}"),
            "",
        )
        .await?;
    }
    txn.commit().await
}

/// Tells the owner of the account for `email` (if there is one) that sign-in attempts were stopped,
/// at most once an hour, with the way to a new password.
pub async fn tell_of_blocked_sign_in(
    db: &DatabaseConnection,
    composer: &Composer,
    email: &Email,
) -> anyhow::Result<()> {
    let bucket = throttle::bucket("login-blocked-mail", email.as_str());
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
    authenticate(db, &current, password).await?;
    if email_taken(db, new_email.as_str()).await? {
        // The same answer as for a free address, so the form does not reveal who has an account; the
        // address's owner is told instead, as on registration.
        let mail =
            composer.account_link(lang, new_email, "change-exists", "/passwort-vergessen")?;
        mail::enqueue(db, mail).await?;
        return Ok(());
    }
    let txn = db.begin().await?;
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

pub async fn confirm_email_change(
    db: &DatabaseConnection,
    token: &str,
) -> Result<i32, AccountError> {
    let txn = db.begin().await?;
    let redeemed = redeem_token(&txn, token, PURPOSE_CHANGE_EMAIL).await?;
    let new_email = redeemed
        .new_email
        .clone()
        .ok_or(AccountError::InvalidToken)?;
    if email_taken(&txn, new_email.as_str()).await? {
        return Err(AccountError::AddressTaken);
    }
    user::Entity::update_many()
        .col_expr(
            user::Column::Email,
            sea_orm::sea_query::Expr::value(new_email),
        )
        .col_expr(
            user::Column::EmailVerifiedAt,
            sea_orm::sea_query::Expr::value(Utc::now()),
        )
        .filter(user::Column::Id.eq(redeemed.user_id))
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        Some(redeemed.user_id),
        "account.email_changed",
        &format!("user:{}", redeemed.user_id),
        "",
    )
    .await?;
    txn.commit().await?;
    Ok(redeemed.user_id)
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

/// Stores the language of the person's mails, and uses it for the mails about the bookings they
/// made with the account from now on (reminders, changes, cancellations).
pub async fn set_mail_language(
    db: &DatabaseConnection,
    user_id: i32,
    language: Language,
) -> Result<(), DbErr> {
    let txn = db.begin().await?;
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
