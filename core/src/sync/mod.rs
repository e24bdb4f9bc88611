//! County sync, the pull side: the change feed of the synced records in a caller's subtree, read
//! from the change log (see `changelog` for why a reader that follows the cursor never skips a
//! change). The feed hands out ids, operations and versions; the API layer shows each record as
//! its own endpoint does, so the feed can never show more than a `GET` would.

use serde::{Deserialize, Serialize};

use crate::access::{Permission, grants};
use crate::changelog::{self, Change, Cursor};
use crate::{Context, CoreError};

pub mod push;
pub mod webhooks;

/// A kind of record in the feed, as the change log names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    Org,
    Enterprise,
    Worker,
    Beneficiary,
    WageAgreement,
}

impl ChangeKind {
    pub const ALL: [ChangeKind; 5] = [
        ChangeKind::Org,
        ChangeKind::Enterprise,
        ChangeKind::Worker,
        ChangeKind::Beneficiary,
        ChangeKind::WageAgreement,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Org => "org",
            ChangeKind::Enterprise => "enterprise",
            ChangeKind::Worker => "worker",
            ChangeKind::Beneficiary => "beneficiary",
            ChangeKind::WageAgreement => "wage_agreement",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == value)
    }

    /// What a caller needs to read records of this kind anywhere else in the API.
    pub fn read_permission(self) -> Permission {
        match self {
            ChangeKind::Org => crate::registry::orgs::READ,
            ChangeKind::Enterprise => crate::registry::enterprises::READ,
            ChangeKind::Worker => crate::registry::workers::READ,
            ChangeKind::Beneficiary => crate::archive::READ,
            ChangeKind::WageAgreement => crate::agreements::READ,
        }
    }
}

/// The most changes one page of the feed holds.
pub const MAX_LIMIT: u64 = 1000;
/// Where a client whose cursor fell behind the log's horizon copies the records again (全量同步),
/// to follow the feed from the copy's `feed_cursor`.
pub const RESYNC: &str = "/api/v1/sync/snapshot";

/// One page of the feed: the changes, and where to go on from.
#[derive(Debug)]
pub struct FeedPage {
    pub changes: Vec<(ChangeKind, Change)>,
    /// After the last change returned, or where the reader was when there was none.
    pub next: Cursor,
    /// The page is full: more may be readable at once.
    pub has_more: bool,
}

/// The changes after `after` of the records of `kinds` (all the caller may read when `None`)
/// kept in the caller's subtree, in commit order. Asking for a kind the caller may not read is
/// refused (and audited) rather than silently left out, so a client never mistakes a missing
/// permission for a quiet feed.
pub async fn changes(
    ctx: &Context<'_>,
    kinds: Option<&[ChangeKind]>,
    after: Cursor,
    limit: u64,
) -> Result<FeedPage, CoreError> {
    let kinds: Vec<ChangeKind> = match kinds {
        Some(asked) => {
            for kind in asked {
                may_read(ctx, *kind).await?;
            }
            asked.to_vec()
        }
        None => ChangeKind::ALL
            .into_iter()
            .filter(|k| grants(ctx.roles(), k.read_permission()))
            .collect(),
    };
    if kinds.is_empty() {
        return Err(CoreError::Forbidden(
            "your roles may read none of the synced kinds".into(),
        ));
    }
    let names: Vec<&'static str> = kinds.iter().map(|k| k.as_str()).collect();
    let limit = limit.clamp(1, MAX_LIMIT);
    let read = changelog::read_within(ctx.db, ctx.scope(), &names, after, limit).await?;
    // Looked at after the read: a pruning that removed changes this read needed has committed
    // its horizon by then.
    if changelog::horizon(ctx.db)
        .await?
        .is_some_and(|horizon| after < horizon)
    {
        return Err(CoreError::CursorExpired);
    }
    let has_more = read.len() as u64 == limit;
    let next = read.last().map_or(after, Change::cursor);
    let changes = read
        .into_iter()
        .filter_map(|c| ChangeKind::parse(&c.kind).map(|k| (k, c)))
        .collect();
    Ok(FeedPage {
        changes,
        next,
        has_more,
    })
}

/// Where the feed takes over from a full resync (快照) of `kind`: the feed's head now. Records
/// the snapshot then reads may already show changes the feed gives again from here; a client
/// skips a change whose version it already holds.
pub async fn snapshot_start(ctx: &Context<'_>, kind: ChangeKind) -> Result<Cursor, CoreError> {
    may_read(ctx, kind).await?;
    Ok(changelog::head(ctx.db).await?)
}

/// Forbidden (and audited) unless the caller may read records of `kind`.
pub async fn may_read(ctx: &Context<'_>, kind: ChangeKind) -> Result<(), CoreError> {
    ctx.require(kind.read_permission()).await
}
