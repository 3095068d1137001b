use sea_orm::entity::prelude::*;

use crate::domain::barrier_report::BarrierReportStatus;

/// A report through the accessibility feedback mechanism ("Barriere melden").
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "barrier_reports")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub page_url: String,
    #[sea_orm(column_type = "Text")]
    pub description: String,
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
    pub language: String,
    pub status: BarrierReportStatus,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
