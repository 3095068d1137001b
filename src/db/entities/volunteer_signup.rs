use sea_orm::entity::prelude::*;

use crate::domain::volunteering::SignupStatus;

/// A volunteer's sign-up for a session; withdrawing keeps the row, signing up again reactivates it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "volunteer_signups")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub shift_id: i32,
    pub user_id: i32,
    pub status: SignupStatus,
    pub signed_up_at: DateTimeUtc,
    pub withdrawn_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
