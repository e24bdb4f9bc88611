//! `siji demo-city` with the real binary: a small city built, the run killed with SIGKILL while
//! it writes workers, run again to completion, and once more to find nothing left to do; the
//! server then shows exactly the planned records, each once, masked, and audited, and the 2017
//! campaigns' approved grants add up to what their ledgers hold committed.

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

async fn get_json(client: &reqwest::Client, base: &str, token: &str, path: &str) -> Value {
    client
        .get(format!("{base}{path}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn count(client: &reqwest::Client, base: &str, token: &str, path: &str) -> i64 {
    let body = get_json(client, base, token, path).await;
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
    // The campaigns: nothing left to visit, create or approve.
    let (visited, formal) = summary(&out, "archive visits");
    assert_eq!(visited, 0, "{out}");
    assert_eq!(summary(&out, "campaigns"), (0, 3), "{out}");
    let (approved, before) = summary(&out, "grants");
    assert_eq!(approved, 0, "{out}");
    // The student's payout: nothing left to pay.
    assert_eq!(summary(&out, "payouts"), (0, 1), "{out}");

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
    let page = get_json(&client, base, &admin, "/api/v1/workers?limit=1").await;
    let shown = page["items"][0]["id_number"].as_str().unwrap();
    assert!(shown.contains("********"), "masked: {shown}");

    // The plan's grants: each county's first township is township 0, 14, 28, …, and of the 40
    // enterprises (township = index mod 154) those are 0, 14 and 28. Summer: their frontline
    // high-temperature workers (every 21st) at 58 yuan; winter: their archives (heads every
    // tenth worker, enterprise = index mod 40, so enterprise 0's 30) at 400 yuan; autumn: the
    // one household with a child at college (household 0), at vocational college, 3,000 yuan.
    let summer = (0..3000)
        .filter(|i| i % 21 == 0 && [0, 14, 28].contains(&(i % 40)))
        .count() as u64;
    let expected = [
        ("2017年夏送清凉", summer, 5_800),
        ("2017年金秋助学", 1, 300_000),
        ("2017年冬送温暖", 30, 40_000),
    ];
    assert_eq!(before, expected.iter().map(|e| e.1).sum::<u64>(), "{out}");
    assert_eq!(
        formal, 30,
        "winter's households, the student's among them: {out}"
    );
    let get = async |path: String| get_json(&client, base, &admin, &path).await;
    let campaigns = get("/api/v1/campaigns?limit=50".into()).await;
    let campaigns = campaigns["items"].as_array().unwrap();
    assert_eq!(campaigns.len(), 3, "{campaigns:?}");
    for (title, people, each) in expected {
        let c = campaigns.iter().find(|c| c["title"] == title).unwrap();
        let id = c["id"].as_str().unwrap();
        assert_eq!(c["status"], "closed", "{c}");
        let check = get(format!("/api/v1/campaigns/{id}/balance-check")).await;
        assert_eq!(check["consistent"], true, "{title}: {check}");
        let figures = get(format!("/api/v1/campaigns/{id}/grant-figures")).await;
        assert_eq!(figures["approved"], people, "{title}: {figures}");
        let fen = figures["approved_fen"].as_i64().unwrap();
        assert_eq!(fen, people as i64 * each, "{title}: {figures}");
        // The ledger holds committed exactly what the approved grants amount to.
        let holdings = get(format!("/api/v1/campaigns/{id}/holdings")).await;
        let total = |figure: &str| -> i64 {
            let all = holdings["holdings"].as_array().unwrap().iter();
            all.map(|h| h["total"][figure].as_i64().unwrap()).sum()
        };
        let committed = total("committed_fen");
        assert_eq!(committed, fen, "{title}: {holdings}");
        // Only the autumn aid goes through a bank, and it is paid in full.
        let paid = total("paid_fen");
        let to_cards = if title == "2017年金秋助学" {
            fen
        } else {
            0
        };
        assert_eq!(paid, to_cards, "{title}: {holdings}");
        // Three people took the three steps.
        let grants = get(format!("/api/v1/grants?campaign_id={id}&limit=200")).await;
        for g in grants["items"].as_array().unwrap() {
            assert_eq!(g["status"], "approved", "{g}");
            let hands = [&g["submitted_by"], &g["verified_by"], &g["approved_by"]];
            assert!(hands.iter().all(|h| h.is_string()), "{g}");
            assert!(
                hands[0] != hands[1] && hands[1] != hands[2] && hands[0] != hands[2],
                "{g}"
            );
        }
    }

    // The student was paid to a card on the second try: the first batch's payout refused (the
    // card closed), the card replaced, a follow-up batch paid; each batch built by one person
    // and approved by another.
    let autumn = campaigns
        .iter()
        .find(|c| c["title"] == "2017年金秋助学")
        .unwrap()["id"]
        .as_str()
        .unwrap();
    let batches = get(format!("/api/v1/payout-batches?campaign_id={autumn}")).await;
    let batches = batches["items"].as_array().unwrap();
    assert_eq!(batches.len(), 2, "{batches:?}");
    for b in batches {
        assert_eq!(b["status"], "reconciled", "{b}");
        assert_ne!(b["built_by"], b["approved_by"], "{b}");
        assert!(b["approved_by"].is_string(), "{b}");
    }
    let payouts = get(format!("/api/v1/payouts?campaign_id={autumn}")).await;
    let items = payouts["items"].as_array().unwrap();
    let of = |status: &str| {
        let found: Vec<&Value> = items.iter().filter(|p| p["status"] == status).collect();
        assert_eq!(found.len(), 1, "one {status}: {payouts}");
        found[0]
    };
    let (failed, paid) = (of("failed"), of("paid"));
    assert_eq!(items.len(), 2, "{payouts}");
    assert!(
        failed["reason"].as_str().unwrap().ends_with("账户已销户"),
        "{failed}"
    );
    assert_eq!(paid["retry_of"], failed["id"], "{paid}");
    assert_eq!(paid["grant_id"], failed["grant_id"], "{paid}");
    assert_ne!(
        paid["card_id"], failed["card_id"],
        "paid to the new card: {paid}"
    );
    let grants = get(format!("/api/v1/grants?campaign_id={autumn}")).await;
    let member = grants["items"][0]["member_id"].as_str().unwrap();
    let cards = get(format!("/api/v1/bank-cards?member_id={member}")).await;
    let mut states: Vec<&str> = cards["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["status"].as_str().unwrap())
        .collect();
    states.sort();
    assert_eq!(states, ["active", "replaced"], "{cards}");
    assert_eq!(
        count(
            &client,
            base,
            &admin,
            "/api/v1/audit-events?action=payout_file.export&count=true&limit=1"
        )
        .await,
        2,
        "each bank file downloaded once"
    );

    // An account an administrator has disabled is not acted as.
    let approvers = get_json(&client, base, &admin, "/api/v1/users?role=approver").await;
    let approver = approvers["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "demo.approver")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = client
        .post(format!("{base}/api/v1/users/{approver}/disable"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    let out = demo_city(&url).output().unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{said}");
    assert!(said.contains("`demo.approver` is disabled"), "{said}");
}
