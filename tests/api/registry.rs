//! The registry: enterprises and workers, validation, personal data protection, the one-person
//! rule across counties, filters, pagination, concurrency, tenancy.

use reqwest::{Method, StatusCode};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

use crate::helpers::{County, PASSWORD, assert_problem, json_body, nth_id_number, spawn_app, uscc};

fn field_codes(problem: &Value) -> Vec<(String, String)> {
    problem["errors"]
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
async fn uscc_is_validated_and_unique_city_wide() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let a = app.county(&admin, "任城区总工会", "370811").await;
    let b = app.county(&admin, "兖州区总工会", "370812").await;
    let body = |code: &str| json!({"org_id": a.org_id, "name": "某公司", "uscc": code, "ownership": "private", "industry": "C"});

    for (code, expected) in [
        ("91350100M000100Y44", "checksum"),
        ("91350100M000100Y4", "length"),
        ("91350100M000100I43", "character"),
        ("", "length"),
    ] {
        let problem = assert_problem(
            app.post_as("/api/v1/enterprises", &a.operator, &body(code))
                .await,
            StatusCode::BAD_REQUEST,
            "validation_failed",
        )
        .await;
        assert_eq!(
            field_codes(&problem),
            vec![("uscc".to_owned(), expected.to_owned())],
            "{code}"
        );
    }
    // Lower case and spaces are normalised.
    let created = json_body(
        app.post_as(
            "/api/v1/enterprises",
            &a.operator,
            &body(" 91350100m000100y43 "),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(created["uscc"], "91350100M000100Y43");
    // Unique city-wide, whichever county tries.
    let mut again = body("91350100M000100Y43");
    again["org_id"] = json!(b.org_id);
    assert_problem(
        app.post_as("/api/v1/enterprises", &b.operator, &again)
            .await,
        StatusCode::CONFLICT,
        "duplicate",
    )
    .await;

    let mut bad = body(&uscc("91370811MA3C00001"));
    bad["industry"] = json!("Z");
    bad["headcount"] = json!(10);
    bad["member_count"] = json!(11);
    let problem = assert_problem(
        app.post_as("/api/v1/enterprises", &a.operator, &bad).await,
        StatusCode::BAD_REQUEST,
        "validation_failed",
    )
    .await;
    let codes = field_codes(&problem);
    assert!(
        codes.contains(&("industry".into(), "industry".into())),
        "{codes:?}"
    );
    assert!(
        codes.contains(&("member_count".into(), "exceeds_headcount".into())),
        "{codes:?}"
    );
}

#[tokio::test]
async fn id_numbers_are_validated_and_derive_sex_and_birth_date() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let a = app.county(&admin, "任城区总工会", "370811").await;
    let body = |id: &str| json!({"org_id": a.org_id, "name": "张三明", "id_number": id, "kind": "staff", "employment_status": "employed"});

    for (id, expected) in [
        ("110105194912310021", "checksum"),
        ("110105194902300020", "birth_date"),
        ("11010519491231002", "format"),
        ("1101051949123100ZX", "format"),
        ("110105209912310025", "birth_date"),
    ] {
        let problem = assert_problem(
            app.post_as("/api/v1/workers", &a.operator, &body(id)).await,
            StatusCode::BAD_REQUEST,
            "validation_failed",
        )
        .await;
        assert_eq!(
            field_codes(&problem),
            vec![("id_number".to_owned(), expected.to_owned())],
            "{id}"
        );
        assert!(
            !problem.to_string().contains(id),
            "the value is never echoed"
        );
    }
    let w = json_body(
        app.post_as("/api/v1/workers", &a.operator, &body("11010519491231002X"))
            .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(w["sex"], "female");
    assert_eq!(w["birth_date"], "1949-12-31");
    assert_eq!(w["id_number"], "110105********002X");
    let male = app
        .create_worker(
            &a.operator,
            &a.org_id,
            "李四",
            &crate::helpers::id_number("37081119900101123"),
        )
        .await;
    assert_eq!(male["sex"], "male");
    assert_eq!(male["birth_date"], "1990-01-01");

    // Derived fields cannot be entered.
    let mut with_sex = body(&nth_id_number(5));
    with_sex["sex"] = json!("male");
    let problem = assert_problem(
        app.post_as("/api/v1/workers", &a.operator, &with_sex).await,
        StatusCode::BAD_REQUEST,
        "validation_failed",
    )
    .await;
    assert_eq!(
        field_codes(&problem),
        vec![("sex".to_owned(), "unknown_field".to_owned())]
    );
}

#[tokio::test]
async fn phones_are_normalised_and_validated() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let a = app.county(&admin, "任城区总工会", "370811").await;
    let body = |n: u32, phone: &str| json!({"org_id": a.org_id, "name": "王五", "id_number": nth_id_number(n), "phone": phone, "kind": "staff", "employment_status": "employed"});
    for (n, phone) in [
        (1, "+86 138-0013-8000"),
        (2, "0086 13800138000"),
        (3, "13800138000"),
    ] {
        let w = json_body(
            app.post_as("/api/v1/workers", &a.operator, &body(n, phone))
                .await,
            StatusCode::CREATED,
        )
        .await;
        assert_eq!(w["phone"], "138****8000");
    }
    for (n, phone) in [
        (4, "12800138000"),
        (5, "1380013800"),
        (6, "+1 2025550123"),
        (7, "138001380001"),
    ] {
        let problem = assert_problem(
            app.post_as("/api/v1/workers", &a.operator, &body(n, phone))
                .await,
            StatusCode::BAD_REQUEST,
            "validation_failed",
        )
        .await;
        assert_eq!(
            field_codes(&problem),
            vec![("phone".to_owned(), "format".to_owned())],
            "{phone}"
        );
    }
    // Search by phone finds all three registrations of the same number.
    let found = json_body(
        app.post_as(
            "/api/v1/workers/search",
            &a.operator,
            &json!({"phone": "138 0013 8000"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(found["items"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn personal_data_is_encrypted_at_rest_and_masked_everywhere() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let a = app.county(&admin, "任城区总工会", "370811").await;
    let body = json!({"org_id": a.org_id, "name": "张三明", "id_number": "11010519491231002X", "phone": "13800138000", "kind": "staff", "employment_status": "employed"});
    let w = json_body(
        app.post_as("/api/v1/workers", &a.operator, &body).await,
        StatusCode::CREATED,
    )
    .await;
    let id = w["id"].as_str().unwrap();

    let get = json_body(
        app.get_as(&format!("/api/v1/workers/{id}"), &a.admin).await,
        StatusCode::OK,
    )
    .await;
    let list = json_body(
        app.get_as("/api/v1/workers", &a.admin).await,
        StatusCode::OK,
    )
    .await;
    let search = json_body(
        app.post_as(
            "/api/v1/workers/search",
            &a.admin,
            &json!({"id_number": "11010519491231002x"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(search["items"][0]["id"], id);
    let audit = json_body(
        app.get_as("/api/v1/audit-events?limit=200", &admin).await,
        StatusCode::OK,
    )
    .await;
    for text in [
        get.to_string(),
        list.to_string(),
        search.to_string(),
        audit.to_string(),
    ] {
        assert!(
            !text.contains("11010519491231002X") && !text.contains("13800138000"),
            "{text}"
        );
        assert!(text.contains("110105********002X"));
    }
    assert!(get.to_string().contains("138****8000"));

    // In the database: ciphertext, blind index and mask; never the plaintext.
    let backend = app.db.get_database_backend();
    let rows = app
        .db
        .query_all_raw(Statement::from_string(backend, "SELECT * FROM workers"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    let enc: String = rows[0].try_get("", "id_number_enc").unwrap();
    let phone_enc: String = rows[0].try_get("", "phone_enc").unwrap();
    assert!(enc.starts_with("k1:") && phone_enc.starts_with("k1:"));
    let dump = format!("{:?}", rows[0]);
    assert!(
        !dump.contains("11010519491231002X")
            && !dump.contains("13800138000")
            && !dump.contains("19491231002"),
        "{dump}"
    );
}

#[tokio::test]
async fn reveal_needs_the_permission_a_reason_and_is_audited() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let a = app.county(&admin, "任城区总工会", "370811").await;
    let b = app.county(&admin, "兖州区总工会", "370812").await;
    let body = json!({"org_id": a.org_id, "name": "张三明", "id_number": "11010519491231002X", "phone": "13800138000", "kind": "staff", "employment_status": "employed"});
    let w = json_body(
        app.post_as("/api/v1/workers", &a.operator, &body).await,
        StatusCode::CREATED,
    )
    .await;
    let path = format!("/api/v1/workers/{}/reveal", w["id"].as_str().unwrap());
    let reveal = json!({"fields": ["id_number", "phone"], "reason": "核对金秋助学申请人身份"});

    assert_problem(
        app.post_as(&path, &a.operator, &reveal).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    assert_problem(
        app.post_as(&path, &b.admin, &reveal).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let problem = assert_problem(
        app.post_as(
            &path,
            &a.admin,
            &json!({"fields": ["id_number"], "reason": ""}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "reason");

    let res = app.post_as(&path, &a.admin, &reveal).await;
    assert_eq!(res.headers().get("cache-control").unwrap(), "no-store");
    let plain = json_body(res, StatusCode::OK).await;
    assert_eq!(plain["id_number"], "11010519491231002X");
    assert_eq!(plain["phone"], "13800138000");

    let events = json_body(
        app.get_as("/api/v1/audit-events?action=worker.reveal", &admin)
            .await,
        StatusCode::OK,
    )
    .await;
    let event = &events["items"][0];
    assert_eq!(event["actor_name"], "370811.admin");
    assert_eq!(event["resource_id"], w["id"]);
    assert_eq!(event["changes"]["reason"], "核对金秋助学申请人身份");
    assert!(!events.to_string().contains("11010519491231002X"));
    let denied = json_body(
        app.get_as("/api/v1/audit-events?action=permission.denied", &admin)
            .await,
        StatusCode::OK,
    )
    .await;
    assert!(
        denied["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["changes"]["permission"] == "pii.reveal")
    );
}

#[tokio::test]
async fn one_person_city_wide_without_leaking_across_counties() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let a = app.county(&admin, "任城区总工会", "370811").await;
    let b = app.county(&admin, "兖州区总工会", "370812").await;
    let person = "11010519491231002X";
    let existing = app
        .create_worker(&a.operator, &a.org_id, "张三明", person)
        .await;

    // Same county: 409 naming the existing record.
    let body = |org: &str, id: &str| json!({"org_id": org, "name": "张三明", "id_number": id, "kind": "staff", "employment_status": "employed"});
    let problem = assert_problem(
        app.post_as("/api/v1/workers", &a.operator, &body(&a.org_id, person))
            .await,
        StatusCode::CONFLICT,
        "duplicate",
    )
    .await;
    assert_eq!(problem["existing_id"], existing["id"]);
    // Another county: 409, and nothing about the record (also not with a lower-case x).
    let problem = assert_problem(
        app.post_as(
            "/api/v1/workers",
            &b.operator,
            &body(&b.org_id, "11010519491231002x"),
        )
        .await,
        StatusCode::CONFLICT,
        "duplicate",
    )
    .await;
    assert!(problem.get("existing_id").is_none(), "{problem}");
    assert!(
        !problem
            .to_string()
            .contains(existing["id"].as_str().unwrap())
    );
    assert!(!problem.to_string().contains("任城"));
    // B's search finds nothing; the city sees the one record.
    let found = json_body(
        app.post_as(
            "/api/v1/workers/search",
            &b.admin,
            &json!({"id_number": person}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(found["items"], json!([]));
    let problem = assert_problem(
        app.post_as("/api/v1/workers", &admin, &body(&b.org_id, person))
            .await,
        StatusCode::CONFLICT,
        "duplicate",
    )
    .await;
    assert_eq!(problem["existing_id"], existing["id"]);

    // Correcting another worker's ID number into an existing one is refused the same way.
    let other = app
        .create_worker(&b.operator, &b.org_id, "李四", &nth_id_number(9))
        .await;
    let res = app
        .patch_as(
            &format!("/api/v1/workers/{}", other["id"].as_str().unwrap()),
            &b.operator,
            &json!({"id_number": person}),
        )
        .await;
    let problem = assert_problem(res, StatusCode::CONFLICT, "duplicate").await;
    assert!(problem.get("existing_id").is_none());
}

#[tokio::test]
async fn registry_records_of_another_county_are_invisible() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let a = app.county(&admin, "任城区总工会", "370811").await;
    let b = app.county(&admin, "兖州区总工会", "370812").await;
    let firm = app
        .create_enterprise(
            &a.operator,
            &a.org_id,
            "任城某公司",
            &uscc("91370811MA3C00001"),
        )
        .await;
    let worker = app
        .create_worker(&a.operator, &a.org_id, "张三明", &nth_id_number(1))
        .await;
    let (firm_id, worker_id) = (firm["id"].as_str().unwrap(), worker["id"].as_str().unwrap());
    // Screens show names beside ids, in lists and single records alike.
    assert_eq!(firm["org_name"], "任城区总工会");
    assert_eq!(worker["org_name"], "任城区总工会");
    let employed = json_body(
        app.post_as(
            "/api/v1/workers",
            &a.operator,
            &json!({"org_id": a.org_id, "enterprise_id": firm_id, "name": "李四",
                    "id_number": nth_id_number(2), "kind": "staff", "employment_status": "employed"}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(employed["enterprise_name"], "任城某公司");
    let listed = json_body(
        app.get_as(
            &format!("/api/v1/workers?enterprise_id={firm_id}"),
            &a.operator,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(listed["items"][0]["enterprise_name"], "任城某公司");
    assert_eq!(listed["items"][0]["org_name"], "任城区总工会");
    assert!(worker["enterprise_name"].is_null());
    // A get and a page read their names in the same statement as the record.
    let employed_id = employed["id"].as_str().unwrap();
    let got = json_body(
        app.get_as(&format!("/api/v1/workers/{employed_id}"), &a.operator)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(got["enterprise_name"], "任城某公司");
    assert_eq!(got["org_name"], "任城区总工会");
    let got = json_body(
        app.get_as(&format!("/api/v1/workers/{worker_id}"), &a.operator)
            .await,
        StatusCode::OK,
    )
    .await;
    assert!(got["enterprise_name"].is_null(), "{got}");
    let got = json_body(
        app.get_as(&format!("/api/v1/enterprises/{firm_id}"), &a.operator)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(got["org_name"], "任城区总工会");
    let listed = json_body(
        app.get_as("/api/v1/enterprises?sort=name", &a.operator)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(listed["items"][0]["org_name"], "任城区总工会");

    for path in [
        format!("/api/v1/enterprises/{firm_id}"),
        format!("/api/v1/workers/{worker_id}"),
    ] {
        assert_problem(
            app.get_as(&path, &b.admin).await,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
        assert_problem(
            app.patch_as(&path, &b.admin, &json!({"name": "x"})).await,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
        assert_problem(
            app.post_as(&format!("{path}/archive"), &b.admin, &json!({}))
                .await,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
    }
    for path in [
        "/api/v1/enterprises?count=true",
        "/api/v1/workers?count=true",
        &format!("/api/v1/workers?enterprise_id={firm_id}&count=true"),
    ] {
        let page = json_body(app.get_as(path, &b.admin).await, StatusCode::OK).await;
        assert_eq!(page["total"], 0, "{path}");
    }
    let page = json_body(
        app.get_as(
            &format!("/api/v1/workers?within_org_id={}&count=true", a.org_id),
            &b.admin,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(page["total"], 0);
    let page = json_body(
        app.get_as(
            &format!(
                "/api/v1/enterprises?uscc={}",
                firm["uscc"].as_str().unwrap()
            ),
            &b.admin,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(page["items"], json!([]));
    // B cannot attach its worker to A's enterprise.
    let body = json!({"org_id": b.org_id, "enterprise_id": firm_id, "name": "x", "id_number": nth_id_number(2), "kind": "staff", "employment_status": "employed"});
    assert_problem(
        app.post_as("/api/v1/workers", &b.operator, &body).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn worker_filters_pagination_and_concurrency() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let a = app.county(&admin, "任城区总工会", "370811").await;
    let town = app
        .create_org(&a.admin, &a.org_id, "township", "某街道工会", "370811")
        .await;
    let town_id = town["id"].as_str().unwrap();
    let firm = app
        .create_enterprise(
            &a.operator,
            &a.org_id,
            "任城某公司",
            &uscc("91370811MA3C00001"),
        )
        .await;
    let firm_id = firm["id"].as_str().unwrap();

    let mut ids = Vec::new();
    for n in 0..5u32 {
        let body = json!({
            "org_id": if n < 3 { a.org_id.as_str() } else { town_id },
            "enterprise_id": if n % 2 == 0 { Some(firm_id) } else { None },
            "name": format!("{}{}", if n < 2 { "张" } else { "李" }, n),
            "id_number": nth_id_number(n),
            "kind": if n == 4 { "migrant_worker" } else { "staff" },
            "employment_status": if n == 3 { "laid_off" } else { "employed" },
            "frontline": n == 1,
        });
        let w = json_body(
            app.post_as("/api/v1/workers", &a.operator, &body).await,
            StatusCode::CREATED,
        )
        .await;
        ids.push(w["id"].as_str().unwrap().to_owned());
    }
    let count = |q: &str| {
        let app = &app;
        let token = a.operator.clone();
        let q = q.to_owned();
        async move {
            json_body(
                app.get_as(&format!("/api/v1/workers?count=true&{q}"), &token)
                    .await,
                StatusCode::OK,
            )
            .await["total"]
                .as_u64()
                .unwrap()
        }
    };
    assert_eq!(count(&format!("enterprise_id={firm_id}")).await, 3);
    assert_eq!(count("kind=migrant_worker").await, 1);
    assert_eq!(count("employment_status=laid_off").await, 1);
    assert_eq!(count("frontline=true").await, 1);
    assert_eq!(count(&format!("name_prefix={}", "%E5%BC%A0")).await, 2); // 张
    assert_eq!(count(&format!("org_id={}", a.org_id)).await, 3);
    assert_eq!(count(&format!("within_org_id={town_id}")).await, 2);
    assert_eq!(count(&format!("within_org_id={}", a.org_id)).await, 5);
    // Every order counts the same list.
    for sort in ["-created", "name", "-name", "updated", "-updated"] {
        let q = format!("sort={sort}&enterprise_id={firm_id}");
        assert_eq!(count(&q).await, 3, "{sort}");
    }
    assert_eq!(count("updated_since=2999-01-01T00:00:00Z").await, 0);
    for bad in [
        "kind=alien",
        "frontline=maybe",
        "updated_since=yesterday",
        "limit=201",
        "id_number=11010519491231002X",
    ] {
        assert_problem(
            app.get_as(&format!("/api/v1/workers?{bad}"), &a.operator)
                .await,
            StatusCode::BAD_REQUEST,
            "invalid_query",
        )
        .await;
    }

    // Archive hides; `status` brings it back; restore undoes.
    let path = format!("/api/v1/workers/{}", ids[0]);
    let res = app
        .authed(Method::POST, &format!("{path}/archive"), &a.operator)
        .header("if-match", "\"9\"")
        .send()
        .await
        .unwrap();
    assert_problem(res, StatusCode::PRECONDITION_FAILED, "precondition_failed").await;
    let archived = json_body(
        app.authed(Method::POST, &format!("{path}/archive"), &a.operator)
            .header("if-match", "\"1\"")
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(archived["status"], "archived");
    assert_problem(
        app.post_as(&format!("{path}/archive"), &a.operator, &json!({}))
            .await,
        StatusCode::CONFLICT,
        "conflict",
    )
    .await;
    assert_eq!(count("").await, 4);
    assert_eq!(count("status=archived").await, 1);
    assert_eq!(count("status=all").await, 5);
    json_body(app.get_as(&path, &a.operator).await, StatusCode::OK).await;
    json_body(
        app.post_as(&format!("{path}/restore"), &a.operator, &json!({}))
            .await,
        StatusCode::OK,
    )
    .await;

    // Stale If-Match on update; the current one works and bumps the version.
    let current = app.get_as(&path, &a.operator).await;
    let etag = current
        .headers()
        .get("etag")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let res = app
        .authed(Method::PATCH, &path, &a.operator)
        .header("if-match", "\"1\"")
        .json(&json!({"employment_status": "retired"}))
        .send()
        .await
        .unwrap();
    assert_problem(res, StatusCode::PRECONDITION_FAILED, "precondition_failed").await;
    let res = app
        .authed(Method::PATCH, &path, &a.operator)
        .header("if-match", &etag)
        .json(
            &json!({"employment_status": "retired", "phone": "13912345678", "enterprise_id": null}),
        )
        .send()
        .await
        .unwrap();
    let updated = json_body(res, StatusCode::OK).await;
    assert_eq!(updated["employment_status"], "retired");
    assert_eq!(updated["phone"], "139****5678");
    assert_eq!(updated["enterprise_id"], json!(null));
    for field in ["id", "version", "sex", "birth_date", "status"] {
        let problem = assert_problem(
            app.patch_as(&path, &a.operator, &json!({field: "x"})).await,
            StatusCode::BAD_REQUEST,
            "validation_failed",
        )
        .await;
        assert_eq!(problem["errors"][0]["code"], "unknown_field", "{field}");
    }

    // Pages of two, with registrations in between: nothing twice, nothing skipped, new rows last.
    let first = json_body(
        app.get_as("/api/v1/workers?limit=2", &a.operator).await,
        StatusCode::OK,
    )
    .await;
    let mut seen: Vec<String> = first["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["id"].as_str().unwrap().to_owned())
        .collect();
    let mut cursor = first["next_cursor"].as_str().map(str::to_owned);
    let mut extra = 100;
    while let Some(c) = cursor {
        app.create_worker(&a.operator, &a.org_id, "新人", &nth_id_number(extra))
            .await;
        extra += 1;
        let page = json_body(
            app.get_as(&format!("/api/v1/workers?limit=2&cursor={c}"), &a.operator)
                .await,
            StatusCode::OK,
        )
        .await;
        seen.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|w| w["id"].as_str().unwrap().to_owned()),
        );
        cursor = page["next_cursor"].as_str().map(str::to_owned);
        assert!(extra < 120, "pagination does not end");
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), seen.len(), "no record twice");
    assert!(ids.iter().all(|id| seen.contains(id)), "no record skipped");
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(seen, sorted, "creation order");
    let _ = PASSWORD;
}

#[tokio::test]
async fn enterprise_filters_update_and_archive() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let a = app.county(&admin, "任城区总工会", "370811").await;
    let first = app
        .create_enterprise(
            &a.operator,
            &a.org_id,
            "济宁甲公司",
            &uscc("91370811MA3C00001"),
        )
        .await;
    let body = json!({"org_id": a.org_id, "name": "济宁乙公司", "uscc": uscc("91370811MA3C00002"), "ownership": "state", "industry": "E", "overcapacity": true, "headcount": 100, "member_count": 90, "union_founded_on": "2015-05-01"});
    let second = json_body(
        app.post_as("/api/v1/enterprises", &a.operator, &body).await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(second["union_founded_on"], "2015-05-01");

    let count = |q: String| {
        let app = &app;
        let token = a.operator.clone();
        async move {
            json_body(
                app.get_as(&format!("/api/v1/enterprises?count=true&{q}"), &token)
                    .await,
                StatusCode::OK,
            )
            .await["total"]
                .as_u64()
                .unwrap()
        }
    };
    assert_eq!(count("ownership=state".into()).await, 1);
    assert_eq!(count("industry=E".into()).await, 1);
    assert_eq!(count("overcapacity=true".into()).await, 1);
    assert_eq!(count("name_prefix=%E6%B5%8E%E5%AE%81".into()).await, 2); // 济宁
    assert_eq!(
        count(format!(
            "uscc={}",
            first["uscc"].as_str().unwrap().to_lowercase()
        ))
        .await,
        1
    );

    let path = format!("/api/v1/enterprises/{}", second["id"].as_str().unwrap());
    let problem = assert_problem(
        app.patch_as(&path, &a.operator, &json!({"member_count": 101}))
            .await,
        StatusCode::BAD_REQUEST,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "member_count");
    let updated = json_body(
        app.patch_as(
            &path,
            &a.operator,
            &json!({"member_count": 95, "address": "任城区某路1号"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(updated["version"], 2);
    let res = app
        .patch_as(&path, &a.operator, &json!({"uscc": first["uscc"]}))
        .await;
    assert_problem(res, StatusCode::CONFLICT, "duplicate").await;
    json_body(
        app.post_as(&format!("{path}/archive"), &a.operator, &json!({}))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(count(String::new()).await, 1);
    assert_eq!(count("status=archived".into()).await, 1);
}

/// Lists sort by name or last update, either way, page after page by keyset: every record once,
/// in order, ties broken by id; a cursor belongs to its order.
#[tokio::test]
async fn lists_sort_by_name_or_update_and_page_through_in_that_order() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let a = app.county(&admin, "任城区总工会", "370811").await;
    // Two share a name: the id decides between them, in the sort's direction.
    let names = ["王五", "张三", "李四", "赵六", "张三"];
    let mut created = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let w = app
            .create_worker(&a.operator, &a.org_id, name, &nth_id_number(i as u32 + 1))
            .await;
        created.push((
            w["name"].as_str().unwrap().to_owned(),
            w["id"].as_str().unwrap().to_owned(),
        ));
    }
    let follow = |sort: &'static str| {
        let (app, token) = (&app, a.operator.clone());
        async move {
            let mut seen = Vec::new();
            let mut cursor: Option<String> = None;
            loop {
                let after = cursor
                    .as_ref()
                    .map(|c| format!("&cursor={c}"))
                    .unwrap_or_default();
                let page = json_body(
                    app.get_as(
                        &format!("/api/v1/workers?sort={sort}&limit=2{after}"),
                        &token,
                    )
                    .await,
                    StatusCode::OK,
                )
                .await;
                for w in page["items"].as_array().unwrap() {
                    seen.push((
                        w["name"].as_str().unwrap().to_owned(),
                        w["id"].as_str().unwrap().to_owned(),
                    ));
                }
                match page["next_cursor"].as_str() {
                    Some(c) => cursor = Some(c.to_owned()),
                    None => return seen,
                }
            }
        }
    };
    let mut by_name = created.clone();
    by_name.sort();
    assert_eq!(follow("name").await, by_name);
    by_name.reverse();
    assert_eq!(follow("-name").await, by_name);

    // The first registered, corrected now, comes first by latest update.
    json_body(
        app.patch_as(
            &format!("/api/v1/workers/{}", created[0].1),
            &a.operator,
            &json!({"employment_status": "unemployed"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let latest = follow("-updated").await;
    assert_eq!(latest.len(), 5);
    assert_eq!(latest[0], created[0]);
    assert_eq!(follow("updated").await.last(), Some(&created[0]));
    assert_eq!(follow("-created").await.first(), created.last());

    // A cursor of one order is not a cursor of another; an order not offered is refused.
    let page = json_body(
        app.get_as("/api/v1/workers?sort=name&limit=1", &a.operator)
            .await,
        StatusCode::OK,
    )
    .await;
    let cursor = page["next_cursor"].as_str().unwrap();
    let problem = assert_problem(
        app.get_as(
            &format!("/api/v1/workers?sort=updated&cursor={cursor}"),
            &a.operator,
        )
        .await,
        StatusCode::BAD_REQUEST,
        "invalid_query",
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "cursor");
    let problem = assert_problem(
        app.get_as("/api/v1/enterprises?sort=headcount", &a.operator)
            .await,
        StatusCode::BAD_REQUEST,
        "invalid_query",
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "sort");
}

/// `q` finds names containing the text anywhere, letters in either case, the same on both
/// databases; `%` and `_` are text, not wildcards.
#[tokio::test]
async fn q_finds_names_containing_the_text() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let a = app.county(&admin, "任城区总工会", "370811").await;
    for (i, name) in [
        "济宁某机械有限公司",
        "任城区机械厂",
        "ABC科技有限公司",
        "100%纯净水有限公司",
        "某食品公司",
    ]
    .iter()
    .enumerate()
    {
        app.create_enterprise(
            &a.operator,
            &a.org_id,
            name,
            &uscc(&format!("91370811MA3C0000{i}")),
        )
        .await;
    }
    let names = |q: &'static str| {
        let (app, token) = (&app, a.operator.clone());
        async move {
            let page = json_body(
                app.get_as(
                    &format!("/api/v1/enterprises?sort=name&q={}", urlencoding(q)),
                    &token,
                )
                .await,
                StatusCode::OK,
            )
            .await;
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["name"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(names("机械").await, ["任城区机械厂", "济宁某机械有限公司"]);
    assert_eq!(names("abc").await, ["ABC科技有限公司"]);
    assert_eq!(names("%").await, ["100%纯净水有限公司"]);
    assert!(names("_").await.is_empty());
    assert!(names("有限公司科技").await.is_empty());
}

fn urlencoding(text: &str) -> String {
    text.bytes().map(|b| format!("%{b:02X}")).collect()
}

/// A get's statement is built once per caller and reused with each record's id in its place
/// (`statements::Templates`): one caller reading several records, in and out of its subtree,
/// gets each its own answer, and another caller's statement is its own.
#[tokio::test]
async fn gets_by_one_caller_each_answer_their_own_record() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let a = app.county(&admin, "任城区总工会", "370811").await;
    let b = app.county(&admin, "兖州区总工会", "370812").await;
    let mut mine = Vec::new();
    for n in 1..=3 {
        let w = app
            .create_worker(
                &a.operator,
                &a.org_id,
                &format!("职工{n}"),
                &nth_id_number(n),
            )
            .await;
        mine.push(w);
    }
    let theirs = app
        .create_worker(&b.operator, &b.org_id, "李四", &nth_id_number(9))
        .await;
    let get = |token: &str, id: &Value| {
        let path = format!("/api/v1/workers/{}", id.as_str().unwrap());
        let token = token.to_owned();
        let app = &app;
        async move { app.get_as(&path, &token).await }
    };
    for _ in 0..2 {
        for w in &mine {
            let got = json_body(get(&a.operator, &w["id"]).await, StatusCode::OK).await;
            assert_eq!((&got["id"], &got["name"]), (&w["id"], &w["name"]));
            assert_eq!(got["org_name"], "任城区总工会");
        }
        let res = get(&a.operator, &theirs["id"]).await;
        assert_problem(res, StatusCode::NOT_FOUND, "not_found").await;
        let got = json_body(get(&b.operator, &theirs["id"]).await, StatusCode::OK).await;
        assert_eq!(got["name"], "李四");
        let res = get(&b.operator, &mine[0]["id"]).await;
        assert_problem(res, StatusCode::NOT_FOUND, "not_found").await;
    }
}

/// A page of workers in registration order is read from a statement kept per caller and shape,
/// the organisation, enterprise and cursor swapped in (`statements::Templates`): one caller
/// paging two enterprises of its county, in both orders, gets each its own workers, exactly
/// the page the statement built afresh gives (`count=true` is never kept), and an enterprise
/// outside its subtree lists nothing, while that county's own caller lists it.
#[tokio::test]
async fn pages_by_one_caller_each_list_their_own_enterprise() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let a = app.county(&admin, "任城区总工会", "370811").await;
    let b = app.county(&admin, "兖州区总工会", "370812").await;
    let firm = |county: &County, name: &'static str, code: &'static str| {
        let (token, org) = (county.operator.clone(), county.org_id.clone());
        let app = &app;
        async move {
            let e = app.create_enterprise(&token, &org, name, &uscc(code)).await;
            e["id"].as_str().unwrap().to_owned()
        }
    };
    let one = firm(&a, "任城甲公司", "91370811MA3C00011").await;
    let two = firm(&a, "任城乙公司", "91370811MA3C00012").await;
    let theirs = firm(&b, "兖州丙公司", "91370812MA3C00013").await;
    let mut n = 0;
    let mut hire = async |county: &County, firm: &str, count: usize| {
        let mut names: Vec<String> = Vec::new();
        for _ in 0..count {
            n += 1;
            let name = format!("职工{n}");
            let body = json!({"org_id": county.org_id, "enterprise_id": firm, "name": name,
                "id_number": nth_id_number(n), "kind": "staff", "employment_status": "employed"});
            let res = app
                .post_as("/api/v1/workers", &county.operator, &body)
                .await;
            json_body(res, StatusCode::CREATED).await;
            names.push(name);
        }
        names
    };
    let of_one = hire(&a, &one, 3).await;
    let of_two = hire(&a, &two, 2).await;
    let of_theirs = hire(&b, &theirs, 1).await;
    // Every page of `query`, following cursors: the names, and the pages' cursors.
    let pages = async |token: &str, query: &str| {
        let (mut names, mut cursors) = (Vec::new(), Vec::new());
        let mut cursor: Option<String> = None;
        loop {
            let after = cursor.map(|c| format!("&cursor={c}")).unwrap_or_default();
            let path = format!("/api/v1/workers?{query}&limit=2{after}");
            let page = json_body(app.get_as(&path, token).await, StatusCode::OK).await;
            for item in page["items"].as_array().unwrap() {
                names.push(item["name"].as_str().unwrap().to_owned());
            }
            cursor = page["next_cursor"].as_str().map(str::to_owned);
            cursors.push(cursor.clone());
            if cursor.is_none() {
                return (names, cursors);
            }
        }
    };
    let reversed = |names: &[String]| names.iter().rev().cloned().collect::<Vec<_>>();
    for _ in 0..2 {
        for (firm, names) in [(&one, &of_one), (&two, &of_two)] {
            let query = format!("enterprise_id={firm}");
            let (got, cursors) = pages(&a.operator, &query).await;
            assert_eq!(&got, names);
            // The statement built afresh, for the same pages.
            let fresh = pages(&a.operator, &format!("{query}&count=true")).await;
            assert_eq!((&got, &cursors), (&fresh.0, &fresh.1));
            let (desc, _) = pages(&a.operator, &format!("{query}&sort=-created")).await;
            assert_eq!(desc, reversed(names));
            let org = format!("{query}&org_id={}&frontline=false", a.org_id);
            assert_eq!(&pages(&a.operator, &org).await.0, names);
        }
        let query = format!("enterprise_id={theirs}");
        assert!(pages(&a.operator, &query).await.0.is_empty());
        assert_eq!(pages(&b.operator, &query).await.0, of_theirs);
        let mut all = of_one.clone();
        all.extend(of_two.iter().cloned());
        assert_eq!(pages(&a.operator, "status=active").await.0, all);
    }
}
