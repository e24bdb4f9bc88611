//! Exporting an approved batch as bank files, and downloading them: the one place a full card
//! number leaves Siji. Export needs `payouts.export`; it re-checks the batch's count and total,
//! renders the files in the chosen layout (decrypting off the async executor), records each
//! file's SHA-256, count and total, and moves the batch to `exported` and its payouts to `sent`,
//! in one unit of work with its audit event. The files themselves are never stored: a download
//! renders its part again from the payouts and refuses to answer unless it hashes the same, so
//! exporting or downloading again gives the same bytes.

use entity::{bank_layouts, payout_batches, payout_files, payouts};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde_json::json;
use uuid::Uuid;

use super::layouts::{self, Layout, Line, Part};
use super::{BatchStatus, EXPORT, PayoutStatus, batches};
use crate::audit::Event;
use crate::context::Context;
use crate::pii::{DataProtector, PiiField};
use crate::{CoreError, versioning};

/// The layout named — built in, or added by an administrator — or a field error listing those
/// there are.
pub async fn layout(db: &impl ConnectionTrait, name: &str) -> Result<Layout, CoreError> {
    if let Some(builtin) = layouts::layout(name) {
        return Ok(builtin);
    }
    if let Some(stored) = bank_layouts::Entity::find_by_id(name.to_owned())
        .one(db)
        .await?
    {
        return serde_json::from_str(&stored.definition)
            .map_err(|e| CoreError::Internal(format!("the stored layout `{name}`: {e}")));
    }
    let mut names: Vec<String> = layouts::builtin().into_iter().map(|l| l.name).collect();
    names.extend(
        bank_layouts::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .map(|l| l.name),
    );
    Err(CoreError::field(
        "layout",
        "one_of",
        format!("one of {}", names.join(", ")),
    ))
}

/// Every layout: the built-in ones, then those administrators added, by name.
pub async fn all_layouts(ctx: &Context<'_>) -> Result<Vec<(Layout, bool)>, CoreError> {
    ctx.require(super::READ).await?;
    let mut out: Vec<(Layout, bool)> = layouts::builtin().into_iter().map(|l| (l, true)).collect();
    for stored in bank_layouts::Entity::find()
        .order_by_asc(bank_layouts::Column::Name)
        .all(ctx.db)
        .await?
    {
        let layout = serde_json::from_str(&stored.definition).map_err(|e| {
            CoreError::Internal(format!("the stored layout `{}`: {e}", stored.name))
        })?;
        out.push((layout, false));
    }
    Ok(out)
}

/// Add a bank's layout (`payouts.export`, at the city: layouts serve every county). Checked
/// ([`layouts::check`]); a name already taken, built in or added, is a conflict; never changed
/// afterwards.
pub async fn add_layout(ctx: &Context<'_>, layout: Layout) -> Result<Layout, CoreError> {
    ctx.require(EXPORT).await?;
    if !ctx.scope().is_root() {
        return Err(CoreError::Forbidden(
            "bank layouts are kept by the city federation".into(),
        ));
    }
    layouts::check(&layout).map_err(CoreError::Validation)?;
    if layouts::layout(&layout.name).is_some() {
        return Err(CoreError::Duplicate {
            detail: "a built-in layout has this name".into(),
            existing_id: None,
        });
    }
    let definition = serde_json::to_string(&layout)
        .map_err(|e| CoreError::Internal(format!("a layout's definition: {e}")))?;
    let work = ctx.begin().await?;
    bank_layouts::Entity::insert(bank_layouts::ActiveModel {
        name: Set(layout.name.clone()),
        definition: Set(definition),
        created_by: Set(ctx.actor().id.unwrap_or_default()),
        created_at: Set(ctx.clock.now()),
    })
    .exec_without_returning(work.conn())
    .await?;
    work.record(
        Event::new("bank_layout.create")
            .on("bank_layout", &layout.name)
            .changes(json!({ "name": layout.name, "format": layout.format, "encoding": layout.encoding })),
    )
    .await?;
    work.commit().await?;
    Ok(layout)
}

/// A batch that may be exported, checked before a job is started for it.
pub async fn exportable(
    ctx: &Context<'_>,
    batch: Uuid,
) -> Result<payout_batches::Model, CoreError> {
    ctx.require(EXPORT).await?;
    let b = ctx
        .scope()
        .find::<payout_batches::Entity>(ctx.db, batch)
        .await?
        .ok_or(CoreError::NotFound)?;
    check_exportable(&b)?;
    Ok(b)
}

fn check_exportable(b: &payout_batches::Model) -> Result<(), CoreError> {
    if [
        BatchStatus::Approved,
        BatchStatus::Exported,
        BatchStatus::Reconciled,
    ]
    .iter()
    .any(|s| s.as_str() == b.status)
    {
        Ok(())
    } else {
        Err(CoreError::conflict(format!(
            "a batch is exported once approved; this one is `{}`",
            b.status
        )))
    }
}

/// The payouts a batch's files are rendered from: all but cancelled ones, by id; `part` limits
/// them to those of one file.
async fn lines_of(
    conn: &impl sea_orm::ConnectionTrait,
    batch: Uuid,
    layout: &Layout,
    part: Option<usize>,
) -> Result<Vec<payouts::Model>, CoreError> {
    let mut select = payouts::Entity::find()
        .filter(payouts::Column::BatchId.eq(batch))
        .filter(payouts::Column::Status.ne(PayoutStatus::Cancelled.as_str()))
        .order_by_asc(payouts::Column::Id);
    if let Some(part) = part {
        let rows = layout.max_rows.max(1) as u64;
        select = select.offset((part.max(1) as u64 - 1) * rows).limit(rows);
    }
    Ok(select.all(conn).await?)
}

/// `rows` as a layout's lines, their card numbers decrypted, rendered on the blocking pool:
/// every file of the batch, or only `part`. A whole batch's files are shared among the
/// machine's cores (a part is rendered from its own lines alone), so 83,000 payouts are not
/// decrypted and written one after another.
async fn render(
    pii: &DataProtector,
    rows: Vec<payouts::Model>,
    layout: &Layout,
    part: Option<usize>,
) -> Result<Vec<Part>, CoreError> {
    let (pii, layout) = (pii.clone(), layout.clone());
    tokio::task::spawn_blocking(move || {
        if let Some(part) = part {
            return render_one(&pii, &layout, rows, part).map(|p| vec![p]);
        }
        let per_file = layout.max_rows.max(1);
        let mut chunks: Vec<(usize, Vec<payouts::Model>)> = Vec::new();
        let mut rows = rows.into_iter().peekable();
        while rows.peek().is_some() {
            chunks.push((chunks.len() + 1, rows.by_ref().take(per_file).collect()));
        }
        let threads = std::thread::available_parallelism()
            .map_or(1, std::num::NonZero::get)
            .min(chunks.len().max(1));
        let mut shares: Vec<Vec<(usize, Vec<payouts::Model>)>> =
            (0..threads).map(|_| Vec::new()).collect();
        for (i, chunk) in chunks.into_iter().enumerate() {
            shares[i % threads].push(chunk);
        }
        let mut parts = std::thread::scope(|scope| {
            let workers: Vec<_> = shares
                .into_iter()
                .map(|share| {
                    let (pii, layout) = (&pii, &layout);
                    scope.spawn(move || {
                        share
                            .into_iter()
                            .map(|(part, rows)| render_one(pii, layout, rows, part))
                            .collect::<Result<Vec<Part>, CoreError>>()
                    })
                })
                .collect();
            workers
                .into_iter()
                .map(|w| {
                    w.join()
                        .map_err(|_| CoreError::Internal("a bank file renderer panicked".into()))?
                })
                .collect::<Result<Vec<Vec<Part>>, CoreError>>()
        })?
        .into_iter()
        .flatten()
        .collect::<Vec<Part>>();
        parts.sort_by_key(|p| p.part);
        Ok(parts)
    })
    .await
    .map_err(|e| CoreError::Internal(format!("the bank file task failed: {e}")))?
}

/// File number `part` of a batch from its own payouts.
fn render_one(
    pii: &DataProtector,
    layout: &Layout,
    rows: Vec<payouts::Model>,
    part: usize,
) -> Result<Part, CoreError> {
    let mut lines = Vec::with_capacity(rows.len());
    for p in rows {
        lines.push(Line {
            card_number: pii.decrypt(PiiField::BankCard, &p.bank_card_enc)?,
            reference: p.reference,
            holder_name: p.holder_name,
            bank_code: p.bank_code,
            bank_name: p.bank_name,
            amount_fen: p.amount_fen,
        });
    }
    layouts::render_part(layout, &lines, part).map_err(|e| match e {
        layouts::RenderError::TooWide { .. } => CoreError::conflict(format!(
            "{e}: this layout cannot carry it; export in another layout"
        )),
        layouts::RenderError::Csv(_) | layouts::RenderError::Xlsx(_) => {
            CoreError::Internal(format!("rendering a bank file: {e}"))
        }
    })
}

/// A batch exported, and its files.
#[derive(Debug, Clone)]
pub struct Exported {
    pub batch: payout_batches::Model,
    pub files: Vec<payout_files::Model>,
}

/// Export batch `id` in `layout` (the work of the export job): `approved → exported`, its
/// payouts `pending → sent`. Exporting again (in the same layout) checks that the files are
/// byte for byte those of the first export; in another layout it records that layout's files.
pub async fn export(ctx: &Context<'_>, id: Uuid, layout_name: &str) -> Result<Exported, CoreError> {
    use payout_batches::Column as B;
    ctx.require(EXPORT).await?;
    let layout = layout(ctx.db, layout_name).await?;
    let work = ctx.begin().await?;
    let b = ctx
        .scope()
        .find::<payout_batches::Entity>(work.conn(), id)
        .await?
        .ok_or(CoreError::NotFound)?;
    check_exportable(&b)?;
    batches::recheck(&work, &b).await?;
    let payouts = lines_of(work.conn(), b.id, &layout, None).await?;
    let parts = render(ctx.pii, payouts, &layout, None).await?;
    let rows: usize = parts.iter().map(|p| p.rows).sum();
    let total: i64 = parts.iter().map(|p| p.total_fen).sum();
    if i64::try_from(rows).ok() != Some(i64::from(b.payout_count)) || total != b.total_fen {
        return Err(CoreError::conflict(
            "the files do not add up to the batch's count and total: nothing was exported",
        ));
    }
    let earlier = payout_files::Entity::find()
        .filter(payout_files::Column::BatchId.eq(b.id))
        .filter(payout_files::Column::Layout.eq(layout.name.as_str()))
        .order_by_asc(payout_files::Column::Part)
        .all(work.conn())
        .await?;
    let now = ctx.clock.now();
    let files = if earlier.is_empty() {
        let mut files = Vec::with_capacity(parts.len());
        for p in &parts {
            let file = payout_files::ActiveModel {
                id: Set(Uuid::now_v7()),
                batch_id: Set(b.id),
                org_id: Set(b.org_id),
                layout: Set(layout.name.to_owned()),
                part: Set(i32::try_from(p.part).unwrap_or(i32::MAX)),
                name: Set(layouts::file_name(&layout, b.id, p.part)),
                rows: Set(i32::try_from(p.rows).unwrap_or(i32::MAX)),
                total_fen: Set(p.total_fen),
                sha256: Set(p.sha256.clone()),
                created_by: Set(ctx.actor().id.unwrap_or_default()),
                created_at: Set(now),
            };
            files.push(
                payout_files::Entity::insert(file)
                    .exec_with_returning(work.conn())
                    .await?,
            );
        }
        files
    } else {
        let same = earlier.len() == parts.len()
            && earlier
                .iter()
                .zip(&parts)
                .all(|(f, p)| f.sha256 == p.sha256);
        if !same {
            return Err(CoreError::conflict(
                "exporting again would not give the bytes of the first export: the batch's \
                 payouts have changed since; nothing was exported",
            ));
        }
        earlier
    };
    let batch = if b.status == BatchStatus::Approved.as_str() {
        let change = versioning::update::<payout_batches::Entity>(b.id, b.version, now)
            .filter(B::Status.eq(BatchStatus::Approved.as_str()))
            .col_expr(B::Status, Expr::value(BatchStatus::Exported.as_str()))
            .col_expr(B::ExportedBy, Expr::value(ctx.actor().id))
            .col_expr(B::ExportedAt, Expr::value(now));
        let event = Event::new("payout_batch.send")
            .on("payout_batch", b.id)
            .changes(json!({
                "payout_count": b.payout_count, "total_fen": b.total_fen,
            }));
        let batch = versioning::save_work(&work, change, b.id, None, event).await?;
        payouts::Entity::update_many()
            .col_expr(
                payouts::Column::Status,
                Expr::value(PayoutStatus::Sent.as_str()),
            )
            .col_expr(payouts::Column::UpdatedAt, Expr::value(now))
            .col_expr(
                payouts::Column::Version,
                Expr::col(payouts::Column::Version).add(1),
            )
            .filter(payouts::Column::BatchId.eq(b.id))
            .filter(payouts::Column::Status.eq(PayoutStatus::Pending.as_str()))
            .exec(work.conn())
            .await?;
        batch
    } else {
        b
    };
    work.record(
        Event::new("payout_batch.export")
            .on("payout_batch", batch.id)
            .changes(json!({
                "layout": layout.name,
                "files": files.iter().map(|f| json!({
                    "name": f.name, "rows": f.rows, "total_fen": f.total_fen, "sha256": f.sha256,
                })).collect::<Vec<_>>(),
            })),
    )
    .await?;
    work.commit().await?;
    Ok(Exported { batch, files })
}

/// A bank file's bytes, rendered again and checked against the SHA-256 recorded at export;
/// audited (`payout_file.export`, never the content). Needs `payouts.export`.
pub async fn download(
    ctx: &Context<'_>,
    id: Uuid,
) -> Result<(payout_files::Model, Layout, Vec<u8>), CoreError> {
    ctx.require(EXPORT).await?;
    let file = ctx
        .scope()
        .find::<payout_files::Entity>(ctx.db, id)
        .await?
        .ok_or(CoreError::NotFound)?;
    let layout = layout(ctx.db, &file.layout).await?;
    let part = usize::try_from(file.part).unwrap_or(0);
    let payouts = lines_of(ctx.db, file.batch_id, &layout, Some(part)).await?;
    let parts = render(ctx.pii, payouts, &layout, Some(part)).await?;
    let Some(bytes) = parts
        .into_iter()
        .find(|p| p.part == part && p.sha256 == file.sha256)
        .map(|p| p.bytes)
    else {
        return Err(CoreError::conflict(
            "the batch's payouts no longer give the file that was exported: it is not answered",
        ));
    };
    let work = ctx.begin().await?;
    work.record(
        Event::new("payout_file.export")
            .on("payout_file", file.id)
            .changes(json!({ "name": file.name, "sha256": file.sha256 })),
    )
    .await?;
    work.commit().await?;
    Ok((file, layout, bytes))
}

/// A bank file of the principal's scope that it may download (`payouts.export`), for a
/// short-lived download link; the link is audited (`payout_file.link`).
pub async fn link(ctx: &Context<'_>, id: Uuid) -> Result<payout_files::Model, CoreError> {
    ctx.require(EXPORT).await?;
    let file = ctx
        .scope()
        .find::<payout_files::Entity>(ctx.db, id)
        .await?
        .ok_or(CoreError::NotFound)?;
    let work = ctx.begin().await?;
    work.record(
        Event::new("payout_file.link")
            .on("payout_file", file.id)
            .changes(json!({ "name": file.name })),
    )
    .await?;
    work.commit().await?;
    Ok(file)
}
