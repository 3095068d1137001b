//! The booking engine for course dates and dialogue events. Capacity is enforced inside one write
//! transaction: the date row is locked (PostgreSQL `FOR UPDATE`; SQLite takes the write lock at `BEGIN
//! IMMEDIATE`), so concurrent requests are served one after another and can never oversell. Requests that
//! do not fit join the waiting list in arrival order. Every change writes its mails (or, for people
//! without e-mail, a task for staff) in the same transaction, so nobody is left uninformed.
//!
//! `queue` books the requests for one date that arrive together in turns of several under one lock,
//! `waiting_list` gives freed places on, `jobs` holds what the scheduler and the providers run for
//! whole dates (cancelling, changes, reminders, decisions, anonymising), `own` is the person's own page.
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, DbErr, EntityTrait, FromQueryResult, QueryFilter, QueryOrder, QuerySelect,
    Set, UpdateMany,
    sea_query::{Asterisk, Expr, ExprTrait, Query, SelectStatement},
};

use super::{catalogue, sessions};
use crate::{
    db::{
        begin_write,
        entities::{booking, offer, offer_date, staff_task},
    },
    domain::{
        booking::{BookingRequest, BookingStatus, Channel},
        offer::OfferStatus,
    },
    mail::{
        self,
        compose::{BookingMail, Composer, MailDetails},
    },
};

mod address;
mod jobs;
mod link_again;
pub mod links;
mod own;
mod queue;
mod repeat;
mod waiting_list;

pub use address::change_address;
pub use own::{BookingByLink, link_is_live, own_booking, own_calendar};
pub use queue::DateQueues;
pub use repeat::Earlier;

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
    /// The person's own cancellation comes after the date (or the course) began.
    #[error("the date has begun; the booking can no longer be cancelled")]
    Begun,
    /// The person's own cancellation of a date its provider has cancelled: the booking holds no
    /// place any more, and the person was told already.
    #[error("the date was cancelled by its provider")]
    DateCancelled,
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
    /// The bookings of each date waiting for their turn (one set per instance).
    pub queues: DateQueues,
    /// Names the throttle's buckets for addresses.
    pub pseudonyms: super::pseudonyms::Pseudonyms,
}

#[derive(Debug, Clone, PartialEq, Eq)]
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
    registration_required: bool,
    now: DateTime<Utc>,
) -> Result<(), BookingError> {
    if !offer_status.is_public() {
        return Err(BookingError::NotBookable("error-booking-not-published"));
    }
    // An open event (people just come) has no list to be on, also not by a typed-in address.
    if !registration_required {
        return Err(BookingError::NotBookable("error-booking-no-registration"));
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
///
/// It is a statement of its own after the lock, not part of the locking one: on PostgreSQL a statement
/// sees the data as it was when it started, so counts read alongside `FOR UPDATE` would miss what the
/// transactions it waited for had committed (tested by the concurrent-booking tests). The date's own
/// columns are current: `FOR UPDATE` returns the newest version of the row it waited for, and the
/// waiting count is one of them (kept by triggers that update the row with each change).
#[derive(Debug, FromQueryResult)]
struct BookingFacts {
    /// `None` only if the offer is gone (the foreign key prevents that).
    offer_status: Option<OfferStatus>,
    registration_required: Option<bool>,
    /// Places offered to people on the waiting list and not yet answered: theirs until they answer.
    offered: i64,
    /// When the first of those offers lapses.
    first_offer_lapses: Option<DateTime<Utc>>,
    /// Active bookings of this date by the same address.
    same_address: i64,
}

impl BookingFacts {
    async fn of(
        txn: &DatabaseTransaction,
        date: &offer_date::Model,
        email: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Self, BookingError> {
        let select = Self::select(date.id, date.offer_id, email, now);
        BookingFacts::find_by_statement(txn.get_database_backend().build(&select))
            .one(txn)
            .await?
            .ok_or(BookingError::DateNotFound)
    }

    fn select(
        date_id: i32,
        offer_id: i32,
        email: Option<&str>,
        now: DateTime<Utc>,
    ) -> SelectStatement {
        // Without an address there is nothing to compare; an empty address matches no booking.
        let email = email.unwrap_or("");
        let scalar = |select: &mut SelectStatement| -> Expr {
            Expr::SubQuery(None, Box::new(select.to_owned().into()))
        };
        Query::select()
            .expr_as(
                scalar(
                    Query::select()
                        .column(offer::Column::Status)
                        .from(offer::Entity)
                        .and_where(offer::Column::Id.eq(offer_id)),
                ),
                "offer_status",
            )
            .expr_as(
                scalar(
                    Query::select()
                        .column(offer::Column::RegistrationRequired)
                        .from(offer::Entity)
                        .and_where(offer::Column::Id.eq(offer_id)),
                ),
                "registration_required",
            )
            .expr_as(
                scalar(
                    Query::select()
                        .expr(Expr::col(booking::Column::OfferedPlaces).sum().if_null(0))
                        .from(booking::Entity)
                        .cond_where(open_offers_on(date_id, now)),
                ),
                "offered",
            )
            .expr_as(
                scalar(
                    Query::select()
                        .expr(Expr::col(booking::Column::OfferExpiresAt).min())
                        .from(booking::Entity)
                        .cond_where(open_offers_on(date_id, now)),
                ),
                "first_offer_lapses",
            )
            .expr_as(
                scalar(
                    // `COUNT(*)`, not of a column: PostgreSQL can then count from the index alone.
                    Query::select()
                        .expr(Expr::col(Asterisk).count())
                        .from(booking::Entity)
                        .cond_where(active_on(date_id).add(booking::Column::Email.eq(email))),
                ),
                "same_address",
            )
            .to_owned()
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
        let details = match catalogue::date(&self.db, date_id, now).await? {
            Some(entry) => Some(self.with_sessions(entry.date).await?),
            None => None,
        };
        self.book_as_seen(date_id, details, request, now).await
    }

    /// [`Self::book`] for a caller that has just read the date from the catalogue (the booking
    /// pages, the kiosk and the API do, to check it), and the booking page its sessions too, so
    /// neither is read twice.
    pub async fn book_seen(
        &self,
        date: &catalogue::DateSummary,
        sessions: Option<&[catalogue::DateSummary]>,
        request: BookingRequest,
        now: DateTime<Utc>,
    ) -> Result<Booked, BookingError> {
        let details = match sessions {
            Some(sessions) => (date.clone(), sessions.to_vec()),
            None => self.with_sessions(date.clone()).await?,
        };
        self.book_as_seen(date.date_id, Some(details), request, now)
            .await
    }

    /// The date with its later sessions, read only when it has any.
    async fn with_sessions(
        &self,
        date: catalogue::DateSummary,
    ) -> Result<(catalogue::DateSummary, Vec<catalogue::DateSummary>), DbErr> {
        let sessions = if date.sessions > 0 {
            catalogue::sessions_of(&self.db, date.date_id).await?
        } else {
            Vec::new()
        };
        Ok((date, sessions))
    }

    async fn book_as_seen(
        &self,
        date_id: i32,
        details: Option<(catalogue::DateSummary, Vec<catalogue::DateSummary>)>,
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
        let places = request.places.get() as i32;
        let (kiosk_terminal, taken_by_staff) = (request.kiosk_terminal, request.taken_by_staff);
        let link = links::NewLink::new(&self.composer.sealer);
        let draft = booking::Model {
            id: 0,
            date_id,
            user_id: request.user_id,
            name: request.name.as_str().to_owned(),
            email: request.email.as_ref().map(|e| e.to_string()),
            phone: request.phone.as_ref().map(|p| p.as_str().to_owned()),
            places,
            status: BookingStatus::Waitlisted,
            channel: request.channel.as_str().to_owned(),
            cancel_token_hash: link.hash,
            created_at: now,
            language: language.code().to_owned(),
            manage_token: None,
            attendance: None,
            offered_places: None,
            offer_expires_at: None,
            anonymised_at: None,
            idempotency_key_hash: request
                .idempotency_key
                .as_ref()
                .map(|key| repeat::key_hash(date_id, key)),
            manage_link_sealed: Some(link.sealed),
        };
        let cancel_token = link.secret;
        // In a rush nearly every request ends on the waiting list, and each waits for the date's
        // lock: its mail is written now, before the lock, when the date as read is full or has
        // people waiting. It is used if the booking does wait and the date is unchanged. Not for a
        // course: its sessions are read again in the turn (`queue`).
        let written_ahead = match &details {
            Some((summary, sessions))
                if sessions.is_empty()
                    && matches!(request.channel, Channel::Online | Channel::Api)
                    && (summary.waiting > 0 || summary.free_places(now) < places) =>
            {
                self.composer
                    .booking_about(
                        BookingMail::Waitlisted,
                        &draft,
                        0,
                        (summary, sessions, None),
                        now,
                    )?
                    .map(|mail| (summary.revision, mail))
            }
            _ => None,
        };
        self.book_in_turn(queue::Pending {
            draft,
            channel: request.channel,
            kiosk_terminal,
            taken_by_staff,
            cancel_token,
            now,
            details,
            written_ahead,
        })
        .await
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
        self.send(txn, kind, booking, None, now, task_without_mail)
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
        self.send(txn, kind, booking, Some(session_id), now, task_without_mail)
            .await
    }

    /// [`Self::notify`] and [`Self::notify_session`]: the mail names the session `session_id` if given.
    async fn send(
        &self,
        txn: &DatabaseTransaction,
        kind: BookingMail,
        booking: &booking::Model,
        session_id: Option<i32>,
        now: DateTime<Utc>,
        task_without_mail: bool,
    ) -> Result<(), BookingError> {
        let date = catalogue::date(txn, booking.date_id, now)
            .await?
            .ok_or(BookingError::DateNotFound)?
            .date;
        let sessions = catalogue::sessions_of(txn, date.date_id).await?;
        let session = session_id.and_then(|id| sessions.iter().find(|s| s.date_id == id));
        self.deliver(
            txn,
            kind,
            booking,
            (&date, &sessions, session),
            now,
            task_without_mail,
        )
        .await
    }

    /// [`Self::send`] with the date, its sessions and the session named already at hand.
    async fn deliver(
        &self,
        txn: &DatabaseTransaction,
        kind: BookingMail,
        booking: &booking::Model,
        details: MailDetails<'_>,
        now: DateTime<Utc>,
        task_without_mail: bool,
    ) -> Result<(), BookingError> {
        match self.compose(txn, kind, booking, details, now).await? {
            Some(mail) => mail::enqueue_about_booking(txn, mail, booking.id).await?,
            None if task_without_mail => {
                staff_task::ActiveModel {
                    organisation_id: Set(details.0.organisation_id),
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

    /// The mail of `kind` about the booking, if it has an address.
    async fn compose(
        &self,
        txn: &DatabaseTransaction,
        kind: BookingMail,
        booking: &booking::Model,
        details: MailDetails<'_>,
        now: DateTime<Utc>,
    ) -> Result<Option<mail::OutgoingMail>, BookingError> {
        // Only the calendar file needs the count; the mails without one (most of a rush's: waiting
        // list) run no query for it under the date's lock.
        let earlier = if kind.attaches_calendar() {
            own::earlier_bookings(txn, booking).await?
        } else {
            0
        };
        Ok(self
            .composer
            .booking_about(kind, booking, earlier, details, now)?)
    }

    /// Cancels by the secret from the booking link.
    pub async fn cancel(
        &self,
        cancel_token: &str,
        now: DateTime<Utc>,
    ) -> Result<Cancelled, BookingError> {
        let txn = begin_write(&self.db).await?;
        let found = by_token(&txn, cancel_token).await?;
        // Locked before the check: the time cannot move under it. Once the date has begun, the
        // booking is a fact for attendance and statistics (a stale tab must not undo it).
        let date = still_cancellable(&txn, &found).await?;
        if date.starts_at <= now {
            return Err(BookingError::Begun);
        }
        let outcome = self
            .cancel_in(&txn, &found, BookingMail::CancelledByPerson, now)
            .await?;
        txn.commit().await?;
        Ok(outcome)
    }

    /// Cancels on behalf of the person (staff at the counter or on the phone) or because the provider
    /// must, for staff member `actor`, with its audit entry in the same transaction: only the request
    /// that cancelled is recorded, and never a cancellation without its entry.
    pub async fn cancel_by_staff(
        &self,
        booking_id: i64,
        actor: i32,
        now: DateTime<Utc>,
    ) -> Result<Cancelled, BookingError> {
        let txn = begin_write(&self.db).await?;
        let found = booking::Entity::find_by_id(booking_id)
            .one(&txn)
            .await?
            .ok_or(BookingError::BookingNotFound)?;
        still_cancellable(&txn, &found).await?;
        let outcome = self
            .cancel_in(&txn, &found, BookingMail::CancelledByProvider, now)
            .await?;
        super::audit::record(
            &*txn,
            Some(actor),
            "booking.cancel",
            &format!("booking:{booking_id}"),
            "",
        )
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
        let changed = without_offer(
            booking::Entity::update_many()
                .col_expr(booking::Column::Status, Expr::value(withdrawn)),
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

/// Before a session of a course is cancelled or moved: locks the course's first date, which is
/// where the course is booked. A booking of the course at the same moment then comes wholly before
/// the change (and is among the people told) or after it (and its mail, written in its turn,
/// shows the change: `queue`). The offer is locked first and the session after, in the order a
/// change of the offer takes them (the catalogue's trigger updates all its dates): the other way
/// round, a session cancelled while someone hid the offer deadlocked on PostgreSQL. Nothing for a
/// date that is no session.
pub(crate) async fn lock_course_of_session(
    txn: &DatabaseTransaction,
    date_id: i32,
) -> Result<(), DbErr> {
    let found: Option<(Option<i32>, i32)> = offer_date::Entity::find_by_id(date_id)
        .select_only()
        .column(offer_date::Column::SeriesLeadId)
        .column(offer_date::Column::OfferId)
        .into_tuple()
        .one(txn)
        .await?;
    let Some((Some(lead), offer_id)) = found else {
        return Ok(());
    };
    offer::Entity::find_by_id(offer_id)
        .lock_shared()
        .one(txn)
        .await?;
    offer_date::Entity::find_by_id(lead)
        .lock_exclusive()
        .one(txn)
        .await
        .map(drop)
}

/// Locks the booking's date and tells whether the booking can still be cancelled: not when it
/// was already, nor when the provider cancelled its date (the person was told, and holds no place).
async fn still_cancellable(
    txn: &DatabaseTransaction,
    seen: &booking::Model,
) -> Result<offer_date::Model, BookingError> {
    let (date, current) = lock_and_reread(txn, seen).await?;
    if current.status == BookingStatus::Cancelled {
        return Err(BookingError::AlreadyCancelled);
    }
    if date.status.is_cancelled() {
        return Err(BookingError::DateCancelled);
    }
    Ok(date)
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

/// Anonymises the bookings the caller filters: name and contacts go, counts and attendance stay. The one
/// rule for the retention job and for deleting an account.
pub(crate) fn anonymise_bookings(now: DateTime<Utc>) -> UpdateMany<booking::Entity> {
    booking::Entity::update_many()
        .col_expr(booking::Column::Name, Expr::value(""))
        .col_expr(booking::Column::Email, Expr::value(Option::<String>::None))
        .col_expr(booking::Column::Phone, Expr::value(Option::<String>::None))
        .col_expr(
            booking::Column::ManageToken,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            booking::Column::ManageLinkSealed,
            Expr::value(Option::<String>::None),
        )
        .col_expr(booking::Column::UserId, Expr::value(Option::<i32>::None))
        .col_expr(booking::Column::AnonymisedAt, Expr::value(now))
}

/// `update` also ends the booking's offer of places: a cancelled or accepted offer is no longer open.
fn without_offer(update: UpdateMany<booking::Entity>) -> UpdateMany<booking::Entity> {
    update
        .col_expr(
            booking::Column::OfferedPlaces,
            Expr::value(Option::<i32>::None),
        )
        .col_expr(
            booking::Column::OfferExpiresAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
}

/// The date's bookings that still expect to take part (confirmed or waiting).
fn active_on(date_id: i32) -> Condition {
    Condition::all()
        .add(booking::Column::DateId.eq(date_id))
        .add(booking::Column::Status.ne(BookingStatus::Cancelled))
}

/// The bookings on a date's waiting list.
fn waiting_on(date_id: i32) -> Condition {
    Condition::all()
        .add(booking::Column::DateId.eq(date_id))
        .add(booking::Column::Status.eq(BookingStatus::Waitlisted))
}

/// The date's waiting-list entries with an offer of places still open.
fn open_offers_on(date_id: i32, now: DateTime<Utc>) -> Condition {
    waiting_on(date_id)
        .add(booking::Column::OfferedPlaces.is_not_null())
        .add(booking::Column::OfferExpiresAt.gt(now))
}

/// Places offered to people on the date's waiting list and not yet answered.
pub(crate) async fn offered_places(
    conn: &impl ConnectionTrait,
    date_id: i32,
    now: DateTime<Utc>,
) -> Result<i32, DbErr> {
    let offers: Vec<Option<i32>> = booking::Entity::find()
        .select_only()
        .column(booking::Column::OfferedPlaces)
        .filter(open_offers_on(date_id, now))
        .into_tuple()
        .all(conn)
        .await?;
    Ok(offers.into_iter().flatten().sum())
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
        .filter(active_on(date_id))
        .order_by_asc(booking::Column::Id)
        .all(txn)
        .await
}

#[cfg(test)]
mod tests;
