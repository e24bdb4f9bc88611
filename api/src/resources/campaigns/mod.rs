//! `/api/v1/campaigns`: the "Four Seasons" aid campaigns (四季服务), their fund sources and their
//! lifecycle, and their money as it is allocated down the tree (ledger, holdings, balance check).

pub mod dto;
mod handlers;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(handlers::create)
        .service(handlers::list)
        .service(handlers::get)
        .service(handlers::update)
        .service(handlers::open)
        .service(handlers::close)
        .service(handlers::settle)
        .service(handlers::cancel)
        .service(handlers::allocate)
        .service(handlers::ledger)
        .service(handlers::export_ledger)
        .service(handlers::holdings)
        .service(handlers::export_holdings)
        .service(handlers::balance_check);
}
