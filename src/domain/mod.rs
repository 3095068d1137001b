//! Types and rules of the domain. No I/O here: values that exist are valid.
pub mod barrier_report;
pub mod district;
pub mod email;
pub mod form;
pub mod language;
pub mod organisation;
pub mod role;
pub mod slug;

pub use district::DistrictKey;
pub use email::Email;
pub use form::FieldErrors;
pub use language::Language;
pub use organisation::OrganisationKind;
pub use role::Role;
pub use slug::Slug;
