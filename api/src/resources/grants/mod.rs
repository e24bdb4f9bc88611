//! `/api/v1/grants` and `/api/v1/grant-notices`: recipients of campaigns, their workflow from
//! submission to approval, and the public notices (公示) in between.

pub mod dto;
mod handlers;
mod notice_page;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(handlers::bulk_verify)
        .service(handlers::bulk_approve)
        .service(handlers::bulk_reject)
        .service(handlers::submit)
        .service(handlers::list)
        .service(handlers::get)
        .service(handlers::verify)
        .service(handlers::approve)
        .service(handlers::reject)
        .service(handlers::withdraw)
        .service(handlers::create_notice)
        .service(handlers::get_notice)
        .service(handlers::export_notice)
        .service(handlers::print_notice)
        .service(handlers::record_objection)
        .service(handlers::list_objections)
        .service(handlers::resolve_objection)
        .service(handlers::figures)
        .service(handlers::bulk);
}

pub use handlers::run_bulk;

/// The routes anyone may call without signing in, outside `/api/v1`.
pub fn configure_public(cfg: &mut ServiceConfig) {
    cfg.service(handlers::public_notice);
}
