//! The permission matrix and tenancy: each role against operations it may and may not call, and
//! two counties that cannot see, touch, filter for or detect each other's records.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{
    County, PASSWORD, TestApp, assert_problem, json_body, request_examples, spawn_app,
};

#[tokio::test]
async fn each_role_may_do_what_the_matrix_says_and_nothing_more() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let county = app.county(&admin, "任城区总工会", "370811").await;
    for (name, role) in [
        ("370811.approver", "approver"),
        ("370811.auditor", "auditor"),
    ] {
        app.create_user(&county.admin, &county.org_id, name, &[role])
            .await;
    }
    let approver = app.login("370811.approver", PASSWORD).await.access;
    let auditor = app.login("370811.auditor", PASSWORD).await.access;
    let new_org = json!({"parent_id": county.org_id, "level": "township", "name": "某街道工会", "division_code": "370811"});
    let new_user = |n: &str| json!({"username": n, "display_name": n, "org_id": county.org_id, "roles": ["operator"], "password": PASSWORD});

    // city_admin: everything, including the audit log.
    json_body(
        app.get_as("/api/v1/audit-events", &admin).await,
        StatusCode::OK,
    )
    .await;
    json_body(
        app.post_as("/api/v1/orgs", &admin, &new_org).await,
        StatusCode::CREATED,
    )
    .await;
    // county_admin: accounts and orgs, not the audit log.
    json_body(
        app.post_as("/api/v1/users", &county.admin, &new_user("made.by.county"))
            .await,
        StatusCode::CREATED,
    )
    .await;
    assert_problem(
        app.get_as("/api/v1/audit-events", &county.admin).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    // operator: reads orgs, manages no accounts.
    json_body(
        app.get_as("/api/v1/orgs", &county.operator).await,
        StatusCode::OK,
    )
    .await;
    assert_problem(
        app.post_as("/api/v1/users", &county.operator, &new_user("made.by.op"))
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    assert_problem(
        app.get_as("/api/v1/users", &county.operator).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    // approver: reads orgs, cannot create them.
    json_body(
        app.get_as(&format!("/api/v1/orgs/{}", county.org_id), &approver)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_problem(
        app.post_as("/api/v1/orgs", &approver, &new_org).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    // auditor: reads users and the audit log, changes nothing.
    json_body(app.get_as("/api/v1/users", &auditor).await, StatusCode::OK).await;
    json_body(
        app.get_as("/api/v1/audit-events", &auditor).await,
        StatusCode::OK,
    )
    .await;
    let res = app
        .patch_as(
            &format!("/api/v1/orgs/{}", county.org_id),
            &auditor,
            &json!({"name": "x"}),
        )
        .await;
    assert_problem(res, StatusCode::FORBIDDEN, "forbidden").await;
    // A county admin cannot hand out city_admin, and nobody hands out integration.
    let mut body = new_user("would.be.city");
    body["roles"] = json!(["city_admin"]);
    let problem = assert_problem(
        app.post_as("/api/v1/users", &county.admin, &body).await,
        StatusCode::BAD_REQUEST,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["code"], "not_assignable");
    body["roles"] = json!(["integration"]);
    assert_problem(
        app.post_as("/api/v1/users", &admin, &body).await,
        StatusCode::BAD_REQUEST,
        "validation_failed",
    )
    .await;

    // integration (a machine client): reads orgs, writes nothing here.
    let client = json_body(
        app.post_as(
            "/api/v1/clients",
            &county.admin,
            &json!({"name": "sys", "org_id": county.org_id}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", client["client_id"].as_str().unwrap()),
        ("client_secret", client["client_secret"].as_str().unwrap()),
    ];
    let token = json_body(
        app.request(Method::POST, "/api/v1/auth/token")
            .form(&form)
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    let integration = token["access_token"].as_str().unwrap();
    json_body(
        app.get_as("/api/v1/orgs", integration).await,
        StatusCode::OK,
    )
    .await;
    assert_problem(
        app.post_as("/api/v1/orgs", integration, &new_org).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let res = app
        .post_as(
            "/api/v1/me/password",
            integration,
            &json!({"current_password": "x", "new_password": "y"}),
        )
        .await;
    assert_problem(res, StatusCode::FORBIDDEN, "forbidden").await;

    // Denials are audited.
    let events = json_body(
        app.get_as(
            "/api/v1/audit-events?action=permission.denied&count=true",
            &admin,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert!(events["total"].as_u64().unwrap() >= 6, "{events}");
}

#[tokio::test]
async fn two_counties_cannot_see_touch_filter_for_or_detect_each_other() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let a = app.county(&admin, "任城区总工会", "370811").await;
    let b = app.county(&admin, "兖州区总工会", "370812").await;
    assert_isolated(&app, &a, &b, "370812").await;
    assert_isolated(&app, &b, &a, "370811").await;

    // And the city sees both counties with their townships.
    let all = json_body(
        app.get_as("/api/v1/orgs?count=true", &admin).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(all["total"], 5);
}

/// `me` cannot reach anything of `other` (whose accounts are `{other_code}.*`).
async fn assert_isolated(app: &TestApp, me: &County, other: &County, other_code: &str) {
    let township = app
        .create_org(
            &other.admin,
            &other.org_id,
            "township",
            &format!("{other_code}街道"),
            other_code,
        )
        .await;
    let township = township["id"].as_str().unwrap();

    for (path, what) in [
        (format!("/api/v1/orgs/{}", other.org_id), "org"),
        (format!("/api/v1/orgs/{township}"), "township"),
        (format!("/api/v1/users/{}", other.operator_user_id), "user"),
        (
            format!("/api/v1/orgs/tree?root_id={}", other.org_id),
            "tree",
        ),
    ] {
        let res = app.get_as(&path, &me.admin).await;
        let body = assert_problem(res, StatusCode::NOT_FOUND, "not_found").await;
        // Exactly what a record that never existed answers.
        let missing = app
            .get_as(&format!("/api/v1/orgs/{}", uuid::Uuid::now_v7()), &me.admin)
            .await;
        let missing = assert_problem(missing, StatusCode::NOT_FOUND, "not_found").await;
        assert_eq!(body["detail"], missing["detail"], "{what}");
    }

    // Writes answer 404 too, and change nothing.
    let res = app
        .patch_as(
            &format!("/api/v1/orgs/{}", other.org_id),
            &me.admin,
            &json!({"name": "taken over"}),
        )
        .await;
    assert_problem(res, StatusCode::NOT_FOUND, "not_found").await;
    let res = app
        .post_as(
            &format!("/api/v1/users/{}/disable", other.operator_user_id),
            &me.admin,
            &json!({}),
        )
        .await;
    assert_problem(res, StatusCode::NOT_FOUND, "not_found").await;
    let res = app
        .post_as(
            &format!("/api/v1/users/{}/reset-password", other.operator_user_id),
            &me.admin,
            &json!({"new_password": "hijacked passphrase"}),
        )
        .await;
    assert_problem(res, StatusCode::NOT_FOUND, "not_found").await;
    let res = app
        .post_as("/api/v1/orgs", &me.admin, &json!({"parent_id": other.org_id, "level": "township", "name": "x", "division_code": other_code}))
        .await;
    assert_problem(res, StatusCode::NOT_FOUND, "not_found").await;
    let planted = json!({"username": format!("planted.{other_code}"), "display_name": "p", "org_id": other.org_id, "roles": ["operator"], "password": PASSWORD});
    assert_problem(
        app.post_as("/api/v1/users", &me.admin, &planted).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let res = app
        .post_as(
            &format!("/api/v1/orgs/{township}/move"),
            &me.admin,
            &json!({"parent_id": me.org_id}),
        )
        .await;
    assert_problem(res, StatusCode::NOT_FOUND, "not_found").await;
    let res = app
        .post_as(
            &format!("/api/v1/orgs/{}/move", me.org_id),
            &me.admin,
            &json!({"parent_id": other.org_id}),
        )
        .await;
    assert_ne!(res.status(), StatusCode::OK);
    let org = json_body(
        app.get_as(&format!("/api/v1/orgs/{}", other.org_id), &other.admin)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_ne!(org["name"], "taken over");
    app.login(&format!("{other_code}.operator"), PASSWORD).await;

    // Lists, filters and counts show only `me`'s subtree.
    let orgs = json_body(
        app.get_as("/api/v1/orgs?count=true", &me.admin).await,
        StatusCode::OK,
    )
    .await;
    let ids: Vec<&str> = orgs["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&me.org_id.as_str()));
    assert!(!ids.contains(&other.org_id.as_str()) && !ids.contains(&township));
    assert_eq!(orgs["total"].as_u64().unwrap() as usize, ids.len());
    let filtered = json_body(
        app.get_as(
            &format!("/api/v1/users?org_id={}&count=true", other.org_id),
            &me.admin,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(filtered["total"], 0);
    assert_eq!(filtered["items"], json!([]));
    let filtered = json_body(
        app.get_as(
            &format!("/api/v1/orgs?parent_id={}", other.org_id),
            &me.admin,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(filtered["items"], json!([]));
    let users = json_body(
        app.get_as("/api/v1/users?count=true", &me.admin).await,
        StatusCode::OK,
    )
    .await;
    assert!(
        users["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["org_id"] == me.org_id.as_str())
    );
    let tree = json_body(
        app.get_as("/api/v1/orgs/tree", &me.admin).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(tree["id"], me.org_id.as_str());
    assert!(!tree.to_string().contains(&other.org_id));
}

/// The permission each operation declares in the document (`x-permission`) is the one the server
/// enforces: every operation is called, with its documented example body and made-up ids, by a
/// staff member whose roles lack that permission, and must answer 403 `forbidden` (the
/// permission is checked before the record is looked up, so made-up ids do not matter).
#[tokio::test]
async fn every_operation_enforces_the_permission_it_documents() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let a = app.county(&admin, "任城区总工会", "370811").await;
    let mut staff: Vec<(String, Vec<String>)> = Vec::new();
    for role in ["approver", "auditor"] {
        let name = format!("370811.{role}");
        app.create_user(&a.admin, &a.org_id, &name, &[role]).await;
        staff.push((app.login(&name, PASSWORD).await.access, Vec::new()));
    }
    staff.push((a.operator.clone(), Vec::new()));
    staff.push((a.admin.clone(), Vec::new()));
    for (token, permissions) in &mut staff {
        let me = json_body(app.get_as("/api/v1/me", token).await, StatusCode::OK).await;
        *permissions = me["permissions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_str().unwrap().to_owned())
            .collect();
    }
    let doc = json_body(app.get("/openapi.json").await, StatusCode::OK).await;
    let (mut checked, mut failures) = (0, Vec::new());
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let Some(permission) = op["x-permission"].as_str() else {
                continue;
            };
            // Only named permissions; `authenticated` and public operations have none to lack.
            if !permission.contains('.') {
                continue;
            }
            let Some((token, _)) = staff
                .iter()
                .find(|(_, p)| !p.iter().any(|x| x == permission))
            else {
                continue; // every staff role holds it (reading organisations)
            };
            let mut url = path.clone();
            while let Some(start) = url.find('{') {
                let end = url[start..].find('}').unwrap() + start;
                url.replace_range(start..=end, &uuid::Uuid::now_v7().to_string());
            }
            let mut query = Vec::new();
            for p in op["parameters"].as_array().into_iter().flatten() {
                if p["in"] == "query" && p["required"] == true {
                    query.push((p["name"].as_str().unwrap().to_owned(), a.org_id.clone()));
                }
            }
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let mut request = app.authed(method.clone(), &url, token).query(&query);
            let content = &op["requestBody"]["content"];
            if let Some(example) = request_examples(&doc, op).and_then(|e| e.into_iter().next()) {
                request = request.json(&example);
            } else if content.get("text/csv").is_some() {
                request = request
                    .header("Content-Type", "text/csv")
                    .body("姓名\n张三\n");
            }
            let res = request.send().await.unwrap();
            let status = res.status();
            let body: Value = res.json().await.unwrap_or(Value::Null);
            checked += 1;
            if status != StatusCode::FORBIDDEN || body["code"] != "forbidden" {
                failures.push(format!("{method} {path} ({permission}): {status} {body}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(checked >= 40, "only {checked} operations checked");
}
