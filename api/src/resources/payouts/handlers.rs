//! Payout handlers: extract, call `siji_core::payouts::batches`, respond. Money operations
//! (build, approve, settle) run once per `Idempotency-Key`, the key committed with the work.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use sea_orm::Order;
use serde_json::json;
use siji_core::payouts::layouts::{Encoding, Format as LayoutFormat};
use siji_core::payouts::{self, batches, checks, export, reconcile};
use siji_openapi::tags;
use uuid::Uuid;

use super::dto::*;
use crate::auth::Caller;
use crate::http::concurrency::ok_versioned;
use crate::http::extract::JsonBytes;
use crate::http::idempotency::{self, Key, Replayable};
use crate::http::pagination::page_by_id;
use crate::http::{ApiError, IfMatch, Json, Page, PageRequest, Query};
use crate::jobs::{self, JobKind};
use crate::resources::grants::dto::GrantResponse;
use crate::resources::jobs::dto::JobResponse;
use crate::spreadsheet::{Format as SheetFormat, read};
use crate::state::AppState;

/// Build a payout batch.
///
/// 生成发放批次: every approved grant of the campaign within an organisation of your subtree
/// (`within_org_id`, yours by default) that no payout has taken yet and whose payee has an
/// active card becomes a `pending` payout to that card, as the card is now (bank, masked and
/// encrypted number, holder). Grants without a card are left out and counted
/// (`awaiting_card`; the worklist is `GET /api/v1/campaigns/{id}/payees-awaiting-card`). A
/// follow-up batch (`follow_up_of`) pays again the failed and returned payouts of an exported
/// batch, each pointing at the one it retries, once the payee's card has been replaced; those
/// still on the old card are counted in `awaiting_corrected_card`. Nothing to pay is 409.
///
/// A grant is in at most one live payout, enforced by the database; two builds of one campaign
/// at once take turns, and the second takes only what the first left. Send an
/// `Idempotency-Key`: a retry with the same key answers the first build instead of building
/// again, however the first request ended.
#[utoipa::path(
    tag = tags::PAYOUTS,
    operation_id = "build_payout_batch",
    params(("Idempotency-Key" = Option<String>, Header, description = "A fresh key (a UUID) per build; the same request with the same key answers the first build (kept 7 days)")),
    request_body = BuildBatchRequest,
    extensions(("x-permission" = json!(payouts::WRITE))),
    responses(
        (status = 201, description = "Built (`draft`). Replayed with `Idempotent-Replayed: true` for a repeated `Idempotency-Key`", body = BuiltResponse,
            headers(("Location" = String, description = "URL of the batch"))),
        (status = 404, response = crate::http::responses::NotFound),
        (status = 409, response = crate::http::responses::Conflict),
        (status = 422, response = crate::http::responses::IdempotencyKeyReused),
    ),
)]
#[post("/payout-batches")]
pub async fn build(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    body: JsonBytes<BuildBatchRequest>,
) -> Result<HttpResponse, ApiError> {
    let JsonBytes { value, raw } = body;
    let key = Key::of(&req, caller.id, &raw)?;
    let ctx = caller.context(&state);
    let begin = batches::begin(&ctx, payouts::WRITE);
    idempotency::once(key, &state.db, ctx.clock.now(), begin, async |work| {
        let built = batches::build(&ctx, work, value.into()).await?;
        let location = format!("/api/v1/payout-batches/{}", built.batch.id);
        Replayable::with_status(
            StatusCode::CREATED,
            &BuiltResponse::from(built),
            Some(location),
        )
    })
    .await
}

/// List payout batches.
///
/// Batches of organisations in your subtree, oldest first, keyset-paginated; filter by
/// campaign and state.
#[utoipa::path(
    tag = tags::PAYOUTS,
    operation_id = "list_payout_batches",
    params(BatchListQuery),
    extensions(("x-permission" = json!(payouts::READ))),
    responses((status = 200, description = "One page", body = Page<BatchResponse>)),
)]
#[get("/payout-batches")]
pub async fn list_batches(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<BatchListQuery>,
) -> Result<HttpResponse, ApiError> {
    use entity::payout_batches::Column;
    let q = query.into_inner();
    let select = batches::list(&caller.context(&state), &q.filter()).await?;
    let page = PageRequest::new(q.limit, q.cursor.as_deref(), q.count)?;
    let page = page_by_id(&state.db, select, Column::Id, |b| b.id, &page, Order::Asc).await?;
    Ok(HttpResponse::Ok().json(page.map(BatchResponse::from)))
}

/// Get a payout batch.
#[utoipa::path(
    tag = tags::PAYOUTS,
    operation_id = "get_payout_batch",
    params(("id" = Uuid, Path, description = "Batch id")),
    extensions(("x-permission" = json!(payouts::READ))),
    responses(
        (status = 200, description = "The batch", body = BatchResponse, headers(("ETag" = String, description = "Its version"))),
        (status = 404, response = crate::http::responses::NotFound),
    ),
)]
#[get("/payout-batches/{id}")]
pub async fn get_batch(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let b = batches::get(&caller.context(&state), *id).await?;
    Ok(ok_versioned(b.version, &BatchResponse::from(b)))
}

/// Approve a payout batch.
///
/// `draft → approved` (审核), by someone other than the person who built it (403:
/// maker-checker). Its stored count and total are re-checked against its payouts (409 if they
/// disagree). Honours `If-Match`; send an `Idempotency-Key` so that a retry answers the first
/// approval.
#[utoipa::path(
    tag = tags::PAYOUTS,
    operation_id = "approve_payout_batch",
    params(("id" = Uuid, Path, description = "Batch id"),
           ("If-Match" = Option<String>, Header, description = "The `ETag` you read"),
           ("Idempotency-Key" = Option<String>, Header, description = "A fresh key (a UUID) per approval (kept 7 days)")),
    extensions(("x-permission" = json!(payouts::APPROVE))),
    responses(
        (status = 200, description = "Approved. Replayed with `Idempotent-Replayed: true` for a repeated `Idempotency-Key`", body = BatchResponse),
        (status = 404, response = crate::http::responses::NotFound),
        (status = 409, response = crate::http::responses::Conflict),
        (status = 412, response = crate::http::responses::PreconditionFailed),
        (status = 422, response = crate::http::responses::IdempotencyKeyReused),
    ),
)]
#[post("/payout-batches/{id}/approve")]
pub async fn approve(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let key = Key::of(&req, caller.id, &[])?;
    let ctx = caller.context(&state);
    let begin = batches::begin(&ctx, payouts::APPROVE);
    idempotency::once(key, &state.db, ctx.clock.now(), begin, async |work| {
        let b = batches::approve(&ctx, work, *id, if_match.0).await?;
        Replayable::ok(&BatchResponse::from(b))
    })
    .await
}

/// Cancel a draft payout batch.
///
/// `draft → cancelled` (作废), with a reason: its payouts are cancelled and their grants can go
/// into another batch. An approved batch is not cancelled. Honours `If-Match`.
#[utoipa::path(
    tag = tags::PAYOUTS,
    operation_id = "cancel_payout_batch",
    params(("id" = Uuid, Path, description = "Batch id"), ("If-Match" = Option<String>, Header, description = "The `ETag` you read")),
    request_body = CancelBatchRequest,
    extensions(("x-permission" = json!(payouts::WRITE))),
    responses(
        (status = 200, description = "Cancelled", body = BatchResponse, headers(("ETag" = String, description = "The new version"))),
        (status = 404, response = crate::http::responses::NotFound),
        (status = 409, response = crate::http::responses::Conflict),
        (status = 412, response = crate::http::responses::PreconditionFailed),
    ),
)]
#[post("/payout-batches/{id}/cancel")]
pub async fn cancel(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<CancelBatchRequest>,
) -> Result<HttpResponse, ApiError> {
    let b = batches::cancel(
        &caller.context(&state),
        *id,
        if_match.0,
        &body.into_inner().reason,
    )
    .await?;
    Ok(ok_versioned(b.version, &BatchResponse::from(b)))
}

/// List payouts.
///
/// Payouts of grants in your subtree, oldest first, keyset-paginated; filter by batch,
/// campaign, grant and state. Cards are masked.
#[utoipa::path(
    tag = tags::PAYOUTS,
    operation_id = "list_payouts",
    params(PayoutListQuery),
    extensions(("x-permission" = json!(payouts::READ))),
    responses((status = 200, description = "One page", body = Page<PayoutResponse>)),
)]
#[get("/payouts")]
pub async fn list_payouts(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<PayoutListQuery>,
) -> Result<HttpResponse, ApiError> {
    use entity::payouts::Column;
    let q = query.into_inner();
    let select = batches::payouts(&caller.context(&state), &q.filter()).await?;
    let page = PageRequest::new(q.limit, q.cursor.as_deref(), q.count)?;
    let page = page_by_id(&state.db, select, Column::Id, |p| p.id, &page, Order::Asc).await?;
    Ok(HttpResponse::Ok().json(page.map(PayoutResponse::from)))
}

/// Get a payout.
#[utoipa::path(
    tag = tags::PAYOUTS,
    operation_id = "get_payout",
    params(("id" = Uuid, Path, description = "Payout id")),
    extensions(("x-permission" = json!(payouts::READ))),
    responses(
        (status = 200, description = "The payout", body = PayoutResponse, headers(("ETag" = String, description = "Its version"))),
        (status = 404, response = crate::http::responses::NotFound),
    ),
)]
#[get("/payouts/{id}")]
pub async fn get_payout(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let p = batches::payout(&caller.context(&state), *id).await?;
    Ok(ok_versioned(p.version, &PayoutResponse::from(p)))
}

/// Settle a payout's outcome by a staff decision.
///
/// What the bank said by other means, or the resolution of an unclear answer, with the reason
/// it rests on: `sent` or `unknown` → `paid` or `failed`; `sent` → `unknown`; `paid` →
/// `returned` (退票). Paid records the payment in the campaign's ledger (`pay`); returned takes
/// it back (`return`) and the grant may be paid again in a follow-up batch. A grant is paid
/// once: a second payment is refused. The batch becomes `reconciled` when every payout in it
/// is final. Honours `If-Match`; send an `Idempotency-Key`.
#[utoipa::path(
    tag = tags::PAYOUTS,
    operation_id = "settle_payout",
    params(("id" = Uuid, Path, description = "Payout id"),
           ("If-Match" = Option<String>, Header, description = "The `ETag` you read"),
           ("Idempotency-Key" = Option<String>, Header, description = "A fresh key (a UUID) per decision (kept 7 days)")),
    request_body = SettleRequest,
    extensions(("x-permission" = json!(payouts::APPROVE))),
    responses(
        (status = 200, description = "Settled. Replayed with `Idempotent-Replayed: true` for a repeated `Idempotency-Key`", body = PayoutResponse),
        (status = 404, response = crate::http::responses::NotFound),
        (status = 409, response = crate::http::responses::Conflict),
        (status = 412, response = crate::http::responses::PreconditionFailed),
        (status = 422, response = crate::http::responses::IdempotencyKeyReused),
    ),
)]
#[post("/payouts/{id}/settle")]
pub async fn settle(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: JsonBytes<SettleRequest>,
) -> Result<HttpResponse, ApiError> {
    let JsonBytes { value, raw } = body;
    let key = Key::of(&req, caller.id, &raw)?;
    let ctx = caller.context(&state);
    let begin = batches::begin(&ctx, payouts::APPROVE);
    idempotency::once(key, &state.db, ctx.clock.now(), begin, async |work| {
        let p = batches::settle(&ctx, work, *id, if_match.0, value.status, &value.reason).await?;
        Replayable::ok(&PayoutResponse::from(p))
    })
    .await
}

/// List payees awaiting a card.
///
/// The worklist of approved grants of the campaign in your subtree (or within
/// `within_org_id`) that no payout has taken and whose payee has no active bank card: register
/// a card for each (`POST /api/v1/bank-cards`, the grant's `worker_id` or `member_id`), then
/// build a batch.
#[utoipa::path(
    tag = tags::PAYOUTS,
    operation_id = "list_payees_awaiting_card",
    params(("id" = Uuid, Path, description = "Campaign id"), AwaitingCardQuery),
    extensions(("x-permission" = json!(payouts::READ))),
    responses(
        (status = 200, description = "One page of grants", body = Page<GrantResponse>),
        (status = 404, response = crate::http::responses::NotFound),
    ),
)]
#[get("/campaigns/{id}/payees-awaiting-card")]
pub async fn awaiting_card(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    query: Query<AwaitingCardQuery>,
) -> Result<HttpResponse, ApiError> {
    use entity::grants::Column;
    let q = query.into_inner();
    let select = batches::awaiting_card(&caller.context(&state), *id, q.within_org_id).await?;
    let page = PageRequest::new(q.limit, q.cursor.as_deref(), q.count)?;
    let page = page_by_id(&state.db, select, Column::Id, |g| g.id, &page, Order::Asc).await?;
    Ok(HttpResponse::Ok().json(page.map(GrantResponse::from)))
}

/// Export an approved batch as bank files.
///
/// 导出银行代发文件: the one place a full card number leaves Siji, so it needs its own
/// permission (`payouts.export`) and is audited. Runs as a job (`202 Accepted`, the job in
/// `Location`) whose `result` is an `ExportResponse`: the batch's stored count and total are
/// re-checked, the files rendered in the chosen layout (split into parts of at most the
/// layout's rows), each file's SHA-256, count and total recorded, and the batch moves
/// `approved → exported` with every payout `pending → sent`, all at once. Exporting again gives
/// the same bytes (checked); another layout records that layout's files. The files are not
/// stored: `GET /api/v1/payout-files/{id}` renders its part again and answers it only if it
/// hashes the same. Send an `Idempotency-Key`.
#[utoipa::path(
    tag = tags::PAYOUTS,
    operation_id = "export_payout_batch",
    params(("id" = Uuid, Path, description = "Batch id"),
           ("Idempotency-Key" = Option<String>, Header, description = "A fresh key (a UUID) per export; the same request with the same key answers the same job (kept 7 days)")),
    request_body = ExportRequest,
    extensions(("x-permission" = json!(payouts::EXPORT))),
    responses(
        (status = 202, description = "Accepted: the job (its URL also in `Location`), whose `result` is an `ExportResponse` when it has succeeded", body = JobResponse,
            headers(("Location" = String, description = "The job's URL"))),
        (status = 404, response = crate::http::responses::NotFound),
        (status = 409, response = crate::http::responses::Conflict),
        (status = 422, response = crate::http::responses::IdempotencyKeyReused),
    ),
)]
#[post("/payout-batches/{id}/export")]
pub async fn export_batch(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: JsonBytes<ExportRequest>,
) -> Result<HttpResponse, ApiError> {
    let JsonBytes { value, raw } = body;
    let ctx = caller.context(&state);
    // Refused now, not in the job: an unknown layout, a batch not visible or not approved.
    export::layout(&state.db, &value.layout).await?;
    export::exportable(&ctx, *id).await?;
    let key = Key::of(&req, caller.id, &raw)?;
    let params = json!({ "batch_id": *id, "layout": value.layout });
    jobs::accept(&state, &caller, key, JobKind::PayoutExport, params, None).await
}

/// The batch and the layout a payout job was given.
async fn batch_and_layout(
    state: &AppState,
    job: &entity::jobs::Model,
) -> Result<(Uuid, siji_core::payouts::layouts::Layout), ApiError> {
    let params: serde_json::Value = serde_json::from_str(&job.params)
        .map_err(|_| ApiError::Internal("a payout job's parameters are not JSON".into()))?;
    let batch = params["batch_id"]
        .as_str()
        .and_then(|v| Uuid::parse_str(v).ok())
        .ok_or_else(|| ApiError::Internal("a payout job has no batch".into()))?;
    let layout = export::layout(&state.db, params["layout"].as_str().unwrap_or_default()).await?;
    Ok((batch, layout))
}

/// The work of an export job, as the caller who started it.
pub async fn run_export(
    state: &AppState,
    caller: &Caller,
    job: &entity::jobs::Model,
) -> Result<serde_json::Value, ApiError> {
    let (batch, layout) = batch_and_layout(state, job).await?;
    let exported = export::export(&caller.context(state), batch, &layout.name).await?;
    serde_json::to_value(ExportResponse::from(exported))
        .map_err(|e| ApiError::Internal(e.to_string()))
}

/// Download a bank file.
///
/// The file as exported, byte for byte: rendered again from the batch's payouts and answered
/// only if its SHA-256 is the one recorded at export (409 otherwise). Full card numbers: needs
/// `payouts.export`, every download is audited, and the answer is marked
/// `Cache-Control: no-store`. CSV, fixed-width text or XLSX, in UTF-8 or GB18030
/// (GBK-compatible), as the layout says.
#[utoipa::path(
    tag = tags::PAYOUTS,
    operation_id = "download_payout_file",
    params(("id" = Uuid, Path, description = "File id")),
    extensions(("x-permission" = json!(payouts::EXPORT))),
    responses(
        (status = 200, description = "The file: CSV, fixed-width text or XLSX as its layout says", content(
            (crate::spreadsheet::FileBytes = "text/csv"),
            (crate::spreadsheet::FileBytes = "text/plain"),
            (crate::spreadsheet::FileBytes = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ),
            headers(("Content-Disposition" = String, description = "`attachment` with the file's name"),
                    ("X-Checksum-Sha256" = String, description = "The SHA-256 recorded at export"))),
        (status = 404, response = crate::http::responses::NotFound),
        (status = 409, response = crate::http::responses::Conflict),
    ),
)]
#[get("/payout-files/{id}")]
pub async fn download(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    file_response(&caller.context(&state), *id).await
}

/// The bank file's bytes as a download.
async fn file_response(ctx: &siji_core::Context<'_>, id: Uuid) -> Result<HttpResponse, ApiError> {
    let (file, layout, bytes) = export::download(ctx, id).await?;
    let charset = match layout.encoding {
        Encoding::Utf8 => "utf-8",
        Encoding::Gb18030 => "gb18030",
    };
    let content_type = match layout.format {
        LayoutFormat::Csv => format!("text/csv; charset={charset}"),
        LayoutFormat::FixedWidth => format!("text/plain; charset={charset}"),
        LayoutFormat::Xlsx => SheetFormat::Xlsx.media_type().to_owned(),
    };
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{}\"", file.name),
        ))
        .insert_header(("X-Checksum-Sha256", file.sha256))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(bytes))
}

/// Apply the bank's result file.
///
/// 对账: upload the bank's result file (回盘文件) for an exported batch, in the layout it went
/// out in (`layout`): the file as sent with the bank's result columns added to each line —
/// the status (`处理结果` or `状态`: 成功 → paid, 失败 → failed, 退票 → returned, anything else
/// → unknown), the reason (`失败原因`) and, where the bank gives it, the amount actually
/// processed (`实际金额`); the layout's `result_columns` say which and where. A CSV layout's
/// result is CSV (UTF-8, or GBK/GB18030), a fixed-width layout's is fixed-width text in the
/// layout's encoding (sent as `application/octet-stream`; `text/plain` is taken too), an XLSX
/// layout's is an XLSX workbook; each as the request body or as the `file` field of a form. A CSV or XLSX result whose header row names its
/// columns (`业务参考号`/`备注`, `金额`, `处理结果`/`状态`, `失败原因`) is read by the header
/// (rows before it, a summary, are skipped); otherwise, and always for fixed-width text, lines
/// are read by the layout's positions, its summary line and header row left out. Runs as a
/// job whose `result` is a `ReconcileResponse`.
///
/// Each line is matched by the reference and its amount compared. A different amount, a
/// reference Siji never issued or one of another batch, a reference twice in the file, or an
/// outcome the payout cannot take goes to `exceptions` with the reason and is never applied;
/// one bad line never stops the others. Payouts the file does not mention are listed in
/// `missing`. Paid and returned move the campaign's ledger. The same file again (by SHA-256)
/// changes nothing and says so (`already_applied`); a later file may turn `paid` into
/// `returned`. The batch is `reconciled` once every payout is final. Send an
/// `Idempotency-Key`.
#[utoipa::path(
    tag = tags::PAYOUTS,
    operation_id = "reconcile_payout_batch",
    params(("id" = Uuid, Path, description = "Batch id"), ResultQuery,
           ("Idempotency-Key" = Option<String>, Header, description = "A fresh key (a UUID) per upload; the same request with the same key answers the same job (kept 7 days)")),
    request_body(description = "The bank's result file in the layout's format: the file itself as the body, or a browser form upload with the file in the field `file`", content(
        (crate::spreadsheet::FileBytes = "text/csv"),
        (crate::spreadsheet::FileBytes = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (crate::spreadsheet::FileBytes = "application/octet-stream"),
        (crate::resources::imports::ImportForm = "multipart/form-data"),
    )),
    extensions(("x-permission" = json!(payouts::APPROVE))),
    responses(
        (status = 202, description = "Accepted: the job (its URL also in `Location`), whose `result` is a `ReconcileResponse` when it has succeeded", body = JobResponse,
            headers(("Location" = String, description = "The job's URL"))),
        (status = 404, response = crate::http::responses::NotFound),
        (status = 409, response = crate::http::responses::Conflict),
        (status = 413, response = crate::http::responses::PayloadTooLarge),
        (status = 415, response = crate::http::responses::UnsupportedMediaType),
        (status = 422, response = crate::http::responses::IdempotencyKeyReused),
    ),
)]
#[post("/payout-batches/{id}/results")]
pub async fn results(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<Uuid>,
    query: Query<ResultQuery>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let ctx = caller.context(&state);
    let name = query
        .into_inner()
        .layout
        .unwrap_or_else(|| "generic".to_owned());
    let layout = export::layout(&state.db, &name).await?;
    reconcile::applicable(&ctx, *id).await?;
    let fixed_width = layout.format == LayoutFormat::FixedWidth;
    let (format, bytes) =
        crate::resources::imports::upload(&req, payload, state.settings.import_limit, fixed_width)
            .await?;
    let (expected, media) = match layout.format {
        LayoutFormat::Csv => (
            SheetFormat::Csv,
            "text/csv or application/octet-stream (the layout's result is a CSV file)",
        ),
        LayoutFormat::FixedWidth => (
            SheetFormat::Csv,
            "text/plain or application/octet-stream (the layout's result is fixed-width text)",
        ),
        LayoutFormat::Xlsx => (
            SheetFormat::Xlsx,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet (the layout's result is an XLSX workbook)",
        ),
    };
    if format != expected {
        return Err(ApiError::UnsupportedMediaType(media));
    }
    let key = Key::of(&req, caller.id, &bytes)?;
    let params = json!({ "batch_id": *id, "layout": name });
    jobs::accept(
        &state,
        &caller,
        key,
        JobKind::PayoutResults,
        params,
        Some(bytes.to_vec()),
    )
    .await
}

/// The work of a reconciliation job, as the caller who started it.
pub async fn run_results(
    state: &AppState,
    caller: &Caller,
    job: &entity::jobs::Model,
) -> Result<serde_json::Value, ApiError> {
    let (batch, layout) = batch_and_layout(state, job).await?;
    let bytes = job.payload.clone().unwrap_or_default();
    let rows = match layout.format {
        LayoutFormat::Xlsx => Some(workbook_rows(state, bytes.clone()).await?),
        LayoutFormat::Csv | LayoutFormat::FixedWidth => None,
    };
    let file = reconcile::ResultFile { bytes, rows };
    let report = reconcile::apply(&caller.context(state), batch, layout, file).await?;
    serde_json::to_value(ReconcileResponse::from(report))
        .map_err(|e| ApiError::Internal(e.to_string()))
}

/// Every row of an XLSX result file, first row included, through the spreadsheet reader that
/// holds hostile workbooks to the import limits.
async fn workbook_rows(state: &AppState, bytes: Vec<u8>) -> Result<Vec<reconcile::Row>, ApiError> {
    let limits = read::Limits::with_max_rows(state.settings.import_max_rows);
    let mut sheet = read::open(bytes.into(), SheetFormat::Xlsx, limits).await?;
    let mut rows = vec![(1, std::mem::take(&mut sheet.headers))];
    while let Some(row) = sheet.next().await? {
        rows.push(row);
    }
    Ok(rows)
}

/// Draw the post-payment verification sample.
///
/// 发放回访抽样: a random sample of each county's paid recipients of the campaign (within
/// `within_org_id`, yours by default), `percent` of them or enough for `confidence_level` (90,
/// 95, 99) and `margin_percent` (Cochran's formula with the finite-population correction: 95 %
/// ± 5 points is 385 of a large county, 59 of 69). Drawing again tops each county's sample up to
/// the size as more are paid; a payout is never drawn twice. Each drawn recipient is a `pending`
/// check to contact.
#[utoipa::path(
    tag = tags::PAYOUTS,
    operation_id = "sample_payout_checks",
    params(("id" = Uuid, Path, description = "Campaign id")),
    request_body = SampleRequest,
    extensions(("x-permission" = json!(payouts::WRITE))),
    responses(
        (status = 201, description = "Drawn", body = SampleResponse),
        (status = 404, response = crate::http::responses::NotFound),
    ),
)]
#[post("/campaigns/{id}/payout-checks/sample")]
pub async fn sample(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    body: Json<SampleRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let size = body.size()?;
    let counties = checks::sample(&caller.context(&state), *id, body.within_org_id, size).await?;
    Ok(HttpResponse::Created().json(SampleResponse {
        campaign_id: *id,
        counties: counties
            .into_iter()
            .map(CountySampleResponse::from)
            .collect(),
    }))
}

/// List post-payment checks.
///
/// The sampled recipients of your subtree, oldest first, keyset-paginated; `result=pending` is
/// who is still to be contacted, `result=not_received` the follow-up list.
#[utoipa::path(
    tag = tags::PAYOUTS,
    operation_id = "list_payout_checks",
    params(CheckListQuery),
    extensions(("x-permission" = json!(payouts::READ))),
    responses((status = 200, description = "One page", body = Page<CheckResponse>)),
)]
#[get("/payout-checks")]
pub async fn list_checks(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<CheckListQuery>,
) -> Result<HttpResponse, ApiError> {
    use entity::payout_checks::Column;
    let q = query.into_inner();
    let select = checks::list(&caller.context(&state), &q.filter()).await?;
    let page = PageRequest::new(q.limit, q.cursor.as_deref(), q.count)?;
    let page = page_by_id(&state.db, select, Column::Id, |c| c.id, &page, Order::Asc).await?;
    Ok(HttpResponse::Ok().json(page.map(CheckResponse::from)))
}

/// Record a post-payment contact.
///
/// What the phone call or visit found (`received`, `not_received`, `received_with_issues`),
/// when and how, with a note: once per check (409 after). The date is not in the future.
/// Honours `If-Match`.
#[utoipa::path(
    tag = tags::PAYOUTS,
    operation_id = "record_payout_check",
    params(("id" = Uuid, Path, description = "Check id"), ("If-Match" = Option<String>, Header, description = "The `ETag` you read")),
    request_body = RecordCheckRequest,
    extensions(("x-permission" = json!(payouts::WRITE))),
    responses(
        (status = 200, description = "Recorded", body = CheckResponse, headers(("ETag" = String, description = "The new version"))),
        (status = 404, response = crate::http::responses::NotFound),
        (status = 409, response = crate::http::responses::Conflict),
        (status = 412, response = crate::http::responses::PreconditionFailed),
    ),
)]
#[post("/payout-checks/{id}/record")]
pub async fn record_check(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<RecordCheckRequest>,
) -> Result<HttpResponse, ApiError> {
    let c = checks::record(
        &caller.context(&state),
        *id,
        if_match.0,
        body.into_inner().into(),
    )
    .await?;
    Ok(ok_versioned(c.version, &CheckResponse::from(c)))
}

/// Summarise a campaign's post-payment verification.
///
/// Per county of your subtree: how many were sampled, are still to contact, received, did not
/// receive, or received with issues.
#[utoipa::path(
    tag = tags::PAYOUTS,
    operation_id = "payout_check_summary",
    params(("id" = Uuid, Path, description = "Campaign id")),
    extensions(("x-permission" = json!(payouts::READ))),
    responses(
        (status = 200, description = "The figures", body = CheckSummaryResponse),
        (status = 404, response = crate::http::responses::NotFound),
    ),
)]
#[get("/campaigns/{id}/payout-check-summary")]
pub async fn check_summary(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let counties = checks::summary(&caller.context(&state), *id).await?;
    Ok(HttpResponse::Ok().json(CheckSummaryResponse {
        campaign_id: *id,
        counties: counties
            .into_iter()
            .map(CountyChecksResponse::from)
            .collect(),
    }))
}

/// Get a short-lived link to a bank file.
///
/// A signed link that downloads the file without a bearer token for five minutes — for a
/// browser's download or the bank's upload tool — as you: the download checks again that your
/// account is enabled and holds `payouts.export`, and is audited like any download. Asking for
/// a link is audited too.
#[utoipa::path(
    tag = tags::PAYOUTS,
    operation_id = "link_payout_file",
    params(("id" = Uuid, Path, description = "File id")),
    extensions(("x-permission" = json!(payouts::EXPORT))),
    responses(
        (status = 201, description = "The link", body = FileLinkResponse),
        (status = 404, response = crate::http::responses::NotFound),
    ),
)]
#[post("/payout-files/{id}/link")]
pub async fn link(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let ctx = caller.context(&state);
    let file = export::link(&ctx, *id).await?;
    let (token, expires_at) =
        state
            .auth
            .keys
            .issue_file_link(caller.kind, caller.id, file.id, ctx.clock.now())?;
    Ok(HttpResponse::Created().json(FileLinkResponse {
        url: format!("/downloads/payout-files/{token}"),
        expires_at,
    }))
}

/// Download a bank file by its link.
///
/// The file a short-lived link (`POST /api/v1/payout-files/{id}/link`) names, without a bearer
/// token: as the person who asked for the link, if the link is this server's, has not expired,
/// and that person may still download the file. Anything else answers 404.
#[utoipa::path(
    tag = tags::PAYOUTS,
    operation_id = "download_payout_file_by_link",
    params(("token" = String, Path, description = "The token in the link's `url`")),
    responses(
        (status = 200, description = "The file: CSV, fixed-width text or XLSX as its layout says", content(
            (crate::spreadsheet::FileBytes = "text/csv"),
            (crate::spreadsheet::FileBytes = "text/plain"),
            (crate::spreadsheet::FileBytes = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ),
            headers(("Content-Disposition" = String, description = "`attachment` with the file's name"),
                    ("X-Checksum-Sha256" = String, description = "The SHA-256 recorded at export"))),
        (status = 404, response = crate::http::responses::NotFound),
        (status = 409, response = crate::http::responses::Conflict),
    ),
)]
#[get("/downloads/payout-files/{token}")]
pub async fn download_by_link(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let claims = state
        .auth
        .keys
        .verify_file_link(&token)
        .ok_or(ApiError::NotFound)?;
    let meta = crate::auth::meta::RequestMeta::of(&req);
    let caller = Caller::load(&state.db, claims.kind, claims.sub, Some(claims.iat), meta)
        .await?
        .ok_or(ApiError::NotFound)?;
    let ctx = caller.context(&state);
    match file_response(&ctx, claims.file).await {
        Err(ApiError::Forbidden(_)) => Err(ApiError::NotFound),
        other => other,
    }
}

/// List bank file layouts.
///
/// The layouts a batch can be exported in and a result file read with: the built-in `generic`
/// (UTF-8 CSV, a header, a closing total) and `gb18030_summary` (GBK-compatible CSV, the count
/// and total first), and those the city's administrators added for their banks.
#[utoipa::path(
    tag = tags::PAYOUTS,
    operation_id = "list_bank_layouts",
    extensions(("x-permission" = json!(payouts::READ))),
    responses((status = 200, description = "Every layout", body = Vec<LayoutResponse>)),
)]
#[get("/bank-layouts")]
pub async fn list_layouts(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    let all = export::all_layouts(&caller.context(&state)).await?;
    let body: Vec<LayoutResponse> = all
        .into_iter()
        .map(|(layout, builtin)| LayoutResponse::of(layout, builtin))
        .collect();
    Ok(HttpResponse::Ok().json(body))
}

/// Add a bank file layout.
///
/// A bank's own 代发 format, as data: the columns in order (what each holds — `reference`,
/// `card_number`, `holder_name`, `bank_code`, `bank_name`, `amount`, or `fixed` with its
/// `text` — and its header), CSV or fixed-width text (each column's `width` in bytes of the
/// encoding: a GBK character is two; text left-aligned, amounts right-aligned, space-padded),
/// UTF-8 or GB18030 (GBK-compatible), amounts in yuan (`1500.00`) or fen, a header row or not,
/// a summary line first or last or none, and at most `max_rows` payouts per file. The reference,
/// card number and amount columns are required. `result_columns` say what the bank adds to each
/// line of its result file (回盘文件) — `status` (required when any is given, and always for a
/// fixed-width layout), `reason`, `processed_amount` — so that a result without a header row is
/// read by position. Kept by the city (a county administrator gets
/// 403); never changed once added — exported files are rendered again from their layout — so
/// a bank's new format is a new layout. A name taken is 409.
#[utoipa::path(
    tag = tags::PAYOUTS,
    operation_id = "create_bank_layout",
    request_body(content = CreateLayoutRequest, example = json!({
    "name": "jining_bank_fixed", "label": "济宁银行代发定长格式", "encoding": "gb18030", "format": "fixed_width",
    "amount": "fen", "summary": "head", "header": false, "max_rows": 1000,
    "columns": [
        {"field": "card_number", "header": "卡号", "width": 19},
        {"field": "holder_name", "header": "户名", "width": 20},
        {"field": "amount", "header": "金额", "width": 12},
        {"field": "reference", "header": "备注", "width": 20},
        {"field": "fixed", "header": "用途", "width": 16, "text": "困难职工帮扶资金"}
    ],
    "result_columns": [
        {"field": "status", "header": "处理结果", "width": 8},
        {"field": "reason", "header": "失败原因", "width": 30},
        {"field": "processed_amount", "header": "实际金额", "width": 12}
    ]
})),
    extensions(("x-permission" = json!(payouts::EXPORT))),
    responses(
        (status = 201, description = "Added", body = LayoutResponse),
        (status = 409, response = crate::http::responses::Conflict),
    ),
)]
#[post("/bank-layouts")]
pub async fn create_layout(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<CreateLayoutRequest>,
) -> Result<HttpResponse, ApiError> {
    let layout = export::add_layout(&caller.context(&state), body.into_inner().0).await?;
    Ok(HttpResponse::Created().json(LayoutResponse::of(layout, false)))
}
