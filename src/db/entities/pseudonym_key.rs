use sea_orm::entity::prelude::*;

/// The one key this database's pseudonyms were made with, as a fingerprint (see
/// `services::pseudonyms`). One row, id 1, once an instance has started.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "pseudonym_key")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i32,
    pub fingerprint: String,
    pub adopted_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
