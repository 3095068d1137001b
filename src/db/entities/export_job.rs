use sea_orm::entity::prelude::*;

use crate::domain::export_job::ExportJobStatus;

/// An export asked for in the back office; any instance runs it (see `services::export_jobs`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "export_jobs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub requested_by: i32,
    pub period_from: Date,
    pub period_to: Date,
    pub format: String,
    pub bom: bool,
    pub status: ExportJobStatus,
    pub files_done: i32,
    pub files_total: i32,
    pub rows_done: i64,
    /// `manifest.json` of the finished export.
    #[sea_orm(column_type = "Text", nullable)]
    pub manifest: Option<String>,
    pub created_at: DateTimeUtc,
    /// Heartbeat while running: a job whose instance died is taken up again.
    pub updated_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
    /// How often a run was started; a job is given up after a few runs without a result.
    pub attempts: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
