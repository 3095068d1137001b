//! Reference data shipped with the portal: Thuringia's 22 districts with their official keys.
use std::path::Path;

use sea_orm::{DatabaseConnection, EntityTrait, sea_query::OnConflict};
use serde::Deserialize;

use super::csv_rows::{self, CsvError};
use crate::{db::entities::district, domain::DistrictKey};

#[derive(Debug, thiserror::Error)]
pub enum ReferenceError {
    #[error(transparent)]
    Csv(#[from] CsvError),
    #[error("database: {0}")]
    Db(#[from] sea_orm::DbErr),
}

#[derive(Deserialize)]
struct DistrictRow {
    kreisschluessel: String,
    name: String,
    art: String,
    kfz: String,
    sitz: String,
}

pub fn districts_file(content_dir: &Path) -> std::path::PathBuf {
    content_dir.join("reference/thueringen-kreise.csv")
}

/// Inserts or updates every district from the shipped CSV; safe to run at every start.
pub async fn sync_districts(
    db: &DatabaseConnection,
    content_dir: &Path,
) -> Result<usize, ReferenceError> {
    let path = districts_file(content_dir);
    let mut models = Vec::new();
    for row in csv_rows::read::<DistrictRow>(&path)? {
        let key = DistrictKey::parse(&row.value.kreisschluessel).map_err(|_| {
            row.field_error(
                &path,
                "kreisschluessel",
                "is not a Thuringian Kreisschlüssel",
            )
        })?;
        let kind = match row.value.art.as_str() {
            "Landkreis" => "landkreis",
            "kreisfreie Stadt" => "kreisfreie_stadt",
            _ => {
                return Err(row
                    .field_error(&path, "art", "must be 'Landkreis' or 'kreisfreie Stadt'")
                    .into());
            }
        };
        models.push(district::ActiveModel {
            key: sea_orm::Set(key.as_str().to_owned()),
            name: sea_orm::Set(row.value.name),
            kind: sea_orm::Set(kind.to_owned()),
            plate: sea_orm::Set(row.value.kfz),
            seat: sea_orm::Set(row.value.sitz),
        });
    }
    let count = models.len();
    district::Entity::insert_many(models)
        .on_conflict(
            OnConflict::column(district::Column::Key)
                .update_columns([
                    district::Column::Name,
                    district::Column::Kind,
                    district::Column::Plate,
                    district::Column::Seat,
                ])
                .to_owned(),
        )
        .exec(db)
        .await?;
    Ok(count)
}

/// One of Thuringia's districts, as pages and lists name it.
#[derive(Clone, Debug, PartialEq, Eq, sea_orm::FromQueryResult, serde::Serialize)]
pub struct District {
    /// The official Kreisschlüssel.
    pub key: String,
    pub name: String,
    pub kind: String,
    pub plate: String,
    pub seat: String,
}

pub async fn all_districts(db: &DatabaseConnection) -> Result<Vec<District>, sea_orm::DbErr> {
    use sea_orm::QueryOrder;
    district::Entity::find()
        .order_by_asc(district::Column::Name)
        .into_model::<District>()
        .all(db)
        .await
}

/// The districts by name, read from the database once: they change only with a release, when
/// `sync_districts` runs before the server starts. Pages that list them save a query each.
#[derive(Clone, Default)]
pub struct DistrictCache(std::sync::Arc<tokio::sync::OnceCell<std::sync::Arc<[District]>>>);

impl DistrictCache {
    pub async fn get(
        &self,
        db: &DatabaseConnection,
    ) -> Result<std::sync::Arc<[District]>, sea_orm::DbErr> {
        self.0
            .get_or_try_init(|| async { Ok(all_districts(db).await?.into()) })
            .await
            .cloned()
    }
}
