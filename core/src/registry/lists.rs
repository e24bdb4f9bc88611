//! Which workers and enterprises a principal is shown: the filters of the registry's lists and
//! of the search by personal number, composed once here so that a list, its export and any
//! later consumer (the sync feed, a report) mean the same thing by the same filter. Every
//! filter is on an indexed column; every query starts from the principal's scope.

use chrono::{DateTime, Utc};
use entity::{enterprises, workers};
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
use sea_orm::{ColumnTrait, Condition, QueryFilter, Select};
use uuid::Uuid;

use super::enterprises::{Ownership, READ as ENTERPRISES_READ};
use super::orgs;
use super::workers::{EmploymentStatus, READ as WORKERS_READ, WorkerKind};
use super::{RECORD_ACTIVE, RECORD_ARCHIVED};
use crate::CoreError;
use crate::context::Context;
use crate::domain::{id_number, phone, uscc};
use crate::pii::PiiField;
use crate::tenancy::Scope;

crate::__with_schema! {
    /// Which records a list shows: archived ones are hidden unless asked for.
    #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum StatusFilter {
        /// Only records in use (the default).
        #[default]
        Active,
        /// Only archived records (归档).
        Archived,
        /// Both.
        All,
    }
}

impl StatusFilter {
    pub fn condition(self, status_column: impl ColumnTrait) -> Condition {
        match self {
            StatusFilter::Active => Condition::all().add(one_of_few(status_column, RECORD_ACTIVE)),
            StatusFilter::Archived => {
                Condition::all().add(one_of_few(status_column, RECORD_ARCHIVED))
            }
            StatusFilter::All => Condition::all(),
        }
    }
}

/// `column = value` for a column of a few values spread unevenly (a status, a kind, an audit
/// action), the value written into the statement as a literal instead of bound as a parameter.
/// A prepared statement's generic plan (the one PostgreSQL settles on after five runs) reckons
/// `column = $1` as if every value were as common as the average one, and so reads a rare value
/// by walking the primary key in the list's order, filtering as it goes: on the million-worker
/// city `status = 'archived'` read 60,000 pages (0.8 s) and `action = 'auth.login'` on the audit
/// trail 56,000 (1.3 s), where the `(status, id)` and `(action, id)` indexes read a few. Written
/// in, each value is a statement of its own and plans with its own statistics. Only for values
/// from a closed set (an enum's spelling, or text checked to be shaped like one): every distinct
/// value is one more prepared statement on each connection.
pub fn one_of_few(column: impl ColumnTrait, value: &str) -> Expr {
    column.into_expr().eq(Expr::Constant(value.into()))
}

/// Names starting with `prefix`, as an index-friendly range (`name >= p AND name < p ||
/// U+10FFFF`, compared bytewise) rather than a `LIKE` that would need escaping and, on
/// PostgreSQL, a pattern index.
pub fn name_prefix(column: impl ColumnTrait, prefix: &str) -> Condition {
    Condition::all()
        .add(column.gte(prefix.to_owned()))
        .add(column.lt(format!("{prefix}\u{10FFFF}")))
}

/// Names containing `text` anywhere, letters in either case: `lower(name) LIKE '%text%'` with
/// the wildcards in `text` escaped, the form PostgreSQL's trigram index on `lower(name)` serves.
pub fn name_contains(column: impl ColumnTrait, text: &str) -> Condition {
    let escaped: String = text
        .to_lowercase()
        .chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    Condition::all().add(
        Expr::expr(Func::lower(column.into_expr()))
            .like(LikeExpr::new(format!("%{escaped}%")).escape('\\')),
    )
}

/// The filters of the worker list; `None` does not filter.
#[derive(Debug, Clone, Default)]
pub struct WorkerFilter {
    pub org_id: Option<Uuid>,
    pub within_org_id: Option<Uuid>,
    pub enterprise_id: Option<Uuid>,
    pub status: StatusFilter,
    pub kind: Option<WorkerKind>,
    pub employment_status: Option<EmploymentStatus>,
    pub frontline: Option<bool>,
    pub high_temperature: Option<bool>,
    pub name_prefix: Option<String>,
    /// Names containing this text.
    pub q: Option<String>,
    /// Changed at or after this moment (by `updated_at`: a convenience that can miss a change
    /// committed late; the change feed is what never skips one).
    pub updated_since: Option<DateTime<Utc>>,
}

/// The workers of the principal's subtree that pass `filter`, unordered (the caller pages or
/// streams it by id).
pub async fn workers(
    ctx: &Context<'_>,
    filter: &WorkerFilter,
) -> Result<Select<workers::Entity>, CoreError> {
    ctx.require(WORKERS_READ).await?;
    let within = match filter.within_org_id {
        Some(within) => Some(
            orgs::subtree_condition(ctx.db, ctx.scope(), within, workers::Column::OrgId).await?,
        ),
        None => None,
    };
    Ok(workers_in(ctx.scope(), filter, within))
}

/// [`workers`] without its reads, for a caller that has checked the permission already and
/// whose filter has no `within_org_id` (`within` is that filter's condition, read by
/// [`workers`]): the same filters, built the same way, so that a statement built from either
/// is the same.
pub fn workers_in(
    scope: &Scope,
    filter: &WorkerFilter,
    within: Option<Condition>,
) -> Select<workers::Entity> {
    use workers::Column as W;
    let mut select = scope
        .select::<workers::Entity>()
        .filter(filter.status.condition(W::Status));
    if let Some(org) = filter.org_id {
        select = select.filter(W::OrgId.eq(org));
    }
    if let Some(within) = within {
        select = select.filter(within);
    }
    if let Some(e) = filter.enterprise_id {
        select = select.filter(W::EnterpriseId.eq(e));
    }
    if let Some(k) = filter.kind {
        select = select.filter(one_of_few(W::Kind, k.as_str()));
    }
    if let Some(s) = filter.employment_status {
        select = select.filter(one_of_few(W::EmploymentStatus, s.as_str()));
    }
    if let Some(f) = filter.frontline {
        select = select.filter(W::Frontline.eq(f));
    }
    if let Some(h) = filter.high_temperature {
        select = select.filter(W::HighTemperature.eq(h));
    }
    if let Some(p) = &filter.name_prefix {
        select = select.filter(name_prefix(W::Name, p));
    }
    if let Some(q) = &filter.q {
        select = select.filter(name_contains(W::Name, q));
    }
    if let Some(since) = filter.updated_since {
        select = select.filter(W::UpdatedAt.gte(since));
    }
    select
}

/// A person looked up by a personal number, never by its plaintext: the number is normalised
/// and matched through its blind index.
pub enum PersonKey {
    IdNumber(String),
    Phone(String),
}

/// The workers of the principal's subtree with this ID number or phone.
pub async fn search_workers(
    ctx: &Context<'_>,
    key: &PersonKey,
    include_archived: bool,
) -> Result<Select<workers::Entity>, CoreError> {
    use workers::Column as W;
    ctx.require(WORKERS_READ).await?;
    let by_key = match key {
        PersonKey::IdNumber(raw) => W::IdNumberIdx.eq(ctx
            .pii
            .blind_index(PiiField::IdNumber, &id_number::normalise(raw))),
        PersonKey::Phone(raw) => {
            let number = phone::normalise(raw).map_err(|_| {
                CoreError::field("phone", "format", "must be a mainland mobile number")
            })?;
            W::PhoneIdx.eq(ctx.pii.blind_index(PiiField::Phone, &number))
        }
    };
    let status = if include_archived {
        StatusFilter::All
    } else {
        StatusFilter::Active
    };
    Ok(ctx
        .scope()
        .select::<workers::Entity>()
        .filter(by_key)
        .filter(status.condition(W::Status)))
}

/// The filters of the enterprise list; `None` does not filter.
#[derive(Debug, Clone, Default)]
pub struct EnterpriseFilter {
    pub org_id: Option<Uuid>,
    pub within_org_id: Option<Uuid>,
    pub status: StatusFilter,
    pub ownership: Option<Ownership>,
    pub industry: Option<String>,
    pub overcapacity: Option<bool>,
    pub name_prefix: Option<String>,
    /// Names containing this text.
    pub q: Option<String>,
    /// Matched after normalising (upper case, no spaces).
    pub uscc: Option<String>,
    /// As [`WorkerFilter::updated_since`].
    pub updated_since: Option<DateTime<Utc>>,
}

/// The enterprises of the principal's subtree that pass `filter`, unordered.
pub async fn enterprises(
    ctx: &Context<'_>,
    filter: &EnterpriseFilter,
) -> Result<Select<enterprises::Entity>, CoreError> {
    use enterprises::Column as E;
    ctx.require(ENTERPRISES_READ).await?;
    let mut select = ctx
        .scope()
        .select::<enterprises::Entity>()
        .filter(filter.status.condition(E::Status));
    if let Some(org) = filter.org_id {
        select = select.filter(E::OrgId.eq(org));
    }
    if let Some(within) = filter.within_org_id {
        select =
            select.filter(orgs::subtree_condition(ctx.db, ctx.scope(), within, E::OrgId).await?);
    }
    if let Some(o) = filter.ownership {
        select = select.filter(one_of_few(E::Ownership, o.as_str()));
    }
    if let Some(i) = &filter.industry {
        // A GB/T 4754 section letter, one of twenty; anything else matches nothing anyway.
        select = select.filter(match i.as_str() {
            letter @ ("A" | "B" | "C" | "D" | "E" | "F" | "G" | "H" | "I" | "J" | "K" | "L"
            | "M" | "N" | "O" | "P" | "Q" | "R" | "S" | "T") => one_of_few(E::Industry, letter),
            other => E::Industry.eq(other),
        });
    }
    if let Some(o) = filter.overcapacity {
        select = select.filter(E::Overcapacity.eq(o));
    }
    if let Some(p) = &filter.name_prefix {
        select = select.filter(name_prefix(E::Name, p));
    }
    if let Some(q) = &filter.q {
        select = select.filter(name_contains(E::Name, q));
    }
    if let Some(code) = &filter.uscc {
        select = select.filter(E::Uscc.eq(uscc::normalise(code)));
    }
    if let Some(since) = filter.updated_since {
        select = select.filter(E::UpdatedAt.gte(since));
    }
    Ok(select)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::{DbBackend, EntityTrait, QueryTrait};

    #[test]
    fn a_filter_on_a_few_values_is_written_into_the_statement() {
        for backend in [DbBackend::Postgres, DbBackend::Sqlite] {
            let statement = workers::Entity::find()
                .filter(StatusFilter::Archived.condition(workers::Column::Status))
                .filter(one_of_few(workers::Column::Kind, "it's"))
                .build(backend);
            assert!(
                statement.sql.contains(r#""workers"."status" = 'archived'"#),
                "{}",
                statement.sql
            );
            // Quoted as a literal, not spliced.
            assert!(
                statement.sql.contains(r#""workers"."kind" = 'it''s'"#)
                    || statement.sql.contains(r#""workers"."kind" = E'it\'s'"#),
                "{}",
                statement.sql
            );
            assert!(
                statement.values.as_ref().is_none_or(|v| v.0.is_empty()),
                "{:?}",
                statement.values
            );
        }
    }
}
