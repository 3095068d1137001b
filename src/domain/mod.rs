//! Types and rules of the domain. No I/O here: values that exist are valid.

/// A closed vocabulary stored by its key; labels live in the translation catalogue as `<prefix>-<key>`.
macro_rules! vocabulary {
    ($(#[$doc:meta])* $name:ident, $error:literal, { $($variant:ident => $key:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),+ }

        vocabulary_keys!($name, $error, { $($variant => $key),+ });
    };
}

/// `ALL`, `key` and `parse` of a vocabulary; `parse` also takes the older keys after a key.
macro_rules! vocabulary_keys {
    ($name:ident, $error:literal, { $($variant:ident => $key:literal $(| $legacy:literal)*),+ }) => {
        impl $name {
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];
            pub fn key(self) -> &'static str {
                match self { $(Self::$variant => $key),+ }
            }
            pub fn parse(raw: &str) -> Result<Self, &'static str> {
                match raw.trim() {
                    $($key $(| $legacy)* => Ok(Self::$variant),)+
                    _ => Err($error),
                }
            }
        }
    };
}

/// A closed vocabulary of states or kinds stored in a text column by its (English) key: a sea-orm
/// active enum, so entity fields and queries hold the enum and never a literal. Keys that older
/// versions stored or linked to may follow a key (`Variant => "key" | "old-key"`): `parse` still
/// accepts them (bookmarked links, imported files), while only the key is stored and shown.
macro_rules! stored_vocabulary {
    ($(#[$doc:meta])* $name:ident, $error:literal, { $($variant:ident => $key:literal $(| $legacy:literal)*),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, sea_orm::EnumIter, sea_orm::DeriveActiveEnum)]
        #[sea_orm(rs_type = "String", db_type = "String(sea_orm::sea_query::StringLen::None)")]
        pub enum $name { $(#[sea_orm(string_value = $key)] $variant),+ }

        vocabulary_keys!($name, $error, { $($variant => $key $(| $legacy)*),+ });

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.key())
            }
        }

        /// Templates and JSON see the key.
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.key())
            }
        }
    };
}

pub mod account;
pub mod barrier_report;
pub mod booking;
pub mod course_alert;
pub mod cursor;
pub mod district;
pub mod email;
pub mod export_job;
pub mod feedback;
pub mod form;
pub mod language;
pub mod offer;
pub mod organisation;
pub mod password;
pub mod person_name;
pub mod proposal;
pub mod role;
pub mod slug;
pub mod text;
pub mod volunteering;

pub use district::DistrictKey;
pub use email::Email;
pub use form::FieldErrors;
pub use language::Language;
pub use organisation::OrganisationKind;
pub use person_name::PersonName;
pub use role::Role;
pub use slug::Slug;
