//! An account holds a role in a scope once. Granting checked first and then inserted, so two
//! admins granting the same role at the same moment (or the command line beside the web form)
//! stored it twice on PostgreSQL; revoking then removed one row and said so, while the other kept
//! the role in effect. Rows held twice are reduced to the first, then a unique index makes a
//! second insert fail (granting inserts with `ON CONFLICT DO NOTHING`). Organisation and district
//! are `NULL` for roles without a scope, and `NULL`s never collide in a unique index, so the index
//! is over their `COALESCE`d values (expression indexes work alike on SQLite and PostgreSQL).
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let conn = manager.get_connection();
        conn.execute_unprepared(
            "DELETE FROM user_roles WHERE id NOT IN (\
             SELECT MIN(id) FROM user_roles \
             GROUP BY user_id, role, COALESCE(organisation_id, 0), COALESCE(district_key, ''))",
        )
        .await?;
        conn.execute_unprepared(
            "CREATE UNIQUE INDEX idx_user_roles_once ON user_roles \
             (user_id, role, COALESCE(organisation_id, 0), COALESCE(district_key, ''))",
        )
        .await
        .map(|_| ())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX idx_user_roles_once")
            .await
            .map(|_| ())
    }
}
