//! SQLite only: catalogue indexes that hold every column the filters test, so a filtered page and
//! its count read the index entries of the matching offers and dates and never their rows. With ten
//! times the dates, reading each matching date's row made the count and the page cost about 0.7 ms
//! each; from the index alone they take about a quarter of that (BENCHMARKS.md, issue 16).
//!
//! PostgreSQL keeps its indexes: the same offers' index measured no difference there, and the dates'
//! index would have to hold the booked places, an indexed column that every booking changes, which
//! would end the in-place (HOT) updates of the date's row that the booking rush depends on.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Sqlite {
            return Ok(());
        }
        // Each new index has the old one's columns as its prefix and replaces it.
        let offers = [Offers::VenueId, Offers::Topic, Offers::Status, Offers::Kind];
        create_index(manager, "idx_offer_catalogue", Offers::Table, offers).await?;
        drop_index(manager, "idx_offer_venue_topic", Offers::Table).await?;
        let dates = [
            OfferDates::OfferId,
            OfferDates::StartsAt,
            OfferDates::SeriesLeadId,
            OfferDates::Status,
            OfferDates::Capacity,
            OfferDates::BookedPlaces,
            OfferDates::WalkInReleaseAt,
            OfferDates::WalkInPlaces,
        ];
        create_index(
            manager,
            "idx_offer_date_catalogue",
            OfferDates::Table,
            dates,
        )
        .await?;
        drop_index(manager, "idx_offer_date_offer_start", OfferDates::Table).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Sqlite {
            return Ok(());
        }
        let dates = [OfferDates::OfferId, OfferDates::StartsAt];
        create_index(
            manager,
            "idx_offer_date_offer_start",
            OfferDates::Table,
            dates,
        )
        .await?;
        drop_index(manager, "idx_offer_date_catalogue", OfferDates::Table).await?;
        let offers = [Offers::VenueId, Offers::Topic];
        create_index(manager, "idx_offer_venue_topic", Offers::Table, offers).await?;
        drop_index(manager, "idx_offer_catalogue", Offers::Table).await
    }
}

async fn create_index<C: IntoIden + 'static>(
    manager: &SchemaManager<'_>,
    name: &str,
    table: impl IntoIden + 'static,
    columns: impl IntoIterator<Item = C>,
) -> Result<(), DbErr> {
    let mut index = Index::create();
    index.name(name).table(table);
    for column in columns {
        index.col(column);
    }
    manager.create_index(index).await
}

async fn drop_index(
    manager: &SchemaManager<'_>,
    name: &str,
    table: impl IntoIden + 'static,
) -> Result<(), DbErr> {
    manager
        .drop_index(Index::drop().name(name).table(table).to_owned())
        .await
}

#[derive(DeriveIden)]
enum Offers {
    Table,
    VenueId,
    Topic,
    Status,
    Kind,
}

#[derive(DeriveIden)]
enum OfferDates {
    Table,
    OfferId,
    StartsAt,
    SeriesLeadId,
    Status,
    Capacity,
    BookedPlaces,
    WalkInReleaseAt,
    WalkInPlaces,
}
