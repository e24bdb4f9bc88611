//! The sync handlers: extract, call the core, show the records, respond.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use siji_core::changelog::Cursor;
use siji_core::sync::push::{
    self, AgreementPush, ArchivePush, EnterprisePush, Outcome, WorkerPush,
};
use siji_core::sync::{self, ChangeKind};
use siji_openapi::tags;

use super::dto::*;
use super::records;
use crate::auth::Caller;
use crate::http::extract::JsonBytes;
use crate::http::idempotency::{self, Key, Replayable};
use crate::http::pagination::{decode_cursor, encode_cursor};
use crate::http::{ApiError, ErrorCode, FieldError, Page, Query};
use crate::state::AppState;
use validator::Validate;

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
/// answers: keep the cursor, and you can stop and resume at any time within the log's retention
/// (90 days unless the operator set `SIJI_SYNC_RETENTION_DAYS`). A cursor older than the oldest
/// change kept answers **410** `cursor_expired`, whose `resync` names the full resync
/// (`GET /api/v1/sync/snapshot`): copy the records again, then follow the feed from the
/// snapshot's `feed_cursor`. Starting without a cursor after changes were pruned is the same.
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
        (status = 410, response = crate::http::responses::CursorExpired),
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
            cursor: c.cursor().token(),
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
        next_cursor: page.next.token(),
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
        feed_cursor: feed.token(),
    }))
}

/// Each record's own checks before the core sees it: the same rules as the registry's requests,
/// each part's fields named as in its own request.
fn checked(record: &impl Validate, fields: &impl Validate) -> Vec<FieldError> {
    checked_parts(&[record, fields])
}

fn checked_parts(parts: &[&dyn Validate]) -> Vec<FieldError> {
    let mut errors = Vec::new();
    for part in parts {
        if let Err(errs) = part.validate() {
            errors.extend(crate::http::extract::flatten_validation(&errs));
        }
    }
    errors
}

/// The records of a push, apart: every record's id in order, the field errors of those refused
/// here (by index), and the rest for the core.
#[allow(clippy::type_complexity)]
fn split<R, P>(
    records: Vec<R>,
    check: impl Fn(R) -> (String, Vec<FieldError>, P),
) -> (Vec<String>, Vec<Option<Vec<FieldError>>>, Vec<P>) {
    let mut keys = Vec::with_capacity(records.len());
    let mut refused = Vec::with_capacity(records.len());
    let mut pushed = Vec::new();
    for r in records {
        let (key, errors, push) = check(r);
        keys.push(key);
        if errors.is_empty() {
            refused.push(None);
            pushed.push(push);
        } else {
            refused.push(Some(errors));
        }
    }
    (keys, refused, pushed)
}

/// The rest of every push: its unit of work under the `Idempotency-Key`, the core's push of
/// the records the handler let through, and the answer with the refused ones back in place.
#[allow(clippy::too_many_arguments)]
async fn run_push<'c>(
    state: &AppState,
    ctx: &'c siji_core::Context<'_>,
    key: Option<Key>,
    kind: ChangeKind,
    keys: Vec<String>,
    refused: Vec<Option<Vec<FieldError>>>,
    push: impl AsyncFnOnce(&siji_core::uow::Work<'c>) -> Result<Vec<Outcome>, siji_core::CoreError>,
) -> Result<HttpResponse, ApiError> {
    idempotency::once(
        key,
        &state.db,
        ctx.clock.now(),
        push::begin(ctx, kind),
        async |work| {
            let outcomes = push(work).await?;
            answer(state, ctx, kind, keys, refused, outcomes).await
        },
    )
    .await
}

/// The answer to a push: the core's outcomes and the refused records, in the order sent.
async fn answer(
    state: &AppState,
    ctx: &siji_core::Context<'_>,
    kind: ChangeKind,
    keys: Vec<String>,
    mut refused: Vec<Option<Vec<FieldError>>>,
    outcomes: Vec<Outcome>,
) -> Result<Replayable, ApiError> {
    let conflicts: Vec<(ChangeKind, uuid::Uuid)> = outcomes
        .iter()
        .filter_map(|o| match o {
            Outcome::Conflict { id, .. } => Some((kind, *id)),
            _ => None,
        })
        .collect();
    let current = records::shown(&state.db, ctx.scope(), state.clock.today(), &conflicts).await?;
    let mut outcomes = outcomes.into_iter();
    let mut results = Vec::with_capacity(keys.len());
    for (i, external_id) in keys.into_iter().enumerate() {
        let outcome = match refused.get_mut(i).and_then(Option::take) {
            Some(errors) => Outcome::Invalid { errors },
            None => outcomes
                .next()
                .ok_or_else(|| ApiError::Internal("a pushed record without an outcome".into()))?,
        };
        let (status, id, version, errors) = match outcome {
            Outcome::Created { id, version } => {
                (PushStatus::Created, Some(id), Some(version), vec![])
            }
            Outcome::Updated { id, version } => {
                (PushStatus::Updated, Some(id), Some(version), vec![])
            }
            Outcome::Unchanged { id, version } => {
                (PushStatus::Unchanged, Some(id), Some(version), vec![])
            }
            Outcome::Conflict { id, version } => {
                (PushStatus::Conflict, Some(id), Some(version), vec![])
            }
            Outcome::Invalid { errors } => (PushStatus::Invalid, None, None, errors),
        };
        let record = (status == PushStatus::Conflict)
            .then(|| id.and_then(|id| current.get(&(kind, id)).cloned()))
            .flatten();
        // A conflict found by a version that moved under the write knows only the older one:
        // the record shown says which version to send next.
        let version = record
            .as_ref()
            .and_then(|r| r["version"].as_i64())
            .and_then(|v| i32::try_from(v).ok())
            .or(version);
        results.push(PushResult {
            external_id,
            status,
            id,
            version,
            errors,
            current: record,
        });
    }
    let count = |s: PushStatus| results.iter().filter(|r| r.status == s).count();
    let body = PushResponse {
        created: count(PushStatus::Created),
        updated: count(PushStatus::Updated),
        unchanged: count(PushStatus::Unchanged),
        conflict: count(PushStatus::Conflict),
        invalid: count(PushStatus::Invalid),
        results,
    };
    Replayable::ok(&body)
}

/// Push enterprises by your own ids (批量同步企业).
///
/// Up to 1,000 enterprises as your system holds them, each under your own `external_id`
/// (unique per client and kind). Each goes through the registry's own rules (validation, the
/// USCC unique city-wide, your subtree only) and gets a result, in the order sent: `created`
/// (and mapped to your id), `updated` (written over the version you read), `unchanged` (the
/// same content: nothing written, the version kept), `conflict` (changed in Siji since the
/// version you read — `base_version`, or else the one you last wrote: nothing written, the
/// record in `current`), or `invalid` (field errors with the API's codes: nothing written for
/// that record). All the records commit together: a push cut off half-way leaves nothing, and
/// sent again creates each record once (with an `Idempotency-Key`, the first answer is replayed).
/// Only machine clients push (`integration` role); the audit trail names the client.
#[utoipa::path(
    tag = tags::SYNC,
    operation_id = "sync_push_enterprises",
    params(("Idempotency-Key" = Option<String>, Header, description = "A fresh key (a UUID) per push; the same push with the same key answers the first result (kept 7 days)")),
    request_body = SyncEnterprisesRequest,
    extensions(("x-permission" = json!(siji_core::registry::enterprises::WRITE))),
    responses(
        (status = 200, description = "One result per record, in the order sent. Replayed with `Idempotent-Replayed: true` for a repeated `Idempotency-Key`", body = PushResponse),
        (status = 422, response = crate::http::responses::IdempotencyKeyReused),
    ),
)]
#[post("/sync/enterprises")]
pub async fn push_enterprises(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    body: JsonBytes<SyncEnterprisesRequest>,
) -> Result<HttpResponse, ApiError> {
    let JsonBytes { value, raw } = body;
    record_count(value.records.len())?;
    let key = Key::of(&req, caller.id, &raw)?;
    let ctx = caller.context(&state);
    let (keys, refused, pushed) = split(value.records, |r| {
        let errors = checked(&r, &r.enterprise);
        let push = EnterprisePush {
            external_id: r.external_id.clone(),
            base_version: r.base_version,
            enterprise: r.enterprise.into(),
        };
        (r.external_id, errors, push)
    });
    run_push(
        &state,
        &ctx,
        key,
        ChangeKind::Enterprise,
        keys,
        refused,
        async |work| push::push_enterprises(&ctx, work, pushed).await,
    )
    .await
}

/// Push workers by your own ids (批量同步职工).
///
/// Up to 1,000 workers as your system holds them, each under your own `external_id`, the
/// employer by your id of an enterprise you pushed before (`employer_external_id`) or by
/// Siji's (`enterprise_id`). The registry's own rules hold: the ID number is checked and
/// encrypted, one person is one record city-wide — a person registered in another county is
/// `invalid` (`duplicate`) without saying where — and you write only inside your subtree.
/// Results as for enterprises: `created`, `updated`, `unchanged`, `conflict` (with `current`,
/// masked) or `invalid`, in the order sent, all committed together. The ids new to Siji are
/// registered first, together (a few statements for the whole push); then, in the order sent,
/// the ids already mapped and any id or person repeated in the push. A person already registered
/// in your subtree (from a spreadsheet, by staff) is taken over under your id: `unchanged` and
/// mapped when the content is the same, else a `conflict` with the record until you send its
/// `version` as `base_version`. Enterprises are taken over the same way, by USCC. Only machine
/// clients push (`integration` role).
#[utoipa::path(
    tag = tags::SYNC,
    operation_id = "sync_push_workers",
    params(("Idempotency-Key" = Option<String>, Header, description = "A fresh key (a UUID) per push; the same push with the same key answers the first result (kept 7 days)")),
    request_body = SyncWorkersRequest,
    extensions(("x-permission" = json!(siji_core::registry::workers::WRITE))),
    responses(
        (status = 200, description = "One result per record, in the order sent. Replayed with `Idempotent-Replayed: true` for a repeated `Idempotency-Key`", body = PushResponse),
        (status = 422, response = crate::http::responses::IdempotencyKeyReused),
    ),
)]
#[post("/sync/workers")]
pub async fn push_workers(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    body: JsonBytes<SyncWorkersRequest>,
) -> Result<HttpResponse, ApiError> {
    let JsonBytes { value, raw } = body;
    record_count(value.records.len())?;
    let key = Key::of(&req, caller.id, &raw)?;
    let ctx = caller.context(&state);
    let (keys, refused, pushed) = split(value.records, |r| {
        let mut errors = checked(&r, &r.worker);
        if r.employer_external_id.is_some() && r.worker.enterprise_id.is_some() {
            errors.push(FieldError::new(
                "employer_external_id",
                "one_of",
                "give the employer by enterprise_id or by employer_external_id, not both",
            ));
        }
        let push = WorkerPush {
            external_id: r.external_id.clone(),
            base_version: r.base_version,
            employer_external_id: r.employer_external_id,
            worker: r.worker.into(),
        };
        (r.external_id, errors, push)
    });
    run_push(
        &state,
        &ctx,
        key,
        ChangeKind::Worker,
        keys,
        refused,
        async |work| push::push_workers(&ctx, work, pushed).await,
    )
    .await
}

/// Push hardship archives by your own ids (批量同步困难职工档案).
///
/// Up to 1,000 archives with their household members, each under your own `external_id`, the
/// head by your id of a worker you pushed before (`head_external_id`) or by Siji's
/// (`archive.head_worker_id`). The archive's own rules hold: the county's minimum living
/// standard and the eligibility rules place it in its category (困难类别), one live archive per
/// head city-wide (`invalid`, `duplicate`, without saying where), members' ID numbers checked
/// and encrypted, your subtree only. A new archive is `temporary` (临时档案) until staff verify
/// it at a home visit; states move only through the archive's own operations, never by a push.
/// Sent again, an archive is compared whole: the same content is `unchanged`; a correction is
/// `updated` and assessed again (members still there, matched by ID number or by name and
/// relation, keep their ids); the head and the organisation never change (`immutable`); an
/// archive lifted out or cancelled is `invalid` (`conflict`). Results, ordering, atomicity and
/// replay as for enterprises. Only machine clients push (`integration` role, `archive.write`).
#[utoipa::path(
    tag = tags::SYNC,
    operation_id = "sync_push_beneficiaries",
    params(("Idempotency-Key" = Option<String>, Header, description = "A fresh key (a UUID) per push; the same push with the same key answers the first result (kept 7 days)")),
    request_body = SyncArchivesRequest,
    extensions(("x-permission" = json!(siji_core::archive::WRITE))),
    responses(
        (status = 200, description = "One result per record, in the order sent. Replayed with `Idempotent-Replayed: true` for a repeated `Idempotency-Key`", body = PushResponse),
        (status = 422, response = crate::http::responses::IdempotencyKeyReused),
    ),
)]
#[post("/sync/beneficiaries")]
pub async fn push_archives(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    body: JsonBytes<SyncArchivesRequest>,
) -> Result<HttpResponse, ApiError> {
    let JsonBytes { value, raw } = body;
    record_count(value.records.len())?;
    let key = Key::of(&req, caller.id, &raw)?;
    let ctx = caller.context(&state);
    let (keys, refused, pushed) = split(value.records, |r| {
        let mut errors = checked(&r, &r.archive);
        if r.head_external_id.is_some() == r.archive.head_worker_id.is_some() {
            errors.push(FieldError::new(
                "head_external_id",
                "one_of",
                "give the household head by head_worker_id or by head_external_id, exactly one",
            ));
        }
        let head = r.archive.head_worker_id.unwrap_or_default();
        let push = ArchivePush {
            external_id: r.external_id.clone(),
            base_version: r.base_version,
            head_external_id: r.head_external_id,
            archive: r.archive.into_new(head),
        };
        (r.external_id, errors, push)
    });
    run_push(
        &state,
        &ctx,
        key,
        ChangeKind::Beneficiary,
        keys,
        refused,
        async |work| push::push_archives(&ctx, work, pushed).await,
    )
    .await
}

/// Push wage agreements by your own ids (批量同步工资集体协议).
///
/// Up to 1,000 collective wage agreements, each under your own `external_id`, in the state your
/// system records: under negotiation (no `terms`), signed (`terms`), filed (`terms` and
/// `filing`) or terminated early (`terms` and `termination`). The covered enterprises by your
/// ids of enterprises you pushed (`enterprise_external_ids`) or by Siji's
/// (`agreement.enterprise_ids`). Every rule of opening, signing, filing and terminating holds as
/// for staff: the term (at most three years), the statutory minimum wage of every covered
/// enterprise, no overlapping agreement of the same text type (`invalid`, `conflict`), filing not
/// before signing, your subtree only. Sent again, an agreement moves on by the steps newly
/// recorded (signed, then filed, then terminated: `updated`, one version per step); what an
/// agreement fixes once recorded — its parties, title and text, its terms, its filing — is
/// never changed by a push (`invalid`, `immutable`). Results, ordering, atomicity and replay as
/// for enterprises. Only machine clients push (`integration` role, `agreements.write`).
#[utoipa::path(
    tag = tags::SYNC,
    operation_id = "sync_push_wage_agreements",
    params(("Idempotency-Key" = Option<String>, Header, description = "A fresh key (a UUID) per push; the same push with the same key answers the first result (kept 7 days)")),
    request_body = SyncAgreementsRequest,
    extensions(("x-permission" = json!(siji_core::agreements::WRITE))),
    responses(
        (status = 200, description = "One result per record, in the order sent. Replayed with `Idempotent-Replayed: true` for a repeated `Idempotency-Key`", body = PushResponse),
        (status = 422, response = crate::http::responses::IdempotencyKeyReused),
    ),
)]
#[post("/sync/wage-agreements")]
pub async fn push_agreements(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    body: JsonBytes<SyncAgreementsRequest>,
) -> Result<HttpResponse, ApiError> {
    let JsonBytes { value, raw } = body;
    record_count(value.records.len())?;
    let key = Key::of(&req, caller.id, &raw)?;
    let ctx = caller.context(&state);
    let (keys, refused, pushed) = split(value.records, |r| {
        let record_errors = Validate::validate(&r).err();
        let agreement = r.agreement.into_request();
        let mut parts: Vec<&dyn Validate> = vec![&agreement];
        parts.extend(r.terms.iter().map(|t| t as &dyn Validate));
        parts.extend(r.filing.iter().map(|f| f as &dyn Validate));
        parts.extend(r.termination.iter().map(|t| t as &dyn Validate));
        let mut errors = checked_parts(&parts);
        // The create request wants its enterprises by Siji's id; here they may come by yours.
        let by_ours = !r.enterprise_external_ids.is_empty();
        if by_ours {
            errors.retain(|e| !(e.field == "enterprise_ids" && e.code == "length"));
        }
        if let Some(errs) = record_errors {
            errors.extend(crate::http::extract::flatten_validation(&errs));
        }
        for (i, id) in r.enterprise_external_ids.iter().enumerate() {
            if id.is_empty() || id.chars().count() > 64 {
                errors.push(FieldError::new(
                    format!("enterprise_external_ids[{i}]"),
                    "length",
                    "must be 1 to 64 characters",
                ));
            }
        }
        if !by_ours && agreement.enterprise_ids.is_empty() && errors.is_empty() {
            errors.push(FieldError::new(
                "enterprise_ids",
                "length",
                "an agreement covers at least one enterprise",
            ));
        }
        for (present, field) in [
            (r.filing.is_some(), "filing"),
            (r.termination.is_some(), "termination"),
        ] {
            if present && r.terms.is_none() {
                errors.push(FieldError::new(
                    field,
                    "requires_terms",
                    "only a signed agreement (with terms) is filed or terminated",
                ));
            }
        }
        let push = AgreementPush {
            external_id: r.external_id.clone(),
            base_version: r.base_version,
            enterprise_external_ids: r.enterprise_external_ids,
            agreement: agreement.into(),
            terms: r.terms.map(Into::into),
            filing: r.filing.map(Into::into),
            termination: r.termination.map(Into::into),
        };
        (r.external_id, errors, push)
    });
    run_push(
        &state,
        &ctx,
        key,
        ChangeKind::WageAgreement,
        keys,
        refused,
        async |work| push::push_agreements(&ctx, work, pushed).await,
    )
    .await
}

/// List your id mappings (编码对照).
///
/// Your ids of one kind and the Siji records they stand for, in the order you created them,
/// with each record's version when you last wrote it. Only machine clients have mappings.
#[utoipa::path(
    tag = tags::SYNC,
    operation_id = "sync_mappings",
    params(MappingsQuery),
    extensions(("x-permission" = json!(siji_core::registry::workers::READ))),
    responses((status = 200, description = "One page", body = Page<MappingResponse>)),
)]
#[get("/sync/mappings")]
pub async fn mappings(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<MappingsQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let ctx = caller.context(&state);
    sync::may_read(&ctx, q.kind).await?;
    let after: Option<uuid::Uuid> = q.cursor.as_deref().map(decode_cursor).transpose()?;
    let limit = u64::from(q.limit.unwrap_or(100));
    let rows = push::mappings_of(&ctx, q.kind, after, limit).await?;
    let next_cursor = match rows.last() {
        Some(last) if rows.len() as u64 == limit => Some(encode_cursor(&last.id)),
        _ => None,
    };
    Ok(HttpResponse::Ok().json(Page {
        items: rows
            .into_iter()
            .map(|m| MappingResponse {
                kind: q.kind,
                external_id: m.external_id,
                id: m.record_id,
                version: m.version,
                updated_at: m.updated_at,
            })
            .collect(),
        next_cursor,
        total: None,
    }))
}
