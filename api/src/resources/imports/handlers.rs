//! Imports of registry records and wage agreements from county spreadsheets: the endpoints, and
//! the jobs that turn each row into the request a single `POST` would send (same parsing, same
//! validation) and hand it to the core's import operations (`siji_core::imports`), which resolve
//! the row's references, skip what the caller already has and register the rest (one unit of
//! work and one audit event per row). A rejected row leaves no trace but its line in the report.

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, post, web};
use serde_json::{Map, Value, json};
use siji_core::imports;
use siji_core::registry::workers::NewWorker;
use siji_openapi::tags;

use super::dto::*;
use super::rows::{ImportKind, Report, Rows, Upload, import, parse_row};
use crate::auth::Caller;
use crate::domain::{id_number, uscc};
use crate::http::{ApiError, Query};
use crate::jobs::Progress;
use crate::pii::PiiField;
use crate::resources::enterprises::dto::CreateEnterpriseRequest;
use crate::resources::wage_agreements::dto::{CreateAgreementRequest, FileRequest, SignRequest};
use crate::resources::workers::dto::CreateWorkerRequest;
use crate::state::AppState;

/// Import workers.
///
/// Upload a CSV (UTF-8 or GB18030) or XLSX file as the request body, with a header row in the
/// template's columns (Chinese headers such as 姓名, 身份证号, 手机号, 所属企业 are accepted; see
/// the template). Each row is validated and registered like `POST /api/v1/workers`: valid rows
/// are saved, invalid ones are reported (row number, column, reason) and nothing of them is
/// saved. A person already registered in your subtree is `skipped`, so importing the same file
/// again creates no duplicates. Unknown or missing columns reject the whole file (400), and so
/// does a file past the import limits (413), before anything is saved.
///
/// The file is checked at once; the import itself runs as a job (`202 Accepted`, the job in
/// `Location`): poll `GET /api/v1/jobs/{id}` until it has `succeeded`, and read the per-row
/// report in its `result`. If the job is interrupted (a restart), it runs again from the start
/// and the rows it had already saved come out `skipped`.
#[utoipa::path(
    tag = tags::IMPORTS,
    operation_id = "import_workers",
    params(ImportQuery, ("Idempotency-Key" = Option<String>, Header, description = "Send a fresh key (a UUID) with each import; sending the same request again with the same key answers the same job instead of importing again (kept 7 days)")),
    request_body(description = "The spreadsheet: the file itself as the body (CSV or XLSX by its media type; `application/octet-stream` is recognised by its content), or a browser form upload with the file in the field `file`", content(
        (crate::spreadsheet::FileBytes = "text/csv"),
        (crate::spreadsheet::FileBytes = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (crate::spreadsheet::FileBytes = "application/octet-stream"),
        (ImportForm = "multipart/form-data"),
    )),
    extensions(("x-permission" = json!(siji_core::registry::workers::WRITE))),
    responses(
        (status = 202, description = "The file passed the checks and is being imported: the job (its URL also in `Location`), whose `result` is the per-row `ImportReport` when it has succeeded. Replayed with `Idempotent-Replayed: true` for a repeated `Idempotency-Key`", body = crate::resources::jobs::dto::JobResponse,
            headers(("Location" = String, description = "The job's URL"))),
        (status = 404, response = crate::http::responses::NotFound),
        (status = 409, response = crate::http::responses::IdempotencyKeyInFlight),
        (status = 413, response = crate::http::responses::ImportTooLarge),
        (status = 422, response = crate::http::responses::IdempotencyKeyReused),
    ),
)]
#[post("/imports/workers")]
pub async fn import_workers(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    payload: web::Payload,
    query: Query<ImportQuery>,
) -> Result<HttpResponse, ApiError> {
    import(
        &state,
        &caller,
        &req,
        payload,
        query.0.org_id,
        ImportKind::Workers,
    )
    .await
}

/// The work of a worker import job: every row registered as `POST /api/v1/workers` would.
pub async fn workers(
    state: &AppState,
    caller: &Caller,
    upload: &Upload,
    progress: Progress,
) -> Result<Value, ApiError> {
    let org_id = upload.org_id;
    let mut rows = Rows::open(state, upload, ImportKind::Workers, &progress).await?;
    let ctx = caller.context(state);

    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut report = Report::new(progress);
    // Rows in file order: refused at once, or waiting to be registered with their stretch.
    let mut stretch: Vec<(usize, Result<NewWorker, RowReport>)> = Vec::new();
    while let Some((number, mut fields)) = rows.next(&mut report).await? {
        // A person twice in one file: the second is rejected, pointing at the first.
        let key = fields
            .get("id_number")
            .and_then(Value::as_str)
            .map(id_number::normalise)
            .unwrap_or_default();
        let key = state.pii.blind_index(PiiField::IdNumber, &key);
        if let Some(line) = rows.repeated(&mut seen, key, number, "id_number") {
            stretch.push((number, Err(line)));
            continue;
        }

        fields.insert("org_id".into(), json!(org_id));
        fields.entry("kind").or_insert(json!("staff"));
        fields
            .entry("employment_status")
            .or_insert(json!("employed"));
        if let Some(cell) = fields.remove("enterprise") {
            match imports::employer(&ctx, cell.as_str().unwrap_or_default()).await {
                Ok(id) => {
                    fields.insert("enterprise_id".into(), json!(id));
                }
                Err(err) => {
                    stretch.push((
                        number,
                        Err(rows.outcome(number, Err(err.into()), "id_number")?),
                    ));
                    continue;
                }
            }
        }
        match parse_row::<CreateWorkerRequest>(fields) {
            Ok(request) => stretch.push((number, Ok(request.into()))),
            Err(err) => stretch.push((number, Err(rows.outcome(number, Err(err), "id_number")?))),
        }
        if stretch.len() >= STRETCH {
            register_stretch(&ctx, &rows, &mut report, std::mem::take(&mut stretch)).await?;
        }
    }
    register_stretch(&ctx, &rows, &mut report, stretch).await?;
    report.finish(state, caller, "worker.import", org_id).await
}

/// Rows a worker import registers together: few enough that its progress moves steadily and a
/// retried job redoes little, enough that a row costs a fraction of a statement and that the
/// pause SQLite's other writers get between units (25 ms) is a small part of the time.
const STRETCH: usize = 500;

/// Register a stretch of rows together, then report every row of it in file order; a row the
/// batch could not take is registered alone for its exact outcome (created, skipped, refused).
async fn register_stretch(
    ctx: &siji_core::Context<'_>,
    rows: &Rows,
    report: &mut Report,
    stretch: Vec<(usize, Result<NewWorker, RowReport>)>,
) -> Result<(), ApiError> {
    let news: Vec<NewWorker> = stretch
        .iter()
        .filter_map(|(_, row)| row.as_ref().ok().cloned())
        .collect();
    let mut together = if news.is_empty() {
        Vec::new()
    } else {
        imports::workers_together(ctx, news).await?
    }
    .into_iter();
    for (number, row) in stretch {
        match row {
            Err(line) => report.push(line),
            Ok(new) => {
                let result = match together.next().flatten() {
                    Some(id) => Ok(imports::Imported::Created(id)),
                    None => imports::worker(ctx, new).await.map_err(ApiError::from),
                };
                report.push(rows.outcome(number, result, "id_number")?);
            }
        }
    }
    siji_core::uow::breathe(ctx.db).await;
    Ok(())
}

/// Import enterprises.
///
/// Like the worker import, with the enterprise template's columns (企业名称, 统一社会信用代码,
/// 所有制类型, 行业门类, …). An enterprise whose USCC is already registered in your subtree is
/// `skipped`.
#[utoipa::path(
    tag = tags::IMPORTS,
    operation_id = "import_enterprises",
    params(ImportQuery, ("Idempotency-Key" = Option<String>, Header, description = "Send a fresh key (a UUID) with each import; sending the same request again with the same key answers the same job instead of importing again (kept 7 days)")),
    request_body(description = "The spreadsheet: the file itself as the body (CSV or XLSX by its media type; `application/octet-stream` is recognised by its content), or a browser form upload with the file in the field `file`", content(
        (crate::spreadsheet::FileBytes = "text/csv"),
        (crate::spreadsheet::FileBytes = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (crate::spreadsheet::FileBytes = "application/octet-stream"),
        (ImportForm = "multipart/form-data"),
    )),
    extensions(("x-permission" = json!(siji_core::registry::enterprises::WRITE))),
    responses(
        (status = 202, description = "The file passed the checks and is being imported: the job (its URL also in `Location`), whose `result` is the per-row `ImportReport` when it has succeeded. Replayed with `Idempotent-Replayed: true` for a repeated `Idempotency-Key`", body = crate::resources::jobs::dto::JobResponse,
            headers(("Location" = String, description = "The job's URL"))),
        (status = 404, response = crate::http::responses::NotFound),
        (status = 409, response = crate::http::responses::IdempotencyKeyInFlight),
        (status = 413, response = crate::http::responses::ImportTooLarge),
        (status = 422, response = crate::http::responses::IdempotencyKeyReused),
    ),
)]
#[post("/imports/enterprises")]
pub async fn import_enterprises(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    payload: web::Payload,
    query: Query<ImportQuery>,
) -> Result<HttpResponse, ApiError> {
    import(
        &state,
        &caller,
        &req,
        payload,
        query.0.org_id,
        ImportKind::Enterprises,
    )
    .await
}

/// The work of an enterprise import job.
pub async fn enterprises(
    state: &AppState,
    caller: &Caller,
    upload: &Upload,
    progress: Progress,
) -> Result<Value, ApiError> {
    let org_id = upload.org_id;
    let mut rows = Rows::open(state, upload, ImportKind::Enterprises, &progress).await?;
    let ctx = caller.context(state);

    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut report = Report::new(progress);
    while let Some((number, mut fields)) = rows.next(&mut report).await? {
        let code = fields
            .get("uscc")
            .and_then(Value::as_str)
            .map(uscc::normalise)
            .unwrap_or_default();
        if let Some(line) = rows.repeated(&mut seen, code.clone(), number, "uscc") {
            report.push(line);
            continue;
        }
        fields.insert("org_id".into(), json!(org_id));
        let result = match parse_row::<CreateEnterpriseRequest>(fields) {
            Ok(request) => imports::enterprise(&ctx, request.into())
                .await
                .map_err(ApiError::from),
            Err(err) => Err(err),
        };
        report.push(rows.outcome(number, result, "uscc")?);
    }
    report
        .finish(state, caller, "enterprise.import", org_id)
        .await
}

/// Import collective wage agreements.
///
/// Like the other imports, with the agreement template's columns (协议名称, 协议范围, 协商模式,
/// 文本类型, 覆盖企业 as USCCs, 签订日期, 生效日期, 截止日期, 工资增幅(%), 最低工资(元), 覆盖职工人数,
/// 备案日期, 备案号). A row with a signing date is recorded as signed (with a filing date, as
/// filed) after every rule of signing is checked: the three-year term, the statutory minimum
/// wage, no overlapping agreement. An agreement already recorded (same title, text type, first
/// day and enterprises) is `skipped`.
#[utoipa::path(
    tag = tags::IMPORTS,
    operation_id = "import_wage_agreements",
    params(ImportQuery, ("Idempotency-Key" = Option<String>, Header, description = "Send a fresh key (a UUID) with each import; sending the same request again with the same key answers the same job instead of importing again (kept 7 days)")),
    request_body(description = "The spreadsheet: the file itself as the body (CSV or XLSX by its media type; `application/octet-stream` is recognised by its content), or a browser form upload with the file in the field `file`", content(
        (crate::spreadsheet::FileBytes = "text/csv"),
        (crate::spreadsheet::FileBytes = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (crate::spreadsheet::FileBytes = "application/octet-stream"),
        (ImportForm = "multipart/form-data"),
    )),
    extensions(("x-permission" = json!(siji_core::agreements::WRITE))),
    responses(
        (status = 202, description = "The file passed the checks and is being imported: the job (its URL also in `Location`), whose `result` is the per-row `ImportReport` when it has succeeded. Replayed with `Idempotent-Replayed: true` for a repeated `Idempotency-Key`", body = crate::resources::jobs::dto::JobResponse,
            headers(("Location" = String, description = "The job's URL"))),
        (status = 404, response = crate::http::responses::NotFound),
        (status = 409, response = crate::http::responses::IdempotencyKeyInFlight),
        (status = 413, response = crate::http::responses::ImportTooLarge),
        (status = 422, response = crate::http::responses::IdempotencyKeyReused),
    ),
)]
#[post("/imports/wage-agreements")]
pub async fn import_agreements(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    payload: web::Payload,
    query: Query<ImportQuery>,
) -> Result<HttpResponse, ApiError> {
    import(
        &state,
        &caller,
        &req,
        payload,
        query.0.org_id,
        ImportKind::Agreements,
    )
    .await
}

/// The work of a wage-agreement import job.
pub async fn agreements(
    state: &AppState,
    caller: &Caller,
    upload: &Upload,
    progress: Progress,
) -> Result<Value, ApiError> {
    let org_id = upload.org_id;
    let mut rows = Rows::open(state, upload, ImportKind::Agreements, &progress).await?;
    let ctx = caller.context(state);

    let mut report = Report::new(progress);
    while let Some((number, mut fields)) = rows.next(&mut report).await? {
        // 覆盖企业: USCCs of enterprises in the caller's subtree.
        let codes: Vec<String> = fields
            .remove("enterprises")
            .and_then(|v| v.as_array().cloned())
            .unwrap_or_default()
            .iter()
            .filter_map(|v| v.as_str().map(uscc::normalise))
            .collect();
        let enterprise_ids = match imports::covered_enterprises(&ctx, &codes).await {
            Ok(ids) => ids,
            Err(err) => {
                report.push(rows.outcome(number, Err(err.into()), "title")?);
                continue;
            }
        };
        let term_fields = [
            "signed_on",
            "effective_from",
            "effective_to",
            "wage_rise_bp",
            "minimum_wage_fen",
            "workers_covered",
        ];
        let mut terms = Map::new();
        for name in term_fields {
            if let Some(value) = fields.remove(name) {
                terms.insert(name.to_owned(), value);
            }
        }
        let mut filing = Map::new();
        for name in ["filed_on", "filing_number"] {
            if let Some(value) = fields.remove(name) {
                filing.insert(name.to_owned(), value);
            }
        }
        fields.insert("org_id".into(), json!(org_id));
        fields.insert("enterprise_ids".into(), json!(enterprise_ids));

        let parsed = parse_row::<CreateAgreementRequest>(fields).and_then(|create| {
            let signed = if terms.is_empty() {
                None
            } else {
                let filed = if filing.is_empty() {
                    None
                } else {
                    Some(parse_row::<FileRequest>(filing)?)
                };
                Some((parse_row::<SignRequest>(terms)?, filed))
            };
            Ok((create, signed))
        });
        let result = match parsed {
            Ok((create, signed)) => {
                let signed = signed.map(|(t, f)| (t.into(), f.map(Into::into)));
                imports::agreement(&ctx, create.into(), signed)
                    .await
                    .map_err(ApiError::from)
            }
            Err(err) => Err(err),
        };
        report.push(rows.outcome(number, result, "title")?);
    }
    report
        .finish(state, caller, "wage_agreement.import", org_id)
        .await
}
