//! The import report and the query parameters of imports and templates.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::http::FieldError;

/// What happened to one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RowOutcome {
    /// Saved as a new record.
    Created,
    /// Already registered in your subtree (e.g. the same file imported again): nothing written.
    Skipped,
    /// Not saved; see `errors`.
    Rejected,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RowReport {
    /// The row number as the spreadsheet shows it (the header is row 1).
    pub row: usize,
    pub outcome: RowOutcome,
    /// The record created, or the one already registered (when you may see it).
    pub id: Option<Uuid>,
    /// For rejected rows: each problem, with the column header as written in the file.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

/// The result of an import: valid rows are saved (each with its audit event), invalid rows are
/// reported and nothing of them is saved. Importing the same file again creates nothing new.
///
/// The counts cover every row. `rows` lists the first 1,000 rows of the file and, after those,
/// only rejected rows (up to 1,000 more), in file order; `rows_omitted` counts the rows left out
/// of the list, so a report stays small however long the file.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "total_rows": 3, "created": 1, "skipped": 1, "rejected": 1, "rows_omitted": 0,
    "rows": [
        {"row": 2, "outcome": "created", "id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e2001"},
        {"row": 3, "outcome": "skipped", "id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e2002"},
        {"row": 4, "outcome": "rejected", "id": null, "errors": [{"field": "身份证号", "code": "checksum", "message": "check digit does not match"}]}
    ]
}))]
pub struct ImportReport {
    pub total_rows: usize,
    pub created: usize,
    pub skipped: usize,
    pub rejected: usize,
    /// Rows decided but not listed in `rows` (past the list's bound).
    pub rows_omitted: usize,
    pub rows: Vec<RowReport>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// The organisation (in your subtree) that will keep the imported records; default your own.
    pub org_id: Option<Uuid>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TemplateQuery {
    /// `xlsx` (default, with a notes sheet) or `csv` (UTF-8 with BOM).
    pub format: Option<crate::spreadsheet::Format>,
}

/// A browser form upload of an import file. (It describes the upload in the document; the
/// server reads it as a stream and never builds one.)
#[allow(dead_code)]
#[derive(ToSchema)]
pub struct ImportForm {
    /// The spreadsheet (CSV or XLSX, told apart by its content).
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
}
