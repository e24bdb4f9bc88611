//! Organisations (工会组织): the tree every scope is cut from. Creating, correcting and moving
//! a node (with its whole subtree, in one statement) are operations here, as are the scoped
//! reads every other area uses.

use chrono::Utc;
use entity::orgs::{self, Column};
use sea_orm::sea_query::{BinOper, Expr, ExprTrait, Func};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
};
use uuid::Uuid;

use crate::CoreError;
use crate::access::Permission;
use crate::audit::Event;
use crate::context::Context;
use crate::enums::string_enum;
use crate::tenancy::Scope;
use crate::versioning;

/// What these operations need, declared once: the operations check it and the HTTP layer's
/// document (`x-permission`) is written from it.
pub const WRITE: Permission = Permission::OrgsWrite;
pub const READ: Permission = Permission::OrgsRead;

string_enum!(
    /// The level of a node in the union organisation tree (工会三级组织网络).
    #[derive(PartialOrd, Ord)]
    OrgLevel {
        /// City federation of trade unions (市总工会): the root.
        City = "city",
        /// County or district federation (县市区总工会).
        County = "county",
        /// Township or street union (乡镇(街道)工会).
        Township = "township",
        /// Enterprise union (企业工会).
        Enterprise = "enterprise",
    }
);

impl OrgLevel {
    /// A node's level must be strictly below its parent's (an enterprise union may sit under a
    /// township, a county or the city directly).
    pub fn may_be_child_of(self, parent: OrgLevel) -> bool {
        self > parent
    }

    fn of(org: &orgs::Model) -> Self {
        Self::parse(&org.level).unwrap_or(OrgLevel::Enterprise)
    }
}

/// One org of the scope, or `None` whether it does not exist or lies outside.
pub async fn find(
    db: &impl ConnectionTrait,
    scope: &Scope,
    id: Uuid,
) -> Result<Option<orgs::Model>, DbErr> {
    scope.orgs().filter(Column::Id.eq(id)).one(db).await
}

/// The whole subtree under `root`, in path order (parents before children).
pub async fn subtree(
    db: &impl ConnectionTrait,
    root: &orgs::Model,
) -> Result<Vec<orgs::Model>, DbErr> {
    Scope::of(root, db.get_database_backend())
        .orgs()
        .order_by_asc(Column::Path)
        .all(db)
        .await
}

/// Re-root `org`'s subtree under `parent`: one statement rewrites every descendant's path and
/// depth. Conditional on `org`'s version; false when someone else changed it first.
pub async fn move_subtree(
    db: &impl ConnectionTrait,
    org: &orgs::Model,
    parent: &orgs::Model,
) -> Result<bool, DbErr> {
    let new_path = format!("{}{}/", parent.path, org.id);
    let depth_delta = parent.depth + 1 - org.depth;
    let moved = orgs::Entity::update_many()
        .col_expr(Column::ParentId, Expr::value(parent.id))
        .col_expr(Column::UpdatedAt, Expr::value(Utc::now()))
        .col_expr(Column::Version, Expr::col(Column::Version).add(1))
        .filter(Column::Id.eq(org.id))
        .filter(Column::Version.eq(org.version))
        .exec(db)
        .await?;
    if moved.rows_affected != 1 {
        return Ok(false);
    }
    // The WHERE clause sees the old paths, so the one statement moves the whole subtree.
    let old_len = i32::try_from(org.path.len())
        .map_err(|_| DbErr::Custom("an organisation path is too long".into()))?;
    orgs::Entity::update_many()
        .col_expr(
            Column::Path,
            Expr::val(new_path).binary(
                BinOper::Custom("||"),
                Func::cust("substr")
                    .arg(Expr::col(Column::Path))
                    .arg(old_len + 1),
            ),
        )
        .col_expr(Column::Depth, Expr::col(Column::Depth).add(depth_delta))
        .filter(Scope::of(org, db.get_database_backend()).orgs_condition())
        .exec(db)
        .await?;
    Ok(true)
}

/// A new org row under `parent`.
pub fn new_org(
    parent: &orgs::Model,
    level: &str,
    name: String,
    division_code: String,
    uscc: Option<String>,
) -> orgs::ActiveModel {
    let id = Uuid::now_v7();
    let now = Utc::now();
    orgs::ActiveModel {
        id: Set(id),
        parent_id: Set(Some(parent.id)),
        level: Set(level.to_owned()),
        name: Set(name),
        division_code: Set(division_code),
        uscc: Set(uscc),
        path: Set(format!("{}{id}/", parent.path)),
        depth: Set(parent.depth + 1),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
}

/// Condition "owned within the subtree of `within`". An org outside the caller's scope (or
/// missing) matches nothing, so a filter cannot reveal whether it exists.
pub async fn subtree_condition(
    db: &impl ConnectionTrait,
    scope: &Scope,
    within: Uuid,
    org_column: impl ColumnTrait,
) -> Result<sea_orm::Condition, DbErr> {
    Ok(match find(db, scope, within).await? {
        Some(org) => sea_orm::Condition::all().add(scope.at(&org).owns(org_column)),
        None => sea_orm::Condition::all()
            .add(org_column.is_null())
            .add(org_column.is_not_null()),
    })
}

/// An organisation to add under a parent of the scope.
pub struct NewOrg {
    pub parent_id: Uuid,
    pub level: OrgLevel,
    pub name: String,
    pub division_code: String,
    pub uscc: Option<String>,
}

/// Add an organisation below a parent in the scope, at a level below the parent's.
pub async fn create(ctx: &Context<'_>, new: NewOrg) -> Result<orgs::Model, CoreError> {
    ctx.require(WRITE).await?;
    let work = ctx.begin().await?;
    let parent = find(work.conn(), ctx.scope(), new.parent_id)
        .await?
        .ok_or(CoreError::NotFound)?;
    let parent_level = OrgLevel::of(&parent);
    if !new.level.may_be_child_of(parent_level) {
        return Err(CoreError::field(
            "level",
            "below_parent",
            format!(
                "must be below the parent's level ({})",
                parent_level.as_str()
            ),
        ));
    }
    let mut row = new_org(
        &parent,
        new.level.as_str(),
        new.name,
        new.division_code,
        new.uscc.map(|u| u.to_uppercase()),
    );
    let now = ctx.clock.now();
    row.created_at = Set(now);
    row.updated_at = Set(now);
    let org = orgs::Entity::insert(row)
        .exec_with_returning(work.conn())
        .await?;
    let changes = serde_json::json!({ "parent_id": parent.id, "level": org.level, "name": org.name, "division_code": org.division_code });
    work.record(Event::new("org.create").on("org", org.id).changes(changes))
        .await?;
    work.commit().await?;
    Ok(org)
}

/// Corrections to an organisation; `uscc: Some(None)` removes the code.
pub struct OrgChanges {
    pub name: Option<String>,
    pub division_code: Option<String>,
    pub uscc: Option<Option<String>>,
}

/// Rename an organisation or correct its division code or USCC, at the version read.
pub async fn update(
    ctx: &Context<'_>,
    id: Uuid,
    expected_version: Option<i32>,
    c: OrgChanges,
) -> Result<orgs::Model, CoreError> {
    ctx.require(WRITE).await?;
    let work = ctx.begin().await?;
    let org = find(work.conn(), ctx.scope(), id)
        .await?
        .ok_or(CoreError::NotFound)?;
    versioning::expect(expected_version, org.version)?;
    let mut change = versioning::update::<orgs::Entity>(org.id, org.version, ctx.clock.now());
    let mut changes = serde_json::Map::new();
    if let Some(name) = c.name {
        changes.insert("name".into(), serde_json::json!(name));
        change = change.col_expr(Column::Name, Expr::value(name));
    }
    if let Some(code) = c.division_code {
        changes.insert("division_code".into(), serde_json::json!(code));
        change = change.col_expr(Column::DivisionCode, Expr::value(code));
    }
    if let Some(uscc) = c.uscc {
        let uscc = uscc.map(|u| u.to_uppercase());
        changes.insert("uscc".into(), serde_json::json!(uscc));
        change = change.col_expr(Column::Uscc, Expr::value(uscc));
    }
    let event = Event::new("org.update")
        .on("org", org.id)
        .changes(changes.into());
    let org = versioning::save_work(&work, change, org.id, expected_version, event).await?;
    work.commit().await?;
    Ok(org)
}

/// Move an organisation, with its subtree, below another parent of the scope. The principal's
/// own organisation cannot be moved, nor a node below itself; levels must stay in order.
pub async fn move_to(
    ctx: &Context<'_>,
    id: Uuid,
    expected_version: Option<i32>,
    parent_id: Uuid,
) -> Result<orgs::Model, CoreError> {
    ctx.require(WRITE).await?;
    let work = ctx.begin().await?;
    let org = find(work.conn(), ctx.scope(), id)
        .await?
        .ok_or(CoreError::NotFound)?;
    versioning::expect(expected_version, org.version)?;
    if org.id == ctx.scope().org_id() {
        return Err(CoreError::Forbidden(
            "you cannot move your own organisation".into(),
        ));
    }
    let parent = find(work.conn(), ctx.scope(), parent_id)
        .await?
        .ok_or(CoreError::NotFound)?;
    if parent.path.starts_with(&org.path) {
        return Err(CoreError::conflict(
            "an organisation cannot be moved below itself",
        ));
    }
    let (level, parent_level) = (OrgLevel::of(&org), OrgLevel::of(&parent));
    if !level.may_be_child_of(parent_level) {
        return Err(CoreError::field(
            "parent_id",
            "below_parent",
            format!(
                "a {} cannot sit under a {}",
                level.as_str(),
                parent_level.as_str()
            ),
        ));
    }
    if !move_subtree(work.conn(), &org, &parent).await? {
        return Err(CoreError::Stale);
    }
    let changes = serde_json::json!({ "from_parent_id": org.parent_id, "to_parent_id": parent.id });
    work.record(Event::new("org.move").on("org", org.id).changes(changes))
        .await?;
    let org = orgs::Entity::find_by_id(org.id)
        .one(work.conn())
        .await?
        .ok_or(CoreError::NotFound)?;
    work.commit().await?;
    Ok(org)
}
