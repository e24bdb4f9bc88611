//! `/api/v1/imports/*`: spreadsheets from county staff into the registry, with templates.

mod columns;
mod dto;
mod handlers;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(handlers::worker_template)
        .service(handlers::enterprise_template)
        .service(handlers::import_workers)
        .service(handlers::import_enterprises)
        .service(handlers::agreement_template)
        .service(handlers::import_agreements)
        .service(handlers::beneficiary_template)
        .service(handlers::import_beneficiaries);
}
