//! Demo volunteer sessions from `content/demo/volunteer_shifts.csv`, relative to the day of seeding:
//! upcoming sessions (some lacking helpers, so coverage gaps show), helpers for a demo course date, and
//! a past session with hours waiting for approval. Seeded once: an installation with sessions keeps them.
use std::path::Path;

use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc};
use chrono_tz::Europe::Berlin;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde::Deserialize;

use super::demo::{DemoError, SeedSummary};
use crate::services::csv_rows::{self, CsvError, Row};
use crate::{
    db::entities::{
        offer, offer_date, organisation, user, venue, volunteer_hours, volunteer_shift,
        volunteer_signup,
    },
    domain::volunteering::{HoursStatus, ShiftKind, ShiftStatus, SignupStatus, helpers_needed},
};

#[derive(Deserialize)]
pub(super) struct ShiftRow {
    organisation: String,
    /// A venue slug, or empty with `place` and `district`.
    venue: String,
    /// A course slug: the helpers are for its first upcoming date, at its time and place.
    course: String,
    kind: String,
    title: String,
    place: String,
    district: String,
    days_from_today: i64,
    start: String,
    minutes: i64,
    volunteers_needed: i32,
    participants_per_helper: String,
    skills: String,
    /// Demo accounts (e-mail addresses, separated by `;`) signed up for the session.
    volunteers: String,
    /// For past sessions: `submitted` or `approved` hours for each volunteer, or empty.
    hours: String,
}

/// The hours column: empty, or the state of each volunteer's hours.
fn hours(raw: &str) -> Result<Option<HoursStatus>, &'static str> {
    match raw {
        "" => Ok(None),
        raw => HoursStatus::parse(raw).map(Some),
    }
}

pub(super) fn read(path: &Path) -> Result<Vec<Row<ShiftRow>>, CsvError> {
    if !path.is_file() {
        return Ok(Vec::new());
    }
    let rows = csv_rows::read::<ShiftRow>(path)?;
    for row in &rows {
        let r = &row.value;
        let fail = |field: &str, problem: &str| row.field_error(path, field, problem);
        ShiftKind::parse(&r.kind).map_err(|_| fail("kind", "is not a kind of session"))?;
        if r.course.is_empty() {
            NaiveTime::parse_from_str(&r.start, "%H:%M")
                .map_err(|_| fail("start", "is not a time like 09:30"))?;
            if !(15..=600).contains(&r.minutes) {
                return Err(fail("minutes", "must be between 15 and 600"));
            }
            if r.venue.is_empty() && (r.place.is_empty() || r.district.is_empty()) {
                return Err(fail(
                    "place",
                    "a session without a venue needs a place and a district",
                ));
            }
        }
        if !r.participants_per_helper.is_empty()
            && r.participants_per_helper.parse::<i32>().is_err()
        {
            return Err(fail("participants_per_helper", "is not a number"));
        }
        if !matches!(
            hours(&r.hours),
            Ok(None | Some(HoursStatus::Submitted | HoursStatus::Approved))
        ) {
            return Err(fail("hours", "must be empty, submitted or approved"));
        }
        if !r.hours.is_empty() && r.days_from_today >= 0 {
            return Err(fail("hours", "only past sessions have hours"));
        }
    }
    Ok(rows)
}

fn local(day_offset: i64, start: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let day = now.with_timezone(&Berlin).date_naive() + Duration::days(day_offset);
    let time = NaiveTime::parse_from_str(start, "%H:%M").ok()?;
    Berlin
        .from_local_datetime(&day.and_time(time))
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

pub(super) async fn write(
    txn: &DatabaseTransaction,
    path: &Path,
    rows: Vec<Row<ShiftRow>>,
    now: DateTime<Utc>,
    summary: &mut SeedSummary,
) -> Result<(), DemoError> {
    if rows.is_empty() || volunteer_shift::Entity::find().one(txn).await?.is_some() {
        return Ok(());
    }
    for row in rows {
        let r = &row.value;
        let fail =
            |field: &str, problem: &str| DemoError::from(row.field_error(path, field, problem));
        let org = organisation::Entity::find()
            .filter(organisation::Column::Slug.eq(&r.organisation))
            .one(txn)
            .await?
            .ok_or_else(|| fail("organisation", "no such organisation"))?;
        let (date, venue_id, starts_at, ends_at) = if r.course.is_empty() {
            let venue = match r.venue.as_str() {
                "" => None,
                slug => Some(
                    venue::Entity::find()
                        .filter(venue::Column::Slug.eq(slug))
                        .one(txn)
                        .await?
                        .ok_or_else(|| fail("venue", "no such venue"))?,
                ),
            };
            let starts_at = local(r.days_from_today, &r.start, now)
                .ok_or_else(|| fail("start", "no such time"))?;
            (
                None,
                venue,
                starts_at,
                starts_at + Duration::minutes(r.minutes),
            )
        } else {
            let course = offer::Entity::find()
                .filter(offer::Column::Slug.eq(&r.course))
                .one(txn)
                .await?
                .ok_or_else(|| fail("course", "no such course"))?;
            let date = offer_date::Entity::find()
                .filter(offer_date::Column::OfferId.eq(course.id))
                .filter(offer_date::Column::StartsAt.gt(now))
                .order_by_asc(offer_date::Column::StartsAt)
                .one(txn)
                .await?
                .ok_or_else(|| fail("course", "the course has no upcoming date"))?;
            let venue = match course.venue_id {
                Some(id) => venue::Entity::find_by_id(id).one(txn).await?,
                None => None,
            };
            let (starts_at, ends_at) = (date.starts_at, date.ends_at);
            (Some(date), venue, starts_at, ends_at)
        };
        let district_key = venue_id
            .as_ref()
            .map(|v| v.district_key.clone())
            .unwrap_or_else(|| r.district.clone());
        let per_helper = r.participants_per_helper.parse::<i32>().ok();
        let emails: Vec<&str> = r
            .volunteers
            .split(';')
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .collect();
        let needed = helpers_needed(
            r.volunteers_needed,
            per_helper,
            date.as_ref().map_or(0, |d| d.booked_places),
        );
        if emails.len() as i32 > needed {
            return Err(fail("volunteers", "more volunteers than the session needs"));
        }
        let shift = volunteer_shift::ActiveModel {
            organisation_id: Set(org.id),
            offer_date_id: Set(date.as_ref().map(|d| d.id)),
            venue_id: Set(venue_id.as_ref().map(|v| v.id)),
            kind: Set(
                ShiftKind::parse(&r.kind).map_err(|_| fail("kind", "is not a kind of session"))?
            ),
            title: Set(r.title.clone()),
            place: Set(r.place.clone()),
            district_key: Set(district_key),
            starts_at: Set(starts_at),
            ends_at: Set(ends_at),
            volunteers_needed: Set(r.volunteers_needed),
            participants_per_helper: Set(per_helper),
            skills: Set(r.skills.clone()),
            signed_up: Set(emails.len() as i32),
            status: Set(ShiftStatus::Open),
            gap_reminded_at: Set(None),
            created_by: Set(None),
            created_at: Set(now - Duration::days(14)),
            ..Default::default()
        }
        .insert(txn)
        .await?;
        for email in emails {
            let helper = user::Entity::find()
                .filter(user::Column::Email.eq(email))
                .one(txn)
                .await?
                .ok_or_else(|| fail("volunteers", "no such demo account"))?;
            volunteer_signup::ActiveModel {
                shift_id: Set(shift.id),
                user_id: Set(helper.id),
                status: Set(SignupStatus::Active),
                signed_up_at: Set(now - Duration::days(10)),
                withdrawn_at: Set(None),
                ..Default::default()
            }
            .insert(txn)
            .await?;
            if let Ok(Some(status)) = hours(&r.hours) {
                volunteer_hours::ActiveModel {
                    shift_id: Set(shift.id),
                    user_id: Set(helper.id),
                    started_at: Set(starts_at),
                    ended_at: Set(ends_at),
                    minutes: Set((ends_at - starts_at).num_minutes() as i32),
                    status: Set(status),
                    decided_by: Set(None),
                    decided_at: Set((status == HoursStatus::Approved).then_some(now)),
                    created_at: Set(ends_at),
                    ..Default::default()
                }
                .insert(txn)
                .await?;
            }
        }
        summary.shifts_added += 1;
    }
    Ok(())
}
