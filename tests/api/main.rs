//! All integration tests in one binary (one link step).
mod helpers;

mod accounts;
mod authorization;
mod barrier_report;
mod booking;
mod cli;
mod content_pages;
mod courses;
mod csrf;
mod demo_data;
mod events;
mod export;
mod feedback;
mod impact;
mod json_api;
mod kiosk;
mod language;
mod links;
mod migrations;
mod offer_admin;
mod operations;
mod page_cache;
mod page_shell;
mod proposals;
mod smtp;
mod venues;
