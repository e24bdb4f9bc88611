//! `Idempotency-Key` for operations that create records in bulk or move money (API
//! conventions, "Writes"). A client that did not hear the answer sends the same request again
//! with the same key and gets the first answer back instead of a second run.
//!
//! The key, the work and the response it gets commit in one transaction: the key is claimed by
//! inserting (caller, key) under its primary key inside the operation's own transaction, the
//! operation writes, the response is stored, and all of it commits together. So a crash at any
//! point leaves either nothing (the retry runs) or everything (the retry replays). A second
//! request with the key while the first is still open waits on the first's row lock and then
//! replays its answer (or, if the first failed and rolled back, runs); nothing is ever "taken
//! over" by time. The same key with another request is 422. Long work is not done under the
//! lock: such operations enqueue a job (`jobs`) and store the `202 Accepted` that names it.
//! Keys are kept for [`RETENTION`].

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse};
use chrono::{DateTime, TimeDelta, Utc};
use entity::idempotency_keys::{self, Column};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbErr, EntityTrait,
    QueryFilter,
};
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::{ApiError, ErrorCode, FieldError};

pub const HEADER: &str = "Idempotency-Key";
pub const REPLAYED_HEADER: &str = "Idempotent-Replayed";
/// How long a key is remembered.
pub const RETENTION: TimeDelta = TimeDelta::days(7);

/// A response that can be stored and replayed: a status, a JSON body and a `Location`.
pub struct Replayable {
    pub status: StatusCode,
    pub body: serde_json::Value,
    pub location: Option<String>,
}

impl Replayable {
    pub fn ok(body: &impl Serialize) -> Result<Self, ApiError> {
        Self::with_status(StatusCode::OK, body, None)
    }

    pub fn with_status(
        status: StatusCode,
        body: &impl Serialize,
        location: Option<String>,
    ) -> Result<Self, ApiError> {
        Ok(Self {
            status,
            body: serde_json::to_value(body).map_err(|e| ApiError::Internal(e.to_string()))?,
            location,
        })
    }

    pub fn respond(&self, replayed: bool) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        if replayed {
            response.insert_header((REPLAYED_HEADER, "true"));
        }
        if let Some(location) = &self.location {
            response.insert_header((header::LOCATION, location.as_str()));
        }
        response.json(&self.body)
    }
}

/// The request's key, if it sent one, with what makes two requests "the same".
pub struct Key {
    principal: Uuid,
    key: String,
    fingerprint: String,
}

impl Key {
    /// The key from the header (`None` without one): 1 to 200 visible ASCII characters (a UUID
    /// is a good choice). `body` is the request body as received.
    pub fn of(req: &HttpRequest, principal: Uuid, body: &[u8]) -> Result<Option<Self>, ApiError> {
        let Some(value) = req.headers().get(HEADER) else {
            return Ok(None);
        };
        match value.to_str() {
            Ok(key)
                if (1..=200).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic()) =>
            {
                Ok(Some(Self {
                    principal,
                    key: key.to_owned(),
                    fingerprint: fingerprint(req, body),
                }))
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

    /// What an earlier request with this key settles before any work is looked at: its answer
    /// to replay, or 422 when it was another request. `None` when the key is new (or its first
    /// request is still open); [`Key::claim`] then decides under the lock.
    pub async fn settled(
        &self,
        conn: &impl ConnectionTrait,
    ) -> Result<Option<Replayable>, ApiError> {
        let Some(existing) =
            idempotency_keys::Entity::find_by_id((self.principal, self.key.clone()))
                .one(conn)
                .await?
        else {
            return Ok(None);
        };
        if existing.created_at < Utc::now() - RETENTION {
            return Ok(None);
        }
        if existing.fingerprint != self.fingerprint {
            return Err(ApiError::IdempotencyKeyReused);
        }
        stored(existing)
    }

    /// Claim the key in `txn`: `Ok(None)` to go ahead (then [`Key::complete`] in the same
    /// transaction), or the stored response to replay. Waits while another open transaction
    /// holds the key.
    pub async fn claim(
        &self,
        txn: &DatabaseTransaction,
        now: DateTime<Utc>,
    ) -> Result<Option<Replayable>, ApiError> {
        idempotency_keys::Entity::delete_many()
            .filter(Column::CreatedAt.lt(now - RETENTION))
            .exec(txn)
            .await?;
        let row = idempotency_keys::ActiveModel {
            principal_id: Set(self.principal),
            key: Set(self.key.clone()),
            fingerprint: Set(self.fingerprint.clone()),
            status_code: Set(None),
            response_body: Set(None),
            location: Set(None),
            created_at: Set(now),
            completed_at: Set(None),
        };
        let inserted = idempotency_keys::Entity::insert(row)
            .on_conflict(
                OnConflict::columns([Column::PrincipalId, Column::Key])
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(txn)
            .await;
        match inserted {
            Ok(n) if n > 0 => return Ok(None),
            Ok(_) | Err(DbErr::RecordNotInserted) => {}
            Err(err) => return Err(err.into()),
        }
        let existing = idempotency_keys::Entity::find_by_id((self.principal, self.key.clone()))
            .one(txn)
            .await?
            .ok_or_else(|| ApiError::Internal("an idempotency key vanished".into()))?;
        if existing.fingerprint != self.fingerprint {
            return Err(ApiError::IdempotencyKeyReused);
        }
        match stored(existing)? {
            Some(replay) => Ok(Some(replay)),
            // Only a key stored by an earlier version of Siji (which committed the claim before
            // the work) can be committed unanswered.
            None => Err(ApiError::Conflict {
                code: ErrorCode::IdempotencyKeyInFlight,
                detail: "a request with this Idempotency-Key did not finish; send a new key".into(),
            }),
        }
    }

    /// Store the response in the claiming transaction.
    pub async fn complete(
        &self,
        conn: &impl ConnectionTrait,
        response: &Replayable,
    ) -> Result<(), ApiError> {
        idempotency_keys::Entity::update_many()
            .col_expr(
                Column::StatusCode,
                Expr::value(i32::from(response.status.as_u16())),
            )
            .col_expr(Column::ResponseBody, Expr::value(response.body.to_string()))
            .col_expr(Column::Location, Expr::value(response.location.clone()))
            .col_expr(Column::CompletedAt, Expr::value(Utc::now()))
            .filter(Column::PrincipalId.eq(self.principal))
            .filter(Column::Key.eq(self.key.as_str()))
            .exec(conn)
            .await?;
        Ok(())
    }
}

/// The answer stored under a key, if its request finished.
fn stored(existing: idempotency_keys::Model) -> Result<Option<Replayable>, ApiError> {
    let (Some(status), Some(body)) = (existing.status_code, existing.response_body) else {
        return Ok(None);
    };
    let status = u16::try_from(status)
        .ok()
        .and_then(|s| StatusCode::from_u16(s).ok())
        .ok_or_else(|| ApiError::Internal("a stored status code is invalid".into()))?;
    let body = serde_json::from_str(&body)
        .map_err(|_| ApiError::Internal("a stored response is not JSON".into()))?;
    Ok(Some(Replayable {
        status,
        body,
        location: existing.location,
    }))
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

/// Run an operation that moves money at most once per `Idempotency-Key`, in the unit of work
/// `work` opens: an answer already stored is replayed (`Idempotent-Replayed: true`) without
/// opening one; otherwise the key is claimed in the unit, `op` runs in it, and its response is
/// stored and committed with its writes. Without a key, `op` simply runs in the unit.
pub async fn once<'c>(
    key: Option<Key>,
    db: &sea_orm::DatabaseConnection,
    now: DateTime<Utc>,
    work: impl Future<Output = Result<siji_core::uow::Work<'c>, siji_core::CoreError>>,
    op: impl AsyncFnOnce(&siji_core::uow::Work<'c>) -> Result<Replayable, ApiError>,
) -> Result<HttpResponse, ApiError> {
    if let Some(key) = &key
        && let Some(replay) = key.settled(db).await?
    {
        return Ok(replay.respond(true));
    }
    let work = work.await?;
    if let Some(key) = &key
        && let Some(replay) = key.claim(work.conn(), now).await?
    {
        work.commit().await?;
        return Ok(replay.respond(true));
    }
    let response = op(&work).await?;
    if let Some(key) = &key {
        key.complete(work.conn(), &response).await?;
    }
    work.commit().await?;
    Ok(response.respond(false))
}
