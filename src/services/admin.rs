//! Back-office queries and changes for administrators: users and their roles, barrier reports.
use chrono::Utc;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::Serialize;

use super::{audit, users::grant_role};
use crate::{
    db::entities::{barrier_report, district, organisation, user, user_role, volunteer_feed},
    domain::{Role, role::RoleScope},
};

#[derive(Debug, Serialize)]
pub struct UserRow {
    pub id: i32,
    pub email: String,
    pub display_name: String,
    pub confirmed: bool,
    pub roles: Vec<RoleRow>,
}

#[derive(Debug, Serialize)]
pub struct RoleRow {
    pub id: i32,
    pub role: String,
    pub scope: String,
}

async fn role_rows(
    db: &DatabaseConnection,
    user_ids: &[i32],
) -> Result<Vec<(i32, RoleRow)>, DbErr> {
    let orgs = organisation::Entity::find().all(db).await?;
    let districts = district::Entity::find().all(db).await?;
    Ok(user_role::Entity::find()
        .filter(user_role::Column::UserId.is_in(user_ids.to_vec()))
        .order_by_asc(user_role::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|r| {
            let scope = match (r.organisation_id, &r.district_key) {
                (Some(id), _) => orgs
                    .iter()
                    .find(|o| o.id == id)
                    .map(|o| o.name.clone())
                    .unwrap_or_default(),
                (None, Some(key)) => districts
                    .iter()
                    .find(|d| &d.key == key)
                    .map(|d| d.name.clone())
                    .unwrap_or_default(),
                (None, None) => String::new(),
            };
            (
                r.user_id,
                RoleRow {
                    id: r.id,
                    role: r.role,
                    scope,
                },
            )
        })
        .collect())
}

pub async fn users(db: &DatabaseConnection, search: &str) -> Result<Vec<UserRow>, DbErr> {
    let mut query = user::Entity::find()
        .order_by_asc(user::Column::Email)
        .limit(200);
    let search = crate::domain::text::line(search).to_lowercase();
    if !search.is_empty() {
        // `%` and `_` are characters of an address here, not wildcards.
        let escaped = search
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        query = query.filter(
            user::Column::Email
                .like(sea_orm::sea_query::LikeExpr::new(format!("%{escaped}%")).escape('\\')),
        );
    }
    let found = query.all(db).await?;
    let ids: Vec<i32> = found.iter().map(|u| u.id).collect();
    let mut roles = role_rows(db, &ids).await?;
    Ok(found
        .into_iter()
        .map(|u| UserRow {
            roles: roles
                .extract_if(.., |(id, _)| *id == u.id)
                .map(|(_, r)| r)
                .collect(),
            id: u.id,
            email: u.email,
            display_name: u.display_name,
            confirmed: u.email_verified_at.is_some(),
        })
        .collect())
}

pub async fn user(db: &DatabaseConnection, id: i32) -> Result<Option<UserRow>, DbErr> {
    let Some(u) = user::Entity::find_by_id(id).one(db).await? else {
        return Ok(None);
    };
    let roles = role_rows(db, &[id])
        .await?
        .into_iter()
        .map(|(_, r)| r)
        .collect();
    Ok(Some(UserRow {
        id: u.id,
        email: u.email,
        display_name: u.display_name,
        confirmed: u.email_verified_at.is_some(),
        roles,
    }))
}

/// What the role form offers to choose from: organisations and districts as (id or key, name).
#[derive(Debug, Serialize)]
pub struct ScopeChoices {
    pub organisations: Vec<(i32, String)>,
    pub districts: Vec<(String, String)>,
}

pub async fn scope_choices(db: &DatabaseConnection) -> Result<ScopeChoices, DbErr> {
    let organisations = organisation::Entity::find_all_sorted(db).await?;
    let districts = super::reference::all_districts(db).await?;
    Ok(ScopeChoices {
        organisations: organisations.into_iter().map(|o| (o.id, o.name)).collect(),
        districts: districts.into_iter().map(|d| (d.key, d.name)).collect(),
    })
}

#[derive(Debug, thiserror::Error)]
pub enum GrantError {
    #[error("scope missing or not fitting the role")]
    Scope,
    #[error("already held")]
    AlreadyHeld,
    #[error("database: {0}")]
    Db(#[from] DbErr),
}

pub async fn grant(
    db: &DatabaseConnection,
    actor: i32,
    user_id: i32,
    role: Role,
    organisation_id: Option<i32>,
    district_key: Option<String>,
) -> Result<(), GrantError> {
    let (organisation_id, district_key) = match role.scope() {
        RoleScope::None => (None, None),
        RoleScope::Organisation => (Some(organisation_id.ok_or(GrantError::Scope)?), None),
        RoleScope::District => (None, Some(district_key.ok_or(GrantError::Scope)?)),
    };
    if let Some(id) = organisation_id
        && organisation::Entity::find_by_id(id)
            .one(db)
            .await?
            .is_none()
    {
        return Err(GrantError::Scope);
    }
    if let Some(key) = &district_key
        && district::Entity::find_by_id(key.clone())
            .one(db)
            .await?
            .is_none()
    {
        return Err(GrantError::Scope);
    }
    let txn = crate::db::begin_write(db).await?;
    let district = district_key.clone();
    if !grant_role(&txn, user_id, role, organisation_id, district, Utc::now()).await? {
        return Err(GrantError::AlreadyHeld);
    }
    let scope = organisation_id
        .map(|o| format!("organisation:{o}"))
        .or(district_key.map(|d| format!("district:{d}")));
    audit::record(
        &txn,
        Some(actor),
        "role.granted",
        &format!("user:{user_id}"),
        &format!("{role} {}", scope.unwrap_or_default()),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// What became of a role to be taken away.
#[derive(Debug, PartialEq, Eq)]
pub enum Revoked {
    Done,
    /// No such role of this account (revoked by someone else meanwhile).
    NotFound,
    /// The portal's last administrator role: without it nobody could manage users any more.
    LastAdministrator,
}

/// Whether an administrator other than `user_id` remains. Two transactions asking take turns
/// (SQLite's writers do anyway), so two administrators taking each other's role at the same moment
/// cannot both succeed.
pub(crate) async fn another_administrator_remains(
    txn: &impl ConnectionTrait,
    user_id: i32,
) -> Result<bool, DbErr> {
    crate::db::lock_names(txn, crate::db::LockedNames::Administrators, &["all"]).await?;
    Ok(other_administrators(user_id).count(txn).await? > 0)
}

/// Whether deleting this account would leave the portal without an administrator; the deletion
/// itself decides under its lock ([`another_administrator_remains`]), this only tells the person
/// beforehand.
pub async fn is_last_administrator(db: &DatabaseConnection, user_id: i32) -> Result<bool, DbErr> {
    Ok(super::api_tokens::is_admin(db, user_id).await?
        && other_administrators(user_id).one(db).await?.is_none())
}

/// The administrator roles of accounts other than `user_id`.
fn other_administrators(user_id: i32) -> sea_orm::Select<user_role::Entity> {
    user_role::Entity::find()
        .filter(user_role::Column::Role.eq(Role::Admin.as_str()))
        .filter(user_role::Column::UserId.ne(user_id))
}

pub async fn revoke(
    db: &DatabaseConnection,
    sign_ups: &crate::services::volunteering::SignUpDesk,
    actor: i32,
    user_id: i32,
    role_id: i32,
) -> Result<Revoked, DbErr> {
    let txn = crate::db::begin_write(db).await?;
    // The account's row first, as a volunteer's sign-up locks it: the two come one after the
    // other (`volunteering::still_a_volunteer`).
    user::Entity::find_by_id(user_id)
        .lock_exclusive()
        .one(&txn)
        .await?;
    let Some(found) = user_role::Entity::find_by_id(role_id)
        .filter(user_role::Column::UserId.eq(user_id))
        .one(&txn)
        .await?
    else {
        return Ok(Revoked::NotFound);
    };
    if found.role == Role::Admin.as_str() && !another_administrator_remains(&txn, user_id).await? {
        return Ok(Revoked::LastAdministrator);
    }
    // Revoked by another admin at the same moment: theirs is the one recorded.
    if user_role::Entity::delete_by_id(found.id)
        .exec(&txn)
        .await?
        .rows_affected
        == 0
    {
        return Ok(Revoked::NotFound);
    }
    if found.role == Role::Admin.as_str() {
        super::api_tokens::revoke_when_no_longer_admin(&txn, user_id, Utc::now()).await?;
    }
    if found.role == Role::Volunteer.as_str() {
        // No longer a volunteer, the person can neither help nor withdraw: the sessions ahead they
        // had signed up for need a helper again (sessions held keep them), as when an account is
        // deleted.
        sign_ups
            .withdraw_all_ahead(
                &txn,
                user_id,
                super::volunteering::Leaving::Role,
                Utc::now(),
            )
            .await?;
        // A later grant must not revive the old calendar link.
        volunteer_feed::Entity::delete_many()
            .filter(volunteer_feed::Column::UserId.eq(user_id))
            .exec(&txn)
            .await?;
    }
    audit::record(
        &txn,
        Some(actor),
        "role.revoked",
        &format!("user:{user_id}"),
        &found.role,
    )
    .await?;
    txn.commit().await?;
    Ok(Revoked::Done)
}

/// Removes the name and address a person left with a barrier report, at their request (the
/// privacy page promises it at any time); the description stays for the report's purpose.
/// Returns whether there was anything to remove (`false` also when another admin just did).
pub async fn forget_barrier_contact(
    db: &DatabaseConnection,
    actor: i32,
    report_id: i32,
) -> Result<bool, DbErr> {
    let txn = crate::db::begin_write(db).await?;
    let erased = super::barrier_reports::forget_contact()
        .filter(barrier_report::Column::Id.eq(report_id))
        .filter(
            Condition::any()
                .add(barrier_report::Column::ContactName.is_not_null())
                .add(barrier_report::Column::ContactEmail.is_not_null()),
        )
        .exec(&txn)
        .await?
        .rows_affected
        == 1;
    if erased {
        audit::record(
            &txn,
            Some(actor),
            "barrier_report.contact_erased",
            &format!("barrier_report:{report_id}"),
            "",
        )
        .await?;
    }
    txn.commit().await?;
    Ok(erased)
}

pub async fn barrier_reports(db: &DatabaseConnection) -> Result<Vec<barrier_report::Model>, DbErr> {
    barrier_report::Entity::find()
        .order_by_desc(barrier_report::Column::Id)
        .limit(200)
        .all(db)
        .await
}
