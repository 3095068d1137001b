//! sea-orm entities, one file per table. Behaviour lives in the services, not here.
pub mod barrier_report;
pub mod district;
pub mod organisation;
pub mod user;
pub mod user_role;
pub mod venue;
