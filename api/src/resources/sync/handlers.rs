//! The change feed's handler: extract, call the core, show the records, respond.

use actix_web::{HttpResponse, get, web};
use siji_core::changelog::Cursor;
use siji_core::sync::{self, ChangeKind};
use siji_openapi::tags;

use super::dto::*;
use super::records;
use crate::auth::Caller;
use crate::http::pagination::{decode_cursor, encode_cursor};
use crate::http::{ApiError, ErrorCode, FieldError, Query};
use crate::state::AppState;

/// Follow the change feed.
///
/// Every create, update, state change and archiving of the organisations, enterprises, workers,
/// hardship archives and wage agreements kept in your subtree, in commit order, after `cursor`.
///
/// **The guarantee:** a client that starts without a cursor and always sends back the
/// `next_cursor` it got sees every committed change exactly once, in the order the changes
/// committed, even when writes commit concurrently and out of the order they started in — a
/// change is handed out only once no transaction that could commit before it is still running,
/// so a cursor never moves past a change that is yet to appear. Nothing is lost between
/// answers: keep the cursor, and you can stop and resume at any time (the log is kept in full;
/// no cursor expires yet).
///
/// **How to follow it** (a county connector):
/// 1. `GET /api/v1/sync/changes?kinds=worker,enterprise&limit=1000` — no cursor the first time.
/// 2. Apply `changes` in order: upsert `record` by `kind` and `id` (skip a change whose
///    `version` is not above what you hold); a `null` record is a tombstone — the record left
///    your subtree (it is never deleted: archiving is `op: archive` with the record shown).
/// 3. Store `next_cursor` with what you applied, in one transaction on your side.
/// 4. While `has_more`, ask again at once; otherwise wait (seconds to minutes) and ask again.
///
/// Each record is shown as its own `GET` shows it now, with the same masks; plaintext personal
/// data is never in the feed. A record moved to an organisation outside your subtree shows in
/// the feed of its new keeper from then on. Needs the read permission of each kind asked for
/// (`registry.read` for enterprises and workers, `orgs.read`, `archive.read`,
/// `agreements.read`); without `kinds`, the kinds your roles may read.
#[utoipa::path(
    tag = tags::SYNC,
    operation_id = "sync_changes",
    params(ChangesQuery),
    extensions(("x-permission" = json!(siji_core::registry::workers::READ))),
    responses(
        (status = 200, description = "The changes after the cursor, in commit order", body = ChangesPage),
    ),
)]
#[get("/sync/changes")]
pub async fn changes(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<ChangesQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let after = match q.cursor.as_deref() {
        None => Cursor::START,
        Some(raw) => {
            let (txid, seq): (i64, i64) = decode_cursor(raw)?;
            Cursor { txid, seq }
        }
    };
    let kinds = q.kinds.as_deref().map(parse_kinds).transpose()?;
    let limit = u64::from(q.limit.unwrap_or(100));
    let ctx = caller.context(&state);
    let page = sync::changes(&ctx, kinds.as_deref(), after, limit).await?;
    let wanted: Vec<(ChangeKind, uuid::Uuid)> = page
        .changes
        .iter()
        .map(|(kind, c)| (*kind, c.record_id))
        .collect();
    let shown = records::shown(&state.db, ctx.scope(), state.clock.today(), &wanted).await?;
    let changes = page
        .changes
        .into_iter()
        .map(|(kind, c)| ChangeResponse {
            cursor: encode_cursor(&(c.txid, c.seq)),
            kind,
            id: c.record_id,
            org_id: c.org_id,
            op: c.op,
            action: c.action,
            version: c.version,
            changed_at: c.changed_at,
            // The same record may change several times in one page; each change shows it.
            record: shown.get(&(kind, c.record_id)).cloned(),
        })
        .collect();
    Ok(HttpResponse::Ok().json(ChangesPage {
        changes,
        next_cursor: encode_cursor(&(page.next.txid, page.next.seq)),
        has_more: page.has_more,
    }))
}

fn parse_kinds(raw: &str) -> Result<Vec<ChangeKind>, ApiError> {
    let mut kinds = Vec::new();
    for name in raw.split(',') {
        let Some(kind) = ChangeKind::parse(name.trim()) else {
            return Err(ApiError::BadRequest {
                code: ErrorCode::InvalidQuery,
                detail: "1 query parameter(s) invalid".into(),
                errors: vec![FieldError::new(
                    "kinds",
                    "invalid_value",
                    "lists kinds among org, enterprise, worker, beneficiary, wage_agreement",
                )],
            });
        };
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    Ok(kinds)
}

/// Copy every record of a kind (full resync, 全量同步).
///
/// Every record of `kind` kept in your subtree, archived ones too, in id order, each as its own
/// `GET` shows it (masked) — for a client starting out, or starting again. Page with
/// `next_cursor` until it is `null`, then follow `GET /api/v1/sync/changes` from `feed_cursor`
/// (the same on every page): the feed then gives every change that committed since the resync
/// began. Some of them the pages may already show; skip a change whose `version` is not above
/// the one you hold. Needs the read permission of the kind (`registry.read` for enterprises and
/// workers, `orgs.read`, `archive.read`, `agreements.read`).
#[utoipa::path(
    tag = tags::SYNC,
    operation_id = "sync_snapshot",
    params(SnapshotQuery),
    extensions(("x-permission" = json!(siji_core::registry::workers::READ))),
    responses(
        (status = 200, description = "One page of records and the feed's cursor", body = SnapshotPage),
    ),
)]
#[get("/sync/snapshot")]
pub async fn snapshot(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<SnapshotQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let ctx = caller.context(&state);
    let (feed, after) = match q.cursor.as_deref() {
        None => (sync::snapshot_start(&ctx, q.kind).await?, None),
        Some(raw) => {
            let (txid, seq, after): (i64, i64, uuid::Uuid) = decode_cursor(raw)?;
            sync::may_read(&ctx, q.kind).await?;
            (Cursor { txid, seq }, Some(after))
        }
    };
    let limit = u64::from(q.limit.unwrap_or(100));
    let ids = records::page(&state.db, ctx.scope(), q.kind, after, limit).await?;
    let wanted: Vec<(ChangeKind, uuid::Uuid)> = ids.iter().map(|id| (q.kind, *id)).collect();
    let mut shown = records::shown(&state.db, ctx.scope(), state.clock.today(), &wanted).await?;
    let next_cursor = match ids.last() {
        Some(last) if ids.len() as u64 == limit => {
            Some(encode_cursor(&(feed.txid, feed.seq, *last)))
        }
        _ => None,
    };
    Ok(HttpResponse::Ok().json(SnapshotPage {
        kind: q.kind,
        records: ids
            .iter()
            .filter_map(|id| shown.remove(&(q.kind, *id)))
            .collect(),
        next_cursor,
        feed_cursor: encode_cursor(&(feed.txid, feed.seq)),
    }))
}
