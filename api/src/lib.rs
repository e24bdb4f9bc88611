//! Siji (四季): the JSON REST API of a city federation of trade unions. The `siji` binary is a
//! thin wrapper around `cli::run`; everything else lives here so tests can build the real
//! application (`startup::Application`) with the settings they choose.

pub mod audit;
pub mod auth;
pub mod bootstrap;
pub mod changelog;
pub mod cli;
pub mod config;
pub mod db;
pub mod docs;
pub mod domain;
mod enums;
pub mod http;
pub mod jobs;
pub mod listing;
pub mod pii;
pub mod resources;
pub mod spreadsheet;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod tenancy;
pub mod versioning;

pub use config::Settings;
pub use startup::Application;
