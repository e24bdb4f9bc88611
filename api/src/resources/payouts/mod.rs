//! `/api/v1/payout-batches` and `/api/v1/payouts`: approved grants paid to their payees' cards,
//! in batches built by one person and approved by another, and each payout's outcome.

pub mod dto;
mod handlers;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(handlers::build)
        .service(handlers::list_batches)
        .service(handlers::get_batch)
        .service(handlers::approve)
        .service(handlers::cancel)
        .service(handlers::list_payouts)
        .service(handlers::get_payout)
        .service(handlers::settle)
        .service(handlers::awaiting_card)
        .service(handlers::export_batch)
        .service(handlers::download)
        .service(handlers::results)
        .service(handlers::sample)
        .service(handlers::list_checks)
        .service(handlers::record_check)
        .service(handlers::check_summary)
        .service(handlers::link)
        .service(handlers::list_layouts)
        .service(handlers::create_layout);
}

/// The route a bank file's short-lived link points at, outside `/api/v1` (it takes no bearer
/// token: the link is the credential).
pub fn configure_downloads(cfg: &mut ServiceConfig) {
    cfg.service(handlers::download_by_link);
}

pub use handlers::{run_export, run_results};
