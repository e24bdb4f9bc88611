//! Retiring a data key: `siji admin reencrypt` rewrites every stored personal value under the
//! current key, skips what is already there, refuses values under a key it was not given, and
//! leaves plaintext, blind indexes and versions alone.

use chrono::Datelike;
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;
use siji_api::config::{DataSettings, Secret};
use siji_api::pii::rotation::{self, RotationError};
use siji_api::pii::{DataProtector, PiiField};

use crate::helpers::{DATA_KEY, INDEX_KEY, TestApp, json_body, nth_id_number, spawn_app};

const NEW_KEY: &str = "k2:ZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmY=";

async fn protector(app: &TestApp, current: &str, previous: Option<&str>) -> DataProtector {
    let settings = DataSettings {
        data_key: Some(Secret(current.to_owned())),
        previous_data_keys: previous.map(|p| Secret(p.to_owned())),
        index_key: Some(Secret(INDEX_KEY.to_owned())),
    };
    siji_api::auth::secrets::data_protector(&app.db, &settings)
        .await
        .unwrap()
}

/// Every encrypted value in the database: (column, stored, blind index or mask beside it).
async fn stored(app: &TestApp) -> Vec<(String, String, String)> {
    let backend = app.db.get_database_backend();
    let sql = "SELECT 'id_number' AS f, id_number_enc AS v, id_number_idx AS i FROM workers \
               UNION ALL SELECT 'card', bank_card_enc, bank_card_idx FROM bank_cards \
               UNION ALL SELECT 'phone', phone_enc, phone_idx FROM workers WHERE phone_enc IS NOT NULL \
               UNION ALL SELECT 'member', id_number_enc, id_number_idx FROM household_members \
               WHERE id_number_enc IS NOT NULL \
               UNION ALL SELECT 'secret', signing_secret_enc, url FROM webhooks ORDER BY 1, 3";
    let rows = app
        .db
        .query_all_raw(Statement::from_string(backend, sql))
        .await
        .unwrap();
    rows.iter()
        .map(|r| {
            (
                r.try_get("", "f").unwrap(),
                r.try_get("", "v").unwrap(),
                r.try_get("", "i").unwrap(),
            )
        })
        .collect()
}

fn field(name: &str) -> PiiField {
    match name {
        "phone" => PiiField::Phone,
        "card" => PiiField::BankCard,
        "secret" => PiiField::SigningSecret,
        _ => PiiField::IdNumber,
    }
}

#[tokio::test]
async fn reencrypting_moves_every_value_to_the_current_key() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let a = app.county(&admin, "任城区总工会", "370811").await;
    let mut first = None;
    for n in 1..=3 {
        let body = json!({"org_id": a.org_id, "name": format!("职工{n}"), "id_number": nth_id_number(n),
                          "phone": format!("1380013800{n}"), "kind": "staff", "employment_status": "employed"});
        let worker = json_body(
            app.post_as("/api/v1/workers", &a.operator, &body).await,
            StatusCode::CREATED,
        )
        .await;
        first.get_or_insert(worker["id"].clone());
    }
    json_body(
        app.post_as(
            "/api/v1/bank-cards",
            &a.operator,
            &json!({"payee": {"worker_id": first}, "holder_name": "职工1", "bank_code": "102",
                    "card_number": "6222021234567890128"}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let year = chrono::Utc::now().year();
    json_body(
        app.post_as(
            "/api/v1/living-standards",
            &a.admin,
            &json!({"org_id": a.org_id, "year": year, "monthly_fen": 80_000}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let head = app
        .create_worker(&a.operator, &a.org_id, "户主", &nth_id_number(9))
        .await;
    let archive = json!({
        "org_id": a.org_id, "head_worker_id": head["id"], "household_size": 2,
        "annual_income_fen": 600_000, "rigid_expenses_fen": 0, "causes": ["illness"],
        "first_visit": {"visited_on": "2026-09-01", "findings": "家中一人患病"},
        "members": [{"name": "配偶", "relation": "spouse", "id_number": "11010519491231002X", "health": "chronic_illness"}]
    });
    json_body(
        app.post_as("/api/v1/beneficiaries", &a.operator, &archive)
            .await,
        StatusCode::CREATED,
    )
    .await;
    // A webhook's signing secret is sealed with the same keys, so it rotates with them.
    let system = app
        .machine_client(&a.admin, &a.org_id, "任城区职工信息系统")
        .await;
    json_body(
        app.post_as(
            "/api/v1/sync/webhooks",
            &system,
            &json!({"url": "https://sync.example.cn/notify", "kinds": ["worker"]}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let before = stored(&app).await;
    assert_eq!(before.len(), 4 + 3 + 1 + 1 + 1);
    assert!(before.iter().all(|(_, v, _)| v.starts_with("k1:")));
    let versions = |app: &TestApp| {
        let db = app.db.clone();
        async move {
            let backend = db.get_database_backend();
            format!(
                "{:?}",
                db.query_all_raw(Statement::from_string(
                    backend,
                    "SELECT id, version FROM workers ORDER BY id"
                ))
                .await
                .unwrap()
            )
        }
    };
    let versions_before = versions(&app).await;

    // Without the old key, nothing can be moved and nothing is written.
    let stranger = protector(&app, NEW_KEY, None).await;
    let err = rotation::reencrypt(&app.db, &stranger, 2, false)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, RotationError::UnknownKey { key_id, .. } if key_id == "k1"),
        "{err}"
    );
    // The message names the row, never a value (a fragment like `1101` could occur in the row's
    // UUID by chance, so whole values are what it must not hold).
    let message = err.to_string();
    for n in [1, 2, 3, 9] {
        assert!(!message.contains(&nth_id_number(n)), "{message}");
    }
    assert!(!message.contains("11010519491231002X"), "{message}");
    assert!(!message.contains("1380013800"), "{message}");
    assert_eq!(stored(&app).await, before);

    // A dry run counts; a real run (in batches smaller than a column) rewrites the same values.
    let rotating = protector(&app, NEW_KEY, Some(DATA_KEY)).await;
    let counts = |reports: &[rotation::ColumnReport]| {
        reports
            .iter()
            .map(|r| (format!("{}.{}", r.table, r.column), r.rewritten))
            .collect::<Vec<_>>()
    };
    let expected = vec![
        // Every `*_enc` column of the schema, found in the schema itself, in name order.
        ("bank_cards.bank_card_enc".to_owned(), 1),
        ("household_members.id_number_enc".to_owned(), 1),
        ("payouts.bank_card_enc".to_owned(), 0),
        ("webhooks.signing_secret_enc".to_owned(), 1),
        ("workers.id_number_enc".to_owned(), 4),
        ("workers.phone_enc".to_owned(), 3),
    ];
    let dry = rotation::reencrypt(&app.db, &rotating, 2, true)
        .await
        .unwrap();
    assert_eq!(counts(&dry), expected);
    assert_eq!(stored(&app).await, before);
    let done = rotation::reencrypt(&app.db, &rotating, 2, false)
        .await
        .unwrap();
    assert_eq!(counts(&done), expected);

    // The new key alone now reads everything, to the same plaintext; indexes are untouched.
    let after = stored(&app).await;
    let new_only = protector(&app, NEW_KEY, None).await;
    let old_only = protector(&app, DATA_KEY, None).await;
    assert_eq!(after.len(), before.len());
    for ((f, old, idx_before), (f_after, new, idx_after)) in before.iter().zip(&after) {
        assert_eq!((f, idx_before), (f_after, idx_after));
        assert!(new.starts_with("k2:"), "{new}");
        assert_eq!(
            new_only.decrypt(field(f), new).unwrap(),
            old_only.decrypt(field(f), old).unwrap()
        );
    }
    assert_eq!(versions(&app).await, versions_before);

    // Running again finds nothing to do; the run is in the audit trail.
    let again = rotation::reencrypt(&app.db, &rotating, 500, false)
        .await
        .unwrap();
    assert!(again.iter().all(|r| r.rewritten == 0));
    let events = json_body(
        app.get_as("/api/v1/audit-events?action=pii.reencrypt", &admin)
            .await,
        StatusCode::OK,
    )
    .await;
    let items = events["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    let totals: Vec<_> = items
        .iter()
        .map(|e| e["changes"]["rewritten"].clone())
        .collect();
    assert!(
        totals.contains(&json!(10)) && totals.contains(&json!(0)),
        "{events}"
    );
}
