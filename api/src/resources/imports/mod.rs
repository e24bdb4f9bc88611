//! `/api/v1/imports/*`: spreadsheets from county staff into the registry, with templates.

mod columns;
mod dto;
mod handlers;
mod households;
mod rows;
mod templates;

pub(crate) use dto::ImportForm;
pub use dto::ImportReport;
pub(crate) use rows::upload;
pub use rows::{ImportKind, run};

use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(templates::worker_template)
        .service(templates::enterprise_template)
        .service(handlers::import_workers)
        .service(handlers::import_enterprises)
        .service(templates::agreement_template)
        .service(handlers::import_agreements)
        .service(templates::beneficiary_template)
        .service(households::import_beneficiaries);
}
