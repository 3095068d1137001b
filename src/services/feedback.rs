//! Feedback after a date: single-use links mailed to participants, a printed QR code per date,
//! and paper forms typed in by staff. Stored forms keep the date only, never the booking or person.
use std::{borrow::Cow, collections::HashMap};

use chrono::{DateTime, Utc};
use fluent_templates::fluent_bundle::FluentValue;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait, PaginatorTrait, QueryFilter, QuerySelect, Set,
    sea_query::{Expr, ExprTrait},
};

use crate::{
    db::entities::{booking, feedback, feedback_invitation, offer, offer_date},
    domain::{
        Email, Language,
        booking::{Attendance, BookingStatus},
        feedback::{FeedbackChannel, FeedbackInput, qr_form_limit},
        offer::DateStatus,
    },
    mail::{self, compose::Composer},
    services::{
        sessions::{hash_token, random_token},
        throttle::{self, Limit},
    },
};

/// How long after a QR link closes the answers of a form opened before still count.
pub const ANSWERS_GRACE: chrono::Duration = chrono::Duration::hours(1);

#[derive(Debug, thiserror::Error)]
pub enum FeedbackError {
    #[error("no such feedback link or date")]
    NotFound,
    #[error("this feedback link was used already")]
    AlreadyUsed,
    /// Feedback is about a date that took place; before it starts there is nothing to rate.
    #[error("the date has not started yet")]
    NotYet,
    /// A printed code takes forms only for some days after its date.
    #[error("the printed feedback code has expired")]
    Expired,
    /// The printed code took as many forms as people could have been at the date.
    #[error("the printed feedback code took all the forms its date can have")]
    Enough,
    /// The client sent as many forms through printed codes as an hour allows.
    #[error("too many forms from this client")]
    Throttled,
    #[error("database: {0}")]
    Db(#[from] DbErr),
    #[error("composing a mail: {0}")]
    Mail(#[from] anyhow::Error),
}

#[derive(Clone)]
pub struct FeedbackDesk {
    pub db: DatabaseConnection,
    pub composer: Composer,
    /// How long after its date a printed code takes forms.
    pub code_valid_for: chrono::Duration,
}

/// Who could have been at `date`: places booked and not marked absent (a course's sessions count
/// those of its first date) and places kept for people who walk in; without registration, its
/// capacity.
async fn people_at(conn: &impl ConnectionTrait, date: &offer_date::Model) -> Result<i64, DbErr> {
    let registration = offer::Entity::find_by_id(date.offer_id)
        .one(conn)
        .await?
        .is_none_or(|o| o.registration_required);
    if !registration {
        return Ok(date.capacity.into());
    }
    let booked: Option<i64> = booking::Entity::find()
        .select_only()
        .column_as(Expr::col(booking::Column::Places).sum(), "places")
        .filter(booking::Column::DateId.eq(date.series_lead_id.unwrap_or(date.id)))
        .filter(booking::Column::Status.eq(BookingStatus::Confirmed))
        .filter(
            Condition::any()
                .add(booking::Column::Attendance.is_null())
                .add(booking::Column::Attendance.ne(Attendance::Absent)),
        )
        .into_tuple::<Option<i64>>()
        .one(conn)
        .await?
        .flatten();
    Ok(booked.unwrap_or(0) + i64::from(date.walk_in_places))
}

fn berlin_today(now: DateTime<Utc>) -> chrono::NaiveDate {
    now.with_timezone(&chrono_tz::Europe::Berlin).date_naive()
}

async fn store(
    conn: &impl ConnectionTrait,
    date_id: i32,
    channel: FeedbackChannel,
    input: FeedbackInput,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let [b1, b2, b3, b4, b5] = input.before;
    let [a1, a2, a3, a4, a5] = input.after;
    let topics: Vec<&str> = input.topics_wanted.iter().map(|t| t.key()).collect();
    feedback::ActiveModel {
        date_id: Set(date_id),
        channel: Set(channel.key().to_owned()),
        rating: Set(input.rating),
        helped: Set(input.helped),
        missing: Set(input.missing),
        topics_wanted: Set(Some(topics.join(",")).filter(|t| !t.is_empty())),
        free_text: Set(input.free_text),
        before_information: Set(b1),
        before_communication: Set(b2),
        before_content: Set(b3),
        before_safety: Set(b4),
        before_problem_solving: Set(b5),
        after_information: Set(a1),
        after_communication: Set(a2),
        after_content: Set(a3),
        after_safety: Set(a4),
        after_problem_solving: Set(a5),
        submitted_on: Set(berlin_today(now)),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(())
}

impl FeedbackDesk {
    /// The date a mailed link is about, while the link is unused.
    pub async fn invitation(&self, token: &str) -> Result<i32, FeedbackError> {
        let found = feedback_invitation::Entity::find()
            .filter(feedback_invitation::Column::TokenHash.eq(hash_token(token)))
            .one(&self.db)
            .await?
            .ok_or(FeedbackError::NotFound)?;
        if found.used_at.is_some() {
            return Err(FeedbackError::AlreadyUsed);
        }
        Ok(found.date_id)
    }

    /// Stores the form and uses up the link in one transaction; the form keeps no trace of the link.
    pub async fn submit_invited(
        &self,
        token: &str,
        input: FeedbackInput,
        now: DateTime<Utc>,
    ) -> Result<(), FeedbackError> {
        let date_id = self.invitation(token).await?;
        let txn = crate::db::begin_write(&self.db).await?;
        // Marked used with the time it was sent, the same for every link of the date: the day of
        // use would match the form's day (`submitted_on`), and the link, through the mail kept in
        // the outbox, its recipient.
        let claimed = feedback_invitation::Entity::update_many()
            .col_expr(
                feedback_invitation::Column::UsedAt,
                Expr::col(feedback_invitation::Column::CreatedAt),
            )
            .filter(feedback_invitation::Column::TokenHash.eq(hash_token(token)))
            .filter(feedback_invitation::Column::UsedAt.is_null())
            .exec(&txn)
            .await?;
        if claimed.rows_affected != 1 {
            return Err(FeedbackError::AlreadyUsed);
        }
        store(&txn, date_id, FeedbackChannel::Online, input, now).await?;
        txn.commit().await?;
        Ok(())
    }

    /// The date behind a printed QR link while the link takes forms: from the start of the date
    /// until [`Self::code_valid_for`] after its end, and up to [`qr_form_limit`] forms.
    async fn open_code(
        &self,
        conn: &impl ConnectionTrait,
        date_id: i32,
        code: &str,
        now: DateTime<Utc>,
        lock: bool,
        grace: chrono::Duration,
    ) -> Result<offer_date::Model, FeedbackError> {
        let mut query = offer_date::Entity::find_by_id(date_id);
        if lock {
            query = query.lock_exclusive();
        }
        let date = query
            .one(conn)
            .await?
            .filter(|d| d.feedback_code.as_deref() == Some(code))
            .ok_or(FeedbackError::NotFound)?;
        if date.starts_at > now {
            return Err(FeedbackError::NotYet);
        }
        if now > date.ends_at + self.code_valid_for + grace {
            return Err(FeedbackError::Expired);
        }
        let taken = feedback::Entity::find()
            .filter(feedback::Column::DateId.eq(date_id))
            .filter(feedback::Column::Channel.eq(FeedbackChannel::Qr.key()))
            .count(conn)
            .await?;
        if taken as i64 >= qr_form_limit(people_at(conn, &date).await?) {
            return Err(FeedbackError::Enough);
        }
        Ok(date)
    }

    /// The date behind a printed QR link, while the link takes forms.
    pub async fn date_for_code(
        &self,
        date_id: i32,
        code: &str,
        now: DateTime<Utc>,
    ) -> Result<offer_date::Model, FeedbackError> {
        self.open_code(
            &self.db,
            date_id,
            code,
            now,
            false,
            chrono::Duration::zero(),
        )
        .await
    }

    /// The same for answers being sent: a form opened shortly before the link closed is still
    /// taken for [`ANSWERS_GRACE`], so nobody loses what they typed to the clock.
    pub async fn date_taking_answers(
        &self,
        date_id: i32,
        code: &str,
        now: DateTime<Utc>,
    ) -> Result<offer_date::Model, FeedbackError> {
        self.open_code(&self.db, date_id, code, now, false, ANSWERS_GRACE)
            .await
    }

    /// Counting and storing are one step under the date's lock, so forms sent at the same moment
    /// cannot pass the limit together.
    pub async fn submit_with_code(
        &self,
        date_id: i32,
        code: &str,
        input: FeedbackInput,
        now: DateTime<Utc>,
        client_buckets: &[(String, Limit)],
    ) -> Result<(), FeedbackError> {
        let txn = crate::db::begin_write(&self.db).await?;
        self.open_code(&txn, date_id, code, now, true, ANSWERS_GRACE)
            .await?;
        // Counted in this transaction, so only forms that are stored count against the client.
        let buckets: Vec<(&str, Limit)> = client_buckets
            .iter()
            .map(|(bucket, limit)| (bucket.as_str(), *limit))
            .collect();
        if throttle::take_in(&txn, &buckets).await?.is_some() {
            return Err(FeedbackError::Throttled);
        }
        store(&txn, date_id, FeedbackChannel::Qr, input, now).await?;
        txn.commit().await?;
        Ok(())
    }

    /// A paper form typed in by staff (the handler checks the date belongs to their organisation),
    /// once the date has begun.
    pub async fn submit_paper(
        &self,
        date_id: i32,
        input: FeedbackInput,
        now: DateTime<Utc>,
    ) -> Result<(), FeedbackError> {
        let date = offer_date::Entity::find_by_id(date_id)
            .one(&self.db)
            .await?
            .ok_or(FeedbackError::NotFound)?;
        if date.starts_at > now {
            return Err(FeedbackError::NotYet);
        }
        store(&self.db, date_id, FeedbackChannel::Paper, input, now).await?;
        Ok(())
    }

    /// A form filled in at a kiosk terminal in the date's venue (the handler checks the date is
    /// there and started in the last days).
    pub async fn submit_kiosk(
        &self,
        date_id: i32,
        input: FeedbackInput,
        now: DateTime<Utc>,
    ) -> Result<(), FeedbackError> {
        store(&self.db, date_id, FeedbackChannel::Kiosk, input, now).await?;
        Ok(())
    }

    /// The code of a date's QR link, made on first use.
    pub async fn code_for(&self, date_id: i32) -> Result<String, FeedbackError> {
        let date = offer_date::Entity::find_by_id(date_id)
            .one(&self.db)
            .await?
            .ok_or(FeedbackError::NotFound)?;
        if let Some(code) = date.feedback_code {
            return Ok(code);
        }
        let code = random_token()[..16].to_owned();
        // Two staff printing at once must end up with the same code.
        offer_date::Entity::update_many()
            .col_expr(offer_date::Column::FeedbackCode, Expr::value(code))
            .filter(offer_date::Column::Id.eq(date_id))
            .filter(offer_date::Column::FeedbackCode.is_null())
            .exec(&self.db)
            .await?;
        offer_date::Entity::find_by_id(date_id)
            .one(&self.db)
            .await?
            .and_then(|d| d.feedback_code)
            .ok_or(FeedbackError::NotFound)
    }

    /// Mails a single-use feedback link to every participant with an e-mail address once a date
    /// (with all its sessions) is over; each date is claimed once, so several instances can run this.
    /// A date that fails (its transaction rolled back, so it is tried again at the next run) does
    /// not hold up the others; the first error is returned after all were tried.
    pub async fn invite_after_dates(&self, now: DateTime<Utc>) -> Result<usize, FeedbackError> {
        let ended = offer_date::Entity::find()
            .filter(offer_date::Column::EndsAt.lt(now))
            .filter(offer_date::Column::FeedbackInvitedAt.is_null())
            .filter(offer_date::Column::SeriesLeadId.is_null())
            .filter(offer_date::Column::Status.ne(DateStatus::Cancelled))
            .all(&self.db)
            .await?;
        let mut mailed = 0;
        let mut first_error = None;
        for date in ended {
            match self.invite_after(&date, now).await {
                Ok(mails) => mailed += mails,
                Err(e) => {
                    tracing::warn!(date_id = date.id, error = %e, "feedback invitations not sent");
                    first_error.get_or_insert(e);
                }
            }
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(mailed),
        }
    }

    /// The invitations of one ended date, in a transaction of its own.
    async fn invite_after(
        &self,
        date: &offer_date::Model,
        now: DateTime<Utc>,
    ) -> Result<usize, FeedbackError> {
        let sessions_to_come = offer_date::Entity::find()
            .filter(offer_date::Column::SeriesLeadId.eq(date.id))
            .filter(offer_date::Column::EndsAt.gte(now))
            .one(&self.db)
            .await?
            .is_some();
        if sessions_to_come {
            return Ok(0);
        }
        let mut mailed = 0;
        let txn = crate::db::begin_write(&self.db).await?;
        let claimed = offer_date::Entity::update_many()
            .col_expr(offer_date::Column::FeedbackInvitedAt, Expr::value(now))
            .filter(offer_date::Column::Id.eq(date.id))
            .filter(offer_date::Column::FeedbackInvitedAt.is_null())
            .exec(&txn)
            .await?;
        if claimed.rows_affected != 1 {
            return Ok(0);
        }
        let title = offer::Entity::find_by_id(date.offer_id)
            .one(&txn)
            .await?
            .map(|o| o.title)
            .unwrap_or_default();
        // Locked, so that a booking an account's deletion is anonymising right now is read after it
        // (without an address) rather than mailed once the deletion has removed the address's mail.
        let mut participants = booking::Entity::find()
            .filter(booking::Column::DateId.eq(date.id))
            .filter(booking::Column::Status.eq(BookingStatus::Confirmed))
            .filter(booking::Column::Email.is_not_null())
            .lock_shared()
            .all(&txn)
            .await?;
        // Links in no particular order, so their ids do not follow the bookings'.
        rand::seq::SliceRandom::shuffle(participants.as_mut_slice(), &mut rand::rng());
        let mut invited = Vec::with_capacity(participants.len());
        for person in participants {
            // People marked absent did not take part; they get no form.
            if person.attendance == Some(Attendance::Absent) {
                continue;
            }
            let Some(to) = person.email.as_deref().and_then(|e| Email::parse(e).ok()) else {
                continue;
            };
            let token = random_token();
            feedback_invitation::ActiveModel {
                date_id: Set(date.id),
                token_hash: Set(hash_token(&token)),
                used_at: Set(None),
                created_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
            let lang = Language::from_code(&person.language).unwrap_or(Language::De);
            invited.push((to, token, lang));
        }
        // The mails in another order than the links: the sender works through them by id and logs
        // each one it sent, so in the links' order they would pair each link with its recipient.
        rand::seq::SliceRandom::shuffle(invited.as_mut_slice(), &mut rand::rng());
        for (to, token, lang) in invited {
            let mut args: HashMap<Cow<'static, str>, FluentValue> = HashMap::new();
            args.insert("title".into(), title.clone().into());
            let message = self.composer.notice(
                lang,
                &to,
                "feedback-invitation",
                &format!("/rueckmeldung/{token}"),
                &args,
                None,
                None,
            )?;
            mail::enqueue_forgotten_when_sent(&txn, message).await?;
            mailed += 1;
        }
        txn.commit().await?;
        Ok(mailed)
    }
}
