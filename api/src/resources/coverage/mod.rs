//! `/api/v1/stats/wage-agreement-coverage`: the share of unionised enterprises covered by a
//! collective wage agreement in force (建制率), on any date, by county, industry or mode, with
//! the enterprises behind each number. What the figures mean is `siji_core::agreements::coverage`.

mod handlers;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(handlers::coverage)
        .service(handlers::export_coverage)
        .service(handlers::coverage_enterprises);
}
