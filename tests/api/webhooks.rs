//! Webhooks: a machine client's endpoint is notified of the changes of its kinds in its subtree,
//! signed with HMAC-SHA256 over the timestamp and the body; a refused delivery is tried again
//! with backoff through the job runner, and given up after its last try; every try is shown.
//! The endpoint here is a local receiver that answers as each test scripts it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::helpers::{
    County, TestApp, assert_problem, json_body, nth_id_number, spawn_app, spawn_app_with,
};

/// One request the receiver took: its headers (lower-cased names) and raw body.
#[derive(Clone, Debug)]
struct Received {
    headers: Vec<(String, String)>,
    body: String,
    answered: u16,
}

impl Received {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A local HTTP endpoint answering `script[i]` to the i-th request (the last one thereafter).
async fn receiver(script: Vec<u16>) -> (String, Arc<Mutex<Vec<Received>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/siji/notify", listener.local_addr().unwrap());
    let seen: Arc<Mutex<Vec<Received>>> = Arc::default();
    let log = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            let (head_end, length) = loop {
                let n = socket.read(&mut chunk).await.unwrap_or(0);
                if n == 0 {
                    break (None, 0);
                }
                buf.extend_from_slice(&chunk[..n]);
                if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                    let head = String::from_utf8_lossy(&buf[..at]).to_lowercase();
                    let length = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse::<usize>().ok())
                        .unwrap_or(0);
                    break (Some(at + 4), length);
                }
            };
            let Some(head_end) = head_end else { continue };
            while buf.len() < head_end + length {
                let n = socket.read(&mut chunk).await.unwrap_or(0);
                if n == 0 {
                    break;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
            let headers = head
                .lines()
                .skip(1)
                .filter_map(|l| l.split_once(':'))
                .map(|(n, v)| (n.trim().to_lowercase(), v.trim().to_owned()))
                .collect();
            let body = String::from_utf8_lossy(&buf[head_end..]).to_string();
            let answered = {
                let mut log = log.lock().unwrap();
                let answered = *script.get(log.len()).or(script.last()).unwrap_or(&200);
                log.push(Received {
                    headers,
                    body,
                    answered,
                });
                answered
            };
            let response =
                format!("HTTP/1.1 {answered} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
            let _ = socket.write_all(response.as_bytes()).await;
            let _ = socket.shutdown().await;
        }
    });
    (url, seen)
}

/// Ren cheng's county, its machine client, a receiver answering `script`, and a webhook of the
/// client on it for `kinds`: what most tests start from.
struct Hooked {
    a: County,
    system: String,
    id: String,
    seen: Arc<Mutex<Vec<Received>>>,
}

async fn hooked(app: &TestApp, script: Vec<u16>, kinds: Value) -> Hooked {
    let admin = app.admin_token().await;
    let a = app.county(&admin, "任城区总工会", "370811").await;
    let system = app
        .machine_client(&a.admin, &a.org_id, "任城区职工信息系统")
        .await;
    let (url, seen) = receiver(script).await;
    let hook = json_body(
        app.post_as(
            "/api/v1/sync/webhooks",
            &system,
            &json!({"url": url, "kinds": kinds}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let id = hook["id"].as_str().unwrap().to_owned();
    Hooked {
        a,
        system,
        id,
        seen,
    }
}

/// The feed of workers after `cursor` (a notification's).
async fn workers_after(app: &TestApp, token: &str, cursor: &str) -> Value {
    let path = format!("/api/v1/sync/changes?kinds=worker&cursor={cursor}");
    json_body(app.get_as(&path, token).await, StatusCode::OK).await
}

async fn with_local_endpoints(max_attempts: i32) -> TestApp {
    spawn_app_with(|s| {
        s.sync.webhook_allow_http = true;
        s.sync.webhook_poll_ms = 50;
        s.sync.webhook_max_attempts = max_attempts;
    })
    .await
}

async fn deliveries(app: &TestApp, token: &str, webhook: &str) -> Vec<Value> {
    json_body(
        app.get_as(
            &format!("/api/v1/sync/webhooks/{webhook}/deliveries"),
            token,
        )
        .await,
        StatusCode::OK,
    )
    .await["items"]
        .as_array()
        .unwrap()
        .clone()
}

/// Wait (at most 20 s) until `done` holds of the webhook's deliveries.
async fn wait_for(
    app: &TestApp,
    token: &str,
    webhook: &str,
    done: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let started = std::time::Instant::now();
    loop {
        let now = deliveries(app, token, webhook).await;
        if done(&now) {
            return now;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "deliveries never got there: {now:#?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The receiver's side of the signature: HMAC-SHA256 of `<t>.<body>` under the secret.
fn hmac_hex(secret: &str, message: &str) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(message.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[tokio::test]
async fn a_webhook_is_notified_signed_and_retried_until_its_endpoint_takes_it() {
    let app = with_local_endpoints(5).await;
    let admin = app.admin_token().await;
    let a = app.county(&admin, "任城区总工会", "370811").await;
    let b = app.county(&admin, "兖州区总工会", "370812").await;
    let system = app
        .machine_client(&a.admin, &a.org_id, "任城区职工信息系统")
        .await;
    // The endpoint refuses twice, then takes it.
    let (url, seen) = receiver(vec![503, 500, 200]).await;
    let res = app
        .post_as(
            "/api/v1/sync/webhooks",
            &system,
            &json!({"url": url, "kinds": ["worker"]}),
        )
        .await;
    assert!(res.headers().get("location").is_some());
    let hook = json_body(res, StatusCode::CREATED).await;
    let secret = hook["signing_secret"].as_str().unwrap().to_owned();
    let id = hook["id"].as_str().unwrap().to_owned();

    let w = app
        .create_worker(&a.operator, &a.org_id, "张三明", &nth_id_number(1))
        .await;
    // Another county's worker is none of this client's business.
    app.create_worker(&b.operator, &b.org_id, "李四", &nth_id_number(2))
        .await;

    let done = wait_for(&app, &system, &id, |d| {
        d.iter().any(|d| d["status"] == "delivered")
    })
    .await;
    assert_eq!(done.len(), 1, "{done:#?}");
    let delivery = &done[0];
    let codes: Vec<i64> = delivery["attempt_log"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["status_code"].as_i64().unwrap())
        .collect();
    assert_eq!(codes, [503, 500, 200]);
    assert_eq!(delivery["attempts"], 3);
    let changes = delivery["payload"]["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 1, "{delivery}");
    assert_eq!(changes[0]["id"], w["id"]);
    assert_eq!(
        (changes[0]["kind"].as_str(), changes[0]["op"].as_str()),
        (Some("worker"), Some("create"))
    );

    // What the endpoint received: the same body each time, signed, without personal data.
    let received = seen.lock().unwrap().clone();
    let answered: Vec<u16> = received.iter().map(|r| r.answered).collect();
    assert_eq!(answered, [503, 500, 200]);
    for r in &received {
        assert_eq!(r.body, received[0].body);
        assert_eq!(r.header("siji-delivery"), delivery["id"].as_str());
        assert_eq!(r.header("siji-webhook"), Some(id.as_str()));
        let signature = r.header("siji-signature").unwrap();
        let (t, v1) = signature
            .strip_prefix("t=")
            .and_then(|s| s.split_once(",v1="))
            .unwrap();
        let t: i64 = t.parse().unwrap();
        assert!((chrono::Utc::now().timestamp() - t).abs() < 60);
        assert_eq!(v1, hmac_hex(&secret, &format!("{t}.{}", r.body)));
        assert_ne!(v1, hmac_hex("whsec_another", &format!("{t}.{}", r.body)));
        assert!(!r.body.contains("张三明") && !r.body.contains(&nth_id_number(1)[..10]));
    }
    let body: Value = serde_json::from_str(&received[0].body).unwrap();
    assert_eq!(body["changes"], delivery["payload"]["changes"]);
    assert_eq!(body["cursor_expired"], false);
    assert!(body.get("resync").is_none());
    // The cursor in the notification continues the feed.
    let next = body["next_cursor"].as_str().unwrap();
    let feed = workers_after(&app, &system, next).await;
    assert_eq!(feed["changes"].as_array().unwrap().len(), 0);

    // The secret is never shown again.
    let listed = json_body(
        app.get_as("/api/v1/sync/webhooks", &system).await,
        StatusCode::OK,
    )
    .await;
    assert!(listed["items"][0].get("signing_secret").is_none());
    assert!(!listed.to_string().contains(&secret));
}

#[tokio::test]
async fn a_delivery_is_given_up_after_its_last_try_and_a_removed_webhook_gets_nothing() {
    let app = with_local_endpoints(2).await;
    let Hooked {
        a,
        system,
        id,
        seen,
    } = hooked(&app, vec![500], json!(["worker", "enterprise"])).await;
    app.create_worker(&a.operator, &a.org_id, "张三明", &nth_id_number(1))
        .await;
    let done = wait_for(&app, &system, &id, |d| {
        d.iter().any(|d| d["status"] == "failed")
    })
    .await;
    assert_eq!(done[0]["attempts"], 2, "{done:#?}");
    assert_eq!(seen.lock().unwrap().len(), 2);

    let removed = json_body(
        app.authed(
            Method::DELETE,
            &format!("/api/v1/sync/webhooks/{id}"),
            &system,
        )
        .send()
        .await
        .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(removed["active"], false);
    app.create_worker(&a.operator, &a.org_id, "李四", &nth_id_number(2))
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(deliveries(&app, &system, &id).await.len(), 1);
    assert_eq!(seen.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn only_machine_clients_register_https_endpoints_of_kinds_they_may_read() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let a = app.county(&admin, "任城区总工会", "370811").await;
    let system = app
        .machine_client(&a.admin, &a.org_id, "任城区职工信息系统")
        .await;
    let other = app.machine_client(&admin, &a.org_id, "另一系统").await;
    let body = json!({"url": "http://127.0.0.1:9/notify", "kinds": ["worker"]});
    let problem = assert_problem(
        app.post_as("/api/v1/sync/webhooks", &system, &body).await,
        StatusCode::BAD_REQUEST,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "url");
    for url in [
        "https://user:pw@example.cn/x",
        "https:///x",
        "ftp://example.cn/x",
    ] {
        let res = app
            .post_as(
                "/api/v1/sync/webhooks",
                &system,
                &json!({"url": url, "kinds": ["worker"]}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{url}");
    }
    let staff = app
        .post_as(
            "/api/v1/sync/webhooks",
            &a.operator,
            &json!({"url": "https://example.cn/x", "kinds": ["worker"]}),
        )
        .await;
    assert_problem(staff, StatusCode::FORBIDDEN, "forbidden").await;
    let hook = json_body(
        app.post_as(
            "/api/v1/sync/webhooks",
            &system,
            &json!({"url": "https://sync.example.cn/x", "kinds": ["worker"]}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    // The county's administrator sees its clients' deliveries; an operator may not.
    let id = hook["id"].as_str().unwrap();
    let path = format!("/api/v1/sync/webhooks/{id}/deliveries");
    assert_eq!(app.get_as(&path, &a.admin).await.status(), StatusCode::OK);
    assert_problem(
        app.get_as(&path, &a.operator).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    // Another client cannot see or remove it.
    let res = app
        .get_as(&format!("/api/v1/sync/webhooks/{id}/deliveries"), &other)
        .await;
    assert_problem(res, StatusCode::NOT_FOUND, "not_found").await;
    let res = app
        .authed(
            Method::DELETE,
            &format!("/api/v1/sync/webhooks/{id}"),
            &other,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

/// Two processes on one database both cut notifications: every change is notified exactly once,
/// because a webhook's cursor moves only by a conditional update in the delivery's transaction.
#[tokio::test]
async fn two_instances_notify_each_change_once() {
    let app = with_local_endpoints(5).await;
    let peer = app
        .peer(|s| {
            s.sync.webhook_allow_http = true;
            s.sync.webhook_poll_ms = 10;
        })
        .await;
    let Hooked {
        a,
        system,
        id,
        seen,
    } = hooked(&app, vec![200], json!(["worker"])).await;
    let mut created = Vec::new();
    for n in 1..=30u32 {
        // Written through both instances, while both dispatch.
        let via = if n % 2 == 0 { &app } else { &peer };
        let w = via
            .create_worker(
                &a.operator,
                &a.org_id,
                &format!("职工{n}"),
                &nth_id_number(n),
            )
            .await;
        created.push(w["id"].as_str().unwrap().to_owned());
    }
    let notified = |d: &[Value]| -> Vec<String> {
        d.iter()
            .filter(|d| d["status"] == "delivered")
            .flat_map(|d| d["payload"]["changes"].as_array().unwrap().clone())
            .map(|c| c["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let done = wait_for(&app, &system, &id, |d| notified(d).len() >= 30).await;
    let mut ids = notified(&done);
    ids.sort();
    created.sort();
    assert_eq!(ids, created, "each change once");
    // And the endpoint got each delivery once.
    let received = seen.lock().unwrap().clone();
    let mut deliveries: Vec<&str> = received
        .iter()
        .filter_map(|r| r.header("siji-delivery"))
        .collect();
    let all = deliveries.len();
    deliveries.sort_unstable();
    deliveries.dedup();
    assert_eq!(deliveries.len(), all);
    drop(peer);
}

/// A client disabled while a delivery waits for its next try: the delivery is cancelled with the
/// client, not left `pending` for ever, and the endpoint hears nothing more.
#[tokio::test]
async fn a_disabled_clients_pending_deliveries_are_cancelled() {
    // Tries enough that it is still retrying when the client is disabled, however slow the run.
    let app = with_local_endpoints(30).await;
    let Hooked { a, id, seen, .. } = hooked(&app, vec![500], json!(["worker"])).await;
    app.create_worker(&a.operator, &a.org_id, "张三明", &nth_id_number(1))
        .await;
    // Tried and still pending: the retries come tens of milliseconds apart at first, so waiting
    // for exactly one try could miss it and wait for ever.
    wait_for(&app, &a.admin, &id, |d| {
        d.iter()
            .any(|d| d["status"] == "pending" && d["attempts"].as_i64() >= Some(1))
    })
    .await;

    let clients = json_body(
        app.get_as("/api/v1/clients", &a.admin).await,
        StatusCode::OK,
    )
    .await;
    let client = clients["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "任城区职工信息系统")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    json_body(
        app.post_as(
            &format!("/api/v1/clients/{client}/disable"),
            &a.admin,
            &json!({}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let done = deliveries(&app, &a.admin, &id).await;
    assert!(done.iter().all(|d| d["status"] == "cancelled"), "{done:#?}");
    // A try already on the wire when the client was disabled may still land; none after it.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let heard = seen.lock().unwrap().len();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(seen.lock().unwrap().len(), heard);
}

/// Notifications stopped for longer than the log keeps changes (here: no dispatcher pass between
/// the change and the pruning) lost changes that were never notified. The next notification says
/// so even with nothing new to name, and names the resync; then notifications go on as before.
#[tokio::test]
async fn a_webhook_whose_changes_were_pruned_unnotified_is_told_to_resync() {
    let app = spawn_app_with(|s| {
        s.sync.webhook_allow_http = true;
        // The runner cuts notifications once, at start; this test cuts the rest itself.
        s.sync.webhook_poll_ms = 3_600_000;
        s.sync.webhook_max_attempts = 3;
    })
    .await;
    let Hooked {
        a,
        system,
        id,
        seen,
    } = hooked(&app, vec![200], json!(["worker"])).await;
    app.create_worker(&a.operator, &a.org_id, "张三明", &nth_id_number(1))
        .await;
    assert!(crate::helpers::prune_log(&app).await >= 1);

    let dispatch = async || {
        siji_api::sync::webhooks::dispatch(&app.db, 3, chrono::Utc::now())
            .await
            .unwrap()
            .made
    };
    // The runner's pass at start may come late on a loaded machine and cut this notification
    // itself: one of the two makes it, and exactly one is delivered.
    assert!(dispatch().await <= 1);
    let done = wait_for(&app, &system, &id, |d| {
        d.iter().any(|d| d["status"] == "delivered")
    })
    .await;
    assert_eq!(done.len(), 1, "{done:#?}");
    let payload = &done[0]["payload"];
    assert_eq!(payload["cursor_expired"], true, "{payload}");
    assert_eq!(payload["resync"], "/api/v1/sync/snapshot");
    assert_eq!(payload["changes"], json!([]));
    assert_eq!(done[0]["changes"], 0);
    let body: Value = serde_json::from_str(&seen.lock().unwrap()[0].body).unwrap();
    assert_eq!(body, *payload);
    // Its cursor is the horizon: the feed reads on from it, and nothing is left to notify.
    let next = payload["next_cursor"].as_str().unwrap();
    let feed = workers_after(&app, &system, next).await;
    assert_eq!(feed["changes"], json!([]));
    assert_eq!(dispatch().await, 0);

    // What commits from now on is notified as ever, without the flag.
    let w = app
        .create_worker(&a.operator, &a.org_id, "李四", &nth_id_number(2))
        .await;
    let started = std::time::Instant::now();
    while dispatch().await == 0 {
        // On PostgreSQL a change is read once every older transaction of the cluster ended.
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "never notified"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let done = wait_for(&app, &system, &id, |d| {
        d.len() == 2 && d.iter().all(|d| d["status"] == "delivered")
    })
    .await;
    let payload = &done[0]["payload"];
    assert_eq!(payload["cursor_expired"], false, "{payload}");
    assert!(payload.get("resync").is_none());
    assert_eq!(payload["changes"][0]["id"], w["id"]);
}
