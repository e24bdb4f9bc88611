//! Signing in, refresh rotation and reuse detection, revocation, throttling, machine clients,
//! the bootstrap admin.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{
    ADMIN_PASSWORD, PASSWORD, assert_problem, json_body, nth_id_number, spawn_app, spawn_app_with,
    uscc,
};

#[tokio::test]
async fn bootstrap_admin_signs_in_as_city_admin_at_the_root() {
    let app = spawn_app().await;
    let res = app
        .post_json(
            "/api/v1/auth/login",
            &json!({"username": "admin", "password": ADMIN_PASSWORD}),
        )
        .await;
    assert_eq!(res.headers().get("cache-control").unwrap(), "no-store");
    let body = json_body(res, StatusCode::OK).await;
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900);
    let me = json_body(
        app.get_as("/api/v1/me", body["access_token"].as_str().unwrap())
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(me["roles"], json!(["city_admin"]));
    assert_eq!(me["org"]["level"], "city");
    assert_eq!(me["org"]["parent_id"], json!(null));
    assert!(
        me["permissions"]
            .as_array()
            .unwrap()
            .contains(&json!("audit.read"))
    );
}

#[tokio::test]
async fn without_admin_password_there_is_no_account_at_all() {
    let app = spawn_app_with(|s| s.bootstrap.admin_password = None).await;
    let res = app
        .post_json(
            "/api/v1/auth/login",
            &json!({"username": "admin", "password": ADMIN_PASSWORD}),
        )
        .await;
    assert_problem(res, StatusCode::UNAUTHORIZED, "unauthenticated").await;
}

#[tokio::test]
async fn wrong_password_and_unknown_user_look_the_same() {
    let app = spawn_app().await;
    let wrong = app
        .post_json(
            "/api/v1/auth/login",
            &json!({"username": "admin", "password": "not the password"}),
        )
        .await;
    let wrong = assert_problem(wrong, StatusCode::UNAUTHORIZED, "unauthenticated").await;
    let unknown = app
        .post_json(
            "/api/v1/auth/login",
            &json!({"username": "nobody", "password": "not the password"}),
        )
        .await;
    let unknown = assert_problem(unknown, StatusCode::UNAUTHORIZED, "unauthenticated").await;
    assert_eq!(wrong["detail"], unknown["detail"]);
}

#[tokio::test]
async fn refresh_rotates_and_a_reused_token_revokes_the_family() {
    let app = spawn_app().await;
    let first = app.login("admin", ADMIN_PASSWORD).await;

    let res = app
        .post_json(
            "/api/v1/auth/refresh",
            &json!({"refresh_token": first.refresh}),
        )
        .await;
    let second = json_body(res, StatusCode::OK).await;
    let second_refresh = second["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(second_refresh, first.refresh);
    json_body(
        app.get_as("/api/v1/me", second["access_token"].as_str().unwrap())
            .await,
        StatusCode::OK,
    )
    .await;

    // The used one again: refused, and the whole family with it.
    let res = app
        .post_json(
            "/api/v1/auth/refresh",
            &json!({"refresh_token": first.refresh}),
        )
        .await;
    assert_problem(res, StatusCode::UNAUTHORIZED, "unauthenticated").await;
    let res = app
        .post_json(
            "/api/v1/auth/refresh",
            &json!({"refresh_token": second_refresh}),
        )
        .await;
    assert_problem(res, StatusCode::UNAUTHORIZED, "unauthenticated").await;

    // Another sign-in is a different family and unaffected.
    let other = app.login("admin", ADMIN_PASSWORD).await;
    let res = app
        .post_json(
            "/api/v1/auth/refresh",
            &json!({"refresh_token": other.refresh}),
        )
        .await;
    json_body(res, StatusCode::OK).await;

    let events = json_body(
        app.get_as(
            "/api/v1/audit-events?action=auth.refresh_reuse",
            &other.access,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    // Both presentations of a token of the revoked family are recorded.
    assert_eq!(events["items"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn logout_revokes_the_refresh_token() {
    let app = spawn_app().await;
    let tokens = app.login("admin", ADMIN_PASSWORD).await;
    let res = app
        .post_json(
            "/api/v1/auth/logout",
            &json!({"refresh_token": tokens.refresh}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = app
        .post_json(
            "/api/v1/auth/refresh",
            &json!({"refresh_token": tokens.refresh}),
        )
        .await;
    assert_problem(res, StatusCode::UNAUTHORIZED, "unauthenticated").await;
    // Unknown tokens get the same 204: logout is no oracle.
    let res = app
        .post_json("/api/v1/auth/logout", &json!({"refresh_token": "made-up"}))
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn disabling_a_user_revokes_refresh_and_access_tokens() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let county = app.county(&admin, "任城区总工会", "370811").await;
    let operator = app.login("370811.operator", PASSWORD).await;

    let res = app
        .post_as(
            &format!("/api/v1/users/{}/disable", county.operator_user_id),
            &county.admin,
            &json!({}),
        )
        .await;
    let user = json_body(res, StatusCode::OK).await;
    assert_eq!(user["active"], false);

    let res = app
        .post_json(
            "/api/v1/auth/refresh",
            &json!({"refresh_token": operator.refresh}),
        )
        .await;
    assert_problem(res, StatusCode::UNAUTHORIZED, "unauthenticated").await;
    assert_problem(
        app.get_as("/api/v1/me", &operator.access).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;
    let res = app
        .post_json(
            "/api/v1/auth/login",
            &json!({"username": "370811.operator", "password": PASSWORD}),
        )
        .await;
    assert_problem(res, StatusCode::UNAUTHORIZED, "unauthenticated").await;

    // Re-enabled: a fresh sign-in works.
    let res = app
        .post_as(
            &format!("/api/v1/users/{}/enable", county.operator_user_id),
            &county.admin,
            &json!({}),
        )
        .await;
    json_body(res, StatusCode::OK).await;
    app.login("370811.operator", PASSWORD).await;
}

#[tokio::test]
async fn changing_a_password_needs_the_old_one_and_revokes_tokens() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    app.county(&admin, "任城区总工会", "370811").await;
    let tokens = app.login("370811.operator", PASSWORD).await;

    let res = app
        .post_as(
            "/api/v1/me/password",
            &tokens.access,
            &json!({"current_password": "wrong one!!", "new_password": "brand new passphrase"}),
        )
        .await;
    let body = assert_problem(res, StatusCode::BAD_REQUEST, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "current_password");

    let res = app
        .post_as(
            "/api/v1/me/password",
            &tokens.access,
            &json!({"current_password": PASSWORD, "new_password": "short"}),
        )
        .await;
    let body = assert_problem(res, StatusCode::BAD_REQUEST, "validation_failed").await;
    assert_eq!(body["errors"][0]["code"], "too_short");

    let res = app
        .post_as(
            "/api/v1/me/password",
            &tokens.access,
            &json!({"current_password": PASSWORD, "new_password": "xx370811.operatorxx"}),
        )
        .await;
    let body = assert_problem(res, StatusCode::BAD_REQUEST, "validation_failed").await;
    assert_eq!(body["errors"][0]["code"], "contains_username");

    // Tokens are checked to the second: make sure the change happens in a later one.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let res = app
        .post_as(
            "/api/v1/me/password",
            &tokens.access,
            &json!({"current_password": PASSWORD, "new_password": "brand new passphrase"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_problem(
        app.get_as("/api/v1/me", &tokens.access).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;
    let res = app
        .post_json(
            "/api/v1/auth/refresh",
            &json!({"refresh_token": tokens.refresh}),
        )
        .await;
    assert_problem(res, StatusCode::UNAUTHORIZED, "unauthenticated").await;
    app.login("370811.operator", "brand new passphrase").await;
}

#[tokio::test]
async fn repeated_failures_are_throttled_with_retry_after() {
    let app = spawn_app_with(|s| {
        s.auth.login_max_failures = 3;
        s.auth.login_window_secs = 600;
    })
    .await;
    for _ in 0..3 {
        let res = app
            .post_json(
                "/api/v1/auth/login",
                &json!({"username": "admin", "password": "not the password"}),
            )
            .await;
        assert_problem(res, StatusCode::UNAUTHORIZED, "unauthenticated").await;
    }
    // Now even the right password is refused until the window passes.
    let res = app
        .post_json(
            "/api/v1/auth/login",
            &json!({"username": "ADMIN", "password": ADMIN_PASSWORD}),
        )
        .await;
    let retry: u64 = res
        .headers()
        .get("retry-after")
        .unwrap()
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry > 0 && retry <= 600, "{retry}");
    assert_problem(res, StatusCode::TOO_MANY_REQUESTS, "too_many_requests").await;
}

#[tokio::test]
async fn failures_from_one_address_are_throttled_across_usernames() {
    let app = spawn_app_with(|s| s.auth.login_ip_max_failures = 4).await;
    for i in 0..4 {
        let res = app
            .post_json(
                "/api/v1/auth/login",
                &json!({"username": format!("user{i}"), "password": "not the password"}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    let res = app
        .post_json(
            "/api/v1/auth/login",
            &json!({"username": "admin", "password": ADMIN_PASSWORD}),
        )
        .await;
    assert_problem(res, StatusCode::TOO_MANY_REQUESTS, "too_many_requests").await;
}

#[tokio::test]
async fn machine_clients_use_client_credentials() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let county = app.county(&admin, "任城区总工会", "370811").await;
    let res = app
        .post_as(
            "/api/v1/clients",
            &county.admin,
            &json!({"name": "任城区系统", "org_id": county.org_id}),
        )
        .await;
    let client = json_body(res, StatusCode::CREATED).await;
    let client_id = client["client_id"].as_str().unwrap().to_owned();
    let secret = client["client_secret"].as_str().unwrap().to_owned();

    // The secret is shown once.
    let again = json_body(
        app.get_as(
            &format!("/api/v1/clients/{}", client["id"].as_str().unwrap()),
            &county.admin,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert!(again.get("client_secret").is_none());

    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", client_id.as_str()),
        ("client_secret", secret.as_str()),
    ];
    let res = app
        .request(Method::POST, "/api/v1/auth/token")
        .form(&form)
        .send()
        .await
        .unwrap();
    let token = json_body(res, StatusCode::OK).await;
    assert!(token.get("refresh_token").is_none());
    let access = token["access_token"].as_str().unwrap().to_owned();
    let me = json_body(app.get_as("/api/v1/me", &access).await, StatusCode::OK).await;
    assert_eq!(me["kind"], "client");
    assert_eq!(me["roles"], json!(["integration"]));
    assert_eq!(me["org"]["id"], county.org_id.as_str());

    // HTTP Basic works too.
    let res = app
        .request(Method::POST, "/api/v1/auth/token")
        .basic_auth(&client_id, Some(&secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    json_body(res, StatusCode::OK).await;

    let bad = [
        ("grant_type", "client_credentials"),
        ("client_id", client_id.as_str()),
        ("client_secret", "wrong"),
    ];
    let res = app
        .request(Method::POST, "/api/v1/auth/token")
        .form(&bad)
        .send()
        .await
        .unwrap();
    assert_problem(res, StatusCode::UNAUTHORIZED, "unauthenticated").await;
    let res = app
        .request(Method::POST, "/api/v1/auth/token")
        .form(&[("grant_type", "password")])
        .send()
        .await
        .unwrap();
    assert_problem(res, StatusCode::BAD_REQUEST, "validation_failed").await;
    // JSON is not the OAuth2 shape.
    let res = app
        .post_json(
            "/api/v1/auth/token",
            &json!({"grant_type": "client_credentials"}),
        )
        .await;
    assert_problem(
        res,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;

    // The registry's hot reads take a client's token as they take a user's.
    let page = json_body(app.get_as("/api/v1/workers", &access).await, StatusCode::OK).await;
    assert_eq!(page["items"], json!([]));

    // Disabling the client refuses its token at once, there too.
    let res = app
        .post_as(
            &format!("/api/v1/clients/{}/disable", client["id"].as_str().unwrap()),
            &county.admin,
            &json!({}),
        )
        .await;
    json_body(res, StatusCode::OK).await;
    for read in ["/api/v1/me", "/api/v1/workers"] {
        assert_problem(
            app.get_as(read, &access).await,
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
        )
        .await;
    }
}

/// The registry's hot reads (`auth::Reader`) act on what the access token says of its
/// principal, and their own statement confirms it. Whatever such a read would have found — a
/// page, an empty page, a record, no record — a changed role, a move to another organisation, a
/// password change or a disabled account stops the token there at once: 401, never the data,
/// never a 404 that tells whether a record exists. A refreshed token reads again, with the
/// account as it is now.
#[tokio::test]
async fn the_registrys_hot_reads_refuse_a_revoked_token_however_they_end() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let county = app.county(&admin, "任城区总工会", "370811").await;
    let worker = app
        .create_worker(&county.operator, &county.org_id, "职工", &nth_id_number(1))
        .await;
    let enterprise = app
        .create_enterprise(
            &county.operator,
            &county.org_id,
            "济宁机床厂",
            &uscc("91370811MA3C00001"),
        )
        .await;
    let reads = [
        "/api/v1/workers".to_owned(),
        format!("/api/v1/workers?enterprise_id={}", uuid::Uuid::now_v7()),
        format!("/api/v1/workers/{}", worker["id"].as_str().unwrap()),
        format!("/api/v1/workers/{}", uuid::Uuid::now_v7()),
        "/api/v1/enterprises".to_owned(),
        "/api/v1/enterprises?status=archived".to_owned(),
        format!("/api/v1/enterprises/{}", enterprise["id"].as_str().unwrap()),
        format!("/api/v1/enterprises/{}", uuid::Uuid::now_v7()),
    ];
    let answers = async |token: &str| {
        let mut statuses = Vec::new();
        for read in &reads {
            statuses.push(app.get_as(read, token).await.status());
        }
        statuses
    };
    let (ok, missing, revoked) = (
        StatusCode::OK,
        StatusCode::NOT_FOUND,
        StatusCode::UNAUTHORIZED,
    );
    let served = [ok, ok, ok, missing, ok, ok, ok, missing];
    let mut tokens = app.login("370811.operator", PASSWORD).await;
    assert_eq!(answers(&tokens.access).await, served);
    let page = json_body(app.get_as(&reads[0], &tokens.access).await, ok).await;
    assert_eq!(page["items"][0]["id"], worker["id"]);

    // Another role, a move to another organisation and back: each time the old token's claims
    // no longer hold, and a refreshed token's do.
    let township = app
        .create_org(
            &county.admin,
            &county.org_id,
            "township",
            "某街道工会",
            "370811",
        )
        .await;
    let changes = [
        json!({"roles": ["operator", "approver"]}),
        json!({"org_id": township["id"]}),
        json!({"org_id": county.org_id}),
    ];
    for change in changes {
        let res = app
            .patch_as(
                &format!("/api/v1/users/{}", county.operator_user_id),
                &county.admin,
                &change,
            )
            .await;
        json_body(res, ok).await;
        assert_eq!(answers(&tokens.access).await, [revoked; 8], "{change}");
        let res = app
            .post_json(
                "/api/v1/auth/refresh",
                &json!({"refresh_token": tokens.refresh}),
            )
            .await;
        let body = json_body(res, ok).await;
        tokens = crate::helpers::Tokens {
            access: body["access_token"].as_str().unwrap().to_owned(),
            refresh: body["refresh_token"].as_str().unwrap().to_owned(),
        };
        assert_eq!(app.get_as(&reads[0], &tokens.access).await.status(), ok);
    }
    let access = tokens.access;
    assert_eq!(answers(&access).await, served);

    // A password change, in a later second than the token's issue (tokens are checked to the
    // second).
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let res = app
        .post_as(
            "/api/v1/me/password",
            &access,
            &json!({"current_password": PASSWORD, "new_password": "brand new passphrase"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(answers(&access).await, [revoked; 8]);

    // Disabled.
    let access = app
        .login("370811.operator", "brand new passphrase")
        .await
        .access;
    assert_eq!(answers(&access).await, served);
    let res = app
        .post_as(
            &format!("/api/v1/users/{}/disable", county.operator_user_id),
            &county.admin,
            &json!({}),
        )
        .await;
    json_body(res, ok).await;
    assert_eq!(answers(&access).await, [revoked; 8]);
}
