//! The records a page of the feed refers to, each shown by its own resource's presenter, so
//! that the feed shows exactly what `GET` shows: one query per kind (and the presenters' own
//! lookups), however many changes the page holds.

use std::collections::HashMap;

use chrono::NaiveDate;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;
use serde_json::Value;
use siji_core::sync::ChangeKind;
use siji_core::tenancy::Scope;
use uuid::Uuid;

use crate::http::ApiError;
use crate::resources::{beneficiaries, enterprises, orgs, wage_agreements, workers};

/// The records of `wanted` still in `scope`, keyed by kind and id; a record not in the map is
/// outside the subtree now.
pub async fn shown(
    db: &DatabaseConnection,
    scope: &Scope,
    today: NaiveDate,
    wanted: &[(ChangeKind, Uuid)],
) -> Result<HashMap<(ChangeKind, Uuid), Value>, ApiError> {
    let mut by_kind: HashMap<ChangeKind, Vec<Uuid>> = HashMap::new();
    for (kind, id) in wanted {
        let ids = by_kind.entry(*kind).or_default();
        if !ids.contains(id) {
            ids.push(*id);
        }
    }
    let mut out = HashMap::new();
    for (kind, ids) in by_kind {
        let records = match kind {
            ChangeKind::Org => values(
                entity::orgs::Entity::find()
                    .filter(scope.orgs_condition())
                    .filter(entity::orgs::Column::Id.is_in(ids))
                    .all(db)
                    .await?
                    .into_iter()
                    .map(orgs::dto::OrgResponse::from),
                |r| r.id,
            )?,
            ChangeKind::Enterprise => {
                let models = scope
                    .select::<entity::enterprises::Entity>()
                    .filter(entity::enterprises::Column::Id.is_in(ids))
                    .all(db)
                    .await?;
                values(enterprises::PRESENT.many(db, scope, models).await?, |r| {
                    r.id
                })?
            }
            ChangeKind::Worker => {
                let models = scope
                    .select::<entity::workers::Entity>()
                    .filter(entity::workers::Column::Id.is_in(ids))
                    .all(db)
                    .await?;
                values(
                    workers::PRESENT
                        .many(db, scope, models.into_iter().map(Into::into).collect())
                        .await?,
                    |r| r.id,
                )?
            }
            ChangeKind::Beneficiary => {
                let models = scope
                    .select::<entity::beneficiaries::Entity>()
                    .filter(entity::beneficiaries::Column::Id.is_in(ids))
                    .all(db)
                    .await?;
                values(beneficiaries::responses(db, models).await?, |r| r.id)?
            }
            ChangeKind::WageAgreement => {
                let models = scope
                    .select::<entity::wage_agreements::Entity>()
                    .filter(entity::wage_agreements::Column::Id.is_in(ids))
                    .all(db)
                    .await?;
                let found: Vec<Uuid> = models.iter().map(|a| a.id).collect();
                let (mut covered, mut rounds) =
                    siji_core::agreements::queries::details(db, &found).await?;
                values(
                    models.into_iter().map(|a| {
                        let id = a.id;
                        wage_agreements::dto::AgreementResponse::new(
                            a,
                            covered.remove(&id).unwrap_or_default(),
                            rounds.remove(&id).unwrap_or_default(),
                            today,
                        )
                    }),
                    |r| r.id,
                )?
            }
        };
        out.extend(records.into_iter().map(|(id, v)| ((kind, id), v)));
    }
    Ok(out)
}

fn values<R: Serialize>(
    rows: impl IntoIterator<Item = R>,
    id: fn(&R) -> Uuid,
) -> Result<Vec<(Uuid, Value)>, ApiError> {
    rows.into_iter()
        .map(|r| {
            let key = id(&r);
            serde_json::to_value(r)
                .map(|v| (key, v))
                .map_err(|e| ApiError::Internal(format!("showing a record: {e}")))
        })
        .collect()
}

/// The ids of the next `limit` records of `kind` in `scope` after `after`, in id order (archived
/// ones too): a page of the full resync.
pub async fn page(
    db: &DatabaseConnection,
    scope: &Scope,
    kind: ChangeKind,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<Uuid>, ApiError> {
    macro_rules! ids {
        ($select:expr, $id:expr) => {{
            let mut select = $select
                .select_only()
                .column($id)
                .order_by_asc($id)
                .limit(limit);
            if let Some(after) = after {
                select = select.filter($id.gt(after));
            }
            select.into_tuple::<Uuid>().all(db).await?
        }};
    }
    Ok(match kind {
        ChangeKind::Org => ids!(scope.orgs(), entity::orgs::Column::Id),
        ChangeKind::Enterprise => ids!(
            scope.select::<entity::enterprises::Entity>(),
            entity::enterprises::Column::Id
        ),
        ChangeKind::Worker => ids!(
            scope.select::<entity::workers::Entity>(),
            entity::workers::Column::Id
        ),
        ChangeKind::Beneficiary => ids!(
            scope.select::<entity::beneficiaries::Entity>(),
            entity::beneficiaries::Column::Id
        ),
        ChangeKind::WageAgreement => ids!(
            scope.select::<entity::wage_agreements::Entity>(),
            entity::wage_agreements::Column::Id
        ),
    })
}
