//! Error shapes that do not depend on a resource: unknown routes, wrong methods, request ids,
//! CORS. (Body, query and path errors are covered with the resources that take them.)

use reqwest::{Method, StatusCode};

use crate::helpers::{assert_problem, spawn_app, spawn_app_with};

#[tokio::test]
async fn unknown_route_is_a_404_problem() {
    let app = spawn_app().await;
    for path in ["/nope", "/api/v1/no-such-thing", "/api/v2/healthz"] {
        assert_problem(app.get(path).await, StatusCode::NOT_FOUND, "not_found").await;
    }
}

#[tokio::test]
async fn wrong_method_is_a_405_problem_with_allow() {
    let app = spawn_app().await;
    let res = app
        .request(Method::DELETE, "/healthz")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers().get("allow").unwrap(), "GET");
    assert_problem(res, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed").await;

    let res = app
        .request(Method::POST, "/openapi.json")
        .send()
        .await
        .unwrap();
    assert_problem(res, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed").await;
}

#[tokio::test]
async fn request_id_is_echoed_or_generated() {
    let app = spawn_app().await;
    let res = app
        .request(Method::GET, "/healthz")
        .header("x-request-id", "county-sync-42")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers().get("x-request-id").unwrap(), "county-sync-42");

    let res = app.get("/healthz").await;
    let generated = res.headers().get("x-request-id").unwrap().to_str().unwrap();
    assert!(uuid::Uuid::parse_str(generated).is_ok());

    // An id that is unsafe to log is replaced, and the problem body carries the same id.
    let res = app
        .request(Method::GET, "/nope")
        .header("x-request-id", "a b <script>")
        .send()
        .await
        .unwrap();
    let header = res
        .headers()
        .get("x-request-id")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert_ne!(header, "a b <script>");
    let body = assert_problem(res, StatusCode::NOT_FOUND, "not_found").await;
    assert_eq!(body["request_id"], header);
}

#[tokio::test]
async fn cors_allows_configured_origins_only() {
    let app = spawn_app_with(|s| s.cors_origins = vec!["https://siji.example.org".into()]).await;

    let res = app
        .request(Method::OPTIONS, "/healthz")
        .header("origin", "https://siji.example.org")
        .header("access-control-request-method", "GET")
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success());
    assert_eq!(
        res.headers().get("access-control-allow-origin").unwrap(),
        "https://siji.example.org"
    );

    let res = app
        .request(Method::GET, "/healthz")
        .header("origin", "https://siji.example.org")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers().get("access-control-allow-origin").unwrap(),
        "https://siji.example.org"
    );

    // A simple request from another origin is answered without the CORS grant, so the browser
    // withholds the response from the page.
    let res = app
        .request(Method::GET, "/healthz")
        .header("origin", "https://evil.example.com")
        .send()
        .await
        .unwrap();
    assert!(res.headers().get("access-control-allow-origin").is_none());

    // A preflight from another origin is refused, as a problem document.
    let res = app
        .request(Method::OPTIONS, "/healthz")
        .header("origin", "https://evil.example.com")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert!(res.headers().get("access-control-allow-origin").is_none());
    assert_problem(res, StatusCode::BAD_REQUEST, "bad_request").await;
}

/// Bad bodies, queries, paths and media types on real endpoints.
#[tokio::test]
async fn bad_input_is_a_4xx_problem_never_a_500() {
    let app = spawn_app_with(|s| s.body_limit = 4096).await;
    let login = "/api/v1/auth/login";

    let res = app
        .request(Method::POST, login)
        .header("content-type", "application/json")
        .body("{\"username\": ")
        .send()
        .await
        .unwrap();
    assert_problem(res, StatusCode::BAD_REQUEST, "invalid_json").await;

    let res = app
        .request(Method::POST, login)
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_problem(
        res,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;
    let res = app
        .request(Method::POST, login)
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_problem(
        res,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;

    let huge = serde_json::json!({"username": "x".repeat(10_000), "password": "y"});
    let res = app.post_json(login, &huge).await;
    assert_problem(res, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;

    // Unknown fields, missing fields and wrong types are listed per field, without the value.
    let res = app
        .post_json(
            login,
            &serde_json::json!({"username": "a", "password": "b", "org_id": "x"}),
        )
        .await;
    let body = assert_problem(res, StatusCode::BAD_REQUEST, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "org_id");
    assert_eq!(body["errors"][0]["code"], "unknown_field");
    let res = app
        .post_json(
            login,
            &serde_json::json!({"username": "11010519491231002X", "password": 110105}),
        )
        .await;
    let body = assert_problem(res, StatusCode::BAD_REQUEST, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "password");
    assert!(!body.to_string().contains("110105"), "{body}");
    let res = app
        .post_json(login, &serde_json::json!({"username": ""}))
        .await;
    let body = assert_problem(res, StatusCode::BAD_REQUEST, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "password");

    let admin = app.admin_token().await;
    let res = app.get_as("/api/v1/orgs/not-a-uuid", &admin).await;
    assert_problem(res, StatusCode::BAD_REQUEST, "invalid_path").await;
    let res = app.get_as("/api/v1/orgs?limit=500", &admin).await;
    let body = assert_problem(res, StatusCode::BAD_REQUEST, "invalid_query").await;
    assert_eq!(body["errors"][0]["field"], "limit");

    // A protected route without a token: 401, not 404 or 405.
    assert_problem(
        app.get("/api/v1/orgs").await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;
    let res = app
        .request(Method::DELETE, "/api/v1/orgs")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers().get("allow").unwrap(), "GET, POST");
    assert_problem(res, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed").await;
}

/// The routes under `/api/v1` are grouped by their first segment (`resources::GROUPS`): a
/// request tries only its group's routes, and must reach the same route as when every route was
/// tried in turn, escapes in its first segment included.
#[tokio::test]
async fn requests_reach_their_route_through_its_group() {
    let app = spawn_app().await;
    let id = uuid::Uuid::now_v7();
    // Protected routes, each reached: 401 without a token, not 404.
    for path in [
        "/api/v1/workers".to_owned(),
        "/api/v1/%77orkers".to_owned(),
        format!("/api/v1/workers/{id}"),
        format!("/api/v1/%77ork%65rs/{id}"),
        "/api/v1/audit-events".to_owned(),
        "/api/v1/stats/beneficiaries".to_owned(),
        "/api/v1/stats/wage-agreement-coverage".to_owned(),
        // The modules sharing `/campaigns`: campaigns, grants, payouts.
        format!("/api/v1/campaigns/{id}"),
        format!("/api/v1/campaigns/{id}/grant-figures"),
        format!("/api/v1/campaigns/{id}/payout-check-summary"),
    ] {
        let res = app.get(&path).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{path}");
    }
    for path in [
        "/api/v1",
        "/api/v1/",
        "/api/v1/workersx",
        "/api/v1/stats",
        "/api/v1/campaigns/x/y/z",
    ] {
        assert_problem(app.get(path).await, StatusCode::NOT_FOUND, "not_found").await;
    }
    let res = app
        .request(Method::DELETE, "/api/v1/workers")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers().get("allow").unwrap(), "GET, POST");
    assert_problem(res, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed").await;
}
