//! Statements built once per caller and shape, the record's id swapped in for each request.
//!
//! Getting one record is one statement, but building it with sea-query is not free: the scope,
//! the joined names and the principal's confirmation make a statement of some twenty conditions,
//! and building it, then dropping what was built, took about a fifth of the server's time on a
//! get of one worker (perf on the city). Everything in it but the record's id comes from the
//! caller, and every value is a bind parameter: so the statement is built once per caller, with
//! a sentinel for the id, and each request clones it with its own id in the sentinel's place.
//! The cache is keyed by everything the statement was built from, never by a digest of it, so
//! two callers cannot share one; it is bounded and starts over when full.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use sea_orm::{Statement, Value};
use uuid::Uuid;

/// The most statements kept; then the cache starts over (a caller's tokens live minutes).
const CAPACITY: usize = 1024;

/// The id a template is built with: found among the values exactly once, or not cached.
const SENTINEL: Uuid = Uuid::max();

pub struct Templates<K> {
    built: Mutex<HashMap<K, Arc<Template>>>,
}

impl<K> Default for Templates<K> {
    fn default() -> Self {
        Self {
            built: Mutex::default(),
        }
    }
}

struct Template {
    statement: Statement,
    /// Where the id sits among the statement's values.
    slot: usize,
}

impl<K: Hash + Eq> Templates<K> {
    /// The statement `build` makes for `id`: from the template kept under `key` if there is one,
    /// else built (for the sentinel, then kept) by `build`. `key` must hold everything `build`
    /// reads besides the id.
    pub fn statement(&self, key: K, id: Uuid, build: impl Fn(Uuid) -> Statement) -> Statement {
        // Only the `Arc` is cloned under the lock; the statement is copied after it.
        let kept = self.lock().get(&key).cloned();
        let template = match kept {
            Some(template) => template,
            None => {
                let statement = build(SENTINEL);
                let Some(slot) = slot_of(&statement) else {
                    // The sentinel is not one bind parameter of its own: no template.
                    return build(id);
                };
                let template = Arc::new(Template { statement, slot });
                let mut built = self.lock();
                if built.len() >= CAPACITY {
                    built.clear();
                }
                built.insert(key, template.clone());
                template
            }
        };
        let mut statement = template.statement.clone();
        if let Some(values) = statement.values.as_mut() {
            values.0[template.slot] = Value::from(id);
        }
        statement
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<K, Arc<Template>>> {
        // A panic while holding the lock leaves the map whole (inserts and clears only).
        self.built
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The position of the sentinel among the values, if it is there exactly once.
fn slot_of(statement: &Statement) -> Option<usize> {
    let sentinel = Value::from(SENTINEL);
    let values = &statement.values.as_ref()?.0;
    let mut found = values
        .iter()
        .enumerate()
        .filter(|(_, v)| **v == sentinel)
        .map(|(i, _)| i);
    let slot = found.next()?;
    found.next().is_none().then_some(slot)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::DbBackend;

    fn build(backend: DbBackend) -> impl Fn(Uuid) -> Statement {
        move |id| {
            Statement::from_sql_and_values(
                backend,
                "SELECT 1 FROM t WHERE a = $1 AND id = $2 AND b = $3",
                ["x".into(), id.into(), 7.into()],
            )
        }
    }

    #[test]
    fn a_template_gives_what_building_gives() {
        let templates = Templates::default();
        for (key, backend) in [DbBackend::Postgres, DbBackend::Sqlite]
            .into_iter()
            .enumerate()
        {
            for _ in 0..3 {
                let id = Uuid::now_v7();
                let made = templates.statement(key, id, build(backend));
                let fresh = build(backend)(id);
                assert_eq!(made.sql, fresh.sql);
                assert_eq!(made.values, fresh.values);
            }
        }
        assert_eq!(templates.lock().len(), 2);
    }

    #[test]
    fn a_sentinel_found_twice_or_never_is_not_templated() {
        let templates = Templates::default();
        let twice = |id: Uuid| {
            Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT 1 WHERE $1 = $2",
                [id.into(), id.into()],
            )
        };
        let id = Uuid::now_v7();
        assert_eq!(templates.statement(1, id, twice).values, twice(id).values);
        let never = |_| Statement::from_string(DbBackend::Postgres, "SELECT 1");
        assert_eq!(templates.statement(2, id, never).sql, "SELECT 1");
        assert!(templates.lock().is_empty());
    }

    #[test]
    fn a_full_cache_starts_over() {
        let templates = Templates::default();
        for key in 0..=CAPACITY {
            templates.statement(key, Uuid::now_v7(), build(DbBackend::Postgres));
        }
        assert_eq!(templates.lock().len(), 1);
    }
}
