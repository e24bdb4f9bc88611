//! The OpenAPI document: served, committed, complete.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{json_body, spawn_app};

fn workspace_file(path: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(path)
}

#[tokio::test]
async fn the_committed_document_is_what_the_code_generates() {
    let generated = serde_json::to_value(siji_api::docs::document()).unwrap();
    let committed_path = workspace_file(siji_openapi::COMMITTED_DOCUMENT_PATH);
    let committed: Value = std::fs::read_to_string(&committed_path)
        .ok()
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or(Value::Null);
    assert!(
        generated == committed,
        "{} is stale; regenerate it with `cargo run --bin siji -- openapi --output openapi/openapi.json`",
        committed_path.display()
    );
}

#[tokio::test]
async fn the_served_document_is_the_generated_one() {
    let app = spawn_app().await;
    let served = json_body(app.get("/openapi.json").await, StatusCode::OK).await;
    assert_eq!(
        served,
        serde_json::to_value(siji_api::docs::document()).unwrap()
    );
    assert!(served["openapi"].as_str().unwrap().starts_with("3.1"));
    assert!(served["info"]["contact"].is_object());
    assert!(served["info"]["license"].is_object());
    assert!(served["components"]["schemas"]["Problem"].is_object());
    assert!(served["components"]["securitySchemes"]["bearer"].is_object());
}

#[tokio::test]
async fn swagger_ui_is_served_without_the_internet() {
    let app = spawn_app().await;
    let res = app.get("/docs").await;
    assert_eq!(res.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(res.headers().get("location").unwrap(), "/docs/");

    let res = app.get("/docs/").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("swagger-ui"));
    let res = app.get("/docs/swagger-ui-bundle.js").await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = app.get("/docs/swagger-initializer.js").await;
    assert!(res.text().await.unwrap().contains("/openapi.json"));
}

/// Every operation is documented the way integrators need: summary, description, tag,
/// operation id, and every error response a problem document.
#[test]
fn every_operation_is_fully_documented() {
    let doc = serde_json::to_value(siji_api::docs::document()).unwrap();
    let responses = &doc["components"]["responses"];
    let mut count = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            count += 1;
            let at = format!("{method} {path}");
            for key in ["summary", "description", "operationId"] {
                assert!(
                    op[key].as_str().is_some_and(|s| !s.is_empty()),
                    "{at}: no {key}"
                );
            }
            assert!(
                op["tags"].as_array().is_some_and(|t| !t.is_empty()),
                "{at}: no tag"
            );
            let statuses = op["responses"].as_object().unwrap();
            assert!(statuses.contains_key("500"), "{at}: 500 not documented");
            for (status, response) in statuses {
                if status.starts_with('4') || status.starts_with('5') {
                    let resolved = match response["$ref"].as_str() {
                        Some(r) => &responses[r.trim_start_matches("#/components/responses/")],
                        None => response,
                    };
                    assert_eq!(
                        resolved["content"]["application/problem+json"]["schema"]["$ref"],
                        "#/components/schemas/Problem",
                        "{at} {status}: not a problem document"
                    );
                }
            }
            let protected = op["security"].as_array().is_some_and(|s| {
                s.iter()
                    .any(|r| r.as_object().is_some_and(|o| o.contains_key("bearer")))
            });
            // Everything under /api/v1 needs a token, except getting one.
            if path.starts_with("/api/v1/") && !path.starts_with("/api/v1/auth/") {
                assert!(protected, "{at}: no bearer security");
            }
            if protected {
                assert!(statuses.contains_key("401"), "{at}: 401 not documented");
                let permission = op["x-permission"].as_str().unwrap_or_default();
                assert!(!permission.is_empty(), "{at}: no x-permission");
                if permission != "authenticated" {
                    assert!(statuses.contains_key("403"), "{at}: 403 not documented");
                    let description = op["description"].as_str().unwrap();
                    assert!(
                        description.contains(&format!("`{permission}`")),
                        "{at}: permission not described"
                    );
                }
            }
        }
    }
    assert!(count > 0);
}

/// Each enumeration value says what it means, with its Chinese term, in the document and in the
/// catalogue front-ends read their labels from.
#[tokio::test]
async fn enumeration_values_carry_their_chinese_terms() {
    let doc = serde_json::to_value(siji_api::docs::document()).unwrap();
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    let category = &schemas["Category"];
    assert_eq!(
        category["x-enum-descriptions"].as_array().unwrap().len(),
        category["enum"].as_array().unwrap().len()
    );
    assert!(
        category["description"]
            .as_str()
            .unwrap()
            .contains("- `deep`: Deep hardship (深度困难)")
    );

    let app = spawn_app().await;
    assert_eq!(
        app.get("/api/v1/meta/enums").await.status(),
        StatusCode::UNAUTHORIZED
    );
    let token = app.admin_token().await;
    let catalogue = json_body(
        app.get_as("/api/v1/meta/enums", &token).await,
        StatusCode::OK,
    )
    .await;
    let enums = catalogue["enums"].as_array().unwrap();
    let label = |name: &str, value: &str| {
        enums.iter().find(|e| e["name"] == name).unwrap()["values"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["value"] == value)
            .unwrap()["label"]
            .clone()
    };
    assert_eq!(label("Category", "deep"), "深度困难");
    assert_eq!(label("OrgLevel", "township"), "乡镇(街道)工会");
    assert_eq!(label("AgreementStatus", "filed"), "已备案");
    // Every domain enumeration is in the catalogue (technical ones are not: their values are
    // English by design).
    let technical = [
        "ErrorCode",
        "Permission",
        "Role",
        "GroupBy",
        "RevealField",
        "RowOutcome",
        // List filters and file formats: parameters, not values stored in records.
        "StatusFilter",
        "TemplateFormat",
        "JobStatus",
    ];
    for (name, schema) in schemas {
        if schema.get("enum").is_some() && !technical.contains(&name.as_str()) {
            assert!(
                enums.iter().any(|e| e["name"] == name.as_str()),
                "{name} is not in the enumeration catalogue (resources/meta/catalogue.rs)"
            );
        }
    }
    // Every value of every listed enumeration has a label, and every listed name is a schema
    // whose values are exactly the catalogue's.
    for e in enums {
        let name = e["name"].as_str().unwrap();
        let values: Vec<&Value> = e["values"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| &v["value"])
            .collect();
        let schema_values: Vec<&Value> = schemas[name]["enum"].as_array().unwrap().iter().collect();
        assert_eq!(values, schema_values, "{name}");
        for v in e["values"].as_array().unwrap() {
            assert!(
                v["label"].is_string(),
                "{name}.{}: no Chinese label",
                v["value"]
            );
        }
    }
}
