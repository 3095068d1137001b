//! Each date carries how many bookings wait on its list (`waiting_count`). The catalogue showed it
//! by counting the list for every row of a page, and every booking counted it under the date's
//! lock: the cost grew with the list (BENCHMARKS.md, issue 16).
//!
//! Triggers keep the count in step with the bookings on every write path (booking, cancelling,
//! promoting, the back office, deleting a date, a database console), on SQLite and PostgreSQL. A
//! booking's change locks its date row first anyway, so the triggers' update adds no lock order.
//!
//! On PostgreSQL adding the column locks the dates against reads and writes until the migration
//! commits, backfill included: pages with dates wait for it, so a large database is best
//! migrated outside the busiest hours.
use sea_orm_migration::{prelude::*, schema::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The stored key of a booking on the waiting list.
const WAITLISTED: &str = "'waitlisted'";

fn sqlite_triggers() -> String {
    format!(
        "
CREATE TRIGGER bookings_waiting_on_insert AFTER INSERT ON bookings
WHEN NEW.status = {WAITLISTED} BEGIN
  UPDATE offer_dates SET waiting_count = waiting_count + 1 WHERE id = NEW.date_id;
END;
CREATE TRIGGER bookings_waiting_on_delete AFTER DELETE ON bookings
WHEN OLD.status = {WAITLISTED} BEGIN
  UPDATE offer_dates SET waiting_count = waiting_count - 1 WHERE id = OLD.date_id;
END;
CREATE TRIGGER bookings_waiting_on_change AFTER UPDATE OF status, date_id ON bookings
WHEN (OLD.status = {WAITLISTED}) IS NOT (NEW.status = {WAITLISTED})
  OR (OLD.date_id IS NOT NEW.date_id AND NEW.status = {WAITLISTED}) BEGIN
  UPDATE offer_dates SET waiting_count = waiting_count - 1
  WHERE id = OLD.date_id AND OLD.status = {WAITLISTED};
  UPDATE offer_dates SET waiting_count = waiting_count + 1
  WHERE id = NEW.date_id AND NEW.status = {WAITLISTED};
END;
"
    )
}

const SQLITE_DROP: &str = "
DROP TRIGGER IF EXISTS bookings_waiting_on_insert;
DROP TRIGGER IF EXISTS bookings_waiting_on_delete;
DROP TRIGGER IF EXISTS bookings_waiting_on_change;
";

fn postgres_triggers() -> String {
    format!(
        "
CREATE FUNCTION bookings_waiting_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status = {WAITLISTED} THEN
    UPDATE offer_dates SET waiting_count = waiting_count - 1 WHERE id = OLD.date_id;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.status = {WAITLISTED} THEN
    UPDATE offer_dates SET waiting_count = waiting_count + 1 WHERE id = NEW.date_id;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER bookings_waiting_on_insert AFTER INSERT ON bookings
  FOR EACH ROW WHEN (NEW.status = {WAITLISTED}) EXECUTE FUNCTION bookings_waiting_count();
CREATE TRIGGER bookings_waiting_on_delete AFTER DELETE ON bookings
  FOR EACH ROW WHEN (OLD.status = {WAITLISTED}) EXECUTE FUNCTION bookings_waiting_count();
CREATE TRIGGER bookings_waiting_on_change AFTER UPDATE OF status, date_id ON bookings
  FOR EACH ROW WHEN ((OLD.status = {WAITLISTED}) IS DISTINCT FROM (NEW.status = {WAITLISTED})
    OR (OLD.date_id IS DISTINCT FROM NEW.date_id AND NEW.status = {WAITLISTED}))
  EXECUTE FUNCTION bookings_waiting_count();
"
    )
}

const POSTGRES_DROP: &str = "
DROP TRIGGER IF EXISTS bookings_waiting_on_insert ON bookings;
DROP TRIGGER IF EXISTS bookings_waiting_on_delete ON bookings;
DROP TRIGGER IF EXISTS bookings_waiting_on_change ON bookings;
DROP FUNCTION IF EXISTS bookings_waiting_count();
";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(OfferDates::Table)
                    .add_column(integer(OfferDates::WaitingCount).default(0))
                    .to_owned(),
            )
            .await?;
        // Triggers first: on PostgreSQL creating them locks the bookings against writes of
        // instances still running until the migration commits, so the count misses no change.
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DbBackend::Postgres => db.execute_unprepared(&postgres_triggers()).await?,
            _ => db.execute_unprepared(&sqlite_triggers()).await?,
        };
        // Only the dates someone waits for: the others have the default, and a large table is
        // locked for less time.
        db.execute_unprepared(&format!(
            "UPDATE offer_dates SET waiting_count = (SELECT COUNT(*) FROM bookings \
             WHERE bookings.date_id = offer_dates.id AND bookings.status = {WAITLISTED}) \
             WHERE id IN (SELECT date_id FROM bookings WHERE status = {WAITLISTED})"
        ))
        .await
        .map(|_| ())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DbBackend::Postgres => db.execute_unprepared(POSTGRES_DROP).await?,
            _ => db.execute_unprepared(SQLITE_DROP).await?,
        };
        manager
            .alter_table(
                Table::alter()
                    .table(OfferDates::Table)
                    .drop_column(OfferDates::WaitingCount)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum OfferDates {
    Table,
    WaitingCount,
}
