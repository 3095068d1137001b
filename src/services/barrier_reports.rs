//! Storing reports from the accessibility feedback form.
use chrono::Utc;
use sea_orm::{ActiveModelTrait, DatabaseConnection, DbErr, Set};

use crate::{
    db::entities::barrier_report,
    domain::{
        Language,
        barrier_report::{BarrierReportStatus, NewBarrierReport},
    },
};

pub async fn submit(
    db: &DatabaseConnection,
    report: NewBarrierReport,
    language: Language,
) -> Result<i32, DbErr> {
    let saved = barrier_report::ActiveModel {
        page_url: Set(report.page),
        description: Set(report.description),
        contact_name: Set(report.contact_name),
        contact_email: Set(report.contact_email.map(|e| e.to_string())),
        language: Set(language.code().to_owned()),
        status: Set(BarrierReportStatus::Open),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    tracing::info!(report_id = saved.id, "barrier report received");
    Ok(saved.id)
}
