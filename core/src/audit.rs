//! The audit trail: who did what, to which record, when, from where. Events are written in the
//! same transaction as the change they describe, so a change never lands without its record.
//! Change summaries name fields and non-personal values only; never plaintext personal data,
//! passwords, tokens or secrets.

use chrono::{DateTime, Utc};
use entity::audit_events;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
    Select,
};
use serde_json::Value;
use uuid::Uuid;

use crate::CoreError;
use crate::access::Permission;
use crate::context::Context;
use crate::registry::lists::one_of_few;

pub const READ: Permission = Permission::AuditRead;

/// Who acted, and from where.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    pub kind: &'static str,
    pub id: Option<Uuid>,
    pub name: Option<String>,
    pub org_id: Option<Uuid>,
    pub request_id: Option<String>,
    pub client_ip: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    Failure,
    Denied,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
            Outcome::Denied => "denied",
        }
    }
}

/// What happened.
#[derive(Debug, Clone)]
pub struct Event {
    pub action: &'static str,
    pub outcome: Outcome,
    pub resource_type: Option<&'static str>,
    pub resource_id: Option<String>,
    pub changes: Option<Value>,
}

impl Event {
    pub fn new(action: &'static str) -> Self {
        Self {
            action,
            outcome: Outcome::Success,
            resource_type: None,
            resource_id: None,
            changes: None,
        }
    }

    pub fn on(mut self, resource_type: &'static str, id: impl ToString) -> Self {
        self.resource_type = Some(resource_type);
        self.resource_id = Some(id.to_string());
        self
    }

    pub fn outcome(mut self, outcome: Outcome) -> Self {
        self.outcome = outcome;
        self
    }

    pub fn changes(mut self, changes: Value) -> Self {
        self.changes = Some(changes);
        self
    }
}

/// The stored form of an event.
fn row(actor: &Actor, event: Event, at: DateTime<Utc>) -> audit_events::ActiveModel {
    audit_events::ActiveModel {
        id: Set(Uuid::now_v7()),
        occurred_at: Set(at),
        actor_kind: Set(actor.kind.to_owned()),
        actor_id: Set(actor.id),
        actor_name: Set(actor.name.clone()),
        org_id: Set(actor.org_id),
        action: Set(event.action.to_owned()),
        outcome: Set(event.outcome.as_str().to_owned()),
        resource_type: Set(event.resource_type.map(str::to_owned)),
        resource_id: Set(event.resource_id),
        request_id: Set(actor.request_id.clone()),
        client_ip: Set(actor.client_ip.clone()),
        changes: Set(event.changes.map(|c| c.to_string())),
    }
}

/// Write the event and, when it changed a synced record, that record's change-log entry: both
/// in the caller's transaction.
pub async fn record(db: &impl ConnectionTrait, actor: &Actor, event: Event) -> Result<(), DbErr> {
    if event.outcome == Outcome::Success
        && let (Some(kind), Some(id)) = (event.resource_type, event.resource_id.as_deref())
    {
        crate::changelog::append(db, kind, id, event.action).await?;
    }
    audit_events::Entity::insert(row(actor, event, Utc::now()))
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Events of one actor each creating a synced record (a bulk registration), with the record's
/// owner and version: the events in multi-row statements, their change-log entries too — what
/// [`record`] writes for each, without a round trip per record.
pub async fn record_created(
    db: &impl ConnectionTrait,
    actor: &Actor,
    events: Vec<(Event, Uuid, i32)>,
) -> Result<(), DbErr> {
    let mut changes = Vec::with_capacity(events.len());
    let mut rows = Vec::with_capacity(events.len());
    let now = Utc::now();
    for (event, org_id, version) in events {
        if let (Some(kind), Some(id)) = (event.resource_type, event.resource_id.as_deref())
            && let Ok(record) = Uuid::parse_str(id)
        {
            changes.push((kind, record, event.action, org_id, version));
        }
        rows.push(row(actor, event, now));
    }
    crate::changelog::append_created(db, changes).await?;
    let per_statement = 32_766
        / <audit_events::Column as sea_orm::Iterable>::iter()
            .count()
            .max(1);
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<_> = rows.by_ref().take(per_statement).collect();
        audit_events::Entity::insert_many(chunk)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// The filters of the audit trail; `None` does not filter.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor_id: Option<Uuid>,
    pub action: Option<String>,
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
    pub from: Option<DateTime<Utc>>,
    /// Exclusive.
    pub to: Option<DateTime<Utc>>,
}

/// `column = name` for an action or a resource type: a few names, some on a million events and
/// some on a handful, so written into the statement ([`one_of_few`]). Every such name is
/// lowercase letters, digits, `_` and `.`; anything else names no event, and is asked as a
/// condition that is never true rather than written in.
fn named(column: audit_events::Column, name: &str) -> Expr {
    let shaped = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'.');
    if shaped {
        one_of_few(column, name)
    } else {
        Expr::cust("1 = 0")
    }
}

/// The events the principal may read: those of actors in its subtree and, at the root, the
/// anonymous ones too (failed sign-ins with unknown usernames), unordered.
pub async fn list(
    ctx: &Context<'_>,
    filter: &AuditFilter,
) -> Result<Select<audit_events::Entity>, CoreError> {
    use audit_events::Column as A;
    ctx.require(READ).await?;
    let mut visible = Condition::any().add(ctx.scope().owns(A::OrgId));
    if ctx.scope().is_root() {
        visible = visible.add(A::OrgId.is_null());
    }
    let mut select = audit_events::Entity::find().filter(visible);
    if let Some(actor) = filter.actor_id {
        select = select.filter(A::ActorId.eq(actor));
    }
    if let Some(action) = &filter.action {
        select = select.filter(named(A::Action, action));
    }
    if let Some(kind) = &filter.resource_type {
        select = select.filter(named(A::ResourceType, kind));
    }
    if let Some(id) = &filter.resource_id {
        select = select.filter(A::ResourceId.eq(id.as_str()));
    }
    if let Some(from) = filter.from {
        select = select.filter(A::OccurredAt.gte(from));
    }
    if let Some(to) = filter.to {
        select = select.filter(A::OccurredAt.lt(to));
    }
    Ok(select)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::{DbBackend, QueryTrait};

    #[test]
    fn actions_are_written_in_and_anything_else_matches_nothing() {
        let sql = |name: &str| {
            audit_events::Entity::find()
                .filter(named(audit_events::Column::Action, name))
                .build(DbBackend::Postgres)
                .sql
        };
        assert!(sql("auth.login").contains(r#""audit_events"."action" = 'auth.login'"#));
        for odd in ["", "Auth.Login", "x' OR '1'='1", &"a".repeat(65)] {
            let sql = sql(odd);
            assert!(sql.ends_with("WHERE 1 = 0"), "{sql}");
        }
    }
}
