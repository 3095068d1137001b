//! Storing reports from the accessibility feedback form.
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, DatabaseConnection, DbErr, EntityTrait, Set, UpdateMany, sea_query::Expr,
};

use crate::{
    db::entities::barrier_report,
    domain::{
        Language,
        barrier_report::{BarrierReportStatus, NewBarrierReport},
    },
};

/// Clears the name and address a reporter left, for the reports the caller filters: at their
/// request, or with their account. The description stays for the report's purpose.
pub(crate) fn forget_contact() -> UpdateMany<barrier_report::Entity> {
    barrier_report::Entity::update_many()
        .col_expr(
            barrier_report::Column::ContactName,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            barrier_report::Column::ContactEmail,
            Expr::value(Option::<String>::None),
        )
}

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
