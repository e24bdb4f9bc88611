//! Spreadsheets the way county staff work: CSV (UTF-8, or GB18030 as Excel on Chinese Windows
//! saves it) and XLSX in, CSV (streamed) and XLSX out. Resources describe their columns; this
//! module knows nothing about workers or enterprises.

pub mod export;
pub mod read;

/// The two formats, with their media types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

pub const CSV_MEDIA_TYPE: &str = "text/csv";
pub const XLSX_MEDIA_TYPE: &str =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

impl Format {
    pub fn media_type(self) -> &'static str {
        match self {
            Format::Csv => CSV_MEDIA_TYPE,
            Format::Xlsx => XLSX_MEDIA_TYPE,
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
        }
    }

    /// From a `Content-Type` or one entry of `Accept` (parameters ignored).
    pub fn from_media_type(value: &str) -> Option<Self> {
        match value
            .split(';')
            .next()
            .map(|m| m.trim().to_ascii_lowercase())
            .as_deref()
        {
            Some(CSV_MEDIA_TYPE) => Some(Format::Csv),
            Some(XLSX_MEDIA_TYPE) => Some(Format::Xlsx),
            _ => None,
        }
    }
}
