//! What every import shares: reading the upload, turning spreadsheet rows into the fields of a
//! JSON request, and building the per-row report. Rows are read as a stream (see
//! `spreadsheet::read`), so an import holds one row at a time, and the report keeps a bounded
//! number of rows however long the file is.

use std::collections::HashMap;

use actix_web::http::{StatusCode, header};
use actix_web::web::{self, Bytes, BytesMut};
use actix_web::{HttpRequest, HttpResponse};
use futures_util::StreamExt;
use sea_orm::TransactionTrait;
use serde_json::{Map, Value, json};
use siji_core::imports::Imported;
use uuid::Uuid;

use super::columns::{
    self, AGREEMENT_COLUMNS, ARCHIVE_COLUMNS, Column, ENTERPRISE_COLUMNS, WORKER_COLUMNS,
};
use super::dto::{ImportReport, RowOutcome, RowReport};
use crate::audit::{self, Event};
use crate::auth::{Caller, Permission};
use crate::domain::text;
use crate::http::idempotency::{Key, Replayable};
use crate::http::{ApiError, FieldError};
use crate::jobs::{self, JobKind, NewJob, Progress};
use crate::resources::jobs::dto::JobResponse;
use crate::spreadsheet::{Format, read};
use crate::state::AppState;

/// What an import brings in: each kind has its template and its permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportKind {
    Workers,
    Enterprises,
    Agreements,
    Beneficiaries,
}

impl ImportKind {
    pub fn columns(self) -> &'static [Column] {
        match self {
            Self::Workers => WORKER_COLUMNS,
            Self::Enterprises => ENTERPRISE_COLUMNS,
            Self::Agreements => AGREEMENT_COLUMNS,
            Self::Beneficiaries => ARCHIVE_COLUMNS,
        }
    }

    pub fn required(self) -> &'static [&'static str] {
        match self {
            Self::Workers => &["name", "id_number"],
            Self::Enterprises => &["name", "uscc", "ownership", "industry"],
            Self::Agreements => &["title", "scope", "mode", "text_type", "enterprises"],
            Self::Beneficiaries => &[
                "relation",
                "name",
                "id_number",
                "household_size",
                "annual_income_fen",
                "rigid_expenses_fen",
                "causes",
            ],
        }
    }

    /// What importing needs.
    pub fn permission(self) -> Permission {
        match self {
            Self::Workers => siji_core::registry::workers::WRITE,
            Self::Enterprises => siji_core::registry::enterprises::WRITE,
            Self::Agreements => siji_core::agreements::WRITE,
            Self::Beneficiaries => siji_core::archive::WRITE,
        }
    }

    /// What downloading the template needs.
    pub fn read_permission(self) -> Permission {
        match self {
            Self::Workers => siji_core::registry::workers::READ,
            Self::Enterprises => siji_core::registry::enterprises::READ,
            Self::Agreements => siji_core::agreements::READ,
            Self::Beneficiaries => siji_core::archive::READ,
        }
    }

    /// The template's file name, without its extension.
    pub fn template_stem(self) -> &'static str {
        match self {
            Self::Workers => "workers-template",
            Self::Enterprises => "enterprises-template",
            Self::Agreements => "wage-agreements-template",
            Self::Beneficiaries => "beneficiaries-template",
        }
    }
}

/// Every import endpoint: the caller's permission for this kind, the target organisation (in
/// scope), the upload, then [`accept`].
pub async fn import(
    state: &AppState,
    caller: &Caller,
    req: &HttpRequest,
    payload: web::Payload,
    org_id: Option<Uuid>,
    kind: ImportKind,
) -> Result<HttpResponse, ApiError> {
    caller.require(&state.db, kind.permission()).await?;
    let upload = start(state, caller, req, payload, org_id).await?;
    accept(state, caller, req, kind, upload).await
}

/// Accept an upload for import: check it against the limits and its header against the
/// template (so that a bad file is refused now, 4xx), then enqueue the import as a job and answer
/// `202 Accepted` with the job. The job, the `Idempotency-Key` and its stored answer commit
/// together: a retry with the key replays the same job, however the first request ended.
async fn accept(
    state: &AppState,
    caller: &Caller,
    req: &HttpRequest,
    kind: ImportKind,
    upload: Upload,
) -> Result<HttpResponse, ApiError> {
    let key = Key::of(req, caller.id, &upload.bytes)?;
    if let Some(key) = &key
        && let Some(replay) = key.settled(&state.db).await?
    {
        return Ok(replay.respond(true));
    }
    let limits = read::Limits::with_max_rows(state.settings.import_max_rows);
    let (headers, _) = read::inspect(upload.bytes.clone(), upload.format, limits).await?;
    read::map_columns(&headers, &columns::aliases(kind.columns()), kind.required())?;

    let now = chrono::Utc::now();
    let txn = state.db.begin().await?;
    if let Some(key) = &key
        && let Some(replay) = key.claim(&txn, now).await?
    {
        txn.commit().await?;
        return Ok(replay.respond(true));
    }
    let job = jobs::enqueue(
        &txn,
        &caller.actor(),
        NewJob {
            kind: JobKind::Import(kind).as_str(),
            params: json!({ "org_id": upload.org_id, "format": upload.format.extension() }),
            payload: Some(upload.bytes.to_vec()),
            max_attempts: state.settings.jobs.max_attempts,
        },
        now,
    )
    .await?;
    let body = JobResponse::from_model(&job)?;
    let response = Replayable::with_status(StatusCode::ACCEPTED, &body, Some(body.url.clone()))?;
    if let Some(key) = &key {
        key.complete(&txn, &response).await?;
    }
    txn.commit().await?;
    state.jobs.wake();
    Ok(response.respond(false))
}

/// An import job's work: the upload back from the job, the caller's rights checked again (they
/// may have changed since the upload), then the rows.
pub async fn run(
    state: &AppState,
    caller: &Caller,
    kind: ImportKind,
    job: &entity::jobs::Model,
    progress: Progress,
) -> Result<Value, ApiError> {
    if !caller.can(kind.permission()) {
        return Err(ApiError::Forbidden(format!(
            "your roles no longer grant `{}`",
            kind.permission().as_str()
        )));
    }
    let params: Value = serde_json::from_str(&job.params)
        .map_err(|_| ApiError::Internal("an import job's parameters are not JSON".into()))?;
    let org_id = params["org_id"]
        .as_str()
        .and_then(|id| Uuid::parse_str(id).ok())
        .ok_or_else(|| ApiError::Internal("an import job has no organisation".into()))?;
    let format = match params["format"].as_str() {
        Some("csv") => Format::Csv,
        Some("xlsx") => Format::Xlsx,
        _ => return Err(ApiError::Internal("an import job has no format".into())),
    };
    siji_core::registry::orgs::find(&state.db, &caller.scope(), org_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let upload = Upload {
        org_id,
        format,
        bytes: Bytes::from(job.payload.clone().unwrap_or_default()),
    };
    match kind {
        ImportKind::Workers => super::handlers::workers(state, caller, &upload, progress).await,
        ImportKind::Enterprises => {
            super::handlers::enterprises(state, caller, &upload, progress).await
        }
        ImportKind::Agreements => {
            super::handlers::agreements(state, caller, &upload, progress).await
        }
        ImportKind::Beneficiaries => {
            super::households::beneficiaries(state, caller, &upload, progress).await
        }
    }
}

/// The report lists every row while it is short: the first this many rows of the file…
pub const REPORT_FIRST_ROWS: usize = 1_000;
/// …and after those only rejected rows, at most this many more (what staff must fix).
pub const REPORT_MORE_REJECTED: usize = 1_000;

/// XLSX files are zip archives; anything else is read as CSV.
fn sniff(bytes: &[u8]) -> Format {
    if bytes.starts_with(b"PK\x03\x04") {
        Format::Xlsx
    } else {
        Format::Csv
    }
}

/// Read a stream of chunks within the import limit.
async fn read_limited<S, E>(
    mut stream: S,
    limit: usize,
    body: &mut BytesMut,
) -> Result<(), ApiError>
where
    S: futures_util::Stream<Item = Result<Bytes, E>> + Unpin,
{
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| ApiError::PayloadTooLarge(limit))?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::PayloadTooLarge(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(())
}

fn malformed_form() -> ApiError {
    ApiError::BadRequest {
        code: crate::http::ErrorCode::BadRequest,
        detail: "the multipart/form-data body is malformed".into(),
        errors: vec![FieldError::new(
            "file",
            "unreadable",
            "is not a readable form upload",
        )],
    }
}

/// Read the uploaded file within the import limit, and its format: from `Content-Type` (CSV or
/// XLSX), from the content for `application/octet-stream`, or from the `file` field of a
/// `multipart/form-data` form (its own media type, else its content). With `plain_text`,
/// `text/plain` is taken too, as text read like CSV (a bank's fixed-width file).
pub(crate) async fn upload(
    req: &HttpRequest,
    payload: web::Payload,
    limit: usize,
    plain_text: bool,
) -> Result<(Format, Bytes), ApiError> {
    let media = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let base = media
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let mut body = BytesMut::new();
    match base.as_str() {
        "multipart/form-data" => {
            let mut form = actix_multipart::Multipart::new(req.headers(), payload);
            let mut format = None;
            let mut found = false;
            while let Some(field) = form.next().await {
                let mut field = field.map_err(|_| malformed_form())?;
                if field.name() != Some("file") || found {
                    // Other fields are read past (and counted against the limit), not kept.
                    let mut ignored = BytesMut::new();
                    read_limited(&mut field, limit.saturating_sub(body.len()), &mut ignored)
                        .await?;
                    continue;
                }
                found = true;
                format = field
                    .content_type()
                    .and_then(|m| Format::from_media_type(m.essence_str()));
                read_limited(&mut field, limit, &mut body).await?;
            }
            if !found {
                return Err(ApiError::field(
                    "file",
                    "required",
                    "is required: the spreadsheet",
                ));
            }
            let bytes = body.freeze();
            Ok((format.unwrap_or_else(|| sniff(&bytes)), bytes))
        }
        "text/plain" if plain_text => {
            read_limited(payload, limit, &mut body).await?;
            Ok((Format::Csv, body.freeze()))
        }
        "application/octet-stream" => {
            read_limited(payload, limit, &mut body).await?;
            let bytes = body.freeze();
            Ok((sniff(&bytes), bytes))
        }
        _ => {
            let format = Format::from_media_type(&media).ok_or(ApiError::UnsupportedMediaType(
                "text/csv, application/vnd.openxmlformats-officedocument.spreadsheetml.sheet, application/octet-stream or multipart/form-data",
            ))?;
            read_limited(payload, limit, &mut body).await?;
            Ok((format, body.freeze()))
        }
    }
}

/// An upload accepted for import: where its records go, and the file.
pub struct Upload {
    pub org_id: Uuid,
    pub format: Format,
    pub bytes: Bytes,
}

/// The start of every import: the target organisation (in scope) and the uploaded file.
async fn start(
    state: &AppState,
    caller: &Caller,
    req: &HttpRequest,
    payload: web::Payload,
    org_id: Option<Uuid>,
) -> Result<Upload, ApiError> {
    let org_id = match org_id {
        Some(id) => {
            siji_core::registry::orgs::find(&state.db, &caller.scope(), id)
                .await?
                .ok_or(ApiError::NotFound)?
                .id
        }
        None => caller.org.id,
    };
    let (format, bytes) = upload(req, payload, state.settings.import_limit, false).await?;
    Ok(Upload {
        org_id,
        format,
        bytes,
    })
}

/// A spreadsheet row: its number and its cells by canonical column.
pub type Row = (usize, Map<String, Value>);

/// The rows of an upload as `{canonical column: JSON value}`, with the file's header for each
/// column (errors are reported under the header the user wrote).
pub struct Rows {
    pub header_of: HashMap<&'static str, String>,
    spec: &'static [Column],
    mapped: Vec<Option<&'static str>>,
    sheet: read::Sheet,
}

impl Rows {
    /// Check the file against the import limits and its header against the template.
    pub async fn open(
        state: &AppState,
        upload: &Upload,
        kind: ImportKind,
        progress: &Progress,
    ) -> Result<Self, ApiError> {
        let (spec, required) = (kind.columns(), kind.required());
        let limits = read::Limits::with_max_rows(state.settings.import_max_rows);
        let sheet = read::open(upload.bytes.clone(), upload.format, limits).await?;
        progress.set_total(sheet.total_rows);
        let mapped = read::map_columns(&sheet.headers, &columns::aliases(spec), required)?;
        let mut header_of = HashMap::new();
        for (header, name) in sheet.headers.iter().zip(&mapped) {
            if let Some(name) = name {
                header_of.insert(*name, header.clone());
            }
        }
        Ok(Self {
            header_of,
            spec,
            mapped,
            sheet,
        })
    }

    /// The header the file uses for a canonical column; for a column the file lacks, the
    /// template's header (or the name).
    pub fn header(&self, name: &str) -> String {
        self.header_of.get(name).cloned().unwrap_or_else(|| {
            self.spec
                .iter()
                .find(|c| c.name == name)
                .and_then(|c| c.headers.first())
                .map_or_else(|| name.to_owned(), |h| (*h).to_owned())
        })
    }

    /// The next row whose cells are plain text. A row with a control character in a cell is
    /// rejected into `report` here, before any lookup sees the cell.
    pub async fn next(&mut self, report: &mut Report) -> Result<Option<Row>, ApiError> {
        while let Some((number, fields, errors)) = self.next_checked().await? {
            if errors.is_empty() {
                return Ok(Some((number, fields)));
            }
            report.push(rejected(number, errors));
        }
        Ok(None)
    }

    /// The next row with its plain-text cells as fields, and an error for each cell that holds
    /// a control character (left out of the fields): for imports whose rows belong together.
    pub async fn next_checked(
        &mut self,
    ) -> Result<Option<(usize, Map<String, Value>, Vec<FieldError>)>, ApiError> {
        let Some((number, cells)) = self.sheet.next().await? else {
            return Ok(None);
        };
        let mut fields = Map::new();
        let mut errors = Vec::new();
        for (cell, name) in cells.iter().zip(&self.mapped) {
            let Some(name) = name else { continue };
            if text::has_control(cell) {
                errors.push(FieldError::new(
                    self.header(name),
                    text::CONTROL_CODE,
                    text::CONTROL_MESSAGE,
                ));
                continue;
            }
            let column = self.spec.iter().find(|c| c.name == *name);
            if let Some(value) = column.and_then(|c| columns::convert(c.convert, cell)) {
                fields.insert((*name).to_owned(), value);
            }
        }
        Ok(Some((number, fields, errors)))
    }

    /// Field errors named by the column header the user wrote.
    pub fn rename(&self, errors: Vec<FieldError>) -> Vec<FieldError> {
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

    /// A record already seen on an earlier row of the same file: the later row is rejected,
    /// pointing at the first.
    pub fn repeated<K: std::hash::Hash + Eq>(
        &self,
        seen: &mut HashMap<K, usize>,
        key: K,
        row: usize,
        column: &str,
    ) -> Option<RowReport> {
        if let Some(first) = seen.get(&key) {
            return Some(rejected(
                row,
                vec![FieldError::new(
                    self.header(column),
                    "repeated_row",
                    format!("repeats row {first}"),
                )],
            ));
        }
        seen.insert(key, row);
        None
    }

    /// A row's outcome from what importing it answered.
    pub fn outcome(
        &self,
        row: usize,
        result: Result<Imported, ApiError>,
        key_field: &'static str,
    ) -> Result<RowReport, ApiError> {
        Ok(match result {
            Ok(imported) => {
                let (outcome, id) = match imported {
                    Imported::Created(id) => (RowOutcome::Created, id),
                    Imported::Skipped(id) => (RowOutcome::Skipped, id),
                };
                RowReport {
                    row,
                    outcome,
                    id: Some(id),
                    errors: Vec::new(),
                }
            }
            Err(ApiError::Duplicate { .. })
            | Err(ApiError::Conflict {
                code: crate::http::ErrorCode::Duplicate,
                ..
            }) => rejected(
                row,
                vec![FieldError::new(
                    self.header(key_field),
                    "registered_elsewhere",
                    "is already registered by another organisation",
                )],
            ),
            Err(ApiError::Validation(errors)) => rejected(row, self.rename(errors)),
            Err(ApiError::Conflict { detail, .. }) => {
                rejected(row, vec![FieldError::new("", "conflict", detail)])
            }
            Err(ApiError::NotFound) => rejected(row, outside()),
            // A database or internal failure is the request's, never a row's.
            Err(other) => return Err(other),
        })
    }
}

pub fn outside() -> Vec<FieldError> {
    vec![FieldError::new(
        "",
        "not_found",
        "refers to something outside your organisation",
    )]
}

pub fn rejected(row: usize, errors: Vec<FieldError>) -> RowReport {
    RowReport {
        row,
        outcome: RowOutcome::Rejected,
        id: None,
        errors,
    }
}

/// A row through exactly the path a JSON request body takes: types, then validation.
pub fn parse_row<T: serde::de::DeserializeOwned + validator::Validate>(
    fields: Map<String, Value>,
) -> Result<T, ApiError> {
    let bytes = serde_json::to_vec(&Value::Object(fields))
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let value: T = crate::http::extract::parse_json(&bytes)?;
    crate::http::extract::validate(&value)?;
    Ok(value)
}

/// The report as rows are decided: counts over the whole file, and a bounded list of rows
/// (the first [`REPORT_FIRST_ROWS`], then only rejected ones, [`REPORT_MORE_REJECTED`] more).
/// Each decided row advances the job's progress.
#[derive(Default)]
pub struct Report {
    progress: Progress,
    total: usize,
    created: usize,
    skipped: usize,
    rejected: usize,
    rows: Vec<RowReport>,
    more_rejected: usize,
    omitted: usize,
}

impl Report {
    pub fn new(progress: Progress) -> Self {
        Self {
            progress,
            ..Self::default()
        }
    }

    pub fn push(&mut self, row: RowReport) {
        self.progress.advance();
        self.total += 1;
        match row.outcome {
            RowOutcome::Created => self.created += 1,
            RowOutcome::Skipped => self.skipped += 1,
            RowOutcome::Rejected => self.rejected += 1,
        }
        if self.rows.len() < REPORT_FIRST_ROWS {
            self.rows.push(row);
        } else if row.outcome == RowOutcome::Rejected && self.more_rejected < REPORT_MORE_REJECTED {
            self.more_rejected += 1;
            self.rows.push(row);
        } else {
            self.omitted += 1;
        }
    }

    fn into_report(mut self) -> ImportReport {
        // Rows of a household are decided together, so they may arrive out of file order.
        self.rows.sort_by_key(|r| r.row);
        ImportReport {
            total_rows: self.total,
            created: self.created,
            skipped: self.skipped,
            rejected: self.rejected,
            rows_omitted: self.omitted,
            rows: self.rows,
        }
    }

    /// The end of every import: the report, and one audit event summarising it.
    pub async fn finish(
        self,
        state: &AppState,
        caller: &Caller,
        action: &'static str,
        org_id: Uuid,
    ) -> Result<Value, ApiError> {
        let report = self.into_report();
        let summary = json!({ "created": report.created, "skipped": report.skipped, "rejected": report.rejected, "org_id": org_id });
        audit::record(
            &state.db,
            &caller.actor(),
            Event::new(action).changes(summary),
        )
        .await?;
        serde_json::to_value(&report).map_err(|e| ApiError::Internal(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_stays_bounded_and_keeps_what_must_be_fixed() {
        let mut report = Report::default();
        for n in 0..5_000 {
            let row = if n % 2 == 0 {
                RowReport {
                    row: n,
                    outcome: RowOutcome::Created,
                    id: None,
                    errors: Vec::new(),
                }
            } else {
                rejected(n, vec![FieldError::new("a", "b", "c")])
            };
            report.push(row);
        }
        let report = report.into_report();
        assert_eq!(report.total_rows, 5_000);
        assert_eq!((report.created, report.rejected), (2_500, 2_500));
        assert_eq!(report.rows.len(), REPORT_FIRST_ROWS + REPORT_MORE_REJECTED);
        assert_eq!(report.rows_omitted, 5_000 - report.rows.len());
        assert!(
            report.rows[REPORT_FIRST_ROWS..]
                .iter()
                .all(|r| r.outcome == RowOutcome::Rejected)
        );
    }
}
