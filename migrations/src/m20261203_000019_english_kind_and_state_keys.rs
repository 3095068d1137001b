//! Stored kinds in one language, continuing migration 18: the German keys of offer kinds (also kept by
//! course alerts) become English keys; German stays in the translation catalogue and in addresses.
//! The states of bookings, offers, dates and the like were stored with English keys from the start
//! and stay as they are. No search document or cached value holds these keys, so nothing is requeued.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Old key → new key, per vocabulary.
const OFFER_KINDS: &[(&str, &str)] = &[("kurs", "course"), ("dialog", "dialogue")];

/// Old and new keys, German first.
type Renames = &'static [(&'static str, &'static str)];

/// Table, column and the renames of its values.
fn columns() -> Vec<(DynIden, DynIden, Renames)> {
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
    let db = manager.get_connection();
    for (table, column, keys) in columns() {
        for (old, new) in keys {
            let (from, to) = if forward { (old, new) } else { (new, old) };
            db.execute(
                Query::update()
                    .table(table.clone())
                    .value(column.clone(), *to)
                    .and_where(Expr::col(column.clone()).eq(*from)),
            )
            .await?;
        }
    }
    Ok(())
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
