//! Request ids and the last line of defence for error bodies.
//!
//! Every request gets an id (the caller's `X-Request-Id` when it is sane, else a fresh UUIDv7),
//! a tracing span that carries it through the logs, and the id echoed in the response; its end
//! is logged and counted in the metrics under its route template, with its latency. Error
//! responses are normalised here, once: a problem body gets its `request_id` filled in, and an
//! error produced by a framework layer in plain text or HTML (a CORS rejection, an unmatched
//! route, …) is replaced by the problem document for its status. Query strings are never logged:
//! they may carry search terms that are personal data.

use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::error::InternalError;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, HttpResponse};
use tracing::Instrument;
use uuid::Uuid;

use super::metrics;
use super::problem::{ErrorCode, PROBLEM_CONTENT_TYPE, Problem};

pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// The id of the current request, available to handlers as an extension.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// Accept a caller's id only if it is short and plain, so it is safe to log and echo.
fn sane(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let id = req
        .headers()
        .get(&REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| sane(v))
        .map_or_else(|| Uuid::now_v7().to_string(), str::to_owned);
    req.extensions_mut().insert(RequestId(id.clone()));
    let metrics = req
        .app_data::<actix_web::web::Data<crate::state::AppState>>()
        .map(|state| state.metrics.clone());
    let method = req.method().clone();

    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method = %req.method(),
        path = %req.path(),
    );
    let started = Instant::now();
    let outcome = next.call(req).instrument(span.clone()).await;
    let (status, route, result) = match outcome {
        Ok(res) => {
            let (req, res) = res.map_into_boxed_body().into_parts();
            let res = finish(res, &id);
            let route = req.match_pattern();
            (res.status(), route, Ok(ServiceResponse::new(req, res)))
        }
        // An error that escaped the handlers (from a middleware) is answered by the server from
        // its `error_response`: hand it a normalised one.
        Err(err) => {
            let res = finish(err.error_response(), &id);
            let status = res.status();
            (
                status,
                None,
                Err(InternalError::from_response(err.to_string(), res).into()),
            )
        }
    };
    let elapsed = started.elapsed();
    let route = route.as_deref().unwrap_or(metrics::UNMATCHED);
    if let Some(metrics) = metrics {
        metrics.observe(method.as_str(), route, status.as_u16(), elapsed);
    }
    span.in_scope(|| {
        tracing::info!(
            route,
            status = status.as_u16(),
            elapsed_ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
            "request finished"
        );
    });
    result
}

/// Echo the request id and make sure an error response is a problem document carrying it.
fn finish(res: HttpResponse<BoxBody>, id: &str) -> HttpResponse<BoxBody> {
    let mut res = if res.status().is_client_error() || res.status().is_server_error() {
        normalise_error(res, id)
    } else {
        res
    };
    if let Ok(value) = HeaderValue::from_str(id) {
        res.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    res
}

fn normalise_error(res: HttpResponse<BoxBody>, id: &str) -> HttpResponse<BoxBody> {
    let status = res.status();
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with(PROBLEM_CONTENT_TYPE));
    let (head, body) = res.into_parts();

    let mut problem = if is_problem {
        // Problem bodies are small and in memory; anything else would be a bug upstream.
        body.try_into_bytes()
            .ok()
            .and_then(|bytes| serde_json::from_slice::<Problem>(&bytes).ok())
            .unwrap_or_else(|| Problem::new(ErrorCode::for_status(status), None))
    } else {
        let code = ErrorCode::for_status(status);
        Problem::new(code, Some(code.title().to_owned()))
    };
    // A framework layer may use a status we have no code of our own for; keep its status.
    problem.status = status.as_u16();
    problem.request_id = Some(id.to_owned());

    let mut builder = HttpResponse::build(status);
    for (name, value) in head.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            builder.append_header((name.clone(), value.clone()));
        }
    }
    builder.content_type(PROBLEM_CONTENT_TYPE);
    builder.body(serde_json::to_vec(&problem).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::sane;

    #[test]
    fn request_ids_must_be_plain() {
        assert!(sane("abc-123_x.y:z"));
        assert!(!sane(""));
        assert!(!sane("has space"));
        assert!(!sane("line\nbreak"));
        assert!(!sane(&"a".repeat(129)));
    }
}
