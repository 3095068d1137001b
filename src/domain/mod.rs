//! Types and rules of the domain. No I/O here: values that exist are valid.
pub mod account;
pub mod barrier_report;
pub mod booking;
pub mod district;
pub mod email;
pub mod form;
pub mod language;
pub mod offer;
pub mod organisation;
pub mod password;
pub mod person_name;
pub mod role;
pub mod slug;

pub use district::DistrictKey;
pub use email::Email;
pub use form::FieldErrors;
pub use language::Language;
pub use organisation::OrganisationKind;
pub use person_name::PersonName;
pub use role::Role;
pub use slug::Slug;
