//! Each date carries what the catalogue filters on most: its offer's kind while the offer is
//! published (`listed_as`, empty otherwise), its offer's topic and its venue's district. Indexes on
//! these with the start time give a filtered page in start order straight from the index, so a page
//! of 20 reads about 20 entries however many dates match. Before, every matching date was read and
//! sorted to pick the page: at ten times the dates the catalogue served a third of the pages
//! (BENCHMARKS.md, issue 16).
//!
//! Triggers keep the copies in step with the offers and venues, on every write path (the back office,
//! imports, seeders, a database console), on SQLite and on PostgreSQL.
use sea_orm_migration::{prelude::*, schema::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Indexes, each ending in the start time: the filters' combinations (kind alone, with district,
/// with topic, with both).
const INDEXES: [(&str, &[OfferDates]); 4] = [
    (
        "idx_offer_date_listed",
        &[OfferDates::ListedAs, OfferDates::StartsAt],
    ),
    (
        "idx_offer_date_listed_district",
        &[
            OfferDates::ListedAs,
            OfferDates::DistrictKey,
            OfferDates::StartsAt,
        ],
    ),
    (
        "idx_offer_date_listed_topic",
        &[
            OfferDates::ListedAs,
            OfferDates::Topic,
            OfferDates::StartsAt,
        ],
    ),
    (
        "idx_offer_date_listed_district_topic",
        &[
            OfferDates::ListedAs,
            OfferDates::DistrictKey,
            OfferDates::Topic,
            OfferDates::StartsAt,
        ],
    ),
];

/// What SQLite's indexes hold after the start time; PostgreSQL's include the first three.
const COVERED: [OfferDates; 7] = [
    OfferDates::Id,
    OfferDates::SeriesLeadId,
    OfferDates::Status,
    OfferDates::Capacity,
    OfferDates::BookedPlaces,
    OfferDates::WalkInReleaseAt,
    OfferDates::WalkInPlaces,
];

/// The copies' columns.
const COPIES: [OfferDates; 3] = [
    OfferDates::ListedAs,
    OfferDates::Topic,
    OfferDates::DistrictKey,
];

/// The copies of a date of the offer `offer_id` (an SQL expression), as the `SET` list of an update
/// of `offer_dates`: what SQLite's date triggers and the backfill write.
fn copies_of_offer(offer_id: &str) -> String {
    format!(
        "listed_as = (SELECT CASE WHEN o.status = 'published' THEN o.kind END FROM offers o WHERE o.id = {offer_id}),
    topic = (SELECT o.topic FROM offers o WHERE o.id = {offer_id}),
    district_key = (SELECT v.district_key FROM offers o JOIN venues v ON v.id = o.venue_id WHERE o.id = {offer_id})"
    )
}

fn sqlite_triggers() -> String {
    let copies = copies_of_offer("NEW.offer_id");
    format!(
        "
CREATE TRIGGER offer_dates_listing_on_insert AFTER INSERT ON offer_dates BEGIN
  UPDATE offer_dates SET {copies} WHERE id = NEW.id;
END;
CREATE TRIGGER offer_dates_listing_on_move AFTER UPDATE OF offer_id ON offer_dates
WHEN OLD.offer_id IS NOT NEW.offer_id BEGIN
  UPDATE offer_dates SET {copies} WHERE id = NEW.id;
END;
{SQLITE_OFFER_AND_VENUE_TRIGGERS}"
    )
}

const SQLITE_OFFER_AND_VENUE_TRIGGERS: &str = "
CREATE TRIGGER offers_listing AFTER UPDATE OF status, kind, topic, venue_id ON offers
WHEN OLD.status IS NOT NEW.status OR OLD.kind IS NOT NEW.kind OR OLD.topic IS NOT NEW.topic
  OR OLD.venue_id IS NOT NEW.venue_id BEGIN
  UPDATE offer_dates SET
    listed_as = CASE WHEN NEW.status = 'published' THEN NEW.kind END,
    topic = NEW.topic,
    district_key = (SELECT district_key FROM venues WHERE id = NEW.venue_id)
  WHERE offer_id = NEW.id;
END;
CREATE TRIGGER venues_listing AFTER UPDATE OF district_key ON venues
WHEN OLD.district_key IS NOT NEW.district_key BEGIN
  UPDATE offer_dates SET district_key = NEW.district_key
  WHERE offer_id IN (SELECT id FROM offers WHERE venue_id = NEW.id);
END;
";

const SQLITE_DROP: &str = "
DROP TRIGGER IF EXISTS offer_dates_listing_on_insert;
DROP TRIGGER IF EXISTS offer_dates_listing_on_move;
DROP TRIGGER IF EXISTS offers_listing;
DROP TRIGGER IF EXISTS venues_listing;
";

const POSTGRES_TRIGGERS: &str = "
CREATE FUNCTION offer_dates_listing() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- Shared locks wait for a change of the offer or its venue in flight, so that this reads what it
  -- committed (a change after this waits for this date instead, and its trigger then sees it).
  PERFORM 1 FROM offers WHERE id = NEW.offer_id FOR SHARE;
  PERFORM 1 FROM venues WHERE id = (SELECT venue_id FROM offers WHERE id = NEW.offer_id) FOR SHARE;
  SELECT CASE WHEN o.status = 'published' THEN o.kind END, o.topic, v.district_key
    INTO NEW.listed_as, NEW.topic, NEW.district_key
    FROM offers o LEFT JOIN venues v ON v.id = o.venue_id
    WHERE o.id = NEW.offer_id;
  RETURN NEW;
END $$;
CREATE TRIGGER offer_dates_listing BEFORE INSERT OR UPDATE OF offer_id ON offer_dates
  FOR EACH ROW EXECUTE FUNCTION offer_dates_listing();
CREATE FUNCTION offers_listing() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM venues WHERE id = NEW.venue_id FOR SHARE;
  UPDATE offer_dates SET
    listed_as = CASE WHEN NEW.status = 'published' THEN NEW.kind END,
    topic = NEW.topic,
    district_key = (SELECT district_key FROM venues WHERE id = NEW.venue_id)
  WHERE offer_id = NEW.id;
  RETURN NULL;
END $$;
CREATE TRIGGER offers_listing AFTER UPDATE OF status, kind, topic, venue_id ON offers
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.kind IS DISTINCT FROM NEW.kind
    OR OLD.topic IS DISTINCT FROM NEW.topic OR OLD.venue_id IS DISTINCT FROM NEW.venue_id)
  EXECUTE FUNCTION offers_listing();
CREATE FUNCTION venues_listing() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE offer_dates SET district_key = NEW.district_key
  WHERE offer_id IN (SELECT id FROM offers WHERE venue_id = NEW.id);
  RETURN NULL;
END $$;
CREATE TRIGGER venues_listing AFTER UPDATE OF district_key ON venues
  FOR EACH ROW WHEN (OLD.district_key IS DISTINCT FROM NEW.district_key)
  EXECUTE FUNCTION venues_listing();
";

const POSTGRES_DROP: &str = "
DROP TRIGGER IF EXISTS offer_dates_listing ON offer_dates;
DROP TRIGGER IF EXISTS offers_listing ON offers;
DROP TRIGGER IF EXISTS venues_listing ON venues;
DROP FUNCTION IF EXISTS offer_dates_listing();
DROP FUNCTION IF EXISTS offers_listing();
DROP FUNCTION IF EXISTS venues_listing();
";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in COPIES {
            manager
                .alter_table(
                    Table::alter()
                        .table(OfferDates::Table)
                        .add_column(string_null(column))
                        .to_owned(),
                )
                .await?;
        }
        // Triggers first: on PostgreSQL creating them locks the offers and venues against writes of
        // instances still running until the migration commits, so the backfill misses no change.
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DbBackend::Postgres => db.execute_unprepared(POSTGRES_TRIGGERS).await?,
            _ => db.execute_unprepared(&sqlite_triggers()).await?,
        };
        // The copies of the dates that exist.
        db.execute_unprepared(&format!(
            "UPDATE offer_dates SET {}",
            copies_of_offer("offer_dates.offer_id")
        ))
        .await?;
        // On SQLite the indexes also hold what the remaining filters test (as the covering indexes
        // of migration 21), so a page's ids and the count never read a date's row. On PostgreSQL
        // they include only what never changes with a booking (id, series, state): an index holding
        // the booked places would end the in-place (HOT) updates of the date's row that every
        // booking makes (see migration 21). The count without "free places" is then an index-only
        // scan there too (pgbench at ten times the dates: 0.30 ms → 0.18 ms).
        let postgres = manager.get_database_backend() == DbBackend::Postgres;
        for (name, columns) in INDEXES {
            let mut index = Index::create();
            index.name(name).table(OfferDates::Table);
            for column in columns {
                index.col(*column);
            }
            if postgres {
                for column in &COVERED[..3] {
                    index.include(*column);
                }
            } else {
                // The id after the start keeps the catalogue's order (start, then id) in the index.
                for column in COVERED {
                    index.col(column);
                }
            }
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, _) in INDEXES {
            manager
                .drop_index(Index::drop().name(name).table(OfferDates::Table).to_owned())
                .await?;
        }
        manager
            .get_connection()
            .execute_unprepared(match manager.get_database_backend() {
                DbBackend::Postgres => POSTGRES_DROP,
                _ => SQLITE_DROP,
            })
            .await?;
        for column in COPIES {
            manager
                .alter_table(
                    Table::alter()
                        .table(OfferDates::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum OfferDates {
    Table,
    Id,
    ListedAs,
    Topic,
    DistrictKey,
    StartsAt,
    SeriesLeadId,
    Status,
    Capacity,
    BookedPlaces,
    WalkInReleaseAt,
    WalkInPlaces,
}
