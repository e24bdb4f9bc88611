//! The change log of synced records (see the `change_log` migration for why it is built this
//! way): appended in the transaction of every change, read by a cursor that never skips one.
//!
//! Appending happens in one place, beside the audit event (`audit::record`): every audited
//! action on a synced kind is a change unless it only reads (a reveal), so a new operation cannot
//! forget its change-log entry by forgetting a line.

use chrono::Utc;
use entity::change_log;
use sea_orm::{
    ActiveValue::Set, ConnectionTrait, DatabaseBackend, DbErr, EntityTrait, FromQueryResult,
    Statement, TransactionTrait,
};
use uuid::Uuid;

use crate::tenancy::Scope;

/// The record kinds whose changes are logged.
pub const SYNCED_KINDS: [&str; 5] = [
    "org",
    "enterprise",
    "worker",
    "beneficiary",
    "wage_agreement",
];

/// Whether an audited action changes its record (reveals and exports only read).
fn is_change(action: &str) -> bool {
    !(action.ends_with("reveal") || action.ends_with(".export"))
}

fn op_of(action: &str) -> &'static str {
    match action.rsplit('.').next() {
        Some("create") => "create",
        Some("update") => "update",
        Some("archive") => "archive",
        Some("restore") => "restore",
        _ => "state",
    }
}

/// The organisation that keeps a record and its version now (after the change, in its
/// transaction).
async fn owner_and_version(
    conn: &impl ConnectionTrait,
    kind: &str,
    id: Uuid,
) -> Result<Option<(Uuid, i32)>, DbErr> {
    use entity::{beneficiaries, enterprises, orgs, wage_agreements, workers};
    Ok(match kind {
        "org" => orgs::Entity::find_by_id(id)
            .one(conn)
            .await?
            .map(|r| (r.id, r.version)),
        "enterprise" => enterprises::Entity::find_by_id(id)
            .one(conn)
            .await?
            .map(|r| (r.org_id, r.version)),
        "worker" => workers::Entity::find_by_id(id)
            .one(conn)
            .await?
            .map(|r| (r.org_id, r.version)),
        "beneficiary" => beneficiaries::Entity::find_by_id(id)
            .one(conn)
            .await?
            .map(|r| (r.org_id, r.version)),
        "wage_agreement" => wage_agreements::Entity::find_by_id(id)
            .one(conn)
            .await?
            .map(|r| (r.org_id, r.version)),
        _ => None,
    })
}

/// One change-log row; the database numbers it and stamps its transaction.
fn entry(
    kind: &str,
    record_id: Uuid,
    org_id: Uuid,
    action: &str,
    version: i32,
    at: chrono::DateTime<Utc>,
) -> change_log::ActiveModel {
    change_log::ActiveModel {
        kind: Set(kind.to_owned()),
        record_id: Set(record_id),
        org_id: Set(org_id),
        op: Set(op_of(action).to_owned()),
        action: Set(action.to_owned()),
        version: Set(version),
        changed_at: Set(at),
        ..Default::default()
    }
}

/// Append the change an audited action made, if it is one (called by `audit::record`).
pub async fn append(
    conn: &impl ConnectionTrait,
    kind: &str,
    id: &str,
    action: &str,
) -> Result<(), DbErr> {
    if !SYNCED_KINDS.contains(&kind) || !is_change(action) {
        return Ok(());
    }
    let Ok(id) = Uuid::parse_str(id) else {
        return Ok(());
    };
    let Some((org_id, version)) = owner_and_version(conn, kind, id).await? else {
        return Ok(());
    };
    change_log::Entity::insert(entry(kind, id, org_id, action, version, Utc::now()))
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// Append the creations of many synced records whose owner and version are known (a bulk
/// registration), in multi-row statements.
pub async fn append_created(
    conn: &impl ConnectionTrait,
    created: Vec<(&str, Uuid, &str, Uuid, i32)>,
) -> Result<(), DbErr> {
    let now = Utc::now();
    let rows: Vec<change_log::ActiveModel> = created
        .into_iter()
        .filter(|(kind, ..)| SYNCED_KINDS.contains(kind))
        .map(|(kind, record_id, action, org_id, version)| {
            entry(kind, record_id, org_id, action, version, now)
        })
        .collect();
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<_> = rows.by_ref().take(4000).collect();
        change_log::Entity::insert_many(chunk)
            .exec_without_returning(conn)
            .await?;
    }
    Ok(())
}

/// Where a reader is: after the change (transaction id, seq). Start at [`Cursor::START`].
/// Ordered as the log is (on SQLite `txid` is always 0, so `seq` alone orders).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Cursor {
    pub txid: i64,
    pub seq: i64,
}

impl Cursor {
    pub const START: Cursor = Cursor { txid: 0, seq: 0 };

    /// The cursor as clients hold it: opaque, URL-safe (base64 of `[txid, seq]`).
    pub fn token(self) -> String {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(format!("[{},{}]", self.txid, self.seq))
    }
}

/// One logged change.
#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
pub struct Change {
    pub seq: i64,
    pub txid: i64,
    pub kind: String,
    pub record_id: Uuid,
    pub org_id: Uuid,
    pub op: String,
    pub action: String,
    pub version: i32,
    pub changed_at: chrono::DateTime<Utc>,
}

impl Change {
    pub fn cursor(&self) -> Cursor {
        Cursor {
            txid: self.txid,
            seq: self.seq,
        }
    }
}

/// Up to `limit` changes after `after`, in order, never one whose transaction might still be
/// followed by an earlier one. Following the cursor of the last change returned sees every
/// committed change exactly once.
pub async fn read(
    conn: &impl ConnectionTrait,
    after: Cursor,
    limit: u64,
) -> Result<Vec<Change>, DbErr> {
    read_filtered(conn, None, after, limit).await
}

/// [`read`], of the records of `kinds` kept in `scope` only. A record moved out of the subtree
/// is kept by its new organisation from that change on, so the change that moved it is not here.
pub async fn read_within(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    kinds: &[&str],
    after: Cursor,
    limit: u64,
) -> Result<Vec<Change>, DbErr> {
    read_filtered(conn, Some((scope, kinds)), after, limit).await
}

async fn read_filtered(
    conn: &impl ConnectionTrait,
    filter: Option<(&Scope, &[&str])>,
    after: Cursor,
    limit: u64,
) -> Result<Vec<Change>, DbErr> {
    match read_statement(conn.get_database_backend(), filter, after, limit) {
        Some(statement) => Change::find_by_statement(statement).all(conn).await,
        None => Ok(Vec::new()),
    }
}

/// The statement [`read`] and [`read_within`] send (`None`: no kind asked for, nothing to
/// read); public so that a test can hold its plan. On PostgreSQL it is written to be read in
/// the order of the `(txid, seq)` index, from the cursor, stopping at `limit`: the `ORDER BY`
/// names the table's columns, since the bare `txid` would be the output column (the id cast to
/// a `bigint`), which no index is ordered by — PostgreSQL then sorted every change after the
/// cursor in the scope for each page (160–190 ms a page of a county's feed on the
/// million-worker city, 2.5–4.6 ms now).
pub fn read_statement(
    backend: DatabaseBackend,
    filter: Option<(&Scope, &[&str])>,
    after: Cursor,
    limit: u64,
) -> Option<Statement> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let (mut sql, mut values): (String, Vec<sea_orm::Value>) = match backend {
        DatabaseBackend::Postgres => (
            "SELECT seq, txid::text::bigint AS txid, kind, record_id, org_id, op, action, \
             version, changed_at FROM change_log \
             WHERE (txid, seq) > ($1::text::xid8, $2) \
               AND txid < pg_snapshot_xmin(pg_current_snapshot())"
                .to_owned(),
            vec![after.txid.to_string().into(), after.seq.into()],
        ),
        _ => (
            "SELECT seq, txid, kind, record_id, org_id, op, action, version, changed_at \
             FROM change_log WHERE seq > $1"
                .to_owned(),
            vec![after.seq.into()],
        ),
    };
    let next = |values: &mut Vec<sea_orm::Value>, value: sea_orm::Value| {
        values.push(value);
        format!("${}", values.len())
    };
    if let Some((scope, kinds)) = filter {
        let (low, high) = scope.path_range();
        let (low, high) = (
            next(&mut values, low.into()),
            next(&mut values, high.into()),
        );
        sql.push_str(" AND ");
        sql.push_str(&scope.contains_sql("change_log.org_id", &low, &high));
        let kinds: Vec<String> = kinds
            .iter()
            .map(|k| next(&mut values, (*k).to_owned().into()))
            .collect();
        if kinds.is_empty() {
            return None;
        }
        sql.push_str(&format!(" AND kind IN ({})", kinds.join(", ")));
    }
    let limit = next(&mut values, limit.into());
    sql.push_str(&match backend {
        DatabaseBackend::Postgres => {
            format!(" ORDER BY change_log.txid, change_log.seq LIMIT {limit}")
        }
        _ => format!(" ORDER BY seq LIMIT {limit}"),
    });
    Some(Statement::from_sql_and_values(backend, sql, values))
}

/// How far the log has been pruned: a reader before this position has missed changes.
pub async fn horizon(conn: &impl ConnectionTrait) -> Result<Option<Cursor>, DbErr> {
    #[derive(FromQueryResult)]
    struct Row {
        txid: i64,
        seq: i64,
    }
    let backend = conn.get_database_backend();
    Ok(Row::find_by_statement(Statement::from_string(
        backend,
        "SELECT txid, seq FROM change_log_horizon WHERE id = 1",
    ))
    .one(conn)
    .await?
    .map(|r| Cursor {
        txid: r.txid,
        seq: r.seq,
    }))
}

/// Delete the changes made before `before` from the front of the log, and move the horizon to
/// the last one deleted, in one transaction: a reader either still finds a change or is told
/// its cursor expired, never neither. The log stays a suffix of itself (everything up to the
/// last old change goes, so a change of a long transaction that sorts early goes with it).
/// Safe to run from several processes at once: the horizon only moves forward.
pub async fn prune(
    db: &sea_orm::DatabaseConnection,
    before: chrono::DateTime<Utc>,
) -> Result<u64, DbErr> {
    #[derive(FromQueryResult)]
    struct Last {
        txid: i64,
        seq: i64,
    }
    let txn = db.begin().await?;
    let backend = txn.get_database_backend();
    let last = match backend {
        DatabaseBackend::Postgres => Statement::from_sql_and_values(
            backend,
            // The table's columns, as in `read_statement`: in index order, not sorted.
            "SELECT txid::text::bigint AS txid, seq FROM change_log \
             WHERE changed_at < $1 AND txid < pg_snapshot_xmin(pg_current_snapshot()) \
             ORDER BY change_log.txid DESC, change_log.seq DESC LIMIT 1",
            [before.into()],
        ),
        _ => Statement::from_sql_and_values(
            backend,
            "SELECT txid, seq FROM change_log WHERE changed_at < $1 ORDER BY seq DESC LIMIT 1",
            [before.into()],
        ),
    };
    let Some(last) = Last::find_by_statement(last).one(&txn).await? else {
        return Ok(0);
    };
    txn.execute_raw(Statement::from_sql_and_values(
        backend,
        "INSERT INTO change_log_horizon (id, txid, seq, pruned_at) VALUES (1, $1, $2, $3) \
         ON CONFLICT (id) DO UPDATE SET txid = excluded.txid, seq = excluded.seq, \
         pruned_at = excluded.pruned_at \
         WHERE (change_log_horizon.txid, change_log_horizon.seq) < (excluded.txid, excluded.seq)",
        [last.txid.into(), last.seq.into(), Utc::now().into()],
    ))
    .await?;
    let deleted = txn
        .execute_raw(match backend {
            DatabaseBackend::Postgres => Statement::from_sql_and_values(
                backend,
                "DELETE FROM change_log WHERE (txid, seq) <= ($1::text::xid8, $2)",
                [last.txid.to_string().into(), last.seq.into()],
            ),
            _ => Statement::from_sql_and_values(
                backend,
                "DELETE FROM change_log WHERE seq <= $1",
                [last.seq.into()],
            ),
        })
        .await?
        .rows_affected();
    txn.commit().await?;
    Ok(deleted)
}

/// The position of the last change a reader can see now: a reader starting here misses nothing
/// that commits later (a transaction still running has an id at or above the oldest running
/// one, so it sorts after). Where a full resync hands over to the feed.
pub async fn head(conn: &impl ConnectionTrait) -> Result<Cursor, DbErr> {
    #[derive(FromQueryResult)]
    struct Head {
        txid: i64,
        seq: i64,
    }
    let head = Head::find_by_statement(head_statement(conn.get_database_backend()))
        .one(conn)
        .await?
        .map_or(Cursor::START, |h| Cursor {
            txid: h.txid,
            seq: h.seq,
        });
    // A log pruned empty still starts after what it pruned.
    Ok(head.max(horizon(conn).await?.unwrap_or(Cursor::START)))
}

/// The statement [`head`] sends; public so that a test can hold its plan. The `ORDER BY` names
/// the table's columns, as in [`read_statement`]: the last change by the index, not by sorting
/// the whole log (230 ms on the million-worker city, 0.05 ms now).
pub fn head_statement(backend: DatabaseBackend) -> Statement {
    let sql = match backend {
        DatabaseBackend::Postgres => {
            "SELECT txid::text::bigint AS txid, seq FROM change_log \
             WHERE txid < pg_snapshot_xmin(pg_current_snapshot()) \
             ORDER BY change_log.txid DESC, change_log.seq DESC LIMIT 1"
        }
        _ => "SELECT txid, seq FROM change_log ORDER BY seq DESC LIMIT 1",
    };
    Statement::from_string(backend, sql)
}
