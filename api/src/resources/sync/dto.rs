//! Request and response types of the change feed.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

pub use siji_core::sync::ChangeKind;

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ChangesQuery {
    /// `next_cursor` (or a change's `cursor`) of an earlier answer; none to start from the
    /// beginning of the log.
    #[validate(length(min = 1, max = 200))]
    #[param(min_length = 1, max_length = 200)]
    pub cursor: Option<String>,
    /// Comma-separated kinds to follow (`worker,enterprise`): `org`, `enterprise`, `worker`,
    /// `beneficiary`, `wage_agreement`. Default: every kind your roles may read; asking for a
    /// kind they may not read is 403.
    #[validate(length(min = 1, max = 100))]
    #[param(min_length = 1, max_length = 100, pattern = r"^[a-z_]+(,[a-z_]+)*$")]
    pub kinds: Option<String>,
    /// Changes per answer, 1–1000 (default 100).
    #[validate(range(min = 1, max = 1000))]
    #[param(minimum = 1, maximum = 1000, default = 100)]
    pub limit: Option<u32>,
}

/// One committed change of a record.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangeResponse {
    /// Where to resume right after this change.
    pub cursor: String,
    pub kind: ChangeKind,
    /// The record's id.
    pub id: Uuid,
    /// The organisation that keeps the record after the change.
    pub org_id: Uuid,
    /// `create`, `update`, `archive`, `restore`, or `state` (a lifecycle step: an archive
    /// verified, an agreement signed, an organisation moved, …; `action` says which).
    pub op: String,
    /// The audited action that made the change, e.g. `worker.update`, `beneficiary.verify`.
    pub action: String,
    /// The record's version right after the change.
    pub version: i32,
    pub changed_at: DateTime<Utc>,
    /// The record as `GET /api/v1/{kind}s/{id}` shows it now (personal data masked): its
    /// `version` may be newer than the change's when later changes follow in the feed. `null`
    /// (a tombstone) when the record is no longer in your subtree.
    #[schema(value_type = Option<Object>)]
    pub record: Option<serde_json::Value>,
}

/// One answer of the change feed.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "changes": [{
        "cursor": "WzEyMzQsNTZd", "kind": "worker", "id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f12",
        "org_id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0a01", "op": "update",
        "action": "worker.update", "version": 2, "changed_at": "2026-11-28T08:00:00Z",
        "record": {"id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f12", "name": "张三",
                   "id_number": "110105********002X", "version": 2}
    }],
    "next_cursor": "WzEyMzQsNTZd",
    "has_more": false
}))]
pub struct ChangesPage {
    /// In commit order.
    pub changes: Vec<ChangeResponse>,
    /// Where to ask next: after the last change here, or the cursor you sent when there is
    /// none. Always present: keep it.
    pub next_cursor: String,
    /// The answer is full: ask again at once. When `false`, you are at the end of what is
    /// committed; ask again after a pause.
    pub has_more: bool,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SnapshotQuery {
    /// The kind of record to copy.
    pub kind: ChangeKind,
    /// `next_cursor` of the previous page; none to start.
    #[validate(length(min = 1, max = 200))]
    #[param(min_length = 1, max_length = 200)]
    pub cursor: Option<String>,
    /// Records per page, 1–1000 (default 100).
    #[validate(range(min = 1, max = 1000))]
    #[param(minimum = 1, maximum = 1000, default = 100)]
    pub limit: Option<u32>,
}

/// One page of a full resync.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "kind": "worker",
    "records": [{"id": "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e0f12", "name": "张三",
                 "id_number": "110105********002X", "status": "active", "version": 3}],
    "next_cursor": "WzEyMzQsNTYsIjAxOTNhNWIyIl0",
    "feed_cursor": "WzEyMzQsNTZd"
}))]
pub struct SnapshotPage {
    pub kind: ChangeKind,
    /// The records, in id order, each as its own `GET` shows it (archived ones too).
    #[schema(value_type = Vec<Object>)]
    pub records: Vec<serde_json::Value>,
    /// The next page; `null` on the last.
    pub next_cursor: Option<String>,
    /// Where to follow `GET /api/v1/sync/changes` from once the last page is in: the same on
    /// every page of one resync.
    pub feed_cursor: String,
}
