//! An archive sent whole again (a sync push) compared with the stored one: the same content
//! writes nothing, and different content becomes the correction `update` applies, with each
//! member that is still there kept under its id (matched by ID number, or by name and relation
//! where the household gave none), so a member's history does not restart with every push.

use std::collections::HashSet;

use entity::{beneficiaries, household_members};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use super::{ArchiveChanges, MemberInput, NewArchive, parse_causes, store_causes};
use crate::CoreError;
use crate::domain::id_number;
use crate::pii::{DataProtector, PiiField};

/// What must change for `b` to hold `new`; `None` when it holds it already. An archive's head
/// and organisation are fixed: sending others is refused field by field.
pub async fn changes_to(
    conn: &impl ConnectionTrait,
    pii: &DataProtector,
    b: &beneficiaries::Model,
    new: NewArchive,
) -> Result<Option<ArchiveChanges>, CoreError> {
    let mut fixed = Vec::new();
    if new.org_id != b.org_id {
        fixed.push("org_id");
    }
    if new.head_worker_id != b.head_worker_id {
        fixed.push("head_worker_id");
    }
    if !fixed.is_empty() {
        return Err(CoreError::Validation(
            fixed
                .into_iter()
                .map(|f| {
                    crate::FieldError::new(
                        f,
                        "immutable",
                        "an archive keeps its household head and organisation; cancel it and \
                         register another",
                    )
                })
                .collect(),
        ));
    }
    let stored = household_members::Entity::find()
        .filter(household_members::Column::BeneficiaryId.eq(b.id))
        .order_by_asc(household_members::Column::Id)
        .all(conn)
        .await?;
    Ok(changes_with(pii, b, &stored, new))
}

/// Whether `b`, with its `stored` members, holds `new` already (the comparison of
/// [`changes_to`], for a push that read many archives' members at once). The fixed head and
/// organisation are [`changes_to`]'s to refuse; different ones here are simply not the same.
pub fn holds(
    pii: &DataProtector,
    b: &beneficiaries::Model,
    stored: &[household_members::Model],
    new: NewArchive,
) -> bool {
    new.org_id == b.org_id
        && new.head_worker_id == b.head_worker_id
        && changes_with(pii, b, stored, new).is_none()
}

fn changes_with(
    pii: &DataProtector,
    b: &beneficiaries::Model,
    stored: &[household_members::Model],
    new: NewArchive,
) -> Option<ArchiveChanges> {
    let same_members = new.members.len() == stored.len() && {
        let mut unused: Vec<&household_members::Model> = stored.iter().collect();
        new.members.iter().all(
            |m| match unused.iter().position(|e| same_member(pii, m, e)) {
                Some(at) => {
                    unused.swap_remove(at);
                    true
                }
                None => false,
            },
        )
    };
    let same_override = match (&new.category_override, &b.override_reason) {
        (None, None) => true,
        (Some(choice), Some(reason)) => {
            choice.category.as_str() == b.category && choice.reason.trim() == reason
        }
        _ => false,
    };
    let same = same_members
        && same_override
        && new.household_size == b.household_size
        && new.annual_income_fen == b.annual_income_fen
        && new.rigid_expenses_fen == b.rigid_expenses_fen
        && new.accident_costs_fen == b.accident_costs_fen
        && store_causes(&new.causes) == store_causes(&parse_causes(&b.causes))
        && new.needs == b.needs
        && new.migrant_worker == b.migrant_worker
        && new.employment_started_on == b.employment_started_on
        && new.long_term_assistance == b.long_term_assistance;
    if same {
        return None;
    }
    let members = (!same_members).then(|| keep_ids(pii, new.members, stored));
    Some(ArchiveChanges {
        household_size: Some(new.household_size),
        annual_income_fen: Some(new.annual_income_fen),
        rigid_expenses_fen: Some(new.rigid_expenses_fen),
        accident_costs_fen: Some(new.accident_costs_fen),
        causes: Some(new.causes),
        needs: new.needs,
        migrant_worker: Some(new.migrant_worker),
        employment_started_on: new.employment_started_on,
        long_term_assistance: Some(new.long_term_assistance),
        category_override: new.category_override,
        members,
    })
}

fn id_index(pii: &DataProtector, raw: &str) -> String {
    pii.blind_index(PiiField::IdNumber, &id_number::normalise(raw))
}

/// The same person: by ID number where the input has one, else by name and relation.
fn same_person(pii: &DataProtector, m: &MemberInput, e: &household_members::Model) -> bool {
    match &m.id_number {
        Some(raw) => e.id_number_idx.as_deref() == Some(id_index(pii, raw).as_str()),
        None => {
            e.id_number_idx.is_none()
                && m.name.trim() == e.name
                && m.relation.as_str() == e.relation
        }
    }
}

/// The same person with the same details.
fn same_member(pii: &DataProtector, m: &MemberInput, e: &household_members::Model) -> bool {
    same_person(pii, m, e)
        && m.name.trim() == e.name
        && m.relation.as_str() == e.relation
        // With an ID number the birth date is derived from it.
        && (m.id_number.is_some() || m.birth_date == e.birth_date)
        && m.health.as_str() == e.health
        && m.employment_status.map(|s| s.as_str()) == e.employment_status.as_deref()
        && m.school == e.school
        && m.stage.map(|s| s.as_str()) == e.stage.as_deref()
        && m.grade == e.grade
        && m.admission_year == e.admission_year
}

/// The members as sent, each still-present person given the id they are stored under.
fn keep_ids(
    pii: &DataProtector,
    mut wanted: Vec<MemberInput>,
    stored: &[household_members::Model],
) -> Vec<MemberInput> {
    let mut taken = HashSet::new();
    for m in &mut wanted {
        m.id = stored
            .iter()
            .find(|e| !taken.contains(&e.id) && same_person(pii, m, e))
            .map(|e| e.id);
        if let Some(id) = m.id {
            taken.insert(id);
        }
    }
    wanted
}
