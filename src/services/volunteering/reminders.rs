//! Coordinators are reminded of sessions that still lack helpers.
use std::{
    borrow::Cow,
    collections::{BTreeMap, HashMap},
};

use chrono::{DateTime, Duration, Utc};
use fluent_templates::fluent_bundle::FluentValue;
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
    sea_query::{Expr, ExprTrait},
};

use super::{ShiftRow, VolunteeringError, coordinators_of, gaps, when};
use crate::{
    db::entities::volunteer_shift,
    domain::{Language, volunteering::ShiftStatus},
    mail::{self, compose::Composer},
};

/// A gap is reminded of at most once a day.
const GAP_REMINDER_EVERY: Duration = Duration::hours(24);

#[derive(Clone)]
pub struct ReminderDesk {
    pub db: DatabaseConnection,
    pub composer: Composer,
}

impl ReminderDesk {
    /// Mails each organisation's coordinators about sessions in the next two weeks that lack helpers.
    /// Each session is claimed by a conditional update in the transaction that queues its mail, so
    /// several instances never send one twice, and a claim whose mail was not queued (the instance
    /// stopped, the database failed) is undone with it. One organisation's failure does not hold up
    /// the others; the first error is returned after all were tried.
    pub async fn remind_gaps(&self, now: DateTime<Utc>) -> Result<usize, VolunteeringError> {
        let mut by_org: BTreeMap<i32, Vec<ShiftRow>> = BTreeMap::new();
        for gap in gaps(&self.db, &None, now).await? {
            by_org.entry(gap.organisation_id).or_default().push(gap);
        }
        let mut sent = 0;
        let mut first_error = None;
        for (organisation_id, gaps) in by_org {
            match self.remind_organisation(organisation_id, gaps, now).await {
                Ok(mails) => sent += mails,
                Err(e) => {
                    tracing::warn!(organisation_id, error = %e, "gap reminder not sent");
                    first_error.get_or_insert(e);
                }
            }
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(sent),
        }
    }

    async fn remind_organisation(
        &self,
        organisation_id: i32,
        gaps: Vec<ShiftRow>,
        now: DateTime<Utc>,
    ) -> Result<usize, VolunteeringError> {
        let txn = crate::db::begin_write(&self.db).await?;
        let mut claimed = Vec::new();
        for gap in gaps {
            // Still a gap when claimed: a helper who signed up, or a cancellation, since the gaps
            // were read leaves nothing to remind of.
            let claim = volunteer_shift::Entity::update_many()
                .col_expr(volunteer_shift::Column::GapRemindedAt, Expr::value(now))
                .filter(volunteer_shift::Column::Id.eq(gap.id))
                .filter(volunteer_shift::Column::Status.eq(ShiftStatus::Open))
                .filter(
                    Expr::col(volunteer_shift::Column::SignedUp)
                        .lt(Expr::col(volunteer_shift::Column::VolunteersNeeded)),
                )
                .filter(
                    sea_orm::Condition::any()
                        .add(volunteer_shift::Column::GapRemindedAt.is_null())
                        .add(volunteer_shift::Column::GapRemindedAt.lte(now - GAP_REMINDER_EVERY)),
                )
                .exec(&txn)
                .await?;
            if claim.rows_affected == 1 {
                claimed.push(gap);
            }
        }
        if claimed.is_empty() {
            return Ok(0);
        }
        let details = |lang: Language| {
            claimed
                .iter()
                .map(|g| {
                    format!(
                        "{} – {}: {} ({} / {})",
                        when(g.starts_at, lang),
                        g.title,
                        g.place,
                        g.signed_up,
                        g.needed
                    )
                })
                .collect::<Vec<_>>()
                .join("\n")
        };
        let mut args: HashMap<Cow<'static, str>, FluentValue<'static>> = HashMap::new();
        args.insert("count".into(), FluentValue::from(claimed.len()));
        let mut sent = 0;
        for (to, lang) in coordinators_of(&txn, organisation_id).await? {
            let details = details(lang);
            let mail = self.composer.notice(
                lang,
                &to,
                "shift-gaps",
                "/verwaltung/einsaetze",
                &args,
                Some(details.as_str()),
                None,
            )?;
            mail::enqueue(&txn, mail).await?;
            sent += 1;
        }
        txn.commit().await?;
        Ok(sent)
    }
}
