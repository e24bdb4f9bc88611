//! `siji demo-city` with the real binary: a small city built, the run killed with SIGKILL while
//! it writes workers, run again to completion, and once more to find nothing left to do; the
//! server then shows exactly the planned records, each once, masked, and audited.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::crash::{Server, free_port, siji_binary, token};
use crate::helpers::{ADMIN_PASSWORD, DATA_KEY, INDEX_KEY, fresh_database_url};

const PLAN: [&str; 8] = [
    "--enterprises",
    "40",
    "--workers",
    "3000",
    "--archives",
    "120",
    "--batch",
    "100",
];

fn demo_city(database_url: &str) -> Command {
    let mut command = Command::new(siji_binary());
    command
        .arg("demo-city")
        .args(PLAN)
        .env("DATABASE_URL", database_url)
        .env("SIJI_DATA_KEY", DATA_KEY)
        .env("SIJI_INDEX_KEY", INDEX_KEY)
        .env("SIJI_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("SIJI_LOG", "warn");
    command
}

/// The summary line of a phase: (written, there already).
fn summary(out: &str, phase: &str) -> (u64, u64) {
    let line = out
        .lines()
        .find(|l| {
            l.strip_prefix(phase)
                .is_some_and(|rest| rest.starts_with(' '))
        })
        .unwrap_or_else(|| panic!("no summary for {phase} in:\n{out}"));
    let numbers: Vec<u64> = line
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    (numbers[0], numbers[1])
}

async fn count(client: &reqwest::Client, base: &str, token: &str, path: &str) -> i64 {
    let body: Value = client
        .get(format!("{base}{path}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["total"]
        .as_i64()
        .unwrap_or_else(|| panic!("{path}: {body}"))
}

#[tokio::test]
async fn the_demo_city_is_built_through_the_rules_and_resumes_after_a_kill() {
    let (url, _guard) = fresh_database_url().await;

    // Killed while it writes workers.
    let mut run = demo_city(&url)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let lines = BufReader::new(run.stdout.take().unwrap()).lines();
    for line in lines {
        let line = line.unwrap();
        if line.starts_with("workers: ") && !line.starts_with("workers: 100/") {
            break;
        }
    }
    run.kill().unwrap();
    run.wait().unwrap();

    // Run again: it completes what was left.
    let out = demo_city(&url).output().unwrap();
    let out = String::from_utf8_lossy(&out.stdout).to_string();
    let (written, there) = summary(&out, "workers");
    assert_eq!(written + there, 3000, "{out}");
    assert!(there >= 200, "the first run's batches were kept: {out}");
    // Once more: nothing to do.
    let out = demo_city(&url).output().unwrap();
    let out = String::from_utf8_lossy(&out.stdout).to_string();
    for (phase, planned) in [
        ("enterprises", 40),
        ("workers", 3000),
        ("archives", 120),
        ("wage agreements", 38),
    ] {
        assert_eq!(summary(&out, phase), (0, planned), "{phase}: {out}");
    }

    let server = Server::start(&url, free_port()).await;
    let client = reqwest::Client::new();
    let admin = token(&client, &server.base).await;
    let base = server.base.as_str();
    assert_eq!(
        count(&client, base, &admin, "/api/v1/workers?count=true&limit=1").await,
        3000
    );
    assert_eq!(
        count(
            &client,
            base,
            &admin,
            "/api/v1/enterprises?count=true&limit=1"
        )
        .await,
        40
    );
    assert_eq!(
        count(
            &client,
            base,
            &admin,
            "/api/v1/beneficiaries?count=true&limit=1"
        )
        .await,
        120
    );
    assert_eq!(
        count(
            &client,
            base,
            &admin,
            "/api/v1/wage-agreements?count=true&limit=1"
        )
        .await,
        38
    );
    assert_eq!(
        count(
            &client,
            base,
            &admin,
            "/api/v1/audit-events?action=worker.create&count=true&limit=1"
        )
        .await,
        3000
    );
    let page: Value = client
        .get(format!("{base}/api/v1/workers?limit=1"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let shown = page["items"][0]["id_number"].as_str().unwrap();
    assert!(shown.contains("********"), "masked: {shown}");
}
