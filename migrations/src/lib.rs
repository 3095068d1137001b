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

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261129_000001_base::Migration),
            Box::new(m20261129_000002_accounts::Migration),
            Box::new(m20261129_000003_audit_append_only::Migration),
            Box::new(m20261129_000004_offers::Migration),
            Box::new(m20261129_000005_booking_rules::Migration),
            Box::new(m20261129_000006_proposals::Migration),
            Box::new(m20261129_000007_dialogue_feedback_export::Migration),
            Box::new(m20261129_000008_kiosk::Migration),
            Box::new(m20261129_000009_volunteering::Migration),
            Box::new(m20261201_000010_export_schedule_mark::Migration),
            Box::new(m20261202_000011_perf_catalogue_indexes::Migration),
            Box::new(m20261202_000012_outbox_dead_letter::Migration),
            Box::new(m20261202_000013_export_jobs::Migration),
            Box::new(m20261202_000014_form_submissions::Migration),
            Box::new(m20261202_000015_course_alerts::Migration),
            Box::new(m20261202_000016_session_attendance_reminders_account_language::Migration),
            Box::new(m20261202_000017_support_address_hashes::Migration),
            Box::new(m20261202_000018_english_state_keys::Migration),
            Box::new(m20261203_000019_english_kind_and_state_keys::Migration),
            Box::new(m20261203_000020_english_shift_kind_keys::Migration),
            Box::new(m20261204_000021_covering_catalogue_indexes::Migration),
        ]
    }
}
