//! Importing county spreadsheets: what an import row adds to the operations a single request
//! calls. A row names things the way a county's records do (an employer by its USCC or name, a
//! household head by ID number), so it is resolved inside the principal's subtree first; and a
//! file may be imported twice, so a record the principal already has is `Skipped`, never
//! created again nor reported as an error. Everything else is the registry's and the archive's
//! own operations, with their rules, units of work and audit events: an import can do nothing a
//! user could not do by hand.
//!
//! How a spreadsheet becomes typed rows (columns, headers, the report) is the edge's business;
//! errors here name the request's fields (`enterprise_id`, `id_number`), which the edge maps to
//! the file's headers.

use entity::{beneficiaries, enterprises, wage_agreements, workers};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::agreements::{self, Filing, NewAgreement, Terms};
use crate::archive::{self, NewArchive};
use crate::context::Context;
use crate::domain::{id_number, uscc};
use crate::pii::PiiField;
use crate::registry::enterprises::{self as registry_enterprises, NewEnterprise};
use crate::registry::workers::{self as registry_workers, NewWorker};
use crate::{CoreError, FieldError};

/// What became of a row that was not rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Imported {
    /// A new record, with its id.
    Created(Uuid),
    /// The principal already has this record (the same file imported again): nothing written.
    Skipped(Uuid),
}

/// A record the principal may see is skipped; a duplicate it may not see stays a duplicate
/// (told without the other organisation's id).
fn skip_visible_duplicate(result: Result<Uuid, CoreError>) -> Result<Imported, CoreError> {
    match result {
        Ok(id) => Ok(Imported::Created(id)),
        Err(CoreError::Duplicate {
            existing_id: Some(id),
            ..
        }) => Ok(Imported::Skipped(id)),
        Err(other) => Err(other),
    }
}

/// The 所属企业 cell: a USCC, or the exact name of an enterprise in the principal's subtree.
pub async fn employer(ctx: &Context<'_>, cell: &str) -> Result<Uuid, CoreError> {
    let code = uscc::normalise(cell);
    let scoped = registry_enterprises::scoped(ctx.scope());
    let found = if uscc::validate(&code).is_ok() {
        scoped
            .filter(enterprises::Column::Uscc.eq(code))
            .all(ctx.db)
            .await?
    } else {
        scoped
            .filter(enterprises::Column::Name.eq(cell.trim()))
            .all(ctx.db)
            .await?
    };
    match found.as_slice() {
        [one] => Ok(one.id),
        [] => Err(CoreError::field(
            "enterprise_id",
            "not_found",
            "no such enterprise in your organisation (give its USCC or exact name)",
        )),
        _ => Err(CoreError::field(
            "enterprise_id",
            "ambiguous",
            "several enterprises have this name; give the USCC",
        )),
    }
}

/// Register a worker from a row; a person already registered where the principal can see them
/// is skipped.
pub async fn worker(ctx: &Context<'_>, new: NewWorker) -> Result<Imported, CoreError> {
    skip_visible_duplicate(
        registry_workers::register(ctx, new, "import")
            .await
            .map(|w| w.id),
    )
}

/// Register the valid rows of a stretch of a file together, in one unit of work and a few
/// statements (`register_many_in`); `None` for a row the batch could not take — a person already
/// registered or repeated, a reference outside the scope, or every row should a concurrent
/// write win a race — which the caller registers alone with [`worker`] for its exact outcome.
pub async fn workers_together(
    ctx: &Context<'_>,
    news: Vec<NewWorker>,
) -> Result<Vec<Option<Uuid>>, CoreError> {
    ctx.require(registry_workers::WRITE).await?;
    let count = news.len();
    let work = ctx.begin().await?;
    match registry_workers::register_many_in(ctx, &work, news, "import").await {
        Ok(registered) => {
            work.commit().await?;
            Ok(registered.into_iter().map(|w| w.map(|w| w.id)).collect())
        }
        Err(CoreError::Duplicate { .. } | CoreError::Conflict { .. }) => {
            work.rollback().await?;
            Ok(vec![None; count])
        }
        Err(other) => Err(other),
    }
}

/// Register an enterprise from a row; one whose USCC the principal already has is skipped.
pub async fn enterprise(ctx: &Context<'_>, new: NewEnterprise) -> Result<Imported, CoreError> {
    // Deliberately unscoped: a USCC is one enterprise city-wide. Another organisation's record
    // is reported without its id.
    let code = uscc::normalise(&new.uscc);
    if let Some(existing) = enterprises::Entity::find()
        .filter(enterprises::Column::Uscc.eq(code))
        .one(ctx.db)
        .await?
    {
        let visible = registry_enterprises::find(ctx.db, ctx.scope(), existing.id)
            .await?
            .is_some();
        return skip_visible_duplicate(Err(CoreError::Duplicate {
            detail: "an enterprise with this USCC is already registered".to_owned(),
            existing_id: visible.then_some(existing.id),
        }));
    }
    skip_visible_duplicate(
        registry_enterprises::register(ctx, new, "import")
            .await
            .map(|e| e.id),
    )
}

/// The 覆盖企业 cell: every USCC must name an enterprise in the principal's subtree.
pub async fn covered_enterprises(
    ctx: &Context<'_>,
    codes: &[String],
) -> Result<Vec<Uuid>, CoreError> {
    let mut codes: Vec<String> = codes.iter().map(|c| uscc::normalise(c)).collect();
    codes.sort();
    codes.dedup();
    let found = registry_enterprises::scoped(ctx.scope())
        .filter(enterprises::Column::Uscc.is_in(codes.clone()))
        .all(ctx.db)
        .await?;
    if codes.is_empty() || found.len() != codes.len() {
        return Err(CoreError::field(
            "enterprise_ids",
            "not_found",
            "every USCC must name an enterprise in your organisation",
        ));
    }
    Ok(found.into_iter().map(|e| e.id).collect())
}

/// Record an agreement from a row (signed and filed if the row says so, every rule of signing
/// checked); one the principal already has — same title, text type, first day and enterprises —
/// is skipped.
pub async fn agreement(
    ctx: &Context<'_>,
    new: NewAgreement,
    signed: Option<(Terms, Option<Filing>)>,
) -> Result<Imported, CoreError> {
    let from = signed.as_ref().map(|(terms, _)| terms.effective_from);
    if let Some(existing) = same_agreement(ctx, &new, from).await? {
        return Ok(Imported::Skipped(existing));
    }
    agreements::open(ctx, new, signed, "import")
        .await
        .map(|a| Imported::Created(a.id))
}

async fn same_agreement(
    ctx: &Context<'_>,
    new: &NewAgreement,
    from: Option<chrono::NaiveDate>,
) -> Result<Option<Uuid>, CoreError> {
    use wage_agreements::Column as A;
    let mut candidates = agreements::queries::scoped(ctx.scope())
        .filter(A::Title.eq(new.title.trim()))
        .filter(A::TextType.eq(new.text_type.as_str()));
    candidates = match from {
        Some(day) => candidates.filter(A::EffectiveFrom.eq(day)),
        None => candidates.filter(A::EffectiveFrom.is_null()),
    };
    let ids: Vec<Uuid> = candidates.all(ctx.db).await?.iter().map(|a| a.id).collect();
    let (covered, _) = agreements::queries::details(ctx.db, &ids).await?;
    let mut wanted = new.enterprise_ids.clone();
    wanted.sort();
    wanted.dedup();
    Ok(ids
        .into_iter()
        .find(|id| covered.get(id).is_some_and(|c| *c == wanted)))
}

/// A household head's row: the worker of the principal's registry with this ID number, found
/// through the blind index.
pub async fn archive_head(ctx: &Context<'_>, raw_id_number: &str) -> Result<Uuid, CoreError> {
    let idx = ctx
        .pii
        .blind_index(PiiField::IdNumber, &id_number::normalise(raw_id_number));
    registry_workers::scoped(ctx.scope())
        .filter(workers::Column::IdNumberIdx.eq(idx))
        .one(ctx.db)
        .await?
        .map(|w| w.id)
        .ok_or_else(|| {
            CoreError::field(
                "id_number",
                "not_found",
                "no worker with this ID number in your organisation; register the worker first",
            )
        })
}

/// Register a household's archive from its rows. A head with a live archive the principal can
/// see is skipped; one archived by another organisation, or whose archive was lifted out (it is
/// reopened, not archived twice), is refused on the head's ID number.
pub async fn archive(ctx: &Context<'_>, new: NewArchive) -> Result<Imported, CoreError> {
    let live = beneficiaries::Entity::find()
        .filter(beneficiaries::Column::LiveHeadWorkerId.eq(new.head_worker_id))
        .one(ctx.db)
        .await?;
    if let Some(live) = live {
        let visible = archive::queries::find(ctx.db, ctx.scope(), live.id)
            .await?
            .is_some();
        return if visible {
            Ok(Imported::Skipped(live.id))
        } else {
            Err(CoreError::field(
                "id_number",
                "registered_elsewhere",
                "already archived by another organisation",
            ))
        };
    }
    match archive::register(ctx, new, "import").await {
        Ok(created) => Ok(Imported::Created(created.id)),
        Err(CoreError::Duplicate { .. }) => Err(CoreError::Validation(vec![FieldError::new(
            "id_number",
            "reopen_instead",
            "this worker's household was lifted out: reopen that archive instead",
        )])),
        Err(other) => Err(other),
    }
}
