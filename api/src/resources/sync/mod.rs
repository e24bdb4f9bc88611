//! `/api/v1/sync`: what county systems and partners use to keep records in step with Siji: the
//! push of enterprises, workers, hardship archives and wage agreements by the client's own ids,
//! the change feed, and the full resync that hands over to it.

pub mod delivery;
pub mod dto;
mod handlers;
mod records;
mod webhooks;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(handlers::changes)
        .service(handlers::snapshot)
        .service(handlers::mappings)
        .service(handlers::push_enterprises)
        .service(handlers::push_workers)
        .service(handlers::push_archives)
        .service(handlers::push_agreements)
        .service(webhooks::create)
        .service(webhooks::list)
        .service(webhooks::remove)
        .service(webhooks::deliveries);
}
