//! Reading an uploaded table: a header row and data rows, every cell as trimmed text (dates as
//! `YYYY-MM-DD`), with the row numbers the user sees in the spreadsheet.
//!
//! An upload is hostile until proven otherwise. Nothing a file *declares* decides an allocation:
//! not a sheet's `<dimension>` (a two-cell sheet can claim A1:XFD1048576), not a zip entry's
//! stated size. An XLSX's parts are first unpacked into nothing, counting real bytes, against
//! [`Limits`]; then the file is read twice as a stream of rows, once to check the row, column and
//! cell limits before anything is written, once to hand the rows over. Both passes run on a
//! blocking thread and hand rows over a small bounded channel, so a large import neither stalls
//! the async workers nor holds the whole table in memory.

use std::io::{Cursor, Read};
use std::ops::ControlFlow;

use actix_web::web::Bytes;
use calamine::{Data, DataType, Reader, Xlsx, open_workbook_from_rs};
use tokio::sync::{mpsc, oneshot};

use super::Format;
use crate::http::{ApiError, ErrorCode, FieldError};

/// What an import file may hold. A file past any of these is refused whole (413) before a single
/// row is saved; each limit has its own field-error code naming it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Data rows (not counting the header); `too_many_rows`.
    pub max_rows: usize,
    /// Columns, counted up to the last one that holds anything; `too_many_columns`.
    pub max_columns: usize,
    /// Non-empty cells in the whole sheet; `too_many_cells`.
    pub max_cells: usize,
    /// XLSX: the unpacked size of any one part of the workbook; `part_too_large`.
    pub max_part_bytes: u64,
    /// XLSX: the unpacked size of all parts together; `unpacked_too_large`.
    pub max_unpacked_bytes: u64,
    /// XLSX: how many times larger than the upload its parts may unpack to; `compression_ratio`.
    pub max_ratio: u64,
    /// XLSX: entries in the container; `too_many_parts`.
    pub max_parts: usize,
}

/// Rows per import when `SIJI_IMPORT_MAX_ROWS` does not say otherwise.
pub const DEFAULT_MAX_ROWS: usize = 100_000;

impl Limits {
    pub const fn with_max_rows(max_rows: usize) -> Self {
        Self {
            max_rows,
            max_columns: 100,
            max_cells: 3_000_000,
            max_part_bytes: 96 << 20,
            max_unpacked_bytes: 160 << 20,
            max_ratio: 200,
            max_parts: 200,
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self::with_max_rows(DEFAULT_MAX_ROWS)
    }
}

/// Rows handed over while the file is read: at most this many wait in memory at once.
const ROWS_IN_FLIGHT: usize = 256;

/// A spreadsheet row as the user numbers it, and its cells.
pub type RawRow = (usize, Vec<String>);

/// An open upload: its header row, and its data rows as they are read.
pub struct Sheet {
    pub headers: Vec<String>,
    /// Data rows in the file (counted by the first pass).
    pub total_rows: usize,
    rows: mpsc::Receiver<Result<RawRow, ApiError>>,
}

impl Sheet {
    /// The next non-empty data row, or `None` at the end of the file.
    pub async fn next(&mut self) -> Result<Option<RawRow>, ApiError> {
        self.rows.recv().await.transpose()
    }
}

fn unreadable(what: &str) -> ApiError {
    ApiError::BadRequest {
        code: ErrorCode::BadRequest,
        detail: format!("the file cannot be read as {what}"),
        errors: vec![FieldError::new(
            "file",
            "unreadable",
            format!("is not a readable {what} file"),
        )],
    }
}

fn exceeded(code: &'static str, message: String) -> ApiError {
    ApiError::LimitExceeded(FieldError::new("file", code, message))
}

/// Check the file against `limits` and start reading it. Fails (without reading any row for the
/// caller) when the file is unreadable, has no header row, or is past a limit.
pub async fn open(bytes: Bytes, format: Format, limits: Limits) -> Result<Sheet, ApiError> {
    let (header_tx, header_rx) = oneshot::channel();
    let (row_tx, row_rx) = mpsc::channel(ROWS_IN_FLIGHT);
    tokio::task::spawn_blocking(move || {
        match check(&bytes, format, limits) {
            Ok(checked) => {
                if header_tx.send(Ok(checked)).is_err() {
                    return;
                }
            }
            Err(err) => {
                let _ = header_tx.send(Err(err));
                return;
            }
        }
        let mut past_header = false;
        let read = for_each_row(&bytes, format, limits, |row| {
            if !past_header {
                past_header = true;
                return ControlFlow::Continue(());
            }
            match row_tx.blocking_send(Ok(row)) {
                Ok(()) => ControlFlow::Continue(()),
                // The import stopped listening (it failed, or the client went away).
                Err(_) => ControlFlow::Break(()),
            }
        });
        if let Err(err) = read {
            let _ = row_tx.blocking_send(Err(err));
        }
    });
    let (headers, total_rows) = header_rx
        .await
        .map_err(|_| ApiError::Internal("the spreadsheet reader stopped".into()))??;
    Ok(Sheet {
        headers,
        total_rows,
        rows: row_rx,
    })
}

/// Check a file without reading it for anyone: its header row and how many data rows follow.
/// Runs on a blocking thread.
pub async fn inspect(
    bytes: Bytes,
    format: Format,
    limits: Limits,
) -> Result<(Vec<String>, usize), ApiError> {
    tokio::task::spawn_blocking(move || check(&bytes, format, limits))
        .await
        .map_err(|_| ApiError::Internal("the spreadsheet reader stopped".into()))?
}

/// The first pass: every limit, before the caller sees a row. Answers the header row and the
/// number of data rows.
fn check(bytes: &[u8], format: Format, limits: Limits) -> Result<(Vec<String>, usize), ApiError> {
    if format == Format::Xlsx {
        check_container(bytes, limits)?;
    }
    let mut headers = None;
    let mut rows = 0usize;
    for_each_row(bytes, format, limits, |row| {
        match headers {
            None => headers = Some(row.1),
            Some(_) => rows += 1,
        }
        ControlFlow::Continue(())
    })?;
    let headers = headers.ok_or_else(|| ApiError::field("file", "empty", "has no header row"))?;
    Ok((headers, rows))
}

/// Unpack every part of the XLSX container into nothing, counting the bytes that really come
/// out (a zip entry's declared size can lie), so that calamine later only ever opens a workbook
/// whose parts are known to be small.
fn check_container(bytes: &[u8], limits: Limits) -> Result<(), ApiError> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| unreadable("XLSX"))?;
    if zip.len() > limits.max_parts {
        return Err(exceeded(
            "too_many_parts",
            format!("holds more than {} parts", limits.max_parts),
        ));
    }
    let mut total: u64 = 0;
    let mut buf = vec![0u8; 64 * 1024];
    for index in 0..zip.len() {
        let mut part = zip.by_index(index).map_err(|_| unreadable("XLSX"))?;
        let mut size: u64 = 0;
        loop {
            let n = part.read(&mut buf).map_err(|_| unreadable("XLSX"))?;
            if n == 0 {
                break;
            }
            size += n as u64;
            if size > limits.max_part_bytes {
                return Err(exceeded(
                    "part_too_large",
                    format!(
                        "has a part that unpacks to more than {} MiB",
                        limits.max_part_bytes >> 20
                    ),
                ));
            }
            if total + size > limits.max_unpacked_bytes {
                return Err(exceeded(
                    "unpacked_too_large",
                    format!(
                        "unpacks to more than {} MiB",
                        limits.max_unpacked_bytes >> 20
                    ),
                ));
            }
        }
        total += size;
    }
    // Small workbooks are left alone: a near-empty sheet compresses very well and harms nobody.
    let packed = (bytes.len() as u64).max(1);
    if total > (1 << 20) && total / packed > limits.max_ratio {
        return Err(exceeded(
            "compression_ratio",
            format!(
                "unpacks to more than {} times its own size",
                limits.max_ratio
            ),
        ));
    }
    Ok(())
}

/// Call `f` with each non-empty row in file order (the header row first), enforcing the row,
/// column and cell limits as it goes.
fn for_each_row(
    bytes: &[u8],
    format: Format,
    limits: Limits,
    mut f: impl FnMut(RawRow) -> ControlFlow<()>,
) -> Result<(), ApiError> {
    let mut rows = 0usize;
    let mut cells = 0usize;
    let mut counted = |row: RawRow| -> Result<ControlFlow<()>, ApiError> {
        if row.1.iter().all(String::is_empty) {
            return Ok(ControlFlow::Continue(()));
        }
        let used = row
            .1
            .iter()
            .rposition(|c| !c.is_empty())
            .map_or(0, |i| i + 1);
        if used > limits.max_columns {
            return Err(exceeded(
                "too_many_columns",
                format!("has more than {} columns", limits.max_columns),
            ));
        }
        cells += row.1.iter().filter(|c| !c.is_empty()).count();
        if cells > limits.max_cells {
            return Err(exceeded(
                "too_many_cells",
                format!("has more than {} filled cells", limits.max_cells),
            ));
        }
        // The first non-empty row is the header.
        if rows > limits.max_rows {
            return Err(exceeded(
                "too_many_rows",
                format!(
                    "has more than {} data rows; split it into several files",
                    limits.max_rows
                ),
            ));
        }
        rows += 1;
        Ok(f(row))
    };
    match format {
        Format::Csv => csv_rows(bytes, &mut counted),
        Format::Xlsx => xlsx_rows(bytes, limits, &mut counted),
    }
}

type Visit<'a> = dyn FnMut(RawRow) -> Result<ControlFlow<()>, ApiError> + 'a;

fn csv_rows(bytes: &[u8], visit: &mut Visit<'_>) -> Result<(), ApiError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let decoded;
    let text: &[u8] = if std::str::from_utf8(bytes).is_ok() {
        bytes
    } else {
        let (text, _, had_errors) = encoding_rs::GB18030.decode(bytes);
        if had_errors {
            return Err(unreadable("CSV (UTF-8 or GB18030)"));
        }
        decoded = text;
        decoded.as_bytes()
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text);
    let mut record = csv::StringRecord::new();
    let mut number = 0usize;
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => return Ok(()),
            Ok(true) => {}
            Err(_) => return Err(unreadable("CSV")),
        }
        number += 1;
        let cells = record.iter().map(|c| c.trim().to_owned()).collect();
        if visit((number, cells))?.is_break() {
            return Ok(());
        }
    }
}

fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.trim().to_owned(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.0}"),
        Data::DateTime(_) | Data::DateTimeIso(_) => cell
            .as_date()
            .map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_default(),
        other => other.to_string().trim().to_owned(),
    }
}

/// The row number a person sees for calamine's 0-based row.
fn shown(row: u32) -> usize {
    usize::try_from(row).map_or(usize::MAX, |r| r.saturating_add(1))
}

fn xlsx_rows(bytes: &[u8], limits: Limits, visit: &mut Visit<'_>) -> Result<(), ApiError> {
    let mut workbook: Xlsx<_> =
        open_workbook_from_rs(Cursor::new(bytes)).map_err(|_| unreadable("XLSX"))?;
    let first = workbook
        .sheet_names()
        .into_iter()
        .next()
        .ok_or_else(|| unreadable("XLSX"))?;
    let mut reader = workbook
        .worksheet_cells_reader(&first)
        .map_err(|_| unreadable("XLSX"))?;
    // Cells arrive row by row; a row is handed on when the next one starts.
    let mut current: Option<(u32, Vec<String>)> = None;
    while let Some(cell) = reader.next_cell().map_err(|_| unreadable("XLSX"))? {
        let (row, column) = cell.get_position();
        let text = cell_text(&Data::from(cell.get_value().clone()));
        if text.is_empty() {
            continue;
        }
        let column = usize::try_from(column).unwrap_or(usize::MAX);
        if column >= limits.max_columns {
            return Err(exceeded(
                "too_many_columns",
                format!("has more than {} columns", limits.max_columns),
            ));
        }
        if current.as_ref().is_some_and(|(r, _)| *r != row)
            && let Some((r, cells)) = current.take()
            && visit((shown(r), cells))?.is_break()
        {
            return Ok(());
        }
        let (_, cells) = current.get_or_insert_with(|| (row, Vec::new()));
        if cells.len() <= column {
            cells.resize(column + 1, String::new());
        }
        cells[column] = text;
    }
    if let Some((r, cells)) = current {
        let _ = visit((shown(r), cells))?;
    }
    Ok(())
}

/// Map the header row onto known columns: each column has aliases (Chinese and English). Unknown
/// and repeated headers are refused, as are missing required columns.
pub fn map_columns(
    headers: &[String],
    columns: &[(&'static str, &[&str])],
    required: &[&'static str],
) -> Result<Vec<Option<&'static str>>, ApiError> {
    let mut mapped = Vec::new();
    let mut errors = Vec::new();
    for header in headers {
        let key = header.trim().trim_start_matches('\u{feff}');
        if key.is_empty() {
            mapped.push(None);
            continue;
        }
        match columns
            .iter()
            .find(|(name, aliases)| *name == key || aliases.contains(&key))
        {
            Some((name, _)) if mapped.contains(&Some(*name)) => {
                errors.push(FieldError::new(key, "repeated_column", "appears twice"));
            }
            Some((name, _)) => mapped.push(Some(*name)),
            None => errors.push(FieldError::new(
                key,
                "unknown_column",
                "is not a column of this template",
            )),
        }
    }
    for name in required {
        if !mapped.contains(&Some(*name)) {
            errors.push(FieldError::new(
                *name,
                "missing_column",
                "is a required column",
            ));
        }
    }
    if errors.is_empty() {
        Ok(mapped)
    } else {
        Err(ApiError::Validation(errors))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(bytes: &[u8], format: Format, limits: Limits) -> Result<Vec<RawRow>, ApiError> {
        let mut out = Vec::new();
        check(bytes, format, limits)?;
        for_each_row(bytes, format, limits, |row| {
            out.push(row);
            ControlFlow::Continue(())
        })?;
        Ok(out)
    }

    fn limit_code(err: ApiError) -> String {
        match err {
            ApiError::LimitExceeded(e) => e.code,
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn csv_in_utf8_with_bom_and_in_gb18030() {
        let utf8 = "\u{feff}姓名,身份证号\n张三,11010519491231002X\n\n".as_bytes();
        let rows = collect(utf8, Format::Csv, Limits::default()).unwrap();
        assert_eq!(rows[0].1, ["姓名", "身份证号"]);
        assert_eq!(
            rows[1],
            (2, vec!["张三".to_owned(), "11010519491231002X".to_owned()])
        );
        let (gbk, _, _) = encoding_rs::GB18030.encode("姓名,身份证号\n李四,1\n");
        let rows = collect(&gbk, Format::Csv, Limits::default()).unwrap();
        assert_eq!(rows[1].1[0], "李四");
    }

    #[test]
    fn csv_limits_name_themselves() {
        let limits = Limits::with_max_rows(2);
        let ok = "a,b\n1,2\n3,4\n";
        assert_eq!(
            collect(ok.as_bytes(), Format::Csv, limits).unwrap().len(),
            3
        );
        let rows = "a,b\n1,2\n3,4\n5,6\n";
        let err = collect(rows.as_bytes(), Format::Csv, limits).unwrap_err();
        assert_eq!(limit_code(err), "too_many_rows");
        let wide = format!("{}\n", vec!["x"; 101].join(","));
        let err = collect(wide.as_bytes(), Format::Csv, Limits::default()).unwrap_err();
        assert_eq!(limit_code(err), "too_many_columns");
        // Trailing empty columns do not count.
        let padded = format!("a{}\n", ",".repeat(500));
        assert!(collect(padded.as_bytes(), Format::Csv, Limits::default()).is_ok());
    }

    #[test]
    fn columns_map_by_alias() {
        let columns: &[(&str, &[&str])] = &[("name", &["姓名"]), ("id_number", &["身份证号"])];
        let headers = vec!["身份证号".to_owned(), "name".to_owned(), String::new()];
        assert_eq!(
            map_columns(&headers, columns, &["name"]).unwrap(),
            vec![Some("id_number"), Some("name"), None]
        );
        assert!(map_columns(&["颜色".to_owned()], columns, &[]).is_err());
        assert!(map_columns(&["姓名".to_owned(), "name".to_owned()], columns, &[]).is_err());
        assert!(map_columns(&["姓名".to_owned()], columns, &["id_number"]).is_err());
    }
}
