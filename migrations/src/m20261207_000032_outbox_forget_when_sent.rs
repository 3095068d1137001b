//! Mail whose text must not outlive its delivery: a feedback invitation holds the recipient's
//! one-time feedback link. The links keep whether they were used (so each counts once), and with
//! the invitation's text kept for 30 days after delivery, the used links could be matched with
//! their recipients, and a date's few forms with the people who sent them. Such mail is now
//! removed as soon as it is delivered. Invitations already delivered go now; those still queued
//! are marked.
use sea_orm_migration::{prelude::*, schema::*, sea_orm::ConnectionTrait};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Only invitations carry a link to `/rueckmeldung/` followed by a token. The QR codes of a date
/// (`/rueckmeldung/termin/…`) and the kiosk's form (`/kiosk/rueckmeldung/…`) are never mailed, but
/// a moderator's answer or a title quoted in a mail might show one.
const INVITATIONS: &str = "body_text LIKE '%/rueckmeldung/%' \
     AND body_text NOT LIKE '%/rueckmeldung/termin/%' \
     AND body_text NOT LIKE '%/kiosk/rueckmeldung/%'";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Outbox::Table)
                    .add_column(boolean(Outbox::ForgetWhenSent).default(false))
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        db.execute_unprepared(&format!(
            "DELETE FROM outbox WHERE sent_at IS NOT NULL AND {INVITATIONS}"
        ))
        .await?;
        db.execute_unprepared(&format!(
            "UPDATE outbox SET forget_when_sent = true WHERE {INVITATIONS}"
        ))
        .await
        .map(drop)
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Outbox::Table)
                    .drop_column(Outbox::ForgetWhenSent)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Outbox {
    Table,
    ForgetWhenSent,
}
