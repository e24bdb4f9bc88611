//! The push of collective wage agreements (工资集体协议): the covered enterprises by the client's
//! own ids of enterprises it pushed (or by Siji's ids), each agreement through the agreements'
//! own operations. A new one is opened as it stands in the client's system (negotiating, or
//! already signed, filed, terminated), with every rule of those steps; one sent again moves on
//! by the steps it has newly taken (`agreements::compare`), and what an agreement fixes once
//! recorded is never overwritten.

use std::collections::HashMap;

use entity::sync_mappings;
use uuid::Uuid;

use sea_orm::{ColumnTrait, QueryFilter};

use super::{
    ChangeKind, HasExternalId, Outcome, client, finish, gone, in_savepoint, map, mapped_ids,
    mappings, same_content, settle, stale_is_conflict,
};
use crate::agreements::{self, Filing, NewAgreement, Termination, Terms, compare, queries};
use crate::uow::Work;
use crate::{Context, CoreError, FieldError};

/// One agreement as a client pushes it, in the state its system records.
#[derive(Clone)]
pub struct AgreementPush {
    pub external_id: String,
    pub base_version: Option<i32>,
    /// Covered enterprises by the client's ids, besides any in `agreement.enterprise_ids`.
    pub enterprise_external_ids: Vec<String>,
    pub agreement: NewAgreement,
    pub terms: Option<Terms>,
    /// Only with `terms`.
    pub filing: Option<Filing>,
    /// Only with `terms`.
    pub termination: Option<Termination>,
}

/// Push agreements in `work` (from [`super::begin`]); one outcome per record, in order.
pub async fn push_agreements(
    ctx: &Context<'_>,
    work: &Work<'_>,
    records: Vec<AgreementPush>,
) -> Result<Vec<Outcome>, CoreError> {
    let client = client(ctx)?;
    let kind = ChangeKind::WageAgreement;
    let mapped = mappings(
        work,
        client,
        kind,
        records.iter().map(|r| r.external_id.as_str()),
    )
    .await?;
    let covered = mappings(
        work,
        client,
        ChangeKind::Enterprise,
        records
            .iter()
            .flat_map(|r| r.enterprise_external_ids.iter().map(String::as_str)),
    )
    .await?;
    let mut outcomes: Vec<Option<Outcome>> = vec![None; records.len()];
    let mut pending = Vec::with_capacity(records.len());
    for (i, mut r) in records.into_iter().enumerate() {
        let missing: Vec<FieldError> = r
            .enterprise_external_ids
            .iter()
            .enumerate()
            .filter(|(_, e)| !covered.contains_key(*e))
            .map(|(i, _)| {
                FieldError::new(
                    format!("enterprise_external_ids[{i}]"),
                    "not_found",
                    "no enterprise you pushed has this id",
                )
            })
            .collect();
        if !missing.is_empty() {
            outcomes[i] = Some(Outcome::Invalid { errors: missing });
            continue;
        }
        let ids = r
            .enterprise_external_ids
            .iter()
            .filter_map(|e| covered.get(e).map(|m| m.record_id));
        r.agreement.enterprise_ids.extend(ids);
        pending.push((i, r));
    }
    let held = queries::scoped(ctx.scope())
        .filter(entity::wage_agreements::Column::Id.is_in(mapped_ids(&mapped, &pending)))
        .all(work.conn())
        .await?;
    let ids: Vec<Uuid> = held.iter().map(|a| a.id).collect();
    let (links, _) = queries::details(work.conn(), &ids).await?;
    let held = held.into_iter().map(|a| (a.id, a.version, a));
    let same = same_content(&mapped, &pending, held, |r, a| {
        let covered = links.get(&a.id).map(Vec::as_slice).unwrap_or_default();
        compare::holds(
            a,
            covered,
            &r.agreement,
            r.terms.clone(),
            r.filing.clone(),
            r.termination.clone(),
        )
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
            // One terminated already takes a step after its opening: it goes alone.
            let openings = fresh
                .iter()
                .filter(|(_, r)| r.termination.is_none())
                .map(|(_, r)| {
                    (
                        r.agreement.clone(),
                        r.terms.clone().map(|t| (t, r.filing.clone())),
                    )
                })
                .collect();
            let mut made = agreements::open_many_in(ctx, sp, openings, "sync")
                .await?
                .into_iter();
            Ok(fresh
                .iter()
                .map(|(_, r)| match r.termination {
                    Some(_) => None,
                    None => made.next().flatten().map(|a| (a.id, a.version)),
                })
                .collect())
        },
        async |mapped, r| agreement_one(ctx, work, client, mapped, r.clone()).await,
    )
    .await
}

/// One agreement, opened or moved on by the steps it has newly taken.
async fn agreement_one(
    ctx: &Context<'_>,
    work: &Work<'_>,
    client: Uuid,
    mapped: &mut HashMap<String, sync_mappings::Model>,
    r: AgreementPush,
) -> Result<Outcome, CoreError> {
    let kind = ChangeKind::WageAgreement;
    let existing = mapped.get(&r.external_id).cloned();
    let external_id = r.external_id.clone();
    let outcome = in_savepoint(work, "enterprise_ids", async |sp| match existing {
        None => {
            let signed = r.terms.map(|t| (t, r.filing));
            let mut a = agreements::open_in(ctx, sp, r.agreement, signed, "sync").await?;
            if let Some(t) = r.termination {
                a = agreements::terminate_in(ctx, sp, a.id, Some(a.version), t).await?;
            }
            let m = map(sp, client, kind, &r.external_id, a.id, a.version).await?;
            mapped.insert(r.external_id.clone(), m);
            Ok(Outcome::Created {
                id: a.id,
                version: a.version,
            })
        }
        Some(m) => {
            let a = queries::find(sp.conn(), ctx.scope(), m.record_id)
                .await?
                .ok_or_else(gone)?;
            let steps = compare::steps_to(
                sp.conn(),
                &a,
                &r.agreement,
                r.terms,
                r.filing,
                r.termination,
            )
            .await?;
            settle(
                sp,
                &m,
                r.base_version,
                a.id,
                a.version,
                steps.is_empty(),
                async || {
                    let mut version = a.version;
                    if let Some(t) = steps.sign {
                        version = agreements::sign_in(ctx, sp, a.id, Some(version), t)
                            .await?
                            .version;
                    }
                    if let Some(f) = steps.file {
                        version = agreements::file_in(ctx, sp, a.id, Some(version), f)
                            .await?
                            .version;
                    }
                    if let Some(t) = steps.terminate {
                        version = agreements::terminate_in(ctx, sp, a.id, Some(version), t)
                            .await?
                            .version;
                    }
                    Ok(version)
                },
            )
            .await
        }
    })
    .await;
    stale_is_conflict(outcome, mapped, &external_id)
}

impl HasExternalId for AgreementPush {
    fn external_id(&self) -> &str {
        &self.external_id
    }
    fn base_version(&self) -> Option<i32> {
        self.base_version
    }
}
