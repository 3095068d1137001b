//! Setting an alert up (with a mailed confirmation link unless the address is known to be the
//! person's), confirming it, and ending it by the link in one of its mails.
use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set,
    sea_query::Expr,
};

use super::{
    AlertDesk, AlertError, CONFIRM, Subscribed, Subscriber, UNSUBSCRIBE, add_token, delete_alert,
    districts, remember,
};
use crate::{
    db::{
        LockedNames, begin_write,
        entities::{course_alert, course_alert_token},
        lock_names,
    },
    domain::{
        Email, Language,
        course_alert::{AlertInput, CONFIRM_DAYS, stored_filter},
    },
    mail,
    services::{catalogue, sessions::hash_token},
};

impl AlertDesk {
    /// Every matching upcoming date, however many: the ones an alert knows of from the start.
    async fn baseline(
        &self,
        model: &course_alert::Model,
        now: DateTime<Utc>,
    ) -> Result<Vec<i32>, DbErr> {
        let Some(filter) = stored_filter(&model.filter_query) else {
            return Ok(vec![]);
        };
        catalogue::matching_ids(&self.db, model.kind, &filter, now).await
    }

    /// Sets up an alert, or finds the same one (same address, section and filter) again. Unless the
    /// address is known to be the person's, a confirmation link is mailed and nothing else is sent
    /// before it is used; an address that already has this alert is told so instead.
    pub async fn subscribe(
        &self,
        input: &AlertInput,
        who: Subscriber,
        now: DateTime<Utc>,
    ) -> Result<Subscribed, AlertError> {
        let filter_query = input.filter_query();
        // An account's own alert speaks the language chosen for its mails (Leichte Sprache, say),
        // as its booking mails do, whatever language the page was in.
        let who = match who.user_id {
            Some(user_id) => Subscriber {
                language: crate::services::accounts::mail_language(&self.db, user_id)
                    .await?
                    .unwrap_or(who.language),
                ..who
            },
            None => who,
        };
        let baseline = if who.address_confirmed {
            catalogue::matching_ids(&self.db, input.kind, &input.filter, now).await?
        } else {
            vec![]
        };
        let txn = begin_write(&self.db).await?;
        // The same alert asked twice at once (two tabs, a double tap) would both find none and
        // the second insert fail on the unique index: one waits for the other and finds it.
        let identity = format!(
            "{}|{}|{filter_query}",
            input.email.as_str(),
            input.kind.key()
        );
        lock_names(&txn, LockedNames::CourseAlerts, &[identity.as_str()]).await?;
        let existing = course_alert::Entity::find()
            .filter(course_alert::Column::Email.eq(input.email.as_str()))
            .filter(course_alert::Column::Kind.eq(input.kind))
            .filter(course_alert::Column::FilterQuery.eq(filter_query.as_str()))
            .one(&txn)
            .await?;
        let alert = match existing {
            Some(found) if found.confirmed_at.is_some() => {
                if !who.address_confirmed {
                    self.mail_link(&txn, &found, &input.email, who.language, UNSUBSCRIBE, now)
                        .await?;
                }
                txn.commit().await?;
                return Ok(if who.address_confirmed {
                    Subscribed::Active
                } else {
                    Subscribed::ConfirmationSent
                });
            }
            Some(found) => {
                // Asked again before confirming: a new week to confirm, in the language asked now.
                let mut update: course_alert::ActiveModel = found.into();
                update.created_at = Set(now);
                update.language = Set(who.language.code().to_owned());
                if who.user_id.is_some() {
                    update.user_id = Set(who.user_id);
                }
                update.update(&txn).await?
            }
            None => {
                course_alert::ActiveModel {
                    email: Set(input.email.as_str().to_owned()),
                    language: Set(who.language.code().to_owned()),
                    kind: Set(input.kind),
                    filter_query: Set(filter_query.clone()),
                    user_id: Set(who.user_id),
                    channel: Set(who.channel.key().to_owned()),
                    created_at: Set(now),
                    confirmed_at: Set(None),
                    last_sent_at: Set(None),
                    checked_at: Set(None),
                    ..Default::default()
                }
                .insert(&txn)
                .await?
            }
        };
        if who.address_confirmed {
            let mut update: course_alert::ActiveModel = alert.clone().into();
            update.confirmed_at = Set(Some(now));
            update.update(&txn).await?;
            remember(&txn, alert.id, &baseline, now).await?;
            txn.commit().await?;
            return Ok(Subscribed::Active);
        }
        self.mail_link(&txn, &alert, &input.email, who.language, CONFIRM, now)
            .await?;
        txn.commit().await?;
        Ok(Subscribed::ConfirmationSent)
    }

    /// Mails a new single-use link for the alert, which the mail describes: to confirm it
    /// (`CONFIRM`), or to stop an alert that exists already (`UNSUBSCRIBE`).
    async fn mail_link(
        &self,
        txn: &impl ConnectionTrait,
        alert: &course_alert::Model,
        to: &Email,
        lang: Language,
        purpose: &str,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let (kind, page) = match purpose {
            CONFIRM => ("course-alert-confirm", "bestaetigen"),
            _ => ("course-alert-exists", "abmelden"),
        };
        let token = add_token(txn, alert.id, purpose, now).await?;
        let description = self.describe_model(alert, lang, &districts(txn).await?);
        // How long a confirmation link holds; a message that does not name it ignores it.
        let args = HashMap::from([("days".into(), CONFIRM_DAYS.into())]);
        let mail = self.composer.notice(
            lang,
            to,
            kind,
            &format!("/benachrichtigung/{page}/{token}"),
            &args,
            Some(&description.join("\n")),
            None,
        )?;
        mail::enqueue(txn, mail).await?;
        Ok(())
    }

    /// Confirms an alert by its mailed link. The dates that match at this moment count as known, so
    /// the first mail lists only what is published afterwards. Using the link again changes nothing.
    pub async fn confirm(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<course_alert::Model, AlertError> {
        let alert = self.by_link(token, CONFIRM).await?;
        if alert.confirmed_at.is_some() {
            return Ok(alert);
        }
        if alert.created_at < now - Duration::days(CONFIRM_DAYS) {
            return Err(AlertError::Expired);
        }
        let baseline = self.baseline(&alert, now).await?;
        let txn = begin_write(&self.db).await?;
        let confirmed = course_alert::Entity::update_many()
            .col_expr(course_alert::Column::ConfirmedAt, Expr::value(now))
            .filter(course_alert::Column::Id.eq(alert.id))
            .filter(course_alert::Column::ConfirmedAt.is_null())
            .exec(&txn)
            .await?
            .rows_affected;
        if confirmed == 1 {
            remember(&txn, alert.id, &baseline, now).await?;
        }
        txn.commit().await?;
        Ok(course_alert::Model {
            confirmed_at: Some(now),
            ..alert
        })
    }

    /// The alert behind an unsubscribe link, to say what is being ended.
    pub async fn by_unsubscribe_token(
        &self,
        token: &str,
    ) -> Result<course_alert::Model, AlertError> {
        self.by_link(token, UNSUBSCRIBE).await
    }

    /// The alert behind a mailed link made for `purpose`.
    async fn by_link(&self, token: &str, purpose: &str) -> Result<course_alert::Model, AlertError> {
        let found = course_alert_token::Entity::find_by_id(hash_token(token))
            .filter(course_alert_token::Column::Purpose.eq(purpose))
            .one(&self.db)
            .await?
            .ok_or(AlertError::NotFound)?;
        course_alert::Entity::find_by_id(found.alert_id)
            .one(&self.db)
            .await?
            .ok_or(AlertError::NotFound)
    }

    /// Ends an alert by the link in one of its mails (or the one-click POST of a mail program).
    pub async fn unsubscribe(&self, token: &str) -> Result<(), AlertError> {
        let alert = self.by_unsubscribe_token(token).await?;
        delete_alert(&self.db, alert.id).await?;
        Ok(())
    }
}
