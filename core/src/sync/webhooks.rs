//! Webhooks: a machine client registers an endpoint and the kinds it follows, and Siji posts a
//! notification whenever changes of those kinds commit in its subtree. A notification names
//! changes (kind, id, operation, version, cursor) and never carries a record, so no personal
//! data leaves through it; the client reads the records from the feed as ever.
//!
//! Notifications are cut from the change log by a dispatcher that any process running jobs
//! runs: for each webhook, the changes after its cursor become one delivery, and the cursor
//! moves by a conditional update in the same transaction, with the delivery's job enqueued
//! there too. Two processes cannot notify the same changes twice (the second update finds the
//! cursor moved and rolls back), and a crash between the two leaves neither. The job posts the
//! delivery, signed (HMAC-SHA256 over `{timestamp}.{body}`), and the runner retries it with
//! backoff until it is taken or given up; every try is kept for the client to see.

use chrono::{DateTime, Utc};
use entity::{api_clients, orgs, webhook_attempts, webhook_deliveries, webhooks};
use hmac::{Hmac, Mac};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};
use serde_json::json;
use sha2::Sha256;
use uuid::Uuid;

use super::ChangeKind;
use crate::accounts::secrets::random_token;
use crate::audit::{Actor, Event};
use crate::changelog::{self, Cursor};
use crate::jobs::{self, NewJob};
use crate::pii::PiiField;
use crate::tenancy::Scope;
use crate::{Context, CoreError};

/// The job kind that posts one delivery.
pub const DELIVER_JOB: &str = "webhooks.deliver";
/// The most changes one notification names.
pub const MAX_CHANGES: u64 = 500;

pub const PENDING: &str = "pending";
pub const DELIVERED: &str = "delivered";
pub const FAILED: &str = "failed";
pub const CANCELLED: &str = "cancelled";

/// The most webhooks one client keeps.
const MAX_PER_CLIENT: u64 = 10;

pub struct NewWebhook {
    pub url: String,
    pub kinds: Vec<ChangeKind>,
}

fn machine_client(ctx: &Context<'_>) -> Result<Uuid, CoreError> {
    match (ctx.actor().kind, ctx.actor().id) {
        ("client", Some(id)) => Ok(id),
        _ => Err(CoreError::Forbidden(
            "webhooks belong to machine clients; staff have none".into(),
        )),
    }
}

/// Where deliveries may go: HTTPS, or plain HTTP only where the operator allows it (a receiver
/// on the same host in development and tests).
fn check_url(url: &str, allow_http: bool) -> Result<(), CoreError> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://").filter(|_| allow_http));
    let host = rest.and_then(|r| r.split(['/', '?', '#']).next());
    let fine = url.len() <= 2000
        && host.is_some_and(|h| !h.is_empty() && !h.contains('@'))
        && !url.chars().any(|c| c.is_whitespace() || c.is_control());
    if fine {
        Ok(())
    } else {
        Err(CoreError::field(
            "url",
            "invalid_url",
            "must be an https:// URL of at most 2,000 characters, without credentials",
        ))
    }
}

/// Register an endpoint for the caller's kinds. Answers the webhook and its signing secret,
/// which is shown this once. Notifications start with the changes that commit from now on.
pub async fn register(
    ctx: &Context<'_>,
    new: NewWebhook,
    allow_http: bool,
) -> Result<(webhooks::Model, String), CoreError> {
    let client = machine_client(ctx)?;
    check_url(&new.url, allow_http)?;
    if new.kinds.is_empty() {
        return Err(CoreError::field(
            "kinds",
            "length",
            "name at least one kind",
        ));
    }
    for kind in &new.kinds {
        super::may_read(ctx, *kind).await?;
    }
    let work = ctx.begin().await?;
    let kept = webhooks::Entity::find()
        .filter(webhooks::Column::ClientId.eq(client))
        .filter(webhooks::Column::Active.eq(true))
        .count(work.conn())
        .await?;
    if kept >= MAX_PER_CLIENT {
        return Err(CoreError::conflict(
            "a client keeps at most 10 webhooks; remove one first",
        ));
    }
    let secret = format!("whsec_{}", random_token());
    let start = changelog::head(work.conn()).await?;
    let now = ctx.clock.now();
    let mut kinds: Vec<&str> = new.kinds.iter().map(|k| k.as_str()).collect();
    kinds.sort_unstable();
    kinds.dedup();
    let row = webhooks::ActiveModel {
        id: Set(Uuid::now_v7()),
        client_id: Set(client),
        url: Set(new.url.clone()),
        kinds: Set(kinds.join(",")),
        signing_secret_enc: Set(ctx.pii.encrypt(PiiField::SigningSecret, &secret)?),
        active: Set(true),
        cursor_txid: Set(start.txid),
        cursor_seq: Set(start.seq),
        created_at: Set(now),
        updated_at: Set(now),
    };
    let hook = webhooks::Entity::insert(row)
        .exec_with_returning(work.conn())
        .await?;
    work.record(
        Event::new("webhook.create")
            .on("webhook", hook.id)
            .changes(json!({ "url": hook.url, "kinds": hook.kinds })),
    )
    .await?;
    work.commit().await?;
    Ok((hook, secret))
}

/// A page of the caller's webhooks, removed ones too, oldest first.
pub async fn list(
    ctx: &Context<'_>,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<webhooks::Model>, CoreError> {
    let client = machine_client(ctx)?;
    let mut select = webhooks::Entity::find()
        .filter(webhooks::Column::ClientId.eq(client))
        .order_by_asc(webhooks::Column::Id)
        .limit(limit);
    if let Some(after) = after {
        select = select.filter(webhooks::Column::Id.gt(after));
    }
    Ok(select.all(ctx.db).await?)
}

/// A webhook the caller may act on: its own, as a machine client; or, as staff, one of a client
/// of its subtree, with the clients' permission (`read` or `write`), so an administrator can see
/// why a county's connector misses notifications and stop a broken endpoint. Anything else is
/// not found.
pub async fn find(
    ctx: &Context<'_>,
    id: Uuid,
    permission: crate::access::Permission,
) -> Result<webhooks::Model, CoreError> {
    let hook = webhooks::Entity::find_by_id(id)
        .one(ctx.db)
        .await?
        .ok_or(CoreError::NotFound)?;
    match (ctx.actor().kind, ctx.actor().id) {
        ("client", Some(me)) if me == hook.client_id => Ok(hook),
        ("client", _) => Err(CoreError::NotFound),
        _ => {
            let client = api_clients::Entity::find_by_id(hook.client_id)
                .one(ctx.db)
                .await?
                .ok_or(CoreError::NotFound)?;
            crate::registry::orgs::find(ctx.db, ctx.scope(), client.org_id)
                .await?
                .ok_or(CoreError::NotFound)?;
            ctx.require(permission).await?;
            Ok(hook)
        }
    }
}

/// Stop a webhook: no new notifications, and the ones not yet delivered are cancelled.
pub async fn remove(ctx: &Context<'_>, id: Uuid) -> Result<webhooks::Model, CoreError> {
    let hook = find(ctx, id, crate::accounts::clients::WRITE).await?;
    let work = ctx.begin().await?;
    let now = ctx.clock.now();
    webhooks::Entity::update_many()
        .col_expr(webhooks::Column::Active, Expr::value(false))
        .col_expr(webhooks::Column::UpdatedAt, Expr::value(now))
        .filter(webhooks::Column::Id.eq(hook.id))
        .exec(work.conn())
        .await?;
    webhook_deliveries::Entity::update_many()
        .col_expr(webhook_deliveries::Column::Status, Expr::value(CANCELLED))
        .filter(webhook_deliveries::Column::WebhookId.eq(hook.id))
        .filter(webhook_deliveries::Column::Status.eq(PENDING))
        .exec(work.conn())
        .await?;
    work.record(Event::new("webhook.remove").on("webhook", hook.id))
        .await?;
    work.commit().await?;
    Ok(webhooks::Model {
        active: false,
        updated_at: now,
        ..hook
    })
}

/// A page of a webhook's deliveries, newest first, each with its attempts (two queries).
pub async fn deliveries(
    ctx: &Context<'_>,
    webhook: Uuid,
    before: Option<Uuid>,
    limit: u64,
) -> Result<Vec<(webhook_deliveries::Model, Vec<webhook_attempts::Model>)>, CoreError> {
    let hook = find(ctx, webhook, crate::accounts::clients::READ).await?;
    let mut select = webhook_deliveries::Entity::find()
        .filter(webhook_deliveries::Column::WebhookId.eq(hook.id))
        .order_by_desc(webhook_deliveries::Column::Id)
        .limit(limit);
    if let Some(before) = before {
        select = select.filter(webhook_deliveries::Column::Id.lt(before));
    }
    let page = select.all(ctx.db).await?;
    let ids: Vec<Uuid> = page.iter().map(|d| d.id).collect();
    let attempts = webhook_attempts::Entity::find()
        .filter(webhook_attempts::Column::DeliveryId.is_in(ids))
        .order_by_asc(webhook_attempts::Column::Id)
        .all(ctx.db)
        .await?;
    Ok(page
        .into_iter()
        .map(|d| {
            let mine = attempts
                .iter()
                .filter(|a| a.delivery_id == d.id)
                .cloned()
                .collect();
            (d, mine)
        })
        .collect())
}

/// Cut the notifications due for every active webhook.
pub async fn dispatch(
    db: &DatabaseConnection,
    max_attempts: i32,
    now: DateTime<Utc>,
) -> Result<Dispatched, CoreError> {
    let hooks = webhooks::Entity::find()
        .filter(webhooks::Column::Active.eq(true))
        .all(db)
        .await?;
    let mut out = Dispatched::default();
    // Each webhook is cut on its own: one whose read fails (its client's organisation gone, a
    // transient error) must not hold back every other client's notifications.
    for hook in hooks {
        match dispatch_one(db, &hook, max_attempts, now).await {
            Ok(true) => out.made += 1,
            Ok(false) => {}
            Err(err) => out.failed.push((hook.id, err)),
        }
    }
    Ok(out)
}

/// What one pass of [`dispatch`] did: deliveries made, and the webhooks it could not cut this
/// time (left for the next pass; the caller logs them).
#[derive(Debug, Default)]
pub struct Dispatched {
    pub made: u64,
    pub failed: Vec<(Uuid, CoreError)>,
}

/// One delivery of the changes after `hook`'s cursor, if there are any and no other process
/// made it first.
async fn dispatch_one(
    db: &DatabaseConnection,
    hook: &webhooks::Model,
    max_attempts: i32,
    now: DateTime<Utc>,
) -> Result<bool, CoreError> {
    let Some(client) = api_clients::Entity::find_by_id(hook.client_id)
        .one(db)
        .await?
        .filter(|c| c.active)
    else {
        return Ok(false);
    };
    let Some(org) = orgs::Entity::find_by_id(client.org_id).one(db).await? else {
        return Ok(false);
    };
    let kinds: Vec<&str> = hook.kinds.split(',').collect();
    let after = Cursor {
        txid: hook.cursor_txid,
        seq: hook.cursor_seq,
    };
    let read = changelog::read_within(
        db,
        &Scope::of(&org, db.get_database_backend()),
        &kinds,
        after,
        MAX_CHANGES,
    )
    .await?;
    // Looked at after the read, as the feed does: a pruning that removed changes the read
    // needed has committed its horizon by then. A cursor behind it (the dispatcher stopped for
    // longer than the retention, or this webhook's reads kept failing) lost changes that were
    // never notified; the notification says so, even with nothing after them, and the client
    // resyncs rather than trusting the hints.
    let expired = changelog::horizon(db)
        .await?
        .filter(|horizon| after < *horizon);
    let Some(last) = read.last().map(changelog::Change::cursor).or(expired) else {
        return Ok(false);
    };
    let id = Uuid::now_v7();
    let mut payload = json!({
        "id": id,
        "webhook_id": hook.id,
        "created_at": now,
        "changes": read.iter().map(|c| json!({
            "kind": c.kind, "id": c.record_id, "op": c.op, "version": c.version,
            "cursor": c.cursor().token(),
        })).collect::<Vec<_>>(),
        "next_cursor": last.token(),
        "cursor_expired": expired.is_some(),
    });
    if expired.is_some() {
        payload["resync"] = json!(super::RESYNC);
    }
    let payload = payload.to_string();
    let txn = db.begin().await?;
    webhook_deliveries::Entity::insert(webhook_deliveries::ActiveModel {
        id: Set(id),
        webhook_id: Set(hook.id),
        status: Set(PENDING.to_owned()),
        changes: Set(i32::try_from(read.len()).unwrap_or(i32::MAX)),
        payload: Set(payload),
        attempts: Set(0),
        last_status_code: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        delivered_at: Set(None),
    })
    .exec_without_returning(&txn)
    .await?;
    let moved = webhooks::Entity::update_many()
        .col_expr(webhooks::Column::CursorTxid, Expr::value(last.txid))
        .col_expr(webhooks::Column::CursorSeq, Expr::value(last.seq))
        .filter(webhooks::Column::Id.eq(hook.id))
        .filter(webhooks::Column::Active.eq(true))
        .filter(webhooks::Column::CursorTxid.eq(hook.cursor_txid))
        .filter(webhooks::Column::CursorSeq.eq(hook.cursor_seq))
        .exec(&txn)
        .await?;
    if moved.rows_affected == 0 {
        txn.rollback().await?;
        return Ok(false);
    }
    let principal = Actor {
        kind: "client",
        id: Some(client.id),
        name: Some(client.name.clone()),
        org_id: Some(client.org_id),
        request_id: None,
        client_ip: None,
    };
    let job = NewJob {
        kind: DELIVER_JOB,
        params: json!({ "delivery_id": id }),
        payload: None,
        max_attempts,
    };
    jobs::enqueue(&txn, &principal, job, now).await?;
    txn.commit().await?;
    Ok(true)
}

/// A delivery to post, with its webhook, if it is the caller's.
pub async fn delivery(
    db: &DatabaseConnection,
    client: Uuid,
    id: Uuid,
) -> Result<(webhook_deliveries::Model, webhooks::Model), CoreError> {
    let d = webhook_deliveries::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(CoreError::NotFound)?;
    let hook = webhooks::Entity::find_by_id(d.webhook_id)
        .filter(webhooks::Column::ClientId.eq(client))
        .one(db)
        .await?
        .ok_or(CoreError::NotFound)?;
    Ok((d, hook))
}

/// What one try got from the endpoint.
pub struct Attempt {
    pub at: DateTime<Utc>,
    pub status_code: Option<u16>,
    pub error: Option<String>,
    pub duration_ms: u64,
}

impl Attempt {
    pub fn succeeded(&self) -> bool {
        self.status_code.is_some_and(|s| (200..300).contains(&s))
    }
}

/// Keep a try, and the delivery's state after it: `delivered`, `failed` when it was the last
/// try allowed, or still `pending`.
pub async fn record_attempt(
    db: &DatabaseConnection,
    delivery: Uuid,
    attempt: &Attempt,
    last: bool,
) -> Result<(), CoreError> {
    let error: Option<String> = attempt
        .error
        .as_ref()
        .map(|e| e.chars().take(500).collect());
    let status = if attempt.succeeded() {
        DELIVERED
    } else if last {
        FAILED
    } else {
        PENDING
    };
    let txn = db.begin().await?;
    webhook_attempts::Entity::insert(webhook_attempts::ActiveModel {
        id: Set(Uuid::now_v7()),
        delivery_id: Set(delivery),
        attempted_at: Set(attempt.at),
        status_code: Set(attempt.status_code.map(i32::from)),
        error: Set(error.clone()),
        duration_ms: Set(i32::try_from(attempt.duration_ms).unwrap_or(i32::MAX)),
    })
    .exec_without_returning(&txn)
    .await?;
    let mut update = webhook_deliveries::Entity::update_many()
        .col_expr(webhook_deliveries::Column::Status, Expr::value(status))
        .col_expr(
            webhook_deliveries::Column::Attempts,
            Expr::col(webhook_deliveries::Column::Attempts).add(1),
        )
        .col_expr(
            webhook_deliveries::Column::LastStatusCode,
            Expr::value(attempt.status_code.map(i32::from)),
        )
        .col_expr(webhook_deliveries::Column::LastError, Expr::value(error));
    if attempt.succeeded() {
        update = update.col_expr(
            webhook_deliveries::Column::DeliveredAt,
            Expr::value(attempt.at),
        );
    }
    update
        .filter(webhook_deliveries::Column::Id.eq(delivery))
        .filter(webhook_deliveries::Column::Status.eq(PENDING))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(())
}

/// Cancel every pending delivery of `client`'s webhooks, in the unit of work that disables it: a
/// disabled client is sent nothing more (its jobs would be refused as a disabled principal, and
/// the deliveries would stay `pending` for ever).
pub async fn cancel_for_client(db: &impl ConnectionTrait, client: Uuid) -> Result<u64, CoreError> {
    let hooks = sea_orm::sea_query::Query::select()
        .column(webhooks::Column::Id)
        .from(webhooks::Entity)
        .and_where(Expr::col(webhooks::Column::ClientId).eq(client))
        .to_owned();
    let done = webhook_deliveries::Entity::update_many()
        .col_expr(webhook_deliveries::Column::Status, Expr::value(CANCELLED))
        .filter(webhook_deliveries::Column::WebhookId.in_subquery(hooks))
        .filter(webhook_deliveries::Column::Status.eq(PENDING))
        .exec(db)
        .await?;
    Ok(done.rows_affected)
}

/// Mark a delivery of a removed webhook cancelled.
pub async fn cancel(db: &DatabaseConnection, delivery: Uuid) -> Result<(), CoreError> {
    webhook_deliveries::Entity::update_many()
        .col_expr(webhook_deliveries::Column::Status, Expr::value(CANCELLED))
        .filter(webhook_deliveries::Column::Id.eq(delivery))
        .filter(webhook_deliveries::Column::Status.eq(PENDING))
        .exec(db)
        .await?;
    Ok(())
}

/// The `Siji-Signature` header of a body sent at `timestamp` (seconds since the epoch):
/// `t=<timestamp>,v1=<hex HMAC-SHA256 of "<timestamp>.<body>" under the secret>`. A receiver
/// computes the same over the raw body, compares in constant time, and refuses a timestamp
/// more than a few minutes old (a replay).
pub fn signature(secret: &str, timestamp: i64, body: &str) -> Result<String, CoreError> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .map_err(|_| CoreError::Internal("an unusable signing secret".into()))?;
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(format!("t={timestamp},v1={hex}"))
}

/// The kinds a webhook follows.
pub fn kinds_of(hook: &webhooks::Model) -> Vec<ChangeKind> {
    hook.kinds
        .split(',')
        .filter_map(ChangeKind::parse)
        .collect()
}
