//! Grants: from an archive to an approved recipient. Eligibility per clause (temporary archives,
//! categories), the amount rule, one grant per person per campaign (also under two concurrent
//! requests), double funding across a city and a county campaign, every step of the workflow
//! with four eyes, the notice that must end before approval, approval beyond the allocation,
//! a rejection that releases the commitment, and the public notice showing masked data only.

use chrono::{Days, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, World, assert_problem, id_number, json_body, nth_id_number, world};

/// A household of two on `monthly` fen a month (deep hardship below 80,000 per head), verified
/// (formal) unless `temporary`. Returns the archive.
async fn archive(w: &World, n: u32, name: &str, monthly: i64, temporary: bool) -> Value {
    let head = w.app.worker_id(&w.a, name, &nth_id_number(n)).await;
    let body = json!({
        "org_id": w.a.org_id, "head_worker_id": head, "household_size": 2,
        "annual_income_fen": monthly * 2 * 12, "rigid_expenses_fen": 0, "causes": ["illness"],
        "first_visit": {"visited_on": "2026-09-01", "findings": "家中一人患病"}, "members": []
    });
    let created = json_body(
        w.app
            .post_as("/api/v1/beneficiaries", &w.a.operator, &body)
            .await,
        StatusCode::CREATED,
    )
    .await;
    if temporary {
        return created;
    }
    let id = created["id"].as_str().unwrap();
    json_body(
        w.app
            .post_as(
                &format!("/api/v1/beneficiaries/{id}/verify"),
                &w.approver,
                &json!({"visited_on": Utc::now().date_naive().to_string(), "findings": "属实", "confirmed": true}),
            )
            .await,
        StatusCode::OK,
    )
    .await
}

/// An open campaign run by `org` with `rule`, a budget of 1,000,000 fen and `quota`.
async fn campaign(w: &World, token: &str, org: &str, rule: Value, quota: i64) -> Value {
    let created = json_body(
        w.app
            .post_as(
                "/api/v1/campaigns",
                token,
                &json!({"org_id": org, "kind": "winter_warmth", "year": 2026, "title": "送温暖",
                        "quota": quota, "rule": rule,
                        "fund_sources": [{"source": "federation", "amount_fen": 1_000_000}]}),
            )
            .await,
        StatusCode::CREATED,
    )
    .await;
    let id = created["id"].as_str().unwrap();
    json_body(
        w.app
            .post_as(&format!("/api/v1/campaigns/{id}/open"), token, &json!({}))
            .await,
        StatusCode::OK,
    )
    .await
}

fn per_category(top_ups: bool) -> Value {
    json!({"recipients": {"from": "archive", "categories": ["deep", "relative"]},
           "amount": {"type": "per_category", "tiers": [
               {"category": "deep", "amount_fen": 150_000}, {"category": "relative", "amount_fen": 100_000}]},
           "top_ups": top_ups})
}

async fn submit(w: &World, token: &str, campaign: &Value, archive: &Value) -> reqwest::Response {
    w.app
        .post_as(
            "/api/v1/grants",
            token,
            &json!({"campaign_id": campaign["id"], "recipient": {"kind": "archive_head", "id": archive["id"]}}),
        )
        .await
}

async fn act(w: &World, token: &str, grant: &Value, step: &str, body: Value) -> reqwest::Response {
    w.app
        .post_as(
            &format!("/api/v1/grants/{}/{step}", grant["id"].as_str().unwrap()),
            token,
            &body,
        )
        .await
}

fn day(offset: i64) -> String {
    let today = Utc::now().date_naive();
    let d = if offset >= 0 {
        today + Days::new(offset.unsigned_abs())
    } else {
        today - Days::new(offset.unsigned_abs())
    };
    d.to_string()
}

async fn notice(
    w: &World,
    token: &str,
    campaign: &Value,
    grants: &[&Value],
    from: i64,
    to: i64,
) -> reqwest::Response {
    let ids: Vec<&Value> = grants.iter().map(|g| &g["id"]).collect();
    w.app
        .post_as(
            "/api/v1/grant-notices",
            token,
            &json!({"campaign_id": campaign["id"], "org_id": w.a.org_id, "title": "关于2026年送温暖拟资助名单的公示",
                    "starts_on": day(from), "ends_on": day(to), "contact": "区总工会 0537-1234567", "grant_ids": ids}),
        )
        .await
}

async fn holding(w: &World, token: &str, campaign: &Value, org: &str) -> Value {
    let all = json_body(
        w.app
            .get_as(
                &format!(
                    "/api/v1/campaigns/{}/holdings",
                    campaign["id"].as_str().unwrap()
                ),
                token,
            )
            .await,
        StatusCode::OK,
    )
    .await;
    all["holdings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["org_id"] == json!(org))
        .unwrap()
        .clone()
}

#[tokio::test]
async fn a_grant_goes_from_submission_through_a_public_notice_to_approval_with_four_eyes() {
    let w = world().await;
    let c = campaign(&w, &w.a.admin, &w.a.org_id, per_category(false), 10).await;
    let household = archive(&w, 1, "张三明", 20_000, false).await;

    let grant = json_body(
        submit(&w, &w.a.operator, &c, &household).await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(grant["status"], "submitted");
    assert_eq!(grant["amount_fen"], 150_000);
    assert_eq!(
        grant["basis"],
        "困难职工档案户主：正式档案，困难类别深度困难"
    );
    assert_eq!(
        grant["id_number_public"],
        format!("3708**********{}", &nth_id_number(1)[14..])
    );
    // One grant per person per campaign.
    let again = submit(&w, &w.a.admin, &c, &household).await;
    assert_problem(again, StatusCode::CONFLICT, "duplicate").await;

    // Four eyes: the submitter does not verify; the visit is not in the future.
    let own = act(
        &w,
        &w.a.operator,
        &grant,
        "verify",
        json!({"visited_on": day(0), "findings": "属实"}),
    )
    .await;
    assert_problem(own, StatusCode::FORBIDDEN, "forbidden").await;
    let future = act(
        &w,
        &w.approver,
        &grant,
        "verify",
        json!({"visited_on": day(1), "findings": "属实"}),
    )
    .await;
    assert_problem(future, StatusCode::BAD_REQUEST, "validation_failed").await;
    // Not yet verified: no notice, no approval.
    let early = notice(&w, &w.a.operator, &c, &[&grant], -6, -2).await;
    assert_problem(early, StatusCode::BAD_REQUEST, "validation_failed").await;
    let res = act(&w, &w.a.admin, &grant, "approve", json!({})).await;
    assert_problem(res, StatusCode::CONFLICT, "conflict").await;
    let grant = json_body(
        act(
            &w,
            &w.approver,
            &grant,
            "verify",
            json!({"visited_on": day(0), "findings": "家中二人，一人患病，情况属实"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(grant["status"], "verified");

    // The notice runs at least the campaign's five days.
    let short = notice(&w, &w.a.operator, &c, &[&grant], -3, -1).await;
    let problem = assert_problem(short, StatusCode::BAD_REQUEST, "validation_failed").await;
    assert_eq!(problem["errors"][0]["code"], "too_short");
    let published = json_body(
        notice(&w, &w.a.operator, &c, &[&grant], -6, -2).await,
        StatusCode::CREATED,
    )
    .await;
    // The public view: masked name and ID number, the county, the amount — no more.
    let line = &published["lines"][0];
    assert_eq!(line["name"], "张*明");
    assert_eq!(line["county"], "任城区总工会");
    assert_eq!(line["amount_fen"], 150_000);
    let page = w
        .app
        .get_as(
            &format!(
                "/api/v1/grant-notices/{}",
                published["id"].as_str().unwrap()
            ),
            &w.approver,
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(
        !page.contains("张三明") && !page.contains(&nth_id_number(1)),
        "{page}"
    );
    assert!(!page.contains(&nth_id_number(1)[..6]));

    let grant = json_body(
        w.app
            .get_as(
                &format!("/api/v1/grants/{}", grant["id"].as_str().unwrap()),
                &w.a.admin,
            )
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(grant["status"], "on_notice");
    // Four eyes again: neither the submitter nor the verifier approves.
    for token in [&w.a.operator, &w.approver] {
        let res = act(&w, token, &grant, "approve", json!({})).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
    }
    let approved = json_body(
        act(&w, &w.a.admin, &grant, "approve", json!({})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(approved["status"], "approved");
    let county = holding(&w, &w.a.admin, &c, &w.a.org_id).await;
    assert_eq!(county["total"]["committed_fen"], 150_000);
    assert_eq!(county["total"]["available_fen"], 850_000);
    assert_eq!(county["quota_committed"], 1);
    let figures = json_body(
        w.app
            .get_as(
                &format!(
                    "/api/v1/campaigns/{}/grant-figures",
                    c["id"].as_str().unwrap()
                ),
                &w.a.admin,
            )
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (figures["approved"].clone(), figures["approved_fen"].clone()),
        (json!(1), json!(150_000))
    );
    assert_eq!(figures["counties"][0]["county"], "任城区总工会");

    // A rejection after approval gives the commitment back, through the ledger.
    let rejected = json_body(
        act(
            &w,
            &w.a.admin,
            &approved,
            "reject",
            json!({"reason": "收到异议，核实后不符合条件"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(rejected["status"], "rejected");
    let county = holding(&w, &w.a.admin, &c, &w.a.org_id).await;
    assert_eq!(county["total"]["committed_fen"], 0);
    assert_eq!(county["total"]["available_fen"], 1_000_000);
    assert_eq!(county["quota_available"], 10);
    let check = json_body(
        w.app
            .get_as(
                &format!(
                    "/api/v1/campaigns/{}/balance-check",
                    c["id"].as_str().unwrap()
                ),
                &w.a.admin,
            )
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(check["consistent"], true);
    let res = act(
        &w,
        &w.a.operator,
        &rejected,
        "withdraw",
        json!({"reason": "已不需要"}),
    )
    .await;
    assert_problem(res, StatusCode::CONFLICT, "conflict").await;
}

#[tokio::test]
async fn eligibility_amounts_and_double_funding_across_levels() {
    let w = world().await;
    // A temporary archive is refused by a rule for formal ones, naming the clause.
    let temporary = archive(&w, 1, "李四", 20_000, true).await;
    let county_campaign = campaign(&w, &w.a.admin, &w.a.org_id, per_category(false), 10).await;
    let res = submit(&w, &w.a.operator, &county_campaign, &temporary).await;
    let problem = assert_problem(res, StatusCode::BAD_REQUEST, "validation_failed").await;
    assert_eq!(problem["errors"][0]["code"], "not_eligible");
    assert!(
        problem["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("临时档案")
    );

    // A range needs an amount within it.
    let ranged = json!({"recipients": {"from": "archive", "categories": ["deep"]},
                        "amount": {"type": "range", "min_fen": 300_000, "max_fen": 500_000}});
    let range_campaign = campaign(&w, &w.a.admin, &w.a.org_id, ranged, 10).await;
    let household = archive(&w, 2, "王五", 20_000, false).await;
    let res = w
        .app
        .post_as(
            "/api/v1/grants",
            &w.a.operator,
            &json!({"campaign_id": range_campaign["id"], "recipient": {"kind": "archive_head", "id": household["id"]}, "amount_fen": 600_000}),
        )
        .await;
    let problem = assert_problem(res, StatusCode::BAD_REQUEST, "validation_failed").await;
    assert_eq!(problem["errors"][0]["code"], "outside_rule");

    // The same person in a county campaign and the city's of the same kind and year: refused
    // without top-ups, flagged with them.
    let other = archive(&w, 3, "赵六", 20_000, false).await;
    json_body(
        submit(&w, &w.a.operator, &county_campaign, &other).await,
        StatusCode::CREATED,
    )
    .await;
    let city = w.app.root_org_id(&w.city_admin).await;
    let no_top_ups = campaign(&w, &w.city_admin, &city, per_category(false), 10).await;
    let res = submit(&w, &w.city_admin, &no_top_ups, &other).await;
    let problem = assert_problem(res, StatusCode::CONFLICT, "conflict").await;
    // Nothing of the county's campaign or grant is told.
    let detail = problem.to_string();
    assert!(!detail.contains(county_campaign["id"].as_str().unwrap()));
    let top_ups = campaign(&w, &w.city_admin, &city, per_category(true), 10).await;
    let flagged = json_body(
        submit(&w, &w.city_admin, &top_ups, &other).await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(flagged["aided_elsewhere"], true);
    let listed = json_body(
        w.app
            .get_as(
                "/api/v1/grants?aided_elsewhere=true&count=true",
                &w.city_admin,
            )
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(listed["total"], 1);
}

#[tokio::test]
async fn approval_beyond_the_allocation_is_refused() {
    let w = world().await;
    // A quota of one recipient.
    let c = campaign(&w, &w.a.admin, &w.a.org_id, per_category(false), 1).await;
    let mut on_notice = Vec::new();
    for n in 1..=2 {
        let household = archive(&w, n, &format!("职工{n}"), 20_000, false).await;
        let g = json_body(
            submit(&w, &w.a.operator, &c, &household).await,
            StatusCode::CREATED,
        )
        .await;
        let g = json_body(
            act(
                &w,
                &w.approver,
                &g,
                "verify",
                json!({"visited_on": day(0), "findings": "属实"}),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        on_notice.push(g);
    }
    json_body(
        notice(
            &w,
            &w.a.operator,
            &c,
            &[&on_notice[0], &on_notice[1]],
            -6,
            -1,
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    json_body(
        act(&w, &w.a.admin, &on_notice[0], "approve", json!({})).await,
        StatusCode::OK,
    )
    .await;
    let res = act(&w, &w.a.admin, &on_notice[1], "approve", json!({})).await;
    let problem = assert_problem(res, StatusCode::CONFLICT, "insufficient_balance").await;
    assert!(problem["detail"].as_str().unwrap().contains("quota"));
}

#[tokio::test]
async fn approval_waits_for_the_notice_to_end() {
    let w = world().await;
    let c = campaign(&w, &w.a.admin, &w.a.org_id, per_category(false), 10).await;
    let household = archive(&w, 1, "张三", 20_000, false).await;
    let g = json_body(
        submit(&w, &w.a.operator, &c, &household).await,
        StatusCode::CREATED,
    )
    .await;
    let g = json_body(
        act(
            &w,
            &w.approver,
            &g,
            "verify",
            json!({"visited_on": day(0), "findings": "属实"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    json_body(
        notice(&w, &w.a.operator, &c, &[&g], 0, 4).await,
        StatusCode::CREATED,
    )
    .await;
    let res = act(&w, &w.a.admin, &g, "approve", json!({})).await;
    let problem = assert_problem(res, StatusCode::CONFLICT, "conflict").await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("public notice")
    );
}

/// Two requests for the same person at once: the unique index lets exactly one grant exist.
#[tokio::test]
async fn one_grant_per_person_under_concurrent_requests() {
    let w = world().await;
    let c = campaign(&w, &w.a.admin, &w.a.org_id, per_category(false), 10).await;
    for n in 1..=3 {
        let household = archive(&w, n, &format!("职工{n}"), 20_000, false).await;
        let (first, second) = tokio::join!(
            submit(&w, &w.a.operator, &c, &household),
            submit(&w, &w.a.admin, &c, &household),
        );
        let mut statuses = [first.status(), second.status()];
        statuses.sort();
        assert_eq!(statuses, [StatusCode::CREATED, StatusCode::CONFLICT]);
    }
    let all = json_body(
        w.app
            .authed(Method::GET, "/api/v1/grants?count=true", &w.a.admin)
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(all["total"], 3);
}

/// An objection during the notice blocks approval until resolved; upheld, it rejects the grant.
/// The notice in every format, and its public link before, during and after, show masked data
/// only.
#[tokio::test]
async fn objections_and_the_public_notice_in_every_format() {
    let w = world().await;
    let c = campaign(&w, &w.a.admin, &w.a.org_id, per_category(false), 10).await;
    let mut verified = Vec::new();
    for (n, name) in [(1, "张三明"), (2, "李四光")] {
        let household = archive(&w, n, name, 20_000, false).await;
        let g = json_body(
            submit(&w, &w.a.operator, &c, &household).await,
            StatusCode::CREATED,
        )
        .await;
        verified.push(
            json_body(
                act(
                    &w,
                    &w.approver,
                    &g,
                    "verify",
                    json!({"visited_on": day(0), "findings": "属实"}),
                )
                .await,
                StatusCode::OK,
            )
            .await,
        );
    }
    // Ended yesterday: approvals may go ahead once objections are settled.
    let published = json_body(
        notice(&w, &w.a.operator, &c, &[&verified[0], &verified[1]], -5, -1).await,
        StatusCode::CREATED,
    )
    .await;
    let objection = json_body(
        act(
            &w,
            &w.a.operator,
            &verified[0],
            "objections",
            json!({"received_on": day(-2), "channel": "phone", "content": "反映该户有经营收入"}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let late = act(
        &w,
        &w.a.operator,
        &verified[1],
        "objections",
        json!({"received_on": day(0), "channel": "letter", "content": "迟到的异议"}),
    )
    .await;
    assert_problem(late, StatusCode::BAD_REQUEST, "validation_failed").await;
    let blocked = act(&w, &w.a.admin, &verified[0], "approve", json!({})).await;
    let problem = assert_problem(blocked, StatusCode::CONFLICT, "conflict").await;
    assert!(problem["detail"].as_str().unwrap().contains("objection"));
    let resolved = json_body(
        w.app
            .post_as(
                &format!(
                    "/api/v1/grant-objections/{}/resolve",
                    objection["id"].as_str().unwrap()
                ),
                &w.a.admin,
                &json!({"outcome": "upheld", "resolution": "经核实确有经营收入"}),
            )
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(resolved["status"], "upheld");
    let rejected = json_body(
        w.app
            .get_as(
                &format!("/api/v1/grants/{}", verified[0]["id"].as_str().unwrap()),
                &w.a.admin,
            )
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(rejected["status"], "rejected");
    assert!(rejected["reason"].as_str().unwrap().starts_with("异议成立"));
    json_body(
        act(&w, &w.a.admin, &verified[1], "approve", json!({})).await,
        StatusCode::OK,
    )
    .await;

    // Every format of the notice: no full name, no full ID number, not even the birth date.
    let url = format!(
        "/api/v1/grant-notices/{}",
        published["id"].as_str().unwrap()
    );
    for accept in ["", "/export", "/print", "/export?format=xlsx"] {
        let res = w
            .app
            .authed(Method::GET, &format!("{url}{accept}"), &w.a.admin)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{accept}");
        let bytes = res.bytes().await.unwrap();
        let text = if accept.contains("xlsx") {
            let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
            let mut all = String::new();
            for i in 0..archive.len() {
                let mut part = archive.by_index(i).unwrap();
                std::io::Read::read_to_string(&mut part, &mut all).unwrap();
            }
            all
        } else {
            String::from_utf8(bytes.to_vec()).unwrap()
        };
        assert!(text.contains("李*光"), "{accept}: {text}");
        for secret in [
            "张三明",
            "李四光",
            &nth_id_number(1),
            &nth_id_number(2),
            &nth_id_number(2)[6..14],
        ] {
            assert!(!text.contains(secret), "{accept} shows {secret}");
        }
    }
    let page = w
        .app
        .authed(Method::GET, &format!("{url}/print"), &w.a.admin)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("关于2026年送温暖拟资助名单的公示") && page.contains("区总工会 0537-1234567")
    );

    // The public link works only while the notice runs.
    let link = |n: &Value| n["public_url"].as_str().unwrap().to_owned();
    let ended = w
        .app
        .client
        .get(format!("{}{}", w.app.address, link(&published)))
        .send()
        .await
        .unwrap();
    assert_eq!(ended.status(), StatusCode::NOT_FOUND);
    let mut more = Vec::new();
    for (n, name) in [(3, "王五"), (4, "赵六")] {
        let household = archive(&w, n, name, 20_000, false).await;
        let g = json_body(
            submit(&w, &w.a.operator, &c, &household).await,
            StatusCode::CREATED,
        )
        .await;
        more.push(
            json_body(
                act(
                    &w,
                    &w.approver,
                    &g,
                    "verify",
                    json!({"visited_on": day(0), "findings": "属实"}),
                )
                .await,
                StatusCode::OK,
            )
            .await,
        );
    }
    let running = json_body(
        notice(&w, &w.a.operator, &c, &[&more[0]], -1, 3).await,
        StatusCode::CREATED,
    )
    .await;
    let open = w
        .app
        .client
        .get(format!("{}{}", w.app.address, link(&running)))
        .send()
        .await
        .unwrap();
    assert_eq!(open.status(), StatusCode::OK);
    let page = open.text().await.unwrap();
    assert!(page.contains("王*") && !page.contains("王五") && !page.contains(&nth_id_number(3)));
    let later = json_body(
        notice(&w, &w.a.operator, &c, &[&more[1]], 1, 5).await,
        StatusCode::CREATED,
    )
    .await;
    let before = w
        .app
        .client
        .get(format!("{}{}", w.app.address, link(&later)))
        .send()
        .await
        .unwrap();
    assert_eq!(before.status(), StatusCode::NOT_FOUND);
    let guessed = w
        .app
        .client
        .get(format!("{}/public/notices/guess", w.app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(guessed.status(), StatusCode::NOT_FOUND);
}

/// The worklist: every archive the rule admits in the county gets a grant, once; the report
/// says why the others did not; a second run creates nothing new and a retried request with
/// its key answers the same job.
#[tokio::test]
async fn grants_from_a_worklist_are_created_once_however_often_it_runs() {
    let w = world().await;
    let deep_only = json!({"recipients": {"from": "archive", "categories": ["deep"]},
                           "amount": {"type": "fixed", "amount_fen": 80_000}});
    let c = campaign(&w, &w.a.admin, &w.a.org_id, deep_only, 100).await;
    let first = archive(&w, 1, "职工一", 20_000, false).await;
    archive(&w, 2, "职工二", 20_000, false).await;
    archive(&w, 3, "职工三", 20_000, false).await;
    archive(&w, 4, "职工四", 20_000, true).await;
    archive(&w, 5, "职工五", 100_000, false).await;
    json_body(
        submit(&w, &w.a.operator, &c, &first).await,
        StatusCode::CREATED,
    )
    .await;

    let id = c["id"].as_str().unwrap();
    let run = |key: &'static str| {
        w.app
            .authed(
                Method::POST,
                &format!("/api/v1/campaigns/{id}/grants/bulk"),
                &w.a.operator,
            )
            .header("Idempotency-Key", key)
            .json(&json!({"within_org_id": w.a.org_id}))
            .send()
    };
    let job = w
        .app
        .finished_job(run("bulk-1").await.unwrap(), &w.a.operator)
        .await;
    assert_eq!(job["status"], "succeeded", "{job}");
    let report = &job["result"];
    assert_eq!(
        (
            report["candidates"].clone(),
            report["created"].clone(),
            report["already_granted"].clone(),
            report["not_eligible"].clone()
        ),
        (json!(5), json!(2), json!(1), json!(2)),
        "{report}"
    );
    let reasons: Vec<&str> = report["lines"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|l| l["reason"].as_str())
        .collect();
    assert!(
        reasons.iter().any(|r| r.contains("临时档案")),
        "{reasons:?}"
    );
    assert!(
        reasons.iter().any(|r| r.contains("相对困难")),
        "{reasons:?}"
    );

    // The same request with its key: the same job.
    let again = run("bulk-1").await.unwrap();
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(
        json_body(again, StatusCode::ACCEPTED).await["id"],
        job["id"]
    );
    // A second run: nothing new.
    let second = w
        .app
        .finished_job(run("bulk-2").await.unwrap(), &w.a.operator)
        .await;
    assert_eq!(second["result"]["created"], 0, "{second}");
    assert_eq!(second["result"]["already_granted"], 3);
    let all = json_body(
        w.app
            .get_as(
                &format!("/api/v1/grants?campaign_id={id}&count=true"),
                &w.a.admin,
            )
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(all["total"], 3);
    assert_eq!(
        all["items"][1]["basis"],
        "困难职工档案户主：正式档案，困难类别深度困难"
    );
}

/// The bulk forms take each grant on its own: the ones that may go, go; the others say why.
#[tokio::test]
async fn bulk_steps_answer_per_grant() {
    let w = world().await;
    let c = campaign(&w, &w.a.admin, &w.a.org_id, per_category(false), 10).await;
    let mut ids = Vec::new();
    for n in 1..=3 {
        let household = archive(&w, n, &format!("职工{n}"), 20_000, false).await;
        // The third is submitted by the approver, who therefore may not verify it.
        let token = if n == 3 { &w.approver } else { &w.a.operator };
        let res = submit(&w, token, &c, &household).await;
        if n == 3 {
            // An approver may not submit: the county admin does, and the approver verifies.
            assert_eq!(res.status(), StatusCode::FORBIDDEN);
            let g = json_body(
                submit(&w, &w.a.admin, &c, &household).await,
                StatusCode::CREATED,
            )
            .await;
            ids.push(g["id"].clone());
        } else {
            ids.push(json_body(res, StatusCode::CREATED).await["id"].clone());
        }
    }
    let verified = json_body(
        w.app
            .post_as(
                "/api/v1/grants/bulk-verify",
                &w.a.admin,
                &json!({"grant_ids": ids, "visited_on": day(0), "findings": "逐户走访，情况属实"}),
            )
            .await,
        StatusCode::OK,
    )
    .await;
    // The county admin submitted the third: four eyes refuse that one only.
    assert_eq!(
        (verified["done"].clone(), verified["refused"].clone()),
        (json!(2), json!(1))
    );
    assert_eq!(verified["results"][2]["code"], "forbidden");
    assert_eq!(verified["results"][0]["grant"]["status"], "verified");
    let rejected = json_body(
        w.app
            .post_as(
                "/api/v1/grants/bulk-reject",
                &w.approver,
                &json!({"grant_ids": [ids[0], ids[1], "0193a5b2-7c1e-7d3a-9f1e-2b4c6d8e9999"], "reason": "复核后不符合条件"}),
            )
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(rejected["done"], 2);
    assert_eq!(rejected["results"][2]["code"], "not_found");
    // Without the permission, the whole request is refused.
    let res = w
        .app
        .post_as(
            "/api/v1/grants/bulk-approve",
            &w.a.operator,
            &json!({"grant_ids": ids}),
        )
        .await;
    assert_problem(res, StatusCode::FORBIDDEN, "forbidden").await;
}

/// A child listed in both parents' archives, in two counties, is two records and one person: the
/// city's autumn aid grants the child once, whichever county comes first, even at once, and the
/// refusal names nothing of the other county's grant.
#[tokio::test]
async fn one_person_under_two_records_in_two_counties_is_granted_once() {
    let w = world().await;
    let b = w.app.county(&w.city_admin, "兖州区总工会", "370812").await;
    w.app.living_standard_this_year(&b, 80_000).await;
    w.app
        .create_user(&w.city_admin, &b.org_id, "370812.approver", &["approver"])
        .await;
    let b_approver = w.app.login("370812.approver", PASSWORD).await.access;
    let student = id_number("37081119990315001");
    let mut members = Vec::new();
    for (county, approver, n, parent) in [
        (&w.a, &w.approver, 1, "王建国"),
        (&b, &b_approver, 2, "李秀英"),
    ] {
        let head = w.app.worker_id(county, parent, &nth_id_number(n)).await;
        let created = json_body(
            w.app
                .post_as(
                    "/api/v1/beneficiaries",
                    &county.operator,
                    &json!({"org_id": county.org_id, "head_worker_id": head, "household_size": 2,
                            "annual_income_fen": 20_000 * 2 * 12, "rigid_expenses_fen": 0, "causes": ["illness"],
                            "first_visit": {"visited_on": "2026-09-01", "findings": "子女考入大学"},
                            "members": [{"name": "王小明", "relation": "child", "id_number": student,
                                         "health": "healthy", "school": "曲阜师范大学",
                                         "stage": "undergraduate", "admission_year": 2026}]}),
                )
                .await,
            StatusCode::CREATED,
        )
        .await;
        let id = created["id"].as_str().unwrap();
        json_body(
            w.app
                .post_as(
                    &format!("/api/v1/beneficiaries/{id}/verify"),
                    approver,
                    &json!({"visited_on": day(0), "findings": "属实", "confirmed": true}),
                )
                .await,
            StatusCode::OK,
        )
        .await;
        members.push(created["members"][0]["id"].clone());
    }
    let mut c = json!({"org_id": w.app.root_org_id(&w.city_admin).await, "kind": "autumn_tuition", "year": 2026,
        "title": "金秋助学", "quota": 10,
        "rule": {"recipients": {"from": "students", "categories": ["deep"], "stages": ["undergraduate"]},
                 "amount": {"type": "fixed", "amount_fen": 500_000}},
        "fund_sources": [{"source": "federation", "amount_fen": 5_000_000}]});
    c = json_body(
        w.app.post_as("/api/v1/campaigns", &w.city_admin, &c).await,
        StatusCode::CREATED,
    )
    .await;
    let id = c["id"].as_str().unwrap();
    json_body(
        w.app
            .post_as(
                &format!("/api/v1/campaigns/{id}/open"),
                &w.city_admin,
                &json!({}),
            )
            .await,
        StatusCode::OK,
    )
    .await;
    // The city allocates to each county (a county sees the city's campaign once it takes part).
    for county in [&w.a, &b] {
        json_body(
            w.app
                .post_as(
                    &format!("/api/v1/campaigns/{id}/allocations"),
                    &w.city_admin,
                    &json!({"to_org_id": county.org_id, "quota": 5, "amounts": [
                        {"fund_source_id": c["fund_sources"][0]["id"], "amount_fen": 2_500_000}]}),
                )
                .await,
            StatusCode::CREATED,
        )
        .await;
    }
    let bodies: Vec<Value> = members
        .iter()
        .map(|m| json!({"campaign_id": id, "recipient": {"kind": "student", "id": m}}))
        .collect();
    let (first, second) = tokio::join!(
        w.app.post_as("/api/v1/grants", &w.a.operator, &bodies[0]),
        w.app.post_as("/api/v1/grants", &b.operator, &bodies[1])
    );
    let (created, refused) = if first.status() == StatusCode::CREATED {
        (first, second)
    } else {
        (second, first)
    };
    let created = json_body(created, StatusCode::CREATED).await;
    let problem = assert_problem(refused, StatusCode::CONFLICT, "duplicate").await;
    // The other county's grant is not named: neither its id nor its organisation.
    assert!(problem["existing_id"].is_null(), "{problem}");
    let text = problem.to_string();
    for secret in [
        created["id"].as_str().unwrap(),
        created["org_id"].as_str().unwrap(),
        "任城区",
        "兖州区",
    ] {
        assert!(!text.contains(secret), "{text}");
    }
    // The bulk worklist agrees: one person, already granted.
    let job = w
        .app
        .finished_job(
            w.app
                .post_as(
                    &format!("/api/v1/campaigns/{id}/grants/bulk"),
                    &w.city_admin,
                    &json!({}),
                )
                .await,
            &w.city_admin,
        )
        .await;
    assert_eq!(
        (
            job["result"]["candidates"].clone(),
            job["result"]["created"].clone(),
            job["result"]["already_granted"].clone()
        ),
        (json!(2), json!(0), json!(2)),
        "{job}"
    );
}

/// Two approvers press "approve" on the same grant at once: one approves, the other is told it
/// already moved, and the amount is committed once.
#[tokio::test]
async fn concurrent_approvals_commit_the_amount_once() {
    let w = world().await;
    w.app
        .create_user(&w.a.admin, &w.a.org_id, "370811.approver2", &["approver"])
        .await;
    let second = w.app.login("370811.approver2", PASSWORD).await.access;
    let c = campaign(&w, &w.a.admin, &w.a.org_id, per_category(false), 10).await;
    for n in 1..=3 {
        let household = archive(&w, n, &format!("职工{n}"), 20_000, false).await;
        let grant = json_body(
            submit(&w, &w.a.operator, &c, &household).await,
            StatusCode::CREATED,
        )
        .await;
        json_body(
            act(
                &w,
                &w.approver,
                &grant,
                "verify",
                json!({"visited_on": day(-10), "findings": "入户核实，情况属实"}),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        json_body(
            notice(&w, &w.a.operator, &c, &[&grant], -7, -2).await,
            StatusCode::CREATED,
        )
        .await;
        let (one, other) = tokio::join!(
            act(&w, &w.a.admin, &grant, "approve", json!({})),
            act(&w, &second, &grant, "approve", json!({})),
        );
        let mut statuses = [one.status(), other.status()];
        statuses.sort();
        assert_eq!(
            statuses,
            [StatusCode::OK, StatusCode::CONFLICT],
            "{:?}",
            (one.text().await, other.text().await)
        );
    }
    let county = holding(&w, &w.a.admin, &c, &w.a.org_id).await;
    assert_eq!(county["total"]["committed_fen"], 3 * 150_000);
    assert_eq!(county["quota_committed"], 3);
    let check = json_body(
        w.app
            .get_as(
                &format!(
                    "/api/v1/campaigns/{}/balance-check",
                    c["id"].as_str().unwrap()
                ),
                &w.a.admin,
            )
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(check["consistent"], true, "{check}");
}
