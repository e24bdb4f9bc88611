//! `/api/v1/beneficiaries`: the hardship archive (困难职工档案). "Archive first, then aid; aid only
//! by the archive" (先建档，后帮扶；依档帮扶): every grant will point at an archive here.

pub mod dto;
mod handlers;

mod present;

pub(crate) use present::responses;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(cfg: &mut ServiceConfig) {
    // `/beneficiaries/export` before `/beneficiaries/{id}`.
    cfg.service(handlers::create)
        .service(handlers::list)
        .service(handlers::export_list)
        .service(handlers::get)
        .service(handlers::update)
        .service(handlers::reveal_member)
        .service(handlers::verify)
        .service(handlers::reverify)
        .service(handlers::lift_out)
        .service(handlers::cancel)
        .service(handlers::follow_up)
        .service(handlers::reopen)
        .service(handlers::counts);
}
