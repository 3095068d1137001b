//! The person's rights over their data (GDPR): everything stored about them as one download, and
//! deleting the account with what hangs on it.
use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter,
    QuerySelect,
    sea_query::{Expr, ExprTrait, IntoCondition, Query},
};
use serde_json::json;

use crate::{
    db::{
        entities::{
            account_token, api_token, audit_log, barrier_report, booking, course_alert,
            course_alert_date, export_job, offer_date, outbox, proposal, proposal_event,
            proposal_follow, proposal_support, session, session_attendance, session_report, user,
            user_role, volunteer_feed, volunteer_hours, volunteer_shift, volunteer_signup,
        },
        sum_by,
    },
    domain::{
        account::CurrentUser, booking::BookingStatus, proposal::ProposalStatus,
        volunteering::HoursStatus,
    },
    mail::compose::BookingMail,
    services::{
        audit,
        booking::{BookingError, Desk, anonymise_bookings},
        pseudonyms::Pseudonyms,
        sessions::hash_token,
    },
};

/// Everything stored about a person, for the GDPR download (Art. 15 and 20).
/// The rows of an account: those made signed in, and those made with its address by nobody signed
/// in. A row another account made with what is this account's address now (it was that account's
/// before an address change) stays that account's.
pub(crate) fn of_account(
    by_account: impl ColumnTrait,
    by_address: impl ColumnTrait,
    user_id: i32,
    email: &str,
) -> Condition {
    Condition::any().add(by_account.eq(user_id)).add(
        Condition::all()
            .add(by_account.is_null())
            .add(by_address.eq(email)),
    )
}

pub async fn export(
    db: &DatabaseConnection,
    pseudonyms: &Pseudonyms,
    user_id: i32,
) -> Result<serde_json::Value, DbErr> {
    let Some(found) = user::Entity::find_by_id(user_id).one(db).await? else {
        return Ok(json!({}));
    };
    let roles = listed::<user_role::Entity>(
        db,
        user_role::Column::UserId.eq(user_id),
        |r| json!({ "role": r.role, "organisation_id": r.organisation_id, "district": r.district_key, "since": r.created_at }),
    )
    .await?;
    let reports = listed::<barrier_report::Entity>(
        db,
        barrier_report::Column::ContactEmail.eq(found.email.as_str()),
        |r| json!({ "page": r.page_url, "description": r.description, "name": r.contact_name, "created_at": r.created_at }),
    )
    .await?;
    let proposals = listed::<proposal::Entity>(
        db,
        of_account(
            proposal::Column::AuthorUserId,
            proposal::Column::AuthorEmail,
            user_id,
            &found.email,
        ),
        |p| json!({ "id": p.id, "title": p.title, "text": p.body, "category": p.category, "district": p.district_key, "town": p.town, "status": p.status, "moderation_note": p.moderation_note, "official_answer": p.official_answer, "contact": p.contact, "language": p.language, "created_at": p.created_at, "published_at": p.published_at }),
    )
    .await?;
    // Each step of the person's proposals, with moderation's note (the reasons were mailed to the
    // author); who took the step is not shown.
    let proposal_history = listed::<proposal_event::Entity>(
        db,
        proposal_event::Column::ProposalId.in_subquery(
            Query::select()
                .column(proposal::Column::Id)
                .from(proposal::Entity)
                .cond_where(of_account(
                    proposal::Column::AuthorUserId,
                    proposal::Column::AuthorEmail,
                    user_id,
                    &found.email,
                ))
                .to_owned(),
        ),
        |e| json!({ "proposal_id": e.proposal_id, "status": e.status, "note": e.note, "at": e.created_at }),
    )
    .await?;
    // Those given by mailed link count as the person's too (deleting the account finds them the
    // same way); their address is kept only as its keyed hash.
    let supports = listed::<proposal_support::Entity>(
        db,
        supports_of(pseudonyms, user_id, &found.email),
        |s| json!({ "proposal_id": s.proposal_id, "by": if s.user_id.is_some() { "account" } else { "link" }, "since": s.created_at, "confirmed_at": s.confirmed_at }),
    )
    .await?;
    let follows = listed::<proposal_follow::Entity>(
        db,
        proposal_follow::Column::Email.eq(found.email.as_str()),
        |f| json!({ "proposal_id": f.proposal_id, "confirmed_at": f.confirmed_at }),
    )
    .await?;
    let alerts = listed::<course_alert::Entity>(
        db,
        of_account(
            course_alert::Column::UserId,
            course_alert::Column::Email,
            user_id,
            &found.email,
        ),
        |a| json!({ "id": a.id, "email": a.email, "section": a.kind, "filter": a.filter_query, "language": a.language, "created_at": a.created_at, "confirmed_at": a.confirmed_at, "last_mail_at": a.last_sent_at }),
    )
    .await?;
    // The dates each alert has told the person of already.
    let alert_dates = listed::<course_alert_date::Entity>(
        db,
        course_alert_date::Column::AlertId.in_subquery(
            Query::select()
                .column(course_alert::Column::Id)
                .from(course_alert::Entity)
                .cond_where(of_account(
                    course_alert::Column::UserId,
                    course_alert::Column::Email,
                    user_id,
                    &found.email,
                ))
                .to_owned(),
        ),
        |d| json!({ "alert_id": d.alert_id, "date_id": d.date_id, "known_since": d.created_at }),
    )
    .await?;
    let of_person = of_account(
        booking::Column::UserId,
        booking::Column::Email,
        user_id,
        &found.email,
    );
    let bookings = listed::<booking::Entity>(
        db,
        of_person.clone(),
        |b| json!({ "id": b.id, "date_id": b.date_id, "name": b.name, "email": b.email, "phone": b.phone, "places": b.places, "status": b.status, "booked_by": b.channel, "mail_language": b.language, "attendance": b.attendance, "places_offered": b.offered_places, "offer_valid_until": b.offer_expires_at, "created_at": b.created_at }),
    )
    .await?;
    // Attendance at each further session of a course, as the course's staff recorded it.
    let session_attendance = listed::<session_attendance::Entity>(
        db,
        session_attendance::Column::BookingId.in_subquery(
            Query::select()
                .column(booking::Column::Id)
                .from(booking::Entity)
                .cond_where(of_person)
                .to_owned(),
        ),
        |a| json!({ "booking_id": a.booking_id, "date_id": a.date_id, "attendance": a.attendance, "recorded_at": a.recorded_at }),
    )
    .await?;
    let signups = listed::<volunteer_signup::Entity>(
        db,
        volunteer_signup::Column::UserId.eq(user_id),
        |s| json!({ "session_id": s.shift_id, "status": s.status, "signed_up_at": s.signed_up_at, "withdrawn_at": s.withdrawn_at }),
    )
    .await?;
    let hours = listed::<volunteer_hours::Entity>(
        db,
        volunteer_hours::Column::UserId.eq(user_id),
        |h| json!({ "session_id": h.shift_id, "from": h.started_at, "to": h.ended_at, "minutes": h.minutes, "status": h.status }),
    )
    .await?;
    let feed = volunteer_feed::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .map(|f| json!({ "created_at": f.created_at }));
    let api_tokens = listed::<api_token::Entity>(
        db,
        api_token::Column::UserId.eq(user_id),
        |t| json!({ "name": t.name, "created_at": t.created_at, "last_used_at": t.last_used_at, "revoked_at": t.revoked_at }),
    )
    .await?;
    let sessions = listed::<session::Entity>(
        db,
        session::Column::UserId.eq(user_id),
        |s| json!({ "started_at": s.created_at, "last_seen_at": s.last_seen_at, "expires_at": s.expires_at }),
    )
    .await?;
    let pending_email_change = listed::<account_token::Entity>(
        db,
        Condition::all()
            .add(account_token::Column::UserId.eq(user_id))
            .add(account_token::Column::Purpose.eq(super::PURPOSE_CHANGE_EMAIL))
            .add(account_token::Column::UsedAt.is_null())
            .add(account_token::Column::ExpiresAt.gt(Utc::now())),
        |t| json!({ "new_email": t.new_email, "requested_at": t.created_at, "link_valid_until": t.expires_at }),
    )
    .await?;
    // Staff and coordinators: what the portal keeps of their work under their account.
    let work = json!({
        "session_reports_recorded": listed::<session_report::Entity>(
            db,
            session_report::Column::RecordedBy.eq(user_id),
            |r| json!({ "session_id": r.shift_id, "updated_at": r.updated_at }),
        )
        .await?,
        "hours_decided": listed::<volunteer_hours::Entity>(
            db,
            volunteer_hours::Column::DecidedBy.eq(user_id),
            |h| json!({ "hours_id": h.id, "status": h.status, "decided_at": h.decided_at }),
        )
        .await?,
        "sessions_created": listed::<volunteer_shift::Entity>(
            db,
            volunteer_shift::Column::CreatedBy.eq(user_id),
            |v| json!({ "session_id": v.id, "title": v.title, "created_at": v.created_at }),
        )
        .await?,
        "exports_requested": listed::<export_job::Entity>(
            db,
            export_job::Column::RequestedBy.eq(user_id),
            |j| json!({ "id": j.id, "from": j.period_from, "to": j.period_to, "requested_at": j.created_at }),
        )
        .await?,
    });
    // What the person did, and what was done to their account (a role granted or revoked by an
    // administrator); who did the latter is not shown.
    let security_log = listed::<audit_log::Entity>(
        db,
        Condition::any()
            .add(audit_log::Column::ActorUserId.eq(user_id))
            .add(audit_log::Column::Target.eq(format!("user:{user_id}"))),
        |a| json!({ "action": a.action, "target": a.target, "at": a.created_at }),
    )
    .await?;
    Ok(json!({
        "account": {
            "email": found.email,
            "name": found.display_name,
            "email_confirmed_at": found.email_verified_at,
            "created_at": found.created_at,
            "mail_language": found.language,
        },
        "roles": roles,
        "barrier_reports": reports,
        "proposals": proposals,
        "proposal_history": proposal_history,
        "proposal_supports": supports,
        "proposal_follows": follows,
        "course_alerts": alerts,
        "course_alert_dates": alert_dates,
        "bookings": bookings,
        "course_session_attendance": session_attendance,
        "volunteer_signups": signups,
        "volunteer_hours": hours,
        "volunteer_calendar_feed": feed,
        "api_tokens": api_tokens,
        "sessions": sessions,
        "pending_email_change": pending_email_change,
        "staff_work": work,
        "security_log": security_log,
        "exported_at": Utc::now(),
    }))
}

/// The person's supports: given signed in, or by mailed link with the account's address (an old
/// instance during a rolling update may have stored the plain hash, which the hourly housekeeping
/// converts),
/// as `of_account` counts rows by address: another account's row stays that account's.
fn supports_of(pseudonyms: &Pseudonyms, user_id: i32, email: &str) -> Condition {
    Condition::any()
        .add(proposal_support::Column::UserId.eq(user_id))
        .add(
            Condition::all()
                .add(proposal_support::Column::UserId.is_null())
                .add(
                    proposal_support::Column::EmailHash
                        .is_in([pseudonyms.support_address(email), hash_token(email)]),
                ),
        )
}

/// The rows of `E` that `filter` selects, each as the download shows it.
async fn listed<E: EntityTrait>(
    db: &DatabaseConnection,
    filter: impl IntoCondition,
    show: impl Fn(E::Model) -> serde_json::Value,
) -> Result<Vec<serde_json::Value>, DbErr> {
    Ok(E::find()
        .filter(filter)
        .all(db)
        .await?
        .into_iter()
        .map(show)
        .collect())
}

/// The person's bookings (made signed in or with the account's address) that deleting the account
/// cancels: not cancelled, for a date still ahead.
async fn upcoming_bookings(
    conn: &impl ConnectionTrait,
    user_id: i32,
    email: &str,
    now: DateTime<Utc>,
) -> Result<Vec<booking::Model>, DbErr> {
    booking::Entity::find()
        .filter(of_account(
            booking::Column::UserId,
            booking::Column::Email,
            user_id,
            email,
        ))
        .filter(active_ahead(now))
        .all(conn)
        .await
}

/// A booking not cancelled, for a date still to come or a course with a session still to come (a
/// course's bookings are on its first date): what deleting the account cancels. A course under way
/// kept the person's places, nameless, and its staff could not tell who was missing.
fn active_ahead(now: DateTime<Utc>) -> Condition {
    let dates_ahead = Query::select()
        .column(offer_date::Column::Id)
        .from(offer_date::Entity)
        .and_where(offer_date::Column::StartsAt.gt(now))
        .to_owned();
    let courses_with_sessions_ahead = Query::select()
        .column(offer_date::Column::SeriesLeadId)
        .from(offer_date::Entity)
        .and_where(offer_date::Column::StartsAt.gt(now))
        .and_where(offer_date::Column::SeriesLeadId.is_not_null())
        .to_owned();
    Condition::all()
        .add(booking::Column::Status.ne(BookingStatus::Cancelled))
        .add(
            Condition::any()
                .add(booking::Column::DateId.in_subquery(dates_ahead))
                .add(booking::Column::DateId.in_subquery(courses_with_sessions_ahead)),
        )
}

/// How many upcoming bookings deleting the account would cancel, for the delete page.
pub async fn bookings_cancelled_on_deletion(
    db: &DatabaseConnection,
    user: &CurrentUser,
    now: DateTime<Utc>,
) -> Result<usize, DbErr> {
    Ok(upcoming_bookings(db, user.id, &user.email, now)
        .await?
        .len())
}

#[derive(Debug, thiserror::Error)]
pub enum DeletionError {
    /// Without this account nobody could manage users any more.
    #[error("the account holds the portal's last administrator role")]
    LastAdministrator,
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// Deletes the account and the mails sent to it; reports keep their text but lose name and address,
/// supports keep counting but lose the address's hash.
/// Upcoming bookings are cancelled as if the person cancelled them (places freed, the waiting list moved
/// on, in this one transaction); then every booking of the person loses name, address and phone like
/// the retention job's, so only the counts stay for the statistics.
pub async fn delete_account(
    desk: &Desk,
    sign_ups: &crate::services::volunteering::SignUpDesk,
    pseudonyms: &Pseudonyms,
    user_id: i32,
    now: DateTime<Utc>,
) -> Result<(), DeletionError> {
    let txn = crate::db::begin_write(&desk.db).await?;
    // The account's row first: a booking the person makes signed in at the same moment (in another
    // tab) waits for it, and then fails, instead of being committed after the list below was read
    // and anonymised while still holding its places.
    let found = user::Entity::find_by_id(user_id)
        .lock_exclusive()
        .one(&txn)
        .await?;
    if let Some(found) = found {
        if crate::services::api_tokens::is_admin(&txn, user_id).await?
            && !crate::services::admin::another_administrator_remains(&txn, user_id).await?
        {
            return Err(DeletionError::LastAdministrator);
        }
        for upcoming in upcoming_bookings(&txn, user_id, &found.email, now).await? {
            match desk
                .cancel_in(&txn, &upcoming, BookingMail::CancelledByPerson, now)
                .await
            {
                // Cancelled meanwhile by another request: nothing left to do.
                Ok(_) | Err(BookingError::AlreadyCancelled) => {}
                Err(BookingError::Db(e)) => return Err(e.into()),
                Err(e) => {
                    return Err(DbErr::Custom(format!("cancelling a booking: {e}")).into());
                }
            }
        }
        // Active bookings ahead were all cancelled above; one made signed out with the address
        // meanwhile was not, and stays as it is rather than holding places with nobody to ask.
        anonymise_bookings(now)
            .filter(of_account(
                booking::Column::UserId,
                booking::Column::Email,
                user_id,
                &found.email,
            ))
            .filter(active_ahead(now).not())
            .exec(&txn)
            .await?;
        crate::services::barrier_reports::forget_contact()
            .filter(barrier_report::Column::ContactEmail.eq(found.email.as_str()))
            .exec(&txn)
            .await?;
        // A booking made signed out with the address meanwhile stays (above), and so does the
        // mail that tells its maker about it and holds the link to cancel it.
        let bookings_kept = Query::select()
            .column(booking::Column::Id)
            .from(booking::Entity)
            .and_where(booking::Column::Email.eq(found.email.as_str()))
            .cond_where(active_ahead(now))
            .to_owned();
        outbox::Entity::delete_many()
            .filter(outbox::Column::Recipient.eq(found.email.as_str()))
            .filter(
                Condition::any()
                    .add(outbox::Column::BookingId.is_null())
                    .add(outbox::Column::BookingId.not_in_subquery(bookings_kept)),
            )
            .exec(&txn)
            .await?;
        // Proposals the public does not see go with the account (removed from the queues and the
        // index by the cascade and the indexer's next round); public ones stay (they belong to the
        // debate: their text, place and answers) but lose the author's address and contact. So
        // does a hidden one that other proposals were merged into: their supports and followers
        // moved onto it, and they lead to it, so it belongs to other people's debate as well.
        let merge_targets = Query::select()
            .column(proposal::Column::MergedIntoId)
            .from(proposal::Entity)
            .and_where(proposal::Column::MergedIntoId.is_not_null())
            .to_owned();
        proposal::Entity::delete_many()
            .filter(of_account(
                proposal::Column::AuthorUserId,
                proposal::Column::AuthorEmail,
                user_id,
                &found.email,
            ))
            .filter(proposal::Column::Status.is_in(ProposalStatus::UNSEEN.iter().copied()))
            .filter(proposal::Column::Id.not_in_subquery(merge_targets))
            .exec(&txn)
            .await?;
        crate::services::proposals::forget_authors_contact()
            .filter(of_account(
                proposal::Column::AuthorUserId,
                proposal::Column::AuthorEmail,
                user_id,
                &found.email,
            ))
            .exec(&txn)
            .await?;
        proposal_follow::Entity::delete_many()
            .filter(proposal_follow::Column::Email.eq(found.email.as_str()))
            .exec(&txn)
            .await?;
        // Supports keep counting but no longer say whose they were: the address's hash would let
        // anyone who knows the address find the proposals this person supported. An old instance
        // during a rolling update may have stored the plain hash, which housekeeping converts.
        proposal_support::Entity::update_many()
            .col_expr(
                proposal_support::Column::EmailHash,
                Expr::value(Option::<String>::None),
            )
            .filter(supports_of(pseudonyms, user_id, &found.email))
            .exec(&txn)
            .await?;
        crate::services::course_alerts::delete_of_account(&txn, user_id, found.email.as_str())
            .await?;
        // Sessions ahead that the person had signed up for need a helper again; sessions held keep
        // their figures (helpers, approved hours) for the statistics, without the person. This
        // locks every session the person signed up for, past ones too, as a coordinator's decision
        // on hours locks its session: an approval still open elsewhere is committed before the sum
        // below reads it (hours need a sign-up, which stays when withdrawn).
        sign_ups
            .withdraw_all_ahead(
                &txn,
                user_id,
                crate::services::volunteering::Leaving::Account,
                now,
            )
            .await?;
        let approved = sum_by(
            &txn,
            volunteer_hours::Column::ShiftId,
            volunteer_hours::Column::Minutes,
            Condition::all()
                .add(volunteer_hours::Column::UserId.eq(user_id))
                .add(volunteer_hours::Column::Status.eq(HoursStatus::Approved)),
        )
        .await?;
        for (shift_id, minutes) in approved {
            volunteer_shift::Entity::update_many()
                .col_expr(
                    volunteer_shift::Column::DepartedMinutes,
                    Expr::col(volunteer_shift::Column::DepartedMinutes).add(minutes),
                )
                .filter(volunteer_shift::Column::Id.eq(shift_id))
                .exec(&txn)
                .await?;
        }
        volunteer_signup::Entity::delete_many()
            .filter(volunteer_signup::Column::UserId.eq(user_id))
            .exec(&txn)
            .await?;
        volunteer_hours::Entity::delete_many()
            .filter(volunteer_hours::Column::UserId.eq(user_id))
            .exec(&txn)
            .await?;
        volunteer_feed::Entity::delete_by_id(user_id)
            .exec(&txn)
            .await?;
        user::Entity::delete_by_id(user_id).exec(&txn).await?;
        audit::record(
            &txn,
            Some(user_id),
            "account.deleted",
            &format!("user:{user_id}"),
            "",
        )
        .await?;
    }
    Ok(txn.commit().await?)
}
