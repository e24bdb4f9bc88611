//! The one error type of the API and its RFC 9457 (`application/problem+json`) body.
//!
//! Handlers return `Result<_, ApiError>`; this module is the only place that decides which HTTP
//! status and which stable machine `code` a failure gets. Database errors are classified here so
//! that a constraint violation becomes a client error and anything else a logged 500 with a
//! generic body: a database failure is never reported as 404 or 401.

use std::time::Duration;

use actix_web::http::{Method, StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use sea_orm::{DbErr, SqlErr};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub const PROBLEM_CONTENT_TYPE: &str = "application/problem+json";

/// Stable machine-readable error codes. Clients branch on `code`, never on `title` or `detail`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// 400: one or more fields are invalid; see `errors`.
    ValidationFailed,
    /// 400: the body is not well-formed JSON.
    InvalidJson,
    /// 400: a query parameter is unknown or malformed.
    InvalidQuery,
    /// 400: a path parameter (usually an id) is malformed.
    InvalidPath,
    /// 400: a header is malformed or not allowed (e.g. a CORS `Origin` that is not configured).
    InvalidHeader,
    /// 400: the request is malformed in a way no more specific code describes.
    BadRequest,
    /// 401: no credentials, or credentials that are invalid or expired.
    Unauthenticated,
    /// 403: authenticated, but this action is not permitted for the caller.
    Forbidden,
    /// 404: no such resource, or it lies outside the caller's organisation subtree.
    NotFound,
    /// 405: the path exists but not with this method; see the `Allow` header.
    MethodNotAllowed,
    /// 409: the request conflicts with the current state of the resource.
    Conflict,
    /// 409: a record with the same unique key already exists.
    Duplicate,
    /// 409: the county keeps no minimum living standard (低保标准) for the year, so hardship
    /// cannot be assessed; an administrator records one at `POST /api/v1/living-standards`.
    LivingStandardMissing,
    /// 409: an organisation has less of a campaign's money (of that fund source) or quota
    /// available than the operation needs; `detail` says how much is left.
    InsufficientBalance,
    /// 410: a change-feed cursor from before the oldest change the log keeps (see
    /// `SIJI_SYNC_RETENTION_DAYS`); copy the records again from the full resync named in
    /// `resync` (全量同步) and follow the feed from its `feed_cursor`.
    CursorExpired,
    /// 412: `If-Match` does not match the current version.
    PreconditionFailed,
    /// 413: the request body is larger than the configured limit.
    PayloadTooLarge,
    /// 413: an uploaded file is past one of the import limits (rows, columns, cells, unpacked
    /// size, compression ratio); `errors[0].code` names the limit.
    ImportLimitExceeded,
    /// 415: the request body has a content type this operation does not accept.
    UnsupportedMediaType,
    /// 409: a request with the same `Idempotency-Key` is still being processed.
    IdempotencyKeyInFlight,
    /// 422: an `Idempotency-Key` was reused with a different request body.
    IdempotencyKeyReused,
    /// 429: too many requests; retry after the number of seconds in `Retry-After`.
    TooManyRequests,
    /// 500: an internal error; it has been logged under the `request_id`.
    InternalError,
    /// 503: the service (or its database) is not ready; retry later.
    ServiceUnavailable,
}

impl ErrorCode {
    pub fn status(self) -> StatusCode {
        use ErrorCode::*;
        match self {
            ValidationFailed | InvalidJson | InvalidQuery | InvalidPath | InvalidHeader
            | BadRequest => StatusCode::BAD_REQUEST,
            Unauthenticated => StatusCode::UNAUTHORIZED,
            Forbidden => StatusCode::FORBIDDEN,
            NotFound => StatusCode::NOT_FOUND,
            MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Conflict
            | Duplicate
            | LivingStandardMissing
            | InsufficientBalance
            | IdempotencyKeyInFlight => StatusCode::CONFLICT,
            CursorExpired => StatusCode::GONE,
            PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            PayloadTooLarge | ImportLimitExceeded => StatusCode::PAYLOAD_TOO_LARGE,
            UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            IdempotencyKeyReused => StatusCode::UNPROCESSABLE_ENTITY,
            TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            InternalError => StatusCode::INTERNAL_SERVER_ERROR,
            ServiceUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    pub fn title(self) -> &'static str {
        use ErrorCode::*;
        match self {
            ValidationFailed => "Request is invalid",
            InvalidJson => "Request body is not valid JSON",
            InvalidQuery => "Query parameters are invalid",
            InvalidPath => "Path parameter is invalid",
            InvalidHeader => "Header is invalid",
            BadRequest => "Bad request",
            Unauthenticated => "Authentication required",
            Forbidden => "Not permitted",
            NotFound => "Not found",
            MethodNotAllowed => "Method not allowed",
            Conflict => "Conflict with the current state",
            Duplicate => "Already exists",
            LivingStandardMissing => "No minimum living standard for the year",
            InsufficientBalance => "Not enough left to allocate or commit",
            CursorExpired => "The cursor is older than the change log",
            PreconditionFailed => "Precondition failed",
            PayloadTooLarge => "Request body too large",
            ImportLimitExceeded => "File past an import limit",
            UnsupportedMediaType => "Unsupported media type",
            IdempotencyKeyInFlight => "A request with this idempotency key is in progress",
            IdempotencyKeyReused => "Idempotency key reused with a different request",
            TooManyRequests => "Too many requests",
            InternalError => "Internal server error",
            ServiceUnavailable => "Service unavailable",
        }
    }

    /// Every code, for the catalogue.
    pub const ALL: [ErrorCode; 24] = {
        use ErrorCode::*;
        [
            ValidationFailed,
            InvalidJson,
            InvalidQuery,
            InvalidPath,
            InvalidHeader,
            BadRequest,
            Unauthenticated,
            Forbidden,
            NotFound,
            MethodNotAllowed,
            Conflict,
            Duplicate,
            LivingStandardMissing,
            InsufficientBalance,
            CursorExpired,
            PreconditionFailed,
            PayloadTooLarge,
            ImportLimitExceeded,
            UnsupportedMediaType,
            IdempotencyKeyInFlight,
            IdempotencyKeyReused,
            TooManyRequests,
            InternalError,
            ServiceUnavailable,
        ]
    };

    /// The Chinese words a front-end may show for the code.
    pub fn label(self) -> &'static str {
        use ErrorCode::*;
        match self {
            ValidationFailed => "填写有误",
            InvalidJson => "请求格式错误",
            InvalidQuery => "查询参数有误",
            InvalidPath => "地址参数有误",
            InvalidHeader => "请求头有误",
            BadRequest => "请求有误",
            Unauthenticated => "未登录或登录已失效",
            Forbidden => "无此权限",
            NotFound => "记录不存在",
            MethodNotAllowed => "不支持此操作",
            Conflict => "与当前状态冲突",
            Duplicate => "记录已存在",
            LivingStandardMissing => "未录入当年低保标准",
            InsufficientBalance => "可用资金或名额不足",
            CursorExpired => "同步游标已过期，请全量同步",
            PreconditionFailed => "记录已被他人修改",
            PayloadTooLarge => "文件或请求过大",
            ImportLimitExceeded => "文件超出导入限制",
            UnsupportedMediaType => "不支持的文件类型",
            IdempotencyKeyInFlight => "相同请求正在处理",
            IdempotencyKeyReused => "幂等键已用于其他请求",
            TooManyRequests => "请求过于频繁",
            InternalError => "系统内部错误",
            ServiceUnavailable => "服务暂不可用",
        }
    }

    /// The snake_case name, as it appears in `code` and in the problem `type`.
    pub fn as_str(self) -> &'static str {
        use ErrorCode::*;
        match self {
            ValidationFailed => "validation_failed",
            InvalidJson => "invalid_json",
            InvalidQuery => "invalid_query",
            InvalidPath => "invalid_path",
            InvalidHeader => "invalid_header",
            BadRequest => "bad_request",
            Unauthenticated => "unauthenticated",
            Forbidden => "forbidden",
            NotFound => "not_found",
            MethodNotAllowed => "method_not_allowed",
            Conflict => "conflict",
            Duplicate => "duplicate",
            LivingStandardMissing => "living_standard_missing",
            InsufficientBalance => "insufficient_balance",
            CursorExpired => "cursor_expired",
            PreconditionFailed => "precondition_failed",
            PayloadTooLarge => "payload_too_large",
            ImportLimitExceeded => "import_limit_exceeded",
            UnsupportedMediaType => "unsupported_media_type",
            IdempotencyKeyInFlight => "idempotency_key_in_flight",
            IdempotencyKeyReused => "idempotency_key_reused",
            TooManyRequests => "too_many_requests",
            InternalError => "internal_error",
            ServiceUnavailable => "service_unavailable",
        }
    }

    /// The code a bare status gets when something outside our handlers (a framework layer)
    /// produced the error response.
    pub fn for_status(status: StatusCode) -> Self {
        match status.as_u16() {
            400 => Self::BadRequest,
            401 => Self::Unauthenticated,
            403 => Self::Forbidden,
            404 => Self::NotFound,
            405 => Self::MethodNotAllowed,
            409 => Self::Conflict,
            410 => Self::CursorExpired,
            412 => Self::PreconditionFailed,
            413 => Self::PayloadTooLarge,
            415 => Self::UnsupportedMediaType,
            422 => Self::IdempotencyKeyReused,
            429 => Self::TooManyRequests,
            503 => Self::ServiceUnavailable,
            _ => Self::InternalError,
        }
    }
}

pub use siji_core::FieldError;

/// An error, as an RFC 9457 problem document (`application/problem+json`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "type": "/problems/validation_failed",
    "title": "Request is invalid",
    "status": 400,
    "code": "validation_failed",
    "detail": "1 field is invalid",
    "request_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f12",
    "errors": [{"field": "id_number", "code": "checksum", "message": "check digit does not match"}]
}))]
pub struct Problem {
    /// A URI reference naming the problem type: `/problems/{code}`.
    #[serde(rename = "type")]
    pub type_: String,
    /// Short summary of the problem type; the same for every occurrence of a `code`.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// Stable machine-readable code.
    pub code: ErrorCode,
    /// Explanation of this occurrence. Never contains personal data.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The request id (`X-Request-Id`) under which this request was logged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// For `validation_failed` and the other 400 codes: each invalid field.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// For `duplicate`: the record that already exists, when the caller may see it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub existing_id: Option<uuid::Uuid>,
    /// For `cursor_expired`: the route of the full resync (全量同步) to start again from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resync: Option<String>,
}

impl Problem {
    pub fn new(code: ErrorCode, detail: Option<String>) -> Self {
        Self {
            type_: format!("/problems/{}", code.as_str()),
            title: code.title().to_owned(),
            status: code.status().as_u16(),
            code,
            detail,
            request_id: None,
            errors: Vec::new(),
            existing_id: None,
            resync: None,
        }
    }
}

/// Everything a handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Fields of the request failed validation.
    #[error("{} invalid", plural(.0.len(), "field is", "fields are"))]
    Validation(Vec<FieldError>),
    /// A 400 of another kind (malformed JSON, query, path or header).
    #[error("{detail}")]
    BadRequest {
        code: ErrorCode,
        detail: String,
        errors: Vec<FieldError>,
    },
    #[error("{0}")]
    Unauthenticated(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("resource not found")]
    NotFound,
    #[error("method not allowed")]
    MethodNotAllowed(Vec<Method>),
    /// A conflict with a stable code (duplicate, invalid state transition, …).
    #[error("{detail}")]
    Conflict { code: ErrorCode, detail: String },
    /// A record with the same unique key exists; its id only if the caller may see it.
    #[error("{detail}")]
    Duplicate {
        detail: String,
        existing_id: Option<uuid::Uuid>,
    },
    #[error("the resource has changed since it was read (If-Match does not match)")]
    PreconditionFailed,
    /// A feed cursor from before the log's horizon; the client resyncs from `resync`.
    #[error(
        "the cursor is older than the oldest change kept; copy the records again from {resync} \
         and follow the feed from its feed_cursor"
    )]
    CursorExpired { resync: &'static str },
    #[error("request body exceeds {0} bytes")]
    PayloadTooLarge(usize),
    /// An uploaded file past an import limit; the field error names the limit.
    #[error("the file {}", .0.message)]
    LimitExceeded(FieldError),
    #[error("expected content type {0}")]
    UnsupportedMediaType(&'static str),
    #[error("idempotency key reused with a different request body")]
    IdempotencyKeyReused,
    #[error("too many requests")]
    TooManyRequests(Duration),
    #[error("{0}")]
    Unavailable(String),
    /// Anything unexpected. Logged in full; the client sees a generic body.
    #[error("internal error: {0}")]
    Internal(String),
    #[error("database error: {0}")]
    Database(DbErr),
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

impl ApiError {
    pub fn field(
        field: impl Into<String>,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self::Validation(vec![FieldError::new(field, code, message)])
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Validation(_) => ErrorCode::ValidationFailed,
            Self::BadRequest { code, .. } | Self::Conflict { code, .. } => *code,
            Self::Unauthenticated(_) => ErrorCode::Unauthenticated,
            Self::Forbidden(_) => ErrorCode::Forbidden,
            Self::NotFound => ErrorCode::NotFound,
            Self::Duplicate { .. } => ErrorCode::Duplicate,
            Self::MethodNotAllowed(_) => ErrorCode::MethodNotAllowed,
            Self::PreconditionFailed => ErrorCode::PreconditionFailed,
            Self::CursorExpired { .. } => ErrorCode::CursorExpired,
            Self::PayloadTooLarge(_) => ErrorCode::PayloadTooLarge,
            Self::LimitExceeded(_) => ErrorCode::ImportLimitExceeded,
            Self::UnsupportedMediaType(_) => ErrorCode::UnsupportedMediaType,
            Self::IdempotencyKeyReused => ErrorCode::IdempotencyKeyReused,
            Self::TooManyRequests(_) => ErrorCode::TooManyRequests,
            Self::Unavailable(_) => ErrorCode::ServiceUnavailable,
            Self::Internal(_) => ErrorCode::InternalError,
            Self::Database(err) => match classify_db_error(err) {
                DbErrorKind::Unavailable => ErrorCode::ServiceUnavailable,
                DbErrorKind::Other => ErrorCode::InternalError,
            },
        }
    }

    /// The problem body. Internal details never leave the server.
    pub fn problem(&self) -> Problem {
        let code = self.code();
        let detail = match self {
            Self::Internal(_) => Some("an internal error occurred; it has been logged".to_owned()),
            Self::Database(_) if code == ErrorCode::ServiceUnavailable => {
                Some("the database is not reachable; retry later".to_owned())
            }
            Self::Database(_) => Some("an internal error occurred; it has been logged".to_owned()),
            other => Some(other.to_string()),
        };
        let mut problem = Problem::new(code, detail);
        match self {
            Self::Validation(errors) | Self::BadRequest { errors, .. } => {
                problem.errors = errors.clone()
            }
            Self::Duplicate { existing_id, .. } => problem.existing_id = *existing_id,
            Self::LimitExceeded(error) => problem.errors = vec![error.clone()],
            Self::CursorExpired { resync } => problem.resync = Some((*resync).to_owned()),
            _ => {}
        }
        problem
    }
}

enum DbErrorKind {
    Unavailable,
    Other,
}

fn classify_db_error(err: &DbErr) -> DbErrorKind {
    match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => DbErrorKind::Unavailable,
        _ => DbErrorKind::Other,
    }
}

/// The one place the core's failures become problem documents.
impl From<siji_core::CoreError> for ApiError {
    fn from(err: siji_core::CoreError) -> Self {
        use siji_core::{CoreError, error::ConflictKind};
        match err {
            CoreError::NotFound => Self::NotFound,
            CoreError::Validation(errors) => Self::Validation(errors),
            CoreError::Forbidden(detail) => Self::Forbidden(detail),
            CoreError::Conflict { kind, detail } => Self::Conflict {
                code: match kind {
                    ConflictKind::State => ErrorCode::Conflict,
                    ConflictKind::LivingStandardMissing => ErrorCode::LivingStandardMissing,
                    ConflictKind::InsufficientBalance => ErrorCode::InsufficientBalance,
                },
                detail,
            },
            CoreError::Duplicate {
                detail,
                existing_id,
            } => Self::Duplicate {
                detail,
                existing_id,
            },
            CoreError::Stale => Self::PreconditionFailed,
            CoreError::CursorExpired => Self::CursorExpired {
                resync: siji_core::sync::RESYNC,
            },
            CoreError::Internal(message) => Self::Internal(message),
            CoreError::Database(db) => db.into(),
        }
    }
}

impl From<DbErr> for ApiError {
    /// Constraint violations are the client's conflict; every other database error is ours.
    /// The constraint message is not echoed: it can contain the conflicting values.
    fn from(err: DbErr) -> Self {
        match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => Self::Conflict {
                code: ErrorCode::Duplicate,
                detail: "a record with the same unique key already exists".to_owned(),
            },
            Some(SqlErr::ForeignKeyConstraintViolation(_)) => Self::Conflict {
                code: ErrorCode::Conflict,
                detail: "the record refers to, or is referred to by, another record".to_owned(),
            },
            _ => Self::Database(err),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.code().status()
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        if status.is_server_error() {
            // The full error (never a request body) goes to the log, under the request span.
            tracing::error!(error = %self, code = self.code().as_str(), "request failed");
        }
        let mut builder = HttpResponse::build(status);
        builder.content_type(PROBLEM_CONTENT_TYPE);
        match self {
            Self::MethodNotAllowed(methods) => {
                let allow = methods
                    .iter()
                    .map(Method::as_str)
                    .collect::<Vec<_>>()
                    .join(", ");
                builder.insert_header((header::ALLOW, allow));
            }
            Self::TooManyRequests(retry) => {
                builder.insert_header((header::RETRY_AFTER, retry.as_secs().max(1).to_string()));
            }
            Self::Unauthenticated(_) => {
                builder.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
            }
            _ if status == StatusCode::SERVICE_UNAVAILABLE => {
                builder.insert_header((header::RETRY_AFTER, "5"));
            }
            _ => {}
        }
        builder.json(self.problem())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_consistent_status_and_type() {
        let p = Problem::new(ErrorCode::PreconditionFailed, None);
        assert_eq!(p.status, 412);
        assert_eq!(p.type_, "/problems/precondition_failed");
        let json = serde_json::to_value(&p).unwrap_or_default();
        assert_eq!(json["code"], "precondition_failed");
    }

    #[test]
    fn validation_detail_counts_fields() {
        let err = ApiError::Validation(vec![
            FieldError::new("a", "required", "missing"),
            FieldError::new("b", "required", "missing"),
        ]);
        assert_eq!(
            err.problem().detail.as_deref(),
            Some("2 fields are invalid")
        );
        assert_eq!(err.problem().errors.len(), 2);
    }

    #[test]
    fn internal_errors_do_not_leak() {
        let err = ApiError::Internal("secret table xyz".into());
        let detail = err.problem().detail.unwrap_or_default();
        assert!(!detail.contains("xyz"));
    }
}
