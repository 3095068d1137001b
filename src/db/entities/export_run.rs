use sea_orm::entity::prelude::*;

/// A finished export; `--since-last` starts after the latest scheduled one.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "export_runs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub period_from: Date,
    pub period_to: Date,
    pub format: String,
    pub started_by: String,
    pub finished_at: DateTimeUtc,
    /// Run by `teilhabe export --since-last`: only these move the mark the next one starts from.
    pub scheduled: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
