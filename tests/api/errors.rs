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
