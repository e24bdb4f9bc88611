//! Reconciliation (对账): the bank's result file applied to an exported batch. Each line is
//! matched by the payout's reference and its amount compared; what does not fit — an amount
//! that differs, a reference Siji never issued, one of another batch, a reference twice in the
//! file, a step the payout cannot take — goes to the exceptions with its reason and is never
//! applied, and one bad line never stops the good ones. Payouts of the batch the file does not
//! mention are listed as missing.
//!
//! Applying is idempotent twice over: a file already applied to the batch (by its SHA-256)
//! changes nothing and says so, and a line whose payout already has the outcome is `unchanged`
//! — so a job killed half-way and run again finishes the rest and doubles nothing. Lines are
//! applied five hundred to a unit of work, each in its own savepoint, through the same settlement
//! a staff decision uses ([`batches::settle`]; the ledger moves with it), and the batch is
//! looked at once, at the end.

use std::collections::{HashMap, HashSet};

use entity::{payout_batches, payout_results, payouts};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use super::batches::{self, PayoutOutcome};
use super::layouts::{self, AmountUnit, Encoding, Field, Format, Layout, ResultField, Summary};
use super::{APPROVE, BatchStatus, PayoutStatus};
use crate::CoreError;
use crate::audit::Event;
use crate::context::Context;

/// One line of a result file, as the bank wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultLine {
    /// 1-based line number in the file.
    pub line: usize,
    pub reference: String,
    pub amount_fen: Option<i64>,
    pub outcome: PayoutOutcome,
    pub reason: String,
}

/// The header names a result file's columns are recognised by, besides the layout's own.
const REFERENCE: &[&str] = &["业务参考号", "参考号", "备注", "附言", "reference"];
const PROCESSED: &[&str] = &["实际金额", "实际处理金额", "成功金额", "processed_amount"];
const AMOUNT: &[&str] = &["金额", "金额（元）", "金额(元)", "交易金额", "amount"];
const STATUS: &[&str] = &["处理结果", "交易状态", "状态", "结果", "status"];
const REASON: &[&str] = &["失败原因", "原因", "说明", "reason"];

/// A bank's word for an outcome: success, failure, a return; anything else is unclear.
fn outcome(status: &str) -> PayoutOutcome {
    let s = status.trim().to_lowercase();
    if ["成功", "已成功", "交易成功", "success", "paid", "ok"].contains(&s.as_str()) {
        PayoutOutcome::Paid
    } else if s.contains("退") || s == "returned" {
        PayoutOutcome::Returned
    } else if s.contains("失败") || ["failed", "fail", "rejected"].contains(&s.as_str()) {
        PayoutOutcome::Failed
    } else {
        PayoutOutcome::Unknown
    }
}

fn amount(unit: AmountUnit, text: &str) -> Option<i64> {
    let text = text.trim().replace(',', "");
    match unit {
        AmountUnit::Fen => text.parse().ok(),
        AmountUnit::Yuan => {
            let (yuan, cents) = text.split_once('.').unwrap_or((&text, "0"));
            let cents = match cents.len() {
                1 => cents.parse::<i64>().ok()? * 10,
                2 => cents.parse::<i64>().ok()?,
                _ => return None,
            };
            yuan.parse::<i64>()
                .ok()?
                .checked_mul(100)?
                .checked_add(cents)
        }
    }
}

/// Why a result file cannot be read at all.
fn unreadable(detail: impl Into<String>) -> CoreError {
    CoreError::field("file", "unreadable", detail)
}

/// A row of a result file: its line (or spreadsheet row) number and its cells.
pub type Row = (usize, Vec<String>);

/// Where a result line's four values are: the reference, the amount, the status, the reason.
type Positions = [Option<usize>; 4];

/// The positions named by a header row, when `row` is one (it names a reference column).
fn by_header(layout: &Layout, row: &[String]) -> Result<Option<Positions>, CoreError> {
    let own = |field: Field| {
        layout
            .columns
            .iter()
            .filter(move |c| c.field == field)
            .map(|c| c.header.as_str())
    };
    let result = |field: ResultField| {
        layout
            .result_columns
            .iter()
            .filter(move |c| c.field == field)
            .map(|c| c.header.as_str())
    };
    let find = |names: Vec<&str>| row.iter().position(|h| names.contains(&h.trim()));
    let Some(reference) = find(
        own(Field::Reference)
            .chain(REFERENCE.iter().copied())
            .collect(),
    ) else {
        return Ok(None);
    };
    let status = find(
        result(ResultField::Status)
            .chain(STATUS.iter().copied())
            .collect(),
    )
    .ok_or_else(|| unreadable("the header names no status column (处理结果 or 状态)"))?;
    let amount = find(
        result(ResultField::ProcessedAmount)
            .chain(PROCESSED.iter().copied())
            .collect(),
    )
    .or_else(|| find(own(Field::Amount).chain(AMOUNT.iter().copied()).collect()));
    let reason = find(
        result(ResultField::Reason)
            .chain(REASON.iter().copied())
            .collect(),
    );
    Ok(Some([Some(reference), amount, Some(status), reason]))
}

/// The positions the layout gives: the file's own columns, then its result columns. `None`
/// when the layout names no status column of the result.
fn by_position(layout: &Layout) -> Option<Positions> {
    let own = |field: Field| layout.columns.iter().position(|c| c.field == field);
    let result = |field: ResultField| {
        layout
            .result_columns
            .iter()
            .position(|c| c.field == field)
            .map(|at| layout.columns.len() + at)
    };
    let status = result(ResultField::Status)?;
    Some([
        own(Field::Reference),
        result(ResultField::ProcessedAmount).or_else(|| own(Field::Amount)),
        Some(status),
        result(ResultField::Reason),
    ])
}

/// The lines of a result file read as rows (CSV records, spreadsheet rows, or fixed-width
/// lines cut into their columns). A header row naming a reference column among the first three
/// rows decides the columns; without one, the layout's positions do, and a summary (the first
/// row of a layout whose summary comes first, or a row that starts with `合计`) is not a line.
/// Pure: no I/O.
pub fn read_rows(
    layout: &Layout,
    rows: impl IntoIterator<Item = Row>,
) -> Result<Vec<ResultLine>, CoreError> {
    let mut rows = rows.into_iter();
    let mut head = Vec::new();
    let mut positions = None;
    while head.len() < 3 {
        let Some((number, cells)) = rows.next() else {
            break;
        };
        if let Some(found) = by_header(layout, &cells)? {
            positions = Some(found);
            head.clear();
            break;
        }
        head.push((number, cells));
    }
    let positional = positions.is_none();
    let positions = match positions {
        Some(found) => found,
        None => by_position(layout).ok_or_else(no_columns)?,
    };
    // Read by position, the rows before the lines are where the layout puts them.
    let before = if positional {
        usize::from(layout.summary == Summary::Head) + usize::from(layout.header)
    } else {
        0
    };
    Ok(lines_at(
        layout,
        head.into_iter().chain(rows).skip(before),
        positions,
    ))
}

fn no_columns() -> CoreError {
    unreadable(
        "no header row naming the reference column (业务参考号 or 备注), and the layout names \
         no result columns to read the lines by position",
    )
}

/// The result lines of `rows`, their values at `positions`; a row that starts with `合计` or
/// has no reference is not a line.
fn lines_at(
    layout: &Layout,
    rows: impl Iterator<Item = Row>,
    [reference, amount_at, status, reason]: Positions,
) -> Vec<ResultLine> {
    let mut lines = Vec::new();
    for (number, cells) in rows {
        if cells.first().is_some_and(|c| c.trim() == "合计") {
            continue;
        }
        let cell = |at: Option<usize>| at.and_then(|c| cells.get(c)).map_or("", |c| c.trim());
        let reference = cell(reference);
        if reference.is_empty() {
            continue;
        }
        lines.push(ResultLine {
            line: number,
            reference: reference.to_owned(),
            amount_fen: amount(layout.amount, cell(amount_at)),
            outcome: outcome(cell(status)),
            reason: cell(reason).to_owned(),
        });
    }
    lines
}

/// The records of a CSV result file (UTF-8, or GB18030/GBK when it is not UTF-8).
fn csv_rows(bytes: &[u8]) -> Result<Vec<Row>, CoreError> {
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text.trim_start_matches('\u{feff}').to_owned(),
        Err(_) => encoding_rs::GB18030.decode(bytes).0.into_owned(),
    };
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes())
        .records()
        .enumerate()
        .map(|(i, record)| {
            let record = record.map_err(|e| unreadable(format!("not CSV: {e}")))?;
            Ok((i + 1, record.iter().map(str::to_owned).collect()))
        })
        .collect()
}

/// The lines of a fixed-width result file cut into the layout's columns and result columns,
/// each the width in bytes of the layout's encoding; the summary line and the header row (which
/// have other widths) are left out by where they are.
fn fixed_rows(layout: &Layout, bytes: &[u8]) -> Vec<Row> {
    let widths: Vec<usize> = layout
        .columns
        .iter()
        .map(|c| c.width)
        .chain(layout.result_columns.iter().map(|c| c.width))
        .map(|w| w.unwrap_or(0))
        .collect();
    let mut lines: Vec<(usize, &[u8])> = bytes
        .split(|b| *b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .enumerate()
        .filter(|(_, l)| !l.iter().all(u8::is_ascii_whitespace))
        .map(|(i, l)| (i + 1, l))
        .collect();
    match layout.summary {
        Summary::Head if !lines.is_empty() => drop(lines.remove(0)),
        Summary::Tail => drop(lines.pop()),
        _ => {}
    }
    if layout.header && !lines.is_empty() {
        lines.remove(0);
    }
    lines
        .into_iter()
        .map(|(number, line)| {
            let mut at = 0;
            let cells = widths
                .iter()
                .map(|w| {
                    let piece = line.get(at..(at + w).min(line.len())).unwrap_or_default();
                    at += w;
                    match layout.encoding {
                        Encoding::Utf8 => String::from_utf8_lossy(piece).trim().to_owned(),
                        Encoding::Gb18030 => encoding_rs::GB18030.decode(piece).0.trim().to_owned(),
                    }
                })
                .collect();
            (number, cells)
        })
        .collect()
}

/// Parse a CSV or fixed-width result file in `layout` (an XLSX result is read as a spreadsheet
/// by the caller and given to [`read_rows`]). Pure: no I/O.
pub fn parse(layout: &Layout, bytes: &[u8]) -> Result<Vec<ResultLine>, CoreError> {
    match layout.format {
        Format::Csv => read_rows(layout, csv_rows(bytes)?),
        // By position only: a fixed-width line has no cells to find a header among.
        Format::FixedWidth => Ok(lines_at(
            layout,
            fixed_rows(layout, bytes).into_iter(),
            by_position(layout).ok_or_else(no_columns)?,
        )),
        Format::Xlsx => Err(unreadable(
            "an XLSX result file is read as a spreadsheet, not as text",
        )),
    }
}

crate::enums::string_enum!(
    /// What a line of a bank's result file that was not applied is (对账异常).
    ExceptionKind {
        /// The amount differs from the payout's (金额不符).
        AmountMismatch = "amount_mismatch",
        /// No payout has this reference (未知流水号).
        UnknownReference = "unknown_reference",
        /// The reference is a payout of another batch (属其他批次).
        OtherBatch = "other_batch",
        /// The reference appears more than once in the file (重复行).
        DuplicateLine = "duplicate_line",
        /// The payout cannot take this outcome from where it is, failed → paid say (状态不允许).
        InvalidTransition = "invalid_transition",
    }
);

/// A line not applied, and why.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Exception {
    pub line: usize,
    pub reference: String,
    pub kind: ExceptionKind,
    pub detail: String,
}

/// What applying a result file did.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    pub batch_id: Uuid,
    pub sha256: String,
    /// The same file had been applied to this batch before: nothing was changed.
    pub already_applied: bool,
    pub lines: usize,
    pub paid: usize,
    pub failed: usize,
    pub returned: usize,
    pub unknown: usize,
    /// Lines whose payout already had their outcome.
    pub unchanged: usize,
    pub exceptions: Vec<Exception>,
    /// References of the batch's payouts still waiting on the bank that the file does not
    /// mention.
    pub missing: Vec<String>,
    /// The batch's state afterwards.
    pub batch_status: String,
}

/// A batch a result file may be applied to, checked before a job is started for it.
pub async fn applicable(
    ctx: &Context<'_>,
    batch: Uuid,
) -> Result<payout_batches::Model, CoreError> {
    ctx.require(APPROVE).await?;
    let b = ctx
        .scope()
        .find::<payout_batches::Entity>(ctx.db, batch)
        .await?
        .ok_or(CoreError::NotFound)?;
    if ![BatchStatus::Exported, BatchStatus::Reconciled]
        .iter()
        .any(|s| s.as_str() == b.status)
    {
        return Err(CoreError::conflict(format!(
            "a result file is applied to an exported batch; this one is `{}`",
            b.status
        )));
    }
    Ok(b)
}

/// Lines applied per unit of work.
const UNIT: usize = 500;

/// A result file as uploaded: its bytes (what its SHA-256 is of) and, for an XLSX workbook, its
/// rows as the caller's spreadsheet reader read them (this crate reads no spreadsheets: the
/// API's reader is the one hardened against hostile workbooks).
#[derive(Debug, Clone, Default)]
pub struct ResultFile {
    pub bytes: Vec<u8>,
    pub rows: Option<Vec<Row>>,
}

/// Apply the bank's result file to batch `id` (the work of the reconciliation job).
pub async fn apply(
    ctx: &Context<'_>,
    id: Uuid,
    layout: Layout,
    file: ResultFile,
) -> Result<Report, CoreError> {
    let b = applicable(ctx, id).await?;
    let ResultFile { bytes, rows } = file;
    let hash = layouts::sha256_hex(&bytes);
    if let Some(earlier) = payout_results::Entity::find()
        .filter(payout_results::Column::BatchId.eq(b.id))
        .filter(payout_results::Column::Sha256.eq(hash.as_str()))
        .one(ctx.db)
        .await?
    {
        let mut report: Report = serde_json::from_str(&earlier.report)
            .map_err(|e| CoreError::Internal(format!("a stored reconciliation report: {e}")))?;
        report.already_applied = true;
        return Ok(report);
    }
    let lines = tokio::task::spawn_blocking(move || match rows {
        Some(rows) => read_rows(&layout, rows),
        None => parse(&layout, &bytes),
    })
    .await
    .map_err(|e| CoreError::Internal(format!("the result file task failed: {e}")))??;
    let own: HashMap<String, payouts::Model> = payouts::Entity::find()
        .filter(payouts::Column::BatchId.eq(b.id))
        .filter(payouts::Column::Status.ne(PayoutStatus::Cancelled.as_str()))
        .all(ctx.db)
        .await?
        .into_iter()
        .map(|p| (p.reference.clone(), p))
        .collect();
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for l in &lines {
        *seen.entry(l.reference.as_str()).or_default() += 1;
    }
    let strangers: Vec<String> = lines
        .iter()
        .filter(|l| !own.contains_key(&l.reference))
        .map(|l| l.reference.clone())
        .collect();
    let elsewhere: HashSet<String> = if strangers.is_empty() {
        HashSet::new()
    } else {
        let mut found = HashSet::new();
        for chunk in strangers.chunks(500) {
            found.extend(
                payouts::Entity::find()
                    .filter(payouts::Column::Reference.is_in(chunk.iter().cloned()))
                    .all(ctx.db)
                    .await?
                    .into_iter()
                    .map(|p| p.reference),
            );
        }
        found
    };
    let mut report = Report {
        batch_id: b.id,
        sha256: hash.clone(),
        already_applied: false,
        lines: lines.len(),
        paid: 0,
        failed: 0,
        returned: 0,
        unknown: 0,
        unchanged: 0,
        exceptions: Vec::new(),
        missing: Vec::new(),
        batch_status: String::new(),
    };
    let exception = |l: &ResultLine, kind: ExceptionKind, detail: String| Exception {
        line: l.line,
        reference: l.reference.clone(),
        kind,
        detail,
    };
    let mut ready = Vec::new();
    for l in &lines {
        let Some(p) = own.get(&l.reference) else {
            let kind = if elsewhere.contains(&l.reference) {
                ExceptionKind::OtherBatch
            } else {
                ExceptionKind::UnknownReference
            };
            let detail = match kind {
                ExceptionKind::OtherBatch => "a payout of another batch".to_owned(),
                _ => "no payout has this reference".to_owned(),
            };
            report.exceptions.push(exception(l, kind, detail));
            continue;
        };
        if seen.get(l.reference.as_str()).copied().unwrap_or(0) > 1 {
            report.exceptions.push(exception(
                l,
                ExceptionKind::DuplicateLine,
                "the file has this reference more than once: none of its lines is applied".into(),
            ));
            continue;
        }
        if l.amount_fen != Some(p.amount_fen) {
            report.exceptions.push(exception(
                l,
                ExceptionKind::AmountMismatch,
                format!(
                    "the payout is {} fen; the bank's line says {}",
                    p.amount_fen,
                    l.amount_fen
                        .map_or_else(|| "no readable amount".to_owned(), |a| format!("{a} fen"))
                ),
            ));
            continue;
        }
        if p.status == l.outcome.status().as_str() {
            report.unchanged += 1;
            continue;
        }
        ready.push((l.clone(), p.id));
    }
    let mentioned: HashSet<&str> = lines.iter().map(|l| l.reference.as_str()).collect();
    let waiting = [PayoutStatus::Sent.as_str(), PayoutStatus::Unknown.as_str()];
    report.missing = own
        .values()
        .filter(|p| {
            waiting.contains(&p.status.as_str()) && !mentioned.contains(p.reference.as_str())
        })
        .map(|p| p.reference.clone())
        .collect();
    report.missing.sort();
    for unit in ready.chunks(UNIT) {
        crate::uow::breathe(ctx.db).await;
        let work = ctx.begin().await?;
        for (l, payout) in unit {
            let one = work.savepoint().await?;
            let reason = if l.reason.is_empty() {
                format!("银行结果文件第{}行", l.line)
            } else {
                format!("银行结果文件第{}行：{}", l.line, l.reason)
            };
            match batches::settle_one(ctx, &one, *payout, None, l.outcome, &reason).await {
                Ok(_) => {
                    one.commit().await?;
                    match l.outcome {
                        PayoutOutcome::Paid => report.paid += 1,
                        PayoutOutcome::Failed => report.failed += 1,
                        PayoutOutcome::Returned => report.returned += 1,
                        PayoutOutcome::Unknown => report.unknown += 1,
                    }
                }
                Err(e @ (CoreError::Database(_) | CoreError::Internal(_))) => return Err(e),
                Err(e) => {
                    one.rollback().await?;
                    report.exceptions.push(exception(
                        l,
                        ExceptionKind::InvalidTransition,
                        e.to_string(),
                    ));
                }
            }
        }
        work.commit().await?;
    }
    report.exceptions.sort_by_key(|e| e.line);
    let work = ctx.begin().await?;
    batches::reconcile_if_final(ctx, &work, b.id).await?;
    report.batch_status = payout_batches::Entity::find_by_id(b.id)
        .one(work.conn())
        .await?
        .map(|b| b.status)
        .unwrap_or_default();
    let stored = serde_json::to_string(&report)
        .map_err(|e| CoreError::Internal(format!("a reconciliation report: {e}")))?;
    payout_results::Entity::insert(payout_results::ActiveModel {
        id: Set(Uuid::now_v7()),
        batch_id: Set(b.id),
        org_id: Set(b.org_id),
        sha256: Set(hash),
        lines: Set(i32::try_from(report.lines).unwrap_or(i32::MAX)),
        report: Set(stored),
        created_by: Set(ctx.actor().id.unwrap_or_default()),
        created_at: Set(ctx.clock.now()),
    })
    .exec_without_returning(work.conn())
    .await?;
    work.record(Event::new("payout_batch.reconcile_file").on("payout_batch", b.id).changes(json!({
        "sha256": report.sha256, "lines": report.lines, "paid": report.paid, "failed": report.failed,
        "returned": report.returned, "unknown": report.unknown, "unchanged": report.unchanged,
        "exceptions": report.exceptions.len(), "missing": report.missing.len(),
    })))
    .await?;
    work.commit().await?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payouts::layouts::layout;

    #[test]
    fn a_result_file_is_read_by_its_header_in_either_encoding() {
        let text = "3,4500.00\r\n卡号,户名,金额,备注,处理结果,失败原因\r\n\
                    6222021234567890128,张三明,1500.00,SJ1,成功,\r\n\
                    6222021234567890128,李四,1500.5,SJ2,失败,户名不符\r\n\
                    6222021234567890128,王五,1500.00,SJ3,处理中,\r\n";
        let gbk = encoding_rs::GB18030.encode(text).0.into_owned();
        for bytes in [text.as_bytes().to_vec(), gbk] {
            let lines = parse(&layout("gb18030_summary").unwrap(), &bytes).unwrap();
            assert_eq!(lines.len(), 3);
            assert_eq!(lines[0].reference, "SJ1");
            assert_eq!(lines[0].outcome, PayoutOutcome::Paid);
            assert_eq!(lines[1].amount_fen, Some(150_050));
            assert_eq!(
                (lines[1].outcome, lines[1].reason.as_str()),
                (PayoutOutcome::Failed, "户名不符")
            );
            assert_eq!(lines[2].outcome, PayoutOutcome::Unknown);
            assert_eq!(lines[2].line, 5);
        }
        // Without a header row, a layout without result columns cannot be read.
        let mut bare = layout("generic").unwrap();
        bare.result_columns.clear();
        assert!(parse(&bare, b"a,b\r\n1,2\r\n").is_err());
        assert_eq!(amount(AmountUnit::Yuan, "1,500.00"), Some(150_000));
        assert_eq!(amount(AmountUnit::Yuan, "15.001"), None);
        assert_eq!(outcome("退票"), PayoutOutcome::Returned);
    }

    #[test]
    fn a_result_file_without_a_header_is_read_by_the_layout_s_positions() {
        // The bank's file as sent, the count and total first, each line with 处理结果 and
        // 失败原因 added after it.
        let text = "2,3000.00\r\n\
                    6222021234567890128,张三明,1500.00,SJ1,困难职工帮扶资金,成功,\r\n\
                    6222021234567890128,李四,1500.00,SJ2,困难职工帮扶资金,失败,账户已冻结\r\n";
        let gbk = encoding_rs::GB18030.encode(text).0.into_owned();
        let lines = parse(&layout("gb18030_summary").unwrap(), &gbk).unwrap();
        let read: Vec<_> = lines
            .iter()
            .map(|l| (l.line, l.reference.as_str(), l.outcome, l.reason.as_str()))
            .collect();
        assert_eq!(
            read,
            [
                (2, "SJ1", PayoutOutcome::Paid, ""),
                (3, "SJ2", PayoutOutcome::Failed, "账户已冻结")
            ]
        );
        assert!(lines.iter().all(|l| l.amount_fen == Some(150_000)));
    }

    #[test]
    fn a_fixed_width_result_is_cut_by_bytes_of_its_encoding() {
        use crate::payouts::layouts::{Column, ResultColumn};
        let width = |field, header: &str, width| Column {
            field,
            header: header.into(),
            width: Some(width),
            text: None,
        };
        let result = |field, header: &str, width| ResultColumn {
            field,
            header: header.into(),
            width: Some(width),
        };
        let fixed = Layout {
            name: "fixed".into(),
            label: "定长".into(),
            encoding: Encoding::Gb18030,
            format: Format::FixedWidth,
            amount: AmountUnit::Fen,
            summary: Summary::Tail,
            header: true,
            columns: vec![
                width(Field::CardNumber, "卡号", 19),
                width(Field::HolderName, "户名", 10),
                width(Field::Amount, "金额", 12),
                width(Field::Reference, "备注", 20),
            ],
            max_rows: 1000,
            result_columns: vec![
                result(ResultField::Status, "结果", 8),
                result(ResultField::ProcessedAmount, "实际金额", 12),
                result(ResultField::Reason, "原因", 20),
            ],
        };
        assert_eq!(crate::payouts::layouts::check(&fixed), Ok(()));
        let text = format!(
            "{:<17}{:<8}{:<10}{:<16}{:<6}{:<8}{:<10}\r\n\
             6222021234567890128张三明    {:>12}{:<20}成功    {:>12}{:20}\r\n\
             6222021234567890128李四      {:>12}{:<20}失败    {:>12}户名不符{:12}\r\n\
             {:>10}{:>20}\r\n",
            "卡号",
            "户名",
            "金额",
            "备注",
            "结果",
            "实际金额",
            "原因",
            150_000,
            "SJ1",
            150_000,
            "",
            150_000,
            "SJ2",
            0,
            "",
            2,
            300_000
        );
        let bytes = encoding_rs::GB18030.encode(&text).0.into_owned();
        let lines = parse(&fixed, &bytes).unwrap();
        let read: Vec<_> = lines
            .iter()
            .map(|l| {
                (
                    l.line,
                    l.reference.as_str(),
                    l.amount_fen,
                    l.outcome,
                    l.reason.as_str(),
                )
            })
            .collect();
        // The processed amount is what is compared: nothing was paid on the failed line.
        assert_eq!(
            read,
            [
                (2, "SJ1", Some(150_000), PayoutOutcome::Paid, ""),
                (3, "SJ2", Some(0), PayoutOutcome::Failed, "户名不符")
            ]
        );
    }
}
