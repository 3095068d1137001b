//! Volunteers find open sessions, sign up and withdraw.
use chrono::{DateTime, Duration, Utc};
use fluent_templates::fluent_bundle::FluentValue;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QueryOrder, Set,
    sea_query::{Expr, ExprTrait},
};

use super::{
    ShiftRow, VolunteeringError, coordinators_of, locked_shift, participants_of, rows, sessions_of,
    shift_args, still_a_volunteer,
};
use crate::{
    db::{
        begin_write,
        entities::{user, volunteer_shift, volunteer_signup},
    },
    domain::volunteering::{ShiftStatus, SignupStatus, helpers_needed},
    mail::{self, compose::Composer},
};

#[derive(Clone)]
pub struct SignUpDesk {
    pub db: DatabaseConnection,
    pub composer: Composer,
    /// Withdrawing later than this before the start tells the coordinators.
    pub min_notice: Duration,
}

impl SignUpDesk {
    /// Open upcoming sessions that still need helpers (or that the volunteer already helps at),
    /// optionally in one district.
    pub async fn open(
        &self,
        district: Option<&str>,
        viewer: i32,
        now: DateTime<Utc>,
    ) -> Result<Vec<ShiftRow>, DbErr> {
        let mut query = volunteer_shift::Entity::find()
            .filter(volunteer_shift::Column::Status.eq(ShiftStatus::Open))
            .filter(volunteer_shift::Column::StartsAt.gt(now))
            .order_by_asc(volunteer_shift::Column::StartsAt);
        if let Some(key) = district {
            query = query.filter(volunteer_shift::Column::DistrictKey.eq(key));
        }
        Ok(rows(&self.db, query.all(&self.db).await?, Some(viewer))
            .await?
            .into_iter()
            .filter(|r| r.missing > 0 || r.mine)
            .collect())
    }

    /// The volunteer's sessions: active sign-ups and sessions with logged hours, newest last.
    pub async fn mine(&self, user_id: i32) -> Result<Vec<ShiftRow>, DbErr> {
        sessions_of(&self.db, user_id).await
    }

    /// Signs a volunteer up, unless the session is full, over, cancelled or already theirs.
    pub async fn sign_up(
        &self,
        shift_id: i32,
        user_id: i32,
        now: DateTime<Utc>,
    ) -> Result<(), VolunteeringError> {
        let txn = begin_write(&self.db).await?;
        if !still_a_volunteer(&txn, user_id).await? {
            return Err(VolunteeringError::NoLongerVolunteer);
        }
        let shift = locked_shift(&txn, shift_id)
            .await?
            .ok_or(VolunteeringError::NotFound)?;
        if !shift.status.is_open() {
            return Err(VolunteeringError::Refused("error-shift-cancelled"));
        }
        if shift.starts_at <= now {
            return Err(VolunteeringError::Refused("error-shift-started"));
        }
        let existing = volunteer_signup::Entity::find()
            .filter(volunteer_signup::Column::ShiftId.eq(shift_id))
            .filter(volunteer_signup::Column::UserId.eq(user_id))
            .one(&txn)
            .await?;
        if existing
            .as_ref()
            .is_some_and(|s| s.status == SignupStatus::Active)
        {
            return Err(VolunteeringError::Refused("error-shift-already-signed-up"));
        }
        let participants = participants_of(&txn, shift.offer_date_id).await?;
        let needed = helpers_needed(
            shift.volunteers_needed,
            shift.participants_per_helper,
            participants,
        );
        // The counter moves only while below what is needed, whatever else runs at the same time.
        let moved = volunteer_shift::Entity::update_many()
            .col_expr(
                volunteer_shift::Column::SignedUp,
                Expr::col(volunteer_shift::Column::SignedUp).add(1),
            )
            .filter(volunteer_shift::Column::Id.eq(shift_id))
            .filter(volunteer_shift::Column::SignedUp.lt(needed))
            .exec(&txn)
            .await?;
        if moved.rows_affected != 1 {
            return Err(VolunteeringError::Refused("error-shift-full"));
        }
        match existing {
            Some(row) => {
                let mut model: volunteer_signup::ActiveModel = row.into();
                model.status = Set(SignupStatus::Active);
                model.signed_up_at = Set(now);
                model.withdrawn_at = Set(None);
                model.update(&txn).await?;
            }
            None => {
                volunteer_signup::ActiveModel {
                    shift_id: Set(shift_id),
                    user_id: Set(user_id),
                    status: Set(SignupStatus::Active),
                    signed_up_at: Set(now),
                    withdrawn_at: Set(None),
                    ..Default::default()
                }
                .insert(&txn)
                .await?;
            }
        }
        txn.commit().await?;
        Ok(())
    }

    /// Withdraws a sign-up before the start. Later than the minimum notice, the coordinators get a
    /// mail in the same transaction. Returns whether the withdrawal was late.
    pub async fn withdraw(
        &self,
        shift_id: i32,
        user_id: i32,
        now: DateTime<Utc>,
    ) -> Result<bool, VolunteeringError> {
        let txn = begin_write(&self.db).await?;
        let shift = locked_shift(&txn, shift_id)
            .await?
            .ok_or(VolunteeringError::NotFound)?;
        let signup = volunteer_signup::Entity::find()
            .filter(volunteer_signup::Column::ShiftId.eq(shift_id))
            .filter(volunteer_signup::Column::UserId.eq(user_id))
            .one(&txn)
            .await?;
        let Some((signup, withdrawn)) =
            signup.and_then(|s| s.status.withdraw().map(|withdrawn| (s, withdrawn)))
        else {
            return Err(VolunteeringError::Refused("error-shift-not-signed-up"));
        };
        if shift.starts_at <= now {
            return Err(VolunteeringError::Refused("error-shift-started"));
        }
        let mut model: volunteer_signup::ActiveModel = signup.into();
        model.status = Set(withdrawn);
        model.withdrawn_at = Set(Some(now));
        model.update(&txn).await?;
        volunteer_shift::Entity::update_many()
            .col_expr(
                volunteer_shift::Column::SignedUp,
                Expr::col(volunteer_shift::Column::SignedUp).sub(1),
            )
            .filter(volunteer_shift::Column::Id.eq(shift_id))
            .filter(volunteer_shift::Column::SignedUp.gt(0))
            .exec(&txn)
            .await?;
        let late = shift.starts_at - now < self.min_notice;
        if late && shift.status.is_open() {
            self.tell_late_withdrawal(&txn, &shift, user_id, true)
                .await?;
        }
        txn.commit().await?;
        Ok(late)
    }

    /// Withdraws a person's active sign-ups for sessions ahead (not yet begun), as when they leave:
    /// the sessions need a helper again, so their organisers see the gap and are reminded of it.
    /// Withdrawals at short notice are mailed to the coordinators, as when the person withdraws
    /// (the gap reminder may come too late). Sessions already held keep their sign-ups and figures
    /// for the statistics. Every session the person signed up for is locked first, in id order, as
    /// a withdrawal locks it, so the counter cannot drop twice. Runs in the caller's write
    /// transaction (revoking the volunteer role, deleting the account). Returns how many sign-ups
    /// were withdrawn.
    pub async fn withdraw_all_ahead(
        &self,
        txn: &impl ConnectionTrait,
        user_id: i32,
        leaving: Leaving,
        now: DateTime<Utc>,
    ) -> Result<usize, DbErr> {
        let withdrawn = withdraw_sign_ups_ahead(txn, user_id, now).await?;
        let late = withdrawn
            .iter()
            .filter(|s| s.status.is_open() && s.starts_at - now < self.min_notice);
        for shift in late {
            self.tell_late_withdrawal(txn, shift, user_id, leaving == Leaving::Role)
                .await
                .map_err(|e| match e {
                    VolunteeringError::Db(e) => e,
                    other => DbErr::Custom(format!("late withdrawal mail: {other}")),
                })?;
        }
        Ok(withdrawn.len())
    }

    /// Mails the session's coordinators that a helper withdrew at short notice; `named` says who.
    async fn tell_late_withdrawal(
        &self,
        conn: &impl ConnectionTrait,
        shift: &volunteer_shift::Model,
        user_id: i32,
        named: bool,
    ) -> Result<(), VolunteeringError> {
        let volunteer = user::Entity::find_by_id(user_id).one(conn).await?;
        let (name, own_address) = volunteer
            .map(|u| (u.display_name, u.email))
            .unwrap_or_default();
        // A coordinator who helps too is not told of their own withdrawal; when their account is
        // being deleted, their address must not get a mail after its mail was removed.
        let coordinators = coordinators_of(conn, shift.organisation_id).await?;
        for (to, lang) in coordinators
            .into_iter()
            .filter(|(to, _)| !to.as_str().eq_ignore_ascii_case(&own_address))
        {
            let mut args = shift_args(&shift.title, shift.starts_at, lang);
            let name = if named {
                name.clone()
            } else {
                self.composer
                    .translations
                    .text(lang, "mail-shift-withdrawn-late-someone")
            };
            args.insert("name".into(), FluentValue::from(name));
            let mail = self.composer.notice(
                lang,
                &to,
                "shift-withdrawn-late",
                &format!("/verwaltung/einsaetze/{}", shift.id),
                &args,
                None,
                None,
            )?;
            mail::enqueue(conn, mail).await?;
        }
        Ok(())
    }
}

/// Why a person leaves all their sessions ahead at once.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Leaving {
    /// The volunteer role was revoked: the coordinators are told who.
    Role,
    /// The person deleted their account and asked for erasure: the coordinators are told that a
    /// helper left, not who (the mail stays in the outbox for days).
    Account,
}

/// Withdraws the sign-ups as [`SignUpDesk::withdraw_all_ahead`] says, without the mails; returns the
/// sessions the person was withdrawn from.
async fn withdraw_sign_ups_ahead(
    txn: &impl ConnectionTrait,
    user_id: i32,
    now: DateTime<Utc>,
) -> Result<Vec<volunteer_shift::Model>, DbErr> {
    let mut shift_ids: Vec<i32> = volunteer_signup::Entity::find()
        .filter(volunteer_signup::Column::UserId.eq(user_id))
        .all(txn)
        .await?
        .into_iter()
        .map(|s| s.shift_id)
        .collect();
    shift_ids.sort_unstable();
    let mut ahead = Vec::new();
    for shift_id in shift_ids {
        if let Some(shift) = locked_shift(txn, shift_id).await?
            && shift.starts_at > now
        {
            ahead.push(shift);
        }
    }
    // Read again under the locks: a withdrawal that committed meanwhile has already lowered its count.
    let active: Vec<i32> = volunteer_signup::Entity::find()
        .filter(volunteer_signup::Column::UserId.eq(user_id))
        .filter(volunteer_signup::Column::Status.eq(SignupStatus::Active))
        .filter(volunteer_signup::Column::ShiftId.is_in(ahead.iter().map(|s| s.id)))
        .all(txn)
        .await?
        .into_iter()
        .map(|s| s.shift_id)
        .collect();
    if active.is_empty() {
        return Ok(Vec::new());
    }
    volunteer_signup::Entity::update_many()
        .col_expr(
            volunteer_signup::Column::Status,
            Expr::value(SignupStatus::Withdrawn),
        )
        .col_expr(volunteer_signup::Column::WithdrawnAt, Expr::value(now))
        .filter(volunteer_signup::Column::UserId.eq(user_id))
        .filter(volunteer_signup::Column::ShiftId.is_in(active.clone()))
        .exec(txn)
        .await?;
    volunteer_shift::Entity::update_many()
        .col_expr(
            volunteer_shift::Column::SignedUp,
            Expr::col(volunteer_shift::Column::SignedUp).sub(1),
        )
        .filter(volunteer_shift::Column::Id.is_in(active.clone()))
        .filter(volunteer_shift::Column::SignedUp.gt(0))
        .exec(txn)
        .await?;
    ahead.retain(|s| active.contains(&s.id));
    Ok(ahead)
}
