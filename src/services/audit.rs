//! The append-only audit log of security-relevant actions.
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DbErr, EntityTrait, QueryOrder, QuerySelect, Set,
};

use crate::db::entities::audit_log;

pub async fn record(
    db: &impl ConnectionTrait,
    actor: Option<i32>,
    action: &str,
    target: &str,
    details: &str,
) -> Result<(), DbErr> {
    audit_log::ActiveModel {
        actor_user_id: Set(actor),
        action: Set(action.to_owned()),
        target: Set(target.to_owned()),
        details: Set(details.to_owned()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

pub async fn latest(db: &impl ConnectionTrait, limit: u64) -> Result<Vec<audit_log::Model>, DbErr> {
    audit_log::Entity::find()
        .order_by_desc(audit_log::Column::Id)
        .limit(limit)
        .all(db)
        .await
}
