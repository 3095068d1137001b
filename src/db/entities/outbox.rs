use sea_orm::entity::prelude::*;

/// A mail waiting to be sent; written in the same transaction as the change it reports.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub message_id: String,
    pub recipient: String,
    pub subject: String,
    #[sea_orm(column_type = "Text")]
    pub body_text: String,
    #[sea_orm(column_type = "Text")]
    pub body_html: String,
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
    #[sea_orm(column_type = "Text", nullable)]
    pub last_error: Option<String>,
    pub created_at: DateTimeUtc,
    pub attachment_name: Option<String>,
    pub attachment_type: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub attachment_body: Option<String>,
    /// Refused for good (SMTP 5xx or an address no server takes): not retried any more.
    pub failed_at: Option<DateTimeUtc>,
    /// The one-click unsubscribe address of a mail someone subscribed to (RFC 8058).
    pub list_unsubscribe: Option<String>,
    /// The booking a booking mail is about: a corrected address gets this booking's refused mail.
    pub booking_id: Option<i64>,
    /// Removed once delivered instead of kept 30 days: its text would tie something kept
    /// anonymous to its recipient (a feedback invitation's one-time link).
    pub forget_when_sent: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
