//! Kiosk terminals in Probierläden: registered by admins, paired once with a short-lived code, known
//! afterwards by a long-lived secret (both stored as hashes only), and anonymous usage counts per day.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(KioskTerminals::Table)
                    .col(pk_auto(KioskTerminals::Id))
                    .col(string(KioskTerminals::Name))
                    .col(integer(KioskTerminals::VenueId))
                    .col(string_uniq(KioskTerminals::PairingCodeHash))
                    .col(timestamp_with_time_zone(KioskTerminals::PairingExpiresAt))
                    .col(timestamp_with_time_zone_null(KioskTerminals::PairedAt))
                    .col(string_null(KioskTerminals::SecretHash).unique_key())
                    .col(timestamp_with_time_zone_null(KioskTerminals::RevokedAt))
                    // The one booking receipt the terminal may still show (once), then it is cleared.
                    .col(big_integer_null(KioskTerminals::ReceiptBookingId))
                    .col(timestamp_with_time_zone(KioskTerminals::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(KioskTerminals::Table, KioskTerminals::VenueId)
                            .to(Venues::Table, Venues::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(KioskTerminals::Table, KioskTerminals::ReceiptBookingId)
                            .to(Bookings::Table, Bookings::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(KioskUsage::Table)
                    .col(integer(KioskUsage::TerminalId))
                    .col(date(KioskUsage::Day))
                    // `view`, `booking`, `feedback` or `proposal`.
                    .col(string(KioskUsage::Action))
                    .col(integer(KioskUsage::Count).default(0))
                    .primary_key(
                        Index::create()
                            .col(KioskUsage::TerminalId)
                            .col(KioskUsage::Day)
                            .col(KioskUsage::Action),
                    )
                    .check(Expr::col(KioskUsage::Count).gte(0))
                    .foreign_key(
                        ForeignKey::create()
                            .from(KioskUsage::Table, KioskUsage::TerminalId)
                            .to(KioskTerminals::Table, KioskTerminals::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            KioskUsage::Table.into_iden(),
            KioskTerminals::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum KioskTerminals {
    Table,
    Id,
    Name,
    VenueId,
    PairingCodeHash,
    PairingExpiresAt,
    PairedAt,
    SecretHash,
    RevokedAt,
    ReceiptBookingId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum KioskUsage {
    Table,
    TerminalId,
    Day,
    Action,
    Count,
}

#[derive(DeriveIden)]
enum Venues {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Bookings {
    Table,
    Id,
}
