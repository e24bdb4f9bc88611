//! The organisation-subtree scope every query of a caller starts from.
//!
//! Each org stores its materialised path (`/<root>/<county>/…/<self>/`), so "is X in the subtree
//! of Y" is one indexed range condition: `path >= Y.path AND path < Y.path with its last '/'
//! replaced by '0'` ('0' is the byte after '/'). Records owned by an org are scoped with
//! `org_id IN (subtree ids)`, written for each database (see [`Scope::contains`]), which is why a
//! scope knows its backend. A `Scope` comes from the acting principal's organisation; a query
//! that ignores it has to start from an entity's own `find()`, which review can see.

use entity::orgs;
use sea_orm::sea_query::{Expr, ExprTrait, Query, SelectStatement, SimpleExpr};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbBackend, DbErr, EntityTrait, IntoSimpleExpr,
    QueryFilter, Select,
};
use uuid::Uuid;

/// A tenant table: each row is kept by an organisation. Reading one through [`Scope::select`]
/// or [`Scope::find`] is the way to read it for a principal; a query that skips the scope has to
/// name the entity's `find()` itself, which review can see.
pub trait Owned: EntityTrait {
    fn id_column() -> Self::Column;
    fn org_column() -> Self::Column;
}

macro_rules! owned {
    ($($table:ident),*) => {$(
        impl Owned for entity::$table::Entity {
            fn id_column() -> Self::Column {
                entity::$table::Column::Id
            }
            fn org_column() -> Self::Column {
                entity::$table::Column::OrgId
            }
        }
    )*};
}

owned!(
    bank_cards,
    payout_batches,
    payout_checks,
    payout_files,
    payouts,
    campaigns,
    grants,
    grant_notices,
    grant_objections,
    workers,
    enterprises,
    beneficiaries,
    wage_agreements,
    users,
    api_clients,
    living_standards,
    minimum_wages
);

#[derive(Debug, Clone)]
pub struct Scope {
    org_id: Uuid,
    path: String,
    backend: DbBackend,
}

impl Scope {
    /// The subtree of `org`, for statements run on `backend`.
    pub fn of(org: &orgs::Model, backend: DbBackend) -> Self {
        Self {
            org_id: org.id,
            path: org.path.clone(),
            backend,
        }
    }

    /// The subtree of organisation `org_id` at `path` as an access token claims it, for a read
    /// whose own statement confirms the claim before anything it found is answered.
    pub fn claimed(org_id: Uuid, path: String, backend: DbBackend) -> Self {
        Self {
            org_id,
            path,
            backend,
        }
    }

    /// The subtree of `org` (found within this scope), for the same database.
    pub fn at(&self, org: &orgs::Model) -> Self {
        Self::of(org, self.backend)
    }

    /// The organisation the scope is rooted at.
    pub fn org_id(&self) -> Uuid {
        self.org_id
    }

    /// Rooted at the top of the tree (the city federation): the one scope that also sees what
    /// belongs to no organisation.
    pub fn is_root(&self) -> bool {
        ancestors(&self.path).len() == 1
    }

    /// The exclusive upper bound of the subtree's path range.
    /// The half-open range of materialised paths in this subtree, for statements written in SQL.
    pub fn path_range(&self) -> (String, String) {
        (self.path.clone(), self.upper())
    }

    fn upper(&self) -> String {
        let mut upper = self.path.clone();
        upper.pop();
        upper.push('0');
        upper
    }

    /// Condition on `orgs` rows: the org lies in this subtree.
    pub fn orgs_condition(&self) -> Condition {
        Condition::all()
            .add(orgs::Column::Path.gte(self.path.clone()))
            .add(orgs::Column::Path.lt(self.upper()))
    }

    /// The orgs of this subtree.
    pub fn orgs(&self) -> Select<orgs::Entity> {
        orgs::Entity::find().filter(self.orgs_condition())
    }

    /// `SELECT id FROM orgs WHERE <in subtree>`.
    fn org_ids(&self) -> SelectStatement {
        Query::select()
            .column(orgs::Column::Id)
            .from(orgs::Entity)
            .and_where(Expr::col((orgs::Entity, orgs::Column::Path)).gte(self.path.clone()))
            .and_where(Expr::col((orgs::Entity, orgs::Column::Path)).lt(self.upper()))
            .to_owned()
    }

    /// The rows of a tenant table this scope may read.
    pub fn select<E: Owned>(&self) -> Select<E> {
        E::find().filter(self.owns(E::org_column()))
    }

    /// One row of a tenant table, or `None` whether it does not exist or lies outside.
    pub async fn find<E: Owned>(
        &self,
        db: &impl ConnectionTrait,
        id: Uuid,
    ) -> Result<Option<E::Model>, DbErr> {
        self.by_id::<E>(id).one(db).await
    }

    /// The record `id` if this scope may read it, as a query (to read more beside it).
    pub fn by_id<E: Owned>(&self, id: Uuid) -> Select<E> {
        self.select::<E>().filter(E::id_column().eq(id))
    }

    /// Condition on any record with an owning-org column: the owner lies in this subtree.
    pub fn owns(&self, org_column: impl ColumnTrait) -> SimpleExpr {
        self.contains(org_column.into_simple_expr())
    }

    /// Condition: the organisation id `org_id` (a column, qualified or not) lies in this subtree.
    ///
    /// On PostgreSQL it is `org_id = ANY(ARRAY(SELECT id FROM orgs WHERE <in subtree>))`: the
    /// subtree's ids are read once, before the statement's own tables, whatever the plan. Written
    /// as `IN (SELECT …)`, PostgreSQL pulls the subquery up into a join, and a prepared
    /// statement's generic plan (the one it settles on after five runs, the path range being a
    /// parameter) guesses the subtree holds one organisation and drives the statement from it:
    /// on the demonstration city a page of one enterprise's workers read the enterprise's rows
    /// once per organisation of the county (about 1,000 buffers for 51 rows; 57 so), and a bulk
    /// import's check of 500 enterprise ids read every enterprise row once per organisation
    /// (280 ms; 1.8 ms so). SQLite has no arrays, and plans `IN (SELECT …)` as a table of its
    /// own anyway.
    pub fn contains(&self, org_id: SimpleExpr) -> SimpleExpr {
        match self.backend {
            DbBackend::Postgres => Expr::cust_with_exprs(
                "$1 = ANY(ARRAY($2))",
                [
                    org_id,
                    SimpleExpr::SubQuery(None, Box::new(self.org_ids().into())),
                ],
            ),
            _ => org_id.in_subquery(self.org_ids()),
        }
    }

    /// [`contains`](Self::contains) for a row already found by its primary key, such as a joined
    /// record looked up by id: the test must not choose how the row is found.
    ///
    /// SQLite answers `org_id IN (SELECT …)` from an index on `org_id` when one covers the row's
    /// key too (`ix_enterprises_org (org_id, id)`): one search per organisation of the subtree
    /// for every row joined, which made a page of a county's workers with their enterprises'
    /// names about 30% slower. The unary `+` makes the column an expression no index serves, so
    /// the primary key finds the row and the subtree is tested on it. PostgreSQL has no unary
    /// `+` on uuid and plans the array test as a filter already.
    pub fn holds(&self, org_id: SimpleExpr) -> SimpleExpr {
        match self.backend {
            DbBackend::Postgres => self.contains(org_id),
            _ => Expr::cust_with_exprs("+?", [org_id]).in_subquery(self.org_ids()),
        }
    }

    /// [`contains`](Self::contains) for a statement written as text: `column`'s organisation is
    /// among the subtree's, in the same form for the same reasons, the path's bounds being the
    /// placeholders `low` and `high` (bound to [`path_range`](Self::path_range)).
    pub fn contains_sql(&self, column: &str, low: &str, high: &str) -> String {
        let orgs = format!("SELECT id FROM orgs WHERE path >= {low} AND path < {high}");
        match self.backend {
            DbBackend::Postgres => format!("{column} = ANY(ARRAY({orgs}))"),
            _ => format!("{column} IN ({orgs})"),
        }
    }
}

/// The organisations on a materialised path, root first, the organisation itself last: the one
/// place a path is taken apart.
pub fn ancestors(path: &str) -> Vec<Uuid> {
    path.split('/')
        .filter_map(|s| Uuid::parse_str(s).ok())
        .collect()
}

/// The county (县市区) an organisation belongs to, from its path: the node one level below the
/// root, or the root itself for what the city keeps.
pub fn county_of(path: &str) -> Option<Uuid> {
    let ids = ancestors(path);
    ids.get(1).or(ids.first()).copied()
}

/// Which of `ids` the selection `within` holds (a scope's organisations or records), a query per
/// 500: the scope check of a bulk operation, for all its records at once.
pub async fn ids_within<E: sea_orm::EntityTrait>(
    conn: &impl sea_orm::ConnectionTrait,
    within: sea_orm::Select<E>,
    id: E::Column,
    ids: &[Uuid],
) -> Result<std::collections::HashSet<Uuid>, sea_orm::DbErr> {
    use sea_orm::{ColumnTrait, QueryFilter, QuerySelect};
    let mut found = std::collections::HashSet::new();
    for chunk in ids.chunks(500) {
        let some: Vec<Uuid> = within
            .clone()
            .select_only()
            .column(id)
            .filter(id.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(conn)
            .await?;
        found.extend(some);
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::QueryTrait;

    fn scope_on(backend: DbBackend) -> Scope {
        Scope {
            org_id: Uuid::nil(),
            path: "/a/b/".into(),
            backend,
        }
    }

    #[test]
    fn ownership_is_written_for_each_database() {
        let sql = |backend| {
            scope_on(backend)
                .select::<entity::workers::Entity>()
                .build(backend)
                .to_string()
        };
        assert!(
            sql(DbBackend::Postgres).contains(
                r#"WHERE "workers"."org_id" = ANY(ARRAY((SELECT "id" FROM "orgs" WHERE "orgs"."path" >= '/a/b/' AND "orgs"."path" < '/a/b0')))"#
            ),
            "{}",
            sql(DbBackend::Postgres)
        );
        assert!(
            sql(DbBackend::Sqlite).contains(
                r#"WHERE "workers"."org_id" IN (SELECT "id" FROM "orgs" WHERE "orgs"."path" >= '/a/b/' AND "orgs"."path" < '/a/b0')"#
            ),
            "{}",
            sql(DbBackend::Sqlite)
        );
    }

    #[test]
    fn a_row_found_by_key_is_tested_without_choosing_an_index_on_sqlite() {
        let sql = |backend| {
            entity::workers::Entity::find()
                .filter(scope_on(backend).holds(Expr::col((
                    entity::workers::Entity,
                    entity::workers::Column::OrgId,
                ))))
                .build(backend)
                .to_string()
        };
        assert!(
            sql(DbBackend::Sqlite).contains(
                r#"WHERE (+"workers"."org_id") IN (SELECT "id" FROM "orgs" WHERE "orgs"."path" >= '/a/b/' AND "orgs"."path" < '/a/b0')"#
            ),
            "{}",
            sql(DbBackend::Sqlite)
        );
        assert!(
            sql(DbBackend::Postgres).contains(r#"WHERE "workers"."org_id" = ANY(ARRAY("#),
            "{}",
            sql(DbBackend::Postgres)
        );
    }

    #[test]
    fn subtree_range_covers_descendants_only() {
        let scope = scope_on(DbBackend::Sqlite);
        assert_eq!(scope.upper(), "/a/b0");
        for inside in ["/a/b/", "/a/b/c/", "/a/b/c/d/"] {
            assert!(inside >= scope.path.as_str() && inside < scope.upper().as_str());
        }
        for outside in ["/a/", "/a/bc/", "/a/c/", "/a/b-/"] {
            assert!(
                !(outside >= scope.path.as_str() && outside < scope.upper().as_str()),
                "{outside}"
            );
        }
    }
}
