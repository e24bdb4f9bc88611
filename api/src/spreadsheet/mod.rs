//! Spreadsheets the way county staff work: CSV (UTF-8, or GB18030 as Excel on Chinese Windows
//! saves it) and XLSX in, CSV (streamed) and XLSX out. Resources describe their columns; this
//! module knows nothing about workers or enterprises.

pub mod export;
pub mod read;

/// A file's bytes, uploaded or downloaded: CSV (UTF-8, or GB18030 as Excel on Chinese Windows
/// saves it), XLSX, or a bank's fixed-width text. Generated clients treat it as a file, not
/// JSON. (It describes files in the document; the server streams them and never builds one.)
#[allow(dead_code)]
#[derive(utoipa::ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct FileBytes(pub Vec<u8>);

/// The two formats, with their media types. As the `format` parameter of an export or a
/// template: `csv` (UTF-8 with a byte-order mark, as Excel opens it) or `xlsx`; each operation
/// says which it gives by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
#[schema(as = FileFormat)]
pub enum Format {
    #[default]
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
