//! The published OpenAPI document: the base from the `siji-openapi` crate, every operation and
//! schema collected from the registered routes, the shared problem responses, and the responses
//! that every operation of a kind can return, added here once so none can be forgotten.

use actix_web::App;
use utoipa::OpenApi;
use utoipa::openapi::path::Operation;
use utoipa::openapi::{OpenApi as Document, Ref, RefOr};
use utoipa_actix_web::AppExt;

use crate::http::problem::{ErrorCode, FieldError, Problem};
use crate::http::responses::*;

#[derive(OpenApi)]
#[openapi(components(
    schemas(Problem, FieldError, ErrorCode),
    responses(
        BadRequest,
        Unauthorized,
        Forbidden,
        NotFound,
        Conflict,
        PreconditionFailed,
        PayloadTooLarge,
        UnsupportedMediaType,
        TooManyRequests,
        InternalError,
        ServiceUnavailable,
    ),
))]
struct SharedComponents;

/// Generate the document from the code. Needs no database and no running server.
pub fn document() -> Document {
    let (_, collected) = App::new()
        .into_utoipa_app()
        .configure(crate::resources::routes)
        .split_for_parts();
    let mut doc = siji_openapi::base_document();
    doc.merge(collected);
    doc.merge(SharedComponents::openapi());
    add_common_responses(&mut doc);
    doc
}

/// Every operation of the document with its path and method, for checks and rewrites.
pub fn operations_mut(
    doc: &mut Document,
) -> impl Iterator<Item = (&String, &'static str, &mut Operation)> {
    doc.paths.paths.iter_mut().flat_map(|(path, item)| {
        [
            ("get", item.get.as_mut()),
            ("post", item.post.as_mut()),
            ("put", item.put.as_mut()),
            ("patch", item.patch.as_mut()),
            ("delete", item.delete.as_mut()),
        ]
        .into_iter()
        .filter_map(move |(method, op)| op.map(|op| (path, method, op)))
    })
}

fn ensure(op: &mut Operation, status: &str, response: &str) {
    op.responses
        .responses
        .entry(status.to_owned())
        .or_insert_with(|| RefOr::Ref(Ref::from_response_name(response)));
}

/// The statuses an operation can return because of what it is, not what it does: any operation
/// can fail with 500; one with parameters can get malformed ones (400); one with a body can get a
/// bad, oversized or mistyped body (400, 413, 415); one behind a token can get a bad token (401).
fn add_common_responses(doc: &mut Document) {
    for (_, _, op) in operations_mut(doc) {
        ensure(op, "500", "InternalError");
        if op.parameters.as_ref().is_some_and(|p| !p.is_empty()) {
            ensure(op, "400", "BadRequest");
        }
        if op.request_body.is_some() {
            ensure(op, "400", "BadRequest");
            ensure(op, "413", "PayloadTooLarge");
            ensure(op, "415", "UnsupportedMediaType");
        }
        let protected = op
            .security
            .as_ref()
            .is_some_and(|reqs| reqs.iter().any(|r| r != &Default::default()));
        if protected {
            ensure(op, "401", "Unauthorized");
        }
    }
}
