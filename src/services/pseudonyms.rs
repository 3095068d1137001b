//! Keyed hashes of the personal data the database keeps only to recognise it again: a supporter's
//! address (one support per person) and the client address, account or address a throttle counts.
//!
//! A plain SHA-256 of an address can be tested by anyone holding a copy of the database: hash a
//! guessed address and look it up (an IPv4 address has only 2³² values). An HMAC with a key kept
//! outside the database cannot. The key comes from `TEILHABE_PSEUDONYM_KEY`, or, for the embedded
//! SQLite database only, from a key file made in the data directory on first start.
//!
//! Keyed values carry the mark `k1:`, so plain hashes stay recognisable. Every start converts the
//! plain support hashes it finds (those of earlier versions) and forgets plain throttle counts
//! (`adopt`); the hourly housekeeping converts those an old instance still writes during a rolling
//! update (`convert_plain_supports`), and a new support counts them as the person's meanwhile.
//! Converting is idempotent.
//! The database records the key's fingerprint, and a start with another key is refused: instances
//! with different keys would let the same person support twice and split every throttle count.
use std::{
    io::Write,
    path::{Path, PathBuf},
    sync::Arc,
};

use chrono::Utc;
use hmac::{Hmac, Mac};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, sea_query::Expr,
};
use secrecy::ExposeSecret;
use sha2::Sha256;

use crate::{
    config::{ConfigError, Settings},
    db::{
        begin_write,
        entities::{proposal_support, pseudonym_key, throttle_event},
    },
    sealing::Sealer,
    services::sessions::{hash_token, random_token},
};

/// The key file's name in the data directory.
pub const KEY_FILE: &str = "pseudonym.key";

/// Marks a keyed value. Plain hex digests sort before it, so `< MARK` finds the plain ones.
const MARK: &str = "k1:";

/// Makes the pseudonyms; cheap to clone.
#[derive(Clone)]
pub struct Pseudonyms {
    key: Arc<[u8]>,
}

impl std::fmt::Debug for Pseudonyms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pseudonyms(…)")
    }
}

impl Pseudonyms {
    pub fn new(key: &[u8]) -> Self {
        Self { key: key.into() }
    }

    /// The configured key, or the data directory's key file (made on first use).
    pub fn from_settings(settings: &Settings) -> Result<Self, ConfigError> {
        match &settings.pseudonym_key {
            Some(key) => Ok(Self::new(key.expose_secret().as_bytes())),
            None => key_file(&settings.data_dir.join(KEY_FILE)).map(|key| Self::new(&key)),
        }
    }

    /// HMAC-SHA256 of `value` under the key, for one `purpose` (so that the same value gives
    /// unrelated pseudonyms in different tables), hex encoded.
    fn mac(&self, purpose: &str, value: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(purpose.as_bytes());
        mac.update(&[0]);
        mac.update(value);
        hex::encode(mac.finalize().into_bytes())
    }

    /// What a support keeps of the supporter's address. It is the keyed hash of the plain hash
    /// earlier versions stored (`hash_token`), so that their supports convert without the addresses.
    pub fn support_address(&self, email: &str) -> String {
        self.support_address_from_plain(&hash_token(email))
    }

    fn support_address_from_plain(&self, plain_hash: &str) -> String {
        format!(
            "{MARK}{}",
            self.mac("support-address", plain_hash.as_bytes())
        )
    }

    /// A throttle bucket's name: its kind in clear, the counted key (client address, account,
    /// address) as a pseudonym.
    pub fn throttle_bucket(&self, kind: &str, key: &str) -> String {
        format!(
            "{kind}:{MARK}{}",
            &self.mac("throttle", key.to_lowercase().as_bytes())[..32]
        )
    }

    /// Seals what the portal must read back (`crate::sealing`), under a key derived from this one:
    /// the same key file or setting keeps both, and a start with another key is refused.
    pub fn sealer(&self) -> Sealer {
        let mut key = [0u8; 32];
        hex::decode_to_slice(self.mac("sealing-key", b""), &mut key)
            .expect("an HMAC-SHA256 in hex has 32 bytes");
        Sealer::new(&key)
    }

    /// Tells keys apart without revealing them.
    fn fingerprint(&self) -> String {
        self.mac("fingerprint", b"")
    }
}

/// Reads the key file, or makes it: 32 random bytes, hex encoded, readable by the owner only.
/// Published with a hard link, so two processes starting at once end up with the same key.
fn key_file(path: &Path) -> Result<Vec<u8>, ConfigError> {
    let problem = |what: String| {
        ConfigError::new(
            "TEILHABE_PSEUDONYM_KEY",
            format!("not set, and the key file {what}"),
        )
    };
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let key = text.trim();
            if key.chars().count() < crate::config::MIN_PSEUDONYM_KEY_CHARS {
                return Err(problem(format!("{} is too short", path.display())));
            }
            return Ok(key.as_bytes().to_vec());
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(problem(format!("{} cannot be read ({e})", path.display()))),
    }
    // A name of its own: processes in containers sharing the folder may all have the same id.
    let draft = PathBuf::from(format!("{}.{}", path.display(), random_token()));
    let written = (|| {
        if let Some(folder) = path.parent() {
            std::fs::create_dir_all(folder)?;
        }
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&draft)?;
        file.write_all(random_token().as_bytes())?;
        file.sync_all()?;
        match std::fs::hard_link(&draft, path) {
            Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => Err(e),
            _ => Ok(()),
        }
    })();
    let _ = std::fs::remove_file(&draft);
    written.map_err(|e| problem(format!("{} cannot be made ({e})", path.display())))?;
    key_file(path)
}

#[derive(Debug, thiserror::Error)]
pub enum AdoptError {
    #[error(
        "TEILHABE_PSEUDONYM_KEY: differs from the key this database's stored addresses were hashed \
         with. Set the key the other instances use (an embedded installation keeps it in \
         <data dir>/{KEY_FILE})"
    )]
    OtherKey,
    #[error(transparent)]
    Database(#[from] DbErr),
}

/// What [`adopt`] did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Adopted {
    /// The key's fingerprint was recorded now: the first start with a key.
    pub recorded: bool,
    /// Supports whose plain address hash became the keyed one.
    pub converted: u64,
    /// Supports whose plain address hash was removed, because the same person's support with the
    /// keyed hash exists (given twice during a rolling update); both keep counting.
    pub unlinked: u64,
    /// Throttle counts with plain hashes, removed (they hold at most a day of attempts).
    pub forgotten_counts: u64,
}

/// Makes sure the database's pseudonyms are made with `pseudonyms`' key, in one write transaction:
/// records the key's fingerprint on the first start and refuses another key later; converts the
/// plain support hashes and removes the plain throttle counts that earlier versions wrote.
pub async fn adopt(
    db: &DatabaseConnection,
    pseudonyms: &Pseudonyms,
) -> Result<Adopted, AdoptError> {
    let fingerprint = pseudonyms.fingerprint();
    let txn = begin_write(db).await?;
    let mut recorded = pseudonym_key::Entity::find_by_id(1);
    if txn.get_database_backend() == sea_orm::DbBackend::Postgres {
        recorded = recorded.lock_exclusive();
    }
    let mut adopted = Adopted::default();
    match recorded.one(&txn).await? {
        Some(recorded) if recorded.fingerprint != fingerprint => return Err(AdoptError::OtherKey),
        Some(_) => {}
        None => {
            // Instances starting together take turns (the migration lock); the primary key is the
            // last guard.
            pseudonym_key::ActiveModel {
                id: Set(1),
                fingerprint: Set(fingerprint),
                adopted_at: Set(Utc::now()),
            }
            .insert(&txn)
            .await?;
            adopted.recorded = true;
        }
    }
    convert_plain_support_hashes(&txn, pseudonyms, &mut adopted).await?;
    adopted.forgotten_counts = throttle_event::Entity::delete_many()
        .filter(throttle_event::Column::Bucket.not_like(format!("%:{MARK}%")))
        .exec(&txn)
        .await?
        .rows_affected;
    txn.commit().await?;
    Ok(adopted)
}

/// Converts the plain support hashes an instance of an older version wrote since the last start
/// (during a rolling update); run by the hourly housekeeping. Returns how many it converted or
/// unlinked.
pub async fn convert_plain_supports(
    db: &DatabaseConnection,
    pseudonyms: &Pseudonyms,
) -> Result<u64, DbErr> {
    let txn = begin_write(db).await?;
    let mut adopted = Adopted::default();
    convert_plain_support_hashes(&*txn, pseudonyms, &mut adopted).await?;
    txn.commit().await?;
    Ok(adopted.converted + adopted.unlinked)
}

/// Supports with the plain SHA-256 of the address: all of them from before keyed hashes, and any an
/// old instance wrote during a rolling update.
async fn convert_plain_support_hashes(
    txn: &impl ConnectionTrait,
    pseudonyms: &Pseudonyms,
    adopted: &mut Adopted,
) -> Result<(), DbErr> {
    const BATCH: u64 = 1_000;
    loop {
        // Each batch leaves the plain range, so the next one starts at its beginning again.
        let rows: Vec<(i64, i64, String)> = proposal_support::Entity::find()
            .select_only()
            .column(proposal_support::Column::Id)
            .column(proposal_support::Column::ProposalId)
            .column(proposal_support::Column::EmailHash)
            .filter(proposal_support::Column::EmailHash.lt(MARK))
            .order_by_asc(proposal_support::Column::EmailHash)
            .limit(BATCH)
            .into_tuple()
            .all(txn)
            .await?;
        if rows.is_empty() {
            return Ok(());
        }
        for (id, proposal_id, plain) in rows {
            let keyed = pseudonyms.support_address_from_plain(&plain);
            let twice = proposal_support::Entity::find()
                .filter(proposal_support::Column::ProposalId.eq(proposal_id))
                .filter(proposal_support::Column::EmailHash.eq(keyed.as_str()))
                .one(txn)
                .await?
                .is_some();
            let (value, counter) = if twice {
                (None, &mut adopted.unlinked)
            } else {
                (Some(keyed), &mut adopted.converted)
            };
            proposal_support::Entity::update_many()
                .col_expr(proposal_support::Column::EmailHash, Expr::value(value))
                .filter(proposal_support::Column::Id.eq(id))
                .exec(txn)
                .await?;
            *counter += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use sha2::Digest;

    use super::*;

    #[test]
    fn the_same_key_gives_the_same_pseudonyms_and_another_key_others() {
        let one = Pseudonyms::new(b"0123456789abcdef0123456789abcdef");
        let other = Pseudonyms::new(b"0123456789abcdef0123456789abcdeF");
        let address = "erika@example.org";
        assert_eq!(one.support_address(address), one.support_address(address));
        assert_ne!(one.support_address(address), other.support_address(address));
        assert_ne!(one.fingerprint(), other.fingerprint());
        assert!(one.support_address(address).starts_with(MARK));
        let plain = hex::encode(Sha256::digest(address.as_bytes()));
        assert!(plain.as_str() < MARK, "plain hashes sort before the mark");
        assert!(!one.support_address(address).contains(&plain));
    }

    #[test]
    fn a_plain_support_hash_converts_to_the_keyed_one() {
        let pseudonyms = Pseudonyms::new(b"0123456789abcdef0123456789abcdef");
        let plain = hex::encode(Sha256::digest(b"erika@example.org"));
        assert_eq!(
            pseudonyms.support_address_from_plain(&plain),
            pseudonyms.support_address("erika@example.org")
        );
    }

    #[test]
    fn throttle_buckets_keep_their_kind_and_ignore_the_case_of_the_key() {
        let pseudonyms = Pseudonyms::new(b"0123456789abcdef0123456789abcdef");
        let bucket = pseudonyms.throttle_bucket("login", "Erika@Example.org");
        assert!(bucket.starts_with("login:k1:"));
        assert_eq!(bucket.len(), "login:k1:".len() + 32);
        assert_eq!(
            bucket,
            pseudonyms.throttle_bucket("login", "erika@example.org")
        );
        assert_ne!(
            bucket,
            pseudonyms.throttle_bucket("register", "erika@example.org")
        );
        assert!(!bucket.contains("erika"));
    }

    #[test]
    fn the_key_file_is_made_once_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(KEY_FILE);
        let first = key_file(&path).unwrap();
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no draft left"
        );
        assert_eq!(first.len(), 64);
        assert_eq!(key_file(&path).unwrap(), first);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "readable by the owner only");
        }
        std::fs::write(&path, "short").unwrap();
        let refused = key_file(&path).unwrap_err();
        assert!(refused.problem.contains("too short"), "{refused}");
    }
}
