//! A booking's address changes: the person changed their account's address, or staff corrected a
//! mistyped one. The booking's link was mailed to the old address, perhaps a stranger's mailbox or
//! a former work address read by someone else now, so the booking gets a new link, and its mail
//! not sent yet goes to the new address with the new link.
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
    sea_query::{Expr, Func},
};

use super::links::NewLink;
use crate::{
    db::entities::{booking, outbox},
    sealing::Sealer,
};

/// Gives a booking not anonymised `new_email` and a new link; false when it was anonymised (no
/// address goes back into it then). An anonymisation that holds the row waits for this one's
/// commit, or this waits for its and finds it anonymised. Every mail of the booking not sent yet
/// carries the new link and, unless the old address refused it for good, goes to the new address.
/// Whether to send refused mail again is the caller's decision.
pub async fn change_address(
    txn: &impl ConnectionTrait,
    sealer: &Sealer,
    found: &booking::Model,
    new_email: &str,
) -> Result<bool, DbErr> {
    let link = NewLink::new(sealer);
    let changed = booking::Entity::update_many()
        .col_expr(booking::Column::Email, Expr::value(new_email))
        .col_expr(
            booking::Column::ManageToken,
            Expr::value(Option::<String>::None),
        )
        .col_expr(booking::Column::ManageLinkSealed, Expr::value(link.sealed))
        .col_expr(booking::Column::CancelTokenHash, Expr::value(link.hash))
        .filter(booking::Column::Id.eq(found.id))
        .filter(booking::Column::AnonymisedAt.is_null())
        .exec(txn)
        .await?
        .rows_affected;
    if changed != 1 {
        return Ok(false);
    }
    if let Some(old) = found.link_secret(sealer) {
        let (old, new) = (
            format!("/buchung/{old}"),
            format!("/buchung/{}", link.secret),
        );
        let relinked = |column: outbox::Column| {
            Func::cust("REPLACE")
                .arg(Expr::col(column))
                .arg(old.as_str())
                .arg(new.as_str())
        };
        outbox::Entity::update_many()
            .col_expr(
                outbox::Column::BodyText,
                relinked(outbox::Column::BodyText).into(),
            )
            .col_expr(
                outbox::Column::BodyHtml,
                relinked(outbox::Column::BodyHtml).into(),
            )
            .col_expr(
                outbox::Column::AttachmentBody,
                relinked(outbox::Column::AttachmentBody).into(),
            )
            .filter(outbox::Column::BookingId.eq(found.id))
            .filter(outbox::Column::SentAt.is_null())
            .exec(txn)
            .await?;
    }
    outbox::Entity::update_many()
        .col_expr(outbox::Column::Recipient, Expr::value(new_email))
        .filter(outbox::Column::BookingId.eq(found.id))
        .filter(outbox::Column::SentAt.is_null())
        .filter(outbox::Column::FailedAt.is_null())
        .exec(txn)
        .await?;
    Ok(true)
}
