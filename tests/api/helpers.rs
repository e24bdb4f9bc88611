//! Starting the real server for a test: its own database (a SQLite file in a temporary
//! directory, or, when `TEST_DATABASE_URL` points at PostgreSQL, a database of its own that is
//! dropped afterwards), port 0, and typed helpers so that a test reads like the API it checks.
#![allow(dead_code)] // Helpers serve many test modules; not every one uses every helper.

use std::time::Duration;

use reqwest::{Method, RequestBuilder, Response, StatusCode};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::Value;
use siji_api::Application;
use siji_api::config::{Secret, Settings};
use uuid::Uuid;

/// The bootstrap admin's password in every test server.
pub const ADMIN_PASSWORD: &str = "bootstrap passphrase";
/// The password helpers give the accounts they create.
pub const PASSWORD: &str = "a long test passphrase";
/// The signing secret of every test server (so tests can forge tokens with bad claims).
pub const JWT_SECRET: &str = "test-signing-secret-of-at-least-32-bytes!";

/// Personal-data keys of every test server (base64 of 32 bytes).
pub const DATA_KEY: &str = "k1:AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=";
pub const INDEX_KEY: &str = "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=";

/// A running server and what a test needs to talk to it.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    /// The server's own pool, for looking behind the API ([`TestApp::close_database`] takes the
    /// database away).
    pub db: DatabaseConnection,
    /// Every pool of the server, its workers' own included.
    pools: siji_api::state::Pools,
    handle: actix_web::dev::ServerHandle,
    database_url: String,
    /// `None` for a peer: the first instance owns the database.
    _database: Option<TestDatabase>,
}

/// Owns the test's database and removes it when the test ends, pass or fail.
enum TestDatabase {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { admin_url: String, name: String },
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let TestDatabase::Postgres { admin_url, name } = self {
            let (admin_url, name) = (admin_url.clone(), name.clone());
            // Drop runs outside any async context we could use: give it a runtime of its own.
            let _ = std::thread::spawn(move || {
                let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return;
                };
                rt.block_on(async move {
                    if let Ok(admin) = Database::connect(admin_url.as_str()).await {
                        let _ = admin
                            .execute_unprepared(&format!(
                                r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#
                            ))
                            .await;
                        let _ = admin.close().await;
                    }
                });
            })
            .join();
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Stop accepting and let the database go before the database itself is dropped.
        drop(self.handle.stop(false));
    }
}

/// `postgres://u@h:5432/postgres?x` with the database name replaced.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let base = base.rsplit_once('/').map_or(base, |(head, _)| head);
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

async fn fresh_database() -> (String, TestDatabase) {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(admin_url) if admin_url.starts_with("postgres") => {
            let name = format!("siji_test_{}", Uuid::new_v4().simple());
            let admin = Database::connect(admin_url.as_str())
                .await
                .expect("connect to TEST_DATABASE_URL");
            admin
                .execute_unprepared(&format!(r#"CREATE DATABASE "{name}""#))
                .await
                .expect("create the test database");
            let _ = admin.close().await;
            (
                with_database(&admin_url, &name),
                TestDatabase::Postgres { admin_url, name },
            )
        }
        _ => {
            let dir = tempfile::tempdir().expect("temporary directory");
            let url = format!("sqlite://{}?mode=rwc", dir.path().join("siji.db").display());
            (url, TestDatabase::Sqlite(dir))
        }
    }
}

/// Build a server with bare settings (no keys, no admin) and report whether it starts.
pub async fn try_build_bare() -> (
    Result<Application, siji_api::startup::StartupError>,
    TestDatabaseGuard,
) {
    let (database_url, database) = fresh_database().await;
    let mut settings = Settings::default();
    settings.database.database_url = database_url;
    settings.bind = "127.0.0.1:0".parse().expect("address");
    settings.workers = Some(1);
    (
        Application::build(settings).await,
        TestDatabaseGuard(database),
    )
}

/// Keeps a test database alive until dropped.
pub struct TestDatabaseGuard(#[allow(dead_code)] TestDatabase);

/// A fresh database (SQLite file, or PostgreSQL under `TEST_DATABASE_URL`) for a server the test
/// runs itself, such as the real binary; dropped with the guard.
pub async fn fresh_database_url() -> (String, TestDatabaseGuard) {
    let (url, database) = fresh_database().await;
    (url, TestDatabaseGuard(database))
}

/// Settings for a test server: its own database, a free port, one worker.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Like `spawn_app`, with a chance to vary the settings first.
pub async fn spawn_app_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    // `TEST_LOG=1 cargo test …` shows the servers' logs.
    static LOGGING: std::sync::Once = std::sync::Once::new();
    LOGGING.call_once(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            siji_api::telemetry::init(&siji_api::config::LogSettings {
                filter: "info".into(),
                log_format: siji_api::config::LogFormat::Pretty,
            });
        }
    });
    let (database_url, database) = fresh_database().await;
    start(database_url, Some(database), configure).await
}

/// A test server on `database_url`, owning the database when `database` is given.
async fn start(
    database_url: String,
    database: Option<TestDatabase>,
    configure: impl FnOnce(&mut Settings),
) -> TestApp {
    let mut settings = Settings::default();
    settings.database.database_url = database_url.clone();
    settings.database.db_max_connections = 5;
    settings.bind = "127.0.0.1:0".parse().expect("address");
    settings.workers = Some(1);
    settings.shutdown_timeout_secs = 1;
    settings.auth.jwt_secret = Some(Secret(JWT_SECRET.to_owned()));
    settings.bootstrap.admin_password = Some(Secret(ADMIN_PASSWORD.to_owned()));
    settings.data.data_key = Some(Secret(DATA_KEY.to_owned()));
    settings.data.index_key = Some(Secret(INDEX_KEY.to_owned()));
    // Jobs start at once and retry quickly in tests.
    settings.jobs.poll_ms = 50;
    settings.jobs.retry_base_ms = 20;
    settings.jobs.lease_secs = 10;
    configure(&mut settings);

    let app = Application::build(settings)
        .await
        .expect("build the application");
    let address = format!("http://127.0.0.1:{}", app.port());
    let db = app.db().clone();
    let pools = app.pools();
    let handle = app.handle();
    tokio::spawn(app.run_until_stopped());

    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .expect("HTTP client");
    TestApp {
        address,
        client,
        db,
        pools,
        handle,
        database_url,
        _database: database,
    }
}

impl TestApp {
    /// Another instance of the server on this one's database, as a second `siji serve` behind
    /// a load balancer would be (the same keys). Drop it before this one.
    pub async fn peer(&self, configure: impl FnOnce(&mut Settings)) -> TestApp {
        start(self.database_url.clone(), None, configure).await
    }
}

impl TestApp {
    /// Take the database away: close every pool of the server, once its worker has started and
    /// made its own (a request that reads nothing shows it has).
    pub async fn close_database(&self) {
        let res = self.get("/healthz").await;
        assert_eq!(res.status(), StatusCode::OK);
        self.pools.close().await;
    }

    /// The database this server runs on.
    pub fn database_url(&self) -> &str {
        &self.database_url
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.client.request(method, self.url(path))
    }

    pub async fn get(&self, path: &str) -> Response {
        self.request(Method::GET, path).send().await.expect("GET")
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Response {
        self.request(Method::POST, path)
            .json(body)
            .send()
            .await
            .expect("POST")
    }
}

/// Assert a response is a problem document with this status and code; return its body.
pub async fn assert_problem(res: Response, status: StatusCode, code: &str) -> Value {
    assert_eq!(res.status(), status, "unexpected status");
    let content_type = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(content_type, "application/problem+json");
    let request_id = res
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body: Value = res.json().await.expect("problem body is JSON");
    assert_eq!(body["status"], status.as_u16(), "{body}");
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["type"], format!("/problems/{code}"));
    assert!(body["title"].is_string());
    assert_eq!(
        body["request_id"].as_str().map(str::to_owned),
        request_id,
        "request id in body and header"
    );
    body
}

/// One page of the change feed at `path`, read again until `enough` holds of it (or 20 s pass).
/// On PostgreSQL a change is readable once every older transaction of the cluster has ended, and
/// other tests run beside, each on its own database of the same cluster.
pub async fn feed_until(
    app: &TestApp,
    token: &str,
    path: &str,
    enough: impl Fn(&Value) -> bool,
) -> Value {
    let started = std::time::Instant::now();
    loop {
        let feed = json_body(app.get_as(path, token).await, StatusCode::OK).await;
        if enough(&feed) || started.elapsed() > Duration::from_secs(20) {
            return feed;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Prune the whole change log as it stands (its horizon at the head), as a pruning after the
/// retention would; answers how many changes went. On PostgreSQL a change is pruned only once no
/// older transaction of the cluster runs (other tests' run beside), so it waits up to 20 s.
pub async fn prune_log(app: &TestApp) -> u64 {
    use sea_orm::{FromQueryResult, Statement};
    use siji_api::changelog;
    #[derive(FromQueryResult)]
    struct Last {
        txid: i64,
        seq: i64,
    }
    // The last change written, whether or not readers may see it yet: `changelog::head` stops
    // before a change of a transaction newer than the oldest one running in the cluster, and
    // a pruning to it would leave the change the caller just made.
    let backend = app.db.get_database_backend();
    let sql = match backend {
        sea_orm::DatabaseBackend::Postgres => {
            "SELECT txid::text::bigint AS txid, seq FROM change_log ORDER BY txid DESC, seq DESC LIMIT 1"
        }
        _ => "SELECT txid, seq FROM change_log ORDER BY seq DESC LIMIT 1",
    };
    let head = Last::find_by_statement(Statement::from_string(backend, sql))
        .one(&app.db)
        .await
        .unwrap()
        .map_or(changelog::Cursor::START, |l| changelog::Cursor {
            txid: l.txid,
            seq: l.seq,
        })
        .max(changelog::head(&app.db).await.unwrap());
    let started = std::time::Instant::now();
    let mut pruned = 0;
    while changelog::horizon(&app.db).await.unwrap() < Some(head) {
        assert!(started.elapsed() < Duration::from_secs(20), "never pruned");
        pruned += changelog::prune(&app.db, chrono::Utc::now() + chrono::TimeDelta::seconds(1))
            .await
            .unwrap();
    }
    pruned
}

/// Read a JSON body after checking the status.
pub async fn json_body(res: Response, status: StatusCode) -> Value {
    let actual = res.status();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    assert_eq!(actual, status, "unexpected status; body: {body}");
    body
}

/// Tokens from a sign-in.
#[derive(Debug, Clone)]
pub struct Tokens {
    pub access: String,
    pub refresh: String,
}

/// A county federation with its admin and an operator, for tenancy tests.
pub struct County {
    pub org_id: String,
    pub admin: String,
    pub operator: String,
    pub admin_user_id: String,
    pub operator_user_id: String,
}

impl TestApp {
    /// Sign in; panics unless it succeeds.
    pub async fn login(&self, username: &str, password: &str) -> Tokens {
        let res = self
            .post_json(
                "/api/v1/auth/login",
                &serde_json::json!({"username": username, "password": password}),
            )
            .await;
        let body = json_body(res, StatusCode::OK).await;
        Tokens {
            access: body["access_token"].as_str().unwrap().to_owned(),
            refresh: body["refresh_token"].as_str().unwrap().to_owned(),
        }
    }

    /// Follow a `202 Accepted` to its job and wait until the job has ended; the job.
    pub async fn finished_job(&self, res: Response, token: &str) -> Value {
        let status = res.status();
        let location = res
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let accepted: Value = res.json().await.unwrap_or(Value::Null);
        assert_eq!(status, StatusCode::ACCEPTED, "{accepted}");
        let location = location.expect("a 202 names its job in Location");
        assert_eq!(accepted["url"], location.as_str());
        let started = std::time::Instant::now();
        loop {
            let job = json_body(self.get_as(&location, token).await, StatusCode::OK).await;
            if job["status"] == "succeeded" || job["status"] == "failed" {
                return job;
            }
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "the job did not end: {job}"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// The report of an import that was accepted (202) and then succeeded.
    pub async fn import_report(&self, res: Response, token: &str) -> Value {
        let job = self.finished_job(res, token).await;
        assert_eq!(job["status"], "succeeded", "{job}");
        job["result"].clone()
    }

    pub async fn admin_token(&self) -> String {
        self.login("admin", ADMIN_PASSWORD).await.access
    }

    pub fn authed(&self, method: Method, path: &str, token: &str) -> RequestBuilder {
        self.request(method, path).bearer_auth(token)
    }

    pub async fn get_as(&self, path: &str, token: &str) -> Response {
        self.authed(Method::GET, path, token)
            .send()
            .await
            .expect("GET")
    }

    pub async fn post_as(&self, path: &str, token: &str, body: &Value) -> Response {
        self.authed(Method::POST, path, token)
            .json(body)
            .send()
            .await
            .expect("POST")
    }

    pub async fn patch_as(&self, path: &str, token: &str, body: &Value) -> Response {
        self.authed(Method::PATCH, path, token)
            .json(body)
            .send()
            .await
            .expect("PATCH")
    }

    /// The root org's id, as the admin sees it.
    pub async fn root_org_id(&self, token: &str) -> String {
        let me = json_body(self.get_as("/api/v1/me", token).await, StatusCode::OK).await;
        me["org"]["id"].as_str().unwrap().to_owned()
    }

    pub async fn create_org(
        &self,
        token: &str,
        parent_id: &str,
        level: &str,
        name: &str,
        code: &str,
    ) -> Value {
        let body = serde_json::json!({"parent_id": parent_id, "level": level, "name": name, "division_code": code});
        json_body(
            self.post_as("/api/v1/orgs", token, &body).await,
            StatusCode::CREATED,
        )
        .await
    }

    pub async fn create_user(
        &self,
        token: &str,
        org_id: &str,
        username: &str,
        roles: &[&str],
    ) -> Value {
        let body = serde_json::json!({
            "username": username, "display_name": username, "org_id": org_id, "roles": roles, "password": PASSWORD
        });
        json_body(
            self.post_as("/api/v1/users", token, &body).await,
            StatusCode::CREATED,
        )
        .await
    }

    /// A machine client (`integration`) of `org_id`, registered by `admin_token`: its token.
    pub async fn machine_client(&self, admin_token: &str, org_id: &str, name: &str) -> String {
        let client = json_body(
            self.post_as(
                "/api/v1/clients",
                admin_token,
                &serde_json::json!({"name": name, "org_id": org_id}),
            )
            .await,
            StatusCode::CREATED,
        )
        .await;
        let form = [
            ("grant_type", "client_credentials"),
            (
                "client_id",
                client["client_id"].as_str().unwrap_or_default(),
            ),
            (
                "client_secret",
                client["client_secret"].as_str().unwrap_or_default(),
            ),
        ];
        let token = json_body(
            self.request(Method::POST, "/api/v1/auth/token")
                .form(&form)
                .send()
                .await
                .unwrap(),
            StatusCode::OK,
        )
        .await;
        token["access_token"].as_str().unwrap().to_owned()
    }

    /// A county under the root with a county admin and an operator, signed in.
    pub async fn county(&self, admin_token: &str, name: &str, code: &str) -> County {
        let root = self.root_org_id(admin_token).await;
        let org = self
            .create_org(admin_token, &root, "county", name, code)
            .await;
        let org_id = org["id"].as_str().unwrap().to_owned();
        let admin = self
            .create_user(
                admin_token,
                &org_id,
                &format!("{code}.admin"),
                &["county_admin"],
            )
            .await;
        let operator = self
            .create_user(
                admin_token,
                &org_id,
                &format!("{code}.operator"),
                &["operator"],
            )
            .await;
        County {
            admin: self.login(&format!("{code}.admin"), PASSWORD).await.access,
            operator: self
                .login(&format!("{code}.operator"), PASSWORD)
                .await
                .access,
            admin_user_id: admin["id"].as_str().unwrap().to_owned(),
            operator_user_id: operator["id"].as_str().unwrap().to_owned(),
            org_id,
        }
    }
}

/// A valid resident ID number from its first 17 digits (computes the GB 11643 check character).
pub fn id_number(first17: &str) -> String {
    siji_api::domain::id_number::complete(first17)
}

/// A distinct valid ID number for test person `n` (born 1980-01-01 + n days, address 370811).
pub fn nth_id_number(n: u32) -> String {
    let birth =
        chrono::NaiveDate::from_ymd_opt(1980, 1, 1).unwrap() + chrono::Days::new(u64::from(n));
    id_number(&format!("370811{}{:03}", birth.format("%Y%m%d"), n % 1000))
}

impl TestApp {
    pub async fn create_enterprise(
        &self,
        token: &str,
        org_id: &str,
        name: &str,
        uscc: &str,
    ) -> Value {
        let body = serde_json::json!({"org_id": org_id, "name": name, "uscc": uscc, "ownership": "private", "industry": "C"});
        json_body(
            self.post_as("/api/v1/enterprises", token, &body).await,
            StatusCode::CREATED,
        )
        .await
    }

    /// Record this year's minimum living standard for a county (archives need one).
    pub async fn living_standard_this_year(&self, county: &County, monthly_fen: i64) {
        use chrono::Datelike;
        let year = chrono::Utc::now().year();
        let body =
            serde_json::json!({"org_id": county.org_id, "year": year, "monthly_fen": monthly_fen});
        json_body(
            self.post_as("/api/v1/living-standards", &county.admin, &body)
                .await,
            StatusCode::CREATED,
        )
        .await;
    }

    /// A registered worker's id.
    pub async fn worker_id(&self, county: &County, name: &str, id_number: &str) -> String {
        self.create_worker(&county.operator, &county.org_id, name, id_number)
            .await["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub async fn create_worker(
        &self,
        token: &str,
        org_id: &str,
        name: &str,
        id_number: &str,
    ) -> Value {
        let body = serde_json::json!({
            "org_id": org_id, "name": name, "id_number": id_number, "kind": "staff", "employment_status": "employed"
        });
        json_body(
            self.post_as("/api/v1/workers", token, &body).await,
            StatusCode::CREATED,
        )
        .await
    }
}

/// A valid USCC from its first 17 characters (computes the GB 32100 check character).
pub fn uscc(first17: &str) -> String {
    siji_api::domain::uscc::complete(first17)
}

/// Every documented example of an operation's JSON request body: the media type's example(s),
/// else its schema's. `None` when the operation takes no JSON body.
pub fn request_examples(doc: &Value, op: &Value) -> Option<Vec<Value>> {
    let content = op["requestBody"]["content"]["application/json"].as_object()?;
    let mut examples: Vec<Value> = Vec::new();
    if let Some(example) = content.get("example") {
        examples.push(example.clone());
    }
    if let Some(named) = content.get("examples").and_then(Value::as_object) {
        examples.extend(named.values().map(|e| e["value"].clone()));
    }
    if examples.is_empty()
        && let Some(name) = content
            .get("schema")
            .and_then(|s| s["$ref"].as_str())
            .and_then(|r| r.rsplit('/').next())
    {
        let schema = &doc["components"]["schemas"][name];
        if !schema["example"].is_null() {
            examples.push(schema["example"].clone());
        }
        if let Some(list) = schema["examples"].as_array() {
            examples.extend(list.iter().cloned());
        }
    }
    Some(examples)
}

/// A formal deep-hardship archive headed by `head` in `org`, as a row to write straight into the
/// database: for the benchmark and the crash tests, which set up hundreds or thousands of them
/// and are not about how an archive is opened.
pub fn formal_deep_archive(
    head: Uuid,
    org: Uuid,
    now: chrono::DateTime<chrono::Utc>,
) -> entity::beneficiaries::ActiveModel {
    use sea_orm::ActiveValue::Set;
    entity::beneficiaries::ActiveModel {
        id: Set(Uuid::now_v7()),
        org_id: Set(org),
        head_worker_id: Set(head),
        live_head_worker_id: Set(Some(head)),
        status: Set("formal".into()),
        category: Set("deep".into()),
        computed_category: Set("deep".into()),
        eligibility_rule: Set("written by a test".into()),
        override_reason: Set(None),
        causes: Set("illness".into()),
        needs: Set(None),
        household_size: Set(3),
        annual_income_fen: Set(1_000_000),
        rigid_expenses_fen: Set(0),
        accident_costs_fen: Set(0),
        per_capita_monthly_fen: Set(27_777),
        migrant_worker: Set(false),
        employment_started_on: Set(None),
        long_term_assistance: Set(false),
        created_by: Set(Uuid::nil()),
        last_verified_on: Set(None),
        reverify_due_on: Set(None),
        closed_reason: Set(None),
        closed_note: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
    }
}

/// A 19-digit bank card number (`622202…`) with a valid Luhn check digit, distinct per `n`.
pub fn card_number(n: u32) -> String {
    let body = format!("622202{n:012}");
    let mut sum = 0;
    for (i, c) in body.bytes().rev().enumerate() {
        let mut d = u32::from(c - b'0');
        if i % 2 == 0 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    format!("{body}{}", (10 - sum % 10) % 10)
}

/// A city with county A (任城区, its minimum living standard this year) whose staff are its
/// administrator, its operator and an approver: the grants and payouts tests' four people.
pub struct World {
    pub app: TestApp,
    pub city_admin: String,
    pub a: County,
    pub approver: String,
}

pub async fn world() -> World {
    let app = spawn_app().await;
    let city_admin = app.admin_token().await;
    let a = app.county(&city_admin, "任城区总工会", "370811").await;
    app.living_standard_this_year(&a, 80_000).await;
    app.create_user(&a.admin, &a.org_id, "370811.approver", &["approver"])
        .await;
    let approver = app.login("370811.approver", PASSWORD).await.access;
    World {
        app,
        city_admin,
        a,
        approver,
    }
}
