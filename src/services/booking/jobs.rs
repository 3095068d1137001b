//! Jobs on whole dates: the provider cancels or changes a date, reminders, decision tasks before a
//! date below its minimum, and anonymising past bookings. Run by providers or by the scheduler.
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, DbErr,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    sea_query::{Alias, Expr, ExprTrait, OnConflict, Query},
};

use super::{
    BookingError, Desk, active_bookings, anonymise_bookings, lock_course_of_session, lock_date,
};
use crate::{
    db::{
        begin_write,
        entities::{booking, booking_reminder, offer, offer_date, outbox, staff_task},
        is_lock_timeout,
    },
    domain::{booking::BookingStatus, offer::DateStatus},
    mail::compose::BookingMail,
    services::volunteering::{PlanningDesk, VolunteeringError},
};

enum Reminder {
    /// This run sends it.
    Claimed,
    /// Sent before (by this or another instance) for the date as it is now.
    AlreadySent,
    /// The booking had a reminder today already (for another session); it waits for tomorrow.
    NotToday,
}

/// Claims the reminder of `booking_id` for `date` by inserting its row: unique per booking, date and
/// revision, and per booking and day, so two instances never send it twice, and nobody gets two
/// reminders on one day.
async fn claim_reminder(
    txn: &DatabaseTransaction,
    booking_id: i64,
    date: &offer_date::Model,
    today: &str,
    now: DateTime<Utc>,
) -> Result<Reminder, DbErr> {
    let inserted = booking_reminder::Entity::insert(booking_reminder::ActiveModel {
        booking_id: Set(booking_id),
        date_id: Set(date.id),
        revision: Set(date.revision),
        reminded_on: Set(today.to_owned()),
        sent_at: Set(now),
        ..Default::default()
    })
    .on_conflict(OnConflict::new().do_nothing().to_owned())
    .exec_without_returning(txn)
    .await?;
    if inserted == 1 {
        return Ok(Reminder::Claimed);
    }
    let sent_for_date = booking_reminder::Entity::find()
        .filter(booking_reminder::Column::BookingId.eq(booking_id))
        .filter(booking_reminder::Column::DateId.eq(date.id))
        .filter(booking_reminder::Column::Revision.eq(date.revision))
        .count(txn)
        .await?
        > 0;
    Ok(if sent_for_date {
        Reminder::AlreadySent
    } else {
        Reminder::NotToday
    })
}

/// The items of one job run (a date each): an item that fails is logged and left for the next run,
/// so one that keeps failing does not hold back the others. The run is an error only when items
/// failed and none succeeded (the database is gone, say), so the scheduler reports that too.
pub(super) struct JobRun {
    job: &'static str,
    done: usize,
    succeeded: bool,
    first_failure: Option<BookingError>,
}

impl JobRun {
    pub(super) fn new(job: &'static str) -> Self {
        Self {
            job,
            done: 0,
            succeeded: false,
            first_failure: None,
        }
    }

    pub(super) fn add(&mut self, date_id: i32, result: Result<usize, BookingError>) {
        match result {
            Ok(done) => {
                self.done += done;
                self.succeeded = true;
            }
            Err(error) => {
                tracing::warn!(date_id, job = self.job, %error, "left for the next run");
                self.first_failure.get_or_insert(error);
            }
        }
    }

    pub(super) fn finish(self) -> Result<usize, BookingError> {
        match self.first_failure {
            Some(error) if !self.succeeded => Err(error),
            _ => Ok(self.done),
        }
    }
}

impl Desk {
    /// The provider cancels a date: everyone booked or waiting is told (by mail, or staff phone them),
    /// and the date's helper sessions ahead are cancelled with it.
    pub async fn cancel_date(
        &self,
        date_id: i32,
        now: DateTime<Utc>,
        by: Option<i32>,
    ) -> Result<usize, BookingError> {
        let txn = begin_write(&self.db).await?;
        lock_course_of_session(&txn, date_id).await?;
        let date = lock_date(&txn, date_id).await?;
        if date.status.is_cancelled() {
            return Ok(0);
        }
        // A date that took place stays as it was (a tab opened before the start and used after):
        // cancelling it would withdraw people's calendar entries and its feedback invitations.
        if date.starts_at <= now {
            return Err(BookingError::Begun);
        }
        if let Some(lead) = date.series_lead_id {
            // One session of a course booked as a whole: its people are the lead date's.
            mark_cancelled(
                &txn,
                Condition::all().add(offer_date::Column::Id.eq(date_id)),
            )
            .await?;
            self.cancel_helper_sessions(&txn, &[date_id], now).await?;
            let people = active_bookings(&txn, lead).await?;
            for person in &people {
                self.notify_session(
                    &txn,
                    BookingMail::SessionCancelled,
                    person,
                    date_id,
                    now,
                    true,
                )
                .await?;
            }
            record_cancellation(&txn, by, "date.cancel", date_id, people.len()).await?;
            txn.commit().await?;
            return Ok(people.len());
        }
        // The first date of a course cancels the whole course: every session goes with it.
        let course = Condition::any()
            .add(offer_date::Column::Id.eq(date_id))
            .add(offer_date::Column::SeriesLeadId.eq(date_id));
        let course_ids: Vec<i32> = offer_date::Entity::find()
            .filter(course.clone())
            .select_only()
            .column(offer_date::Column::Id)
            .into_tuple()
            .all(&txn)
            .await?;
        mark_cancelled(&txn, course).await?;
        self.cancel_helper_sessions(&txn, &course_ids, now).await?;
        let people = active_bookings(&txn, date_id).await?;
        for person in &people {
            self.notify(&txn, BookingMail::DateCancelled, person, now, true)
                .await?;
        }
        record_cancellation(&txn, by, "date.cancel", date_id, people.len()).await?;
        txn.commit().await?;
        Ok(people.len())
    }

    /// The provider stops a course booked as a whole after it began: its sessions still ahead are
    /// cancelled, and everyone booked or waiting is told once (not once per session, which would
    /// read as if the others took place). Returns how many were told.
    pub async fn stop_course(
        &self,
        lead_id: i32,
        now: DateTime<Utc>,
        by: Option<i32>,
    ) -> Result<usize, BookingError> {
        let txn = begin_write(&self.db).await?;
        let lead = lock_date(&txn, lead_id).await?;
        if lead.status.is_cancelled() || lead.series_lead_id.is_some() {
            return Ok(0);
        }
        let ahead: Vec<i32> = offer_date::Entity::find()
            .filter(offer_date::Column::SeriesLeadId.eq(lead_id))
            .filter(offer_date::Column::StartsAt.gt(now))
            .filter(offer_date::Column::Status.ne(DateStatus::Cancelled))
            .order_by_asc(offer_date::Column::StartsAt)
            .all(&txn)
            .await?
            .into_iter()
            .map(|d| d.id)
            .collect();
        let Some(&next) = ahead.first() else {
            return Ok(0);
        };
        mark_cancelled(
            &txn,
            Condition::all().add(offer_date::Column::Id.is_in(ahead.clone())),
        )
        .await?;
        self.cancel_helper_sessions(&txn, &ahead, now).await?;
        let people = active_bookings(&txn, lead_id).await?;
        for person in &people {
            self.notify_session(&txn, BookingMail::CourseStopped, person, next, now, true)
                .await?;
        }
        record_cancellation(&txn, by, "course.stop", lead_id, people.len()).await?;
        txn.commit().await?;
        Ok(people.len())
    }

    /// The helper sessions of cancelled dates that have not begun are cancelled with them, in the
    /// transaction that cancels the dates, and their helpers are told.
    async fn cancel_helper_sessions(
        &self,
        txn: &impl ConnectionTrait,
        date_ids: &[i32],
        now: DateTime<Utc>,
    ) -> Result<usize, BookingError> {
        let helpers = PlanningDesk {
            db: self.db.clone(),
            composer: self.composer.clone(),
        };
        helpers
            .cancel_with_dates_in(txn, date_ids, now)
            .await
            .map_err(|e| match e {
                VolunteeringError::Db(e) => BookingError::Db(e),
                other => BookingError::Mail(other.into()),
            })
    }

    /// Tells everyone booked or waiting that the date changed (time, place); the calendar entry they get
    /// replaces the old one (same UID, higher SEQUENCE).
    pub async fn announce_change(
        &self,
        date_id: i32,
        now: DateTime<Utc>,
    ) -> Result<usize, BookingError> {
        let txn = begin_write(&self.db).await?;
        let told = self.announce_change_in(&txn, date_id, now).await?;
        txn.commit().await?;
        Ok(told)
    }

    /// [`Self::announce_change`] inside the transaction that changed the date, so the change is
    /// never stored without its mails.
    pub async fn announce_change_in(
        &self,
        txn: &DatabaseTransaction,
        date_id: i32,
        now: DateTime<Utc>,
    ) -> Result<usize, BookingError> {
        // A session of a course booked as a whole: its people are the first date's, and the mail
        // names the session that moved.
        let lead = offer_date::Entity::find_by_id(date_id)
            .one(txn)
            .await?
            .and_then(|d| d.series_lead_id);
        let people = active_bookings(txn, lead.unwrap_or(date_id)).await?;
        for person in &people {
            match lead {
                Some(_) => {
                    self.notify_session(txn, BookingMail::SessionMoved, person, date_id, now, true)
                        .await?
                }
                None => {
                    self.notify(txn, BookingMail::DateChanged, person, now, true)
                        .await?
                }
            }
        }
        Ok(people.len())
    }

    /// Reminder mails for dates starting within `before`: before a single date, and before every
    /// session of a course booked as a whole (its people are the first date's). Each booking is
    /// reminded once per date, and at most once a calendar day: a reminder that would be the second
    /// that day waits for the next run on the following day. A date counts as done
    /// (`reminder_sent_at`) once nobody is left waiting for its reminder.
    pub async fn send_reminders(
        &self,
        before: chrono::Duration,
        now: DateTime<Utc>,
    ) -> Result<usize, BookingError> {
        let due = offer_date::Entity::find()
            .filter(offer_date::Column::ReminderSentAt.is_null())
            .filter(offer_date::Column::Status.ne(DateStatus::Cancelled))
            .filter(offer_date::Column::StartsAt.gt(now))
            .filter(offer_date::Column::StartsAt.lte(now + before))
            .order_by_asc(offer_date::Column::StartsAt)
            .order_by_asc(offer_date::Column::Id)
            .all(&self.db)
            .await?;
        let today = now
            .with_timezone(&chrono_tz::Europe::Berlin)
            .date_naive()
            .to_string();
        let mut run = JobRun::new("reminders");
        for date in due {
            run.add(date.id, self.remind_date(&date, &today, now).await);
        }
        run.finish()
    }

    /// The reminders of one date, in a transaction of its own.
    async fn remind_date(
        &self,
        seen: &offer_date::Model,
        today: &str,
        now: DateTime<Utc>,
    ) -> Result<usize, BookingError> {
        let mut sent = 0;
        let txn = begin_write(&self.db).await?;
        // The run read its dates before this one's turn: a cancellation or a move that committed
        // since wins (a moved date is reminded by a later run, at its new time).
        let date = &lock_date(&txn, seen.id).await?;
        if date.status.is_cancelled()
            || date.revision != seen.revision
            || date.reminder_sent_at.is_some()
        {
            return Ok(0);
        }
        let people = booking::Entity::find()
            .filter(booking::Column::DateId.eq(date.series_lead_id.unwrap_or(date.id)))
            .filter(booking::Column::Status.eq(BookingStatus::Confirmed))
            .order_by_asc(booking::Column::Id)
            .all(&txn)
            .await?;
        let mut waiting = false;
        for person in &people {
            match claim_reminder(&txn, person.id, date, today, now).await? {
                Reminder::Claimed => {
                    match date.series_lead_id {
                        Some(_) => {
                            self.notify_session(
                                &txn,
                                BookingMail::SessionReminder,
                                person,
                                date.id,
                                now,
                                false,
                            )
                            .await?
                        }
                        None => {
                            self.notify(&txn, BookingMail::Reminder, person, now, false)
                                .await?
                        }
                    }
                    sent += 1;
                }
                Reminder::AlreadySent => {}
                Reminder::NotToday => waiting = true,
            }
        }
        if !waiting {
            offer_date::Entity::update_many()
                .col_expr(offer_date::Column::ReminderSentAt, Expr::value(now))
                .filter(offer_date::Column::Id.eq(date.id))
                .filter(offer_date::Column::ReminderSentAt.is_null())
                .exec(&txn)
                .await?;
        }
        txn.commit().await?;
        Ok(sent)
    }

    /// Dates below their minimum at the decision date: staff get one task to confirm or cancel.
    pub async fn raise_decision_tasks(&self, now: DateTime<Utc>) -> Result<usize, BookingError> {
        let due = offer_date::Entity::find()
            .filter(offer_date::Column::DecidedAt.is_null())
            .filter(offer_date::Column::DecisionAt.lte(now))
            .filter(offer_date::Column::StartsAt.gt(now))
            .filter(offer_date::Column::Status.ne(DateStatus::Cancelled))
            .all(&self.db)
            .await?;
        let mut run = JobRun::new("decision tasks");
        for date in due {
            run.add(date.id, self.decide_date(&date, now).await);
        }
        run.finish()
    }

    /// Claims one date's decision and raises its task when it is below its minimum.
    async fn decide_date(
        &self,
        date: &offer_date::Model,
        now: DateTime<Utc>,
    ) -> Result<usize, BookingError> {
        let mut raised = 0;
        let txn = begin_write(&self.db).await?;
        let claimed = offer_date::Entity::update_many()
            .col_expr(offer_date::Column::DecidedAt, Expr::value(now))
            .filter(offer_date::Column::Id.eq(date.id))
            .filter(offer_date::Column::DecidedAt.is_null())
            .exec(&txn)
            .await?
            .rows_affected
            == 1;
        // The count is read again after the claim: the due list was read before, and a
        // cancellation committed meanwhile (the claim waited for its row lock) would otherwise
        // let the date pass with a stale count and never be looked at again.
        let booked_now = if claimed {
            offer_date::Entity::find_by_id(date.id)
                .one(&txn)
                .await?
                .map_or(date.booked_places, |d| d.booked_places)
        } else {
            date.booked_places
        };
        if claimed && booked_now < date.min_participants {
            let offer = offer::Entity::find_by_id(date.offer_id)
                .one(&txn)
                .await?
                .ok_or(BookingError::DateNotFound)?;
            staff_task::ActiveModel {
                organisation_id: Set(offer.organisation_id),
                date_id: Set(Some(date.id)),
                booking_id: Set(None),
                kind: Set("decide-minimum".into()),
                created_at: Set(now),
                done_at: Set(None),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
            raised = 1;
        }
        txn.commit().await?;
        Ok(raised)
    }

    /// Removes names and contacts of participants once `retention` has passed since their date, or
    /// for a course booked as a whole since its last session (its bookings sit on the first date,
    /// and its later sessions still need reminders, the list and the personal link); status,
    /// places, channel and attendance stay for the statistics.
    pub async fn anonymise_past_bookings(
        &self,
        retention: chrono::Duration,
        now: DateTime<Utc>,
    ) -> Result<u64, BookingError> {
        let cutoff = now - retention;
        let sessions = Alias::new("later_sessions");
        let session_still_recent = Query::select()
            .expr(Expr::val(1))
            .from_as(offer_date::Entity, sessions.clone())
            .and_where(
                Expr::col((sessions.clone(), offer_date::Column::SeriesLeadId))
                    .equals((offer_date::Entity, offer_date::Column::Id)),
            )
            .and_where(Expr::col((sessions, offer_date::Column::EndsAt)).gte(cutoff))
            .to_owned();
        // Only dates with bookings still to anonymise (a partial index holds them): the work
        // follows what is left to do, not every date that ever ended.
        let with_names = Query::select()
            .column(booking::Column::DateId)
            .from(booking::Entity)
            .and_where(Expr::col(booking::Column::AnonymisedAt).is_null())
            .to_owned();
        let old_dates: Vec<i32> = offer_date::Entity::find()
            .select_only()
            .column(offer_date::Column::Id)
            .filter(offer_date::Column::Id.in_subquery(with_names))
            .filter(offer_date::Column::EndsAt.lt(cutoff))
            .filter(Expr::exists(session_still_recent).not())
            .into_tuple()
            .all(&self.db)
            .await?;
        let mut total = 0;
        for chunk in old_dates.chunks(500) {
            match self.anonymise_chunk(chunk, now).await {
                Ok(anonymised) => total += anonymised,
                // One booking locked elsewhere for long holds back only its own chunk, which the
                // next run takes again.
                Err(e) if is_lock_timeout(&e) => {
                    tracing::warn!(error = %e, "bookings locked elsewhere; anonymised next time");
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(total)
    }

    async fn anonymise_chunk(&self, dates: &[i32], now: DateTime<Utc>) -> Result<u64, DbErr> {
        let txn = begin_write(&self.db).await?;
        let anonymised = anonymise_bookings(now)
            .filter(booking::Column::DateId.is_in(dates.to_vec()))
            .filter(booking::Column::AnonymisedAt.is_null())
            .exec(&txn)
            .await?
            .rows_affected;
        // Mail about these bookings still queued or retried (with a retention period shorter
        // than the outbox's month) holds the name, the address and the link: it goes too.
        let their_bookings = Query::select()
            .column(booking::Column::Id)
            .from(booking::Entity)
            .and_where(booking::Column::DateId.is_in(dates.to_vec()))
            .to_owned();
        outbox::Entity::delete_many()
            .filter(outbox::Column::BookingId.in_subquery(their_bookings))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(anonymised)
    }
}

/// Marks the dates `which` selects as cancelled, each with a new revision, so calendars that hold
/// them take the cancellation.
async fn mark_cancelled(txn: &DatabaseTransaction, which: Condition) -> Result<(), DbErr> {
    offer_date::Entity::update_many()
        .col_expr(
            offer_date::Column::Status,
            Expr::value(DateStatus::Cancelled),
        )
        .col_expr(
            offer_date::Column::Revision,
            Expr::col(offer_date::Column::Revision).add(1),
        )
        .filter(which)
        .exec(txn)
        .await
        .map(drop)
}

/// The audit entry of a cancellation, in its transaction: it is stored exactly when the
/// cancellation is.
async fn record_cancellation(
    txn: &DatabaseTransaction,
    by: Option<i32>,
    action: &str,
    date_id: i32,
    told: usize,
) -> Result<(), DbErr> {
    crate::services::audit::record(
        txn,
        by,
        action,
        &format!("date:{date_id}"),
        &format!("{told} bookings informed"),
    )
    .await
}
