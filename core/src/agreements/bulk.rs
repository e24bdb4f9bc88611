//! Opening many agreements at once (a county's first push): the rules of [`super::open_in`]
//! checked for all of them with a handful of queries — the organisations, the covered
//! enterprises, their minimum wage standards, the agreements already covering them — under one
//! lock on every covered enterprise, then the rows in multi-row statements.

use std::collections::{HashMap, HashSet};

use entity::wage_agreements;
use sea_orm::IntoActiveModel;
use uuid::Uuid;

use super::queries::{self, MinimumWages};
use super::{
    AgreementStatus, Filing, NewAgreement, Terms, check_filing, covered_ids, created, link_rows,
    new_row, term_errors,
};
use crate::registry::enterprises;
use crate::uow::Work;
use crate::{Context, CoreError};

/// An agreement's terms, and its filing if filed, as it is opened already signed.
pub type Signed = (Terms, Option<Filing>);

/// Open many agreements in `work`, each as it stands (negotiating, or signed with its terms and
/// perhaps filed). One the batch cannot take as it is — refused by any rule, or overlapping
/// another of the batch — is `None`, for the caller to give [`super::open_in`], which opens or
/// refuses it with its exact reason. Run it in a savepoint, like the other bulk registrations.
pub async fn open_many_in(
    ctx: &Context<'_>,
    work: &Work<'_>,
    openings: Vec<(NewAgreement, Option<Signed>)>,
    via: &str,
) -> Result<Vec<Option<wage_agreements::Model>>, CoreError> {
    let today = ctx.clock.today();
    let covered: Vec<Option<Vec<Uuid>>> = openings
        .iter()
        .map(|(new, _)| covered_ids(new).ok())
        .collect();
    let all: Vec<Uuid> = covered
        .iter()
        .flatten()
        .flatten()
        .copied()
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let org_ids: Vec<Uuid> = openings
        .iter()
        .map(|(n, _)| n.org_id)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut orgs_in = HashSet::new();
    orgs_in.extend(
        crate::tenancy::ids_within(
            work.conn(),
            ctx.scope().orgs(),
            entity::orgs::Column::Id,
            &org_ids,
        )
        .await?,
    );
    let mut visible = HashSet::new();
    visible.extend(
        crate::tenancy::ids_within(
            work.conn(),
            enterprises::scoped(ctx.scope()),
            entity::enterprises::Column::Id,
            &all,
        )
        .await?,
    );
    // The signed ones' rules are read under the lock that signing takes, on every enterprise
    // any of them covers.
    let signing: Vec<Uuid> = openings
        .iter()
        .zip(&covered)
        .filter(|((_, signed), _)| signed.is_some())
        .flat_map(|(_, ids)| ids.iter().flatten().copied())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut in_force: HashMap<Uuid, Vec<wage_agreements::Model>> = HashMap::new();
    let mut minimums = None;
    if !signing.is_empty() {
        queries::lock_enterprises(work.conn(), &signing).await?;
        for (enterprise, a) in queries::covering(work.conn(), &signing).await? {
            in_force.entry(enterprise).or_default().push(a);
        }
        let until = openings
            .iter()
            .filter_map(|(_, s)| s.as_ref().map(|(t, _)| t.effective_from))
            .max()
            .unwrap_or(today);
        minimums = Some(MinimumWages::load(work.conn(), &signing, until).await?);
    }
    let mut out = Vec::with_capacity(openings.len());
    let (mut rows, mut links, mut events) = (Vec::new(), Vec::new(), Vec::new());
    for ((new, signed), ids) in openings.into_iter().zip(covered) {
        let Some(ids) = ids
            .filter(|ids| orgs_in.contains(&new.org_id) && ids.iter().all(|e| visible.contains(e)))
        else {
            out.push(None);
            continue;
        };
        let status = match &signed {
            None => Some(AgreementStatus::Negotiating),
            Some((t, filing)) => {
                let minimum_met = minimums
                    .as_ref()
                    .and_then(|m| m.required(&ids, t.effective_from))
                    .is_none_or(|required| t.minimum_wage_fen >= required);
                let text_type = new.text_type.as_str();
                let clear = ids.iter().all(|e| {
                    in_force.get(e).is_none_or(|others| {
                        !others.iter().any(|a| {
                            queries::overlaps(a, text_type, t.effective_from, t.effective_to)
                        })
                    })
                });
                let filed = filing
                    .as_ref()
                    .map(|f| check_filing(t.signed_on, f).is_ok());
                (term_errors(today, t).is_empty() && minimum_met && clear && filed != Some(false))
                    .then_some(if filed.is_some() {
                        AgreementStatus::Filed
                    } else {
                        AgreementStatus::Signed
                    })
            }
        };
        let Some(status) = status else {
            out.push(None);
            continue;
        };
        let org = new.org_id;
        let row = new_row(ctx, new, org, status, signed);
        if status != AgreementStatus::Negotiating {
            // Later ones of the batch must not overlap it either.
            for e in &ids {
                in_force.entry(*e).or_default().push(row.clone());
            }
        }
        links.extend(link_rows(row.id, &ids));
        events.push((created(&row, ids.len(), via), row.org_id, row.version));
        rows.push(row.clone());
        out.push(Some(row));
    }
    work.insert_all(rows.into_iter().map(IntoActiveModel::into_active_model))
        .await?;
    work.insert_all(links).await?;
    crate::audit::record_created(work.conn(), work.actor(), events).await?;
    Ok(out)
}
