//! `/api/v1/minimum-wages`: the local statutory minimum wage (最低工资标准) each county keeps;
//! signed wage agreements may not go below it.

mod handlers;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(handlers::create).service(handlers::list);
}
