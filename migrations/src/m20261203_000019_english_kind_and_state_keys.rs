//! Stored kinds in one language, continuing migration 18: the German keys of offer kinds (also kept by
//! course alerts) become English keys; German stays in the translation catalogue and in addresses.
//! The states of bookings, offers, dates and the like were stored with English keys from the start
//! and stay as they are. No search document or cached value holds these keys, so nothing is requeued.
use sea_orm_migration::prelude::*;

use crate::key_renames::{self, Renames};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Old key → new key, per vocabulary.
const OFFER_KINDS: &[(&str, &str)] = &[("kurs", "course"), ("dialog", "dialogue")];

/// Table, column and the renames of its values.
pub(crate) fn columns() -> Vec<(DynIden, DynIden, Renames)> {
    vec![
        (
            Offers::Table.into_iden(),
            Offers::Kind.into_iden(),
            OFFER_KINDS,
        ),
        (
            CourseAlerts::Table.into_iden(),
            CourseAlerts::Kind.into_iden(),
            OFFER_KINDS,
        ),
    ]
}

async fn rename(manager: &SchemaManager<'_>, forward: bool) -> Result<(), DbErr> {
    key_renames::rename(manager, columns(), forward).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        rename(manager, true).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        rename(manager, false).await
    }
}

#[derive(DeriveIden)]
enum Offers {
    Table,
    Kind,
}

#[derive(DeriveIden)]
enum CourseAlerts {
    Table,
    Kind,
}
