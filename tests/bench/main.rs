//! Performance figures at the seed's scale, measured against the real server over HTTP:
//! Jining's 14,796 unionised enterprises (14,337 covered by agreements) and 20,000 workers;
//! then the memory an import of 100,000 rows takes, and what a file past the limits costs.
//! Prints latency percentiles and memory; asserts nothing. Run with
//! `cargo run --release -p siji-tests --bin siji-bench` (add `TEST_DATABASE_URL=postgres://…`
//! for PostgreSQL; `SIJI_BENCH_ENTERPRISES` and `SIJI_BENCH_WORKERS` change the scale).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout,
    // Percentile positions and sizes computed from the benchmark's own figures.
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_possible_wrap
)]

#[path = "../api/helpers.rs"]
mod helpers;

use std::time::{Duration, Instant};

use chrono::{NaiveDate, Utc};
use entity::{enterprises, wage_agreement_enterprises, wage_agreements, workers};
use reqwest::{Method, StatusCode};
use sea_orm::{ActiveValue::Set, EntityTrait};
use uuid::Uuid;

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Peak and current resident memory of this process (the server runs in it), in MiB.
fn memory() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

/// p50 and p99 of samples taken under load.
fn report_percentiles(name: &str, mut samples: Vec<Duration>) {
    if samples.is_empty() {
        println!("{name:<48} no samples");
        return;
    }
    samples.sort();
    let pick = |q: f64| {
        let at = ((samples.len() - 1) as f64 * q).round() as usize;
        samples[at].as_secs_f64() * 1000.0
    };
    println!(
        "{name:<48} n={:<4} p50={:>8.2} ms  p99={:>8.2} ms  max={:>8.2} ms",
        samples.len(),
        pick(0.5),
        pick(0.99),
        pick(1.0)
    );
}

fn report(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let pick =
        |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize].as_secs_f64() * 1000.0;
    println!(
        "{name:<48} n={:<4} p50={:>8.2} ms  p95={:>8.2} ms  max={:>8.2} ms",
        samples.len(),
        pick(0.5),
        pick(0.95),
        pick(1.0)
    );
}

async fn time<F, Fut>(n: usize, mut f: F) -> Vec<Duration>
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut samples = Vec::with_capacity(n);
    for i in 0..n {
        let started = Instant::now();
        f(i).await;
        samples.push(started.elapsed());
    }
    samples
}

#[tokio::main]
async fn main() {
    let n_enterprises = env_or("SIJI_BENCH_ENTERPRISES", 14_796);
    let n_covered = n_enterprises * 14_337 / 14_796;
    let n_workers = env_or("SIJI_BENCH_WORKERS", 20_000);
    let app = helpers::spawn_app_with(|s| s.workers = Some(2)).await;
    let admin = app.admin_token().await;
    let root = app.root_org_id(&admin).await;
    let mut counties = Vec::new();
    for i in 0..11 {
        let org = app
            .create_org(&admin, &root, "county", &format!("县{i}"), "370811")
            .await;
        counties.push(Uuid::parse_str(org["id"].as_str().unwrap()).unwrap());
    }

    // The data is written straight into the database: this measures reading it, not importing.
    let started = Instant::now();
    let now = Utc::now();
    let founded = NaiveDate::from_ymd_opt(2015, 1, 1).unwrap();
    let mut firm_ids = Vec::with_capacity(n_enterprises);
    for chunk in (0..n_enterprises).collect::<Vec<_>>().chunks(500) {
        let rows = chunk.iter().map(|n| {
            let id = Uuid::now_v7();
            firm_ids.push((id, counties[n % counties.len()]));
            enterprises::ActiveModel {
                id: Set(id),
                org_id: Set(counties[n % counties.len()]),
                name: Set(format!("企业{n}")),
                uscc: Set(format!("9137{n:014}")),
                ownership: Set("private".into()),
                industry: Set(["C", "E", "F", "H"][n % 4].into()),
                address: Set(None),
                union_founded_on: Set(Some(founded)),
                headcount: Set(Some(100)),
                member_count: Set(Some(90)),
                overcapacity: Set(false),
                status: Set("active".into()),
                created_at: Set(now),
                updated_at: Set(now),
                version: Set(1),
            }
        });
        enterprises::Entity::insert_many(rows.collect::<Vec<_>>())
            .exec_without_returning(&app.db)
            .await
            .unwrap();
    }
    // One regional agreement per county, covering the first 96.9% of the enterprises.
    for county in &counties {
        let id = Uuid::now_v7();
        let agreement = wage_agreements::ActiveModel {
            id: Set(id),
            org_id: Set(*county),
            title: Set("区域性工资集体协议".into()),
            scope: Set("regional".into()),
            mode: Set("regional".into()),
            text_type: Set("wage_special".into()),
            industry: Set(None),
            status: Set("filed".into()),
            signed_on: Set(Some(founded)),
            effective_from: Set(Some(NaiveDate::from_ymd_opt(2017, 1, 1).unwrap())),
            effective_to: Set(Some(NaiveDate::from_ymd_opt(2019, 12, 31).unwrap())),
            wage_rise_bp: Set(Some(500)),
            minimum_wage_fen: Set(Some(250_000)),
            workers_covered: Set(Some(1000)),
            filed_on: Set(None),
            filing_number: Set(None),
            terminated_on: Set(None),
            termination_reason: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            version: Set(1),
        };
        wage_agreements::Entity::insert(agreement)
            .exec_without_returning(&app.db)
            .await
            .unwrap();
        let covered: Vec<_> = firm_ids[..n_covered]
            .iter()
            .filter(|(_, c)| c == county)
            .collect();
        for chunk in covered.chunks(1000) {
            let links = chunk
                .iter()
                .map(|(firm, _)| wage_agreement_enterprises::ActiveModel {
                    agreement_id: Set(id),
                    enterprise_id: Set(*firm),
                });
            wage_agreement_enterprises::Entity::insert_many(links.collect::<Vec<_>>())
                .exec_without_returning(&app.db)
                .await
                .unwrap();
        }
    }
    let mut worker_ids = Vec::with_capacity(n_workers);
    for chunk in (0..n_workers).collect::<Vec<_>>().chunks(500) {
        let rows = chunk.iter().map(|n| workers::ActiveModel {
            id: Set({
                let id = Uuid::now_v7();
                worker_ids.push((id, counties[n % counties.len()]));
                id
            }),
            org_id: Set(counties[n % counties.len()]),
            enterprise_id: Set(Some(firm_ids[n % firm_ids.len()].0)),
            name: Set(format!("职工{n}")),
            id_number_enc: Set("k1:bench".into()),
            id_number_idx: Set(format!("{n:064}")),
            id_number_masked: Set("370811********0000".into()),
            sex: Set("female".into()),
            birth_date: Set(founded),
            phone_enc: Set(None),
            phone_idx: Set(None),
            phone_masked: Set(None),
            kind: Set("staff".into()),
            employment_status: Set("employed".into()),
            member_since: Set(None),
            frontline: Set(n % 3 == 0),
            high_temperature: Set(false),
            honours: Set(String::new()),
            status: Set("active".into()),
            created_at: Set(now),
            updated_at: Set(now),
            version: Set(1),
        });
        workers::Entity::insert_many(rows.collect::<Vec<_>>())
            .exec_without_returning(&app.db)
            .await
            .unwrap();
    }
    let backend = sea_orm::ConnectionTrait::get_database_backend(&app.db);
    if backend == sea_orm::DatabaseBackend::Postgres {
        // Fresh bulk loads have no planner statistics until autovacuum runs; production has them.
        sea_orm::ConnectionTrait::execute_unprepared(&app.db, "ANALYZE")
            .await
            .unwrap();
    }
    let backend = format!("{backend:?}");
    println!(
        "Siji benchmark on {backend}: {n_enterprises} enterprises ({n_covered} covered), {n_workers} workers, 11 counties"
    );
    println!("data written in {:.1} s", started.elapsed().as_secs_f64());

    if std::env::var("SIJI_BENCH_ONLY").as_deref() == Ok("grants") {
        bulk_grants(&app, &admin, &root, &worker_ids).await;
        return;
    }
    if std::env::var("SIJI_BENCH_ONLY").as_deref() == Ok("payouts") {
        payouts(&app, &admin, &root, &worker_ids).await;
        return;
    }
    if std::env::var("SIJI_BENCH_ONLY").as_deref() == Ok("import") {
        import_memory(&app, &admin).await;
        return;
    }
    if std::env::var("SIJI_BENCH_ONLY").as_deref() == Ok("sync") {
        sync(&app, &admin).await;
        return;
    }

    let get = |path: String| {
        let (app, admin) = (&app, admin.clone());
        async move {
            let res = app.get_as(&path, &admin).await;
            assert_eq!(res.status(), StatusCode::OK, "{path}");
            res.bytes().await.unwrap();
        }
    };
    let report_json: serde_json::Value = app
        .get_as(
            "/api/v1/stats/wage-agreement-coverage?as_of=2017-12-31",
            &admin,
        )
        .await
        .json()
        .await
        .unwrap();
    println!("coverage on 2017-12-31: {}", report_json["total"]);

    report(
        "coverage, total",
        time(20, |_| {
            get("/api/v1/stats/wage-agreement-coverage?as_of=2017-12-31".into())
        })
        .await,
    );
    report(
        "coverage, by county",
        time(20, |_| {
            get("/api/v1/stats/wage-agreement-coverage?as_of=2017-12-31&group_by=county".into())
        })
        .await,
    );
    report(
        "coverage, by mode",
        time(20, |_| {
            get("/api/v1/stats/wage-agreement-coverage?as_of=2017-12-31&group_by=mode".into())
        })
        .await,
    );
    report(
        "uncovered enterprises, first page",
        time(20, |_| {
            get(
                "/api/v1/stats/wage-agreement-coverage/enterprises?as_of=2017-12-31&covered=false"
                    .into(),
            )
        })
        .await,
    );
    report(
        "workers, first page of 50",
        time(50, |_| get("/api/v1/workers?limit=50".into())).await,
    );
    report(
        "workers, page of 50 with count=true",
        time(20, |_| get("/api/v1/workers?limit=50&count=true".into())).await,
    );
    report(
        "workers, frontline filter, page of 200",
        time(20, |_| {
            get("/api/v1/workers?limit=200&frontline=true".into())
        })
        .await,
    );
    // A cursor from deep in the list.
    let mut cursor = String::new();
    for _ in 0..(n_workers / 200 / 2).max(1) {
        let page: serde_json::Value = app
            .get_as(&format!("/api/v1/workers?limit=200{cursor}"), &admin)
            .await
            .json()
            .await
            .unwrap();
        cursor = format!(
            "&cursor={}",
            page["next_cursor"].as_str().unwrap_or_default()
        );
    }
    report(
        "workers, page of 50 from the middle (keyset)",
        time(50, |_| get(format!("/api/v1/workers?limit=50{cursor}"))).await,
    );

    let (peak_before, _) = memory();
    let started = Instant::now();
    let res = app
        .authed(Method::GET, "/api/v1/workers/export", &admin)
        .send()
        .await
        .unwrap();
    let mut bytes = 0usize;
    let mut res = res;
    while let Some(chunk) = res.chunk().await.unwrap() {
        bytes += chunk.len();
    }
    let (peak_after, rss) = memory();
    println!(
        "{:<48} {:.2} s, {:.1} MiB of CSV, peak memory {:.1} → {:.1} MiB (now {:.1} MiB)",
        format!("CSV export of all {n_workers} workers"),
        started.elapsed().as_secs_f64(),
        bytes as f64 / 1_048_576.0,
        peak_before,
        peak_after,
        rss
    );

    bulk_grants(&app, &admin, &root, &worker_ids).await;
    import_memory(&app, &admin).await;
}

/// Grants from a worklist: a formal deep-hardship archive for each of the first
/// `SIJI_BENCH_ARCHIVES` workers (default: all of them; the seed's winter warmth reached 83,000
/// households), written straight into the database, then one bulk creation through the API,
/// timed from the request to the job's end.
async fn bulk_grants(app: &helpers::TestApp, admin: &str, root: &str, heads: &[(Uuid, Uuid)]) {
    use entity::beneficiaries;
    let n = env_or("SIJI_BENCH_ARCHIVES", heads.len()).min(heads.len());
    let now = Utc::now();
    for chunk in heads[..n].chunks(500) {
        let rows = chunk
            .iter()
            .map(|(head, org)| helpers::formal_deep_archive(*head, *org, now));
        beneficiaries::Entity::insert_many(rows.collect::<Vec<_>>())
            .exec_without_returning(&app.db)
            .await
            .unwrap();
    }
    if sea_orm::ConnectionTrait::get_database_backend(&app.db) == sea_orm::DatabaseBackend::Postgres
    {
        sea_orm::ConnectionTrait::execute_unprepared(&app.db, "ANALYZE")
            .await
            .unwrap();
    }
    let campaign: serde_json::Value = app
        .post_as(
            "/api/v1/campaigns",
            admin,
            &serde_json::json!({"org_id": root, "kind": "winter_warmth", "year": 2017, "title": "送温暖",
                "quota": n.max(1), "rule": {"recipients": {"from": "archive", "categories": ["deep"]},
                                            "amount": {"type": "fixed", "amount_fen": 80_000}},
                "fund_sources": [{"source": "city_fiscal", "amount_fen": 80_000 * n.max(1) as i64}]}),
        )
        .await
        .json()
        .await
        .unwrap();
    let id = campaign["id"].as_str().unwrap();
    let opened = app
        .post_as(
            &format!("/api/v1/campaigns/{id}/open"),
            admin,
            &serde_json::json!({}),
        )
        .await;
    assert_eq!(opened.status(), StatusCode::OK);
    let started = Instant::now();
    let res = app
        .post_as(
            &format!("/api/v1/campaigns/{id}/grants/bulk"),
            admin,
            &serde_json::json!({}),
        )
        .await;
    let job = app.finished_job(res, admin).await;
    let seconds = started.elapsed().as_secs_f64();
    let created = job["result"]["created"].as_u64().unwrap_or(0);
    println!(
        "{:<48} {created} created in {seconds:.2} s ({:.0} grants/s; {})",
        format!("bulk grants from {n} archives"),
        created as f64 / seconds,
        job["status"]
    );

    // The rest of the workflow at the same scale: home visits recorded by a second person, the
    // public notices (at most 10,000 grants each, run in the past so that approval may follow),
    // approval by a third person in bulk requests of 1,000.
    let mut ids: Vec<String> = Vec::with_capacity(n);
    let mut cursor = String::new();
    loop {
        let page: serde_json::Value = app
            .get_as(
                &format!("/api/v1/grants?campaign_id={id}&limit=200{cursor}"),
                admin,
            )
            .await
            .json()
            .await
            .unwrap();
        ids.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|g| g["id"].as_str().unwrap().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => break,
        }
    }
    let mut staff = Vec::new();
    for name in ["bench.verifier", "bench.approver"] {
        app.create_user(admin, root, name, &["approver"]).await;
        staff.push(app.login(name, helpers::PASSWORD).await.access);
    }
    let step = |path: &'static str, token: String, body: serde_json::Value| {
        let ids = &ids;
        async move {
            let started = Instant::now();
            let mut done = 0usize;
            for chunk in ids.chunks(1000) {
                let mut body = body.clone();
                body["grant_ids"] = serde_json::json!(chunk);
                let res = app
                    .authed(Method::POST, path, &token)
                    .timeout(Duration::from_secs(1800))
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), StatusCode::OK, "{path}");
                let answer: serde_json::Value = res.json().await.unwrap();
                done += answer["done"].as_u64().unwrap_or(0) as usize;
                if let Some(refused) = answer["results"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|r| r["ok"] == false)
                {
                    println!("  refused: {refused}");
                }
            }
            let seconds = started.elapsed().as_secs_f64();
            println!(
                "{:<48} {done} of {} in {seconds:.2} s ({:.0} grants/s)",
                path.trim_start_matches("/api/v1/grants/"),
                ids.len(),
                done as f64 / seconds
            );
        }
    };
    let visited = (Utc::now().date_naive() - chrono::Days::new(20)).to_string();
    step(
        "/api/v1/grants/bulk-verify",
        staff[0].clone(),
        serde_json::json!({"visited_on": visited, "findings": "逐户走访，情况属实"}),
    )
    .await;
    let started = Instant::now();
    let today = Utc::now().date_naive();
    for chunk in ids.chunks(10_000) {
        let res = app
            .authed(Method::POST, "/api/v1/grant-notices", admin)
            .timeout(Duration::from_secs(1800))
            .json(&serde_json::json!({"campaign_id": id, "org_id": root,
                "title": "关于2017年送温暖拟资助名单的公示", "contact": "市总工会 0537-1234567",
                "starts_on": (today - chrono::Days::new(10)).to_string(),
                "ends_on": (today - chrono::Days::new(2)).to_string(), "grant_ids": chunk}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
    }
    println!(
        "{:<48} {:.2} s",
        format!("public notices for {} grants", ids.len()),
        started.elapsed().as_secs_f64()
    );
    step(
        "/api/v1/grants/bulk-approve",
        staff[1].clone(),
        serde_json::json!({}),
    )
    .await;
}

/// Paying a campaign at the city's scale (83,000 by default, `SIJI_BENCH_PAYOUTS`): approved
/// grants and their payees' cards are written straight into the database (with real
/// encryption), then a batch is built, approved, exported as bank files and downloaded, and an
/// 83,000-line result file is reconciled, all over HTTP.
async fn payouts(app: &helpers::TestApp, admin: &str, root: &str, heads: &[(Uuid, Uuid)]) {
    use entity::{bank_cards, campaign_ledger, grants};
    use serde_json::json;
    let n = env_or("SIJI_BENCH_PAYOUTS", 83_000).min(heads.len());
    const AMOUNT: i64 = 80_000;
    let campaign: serde_json::Value = app
        .post_as(
            "/api/v1/campaigns",
            admin,
            &json!({"org_id": root, "kind": "winter_warmth", "year": 2017, "title": "送温暖",
                "quota": n.max(1), "rule": {"recipients": {"from": "archive", "categories": ["deep"]},
                                            "amount": {"type": "fixed", "amount_fen": AMOUNT}},
                "fund_sources": [{"source": "city_fiscal", "amount_fen": AMOUNT * n.max(1) as i64}]}),
        )
        .await
        .json()
        .await
        .unwrap();
    let id = campaign["id"].as_str().unwrap().to_owned();
    let campaign_id = Uuid::parse_str(&id).unwrap();
    let source = Uuid::parse_str(campaign["fund_sources"][0]["id"].as_str().unwrap()).unwrap();
    let opened = app
        .post_as(&format!("/api/v1/campaigns/{id}/open"), admin, &json!({}))
        .await;
    assert_eq!(opened.status(), StatusCode::OK);
    let settings = siji_api::config::DataSettings {
        data_key: Some(siji_api::config::Secret(helpers::DATA_KEY.to_owned())),
        previous_data_keys: None,
        index_key: Some(siji_api::config::Secret(helpers::INDEX_KEY.to_owned())),
    };
    let pii = siji_api::auth::secrets::data_protector(&app.db, &settings)
        .await
        .unwrap();
    let root_id = Uuid::parse_str(root).unwrap();
    let now = Utc::now();
    let started = Instant::now();
    for (c, chunk) in heads[..n].chunks(1000).enumerate() {
        let mut grant_rows = Vec::with_capacity(chunk.len());
        let mut commits = Vec::with_capacity(chunk.len());
        let mut card_rows = Vec::with_capacity(chunk.len());
        for (i, (worker, org)) in chunk.iter().enumerate() {
            let k = c * 1000 + i;
            let grant = Uuid::now_v7();
            grant_rows.push(grants::ActiveModel {
                id: Set(grant),
                campaign_id: Set(campaign_id),
                org_id: Set(*org),
                recipient: Set("worker".into()),
                beneficiary_id: Set(None),
                member_id: Set(None),
                worker_id: Set(Some(*worker)),
                person_key: Set(format!("{k:064}")),
                name: Set(format!("职工{k}")),
                id_number_public: Set(None),
                category: Set(None),
                stage: Set(None),
                school: Set(None),
                amount_fen: Set(AMOUNT),
                basis: Set("written by the benchmark".into()),
                aided_elsewhere: Set(false),
                status: Set("approved".into()),
                notice_id: Set(None),
                submitted_by: Set(Uuid::nil()),
                verified_by: Set(None),
                verified_on: Set(None),
                visit_findings: Set(None),
                approved_by: Set(None),
                approved_at: Set(Some(now)),
                reason: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
                version: Set(1),
            });
            commits.push(campaign_ledger::ActiveModel {
                id: Set(Uuid::now_v7()),
                campaign_id: Set(campaign_id),
                org_id: Set(root_id),
                fund_source_id: Set(Some(source)),
                kind: Set("commit".into()),
                amount_fen: Set(-AMOUNT),
                quota: Set(0),
                allocation_id: Set(None),
                grant_id: Set(Some(grant)),
                counterparty_org_id: Set(None),
                payout_id: Set(None),
                actor_id: Set(None),
                actor_name: Set(None),
                created_at: Set(now),
            });
            let number = helpers::card_number(u32::try_from(k).unwrap());
            card_rows.push(bank_cards::ActiveModel {
                id: Set(Uuid::now_v7()),
                org_id: Set(*org),
                payee_kind: Set("worker".into()),
                worker_id: Set(Some(*worker)),
                member_id: Set(None),
                person_key: Set(format!("{k:064}")),
                holder_name: Set(format!("职工{k}")),
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
                created_by: Set(Uuid::nil()),
                created_at: Set(now),
                updated_at: Set(now),
                version: Set(1),
            });
        }
        grants::Entity::insert_many(grant_rows)
            .exec_without_returning(&app.db)
            .await
            .unwrap();
        campaign_ledger::Entity::insert_many(commits)
            .exec_without_returning(&app.db)
            .await
            .unwrap();
        bank_cards::Entity::insert_many(card_rows)
            .exec_without_returning(&app.db)
            .await
            .unwrap();
    }
    if sea_orm::ConnectionTrait::get_database_backend(&app.db) == sea_orm::DatabaseBackend::Postgres
    {
        sea_orm::ConnectionTrait::execute_unprepared(&app.db, "ANALYZE")
            .await
            .unwrap();
    }
    println!(
        "{:<48} {:.1} s",
        format!("{n} approved grants and cards written"),
        started.elapsed().as_secs_f64()
    );
    app.create_user(admin, root, "bench.checker", &["approver"])
        .await;
    let checker = app.login("bench.checker", helpers::PASSWORD).await.access;
    let post = |path: String, token: String, body: serde_json::Value| async move {
        app.authed(Method::POST, &path, &token)
            .timeout(Duration::from_secs(1800))
            .json(&body)
            .send()
            .await
            .unwrap()
    };

    let started = Instant::now();
    let res = post(
        "/api/v1/payout-batches".into(),
        admin.to_owned(),
        json!({"campaign_id": id}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let built: serde_json::Value = res.json().await.unwrap();
    let build_s = started.elapsed().as_secs_f64();
    let batch = built["batch"]["id"].as_str().unwrap().to_owned();
    println!(
        "{:<48} {} payouts in {build_s:.2} s ({:.0}/s)",
        "build a payout batch",
        built["batch"]["payout_count"],
        n as f64 / build_s
    );
    let started = Instant::now();
    let res = post(
        format!("/api/v1/payout-batches/{batch}/approve"),
        checker.clone(),
        json!({}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    println!(
        "{:<48} {:.2} s",
        "approve it (re-checking count and total)",
        started.elapsed().as_secs_f64()
    );
    let started = Instant::now();
    let res = post(
        format!("/api/v1/payout-batches/{batch}/export"),
        admin.to_owned(),
        json!({"layout": "gb18030_summary"}),
    )
    .await;
    let job = app.finished_job(res, admin).await;
    let export_s = started.elapsed().as_secs_f64();
    let files = job["result"]["files"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    println!(
        "{:<48} {} files in {export_s:.2} s ({}); build + export {:.2} s",
        "export the bank files (GB18030, 1,000 rows each)",
        files.len(),
        job["status"],
        build_s + export_s
    );
    let started = Instant::now();
    let mut bytes = 0;
    for f in &files {
        bytes += app
            .get_as(f["url"].as_str().unwrap(), admin)
            .await
            .bytes()
            .await
            .unwrap()
            .len();
    }
    println!(
        "{:<48} {:.2} s ({:.1} MB)",
        "download every file (re-rendered, hash-checked)",
        started.elapsed().as_secs_f64(),
        bytes as f64 / 1e6
    );

    let mut references = Vec::with_capacity(n);
    let mut cursor = String::new();
    loop {
        let page: serde_json::Value = app
            .get_as(
                &format!("/api/v1/payouts?batch_id={batch}&limit=200{cursor}"),
                admin,
            )
            .await
            .json()
            .await
            .unwrap();
        references.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["reference"].as_str().unwrap().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => break,
        }
    }
    let mut file = String::from("业务参考号,金额,处理结果,失败原因\r\n");
    for r in &references {
        file.push_str(r);
        file.push_str(",800.00,成功,\r\n");
    }
    let started = Instant::now();
    let res = app
        .authed(
            Method::POST,
            &format!("/api/v1/payout-batches/{batch}/results?layout=gb18030_summary"),
            &checker,
        )
        .timeout(Duration::from_secs(1800))
        .header("content-type", "text/csv")
        .body(file)
        .send()
        .await
        .unwrap();
    let job = app.finished_job(res, &checker).await;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{:<48} {} paid ({} unchanged) in {seconds:.2} s ({:.0} lines/s; {} after {} attempt(s), batch {})",
        format!("reconcile a {}-line result file", references.len()),
        job["result"]["paid"],
        job["result"]["unchanged"],
        references.len() as f64 / seconds,
        job["status"],
        job["attempts"],
        job["result"]["batch_status"]
    );
}

/// County sync: a county system pushes `SIJI_BENCH_PUSH` workers (default 20,000) in batches
/// of 1,000 through the registry's rules, then follows the change feed over all of them.
async fn sync(app: &helpers::TestApp, admin: &str) {
    use serde_json::json;
    let n = env_or("SIJI_BENCH_PUSH", 20_000);
    let county = app.county(admin, "邹城市总工会", "370883").await;
    let system = app
        .machine_client(&county.admin, &county.org_id, "邹城市职工信息系统")
        .await;
    let mut cursor = None;
    // Where the feed stands before the push: the bench's own data is not the county's.
    loop {
        let after = cursor
            .as_ref()
            .map(|c| format!("&cursor={c}"))
            .unwrap_or_default();
        let page: serde_json::Value = app
            .get_as(
                &format!("/api/v1/sync/changes?kinds=worker&limit=1000{after}"),
                &system,
            )
            .await
            .json()
            .await
            .unwrap();
        cursor = page["next_cursor"].as_str().map(str::to_owned);
        if page["has_more"] != true {
            break;
        }
    }
    let started = Instant::now();
    for batch in 0..n.div_ceil(1000) {
        let records: Vec<serde_json::Value> = (batch * 1000..((batch + 1) * 1000).min(n))
            .map(|i| {
                let born = chrono::NaiveDate::from_ymd_opt(1960, 1, 1).unwrap()
                    + chrono::Days::new((i / 1000) as u64);
                json!({"external_id": format!("ZC-{i:07}"), "worker": {"org_id": county.org_id,
                       "name": format!("职工{i}"),
                       "id_number": helpers::id_number(&format!("370883{}{:03}", born.format("%Y%m%d"), i % 1000)),
                       "phone": format!("139{:08}", i), "kind": "staff", "employment_status": "employed"}})
            })
            .collect();
        let res = app
            .authed(Method::POST, "/api/v1/sync/workers", &system)
            .timeout(Duration::from_secs(600))
            .json(&json!({ "records": records }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let answer: serde_json::Value = res.json().await.unwrap();
        assert_eq!(answer["created"], records.len(), "{answer}");
    }
    let push_s = started.elapsed().as_secs_f64();
    println!(
        "{:<48} {n} workers in {push_s:.2} s ({:.0}/s)",
        "push workers by external id (1,000 a request)",
        n as f64 / push_s
    );
    let started = Instant::now();
    let mut seen = 0usize;
    while seen < n && started.elapsed() < Duration::from_secs(600) {
        let after = cursor
            .as_ref()
            .map(|c| format!("&cursor={c}"))
            .unwrap_or_default();
        let page: serde_json::Value = app
            .get_as(
                &format!("/api/v1/sync/changes?kinds=worker&limit=1000{after}"),
                &system,
            )
            .await
            .json()
            .await
            .unwrap();
        seen += page["changes"].as_array().unwrap().len();
        cursor = page["next_cursor"].as_str().map(str::to_owned);
    }
    let feed_s = started.elapsed().as_secs_f64();
    println!(
        "{:<48} {seen} changes in {feed_s:.2} s ({:.0}/s)",
        "follow the change feed (1,000 a page, records shown)",
        seen as f64 / feed_s
    );

    // One push of 1,000 of each other kind: the answer a connector waits for.
    app.living_standard_this_year(&county, 80_000).await;
    let push_once = async |kind: &str, records: Vec<serde_json::Value>| {
        let started = Instant::now();
        let res = app
            .authed(Method::POST, &format!("/api/v1/sync/{kind}"), &system)
            .timeout(Duration::from_secs(600))
            .json(&json!({ "records": records }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let answer: serde_json::Value = res.json().await.unwrap();
        assert_eq!(answer["invalid"], 0, "{answer}");
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        println!(
            "{:<48} {ms:.0} ms (created {}, unchanged {})",
            format!("push 1,000 {kind} in one request"),
            answer["created"],
            answer["unchanged"]
        );
    };
    let enterprises: Vec<serde_json::Value> = (0..1000)
        .map(|e| {
            json!({"external_id": format!("ZC-E{e:05}"), "enterprise": {"org_id": county.org_id,
                   "name": format!("企业{e}"), "uscc": helpers::uscc(&format!("91370883MA{e:07}")),
                   "ownership": "private", "industry": "C"}})
        })
        .collect();
    push_once("enterprises", enterprises.clone()).await;
    push_once("enterprises", enterprises).await;
    let archives: Vec<serde_json::Value> = (0..1000.min(n))
        .map(|i| {
            json!({"external_id": format!("ZC-A{i:05}"), "head_external_id": format!("ZC-{i:07}"),
                   "archive": {"org_id": county.org_id, "household_size": 3,
                   "annual_income_fen": 50_000 * 36 + 120_000, "rigid_expenses_fen": 120_000,
                   "causes": ["illness"],
                   "members": [{"name": "配偶", "relation": "spouse", "health": "chronic_illness"}],
                   "first_visit": {"visited_on": "2026-09-01", "findings": "家中一人患病"}}})
        })
        .collect();
    push_once("beneficiaries", archives.clone()).await;
    push_once("beneficiaries", archives).await;
    let agreements: Vec<serde_json::Value> = (0..1000)
        .map(|e| {
            json!({"external_id": format!("ZC-H{e:05}"),
                   "enterprise_external_ids": [format!("ZC-E{e:05}")],
                   "agreement": {"org_id": county.org_id, "title": format!("工资专项集体合同{e}"),
                   "scope": "enterprise", "mode": "single_enterprise", "text_type": "wage_special"},
                   "terms": {"signed_on": "2026-03-01", "effective_from": "2026-03-01",
                   "effective_to": "2029-02-28", "wage_rise_bp": 500, "minimum_wage_fen": 260000,
                   "workers_covered": 50}})
        })
        .collect();
    push_once("wage-agreements", agreements.clone()).await;
    push_once("wage-agreements", agreements).await;
}

/// Upload a CSV to the worker import; the status, the report and the seconds it took.
async fn import_csv(
    app: &helpers::TestApp,
    token: &str,
    csv: Vec<u8>,
) -> (StatusCode, serde_json::Value, f64) {
    let started = Instant::now();
    let res = app
        .authed(Method::POST, "/api/v1/imports/workers", token)
        .header("content-type", "text/csv")
        .timeout(Duration::from_secs(1800))
        .body(csv)
        .send()
        .await
        .unwrap();
    let status = res.status();
    if status != StatusCode::ACCEPTED {
        let body = res.json().await.unwrap_or(serde_json::Value::Null);
        return (status, body, started.elapsed().as_secs_f64());
    }
    // Accepted: the import runs as a job; wait for its report.
    let job = app.finished_job(res, token).await;
    (
        status,
        job["result"].clone(),
        started.elapsed().as_secs_f64(),
    )
}

/// Memory stays bounded by the import limits, not by what a file holds. The 100,000 rows fail
/// validation (a wrong check digit), so the figure is the reading, checking and reporting of
/// every row without the per-row database work (which the registry figures above cover).
async fn import_memory(app: &helpers::TestApp, token: &str) {
    let rows = env_or("SIJI_BENCH_IMPORT_ROWS", 100_000);
    let mut csv = String::from("姓名,身份证号,手机号\n");
    for n in 0..rows {
        csv.push_str(&format!(
            "工人{n},11010519491231002{},1380000{:04}\n",
            n % 9,
            n % 10_000
        ));
    }
    let size = csv.len();
    let (peak_before, _) = memory();
    // A list of workers, requested over and over while the import runs beside it.
    let (done_tx, mut done_rx) = tokio::sync::watch::channel(false);
    let lister = {
        let client = app.authed(Method::GET, "/api/v1/workers?limit=50", token);
        tokio::spawn(async move {
            let mut samples = Vec::new();
            while !*done_rx.borrow_and_update() {
                let started = Instant::now();
                let res = client.try_clone().unwrap().send().await.unwrap();
                assert_eq!(res.status(), StatusCode::OK);
                let _ = res.bytes().await;
                samples.push(started.elapsed());
            }
            samples
        })
    };
    let (status, report, secs) = import_csv(app, token, csv.into_bytes()).await;
    let _ = done_tx.send(true);
    let list_samples = lister.await.unwrap();
    let (peak_after, rss) = memory();
    let report_bytes = report.to_string().len();
    println!(
        "{:<48} {status}, {:.2} s ({:.0} rows/s), {:.1} MiB file, report {:.0} KiB ({} rows listed, {} omitted), peak memory {:.1} → {:.1} MiB (now {:.1} MiB)",
        format!("import of {rows} CSV rows (all rejected)"),
        secs,
        rows as f64 / secs,
        size as f64 / 1_048_576.0,
        report_bytes as f64 / 1024.0,
        report["rows"].as_array().map_or(0, Vec::len),
        report["rows_omitted"],
        peak_before,
        peak_after,
        rss
    );

    report_percentiles("workers, page of 50, while that import runs", list_samples);

    // Rows that are saved: each one registered, encrypted, indexed and audited.
    let valid = env_or("SIJI_BENCH_IMPORT_VALID", 2_000);
    let mut csv = String::from("姓名,身份证号,手机号\n");
    for n in 0..valid {
        // Another county's numbers than the seeded workers', with birth dates in the past.
        let born =
            NaiveDate::from_ymd_opt(1960, 1, 1).unwrap() + chrono::Days::new((n / 1000) as u64);
        let id = helpers::id_number(&format!("370812{}{:03}", born.format("%Y%m%d"), n % 1000));
        csv.push_str(&format!("导入{n},{id},1390000{:04}\n", n % 10_000));
    }
    let (status, report, secs) = import_csv(app, token, csv.into_bytes()).await;
    println!(
        "{:<48} {status}, {:.2} s ({:.0} rows/s), created {} rejected {}",
        format!("import of {valid} new workers"),
        secs,
        valid as f64 / secs,
        report["created"],
        report["rejected"]
    );

    // Past the row limit: refused before any row is handled.
    let mut csv = String::from("姓名,身份证号\n");
    for n in 0..500_000 {
        csv.push_str(&format!("工人{n},1\n"));
    }
    let (peak_before, _) = memory();
    let (status, report, secs) = import_csv(app, token, csv.into_bytes()).await;
    let (peak_after, _) = memory();
    println!(
        "{:<48} {status} {}, {:.2} s, peak memory {:.1} → {:.1} MiB",
        "CSV of 500,000 rows (past the row limit)",
        report["errors"][0]["code"],
        secs,
        peak_before,
        peak_after
    );
}
