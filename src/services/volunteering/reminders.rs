//! Coordinators are reminded of sessions that still lack helpers.
use std::{borrow::Cow, collections::HashMap};

use chrono::{DateTime, Duration, Utc};
use fluent_templates::fluent_bundle::FluentValue;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, sea_query::Expr};

use super::{ShiftRow, VolunteeringError, coordinators_of, gaps, when};
use crate::{
    db::entities::volunteer_shift,
    domain::Language,
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
    /// Each session is claimed by a conditional update, so several instances never send one twice.
    pub async fn remind_gaps(&self, now: DateTime<Utc>) -> Result<usize, VolunteeringError> {
        let mut by_org: HashMap<i32, Vec<ShiftRow>> = HashMap::new();
        for gap in gaps(&self.db, &None, now).await? {
            let claimed = volunteer_shift::Entity::update_many()
                .col_expr(volunteer_shift::Column::GapRemindedAt, Expr::value(now))
                .filter(volunteer_shift::Column::Id.eq(gap.id))
                .filter(
                    sea_orm::Condition::any()
                        .add(volunteer_shift::Column::GapRemindedAt.is_null())
                        .add(volunteer_shift::Column::GapRemindedAt.lte(now - GAP_REMINDER_EVERY)),
                )
                .exec(&self.db)
                .await?;
            if claimed.rows_affected == 1 {
                by_org.entry(gap.organisation_id).or_default().push(gap);
            }
        }
        let mut sent = 0;
        for (organisation_id, gaps) in by_org {
            let details = |lang: Language| {
                gaps.iter()
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
            args.insert("count".into(), FluentValue::from(gaps.len()));
            let txn = crate::db::begin_write(&self.db).await?;
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
        }
        Ok(sent)
    }
}
