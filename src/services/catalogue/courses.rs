//! Published courses page by page, and the public pages of offers with dates to come.
use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder,
};

use crate::{
    db::{
        count_by,
        entities::{offer, offer_date, organisation, venue},
        lookup,
    },
    domain::offer::{DateStatus, OfferKind, OfferStatus},
    services::venues::VenueFacts,
};

/// A published course with its place and how many of its dates are upcoming.
pub struct CourseSummary {
    pub id: i32,
    pub slug: String,
    pub title: String,
    pub description: String,
    pub topic: String,
    pub level: String,
    pub target_group: String,
    pub language: String,
    pub price_cents: i32,
    pub organisation_name: String,
    pub online: bool,
    pub venue: Option<VenueFacts>,
    pub upcoming_dates: u64,
}

/// One page of published courses.
pub struct CoursePage {
    pub courses: Vec<CourseSummary>,
    /// Courses on all pages.
    pub total: u64,
    /// The page returned (1-based); a page beyond the last gives the last.
    pub page: u64,
    pub pages: u64,
}

/// Published courses in the order of their slug, page by page, including courses without upcoming
/// dates (four queries: the page with its count, organisations, venues, upcoming dates).
pub async fn published_courses(
    db: &DatabaseConnection,
    page: u64,
    per_page: u64,
    now: DateTime<Utc>,
) -> Result<CoursePage, DbErr> {
    let paginator = offer::Entity::find()
        .filter(offer::Column::Status.eq(OfferStatus::Published))
        .filter(offer::Column::Kind.eq(OfferKind::Course))
        .order_by_asc(offer::Column::Slug)
        .order_by_asc(offer::Column::Id)
        .paginate(db, per_page);
    let counted = paginator.num_items_and_pages().await?;
    let pages = std::cmp::max(counted.number_of_pages, 1);
    let page = std::cmp::min(page, pages);
    let offers = paginator.fetch_page(page - 1).await?;

    let organisation_ids = offers.iter().map(|o| o.organisation_id);
    let venue_ids = offers.iter().filter_map(|o| o.venue_id);
    let offer_ids: Vec<i32> = offers.iter().map(|o| o.id).collect();
    let organisations = lookup(db, organisation::Column::Id, organisation_ids, |o| {
        (o.id, o.name)
    })
    .await?;
    let venues = lookup(db, venue::Column::Id, venue_ids, |v| {
        (v.id, VenueFacts::from(v))
    })
    .await?;
    // Upcoming as the catalogue lists dates: ahead and not cancelled.
    let upcoming = Condition::all()
        .add(offer_date::Column::OfferId.is_in(offer_ids))
        .add(offer_date::Column::StartsAt.gt(now))
        .add(offer_date::Column::Status.ne(DateStatus::Cancelled));
    let upcoming = count_by(db, offer_date::Column::OfferId, upcoming).await?;

    let courses = offers
        .into_iter()
        .map(|o| CourseSummary {
            organisation_name: organisations
                .get(&o.organisation_id)
                .cloned()
                .unwrap_or_default(),
            online: o.venue_id.is_none(),
            venue: o.venue_id.and_then(|id| venues.get(&id)).cloned(),
            upcoming_dates: upcoming
                .get(&o.id)
                .map_or(0, |n| u64::try_from(*n).unwrap_or(0)),
            id: o.id,
            slug: o.slug,
            title: o.title,
            description: o.description,
            topic: o.topic,
            level: o.level,
            target_group: o.target_group,
            language: o.language,
            price_cents: o.price_cents,
        })
        .collect();
    Ok(CoursePage {
        courses,
        total: counted.number_of_items,
        page,
        pages,
    })
}

/// The public pages of published offers with dates to come.
pub async fn published_pages(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
) -> Result<Vec<String>, DbErr> {
    let ids: Vec<i32> = offer_date::Entity::find()
        .filter(offer_date::Column::StartsAt.gt(now))
        .all(db)
        .await?
        .into_iter()
        .map(|d| d.offer_id)
        .collect();
    Ok(offer::Entity::find()
        .filter(offer::Column::Status.eq(OfferStatus::Published))
        .filter(offer::Column::Id.is_in(ids))
        .order_by_asc(offer::Column::Slug)
        .all(db)
        .await?
        .into_iter()
        .map(|o| o.kind.page_of(&o.slug))
        .collect())
}
