//! The audit log refuses changes and deletions in the database itself, not only in the application.
use sea_orm_migration::{prelude::*, sea_orm::DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DatabaseBackend::Postgres => {
                db.execute_unprepared(
                    "CREATE FUNCTION audit_log_append_only() RETURNS trigger AS $$ \
                     BEGIN RAISE EXCEPTION 'audit_log is append-only'; END; $$ LANGUAGE plpgsql",
                )
                .await?;
                db.execute_unprepared(
                    "CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log \
                     FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
                )
                .await?;
            }
            _ => {
                for (name, event) in [
                    ("audit_log_no_update", "UPDATE"),
                    ("audit_log_no_delete", "DELETE"),
                ] {
                    db.execute_unprepared(&format!(
                        "CREATE TRIGGER {name} BEFORE {event} ON audit_log \
                         BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
                    ))
                    .await?;
                }
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DatabaseBackend::Postgres => {
                db.execute_unprepared("DROP TRIGGER IF EXISTS audit_log_no_change ON audit_log")
                    .await?;
                db.execute_unprepared("DROP FUNCTION IF EXISTS audit_log_append_only()")
                    .await?;
            }
            _ => {
                db.execute_unprepared("DROP TRIGGER IF EXISTS audit_log_no_update")
                    .await?;
                db.execute_unprepared("DROP TRIGGER IF EXISTS audit_log_no_delete")
                    .await?;
            }
        }
        Ok(())
    }
}
