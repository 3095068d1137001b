//! sea-orm entities, one file per table. Behaviour lives in the services, not here.
pub mod account_token;
pub mod audit_log;
pub mod barrier_report;
pub mod booking;
pub mod district;
pub mod offer;
pub mod offer_date;
pub mod organisation;
pub mod outbox;
pub mod session;
pub mod staff_task;
pub mod throttle_event;
pub mod user;
pub mod user_role;
pub mod venue;
