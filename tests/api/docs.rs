//! The OpenAPI document: served, committed, complete.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{json_body, request_examples, spawn_app};

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

    // Compressed for clients that accept it, and cacheable.
    for path in ["/docs/swagger-ui-bundle.js", "/openapi.json"] {
        let res = app
            .request(reqwest::Method::GET, path)
            .header("accept-encoding", "gzip")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers()["content-encoding"], "gzip", "{path}");
        let cache = res.headers()["cache-control"].to_str().unwrap();
        assert!(cache.starts_with("public, max-age="), "{path}: {cache}");
    }
    // The API is never marked cacheable by this layer.
    let res = app
        .request(reqwest::Method::GET, "/healthz")
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert!(res.headers().get("cache-control").is_none());
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

/// A success answers one kind of thing: a typed client must not get a union of a JSON page and a
/// file from one operation (exports are operations of their own), and every file download names
/// its file.
#[test]
fn no_operation_answers_both_json_and_a_file() {
    let doc = serde_json::to_value(siji_api::docs::document()).unwrap();
    let mut files = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            for (status, response) in op["responses"].as_object().unwrap() {
                if !status.starts_with('2') {
                    continue;
                }
                let Some(content) = response["content"].as_object() else {
                    continue;
                };
                let json = content.keys().any(|m| m.contains("json"));
                let file = content
                    .keys()
                    .any(|m| !m.contains("json") && m != "text/html");
                assert!(
                    !(json && file),
                    "{method} {path} {status}: JSON and a file in one response"
                );
                for (media, body) in content {
                    if media.contains("json") || media == "text/html" {
                        continue;
                    }
                    let schema = match body["schema"]["$ref"].as_str() {
                        Some(r) => {
                            &doc["components"]["schemas"]
                                [r.trim_start_matches("#/components/schemas/")]
                        }
                        None => &body["schema"],
                    };
                    assert_eq!(
                        (&schema["type"], &schema["format"]),
                        (&json!("string"), &json!("binary")),
                        "{method} {path} {media}: a file must be binary"
                    );
                }
                if file && path.starts_with("/api/v1/") {
                    files += 1;
                    assert!(
                        response["headers"]["Content-Disposition"].is_object(),
                        "{method} {path}: a file without Content-Disposition"
                    );
                }
            }
        }
    }
    assert!(files >= 7, "{files} file operations");
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
    assert_eq!(label("Role", "county_admin"), "县市区总工会管理员");
    assert_eq!(label("Permission", "pii.reveal"), "查看个人信息明文");
    assert_eq!(
        label("ErrorCode", "living_standard_missing"),
        "未录入当年低保标准"
    );
    let section = |letter: &str| {
        catalogue["industry_sections"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["value"] == letter)
            .map(|v| v["label"].clone())
    };
    assert_eq!(section("C"), Some(json!("制造业")));
    assert_eq!(catalogue["industry_sections"].as_array().unwrap().len(), 20);
    let field_codes: Vec<&str> = catalogue["field_error_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["value"].as_str().unwrap())
        .collect();
    for code in ["required", "checksum", "control_character", "too_many_rows"] {
        assert!(field_codes.contains(&code), "{code}");
    }
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
        "FileFormat",
        "Sort",
        "JobStatus",
        // The change feed's record kinds, push results and webhook deliveries: sync protocol.
        "ChangeKind",
        "PushStatus",
        "DeliveryStatus",
        // A bank file layout's definition: settings of a file format, not values of a record.
        "LayoutField",
        "LayoutEncoding",
        "LayoutAmountUnit",
        "LayoutSummary",
        "LayoutFormat",
        "LayoutResultField",
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

/// Every request example in the document is a body the server accepts: sent to its operation
/// (with ids of records that do not exist), it passes every check of its shape and fields and
/// fails, if at all, only for want of the record. An integrator copying an example gets no 400.
#[tokio::test]
async fn every_request_example_passes_the_servers_own_validation() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let doc = serde_json::to_value(siji_api::docs::document()).unwrap();
    let mut checked = 0;
    let mut failures = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let Some(examples) = request_examples(&doc, op) else {
                continue;
            };
            if examples.is_empty() {
                failures.push(format!("{method} {path}: no example"));
                continue;
            }
            for example in examples {
                let (status, body) = send_example(&app, &admin, method, path, &example).await;
                checked += 1;
                // What no example can know: the caller's own current password.
                let only_state = body["errors"]
                    .as_array()
                    .is_some_and(|e| !e.is_empty() && e.iter().all(|e| e["code"] == "incorrect"));
                if (status == StatusCode::BAD_REQUEST || status == StatusCode::UNPROCESSABLE_ENTITY)
                    && !only_state
                {
                    failures.push(format!("{method} {path}: {status} {body}"));
                }
            }
        }
    }
    assert!(checked >= 30, "only {checked} examples");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Every `$ref` in the document points at something in it: a schema a parameter names is
/// registered, not only referred to (generators refuse a dangling reference outright).
#[test]
fn every_reference_resolves() {
    fn refs<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(r)) = map.get("$ref") {
                    out.push(r);
                }
                map.values().for_each(|v| refs(v, out));
            }
            Value::Array(list) => list.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }
    let doc = serde_json::to_value(siji_api::docs::document()).unwrap();
    let mut found = Vec::new();
    refs(&doc, &mut found);
    assert!(found.len() > 100, "only {} references", found.len());
    let dangling: Vec<&str> = found
        .into_iter()
        .filter(|r| {
            r.strip_prefix("#/")
                .map(|path| {
                    path.split('/')
                        .fold(&doc, |v, part| &v[part.replace("~1", "/")])
                })
                .is_none_or(Value::is_null)
        })
        .collect();
    assert!(dangling.is_empty(), "{dangling:?}");
}

/// `body` sent to the operation `method path` as `token`, with fresh ids for the records the
/// path names (which do not exist): the status and the answer.
async fn send_example(
    app: &crate::helpers::TestApp,
    token: &str,
    method: &str,
    path: &str,
    body: &Value,
) -> (StatusCode, Value) {
    let url = path
        .replace("{id}", &uuid::Uuid::now_v7().to_string())
        .replace("{member_id}", &uuid::Uuid::now_v7().to_string());
    let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
    let res = app
        .authed(method, &url, token)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// The properties of a request body's schema (its `$ref` resolved, `allOf` parts merged), each
/// with its own schema (a nullable `oneOf [null, X]` or a `$ref` resolved to `X`).
fn body_properties(doc: &Value, op: &Value) -> Vec<(String, Value)> {
    let resolve = |schema: &Value| -> Value {
        match schema["$ref"].as_str() {
            Some(r) => doc["components"]["schemas"][r.rsplit('/').next().unwrap_or("")].clone(),
            None => schema.clone(),
        }
    };
    let root = resolve(&op["requestBody"]["content"]["application/json"]["schema"]);
    let parts: Vec<Value> = match root["allOf"].as_array() {
        Some(all) => all.iter().map(resolve).collect(),
        None => vec![root],
    };
    let mut out = Vec::new();
    for part in parts {
        for (name, schema) in part["properties"].as_object().into_iter().flatten() {
            let own = schema["oneOf"]
                .as_array()
                .and_then(|alts| alts.iter().find(|a| a["type"] != "null").cloned())
                .unwrap_or_else(|| schema.clone());
            out.push((name.clone(), resolve(&own)));
        }
    }
    out
}

/// The rules the document states are the rules the server enforces: for every request example
/// and every top-level field whose schema has a length, range or pattern, the example with
/// that one field just past the rule is refused with a 400 naming the field. (The example
/// itself passes: see above.) A client validating against the document agrees with the server.
#[tokio::test]
async fn every_stated_rule_is_one_the_server_enforces() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let doc = serde_json::to_value(siji_api::docs::document()).unwrap();
    let mut checked = 0;
    let mut failures = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let Some(examples) = request_examples(&doc, op) else {
                continue;
            };
            let Some(example) = examples.into_iter().find(Value::is_object) else {
                continue;
            };
            for (field, schema) in body_properties(&doc, op) {
                let text = |n: u64| Value::String("9".repeat(usize::try_from(n).unwrap_or(0)));
                let mut breaking = Vec::new();
                if let Some(max) = schema["maxLength"].as_u64() {
                    breaking.push(("maxLength", text(max + 1)));
                }
                if let Some(min) = schema["minLength"].as_u64().filter(|m| *m > 1) {
                    breaking.push(("minLength", text(min - 1)));
                }
                if schema["pattern"].is_string() {
                    breaking.push(("pattern", json!("!")));
                }
                if let Some(max) = schema["maximum"].as_i64() {
                    breaking.push(("maximum", json!(max + 1)));
                }
                if let Some(min) = schema["minimum"].as_i64() {
                    breaking.push(("minimum", json!(min - 1)));
                }
                for (rule, value) in breaking {
                    let mut body = example.clone();
                    body[field.as_str()] = value;
                    let (status, problem) = send_example(&app, &admin, method, path, &body).await;
                    checked += 1;
                    let named = problem["errors"].as_array().is_some_and(|errors| {
                        errors.iter().any(|e| {
                            e["field"]
                                .as_str()
                                .is_some_and(|f| f == field || f.starts_with(&format!("{field}.")))
                        })
                    });
                    if status != StatusCode::BAD_REQUEST || !named {
                        failures.push(format!(
                            "{method} {path} `{field}` past its {rule}: {status} {problem}"
                        ));
                    }
                }
            }
        }
    }
    assert!(checked >= 100, "only {checked} rules");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
