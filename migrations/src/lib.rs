//! Schema migrations for Teilhabe. Every migration must run up and down on SQLite and PostgreSQL;
//! `tests/api/migrations.rs` proves it.
pub use sea_orm_migration::prelude::*;

mod key_renames;

mod m20261129_000001_base;
mod m20261129_000002_accounts;
mod m20261129_000003_audit_append_only;
mod m20261129_000004_offers;
mod m20261129_000005_booking_rules;
mod m20261129_000006_proposals;
mod m20261129_000007_dialogue_feedback_export;
mod m20261129_000008_kiosk;
mod m20261129_000009_volunteering;
mod m20261201_000010_export_schedule_mark;
mod m20261202_000011_perf_catalogue_indexes;
mod m20261202_000012_outbox_dead_letter;
mod m20261202_000013_export_jobs;
mod m20261202_000014_form_submissions;
mod m20261202_000015_course_alerts;
mod m20261202_000016_session_attendance_reminders_account_language;
mod m20261202_000017_support_address_hashes;
mod m20261202_000018_english_state_keys;
mod m20261203_000019_english_kind_and_state_keys;
mod m20261203_000020_english_shift_kind_keys;
mod m20261204_000021_covering_catalogue_indexes;
mod m20261204_000022_outbox_booking;
mod m20261204_000023_export_job_attempts;
mod m20261205_000024_pseudonym_key;
mod m20261205_000025_catalogue_listing;
mod m20261205_000026_departed_hours;
mod m20261205_000027_proposal_import_key;
mod m20261206_000028_bookings_to_anonymise;
mod m20261206_000029_alerts_follow_their_account;
mod m20261206_000030_booking_idempotency_key;
mod m20261206_000031_feedback_links_forget_the_day;
mod m20261207_000032_outbox_forget_when_sent;
mod m20261207_000033_booking_facts_indexes;
mod m20261207_000034_waiting_count;
mod m20261207_000035_sealed_booking_links;
mod m20261207_000036_user_roles_unique;

pub struct Migrator;

/// Converts the German keys an older version still writes after migrations 18 to 20 moved the
/// stored keys to English: during a rolling update the old instances keep serving, and a row one of
/// them writes would stay unreadable for the new version (a proposal page, the course alerts' run).
/// Runs at every start and once an hour; returns the proposals converted, whose search documents
/// need refreshing.
pub async fn convert_legacy_keys(db: &impl ConnectionTrait) -> Result<Vec<i64>, DbErr> {
    let german: Vec<&str> = m20261202_000018_english_state_keys::PROPOSAL_STATES
        .iter()
        .map(|(old, _)| *old)
        .collect();
    let proposals: Vec<i64> = db
        .query_all(
            &Query::select()
                .column(Alias::new("id"))
                .from(Alias::new("proposals"))
                .and_where(Expr::col(Alias::new("status")).is_in(german))
                .to_owned(),
        )
        .await?
        .into_iter()
        .map(|row| row.try_get::<i64>("", "id"))
        .collect::<Result<_, _>>()?;
    let mut columns = m20261202_000018_english_state_keys::columns();
    columns.extend(m20261203_000019_english_kind_and_state_keys::columns());
    columns.extend(m20261203_000020_english_shift_kind_keys::columns());
    key_renames::rename_on(db, columns, true).await?;
    Ok(proposals)
}

/// Runs a migration and its record in `seaql_migrations` in one transaction on every database.
/// sea-orm-migration does so only on PostgreSQL; on SQLite it would run each statement on its own,
/// so a migration that failed half-way (a full disk, a value the conversion refuses) left its first
/// tables behind unrecorded, and every later start failed on "already exists". SQLite's schema
/// changes are transactional, and no migration here needs a statement that is not.
struct InOneTransaction<M>(M);

impl<M: MigrationName> MigrationName for InOneTransaction<M> {
    fn name(&self) -> &str {
        self.0.name()
    }
}

#[async_trait::async_trait]
impl<M: MigrationTrait> MigrationTrait for InOneTransaction<M> {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        self.0.up(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        self.0.down(manager).await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}

fn in_one_transaction(migration: impl MigrationTrait + 'static) -> Box<dyn MigrationTrait> {
    Box::new(InOneTransaction(migration))
}

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            in_one_transaction(m20261129_000001_base::Migration),
            in_one_transaction(m20261129_000002_accounts::Migration),
            in_one_transaction(m20261129_000003_audit_append_only::Migration),
            in_one_transaction(m20261129_000004_offers::Migration),
            in_one_transaction(m20261129_000005_booking_rules::Migration),
            in_one_transaction(m20261129_000006_proposals::Migration),
            in_one_transaction(m20261129_000007_dialogue_feedback_export::Migration),
            in_one_transaction(m20261129_000008_kiosk::Migration),
            in_one_transaction(m20261129_000009_volunteering::Migration),
            in_one_transaction(m20261201_000010_export_schedule_mark::Migration),
            in_one_transaction(m20261202_000011_perf_catalogue_indexes::Migration),
            in_one_transaction(m20261202_000012_outbox_dead_letter::Migration),
            in_one_transaction(m20261202_000013_export_jobs::Migration),
            in_one_transaction(m20261202_000014_form_submissions::Migration),
            in_one_transaction(m20261202_000015_course_alerts::Migration),
            in_one_transaction(
                m20261202_000016_session_attendance_reminders_account_language::Migration,
            ),
            in_one_transaction(m20261202_000017_support_address_hashes::Migration),
            in_one_transaction(m20261202_000018_english_state_keys::Migration),
            in_one_transaction(m20261203_000019_english_kind_and_state_keys::Migration),
            in_one_transaction(m20261203_000020_english_shift_kind_keys::Migration),
            in_one_transaction(m20261204_000021_covering_catalogue_indexes::Migration),
            in_one_transaction(m20261204_000022_outbox_booking::Migration),
            in_one_transaction(m20261204_000023_export_job_attempts::Migration),
            in_one_transaction(m20261205_000024_pseudonym_key::Migration),
            in_one_transaction(m20261205_000025_catalogue_listing::Migration),
            in_one_transaction(m20261205_000026_departed_hours::Migration),
            in_one_transaction(m20261205_000027_proposal_import_key::Migration),
            in_one_transaction(m20261206_000028_bookings_to_anonymise::Migration),
            in_one_transaction(m20261206_000029_alerts_follow_their_account::Migration),
            in_one_transaction(m20261206_000030_booking_idempotency_key::Migration),
            in_one_transaction(m20261206_000031_feedback_links_forget_the_day::Migration),
            in_one_transaction(m20261207_000032_outbox_forget_when_sent::Migration),
            in_one_transaction(m20261207_000033_booking_facts_indexes::Migration),
            in_one_transaction(m20261207_000034_waiting_count::Migration),
            in_one_transaction(m20261207_000035_sealed_booking_links::Migration),
            in_one_transaction(m20261207_000036_user_roles_unique::Migration),
        ]
    }
}
