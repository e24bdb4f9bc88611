//! Database work on workers, and turning personal data into its stored forms.

use chrono::{NaiveDate, Utc};
use entity::workers::{self, Column};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Select};
use uuid::Uuid;

use super::dto::Sex;
use crate::domain::{id_number, phone};
use crate::http::{ApiError, FieldError};
use crate::pii::{DataProtector, PiiField, mask};
use crate::resources::orgs::queries as orgs;
use crate::tenancy::Scope;

pub fn scoped(scope: &Scope) -> Select<workers::Entity> {
    workers::Entity::find().filter(scope.owns(Column::OrgId))
}

pub async fn find(
    db: &impl ConnectionTrait,
    scope: &Scope,
    id: Uuid,
) -> Result<Option<workers::Model>, DbErr> {
    scoped(scope).filter(Column::Id.eq(id)).one(db).await
}

/// An ID number as it is stored: ciphertext, blind index, mask, and what it says.
pub struct StoredIdNumber {
    pub enc: String,
    pub idx: String,
    pub masked: String,
    pub sex: Sex,
    pub birth_date: NaiveDate,
}

pub fn protect_id_number(
    pii: &DataProtector,
    field: &str,
    raw: &str,
) -> Result<StoredIdNumber, ApiError> {
    let number = id_number::normalise(raw);
    let facts = id_number::parse(&number, Utc::now().date_naive()).map_err(|_| {
        ApiError::Validation(vec![FieldError::new(
            field,
            "invalid",
            "is not a valid resident ID number",
        )])
    })?;
    Ok(StoredIdNumber {
        enc: pii.encrypt(PiiField::IdNumber, &number)?,
        idx: pii.blind_index(PiiField::IdNumber, &number),
        masked: mask::id_number(&number),
        sex: match facts.sex {
            id_number::Sex::Male => Sex::Male,
            id_number::Sex::Female => Sex::Female,
        },
        birth_date: facts.birth_date,
    })
}

/// A phone as it is stored: ciphertext, blind index, mask.
pub struct StoredPhone {
    pub enc: String,
    pub idx: String,
    pub masked: String,
}

pub fn protect_phone(pii: &DataProtector, field: &str, raw: &str) -> Result<StoredPhone, ApiError> {
    let number = phone::normalise(raw).map_err(|_| {
        ApiError::Validation(vec![FieldError::new(
            field,
            "format",
            "must be a mainland mobile number",
        )])
    })?;
    Ok(StoredPhone {
        enc: pii.encrypt(PiiField::Phone, &number)?,
        idx: pii.blind_index(PiiField::Phone, &number),
        masked: mask::phone(&number),
    })
}

/// One ID number is one person city-wide. The lookup is deliberately not scoped (the rule spans
/// every county); what the caller learns is: the existing record's id if it may see it, else
/// only that the person is registered somewhere.
pub async fn ensure_new_person(
    db: &impl ConnectionTrait,
    scope: &Scope,
    id_number_idx: &str,
    except: Option<Uuid>,
) -> Result<(), ApiError> {
    let Some(existing) = workers::Entity::find()
        .filter(Column::IdNumberIdx.eq(id_number_idx))
        .one(db)
        .await?
    else {
        return Ok(());
    };
    if Some(existing.id) == except {
        return Ok(());
    }
    let visible = orgs::find(db, scope, existing.org_id).await?.is_some();
    Err(ApiError::Duplicate {
        detail: "a worker with this ID number is already registered".to_owned(),
        existing_id: visible.then_some(existing.id),
    })
}
