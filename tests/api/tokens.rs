//! Access-token validation: every malformed, forged or out-of-date token is a 401 problem.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{JWT_SECRET, assert_problem, json_body, spawn_app};

fn sign(claims: &Value, secret: &str) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

fn claims(sub: &str, overrides: Value) -> Value {
    let now = chrono::Utc::now().timestamp();
    let mut c = json!({
        "sub": sub, "kind": "user", "iss": "siji", "aud": "siji-api",
        "iat": now, "nbf": now, "exp": now + 600, "jti": uuid::Uuid::new_v4()
    });
    for (k, v) in overrides.as_object().unwrap() {
        if v.is_null() {
            c.as_object_mut().unwrap().remove(k);
        } else {
            c[k] = v.clone();
        }
    }
    c
}

#[tokio::test]
async fn forged_and_stale_tokens_are_rejected() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let me = json_body(app.get_as("/api/v1/me", &admin).await, StatusCode::OK).await;
    let sub = me["id"].as_str().unwrap().to_owned();

    // A correctly built token works: the forgeries below differ in one thing each.
    let good = sign(&claims(&sub, json!({})), JWT_SECRET);
    json_body(app.get_as("/api/v1/me", &good).await, StatusCode::OK).await;

    let now = chrono::Utc::now().timestamp();
    let header_none = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let header_rs = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims(&sub, json!({})).to_string());
    let good_sig = good.rsplit('.').next().unwrap().to_owned();
    let mut tampered_payload = claims(&sub, json!({}));
    tampered_payload["exp"] = json!(now + 999_999);
    let tampered = format!(
        "{}.{}.{}",
        good.split('.').next().unwrap(),
        URL_SAFE_NO_PAD.encode(tampered_payload.to_string()),
        good_sig
    );

    let cases: Vec<(&str, String)> = vec![
        (
            "expired",
            sign(
                &claims(
                    &sub,
                    json!({"iat": now - 7200, "nbf": now - 7200, "exp": now - 3600}),
                ),
                JWT_SECRET,
            ),
        ),
        (
            "not yet valid",
            sign(
                &claims(&sub, json!({"nbf": now + 3600, "exp": now + 7200})),
                JWT_SECRET,
            ),
        ),
        (
            "wrong secret",
            sign(
                &claims(&sub, json!({})),
                "another-secret-that-is-32-bytes-long!!",
            ),
        ),
        (
            "wrong issuer",
            sign(&claims(&sub, json!({"iss": "someone-else"})), JWT_SECRET),
        ),
        (
            "wrong audience",
            sign(&claims(&sub, json!({"aud": "another-api"})), JWT_SECRET),
        ),
        (
            "no exp",
            sign(&claims(&sub, json!({"exp": null})), JWT_SECRET),
        ),
        (
            "no nbf",
            sign(&claims(&sub, json!({"nbf": null})), JWT_SECRET),
        ),
        (
            "no sub",
            sign(&claims(&sub, json!({"sub": null})), JWT_SECRET),
        ),
        ("tampered payload", tampered),
        ("alg none", format!("{header_none}.{payload}.")),
        ("RS256 header", format!("{header_rs}.{payload}.{good_sig}")),
        ("garbage", "not.a.jwt".to_owned()),
    ];
    for (what, token) in cases {
        let res = app.get_as("/api/v1/me", &token).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{what}");
        assert_eq!(
            res.headers().get("www-authenticate").unwrap(),
            "Bearer",
            "{what}"
        );
        assert_problem(res, StatusCode::UNAUTHORIZED, "unauthenticated").await;
    }

    // No header, and a non-Bearer scheme.
    assert_problem(
        app.get("/api/v1/me").await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    )
    .await;
    let res = app
        .request(reqwest::Method::GET, "/api/v1/me")
        .header("authorization", "Basic YTpi")
        .send()
        .await
        .unwrap();
    assert_problem(res, StatusCode::UNAUTHORIZED, "unauthenticated").await;
}
