//! A volunteer's private calendar feed: a secret address that lists their sessions.
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, Set,
};

use super::{VolunteeringError, sessions_of};
use crate::{
    calendar::{self, CalendarEvent},
    db::entities::{user_role, volunteer_feed},
    domain::{Language, Role},
    mail::compose::Composer,
    services::sessions::{hash_token, random_token},
};

#[derive(Clone)]
pub struct FeedDesk {
    pub db: DatabaseConnection,
    pub composer: Composer,
}

impl FeedDesk {
    /// A new secret address for the volunteer's calendar feed; the previous one stops working.
    pub async fn renew_feed(&self, user_id: i32, now: DateTime<Utc>) -> Result<String, DbErr> {
        let token = random_token();
        let txn = crate::db::begin_write(&self.db).await?;
        volunteer_feed::Entity::delete_by_id(user_id)
            .exec(&txn)
            .await?;
        volunteer_feed::ActiveModel {
            user_id: Set(user_id),
            token_hash: Set(hash_token(&token)),
            created_at: Set(now),
        }
        .insert(&txn)
        .await?;
        txn.commit().await?;
        Ok(token)
    }

    pub async fn revoke_feed(&self, user_id: i32) -> Result<(), DbErr> {
        volunteer_feed::Entity::delete_by_id(user_id)
            .exec(&self.db)
            .await
            .map(drop)
    }

    pub async fn has_feed(&self, user_id: i32) -> Result<bool, DbErr> {
        Ok(volunteer_feed::Entity::find_by_id(user_id)
            .one(&self.db)
            .await?
            .is_some())
    }

    /// The calendar of a feed token: the volunteer's sessions, cancelled ones marked so.
    pub async fn feed(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<String>, VolunteeringError> {
        let Some(feed) = volunteer_feed::Entity::find()
            .filter(volunteer_feed::Column::TokenHash.eq(hash_token(token)))
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        // The link is only as good as the role: once it is revoked (or the account is gone), the
        // feed answers like an unknown link.
        let still_volunteer = user_role::Entity::find()
            .filter(user_role::Column::UserId.eq(feed.user_id))
            .filter(user_role::Column::Role.eq(Role::Volunteer.as_str()))
            .one(&self.db)
            .await?
            .is_some();
        if !still_volunteer {
            return Ok(None);
        }
        let base = self.composer.base_url.trim_end_matches('/').to_owned();
        let translations = &self.composer.translations;
        let events: Vec<CalendarEvent> = sessions_of(&self.db, feed.user_id)
            .await?
            .into_iter()
            .filter(|s| s.ends_at > now - Duration::days(60))
            .map(|s| CalendarEvent {
                uid: format!("shift-{}@teilhabe", s.id),
                sequence: 0,
                summary: s.title.clone(),
                description: format!(
                    "{} · {}",
                    translations.text(Language::De, &format!("shift-kind-{}", s.kind)),
                    s.organisation_name
                ),
                location: s.place.clone(),
                url: format!("{base}/verwaltung/einsaetze/{}", s.id),
                starts_at: s.starts_at,
                ends_at: s.ends_at,
                cancelled: s.status.is_cancelled(),
                alarm_before: Some(Duration::hours(2)),
            })
            .collect();
        Ok(Some(calendar::calendar(
            &translations.text(Language::De, "volunteer-feed-name"),
            &events,
            now,
        )))
    }
}
