//! Course alerts that an address change left at the old address go to the account's address now.
//!
//! Before alerts moved along with an address change, the weekly mail (the filter, the link to stop
//! it) went on to the old address, perhaps a former work address read by someone else now. An alert
//! carries an account only when it was set up for that account's own address (and is then
//! confirmed at once), so an account's alert at another address is exactly such a leftover. The
//! rules are the application's `course_alerts::move_to_address`: one alert per address and filter;
//! an unconfirmed one of nobody else at the account's address gives way to the confirmed one moving
//! in, any other there already gets these mails, and the leftover goes. The links to stop a moved
//! alert were mailed to the old address and stop working; each new mail brings its own.
use sea_orm_migration::{prelude::*, sea_orm::ConnectionTrait};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let leftovers = db
            .query_all(
                Query::select()
                    .column((CourseAlerts::Table, CourseAlerts::Id))
                    .column((CourseAlerts::Table, CourseAlerts::UserId))
                    .column((CourseAlerts::Table, CourseAlerts::Kind))
                    .column((CourseAlerts::Table, CourseAlerts::FilterQuery))
                    .expr_as(
                        Func::lower(Expr::col((Users::Table, Users::Email))),
                        Alias::new("account_email"),
                    )
                    .from(CourseAlerts::Table)
                    .inner_join(
                        Users::Table,
                        Expr::col((Users::Table, Users::Id))
                            .equals((CourseAlerts::Table, CourseAlerts::UserId)),
                    )
                    .and_where(
                        Expr::expr(Func::lower(Expr::col((
                            CourseAlerts::Table,
                            CourseAlerts::Email,
                        ))))
                        .ne(Expr::expr(Func::lower(Expr::col((
                            Users::Table,
                            Users::Email,
                        ))))),
                    )
                    .and_where(
                        Expr::col((CourseAlerts::Table, CourseAlerts::ConfirmedAt)).is_not_null(),
                    )
                    .order_by((CourseAlerts::Table, CourseAlerts::Id), Order::Asc),
            )
            .await?;
        for row in leftovers {
            let id: i64 = row.try_get("", "id")?;
            let user_id: i32 = row.try_get("", "user_id")?;
            let kind: String = row.try_get("", "kind")?;
            let filter_query: String = row.try_get("", "filter_query")?;
            let account_email: String = row.try_get("", "account_email")?;
            let same_filter = || {
                Query::select()
                    .column(CourseAlerts::Id)
                    .from(CourseAlerts::Table)
                    .and_where(Expr::col(CourseAlerts::Email).eq(account_email.as_str()))
                    .and_where(Expr::col(CourseAlerts::Kind).eq(kind.as_str()))
                    .and_where(Expr::col(CourseAlerts::FilterQuery).eq(filter_query.as_str()))
                    .to_owned()
            };
            let gives_way = db
                .query_one(
                    same_filter()
                        .and_where(Expr::col(CourseAlerts::ConfirmedAt).is_null())
                        .cond_where(
                            Cond::any()
                                .add(Expr::col(CourseAlerts::UserId).is_null())
                                .add(Expr::col(CourseAlerts::UserId).eq(user_id)),
                        ),
                )
                .await?;
            if let Some(there) = gives_way {
                delete_alert(db, there.try_get("", "id")?).await?;
            }
            if db.query_one(&same_filter()).await?.is_some() {
                delete_alert(db, id).await?;
                continue;
            }
            delete_links(db, id).await?;
            db.execute(
                Query::update()
                    .table(CourseAlerts::Table)
                    .value(CourseAlerts::Email, account_email)
                    .and_where(Expr::col(CourseAlerts::Id).eq(id)),
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        // The moved alerts are where they belong for either schema; nothing to undo.
        Ok(())
    }
}

/// Deletes the links mailed for an alert (to confirm or stop it).
async fn delete_links(db: &impl ConnectionTrait, id: i64) -> Result<(), DbErr> {
    db.execute(
        Query::delete()
            .from_table(CourseAlertTokens::Table)
            .and_where(Expr::col(CourseAlertTokens::AlertId).eq(id)),
    )
    .await
    .map(drop)
}

/// Deletes an alert with its links and remembered dates.
async fn delete_alert(db: &impl ConnectionTrait, id: i64) -> Result<(), DbErr> {
    delete_links(db, id).await?;
    db.execute(
        Query::delete()
            .from_table(CourseAlertDates::Table)
            .and_where(Expr::col(CourseAlertDates::AlertId).eq(id)),
    )
    .await?;
    db.execute(
        Query::delete()
            .from_table(CourseAlerts::Table)
            .and_where(Expr::col(CourseAlerts::Id).eq(id)),
    )
    .await?;
    Ok(())
}

#[derive(DeriveIden)]
enum CourseAlerts {
    Table,
    Id,
    Email,
    Kind,
    FilterQuery,
    UserId,
    ConfirmedAt,
}

#[derive(DeriveIden)]
enum CourseAlertTokens {
    Table,
    AlertId,
}

#[derive(DeriveIden)]
enum CourseAlertDates {
    Table,
    AlertId,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Email,
}
