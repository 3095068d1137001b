//! A signed-in person's alerts: listing and removing them, and deleting them with the account.
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    sea_query::Expr,
};

use super::{
    AlertDesk, AlertSummary, delete_alert,
    describe::{catalogue_href, feed_href},
    districts,
};
use crate::{
    db::entities::{course_alert, course_alert_date, course_alert_token},
    domain::{Language, course_alert::section_key},
    services::accounts::of_account,
};

/// The alerts of an account: set up from it, or for its address by nobody signed in. One another
/// account set up for what is this account's address now (from when it had the address) stays
/// that account's.
fn own(user_id: i32, email: &str) -> Condition {
    of_account(
        course_alert::Column::UserId,
        course_alert::Column::Email,
        user_id,
        &email.to_lowercase(),
    )
}

impl AlertDesk {
    /// The alerts of a signed-in person (see `own`).
    pub async fn of_user(
        &self,
        user_id: i32,
        email: &str,
        lang: Language,
    ) -> Result<Vec<AlertSummary>, DbErr> {
        let models = course_alert::Entity::find()
            .filter(own(user_id, email))
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
            .filter(own(user_id, email))
            .one(&self.db)
            .await?;
        match own {
            Some(alert) => delete_alert(&self.db, alert.id).await,
            None => Ok(false),
        }
    }
}

/// Deleting an account deletes its alerts (see `own`), with their links.
pub async fn delete_of_account(
    txn: &impl ConnectionTrait,
    user_id: i32,
    email: &str,
) -> Result<(), DbErr> {
    let ids: Vec<i64> = course_alert::Entity::find()
        .filter(own(user_id, email))
        .all(txn)
        .await?
        .into_iter()
        .map(|a| a.id)
        .collect();
    delete_all(txn, ids).await
}

/// An address change takes the account's alerts for the old address along (see `own`): the weekly
/// mails with the filter and the links to stop it would go on to the old address, perhaps a former
/// work address read by someone else now. The links mailed there no longer work (each new mail
/// brings its own). An alert set up for another address stays with it, and so does an unconfirmed
/// one: its confirmation link went to the old address, and whoever uses it reads that address, so
/// its mails must go there, not to the account.
///
/// Where the new address has an alert for the same filter already (one address, one alert per
/// filter), one of the two goes: the new address's if it is unconfirmed and not another account's
/// (it never sent anything), else the one moving (the new address gets those mails already).
pub async fn move_to_address(
    txn: &impl ConnectionTrait,
    user_id: i32,
    old_email: &str,
    new_email: &str,
) -> Result<(), DbErr> {
    let (old_email, new_email) = (old_email.to_lowercase(), new_email.to_lowercase());
    let moving = course_alert::Entity::find()
        .filter(own(user_id, &old_email))
        .filter(course_alert::Column::Email.eq(old_email.as_str()))
        .filter(course_alert::Column::ConfirmedAt.is_not_null())
        .order_by_asc(course_alert::Column::Id)
        .all(txn)
        .await?;
    for alert in moving {
        let at_new = course_alert::Entity::find()
            .filter(course_alert::Column::Email.eq(new_email.as_str()))
            .filter(course_alert::Column::Kind.eq(alert.kind))
            .filter(course_alert::Column::FilterQuery.eq(alert.filter_query.as_str()))
            .one(txn)
            .await?;
        match at_new {
            None => {}
            Some(at_new)
                if at_new.confirmed_at.is_none()
                    && at_new.user_id.is_none_or(|other| other == user_id) =>
            {
                delete_all(txn, vec![at_new.id]).await?;
            }
            Some(_) => {
                delete_all(txn, vec![alert.id]).await?;
                continue;
            }
        }
        course_alert_token::Entity::delete_many()
            .filter(course_alert_token::Column::AlertId.eq(alert.id))
            .exec(txn)
            .await?;
        course_alert::Entity::update_many()
            .col_expr(course_alert::Column::Email, Expr::value(new_email.as_str()))
            .filter(course_alert::Column::Id.eq(alert.id))
            .exec(txn)
            .await?;
    }
    Ok(())
}

/// Deletes alerts with their links and remembered dates.
async fn delete_all(txn: &impl ConnectionTrait, ids: Vec<i64>) -> Result<(), DbErr> {
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
