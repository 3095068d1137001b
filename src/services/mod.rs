//! Features, one module each: they take parsed domain values, talk to the database and return results.
pub mod accounts;
pub mod admin;
pub mod audit;
pub mod barrier_reports;
pub mod booking;
pub mod bulk_data;
pub mod catalogue;
pub mod content;
pub mod csv_rows;
pub mod demo;
mod demo_courses;
pub mod offer_admin;
pub mod proposals;
pub mod reference;
pub mod sessions;
pub mod throttle;
pub mod users;
pub mod venues;
