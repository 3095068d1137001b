//! Supports given while signed in record the hash of the account's address (so the same person
//! cannot support once more by the mailed link after changing the account's address). Supports
//! from before that rule get the hash of the account's address now.
use sea_orm_migration::{prelude::*, sea_orm::ConnectionTrait};
use sha2::{Digest, Sha256};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let rows = db
            .query_all(
                Query::select()
                    .column((Supports::Table, Supports::Id))
                    .column((Users::Table, Users::Email))
                    .from(Supports::Table)
                    .inner_join(
                        Users::Table,
                        Expr::col((Users::Table, Users::Id))
                            .equals((Supports::Table, Supports::UserId)),
                    )
                    .and_where(Expr::col((Supports::Table, Supports::EmailHash)).is_null()),
            )
            .await?;
        for row in rows {
            let id: i64 = row.try_get("", "id")?;
            let email: String = row.try_get("", "email")?;
            // The same hash as the application's `hash_token` of the address.
            let hash = hex::encode(Sha256::digest(email.as_bytes()));
            db.execute(
                Query::update()
                    .table(Supports::Table)
                    .value(Supports::EmailHash, hash)
                    .and_where(Expr::col(Supports::Id).eq(id)),
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        // The hashes are correct data for either schema; nothing to undo.
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Supports {
    #[sea_orm(iden = "proposal_supports")]
    Table,
    Id,
    UserId,
    EmailHash,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Email,
}
