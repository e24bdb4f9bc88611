//! Crash safety with the real binary: `siji` is started as a child process, killed with SIGKILL
//! in the middle of an import, and started again on the same database. Nothing accepted is lost,
//! nothing is done twice, and the client's retry with its `Idempotency-Key` gets the same job;
//! the same for allocations of a campaign's money, for a bulk approval that commits it, for
//! payouts, and for a county system's sync push.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{
    ADMIN_PASSWORD, DATA_KEY, INDEX_KEY, JWT_SECRET, fresh_database_url, nth_id_number,
};

/// `target/<profile>/siji`, built beside this test binary (`.ci/run` builds it first).
pub fn siji_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().and_then(|deps| deps.parent()).unwrap();
    let binary = profile_dir.join("siji");
    assert!(
        binary.exists(),
        "{} is missing: run `cargo build --bin siji` first",
        binary.display()
    );
    binary
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub struct Server {
    child: Child,
    pub base: String,
}

impl Server {
    pub async fn start(database_url: &str, port: u16) -> Self {
        let child = Command::new(siji_binary())
            .arg("serve")
            .env("DATABASE_URL", database_url)
            .env("SIJI_BIND", format!("127.0.0.1:{port}"))
            .env("SIJI_WORKERS", "1")
            .env("SIJI_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env("SIJI_JWT_SECRET", JWT_SECRET)
            .env("SIJI_DATA_KEY", DATA_KEY)
            .env("SIJI_INDEX_KEY", INDEX_KEY)
            .env("SIJI_JOB_RUNNERS", "1")
            .env("SIJI_JOB_POLL_MS", "50")
            .env("SIJI_JOB_LEASE_SECS", "3")
            .env("SIJI_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let server = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        let started = Instant::now();
        let client = reqwest::Client::new();
        loop {
            if let Ok(res) = client.get(format!("{}/healthz", server.base)).send().await
                && res.status() == StatusCode::OK
            {
                return server;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "siji did not start"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn kill(&mut self) {
        // SIGKILL: no shutdown, no giving jobs back, no flushing.
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub async fn token(client: &reqwest::Client, base: &str) -> String {
    login(client, base, "admin", ADMIN_PASSWORD).await
}

async fn login(client: &reqwest::Client, base: &str, username: &str, password: &str) -> String {
    let res = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .unwrap();
    let body: Value = res.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_owned()
}

async fn get(client: &reqwest::Client, url: String, token: &str) -> Value {
    let res = client.get(url).bearer_auth(token).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

#[tokio::test]
async fn an_import_killed_mid_job_finishes_once_after_a_restart() {
    // Enough rows that the job is still running when it is killed: a worker import registers
    // its rows 500 at a time.
    const ROWS: u32 = 12_000;
    let (database_url, _database) = fresh_database_url().await;
    let port = free_port();
    let client = reqwest::Client::new();
    let mut csv = String::from("姓名,身份证号\n");
    for n in 1..=ROWS {
        csv.push_str(&format!("职工{n},{}\n", nth_id_number(n)));
    }
    let upload = |base: &str, token: &str| {
        client
            .post(format!("{base}/api/v1/imports/workers"))
            .bearer_auth(token)
            .header("content-type", "text/csv")
            .header("idempotency-key", "county-upload-0001")
            .body(csv.clone().into_bytes())
            .send()
    };

    let mut server = Server::start(&database_url, port).await;
    let admin = token(&client, &server.base).await;
    let res = upload(&server.base, &admin).await.unwrap();
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let job_url = format!(
        "{}{}",
        server.base,
        res.headers()["location"].to_str().unwrap()
    );
    // Kill the server once the job has saved some rows, but not all.
    let started = Instant::now();
    loop {
        let job = get(&client, job_url.clone(), &admin).await;
        let done = job["progress"]["done"].as_u64().unwrap_or(0);
        assert!(
            job["status"] == "running" || job["status"] == "queued",
            "finished before it could be killed: {job}"
        );
        if done >= 50 {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "{job}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    server.kill();

    // The same database, a new process: the job's lease runs out and it is taken up again.
    let server = Server::start(&database_url, port).await;
    let admin = token(&client, &server.base).await;
    // The client never heard whether its upload went through: it retries with the same key
    // and gets the same job, not a second import.
    let retry = upload(&server.base, &admin).await.unwrap();
    assert_eq!(retry.status(), StatusCode::ACCEPTED);
    assert_eq!(retry.headers()["idempotent-replayed"], "true");
    assert_eq!(
        format!(
            "{}{}",
            server.base,
            retry.headers()["location"].to_str().unwrap()
        ),
        job_url
    );
    let started = Instant::now();
    let job = loop {
        let job = get(&client, job_url.clone(), &admin).await;
        if job["status"] == "succeeded" || job["status"] == "failed" {
            break job;
        }
        assert!(started.elapsed() < Duration::from_secs(120), "{job}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(job["status"], "succeeded", "{job}");
    assert_eq!(job["attempts"], 2, "{job}");
    let report = &job["result"];
    let (created, skipped) = (
        report["created"].as_u64().unwrap(),
        report["skipped"].as_u64().unwrap(),
    );
    assert_eq!(report["rejected"], 0, "{report}");
    assert_eq!(created + skipped, u64::from(ROWS), "{report}");
    assert!(
        skipped >= 50,
        "the second attempt found the first one's rows: {report}"
    );

    // Every worker exactly once.
    let count = get(
        &client,
        format!("{}/api/v1/workers?count=true&limit=1", server.base),
        &admin,
    )
    .await;
    assert_eq!(count["total"], ROWS);
}

async fn post(client: &reqwest::Client, url: String, token: &str, body: &Value) -> Value {
    let res = client
        .post(url)
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    res.json().await.unwrap()
}

/// Money under SIGKILL: allocations stream in from four clients, each with its own
/// `Idempotency-Key`; the server is killed in the middle, restarted, and every client retries
/// every allocation it sent. Each key ends with exactly one allocation — none lost, none twice —
/// and the balances still equal the ledger.
#[tokio::test]
async fn allocations_killed_mid_stream_happen_exactly_once_after_retries() {
    const ALLOCATIONS: usize = 200;
    const AMOUNT: i64 = 100_000;
    let (database_url, _database) = fresh_database_url().await;
    let port = free_port();
    let client = reqwest::Client::new();
    let mut server = Server::start(&database_url, port).await;
    let admin = token(&client, &server.base).await;
    let base = server.base.clone();
    let me = get(&client, format!("{base}/api/v1/me"), &admin).await;
    let city = me["org"]["id"].as_str().unwrap().to_owned();
    let county = post(
        &client,
        format!("{base}/api/v1/orgs"),
        &admin,
        &json!({"parent_id": city, "level": "county", "name": "任城区总工会", "division_code": "370811"}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let campaign = post(
        &client,
        format!("{base}/api/v1/campaigns"),
        &admin,
        &json!({"org_id": city, "kind": "winter_warmth", "year": 2017, "title": "送温暖", "quota": 1000,
                "rule": {"recipients": {"from": "archive", "categories": ["deep"]},
                         "amount": {"type": "fixed", "amount_fen": 100_000}},
                "fund_sources": [{"source": "city_fiscal", "amount_fen": 100_000_000}]}),
    )
    .await;
    let id = campaign["id"].as_str().unwrap().to_owned();
    let source = campaign["fund_sources"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    post(
        &client,
        format!("{base}/api/v1/campaigns/{id}/open"),
        &admin,
        &json!({}),
    )
    .await;
    let body = json!({"to_org_id": county, "quota": 1,
                      "amounts": [{"fund_source_id": source, "amount_fen": AMOUNT}]});
    let allocate = {
        let (client, body, id) = (client.clone(), body.clone(), id.clone());
        move |base: String, token: String, n: usize| {
            let (client, body, id) = (client.clone(), body.clone(), id.clone());
            async move {
                client
                    .post(format!("{base}/api/v1/campaigns/{id}/allocations"))
                    .bearer_auth(token)
                    .header("idempotency-key", format!("allocation-{n:03}"))
                    .json(&body)
                    .send()
                    .await
            }
        }
    };

    // Four clients, each sending its share one after another, until the server dies under them.
    let mut streams = Vec::new();
    for stream in 0..4 {
        let allocate = allocate.clone();
        let (base, admin) = (base.clone(), admin.clone());
        streams.push(tokio::spawn(async move {
            for n in (stream..ALLOCATIONS).step_by(4) {
                if allocate(base.clone(), admin.clone(), n).await.is_err() {
                    break;
                }
            }
        }));
    }
    let started = Instant::now();
    loop {
        let holdings = get(
            &client,
            format!("{base}/api/v1/campaigns/{id}/holdings"),
            &admin,
        )
        .await;
        let given = holdings["holdings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["org_id"] == json!(county))
            .map_or(0, |h| h["quota_received"].as_i64().unwrap());
        if given >= 12 {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "too slow");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.kill();
    for stream in streams {
        stream.await.unwrap();
    }

    let server = Server::start(&database_url, port).await;
    let admin = token(&client, &server.base).await;
    let mut replayed = 0;
    for n in 0..ALLOCATIONS {
        let res = allocate(server.base.clone(), admin.clone(), n)
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED, "allocation {n}");
        if res.headers().get("idempotent-replayed").is_some() {
            replayed += 1;
        }
    }
    assert!(
        (12..ALLOCATIONS).contains(&replayed),
        "{replayed} allocations were answered from before the crash"
    );
    let holdings = get(
        &client,
        format!("{}/api/v1/campaigns/{id}/holdings", server.base),
        &admin,
    )
    .await;
    let county_row = holdings["holdings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["org_id"] == json!(county))
        .unwrap()
        .clone();
    let expected = i64::try_from(ALLOCATIONS).unwrap();
    assert_eq!(county_row["quota_received"], expected);
    assert_eq!(county_row["total"]["received_fen"], expected * AMOUNT);
    let check = get(
        &client,
        format!("{}/api/v1/campaigns/{id}/balance-check", server.base),
        &admin,
    )
    .await;
    assert_eq!(check["consistent"], true, "{check}");
}

/// `n` formal deep-hardship archives in `org`, each with its head, written straight into the
/// database (the setup is not what this test is about).
async fn archives(database_url: &str, org: uuid::Uuid, n: usize) -> Vec<uuid::Uuid> {
    use entity::{beneficiaries, workers};
    use sea_orm::{ActiveValue::Set, EntityTrait};
    let db = sea_orm::Database::connect(database_url).await.unwrap();
    let now = chrono::Utc::now();
    let born = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
    let heads: Vec<uuid::Uuid> = (0..n).map(|_| uuid::Uuid::now_v7()).collect();
    let people = heads
        .iter()
        .enumerate()
        .map(|(i, id)| workers::ActiveModel {
            id: Set(*id),
            org_id: Set(org),
            enterprise_id: Set(None),
            name: Set(format!("职工{i}")),
            id_number_enc: Set("k1:crash".into()),
            id_number_idx: Set(format!("{i:064}")),
            id_number_masked: Set("370811********0000".into()),
            sex: Set("female".into()),
            birth_date: Set(born),
            phone_enc: Set(None),
            phone_idx: Set(None),
            phone_masked: Set(None),
            kind: Set("staff".into()),
            employment_status: Set("employed".into()),
            member_since: Set(None),
            frontline: Set(false),
            high_temperature: Set(false),
            honours: Set(String::new()),
            status: Set("active".into()),
            created_at: Set(now),
            updated_at: Set(now),
            version: Set(1),
        });
    workers::Entity::insert_many(people.collect::<Vec<_>>())
        .exec_without_returning(&db)
        .await
        .unwrap();
    let households = heads
        .iter()
        .map(|head| crate::helpers::formal_deep_archive(*head, org, now));
    beneficiaries::Entity::insert_many(households.collect::<Vec<_>>())
        .exec_without_returning(&db)
        .await
        .unwrap();
    db.close().await.unwrap();
    heads
}

/// A city campaign (winter warmth, `amount` fen each) with a grant for each of the `n` archives
/// of the city, verified by one member of staff and on a public notice that has ended: ready for
/// the other (`crash.approver`) to approve. Returns the campaign, the two staff tokens and the
/// grant ids.
async fn on_notice(
    client: &reqwest::Client,
    base: &str,
    admin: &str,
    city: &str,
    n: usize,
    amount: i64,
) -> (String, Vec<String>, Vec<Value>) {
    let campaign = post(
        client,
        format!("{base}/api/v1/campaigns"),
        admin,
        &json!({"org_id": city, "kind": "winter_warmth", "year": 2017, "title": "送温暖", "quota": 1000,
                "rule": {"recipients": {"from": "archive", "categories": ["deep"]},
                         "amount": {"type": "fixed", "amount_fen": amount}},
                "fund_sources": [{"source": "city_fiscal", "amount_fen": 100_000_000}]}),
    )
    .await;
    let id = campaign["id"].as_str().unwrap().to_owned();
    post(
        client,
        format!("{base}/api/v1/campaigns/{id}/open"),
        admin,
        &json!({}),
    )
    .await;
    let job = post(
        client,
        format!("{base}/api/v1/campaigns/{id}/grants/bulk"),
        admin,
        &json!({}),
    )
    .await;
    let started = Instant::now();
    while get(
        client,
        format!("{base}{}", job["url"].as_str().unwrap()),
        admin,
    )
    .await["status"]
        != "succeeded"
    {
        assert!(started.elapsed() < Duration::from_secs(60), "bulk creation");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut staff = Vec::new();
    for name in ["crash.verifier", "crash.approver"] {
        post(
            client,
            format!("{base}/api/v1/users"),
            admin,
            &json!({"username": name, "display_name": name, "org_id": city, "roles": ["approver"],
                    "password": crate::helpers::PASSWORD}),
        )
        .await;
        staff.push(login(client, base, name, crate::helpers::PASSWORD).await);
    }
    let mut ids: Vec<Value> = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = get(
            client,
            format!("{base}/api/v1/grants?campaign_id={id}&limit=200{cursor}"),
            admin,
        )
        .await;
        ids.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|g| g["id"].clone()),
        );
        match page["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => break,
        }
    }
    assert_eq!(ids.len(), n);
    let today = chrono::Utc::now().date_naive();
    let verified = post(
        client,
        format!("{base}/api/v1/grants/bulk-verify"),
        &staff[0],
        &json!({"grant_ids": ids, "visited_on": (today - chrono::Days::new(10)).to_string(),
                "findings": "逐户走访，情况属实"}),
    )
    .await;
    assert_eq!(verified["done"], n);
    post(
        client,
        format!("{base}/api/v1/grant-notices"),
        admin,
        &json!({"campaign_id": id, "org_id": city, "title": "关于2017年送温暖拟资助名单的公示",
                "starts_on": (today - chrono::Days::new(8)).to_string(),
                "ends_on": (today - chrono::Days::new(2)).to_string(),
                "contact": "市总工会 0537-1234567", "grant_ids": ids}),
    )
    .await;

    (id, staff, ids)
}

/// Approval commits money: a bulk approval of 500 grants is killed part-way, the server
/// restarted, and the same request sent again. The grants approved before the crash are the
/// whole units of work that committed (a hundred at a time, never a part of one); the retry
/// approves exactly the rest and answers "already moved" for those; every grant is committed
/// once in the ledger and the balances still equal it.
#[tokio::test]
async fn a_bulk_approval_killed_part_way_commits_each_grant_once_after_a_retry() {
    const GRANTS: usize = 500;
    const AMOUNT: i64 = 100_000;
    let (database_url, _database) = fresh_database_url().await;
    let port = free_port();
    let client = reqwest::Client::new();
    let mut server = Server::start(&database_url, port).await;
    let admin = token(&client, &server.base).await;
    let base = server.base.clone();
    let me = get(&client, format!("{base}/api/v1/me"), &admin).await;
    let city = me["org"]["id"].as_str().unwrap().to_owned();
    archives(&database_url, city.parse().unwrap(), GRANTS).await;
    let (id, staff, ids) = on_notice(&client, &base, &admin, &city, GRANTS, AMOUNT).await;

    let approve = |base: String| {
        client
            .post(format!("{base}/api/v1/grants/bulk-approve"))
            .bearer_auth(&staff[1])
            .json(&json!({"grant_ids": ids}))
            .send()
    };
    let approving = approve(base.clone());
    let watch = async {
        let started = Instant::now();
        loop {
            let figures = get(
                &client,
                format!("{base}/api/v1/campaigns/{id}/grant-figures"),
                &admin,
            )
            .await;
            if figures["approved"].as_u64().unwrap() >= 100 {
                return;
            }
            assert!(started.elapsed() < Duration::from_secs(60), "too slow");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    tokio::select! {
        res = approving => panic!("the bulk approval ended before the crash: {:?}", res.map(|r| r.status())),
        () = watch => server.kill(),
    }

    let server = Server::start(&database_url, port).await;
    let base = server.base.clone();
    let admin = token(&client, &base).await;
    let before = get(
        &client,
        format!("{base}/api/v1/campaigns/{id}/grant-figures"),
        &admin,
    )
    .await["approved"]
        .as_u64()
        .unwrap() as usize;
    assert!(
        before.is_multiple_of(100) && (100..GRANTS).contains(&before),
        "{before} grants approved before the crash"
    );
    let staff_token = login(&client, &base, "crash.approver", crate::helpers::PASSWORD).await;
    let retried = post(
        &client,
        format!("{base}/api/v1/grants/bulk-approve"),
        &staff_token,
        &json!({"grant_ids": ids}),
    )
    .await;
    assert_eq!(retried["done"], GRANTS - before, "{retried}");
    let refused = retried["results"].as_array().unwrap();
    assert!(
        refused
            .iter()
            .filter(|r| r["ok"] == false)
            .all(|r| r["code"] == "conflict")
    );
    let figures = get(
        &client,
        format!("{base}/api/v1/campaigns/{id}/grant-figures"),
        &admin,
    )
    .await;
    let expected = i64::try_from(GRANTS).unwrap();
    assert_eq!(
        (figures["approved"].clone(), figures["approved_fen"].clone()),
        (json!(expected), json!(expected * AMOUNT))
    );
    let holdings = get(
        &client,
        format!("{base}/api/v1/campaigns/{id}/holdings"),
        &admin,
    )
    .await;
    let city_row = &holdings["holdings"][0];
    assert_eq!(city_row["total"]["committed_fen"], expected * AMOUNT);
    assert_eq!(city_row["quota_committed"], expected);
    let check = get(
        &client,
        format!("{base}/api/v1/campaigns/{id}/balance-check"),
        &admin,
    )
    .await;
    assert_eq!(check["consistent"], true, "{check}");
}

/// An active card for each of the archive heads `archives` wrote, the first being the head at
/// position `first` (a head's person key is its position), encrypted under the server's key.
async fn cards(database_url: &str, org: uuid::Uuid, heads: &[uuid::Uuid], first: usize) {
    use entity::bank_cards;
    use sea_orm::{ActiveValue::Set, EntityTrait};
    let db = sea_orm::Database::connect(database_url).await.unwrap();
    let settings = siji_api::config::DataSettings {
        data_key: Some(siji_api::config::Secret(DATA_KEY.to_owned())),
        previous_data_keys: None,
        index_key: Some(siji_api::config::Secret(INDEX_KEY.to_owned())),
    };
    let pii = siji_api::auth::secrets::data_protector(&db, &settings)
        .await
        .unwrap();
    let now = chrono::Utc::now();
    let rows: Vec<bank_cards::ActiveModel> = heads
        .iter()
        .enumerate()
        .map(|(i, head)| {
            let i = first + i;
            let number = crate::helpers::card_number(i as u32);
            bank_cards::ActiveModel {
                id: Set(uuid::Uuid::now_v7()),
                org_id: Set(org),
                payee_kind: Set("worker".into()),
                worker_id: Set(Some(*head)),
                member_id: Set(None),
                person_key: Set(format!("{i:064}")),
                holder_name: Set(format!("职工{i}")),
                bank_code: Set("102".into()),
                bank_name: Set("中国工商银行".into()),
                bank_card_enc: Set(pii
                    .encrypt(siji_api::pii::PiiField::BankCard, &number)
                    .unwrap()),
                bank_card_idx: Set(pii.blind_index(siji_api::pii::PiiField::BankCard, &number)),
                bank_card_masked: Set(siji_api::pii::mask::bank_card(&number)),
                luhn_override: Set(None),
                status: Set("active".into()),
                replaced_by: Set(None),
                replaced_reason: Set(None),
                created_by: Set(uuid::Uuid::nil()),
                created_at: Set(now),
                updated_at: Set(now),
                version: Set(1),
            }
        })
        .collect();
    for chunk in rows.chunks(200) {
        bank_cards::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&db)
            .await
            .unwrap();
    }
    db.close().await.unwrap();
}

async fn send(
    client: &reqwest::Client,
    url: String,
    token: &str,
    key: &str,
    body: reqwest::Body,
    content_type: &str,
) -> reqwest::Result<reqwest::Response> {
    client
        .post(url)
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
}

/// Payouts under SIGKILL. A batch build is killed as it runs and retried with its key: one batch,
/// each grant in it once. The bank's result file is applied by a job that is killed part-way:
/// after the restart the job runs again, the lines applied before the crash are `unchanged`,
/// the rest are applied, and every payout is paid exactly once in the ledger, which still
/// balances.
#[tokio::test]
async fn payouts_killed_while_building_and_while_reconciling_are_paid_exactly_once() {
    const GRANTS: usize = 600;
    const AMOUNT: i64 = 100_000;
    let (database_url, _database) = fresh_database_url().await;
    let port = free_port();
    let client = reqwest::Client::new();
    let mut server = Server::start(&database_url, port).await;
    let admin = token(&client, &server.base).await;
    let base = server.base.clone();
    let me = get(&client, format!("{base}/api/v1/me"), &admin).await;
    let city = me["org"]["id"].as_str().unwrap().to_owned();
    let heads = archives(&database_url, city.parse().unwrap(), GRANTS).await;
    cards(&database_url, city.parse().unwrap(), &heads, 0).await;
    let (id, staff, ids) = on_notice(&client, &base, &admin, &city, GRANTS, AMOUNT).await;
    let approved = post(
        &client,
        format!("{base}/api/v1/grants/bulk-approve"),
        &staff[1],
        &json!({"grant_ids": ids}),
    )
    .await;
    assert_eq!(approved["done"], GRANTS);

    // The build, killed while it runs (or just after), then retried with the same key.
    let build = json!({"campaign_id": id}).to_string();
    let url = format!("{base}/api/v1/payout-batches");
    let building = send(
        &client,
        url.clone(),
        &admin,
        "build-1",
        build.clone().into(),
        "application/json",
    );
    tokio::select! {
        _ = building => {},
        () = tokio::time::sleep(Duration::from_millis(40)) => {},
    }
    server.kill();
    let mut server = Server::start(&database_url, port).await;
    let admin = token(&client, &base).await;
    let res = send(
        &client,
        url.clone(),
        &admin,
        "build-1",
        build.clone().into(),
        "application/json",
    )
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let built: Value = res.json().await.unwrap();
    assert_eq!(built["batch"]["payout_count"], GRANTS);
    let batches = get(
        &client,
        format!("{base}/api/v1/payout-batches?count=true"),
        &admin,
    )
    .await;
    assert_eq!(batches["total"], 1, "{batches}");
    let again = client
        .post(url)
        .bearer_auth(&admin)
        .json(&json!({"campaign_id": id}))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::CONFLICT);
    let batch = built["batch"]["id"].as_str().unwrap().to_owned();
    post(
        &client,
        format!("{base}/api/v1/payout-batches/{batch}/approve"),
        &staff[1],
        &json!({}),
    )
    .await;
    let job = post(
        &client,
        format!("{base}/api/v1/payout-batches/{batch}/export"),
        &admin,
        &json!({"layout": "generic"}),
    )
    .await;
    wait_for(&client, &base, &job, &admin).await;

    // The bank pays everyone; the result file's job is killed part-way.
    let mut payouts: Vec<Value> = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = get(
            &client,
            format!("{base}/api/v1/payouts?batch_id={batch}&limit=200{cursor}"),
            &admin,
        )
        .await;
        payouts.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => break,
        }
    }
    let mut file = String::from("业务参考号,金额（元）,处理结果\r\n");
    for p in &payouts {
        file.push_str(&format!(
            "{},1000.00,成功\r\n",
            p["reference"].as_str().unwrap()
        ));
    }
    let results = format!("{base}/api/v1/payout-batches/{batch}/results?layout=generic");
    let res = send(
        &client,
        results.clone(),
        &staff[1],
        "results-1",
        file.clone().into(),
        "text/csv",
    )
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let job: Value = res.json().await.unwrap();
    let paid = |holdings: &Value| {
        holdings["holdings"][0]["total"]["paid_fen"]
            .as_i64()
            .unwrap_or(0)
    };
    let started = Instant::now();
    loop {
        let holdings = get(
            &client,
            format!("{base}/api/v1/campaigns/{id}/holdings"),
            &admin,
        )
        .await;
        let so_far = paid(&holdings);
        assert!(
            so_far < AMOUNT * GRANTS as i64,
            "the job ended before the crash"
        );
        if so_far >= 100 * AMOUNT {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "too slow");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    server.kill();

    let server = Server::start(&database_url, port).await;
    let admin = token(&client, &base).await;
    let staff_token = login(&client, &base, "crash.approver", crate::helpers::PASSWORD).await;
    // The client retries its upload: the same job, which the restarted server finishes.
    let res = send(
        &client,
        results,
        &staff_token,
        "results-1",
        file.into(),
        "text/csv",
    )
    .await
    .unwrap();
    let replay: Value = res.json().await.unwrap();
    assert_eq!(replay["id"], job["id"]);
    let done = wait_for(&client, &base, &job, &admin).await;
    let report = &done["result"];
    assert_eq!(
        report["paid"].as_u64().unwrap() + report["unchanged"].as_u64().unwrap(),
        GRANTS as u64,
        "{report}"
    );
    assert_eq!(report["exceptions"], json!([]));
    assert_eq!(report["batch_status"], "reconciled");
    let holdings = get(
        &client,
        format!("{base}/api/v1/campaigns/{id}/holdings"),
        &admin,
    )
    .await;
    assert_eq!(paid(&holdings), AMOUNT * GRANTS as i64);
    let check = get(
        &client,
        format!("{base}/api/v1/campaigns/{id}/balance-check"),
        &admin,
    )
    .await;
    assert_eq!(check["consistent"], true, "{check}");
    let pays = get(
        &client,
        format!("{base}/api/v1/campaigns/{id}/ledger?limit=1&count=true"),
        &admin,
    )
    .await;
    // The funding (its one source and the quota), each grant's commitment (money and quota),
    // and one `pay` row per grant: none twice.
    assert_eq!(
        pays["total"],
        2 + 2 * GRANTS as u64 + GRANTS as u64,
        "{pays}"
    );
    drop(server);
}

/// Wait for a job (as answered by the request that started it) to succeed; the job.
async fn wait_for(client: &reqwest::Client, base: &str, job: &Value, token: &str) -> Value {
    let started = Instant::now();
    loop {
        let now = get(
            client,
            format!("{base}{}", job["url"].as_str().unwrap()),
            token,
        )
        .await;
        match now["status"].as_str() {
            Some("succeeded") => return now,
            Some("failed") => panic!("{now}"),
            _ => {}
        }
        assert!(started.elapsed() < Duration::from_secs(120), "{now}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Two `siji` processes on one database, and many identical requests at once: builds of one
/// campaign sent to both processes together put every grant in exactly one live payout, and
/// 1,000 concurrent requests with one `Idempotency-Key` answer one batch.
#[tokio::test]
async fn two_processes_building_batches_at_once_pay_each_grant_once() {
    const GRANTS: usize = 300;
    let (database_url, _database) = fresh_database_url().await;
    let client = reqwest::Client::new();
    let one = Server::start(&database_url, free_port()).await;
    let admin = token(&client, &one.base).await;
    let me = get(&client, format!("{}/api/v1/me", one.base), &admin).await;
    let city = me["org"]["id"].as_str().unwrap().to_owned();
    let heads = archives(&database_url, city.parse().unwrap(), GRANTS).await;
    let (id, staff, ids) = on_notice(&client, &one.base, &admin, &city, GRANTS, 100_000).await;
    post(
        &client,
        format!("{}/api/v1/grants/bulk-approve", one.base),
        &staff[1],
        &json!({"grant_ids": ids}),
    )
    .await;
    // Cards for the first half only: a second round pays the rest.
    cards(
        &database_url,
        city.parse().unwrap(),
        &heads[..GRANTS / 2],
        0,
    )
    .await;
    let two = Server::start(&database_url, free_port()).await;
    let body = json!({"campaign_id": id});

    // 1,000 requests with one key, spread over both processes: one batch.
    let mut same = tokio::task::JoinSet::new();
    for i in 0..1000 {
        let (client, base, admin, body) = (
            client.clone(),
            [&one.base, &two.base][i % 2].clone(),
            admin.clone(),
            body.clone(),
        );
        same.spawn(async move {
            let res = client
                .post(format!("{base}/api/v1/payout-batches"))
                .bearer_auth(admin)
                .header("Idempotency-Key", "one-build")
                .json(&body)
                .send()
                .await
                .unwrap();
            let status = res.status();
            let body: Value = res.json().await.unwrap_or(Value::Null);
            (status, body["batch"]["id"].clone())
        });
    }
    let answers = same.join_all().await;
    let batch_ids: std::collections::HashSet<String> = answers
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .map(|(_, b)| b.to_string())
        .collect();
    assert_eq!(batch_ids.len(), 1, "{answers:?}");
    // A request that arrived while the first held the key and answered 409 in flight is the only
    // other answer a client may see; it retries and gets the batch.
    assert!(
        answers
            .iter()
            .all(|(s, _)| *s == StatusCode::CREATED || *s == StatusCode::CONFLICT),
        "{answers:?}"
    );

    // The other half gets cards; builds without keys race on both processes.
    cards(
        &database_url,
        city.parse().unwrap(),
        &heads[GRANTS / 2..],
        GRANTS / 2,
    )
    .await;
    let mut racing = tokio::task::JoinSet::new();
    for i in 0..20 {
        let (client, base, admin, body) = (
            client.clone(),
            [&one.base, &two.base][i % 2].clone(),
            admin.clone(),
            body.clone(),
        );
        racing.spawn(async move {
            client
                .post(format!("{base}/api/v1/payout-batches"))
                .bearer_auth(admin)
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
        });
    }
    let statuses = racing.join_all().await;
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::CREATED)
            .count(),
        1,
        "{statuses:?}"
    );
    let mut grants_paid: Vec<String> = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = get(
            &client,
            format!(
                "{}/api/v1/payouts?campaign_id={id}&limit=200{cursor}",
                one.base
            ),
            &admin,
        )
        .await;
        grants_paid.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["grant_id"].as_str().unwrap().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => break,
        }
    }
    assert_eq!(grants_paid.len(), GRANTS);
    grants_paid.sort();
    grants_paid.dedup();
    assert_eq!(grants_paid.len(), GRANTS);
}

/// A county system pushing workers by its own ids while the server is killed: each push is one
/// unit of work, so a push cut off leaves nothing, and the system sending every batch again ends
/// with each worker once and every one mapped.
#[tokio::test]
async fn a_sync_push_killed_mid_stream_and_sent_again_creates_each_worker_once() {
    // Far more than go through before the kill, which comes as the first answer arrives.
    const BATCHES: u32 = 40;
    const PER_BATCH: u32 = 250;
    let (database_url, _database) = fresh_database_url().await;
    let port = free_port();
    let client = reqwest::Client::new();
    let mut server = Server::start(&database_url, port).await;
    let base = server.base.clone();
    let admin = token(&client, &base).await;
    let me = get(&client, format!("{base}/api/v1/me"), &admin).await;
    let root = me["org"]["id"].as_str().unwrap().to_owned();
    let registered = post(
        &client,
        format!("{base}/api/v1/clients"),
        &admin,
        &json!({"name": "县级系统", "org_id": root}),
    )
    .await;
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", registered["client_id"].as_str().unwrap()),
        (
            "client_secret",
            registered["client_secret"].as_str().unwrap(),
        ),
    ];
    let system_token = |base: String| {
        let (client, form) = (client.clone(), form);
        async move {
            let res = client
                .post(format!("{base}/api/v1/auth/token"))
                .form(&form)
                .send()
                .await
                .unwrap();
            let body: Value = res.json().await.unwrap();
            body["access_token"].as_str().unwrap().to_owned()
        }
    };
    let batch = |b: u32| {
        let records: Vec<Value> = (b * PER_BATCH..(b + 1) * PER_BATCH)
            .map(|n| {
                json!({"external_id": format!("W{n:05}"), "worker": {"org_id": root,
                       "name": format!("职工{n}"), "id_number": nth_id_number(n + 1),
                       "kind": "staff", "employment_status": "employed"}})
            })
            .collect();
        json!({ "records": records })
    };

    // The system streams its batches; the server dies under it part-way.
    let system = system_token(base.clone()).await;
    let (first_tx, first_rx) = tokio::sync::oneshot::channel();
    let sender = {
        let (client, base, system) = (client.clone(), base.clone(), system.clone());
        let batches: Vec<Value> = (0..BATCHES).map(batch).collect();
        tokio::spawn(async move {
            let mut answered = 0;
            let mut first = Some(first_tx);
            for body in batches {
                let sent = client
                    .post(format!("{base}/api/v1/sync/workers"))
                    .bearer_auth(&system)
                    .json(&body)
                    .send()
                    .await;
                match sent {
                    Ok(res) if res.status() == StatusCode::OK => {
                        answered += 1;
                        if let Some(first) = first.take() {
                            let _ = first.send(());
                        }
                    }
                    _ => break,
                }
            }
            answered
        })
    };
    tokio::time::timeout(Duration::from_secs(60), first_rx)
        .await
        .unwrap()
        .unwrap();
    server.kill();
    let answered = sender.await.unwrap();
    assert!(
        answered < BATCHES,
        "every batch went through before the kill"
    );

    // Restarted, the system sends every batch again, not knowing which ones landed.
    let server = Server::start(&database_url, port).await;
    let system = system_token(server.base.clone()).await;
    let mut created = 0;
    let mut unchanged = 0;
    for b in 0..BATCHES {
        let answer = post(
            &client,
            format!("{}/api/v1/sync/workers", server.base),
            &system,
            &batch(b),
        )
        .await;
        assert_eq!(answer["invalid"], 0, "{answer}");
        created += answer["created"].as_u64().unwrap();
        unchanged += answer["unchanged"].as_u64().unwrap();
    }
    assert_eq!(created + unchanged, u64::from(BATCHES * PER_BATCH));
    assert!(
        unchanged >= u64::from(PER_BATCH) * u64::from(answered),
        "{unchanged}"
    );
    let admin = token(&client, &server.base).await;
    let count = get(
        &client,
        format!("{}/api/v1/workers?count=true&limit=1", server.base),
        &admin,
    )
    .await;
    assert_eq!(count["total"], BATCHES * PER_BATCH);
    let mut mapped = 0;
    let mut cursor = String::new();
    loop {
        let page = get(
            &client,
            format!(
                "{}/api/v1/sync/mappings?kind=worker&limit=1000{cursor}",
                server.base
            ),
            &system,
        )
        .await;
        mapped += page["items"].as_array().unwrap().len();
        match page["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => break,
        }
    }
    assert_eq!(mapped, (BATCHES * PER_BATCH) as usize);
}

/// Issue 15's "done when", at a scale set by `SIJI_SCENARIO_WORKERS` (5,000 in CI; the README
/// gives the figures at 100,000): a county's system pushes its enterprises and then its workers
/// by its own ids in batches of 1,000, the server is killed with SIGKILL half-way through the
/// workers, and the system resumes from the batch it had no answer for. A partner's client
/// follows the feed all along, through the kill, with its cursor. In the end: exactly the
/// workers sent, every record mapped, and the partner has seen each creation exactly once.
#[tokio::test]
async fn a_county_push_killed_half_way_resumes_and_a_feed_follower_sees_each_change_once() {
    const PER_BATCH: usize = 1000;
    let workers: usize = std::env::var("SIJI_SCENARIO_WORKERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5000);
    let enterprises = workers.div_ceil(50);
    let (database_url, _database) = fresh_database_url().await;
    let port = free_port();
    let client = reqwest::Client::new();
    let mut server = Server::start(&database_url, port).await;
    let base = server.base.clone();
    let admin = token(&client, &base).await;
    let me = get(&client, format!("{base}/api/v1/me"), &admin).await;
    let root = me["org"]["id"].as_str().unwrap().to_owned();
    let machine = async |name: &str| {
        let registered = post(
            &client,
            format!("{base}/api/v1/clients"),
            &admin,
            &json!({"name": name, "org_id": root}),
        )
        .await;
        let form = [
            ("grant_type", "client_credentials".to_owned()),
            (
                "client_id",
                registered["client_id"].as_str().unwrap().to_owned(),
            ),
            (
                "client_secret",
                registered["client_secret"].as_str().unwrap().to_owned(),
            ),
        ];
        let res = client
            .post(format!("{base}/api/v1/auth/token"))
            .form(&form)
            .send()
            .await
            .unwrap();
        let body: Value = res.json().await.unwrap();
        body["access_token"].as_str().unwrap().to_owned()
    };
    // Tokens are checked against the database, so both outlive the restart.
    let county = machine("县级职工信息系统").await;
    let partner = machine("保险合作方").await;

    let enterprise_batches: Vec<Value> = (0..enterprises)
        .collect::<Vec<_>>()
        .chunks(PER_BATCH)
        .map(|chunk| {
            let records: Vec<Value> = chunk
                .iter()
                .map(|e| {
                    json!({"external_id": format!("E{e:06}"), "enterprise": {"org_id": root,
                           "name": format!("企业{e}"),
                           "uscc": crate::helpers::uscc(&format!("91370811MA{e:07}")),
                           "ownership": "private", "industry": "C"}})
                })
                .collect();
            json!({ "records": records })
        })
        .collect();
    let worker_batches: Vec<Value> = (0..workers)
        .collect::<Vec<_>>()
        .chunks(PER_BATCH)
        .map(|chunk| {
            let records: Vec<Value> = chunk
                .iter()
                .map(|&i| {
                    let born = chrono::NaiveDate::from_ymd_opt(1960, 1, 1).unwrap()
                        + chrono::Days::new((i / 1000) as u64);
                    json!({"external_id": format!("W{i:07}"),
                           "employer_external_id": format!("E{:06}", i % enterprises),
                           "worker": {"org_id": root, "name": format!("职工{i}"),
                           "id_number": crate::helpers::id_number(&format!(
                               "370883{}{:03}", born.format("%Y%m%d"), i % 1000)),
                           "phone": format!("139{i:08}"),
                           "kind": "staff", "employment_status": "employed"}})
                })
                .collect();
            json!({ "records": records })
        })
        .collect();

    // The partner follows the feed from the start, riding out the restart with its cursor.
    let expected = workers + enterprises;
    let follower = {
        let (client, base, partner) = (client.clone(), base.clone(), partner.clone());
        tokio::spawn(async move {
            let started = Instant::now();
            let mut cursor = String::new();
            let mut seen = std::collections::HashSet::new();
            let mut twice = 0;
            while seen.len() < expected && started.elapsed() < Duration::from_secs(1800) {
                let res = client
                    .get(format!(
                        "{base}/api/v1/sync/changes?kinds=enterprise,worker&limit=1000{cursor}"
                    ))
                    .bearer_auth(&partner)
                    .send()
                    .await;
                let page: Value = match res {
                    Ok(res) if res.status() == StatusCode::OK => res.json().await.unwrap(),
                    _ => {
                        tokio::time::sleep(Duration::from_millis(200)).await;
                        continue;
                    }
                };
                for c in page["changes"].as_array().unwrap() {
                    let key = (
                        c["kind"].as_str().unwrap().to_owned(),
                        c["id"].as_str().unwrap().to_owned(),
                        c["version"].as_i64().unwrap(),
                    );
                    if !seen.insert(key) {
                        twice += 1;
                    }
                }
                cursor = format!("&cursor={}", page["next_cursor"].as_str().unwrap());
                if page["has_more"] != true {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
            (seen.len(), twice, started.elapsed())
        })
    };

    let started = Instant::now();
    for body in &enterprise_batches {
        let answer = post(
            &client,
            format!("{base}/api/v1/sync/enterprises"),
            &county,
            body,
        )
        .await;
        assert_eq!(answer["invalid"], 0, "{answer}");
    }
    // Workers, until half of them are in; then the kill, with a batch in flight.
    let half = worker_batches.len() / 2;
    let sender = {
        let (client, base, county) = (client.clone(), base.clone(), county.clone());
        let batches = worker_batches.clone();
        tokio::spawn(async move {
            let mut answered = 0;
            for body in batches {
                let sent = client
                    .post(format!("{base}/api/v1/sync/workers"))
                    .bearer_auth(&county)
                    .json(&body)
                    .send()
                    .await;
                match sent {
                    Ok(res) if res.status() == StatusCode::OK => answered += 1,
                    _ => break,
                }
            }
            answered
        })
    };
    let count = |client: reqwest::Client, base: String, token: String| async move {
        get(
            &client,
            format!("{base}/api/v1/workers?count=true&limit=1"),
            &token,
        )
        .await["total"]
            .as_u64()
            .unwrap_or(0)
    };
    while (count(client.clone(), base.clone(), admin.clone()).await as usize) < half * PER_BATCH {
        assert!(
            !sender.is_finished(),
            "every batch went through before the kill"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.kill();
    let answered = sender.await.unwrap();
    assert!(
        answered < worker_batches.len(),
        "every batch went through before the kill"
    );

    // Restarted, the system resumes from the first batch it has no answer for.
    let server = Server::start(&database_url, port).await;
    let mut created = answered * PER_BATCH;
    for body in &worker_batches[answered..] {
        let answer = post(
            &client,
            format!("{}/api/v1/sync/workers", server.base),
            &county,
            body,
        )
        .await;
        assert_eq!(answer["invalid"], 0, "{answer}");
        created += answer["created"].as_u64().unwrap() as usize
            + answer["unchanged"].as_u64().unwrap() as usize;
    }
    let pushed = started.elapsed();
    assert_eq!(created, workers);
    assert_eq!(
        count(client.clone(), server.base.clone(), admin.clone()).await as usize,
        workers
    );
    let mut mapped = 0;
    for kind in ["enterprise", "worker"] {
        let mut cursor = String::new();
        loop {
            let page = get(
                &client,
                format!(
                    "{}/api/v1/sync/mappings?kind={kind}&limit=1000{cursor}",
                    server.base
                ),
                &county,
            )
            .await;
            mapped += page["items"].as_array().unwrap().len();
            match page["next_cursor"].as_str() {
                Some(next) => cursor = format!("&cursor={next}"),
                None => break,
            }
        }
    }
    assert_eq!(mapped, expected, "every record mapped");
    let (seen, twice, followed) = follower.await.unwrap();
    assert_eq!((seen, twice), (expected, 0), "each change once");
    eprintln!(
        "scenario: {workers} workers and {enterprises} enterprises pushed in {:.1} s \
         ({:.0} records/s, a kill and a restart included); the follower saw {seen} changes \
         once each in {:.1} s",
        pushed.as_secs_f64(),
        expected as f64 / pushed.as_secs_f64(),
        followed.as_secs_f64()
    );
}
