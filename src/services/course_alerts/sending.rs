//! The weekly job: which alerts are due, claiming each for one instance, and the dates new to it.
use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
    sea_query::{Expr, ExprTrait, Query},
};

use super::{AlertDesk, AlertError, UNSUBSCRIBE, add_token, districts, remember};
use crate::{
    db::{
        begin_write,
        entities::{course_alert, course_alert_date, offer_date},
    },
    domain::{
        Email,
        course_alert::{CONFIRM_DAYS, stored_filter},
    },
    mail,
    services::{catalogue, reference::District},
};

/// At most one mail a week per alert.
pub const MAIL_EVERY: Duration = Duration::days(7);
/// An alert without news is looked at again after this long (one catalogue query per alert and hour
/// at most while no date is added, however often the job runs), or at the runs of the `COMMIT_LAG`
/// after a date has been added: a new date is noticed at once, a date that became visible otherwise
/// (its offer published) within the hour.
pub const CHECK_EVERY: Duration = Duration::hours(1);
/// A date is stamped with its creation time before its transaction commits (on SQLite possibly after
/// waiting up to the 10 s busy timeout for the write lock), so a run may not see a date stamped shortly
/// before it began. A look at an alert therefore counts only for dates stamped this long before the
/// run: a date that became visible late is noticed at the next run, not an hour later.
pub const COMMIT_LAG: Duration = Duration::seconds(30);
/// Most dates new to an alert read for one mail; more wait for the next one.
const CANDIDATES: u64 = 2_000;
/// Alerts handled in one run of the job.
const BATCH: u64 = 500;

impl AlertDesk {
    /// Matching upcoming dates of the alert's filter that it has not told about yet, earliest
    /// first (none when the filter no longer parses). Only the unknown ones are read, so an alert
    /// matching thousands of dates neither misses a new one beyond the first few thousand nor takes
    /// an old one for new once earlier dates have passed.
    async fn unknown_matching(
        &self,
        model: &course_alert::Model,
        now: DateTime<Utc>,
    ) -> Result<Vec<catalogue::Entry>, DbErr> {
        let Some(filter) = stored_filter(&model.filter_query) else {
            return Ok(vec![]);
        };
        let known = Query::select()
            .column(course_alert_date::Column::DateId)
            .from(course_alert_date::Entity)
            .and_where(course_alert_date::Column::AlertId.eq(model.id))
            .to_owned();
        let unknown = Condition::all()
            .add(Expr::col((offer_date::Entity, offer_date::Column::Id)).not_in_subquery(known));
        catalogue::matching_and(&self.db, model.kind, &filter, now, unknown, CANDIDATES).await
    }

    /// The weekly job: every confirmed alert whose last mail is a week old (or that has had none) is
    /// claimed by one conditional update in a write transaction, so of several instances running it
    /// at once exactly one handles each alert; it gets one mail listing the matching dates not told
    /// about yet, or nothing when there are none. Unconfirmed alerts past their confirmation week are
    /// removed. Returns the number of mails queued. An alert that fails (its transaction rolled back,
    /// so it is due again at the next run) does not hold up the others; the first error is returned
    /// after all were tried.
    pub async fn send_due(&self, now: DateTime<Utc>) -> Result<usize, AlertError> {
        course_alert::Entity::delete_many()
            .filter(course_alert::Column::ConfirmedAt.is_null())
            .filter(course_alert::Column::CreatedAt.lt(now - Duration::days(CONFIRM_DAYS)))
            .exec(&self.db)
            .await?;
        let newest = newest_date(&self.db).await?;
        let due = course_alert::Entity::find()
            .filter(course_alert::Column::ConfirmedAt.is_not_null())
            .filter(due_condition(now, newest))
            .order_by_asc(course_alert::Column::Id)
            .limit(BATCH)
            .all(&self.db)
            .await?;
        if due.is_empty() {
            return Ok(0);
        }
        let districts = districts(&self.db).await?;
        let mut sent = 0;
        let mut first_error = None;
        for alert in due {
            match self.send_one(&alert, now, newest, &districts).await {
                Ok(true) => sent += 1,
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(alert_id = alert.id, error = %e, "course alert not sent");
                    first_error.get_or_insert(e);
                }
            }
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(sent),
        }
    }

    async fn send_one(
        &self,
        alert: &course_alert::Model,
        now: DateTime<Utc>,
        newest: Option<DateTime<Utc>>,
        districts: &[District],
    ) -> Result<bool, AlertError> {
        let candidates = self.unknown_matching(alert, now).await?;
        let txn = begin_write(&self.db).await?;
        // The claim holds only for the alert as read: after an address change in between the mail
        // would go to the old address. The next run sends it to the new one.
        let claimed = course_alert::Entity::update_many()
            .col_expr(
                course_alert::Column::CheckedAt,
                Expr::value(now - COMMIT_LAG),
            )
            .filter(course_alert::Column::Id.eq(alert.id))
            .filter(course_alert::Column::Email.eq(alert.email.as_str()))
            .filter(course_alert::Column::Language.eq(alert.language.as_str()))
            .filter(course_alert::Column::ConfirmedAt.is_not_null())
            .filter(due_condition(now, newest))
            .exec(&txn)
            .await?
            .rows_affected;
        if claimed != 1 {
            txn.rollback().await?;
            return Ok(false);
        }
        // Read before the claim: a run on another instance may have told about some of them since.
        let ids: Vec<i32> = candidates.iter().map(|e| e.date.date_id).collect();
        let mut known: HashSet<i32> = HashSet::new();
        for chunk in ids.chunks(500) {
            known.extend(
                course_alert_date::Entity::find()
                    .filter(course_alert_date::Column::AlertId.eq(alert.id))
                    .filter(course_alert_date::Column::DateId.is_in(chunk.to_vec()))
                    .all(&txn)
                    .await?
                    .into_iter()
                    .map(|d| d.date_id),
            );
        }
        let new: Vec<&catalogue::Entry> = candidates
            .iter()
            .filter(|e| !known.contains(&e.date.date_id))
            .collect();
        if new.is_empty() {
            // Looked at: not again within the hour.
            txn.commit().await?;
            return Ok(false);
        }
        let Ok(to) = Email::parse(&alert.email) else {
            txn.commit().await?;
            return Ok(false);
        };
        let new_ids: Vec<i32> = new.iter().map(|e| e.date.date_id).collect();
        remember(&txn, alert.id, &new_ids, now).await?;
        course_alert::Entity::update_many()
            .col_expr(course_alert::Column::LastSentAt, Expr::value(now))
            .filter(course_alert::Column::Id.eq(alert.id))
            .exec(&txn)
            .await?;
        let token = add_token(&txn, alert.id, UNSUBSCRIBE, now).await?;
        let unsubscribe = format!("{}/benachrichtigung/abmelden/{token}", self.base());
        let mail = self.alert_mail(alert, &to, &new, &unsubscribe, districts)?;
        mail::enqueue_unsubscribable(&txn, mail, &unsubscribe).await?;
        txn.commit().await?;
        Ok(true)
    }
}

/// When the newest date was added (read once per run; an index keeps it cheap).
async fn newest_date(db: &DatabaseConnection) -> Result<Option<DateTime<Utc>>, DbErr> {
    Ok(offer_date::Entity::find()
        .order_by_desc(offer_date::Column::CreatedAt)
        .one(db)
        .await?
        .map(|d| d.created_at))
}

/// Due for a look: no mail in the last week, and not looked at since the last hour or since the
/// newest date was added.
fn due_condition(now: DateTime<Utc>, newest: Option<DateTime<Utc>>) -> Condition {
    let mut looked = Condition::any()
        .add(course_alert::Column::CheckedAt.is_null())
        .add(course_alert::Column::CheckedAt.lte(now - CHECK_EVERY));
    if let Some(newest) = newest {
        looked = looked.add(course_alert::Column::CheckedAt.lt(newest));
    }
    Condition::all()
        .add(
            Condition::any()
                .add(course_alert::Column::LastSentAt.is_null())
                .add(course_alert::Column::LastSentAt.lte(now - MAIL_EVERY)),
        )
        .add(looked)
}
