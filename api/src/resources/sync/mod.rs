//! `/api/v1/sync`: what county systems and partners use to keep their copy of the records in
//! step: the change feed and the full resync that hands over to it. The batch push by external
//! ids is to come.

pub mod dto;
mod handlers;
mod records;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(handlers::changes).service(handlers::snapshot);
}
