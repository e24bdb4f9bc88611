//! Input that must not hurt the server: hostile spreadsheets (range and zip bombs, files past the
//! import limits), control characters, bodies that are not objects, loosely encoded queries, and
//! a stolen token that tries to take the account over. Each test here failed before the fix.

use std::io::{Cursor, Read, Write};
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{
    TestApp, assert_problem, json_body, nth_id_number, spawn_app, spawn_app_with,
};

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The bound on the test process's resident memory that a hostile upload must stay under
/// (README: "Import limits"). Before the fix a 1.5 KB file asked for 550 GB.
const RSS_BOUND_KB: u64 = 1536 * 1024;

async fn upload(
    app: &TestApp,
    token: &str,
    path: &str,
    media: &str,
    body: Vec<u8>,
) -> reqwest::Response {
    app.authed(Method::POST, path, token)
        .header("content-type", media)
        .body(body)
        .send()
        .await
        .unwrap()
}

/// The test process's resident memory now, in KiB (the servers run in this process).
fn rss_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// A workbook with a header row and the given cells (row, column, text).
fn sparse_xlsx(cells: &[(u32, u16, &str)]) -> Vec<u8> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    for (row, col, text) in cells {
        sheet.write_string(*row, *col, *text).unwrap();
    }
    workbook.save_to_buffer().unwrap()
}

/// A copy of a real workbook whose first sheet is replaced by `sheet_xml` (written in chunks,
/// so that the test itself never holds the unpacked part).
fn with_sheet(workbook: &[u8], mut sheet_xml: impl FnMut(&mut dyn Write)) -> Vec<u8> {
    let mut source = zip::ZipArchive::new(Cursor::new(workbook)).unwrap();
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    for i in 0..source.len() {
        let mut part = source.by_index(i).unwrap();
        let name = part.name().unwrap().into_owned();
        out.start_file(name.as_str(), options).unwrap();
        if name == "xl/worksheets/sheet1.xml" {
            sheet_xml(&mut out);
        } else {
            let mut bytes = Vec::new();
            part.read_to_end(&mut bytes).unwrap();
            out.write_all(&bytes).unwrap();
        }
    }
    out.finish().unwrap().into_inner()
}

/// A sheet whose `<sheetData>` is padded with `padding` bytes of blanks: tiny packed, huge
/// unpacked.
fn padded_sheet(padding: usize) -> impl FnMut(&mut dyn Write) {
    move |w: &mut dyn Write| {
        w.write_all(
            r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>姓名</t></is></c></row>"#
                .as_bytes(),
        )
        .unwrap();
        let chunk = vec![b' '; 1 << 20];
        let mut left = padding;
        while left > 0 {
            let n = left.min(chunk.len());
            w.write_all(&chunk[..n]).unwrap();
            left -= n;
        }
        w.write_all(b"</sheetData></worksheet>").unwrap();
    }
}

async fn limit_refused(res: reqwest::Response, limit: &str) {
    let body = assert_problem(res, StatusCode::PAYLOAD_TOO_LARGE, "import_limit_exceeded").await;
    assert_eq!(body["errors"][0]["field"], "file", "{body}");
    assert_eq!(body["errors"][0]["code"], limit, "{body}");
}

async fn worker_count(app: &TestApp, token: &str) -> usize {
    let list = json_body(
        app.get_as("/api/v1/workers?limit=200", token).await,
        StatusCode::OK,
    )
    .await;
    list["items"].as_array().unwrap().len()
}

#[tokio::test]
async fn a_sheet_that_declares_a_huge_range_is_refused_without_allocating_it() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    // A1 and XFD1048576: the sheet's dimension claims 17 billion cells.
    let bomb = sparse_xlsx(&[(0, 0, "姓名"), (1_048_575, 16_383, "x")]);
    assert!(bomb.len() < 16 * 1024, "{} bytes", bomb.len());
    let res = upload(&app, &token, "/api/v1/imports/workers", XLSX, bomb).await;
    limit_refused(res, "too_many_columns").await;
    // A1 and ZZ1000000.
    let bomb = sparse_xlsx(&[(0, 0, "姓名"), (999_999, 701, "x")]);
    let res = upload(&app, &token, "/api/v1/imports/workers", XLSX, bomb).await;
    limit_refused(res, "too_many_columns").await;
    // A sheet that only declares a million rows is read for what it holds: a header and a row.
    let tall = sparse_xlsx(&[
        (0, 0, "姓名"),
        (0, 1, "身份证号"),
        (999_999, 0, "张三"),
        (999_999, 1, "1"),
    ]);
    let res = upload(&app, &token, "/api/v1/imports/workers", XLSX, tall).await;
    let report = app.import_report(res, &token).await;
    assert_eq!(report["total_rows"], 1, "{report}");
    assert_eq!(report["rows"][0]["row"], 1_000_000, "{report}");
    assert_eq!(report["rows"][0]["outcome"], "rejected", "{report}");

    assert!(rss_kb() < RSS_BOUND_KB, "resident memory {} KiB", rss_kb());
    json_body(app.get("/healthz").await, StatusCode::OK).await;
}

#[tokio::test]
async fn zip_bombs_are_measured_by_what_they_unpack_to() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let real = sparse_xlsx(&[(0, 0, "姓名"), (0, 1, "身份证号")]);

    // One part that unpacks to 128 MiB from a few hundred KB.
    let bomb = with_sheet(&real, padded_sheet(128 << 20));
    assert!(bomb.len() < 1 << 20, "{} bytes", bomb.len());
    let res = upload(&app, &token, "/api/v1/imports/workers", XLSX, bomb).await;
    limit_refused(res, "part_too_large").await;

    // Within the size limits, but a thousand times its packed size.
    let bomb = with_sheet(&real, padded_sheet(24 << 20));
    let res = upload(&app, &token, "/api/v1/imports/workers", XLSX, bomb).await;
    limit_refused(res, "compression_ratio").await;

    assert!(rss_kb() < RSS_BOUND_KB, "resident memory {} KiB", rss_kb());
    assert_eq!(worker_count(&app, &token).await, 0);
    json_body(app.get("/healthz").await, StatusCode::OK).await;
}

fn worker_csv(rows: usize) -> Vec<u8> {
    let mut csv = String::from("姓名,身份证号\n");
    for n in 0..rows {
        csv.push_str(&format!(
            "工人{n},{}\n",
            nth_id_number(u32::try_from(n).unwrap() + 1)
        ));
    }
    csv.into_bytes()
}

#[tokio::test]
async fn a_file_past_the_row_limit_is_refused_before_any_row_is_saved() {
    let app = spawn_app_with(|s| s.import_max_rows = 3).await;
    let token = app.admin_token().await;
    let res = upload(
        &app,
        &token,
        "/api/v1/imports/workers",
        "text/csv",
        worker_csv(4),
    )
    .await;
    limit_refused(res, "too_many_rows").await;
    assert_eq!(
        worker_count(&app, &token).await,
        0,
        "nothing of a refused file is saved"
    );

    let res = upload(
        &app,
        &token,
        "/api/v1/imports/workers",
        "text/csv",
        worker_csv(3),
    )
    .await;
    let report = app.import_report(res, &token).await;
    assert_eq!(report["created"], 3, "{report}");
    assert_eq!(report["rows_omitted"], 0, "{report}");

    let wide = format!("姓名,身份证号{}\n", ",x".repeat(120)).into_bytes();
    let res = upload(&app, &token, "/api/v1/imports/workers", "text/csv", wide).await;
    limit_refused(res, "too_many_columns").await;
}

#[tokio::test]
async fn healthz_answers_while_two_large_imports_run() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    // 60,000 rows that all fail validation: reading and checking rows, with no database work
    // to wait on, is what used to hold the request threads.
    let mut csv = String::from("姓名,身份证号,手机号\n");
    for n in 0..60_000 {
        csv.push_str(&format!(
            "工人{n},11010519491231002{},1380000{:04}\n",
            n % 9,
            n % 10_000
        ));
    }
    let body = csv.into_bytes();
    let mut jobs = Vec::new();
    for _ in 0..2 {
        let res = upload(
            &app,
            &token,
            "/api/v1/imports/workers",
            "text/csv",
            body.clone(),
        )
        .await;
        assert_eq!(res.status(), StatusCode::ACCEPTED);
        jobs.push(res.headers()["location"].to_str().unwrap().to_owned());
    }
    let mut latencies = Vec::new();
    let mut running = true;
    while running && latencies.len() < 60 {
        let started = Instant::now();
        json_body(app.get("/healthz").await, StatusCode::OK).await;
        latencies.push(started.elapsed());
        running = false;
        for job in &jobs {
            let state = json_body(app.get_as(job, &token).await, StatusCode::OK).await;
            assert_ne!(state["status"], "failed", "{state}");
            running |= state["status"] != "succeeded";
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for job in &jobs {
        let state = json_body(app.get_as(job, &token).await, StatusCode::OK).await;
        if state["status"] == "succeeded" {
            assert_eq!(state["result"]["rejected"], 60_000);
        }
    }
    assert!(
        latencies.len() >= 5,
        "the imports were too quick to measure: {latencies:?}"
    );
    latencies.sort();
    eprintln!("healthz during two imports: {latencies:?}");
    let worst = latencies[latencies.len() - 1];
    let median = latencies[latencies.len() / 2];
    assert!(
        median < Duration::from_millis(100),
        "median {median:?} of {latencies:?}"
    );
    assert!(
        worst < Duration::from_millis(500),
        "worst {worst:?} of {latencies:?}"
    );
}

#[tokio::test]
async fn control_characters_are_a_400_everywhere_even_before_sign_in() {
    let app = spawn_app().await;
    let res = app
        .post_json(
            "/api/v1/auth/login",
            &json!({"username": "adm\u{0}in", "password": "x"}),
        )
        .await;
    let body = assert_problem(res, StatusCode::BAD_REQUEST, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "username");
    assert_eq!(body["errors"][0]["code"], "control_character");

    let res = app
        .request(Method::POST, "/api/v1/auth/token")
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials&client_id=a%00b&client_secret=s")
        .send()
        .await
        .unwrap();
    let body = assert_problem(res, StatusCode::BAD_REQUEST, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "client_id");

    let token = app.admin_token().await;
    for path in [
        "/api/v1/workers?name_prefix=%00",
        "/api/v1/enterprises?name_prefix=a%1Bb",
    ] {
        let body = assert_problem(
            app.get_as(path, &token).await,
            StatusCode::BAD_REQUEST,
            "invalid_query",
        )
        .await;
        assert_eq!(
            body["errors"][0]["code"], "control_character",
            "{path}: {body}"
        );
    }
    let root = app.root_org_id(&token).await;
    let res = app
        .post_as(
            "/api/v1/orgs",
            &token,
            &json!({"name": "任城区\u{0}总工会", "parent_id": root, "level": "county", "division_code": "370811"}),
        )
        .await;
    let body = assert_problem(res, StatusCode::BAD_REQUEST, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "name", "{body}");

    // A spreadsheet cell: that row is rejected, the others are imported.
    let csv = format!(
        "姓名,身份证号,所属企业\n张\u{0}三,{},\n李四,{},x\u{0}y\n王五,{},\n",
        nth_id_number(1),
        nth_id_number(2),
        nth_id_number(3)
    );
    let res = upload(
        &app,
        &token,
        "/api/v1/imports/workers",
        "text/csv",
        csv.into_bytes(),
    )
    .await;
    let report = app.import_report(res, &token).await;
    assert_eq!(
        (report["created"].as_u64(), report["rejected"].as_u64()),
        (Some(1), Some(2)),
        "{report}"
    );
    assert_eq!(report["rows"][0]["errors"][0]["field"], "姓名", "{report}");
    assert_eq!(
        report["rows"][1]["errors"][0]["field"], "所属企业",
        "{report}"
    );
    assert_eq!(
        report["rows"][1]["errors"][0]["code"], "control_character",
        "{report}"
    );
}

#[tokio::test]
async fn queries_must_be_percent_encoded_utf8() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let res = app.get_as("/api/v1/workers?name_prefix=%FF", &token).await;
    let body = assert_problem(res, StatusCode::BAD_REQUEST, "invalid_query").await;
    assert_eq!(body["errors"][0]["field"], "name_prefix");
    assert_eq!(body["errors"][0]["code"], "invalid_utf8");
    // Properly encoded Chinese is fine.
    let res = app
        .get_as("/api/v1/workers?name_prefix=%E5%BC%A0", &token)
        .await;
    json_body(res, StatusCode::OK).await;
}

#[tokio::test]
async fn only_json_objects_are_request_bodies() {
    let app = spawn_app().await;
    let res = app
        .post_json(
            "/api/v1/auth/login",
            &json!(["admin", crate::helpers::ADMIN_PASSWORD]),
        )
        .await;
    let body = assert_problem(res, StatusCode::BAD_REQUEST, "validation_failed").await;
    assert_eq!(body["errors"][0]["code"], "invalid_type");

    let token = app.admin_token().await;
    let root = app.root_org_id(&token).await;
    let res = app
        .patch_as(
            &format!("/api/v1/orgs/{root}"),
            &token,
            &json!([null, null]),
        )
        .await;
    assert_problem(res, StatusCode::BAD_REQUEST, "validation_failed").await;
    let org = json_body(
        app.get_as(&format!("/api/v1/orgs/{root}"), &token).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(org["version"], 1, "nothing changed: {org}");
}

#[tokio::test]
async fn an_account_cannot_reset_its_own_password_without_the_current_one() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let me = json_body(app.get_as("/api/v1/me", &token).await, StatusCode::OK).await;
    let id = me["id"].as_str().unwrap();
    let res = app
        .post_as(
            &format!("/api/v1/users/{id}/reset-password"),
            &token,
            &json!({"new_password": "a whole new passphrase 2026"}),
        )
        .await;
    let body = assert_problem(res, StatusCode::FORBIDDEN, "forbidden").await;
    assert!(
        body["detail"].as_str().unwrap().contains("/me/password"),
        "{body}"
    );
    // The old password still works; the new one does not.
    app.admin_token().await;
    let res = app
        .post_json(
            "/api/v1/auth/login",
            &json!({"username": "admin", "password": "a whole new passphrase 2026"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_fixed_path_under_a_method_it_lacks_is_405_not_a_bad_id() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    for (method, path, allow) in [
        (Method::PATCH, "/api/v1/orgs/tree", "GET"),
        (Method::PATCH, "/api/v1/workers/search", "POST"),
        (Method::DELETE, "/api/v1/orgs/tree", "GET"),
    ] {
        let res = app
            .authed(method.clone(), path, &token)
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.headers().get("allow").and_then(|v| v.to_str().ok()),
            Some(allow),
            "{method} {path}"
        );
        assert_problem(res, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed").await;
    }
    // A malformed id on a parameterised path is still a 400.
    let res = app.get_as("/api/v1/orgs/not-a-uuid", &token).await;
    assert_problem(res, StatusCode::BAD_REQUEST, "invalid_path").await;
}

/// Send a raw request (clients refuse to build URIs this long) and read the whole answer.
async fn raw_get(app: &TestApp, target: &str, token: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = app.url("").trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(address.as_str())
        .await
        .unwrap();
    let request = format!(
        "GET {target} HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn a_long_query_string_gets_a_problem() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    // 60 KB: just under the longest URI the HTTP layer parses at all (64 KiB; beyond it the
    // connection gets a bare 400 before any handler runs; see the README).
    let long = format!("/api/v1/workers?name_prefix={}", "a".repeat(60 * 1024));
    let answer = raw_get(&app, &long, &token).await;
    let (head, body) = answer.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 400"), "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/problem+json"),
        "{head}"
    );
    let body: Value = serde_json::from_str(body).unwrap();
    assert_eq!(body["code"], "invalid_query", "{body}");
    assert_eq!(body["errors"][0]["field"], "name_prefix", "{body}");
}
