//! County sync, the push side: a machine client sends its records by its own ids, and each one
//! goes through the registry's own operations (validation, the one-person rule, tenancy, the
//! audit trail naming the client) inside one unit of work, each record in a savepoint of its
//! own with its mapping. One bad record is reported and undone alone; a push killed half-way
//! leaves nothing, and sent again it creates each record once.
//!
//! A record already mapped is compared field by field with what Siji holds: the same content is
//! `unchanged` (nothing written, the version kept); different content is written only over the
//! version the client read (`base_version`, or else the version it last wrote), so an edit made
//! in Siji since is reported as a `conflict`, never overwritten unseen.
//!
//! The new workers of a push are registered together (`registry::workers::register_many_in`:
//! a query per check for the whole push, multi-row writes), in a savepoint of their own; a
//! worker the batch cannot take, or all of them if a concurrent write wins a race, goes alone
//! afterwards with the records already mapped, in the order sent.
//!
//! A new id whose record Siji already holds in the caller's subtree (registered from a
//! spreadsheet before the county synced) is taken over, not refused (`adopt`); one refused
//! because a concurrent push of the same client mapped it first is compared as mapped
//! (`once_more`). Hardship archives (`archives.rs`) and wage agreements (`agreements.rs`) are
//! pushed the same way, through their own operations.

use std::collections::HashMap;

use chrono::Utc;
use entity::sync_mappings;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, FromQueryResult,
    IntoActiveModel, QueryFilter, Statement, sea_query::Expr,
};
use uuid::Uuid;

use super::ChangeKind;
use crate::domain::uscc;
use crate::registry::enterprises::{self, NewEnterprise};
use crate::registry::workers::{self, NewWorker};
use crate::uow::Work;
use crate::{Context, CoreError, FieldError};

mod agreements;
mod archives;
pub use agreements::{AgreementPush, push_agreements};
pub use archives::{ArchivePush, push_archives};

/// The most records one push may carry.
pub const MAX_RECORDS: usize = 1000;

/// One enterprise as a client pushes it.
pub struct EnterprisePush {
    pub external_id: String,
    pub base_version: Option<i32>,
    pub enterprise: NewEnterprise,
}

/// One worker as a client pushes it; the employer by Siji's id or by the client's own id of an
/// enterprise it pushed before.
pub struct WorkerPush {
    pub external_id: String,
    pub base_version: Option<i32>,
    pub employer_external_id: Option<String>,
    pub worker: NewWorker,
}

/// What became of one pushed record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Created {
        id: Uuid,
        version: i32,
    },
    Updated {
        id: Uuid,
        version: i32,
    },
    /// The same content as Siji holds: nothing written.
    Unchanged {
        id: Uuid,
        version: i32,
    },
    /// The record changed in Siji since the version the client read; nothing written.
    Conflict {
        id: Uuid,
        version: i32,
    },
    /// Field errors, with the API's codes; nothing written.
    Invalid {
        errors: Vec<FieldError>,
    },
}

/// Open the unit of work of a push of `kind`: only machine clients push (the mapping is theirs),
/// with the permission that writes the kind anywhere else.
pub async fn begin<'c>(ctx: &'c Context<'_>, kind: ChangeKind) -> Result<Work<'c>, CoreError> {
    if ctx.actor().kind != "client" {
        return Err(CoreError::Forbidden(
            "only machine clients push records by their own ids; staff use the registry's \
             operations"
                .into(),
        ));
    }
    let permission = match kind {
        ChangeKind::Enterprise => enterprises::WRITE,
        ChangeKind::Worker => workers::WRITE,
        ChangeKind::Beneficiary => crate::archive::WRITE,
        ChangeKind::WageAgreement => crate::agreements::WRITE,
        ChangeKind::Org => {
            return Err(CoreError::Forbidden(
                "organisations are not pushed; the city keeps them".into(),
            ));
        }
    };
    ctx.require(permission).await?;
    ctx.begin().await
}

fn client(ctx: &Context<'_>) -> Result<Uuid, CoreError> {
    ctx.actor()
        .id
        .ok_or_else(|| CoreError::Internal("a push without a principal".into()))
}

/// The client's mappings of `kind` for `external_ids`, by external id. On PostgreSQL the ids
/// travel as one JSON array joined to the unique index, so each is an index lookup whatever the
/// planner's statistics say: with a long `IN` list and statistics from when the table was small
/// (a county's first load), it scanned every mapping for every push (100 ms at 20,000). SQLite's
/// planner takes the `IN` list through the index, and a JSON join the other way round.
async fn mappings(
    work: &Work<'_>,
    client: Uuid,
    kind: ChangeKind,
    external_ids: impl Iterator<Item = &str>,
) -> Result<HashMap<String, sync_mappings::Model>, CoreError> {
    let ids: Vec<&str> = external_ids.collect();
    let backend = work.conn().get_database_backend();
    let mut out = HashMap::new();
    for chunk in ids.chunks(500) {
        let found = if backend == DatabaseBackend::Postgres {
            let list = serde_json::to_string(chunk)
                .map_err(|e| CoreError::Internal(format!("external ids as JSON: {e}")))?;
            sync_mappings::Model::find_by_statement(Statement::from_sql_and_values(
                backend,
                "SELECT m.* FROM json_array_elements_text($1::json) AS x(external_id) \
                 JOIN sync_mappings m ON m.client_id = $2 AND m.kind = $3 \
                 AND m.external_id = x.external_id",
                [list.into(), client.into(), kind.as_str().into()],
            ))
            .all(work.conn())
            .await?
        } else {
            sync_mappings::Entity::find()
                .filter(sync_mappings::Column::ClientId.eq(client))
                .filter(sync_mappings::Column::Kind.eq(kind.as_str()))
                .filter(sync_mappings::Column::ExternalId.is_in(chunk.iter().copied()))
                .all(work.conn())
                .await?
        };
        out.extend(found.into_iter().map(|m| (m.external_id.clone(), m)));
    }
    Ok(out)
}

async fn map(
    work: &Work<'_>,
    client: Uuid,
    kind: ChangeKind,
    external_id: &str,
    record: Uuid,
    version: i32,
) -> Result<sync_mappings::Model, CoreError> {
    let now = Utc::now();
    let row = sync_mappings::ActiveModel {
        id: Set(Uuid::now_v7()),
        client_id: Set(client),
        kind: Set(kind.as_str().to_owned()),
        external_id: Set(external_id.to_owned()),
        record_id: Set(record),
        version: Set(version),
        created_at: Set(now),
        updated_at: Set(now),
    };
    match sync_mappings::Entity::insert(row)
        .exec_with_returning(work.conn())
        .await
        .map_err(CoreError::from)
    {
        Err(CoreError::Duplicate { .. }) => Err(CoreError::field(
            "external_id",
            "already_mapped",
            "the record it names is mapped to another of your ids",
        )),
        other => other,
    }
}

async fn remap_version(work: &Work<'_>, mapping: Uuid, version: i32) -> Result<(), CoreError> {
    sync_mappings::Entity::update_many()
        .col_expr(sync_mappings::Column::Version, Expr::value(version))
        .col_expr(sync_mappings::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(sync_mappings::Column::Id.eq(mapping))
        .exec(work.conn())
        .await?;
    Ok(())
}

/// A record's failure as the client's field errors, or the error that stops the whole push.
fn invalid(err: CoreError, duplicate_field: &str) -> Result<Outcome, CoreError> {
    let errors = match err {
        CoreError::Validation(errors) => errors,
        CoreError::Duplicate { detail, .. } => {
            vec![FieldError::new(duplicate_field, "duplicate", detail)]
        }
        CoreError::NotFound => vec![FieldError::new(
            "org_id",
            "not_found",
            "no such organisation or enterprise in your subtree",
        )],
        CoreError::Conflict { detail, .. } => vec![FieldError::new("", "conflict", detail)],
        other => return Err(other),
    };
    Ok(Outcome::Invalid { errors })
}

/// Run one record's step in a savepoint: kept when it succeeds, undone alone when the record is
/// refused.
async fn in_savepoint<'w>(
    work: &'w Work<'_>,
    duplicate_field: &str,
    step: impl AsyncFnOnce(&Work<'w>) -> Result<Outcome, CoreError>,
) -> Result<Outcome, CoreError> {
    let savepoint = work.savepoint().await?;
    match step(&savepoint).await {
        Ok(outcome @ (Outcome::Invalid { .. } | Outcome::Conflict { .. })) => {
            savepoint.rollback().await?;
            Ok(outcome)
        }
        Ok(outcome) => {
            savepoint.commit().await?;
            Ok(outcome)
        }
        Err(CoreError::Stale) => {
            savepoint.rollback().await?;
            Err(CoreError::Stale)
        }
        Err(err) => {
            savepoint.rollback().await?;
            invalid(err, duplicate_field)
        }
    }
}

/// Which version a mapped record's update must find: the one the client says it read, or else
/// the one it last wrote.
fn base(asked: Option<i32>, mapping: &sync_mappings::Model) -> i32 {
    asked.unwrap_or(mapping.version)
}

/// Push enterprises in `work` (from [`begin`]); one outcome per record, in order.
pub async fn push_enterprises(
    ctx: &Context<'_>,
    work: &Work<'_>,
    records: Vec<EnterprisePush>,
) -> Result<Vec<Outcome>, CoreError> {
    let client = client(ctx)?;
    let kind = ChangeKind::Enterprise;
    let mut mapped = mappings(
        work,
        client,
        kind,
        records.iter().map(|r| r.external_id.as_str()),
    )
    .await?;
    let mut outcomes = Vec::with_capacity(records.len());
    for r in records {
        let outcome = once_more(work, client, kind, &mut mapped, &r, async |mapped, r| {
            enterprise_one(ctx, work, client, mapped, r, r.enterprise.clone()).await
        })
        .await?;
        outcomes.push(outcome);
    }
    Ok(outcomes)
}

/// One enterprise, created or compared with the record its id maps to.
async fn enterprise_one(
    ctx: &Context<'_>,
    work: &Work<'_>,
    client: Uuid,
    mapped: &mut HashMap<String, sync_mappings::Model>,
    r: &EnterprisePush,
    enterprise: NewEnterprise,
) -> Result<Outcome, CoreError> {
    let kind = ChangeKind::Enterprise;
    let existing = mapped.get(&r.external_id).cloned();
    let outcome = in_savepoint(work, "uscc", async |sp| match existing {
        None => {
            // An enterprise registered in Siji before the county synced (from a spreadsheet):
            // the pushed one is the same, by USCC, and is taken over rather than refused.
            let known = enterprises::scoped(ctx.scope())
                .filter(entity::enterprises::Column::Uscc.eq(uscc::normalise(&enterprise.uscc)))
                .one(sp.conn())
                .await?;
            if let Some(e) = known {
                let changes = enterprises::changes_to(&e, enterprise);
                let duplicate = CoreError::Duplicate {
                    detail: "an enterprise with this USCC is already registered".into(),
                    existing_id: Some(e.id),
                };
                let found = Found {
                    id: e.id,
                    version: e.version,
                    same: changes.is_empty(),
                };
                return adopt(sp, client, kind, mapped, r, duplicate, found, async || {
                    let e = enterprises::update_in(ctx, sp, e.id, Some(e.version), changes).await?;
                    Ok(e.version)
                })
                .await;
            }
            let e = enterprises::register_in(ctx, sp, enterprise, "sync").await?;
            let m = map(sp, client, kind, &r.external_id, e.id, e.version).await?;
            mapped.insert(r.external_id.clone(), m);
            Ok(Outcome::Created {
                id: e.id,
                version: e.version,
            })
        }
        Some(m) => {
            let e = enterprises::find(sp.conn(), ctx.scope(), m.record_id)
                .await?
                .ok_or_else(gone)?;
            let changes = enterprises::changes_to(&e, enterprise);
            settle(
                sp,
                &m,
                r.base_version,
                e.id,
                e.version,
                changes.is_empty(),
                async || {
                    let e = enterprises::update_in(ctx, sp, e.id, Some(e.version), changes).await?;
                    Ok(e.version)
                },
            )
            .await
        }
    })
    .await;
    stale_is_conflict(outcome, mapped, &r.external_id)
}

/// One record's step, and once more when it was refused as a duplicate for a new id that a
/// concurrent push of the client's own has mapped meanwhile ([`mapped_meanwhile`]).
async fn once_more<R: HasExternalId>(
    work: &Work<'_>,
    client: Uuid,
    kind: ChangeKind,
    mapped: &mut HashMap<String, sync_mappings::Model>,
    r: &R,
    mut one: impl AsyncFnMut(
        &mut HashMap<String, sync_mappings::Model>,
        &R,
    ) -> Result<Outcome, CoreError>,
) -> Result<Outcome, CoreError> {
    let fresh = !mapped.contains_key(r.external_id());
    let outcome = one(mapped, r).await?;
    if fresh
        && let Some(m) = mapped_meanwhile(work, client, kind, r.external_id(), &outcome).await?
    {
        mapped.insert(r.external_id().to_owned(), m);
        return one(mapped, r).await;
    }
    Ok(outcome)
}

/// The mapping of a new id refused as a duplicate, when a concurrent push of the same records by
/// the same client mapped it and committed first: the record is then this client's own, to be
/// compared like any mapped one rather than reported as someone else's.
async fn mapped_meanwhile(
    work: &Work<'_>,
    client: Uuid,
    kind: ChangeKind,
    external_id: &str,
    outcome: &Outcome,
) -> Result<Option<sync_mappings::Model>, CoreError> {
    let Outcome::Invalid { errors } = outcome else {
        return Ok(None);
    };
    if !errors
        .iter()
        .any(|e| e.code == "duplicate" || e.code == "already_mapped")
    {
        return Ok(None);
    }
    Ok(mappings(work, client, kind, std::iter::once(external_id))
        .await?
        .remove(external_id))
}

/// Push workers in `work` (from [`begin`]); one outcome per record, in order. The one-person
/// rule holds city-wide: a person registered in another county is refused without saying where.
pub async fn push_workers(
    ctx: &Context<'_>,
    work: &Work<'_>,
    records: Vec<WorkerPush>,
) -> Result<Vec<Outcome>, CoreError> {
    let client = client(ctx)?;
    let kind = ChangeKind::Worker;
    let mut mapped = mappings(
        work,
        client,
        kind,
        records.iter().map(|r| r.external_id.as_str()),
    )
    .await?;
    let employers = mappings(
        work,
        client,
        ChangeKind::Enterprise,
        records
            .iter()
            .filter_map(|r| r.employer_external_id.as_deref()),
    )
    .await?;
    let mut outcomes: Vec<Option<Outcome>> = vec![None; records.len()];
    // New ids (the first time each appears) are registered together; the rest one by one.
    let (mut fresh, mut one_by_one) = (Vec::new(), Vec::new());
    let mut seen = std::collections::HashSet::new();
    for (i, mut r) in records.into_iter().enumerate() {
        if let Some(employer) = &r.employer_external_id {
            match employers.get(employer) {
                Some(m) => r.worker.enterprise_id = Some(m.record_id),
                None => {
                    outcomes[i] = Some(Outcome::Invalid {
                        errors: vec![FieldError::new(
                            "employer_external_id",
                            "not_found",
                            "no enterprise you pushed has this id",
                        )],
                    });
                    continue;
                }
            }
        }
        if !mapped.contains_key(&r.external_id) && seen.insert(r.external_id.clone()) {
            fresh.push((i, r));
        } else {
            one_by_one.push((i, r));
        }
    }
    if fresh.len() > 1 {
        let savepoint = work.savepoint().await?;
        let news: Vec<NewWorker> = fresh.iter().map(|(_, r)| r.worker.clone()).collect();
        let keys: Vec<&str> = fresh.iter().map(|(_, r)| r.external_id.as_str()).collect();
        match register_together(ctx, &savepoint, client, &keys, news).await {
            Ok(results) => {
                savepoint.commit().await?;
                for ((i, r), result) in fresh.into_iter().zip(results) {
                    match result {
                        Some((w, m)) => {
                            mapped.insert(r.external_id, m);
                            outcomes[i] = Some(Outcome::Created {
                                id: w.id,
                                version: w.version,
                            });
                        }
                        None => one_by_one.push((i, r)),
                    }
                }
            }
            // A race the batch's checks could not see: each alone, which also says exactly
            // what went wrong.
            Err(_) => {
                savepoint.rollback().await?;
                one_by_one.extend(fresh);
            }
        }
    } else {
        one_by_one.extend(fresh);
    }
    one_by_one.sort_by_key(|(i, _)| *i);
    for (i, r) in one_by_one {
        let outcome = once_more(work, client, kind, &mut mapped, &r, async |mapped, r| {
            worker_one(ctx, work, client, mapped, r, r.worker.clone()).await
        })
        .await?;
        outcomes[i] = Some(outcome);
    }
    outcomes
        .into_iter()
        .map(|o| o.ok_or_else(|| CoreError::Internal("a pushed worker without an outcome".into())))
        .collect()
}

/// One worker, created or compared with the record its id maps to.
async fn worker_one(
    ctx: &Context<'_>,
    work: &Work<'_>,
    client: Uuid,
    mapped: &mut HashMap<String, sync_mappings::Model>,
    r: &WorkerPush,
    worker: NewWorker,
) -> Result<Outcome, CoreError> {
    let kind = ChangeKind::Worker;
    let existing = mapped.get(&r.external_id).cloned();
    let outcome = in_savepoint(work, "id_number", async |sp| match existing {
        None => match workers::register_in(ctx, sp, worker.clone(), "sync").await {
            Ok(w) => {
                let m = map(sp, client, kind, &r.external_id, w.id, w.version).await?;
                mapped.insert(r.external_id.clone(), m);
                Ok(Outcome::Created {
                    id: w.id,
                    version: w.version,
                })
            }
            // A person registered in the caller's subtree before the county synced (from a
            // spreadsheet, by staff): taken over under this id rather than refused. The rule's
            // check found it by query, so the unit of work is still sound.
            Err(
                duplicate @ CoreError::Duplicate {
                    existing_id: Some(id),
                    ..
                },
            ) => {
                let w = workers::find(sp.conn(), ctx.scope(), id)
                    .await?
                    .ok_or_else(gone)?;
                let changes = workers::changes_to(ctx.pii, &w, worker);
                let found = Found {
                    id: w.id,
                    version: w.version,
                    same: changes.is_empty(),
                };
                adopt(sp, client, kind, mapped, r, duplicate, found, async || {
                    let w = workers::update_in(ctx, sp, w.id, Some(w.version), changes).await?;
                    Ok(w.version)
                })
                .await
            }
            Err(other) => Err(other),
        },
        Some(m) => {
            let w = workers::find(sp.conn(), ctx.scope(), m.record_id)
                .await?
                .ok_or_else(gone)?;
            let changes = workers::changes_to(ctx.pii, &w, worker);
            settle(
                sp,
                &m,
                r.base_version,
                w.id,
                w.version,
                changes.is_empty(),
                async || {
                    let w = workers::update_in(ctx, sp, w.id, Some(w.version), changes).await?;
                    Ok(w.version)
                },
            )
            .await
        }
    })
    .await;
    stale_is_conflict(outcome, mapped, &r.external_id)
}

/// A record of the caller's subtree found for a new id, compared with what was pushed.
struct Found {
    id: Uuid,
    version: i32,
    same: bool,
}

/// Take over a record registered before the client synced, under the id it pushes now. The
/// same content maps it (`unchanged`); different content is written only when the client says
/// it read that version (`base_version`), else it is a `conflict` showing the record, and
/// nothing is mapped until the client resends. A record this client already maps under another
/// id stays the duplicate it is; one it maps under this very id (a concurrent push of its own
/// committed it first) is compared as mapped.
#[allow(clippy::too_many_arguments)]
async fn adopt<W: HasExternalId>(
    sp: &Work<'_>,
    client: Uuid,
    kind: ChangeKind,
    mapped: &mut HashMap<String, sync_mappings::Model>,
    r: &W,
    duplicate: CoreError,
    found: Found,
    update: impl AsyncFnOnce() -> Result<i32, CoreError>,
) -> Result<Outcome, CoreError> {
    let external_id = r.external_id();
    let theirs = sync_mappings::Entity::find()
        .filter(sync_mappings::Column::ClientId.eq(client))
        .filter(sync_mappings::Column::Kind.eq(kind.as_str()))
        .filter(sync_mappings::Column::RecordId.eq(found.id))
        .one(sp.conn())
        .await?;
    if let Some(m) = theirs {
        if m.external_id != external_id {
            return Err(duplicate);
        }
        mapped.insert(external_id.to_owned(), m.clone());
        return settle(
            sp,
            &m,
            r.base_version(),
            found.id,
            found.version,
            found.same,
            update,
        )
        .await;
    }
    let version = if found.same {
        found.version
    } else if r.base_version() == Some(found.version) {
        update().await?
    } else {
        return Ok(Outcome::Conflict {
            id: found.id,
            version: found.version,
        });
    };
    let m = map(sp, client, kind, external_id, found.id, version).await?;
    mapped.insert(external_id.to_owned(), m);
    Ok(if found.same {
        Outcome::Unchanged {
            id: found.id,
            version,
        }
    } else {
        Outcome::Updated {
            id: found.id,
            version,
        }
    })
}

/// What [`adopt`] needs of a pushed record.
trait HasExternalId {
    fn external_id(&self) -> &str;
    fn base_version(&self) -> Option<i32>;
}

impl HasExternalId for WorkerPush {
    fn external_id(&self) -> &str {
        &self.external_id
    }
    fn base_version(&self) -> Option<i32> {
        self.base_version
    }
}

impl HasExternalId for EnterprisePush {
    fn external_id(&self) -> &str {
        &self.external_id
    }
    fn base_version(&self) -> Option<i32> {
        self.base_version
    }
}

/// The new workers of a push registered together, each with its mapping; `None` for one the
/// batch could not take, to register alone.
async fn register_together(
    ctx: &Context<'_>,
    work: &Work<'_>,
    client: Uuid,
    external_ids: &[&str],
    news: Vec<NewWorker>,
) -> Result<Vec<Option<(entity::workers::Model, sync_mappings::Model)>>, CoreError> {
    let registered = workers::register_many_in(ctx, work, news, "sync").await?;
    let now = Utc::now();
    let mut out = Vec::with_capacity(registered.len());
    let mut rows = Vec::new();
    for (external_id, result) in external_ids.iter().zip(registered) {
        match result {
            Some(w) => {
                let m = sync_mappings::Model {
                    id: Uuid::now_v7(),
                    client_id: client,
                    kind: ChangeKind::Worker.as_str().to_owned(),
                    external_id: (*external_id).to_owned(),
                    record_id: w.id,
                    version: w.version,
                    created_at: now,
                    updated_at: now,
                };
                rows.push(m.clone());
                out.push(Some((w, m)));
            }
            None => out.push(None),
        }
    }
    for chunk in rows.chunks(4000) {
        sync_mappings::Entity::insert_many(
            chunk
                .iter()
                .cloned()
                .map(IntoActiveModel::into_active_model),
        )
        .exec_without_returning(work.conn())
        .await?;
    }
    Ok(out)
}

fn gone() -> CoreError {
    CoreError::field(
        "external_id",
        "not_found",
        "the record this id maps to is no longer in your subtree",
    )
}

/// A mapped record: unchanged, a conflict, or updated (and the mapping moved to its version).
async fn settle(
    sp: &Work<'_>,
    mapping: &sync_mappings::Model,
    asked: Option<i32>,
    id: Uuid,
    current: i32,
    same: bool,
    update: impl AsyncFnOnce() -> Result<i32, CoreError>,
) -> Result<Outcome, CoreError> {
    if same {
        if mapping.version != current {
            remap_version(sp, mapping.id, current).await?;
        }
        return Ok(Outcome::Unchanged {
            id,
            version: current,
        });
    }
    if base(asked, mapping) != current {
        return Ok(Outcome::Conflict {
            id,
            version: current,
        });
    }
    let version = update().await?;
    remap_version(sp, mapping.id, version).await?;
    Ok(Outcome::Updated { id, version })
}

/// A version that moved between the read and the write (a staff edit racing the push) is the
/// client's conflict, like any other.
fn stale_is_conflict(
    outcome: Result<Outcome, CoreError>,
    mapped: &HashMap<String, sync_mappings::Model>,
    external_id: &str,
) -> Result<Outcome, CoreError> {
    match outcome {
        Err(CoreError::Stale) => match mapped.get(external_id) {
            Some(m) => Ok(Outcome::Conflict {
                id: m.record_id,
                version: m.version,
            }),
            None => Err(CoreError::Stale),
        },
        other => other,
    }
}

/// A page of the calling client's mappings of `kind`, in the order they were made.
pub async fn mappings_of(
    ctx: &Context<'_>,
    kind: ChangeKind,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<sync_mappings::Model>, CoreError> {
    use sea_orm::{QueryOrder, QuerySelect};
    if ctx.actor().kind != "client" {
        return Err(CoreError::Forbidden(
            "mappings belong to machine clients; staff have none".into(),
        ));
    }
    let mut select = sync_mappings::Entity::find()
        .filter(sync_mappings::Column::ClientId.eq(client(ctx)?))
        .filter(sync_mappings::Column::Kind.eq(kind.as_str()))
        .order_by_asc(sync_mappings::Column::Id)
        .limit(limit);
    if let Some(after) = after {
        select = select.filter(sync_mappings::Column::Id.gt(after));
    }
    Ok(select.all(ctx.db).await?)
}
