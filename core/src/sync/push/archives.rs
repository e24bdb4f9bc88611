//! The push of hardship archives (困难职工档案) with their members: the head by the client's own
//! id of a worker it pushed (or by Siji's id), each archive through the archive's own operations
//! (the living standard, eligibility, one live archive per head, members' ID numbers protected).
//! A mapped archive sent again is compared whole (`archive::compare`); a correction goes
//! through `update`, so it is assessed again, and members still there keep their ids.

use std::collections::HashMap;

use entity::sync_mappings;
use uuid::Uuid;

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use super::{
    ChangeKind, HasExternalId, Outcome, client, finish, gone, in_savepoint, map, mapped_ids,
    mappings, same_content, settle, stale_is_conflict,
};
use crate::archive::{self, NewArchive, compare, queries};
use crate::uow::Work;
use crate::{Context, CoreError, FieldError};

/// One archive as a client pushes it; the head by Siji's id (in `archive`) or by the client's
/// own id of a worker it pushed before.
pub struct ArchivePush {
    pub external_id: String,
    pub base_version: Option<i32>,
    pub head_external_id: Option<String>,
    pub archive: NewArchive,
}

/// Push archives in `work` (from [`super::begin`]); one outcome per record, in order.
pub async fn push_archives(
    ctx: &Context<'_>,
    work: &Work<'_>,
    records: Vec<ArchivePush>,
) -> Result<Vec<Outcome>, CoreError> {
    let client = client(ctx)?;
    let kind = ChangeKind::Beneficiary;
    let mapped = mappings(
        work,
        client,
        kind,
        records.iter().map(|r| r.external_id.as_str()),
    )
    .await?;
    let heads = mappings(
        work,
        client,
        ChangeKind::Worker,
        records.iter().filter_map(|r| r.head_external_id.as_deref()),
    )
    .await?;
    let mut outcomes: Vec<Option<Outcome>> = vec![None; records.len()];
    let mut pending = Vec::with_capacity(records.len());
    for (i, mut r) in records.into_iter().enumerate() {
        if let Some(head) = &r.head_external_id {
            match heads.get(head) {
                Some(m) => r.archive.head_worker_id = m.record_id,
                None => {
                    outcomes[i] = Some(Outcome::Invalid {
                        errors: vec![FieldError::new(
                            "head_external_id",
                            "not_found",
                            "no worker you pushed has this id",
                        )],
                    });
                    continue;
                }
            }
        }
        pending.push((i, r));
    }
    let same = held_the_same(ctx, work, &mapped, &pending).await?;
    finish(
        work,
        client,
        kind,
        pending,
        mapped,
        &same,
        outcomes,
        async |sp, fresh| {
            let news = fresh.iter().map(|(_, r)| r.archive.clone()).collect();
            let made = archive::register_many_in(ctx, sp, news, "sync").await?;
            Ok(made
                .into_iter()
                .map(|b| b.map(|b| (b.id, b.version)))
                .collect())
        },
        async |mapped, r| archive_one(ctx, work, client, mapped, r, r.archive.clone()).await,
    )
    .await
}

/// The mapped archives the push brings nothing new to ([`super::same_content`]), read with
/// their members in two queries.
async fn held_the_same(
    ctx: &Context<'_>,
    work: &Work<'_>,
    mapped: &HashMap<String, sync_mappings::Model>,
    pending: &[(usize, ArchivePush)],
) -> Result<HashMap<Uuid, i32>, CoreError> {
    use entity::household_members::{self, Column as M};
    let held = queries::scoped(ctx.scope())
        .filter(entity::beneficiaries::Column::Id.is_in(mapped_ids(mapped, pending)))
        .all(work.conn())
        .await?;
    let mut members: HashMap<Uuid, Vec<household_members::Model>> = HashMap::new();
    for m in household_members::Entity::find()
        .filter(M::BeneficiaryId.is_in(held.iter().map(|b| b.id)))
        .order_by_asc(M::Id)
        .all(work.conn())
        .await?
    {
        members.entry(m.beneficiary_id).or_default().push(m);
    }
    let held = held.into_iter().map(|b| (b.id, b.version, b));
    Ok(same_content(mapped, pending, held, |r, b| {
        let stored = members.get(&b.id).map(Vec::as_slice).unwrap_or_default();
        compare::holds(ctx.pii, b, stored, r.archive.clone())
    }))
}

/// One archive, registered or compared with the archive its id maps to.
async fn archive_one(
    ctx: &Context<'_>,
    work: &Work<'_>,
    client: Uuid,
    mapped: &mut HashMap<String, sync_mappings::Model>,
    r: &ArchivePush,
    new: NewArchive,
) -> Result<Outcome, CoreError> {
    let kind = ChangeKind::Beneficiary;
    let existing = mapped.get(&r.external_id).cloned();
    let outcome = in_savepoint(work, "head_worker_id", async |sp| match existing {
        None => {
            let b = archive::register_in(ctx, sp, new, "sync").await?;
            let m = map(sp, client, kind, &r.external_id, b.id, b.version).await?;
            mapped.insert(r.external_id.clone(), m);
            Ok(Outcome::Created {
                id: b.id,
                version: b.version,
            })
        }
        Some(m) => {
            let b = queries::find(sp.conn(), ctx.scope(), m.record_id)
                .await?
                .ok_or_else(gone)?;
            let changes = compare::changes_to(sp.conn(), ctx.pii, &b, new).await?;
            settle(
                sp,
                &m,
                r.base_version,
                b.id,
                b.version,
                changes.is_none(),
                async || {
                    let changes = changes.ok_or_else(|| {
                        CoreError::Internal("an archive update without changes".into())
                    })?;
                    let b = archive::update_in(ctx, sp, b.id, Some(b.version), changes).await?;
                    Ok(b.version)
                },
            )
            .await
        }
    })
    .await;
    stale_is_conflict(outcome, mapped, &r.external_id)
}

impl HasExternalId for ArchivePush {
    fn external_id(&self) -> &str {
        &self.external_id
    }
    fn base_version(&self) -> Option<i32> {
        self.base_version
    }
}
