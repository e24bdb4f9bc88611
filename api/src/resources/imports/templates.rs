//! The import templates: an empty spreadsheet per import with the columns it understands,
//! in Chinese, and a 说明 sheet describing each column.

use actix_web::http::header;
use actix_web::{HttpResponse, get, web};
use siji_openapi::tags;

use super::dto::*;
use super::rows::ImportKind;
use crate::auth::Caller;
use crate::http::{ApiError, Query};
use crate::spreadsheet::Format;
use crate::spreadsheet::export::{column, sheet_row};
use crate::state::AppState;

/// The agreement import template.
#[utoipa::path(
    tag = tags::IMPORTS,
    operation_id = "wage_agreement_import_template",
    params(TemplateQuery),
    extensions(("x-permission" = json!(siji_core::agreements::READ))),
    responses((status = 200, description = "The template", content(
        (crate::spreadsheet::FileBytes = "text/csv"),
        (crate::spreadsheet::FileBytes = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ), headers(("Content-Disposition" = String, description = "`attachment` with the template's file name")))),
)]
#[get("/imports/wage-agreements/template")]
pub async fn agreement_template(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<TemplateQuery>,
) -> Result<HttpResponse, ApiError> {
    template(&state, &caller, query.0.format, ImportKind::Agreements).await
}

/// The archive import template.
#[utoipa::path(
    tag = tags::IMPORTS,
    operation_id = "beneficiary_import_template",
    params(TemplateQuery),
    extensions(("x-permission" = json!(siji_core::archive::READ))),
    responses((status = 200, description = "The template", content(
        (crate::spreadsheet::FileBytes = "text/csv"),
        (crate::spreadsheet::FileBytes = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ), headers(("Content-Disposition" = String, description = "`attachment` with the template's file name")))),
)]
#[get("/imports/beneficiaries/template")]
pub async fn beneficiary_template(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<TemplateQuery>,
) -> Result<HttpResponse, ApiError> {
    template(&state, &caller, query.0.format, ImportKind::Beneficiaries).await
}

/// Every template endpoint: the permission to read what the import writes, then the file (XLSX
/// unless CSV is asked for).
async fn template(
    state: &AppState,
    caller: &Caller,
    format: Option<Format>,
    kind: ImportKind,
) -> Result<HttpResponse, ApiError> {
    caller.require(&state.db, kind.read_permission()).await?;
    let (stem, spec) = (kind.template_stem(), kind.columns());
    let format = format.unwrap_or(Format::Xlsx);
    let headers: Vec<&str> = spec.iter().map(|c| c.headers[0]).collect();
    let (media, body) = match format {
        Format::Csv => {
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
        Format::Xlsx => {
            let fail = |e: rust_xlsxwriter::XlsxError| ApiError::Internal(e.to_string());
            let mut workbook = rust_xlsxwriter::Workbook::new();
            let text = rust_xlsxwriter::Format::new().set_num_format("@");
            let sheet = workbook.add_worksheet().set_name("导入").map_err(fail)?;
            for (col, header) in headers.iter().enumerate() {
                sheet.write_string(0, column(col)?, *header).map_err(fail)?;
                // Text cells, so that ID numbers keep all 18 characters.
                sheet.set_column_format(column(col)?, &text).map_err(fail)?;
                sheet.set_column_width(column(col)?, 20).map_err(fail)?;
            }
            let notes = workbook.add_worksheet().set_name("说明").map_err(fail)?;
            for (row, (label, text)) in [("列 / column", "说明 / notes")]
                .into_iter()
                .chain(spec.iter().map(|c| (c.headers[0], c.note)))
                .enumerate()
            {
                notes
                    .write_string(sheet_row(row)?, 0, label)
                    .map_err(fail)?;
                notes.write_string(sheet_row(row)?, 1, text).map_err(fail)?;
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
    extensions(("x-permission" = json!(siji_core::registry::workers::READ))),
    responses((status = 200, description = "The template", content(
        (crate::spreadsheet::FileBytes = "text/csv"),
        (crate::spreadsheet::FileBytes = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ), headers(("Content-Disposition" = String, description = "`attachment` with the template's file name")))),
)]
#[get("/imports/workers/template")]
pub async fn worker_template(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<TemplateQuery>,
) -> Result<HttpResponse, ApiError> {
    template(&state, &caller, query.0.format, ImportKind::Workers).await
}

/// The enterprise import template.
#[utoipa::path(
    tag = tags::IMPORTS,
    operation_id = "enterprise_import_template",
    params(TemplateQuery),
    extensions(("x-permission" = json!(siji_core::registry::enterprises::READ))),
    responses((status = 200, description = "The template", content(
        (crate::spreadsheet::FileBytes = "text/csv"),
        (crate::spreadsheet::FileBytes = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ), headers(("Content-Disposition" = String, description = "`attachment` with the template's file name")))),
)]
#[get("/imports/enterprises/template")]
pub async fn enterprise_template(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<TemplateQuery>,
) -> Result<HttpResponse, ApiError> {
    template(&state, &caller, query.0.format, ImportKind::Enterprises).await
}
