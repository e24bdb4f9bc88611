//! Siji (四季): the JSON REST API of a city federation of trade unions. The `siji` binary is a
//! thin wrapper around `cli::run`; everything else lives here so tests can build the real
//! application (`startup::Application`) with the settings they choose.

pub mod auth;
pub mod bootstrap;
pub mod cli;
pub mod config;
pub mod db;
pub mod demo_city;
pub mod docs;
pub mod http;
pub mod jobs;
pub mod resources;
pub mod rows;
pub mod spreadsheet;
pub mod startup;
pub mod state;
pub mod statements;
pub mod telemetry;

// The core's modules keep their old paths here (`crate::pii::…`) while operations move over.
pub use siji_core::{audit, changelog, domain, enums, payouts, pii, sync, tenancy, versioning};

pub use config::Settings;
pub use startup::Application;
