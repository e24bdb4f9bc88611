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
        .service(handlers::results);
}

pub use handlers::{run_export, run_results};
