//! Stored kinds in one language, continuing migration 19: the German keys of volunteer session kinds
//! become English keys; German stays in the translation catalogue. The states of sessions, sign-ups
//! and hours were stored with English keys from the start and stay as they are. No search document
//! or cached value holds these keys, so nothing is requeued.
use sea_orm_migration::prelude::*;

use crate::key_renames::{self, Renames};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Old key → new key.
const SHIFT_KINDS: Renames = &[
    ("sprechstunde", "office-hours"),
    ("smartphone-nachmittag", "smartphone-afternoon"),
    ("kursassistenz", "course-assistance"),
    ("veranstaltungshilfe", "event-help"),
];

/// Table, column and the renames of its values.
pub(crate) fn columns() -> Vec<(DynIden, DynIden, Renames)> {
    vec![(
        VolunteerShifts::Table.into_iden(),
        VolunteerShifts::Kind.into_iden(),
        SHIFT_KINDS,
    )]
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
enum VolunteerShifts {
    Table,
    Kind,
}
