//! The organisation tree: creation rules, ETags and If-Match, moving subtrees, pagination.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{assert_problem, json_body, spawn_app};

#[tokio::test]
async fn create_get_update_with_etags() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let root = app.root_org_id(&admin).await;

    let res = app.post_as("/api/v1/orgs", &admin, &json!({"parent_id": root, "level": "county", "name": "任城区总工会", "division_code": "370811"})).await;
    let location = res
        .headers()
        .get("location")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(res.headers().get("etag").unwrap(), "\"1\"");
    let org = json_body(res, StatusCode::CREATED).await;
    assert_eq!(
        location,
        format!("/api/v1/orgs/{}", org["id"].as_str().unwrap())
    );
    assert_eq!(org["depth"], 1);

    let res = app.get_as(&location, &admin).await;
    assert_eq!(res.headers().get("etag").unwrap(), "\"1\"");

    // A stale If-Match is refused and nothing changes.
    let res = app
        .authed(Method::PATCH, &location, &admin)
        .header("if-match", "\"7\"")
        .json(&json!({"name": "x"}))
        .send()
        .await
        .unwrap();
    assert_problem(res, StatusCode::PRECONDITION_FAILED, "precondition_failed").await;
    let res = app
        .authed(Method::PATCH, &location, &admin)
        .header("if-match", "\"1\"")
        .json(&json!({"name": "济宁市任城区总工会", "uscc": "91350100M000100Y43"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers().get("etag").unwrap(), "\"2\"");
    let org = json_body(res, StatusCode::OK).await;
    assert_eq!(org["name"], "济宁市任城区总工会");
    assert_eq!(org["uscc"], "91350100M000100Y43");
    // Reusing the old ETag now fails.
    let res = app
        .authed(Method::PATCH, &location, &admin)
        .header("if-match", "\"1\"")
        .json(&json!({"name": "y"}))
        .send()
        .await
        .unwrap();
    assert_problem(res, StatusCode::PRECONDITION_FAILED, "precondition_failed").await;
    let res = app
        .authed(Method::PATCH, &location, &admin)
        .header("if-match", "garbage")
        .json(&json!({"name": "y"}))
        .send()
        .await
        .unwrap();
    assert_problem(res, StatusCode::BAD_REQUEST, "invalid_header").await;
    // `uscc: null` clears it.
    let org = json_body(
        app.patch_as(&location, &admin, &json!({"uscc": null}))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(org["uscc"], json!(null));
}

#[tokio::test]
async fn creation_is_validated() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let root = app.root_org_id(&admin).await;
    let county = app
        .create_org(&admin, &root, "county", "任城区总工会", "370811")
        .await;

    let cases = [
        (
            json!({"parent_id": root, "level": "county", "name": "x", "division_code": "37081"}),
            "division_code",
            "format",
        ),
        (
            json!({"parent_id": root, "level": "county", "name": "x", "division_code": "000000"}),
            "division_code",
            "province",
        ),
        (
            json!({"parent_id": root, "level": "county", "name": "", "division_code": "370811"}),
            "name",
            "length",
        ),
        (
            json!({"parent_id": root, "level": "county", "name": "x", "division_code": "370811", "uscc": "91350100M000100Y44"}),
            "uscc",
            "checksum",
        ),
        (
            json!({"parent_id": root, "level": "city", "name": "x", "division_code": "370811"}),
            "level",
            "below_parent",
        ),
        (
            json!({"parent_id": county["id"], "level": "county", "name": "x", "division_code": "370811"}),
            "level",
            "below_parent",
        ),
        (
            json!({"parent_id": root, "level": "province", "name": "x", "division_code": "370811"}),
            "level",
            "invalid_value",
        ),
        (
            json!({"parent_id": root, "level": "county", "name": "x", "division_code": "370811", "path": "/"}),
            "path",
            "unknown_field",
        ),
        (
            json!({"parent_id": root, "level": "county", "name": "x", "division_code": "370811", "version": 9}),
            "version",
            "unknown_field",
        ),
        (
            json!({"level": "county", "name": "x", "division_code": "370811"}),
            "parent_id",
            "required",
        ),
    ];
    for (body, field, code) in cases {
        let problem = assert_problem(
            app.post_as("/api/v1/orgs", &admin, &body).await,
            StatusCode::BAD_REQUEST,
            "validation_failed",
        )
        .await;
        let errors = problem["errors"].as_array().unwrap();
        assert!(
            errors
                .iter()
                .any(|e| e["field"] == field && e["code"] == code),
            "{body} → {problem}"
        );
    }
    // An enterprise union may sit directly under a county.
    app.create_org(
        &admin,
        county["id"].as_str().unwrap(),
        "enterprise",
        "某企业工会",
        "370811",
    )
    .await;
}

#[tokio::test]
async fn moving_a_subtree_carries_its_descendants() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let root = app.root_org_id(&admin).await;
    let a = app
        .create_org(&admin, &root, "county", "A县", "370811")
        .await;
    let b = app
        .create_org(&admin, &root, "county", "B县", "370812")
        .await;
    let town = app
        .create_org(
            &admin,
            a["id"].as_str().unwrap(),
            "township",
            "某镇",
            "370811",
        )
        .await;
    let firm = app
        .create_org(
            &admin,
            town["id"].as_str().unwrap(),
            "enterprise",
            "某企业",
            "370811",
        )
        .await;
    let town_id = town["id"].as_str().unwrap();

    // Not below itself, not under a lower level.
    let res = app
        .post_as(
            &format!("/api/v1/orgs/{town_id}/move"),
            &admin,
            &json!({"parent_id": firm["id"]}),
        )
        .await;
    assert_problem(res, StatusCode::CONFLICT, "conflict").await;
    let res = app
        .post_as(
            &format!("/api/v1/orgs/{}/move", a["id"].as_str().unwrap()),
            &admin,
            &json!({"parent_id": b["id"]}),
        )
        .await;
    assert_problem(res, StatusCode::BAD_REQUEST, "validation_failed").await;

    let res = app
        .authed(
            Method::POST,
            &format!("/api/v1/orgs/{town_id}/move"),
            &admin,
        )
        .header("if-match", "\"1\"")
        .json(&json!({"parent_id": b["id"]}))
        .send()
        .await
        .unwrap();
    let moved = json_body(res, StatusCode::OK).await;
    assert_eq!(moved["parent_id"], b["id"]);
    assert_eq!(moved["version"], 2);

    let tree = json_body(
        app.get_as(
            &format!("/api/v1/orgs/tree?root_id={}", b["id"].as_str().unwrap()),
            &admin,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(tree["children"][0]["id"], town["id"]);
    assert_eq!(tree["children"][0]["children"][0]["id"], firm["id"]);
    let tree_a = json_body(
        app.get_as(
            &format!("/api/v1/orgs/tree?root_id={}", a["id"].as_str().unwrap()),
            &admin,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(tree_a["children"], json!([]));
    let firm = json_body(
        app.get_as(
            &format!("/api/v1/orgs/{}", firm["id"].as_str().unwrap()),
            &admin,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(firm["depth"], 3);

    // B's admin now sees the township; nobody may move their own organisation.
    let b_admin_id = app
        .create_user(
            &admin,
            b["id"].as_str().unwrap(),
            "b.admin",
            &["county_admin"],
        )
        .await;
    assert!(b_admin_id["id"].is_string());
    let b_admin = app.login("b.admin", crate::helpers::PASSWORD).await.access;
    json_body(
        app.get_as(&format!("/api/v1/orgs/{town_id}"), &b_admin)
            .await,
        StatusCode::OK,
    )
    .await;
    let res = app
        .post_as(
            &format!("/api/v1/orgs/{}/move", b["id"].as_str().unwrap()),
            &b_admin,
            &json!({"parent_id": town_id}),
        )
        .await;
    assert_problem(res, StatusCode::FORBIDDEN, "forbidden").await;
}

#[tokio::test]
async fn pagination_is_stable_across_inserts() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let root = app.root_org_id(&admin).await;
    for i in 0..5 {
        app.create_org(&admin, &root, "county", &format!("县{i}"), "370811")
            .await;
    }
    let first = json_body(
        app.get_as("/api/v1/orgs?limit=2&count=true", &admin).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(first["total"], 6);
    let mut seen: Vec<Value> = first["items"].as_array().unwrap().clone();
    let mut cursor = first["next_cursor"].as_str().unwrap().to_owned();
    // Rows added while paging appear at the end, never twice, never shifting pages.
    app.create_org(&admin, &root, "county", "县5", "370811")
        .await;
    loop {
        let page = json_body(
            app.get_as(&format!("/api/v1/orgs?limit=2&cursor={cursor}"), &admin)
                .await,
            StatusCode::OK,
        )
        .await;
        seen.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => break,
        }
    }
    let ids: Vec<&str> = seen.iter().map(|o| o["id"].as_str().unwrap()).collect();
    let mut unique = ids.clone();
    unique.dedup();
    assert_eq!(ids.len(), 7);
    assert_eq!(unique.len(), 7);
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted);

    for bad in [
        "limit=0",
        "limit=201",
        "limit=abc",
        "cursor=%40%40",
        "level=galaxy",
        "colour=red",
    ] {
        let res = app.get_as(&format!("/api/v1/orgs?{bad}"), &admin).await;
        assert_problem(res, StatusCode::BAD_REQUEST, "invalid_query").await;
    }
}
