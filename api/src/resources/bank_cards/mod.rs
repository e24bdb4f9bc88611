//! `/api/v1/bank-cards` and `/api/v1/banks`: the cards aid is paid to, and the banks Siji pays
//! through.

pub mod dto;
mod handlers;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(handlers::banks)
        .service(handlers::register)
        .service(handlers::list)
        .service(handlers::get)
        .service(handlers::replace)
        .service(handlers::reveal);
}
