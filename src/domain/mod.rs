//! Types and rules of the domain. No I/O here: values that exist are valid.

/// A closed vocabulary stored by its key; labels live in the translation catalogue as `<prefix>-<key>`.
macro_rules! vocabulary {
    ($(#[$doc:meta])* $name:ident, $error:literal, { $($variant:ident => $key:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];
            pub fn key(self) -> &'static str {
                match self { $(Self::$variant => $key),+ }
            }
            pub fn parse(raw: &str) -> Result<Self, &'static str> {
                match raw.trim() {
                    $($key => Ok(Self::$variant),)+
                    _ => Err($error),
                }
            }
        }
    };
}

pub mod account;
pub mod barrier_report;
pub mod booking;
pub mod course_alert;
pub mod district;
pub mod email;
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
