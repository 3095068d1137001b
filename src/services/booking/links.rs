//! Booking links still kept in clear are sealed (see `crate::sealing`): those of versions before
//! migration 35, converted at start, and those an instance of an older version writes during a
//! rolling update, converted by the hourly housekeeping. Such an instance also anonymises without
//! knowing the sealed link; the housekeeping removes it then.
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::Expr,
};

use crate::{
    db::entities::booking,
    sealing::{Purpose, Sealer},
};

/// Links read and sealed at a time: a large database is converted in short steps.
const BATCH: u64 = 500;

/// Seals every booking link kept in clear, and removes the sealed links of anonymised bookings;
/// returns how many links changed. Each row is converted only if its link is still the one read,
/// so instances converting at once, or a change of address meanwhile, are safe, and running it
/// again converts nothing twice.
pub async fn seal_plain_links(db: &DatabaseConnection, sealer: &Sealer) -> Result<u64, DbErr> {
    let mut sealed = booking::Entity::update_many()
        .col_expr(
            booking::Column::ManageLinkSealed,
            Expr::value(Option::<String>::None),
        )
        .filter(booking::Column::AnonymisedAt.is_not_null())
        .filter(booking::Column::ManageLinkSealed.is_not_null())
        .exec(db)
        .await?
        .rows_affected;
    let mut after = 0i64;
    loop {
        let plain: Vec<(i64, String)> = booking::Entity::find()
            .select_only()
            .columns([booking::Column::Id, booking::Column::ManageToken])
            .filter(booking::Column::Id.gt(after))
            .filter(booking::Column::ManageToken.is_not_null())
            .order_by_asc(booking::Column::Id)
            .limit(BATCH)
            .into_tuple()
            .all(db)
            .await?;
        let Some((last, _)) = plain.last() else {
            return Ok(sealed);
        };
        after = *last;
        for (id, token) in plain {
            sealed += booking::Entity::update_many()
                .col_expr(
                    booking::Column::ManageLinkSealed,
                    Expr::value(sealer.seal(Purpose::BookingLink, &token)),
                )
                .col_expr(
                    booking::Column::ManageToken,
                    Expr::value(Option::<String>::None),
                )
                .filter(booking::Column::Id.eq(id))
                .filter(booking::Column::ManageToken.eq(token))
                .exec(db)
                .await?
                .rows_affected;
        }
    }
}
