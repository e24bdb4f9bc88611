//! The audit trail: written for sign-ins and account changes, never holding secrets, scoped.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{PASSWORD, json_body, spawn_app};

#[tokio::test]
async fn logins_and_user_changes_are_audited_without_secrets() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let county = app.county(&admin, "任城区总工会", "370811").await;
    let res = app
        .post_json(
            "/api/v1/auth/login",
            &json!({"username": "370811.operator", "password": "wrong password!"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = app
        .patch_as(
            &format!("/api/v1/users/{}", county.operator_user_id),
            &county.admin,
            &json!({"display_name": "王芳"}),
        )
        .await;
    json_body(res, StatusCode::OK).await;

    let logins = json_body(
        app.get_as("/api/v1/audit-events?action=auth.login", &admin)
            .await,
        StatusCode::OK,
    )
    .await;
    let logins = logins["items"].as_array().unwrap();
    assert!(
        logins
            .iter()
            .any(|e| e["outcome"] == "failure" && e["actor_name"] == "370811.operator")
    );
    assert!(
        logins
            .iter()
            .any(|e| e["outcome"] == "success" && e["actor_name"] == "370811.admin")
    );
    assert!(
        logins
            .iter()
            .all(|e| e["client_ip"] == "127.0.0.1" && e["request_id"].is_string())
    );

    let path = format!(
        "/api/v1/audit-events?resource_type=user&resource_id={}",
        county.operator_user_id
    );
    let events = json_body(app.get_as(&path, &admin).await, StatusCode::OK).await;
    let actions: Vec<&str> = events["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["user.update", "auth.login", "user.create"],
        "newest first"
    );
    let update = &events["items"][0];
    assert_eq!(update["actor_name"], "370811.admin");
    assert_eq!(update["changes"], json!({"display_name": "王芳"}));

    // No password or token anywhere in the trail.
    let all = json_body(
        app.get_as("/api/v1/audit-events?limit=200", &admin).await,
        StatusCode::OK,
    )
    .await;
    let text = all.to_string();
    assert!(
        !text.contains(PASSWORD) && !text.contains("wrong password!") && !text.contains("argon2")
    );

    // Time range filter.
    let future = json_body(
        app.get_as("/api/v1/audit-events?from=2999-01-01T00:00:00Z", &admin)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(future["items"], json!([]));
    let now = chrono::Utc::now();
    let range = |from: chrono::DateTime<chrono::Utc>, to: chrono::DateTime<chrono::Utc>| {
        format!(
            "/api/v1/audit-events?action=auth.login&from={}&to={}&count=true",
            urlencode(&from.to_rfc3339()),
            urlencode(&to.to_rfc3339())
        )
    };
    let hour = chrono::TimeDelta::hours(1);
    let around = json_body(
        app.get_as(&range(now - hour, now + hour), &admin).await,
        StatusCode::OK,
    )
    .await;
    assert!(around["total"].as_u64() >= Some(1), "{around}");
    let before = json_body(
        app.get_as(&range(now - hour - hour, now - hour), &admin)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(before["total"], 0);
}

fn urlencode(text: &str) -> String {
    text.replace('+', "%2B").replace(':', "%3A")
}

#[tokio::test]
async fn a_county_auditor_sees_only_its_county() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let a = app.county(&admin, "任城区总工会", "370811").await;
    app.county(&admin, "兖州区总工会", "370812").await;
    app.create_user(&a.admin, &a.org_id, "a.auditor", &["auditor"])
        .await;
    let auditor = app.login("a.auditor", PASSWORD).await.access;
    let events = json_body(
        app.get_as("/api/v1/audit-events?limit=200", &auditor).await,
        StatusCode::OK,
    )
    .await;
    let items = events["items"].as_array().unwrap();
    assert!(!items.is_empty());
    assert!(
        items.iter().all(|e| e["org_id"] == a.org_id.as_str()),
        "{events}"
    );
}
