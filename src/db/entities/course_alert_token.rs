use sea_orm::entity::prelude::*;

/// A mailed secret of a course alert (confirmation or unsubscribe link), stored as a hash. Every
/// alert mail gets an unsubscribe link of its own; all of them stay valid while the alert exists.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "course_alert_tokens")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub token_hash: String,
    pub alert_id: i64,
    /// `confirm` or `unsubscribe`.
    pub purpose: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
