use sea_orm::entity::prelude::*;

/// A single-use feedback link for one participant of a date. It is marked used on submission; the
/// feedback itself keeps no reference to it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "feedback_invitations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub date_id: i32,
    #[sea_orm(unique)]
    pub token_hash: String,
    /// Set once used, to `created_at`: when it was used would tie the form to the link.
    pub used_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
