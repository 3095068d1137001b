//! Booking links still kept in clear are sealed (see `crate::sealing`) by the hourly housekeeping:
//! those of versions before migration 35, and those an instance of an older version writes during
//! the rolling update that brings it. The links in clear of earlier bookings are sealed only once
//! that update is surely over ([`ROLLOUT`]): until then, older instances still read them for their
//! mails, the account's list and the receipts. An older instance also anonymises without knowing
//! the sealed link; the housekeeping removes it then.
use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
    sea_query::{Alias, Expr, ExprTrait, Query},
};

use crate::{db::entities::booking, sealing::Sealer, services::sessions};

/// A booking's new link: the secret the person gets, the hash the booking is found by
/// (`cancel_token_hash`) and the sealed secret it keeps (`manage_link_sealed`), made together so
/// the seal is bound to its own hash.
pub struct NewLink {
    pub secret: String,
    pub hash: String,
    pub sealed: String,
}

impl NewLink {
    pub fn new(sealer: &Sealer) -> Self {
        let secret = sessions::random_token();
        let hash = sessions::hash_token(&secret);
        let sealed = booking::sealed_link(sealer, &secret, &hash);
        Self {
            secret,
            hash,
            sealed,
        }
    }
}

/// Links read and sealed at a time: a large database is converted in short steps.
const BATCH: u64 = 500;

/// The migration that brought sealed links.
const SEALING_MIGRATION: &str = "m20261207_000035_sealed_booking_links";

/// How long after that migration links in clear are left for instances of the older version.
pub const ROLLOUT: chrono::Duration = chrono::Duration::hours(1);

/// The housekeeping's step: removes the sealed links of anonymised bookings, and seals the links
/// in clear once [`ROLLOUT`] has passed since migration 35. Returns how many links changed.
pub async fn tidy(
    db: &DatabaseConnection,
    sealer: &Sealer,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let forgotten = forget_links_of_anonymised(db).await?;
    let sealed = match sealing_migrated_at(db).await? {
        Some(migrated) if now - migrated >= ROLLOUT => seal_plain_links(db, sealer).await?,
        _ => 0,
    };
    Ok(forgotten + sealed)
}

/// When migration 35 was applied here.
async fn sealing_migrated_at(db: &DatabaseConnection) -> Result<Option<DateTime<Utc>>, DbErr> {
    let query = Query::select()
        .column(Alias::new("applied_at"))
        .from(Alias::new("seaql_migrations"))
        .and_where(Expr::col(Alias::new("version")).eq(SEALING_MIGRATION))
        .to_owned();
    let Some(row) = db.query_one(&query).await? else {
        return Ok(None);
    };
    let seconds: i64 = row.try_get("", "applied_at")?;
    Ok(DateTime::from_timestamp(seconds, 0))
}

/// Removes the sealed links of anonymised bookings (an older instance anonymised them).
async fn forget_links_of_anonymised(db: &DatabaseConnection) -> Result<u64, DbErr> {
    Ok(booking::Entity::update_many()
        .col_expr(
            booking::Column::ManageLinkSealed,
            Expr::value(Option::<String>::None),
        )
        .filter(booking::Column::AnonymisedAt.is_not_null())
        .filter(booking::Column::ManageLinkSealed.is_not_null())
        .exec(db)
        .await?
        .rows_affected)
}

/// Seals every booking link kept in clear; returns how many. Each row is converted only if its
/// link is still the one read, so instances converting at once, or a change of address meanwhile,
/// are safe, and running it again converts nothing twice.
async fn seal_plain_links(db: &DatabaseConnection, sealer: &Sealer) -> Result<u64, DbErr> {
    let mut sealed = 0;
    let mut after = 0i64;
    loop {
        let plain: Vec<(i64, String, String)> = booking::Entity::find()
            .select_only()
            .columns([
                booking::Column::Id,
                booking::Column::ManageToken,
                booking::Column::CancelTokenHash,
            ])
            .filter(booking::Column::Id.gt(after))
            .filter(booking::Column::ManageToken.is_not_null())
            .order_by_asc(booking::Column::Id)
            .limit(BATCH)
            .into_tuple()
            .all(db)
            .await?;
        let Some((last, ..)) = plain.last() else {
            return Ok(sealed);
        };
        after = *last;
        for (id, token, token_hash) in plain {
            sealed += booking::Entity::update_many()
                .col_expr(
                    booking::Column::ManageLinkSealed,
                    Expr::value(booking::sealed_link(sealer, &token, &token_hash)),
                )
                .col_expr(
                    booking::Column::ManageToken,
                    Expr::value(Option::<String>::None),
                )
                .filter(booking::Column::Id.eq(id))
                .filter(booking::Column::ManageToken.eq(token))
                .filter(booking::Column::CancelTokenHash.eq(token_hash))
                .exec(db)
                .await?
                .rows_affected;
        }
    }
}
