//! The booking engine for course dates and dialogue events. Capacity is enforced inside one write
//! transaction: the date row is locked (PostgreSQL `FOR UPDATE`; SQLite takes the write lock at `BEGIN
//! IMMEDIATE`), so concurrent requests are served one after another and can never oversell. Requests that
//! do not fit join the waiting list in arrival order. Every change writes its mails (or, for people
//! without e-mail, a task for staff) in the same transaction, so nobody is left uninformed.
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, DbErr, EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
    sea_query::{Expr, ExprTrait, OnConflict, Query, SelectStatement},
};

use super::{catalogue, sessions};
use crate::{
    db::{
        begin_write,
        entities::{booking, booking_reminder, offer, offer_date, staff_task},
    },
    domain::{
        booking::{BookingRequest, BookingStatus, Channel},
        offer::{DateStatus, OfferStatus},
    },
    mail::{
        self,
        compose::{BookingMail, Composer},
    },
};

#[derive(Debug, thiserror::Error)]
pub enum BookingError {
    #[error("no such date")]
    DateNotFound,
    /// The date cannot be booked now; the message id says why (past, cancelled, window closed …).
    #[error("not bookable: {0}")]
    NotBookable(&'static str),
    #[error("more places than one booking may take")]
    TooManyPlaces,
    #[error("this address has already booked this date")]
    Duplicate,
    #[error("no booking for this link")]
    BookingNotFound,
    #[error("the booking was already cancelled")]
    AlreadyCancelled,
    #[error("no open offer of places for this booking")]
    NoOpenOffer,
    #[error("database: {0}")]
    Db(#[from] DbErr),
    #[error("composing a mail: {0}")]
    Mail(#[from] anyhow::Error),
}

/// What the engine needs besides the database: mail texts and the rules set by configuration.
#[derive(Clone)]
pub struct Desk {
    pub db: DatabaseConnection,
    pub composer: Composer,
    /// How long places offered to a waiting entry are held for it.
    pub offer_hold: chrono::Duration,
}

#[derive(Debug)]
pub struct Booked {
    pub booking_id: i64,
    pub status: BookingStatus,
    /// Secret of the booking's own page (details, calendar, cancellation).
    pub cancel_token: String,
    /// 1-based position on the waiting list.
    pub waiting_position: Option<u64>,
}

fn check_bookable(
    date: &offer_date::Model,
    offer_status: OfferStatus,
    now: DateTime<Utc>,
) -> Result<(), BookingError> {
    if !offer_status.is_public() {
        return Err(BookingError::NotBookable("error-booking-not-published"));
    }
    if date.status.is_cancelled() {
        return Err(BookingError::NotBookable("error-booking-cancelled"));
    }
    if date.starts_at <= now {
        return Err(BookingError::NotBookable("error-booking-past"));
    }
    if date.booking_opens_at.is_some_and(|opens| opens > now) {
        return Err(BookingError::NotBookable("error-booking-not-open"));
    }
    if date.booking_closes_at.is_some_and(|closes| closes <= now) {
        return Err(BookingError::NotBookable("error-booking-closed"));
    }
    if date.series_lead_id.is_some() {
        return Err(BookingError::NotBookable("error-booking-session"));
    }
    Ok(())
}

/// What a booking checks under the date's lock besides the date itself, in one query.
#[derive(Debug, FromQueryResult)]
struct BookingFacts {
    /// `None` only if the offer is gone (the foreign key prevents that).
    offer_status: Option<OfferStatus>,
    waiting: i64,
    /// Active bookings of this date by the same address.
    same_address: i64,
}

impl BookingFacts {
    async fn of(
        txn: &DatabaseTransaction,
        date: &offer_date::Model,
        email: Option<&crate::domain::Email>,
    ) -> Result<Self, BookingError> {
        let cancelled = BookingStatus::Cancelled;
        // Without an address there is nothing to compare; an empty address matches no booking.
        let email = email.map_or("", |e| e.as_str());
        let scalar = |select: &mut SelectStatement| -> Expr {
            Expr::SubQuery(None, Box::new(select.to_owned().into()))
        };
        let bookings_where = |cond: Condition| {
            scalar(
                Query::select()
                    .expr(Expr::col(booking::Column::Id).count())
                    .from(booking::Entity)
                    .cond_where(cond),
            )
        };
        let select = Query::select()
            .expr_as(
                scalar(
                    Query::select()
                        .column(offer::Column::Status)
                        .from(offer::Entity)
                        .and_where(offer::Column::Id.eq(date.offer_id)),
                ),
                "offer_status",
            )
            .expr_as(bookings_where(waiting_on(date.id)), "waiting")
            .expr_as(
                bookings_where(
                    Condition::all()
                        .add(booking::Column::DateId.eq(date.id))
                        .add(booking::Column::Email.eq(email))
                        .add(booking::Column::Status.ne(cancelled)),
                ),
                "same_address",
            )
            .to_owned();
        BookingFacts::find_by_statement(txn.get_database_backend().build(&select))
            .one(txn)
            .await?
            .ok_or(BookingError::DateNotFound)
    }
}

/// Places a channel may fill: walk-in places are for the counter and the kiosk until they are released.
fn bookable_limit(date: &offer_date::Model, channel: Channel, now: DateTime<Utc>) -> i32 {
    let held = match (channel, date.walk_in_release_at) {
        (Channel::Staff | Channel::Kiosk, _) => 0,
        (_, Some(release)) if release > now => date.walk_in_places,
        _ => 0,
    };
    date.capacity - held
}

impl Desk {
    pub async fn book(
        &self,
        date_id: i32,
        request: BookingRequest,
        now: DateTime<Utc>,
    ) -> Result<Booked, BookingError> {
        // The mail's details (course, place, sessions) are read before the date is locked, so the lock
        // is held for the booking alone; if the date changes meanwhile (a new revision), they are read
        // again under the lock.
        // Someone signed in gets mails in the language chosen for the account; otherwise in the
        // language they booked in.
        let language = match request.user_id {
            Some(user_id) => super::accounts::mail_language(&self.db, user_id)
                .await?
                .unwrap_or(request.language),
            None => request.language,
        };
        let details = match catalogue::date(&self.db, date_id, now).await? {
            Some(entry) if entry.date.sessions > 0 => {
                let sessions = catalogue::sessions_of(&self.db, entry.date.date_id).await?;
                Some((entry.date, sessions))
            }
            Some(entry) => Some((entry.date, Vec::new())),
            None => None,
        };
        // The lock is held until the commit and every booking of this date waits for it, so the
        // statements under it are few: the row, then one query for everything else to check.
        let txn = begin_write(&self.db).await?;
        let date = offer_date::Entity::find_by_id(date_id)
            .lock_exclusive()
            .one(&txn)
            .await?
            .ok_or(BookingError::DateNotFound)?;
        let facts = BookingFacts::of(&txn, &date, request.email.as_ref()).await?;
        let offer_status = facts.offer_status.ok_or(BookingError::DateNotFound)?;
        check_bookable(&date, offer_status, now)?;
        let places = request.places.get() as i32;
        if places > date.max_places_per_booking {
            return Err(BookingError::TooManyPlaces);
        }
        if facts.same_address > 0 {
            return Err(BookingError::Duplicate);
        }

        let mut waiting = u64::try_from(facts.waiting).unwrap_or(0);
        let mut date = date;
        if waiting > 0 && date.booked_places < bookable_limit(&date, Channel::Online, now) {
            // Places became free without a cancellation (walk-in places released): the waiting list
            // gets them first, before this request is weighed.
            self.fill_from_waiting_list(&txn, date_id, now).await?;
            date = lock_date(&txn, date_id).await?;
            waiting = waiting_count(&txn, date_id).await?;
        }
        let fits = if waiting == 0 {
            date.booked_places + places <= bookable_limit(&date, request.channel, now)
        } else if matches!(request.channel, Channel::Staff | Channel::Kiosk) {
            // Places held for walk-ins are the counter's alone, even while people wait online.
            let online = bookable_limit(&date, Channel::Online, now);
            places <= date.capacity - std::cmp::max(date.booked_places, online)
        } else {
            // Nobody overtakes the waiting list: free places belong to those already waiting.
            false
        };
        // The row is locked, so `fits` holds; the condition repeats it for the database to enforce.
        let confirmed = fits
            && offer_date::Entity::update_many()
                .col_expr(
                    offer_date::Column::BookedPlaces,
                    Expr::col(offer_date::Column::BookedPlaces).add(places),
                )
                .filter(offer_date::Column::Id.eq(date_id))
                .filter(
                    Expr::col(offer_date::Column::BookedPlaces)
                        .add(places)
                        .lte(Expr::col(offer_date::Column::Capacity)),
                )
                .exec(&txn)
                .await?
                .rows_affected
                == 1;
        let status = if confirmed {
            BookingStatus::Confirmed
        } else {
            BookingStatus::Waitlisted
        };
        let cancel_token = sessions::random_token();
        let saved = booking::ActiveModel {
            date_id: Set(date_id),
            user_id: Set(request.user_id),
            name: Set(request.name.as_str().to_owned()),
            email: Set(request.email.map(|e| e.to_string())),
            phone: Set(request.phone.map(|p| p.as_str().to_owned())),
            places: Set(places),
            status: Set(status),
            channel: Set(request.channel.as_str().to_owned()),
            cancel_token_hash: Set(sessions::hash_token(&cancel_token)),
            manage_token: Set(Some(cancel_token.clone())),
            language: Set(language.code().to_owned()),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        let kind = if confirmed {
            BookingMail::Confirmed
        } else {
            BookingMail::Waitlisted
        };
        // Staff hand the confirmation over themselves (printed or by phone); no task needed.
        match details {
            Some((summary, sessions)) if summary.revision == date.revision => {
                self.notify_about(&txn, kind, &saved, &summary, &sessions, now, false)
                    .await?;
            }
            _ => self.notify(&txn, kind, &saved, now, false).await?,
        }
        txn.commit().await?;
        Ok(Booked {
            booking_id: saved.id,
            status,
            cancel_token,
            waiting_position: (!confirmed).then_some(waiting + 1),
        })
    }

    /// Sends the mail of `kind` to the booking's address; without an address, and when `task_without_mail`,
    /// the organisation's staff get a task to phone the person.
    async fn notify(
        &self,
        txn: &DatabaseTransaction,
        kind: BookingMail,
        booking: &booking::Model,
        now: DateTime<Utc>,
        task_without_mail: bool,
    ) -> Result<(), BookingError> {
        let date = catalogue::date(txn, booking.date_id, now)
            .await?
            .ok_or(BookingError::DateNotFound)?
            .date;
        let sessions = catalogue::sessions_of(txn, date.date_id).await?;
        self.notify_about(txn, kind, booking, &date, &sessions, now, task_without_mail)
            .await
    }

    /// A mail about one later session of the course the booking is for (reminder, moved, cancelled):
    /// it names that session, and its calendar file carries every session of the course.
    async fn notify_session(
        &self,
        txn: &DatabaseTransaction,
        kind: BookingMail,
        booking: &booking::Model,
        session_id: i32,
        now: DateTime<Utc>,
        task_without_mail: bool,
    ) -> Result<(), BookingError> {
        let date = catalogue::date(txn, booking.date_id, now)
            .await?
            .ok_or(BookingError::DateNotFound)?
            .date;
        let sessions = catalogue::sessions_of(txn, date.date_id).await?;
        let session = sessions.iter().find(|s| s.date_id == session_id);
        self.send(
            txn,
            kind,
            booking,
            (&date, &sessions, session),
            now,
            task_without_mail,
        )
        .await
    }

    /// [`Self::notify`] with the date's details already at hand.
    #[allow(clippy::too_many_arguments)]
    async fn notify_about(
        &self,
        txn: &DatabaseTransaction,
        kind: BookingMail,
        booking: &booking::Model,
        date: &catalogue::DateSummary,
        sessions: &[catalogue::DateSummary],
        now: DateTime<Utc>,
        task_without_mail: bool,
    ) -> Result<(), BookingError> {
        self.send(
            txn,
            kind,
            booking,
            (date, sessions, None),
            now,
            task_without_mail,
        )
        .await
    }

    async fn send(
        &self,
        txn: &DatabaseTransaction,
        kind: BookingMail,
        booking: &booking::Model,
        (date, sessions, session): (
            &catalogue::DateSummary,
            &[catalogue::DateSummary],
            Option<&catalogue::DateSummary>,
        ),
        now: DateTime<Utc>,
        task_without_mail: bool,
    ) -> Result<(), BookingError> {
        match self
            .composer
            .booking_about(kind, booking, date, sessions, session)?
        {
            Some(mail) => mail::enqueue(txn, mail).await?,
            None if task_without_mail => {
                staff_task::ActiveModel {
                    organisation_id: Set(date.organisation_id),
                    date_id: Set(Some(booking.date_id)),
                    booking_id: Set(Some(booking.id)),
                    kind: Set(format!("call-{}", kind.key())),
                    created_at: Set(now),
                    done_at: Set(None),
                    ..Default::default()
                }
                .insert(txn)
                .await?;
            }
            None => {}
        }
        Ok(())
    }

    /// Cancels by the secret from the booking link.
    pub async fn cancel(
        &self,
        cancel_token: &str,
        now: DateTime<Utc>,
    ) -> Result<Cancelled, BookingError> {
        let txn = begin_write(&self.db).await?;
        let found = by_token(&txn, cancel_token).await?;
        let outcome = self
            .cancel_in(&txn, &found, BookingMail::CancelledByPerson, now)
            .await?;
        txn.commit().await?;
        Ok(outcome)
    }

    /// Cancels on behalf of the person (staff at the counter or on the phone) or because the provider must.
    pub async fn cancel_by_staff(
        &self,
        booking_id: i64,
        now: DateTime<Utc>,
    ) -> Result<Cancelled, BookingError> {
        let txn = begin_write(&self.db).await?;
        let found = booking::Entity::find_by_id(booking_id)
            .one(&txn)
            .await?
            .ok_or(BookingError::BookingNotFound)?;
        let outcome = self
            .cancel_in(&txn, &found, BookingMail::CancelledByProvider, now)
            .await?;
        txn.commit().await?;
        Ok(outcome)
    }

    /// Cancels the booking `seen` (read without a lock, so possibly stale), in `txn`.
    pub(crate) async fn cancel_in(
        &self,
        txn: &DatabaseTransaction,
        seen: &booking::Model,
        mail: BookingMail,
        now: DateTime<Utc>,
    ) -> Result<Cancelled, BookingError> {
        let (date, found) = lock_and_reread(txn, seen).await?;
        let Some(withdrawn) = found.status.cancel() else {
            return Err(BookingError::AlreadyCancelled);
        };
        let changed = booking::Entity::update_many()
            .col_expr(booking::Column::Status, Expr::value(withdrawn))
            .col_expr(
                booking::Column::OfferedPlaces,
                Expr::value(Option::<i32>::None),
            )
            .col_expr(
                booking::Column::OfferExpiresAt,
                Expr::value(Option::<DateTime<Utc>>::None),
            );
        if !change_from(txn, &found, changed).await? {
            return Err(BookingError::AlreadyCancelled);
        }
        if found.status.holds_places() {
            set_booked(txn, date.id, date.booked_places - found.places).await?;
        }
        let cancelled = booking::Model {
            status: withdrawn,
            offered_places: None,
            offer_expires_at: None,
            ..found
        };
        self.notify(txn, mail, &cancelled, now, false).await?;
        let promoted = self.fill_from_waiting_list(txn, date.id, now).await?;
        Ok(Cancelled {
            booking_id: cancelled.id,
            promoted,
        })
    }

    /// Gives free places to the waiting list, strictly in arrival order. An entry that needs more places
    /// than are free is offered the free ones and holds them until it answers or the offer expires; only
    /// then may later, smaller entries move ahead. Returns the promoted entries.
    pub async fn fill_from_waiting_list(
        &self,
        txn: &DatabaseTransaction,
        date_id: i32,
        now: DateTime<Utc>,
    ) -> Result<Vec<i64>, BookingError> {
        let date = lock_date(txn, date_id).await?;
        if date.status.is_cancelled() || date.starts_at <= now {
            return Ok(Vec::new());
        }
        let limit = bookable_limit(&date, Channel::Online, now);
        let mut booked = date.booked_places;
        let mut promoted = Vec::new();
        let waiting = booking::Entity::find()
            .filter(booking::Column::DateId.eq(date_id))
            .filter(booking::Column::Status.eq(BookingStatus::Waitlisted))
            .order_by_asc(booking::Column::Id)
            .all(txn)
            .await?;
        for entry in waiting {
            let free = limit - booked;
            if free <= 0 {
                break;
            }
            if entry.places <= free {
                booked += entry.places;
                let mut update: booking::ActiveModel = entry.clone().into();
                update.status = Set(BookingStatus::Confirmed);
                update.offered_places = Set(None);
                update.offer_expires_at = Set(None);
                let confirmed = update.update(txn).await?;
                self.notify(txn, BookingMail::Promoted, &confirmed, now, true)
                    .await?;
                promoted.push(entry.id);
                continue;
            }
            match entry.offer_expires_at {
                // An open offer holds its places; nobody behind it moves.
                Some(expires) if expires > now => break,
                // Offer declined or expired: later entries may go ahead.
                Some(_) => continue,
                None => {
                    let mut update: booking::ActiveModel = entry.clone().into();
                    update.offered_places = Set(Some(free));
                    update.offer_expires_at = Set(Some(now + self.offer_hold));
                    let offered = update.update(txn).await?;
                    self.notify(txn, BookingMail::PlacesOffered, &offered, now, true)
                        .await?;
                    break;
                }
            }
        }
        set_booked(txn, date_id, booked).await?;
        Ok(promoted)
    }

    /// The person takes the places offered to them (fewer than they asked for), or declines and keeps
    /// waiting for the full number.
    pub async fn answer_offer(
        &self,
        cancel_token: &str,
        accept: bool,
        now: DateTime<Utc>,
    ) -> Result<BookingStatus, BookingError> {
        let txn = begin_write(&self.db).await?;
        let seen = by_token(&txn, cancel_token).await?;
        let (date, found) = lock_and_reread(&txn, &seen).await?;
        let (offered, promoted) = match (
            found.offered_places,
            found.offer_expires_at,
            found.status.promote(),
        ) {
            (Some(places), Some(expires), Some(promoted)) if expires > now => (places, promoted),
            _ => return Err(BookingError::NoOpenOffer),
        };
        // Only the answer that finds the offer still open changes anything.
        let open = |update: sea_orm::UpdateMany<booking::Entity>| {
            update
                .filter(booking::Column::OfferedPlaces.eq(offered))
                .filter(booking::Column::OfferExpiresAt.gt(now))
        };
        let status = if accept {
            let update = booking::Entity::update_many()
                .col_expr(booking::Column::Places, Expr::value(offered))
                .col_expr(booking::Column::Status, Expr::value(promoted))
                .col_expr(
                    booking::Column::OfferedPlaces,
                    Expr::value(Option::<i32>::None),
                )
                .col_expr(
                    booking::Column::OfferExpiresAt,
                    Expr::value(Option::<DateTime<Utc>>::None),
                );
            if !change_from(&txn, &found, open(update)).await? {
                return Err(BookingError::NoOpenOffer);
            }
            set_booked(&txn, date.id, date.booked_places + offered).await?;
            let confirmed = booking::Model {
                places: offered,
                status: promoted,
                offered_places: None,
                offer_expires_at: None,
                ..found
            };
            self.notify(&txn, BookingMail::Confirmed, &confirmed, now, false)
                .await?;
            promoted
        } else {
            let update = booking::Entity::update_many()
                .col_expr(booking::Column::OfferExpiresAt, Expr::value(now));
            if !change_from(&txn, &found, open(update)).await? {
                return Err(BookingError::NoOpenOffer);
            }
            self.fill_from_waiting_list(&txn, date.id, now).await?;
            BookingStatus::Waitlisted
        };
        txn.commit().await?;
        Ok(status)
    }

    /// Gives places that became free (capacity raised by staff) to the waiting list.
    pub async fn refill(&self, date_id: i32, now: DateTime<Utc>) -> Result<usize, BookingError> {
        let txn = begin_write(&self.db).await?;
        let promoted = self.fill_from_waiting_list(&txn, date_id, now).await?.len();
        txn.commit().await?;
        Ok(promoted)
    }

    /// Walk-in places released for online booking go to the waiting list at once. Run by the scheduler;
    /// looks at releases of the last day, so a stopped instance catches up.
    pub async fn release_walk_in_places(&self, now: DateTime<Utc>) -> Result<usize, BookingError> {
        let dates: Vec<i32> = offer_date::Entity::find()
            .select_only()
            .column(offer_date::Column::Id)
            .filter(offer_date::Column::WalkInPlaces.gt(0))
            .filter(offer_date::Column::WalkInReleaseAt.lte(now))
            .filter(offer_date::Column::WalkInReleaseAt.gt(now - chrono::Duration::days(1)))
            .filter(offer_date::Column::StartsAt.gt(now))
            .into_tuple()
            .all(&self.db)
            .await?;
        let mut promoted = 0;
        for date_id in dates {
            if waiting_count(&self.db, date_id).await? == 0 {
                continue;
            }
            let txn = begin_write(&self.db).await?;
            promoted += self.fill_from_waiting_list(&txn, date_id, now).await?.len();
            txn.commit().await?;
        }
        Ok(promoted)
    }

    /// Passes on places whose offer expired unanswered. Run by the scheduler; safe to run anywhere, any time.
    pub async fn expire_offers(&self, now: DateTime<Utc>) -> Result<usize, BookingError> {
        let dates: Vec<i32> = booking::Entity::find()
            .select_only()
            .column(booking::Column::DateId)
            .filter(booking::Column::Status.eq(BookingStatus::Waitlisted))
            .filter(booking::Column::OfferExpiresAt.lte(now))
            .filter(booking::Column::OfferExpiresAt.gt(now - chrono::Duration::days(1)))
            .distinct()
            .into_tuple()
            .all(&self.db)
            .await?;
        let mut promoted = 0;
        for date_id in dates {
            let txn = begin_write(&self.db).await?;
            promoted += self.fill_from_waiting_list(&txn, date_id, now).await?.len();
            txn.commit().await?;
        }
        Ok(promoted)
    }
}

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

async fn by_token(txn: &DatabaseTransaction, token: &str) -> Result<booking::Model, BookingError> {
    booking::Entity::find()
        .filter(booking::Column::CancelTokenHash.eq(sessions::hash_token(token)))
        .one(txn)
        .await?
        .ok_or(BookingError::BookingNotFound)
}

/// Locks the booking's date, then reads the booking again: every change of a booking's status holds
/// its date's lock, so what is read now is current. (On PostgreSQL a read before the lock may be stale:
/// a parallel request can have cancelled the booking while this one waited for the lock.)
async fn lock_and_reread(
    txn: &DatabaseTransaction,
    seen: &booking::Model,
) -> Result<(offer_date::Model, booking::Model), BookingError> {
    let date = lock_date(txn, seen.date_id).await?;
    let found = booking::Entity::find_by_id(seen.id)
        .one(txn)
        .await?
        .ok_or(BookingError::BookingNotFound)?;
    Ok((date, found))
}

/// Runs `update` on the booking only if it still has the status it was read with; true when it did.
/// The database enforces what the lock already ensures, so no second request can repeat a change.
async fn change_from(
    txn: &DatabaseTransaction,
    found: &booking::Model,
    update: sea_orm::UpdateMany<booking::Entity>,
) -> Result<bool, DbErr> {
    Ok(update
        .filter(booking::Column::Id.eq(found.id))
        .filter(booking::Column::Status.eq(found.status))
        .exec(txn)
        .await?
        .rows_affected
        == 1)
}

async fn lock_date(
    txn: &DatabaseTransaction,
    date_id: i32,
) -> Result<offer_date::Model, BookingError> {
    offer_date::Entity::find_by_id(date_id)
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or(BookingError::DateNotFound)
}

async fn set_booked(txn: &DatabaseTransaction, date_id: i32, booked: i32) -> Result<(), DbErr> {
    offer_date::Entity::update_many()
        .col_expr(offer_date::Column::BookedPlaces, Expr::value(booked))
        .filter(offer_date::Column::Id.eq(date_id))
        .exec(txn)
        .await
        .map(drop)
}

/// The bookings on a date's waiting list.
fn waiting_on(date_id: i32) -> Condition {
    Condition::all()
        .add(booking::Column::DateId.eq(date_id))
        .add(booking::Column::Status.eq(BookingStatus::Waitlisted))
}

async fn waiting_count(conn: &impl ConnectionTrait, date_id: i32) -> Result<u64, DbErr> {
    booking::Entity::find()
        .filter(waiting_on(date_id))
        .count(conn)
        .await
}

/// Position on the waiting list (1-based) of a waiting booking.
async fn waiting_position(db: &impl ConnectionTrait, found: &booking::Model) -> Result<u64, DbErr> {
    booking::Entity::find()
        .filter(booking::Column::DateId.eq(found.date_id))
        .filter(booking::Column::Status.eq(BookingStatus::Waitlisted))
        .filter(booking::Column::Id.lte(found.id))
        .count(db)
        .await
}

/// A booking by the secret of its link; anonymised bookings are gone for the person.
async fn find_by_token(
    db: &DatabaseConnection,
    token: &str,
) -> Result<Option<booking::Model>, DbErr> {
    Ok(booking::Entity::find()
        .filter(booking::Column::CancelTokenHash.eq(sessions::hash_token(token)))
        .one(db)
        .await?
        .filter(|b| b.anonymised_at.is_none()))
}

/// Whether the link still leads to a booking (before cancelling or answering an offer).
pub async fn link_is_live(db: &DatabaseConnection, token: &str) -> Result<bool, DbErr> {
    Ok(find_by_token(db, token).await?.is_some())
}

/// A person's own booking, as their page shows it.
#[derive(Debug, serde::Serialize)]
pub struct BookingByLink {
    pub date_id: i32,
    pub status: BookingStatus,
    pub name: String,
    pub places: i32,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// 1-based place on the waiting list, while waiting.
    pub waiting_position: Option<u64>,
    /// Places offered from the waiting list and until when, while that offer is open.
    pub open_offer: Option<(i32, DateTime<Utc>)>,
}

pub async fn own_booking(
    db: &DatabaseConnection,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Option<BookingByLink>, DbErr> {
    let Some(found) = find_by_token(db, token).await? else {
        return Ok(None);
    };
    let waiting_position = if found.status == BookingStatus::Waitlisted {
        Some(waiting_position(db, &found).await?)
    } else {
        None
    };
    let open_offer = found
        .offered_places
        .zip(found.offer_expires_at)
        .filter(|(_, expires)| *expires > now);
    Ok(Some(BookingByLink {
        date_id: found.date_id,
        status: found.status,
        name: found.name,
        places: found.places,
        email: found.email,
        phone: found.phone,
        waiting_position,
        open_offer,
    }))
}

/// The person's own calendar file (with a reminder); a cancelled booking's file withdraws it.
pub async fn own_calendar(
    db: &DatabaseConnection,
    token: &str,
    base_url: &str,
    now: DateTime<Utc>,
) -> Result<Option<String>, DbErr> {
    let Some(found) = find_by_token(db, token).await? else {
        return Ok(None);
    };
    let Some(entry) = catalogue::date(db, found.date_id, now).await? else {
        return Ok(None);
    };
    let sessions = catalogue::sessions_of(db, entry.date.date_id).await?;
    let (_, body) = mail::compose::booking_calendar(&entry.date, &sessions, base_url, &found);
    Ok(Some(body))
}

#[derive(Debug, PartialEq, Eq)]
pub struct Cancelled {
    pub booking_id: i64,
    /// Waiting-list entries that got the freed places, in arrival order.
    pub promoted: Vec<i64>,
}

/// Bookings that still expect to take part (confirmed or waiting).
async fn active_bookings(
    txn: &DatabaseTransaction,
    date_id: i32,
) -> Result<Vec<booking::Model>, DbErr> {
    booking::Entity::find()
        .filter(booking::Column::DateId.eq(date_id))
        .filter(booking::Column::Status.ne(BookingStatus::Cancelled))
        .order_by_asc(booking::Column::Id)
        .all(txn)
        .await
}

impl Desk {
    /// The provider cancels a date: everyone booked or waiting is told (by mail, or staff phone them).
    pub async fn cancel_date(
        &self,
        date_id: i32,
        now: DateTime<Utc>,
    ) -> Result<usize, BookingError> {
        let txn = begin_write(&self.db).await?;
        let date = lock_date(&txn, date_id).await?;
        if date.status.is_cancelled() {
            return Ok(0);
        }
        if let Some(lead) = date.series_lead_id {
            // One session of a course booked as a whole: its people are the lead date's.
            offer_date::Entity::update_many()
                .col_expr(
                    offer_date::Column::Status,
                    Expr::value(DateStatus::Cancelled),
                )
                .col_expr(offer_date::Column::Revision, Expr::value(date.revision + 1))
                .filter(offer_date::Column::Id.eq(date_id))
                .exec(&txn)
                .await?;
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
            txn.commit().await?;
            return Ok(people.len());
        }
        // The first date of a course cancels the whole course: every session goes with it.
        offer_date::Entity::update_many()
            .col_expr(
                offer_date::Column::Status,
                Expr::value(DateStatus::Cancelled),
            )
            .col_expr(
                offer_date::Column::Revision,
                Expr::col(offer_date::Column::Revision).add(1),
            )
            .filter(
                Condition::any()
                    .add(offer_date::Column::Id.eq(date_id))
                    .add(offer_date::Column::SeriesLeadId.eq(date_id)),
            )
            .exec(&txn)
            .await?;
        let people = active_bookings(&txn, date_id).await?;
        for person in &people {
            self.notify(&txn, BookingMail::DateCancelled, person, now, true)
                .await?;
        }
        txn.commit().await?;
        Ok(people.len())
    }

    /// Tells everyone booked or waiting that the date changed (time, place); the calendar entry they get
    /// replaces the old one (same UID, higher SEQUENCE).
    pub async fn announce_change(
        &self,
        date_id: i32,
        now: DateTime<Utc>,
    ) -> Result<usize, BookingError> {
        let txn = begin_write(&self.db).await?;
        // A session of a course booked as a whole: its people are the first date's, and the mail
        // names the session that moved.
        let lead = offer_date::Entity::find_by_id(date_id)
            .one(&txn)
            .await?
            .and_then(|d| d.series_lead_id);
        let people = active_bookings(&txn, lead.unwrap_or(date_id)).await?;
        for person in &people {
            match lead {
                Some(_) => {
                    self.notify_session(&txn, BookingMail::SessionMoved, person, date_id, now, true)
                        .await?
                }
                None => {
                    self.notify(&txn, BookingMail::DateChanged, person, now, true)
                        .await?
                }
            }
        }
        txn.commit().await?;
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
        let mut sent = 0;
        for date in due {
            let txn = begin_write(&self.db).await?;
            let people = booking::Entity::find()
                .filter(booking::Column::DateId.eq(date.series_lead_id.unwrap_or(date.id)))
                .filter(booking::Column::Status.eq(BookingStatus::Confirmed))
                .order_by_asc(booking::Column::Id)
                .all(&txn)
                .await?;
            let mut waiting = false;
            for person in &people {
                match claim_reminder(&txn, person.id, &date, &today, now).await? {
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
        }
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
        let mut raised = 0;
        for date in due {
            let txn = begin_write(&self.db).await?;
            let claimed = offer_date::Entity::update_many()
                .col_expr(offer_date::Column::DecidedAt, Expr::value(now))
                .filter(offer_date::Column::Id.eq(date.id))
                .filter(offer_date::Column::DecidedAt.is_null())
                .exec(&txn)
                .await?
                .rows_affected
                == 1;
            if claimed && date.booked_places < date.min_participants {
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
                raised += 1;
            }
            txn.commit().await?;
        }
        Ok(raised)
    }

    /// Removes names and contacts of participants once `retention` has passed since their date;
    /// status, places, channel and attendance stay for the statistics.
    pub async fn anonymise_past_bookings(
        &self,
        retention: chrono::Duration,
        now: DateTime<Utc>,
    ) -> Result<u64, BookingError> {
        let old_dates: Vec<i32> = offer_date::Entity::find()
            .select_only()
            .column(offer_date::Column::Id)
            .filter(offer_date::Column::EndsAt.lt(now - retention))
            .into_tuple()
            .all(&self.db)
            .await?;
        let mut total = 0;
        for chunk in old_dates.chunks(500) {
            total += booking::Entity::update_many()
                .col_expr(booking::Column::Name, Expr::value(""))
                .col_expr(booking::Column::Email, Expr::value(Option::<String>::None))
                .col_expr(booking::Column::Phone, Expr::value(Option::<String>::None))
                .col_expr(
                    booking::Column::ManageToken,
                    Expr::value(Option::<String>::None),
                )
                .col_expr(booking::Column::UserId, Expr::value(Option::<i32>::None))
                .col_expr(booking::Column::AnonymisedAt, Expr::value(now))
                .filter(booking::Column::DateId.is_in(chunk.to_vec()))
                .filter(booking::Column::AnonymisedAt.is_null())
                .exec(&self.db)
                .await?
                .rows_affected;
        }
        Ok(total)
    }
}
