//! A booking's link is kept sealed with a key outside the database (`manage_link_sealed`, see the
//! portal's `sealing` module) instead of in clear (`manage_token`), so a copy of the database gives
//! no working link. The migration cannot seal (it has no key): the portal's hourly housekeeping seals
//! the links still in clear an hour after this migration, once instances of the older version,
//! which read only those, are gone after the rolling update. `manage_token` stays for them, empty
//! once they are sealed.
//!
//! Taking it back drops the sealed links (nothing here can open them): the booking pages still
//! open by the links already mailed, but later mails go without the link.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Bookings::Table)
                    .add_column(text_null(Bookings::ManageLinkSealed))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Bookings::Table)
                    .drop_column(Bookings::ManageLinkSealed)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Bookings {
    Table,
    ManageLinkSealed,
}
