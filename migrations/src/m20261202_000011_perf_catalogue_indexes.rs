//! Indexes for the catalogue's common filters, so a filtered page reads the matching dates only:
//! district (through the venue) and topic lead to the offers, the offers to their upcoming dates.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("idx_offer_venue_topic")
                    .table(Offers::Table)
                    .col(Offers::VenueId)
                    .col(Offers::Topic)
                    .to_owned(),
            )
            .await?;
        // Replaces the index on `offer_id` alone, which is its prefix.
        manager
            .create_index(
                Index::create()
                    .name("idx_offer_date_offer_start")
                    .table(OfferDates::Table)
                    .col(OfferDates::OfferId)
                    .col(OfferDates::StartsAt)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("idx_offer_date_offer")
                    .table(OfferDates::Table)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("idx_offer_date_offer")
                    .table(OfferDates::Table)
                    .col(OfferDates::OfferId)
                    .to_owned(),
            )
            .await?;
        for (name, table) in [
            ("idx_offer_date_offer_start", OfferDates::Table.into_iden()),
            ("idx_offer_venue_topic", Offers::Table.into_iden()),
        ] {
            manager
                .drop_index(Index::drop().name(name).table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Offers {
    Table,
    VenueId,
    Topic,
}

#[derive(DeriveIden)]
enum OfferDates {
    Table,
    OfferId,
    StartsAt,
}
