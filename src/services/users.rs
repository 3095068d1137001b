//! Creating users and granting roles from the command line (`teilhabe user add`).
use argon2::{
    Argon2, PasswordHasher,
    password_hash::{SaltString, rand_core::OsRng},
};
use chrono::{DateTime, Utc};
use rand::{Rng, distr::Alphanumeric};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, Set, sea_query::OnConflict,
};

use crate::{
    db::entities::{district, organisation, user, user_role},
    domain::{DistrictKey, Email, Role, Slug, role::RoleScope},
    services::audit,
};

#[derive(Debug, thiserror::Error)]
pub enum UserAdminError {
    #[error("--org: the role {0} needs an organisation (--org SLUG)")]
    OrganisationRequired(Role),
    #[error("--district: the role {0} needs a district (--district KEY)")]
    DistrictRequired(Role),
    #[error("--org: no organisation with the slug '{0}'")]
    UnknownOrganisation(Slug),
    #[error("--district: no district with the key '{0}'")]
    UnknownDistrict(DistrictKey),
    #[error("the user already has this role")]
    RoleAlreadyHeld,
    #[error("password hashing failed: {0}")]
    Hashing(String),
    #[error("database: {0}")]
    Db(#[from] sea_orm::DbErr),
}

pub struct NewRoleGrant {
    pub email: Email,
    pub role: Role,
    pub organisation: Option<Slug>,
    pub district: Option<DistrictKey>,
}

pub struct UserAdded {
    pub user_id: i32,
    /// Set when the account was created: shown once, never stored in clear.
    pub initial_password: Option<String>,
}

/// Argon2id with the parameters recommended by OWASP (19 MiB, 2 iterations, 1 lane);
/// they are stored in the PHC string, so raising them later keeps old hashes valid.
pub fn hash_password(password: &str) -> Result<String, UserAdminError> {
    let params = argon2::Params::new(19 * 1024, 2, 1, None)
        .map_err(|e| UserAdminError::Hashing(e.to_string()))?;
    let argon = Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let salt = SaltString::generate(&mut OsRng);
    argon
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| UserAdminError::Hashing(e.to_string()))
}

/// Hashes off the async worker threads: argon2 takes tens of milliseconds by design.
pub async fn hash_password_blocking(password: String) -> Result<String, UserAdminError> {
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| UserAdminError::Hashing(e.to_string()))?
}

pub async fn add_user_with_role(
    db: &DatabaseConnection,
    grant: NewRoleGrant,
) -> Result<UserAdded, UserAdminError> {
    let organisation_id = match (grant.role.scope(), &grant.organisation) {
        (RoleScope::Organisation, None) => {
            return Err(UserAdminError::OrganisationRequired(grant.role));
        }
        (_, Some(slug)) => Some(
            organisation::Entity::find()
                .filter(organisation::Column::Slug.eq(slug.as_str()))
                .one(db)
                .await?
                .ok_or_else(|| UserAdminError::UnknownOrganisation(slug.clone()))?
                .id,
        ),
        (_, None) => None,
    };
    let district_key = match (grant.role.scope(), &grant.district) {
        (RoleScope::District, None) => return Err(UserAdminError::DistrictRequired(grant.role)),
        (_, Some(key)) => Some(
            district::Entity::find_by_id(key.as_str())
                .one(db)
                .await?
                .ok_or_else(|| UserAdminError::UnknownDistrict(key.clone()))?
                .key,
        ),
        (_, None) => None,
    };

    let initial_password: String = rand::rng()
        .sample_iter(&Alphanumeric)
        .take(20)
        .map(char::from)
        .collect();
    let hash = hash_password_blocking(initial_password.clone()).await?;

    let txn = crate::db::begin_write(db).await?;
    let now = Utc::now();
    let existing = user::Entity::find()
        .filter(user::Column::Email.eq(grant.email.as_str()))
        .one(&txn)
        .await?;
    let (user_id, created) = match existing {
        Some(u) => (u.id, false),
        None => {
            let email = grant.email.as_str();
            let name = email.split('@').next().unwrap_or_default().to_owned();
            // Created by an administrator, who vouches for the address.
            let model = insert_account(&txn, email, name, hash, Some(now), now).await?;
            (model.id, true)
        }
    };
    let district = district_key.clone();
    if !grant_role(&txn, user_id, grant.role, organisation_id, district, now).await? {
        return Err(UserAdminError::RoleAlreadyHeld);
    }
    // Recorded like a grant in the admin pages; no account acted, so there is no actor.
    let scope = organisation_id
        .map(|o| format!(" organisation:{o}"))
        .or(district_key.map(|d| format!(" district:{d}")))
        .unwrap_or_default();
    audit::record(
        &txn,
        None,
        "role.granted",
        &format!("user:{user_id}"),
        &format!("{}{scope} (command line)", grant.role),
    )
    .await?;
    txn.commit().await?;
    Ok(UserAdded {
        user_id,
        initial_password: created.then_some(initial_password),
    })
}

/// Stores a new account; `verified_at` is when its address was confirmed (`None`: not yet).
pub(crate) async fn insert_account(
    conn: &impl ConnectionTrait,
    email: &str,
    display_name: String,
    password_hash: String,
    verified_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<user::Model, DbErr> {
    user::ActiveModel {
        email: Set(email.to_owned()),
        display_name: Set(display_name),
        password_hash: Set(Some(password_hash)),
        email_verified_at: Set(verified_at),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await
}

/// Gives the account a role, unless it holds that role in that scope already (`false` then).
/// One statement: two grants at the same moment store the role once (migration 36's index).
pub(crate) async fn grant_role(
    conn: &impl ConnectionTrait,
    user_id: i32,
    role: Role,
    organisation_id: Option<i32>,
    district_key: Option<String>,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let row = user_role::ActiveModel {
        user_id: Set(user_id),
        role: Set(role.as_str().to_owned()),
        organisation_id: Set(organisation_id),
        district_key: Set(district_key),
        created_at: Set(now),
        ..Default::default()
    };
    let inserted = user_role::Entity::insert(row)
        .on_conflict(OnConflict::new().do_nothing().to_owned())
        .exec_without_returning(conn)
        .await?;
    Ok(inserted == 1)
}
