//! Facts about the request that audit events and throttling need: its id and the client's IP.

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};

use crate::http::ApiError;
use crate::http::request_id::RequestId;
use crate::state::AppState;

#[derive(Debug, Clone, Default)]
pub struct RequestMeta {
    pub request_id: Option<String>,
    pub client_ip: Option<String>,
}

impl RequestMeta {
    pub fn of(req: &HttpRequest) -> Self {
        let trust_forwarded = req
            .app_data::<web::Data<AppState>>()
            .is_some_and(|s| s.settings.auth.trust_forwarded_for);
        // Behind a trusted proxy the client is in X-Forwarded-For; otherwise that header is
        // the client's own word and must not decide throttling.
        let client_ip = if trust_forwarded {
            req.connection_info()
                .realip_remote_addr()
                .map(str::to_owned)
        } else {
            req.peer_addr().map(|a| a.ip().to_string())
        };
        Self {
            request_id: req.extensions().get::<RequestId>().map(|r| r.0.clone()),
            client_ip,
        }
    }
}

impl FromRequest for RequestMeta {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(Ok(Self::of(req)))
    }
}
