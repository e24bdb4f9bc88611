//! The core's operations called as the command line, the jobs and the county sync call them: no
//! HTTP, a context with a fixed clock, a fresh SQLite database. What this proves is that a
//! rule lives in the operation, not in a handler: permission, tenancy, the one-person rule, the
//! version check, the audit event and the change-log row all come from the call itself.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::{NaiveDate, TimeZone, Utc};
use entity::{audit_events, change_log, orgs, workers};
use migration::MigratorTrait;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Database, DatabaseConnection, EntityTrait, QueryFilter,
};
use siji_core::access::Role;
use siji_core::audit::Actor;
use siji_core::imports::{self, Imported};
use siji_core::pii::DataProtector;
use siji_core::registry::enterprises::{NewEnterprise, Ownership};
use siji_core::registry::lists;
use siji_core::registry::workers::{EmploymentStatus, NewWorker, WorkerChanges, WorkerKind};
use siji_core::registry::{RECORD_ARCHIVED, workers as ops};
use siji_core::tenancy::Scope;
use siji_core::{Clock, Context, CoreError};
use uuid::Uuid;

async fn database() -> (
    DatabaseConnection,
    orgs::Model,
    orgs::Model,
    tempfile::TempDir,
) {
    // A file, not `sqlite::memory:`: every pooled connection must see the same database.
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("siji.db").display());
    let db = Database::connect(url).await.unwrap();
    migration::Migrator::up(&db, None).await.unwrap();
    let now = Utc::now();
    let org = |id: Uuid, parent: Option<&orgs::Model>, name: &str, code: &str| orgs::ActiveModel {
        id: Set(id),
        parent_id: Set(parent.map(|p| p.id)),
        level: Set(if parent.is_some() { "county" } else { "city" }.to_owned()),
        name: Set(name.to_owned()),
        division_code: Set(code.to_owned()),
        uscc: Set(None),
        path: Set(format!("{}{id}/", parent.map_or("/", |p| p.path.as_str()))),
        depth: Set(i32::from(parent.is_some())),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    };
    let city = orgs::Entity::insert(org(Uuid::now_v7(), None, "济宁市总工会", "370800"))
        .exec_with_returning(&db)
        .await
        .unwrap();
    let county = orgs::Entity::insert(org(Uuid::now_v7(), Some(&city), "任城区总工会", "370811"))
        .exec_with_returning(&db)
        .await
        .unwrap();
    (db, city, county, dir)
}

fn protector() -> DataProtector {
    DataProtector::new(("k1".into(), vec![7; 32]), vec![], vec![9; 32]).unwrap()
}

fn context<'a>(
    db: &'a DatabaseConnection,
    pii: &'a DataProtector,
    org: &orgs::Model,
    roles: Vec<Role>,
) -> Context<'a> {
    let actor = Actor {
        kind: "user",
        id: Some(Uuid::now_v7()),
        name: Some("tester".into()),
        org_id: Some(org.id),
        ..Actor::default()
    };
    let clock = Clock::Fixed(Utc.with_ymd_and_hms(2026, 11, 27, 9, 0, 0).unwrap());
    Context::new(
        db,
        pii,
        clock,
        actor,
        Scope::of(org, db.get_database_backend()),
        roles,
    )
}

fn worker(org: &orgs::Model, id_number: &str) -> NewWorker {
    NewWorker {
        org_id: org.id,
        enterprise_id: None,
        name: "张三明".into(),
        id_number: id_number.into(),
        phone: Some("13800138000".into()),
        kind: WorkerKind::Staff,
        employment_status: EmploymentStatus::Employed,
        member_since: None,
        frontline: false,
        high_temperature: false,
        honours: vec![],
    }
}

#[tokio::test]
async fn registering_a_worker_is_one_unit_with_its_audit_event_and_change_log_row() {
    let (db, _city, county, _dir) = database().await;
    let pii = protector();
    let ctx = context(&db, &pii, &county, vec![Role::Operator]);
    let w = ops::register(&ctx, worker(&county, "11010519491231002X"), "test")
        .await
        .unwrap();
    // What the ID number says, and the fixed clock's time.
    assert_eq!(w.birth_date, NaiveDate::from_ymd_opt(1949, 12, 31).unwrap());
    assert_eq!(w.sex, "female");
    assert_eq!(w.created_at, ctx.clock.now());
    assert_eq!(w.id_number_masked, "110105********002X");
    assert_ne!(w.id_number_enc, "11010519491231002X");
    let events = audit_events::Entity::find()
        .filter(audit_events::Column::ResourceId.eq(w.id.to_string()))
        .all(&db)
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].action, "worker.create");
    assert!(!events[0].changes.clone().unwrap().contains("19491231"));
    let changes = change_log::Entity::find()
        .filter(change_log::Column::RecordId.eq(w.id))
        .all(&db)
        .await
        .unwrap();
    assert_eq!(changes.len(), 1);

    // The one-person rule, the same way for every caller of the operation.
    let again = ops::register(&ctx, worker(&county, "11010519491231002x"), "test").await;
    assert!(
        matches!(again, Err(CoreError::Duplicate { existing_id: Some(id), .. }) if id == w.id),
        "{again:?}"
    );
}

#[tokio::test]
async fn the_operation_checks_permission_scope_and_version() {
    let (db, city, county, _dir) = database().await;
    let pii = protector();
    // An auditor may read but not register; the denial is audited.
    let auditor = context(&db, &pii, &county, vec![Role::Auditor]);
    let denied = ops::register(&auditor, worker(&county, "11010519491231002X"), "test").await;
    assert!(matches!(denied, Err(CoreError::Forbidden(_))), "{denied:?}");
    let denials = audit_events::Entity::find()
        .filter(audit_events::Column::Action.eq("permission.denied"))
        .all(&db)
        .await
        .unwrap();
    assert_eq!(denials.len(), 1);
    assert_eq!(workers::Entity::find().all(&db).await.unwrap().len(), 0);

    // A county cannot register under the city's own org (outside its subtree): not found.
    let operator = context(&db, &pii, &county, vec![Role::Operator]);
    let outside = ops::register(&operator, worker(&city, "11010519491231002X"), "test").await;
    assert!(matches!(outside, Err(CoreError::NotFound)), "{outside:?}");

    let w = ops::register(&operator, worker(&county, "11010519491231002X"), "test")
        .await
        .unwrap();
    // A change at a version that moved on is stale; at the current one it applies.
    let stale = ops::update(
        &operator,
        w.id,
        Some(w.version + 1),
        WorkerChanges {
            employment_status: Some(EmploymentStatus::LaidOff),
            ..WorkerChanges::default()
        },
    )
    .await;
    assert!(matches!(stale, Err(CoreError::Stale)), "{stale:?}");
    let archived = ops::set_status(&operator, w.id, Some(w.version), RECORD_ARCHIVED)
        .await
        .unwrap();
    assert_eq!(archived.version, w.version + 1);
    let twice = ops::set_status(&operator, w.id, None, RECORD_ARCHIVED).await;
    assert!(
        matches!(twice, Err(CoreError::Conflict { .. })),
        "{twice:?}"
    );
}

fn uscc(first17: &str) -> String {
    const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
    let (mut weight, mut sum) = (1u32, 0u32);
    for b in first17.bytes() {
        sum += u32::try_from(ALPHABET.iter().position(|&a| a == b).unwrap()).unwrap() * weight;
        weight = weight * 3 % 31;
    }
    format!(
        "{first17}{}",
        ALPHABET[((31 - sum % 31) % 31) as usize] as char
    )
}

fn enterprise(org: &orgs::Model, name: &str, code: &str) -> NewEnterprise {
    NewEnterprise {
        org_id: org.id,
        name: name.into(),
        uscc: code.into(),
        ownership: Ownership::Private,
        industry: "C".into(),
        address: None,
        union_founded_on: None,
        headcount: Some(10),
        member_count: Some(5),
        overcapacity: false,
    }
}

#[tokio::test]
async fn an_import_row_resolves_its_references_in_scope_and_skips_what_the_caller_has() {
    let (db, city, county, _dir) = database().await;
    let pii = protector();
    let now = Utc::now();
    let other_id = Uuid::now_v7();
    let other = orgs::Entity::insert(orgs::ActiveModel {
        id: Set(other_id),
        parent_id: Set(Some(city.id)),
        level: Set("county".into()),
        name: Set("兖州区总工会".into()),
        division_code: Set("370812".into()),
        uscc: Set(None),
        path: Set(format!("{}{other_id}/", city.path)),
        depth: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    })
    .exec_with_returning(&db)
    .await
    .unwrap();
    let ours = context(&db, &pii, &county, vec![Role::Operator]);
    let theirs = context(&db, &pii, &other, vec![Role::Operator]);

    // The same row twice: created, then skipped with the same id and nothing written.
    let code = uscc("91370811MA3C00001");
    let first = imports::enterprise(&ours, enterprise(&county, "任城机械厂", &code))
        .await
        .unwrap();
    let Imported::Created(id) = first else {
        panic!("{first:?}")
    };
    let again = imports::enterprise(&ours, enterprise(&county, "任城机械厂", &code))
        .await
        .unwrap();
    assert_eq!(again, Imported::Skipped(id));
    // Another county importing it learns only that it is registered elsewhere.
    let elsewhere = imports::enterprise(&theirs, enterprise(&other, "任城机械厂", &code)).await;
    assert!(
        matches!(
            elsewhere,
            Err(CoreError::Duplicate {
                existing_id: None,
                ..
            })
        ),
        "{elsewhere:?}"
    );

    // 所属企业 by USCC or exact name, only within the scope; a name two enterprises share is
    // ambiguous and asks for the USCC.
    assert_eq!(
        imports::employer(&ours, &code.to_lowercase())
            .await
            .unwrap(),
        id
    );
    assert_eq!(imports::employer(&ours, " 任城机械厂 ").await.unwrap(), id);
    let unseen = imports::employer(&theirs, "任城机械厂").await;
    assert!(
        matches!(&unseen, Err(CoreError::Validation(e)) if e[0].field == "enterprise_id" && e[0].code == "not_found"),
        "{unseen:?}"
    );
    imports::enterprise(
        &ours,
        enterprise(&county, "任城机械厂", &uscc("91370811MA3C00002")),
    )
    .await
    .unwrap();
    let twice = imports::employer(&ours, "任城机械厂").await;
    assert!(
        matches!(&twice, Err(CoreError::Validation(e)) if e[0].code == "ambiguous"),
        "{twice:?}"
    );

    // A worker row: created, then skipped; the list filter sees it once.
    let row = imports::worker(&ours, worker(&county, "11010519491231002X"))
        .await
        .unwrap();
    let Imported::Created(worker_id) = row else {
        panic!("{row:?}")
    };
    let repeat = imports::worker(&ours, worker(&county, "11010519491231002X"))
        .await
        .unwrap();
    assert_eq!(repeat, Imported::Skipped(worker_id));
    let filter = lists::WorkerFilter {
        name_prefix: Some("张".into()),
        ..lists::WorkerFilter::default()
    };
    let listed = lists::workers(&ours, &filter)
        .await
        .unwrap()
        .all(&db)
        .await
        .unwrap();
    assert_eq!(
        listed.iter().map(|w| w.id).collect::<Vec<_>>(),
        vec![worker_id]
    );
    let none = lists::workers(&theirs, &filter)
        .await
        .unwrap()
        .all(&db)
        .await
        .unwrap();
    assert!(none.is_empty());
    // The archive head is found through the blind index, in the scope only.
    assert_eq!(
        imports::archive_head(&ours, "11010519491231002x")
            .await
            .unwrap(),
        worker_id
    );
    assert!(
        imports::archive_head(&theirs, "11010519491231002X")
            .await
            .is_err()
    );
}
