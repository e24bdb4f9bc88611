//! Archives as responses: members, visits and the "heads another archive" flag loaded for a
//! whole page in four queries (no query per archive); and as list items, with names and counts
//! in four more, however long the page.

use std::collections::HashMap;

use chrono::NaiveDate;
use entity::{beneficiaries, beneficiary_visits, household_members, workers};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use uuid::Uuid;

use super::dto::{
    ArchiveStatus, BeneficiaryResponse, BeneficiarySummary, Category, MemberResponse, VisitResponse,
};
use crate::http::ApiError;
use crate::spreadsheet::export::{Names, Refs};
use crate::tenancy::Scope;
use siji_core::archive::parse_causes;

/// List items for a page of archives: the organisations' and heads' names (two queries), the
/// members per archive (one grouped query) and the visits' count and latest date (one).
pub async fn summaries(
    db: &DatabaseConnection,
    scope: &Scope,
    archives: Vec<beneficiaries::Model>,
) -> Result<Vec<BeneficiarySummary>, ApiError> {
    let names = Names::of(db, scope, &archives, |b| Refs {
        org: b.org_id,
        enterprise: None,
        worker: Some(b.head_worker_id),
    })
    .await?;
    let ids: Vec<Uuid> = archives.iter().map(|a| a.id).collect();
    let members: HashMap<Uuid, i64> = household_members::Entity::find()
        .select_only()
        .column(household_members::Column::BeneficiaryId)
        .column_as(Expr::col(household_members::Column::Id).count(), "n")
        .filter(household_members::Column::BeneficiaryId.is_in(ids.clone()))
        .group_by(household_members::Column::BeneficiaryId)
        .into_tuple::<(Uuid, i64)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let visits: HashMap<Uuid, (i64, Option<NaiveDate>)> = beneficiary_visits::Entity::find()
        .select_only()
        .column(beneficiary_visits::Column::BeneficiaryId)
        .column_as(Expr::col(beneficiary_visits::Column::Id).count(), "n")
        .column_as(
            Expr::col(beneficiary_visits::Column::VisitedOn).max(),
            "last",
        )
        .filter(beneficiary_visits::Column::BeneficiaryId.is_in(ids))
        .group_by(beneficiary_visits::Column::BeneficiaryId)
        .into_tuple::<(Uuid, i64, Option<NaiveDate>)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(id, n, last)| (id, (n, last)))
        .collect();
    let count = |n: Option<i64>| u64::try_from(n.unwrap_or(0)).unwrap_or(0);
    Ok(archives
        .into_iter()
        .map(|b| {
            let (visit_count, last_visited_on) = visits.get(&b.id).copied().unwrap_or_default();
            BeneficiarySummary {
                id: b.id,
                org_name: names.org(b.org_id),
                org_id: b.org_id,
                head_worker_name: names.worker(b.head_worker_id).0,
                head_worker_id: b.head_worker_id,
                status: ArchiveStatus::parse(&b.status).unwrap_or(ArchiveStatus::Temporary),
                category: Category::parse(&b.category).unwrap_or(Category::NotEligible),
                causes: parse_causes(&b.causes),
                household_size: b.household_size,
                member_count: count(members.get(&b.id).copied()),
                visit_count: count(Some(visit_count)),
                last_visited_on,
                migrant_worker: b.migrant_worker,
                long_term_assistance: b.long_term_assistance,
                last_verified_on: b.last_verified_on,
                reverify_due_on: b.reverify_due_on,
                created_at: b.created_at,
                updated_at: b.updated_at,
                version: b.version,
            }
        })
        .collect())
}

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
