//! What offers are about and whom they are for, and the filters of the public catalogue.
//! The vocabularies in `vocabulary`, the catalogue's filters in `catalogue_filter`, an offer as staff
//! enter it in `offer_form`, and its dates (with the reading of days and local times) in `dates`.
mod catalogue_filter;
mod dates;
mod offer_form;
mod vocabulary;

pub use catalogue_filter::{CatalogueFilter, CatalogueQuery, MAX_PAGE, search_text};
pub use dates::{Capacity, DateForm, DateInput};
pub(crate) use dates::{date, local_instant, local_instant_field};
pub use offer_form::{OfferForm, OfferInput};
pub use vocabulary::{DateStatus, Level, OfferKind, OfferStatus, Support, TargetGroup, Topic};
