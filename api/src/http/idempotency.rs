//! `Idempotency-Key` for operations that create records in bulk or move money (API
//! conventions, "Writes"). A client that did not hear the answer sends the same request again
//! with the same key and gets the first answer back instead of a second run.
//!
//! The key is claimed by inserting (caller, key) under its primary key before the work starts,
//! so two racing retries cannot both run. A successful response is stored and replayed (with
//! `Idempotent-Replayed: true`) for the same key and the same request; the same key with another
//! request is 422; a request still running with the key is 409. A failed request releases its key
//! so that it can be retried. Keys are kept for [`RETENTION`]; a claim whose request never
//! finished (the process died) is taken over after [`ABANDONED_AFTER`].

use std::future::Future;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use chrono::{DateTime, TimeDelta, Utc};
use entity::idempotency_keys::{self, Column};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::{ApiError, ErrorCode, FieldError};

pub const HEADER: &str = "Idempotency-Key";
pub const REPLAYED_HEADER: &str = "Idempotent-Replayed";
/// How long a key is remembered.
pub const RETENTION: TimeDelta = TimeDelta::days(7);
/// How long a claim may stay unfinished before another request may take it over.
pub const ABANDONED_AFTER: TimeDelta = TimeDelta::minutes(10);

/// A response that can be stored and replayed: a status and a JSON body.
pub struct Replayable {
    pub status: StatusCode,
    pub body: serde_json::Value,
}

impl Replayable {
    pub fn ok(body: &impl Serialize) -> Result<Self, ApiError> {
        Ok(Self {
            status: StatusCode::OK,
            body: serde_json::to_value(body).map_err(|e| ApiError::Internal(e.to_string()))?,
        })
    }

    fn respond(&self, replayed: bool) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        if replayed {
            response.insert_header((REPLAYED_HEADER, "true"));
        }
        response.json(&self.body)
    }
}

/// Run `work` once per (caller, `Idempotency-Key`); without the header, just run it.
/// `body` is the request body as received: it is part of what "the same request" means.
pub async fn once(
    db: &DatabaseConnection,
    principal: Uuid,
    req: &HttpRequest,
    body: &[u8],
    work: impl Future<Output = Result<Replayable, ApiError>>,
) -> Result<HttpResponse, ApiError> {
    let Some(key) = key_of(req)? else {
        return work.await.map(|r| r.respond(false));
    };
    let fingerprint = fingerprint(req, body);
    let now = Utc::now();
    idempotency_keys::Entity::delete_many()
        .filter(Column::CreatedAt.lt(now - RETENTION))
        .exec(db)
        .await?;
    if let Some(replay) = claim(db, principal, &key, &fingerprint, now).await? {
        return Ok(replay.respond(true));
    }
    let pk = || {
        Column::PrincipalId
            .eq(principal)
            .and(Column::Key.eq(key.as_str()))
    };
    match work.await {
        Ok(response) => {
            let stored = idempotency_keys::Entity::update_many()
                .col_expr(
                    Column::StatusCode,
                    Expr::value(i32::from(response.status.as_u16())),
                )
                .col_expr(Column::ResponseBody, Expr::value(response.body.to_string()))
                .col_expr(Column::CompletedAt, Expr::value(Utc::now()))
                .filter(pk())
                .exec(db)
                .await;
            if let Err(err) = stored {
                // The work is done and committed; the client gets its answer. A retry within
                // ABANDONED_AFTER answers 409, after that it runs again.
                tracing::error!(error = %err, "could not store an idempotent response");
            }
            Ok(response.respond(false))
        }
        Err(err) => {
            let released = idempotency_keys::Entity::delete_many()
                .filter(pk())
                .filter(Column::CompletedAt.is_null())
                .exec(db)
                .await;
            if let Err(db_err) = released {
                tracing::error!(error = %db_err, "could not release an idempotency key");
            }
            Err(err)
        }
    }
}

/// The key from the header: 1 to 200 visible ASCII characters (a UUID is a good choice).
fn key_of(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(value) = req.headers().get(HEADER) else {
        return Ok(None);
    };
    match value.to_str() {
        Ok(key) if (1..=200).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic()) => {
            Ok(Some(key.to_owned()))
        }
        _ => Err(ApiError::BadRequest {
            code: ErrorCode::InvalidHeader,
            detail: "the Idempotency-Key header is malformed".into(),
            errors: vec![FieldError::new(
                HEADER,
                "invalid",
                "must be 1 to 200 visible ASCII characters",
            )],
        }),
    }
}

/// What makes two requests "the same": method, path, query string and body.
fn fingerprint(req: &HttpRequest, body: &[u8]) -> String {
    let mut hash = Sha256::new();
    for part in [
        req.method().as_str().as_bytes(),
        req.path().as_bytes(),
        req.query_string().as_bytes(),
    ] {
        hash.update(part);
        hash.update([0]);
    }
    hash.update(body);
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Claim the key for this request (`None`: go ahead), or the stored response to replay.
async fn claim(
    db: &DatabaseConnection,
    principal: Uuid,
    key: &str,
    fingerprint: &str,
    now: DateTime<Utc>,
) -> Result<Option<Replayable>, ApiError> {
    // A key released between our insert and our read is simply claimed again.
    for _ in 0..3 {
        let row = idempotency_keys::ActiveModel {
            principal_id: Set(principal),
            key: Set(key.to_owned()),
            fingerprint: Set(fingerprint.to_owned()),
            status_code: Set(None),
            response_body: Set(None),
            created_at: Set(now),
            completed_at: Set(None),
        };
        let inserted = idempotency_keys::Entity::insert(row)
            .on_conflict(
                OnConflict::columns([Column::PrincipalId, Column::Key])
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await;
        match inserted {
            Ok(n) if n > 0 => return Ok(None),
            Ok(_) | Err(DbErr::RecordNotInserted) => {}
            Err(err) => return Err(err.into()),
        }
        let Some(existing) = idempotency_keys::Entity::find_by_id((principal, key.to_owned()))
            .one(db)
            .await?
        else {
            continue;
        };
        if existing.fingerprint != fingerprint {
            return Err(ApiError::IdempotencyKeyReused);
        }
        if let (Some(status), Some(body)) = (existing.status_code, &existing.response_body) {
            let status = u16::try_from(status)
                .ok()
                .and_then(|s| StatusCode::from_u16(s).ok())
                .ok_or_else(|| ApiError::Internal("a stored status code is invalid".into()))?;
            let body = serde_json::from_str(body)
                .map_err(|_| ApiError::Internal("a stored response is not JSON".into()))?;
            return Ok(Some(Replayable { status, body }));
        }
        if existing.created_at < now - ABANDONED_AFTER {
            let taken = idempotency_keys::Entity::update_many()
                .col_expr(Column::CreatedAt, Expr::value(now))
                .filter(Column::PrincipalId.eq(principal))
                .filter(Column::Key.eq(key))
                .filter(Column::CreatedAt.eq(existing.created_at))
                .filter(Column::CompletedAt.is_null())
                .exec(db)
                .await?;
            if taken.rows_affected == 1 {
                return Ok(None);
            }
            continue;
        }
        return Err(in_flight());
    }
    Err(in_flight())
}

fn in_flight() -> ApiError {
    ApiError::Conflict {
        code: ErrorCode::IdempotencyKeyInFlight,
        detail: "a request with this Idempotency-Key is still being processed; retry later".into(),
    }
}
