//! Statements built once per caller and shape, the request's ids swapped in for each request.
//!
//! Getting one record is one statement, but building it with sea-query is not free: the scope,
//! the joined names and the principal's confirmation make a statement of some twenty conditions,
//! and building it, then dropping what was built, took about a fifth of the server's time on a
//! get of one worker (perf on the city), and an eighth on a page of fifty. Everything in it but
//! the ids the request names (the record's; a list's enterprise, organisation and cursor) comes
//! from the caller and the request's shape, and every value is a bind parameter: so the
//! statement is built once per caller and shape, with a sentinel for each id, and each request
//! clones it with its own ids in the sentinels' places. The cache is keyed by everything the
//! statement was built from, never by a digest of it, so two callers cannot share one; it is
//! bounded and starts over when full.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use sea_orm::{Statement, Value};
use uuid::Uuid;

/// The most statements kept; then the cache starts over (a caller's tokens live minutes).
const CAPACITY: usize = 1024;

/// The `n`th id a template is built with: each found among the values exactly once, or the
/// statement is not cached.
fn sentinel(n: usize) -> Uuid {
    Uuid::from_u128(u128::MAX - n as u128)
}

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
    /// Where each id sits among the statement's values.
    slots: Vec<usize>,
}

impl<K: Hash + Eq> Templates<K> {
    /// The statement `build` makes for `ids`: from the template kept under `key` if there is
    /// one, else built (for sentinels, then kept) by `build`. `key` must hold everything `build`
    /// reads besides the ids, their number included.
    pub fn statement(
        &self,
        key: K,
        ids: &[Uuid],
        build: impl Fn(&[Uuid]) -> Statement,
    ) -> Statement {
        // Only the `Arc` is cloned under the lock; the statement is copied after it.
        let kept = self.lock().get(&key).cloned();
        let template = match kept {
            Some(template) if template.slots.len() == ids.len() => template,
            Some(_) => return build(ids),
            None => {
                let sentinels: Vec<Uuid> = (0..ids.len()).map(sentinel).collect();
                let statement = build(&sentinels);
                let Some(slots) = slots_of(&statement, &sentinels) else {
                    // A sentinel is not one bind parameter of its own: no template.
                    return build(ids);
                };
                let template = Arc::new(Template { statement, slots });
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
            for (&slot, &id) in template.slots.iter().zip(ids) {
                values.0[slot] = Value::from(id);
            }
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

/// The position of each sentinel among the values, if each is there exactly once.
fn slots_of(statement: &Statement, sentinels: &[Uuid]) -> Option<Vec<usize>> {
    let values = statement.values.as_ref().map_or(&[][..], |v| &v.0[..]);
    sentinels
        .iter()
        .map(|&sentinel| {
            let sentinel = Value::from(sentinel);
            let mut found = values
                .iter()
                .enumerate()
                .filter(|(_, v)| **v == sentinel)
                .map(|(i, _)| i);
            let slot = found.next()?;
            found.next().is_none().then_some(slot)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::DbBackend;

    fn build(backend: DbBackend) -> impl Fn(&[Uuid]) -> Statement {
        move |ids| {
            Statement::from_sql_and_values(
                backend,
                "SELECT 1 FROM t WHERE a = $1 AND id = $2 AND b = $3",
                ["x".into(), ids[0].into(), 7.into()],
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
                let id = [Uuid::now_v7()];
                let made = templates.statement(key, &id, build(backend));
                let fresh = build(backend)(&id);
                assert_eq!(made.sql, fresh.sql);
                assert_eq!(made.values, fresh.values);
            }
        }
        assert_eq!(templates.lock().len(), 2);
    }

    #[test]
    fn a_sentinel_found_twice_or_never_is_not_templated() {
        let templates = Templates::default();
        let twice = |ids: &[Uuid]| {
            Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT 1 WHERE $1 = $2",
                [ids[0].into(), ids[0].into()],
            )
        };
        let id = [Uuid::now_v7()];
        assert_eq!(templates.statement(1, &id, twice).values, twice(&id).values);
        let never = |_: &[Uuid]| Statement::from_string(DbBackend::Postgres, "SELECT 1");
        assert_eq!(templates.statement(2, &id, never).sql, "SELECT 1");
        assert!(templates.lock().is_empty());
    }

    #[test]
    fn a_full_cache_starts_over() {
        let templates = Templates::default();
        for key in 0..=CAPACITY {
            templates.statement(key, &[Uuid::now_v7()], build(DbBackend::Postgres));
        }
        assert_eq!(templates.lock().len(), 1);
    }

    #[test]
    fn several_ids_each_go_to_their_own_place() {
        let templates = Templates::default();
        let three = |ids: &[Uuid]| {
            Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT 1 FROM t WHERE c = $1 AND e = $2 AND k = $3 AND id > $4",
                [ids[1].into(), ids[0].into(), "k".into(), ids[2].into()],
            )
        };
        for _ in 0..3 {
            let ids = [Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7()];
            assert_eq!(
                templates.statement(1, &ids, three).values,
                three(&ids).values
            );
        }
        assert_eq!(templates.lock().len(), 1);
        // No ids at all: the statement is kept whole.
        let none = |_: &[Uuid]| {
            Statement::from_sql_and_values(DbBackend::Postgres, "SELECT $1", ["k".into()])
        };
        assert_eq!(templates.statement(2, &[], none).values, none(&[]).values);
        assert_eq!(templates.lock().len(), 2);
    }
}
