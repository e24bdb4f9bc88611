//! A household's members: rows from the input (ID numbers protected, birth date derived), and
//! the writes that turn the stored member list into the one the principal sent.

use std::collections::HashSet;

use chrono::NaiveDate;
use entity::household_members;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;

use super::MemberInput;
use crate::CoreError;
use crate::pii::DataProtector;
use crate::registry::workers::protect_id_number;

/// More members than any household the archive is meant for.
const MAX_MEMBERS: usize = 30;

pub fn check_count(members: &[MemberInput]) -> Result<(), CoreError> {
    if members.len() > MAX_MEMBERS {
        return Err(CoreError::field("members", "length", "at most 30 members"));
    }
    Ok(())
}

/// A member row from an input entry: its ID number protected (birth date derived from it), or,
/// for a kept member given no new number, the stored one left as it is.
pub fn row(
    pii: &DataProtector,
    today: NaiveDate,
    i: usize,
    m: MemberInput,
    beneficiary_id: Uuid,
    kept: Option<&household_members::Model>,
) -> Result<household_members::ActiveModel, CoreError> {
    let stored = m
        .id_number
        .as_deref()
        .map(|raw| protect_id_number(pii, &format!("members[{i}].id_number"), raw, today))
        .transpose()?;
    let (enc, idx, masked, birth_date) = match (stored, kept) {
        (Some(s), _) => (Some(s.enc), Some(s.idx), Some(s.masked), Some(s.birth_date)),
        (None, Some(k)) if k.id_number_enc.is_some() => (
            k.id_number_enc.clone(),
            k.id_number_idx.clone(),
            k.id_number_masked.clone(),
            k.birth_date,
        ),
        (None, _) => (None, None, None, m.birth_date),
    };
    Ok(household_members::ActiveModel {
        id: Set(kept.map_or_else(Uuid::now_v7, |k| k.id)),
        beneficiary_id: Set(beneficiary_id),
        name: Set(m.name),
        relation: Set(m.relation.as_str().to_owned()),
        id_number_enc: Set(enc),
        id_number_idx: Set(idx),
        id_number_masked: Set(masked),
        birth_date: Set(birth_date),
        health: Set(m.health.as_str().to_owned()),
        employment_status: Set(m.employment_status.map(|e| e.as_str().to_owned())),
        school: Set(m.school),
        stage: Set(m.stage.map(|s| s.as_str().to_owned())),
        grade: Set(m.grade),
        admission_year: Set(m.admission_year),
    })
}

/// Rows of a new archive (which has no members to keep yet).
pub fn new_rows(
    pii: &DataProtector,
    today: NaiveDate,
    members: Vec<MemberInput>,
    beneficiary_id: Uuid,
) -> Result<Vec<household_members::ActiveModel>, CoreError> {
    check_count(&members)?;
    let mut rows = Vec::with_capacity(members.len());
    for (i, m) in members.into_iter().enumerate() {
        if m.id.is_some() {
            return Err(CoreError::field(
                format!("members[{i}].id"),
                "not_allowed",
                "a new archive has no members to keep yet",
            ));
        }
        rows.push(row(pii, today, i, m, beneficiary_id, None)?);
    }
    Ok(rows)
}

/// Bring the stored members of `archive` to `wanted` (kept by id, added without, removed when
/// left out) on `conn`; returns the counts for the audit event (never member data).
pub async fn replace(
    conn: &impl ConnectionTrait,
    pii: &DataProtector,
    today: NaiveDate,
    archive: Uuid,
    wanted: Vec<MemberInput>,
) -> Result<Value, CoreError> {
    check_count(&wanted)?;
    let existing = household_members::Entity::find()
        .filter(household_members::Column::BeneficiaryId.eq(archive))
        .all(conn)
        .await?;
    let mut kept_ids = HashSet::new();
    let (mut added, mut updated) = (Vec::new(), Vec::new());
    for (i, m) in wanted.into_iter().enumerate() {
        let kept = match m.id {
            None => None,
            Some(member_id) => {
                if !kept_ids.insert(member_id) {
                    return Err(CoreError::field(
                        format!("members[{i}].id"),
                        "duplicate",
                        "the same member is listed twice",
                    ));
                }
                let found = existing.iter().find(|e| e.id == member_id);
                Some(found.ok_or_else(|| {
                    CoreError::field(
                        format!("members[{i}].id"),
                        "unknown_member",
                        "is not a member of this archive",
                    )
                })?)
            }
        };
        let row = row(pii, today, i, m, archive, kept)?;
        if kept.is_some() {
            updated.push(row);
        } else {
            added.push(row);
        }
    }
    let removed: Vec<Uuid> = existing
        .iter()
        .map(|e| e.id)
        .filter(|id| !kept_ids.contains(id))
        .collect();
    let summary = json!({ "kept": updated.len(), "added": added.len(), "removed": removed.len() });
    if !removed.is_empty() {
        household_members::Entity::delete_many()
            .filter(household_members::Column::BeneficiaryId.eq(archive))
            .filter(household_members::Column::Id.is_in(removed))
            .exec(conn)
            .await?;
    }
    for row in updated {
        household_members::Entity::update(row).exec(conn).await?;
    }
    if !added.is_empty() {
        household_members::Entity::insert_many(added)
            .exec_without_returning(conn)
            .await?;
    }
    Ok(summary)
}
