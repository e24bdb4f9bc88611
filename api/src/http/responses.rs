//! Reusable OpenAPI responses for the errors every operation can return, each a problem document
//! (`application/problem+json`) referencing the one `Problem` schema. Operations list them as
//! `(status = 404, response = NotFound)`; `docs::CommonResponses` adds the ones that apply to
//! every operation of a kind (500 everywhere, 401 where a token is required, …).
#![allow(dead_code)] // The tuple fields exist only to carry the schema into the document.

use utoipa::ToResponse;

use super::problem::Problem;

/// The request is invalid: a field fails validation (`validation_failed`, with `errors`), the body
/// is not JSON (`invalid_json`), or a query or path parameter is malformed (`invalid_query`,
/// `invalid_path`).
#[derive(ToResponse)]
#[response(content_type = "application/problem+json", example = json!({
    "type": "/problems/validation_failed", "title": "Request is invalid", "status": 400,
    "code": "validation_failed", "detail": "1 field is invalid",
    "request_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f12",
    "errors": [{"field": "name", "code": "length", "message": "has the wrong length"}]
}))]
pub struct BadRequest(Problem);

/// No bearer token, or one that is invalid, expired or revoked (`unauthenticated`).
#[derive(ToResponse)]
#[response(content_type = "application/problem+json", headers(("WWW-Authenticate" = String, description = "`Bearer`")), example = json!({
    "type": "/problems/unauthenticated", "title": "Authentication required", "status": 401,
    "code": "unauthenticated", "detail": "the access token has expired",
    "request_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f12"
}))]
pub struct Unauthorized(Problem);

/// The caller may see the resource but not perform this action (`forbidden`).
#[derive(ToResponse)]
#[response(content_type = "application/problem+json", example = json!({
    "type": "/problems/forbidden", "title": "Not permitted", "status": 403,
    "code": "forbidden", "detail": "your roles do not permit this action",
    "request_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f12"
}))]
pub struct Forbidden(Problem);

/// No such resource, or it lies outside the caller's organisation subtree: the two are
/// indistinguishable on purpose (`not_found`).
#[derive(ToResponse)]
#[response(content_type = "application/problem+json", example = json!({
    "type": "/problems/not_found", "title": "Not found", "status": 404,
    "code": "not_found", "detail": "resource not found",
    "request_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f12"
}))]
pub struct NotFound(Problem);

/// The request conflicts with the current state: a duplicate (`duplicate`) or an operation not
/// allowed in the resource's current state (`conflict`).
#[derive(ToResponse)]
#[response(content_type = "application/problem+json", example = json!({
    "type": "/problems/duplicate", "title": "Already exists", "status": 409,
    "code": "duplicate", "detail": "a record with the same unique key already exists",
    "request_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f12"
}))]
pub struct Conflict(Problem);

/// The money or quota asked for is more than the organisation has available
/// (`insufficient_balance`; `detail` says how much is left), or the campaign is not in a state
/// that allows the movement (`conflict`).
#[derive(ToResponse)]
#[response(content_type = "application/problem+json", example = json!({
    "type": "/problems/insufficient_balance", "title": "Not enough left to allocate or commit", "status": 409,
    "code": "insufficient_balance",
    "detail": "济宁市总工会 has 1200000 fen of this fund source available, 1500000 asked for",
    "request_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f12"
}))]
pub struct BalanceConflict(Problem);

/// The cursor lies before the oldest change the log keeps (`cursor_expired`): the changes since
/// are gone, so copy the records again from the full resync named in `resync` and follow the
/// feed from the `feed_cursor` it gives.
#[derive(ToResponse)]
#[response(content_type = "application/problem+json", example = json!({
    "type": "/problems/cursor_expired", "title": "The cursor is older than the change log", "status": 410,
    "code": "cursor_expired",
    "detail": "the cursor is older than the oldest change kept; copy the records again from /api/v1/sync/snapshot and follow the feed from its feed_cursor",
    "request_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f12",
    "resync": "/api/v1/sync/snapshot"
}))]
pub struct CursorExpired(Problem);

/// `If-Match` names a version that is no longer current; re-read and retry
/// (`precondition_failed`).
#[derive(ToResponse)]
#[response(content_type = "application/problem+json", example = json!({
    "type": "/problems/precondition_failed", "title": "Precondition failed", "status": 412,
    "code": "precondition_failed",
    "detail": "the resource has changed since it was read (If-Match does not match)",
    "request_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f12"
}))]
pub struct PreconditionFailed(Problem);

/// A request with the same `Idempotency-Key` is still being processed; retry after it finishes
/// to get its response (`idempotency_key_in_flight`).
#[derive(ToResponse)]
#[response(content_type = "application/problem+json", example = json!({
    "type": "/problems/idempotency_key_in_flight", "title": "A request with this idempotency key is in progress",
    "status": 409, "code": "idempotency_key_in_flight",
    "detail": "a request with this Idempotency-Key is still being processed; retry later",
    "request_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f12"
}))]
pub struct IdempotencyKeyInFlight(Problem);

/// The `Idempotency-Key` was already used with a different request (another body, path or
/// query); use a new key for a new request (`idempotency_key_reused`).
#[derive(ToResponse)]
#[response(content_type = "application/problem+json", example = json!({
    "type": "/problems/idempotency_key_reused", "title": "Idempotency key reused with a different request",
    "status": 422, "code": "idempotency_key_reused",
    "detail": "idempotency key reused with a different request body",
    "request_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f12"
}))]
pub struct IdempotencyKeyReused(Problem);

/// The request body is larger than the server's limit (`payload_too_large`).
#[derive(ToResponse)]
#[response(content_type = "application/problem+json", example = json!({
    "type": "/problems/payload_too_large", "title": "Request body too large", "status": 413,
    "code": "payload_too_large", "detail": "request body exceeds 1048576 bytes",
    "request_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f12"
}))]
pub struct PayloadTooLarge(Problem);

/// The uploaded file is larger than `SIJI_IMPORT_LIMIT` (`payload_too_large`), or past one of
/// the import limits (`import_limit_exceeded`: rows, columns, filled cells, the unpacked size of
/// an XLSX or its compression ratio; `errors[0].code` names the limit). Nothing of the file is
/// saved.
#[derive(ToResponse)]
#[response(content_type = "application/problem+json", example = json!({
    "type": "/problems/import_limit_exceeded", "title": "File past an import limit", "status": 413,
    "code": "import_limit_exceeded", "detail": "the file has more than 100000 data rows; split it into several files",
    "request_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f12",
    "errors": [{"field": "file", "code": "too_many_rows", "message": "has more than 100000 data rows; split it into several files"}]
}))]
pub struct ImportTooLarge(Problem);

/// The body's `Content-Type` is not one this operation accepts (`unsupported_media_type`).
#[derive(ToResponse)]
#[response(content_type = "application/problem+json", example = json!({
    "type": "/problems/unsupported_media_type", "title": "Unsupported media type", "status": 415,
    "code": "unsupported_media_type", "detail": "expected content type application/json",
    "request_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f12"
}))]
pub struct UnsupportedMediaType(Problem);

/// Too many attempts; wait the number of seconds in `Retry-After` (`too_many_requests`).
#[derive(ToResponse)]
#[response(content_type = "application/problem+json", headers(("Retry-After" = u32, description = "Seconds to wait before retrying")), example = json!({
    "type": "/problems/too_many_requests", "title": "Too many requests", "status": 429,
    "code": "too_many_requests", "detail": "too many requests",
    "request_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f12"
}))]
pub struct TooManyRequests(Problem);

/// An unexpected error. It was logged under `request_id`; the body never says more
/// (`internal_error`).
#[derive(ToResponse)]
#[response(content_type = "application/problem+json", example = json!({
    "type": "/problems/internal_error", "title": "Internal server error", "status": 500,
    "code": "internal_error", "detail": "an internal error occurred; it has been logged",
    "request_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f12"
}))]
pub struct InternalError(Problem);

/// The service or its database is not ready; retry after `Retry-After` seconds
/// (`service_unavailable`).
#[derive(ToResponse)]
#[response(content_type = "application/problem+json", headers(("Retry-After" = u32, description = "Seconds to wait before retrying")), example = json!({
    "type": "/problems/service_unavailable", "title": "Service unavailable", "status": 503,
    "code": "service_unavailable", "detail": "the database is not reachable",
    "request_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f12"
}))]
pub struct ServiceUnavailable(Problem);
