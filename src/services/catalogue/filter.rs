//! A catalogue filter as SQL conditions on the dates, and the selects of the dates it lets through.
use std::sync::LazyLock;

use chrono::{DateTime, Days, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Europe::Berlin;
use sea_orm::sea_query::{Cond, Expr, ExprTrait, Func, Query, SelectStatement};

use super::select::dates_joined;
use crate::{
    db::entities::{offer, offer_date, organisation, venue},
    domain::{
        booking::BookingStatus,
        offer::{CatalogueFilter, DateStatus, OfferKind},
    },
};

/// The dates matching a filter, without their columns: what a count or a page of ids needs. Kind,
/// publication, topic and district are the date's own copies, so the common filters read the dates'
/// indexes alone, in start order; the offer, venue and organisation are joined only for filters on
/// their other columns.
pub(super) fn filtered_select(
    kind: OfferKind,
    filter: &CatalogueFilter,
    now: DateTime<Utc>,
) -> SelectStatement {
    let Conditions { cond, joins } = conditions(kind, filter, now);
    let mut select = if joins {
        dates_joined(false)
    } else {
        Query::select().from(offer_date::Entity).to_owned()
    };
    select.cond_where(cond);
    select
}

/// Nobody waits for the date: the same as its `waiting_count = 0`, asked of the bookings' index
/// instead, since on SQLite the catalogue's indexes hold every other column a count tests, so the
/// count reads no date's row.
static NOBODY_WAITING: LazyLock<String> = LazyLock::new(|| {
    format!(
        "NOT EXISTS (SELECT 1 FROM bookings WHERE bookings.date_id = offer_dates.id AND bookings.status = '{}')",
        BookingStatus::Waitlisted.key()
    )
});

/// Start of a calendar day in Thuringia, as an instant.
pub fn start_of_local_day(day: NaiveDate) -> DateTime<Utc> {
    Berlin
        .from_local_datetime(&day.and_time(NaiveTime::MIN))
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| day.and_time(NaiveTime::MIN).and_utc())
}

/// `%` and `_` in what people type are literal characters, not wildcards.
fn like_pattern(text: &str) -> String {
    let escaped = text
        .trim()
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

fn contains(column: Expr, text: &str) -> Expr {
    Expr::expr(Func::lower(column))
        .like(sea_orm::sea_query::LikeExpr::new(like_pattern(text)).escape('\\'))
}

/// A filter's conditions, and whether they test columns of the offer, venue or organisation (the
/// dates' own copies need none of them joined).
pub(super) struct Conditions {
    pub(super) cond: Cond,
    joins: bool,
}

/// The conditions of a filter for dates yet to begin; shared by the page query and its count.
pub(super) fn conditions(
    kind: OfferKind,
    filter: &CatalogueFilter,
    now: DateTime<Utc>,
) -> Conditions {
    let upcoming =
        Cond::all().add(Expr::col((offer_date::Entity, offer_date::Column::StartsAt)).gt(now));
    conditions_within(kind, filter, now, upcoming)
}

/// The conditions of a filter for the dates `window` (a condition on their times) lets through.
pub(super) fn conditions_within(
    kind: OfferKind,
    filter: &CatalogueFilter,
    now: DateTime<Utc>,
    window: Cond,
) -> Conditions {
    let mut joins = false;
    let d = offer_date::Entity;
    let o = offer::Entity;
    let v = venue::Entity;
    // `listed_as` is the offer's kind while it is published.
    let mut cond = Cond::all()
        .add(Expr::col((d, offer_date::Column::ListedAs)).eq(kind))
        .add(window);
    if !filter.include_sessions {
        cond = cond.add(Expr::col((d, offer_date::Column::SeriesLeadId)).is_null());
    }
    if !filter.include_cancelled {
        cond = cond.add(Expr::col((d, offer_date::Column::Status)).ne(DateStatus::Cancelled));
    }
    // In the lists' order: a later start, or the same start and a higher id.
    if let Some(after) = filter.after {
        let starts_at = || Expr::col((d, offer_date::Column::StartsAt));
        cond = cond.add(
            Cond::any().add(starts_at().gt(after.starts_at)).add(
                Cond::all()
                    .add(starts_at().eq(after.starts_at))
                    .add(Expr::col((d, offer_date::Column::Id)).gt(after.id)),
            ),
        );
    }
    if let Some(slug) = &filter.venue {
        joins = true;
        cond = cond.add(Expr::col((v, venue::Column::Slug)).eq(slug.as_str()));
    }
    if let Some(from) = filter.from {
        cond = cond.add(Expr::col((d, offer_date::Column::StartsAt)).gte(start_of_local_day(from)));
    }
    if let Some(to) = filter.to.and_then(|to| to.checked_add_days(Days::new(1))) {
        cond = cond.add(Expr::col((d, offer_date::Column::StartsAt)).lt(start_of_local_day(to)));
    }
    if let Some(district) = &filter.district {
        cond = cond.add(Expr::col((d, offer_date::Column::DistrictKey)).eq(district.as_str()));
    }
    if let Some(town) = &filter.town {
        joins = true;
        cond = cond.add(contains(Expr::col((v, venue::Column::Town)), town));
    }
    if let Some(topic) = filter.topic {
        cond = cond.add(Expr::col((d, offer_date::Column::Topic)).eq(topic.key()));
    }
    if let Some(group) = filter.target_group {
        joins = true;
        cond = cond.add(Expr::col((o, offer::Column::TargetGroup)).eq(group.key()));
    }
    for (wanted, column) in [
        (filter.step_free, venue::Column::StepFree),
        (filter.hearing_loop, venue::Column::HearingLoop),
        (filter.accessible_toilet, venue::Column::AccessibleToilet),
    ] {
        if wanted {
            joins = true;
            cond = cond.add(Expr::col((v, column)).eq(true));
        }
    }
    if filter.free_places_only {
        let held = Expr::case(
            Expr::col((d, offer_date::Column::WalkInReleaseAt)).gt(now),
            Expr::col((d, offer_date::Column::WalkInPlaces)),
        )
        .finally(0);
        cond = cond.add(Expr::cust(NOBODY_WAITING.as_str())).add(
            Expr::col((d, offer_date::Column::Capacity))
                .sub(Expr::col((d, offer_date::Column::BookedPlaces)))
                .sub(Expr::expr(held))
                .gt(0),
        );
    }
    if let Some(text) = &filter.text {
        cond = cond
            .add(Expr::col((d, offer_date::Column::OfferId)).in_subquery(offers_mentioning(text)));
    }
    Conditions { cond, joins }
}

/// The offers whose text, organisation or town contains `text`. Matched once per offer, not once per
/// date of the period: the dates are then only looked up in the list of those offers. The few
/// organisations and towns are matched on their own, not once for each of their offers.
fn offers_mentioning(text: &str) -> SelectStatement {
    let o = offer::Entity;
    let named = Query::select()
        .column(organisation::Column::Id)
        .from(organisation::Entity)
        .cond_where(contains(Expr::col(organisation::Column::Name), text))
        .to_owned();
    let towns = Query::select()
        .column(venue::Column::Id)
        .from(venue::Entity)
        .cond_where(contains(Expr::col(venue::Column::Town), text))
        .to_owned();
    Query::select()
        .column((o, offer::Column::Id))
        .from(o)
        .cond_where(
            Cond::any()
                .add(
                    Expr::col((o, offer::Column::SearchText))
                        .like(sea_orm::sea_query::LikeExpr::new(like_pattern(text)).escape('\\')),
                )
                .add(Expr::col((o, offer::Column::OrganisationId)).in_subquery(named))
                .add(Expr::col((o, offer::Column::VenueId)).in_subquery(towns)),
        )
        .to_owned()
}
