//! Bank file layouts (代发文件格式), as data: which columns in which order under which headers,
//! the encoding, amounts in yuan or fen, a summary line with the count and total, and how many
//! rows one file may hold. Rendering is a pure function of the layout and the lines, so the same
//! batch always gives the same bytes — which is what lets Siji keep only each file's SHA-256
//! and never the file (the one place full card numbers exist outside the database's ciphertext
//! is the bytes on their way to the bank).

use sha2::{Digest, Sha256};

/// A column of a bank file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// The payout's reference: what the bank's remark field carries back in its result.
    Reference,
    /// The full card number.
    CardNumber,
    HolderName,
    BankCode,
    BankName,
    Amount,
    /// A fixed text, such as a purpose (用途) the bank asks for.
    Fixed(&'static str),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    /// GB18030, a superset of GBK: every GBK character has the same bytes, and no name can fail
    /// to encode.
    Gb18030,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AmountUnit {
    /// `1500.00`.
    Yuan,
    /// `150000`.
    Fen,
}

/// Where the count and total go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Summary {
    None,
    /// A first line: `<count>,<total>`.
    Head,
    /// A last line: `合计,<count>,<total>`.
    Tail,
}

/// A bank file layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    pub name: &'static str,
    pub label: &'static str,
    pub encoding: Encoding,
    pub amount: AmountUnit,
    pub summary: Summary,
    /// Whether a header row names the columns.
    pub header: bool,
    pub columns: &'static [(Field, &'static str)],
    /// At most this many payouts per file; a batch is split into parts.
    pub max_rows: usize,
}

/// The layouts built in. `generic` suits a bank that takes UTF-8 CSV; `gb18030_summary` is
/// the common shape of a Chinese bank's 代发 file: GBK-compatible, a first line with the count
/// and total, then one line per payee.
pub const LAYOUTS: &[Layout] = &[
    Layout {
        name: "generic",
        label: "通用格式（UTF-8 CSV，表头，末行合计）",
        encoding: Encoding::Utf8,
        amount: AmountUnit::Yuan,
        summary: Summary::Tail,
        header: true,
        columns: &[
            (Field::Reference, "业务参考号"),
            (Field::CardNumber, "卡号"),
            (Field::HolderName, "户名"),
            (Field::BankCode, "行别代码"),
            (Field::BankName, "开户银行"),
            (Field::Amount, "金额（元）"),
        ],
        max_rows: 1000,
    },
    Layout {
        name: "gb18030_summary",
        label: "银行代发格式（GBK/GB18030 CSV，首行笔数和总金额）",
        encoding: Encoding::Gb18030,
        amount: AmountUnit::Yuan,
        summary: Summary::Head,
        header: false,
        columns: &[
            (Field::CardNumber, "卡号"),
            (Field::HolderName, "户名"),
            (Field::Amount, "金额"),
            (Field::Reference, "备注"),
            (Field::Fixed("困难职工帮扶资金"), "用途"),
        ],
        max_rows: 1000,
    },
];

pub fn layout(name: &str) -> Option<&'static Layout> {
    LAYOUTS.iter().find(|l| l.name == name)
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

fn record(writer: &mut csv::Writer<Vec<u8>>, fields: &[&str]) -> Result<(), csv::Error> {
    writer.write_record(fields)
}

/// The files of `lines` (in the order given) in `layout`, at most `max_rows` lines each.
pub fn render(layout: &Layout, lines: &[Line]) -> Result<Vec<Part>, csv::Error> {
    lines
        .chunks(layout.max_rows.max(1))
        .enumerate()
        .map(|(i, chunk)| render_part(layout, chunk, i + 1))
        .collect()
}

/// File number `part` (1-based) of a batch, from its own lines (the `max_rows` lines from
/// `(part - 1) * max_rows` on).
pub fn render_part(layout: &Layout, chunk: &[Line], part: usize) -> Result<Part, csv::Error> {
    let total: i64 = chunk.iter().map(|l| l.amount_fen).sum();
    let count = chunk.len().to_string();
    let total_text = amount(layout.amount, total);
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .flexible(true)
        .from_writer(Vec::new());
    if layout.summary == Summary::Head {
        record(&mut w, &[&count, &total_text])?;
    }
    if layout.header {
        let names: Vec<&str> = layout.columns.iter().map(|(_, h)| *h).collect();
        record(&mut w, &names)?;
    }
    for line in chunk {
        let money = amount(layout.amount, line.amount_fen);
        let cells: Vec<&str> = layout
            .columns
            .iter()
            .map(|(field, _)| match field {
                Field::Reference => line.reference.as_str(),
                Field::CardNumber => line.card_number.as_str(),
                Field::HolderName => line.holder_name.as_str(),
                Field::BankCode => line.bank_code.as_str(),
                Field::BankName => line.bank_name.as_str(),
                Field::Amount => money.as_str(),
                Field::Fixed(text) => text,
            })
            .collect();
        record(&mut w, &cells)?;
    }
    if layout.summary == Summary::Tail {
        record(&mut w, &["合计", &count, &total_text])?;
    }
    let utf8 = w.into_inner().map_err(|e| e.into_error())?;
    let bytes = match layout.encoding {
        Encoding::Utf8 => utf8,
        Encoding::Gb18030 => {
            let text = String::from_utf8_lossy(&utf8);
            encoding_rs::GB18030.encode(&text).0.into_owned()
        }
    };
    let sha256 = Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(Part {
        part,
        rows: chunk.len(),
        total_fen: total,
        bytes,
        sha256,
    })
}

/// The file name of a part: the batch, the part and the layout.
pub fn file_name(layout: &Layout, batch: uuid::Uuid, part: usize) -> String {
    format!("payout-{batch}-{part:03}-{}.csv", layout.name)
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let parts = render(layout("generic").unwrap(), &lines(2)).unwrap();
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
        let mut layout = *layout("gb18030_summary").unwrap();
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
