//! A volunteer's private calendar feed: a secret address that lists their sessions.
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, Set,
};

use super::{VolunteeringError, holds_volunteer_role, sessions_of, still_a_volunteer};
use crate::{
    calendar::{self, CalendarEvent},
    db::entities::{offer_date, volunteer_feed},
    domain::Language,
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
    /// `None` when the role was revoked meanwhile: a later grant must not revive the address.
    pub async fn renew_feed(
        &self,
        user_id: i32,
        now: DateTime<Utc>,
    ) -> Result<Option<String>, DbErr> {
        let token = random_token();
        let txn = crate::db::begin_write(&self.db).await?;
        if !still_a_volunteer(&txn, user_id).await? {
            return Ok(None);
        }
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
        Ok(Some(token))
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
        if !holds_volunteer_role(&self.db, feed.user_id).await? {
            return Ok(None);
        }
        let base = self.composer.base_url.trim_end_matches('/').to_owned();
        let translations = &self.composer.translations;
        let sessions: Vec<_> = sessions_of(&self.db, feed.user_id)
            .await?
            .into_iter()
            .filter(|s| s.ends_at > now - Duration::days(60))
            .collect();
        // A calendar replaces an entry only by one with a higher SEQUENCE. A helper session of a
        // course date moves with its date (time, venue), and every such change raises the date's
        // revision: that is the session's SEQUENCE, one more once it is cancelled. (A standalone
        // session has no counter of its own yet: only its cancellation raises it.)
        let revisions: std::collections::HashMap<i32, i32> = offer_date::Entity::find()
            .filter(offer_date::Column::Id.is_in(sessions.iter().filter_map(|s| s.offer_date_id)))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|d| (d.id, d.revision))
            .collect();
        let events: Vec<CalendarEvent> = sessions
            .into_iter()
            .map(|s| CalendarEvent {
                uid: format!("shift-{}@teilhabe", s.id),
                sequence: s
                    .offer_date_id
                    .and_then(|id| revisions.get(&id))
                    .copied()
                    .unwrap_or(0)
                    + i32::from(s.status.is_cancelled()),
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
