//! Demo content for the one-command start: organisations, venues, accounts and courses from
//! `content/demo/*.csv`.
//! Idempotent: rows whose slug already exists are left as they are.
use std::{collections::HashMap, path::Path};

use chrono::Utc;
use indicatif::{ProgressBar, ProgressStyle};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set,
    TransactionTrait,
};
use serde::Deserialize;

use crate::sealing::Sealer;
use crate::services::csv_rows::{self, CsvError};
use crate::services::users::{grant_role, hash_password_blocking, insert_account};
use crate::{
    db::entities::{district, organisation, proposal, user, venue},
    domain::{
        DistrictKey, Email, OrganisationKind, PersonName, Role, Slug, password::NewPassword,
        role::RoleScope,
    },
};

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(transparent)]
    Csv(#[from] CsvError),
    #[error("database: {0}")]
    Db(#[from] sea_orm::DbErr),
    #[error("password hashing: {0}")]
    Hashing(String),
    #[error(transparent)]
    Proposals(#[from] crate::services::proposal_import::ImportError),
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct SeedSummary {
    pub organisations_added: usize,
    pub venues_added: usize,
    pub users_added: usize,
    pub courses_added: usize,
    pub dates_added: usize,
    pub bookings_added: usize,
    pub proposals_added: usize,
    pub shifts_added: usize,
    pub already_present: usize,
}

impl std::fmt::Display for SeedSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "demo data: {} organisations, {} venues, {} accounts, {} courses with {} dates and {} bookings, {} volunteer sessions, {} proposals added, {} already present",
            self.organisations_added,
            self.venues_added,
            self.users_added,
            self.courses_added,
            self.dates_added,
            self.bookings_added,
            self.shifts_added,
            self.proposals_added,
            self.already_present
        )
    }
}

#[derive(Deserialize)]
struct OrganisationRow {
    slug: String,
    name: String,
    kind: String,
    email: String,
    phone: String,
    website: String,
    district: String,
}

#[derive(Deserialize)]
struct UserRow {
    email: String,
    name: String,
    role: String,
    organisation: String,
    district: String,
    password: String,
}

#[derive(Deserialize)]
struct VenueRow {
    slug: String,
    organisation: String,
    name: String,
    street: String,
    postal_code: String,
    town: String,
    district: String,
    step_free: bool,
    accessible_toilet: bool,
    hearing_loop: bool,
    parking: bool,
    accessibility_notes: String,
    directions: String,
}

/// Reads and checks every demo file completely before writing anything (the proposals too), then
/// writes in one transaction; the proposals follow in the importer's own.
pub async fn seed(
    db: &DatabaseConnection,
    content_dir: &Path,
    sealer: &Sealer,
    show_progress: bool,
) -> Result<SeedSummary, DemoError> {
    let org_path = content_dir.join("demo/organisations.csv");
    let venue_path = content_dir.join("demo/venues.csv");
    let org_rows = csv_rows::read::<OrganisationRow>(&org_path)?;
    let venue_rows = csv_rows::read::<VenueRow>(&venue_path)?;
    let user_path = content_dir.join("demo/users.csv");
    let user_rows = if user_path.is_file() {
        csv_rows::read::<UserRow>(&user_path)?
    } else {
        Vec::new()
    };

    let districts: Vec<String> = district::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|d| d.key)
        .collect();
    let check_district = |path: &Path, line: u64, raw: &str| -> Result<String, CsvError> {
        let problem = match DistrictKey::parse(raw) {
            Ok(key) if districts.iter().any(|d| d == key.as_str()) => {
                return Ok(key.as_str().to_owned());
            }
            Ok(key) => format!("unknown district {key}"),
            Err(_) => "is not a Kreisschlüssel".to_owned(),
        };
        Err(CsvError::Field {
            path: path.to_owned(),
            line,
            field: "district".into(),
            problem,
        })
    };

    // Venues and accounts name their organisation by slug; it must be one of the file's.
    let check_organisation = |path: &Path, line: u64, slug: &str| -> Result<String, CsvError> {
        if org_rows.iter().any(|o| o.value.slug == slug) {
            return Ok(slug.to_owned());
        }
        Err(CsvError::Field {
            path: path.to_owned(),
            line,
            field: "organisation".into(),
            problem: format!("no organisation '{slug}'"),
        })
    };

    let now = Utc::now();
    let mut organisations = Vec::new();
    for row in &org_rows {
        let r = &row.value;
        let slug = Slug::parse(&r.slug)
            .map_err(|_| row.field_error(&org_path, "slug", "is not a valid slug"))?;
        let kind = OrganisationKind::parse(&r.kind)
            .map_err(|_| row.field_error(&org_path, "kind", "is not an organisation kind"))?;
        let email = Email::parse(&r.email)
            .map_err(|_| row.field_error(&org_path, "email", "is not an e-mail address"))?;
        let district_key = match r.district.as_str() {
            "" => None,
            raw => Some(check_district(&org_path, row.line, raw)?),
        };
        organisations.push(organisation::ActiveModel {
            slug: Set(slug.to_string()),
            name: Set(r.name.clone()),
            kind: Set(kind.to_string()),
            email: Set(email.to_string()),
            phone: Set(r.phone.clone()),
            website: Set(r.website.clone()),
            district_key: Set(district_key),
            created_at: Set(now),
            ..Default::default()
        });
    }

    let mut venues = Vec::new();
    for row in &venue_rows {
        let r = &row.value;
        let slug = Slug::parse(&r.slug)
            .map_err(|_| row.field_error(&venue_path, "slug", "is not a valid slug"))?;
        check_organisation(&venue_path, row.line, &r.organisation)?;
        if r.postal_code.len() != 5 || !r.postal_code.chars().all(|c| c.is_ascii_digit()) {
            return Err(row
                .field_error(&venue_path, "postal_code", "must be five digits")
                .into());
        }
        let district_key = check_district(&venue_path, row.line, &r.district)?;
        venues.push((
            r.organisation.clone(),
            venue::ActiveModel {
                slug: Set(slug.to_string()),
                name: Set(r.name.clone()),
                street: Set(r.street.clone()),
                postal_code: Set(r.postal_code.clone()),
                town: Set(r.town.clone()),
                district_key: Set(district_key),
                step_free: Set(r.step_free),
                accessible_toilet: Set(r.accessible_toilet),
                hearing_loop: Set(r.hearing_loop),
                parking: Set(r.parking),
                accessibility_notes: Set(r.accessibility_notes.clone()),
                directions: Set(r.directions.clone()),
                created_at: Set(now),
                ..Default::default()
            },
        ));
    }

    let mut accounts = Vec::new();
    for row in &user_rows {
        let r = &row.value;
        let email = Email::parse(&r.email)
            .map_err(|_| row.field_error(&user_path, "email", "is not an e-mail address"))?;
        PersonName::parse(&r.name)
            .map_err(|_| row.field_error(&user_path, "name", "is not a name"))?;
        let role = Role::parse(&r.role)
            .map_err(|_| row.field_error(&user_path, "role", "is not a role"))?;
        let password = NewPassword::parse(&r.password, Some(email.as_str())).map_err(|_| {
            row.field_error(&user_path, "password", "does not meet the password rules")
        })?;
        let organisation = match r.organisation.as_str() {
            "" => None,
            slug => Some(check_organisation(&user_path, row.line, slug)?),
        };
        let district = match r.district.as_str() {
            "" => None,
            raw => Some(check_district(&user_path, row.line, raw)?),
        };
        let needs = role.scope();
        if (needs == RoleScope::Organisation) != organisation.is_some()
            || (needs == RoleScope::District) != district.is_some()
        {
            return Err(row
                .field_error(
                    &user_path,
                    "role",
                    "organisation or district does not fit the role",
                )
                .into());
        }
        accounts.push((
            email,
            r.name.clone(),
            role,
            organisation,
            district,
            password,
        ));
    }

    let courses = super::demo_courses::read(
        content_dir,
        &org_rows
            .iter()
            .map(|o| o.value.slug.clone())
            .collect::<Vec<_>>(),
        &venue_rows
            .iter()
            .map(|v| (v.value.slug.clone(), v.value.organisation.clone()))
            .collect::<Vec<_>>(),
        now,
    )?;

    let shifts_path = content_dir.join("demo/volunteer_shifts.csv");
    let shifts = super::demo_shifts::read(&shifts_path)?;

    let progress = if show_progress {
        ProgressBar::new(
            (organisations.len() + venues.len() + accounts.len() + courses.len()) as u64,
        )
    } else {
        ProgressBar::hidden()
    };
    progress.set_style(
        ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    progress.set_message("demo data");

    let mut summary = SeedSummary::default();
    // Instances starting together on a new database would both find nothing and both insert
    // (duplicate slugs); the second waits here and then finds everything present.
    let lock = crate::db::InstanceLock::acquire(db, SEED_LOCK_KEY).await?;
    // Demo proposals come through the importer, once: an installation that has any keeps them.
    // Their file is checked before anything is written, as the other files are above.
    let proposals_path = content_dir.join("demo/proposals.csv");
    let proposals = if proposals_path.is_file() && proposal::Entity::find().one(db).await?.is_none()
    {
        Some(crate::services::proposal_import::check(db, &proposals_path, false).await?)
    } else {
        None
    };
    let txn = db.begin().await?;
    let mut org_ids: HashMap<String, i32> = HashMap::new();
    for model in organisations {
        let slug = model.slug.clone().unwrap();
        let existing = organisation::Entity::find()
            .filter(organisation::Column::Slug.eq(&slug))
            .one(&txn)
            .await?;
        let id = match existing {
            Some(org) => {
                summary.already_present += 1;
                org.id
            }
            None => {
                summary.organisations_added += 1;
                model.insert(&txn).await?.id
            }
        };
        org_ids.insert(slug, id);
        progress.inc(1);
    }
    for (org_slug, mut model) in venues {
        let slug = model.slug.clone().unwrap();
        let exists = venue::Entity::find()
            .filter(venue::Column::Slug.eq(&slug))
            .one(&txn)
            .await?
            .is_some();
        if exists {
            summary.already_present += 1;
        } else {
            model.organisation_id = Set(org_ids[&org_slug]);
            model.insert(&txn).await?;
            summary.venues_added += 1;
        }
        progress.inc(1);
    }
    for (email, name, role, organisation, district, password) in accounts {
        let exists = user::Entity::find()
            .filter(user::Column::Email.eq(email.as_str()))
            .one(&txn)
            .await?
            .is_some();
        if exists {
            summary.already_present += 1;
        } else {
            let secret = password.expose().to_owned();
            let hash = hash_password_blocking(secret)
                .await
                .map_err(|e| DemoError::Hashing(e.to_string()))?;
            let created = insert_account(&txn, email.as_str(), name, hash, Some(now), now).await?;
            let mut roles = vec![(Role::Citizen, None, None)];
            if role != Role::Citizen {
                roles.push((role, organisation.map(|slug| org_ids[&slug]), district));
            }
            for (role, organisation_id, district_key) in roles {
                grant_role(&txn, created.id, role, organisation_id, district_key, now).await?;
            }
            summary.users_added += 1;
        }
        progress.inc(1);
    }
    super::demo_courses::write(&txn, sealer, courses, now, &mut summary, &progress).await?;
    super::demo_shifts::write(&txn, &shifts_path, shifts, now, &mut summary).await?;
    txn.commit().await?;
    progress.finish_and_clear();
    if let Some(checked) = proposals {
        let imported = crate::services::proposal_import::import_checked(db, checked, None).await?;
        summary.proposals_added = imported.imported;
    }
    lock.release()
        .await
        .map_err(|lost| sea_orm::DbErr::Custom(lost.to_string()))?;
    Ok(summary)
}

/// Serialises demo seeding between instances on PostgreSQL (see [`InstanceLock`]); any fixed
/// number other than the other locks' (the migrations', the index writer's).
const SEED_LOCK_KEY: i64 = 7_361_202_613;
