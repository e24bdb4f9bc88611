//! Imports from county spreadsheets and their templates. Every row goes through the same
//! validation and registration as a single `POST` (one transaction and one audit event per
//! row), so an import can do nothing a user could not do by hand, and a rejected row leaves no
//! trace but its line in the report.

use std::collections::HashMap;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use entity::enterprises;
use futures_util::StreamExt;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Map, Value, json};
use siji_openapi::tags;
use uuid::Uuid;

use super::columns::{
    self, AGREEMENT_COLUMNS, ARCHIVE_COLUMNS, Column, ENTERPRISE_COLUMNS, WORKER_COLUMNS,
};
use super::dto::*;
use crate::audit::{self, Event};
use crate::auth::{Caller, Permission};
use crate::domain::{id_number, uscc};
use crate::http::idempotency::{self, Replayable};
use crate::http::{ApiError, ErrorCode, FieldError, Query};
use crate::pii::PiiField;
use crate::resources::beneficiaries::dto::CreateBeneficiaryRequest;
use crate::resources::enterprises::dto::CreateEnterpriseRequest;
use crate::resources::wage_agreements::dto::{CreateAgreementRequest, FileRequest, SignRequest};
use crate::resources::workers::dto::CreateWorkerRequest;
use crate::resources::{
    enterprises as enterprise_resource, orgs, wage_agreements as agreement_resource,
    workers as worker_resource,
};
use crate::spreadsheet::{Format, read};
use crate::state::AppState;

/// Read the uploaded file: its format from `Content-Type`, its size within the import limit.
async fn upload(
    req: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
) -> Result<(Format, Vec<u8>), ApiError> {
    let format = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(Format::from_media_type)
        .ok_or(ApiError::UnsupportedMediaType(
            "text/csv or application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ))?;
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| ApiError::PayloadTooLarge(limit))?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::PayloadTooLarge(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok((format, body))
}

/// A spreadsheet row: its number and its cells by canonical column.
type Row = (usize, Map<String, Value>);

/// Rows of a table as `{canonical column: JSON value}`, with the file's header for each column.
struct Rows {
    header_of: HashMap<&'static str, String>,
    rows: Vec<(usize, Map<String, Value>)>,
}

fn rows(
    bytes: &[u8],
    format: Format,
    spec: &'static [Column],
    required: &[&'static str],
) -> Result<Rows, ApiError> {
    let table = read::read(bytes, format)?;
    let mapped = read::map_columns(&table.headers, &columns::aliases(spec), required)?;
    let mut header_of = HashMap::new();
    for (header, name) in table.headers.iter().zip(&mapped) {
        if let Some(name) = name {
            header_of.insert(*name, header.clone());
        }
    }
    let rows = table
        .rows
        .into_iter()
        .map(|(number, cells)| {
            let mut fields = Map::new();
            for (cell, name) in cells.iter().zip(&mapped) {
                let Some(name) = name else { continue };
                let column = spec.iter().find(|c| c.name == *name);
                if let Some(value) = column.and_then(|c| columns::convert(c.convert, cell)) {
                    fields.insert((*name).to_owned(), value);
                }
            }
            (number, fields)
        })
        .collect();
    Ok(Rows { header_of, rows })
}

impl Rows {
    /// Field errors named by the column header the user wrote.
    fn rename(&self, errors: Vec<FieldError>) -> Vec<FieldError> {
        errors
            .into_iter()
            .map(|mut e| {
                let root = e
                    .field
                    .split(['.', '['])
                    .next()
                    .unwrap_or_default()
                    .to_owned();
                let root = match root.as_str() {
                    "enterprise_id" => "enterprise".to_owned(),
                    "enterprise_ids" => "enterprises".to_owned(),
                    _ => root,
                };
                if let Some(header) = self.header_of.get(root.as_str()) {
                    e.field = header.clone();
                }
                e
            })
            .collect()
    }
}

fn rejected(row: usize, errors: Vec<FieldError>) -> RowReport {
    RowReport {
        row,
        outcome: RowOutcome::Rejected,
        id: None,
        errors,
    }
}

/// A row's outcome from what registering it answered.
fn outcome(
    row: usize,
    result: Result<Uuid, ApiError>,
    rows: &Rows,
    key_field: &'static str,
) -> Result<RowReport, ApiError> {
    let key_error = |code: &str, message: &str| {
        let field = rows
            .header_of
            .get(key_field)
            .cloned()
            .unwrap_or_else(|| key_field.to_owned());
        vec![FieldError::new(field, code, message)]
    };
    Ok(match result {
        Ok(id) => RowReport {
            row,
            outcome: RowOutcome::Created,
            id: Some(id),
            errors: Vec::new(),
        },
        Err(ApiError::Duplicate {
            existing_id: Some(id),
            ..
        }) => RowReport {
            row,
            outcome: RowOutcome::Skipped,
            id: Some(id),
            errors: Vec::new(),
        },
        Err(ApiError::Duplicate {
            existing_id: None, ..
        })
        | Err(ApiError::Conflict {
            code: ErrorCode::Duplicate,
            ..
        }) => rejected(
            row,
            key_error(
                "registered_elsewhere",
                "is already registered by another organisation",
            ),
        ),
        Err(ApiError::Validation(errors)) => rejected(row, rows.rename(errors)),
        Err(ApiError::Conflict { detail, .. }) => {
            rejected(row, vec![FieldError::new("", "conflict", detail)])
        }
        Err(ApiError::NotFound) => rejected(
            row,
            vec![FieldError::new(
                "",
                "not_found",
                "refers to something outside your organisation",
            )],
        ),
        Err(other) => return Err(other),
    })
}

/// A row through exactly the path a JSON request body takes: types, then validation.
fn parse_row<T: serde::de::DeserializeOwned + validator::Validate>(
    fields: Map<String, Value>,
) -> Result<T, ApiError> {
    let bytes = serde_json::to_vec(&Value::Object(fields))
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let value: T = crate::http::extract::parse_json(&bytes)?;
    crate::http::extract::validate(&value)?;
    Ok(value)
}

/// A record already seen on an earlier row of the same file: the later row is rejected,
/// pointing at the first.
fn repeated<K: std::hash::Hash + Eq>(
    seen: &mut HashMap<K, usize>,
    key: K,
    row: usize,
    rows: &Rows,
    column: &str,
) -> Option<RowReport> {
    if let Some(first) = seen.get(&key) {
        let header = rows.header_of.get(column).cloned().unwrap_or_default();
        return Some(rejected(
            row,
            vec![FieldError::new(
                header,
                "repeated_row",
                format!("repeats row {first}"),
            )],
        ));
    }
    seen.insert(key, row);
    None
}

fn report(rows: Vec<RowReport>) -> ImportReport {
    let count = |o| rows.iter().filter(|r| r.outcome == o).count();
    ImportReport {
        total_rows: rows.len(),
        created: count(RowOutcome::Created),
        skipped: count(RowOutcome::Skipped),
        rejected: count(RowOutcome::Rejected),
        rows,
    }
}

async fn target_org(
    state: &AppState,
    caller: &Caller,
    org_id: Option<Uuid>,
) -> Result<Uuid, ApiError> {
    match org_id {
        Some(id) => Ok(orgs::queries::find(&state.db, &caller.scope(), id)
            .await?
            .ok_or(ApiError::NotFound)?
            .id),
        None => Ok(caller.org.id),
    }
}

/// The start of every import: the target organisation (in scope) and the uploaded file.
async fn start(
    state: &AppState,
    caller: &Caller,
    req: &HttpRequest,
    payload: web::Payload,
    org_id: Option<Uuid>,
) -> Result<(Uuid, Format, Vec<u8>), ApiError> {
    let org_id = target_org(state, caller, org_id).await?;
    let (format, bytes) = upload(req, payload, state.settings.import_limit).await?;
    Ok((org_id, format, bytes))
}

/// The end of every import: the report, and one audit event summarising it.
async fn finish(
    state: &AppState,
    caller: &Caller,
    reports: Vec<RowReport>,
    action: &'static str,
    org_id: Uuid,
) -> Result<Replayable, ApiError> {
    let report = report(reports);
    let summary = json!({ "created": report.created, "skipped": report.skipped, "rejected": report.rejected, "org_id": org_id });
    audit::record(
        &state.db,
        &caller.actor(),
        Event::new(action).changes(summary),
    )
    .await?;
    Replayable::ok(&report)
}

/// Resolve the 所属企业 cell: a USCC, or the exact name of an enterprise in the caller's subtree.
async fn resolve_enterprise(
    state: &AppState,
    caller: &Caller,
    cell: &str,
) -> Result<Option<Uuid>, &'static str> {
    let code = uscc::normalise(cell);
    let scoped = enterprise_resource::queries::scoped(&caller.scope());
    let found = if uscc::validate(&code).is_ok() {
        scoped
            .filter(enterprises::Column::Uscc.eq(code))
            .all(&state.db)
            .await
    } else {
        scoped
            .filter(enterprises::Column::Name.eq(cell.trim()))
            .all(&state.db)
            .await
    }
    .map_err(|_| "lookup failed")?;
    match found.as_slice() {
        [one] => Ok(Some(one.id)),
        [] => Err("no such enterprise in your organisation (give its USCC or exact name)"),
        _ => Err("several enterprises have this name; give the USCC"),
    }
}

/// Import workers.
///
/// Upload a CSV (UTF-8 or GB18030) or XLSX file as the request body, with a header row in the
/// template's columns (Chinese headers such as 姓名, 身份证号, 手机号, 所属企业 are accepted; see
/// the template). Each row is validated and registered like `POST /api/v1/workers`: valid rows
/// are saved, invalid ones are reported (row number, column, reason) and nothing of them is
/// saved. A person already registered in your subtree is `skipped`, so importing the same file
/// again creates no duplicates. Unknown or missing columns reject the whole file (400).
#[utoipa::path(
    tag = tags::IMPORTS,
    operation_id = "import_workers",
    params(ImportQuery, ("Idempotency-Key" = Option<String>, Header, description = "Send a fresh key (a UUID) with each import; sending the same request again with the same key replays the first report instead of importing again (kept 7 days)")),
    request_body(description = "The spreadsheet", content(
        (String = "text/csv"),
        (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    )),
    extensions(("x-permission" = json!("registry.write"))),
    responses(
        (status = 200, description = "The per-row report (replayed with `Idempotent-Replayed: true` for a repeated `Idempotency-Key`)", body = ImportReport),
        (status = 404, response = crate::http::responses::NotFound),
        (status = 409, response = crate::http::responses::IdempotencyKeyInFlight),
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
    caller.require(&state.db, Permission::RegistryWrite).await?;
    let (org_id, format, bytes) = start(&state, &caller, &req, payload, query.0.org_id).await?;
    // Everything after reading the file runs once per Idempotency-Key.
    let work = async {
        let rows = rows(&bytes, format, WORKER_COLUMNS, &["name", "id_number"])?;

        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut reports = Vec::new();
        for (number, mut fields) in rows.rows.clone() {
            // A person twice in one file: the second is rejected, pointing at the first.
            let key = fields
                .get("id_number")
                .and_then(Value::as_str)
                .map(id_number::normalise)
                .unwrap_or_default();
            let key = state.pii.blind_index(PiiField::IdNumber, &key);
            if let Some(report) = repeated(&mut seen, key, number, &rows, "id_number") {
                reports.push(report);
                continue;
            }

            fields.insert("org_id".into(), json!(org_id));
            fields.entry("kind").or_insert(json!("staff"));
            fields
                .entry("employment_status")
                .or_insert(json!("employed"));
            if let Some(cell) = fields.remove("enterprise") {
                match resolve_enterprise(&state, &caller, cell.as_str().unwrap_or_default()).await {
                    Ok(id) => {
                        fields.insert("enterprise_id".into(), json!(id));
                    }
                    Err(message) => {
                        let header = rows
                            .header_of
                            .get("enterprise")
                            .cloned()
                            .unwrap_or_default();
                        reports.push(rejected(
                            number,
                            vec![FieldError::new(header, "not_found", message)],
                        ));
                        continue;
                    }
                }
            }
            let result = match parse_row::<CreateWorkerRequest>(fields) {
                Ok(request) => worker_resource::register(&state, &caller, request, "import")
                    .await
                    .map(|w| w.id),
                Err(err) => Err(err),
            };
            reports.push(outcome(number, result, &rows, "id_number")?);
        }
        finish(&state, &caller, reports, "worker.import", org_id).await
    };
    idempotency::once(&state.db, caller.id, &req, &bytes, work).await
}

/// Import enterprises.
///
/// Like the worker import, with the enterprise template's columns (企业名称, 统一社会信用代码,
/// 所有制类型, 行业门类, …). An enterprise whose USCC is already registered in your subtree is
/// `skipped`.
#[utoipa::path(
    tag = tags::IMPORTS,
    operation_id = "import_enterprises",
    params(ImportQuery, ("Idempotency-Key" = Option<String>, Header, description = "Send a fresh key (a UUID) with each import; sending the same request again with the same key replays the first report instead of importing again (kept 7 days)")),
    request_body(description = "The spreadsheet", content(
        (String = "text/csv"),
        (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    )),
    extensions(("x-permission" = json!("registry.write"))),
    responses(
        (status = 200, description = "The per-row report (replayed with `Idempotent-Replayed: true` for a repeated `Idempotency-Key`)", body = ImportReport),
        (status = 404, response = crate::http::responses::NotFound),
        (status = 409, response = crate::http::responses::IdempotencyKeyInFlight),
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
    caller.require(&state.db, Permission::RegistryWrite).await?;
    let (org_id, format, bytes) = start(&state, &caller, &req, payload, query.0.org_id).await?;
    // Everything after reading the file runs once per Idempotency-Key.
    let work = async {
        let rows = rows(
            &bytes,
            format,
            ENTERPRISE_COLUMNS,
            &["name", "uscc", "ownership", "industry"],
        )?;

        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut reports = Vec::new();
        for (number, mut fields) in rows.rows.clone() {
            let code = fields
                .get("uscc")
                .and_then(Value::as_str)
                .map(uscc::normalise)
                .unwrap_or_default();
            if let Some(report) = repeated(&mut seen, code.clone(), number, &rows, "uscc") {
                reports.push(report);
                continue;
            }
            // Already registered: skipped if it is ours to see, otherwise rejected without details.
            if let Some(existing) = enterprises::Entity::find()
                .filter(enterprises::Column::Uscc.eq(code))
                .one(&state.db)
                .await?
            {
                let visible =
                    enterprise_resource::queries::find(&state.db, &caller.scope(), existing.id)
                        .await?
                        .is_some();
                let result = Err(ApiError::Duplicate {
                    detail: String::new(),
                    existing_id: visible.then_some(existing.id),
                });
                reports.push(outcome(number, result, &rows, "uscc")?);
                continue;
            }
            fields.insert("org_id".into(), json!(org_id));
            let result = match parse_row::<CreateEnterpriseRequest>(fields) {
                Ok(request) => enterprise_resource::register(&state, &caller, request, "import")
                    .await
                    .map(|e| e.id),
                Err(err) => Err(err),
            };
            reports.push(outcome(number, result, &rows, "uscc")?);
        }
        finish(&state, &caller, reports, "enterprise.import", org_id).await
    };
    idempotency::once(&state.db, caller.id, &req, &bytes, work).await
}

/// The agreement already recorded in the caller's subtree that this row describes: same title,
/// text type, first day and enterprises.
async fn same_agreement(
    state: &AppState,
    caller: &Caller,
    request: &CreateAgreementRequest,
    from: Option<chrono::NaiveDate>,
) -> Result<Option<Uuid>, ApiError> {
    use entity::wage_agreements::Column as A;
    let mut candidates = agreement_resource::queries::scoped(&caller.scope())
        .filter(A::Title.eq(request.title.trim()))
        .filter(A::TextType.eq(request.text_type.as_str()));
    candidates = match from {
        Some(day) => candidates.filter(A::EffectiveFrom.eq(day)),
        None => candidates.filter(A::EffectiveFrom.is_null()),
    };
    let candidates = candidates.all(&state.db).await?;
    let ids: Vec<Uuid> = candidates.iter().map(|a| a.id).collect();
    let (covered, _) = agreement_resource::queries::details(&state.db, &ids).await?;
    let mut wanted = request.enterprise_ids.clone();
    wanted.sort();
    wanted.dedup();
    Ok(ids
        .into_iter()
        .find(|id| covered.get(id).is_some_and(|c| *c == wanted)))
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
    params(ImportQuery, ("Idempotency-Key" = Option<String>, Header, description = "Send a fresh key (a UUID) with each import; sending the same request again with the same key replays the first report instead of importing again (kept 7 days)")),
    request_body(description = "The spreadsheet", content(
        (String = "text/csv"),
        (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    )),
    extensions(("x-permission" = json!("agreements.write"))),
    responses(
        (status = 200, description = "The per-row report (replayed with `Idempotent-Replayed: true` for a repeated `Idempotency-Key`)", body = ImportReport),
        (status = 404, response = crate::http::responses::NotFound),
        (status = 409, response = crate::http::responses::IdempotencyKeyInFlight),
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
    caller
        .require(&state.db, Permission::AgreementsWrite)
        .await?;
    let (org_id, format, bytes) = start(&state, &caller, &req, payload, query.0.org_id).await?;
    // Everything after reading the file runs once per Idempotency-Key.
    let work = async {
        let rows = rows(
            &bytes,
            format,
            AGREEMENT_COLUMNS,
            &["title", "scope", "mode", "text_type", "enterprises"],
        )?;
        let header = |name: &str| {
            rows.header_of
                .get(name)
                .cloned()
                .unwrap_or_else(|| name.to_owned())
        };

        let mut reports = Vec::new();
        for (number, mut fields) in rows.rows.clone() {
            // 覆盖企业: USCCs of enterprises in the caller's subtree.
            let codes: Vec<String> = fields
                .remove("enterprises")
                .and_then(|v| v.as_array().cloned())
                .unwrap_or_default()
                .iter()
                .filter_map(|v| v.as_str().map(uscc::normalise))
                .collect();
            let found = enterprise_resource::queries::scoped(&caller.scope())
                .filter(enterprises::Column::Uscc.is_in(codes.clone()))
                .all(&state.db)
                .await?;
            if codes.is_empty()
                || found.len() != codes.iter().collect::<std::collections::HashSet<_>>().len()
            {
                let message = "every USCC must name an enterprise in your organisation";
                reports.push(rejected(
                    number,
                    vec![FieldError::new(header("enterprises"), "not_found", message)],
                ));
                continue;
            }
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
            fields.insert(
                "enterprise_ids".into(),
                json!(found.iter().map(|e| e.id).collect::<Vec<_>>()),
            );

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
                    let from = signed.as_ref().map(|(t, _)| t.effective_from);
                    match same_agreement(&state, &caller, &create, from).await? {
                        Some(existing) => Err(ApiError::Duplicate {
                            detail: String::new(),
                            existing_id: Some(existing),
                        }),
                        None => {
                            agreement_resource::register(&state, &caller, create, signed, "import")
                                .await
                                .map(|a| a.id)
                        }
                    }
                }
                Err(err) => Err(err),
            };
            reports.push(outcome(number, result, &rows, "title")?);
        }
        finish(&state, &caller, reports, "wage_agreement.import", org_id).await
    };
    idempotency::once(&state.db, caller.id, &req, &bytes, work).await
}

/// The agreement import template.
#[utoipa::path(
    tag = tags::IMPORTS,
    operation_id = "wage_agreement_import_template",
    params(TemplateQuery),
    extensions(("x-permission" = json!("agreements.read"))),
    responses((status = 200, description = "The template", content(
        (String = "text/csv"),
        (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ))),
)]
#[get("/imports/wage-agreements/template")]
pub async fn agreement_template(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<TemplateQuery>,
) -> Result<HttpResponse, ApiError> {
    caller
        .require(&state.db, Permission::AgreementsRead)
        .await?;
    template(
        "wage-agreements-template",
        AGREEMENT_COLUMNS,
        query.0.format.unwrap_or(TemplateFormat::Xlsx),
    )
}

/// Import hardship archives.
///
/// One row per household head (与户主关系 = 户主, identified by the ID number of a worker already
/// in your registry) with the household's columns, followed by one row per member; see the
/// template. Each household goes through the same eligibility rules and registration as
/// `POST /api/v1/beneficiaries` (a household the rules find not eligible is rejected: overrides
/// need a written reason and are made through the API). A head who already has a live archive
/// in your subtree is `skipped`, so importing the same file again creates nothing new. Member
/// rows share their household's outcome, or are rejected with their own errors.
#[utoipa::path(
    tag = tags::IMPORTS,
    operation_id = "import_beneficiaries",
    params(ImportQuery, ("Idempotency-Key" = Option<String>, Header, description = "Send a fresh key (a UUID) with each import; sending the same request again with the same key replays the first report instead of importing again (kept 7 days)")),
    request_body(description = "The spreadsheet", content(
        (String = "text/csv"),
        (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    )),
    extensions(("x-permission" = json!("archive.write"))),
    responses(
        (status = 200, description = "The per-row report (replayed with `Idempotent-Replayed: true` for a repeated `Idempotency-Key`)", body = ImportReport),
        (status = 404, response = crate::http::responses::NotFound),
        (status = 409, response = crate::http::responses::IdempotencyKeyInFlight),
        (status = 422, response = crate::http::responses::IdempotencyKeyReused),
    ),
)]
#[post("/imports/beneficiaries")]
pub async fn import_beneficiaries(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    payload: web::Payload,
    query: Query<ImportQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(&state.db, Permission::ArchiveWrite).await?;
    let (org_id, format, bytes) = start(&state, &caller, &req, payload, query.0.org_id).await?;
    // Everything after reading the file runs once per Idempotency-Key.
    let work = async {
        let required = [
            "relation",
            "name",
            "id_number",
            "household_size",
            "annual_income_fen",
            "rigid_expenses_fen",
            "causes",
        ];
        let rows = rows(&bytes, format, ARCHIVE_COLUMNS, &required)?;
        let header = |name: &str| {
            rows.header_of
                .get(name)
                .cloned()
                .unwrap_or_else(|| name.to_owned())
        };

        // Households: a head row and the member rows after it.
        let mut reports = Vec::new();
        let mut households: Vec<(Row, Vec<Row>)> = Vec::new();
        for (number, fields) in rows.rows.clone() {
            if fields.get("relation").and_then(Value::as_str) == Some("head") {
                households.push(((number, fields), Vec::new()));
            } else if let Some(last) = households.last_mut() {
                last.1.push((number, fields));
            } else {
                reports.push(rejected(
                    number,
                    vec![FieldError::new(
                        header("relation"),
                        "no_head",
                        "a member row must follow its household head's row",
                    )],
                ));
            }
        }

        let household_fields = [
            "household_size",
            "annual_income_fen",
            "rigid_expenses_fen",
            "accident_costs_fen",
            "causes",
            "needs",
            "migrant_worker",
            "employment_started_on",
            "long_term_assistance",
        ];
        let member_fields = [
            "name",
            "relation",
            "id_number",
            "birth_date",
            "health",
            "employment_status",
            "school",
            "stage",
            "grade",
            "admission_year",
        ];
        let mut seen: HashMap<Uuid, usize> = HashMap::new();
        for ((head_row, head), members) in households {
            let member_rows: Vec<usize> = members.iter().map(|(n, _)| *n).collect();
            let share = |outcome: RowOutcome, id: Option<Uuid>, reports: &mut Vec<RowReport>| {
                for n in &member_rows {
                    let errors = if outcome == RowOutcome::Rejected {
                        vec![FieldError::new(
                            "",
                            "household_rejected",
                            format!("its household (row {head_row}) was not saved"),
                        )]
                    } else {
                        Vec::new()
                    };
                    reports.push(RowReport {
                        row: *n,
                        outcome,
                        id,
                        errors,
                    });
                }
            };
            // The head: a worker of the caller's registry, found by ID number through the blind index.
            let number = head
                .get("id_number")
                .and_then(Value::as_str)
                .map(id_number::normalise)
                .unwrap_or_default();
            let idx = state.pii.blind_index(PiiField::IdNumber, &number);
            let worker = crate::resources::workers::queries::scoped(&caller.scope())
                .filter(entity::workers::Column::IdNumberIdx.eq(idx))
                .one(&state.db)
                .await?;
            let Some(worker) = worker else {
                let message =
                    "no worker with this ID number in your organisation; register the worker first";
                reports.push(rejected(
                    head_row,
                    vec![FieldError::new(header("id_number"), "not_found", message)],
                ));
                share(RowOutcome::Rejected, None, &mut reports);
                continue;
            };
            if let Some(report) = repeated(&mut seen, worker.id, head_row, &rows, "id_number") {
                reports.push(report);
                share(RowOutcome::Rejected, None, &mut reports);
                continue;
            }
            // Already archived and live: skipped (the same file imported again).
            let live = entity::beneficiaries::Entity::find()
                .filter(entity::beneficiaries::Column::LiveHeadWorkerId.eq(worker.id))
                .one(&state.db)
                .await?;
            if let Some(live) = live {
                let visible = crate::resources::beneficiaries::queries::find(
                    &state.db,
                    &caller.scope(),
                    live.id,
                )
                .await?
                .is_some();
                let outcome = if visible {
                    RowOutcome::Skipped
                } else {
                    RowOutcome::Rejected
                };
                let errors = if visible {
                    Vec::new()
                } else {
                    vec![FieldError::new(
                        header("id_number"),
                        "registered_elsewhere",
                        "already archived by another organisation",
                    )]
                };
                reports.push(RowReport {
                    row: head_row,
                    outcome,
                    id: visible.then_some(live.id),
                    errors,
                });
                share(outcome, visible.then_some(live.id), &mut reports);
                continue;
            }

            let mut request = Map::new();
            request.insert("org_id".into(), json!(org_id));
            request.insert("head_worker_id".into(), json!(worker.id));
            for name in household_fields {
                if let Some(v) = head.get(name) {
                    request.insert(name.into(), v.clone());
                }
            }
            let visited_on = head
                .get("visited_on")
                .cloned()
                .unwrap_or_else(|| json!(chrono::Utc::now().date_naive().to_string()));
            let findings = head
                .get("findings")
                .cloned()
                .unwrap_or_else(|| json!("导入"));
            request.insert(
                "first_visit".into(),
                json!({ "visited_on": visited_on, "findings": findings }),
            );
            let member_values: Vec<Value> = members
                .iter()
                .map(|(_, m)| {
                    let mut member: Map<String, Value> = member_fields
                        .iter()
                        .filter_map(|f| m.get(*f).map(|v| ((*f).to_owned(), v.clone())))
                        .collect();
                    member.entry("health").or_insert(json!("healthy"));
                    Value::Object(member)
                })
                .collect();
            request.insert("members".into(), Value::Array(member_values));

            let result = match parse_row::<CreateBeneficiaryRequest>(request) {
                Ok(r) => crate::resources::beneficiaries::register(&state, &caller, r, "import")
                    .await
                    .map(|b| b.id),
                Err(e) => Err(e),
            };
            match result {
                Ok(id) => {
                    reports.push(RowReport {
                        row: head_row,
                        outcome: RowOutcome::Created,
                        id: Some(id),
                        errors: Vec::new(),
                    });
                    share(RowOutcome::Created, Some(id), &mut reports);
                }
                Err(ApiError::Validation(errors)) => {
                    // `members[i].field` belongs on member i's row; the rest on the head's row.
                    let mut head_errors = Vec::new();
                    let mut by_member: HashMap<usize, Vec<FieldError>> = HashMap::new();
                    for mut e in errors {
                        let member = e
                            .field
                            .strip_prefix("members[")
                            .and_then(|rest| rest.split_once("]."))
                            .and_then(|(i, f)| i.parse::<usize>().ok().map(|i| (i, f.to_owned())));
                        match member {
                            Some((i, field)) => {
                                e.field = field;
                                by_member.entry(i).or_default().push(e);
                            }
                            None => head_errors.push(e),
                        }
                    }
                    if head_errors.is_empty() {
                        head_errors.push(FieldError::new(
                            "",
                            "member_rejected",
                            "a member row of this household is invalid",
                        ));
                    }
                    reports.push(rejected(head_row, rows.rename(head_errors)));
                    for (i, n) in member_rows.iter().enumerate() {
                        let errors =
                            by_member
                                .remove(&i)
                                .map(|e| rows.rename(e))
                                .unwrap_or_else(|| {
                                    vec![FieldError::new(
                                        "",
                                        "household_rejected",
                                        format!("its household (row {head_row}) was not saved"),
                                    )]
                                });
                        reports.push(rejected(*n, errors));
                    }
                }
                Err(ApiError::Duplicate { .. }) => {
                    let message =
                        "this worker's household was lifted out: reopen that archive instead";
                    reports.push(rejected(
                        head_row,
                        vec![FieldError::new(
                            header("id_number"),
                            "reopen_instead",
                            message,
                        )],
                    ));
                    share(RowOutcome::Rejected, None, &mut reports);
                }
                Err(ApiError::Conflict { detail, .. }) => {
                    reports.push(rejected(
                        head_row,
                        vec![FieldError::new("", "conflict", detail)],
                    ));
                    share(RowOutcome::Rejected, None, &mut reports);
                }
                Err(ApiError::NotFound) => {
                    reports.push(rejected(
                        head_row,
                        vec![FieldError::new(
                            "",
                            "not_found",
                            "refers to something outside your organisation",
                        )],
                    ));
                    share(RowOutcome::Rejected, None, &mut reports);
                }
                Err(other) => return Err(other),
            }
        }
        reports.sort_by_key(|r| r.row);
        finish(&state, &caller, reports, "beneficiary.import", org_id).await
    };
    idempotency::once(&state.db, caller.id, &req, &bytes, work).await
}

/// The archive import template.
#[utoipa::path(
    tag = tags::IMPORTS,
    operation_id = "beneficiary_import_template",
    params(TemplateQuery),
    extensions(("x-permission" = json!("archive.read"))),
    responses((status = 200, description = "The template", content(
        (String = "text/csv"),
        (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ))),
)]
#[get("/imports/beneficiaries/template")]
pub async fn beneficiary_template(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<TemplateQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(&state.db, Permission::ArchiveRead).await?;
    template(
        "beneficiaries-template",
        ARCHIVE_COLUMNS,
        query.0.format.unwrap_or(TemplateFormat::Xlsx),
    )
}

fn template(
    stem: &str,
    spec: &'static [Column],
    format: TemplateFormat,
) -> Result<HttpResponse, ApiError> {
    let headers: Vec<&str> = spec.iter().map(|c| c.headers[0]).collect();
    let (media, body) = match format {
        TemplateFormat::Csv => {
            let mut writer = csv::WriterBuilder::new().from_writer(b"\xEF\xBB\xBF".to_vec());
            writer
                .write_record(&headers)
                .map_err(|e| ApiError::Internal(e.to_string()))?;
            (
                Format::Csv,
                writer
                    .into_inner()
                    .map_err(|e| ApiError::Internal(e.to_string()))?,
            )
        }
        TemplateFormat::Xlsx => {
            let fail = |e: rust_xlsxwriter::XlsxError| ApiError::Internal(e.to_string());
            let mut workbook = rust_xlsxwriter::Workbook::new();
            let text = rust_xlsxwriter::Format::new().set_num_format("@");
            let sheet = workbook.add_worksheet().set_name("导入").map_err(fail)?;
            for (col, header) in headers.iter().enumerate() {
                sheet.write_string(0, col as u16, *header).map_err(fail)?;
                // Text cells, so that ID numbers keep all 18 characters.
                sheet.set_column_format(col as u16, &text).map_err(fail)?;
                sheet.set_column_width(col as u16, 20).map_err(fail)?;
            }
            let notes = workbook.add_worksheet().set_name("说明").map_err(fail)?;
            for (row, (label, text)) in [("列 / column", "说明 / notes")]
                .into_iter()
                .chain(spec.iter().map(|c| (c.headers[0], c.note)))
                .enumerate()
            {
                notes.write_string(row as u32, 0, label).map_err(fail)?;
                notes.write_string(row as u32, 1, text).map_err(fail)?;
            }
            (Format::Xlsx, workbook.save_to_buffer().map_err(fail)?)
        }
    };
    Ok(HttpResponse::Ok()
        .content_type(media.media_type())
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{stem}.{}\"", media.extension()),
        ))
        .body(body))
}

/// The worker import template.
///
/// An empty spreadsheet with the columns the import understands, in Chinese (XLSX with a 说明
/// sheet describing each column, or CSV in UTF-8 with BOM).
#[utoipa::path(
    tag = tags::IMPORTS,
    operation_id = "worker_import_template",
    params(TemplateQuery),
    extensions(("x-permission" = json!("registry.read"))),
    responses((status = 200, description = "The template", content(
        (String = "text/csv"),
        (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ))),
)]
#[get("/imports/workers/template")]
pub async fn worker_template(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<TemplateQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(&state.db, Permission::RegistryRead).await?;
    template(
        "workers-template",
        WORKER_COLUMNS,
        query.0.format.unwrap_or(TemplateFormat::Xlsx),
    )
}

/// The enterprise import template.
#[utoipa::path(
    tag = tags::IMPORTS,
    operation_id = "enterprise_import_template",
    params(TemplateQuery),
    extensions(("x-permission" = json!("registry.read"))),
    responses((status = 200, description = "The template", content(
        (String = "text/csv"),
        (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ))),
)]
#[get("/imports/enterprises/template")]
pub async fn enterprise_template(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<TemplateQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(&state.db, Permission::RegistryRead).await?;
    template(
        "enterprises-template",
        ENTERPRISE_COLUMNS,
        query.0.format.unwrap_or(TemplateFormat::Xlsx),
    )
}
