//! Bookings of one date take turns. Each booking holds the date's lock until its commit, so in a rush
//! (a thousand people for twenty places) the lock, not the machine, sets the pace: every turn of it
//! costs a commit and the portal's round trips between the statements. Requests for a date that
//! arrive while a turn holds its lock therefore wait in the date's queue of this instance, and the
//! next turn books all of them (up to [`TURN_SIZE`]) in one transaction, in the order they arrived.
//! Between instances the row lock still decides, as before.
//!
//! One task per date and instance takes the turns while its queue holds requests. A turn that fails
//! as a whole because of one request (a constraint, a value the database refused, a mail) is taken
//! again one request at a time, so each request gets its own answer and one person's conflict does
//! not refuse the others; an outage or a failed commit answers the whole turn.
use std::{
    collections::{HashMap, HashSet, hash_map::Entry},
    sync::{Arc, Mutex, PoisonError},
};

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, DatabaseTransaction, DbErr, EntityTrait, NotSet, QueryFilter, QuerySelect,
    RuntimeErr,
    sea_query::{Expr, ExprTrait},
};
use tokio::sync::oneshot;

use super::{
    Booked, BookingError, BookingFacts, Desk, active_on, bookable_limit, check_bookable, lock_date,
    offered_places,
};
use crate::{
    db::{
        DbFailure, begin_write, classify, copy_of,
        entities::{booking, offer_date},
        is_lock_timeout,
    },
    domain::booking::{BookingStatus, Channel},
    mail::{self, OutgoingMail, compose::BookingMail},
    services::catalogue::{self, DateSummary},
};

/// The most requests one turn books: enough to empty a rush's queue in a few dozen turns, few
/// enough that the statements stay far below the databases' limits on bound values.
pub(super) const TURN_SIZE: usize = 100;

/// The requests waiting for their date's next turn, by date. A date has an entry while a task takes
/// its turns; a request that finds none starts that task.
#[derive(Clone)]
pub struct DateQueues {
    waiting: Arc<Mutex<HashMap<i32, Vec<Queued>>>>,
    /// Where the turns run: the runtime the queues were made on (the server's), which outlives every
    /// request. A task on an actix worker's own runtime would end with that worker at shutdown, while
    /// requests from the other workers still wait for their turn.
    runtime: Option<tokio::runtime::Handle>,
}

struct Queued {
    pending: Pending,
    answer: oneshot::Sender<Result<Booked, BookingError>>,
}

/// A booking request with everything prepared before the date's lock.
pub(super) struct Pending {
    /// The booking as it will be stored; its status is decided in the turn.
    pub(super) draft: booking::Model,
    pub(super) channel: Channel,
    pub(super) kiosk_terminal: Option<i32>,
    pub(super) taken_by_staff: Option<i32>,
    pub(super) cancel_token: String,
    pub(super) now: DateTime<Utc>,
    /// The date and its later sessions as read before the lock, for the mail.
    pub(super) details: Option<(DateSummary, Vec<DateSummary>)>,
    /// The waiting list's mail, written for the date's revision it names.
    pub(super) written_ahead: Option<(i32, OutgoingMail)>,
}

impl DateQueues {
    /// Queues whose turns run on the current runtime (or, outside one, on the runtime of the
    /// request that starts them).
    pub fn on_current_runtime() -> Self {
        Self {
            waiting: Arc::default(),
            runtime: tokio::runtime::Handle::try_current().ok(),
        }
    }

    /// How many requests wait for the date's next turn; `None` when no turn is being taken.
    pub fn waiting(&self, date_id: i32) -> Option<usize> {
        self.lock().get(&date_id).map(Vec::len)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i32, Vec<Queued>>> {
        // Nothing panics while holding the lock; a poisoned map is still consistent.
        self.waiting.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Ends a date's entry if its task stops without emptying it (a panic, the runtime shutting down,
/// or never started): the requests still queued get an error instead of waiting for ever, and the
/// next one starts anew.
struct EntryGuard {
    queues: DateQueues,
    date_id: i32,
    ended: bool,
}

impl Drop for EntryGuard {
    fn drop(&mut self) {
        if !self.ended {
            self.queues.lock().remove(&self.date_id);
        }
    }
}

/// A turn that failed as a whole: nothing of it was stored, or, when the commit failed, nobody knows.
struct TurnFailed {
    error: BookingError,
    at_commit: bool,
    /// Failed taking the date's lock (another statement may wait on another row's).
    at_date_lock: bool,
}

impl From<BookingError> for TurnFailed {
    fn from(error: BookingError) -> Self {
        Self {
            error,
            at_commit: false,
            at_date_lock: false,
        }
    }
}

impl From<DbErr> for TurnFailed {
    fn from(error: DbErr) -> Self {
        BookingError::from(error).into()
    }
}

impl TurnFailed {
    /// Whether the turn's requests are worth booking one at a time: one request's data (a
    /// constraint, a value the database refused) or mail may have failed the turn. An outage
    /// would refuse each of them again, slowly, as would the date's lock held elsewhere that the
    /// turn gave up waiting for; and after an unclear commit they may be booked already.
    fn one_request_s(&self) -> bool {
        !self.at_commit
            && match &self.error {
                BookingError::Mail(_) => true,
                BookingError::Db(e) => !refuses_everyone(e) && !self.date_locked_elsewhere(),
                _ => false,
            }
    }

    /// Whether the date's lock is held elsewhere for longer than a writer waits.
    fn date_locked_elsewhere(&self) -> bool {
        self.at_date_lock && matches!(&self.error, BookingError::Db(e) if is_lock_timeout(e))
    }

    /// The answer for the requests queued for the date meanwhile, when its lock is held elsewhere.
    fn answer_for_the_queue(&self) -> Option<BookingError> {
        self.date_locked_elsewhere()
            .then(|| same_error(&self.error))
    }

    /// Whether a request booked alone failed for a reason every other request would meet too: an
    /// outage, the date's lock held elsewhere, the date itself (gone). Its own data, its mail or
    /// its own unclear commit say nothing about the others.
    fn meets_all(&self) -> bool {
        match &self.error {
            BookingError::Db(e) => refuses_everyone(e) || self.date_locked_elsewhere(),
            BookingError::Mail(_) => false,
            _ => true,
        }
    }
}

/// Whether a database error would meet every request alike: an outage, or SQLite's file held by
/// another writer past the busy timeout. A lock given up on PostgreSQL concerns one row, which may
/// be one request's own (the date's lock is [`TurnFailed::date_locked_elsewhere`]).
fn refuses_everyone(error: &DbErr) -> bool {
    match classify(error) {
        DbFailure::Unavailable => true,
        DbFailure::Busy => !is_lock_timeout(error),
        DbFailure::Conflict | DbFailure::Fault => false,
    }
}

/// The error of a failed turn for one more of its requests (a database error cannot be cloned):
/// an outage stays an outage, a wait given up a wait given up, a conflict a conflict, a fault a
/// fault.
fn same_error(error: &BookingError) -> BookingError {
    match error {
        BookingError::DateNotFound => BookingError::DateNotFound,
        BookingError::NotBookable(why) => BookingError::NotBookable(why),
        BookingError::TooManyPlaces => BookingError::TooManyPlaces,
        BookingError::Duplicate => BookingError::Duplicate,
        BookingError::BookingNotFound => BookingError::BookingNotFound,
        BookingError::AlreadyCancelled => BookingError::AlreadyCancelled,
        BookingError::Begun => BookingError::Begun,
        BookingError::DateCancelled => BookingError::DateCancelled,
        BookingError::NoOpenOffer => BookingError::NoOpenOffer,
        BookingError::Db(e) => BookingError::Db(copy_of(e)),
        BookingError::Mail(e) => BookingError::Mail(anyhow::anyhow!("{e:#}")),
    }
}

impl Desk {
    /// Books `pending` in its date's next turn.
    pub(super) async fn book_in_turn(&self, pending: Pending) -> Result<Booked, BookingError> {
        let date_id = pending.draft.date_id;
        let (answer, answered) = oneshot::channel();
        let queued = Queued { pending, answer };
        let first = match self.queues.lock().entry(date_id) {
            Entry::Occupied(mut waiting) => {
                waiting.get_mut().push(queued);
                false
            }
            Entry::Vacant(none) => {
                none.insert(vec![queued]);
                true
            }
        };
        if first {
            // A task of its own: if this request is dropped (the client went away), the others
            // queued behind it are still booked and answered.
            let guard = EntryGuard {
                queues: self.queues.clone(),
                date_id,
                ended: false,
            };
            let desk = self.clone();
            let turns = async move { desk.take_turns(guard).await };
            match &self.queues.runtime {
                Some(runtime) => drop(runtime.spawn(turns)),
                None => drop(tokio::spawn(turns)),
            }
        }
        answered.await.unwrap_or_else(|_| {
            Err(BookingError::Db(DbErr::Conn(RuntimeErr::Internal(
                "the booking's turn ended before it was answered".to_owned(),
            ))))
        })
    }

    async fn take_turns(&self, mut guard: EntryGuard) {
        let date_id = guard.date_id;
        loop {
            let turn: Vec<Queued> = {
                let mut queues = self.queues.lock();
                let Some(waiting) = queues.get_mut(&date_id) else {
                    return;
                };
                if waiting.is_empty() {
                    queues.remove(&date_id);
                    guard.ended = true;
                    return;
                }
                let size = waiting.len().min(TURN_SIZE);
                waiting.drain(..size).collect()
            };
            let (mut pending, mut answers): (Vec<_>, Vec<_>) = turn
                .into_iter()
                .map(|queued| (queued.pending, queued.answer))
                .unzip();
            // Set when the date's lock is held elsewhere for longer than a writer waits: the
            // requests queued meanwhile would each wait as long again, so they get the answer now.
            let mut locked_elsewhere = None;
            let outcomes = match self.book_together(date_id, &pending).await {
                Ok(outcomes) => outcomes,
                Err(failed) if pending.len() > 1 && failed.one_request_s() => {
                    tracing::warn!(error = %failed.error, bookings = pending.len(),
                        "booking a turn together failed; booking its requests one by one");
                    let mut outcomes = Vec::with_capacity(pending.len());
                    // An outage or a lock held elsewhere met alone would meet the others too.
                    let mut gave_up: Option<BookingError> = None;
                    for one in &pending {
                        if let Some(error) = &gave_up {
                            outcomes.push(Err(same_error(error)));
                            continue;
                        }
                        let alone = self.book_together(date_id, std::slice::from_ref(one));
                        outcomes.push(match alone.await {
                            Ok(mut outcome) => outcome
                                .pop()
                                .unwrap_or(Err(BookingError::Db(DbErr::RecordNotInserted))),
                            Err(failed) if failed.meets_all() => {
                                locked_elsewhere = failed.answer_for_the_queue();
                                let copy = same_error(&failed.error);
                                gave_up = Some(failed.error);
                                Err(copy)
                            }
                            Err(failed) => Err(failed.error),
                        });
                    }
                    outcomes
                }
                Err(failed) => {
                    let mut outcomes: Vec<_> = (1..pending.len())
                        .map(|_| Err(same_error(&failed.error)))
                        .collect();
                    locked_elsewhere = failed.answer_for_the_queue();
                    outcomes.insert(0, Err(failed.error));
                    outcomes
                }
            };
            // A turn may end early (see `book_together`): the rest go first in the next one.
            let rest = (
                pending.split_off(outcomes.len()),
                answers.split_off(outcomes.len()),
            );
            if !rest.0.is_empty() {
                let rest = rest.0.into_iter().zip(rest.1);
                let rest = rest.map(|(pending, answer)| Queued { pending, answer });
                if let Some(waiting) = self.queues.lock().get_mut(&date_id) {
                    waiting.splice(0..0, rest);
                }
            }
            for (answer, outcome) in answers.into_iter().zip(outcomes) {
                // The request may be gone (the client went away); its booking stands.
                let _ = answer.send(outcome);
            }
            if let Some(error) = locked_elsewhere {
                let waiting: Vec<Queued> = match self.queues.lock().get_mut(&date_id) {
                    Some(waiting) => std::mem::take(waiting),
                    None => Vec::new(),
                };
                if !waiting.is_empty() {
                    tracing::warn!(error = %error, bookings = waiting.len(),
                        "the date is locked elsewhere; its waiting requests are answered now");
                }
                for queued in waiting {
                    let _ = queued.answer.send(Err(same_error(&error)));
                }
            }
        }
    }

    /// Books the requests of one turn under one lock of the date, in their order, and returns their
    /// outcomes. It may end the turn early, after at least one request: the outcomes are then those
    /// of the first requests, and the rest wait for the next turn.
    ///
    /// The lock is held until the commit, so the statements under it are few whatever the turn's
    /// size: the row, one query of facts, the booked places, the bookings and their mails.
    async fn book_together(
        &self,
        date_id: i32,
        turn: &[Pending],
    ) -> Result<Vec<Result<Booked, BookingError>>, TurnFailed> {
        let Some(first) = turn.first() else {
            return Ok(Vec::new());
        };
        let now = first.now;
        let txn = begin_write(&self.db).await?;
        let mut date = lock_date(&txn, date_id).await.map_err(|error| TurnFailed {
            error,
            at_commit: false,
            at_date_lock: true,
        })?;
        // One request compares its address in the query of facts; a turn of several asks once for all.
        let one_address = match turn {
            [one] => one.draft.email.as_deref(),
            _ => None,
        };
        let facts = BookingFacts::of(&txn, &date, one_address, now).await?;
        let offer_status = facts.offer_status.ok_or(BookingError::DateNotFound)?;
        let registration_required = facts.registration_required.unwrap_or(true);
        let mut booked_addresses = match turn {
            [_] => HashSet::new(),
            _ => addresses_booked(&txn, date_id, turn).await?,
        };
        if facts.same_address > 0 {
            booked_addresses.extend(one_address.map(str::to_owned));
        }
        // What each request is refused for, decided before anything is written.
        let refusals: Vec<Option<BookingError>> = turn
            .iter()
            .map(|pending| {
                if let Err(e) =
                    check_bookable(&date, offer_status, registration_required, pending.now)
                {
                    return Some(e);
                }
                if pending.draft.places > date.max_places_per_booking {
                    return Some(BookingError::TooManyPlaces);
                }
                match &pending.draft.email {
                    Some(email) if !booked_addresses.insert(email.clone()) => {
                        Some(BookingError::Duplicate)
                    }
                    _ => None,
                }
            })
            .collect();
        if refusals.iter().all(Option::is_some) {
            return Ok(refusals.into_iter().flatten().map(Err).collect());
        }

        let mut offered = i32::try_from(facts.offered).unwrap_or(date.capacity);
        if date.waiting_count > 0
            && date.booked_places < bookable_limit(&date, Channel::Online, now)
        {
            // Places became free without a cancellation (walk-in places released): the waiting list
            // gets them first, before these requests are weighed.
            self.fill_from_waiting_list(&txn, date_id, now).await?;
            date = lock_date(&txn, date_id).await?;
            offered = offered_places(&txn, date_id, now).await?;
        }
        let mut waiting = u64::try_from(date.waiting_count).unwrap_or(0);

        let mut booked = date.booked_places;
        let mut drafts = Vec::new();
        let mut positions = Vec::new();
        let mut decided = 0;
        let mut waitlisted = false;
        for (pending, refusal) in turn.iter().zip(&refusals) {
            // Booked alone, this request would first give free places to the waiting list. That
            // can change something only if places were released since the turn began (walk-in
            // places at their time), if an open offer has lapsed since (the list moves past it),
            // or if one of this turn went on the list while places were free (it asked for more)
            // and no open offer holds the list. Then the turn ends here and the next one starts
            // with that.
            let limit = bookable_limit(&date, Channel::Online, pending.now);
            let released = limit != bookable_limit(&date, Channel::Online, now);
            let lapsed = facts
                .first_offer_lapses
                .is_some_and(|lapses| lapses <= pending.now);
            let fill_would_act = waiting > 0
                && booked < limit
                && (released || lapsed || (waitlisted && offered == 0));
            if decided > 0 && fill_would_act {
                break;
            }
            decided += 1;
            if refusal.is_some() {
                continue;
            }
            let places = pending.draft.places;
            // Places offered to someone waiting are theirs until they answer, on every channel:
            // the counter's bookings can push the booked places past the online limit, so the
            // booked places alone do not say what is still free.
            let taken = booked + offered;
            let fits = if waiting == 0 {
                taken + places <= bookable_limit(&date, pending.channel, pending.now)
            } else if matches!(pending.channel, Channel::Staff | Channel::Kiosk) {
                // Places held for walk-ins are the counter's alone, even while people wait online.
                let online = bookable_limit(&date, Channel::Online, pending.now);
                places <= date.capacity - std::cmp::max(taken, online)
            } else {
                // Nobody overtakes the waiting list: free places belong to those already waiting.
                false
            };
            let mut draft = pending.draft.clone();
            if fits {
                booked += places;
                draft.status = BookingStatus::Confirmed;
                positions.push(None);
            } else {
                waiting += 1;
                waitlisted = true;
                draft.status = BookingStatus::Waitlisted;
                positions.push(Some(waiting));
            }
            let mut row = booking::ActiveModel::from(draft);
            row.id = NotSet;
            drafts.push(row);
        }
        let added = booked - date.booked_places;
        // The row is locked, so the places fit; the condition repeats it for the database to enforce.
        if added > 0
            && offer_date::Entity::update_many()
                .col_expr(
                    offer_date::Column::BookedPlaces,
                    Expr::col(offer_date::Column::BookedPlaces).add(added),
                )
                .filter(offer_date::Column::Id.eq(date_id))
                .filter(
                    Expr::col(offer_date::Column::BookedPlaces)
                        .add(added + offered)
                        .lte(Expr::col(offer_date::Column::Capacity)),
                )
                .exec(&txn)
                .await?
                .rows_affected
                != 1
        {
            return Err(DbErr::RecordNotUpdated.into());
        }
        let saved = booking::Entity::insert_many(drafts)
            .exec_with_returning(&txn)
            .await?;
        // Matched by their secrets, not by the order the database returns them in.
        let mut saved: HashMap<String, booking::Model> = saved
            .into_iter()
            .map(|booking| (booking.cancel_token_hash.clone(), booking))
            .collect();

        // A course's later sessions may have changed since the requests read them (cancelled,
        // moved, or the first one added): such a change locks this date but leaves its revision.
        // So the sessions are read here, once for the turn and under the lock, and a course's mails
        // are written from this reading.
        let sessions = catalogue::sessions_of(&txn, date_id).await?;
        let course = if sessions.is_empty() {
            None
        } else {
            let summary = catalogue::date(&txn, date_id, now)
                .await?
                .ok_or(BookingError::DateNotFound)?
                .date;
            Some((summary, sessions))
        };
        let mut outcomes = Vec::with_capacity(decided);
        let mut mails = Vec::new();
        let mut positions = positions.into_iter();
        for (pending, refusal) in turn.iter().zip(refusals).take(decided) {
            if let Some(refusal) = refusal {
                outcomes.push(Err(refusal));
                continue;
            }
            let booking = saved
                .remove(&pending.draft.cancel_token_hash)
                .ok_or(DbErr::RecordNotInserted)?;
            let waiting_position = positions.next().flatten();
            let confirmed = booking.status == BookingStatus::Confirmed;
            let kind = if confirmed {
                BookingMail::Confirmed
            } else {
                BookingMail::Waitlisted
            };
            let read_as_course = pending
                .details
                .as_ref()
                .is_some_and(|(_, sessions)| !sessions.is_empty());
            // Staff hand the confirmation over themselves (printed or by phone); no task needed.
            match (&course, &pending.details, &pending.written_ahead) {
                (Some((summary, sessions)), _, _) => {
                    let details = (summary, sessions.as_slice(), None);
                    if let Some(mail) = self
                        .compose(&txn, kind, &booking, details, pending.now)
                        .await?
                    {
                        mails.push((mail, booking.id));
                    }
                }
                // Read as a course, whose sessions are gone meanwhile: read again.
                _ if read_as_course => {
                    self.notify(&txn, kind, &booking, pending.now, false)
                        .await?
                }
                (None, _, Some((revision, mail))) if !confirmed && *revision == date.revision => {
                    mails.push((mail.clone(), booking.id));
                }
                (None, Some((summary, sessions)), _) if summary.revision == date.revision => {
                    let details = (summary, sessions.as_slice(), None);
                    if let Some(mail) = self
                        .compose(&txn, kind, &booking, details, pending.now)
                        .await?
                    {
                        mails.push((mail, booking.id));
                    }
                }
                _ => {
                    self.notify(&txn, kind, &booking, pending.now, false)
                        .await?
                }
            }
            // A terminal's receipt belongs to the booking: stored apart, a failure after the commit
            // would show the person an error for a booking that exists, and a second tap books again.
            if let Some(terminal_id) = pending.kiosk_terminal {
                let kiosk = crate::services::kiosk::Action::Booking;
                crate::services::kiosk::set_receipt(&txn, terminal_id, Some(booking.id)).await?;
                crate::services::kiosk::count(&txn, terminal_id, kiosk, pending.now).await?;
            }
            if let Some(staff) = pending.taken_by_staff {
                crate::services::audit::record(
                    &txn,
                    Some(staff),
                    "booking.staff",
                    &format!("booking:{}", booking.id),
                    "",
                )
                .await?;
            }
            outcomes.push(Ok(Booked {
                booking_id: booking.id,
                status: booking.status,
                cancel_token: pending.cancel_token.clone(),
                waiting_position,
            }));
        }
        mail::enqueue_about_bookings(&txn, mails).await?;
        txn.commit().await.map_err(|e| TurnFailed {
            error: e.into(),
            at_commit: true,
            at_date_lock: false,
        })?;
        Ok(outcomes)
    }
}

/// The addresses among the turn's that already hold an active booking of the date.
async fn addresses_booked(
    txn: &DatabaseTransaction,
    date_id: i32,
    turn: &[Pending],
) -> Result<HashSet<String>, DbErr> {
    let addresses: HashSet<&str> = turn
        .iter()
        .filter_map(|pending| pending.draft.email.as_deref())
        .collect();
    if addresses.is_empty() {
        return Ok(HashSet::new());
    }
    let found: Vec<Option<String>> = booked_among(date_id, addresses)
        .into_tuple()
        .all(txn)
        .await?;
    Ok(found.into_iter().flatten().collect())
}

/// Which of `addresses` have an active booking of the date.
pub(super) fn booked_among<'a>(
    date_id: i32,
    addresses: impl IntoIterator<Item = &'a str>,
) -> sea_orm::Select<booking::Entity> {
    booking::Entity::find()
        .select_only()
        .column(booking::Column::Email)
        .filter(active_on(date_id))
        .filter(booking::Column::Email.is_in(addresses))
}
