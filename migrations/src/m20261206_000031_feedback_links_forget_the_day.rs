//! A used feedback link no longer keeps the day it was used: that day matched the day its form was
//! handed in (`submitted_on`), and the link, through the invitation mail kept in the outbox for 30
//! days, its recipient, so an "anonymous" form could be tied to a person. Used links now hold the
//! time they were sent, the same for every link of a date.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .exec_stmt(
                Query::update()
                    .table(FeedbackInvitations::Table)
                    .value(
                        FeedbackInvitations::UsedAt,
                        Expr::col(FeedbackInvitations::CreatedAt),
                    )
                    .and_where(Expr::col(FeedbackInvitations::UsedAt).is_not_null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        // The days are gone; the links stay used.
        Ok(())
    }
}

#[derive(DeriveIden)]
enum FeedbackInvitations {
    Table,
    UsedAt,
    CreatedAt,
}
