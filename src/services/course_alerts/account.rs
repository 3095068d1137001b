//! A signed-in person's alerts: listing and removing them, and deleting them with the account.
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
};

use super::{
    AlertDesk, AlertSummary, delete_alert,
    describe::{catalogue_href, feed_href},
    districts,
};
use crate::{
    db::entities::{course_alert, course_alert_date, course_alert_token},
    domain::{Language, course_alert::section_key},
};

impl AlertDesk {
    /// The alerts of a signed-in person: set up from the account or for its address.
    pub async fn of_user(
        &self,
        user_id: i32,
        email: &str,
        lang: Language,
    ) -> Result<Vec<AlertSummary>, DbErr> {
        let models = course_alert::Entity::find()
            .filter(
                Condition::any()
                    .add(course_alert::Column::UserId.eq(user_id))
                    .add(course_alert::Column::Email.eq(email.to_lowercase())),
            )
            .order_by_asc(course_alert::Column::CreatedAt)
            .order_by_asc(course_alert::Column::Id)
            .all(&self.db)
            .await?;
        let districts = districts(&self.db).await?;
        Ok(models
            .into_iter()
            .map(|m| {
                let kind = m.kind;
                AlertSummary {
                    id: m.id,
                    description: self.describe_model(&m, lang, &districts),
                    section: section_key(kind),
                    confirmed: m.confirmed_at.is_some(),
                    created_at: m.created_at,
                    last_sent_at: m.last_sent_at,
                    catalogue_href: catalogue_href(kind, &m.filter_query),
                    feed_href: feed_href(kind, &m.filter_query),
                }
            })
            .collect())
    }

    /// Removes one of a signed-in person's alerts; false when it is not theirs (or gone).
    pub async fn remove_own(&self, user_id: i32, email: &str, id: i64) -> Result<bool, DbErr> {
        let own = course_alert::Entity::find_by_id(id)
            .filter(
                Condition::any()
                    .add(course_alert::Column::UserId.eq(user_id))
                    .add(course_alert::Column::Email.eq(email.to_lowercase())),
            )
            .one(&self.db)
            .await?;
        match own {
            Some(alert) => delete_alert(&self.db, alert.id).await,
            None => Ok(false),
        }
    }
}

/// Deleting an account deletes the alerts set up from it or for its address (with their links).
pub async fn delete_of_account(
    txn: &impl ConnectionTrait,
    user_id: i32,
    email: &str,
) -> Result<(), DbErr> {
    let ids: Vec<i64> = course_alert::Entity::find()
        .filter(crate::services::accounts::of_account(
            course_alert::Column::UserId,
            course_alert::Column::Email,
            user_id,
            &email.to_lowercase(),
        ))
        .all(txn)
        .await?
        .into_iter()
        .map(|a| a.id)
        .collect();
    if ids.is_empty() {
        return Ok(());
    }
    course_alert_token::Entity::delete_many()
        .filter(course_alert_token::Column::AlertId.is_in(ids.clone()))
        .exec(txn)
        .await?;
    course_alert_date::Entity::delete_many()
        .filter(course_alert_date::Column::AlertId.is_in(ids.clone()))
        .exec(txn)
        .await?;
    course_alert::Entity::delete_many()
        .filter(course_alert::Column::Id.is_in(ids))
        .exec(txn)
        .await?;
    Ok(())
}
