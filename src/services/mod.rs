//! Features, one module each: they take parsed domain values, talk to the database and return results.
pub mod barrier_reports;
pub mod content;
pub mod csv_rows;
pub mod demo;
pub mod reference;
pub mod users;
pub mod venues;
