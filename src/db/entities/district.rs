use sea_orm::entity::prelude::*;

/// One of Thuringia's 22 districts (Landkreise and kreisfreie Städte), keyed by the official Kreisschlüssel.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "districts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub key: String,
    pub name: String,
    pub kind: String,
    pub plate: String,
    pub seat: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
