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
//! The new records of a push are registered together by their kind's bulk operation
//! (`register_many_in` of workers, enterprises and archives, `agreements::open_many_in`: a query
//! per check for the whole push, multi-row writes), in a savepoint of their own
//! ([`register_together`]); a record the batch cannot take, or all of them if a concurrent write
//! wins a race, goes alone afterwards with the records already mapped, in the order sent. A
//! mapped record that brings nothing new is read with the others in one query and answered
//! `unchanged` without a savepoint ([`sort_out`]). So 1,000 records cost a handful of round
//! trips, not ten thousand.
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
    let mapped = mappings(
        work,
        client,
        kind,
        records.iter().map(|r| r.external_id.as_str()),
    )
    .await?;
    let outcomes: Vec<Option<Outcome>> = vec![None; records.len()];
    let pending: Vec<(usize, EnterprisePush)> = records.into_iter().enumerate().collect();
    let held = enterprises::scoped(ctx.scope())
        .filter(entity::enterprises::Column::Id.is_in(mapped_ids(&mapped, &pending)))
        .all(work.conn())
        .await?;
    let held = held.into_iter().map(|e| (e.id, e.version, e));
    let same = same_content(&mapped, &pending, held, |r, e| {
        enterprises::changes_to(e, r.enterprise.clone()).is_empty()
    });
    finish(
        work,
        client,
        kind,
        pending,
        mapped,
        &same,
        outcomes,
        async |sp, fresh| {
            let news = fresh.iter().map(|(_, r)| r.enterprise.clone()).collect();
            let made = enterprises::register_many_in(ctx, sp, news, "sync").await?;
            Ok(made
                .into_iter()
                .map(|e| e.map(|e| (e.id, e.version)))
                .collect())
        },
        async |mapped, r| enterprise_one(ctx, work, client, mapped, r, r.enterprise.clone()).await,
    )
    .await
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
/// compared like any mapped one rather than reported as someone else's. A wage agreement that
/// lost such a race is refused as a `conflict` instead (the overlap rule, checked under the
/// covered enterprises' lock, sees the winner's agreement before any mapping is tried), so that
/// code is looked into too.
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
        .any(|e| matches!(e.code.as_ref(), "duplicate" | "already_mapped" | "conflict"))
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
    let mapped = mappings(
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
    let mut pending = Vec::with_capacity(records.len());
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
        pending.push((i, r));
    }
    let held = workers::scoped(ctx.scope())
        .filter(entity::workers::Column::Id.is_in(mapped_ids(&mapped, &pending)))
        .all(work.conn())
        .await?;
    let held = held.into_iter().map(|w| (w.id, w.version, w));
    let same = same_content(&mapped, &pending, held, |r, w| {
        workers::changes_to(ctx.pii, w, r.worker.clone()).is_empty()
    });
    finish(
        work,
        client,
        kind,
        pending,
        mapped,
        &same,
        outcomes,
        async |sp, fresh| {
            let news = fresh.iter().map(|(_, r)| r.worker.clone()).collect();
            let made = workers::register_many_in(ctx, sp, news, "sync").await?;
            Ok(made
                .into_iter()
                .map(|w| w.map(|w| (w.id, w.version)))
                .collect())
        },
        async |mapped, r| worker_one(ctx, work, client, mapped, r, r.worker.clone()).await,
    )
    .await
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

/// The Siji ids the pushed records' external ids map to, to read them all in one query.
fn mapped_ids<R: HasExternalId>(
    mapped: &HashMap<String, sync_mappings::Model>,
    pending: &[(usize, R)],
) -> Vec<Uuid> {
    pending
        .iter()
        .filter_map(|(_, r)| mapped.get(r.external_id()).map(|m| m.record_id))
        .collect()
}

/// The mapped records that the push brings nothing new to (`same`), by Siji id, with their
/// versions; `held` are the records read, each with its id and version. An id sent more than
/// once in the push is left out, to be compared in order with what the earlier sending made.
fn same_content<R: HasExternalId, M>(
    mapped: &HashMap<String, sync_mappings::Model>,
    pending: &[(usize, R)],
    held: impl IntoIterator<Item = (Uuid, i32, M)>,
    same: impl Fn(&R, &M) -> bool,
) -> HashMap<Uuid, i32> {
    let mut sent: HashMap<&str, usize> = HashMap::new();
    for (_, r) in pending {
        *sent.entry(r.external_id()).or_default() += 1;
    }
    let by_record: HashMap<Uuid, &R> = pending
        .iter()
        .filter(|(_, r)| sent.get(r.external_id()) == Some(&1))
        .filter_map(|(_, r)| mapped.get(r.external_id()).map(|m| (m.record_id, r)))
        .collect();
    held.into_iter()
        .filter(|(id, _, m)| by_record.get(id).is_some_and(|r| same(r, m)))
        .map(|(id, version, _)| (id, version))
        .collect()
}

/// Sort the records of a push: a mapped one that brings nothing new to the version its mapping
/// holds is `unchanged` at once (no savepoint, nothing written); a new id, the first time it
/// appears, is for [`register_together`]; the rest go one by one.
#[allow(clippy::type_complexity)]
fn sort_out<R: HasExternalId>(
    pending: Vec<(usize, R)>,
    mapped: &HashMap<String, sync_mappings::Model>,
    same: &HashMap<Uuid, i32>,
    outcomes: &mut [Option<Outcome>],
) -> (Vec<(usize, R)>, Vec<(usize, R)>) {
    let (mut fresh, mut rest) = (Vec::new(), Vec::new());
    let mut seen = std::collections::HashSet::new();
    for (i, r) in pending {
        match mapped.get(r.external_id()) {
            Some(m) if same.get(&m.record_id) == Some(&m.version) => {
                outcomes[i] = Some(Outcome::Unchanged {
                    id: m.record_id,
                    version: m.version,
                });
            }
            Some(_) => rest.push((i, r)),
            None if seen.insert(r.external_id().to_owned()) => fresh.push((i, r)),
            None => rest.push((i, r)),
        }
    }
    (fresh, rest)
}

/// The new records of a push registered together by `register` (the kind's `register_many_in`:
/// a query per check for all, multi-row writes), each with its mapping, in a savepoint of their
/// own. What is returned goes one by one: a record the batch could not take (`None` from
/// `register`), or all of them if a concurrent write won a race the batch's checks could not
/// see — alone, each also says exactly what went wrong.
#[allow(clippy::too_many_arguments)]
async fn register_together<'c, R: HasExternalId>(
    work: &Work<'c>,
    client: Uuid,
    kind: ChangeKind,
    fresh: Vec<(usize, R)>,
    mapped: &mut HashMap<String, sync_mappings::Model>,
    outcomes: &mut [Option<Outcome>],
    register: impl AsyncFnOnce(&Work<'c>, &[(usize, R)]) -> Result<Vec<Option<(Uuid, i32)>>, CoreError>,
) -> Result<Vec<(usize, R)>, CoreError> {
    if fresh.len() < 2 {
        return Ok(fresh);
    }
    let savepoint = work.savepoint().await?;
    let made = match register(&savepoint, &fresh).await {
        Ok(made) if made.len() == fresh.len() => made,
        _ => {
            savepoint.rollback().await?;
            return Ok(fresh);
        }
    };
    let now = Utc::now();
    let rows: Vec<sync_mappings::Model> = fresh
        .iter()
        .zip(&made)
        .filter_map(|((_, r), made)| {
            made.map(|(id, version)| sync_mappings::Model {
                id: Uuid::now_v7(),
                client_id: client,
                kind: kind.as_str().to_owned(),
                external_id: r.external_id().to_owned(),
                record_id: id,
                version,
                created_at: now,
                updated_at: now,
            })
        })
        .collect();
    let inserted = savepoint
        .insert_all(rows.iter().cloned().map(IntoActiveModel::into_active_model))
        .await;
    if inserted.is_err() {
        savepoint.rollback().await?;
        return Ok(fresh);
    }
    savepoint.commit().await?;
    let mut rows: HashMap<Uuid, sync_mappings::Model> =
        rows.into_iter().map(|m| (m.record_id, m)).collect();
    let mut alone = Vec::new();
    for ((i, r), made) in fresh.into_iter().zip(made) {
        match made.and_then(|(id, version)| Some((id, version, rows.remove(&id)?))) {
            Some((id, version, m)) => {
                mapped.insert(m.external_id.clone(), m);
                outcomes[i] = Some(Outcome::Created { id, version });
            }
            None => alone.push((i, r)),
        }
    }
    Ok(alone)
}

/// The rest of a push once its records are read and compared: those that bring nothing new
/// are `unchanged` ([`sort_out`]), the new ones registered together by `register`
/// ([`register_together`]), and the others, with those the batch could not take, one by one
/// through `one` in the order sent ([`once_more`]). Every record's outcome, in that order.
#[allow(clippy::too_many_arguments)]
async fn finish<'c, R: HasExternalId>(
    work: &Work<'c>,
    client: Uuid,
    kind: ChangeKind,
    pending: Vec<(usize, R)>,
    mut mapped: HashMap<String, sync_mappings::Model>,
    same: &HashMap<Uuid, i32>,
    mut outcomes: Vec<Option<Outcome>>,
    register: impl AsyncFnOnce(&Work<'c>, &[(usize, R)]) -> Result<Vec<Option<(Uuid, i32)>>, CoreError>,
    mut one: impl AsyncFnMut(
        &mut HashMap<String, sync_mappings::Model>,
        &R,
    ) -> Result<Outcome, CoreError>,
) -> Result<Vec<Outcome>, CoreError> {
    let (fresh, mut one_by_one) = sort_out(pending, &mapped, same, &mut outcomes);
    one_by_one.extend(
        register_together(
            work,
            client,
            kind,
            fresh,
            &mut mapped,
            &mut outcomes,
            register,
        )
        .await?,
    );
    one_by_one.sort_by_key(|(i, _)| *i);
    for (i, r) in one_by_one {
        let outcome = once_more(work, client, kind, &mut mapped, &r, &mut one).await?;
        outcomes[i] = Some(outcome);
    }
    every_outcome(outcomes)
}

/// Every record's outcome, in the order sent.
fn every_outcome(outcomes: Vec<Option<Outcome>>) -> Result<Vec<Outcome>, CoreError> {
    outcomes
        .into_iter()
        .map(|o| o.ok_or_else(|| CoreError::Internal("a pushed record without an outcome".into())))
        .collect()
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
