//! Bank file layouts (代发文件格式), as data: which columns in which order under which headers,
//! the encoding, amounts in yuan or fen, a summary line with the count and total, and how many
//! rows one file may hold. Rendering is a pure function of the layout and the lines, so the same
//! batch always gives the same bytes — which is what lets Siji keep only each file's SHA-256
//! and never the file (the one place full card numbers exist outside the database's ciphertext
//! is the bytes on their way to the bank).

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::FieldError;

/// A column of a bank file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = LayoutField))]
pub enum Field {
    /// The payout's reference: what the bank's remark field carries back in its result.
    Reference,
    /// The full card number.
    CardNumber,
    HolderName,
    BankCode,
    BankName,
    Amount,
    /// The column's `text`, the same on every line, such as a purpose (用途) the bank asks for.
    Fixed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = LayoutEncoding))]
pub enum Encoding {
    Utf8,
    /// GB18030, a superset of GBK: every GBK character has the same bytes, and no name can fail
    /// to encode.
    Gb18030,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = LayoutAmountUnit))]
pub enum AmountUnit {
    /// `1500.00`.
    Yuan,
    /// `150000`.
    Fen,
}

/// Where the count and total go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = LayoutSummary))]
pub enum Summary {
    None,
    /// A first line: the count and the total.
    Head,
    /// A last line: `合计`, the count and the total.
    Tail,
}

/// How the cells of a line are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = LayoutFormat))]
pub enum Format {
    /// Comma-separated, quoted where needed.
    Csv,
    /// Fixed-width text (定长文本): each column exactly its width in bytes of the file's
    /// encoding (a GBK character is two), text left-aligned and amounts right-aligned, padded
    /// with spaces. A summary line is the count in 10 bytes and the total in 20, right-aligned.
    FixedWidth,
    /// An XLSX workbook of one sheet: a row per line, every cell text (card numbers keep their
    /// digits) but the amounts, which are numbers; the encoding does not apply.
    Xlsx,
}

/// A column: what it holds, its header, and (fixed width) its width in bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = LayoutColumn))]
pub struct Column {
    pub field: Field,
    pub header: String,
    /// Fixed-width layouts only: the column's width in bytes of the file's encoding.
    pub width: Option<usize>,
    /// For a `fixed` column: its text.
    pub text: Option<String>,
}

/// What a column a bank adds to its result file (回盘文件) holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = LayoutResultField))]
pub enum ResultField {
    /// The bank's outcome: 成功 (paid), 失败 (failed), 退票 (returned); anything else is unclear.
    Status,
    /// Why a payment failed or came back.
    Reason,
    /// The amount the bank actually processed, compared instead of the file's own amount
    /// column when the result has one.
    ProcessedAmount,
}

/// A column of the bank's result file after the columns of the file Siji sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = LayoutResultColumn))]
pub struct ResultColumn {
    pub field: ResultField,
    pub header: String,
    /// Fixed-width layouts only: the column's width in bytes of the file's encoding.
    pub width: Option<usize>,
}

/// A bank file layout (代发文件格式).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Layout {
    pub name: String,
    pub label: String,
    pub encoding: Encoding,
    pub format: Format,
    pub amount: AmountUnit,
    pub summary: Summary,
    /// Whether a header row names the columns.
    pub header: bool,
    pub columns: Vec<Column>,
    /// At most this many payouts per file; a batch is split into parts.
    pub max_rows: usize,
    /// The bank's result file (回盘文件) is the file sent with these columns added to each line;
    /// its lines are read by position. A result file with a header row naming its columns
    /// (`业务参考号`/`备注`, `金额`, `处理结果`/`状态`, `失败原因`) is read by the header whatever
    /// this says. Required for a fixed-width layout, whose result has no names to go by.
    #[serde(default)]
    pub result_columns: Vec<ResultColumn>,
}

fn result_column(field: ResultField, header: &str) -> ResultColumn {
    ResultColumn {
        field,
        header: header.to_owned(),
        width: None,
    }
}

/// What most banks add to a line of their result: the outcome and the reason.
fn status_and_reason() -> Vec<ResultColumn> {
    vec![
        result_column(ResultField::Status, "处理结果"),
        result_column(ResultField::Reason, "失败原因"),
    ]
}

fn column(field: Field, header: &str) -> Column {
    Column {
        field,
        header: header.to_owned(),
        width: None,
        text: None,
    }
}

/// The layouts built in. `generic` suits a bank that takes UTF-8 CSV; `gb18030_summary` is
/// the common shape of a Chinese bank's 代发 file: GBK-compatible, a first line with the count
/// and total, then one line per payee. Administrators add their banks' own.
pub fn builtin() -> Vec<Layout> {
    vec![
        Layout {
            name: "generic".into(),
            label: "通用格式（UTF-8 CSV，表头，末行合计）".into(),
            encoding: Encoding::Utf8,
            format: Format::Csv,
            amount: AmountUnit::Yuan,
            summary: Summary::Tail,
            header: true,
            columns: vec![
                column(Field::Reference, "业务参考号"),
                column(Field::CardNumber, "卡号"),
                column(Field::HolderName, "户名"),
                column(Field::BankCode, "行别代码"),
                column(Field::BankName, "开户银行"),
                column(Field::Amount, "金额（元）"),
            ],
            max_rows: 1000,
            result_columns: status_and_reason(),
        },
        Layout {
            name: "gb18030_summary".into(),
            label: "银行代发格式（GBK/GB18030 CSV，首行笔数和总金额）".into(),
            encoding: Encoding::Gb18030,
            format: Format::Csv,
            amount: AmountUnit::Yuan,
            summary: Summary::Head,
            header: false,
            columns: vec![
                column(Field::CardNumber, "卡号"),
                column(Field::HolderName, "户名"),
                column(Field::Amount, "金额"),
                column(Field::Reference, "备注"),
                Column {
                    text: Some("困难职工帮扶资金".into()),
                    ..column(Field::Fixed, "用途")
                },
            ],
            max_rows: 1000,
            result_columns: status_and_reason(),
        },
    ]
}

/// A built-in layout by name.
pub fn layout(name: &str) -> Option<Layout> {
    builtin().into_iter().find(|l| l.name == name)
}

/// What a layout must be: a name of letters, digits and `_`, the columns a bank needs to pay
/// and to answer (the reference, the card number, the amount), widths exactly where the format
/// is fixed-width, and a sane number of rows per file.
pub fn check(layout: &Layout) -> Result<(), Vec<FieldError>> {
    let mut errors = Vec::new();
    if layout.name.is_empty()
        || layout.name.len() > 64
        || !layout
            .name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        errors.push(FieldError::new(
            "name",
            "format",
            "1 to 64 lower-case letters, digits and _",
        ));
    }
    if !(1..=30).contains(&layout.columns.len()) {
        errors.push(FieldError::new("columns", "length", "1 to 30 columns"));
    }
    for needed in [Field::Reference, Field::CardNumber, Field::Amount] {
        if !layout.columns.iter().any(|c| c.field == needed) {
            errors.push(FieldError::new(
                "columns",
                "required",
                format!("a bank file needs the {needed:?} column"),
            ));
        }
    }
    let width = |errors: &mut Vec<FieldError>, at: String, width: Option<usize>| match (
        layout.format,
        width,
    ) {
        (Format::FixedWidth, Some(w)) if (1..=200).contains(&w) => {}
        (Format::FixedWidth, _) => errors.push(FieldError::new(
            format!("{at}.width"),
            "required",
            "a fixed-width column has a width of 1 to 200 bytes",
        )),
        (Format::Csv | Format::Xlsx, Some(_)) => errors.push(FieldError::new(
            format!("{at}.width"),
            "not_allowed",
            "only a fixed-width column has a width",
        )),
        (Format::Csv | Format::Xlsx, None) => {}
    };
    let header = |errors: &mut Vec<FieldError>, at: String, header: &str| {
        if header.chars().count() > 50 {
            errors.push(FieldError::new(
                format!("{at}.header"),
                "too_long",
                "at most 50 characters",
            ));
        }
    };
    for (i, c) in layout.columns.iter().enumerate() {
        width(&mut errors, format!("columns[{i}]"), c.width);
        header(&mut errors, format!("columns[{i}]"), &c.header);
        match (&c.field, &c.text) {
            (Field::Fixed, Some(t)) if !t.is_empty() && t.chars().count() <= 100 => {}
            (Field::Fixed, _) => errors.push(FieldError::new(
                format!("columns[{i}].text"),
                "required",
                "a fixed column has a text of 1 to 100 characters",
            )),
            (_, Some(_)) => errors.push(FieldError::new(
                format!("columns[{i}].text"),
                "not_allowed",
                "only a fixed column has a text",
            )),
            (_, None) => {}
        }
    }
    for (i, c) in layout.result_columns.iter().enumerate() {
        width(&mut errors, format!("result_columns[{i}]"), c.width);
        header(&mut errors, format!("result_columns[{i}]"), &c.header);
        if layout.result_columns[..i]
            .iter()
            .any(|o| o.field == c.field)
        {
            errors.push(FieldError::new(
                format!("result_columns[{i}].field"),
                "duplicate",
                "each result column at most once",
            ));
        }
    }
    let has_status = layout
        .result_columns
        .iter()
        .any(|c| c.field == ResultField::Status);
    if !has_status && (layout.format == Format::FixedWidth || !layout.result_columns.is_empty()) {
        errors.push(FieldError::new(
            "result_columns",
            "required",
            "the bank's result needs a status column (and a fixed-width result is read by \
             position only)",
        ));
    }
    if !(1..=100_000).contains(&layout.max_rows) {
        errors.push(FieldError::new(
            "max_rows",
            "range",
            "1 to 100,000 rows per file",
        ));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// Why a file could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("{0}")]
    Csv(#[from] csv::Error),
    #[error("{0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    /// A value longer than its fixed-width column.
    #[error("the {column} of payout {reference} does not fit the layout's {width} bytes")]
    TooWide {
        reference: String,
        column: String,
        width: usize,
    },
}

/// One payee's line, card number in the clear (built and dropped within an export).
#[derive(Debug, Clone)]
pub struct Line {
    pub reference: String,
    pub card_number: String,
    pub holder_name: String,
    pub bank_code: String,
    pub bank_name: String,
    pub amount_fen: i64,
}

/// One file of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// 1-based.
    pub part: usize,
    pub rows: usize,
    pub total_fen: i64,
    pub bytes: Vec<u8>,
    pub sha256: String,
}

fn amount(unit: AmountUnit, fen: i64) -> String {
    match unit {
        AmountUnit::Fen => fen.to_string(),
        AmountUnit::Yuan => format!("{}.{:02}", fen / 100, fen % 100),
    }
}

fn encode(encoding: Encoding, text: &str) -> Vec<u8> {
    match encoding {
        Encoding::Utf8 => text.as_bytes().to_vec(),
        Encoding::Gb18030 => encoding_rs::GB18030.encode(text).0.into_owned(),
    }
}

/// `text` in exactly `width` bytes, padded with spaces (on the left when `right`), or `None`
/// when it does not fit.
fn pad(encoding: Encoding, text: &str, width: usize, right: bool) -> Option<Vec<u8>> {
    let bytes = encode(encoding, text);
    let room = width.checked_sub(bytes.len())?;
    let spaces = vec![b' '; room];
    Some(if right {
        [spaces, bytes].concat()
    } else {
        [bytes, spaces].concat()
    })
}

/// The files of `lines` (in the order given) in `layout`, at most `max_rows` lines each.
pub fn render(layout: &Layout, lines: &[Line]) -> Result<Vec<Part>, RenderError> {
    lines
        .chunks(layout.max_rows.max(1))
        .enumerate()
        .map(|(i, chunk)| render_part(layout, chunk, i + 1))
        .collect()
}

fn cell<'a>(column: &'a Column, line: &'a Line, money: &'a str) -> &'a str {
    match column.field {
        Field::Reference => &line.reference,
        Field::CardNumber => &line.card_number,
        Field::HolderName => &line.holder_name,
        Field::BankCode => &line.bank_code,
        Field::BankName => &line.bank_name,
        Field::Amount => money,
        Field::Fixed => column.text.as_deref().unwrap_or(""),
    }
}

/// File number `part` (1-based) of a batch, from its own lines (the `max_rows` lines from
/// `(part - 1) * max_rows` on).
pub fn render_part(layout: &Layout, chunk: &[Line], part: usize) -> Result<Part, RenderError> {
    let total: i64 = chunk.iter().map(|l| l.amount_fen).sum();
    let count = chunk.len().to_string();
    let total_text = amount(layout.amount, total);
    let bytes = match layout.format {
        Format::Csv => csv_part(layout, chunk, &count, &total_text)?,
        Format::FixedWidth => fixed_part(layout, chunk, &count, &total_text)?,
        Format::Xlsx => xlsx_part(layout, chunk, total)?,
    };
    let sha256 = sha256_hex(&bytes);
    Ok(Part {
        part,
        rows: chunk.len(),
        total_fen: total,
        bytes,
        sha256,
    })
}

fn csv_part(
    layout: &Layout,
    chunk: &[Line],
    count: &str,
    total: &str,
) -> Result<Vec<u8>, RenderError> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .flexible(true)
        .from_writer(Vec::new());
    if layout.summary == Summary::Head {
        w.write_record([count, total])?;
    }
    if layout.header {
        w.write_record(layout.columns.iter().map(|c| c.header.as_str()))?;
    }
    for line in chunk {
        let money = amount(layout.amount, line.amount_fen);
        w.write_record(layout.columns.iter().map(|c| cell(c, line, &money)))?;
    }
    if layout.summary == Summary::Tail {
        w.write_record(["合计", count, total])?;
    }
    let utf8 = w
        .into_inner()
        .map_err(|e| RenderError::Csv(e.into_error().into()))?;
    Ok(match layout.encoding {
        Encoding::Utf8 => utf8,
        Encoding::Gb18030 => encode(layout.encoding, &String::from_utf8_lossy(&utf8)),
    })
}

fn xlsx_part(layout: &Layout, chunk: &[Line], total: i64) -> Result<Vec<u8>, RenderError> {
    use rust_xlsxwriter::{DocProperties, ExcelDateTime, Workbook};
    // Money as a number: yuan with two decimals, or whole fen. Exact in an f64 at any sum a
    // campaign holds.
    #[allow(clippy::cast_precision_loss)]
    let number = |fen: i64| match layout.amount {
        AmountUnit::Yuan => fen as f64 / 100.0,
        AmountUnit::Fen => fen as f64,
    };
    let mut workbook = Workbook::new();
    let fixed_time = ExcelDateTime::from_ymd(2000, 1, 1)?;
    workbook.set_properties(&DocProperties::new().set_creation_datetime(&fixed_time));
    let sheet = workbook.add_worksheet();
    let mut row: u32 = 0;
    let summary = |sheet: &mut rust_xlsxwriter::Worksheet, row: u32, label: Option<&str>| {
        let mut col = 0;
        if let Some(label) = label {
            sheet.write_string(row, col, label)?;
            col += 1;
        }
        sheet.write_number(row, col, chunk.len() as f64)?;
        sheet.write_number(row, col + 1, number(total))?;
        Ok::<(), rust_xlsxwriter::XlsxError>(())
    };
    if layout.summary == Summary::Head {
        summary(sheet, row, None)?;
        row += 1;
    }
    if layout.header {
        for (col, c) in (0u16..).zip(&layout.columns) {
            sheet.write_string(row, col, &c.header)?;
        }
        row += 1;
    }
    for line in chunk {
        for (col, c) in (0u16..).zip(&layout.columns) {
            if c.field == Field::Amount {
                sheet.write_number(row, col, number(line.amount_fen))?;
            } else {
                sheet.write_string(row, col, cell(c, line, ""))?;
            }
        }
        row += 1;
    }
    if layout.summary == Summary::Tail {
        summary(sheet, row, Some("合计"))?;
    }
    Ok(workbook.save_to_buffer()?)
}

fn fixed_part(
    layout: &Layout,
    chunk: &[Line],
    count: &str,
    total: &str,
) -> Result<Vec<u8>, RenderError> {
    let too_wide = |reference: &str, column: &str, width: usize| RenderError::TooWide {
        reference: reference.to_owned(),
        column: column.to_owned(),
        width,
    };
    let summary = || -> Result<Vec<u8>, RenderError> {
        let mut out =
            pad(layout.encoding, count, 10, true).ok_or_else(|| too_wide("-", "count", 10))?;
        out.extend(
            pad(layout.encoding, total, 20, true).ok_or_else(|| too_wide("-", "total", 20))?,
        );
        out.extend_from_slice(b"\r\n");
        Ok(out)
    };
    let mut out = Vec::new();
    if layout.summary == Summary::Head {
        out.extend(summary()?);
    }
    if layout.header {
        for c in &layout.columns {
            let width = c.width.unwrap_or(0);
            out.extend(
                pad(layout.encoding, &c.header, width, false)
                    .ok_or_else(|| too_wide("-", &c.header, width))?,
            );
        }
        out.extend_from_slice(b"\r\n");
    }
    for line in chunk {
        let money = amount(layout.amount, line.amount_fen);
        for c in &layout.columns {
            let width = c.width.unwrap_or(0);
            let right = c.field == Field::Amount;
            out.extend(
                pad(layout.encoding, cell(c, line, &money), width, right)
                    .ok_or_else(|| too_wide(&line.reference, &c.header, width))?,
            );
        }
        out.extend_from_slice(b"\r\n");
    }
    if layout.summary == Summary::Tail {
        out.extend(summary()?);
    }
    Ok(out)
}

/// A file's SHA-256 in lower-case hex: what is recorded of a bank file and of a result file.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The file name of a part: the batch, the part and the layout.
pub fn file_name(layout: &Layout, batch: uuid::Uuid, part: usize) -> String {
    let extension = match layout.format {
        Format::Csv => "csv",
        Format::FixedWidth => "txt",
        Format::Xlsx => "xlsx",
    };
    format!("payout-{batch}-{part:03}-{}.{extension}", layout.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fixed_width_layout_pads_each_column_to_its_bytes() {
        let fixed = Layout {
            name: "fixed".into(),
            label: "定长".into(),
            encoding: Encoding::Gb18030,
            format: Format::FixedWidth,
            amount: AmountUnit::Fen,
            summary: Summary::Head,
            header: false,
            columns: vec![
                Column {
                    width: Some(19),
                    ..column(Field::CardNumber, "卡号")
                },
                Column {
                    width: Some(10),
                    ..column(Field::HolderName, "户名")
                },
                Column {
                    width: Some(12),
                    ..column(Field::Amount, "金额")
                },
                Column {
                    width: Some(20),
                    ..column(Field::Reference, "备注")
                },
            ],
            max_rows: 1000,
            result_columns: vec![
                ResultColumn {
                    width: Some(8),
                    ..result_column(ResultField::Status, "处理结果")
                },
                ResultColumn {
                    width: Some(30),
                    ..result_column(ResultField::Reason, "失败原因")
                },
            ],
        };
        assert_eq!(check(&fixed), Ok(()));
        let part = &render(&fixed, &lines(1)).unwrap()[0];
        let (text, _, _) = encoding_rs::GBK.decode(&part.bytes);
        assert_eq!(
            text,
            format!(
                "{:>10}{:>20}\r\n6222021234567890128张三明    {:>12}SJ000000000000000000\r\n",
                1, 150_000, 150_000
            )
        );
        // 张三明 is six bytes in GBK: four spaces make its ten.
        assert_eq!(part.bytes.len(), 30 + 2 + 19 + 10 + 12 + 20 + 2);
        let mut narrow = fixed.clone();
        narrow.columns[1].width = Some(4);
        assert!(matches!(
            render(&narrow, &lines(1)),
            Err(RenderError::TooWide { .. })
        ));
        let mut bad = fixed;
        bad.columns.retain(|c| c.field != Field::Reference);
        bad.columns[0].width = None;
        bad.result_columns.remove(0);
        bad.result_columns.push(bad.result_columns[0].clone());
        let fields: Vec<String> = check(&bad)
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            [
                "columns",
                "columns[0].width",
                "result_columns[1].field",
                "result_columns"
            ]
        );
    }

    #[test]
    fn an_xlsx_layout_gives_the_same_bytes_every_time() {
        let mut xlsx = layout("generic").unwrap();
        xlsx.format = Format::Xlsx;
        assert_eq!(check(&xlsx), Ok(()));
        let first = render(&xlsx, &lines(3)).unwrap();
        assert!(first[0].bytes.starts_with(b"PK"));
        assert_eq!(render(&xlsx, &lines(3)).unwrap(), first);
    }

    fn lines(n: usize) -> Vec<Line> {
        (0..n)
            .map(|i| Line {
                reference: format!("SJ{i:018}"),
                card_number: "6222021234567890128".into(),
                holder_name: "张三明".into(),
                bank_code: "313".into(),
                bank_name: "济宁银行".into(),
                amount_fen: 150_000 + i64::try_from(i).unwrap_or(0),
            })
            .collect()
    }

    #[test]
    fn the_generic_layout_is_utf8_with_a_header_and_a_total() {
        let parts = render(&layout("generic").unwrap(), &lines(2)).unwrap();
        assert_eq!(parts.len(), 1);
        assert_eq!(
            String::from_utf8(parts[0].bytes.clone()).unwrap(),
            "业务参考号,卡号,户名,行别代码,开户银行,金额（元）\r\n\
             SJ000000000000000000,6222021234567890128,张三明,313,济宁银行,1500.00\r\n\
             SJ000000000000000001,6222021234567890128,张三明,313,济宁银行,1500.01\r\n\
             合计,2,3000.01\r\n"
        );
        assert_eq!(parts[0].total_fen, 300_001);
    }

    #[test]
    fn the_bank_layout_is_gbk_with_a_summary_first_and_splits_into_parts() {
        let mut layout = layout("gb18030_summary").unwrap();
        layout.max_rows = 2;
        let parts = render(&layout, &lines(3)).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!((parts[0].rows, parts[1].rows), (2, 1));
        let (text, _, bad) = encoding_rs::GBK.decode(&parts[1].bytes);
        assert!(!bad);
        assert_eq!(
            text,
            "1,1500.02\r\n6222021234567890128,张三明,1500.02,SJ000000000000000002,困难职工帮扶资金\r\n"
        );
        // 张 in GBK is D5 C5.
        assert!(parts[1].bytes.windows(2).any(|w| w == [0xD5, 0xC5]));
        // The same lines give the same bytes.
        assert_eq!(render(&layout, &lines(3)).unwrap(), parts);
    }
}
