//! Teilhabe: courses, dialogue events and proposals for digital participation in Thuringia.
pub mod background;
pub mod calendar;
pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod export;
pub mod i18n;
pub mod mail;
pub mod policy;
pub mod sealing;
pub mod search;
pub mod seed;
pub mod services;
pub mod startup;
pub mod telemetry;
pub mod web;
