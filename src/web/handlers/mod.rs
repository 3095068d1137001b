pub mod account;
pub mod admin;
pub mod auth;
pub mod barrier_report;
pub mod content_pages;
pub mod home;
pub mod operations;
pub mod venues;
