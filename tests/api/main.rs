//! The one integration-test binary: every module talks to a real server over HTTP.
// This whole crate is test code: a failed expectation should fail the test loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// Its numbers are its own fixtures, not input from outside.
#![allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_possible_wrap
)]

mod access;
mod agreements;
mod audit;
mod auth;
mod beneficiaries;
mod campaigns;
mod changes;
mod crash;
mod demo_city;
mod docs;
mod errors;
mod grants;
mod hardening;
mod health;
mod helpers;
mod imports;
mod instances;
mod jobs;
mod key_rotation;
mod migrations;
mod orgs;
mod payouts;
mod races;
mod registry;
mod scenarios;
mod sync;
mod tenancy;
mod tokens;
mod webhooks;
