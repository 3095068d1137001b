//! The catalogue's rows: dates joined with their offer, venue and organisation, the columns of a
//! [`DateSummary`], and running such a select.
use chrono::{DateTime, Utc};
use sea_orm::{
    ConnectionTrait, DbErr, FromQueryResult, Statement,
    sea_query::{Alias, Expr, ExprTrait, Query, SelectStatement},
};

use super::{DateSummary, Entry};
use crate::db::entities::{offer, offer_date, organisation, venue};

/// Dates with their offer and venue, and with the organisation when `with_organisation`.
pub(super) fn dates_joined(with_organisation: bool) -> SelectStatement {
    let mut select = Query::select();
    select
        .from(offer_date::Entity)
        .inner_join(
            offer::Entity,
            Expr::col((offer::Entity, offer::Column::Id))
                .equals((offer_date::Entity, offer_date::Column::OfferId)),
        )
        .left_join(
            venue::Entity,
            Expr::col((venue::Entity, venue::Column::Id))
                .equals((offer::Entity, offer::Column::VenueId)),
        );
    if with_organisation {
        select.inner_join(
            organisation::Entity,
            Expr::col((organisation::Entity, organisation::Column::Id))
                .equals((offer::Entity, offer::Column::OrganisationId)),
        );
    }
    select
}

/// Later sessions of the date in the current row.
const SESSION_COUNT: &str =
    "(SELECT COUNT(*) FROM offer_dates AS sessions WHERE sessions.series_lead_id = offer_dates.id)";

/// Dates with their offer, venue and organisation and the columns of a [`DateSummary`]: what a
/// row of the catalogue shows.
pub(super) fn summary_select() -> SelectStatement {
    let mut select = dates_joined(true);
    select
        .expr_as(
            Expr::col((offer_date::Entity, offer_date::Column::WaitingCount)),
            Alias::new("waiting"),
        )
        .expr_as(Expr::cust(SESSION_COUNT), Alias::new("sessions"))
        .expr_as(
            Expr::col((offer_date::Entity, offer_date::Column::SeriesLeadId)),
            Alias::new("series_lead_id"),
        )
        .expr_as(
            Expr::col((offer::Entity, offer::Column::Status)),
            Alias::new("offer_status"),
        )
        .expr_as(
            Expr::col((offer_date::Entity, offer_date::Column::BookingClosesAt)),
            Alias::new("booking_closes_at"),
        );
    let d = offer_date::Entity;
    let o = offer::Entity;
    let v = venue::Entity;
    for (expr, alias) in [
        (Expr::col((d, offer_date::Column::Id)), "date_id"),
        (Expr::col((o, offer::Column::Id)), "offer_id"),
        (Expr::col((o, offer::Column::Slug)), "offer_slug"),
        (Expr::col((o, offer::Column::Kind)), "kind"),
        (Expr::col((o, offer::Column::Title)), "title"),
        (Expr::col((o, offer::Column::Topic)), "topic"),
        (Expr::col((o, offer::Column::TargetGroup)), "target_group"),
        (Expr::col((o, offer::Column::Level)), "level"),
        (Expr::col((d, offer_date::Column::StartsAt)), "starts_at"),
        (Expr::col((d, offer_date::Column::EndsAt)), "ends_at"),
        (Expr::col((d, offer_date::Column::Capacity)), "capacity"),
        (
            Expr::col((d, offer_date::Column::BookedPlaces)),
            "booked_places",
        ),
        (
            Expr::col((d, offer_date::Column::MaxPlacesPerBooking)),
            "max_places_per_booking",
        ),
        (
            Expr::col((d, offer_date::Column::WalkInPlaces)),
            "walk_in_places",
        ),
        (
            Expr::col((d, offer_date::Column::WalkInReleaseAt)),
            "walk_in_release_at",
        ),
        (Expr::col((d, offer_date::Column::Status)), "date_status"),
        (Expr::col((d, offer_date::Column::Revision)), "revision"),
        (Expr::col((o, offer::Column::PriceCents)), "price_cents"),
        (Expr::col((o, offer::Column::OnlineUrl)), "online_url"),
        (Expr::col((v, venue::Column::Slug)), "venue_slug"),
        (Expr::col((v, venue::Column::Name)), "venue_name"),
        (Expr::col((v, venue::Column::Street)), "street"),
        (Expr::col((v, venue::Column::PostalCode)), "postal_code"),
        (Expr::col((v, venue::Column::Town)), "town"),
        (Expr::col((v, venue::Column::DistrictKey)), "district_key"),
        (Expr::col((v, venue::Column::StepFree)), "step_free"),
        (
            Expr::col((organisation::Entity, organisation::Column::Id)),
            "organisation_id",
        ),
        (
            Expr::col((organisation::Entity, organisation::Column::Name)),
            "organisation_name",
        ),
    ] {
        select.expr_as(expr, Alias::new(alias));
    }
    select
}

pub(super) fn statement(db: &impl ConnectionTrait, select: &SelectStatement) -> Statement {
    db.get_database_backend().build(select)
}

/// The dates a [`summary_select`] finds.
pub(super) async fn summaries(
    db: &impl ConnectionTrait,
    select: &SelectStatement,
) -> Result<Vec<DateSummary>, DbErr> {
    DateSummary::find_by_statement(statement(db, select))
        .all(db)
        .await
}

/// The dates a [`summary_select`] finds, as the catalogue shows them at `now`.
pub(super) async fn entries(
    db: &impl ConnectionTrait,
    select: &SelectStatement,
    now: DateTime<Utc>,
) -> Result<Vec<Entry>, DbErr> {
    Ok(summaries(db, select)
        .await?
        .into_iter()
        .map(|d| Entry::new(d, now))
        .collect())
}
