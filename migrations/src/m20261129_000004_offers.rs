//! Offers (courses and dialogue events), their dates with capacity, and bookings with a waiting list.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Offer::Table)
                    .col(pk_auto(Offer::Id))
                    .col(string_uniq(Offer::Slug))
                    .col(integer(Offer::OrganisationId))
                    .col(integer_null(Offer::VenueId))
                    .col(string(Offer::Kind))
                    .col(string(Offer::Title))
                    .col(text(Offer::Description))
                    .col(string(Offer::Topic))
                    .col(string(Offer::Level))
                    .col(string(Offer::TargetGroup))
                    .col(string(Offer::Language))
                    .col(string_null(Offer::OnlineUrl))
                    .col(text(Offer::WhatToBring))
                    .col(text(Offer::AccessibilityNotes))
                    .col(integer(Offer::PriceCents))
                    .col(string(Offer::Status))
                    .col(timestamp_with_time_zone(Offer::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Offer::Table, Offer::OrganisationId)
                            .to(Organisations::Table, Organisations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Offer::Table, Offer::VenueId)
                            .to(Venues::Table, Venues::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(OfferDate::Table)
                    .col(pk_auto(OfferDate::Id))
                    .col(integer(OfferDate::OfferId))
                    .col(timestamp_with_time_zone(OfferDate::StartsAt))
                    .col(timestamp_with_time_zone(OfferDate::EndsAt))
                    .col(integer(OfferDate::Capacity))
                    // Confirmed places; changed only by a conditional update inside the booking transaction.
                    .col(integer(OfferDate::BookedPlaces))
                    .col(integer(OfferDate::MaxPlacesPerBooking))
                    .col(timestamp_with_time_zone_null(OfferDate::BookingOpensAt))
                    .col(timestamp_with_time_zone_null(OfferDate::BookingClosesAt))
                    .col(string(OfferDate::Status))
                    .col(timestamp_with_time_zone(OfferDate::CreatedAt))
                    .check(Expr::col(OfferDate::BookedPlaces).lte(Expr::col(OfferDate::Capacity)))
                    .check(Expr::col(OfferDate::BookedPlaces).gte(0))
                    .foreign_key(
                        ForeignKey::create()
                            .from(OfferDate::Table, OfferDate::OfferId)
                            .to(Offer::Table, Offer::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_offer_date_start")
                    .table(OfferDate::Table)
                    .col(OfferDate::StartsAt)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Booking::Table)
                    .col(big_pk_auto(Booking::Id))
                    .col(integer(Booking::DateId))
                    .col(integer_null(Booking::UserId))
                    .col(string(Booking::Name))
                    .col(string_null(Booking::Email))
                    .col(string_null(Booking::Phone))
                    .col(integer(Booking::Places))
                    .col(string(Booking::Status))
                    .col(string(Booking::Channel))
                    .col(string_len_uniq(Booking::CancelTokenHash, 64))
                    .col(timestamp_with_time_zone(Booking::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Booking::Table, Booking::DateId)
                            .to(OfferDate::Table, OfferDate::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Booking::Table, Booking::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_booking_date_status")
                    .table(Booking::Table)
                    .col(Booking::DateId)
                    .col(Booking::Status)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Booking::Table.into_iden(),
            OfferDate::Table.into_iden(),
            Offer::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Organisations {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Venues {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Offer {
    #[sea_orm(iden = "offers")]
    Table,
    Id,
    Slug,
    OrganisationId,
    VenueId,
    Kind,
    Title,
    Description,
    Topic,
    Level,
    TargetGroup,
    Language,
    OnlineUrl,
    WhatToBring,
    AccessibilityNotes,
    PriceCents,
    Status,
    CreatedAt,
}

#[derive(DeriveIden)]
enum OfferDate {
    #[sea_orm(iden = "offer_dates")]
    Table,
    Id,
    OfferId,
    StartsAt,
    EndsAt,
    Capacity,
    BookedPlaces,
    MaxPlacesPerBooking,
    BookingOpensAt,
    BookingClosesAt,
    Status,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Booking {
    #[sea_orm(iden = "bookings")]
    Table,
    Id,
    DateId,
    UserId,
    Name,
    Email,
    Phone,
    Places,
    Status,
    Channel,
    CancelTokenHash,
    CreatedAt,
}
