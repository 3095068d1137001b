//! Tasks for staff: phone people without e-mail, decide on dates below their minimum.
use chrono::{DateTime, Utc};

use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, sea_query::Expr,
};
use serde::Serialize;

use super::OfferAdminError;
use crate::db::entities::{booking, offer, offer_date, staff_task};
use crate::policy::in_scope;
use crate::services::audit;

#[derive(Debug, Serialize)]
pub struct TaskRow {
    pub id: i64,
    pub kind: String,
    pub created_at: DateTime<Utc>,
    pub date_id: Option<i32>,
    pub offer_title: Option<String>,
    pub starts_at: Option<DateTime<Utc>>,
    pub person_name: Option<String>,
    pub person_phone: Option<String>,
}

pub async fn open_tasks(
    db: &DatabaseConnection,
    scope: &Option<Vec<i32>>,
) -> Result<Vec<TaskRow>, DbErr> {
    let mut query = staff_task::Entity::find()
        .filter(staff_task::Column::DoneAt.is_null())
        .order_by_asc(staff_task::Column::Id);
    if let Some(ids) = scope {
        query = query.filter(staff_task::Column::OrganisationId.is_in(ids.clone()));
    }
    let mut rows = Vec::new();
    for task in query.all(db).await? {
        let date = match task.date_id {
            Some(id) => offer_date::Entity::find_by_id(id).one(db).await?,
            None => None,
        };
        let title = match &date {
            Some(d) => offer::Entity::find_by_id(d.offer_id)
                .one(db)
                .await?
                .map(|o| o.title),
            None => None,
        };
        let person = match task.booking_id {
            Some(id) => booking::Entity::find_by_id(id).one(db).await?,
            None => None,
        };
        rows.push(TaskRow {
            id: task.id,
            kind: task.kind,
            created_at: task.created_at,
            date_id: task.date_id,
            offer_title: title,
            starts_at: date.map(|d| d.starts_at),
            person_name: person.as_ref().map(|p| p.name.clone()),
            person_phone: person.and_then(|p| p.phone),
        });
    }
    Ok(rows)
}

pub async fn complete_task(
    db: &DatabaseConnection,
    scope: &Option<Vec<i32>>,
    actor: i32,
    task_id: i64,
) -> Result<(), OfferAdminError> {
    let task = staff_task::Entity::find_by_id(task_id)
        .one(db)
        .await?
        .filter(|t| in_scope(scope, t.organisation_id))
        .ok_or(OfferAdminError::NotFound)?;
    let txn = crate::db::begin_write(db).await?;
    // Done by a colleague at the same moment: theirs is the one recorded.
    let done = staff_task::Entity::update_many()
        .col_expr(staff_task::Column::DoneAt, Expr::value(Utc::now()))
        .filter(staff_task::Column::Id.eq(task.id))
        .filter(staff_task::Column::DoneAt.is_null())
        .exec(&txn)
        .await?
        .rows_affected;
    if done == 0 {
        return Ok(());
    }
    audit::record(
        &txn,
        Some(actor),
        "task.done",
        &format!("task:{task_id}"),
        "",
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
