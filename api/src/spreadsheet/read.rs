//! Reading an uploaded table: a header row and data rows, every cell as trimmed text (dates as
//! `YYYY-MM-DD`), with the row numbers the user sees in the spreadsheet.

use std::io::Cursor;

use calamine::{Data, DataType, Reader, Xlsx, open_workbook_from_rs};

use super::Format;
use crate::http::{ApiError, ErrorCode, FieldError};

pub struct Table {
    pub headers: Vec<String>,
    /// (row number as shown in the spreadsheet, cells)
    pub rows: Vec<(usize, Vec<String>)>,
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

pub fn read(bytes: &[u8], format: Format) -> Result<Table, ApiError> {
    let mut lines = match format {
        Format::Csv => read_csv(bytes)?,
        Format::Xlsx => read_xlsx(bytes)?,
    }
    .into_iter();
    let headers = lines
        .next()
        .map(|(_, cells)| cells)
        .filter(|h| h.iter().any(|c| !c.is_empty()))
        .ok_or_else(|| ApiError::field("file", "empty", "has no header row"))?;
    let rows = lines
        .filter(|(_, cells)| cells.iter().any(|c| !c.is_empty()))
        .collect();
    Ok(Table { headers, rows })
}

fn read_csv(bytes: &[u8]) -> Result<Vec<(usize, Vec<String>)>, ApiError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => {
            let (decoded, _, had_errors) = encoding_rs::GB18030.decode(bytes);
            if had_errors {
                return Err(unreadable("CSV (UTF-8 or GB18030)"));
            }
            decoded.into_owned()
        }
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut out = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let record = record.map_err(|_| unreadable("CSV"))?;
        out.push((
            index + 1,
            record.iter().map(|c| c.trim().to_owned()).collect(),
        ));
    }
    Ok(out)
}

fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.trim().to_owned(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::DateTime(_) | Data::DateTimeIso(_) => cell
            .as_date()
            .map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_default(),
        other => other.to_string().trim().to_owned(),
    }
}

fn read_xlsx(bytes: &[u8]) -> Result<Vec<(usize, Vec<String>)>, ApiError> {
    let mut workbook: Xlsx<_> =
        open_workbook_from_rs(Cursor::new(bytes)).map_err(|_| unreadable("XLSX"))?;
    let range = workbook
        .worksheet_range_at(0)
        .ok_or_else(|| unreadable("XLSX"))?
        .map_err(|_| unreadable("XLSX"))?;
    let first_row = range.start().map_or(0, |(row, _)| row as usize);
    Ok(range
        .rows()
        .enumerate()
        .map(|(i, cells)| (first_row + i + 1, cells.iter().map(cell_text).collect()))
        .collect())
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

    #[test]
    fn csv_in_utf8_with_bom_and_in_gb18030() {
        let utf8 = "\u{feff}姓名,身份证号\n张三,11010519491231002X\n\n".as_bytes();
        let table = read(utf8, Format::Csv).unwrap();
        assert_eq!(table.headers, ["姓名", "身份证号"]);
        assert_eq!(
            table.rows,
            vec![(2, vec!["张三".to_owned(), "11010519491231002X".to_owned()])]
        );
        let (gbk, _, _) = encoding_rs::GB18030.encode("姓名,身份证号\n李四,1\n");
        let table = read(&gbk, Format::Csv).unwrap();
        assert_eq!(table.rows[0].1[0], "李四");
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
