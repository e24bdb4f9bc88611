//! Imports from spreadsheets (XLSX and CSV, Chinese headers), templates, and masked exports.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use reqwest::{Method, StatusCode};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, json_body, nth_id_number, spawn_app, uscc};

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

fn xlsx(rows: &[Vec<String>]) -> Vec<u8> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            sheet.write_string(r as u32, c as u16, cell).unwrap();
        }
    }
    workbook.save_to_buffer().unwrap()
}

async fn upload(
    app: &TestApp,
    token: &str,
    path: &str,
    content_type: &str,
    body: Vec<u8>,
) -> reqwest::Response {
    app.authed(Method::POST, path, token)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

fn row_errors(report: &Value, row: u64) -> Vec<(String, String)> {
    let entry = report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["row"] == row)
        .unwrap_or_else(|| panic!("row {row}: {report}"));
    assert_eq!(entry["outcome"], "rejected", "row {row}: {entry}");
    entry["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap().to_owned(),
                e["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_county_imports_hundreds_of_workers_from_xlsx_and_again_without_duplicates() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let a = app.county(&admin, "任城区总工会", "370811").await;
    let firm = app
        .create_enterprise(
            &a.operator,
            &a.org_id,
            "济宁某机械有限公司",
            &uscc("91370811MA3C00001"),
        )
        .await;

    let s = |v: &str| v.to_owned();
    let mut rows = vec![vec![
        s("姓名"),
        s("身份证号"),
        s("手机号"),
        s("所属企业"),
        s("职工类别"),
        s("就业状态"),
        s("一线职工"),
        s("荣誉"),
    ]];
    for n in 0..300u32 {
        let enterprise = if n % 3 == 0 {
            firm["uscc"].as_str().unwrap().to_owned()
        } else if n % 3 == 1 {
            s("济宁某机械有限公司")
        } else {
            String::new()
        };
        rows.push(vec![
            format!("职工{n}"),
            nth_id_number(n),
            format!("1380013{:04}", n),
            enterprise,
            s(if n % 10 == 0 { "农民工" } else { "职工" }),
            s(if n % 7 == 0 { "下岗" } else { "在岗" }),
            s(if n % 2 == 0 { "是" } else { "否" }),
            s(if n == 5 {
                "劳模、五一劳动奖章"
            } else {
                ""
            }),
        ]);
    }
    // Bad rows, at spreadsheet rows 302..=307.
    let mut bad_checksum = nth_id_number(900);
    bad_checksum.replace_range(
        17..,
        if bad_checksum.ends_with('0') {
            "1"
        } else {
            "0"
        },
    );
    rows.push(vec![
        s("坏校验"),
        bad_checksum,
        s(""),
        s(""),
        s(""),
        s(""),
        s(""),
        s(""),
    ]);
    rows.push(vec![
        s("坏手机"),
        nth_id_number(901),
        s("12345"),
        s(""),
        s(""),
        s(""),
        s(""),
        s(""),
    ]);
    rows.push(vec![
        s("无企业"),
        nth_id_number(902),
        s(""),
        s("不存在的公司"),
        s(""),
        s(""),
        s(""),
        s(""),
    ]);
    rows.push(vec![
        s("重复行"),
        nth_id_number(0),
        s(""),
        s(""),
        s(""),
        s(""),
        s(""),
        s(""),
    ]);
    rows.push(vec![
        s(""),
        nth_id_number(903),
        s(""),
        s(""),
        s(""),
        s(""),
        s(""),
        s(""),
    ]);
    rows.push(vec![
        s("坏类别"),
        nth_id_number(904),
        s(""),
        s(""),
        s("外星人"),
        s(""),
        s(""),
        s(""),
    ]);
    let file = xlsx(&rows);

    let res = upload(
        &app,
        &a.operator,
        "/api/v1/imports/workers",
        XLSX,
        file.clone(),
    )
    .await;
    let report = app.import_report(res, &a.operator).await;
    assert_eq!(
        (
            report["total_rows"].as_u64(),
            report["created"].as_u64(),
            report["rejected"].as_u64()
        ),
        (Some(306), Some(300), Some(6)),
        "{}",
        report["rows"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["outcome"] == "rejected")
            .cloned()
            .collect::<Vec<_>>()
            .len()
    );
    assert_eq!(
        row_errors(&report, 302),
        vec![("身份证号".to_owned(), "checksum".to_owned())]
    );
    assert_eq!(
        row_errors(&report, 303),
        vec![("手机号".to_owned(), "format".to_owned())]
    );
    assert_eq!(
        row_errors(&report, 304),
        vec![("所属企业".to_owned(), "not_found".to_owned())]
    );
    assert_eq!(
        row_errors(&report, 305),
        vec![("身份证号".to_owned(), "repeated_row".to_owned())]
    );
    assert_eq!(
        row_errors(&report, 306),
        vec![("姓名".to_owned(), "required".to_owned())]
    );
    assert_eq!(
        row_errors(&report, 307),
        vec![("职工类别".to_owned(), "invalid_value".to_owned())]
    );
    assert!(
        !report.to_string().contains(&nth_id_number(901)),
        "no ID number in the report"
    );

    let page = json_body(
        app.get_as("/api/v1/workers?count=true&limit=1", &a.operator)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(page["total"], 300);
    let page = json_body(
        app.get_as(
            &format!(
                "/api/v1/workers?count=true&limit=1&enterprise_id={}",
                firm["id"].as_str().unwrap()
            ),
            &a.operator,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(page["total"], 200);
    let found = json_body(
        app.post_as(
            "/api/v1/workers/search",
            &a.operator,
            &json!({"id_number": nth_id_number(5)}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let w = &found["items"][0];
    assert_eq!(w["honours"], json!(["model_worker", "may_day_medal"]));
    assert_eq!(w["kind"], "staff");
    assert_eq!(w["phone"], "138****0005");
    let found = json_body(
        app.post_as(
            "/api/v1/workers/search",
            &a.operator,
            &json!({"id_number": nth_id_number(70)}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (
            found["items"][0]["kind"].as_str(),
            found["items"][0]["employment_status"].as_str()
        ),
        (Some("migrant_worker"), Some("laid_off"))
    );

    // The same file again: nothing new, the same rows rejected.
    let report = app
        .import_report(
            upload(
                &app,
                &a.operator,
                "/api/v1/imports/workers",
                XLSX,
                file.clone(),
            )
            .await,
            &a.operator,
        )
        .await;
    assert_eq!(
        (
            report["created"].as_u64(),
            report["skipped"].as_u64(),
            report["rejected"].as_u64()
        ),
        (Some(0), Some(300), Some(6))
    );
    let page = json_body(
        app.get_as("/api/v1/workers?count=true&limit=1", &a.operator)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(page["total"], 300);

    // Another county importing the same people learns only that they are registered elsewhere.
    let b = app.county(&admin, "兖州区总工会", "370812").await;
    let small = xlsx(&rows[..3]);
    let report = app
        .import_report(
            upload(&app, &b.operator, "/api/v1/imports/workers", XLSX, small).await,
            &b.operator,
        )
        .await;
    assert_eq!(report["rejected"], 2);
    // (Row 2 named 任城's enterprise by USCC, which B cannot see.)
    assert_eq!(
        row_errors(&report, 3),
        vec![("所属企业".to_owned(), "not_found".to_owned())]
    );
    assert_eq!(
        row_errors(&report, 2),
        vec![("所属企业".to_owned(), "not_found".to_owned())]
    );
    let plain = xlsx(&[
        vec![s("姓名"), s("身份证号")],
        vec![s("职工0"), nth_id_number(0)],
    ]);
    let report = app
        .import_report(
            upload(&app, &b.operator, "/api/v1/imports/workers", XLSX, plain).await,
            &b.operator,
        )
        .await;
    assert_eq!(
        row_errors(&report, 2),
        vec![("身份证号".to_owned(), "registered_elsewhere".to_owned())]
    );
    assert!(report["rows"][0]["id"].is_null());

    let events = json_body(
        app.get_as("/api/v1/audit-events?action=worker.import", &admin)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        events["items"][events["items"].as_array().unwrap().len() - 1]["changes"]["created"],
        300
    );
}

#[tokio::test]
async fn enterprises_import_from_gb18030_csv() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let a = app.county(&admin, "任城区总工会", "370811").await;
    let text = format!(
        "企业名称,统一社会信用代码,所有制类型,行业门类,建会日期,职工人数,会员人数,过剩产能企业\n\
         济宁甲公司,{},私营,C,2015/05/01,320,298,否\n\
         济宁乙公司,{},国有,E,,100,90,是\n\
         济宁丙公司,91350100M000100Y44,私营,C,,,,\n\
         济宁丁公司,{},火星,C,,10,20,\n",
        uscc("91370811MA3C00001"),
        uscc("91370811MA3C00002"),
        uscc("91370811MA3C00003"),
    );
    // As Excel on Chinese Windows saves CSV.
    let (gbk, _, _) = encoding_rs::GB18030.encode(&text);
    let gbk = gbk.into_owned();
    assert!(std::str::from_utf8(&gbk).is_err());
    let res = upload(
        &app,
        &a.operator,
        "/api/v1/imports/enterprises",
        "text/csv",
        gbk.clone(),
    )
    .await;
    let report = app.import_report(res, &a.operator).await;
    assert_eq!(
        (report["created"].as_u64(), report["rejected"].as_u64()),
        (Some(2), Some(2)),
        "{report}"
    );
    assert_eq!(
        row_errors(&report, 4),
        vec![("统一社会信用代码".to_owned(), "checksum".to_owned())]
    );
    let errors = row_errors(&report, 5);
    assert!(
        errors.contains(&("所有制类型".to_owned(), "invalid_value".to_owned())),
        "{errors:?}"
    );

    let list = json_body(
        app.get_as("/api/v1/enterprises?overcapacity=true", &a.operator)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(list["items"][0]["name"], "济宁乙公司");
    assert_eq!(list["items"][0]["ownership"], "state");
    let list = json_body(
        app.get_as(
            "/api/v1/enterprises?name_prefix=%E6%B5%8E%E5%AE%81%E7%94%B2",
            &a.operator,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(list["items"][0]["union_founded_on"], "2015-05-01");

    let report = app
        .import_report(
            upload(
                &app,
                &a.operator,
                "/api/v1/imports/enterprises",
                "text/csv",
                gbk,
            )
            .await,
            &a.operator,
        )
        .await;
    assert_eq!(
        (report["created"].as_u64(), report["skipped"].as_u64()),
        (Some(0), Some(2))
    );
}

#[tokio::test]
async fn files_with_unknown_or_missing_columns_or_the_wrong_type_are_refused_whole() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let path = "/api/v1/imports/workers";
    let res = upload(
        &app,
        &admin,
        path,
        "text/csv",
        "姓名,身份证号,颜色\n张三,11010519491231002X,红\n".into(),
    )
    .await;
    let problem = assert_problem(res, StatusCode::BAD_REQUEST, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "颜色");
    assert_eq!(problem["errors"][0]["code"], "unknown_column");
    let res = upload(&app, &admin, path, "text/csv", "姓名\n张三\n".into()).await;
    let problem = assert_problem(res, StatusCode::BAD_REQUEST, "validation_failed").await;
    assert_eq!(problem["errors"][0]["code"], "missing_column");
    let res = upload(&app, &admin, path, "application/json", b"{}".to_vec()).await;
    assert_problem(
        res,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;
    let res = upload(&app, &admin, path, XLSX, b"not a zip".to_vec()).await;
    assert_problem(res, StatusCode::BAD_REQUEST, "bad_request").await;
    let res = upload(&app, &admin, path, "text/csv", Vec::new()).await;
    assert_problem(res, StatusCode::BAD_REQUEST, "validation_failed").await;
}

#[tokio::test]
async fn templates_and_masked_exports() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let a = app.county(&admin, "任城区总工会", "370811").await;

    let res = app
        .get_as("/api/v1/imports/workers/template?format=csv", &a.operator)
        .await;
    assert_eq!(res.headers().get("content-type").unwrap(), "text/csv");
    let bytes = res.bytes().await.unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
    assert!(String::from_utf8_lossy(&bytes).starts_with("\u{feff}姓名,身份证号,手机号,所属企业"));
    let res = app
        .get_as("/api/v1/imports/enterprises/template", &a.operator)
        .await;
    assert_eq!(res.headers().get("content-type").unwrap(), XLSX);
    let mut book: Xlsx<_> =
        calamine::open_workbook_from_rs(Cursor::new(res.bytes().await.unwrap().to_vec())).unwrap();
    assert_eq!(book.sheet_names(), ["导入", "说明"]);
    let range = book.worksheet_range_at(0).unwrap().unwrap();
    assert_eq!(
        range.get((0, 1)),
        Some(&Data::String("统一社会信用代码".into()))
    );

    let employer = app
        .create_enterprise(
            &a.operator,
            &a.org_id,
            "济宁机床厂",
            &uscc("91370811MA3C00000"),
        )
        .await;
    let body = json!({"org_id": a.org_id, "name": "张三明", "id_number": "11010519491231002X", "phone": "13800138000",
                      "enterprise_id": employer["id"], "kind": "staff", "employment_status": "employed"});
    json_body(
        app.post_as("/api/v1/workers", &a.operator, &body).await,
        StatusCode::CREATED,
    )
    .await;
    for n in 0..3 {
        app.create_worker(&a.operator, &a.org_id, &format!("李{n}"), &nth_id_number(n))
            .await;
    }

    let res = app
        .authed(
            Method::GET,
            "/api/v1/workers/export?name_prefix=%E5%BC%A0",
            &a.operator,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()
            .get("content-disposition")
            .unwrap()
            .to_str()
            .unwrap()
            .contains("workers.csv")
    );
    let text = res.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[0].contains("身份证号"));
    assert!(lines[1].contains("110105********002X") && lines[1].contains("138****8000"));
    // Staff read names: the organisation and the employer, beside their ids.
    assert!(
        lines[0].contains("所属组织,所属企业ID,所属企业"),
        "{}",
        lines[0]
    );
    let cells: Vec<&str> = lines[1].split(',').collect();
    assert_eq!(
        (cells[6], cells[7], cells[8], cells[9]),
        (
            a.org_id.as_str(),
            "任城区总工会",
            employer["id"].as_str().unwrap(),
            "济宁机床厂"
        ),
        "{}",
        lines[1]
    );
    // Codes are written as the labels staff use (the import reads them back).
    assert_eq!(
        (cells[3], cells[10], cells[11], cells[cells.len() - 1]),
        ("女", "职工", "在岗", "在册"),
        "{}",
        lines[1]
    );
    assert!(!text.contains("11010519491231002X") && !text.contains("13800138000"));

    let res = app
        .authed(
            Method::GET,
            "/api/v1/workers/export?format=xlsx",
            &a.operator,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let mut book: Xlsx<_> =
        calamine::open_workbook_from_rs(Cursor::new(res.bytes().await.unwrap().to_vec())).unwrap();
    let range = book.worksheet_range_at(0).unwrap().unwrap();
    assert_eq!(range.height(), 5);
    assert_eq!(
        range.get((1, 2)),
        Some(&Data::String("110105********002X".into()))
    );

    // Another county's export is empty; paging parameters do not apply to exports.
    let b = app.county(&admin, "兖州区总工会", "370812").await;
    let text = app
        .authed(Method::GET, "/api/v1/workers/export", &b.operator)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(text.lines().count(), 1);
    let res = app
        .authed(Method::GET, "/api/v1/workers/export?limit=10", &a.operator)
        .send()
        .await
        .unwrap();
    assert_problem(res, StatusCode::BAD_REQUEST, "invalid_query").await;
    let res = app
        .authed(Method::GET, "/api/v1/enterprises/export", &b.operator)
        .send()
        .await
        .unwrap();
    assert_eq!(res.text().await.unwrap().lines().count(), 1);
    let res = app
        .authed(Method::GET, "/api/v1/enterprises/export", &a.operator)
        .send()
        .await
        .unwrap();
    let text = res.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(
        lines[1].contains(",济宁机床厂,") && lines[1].ends_with(",任城区总工会,在册"),
        "{text}"
    );
}

#[tokio::test]
async fn an_idempotency_key_replays_the_same_job() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let a = app.county(&admin, "任城区总工会", "370811").await;
    let csv = |n: u32| {
        format!(
            "姓名,身份证号\n甲,{}\n乙,{}\n",
            nth_id_number(n),
            nth_id_number(n + 1)
        )
        .into_bytes()
    };
    let send = |key: &str, body: Vec<u8>, token: &str| {
        app.authed(Method::POST, "/api/v1/imports/workers", token)
            .header("content-type", "text/csv")
            .header("idempotency-key", key)
            .body(body)
            .send()
    };
    let replayed = |res: &reqwest::Response| res.headers().get("idempotent-replayed").cloned();
    let location = |res: &reqwest::Response| {
        res.headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };

    let first = send("import-1", csv(1), &a.operator).await.unwrap();
    assert_eq!(replayed(&first), None);
    let first_job = location(&first).unwrap();
    let job = app.finished_job(first, &a.operator).await;
    assert_eq!(job["result"]["created"], 2, "{job}");
    // The same request again: the same job and answer, not a second run.
    let again = send("import-1", csv(1), &a.operator).await.unwrap();
    assert_eq!(again.status(), StatusCode::ACCEPTED);
    assert_eq!(replayed(&again).unwrap(), "true");
    assert_eq!(location(&again).unwrap(), first_job);
    let replay: Value = again.json().await.unwrap();
    assert_eq!(replay["id"], job["id"]);
    // The same key with another file, or on another endpoint: 422.
    assert_problem(
        send("import-1", csv(5), &a.operator).await.unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "idempotency_key_reused",
    )
    .await;
    let other_endpoint = app
        .authed(Method::POST, "/api/v1/imports/enterprises", &a.operator)
        .header("content-type", "text/csv")
        .header("idempotency-key", "import-1")
        .body(csv(1))
        .send()
        .await
        .unwrap();
    assert_problem(
        other_endpoint,
        StatusCode::UNPROCESSABLE_ENTITY,
        "idempotency_key_reused",
    )
    .await;
    // Keys are per caller: another account's identical key is its own.
    let other = send("import-1", csv(1), &a.admin).await.unwrap();
    assert_eq!(replayed(&other), None);
    assert_eq!(app.import_report(other, &a.admin).await["skipped"], 2);
    // A malformed key is refused before anything runs.
    let problem = assert_problem(
        send(&"k".repeat(201), csv(7), &a.operator).await.unwrap(),
        StatusCode::BAD_REQUEST,
        "invalid_header",
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "Idempotency-Key");

    // A refused request keeps nothing under its key: the corrected file goes through under it.
    assert_problem(
        send("import-2", b"nonsense,columns\n1,2\n".to_vec(), &a.operator)
            .await
            .unwrap(),
        StatusCode::BAD_REQUEST,
        "validation_failed",
    )
    .await;
    let fixed = send("import-2", csv(10), &a.operator).await.unwrap();
    assert_eq!(app.import_report(fixed, &a.operator).await["created"], 2);

    // Racing retries: the key, the job and the answer commit together, so exactly one job is
    // created and every retry answers it.
    let (x, y, z) = tokio::join!(
        send("import-3", csv(20), &a.operator),
        send("import-3", csv(20), &a.operator),
        send("import-3", csv(20), &a.operator)
    );
    let mut jobs = std::collections::HashSet::new();
    let mut fresh = 0;
    for res in [x.unwrap(), y.unwrap(), z.unwrap()] {
        assert_eq!(res.status(), StatusCode::ACCEPTED);
        if replayed(&res).is_none() {
            fresh += 1;
        }
        jobs.insert(location(&res).unwrap());
    }
    assert_eq!((fresh, jobs.len()), (1, 1));
    let job = jobs.into_iter().next().unwrap();
    loop {
        let state = json_body(app.get_as(&job, &a.operator).await, StatusCode::OK).await;
        if state["status"] == "succeeded" {
            assert_eq!(state["result"]["created"], 2);
            break;
        }
        assert_ne!(state["status"], "failed", "{state}");
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    let count = json_body(
        app.get_as("/api/v1/workers?count=true", &a.admin).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(count["total"], 6);
    let jobs = app
        .db
        .query_one_raw(Statement::from_string(
            app.db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM jobs".to_owned(),
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<i64>("", "n")
        .unwrap();
    assert_eq!(jobs, 4, "one job per accepted import, none for the replays");
}

#[tokio::test]
async fn a_file_can_come_as_a_form_upload_or_as_plain_bytes() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let csv = format!("姓名,身份证号\n张三,{}\n", nth_id_number(1));
    let book = xlsx(&[
        vec!["姓名".to_owned(), "身份证号".to_owned()],
        vec!["李四".to_owned(), nth_id_number(2)],
    ]);

    // A browser form: the file in the field `file` (other fields are ignored).
    let boundary = "----siji-boundary-7f3a";
    let mut form = Vec::new();
    form.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\n第一批\r\n")
            .as_bytes(),
    );
    form.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"workers.xlsx\"\r\n\
             Content-Type: {XLSX}\r\n\r\n"
        )
        .as_bytes(),
    );
    form.extend_from_slice(&book);
    form.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let res = upload(
        &app,
        &admin,
        "/api/v1/imports/workers",
        &format!("multipart/form-data; boundary={boundary}"),
        form,
    )
    .await;
    assert_eq!(app.import_report(res, &admin).await["created"], 1);

    // Plain bytes: an XLSX is told apart from a CSV by its content.
    let res = upload(
        &app,
        &admin,
        "/api/v1/imports/workers",
        "application/octet-stream",
        csv.clone().into_bytes(),
    )
    .await;
    assert_eq!(app.import_report(res, &admin).await["created"], 1);
    let res = upload(
        &app,
        &admin,
        "/api/v1/imports/workers",
        "application/octet-stream",
        book,
    )
    .await;
    assert_eq!(app.import_report(res, &admin).await["skipped"], 1);

    // A form without the file, or a broken one.
    let empty = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nx\r\n--{boundary}--\r\n"
    );
    let res = upload(
        &app,
        &admin,
        "/api/v1/imports/workers",
        &format!("multipart/form-data; boundary={boundary}"),
        empty.into_bytes(),
    )
    .await;
    let problem = assert_problem(res, StatusCode::BAD_REQUEST, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "file");
    let res = upload(
        &app,
        &admin,
        "/api/v1/imports/workers",
        "multipart/form-data",
        b"no boundary".to_vec(),
    )
    .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
}
