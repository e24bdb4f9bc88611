//! `siji-load`: the concurrent load benchmark on a demonstration city, the way county staff hit
//! the system. It builds the city first when the database holds fewer workers than asked for
//! (`siji demo-city`, resumable), starts the real release `siji serve` on it, signs in as a
//! county administrator, and for each endpoint prints requests/s, p50, p99, errors and the
//! server's resident memory at 16 and 64 connections:
//!
//! - a scoped, masked page of 50 workers of one enterprise (`GET /api/v1/workers?enterprise_id=…`)
//! - one worker by id (`GET /api/v1/workers/{id}`)
//! - the coverage statistic and the archive counts (`/api/v1/stats/…`)
//! - a CSV export of the county's workers (one download: rows/s and memory)
//!
//! On PostgreSQL it also runs `pgbench` with exactly the statements each endpoint sent —
//! captured from the wire by a proxy in front of a first server (`capture.rs`), not retyped —
//! at the same connection counts, and prints HTTP's rate as a share of `pgbench`'s, both for all
//! the endpoint's statements and for its own query alone (its first statement that is not an
//! authentication of its own), with the p99 ratio. The machine's speed drifts, so the ratio, taken in the same run, is the
//! figure that means something. Asserts nothing.
//!
//! `DATABASE_URL` (default: `sqlite://siji-load.db?mode=rwc`), `SIJI_LOAD_WORKERS` (the city's
//! size, default 1,000,000; `SIJI_LOAD_ENTERPRISES`, default 14,796), `SIJI_LOAD_SECONDS` (per measurement, default 10),
//! `SIJI_LOAD_CONNECTIONS` (default `16,64`), `PGBENCH` (default `pgbench`); the keys as for
//! `siji` (defaults fixed for the demonstration).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_precision_loss
)]

mod capture;
mod pgbench;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

const DATA_KEY: &str = "k1:AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=";
const INDEX_KEY: &str = "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=";
const JWT_SECRET: &str = "siji-load-signing-secret-of-forty-eight-bytes!!!";
const ADMIN_PASSWORD: &str = "siji-load city passphrase";
const COUNTY_ADMIN: &str = "load.county.admin";
const COUNTY_PASSWORD: &str = "siji-load county passphrase";

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The `siji` binary next to this one (same profile).
fn siji_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let binary = exe.with_file_name("siji");
    assert!(
        binary.exists(),
        "{} is missing: build it with `cargo build --release --bin siji --bin siji-load`",
        binary.display()
    );
    binary
}

/// What every `siji` process of this run is given.
fn siji(database_url: &str) -> Command {
    let mut command = Command::new(siji_binary());
    command
        .env("DATABASE_URL", database_url)
        .env(
            "SIJI_DATA_KEY",
            std::env::var("SIJI_DATA_KEY").unwrap_or(DATA_KEY.into()),
        )
        .env(
            "SIJI_INDEX_KEY",
            std::env::var("SIJI_INDEX_KEY").unwrap_or(INDEX_KEY.into()),
        )
        .env(
            "SIJI_JWT_SECRET",
            std::env::var("SIJI_JWT_SECRET").unwrap_or(JWT_SECRET.into()),
        )
        .env(
            "SIJI_ADMIN_PASSWORD",
            std::env::var("SIJI_ADMIN_PASSWORD").unwrap_or(ADMIN_PASSWORD.into()),
        );
    command
}

/// A running `siji serve`.
struct Server {
    child: Child,
    base: String,
}

impl Server {
    async fn start(database_url: &str, job_runners: u32) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = siji(database_url)
            .arg("serve")
            .env("SIJI_BIND", format!("127.0.0.1:{port}"))
            .env("SIJI_JOB_RUNNERS", job_runners.to_string())
            .env("SIJI_ACCESS_TOKEN_TTL", "7200")
            // Tens of thousands of requests in a few seconds from one address.
            .env("SIJI_LOGIN_IP_MAX_FAILURES", "1000")
            .env("SIJI_LOG", "warn")
            .stdout(Stdio::null())
            // Its log apart: the pool's "slow acquire" warnings at 64 connections would bury
            // the figures.
            .stderr(
                std::fs::File::create(std::env::temp_dir().join("siji-load-server.log"))
                    .map_or(Stdio::null(), Stdio::from),
            )
            .spawn()
            .unwrap();
        let mut server = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        let client = reqwest::Client::new();
        let started = Instant::now();
        loop {
            if let Ok(res) = client.get(format!("{}/healthz", server.base)).send().await
                && res.status() == StatusCode::OK
            {
                return server;
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("siji serve stopped: {status}");
            }
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "siji did not start"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The server's resident memory now, in MiB.
    fn rss(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        status
            .lines()
            .find(|l| l.starts_with("VmRSS:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn login(
    client: &reqwest::Client,
    base: &str,
    username: &str,
    password: &str,
) -> Option<String> {
    let res = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .ok()?;
    if !res.status().is_success() {
        return None;
    }
    let body: Value = res.json().await.ok()?;
    body["access_token"].as_str().map(str::to_owned)
}

async fn get_json(client: &reqwest::Client, url: &str, token: &str) -> Value {
    let res = client.get(url).bearer_auth(token).send().await.unwrap();
    let status = res.status();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    assert!(status.is_success(), "GET {url}: {status} {body}");
    body
}

/// What the benchmark needs of the city, found through the API as the county admin sees it.
struct Targets {
    token: String,
    county: String,
    list: String,
    get: String,
}

async fn prepare(server: &Server, city: (u64, u64), database_url: &str) -> Targets {
    let (workers_wanted, enterprises) = city;
    let client = reqwest::Client::new();
    let base = &server.base;
    let password = std::env::var("SIJI_ADMIN_PASSWORD").unwrap_or(ADMIN_PASSWORD.into());
    let admin = login(&client, base, "admin", &password)
        .await
        .unwrap_or_else(|| {
            panic!("cannot sign in as `admin`: set SIJI_ADMIN_PASSWORD to its password")
        });
    let total = get_json(
        &client,
        &format!("{base}/api/v1/workers?limit=1&count=true"),
        &admin,
    )
    .await["total"]
        .as_u64()
        .unwrap_or(0);
    if total < workers_wanted {
        println!("the city has {total} workers; building {workers_wanted} with `siji demo-city`");
        let status = siji(database_url)
            .args(["demo-city", "--workers", &workers_wanted.to_string()])
            .args(["--archives", &(workers_wanted / 10).to_string()])
            .args(["--enterprises", &enterprises.to_string()])
            .status()
            .unwrap();
        assert!(status.success(), "siji demo-city failed");
    }
    let counties = get_json(
        &client,
        &format!("{base}/api/v1/orgs?level=county&limit=1"),
        &admin,
    )
    .await;
    let county = counties["items"][0]["id"]
        .as_str()
        .expect("a county")
        .to_owned();
    let token = match login(&client, base, COUNTY_ADMIN, COUNTY_PASSWORD).await {
        Some(token) => token,
        None => {
            let res = client
                .post(format!("{base}/api/v1/users"))
                .bearer_auth(&admin)
                .json(&json!({
                    "username": COUNTY_ADMIN, "display_name": "压测县总管理员", "org_id": county,
                    "roles": ["county_admin"], "password": COUNTY_PASSWORD,
                }))
                .send()
                .await
                .unwrap();
            assert!(
                res.status().is_success(),
                "creating the county admin: {}",
                res.status()
            );
            login(&client, base, COUNTY_ADMIN, COUNTY_PASSWORD)
                .await
                .unwrap()
        }
    };
    // An enterprise of the county with at least a page of workers.
    let enterprises = get_json(
        &client,
        &format!("{base}/api/v1/enterprises?limit=50"),
        &token,
    )
    .await;
    for enterprise in enterprises["items"].as_array().unwrap() {
        let id = enterprise["id"].as_str().unwrap();
        let list = format!("{base}/api/v1/workers?enterprise_id={id}&limit=50");
        let page = get_json(&client, &list, &token).await;
        let items = page["items"].as_array().unwrap();
        if items.len() == 50 {
            let worker = items[0]["id"].as_str().unwrap();
            return Targets {
                get: format!("{base}/api/v1/workers/{worker}"),
                list,
                county,
                token,
            };
        }
    }
    panic!("no enterprise of the county has 50 workers: build a bigger city");
}

/// One measurement over HTTP.
struct Run {
    requests: u64,
    errors: u64,
    seconds: f64,
    latencies: Vec<Duration>,
    rss_peak: f64,
}

/// `connections` clients, each on its own keep-alive connection, request `url` back to back for
/// `seconds` (after a one-second warm-up, not counted) while the server's memory is sampled.
/// Each client is a bare HTTP/1.1 connection (hyper's, without reqwest's pool, redirects and
/// layers): the driver shares the two cores with the server and PostgreSQL, and through
/// reqwest it took 15% of the machine at 64 connections, CPU the server then lacked, where
/// `pgbench`'s own client is a few per cent.
async fn hammer(server: &Server, url: &str, token: &str, connections: usize, seconds: u64) -> Run {
    let url = reqwest::Url::parse(url).unwrap();
    let address = format!(
        "{}:{}",
        url.host_str().unwrap(),
        url.port_or_known_default().unwrap()
    );
    let target = match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    };
    for (window, keep) in [(1, false), (seconds, true)] {
        let stop = Arc::new(AtomicBool::new(false));
        let errors = Arc::new(AtomicU64::new(0));
        let mut tasks = Vec::new();
        for _ in 0..connections {
            let (address, target, stop, errors) = (
                address.clone(),
                target.clone(),
                stop.clone(),
                errors.clone(),
            );
            let authorization = format!("Bearer {token}");
            tasks.push(tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut client = None;
                while !stop.load(Ordering::Relaxed) {
                    let started = Instant::now();
                    if client.is_none() {
                        client = connect(&address).await;
                    }
                    let ok = match &mut client {
                        Some(sender) => get(sender, &address, &target, &authorization).await,
                        None => false,
                    };
                    if ok {
                        latencies.push(started.elapsed());
                    } else {
                        errors.fetch_add(1, Ordering::Relaxed);
                        client = None;
                    }
                }
                latencies
            }));
        }
        let started = Instant::now();
        let mut rss_peak: f64 = 0.0;
        while started.elapsed() < Duration::from_secs(window) {
            rss_peak = rss_peak.max(server.rss());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        stop.store(true, Ordering::Relaxed);
        let seconds = started.elapsed().as_secs_f64();
        let mut latencies = Vec::new();
        for task in tasks {
            latencies.extend(task.await.unwrap());
        }
        if keep {
            return Run {
                requests: latencies.len() as u64,
                errors: errors.load(Ordering::Relaxed),
                seconds,
                latencies,
                rss_peak,
            };
        }
    }
    unreachable!()
}

type Sender = hyper::client::conn::http1::SendRequest<http_body_util::Empty<hyper::body::Bytes>>;

/// A keep-alive HTTP/1.1 connection to `address`, its driver on its own task.
async fn connect(address: &str) -> Option<Sender> {
    let stream = tokio::net::TcpStream::connect(address).await.ok()?;
    stream.set_nodelay(true).ok()?;
    let (sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .ok()?;
    tokio::spawn(connection);
    Some(sender)
}

/// One `GET`, its whole body read: whether it succeeded.
async fn get(sender: &mut Sender, host: &str, target: &str, authorization: &str) -> bool {
    use http_body_util::BodyExt;
    let Ok(request) = hyper::Request::get(target)
        .header(hyper::header::HOST, host)
        .header(hyper::header::AUTHORIZATION, authorization)
        .body(http_body_util::Empty::new())
    else {
        return false;
    };
    match sender.send_request(request).await {
        Ok(response) => {
            response.status().is_success() && response.into_body().collect().await.is_ok()
        }
        Err(_) => false,
    }
}

fn percentile(samples: &mut [Duration], q: f64) -> f64 {
    if samples.is_empty() {
        return f64::NAN;
    }
    samples.sort_unstable();
    samples[((samples.len() - 1) as f64 * q).round() as usize].as_secs_f64() * 1000.0
}

/// The statements one request sends, from the capture server's proxy: the request is sent
/// first as many times as the pool holds connections, twice over (the pool hands its idle
/// connections out in turn), so that the statements are prepared on whichever connection the
/// captured one gets, as under load.
async fn capture(
    proxy: &capture::Proxy,
    url: &str,
    token: &str,
) -> (Vec<capture::Statement>, usize) {
    let client = reqwest::Client::new();
    let pool = env_or(
        "SIJI_DB_MAX_CONNECTIONS",
        siji_api::config::DEFAULT_DB_MAX_CONNECTIONS,
    );
    for _ in 0..2 * pool {
        let _ = client
            .get(url)
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .bytes()
            .await;
    }
    proxy.clear();
    let res = client.get(url).bearer_auth(token).send().await.unwrap();
    assert!(res.status().is_success());
    let _ = res.bytes().await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    proxy.take()
}

/// A statement's first 140 characters, for the report.
fn abbreviate(sql: &str) -> String {
    let one_line = sql.split_whitespace().collect::<Vec<_>>().join(" ");
    match one_line.char_indices().nth(140) {
        Some((at, _)) => format!("{}…", &one_line[..at]),
        None => one_line,
    }
}

/// The authentication's statement: it reads the principal under these aliases
/// (`api/src/auth/caller.rs`).
fn is_authentication(statement: &capture::Statement) -> bool {
    statement.sql.contains("principal_valid_after")
}

/// The capture server's URL: the same database through the proxy, without TLS so the proxy can
/// read the messages.
fn through(database_url: &str, port: u16) -> (String, String) {
    let url = reqwest::Url::parse(database_url).unwrap();
    let upstream = format!(
        "{}:{}",
        url.host_str().unwrap_or("127.0.0.1"),
        url.port().unwrap_or(5432)
    );
    let mut proxied = url.clone();
    proxied.set_host(Some("127.0.0.1")).unwrap();
    proxied.set_port(Some(port)).unwrap();
    let query: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| k != "sslmode")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .chain([("sslmode".to_owned(), "disable".to_owned())])
        .collect();
    proxied.query_pairs_mut().clear().extend_pairs(query);
    (upstream, proxied.to_string())
}

struct Endpoint {
    name: &'static str,
    url: String,
    /// The statements it sent: all of them, and its own alone (none on SQLite).
    all: Vec<capture::Statement>,
    own: Vec<capture::Statement>,
    round_trips: usize,
}

#[tokio::main]
async fn main() {
    let database_url =
        std::env::var("DATABASE_URL").unwrap_or("sqlite://siji-load.db?mode=rwc".into());
    let postgres = database_url.starts_with("postgres");
    let workers: u64 = env_or("SIJI_LOAD_WORKERS", 1_000_000);
    let enterprises: u64 = env_or("SIJI_LOAD_ENTERPRISES", 14_796);
    let seconds: u64 = env_or("SIJI_LOAD_SECONDS", 10);
    let connections: Vec<usize> = std::env::var("SIJI_LOAD_CONNECTIONS")
        .unwrap_or("16,64".into())
        .split(',')
        .filter_map(|c| c.trim().parse().ok())
        .collect();
    let pgbench_bin = std::env::var("PGBENCH").unwrap_or("pgbench".into());
    // A subset of the figures, for profiling one endpoint: `list`, `get`, `coverage`,
    // `archives`, `export` (all of them when unset).
    let only: Option<Vec<String>> = std::env::var("SIJI_LOAD_ONLY")
        .ok()
        .map(|o| o.split(',').map(|k| k.trim().to_owned()).collect());
    const FIGURES: [&str; 5] = ["list", "get", "coverage", "archives", "export"];
    if let Some(unknown) = only
        .iter()
        .flatten()
        .find(|k| !FIGURES.contains(&k.as_str()))
    {
        eprintln!("SIJI_LOAD_ONLY: no figure is called {unknown:?}; the figures are {FIGURES:?}");
        std::process::exit(2);
    }
    let wanted = |key: &str| only.as_ref().is_none_or(|o| o.iter().any(|k| k == key));
    println!(
        "siji-load on {} ({workers} workers wanted), {seconds} s per figure, connections {connections:?}",
        if postgres { "PostgreSQL" } else { "SQLite" }
    );

    // First a server through the capture proxy (PostgreSQL) to set up and record the SQL; then
    // the measured server, on a direct connection.
    let proxy = if postgres {
        let (upstream, _) = through(&database_url, 0);
        Some(capture::Proxy::start(upstream).await.unwrap())
    } else {
        None
    };
    let first_url = match &proxy {
        Some(p) => through(&database_url, p.port).1,
        None => database_url.clone(),
    };
    let first = Server::start(&first_url, 0).await;
    let targets = prepare(&first, (workers, enterprises), &database_url).await;
    let base = first.base.clone();
    let mut endpoints = vec![
        (
            "list",
            "list 50 workers of an enterprise",
            targets.list.clone(),
        ),
        ("get", "get one worker", targets.get.clone()),
        (
            "coverage",
            "coverage statistic",
            "/api/v1/stats/wage-agreement-coverage".to_owned(),
        ),
        (
            "archives",
            "archive counts",
            "/api/v1/stats/beneficiaries".to_owned(),
        ),
    ]
    .into_iter()
    .filter(|(key, _, _)| wanted(key))
    .map(|(_, name, url)| {
        let url = if url.starts_with('/') {
            format!("{base}{url}")
        } else {
            url
        };
        Endpoint {
            name,
            url,
            all: Vec::new(),
            own: Vec::new(),
            round_trips: 0,
        }
    })
    .collect::<Vec<_>>();
    if let Some(proxy) = &proxy {
        for endpoint in &mut endpoints {
            let (statements, round_trips) = capture(proxy, &endpoint.url, &targets.token).await;
            // The endpoint's own query: its first statement that is not an authentication of
            // its own (the list and the get confirm their principal within their statements,
            // `auth::Reader`; the statistics read it first); what follows fetches the names
            // shown beside ids.
            endpoint.own = statements
                .iter()
                .find(|s| !is_authentication(s))
                .cloned()
                .into_iter()
                .collect();
            endpoint.all = statements;
            endpoint.round_trips = round_trips;
        }
    }
    drop(first);

    let server = Server::start(&database_url, 1).await;
    println!(
        "server up, RSS {:.1} MiB at rest; its log: {}",
        server.rss(),
        std::env::temp_dir().join("siji-load-server.log").display()
    );
    let dir = tempfile::tempdir().unwrap();
    for endpoint in &endpoints {
        let url = endpoint.url.replacen(&base, &server.base, 1);
        println!(
            "\n{} — {}",
            endpoint.name,
            url.replacen(&server.base, "", 1)
        );
        if postgres {
            println!(
                "  sends {} statements in {} round trips",
                endpoint.all.len(),
                endpoint.round_trips,
            );
            for statement in &endpoint.all {
                println!("    {}", abbreviate(&statement.sql));
            }
        }
        for &c in &connections {
            let mut run = hammer(&server, &url, &targets.token, c, seconds).await;
            let rate = run.requests as f64 / run.seconds;
            let (p50, p99) = (
                percentile(&mut run.latencies, 0.5),
                percentile(&mut run.latencies, 0.99),
            );
            println!(
                "  {c:>3} conns  HTTP     {rate:>8.0} req/s  p50 {p50:>7.2} ms  p99 {p99:>7.2} ms  errors {}  RSS peak {:.1} MiB",
                run.errors, run.rss_peak
            );
            if !postgres || endpoint.all.is_empty() {
                continue;
            }
            for (label, statements) in [
                ("all its SQL", &endpoint.all),
                ("its own query", &endpoint.own),
            ] {
                let script = pgbench::script(statements);
                let name = endpoint.name.replace(' ', "-");
                match pgbench::run(
                    &pgbench_bin,
                    &database_url,
                    &script,
                    c,
                    seconds,
                    dir.path(),
                    &format!("{name}-{}", label.replace(' ', "-")),
                ) {
                    Ok(mut figures) => {
                        let (b50, b99) = (
                            percentile(&mut figures.latencies, 0.5),
                            percentile(&mut figures.latencies, 0.99),
                        );
                        println!(
                            "  {c:>3} conns  pgbench  {:>8.0} tps    p50 {b50:>7.2} ms  p99 {b99:>7.2} ms  ({label}) → HTTP at {:.0}% of its rate, p99 {:.1}×",
                            figures.tps,
                            100.0 * rate / figures.tps,
                            p99 / b99
                        );
                    }
                    Err(e) => println!("  pgbench ({label}): {e}"),
                }
            }
        }
    }

    // A county's workers as CSV, streamed: one download, timed, with the server's memory.
    if !wanted("export") {
        return;
    }
    let client = reqwest::Client::new();
    let url = format!(
        "{}/api/v1/workers/export?within_org_id={}",
        server.base, targets.county
    );
    let started = Instant::now();
    let mut res = client
        .get(&url)
        .bearer_auth(&targets.token)
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "export: {}", res.status());
    let (mut bytes, mut lines, mut rss_peak) = (0_usize, 0_usize, 0.0_f64);
    let mut sampled = Instant::now();
    while let Some(chunk) = res.chunk().await.unwrap() {
        bytes += chunk.len();
        lines += chunk.iter().filter(|b| **b == b'\n').count();
        if sampled.elapsed() > Duration::from_millis(100) {
            rss_peak = rss_peak.max(server.rss());
            sampled = Instant::now();
        }
    }
    let took = started.elapsed().as_secs_f64();
    println!(
        "\nCSV export of one county: {} rows, {:.1} MB in {took:.1} s ({:.0} rows/s), server RSS peak {:.1} MiB",
        lines.saturating_sub(1),
        bytes as f64 / 1e6,
        lines as f64 / took,
        rss_peak.max(server.rss())
    );
}
