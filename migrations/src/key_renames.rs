//! Renaming stored vocabulary keys (German to English, and back on `down`), shared by the
//! migrations that move stored keys to one language.
use sea_orm_migration::prelude::*;

/// Old and new keys, German first.
pub type Renames = &'static [(&'static str, &'static str)];

/// Rewrites each column's values: old to new keys when `forward`, new to old otherwise.
pub async fn rename(
    manager: &SchemaManager<'_>,
    columns: Vec<(DynIden, DynIden, Renames)>,
    forward: bool,
) -> Result<(), DbErr> {
    rename_on(manager.get_connection(), columns, forward).await
}

/// [`rename`] on any connection.
pub async fn rename_on(
    db: &impl ConnectionTrait,
    columns: Vec<(DynIden, DynIden, Renames)>,
    forward: bool,
) -> Result<(), DbErr> {
    for (table, column, keys) in columns {
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
