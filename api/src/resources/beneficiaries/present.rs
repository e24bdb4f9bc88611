//! Archives as responses: members, visits and the "heads another archive" flag loaded for a
//! whole page in four queries (no query per archive).

use std::collections::HashMap;

use entity::{beneficiaries, beneficiary_visits, household_members, workers};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::dto::{BeneficiaryResponse, MemberResponse, VisitResponse};

/// Full responses for several archives: members, visits and flags in four queries.
pub async fn responses(
    db: &impl ConnectionTrait,
    archives: Vec<beneficiaries::Model>,
) -> Result<Vec<BeneficiaryResponse>, DbErr> {
    let ids: Vec<Uuid> = archives.iter().map(|a| a.id).collect();
    let members = household_members::Entity::find()
        .filter(household_members::Column::BeneficiaryId.is_in(ids.clone()))
        .order_by_asc(household_members::Column::Id)
        .all(db)
        .await?;
    let visits = beneficiary_visits::Entity::find()
        .filter(beneficiary_visits::Column::BeneficiaryId.is_in(ids))
        .order_by_asc(beneficiary_visits::Column::VisitedOn)
        .order_by_asc(beneficiary_visits::Column::Id)
        .all(db)
        .await?;
    // A member is flagged when a worker with the same ID number heads a live archive other than
    // this one: found city-wide through the blind index; only the flag is shown.
    let idx: Vec<String> = members
        .iter()
        .filter_map(|m| m.id_number_idx.clone())
        .collect();
    let heads: HashMap<String, Uuid> = if idx.is_empty() {
        HashMap::new()
    } else {
        let people = workers::Entity::find()
            .filter(workers::Column::IdNumberIdx.is_in(idx))
            .all(db)
            .await?;
        let worker_ids: Vec<Uuid> = people.iter().map(|w| w.id).collect();
        let live: HashMap<Uuid, Uuid> = beneficiaries::Entity::find()
            .filter(beneficiaries::Column::LiveHeadWorkerId.is_in(worker_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|b| (b.head_worker_id, b.id))
            .collect();
        people
            .into_iter()
            .filter_map(|w| live.get(&w.id).map(|archive| (w.id_number_idx, *archive)))
            .collect()
    };
    let mut by_archive: HashMap<Uuid, Vec<MemberResponse>> = HashMap::new();
    for m in members {
        let flagged = m
            .id_number_idx
            .as_ref()
            .and_then(|i| heads.get(i))
            .is_some_and(|archive| *archive != m.beneficiary_id);
        by_archive
            .entry(m.beneficiary_id)
            .or_default()
            .push(MemberResponse::new(m, flagged));
    }
    let mut visits_by: HashMap<Uuid, Vec<VisitResponse>> = HashMap::new();
    for v in visits {
        visits_by
            .entry(v.beneficiary_id)
            .or_default()
            .push(VisitResponse::from(v));
    }
    Ok(archives
        .into_iter()
        .map(|a| {
            let id = a.id;
            BeneficiaryResponse::new(
                a,
                by_archive.remove(&id).unwrap_or_default(),
                visits_by.remove(&id).unwrap_or_default(),
            )
        })
        .collect())
}
