//! The waiting list: freed places go to it strictly in arrival order; an entry that needs more places
//! than are free gets an offer of the free ones and holds them for a while.
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Select, Set,
    sea_query::{Expr, ExprTrait, Query},
};

use super::{
    BookingError, Desk, bookable_limit, by_token, change_from, jobs::JobRun, lock_and_reread,
    lock_date, offered_places, set_booked, waiting_on, without_offer,
};
use crate::{
    db::{
        begin_write,
        entities::{booking, offer_date},
    },
    domain::{
        booking::{BookingStatus, Channel},
        offer::DateStatus,
    },
    mail::compose::BookingMail,
};

/// Waiting-list entries read at a time when free places are given on.
const WAITING_LIST_PAGE: u64 = 16;

/// The date's waiting list after the entry `after`, a page of it in arrival order.
pub(super) fn waiting_page(date_id: i32, after: i64) -> Select<booking::Entity> {
    booking::Entity::find()
        .filter(waiting_on(date_id))
        .filter(booking::Column::Id.gt(after))
        .order_by_asc(booking::Column::Id)
        .limit(WAITING_LIST_PAGE)
}

/// A date's waiting list in arrival order, read a page at a time: the free places are usually
/// gone after the first few entries, and the list can be thousands long.
struct WaitingList {
    date_id: i32,
    page: std::vec::IntoIter<booking::Model>,
    /// The last entry read, and whether a page after it may hold more.
    after: i64,
    more: bool,
}

impl WaitingList {
    fn of(date_id: i32) -> Self {
        Self {
            date_id,
            page: Vec::new().into_iter(),
            after: 0,
            more: true,
        }
    }

    async fn next(
        &mut self,
        txn: &DatabaseTransaction,
    ) -> Result<Option<booking::Model>, sea_orm::DbErr> {
        if self.page.len() == 0 && self.more {
            let page = waiting_page(self.date_id, self.after).all(txn).await?;
            self.more = page.len() == WAITING_LIST_PAGE as usize;
            self.after = page.last().map_or(self.after, |entry| entry.id);
            self.page = page.into_iter();
        }
        Ok(self.page.next())
    }
}

impl Desk {
    /// When an offer of places made now lapses: after the usual hold, but not past the date's start
    /// (the places are of no use to anyone then, and the page and mail would promise a hold that
    /// cannot be kept).
    fn offer_held_until(&self, starts_at: DateTime<Utc>, now: DateTime<Utc>) -> DateTime<Utc> {
        std::cmp::min(now + self.offer_hold, starts_at)
    }

    /// The date moved to `starts_at`: its open offers are held as if made now, so none lapses at
    /// the old start before the date (moved later) or is promised past the new one (moved earlier).
    pub(crate) async fn hold_offers_for_moved_date(
        &self,
        txn: &DatabaseTransaction,
        date_id: i32,
        starts_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), sea_orm::DbErr> {
        booking::Entity::update_many()
            .col_expr(
                booking::Column::OfferExpiresAt,
                Expr::value(self.offer_held_until(starts_at, now)),
            )
            .filter(booking::Column::DateId.eq(date_id))
            .filter(booking::Column::OfferedPlaces.is_not_null())
            .filter(booking::Column::OfferExpiresAt.gt(now))
            .exec(txn)
            .await?;
        Ok(())
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
        // Places offered and not yet answered are held for the entry they were offered to: an entry
        // ahead of it (one that declined or let its offer lapse) gets only the places beyond them.
        let mut held = offered_places(txn, date_id, now).await?;
        let open_offer =
            |entry: &booking::Model| match (entry.offered_places, entry.offer_expires_at) {
                (Some(places), Some(expires)) if expires > now => places,
                _ => 0,
            };
        let mut waiting = WaitingList::of(date_id);
        while let Some(entry) = waiting.next(txn).await? {
            let own = open_offer(&entry);
            let free = limit - booked - (held - own);
            if free <= 0 {
                break;
            }
            if entry.places <= free {
                booked += entry.places;
                held -= own;
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
                    update.offer_expires_at = Set(Some(self.offer_held_until(date.starts_at, now)));
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
    /// waiting for the full number. Either way, places freed while the offer was open (it held the
    /// queue) go on down the list at once. The offer stands as made: places freed meanwhile do not
    /// raise it, so an accepted offer books what the person saw and took, and the rest goes to the
    /// next in line (a freed place that completes the person's full number does book them all).
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
        // The capacity is the limit whatever happened since the offer (staff lowered it), and a
        // date that was cancelled or has begun takes nobody: the offer lapses instead, and the
        // person keeps their place on the waiting list.
        let gone = date.status.is_cancelled() || date.starts_at <= now;
        if accept && (gone || date.booked_places + offered > date.capacity) {
            let lapse = booking::Entity::update_many()
                .col_expr(booking::Column::OfferExpiresAt, Expr::value(now));
            change_from(&txn, &found, open(lapse)).await?;
            txn.commit().await?;
            return Err(BookingError::NoOpenOffer);
        }
        let status = if accept {
            let update = without_offer(
                booking::Entity::update_many()
                    .col_expr(booking::Column::Places, Expr::value(offered))
                    .col_expr(booking::Column::Status, Expr::value(promoted)),
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
            self.fill_from_waiting_list(&txn, date.id, now).await?;
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

    /// Walk-in places released for online booking go to the waiting list at once. Run by the scheduler;
    /// however long ago the release was (the jobs may not have run for days), every date still to
    /// come whose release time has passed is looked at while its waiting list can move: it has room
    /// and someone waiting whose whole request fits into it, or someone who has had no offer yet
    /// while no offer holds the places. A release is done once its places went to the list (or
    /// there was nobody who could take them), so a date already handled is not taken up again.
    /// One query, as cheap as the one-day window was: the dates still to come from an index on the
    /// start time (on SQLite one that also holds the walk-in columns), and only for those with
    /// walk-in places released a look at their waiting entries (the index on date, state and id).
    pub async fn release_walk_in_places(&self, now: DateTime<Utc>) -> Result<usize, BookingError> {
        let waiting = |condition: Expr| {
            Query::select()
                .expr(Expr::val(1))
                .from(booking::Entity)
                .and_where(
                    Expr::col((booking::Entity, booking::Column::DateId))
                        .equals((offer_date::Entity, offer_date::Column::Id)),
                )
                .and_where(
                    Expr::col((booking::Entity, booking::Column::Status))
                        .eq(BookingStatus::Waitlisted),
                )
                .and_where(condition)
                .to_owned()
        };
        let room = Expr::col((offer_date::Entity, offer_date::Column::Capacity)).sub(Expr::col((
            offer_date::Entity,
            offer_date::Column::BookedPlaces,
        )));
        let fits = waiting(Expr::col((booking::Entity, booking::Column::Places)).lte(room));
        let not_offered_yet =
            waiting(Expr::col((booking::Entity, booking::Column::OfferExpiresAt)).is_null());
        let offer_open =
            waiting(Expr::col((booking::Entity, booking::Column::OfferExpiresAt)).gt(now));
        let dates: Vec<i32> = offer_date::Entity::find()
            .select_only()
            .column(offer_date::Column::Id)
            .filter(offer_date::Column::StartsAt.gt(now))
            .filter(offer_date::Column::WalkInPlaces.gt(0))
            .filter(offer_date::Column::WalkInReleaseAt.lte(now))
            .filter(offer_date::Column::Status.ne(DateStatus::Cancelled))
            .filter(
                Expr::col(offer_date::Column::BookedPlaces)
                    .lt(Expr::col(offer_date::Column::Capacity)),
            )
            .filter(
                Condition::any().add(Expr::exists(fits)).add(
                    Condition::all()
                        .add(Expr::exists(not_offered_yet))
                        .add(Expr::exists(offer_open).not()),
                ),
            )
            .into_tuple()
            .all(&self.db)
            .await?;
        self.fill_each(dates, now, "walk-in places released").await
    }

    /// Passes on places whose offer expired unanswered. Run by the scheduler; safe to run anywhere, any time.
    /// However long ago the offer expired (the jobs may not have run for days): what is looked at
    /// is dates still to come with room and someone waiting who has had no offer yet, so a date
    /// whose places have moved on is not taken up again.
    pub async fn expire_offers(&self, now: DateTime<Utc>) -> Result<usize, BookingError> {
        let upcoming_with_room = Query::select()
            .column(offer_date::Column::Id)
            .from(offer_date::Entity)
            .and_where(Expr::col(offer_date::Column::StartsAt).gt(now))
            .and_where(Expr::col(offer_date::Column::Status).ne(DateStatus::Cancelled))
            .and_where(
                Expr::col(offer_date::Column::BookedPlaces)
                    .lt(Expr::col(offer_date::Column::Capacity)),
            )
            .to_owned();
        let someone_not_offered_yet = Query::select()
            .column(booking::Column::DateId)
            .from(booking::Entity)
            .and_where(Expr::col(booking::Column::Status).eq(BookingStatus::Waitlisted))
            .and_where(Expr::col(booking::Column::OfferExpiresAt).is_null())
            .to_owned();
        let dates: Vec<i32> = booking::Entity::find()
            .select_only()
            .column(booking::Column::DateId)
            .filter(booking::Column::Status.eq(BookingStatus::Waitlisted))
            .filter(booking::Column::OfferExpiresAt.lte(now))
            .filter(booking::Column::DateId.in_subquery(upcoming_with_room))
            .filter(booking::Column::DateId.in_subquery(someone_not_offered_yet))
            .distinct()
            .into_tuple()
            .all(&self.db)
            .await?;
        self.fill_each(dates, now, "expired offers").await
    }

    /// Fills each date's places from its waiting list, each in a transaction of its own.
    async fn fill_each(
        &self,
        dates: Vec<i32>,
        now: DateTime<Utc>,
        job: &'static str,
    ) -> Result<usize, BookingError> {
        let mut run = JobRun::new(job);
        for date_id in dates {
            let filled = async {
                let txn = begin_write(&self.db).await?;
                let promoted = self.fill_from_waiting_list(&txn, date_id, now).await?.len();
                txn.commit().await?;
                Ok(promoted)
            };
            run.add(date_id, filled.await);
        }
        run.finish()
    }
}
