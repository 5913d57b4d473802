//! The HTTP API served for real on a loopback port, driven with reqwest: reports, REST
//! reads and writes, bearer-token roles (no token → 401, wrong role → 403). Runs on
//! SQLite and PostgreSQL.

mod common;

use common::TestDb;
use netops_core::Secret;
use netops_inventory::api::{ApiAuthConfig, ApiState, ApiToken, Role, router};
use netops_inventory::fixture::generate_district;
use netops_inventory::import::{ImportOptions, Parsed, import_parsed};
use netops_test_support::postgres::Postgres;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::net::SocketAddr;

const PLANNER: &str = "planner-token-7f3a";
const VIEWER: &str = "viewer-token-91bc";

fn auth(read_requires_token: bool) -> ApiAuthConfig {
    ApiAuthConfig {
        read_requires_token,
        tokens: vec![
            ApiToken {
                name: "alice".into(),
                token: Secret::new(PLANNER),
                role: Role::Planner,
            },
            ApiToken {
                name: "victor".into(),
                token: Secret::new(VIEWER),
                role: Role::Viewer,
            },
        ],
    }
}

/// Serves the router on 127.0.0.1:<ephemeral>; the task ends with the test's runtime.
async fn serve(db: &TestDb, read_requires_token: bool) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    let app = router(ApiState::new(db.store.clone(), auth(read_requires_token)));
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

async fn load_district(db: &TestDb) {
    let (sites, targets, spots) = generate_district(2023);
    let opts = ImportOptions::default();
    for parsed in [
        Parsed::Sites(sites),
        Parsed::Targets(targets),
        Parsed::BlindSpots(spots),
    ] {
        import_parsed(&db.store, &parsed, &opts)
            .await
            .expect("load district");
    }
}

fn site_json(status: &str, on_air: Option<&str>) -> Value {
    json!({
        "site_id": "API-1", "name": "石碁镇移动测试站", "town": "石碁镇", "operator": "中国移动",
        "lat": 22.953, "lon": 113.44, "status": status, "planned_year": 2024,
        "on_air_date": on_air, "mgmt_ip": "::1"
    })
}

async fn api_reports_and_roles(db: TestDb) {
    load_district(&db).await;
    let base = format!("http://{}", serve(&db, false).await);
    let http = reqwest::Client::new();

    // Reports, open to read.
    let r = http
        .get(format!("{base}/reports/progress?year=2023"))
        .send()
        .await
        .expect("GET progress");
    assert_eq!(r.status(), StatusCode::OK);
    let j: Value = r.json().await.expect("JSON");
    assert_eq!(
        (j["built"].as_i64(), j["target"].as_i64()),
        (Some(2041), Some(1795))
    );
    assert_eq!(j["completion_ratio"], 1.137);
    assert_eq!(j["in_service_end_of_year"], 13693);
    let csv = http
        .get(format!("{base}/reports/progress?year=2023&format=csv"))
        .send()
        .await
        .expect("GET csv");
    assert_eq!(
        csv.headers()["content-type"].to_str().ok(),
        Some("text/csv; charset=utf-8")
    );
    let csv = csv.text().await.expect("text");
    assert!(
        csv.lines()
            .any(|l| l.starts_with("TOTAL,1795,2041,1.137,113.7,,13693,")),
        "{csv}"
    );
    let html = http
        .get(format!("{base}/reports/progress?year=2023&format=html"))
        .send()
        .await
        .expect("GET html")
        .text()
        .await
        .expect("text");
    assert!(html.contains("113.7 %") && html.contains("13,693"));
    let spots: Value = http
        .get(format!("{base}/reports/blind-spots?year=2023&radius_m=300"))
        .send()
        .await
        .expect("GET blind spots")
        .json()
        .await
        .expect("JSON");
    assert_eq!(spots["resolved_in_year"], 233);
    let bad = http
        .get(format!("{base}/reports/progress?year=2023&format=pdf"))
        .send()
        .await
        .expect("GET pdf");
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);

    // Writes: no token 401, unknown token 401, viewer 403, planner 201 then 200.
    let url = format!("{base}/sites/API-1");
    let r = http
        .put(&url)
        .json(&site_json("approved", None))
        .send()
        .await
        .expect("PUT");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(r.headers()["www-authenticate"], "Bearer");
    let r = http
        .put(&url)
        .bearer_auth("not-a-token")
        .json(&site_json("approved", None))
        .send()
        .await
        .expect("PUT");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = http
        .put(&url)
        .bearer_auth(VIEWER)
        .json(&site_json("approved", None))
        .send()
        .await
        .expect("PUT");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let body: Value = r.json().await.expect("JSON");
    assert!(
        !body.to_string().contains(VIEWER),
        "a token must never be echoed"
    );
    assert!(db.store.site("API-1").await.expect("read").is_none());

    let r = http
        .put(&url)
        .bearer_auth(PLANNER)
        .json(&site_json("approved", None))
        .send()
        .await
        .expect("PUT");
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = http
        .put(&url)
        .bearer_auth(PLANNER)
        .json(&site_json("on_air", Some("2024-05-01")))
        .send()
        .await
        .expect("PUT");
    assert_eq!(r.status(), StatusCode::OK);
    // A live site needs its on-air date.
    let r = http
        .put(&url)
        .bearer_auth(PLANNER)
        .json(&site_json("accepted", None))
        .send()
        .await
        .expect("PUT");
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let err: Value = r.json().await.expect("JSON");
    assert_eq!(
        err["error"],
        "on_air_date: required when status is accepted"
    );

    let site: Value = http
        .get(&url)
        .send()
        .await
        .expect("GET")
        .json()
        .await
        .expect("JSON");
    assert_eq!(site["town"], "石碁镇");
    assert_eq!(site["status"], "on_air");
    let history: Value = http
        .get(format!("{url}/history"))
        .send()
        .await
        .expect("GET history")
        .json()
        .await
        .expect("JSON");
    let changes: Vec<(String, String)> = history
        .as_array()
        .expect("array")
        .iter()
        .map(|c| {
            (
                c["to_status"].as_str().unwrap_or("").into(),
                c["changed_by"].as_str().unwrap_or("").into(),
            )
        })
        .collect();
    assert_eq!(
        changes,
        vec![
            ("approved".into(), "api:alice".into()),
            ("on_air".into(), "api:alice".into())
        ]
    );
    let missing = http
        .get(format!("{base}/sites/NOPE"))
        .send()
        .await
        .expect("GET");
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);

    // The new on-air site with a management address is a probe target now.
    let probes: Value = http
        .get(format!("{base}/probe-targets"))
        .send()
        .await
        .expect("GET probes")
        .json()
        .await
        .expect("JSON");
    assert!(
        probes
            .as_array()
            .expect("array")
            .iter()
            .any(|p| p["site_id"] == "API-1" && p["mgmt_ip"] == "::1")
    );

    // Targets, with a Chinese town in the path.
    let r = http
        .put(format!("{base}/targets/市桥街/2025"))
        .bearer_auth(PLANNER)
        .json(&json!({"target": 120}))
        .send()
        .await
        .expect("PUT target");
    assert_eq!(r.status(), StatusCode::CREATED);
    let t: Value = http
        .get(format!("{base}/targets?year=2025"))
        .send()
        .await
        .expect("GET targets")
        .json()
        .await
        .expect("JSON");
    assert_eq!(t, json!([{"town": "市桥街", "year": 2025, "target": 120}]));

    // Blind spots: filters and validation.
    let open: Value = http
        .get(format!("{base}/blind-spots?status=reported"))
        .send()
        .await
        .expect("GET spots")
        .json()
        .await
        .expect("JSON");
    assert!(
        open.as_array()
            .expect("array")
            .iter()
            .all(|s| s["status"] == "reported")
    );
    let r = http
        .put(format!("{base}/blind-spots/BS-NEW"))
        .bearer_auth(PLANNER)
        .json(&json!({"spot_id": "BS-NEW", "town": "大龙街", "lat": 22.97, "lon": 113.42,
                      "category": "transport", "reported_date": "2024-02-01", "status": "resolved"}))
        .send()
        .await
        .expect("PUT spot");
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);

    // With read_requires_token, reads need a known token of any role.
    let closed = format!("http://{}", serve(&db, true).await);
    let r = http
        .get(format!("{closed}/sites/API-1"))
        .send()
        .await
        .expect("GET");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = http
        .get(format!("{closed}/sites/API-1"))
        .bearer_auth(VIEWER)
        .send()
        .await
        .expect("GET");
    assert_eq!(r.status(), StatusCode::OK);
    let r = http
        .get(format!("{closed}/reports/blind-spots"))
        .send()
        .await
        .expect("GET");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

async fn nothing_more(_: &Postgres) {}

scenarios!([api_reports_and_roles], nothing_more);
