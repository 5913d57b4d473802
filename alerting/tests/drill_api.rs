//! The drill API served on a loopback port over a real database (SQLite file, and a
//! throwaway PostgreSQL): a scripted drill whose report figures are worked out by hand from
//! the times a manual clock gave the server, real traps decoded from a UDP socket, a real
//! TCP connect scan counted by a loopback listener, and the 401/403/404/409 answers.

use async_snmp::message::CommunityMessage;
use async_snmp::{DecodeConfig, Oid, Value};
use bytes::Bytes;
use netops_alerting::api::{DrillApiState, router};
use netops_alerting::drill::auth::{ApiToken, DrillAuthConfig};
use netops_alerting::drill::client::DrillClient;
use netops_alerting::drill::inject::{
    AUTHENTICATION_FAILURE, InjectorConfig, LINK_DOWN, SNMP_TRAP_ADDRESS_0, SNMP_TRAP_OID_0,
};
use netops_alerting::drill::metrics::drill_samples;
use netops_alerting::drill::store::DrillStore;
use netops_alerting::time::from_millis;
use netops_alerting::{AlertStore, HistoryEvent};
use netops_core::{Labels, Secret};
use serde_json::Value as Json;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU32, Ordering};
use std::time::Duration;
use tokio::net::{TcpListener, UdpSocket};

const T0: i64 = 1_800_000_000_000;
const S: i64 = 1000;
const SECURITY: &str = "sec-token-1";
const PLANNER: &str = "plan-token-1";

struct Harness {
    base: String,
    clock: Arc<AtomicI64>,
    traps: UdpSocket,
    alerts: AlertStore,
    drills: DrillStore,
}

impl Harness {
    fn set_time(&self, ms: i64) {
        self.clock.store(ms, Ordering::SeqCst);
    }
    fn client(&self, token: Option<&str>) -> DrillClient {
        DrillClient::new(&self.base, token.map(str::to_string)).unwrap()
    }
    /// Waits for one datagram (the bound only keeps a broken test from hanging).
    async fn trap(&self) -> (Oid, Vec<async_snmp::VarBind>) {
        let mut buf = vec![0u8; 65535];
        let (n, _) = tokio::time::timeout(Duration::from_secs(20), self.traps.recv_from(&mut buf))
            .await
            .expect("a trap arrives")
            .unwrap();
        let msg =
            CommunityMessage::decode(Bytes::copy_from_slice(&buf[..n]), DecodeConfig::DEFAULT)
                .expect("a valid SNMPv2c message")
                .value;
        assert_eq!(msg.community().as_bytes(), b"drillcomm");
        let (_, _, vbs) = msg.into_pdu().expect("a PDU").into_raw_parts();
        let trap_oid = vbs
            .iter()
            .find(|vb| vb.oid == Oid::from_slice(SNMP_TRAP_OID_0))
            .and_then(|vb| match &vb.value {
                Value::ObjectIdentifier(o) => Some(o.clone()),
                _ => None,
            })
            .expect("snmpTrapOID.0");
        (trap_oid, vbs)
    }
    async fn fire(&self, key: &str, name: &str, label: (&str, &str), at_ms: i64) {
        let ev = HistoryEvent {
            alert_id: key.into(),
            alertname: name.into(),
            severity: "critical".into(),
            labels: Labels::new()
                .with("alertname", name)
                .with(label.0, label.1)
                .with("category", "security"),
            event: "firing".into(),
            at_ms,
        };
        self.alerts.save(&[], &[], &[ev]).await.unwrap();
    }
}

async fn serve(db_url: &str) -> Harness {
    let alerts = AlertStore::connect(db_url).await.unwrap();
    let drills = DrillStore::connect(db_url).await.unwrap();
    let traps = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let injector = InjectorConfig {
        trap_addr: Some(traps.local_addr().unwrap()),
        community: Secret::new("drillcomm"),
        auth_failure_count: 3,
        port_scan_ports: 1..=1, // set per test
        connect_timeout: Duration::from_secs(2),
    };
    let auth = DrillAuthConfig {
        read_requires_token: false,
        tokens: vec![
            ApiToken {
                name: "soc-analyst".into(),
                token: Secret::new(SECURITY),
                roles: vec!["security".into()],
            },
            ApiToken {
                name: "planner".into(),
                token: Secret::new(PLANNER),
                roles: vec!["planner".into()],
            },
        ],
    };
    serve_with(alerts, drills, traps, auth, injector).await
}

async fn serve_with(
    alerts: AlertStore,
    drills: DrillStore,
    traps: UdpSocket,
    auth: DrillAuthConfig,
    injector: InjectorConfig,
) -> Harness {
    let clock = Arc::new(AtomicI64::new(T0));
    let c = clock.clone();
    let state = DrillApiState::new(drills.clone(), alerts.clone(), auth, injector)
        .with_clock(Arc::new(move || from_millis(c.load(Ordering::SeqCst))));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router(state)).await });
    Harness {
        base: format!("http://{addr}"),
        clock,
        traps,
        alerts,
        drills,
    }
}

/// A loopback listener that counts accepted connections.
async fn counting_listener() -> (u16, Arc<AtomicU32>) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    let n = Arc::new(AtomicU32::new(0));
    let n2 = n.clone();
    tokio::spawn(async move {
        while let Ok((_s, _)) = l.accept().await {
            n2.fetch_add(1, Ordering::SeqCst);
        }
    });
    (port, n)
}

async fn scripted_drill(db_url: &str) {
    let (scan_port, connections) = counting_listener().await;
    let alerts = AlertStore::connect(db_url).await.unwrap();
    let drills = DrillStore::connect(db_url).await.unwrap();
    let traps = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let injector = InjectorConfig {
        trap_addr: Some(traps.local_addr().unwrap()),
        community: Secret::new("drillcomm"),
        auth_failure_count: 3,
        port_scan_ports: scan_port..=scan_port,
        connect_timeout: Duration::from_secs(2),
    };
    let auth = DrillAuthConfig {
        read_requires_token: false,
        tokens: vec![ApiToken {
            name: "soc-analyst".into(),
            token: Secret::new(SECURITY),
            roles: vec!["security".into()],
        }],
    };
    let h = serve_with(alerts, drills, traps, auth, injector).await;
    let sec = h.client(Some(SECURITY));

    // An alert from before the drill must not count.
    h.fire(
        "g{alertname=\"Early\"}",
        "Early",
        ("target", "127.0.0.2"),
        T0 - 5 * S,
    )
    .await;

    h.set_time(T0);
    let run = sec
        .start("provincial-2026", &["127.0.0.0/8".into()])
        .await
        .unwrap();
    assert_eq!(run["start_ms"], T0);
    assert!(run["end_ms"].is_null());

    // link-down at +10 s: one real trap.
    h.set_time(T0 + 10 * S);
    let inj = sec
        .inject("link-down", "127.0.0.2", Some("pulled uplink"), Some(7))
        .await
        .unwrap();
    assert_eq!(inj["id"], "inj-1");
    assert_eq!(inj["at_ms"], T0 + 10 * S);
    assert_eq!(inj["effect"]["traps_sent"], 1, "{inj}");
    let (oid, vbs) = h.trap().await;
    assert_eq!(oid, Oid::from_slice(LINK_DOWN));
    assert!(
        vbs.iter()
            .any(|vb| vb.oid == Oid::from_slice(SNMP_TRAP_ADDRESS_0)
                && vb.value == Value::IpAddress([127, 0, 0, 2]))
    );
    assert!(
        vbs.iter()
            .any(|vb| vb.oid == Oid::parse("1.3.6.1.2.1.2.2.1.8.7").unwrap()
                && vb.value == Value::Integer(2)),
        "ifOperStatus.7 = down"
    );

    // auth-failure-burst at +20 s: three traps.
    h.set_time(T0 + 20 * S);
    let inj = sec
        .inject("auth-failure-burst", "127.0.0.3", None, None)
        .await
        .unwrap();
    assert_eq!(inj["id"], "inj-2");
    assert_eq!(inj["effect"]["traps_sent"], 3);
    for _ in 0..3 {
        assert_eq!(h.trap().await.0, Oid::from_slice(AUTHENTICATION_FAILURE));
    }

    // port-scan at +30 s: a real connect to the counting listener.
    h.set_time(T0 + 30 * S);
    let inj = sec
        .inject("port-scan", "127.0.0.1", None, None)
        .await
        .unwrap();
    assert_eq!(inj["id"], "inj-3");
    assert_eq!(inj["effect"]["ports_tried"], 1);
    assert_eq!(inj["effect"]["ports_open"], 1);
    // The scan connected (and closed) before answering; the accept loop may lag a moment.
    for _ in 0..200 {
        if connections.load(Ordering::SeqCst) > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(connections.load(Ordering::SeqCst), 1);

    // Outside the scope: refused, not recorded.
    let err = sec
        .inject("port-scan", "192.0.2.1", None, None)
        .await
        .unwrap_err();
    assert_eq!(err.status, Some(400), "{err}");
    let err = sec
        .inject("ddos", "127.0.0.1", None, None)
        .await
        .unwrap_err();
    assert_eq!(err.status, Some(400), "{err}");

    // What fired: the auth failures detected at +35 s (TTD 15 s), the link at +40 s (TTD
    // 30 s); the scan is missed; a CPU alert in scope is a false alarm; an alert outside
    // the scope on no injected target is not the drill's.
    let link_key = "g{alertname=\"LinkDown\",target=\"127.0.0.2\"}";
    let auth_key = "g{alertname=\"SnmpAuthFailures\",source=\"127.0.0.3\"}";
    h.fire(
        auth_key,
        "SnmpAuthFailures",
        ("source", "127.0.0.3"),
        T0 + 35 * S,
    )
    .await;
    h.fire(link_key, "LinkDown", ("target", "127.0.0.2"), T0 + 40 * S)
        .await;
    h.fire(
        "g{alertname=\"Other\"}",
        "Other",
        ("target", "10.9.9.9"),
        T0 + 45 * S,
    )
    .await;
    h.fire(
        "g{alertname=\"HighCpu\"}",
        "HighCpu",
        ("instance", "127.0.0.9:9100"),
        T0 + 50 * S,
    )
    .await;

    h.set_time(T0 + 55 * S);
    let tagged = sec.current_alerts().await.unwrap();
    let names: Vec<&str> = tagged
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["alertname"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["SnmpAuthFailures", "LinkDown", "HighCpu"]);

    // Acks: the link by its plain key at +60 s (TTA 20 s), the auth failures by drill alert
    // id at +70 s (TTA 35 s).
    h.set_time(T0 + 60 * S);
    let ack = sec.ack(link_key, "alice").await.unwrap();
    assert_eq!(
        ack["resolved_alert_id"],
        format!("{link_key}@{}", T0 + 40 * S)
    );
    h.set_time(T0 + 70 * S);
    sec.ack(&format!("{auth_key}@{}", T0 + 35 * S), "bob")
        .await
        .unwrap();
    let err = sec.ack("g{nope}", "bob").await.unwrap_err();
    assert_eq!(err.status, Some(404), "{err}");

    h.set_time(T0 + 80 * S);
    let ended = sec.end().await.unwrap();
    assert_eq!(ended["end_ms"], T0 + 80 * S);
    assert_eq!(sec.end().await.unwrap_err().status, Some(404));

    let report: Json =
        serde_json::from_str(&sec.report("provincial-2026", "json").await.unwrap()).unwrap();
    assert_eq!(report["injections"], 3);
    assert_eq!(report["detected"], 2);
    assert_eq!(report["mttd_seconds"], 22.5, "(15 + 30) / 2");
    assert_eq!(report["mtta_seconds"], 27.5, "(20 + 35) / 2");
    assert!((report["detection_coverage"].as_f64().unwrap() - 2.0 / 3.0).abs() < 1e-12);
    assert_eq!(report["missed"], serde_json::json!(["inj-3"]));
    let incidents = report["incidents"].as_array().unwrap();
    assert_eq!(incidents[0]["kind"], "link-down");
    assert_eq!(incidents[0]["time_to_detect_seconds"], 30.0);
    assert_eq!(incidents[0]["acknowledged_by"], "alice");
    assert_eq!(incidents[0]["time_to_acknowledge_seconds"], 20.0);
    assert_eq!(incidents[1]["time_to_detect_seconds"], 15.0);
    assert_eq!(incidents[1]["acknowledged_by"], "bob");
    let false_alarms: Vec<&str> = report["false_alarms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["alertname"].as_str().unwrap())
        .collect();
    assert_eq!(false_alarms, ["HighCpu"]);

    let md = sec.report("provincial-2026", "md").await.unwrap();
    assert!(md.contains("provincial-2026"), "{md}");
    let html = sec.report("provincial-2026", "html").await.unwrap();
    assert!(html.contains("<svg"), "HTML report has its timeline");
    assert_eq!(
        sec.report("provincial-2026", "pdf")
            .await
            .unwrap_err()
            .status,
        Some(400)
    );
    assert_eq!(
        sec.report("nope", "json").await.unwrap_err().status,
        Some(404)
    );

    let list = h.client(None).list().await.unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);

    // Metrics from the tables.
    let samples = drill_samples(&h.drills, from_millis(T0 + 90 * S))
        .await
        .unwrap();
    let find = |name: &str, kind: Option<&str>| {
        samples
            .iter()
            .find(|s| s.name == name && kind.is_none_or(|k| s.labels.get("kind") == Some(k)))
            .map(|s| s.value)
    };
    assert_eq!(find("netops_drill_active", None), Some(0.0));
    assert_eq!(
        find("netops_drill_injections_total", Some("port-scan")),
        Some(1.0)
    );
    assert_eq!(
        find("netops_drill_injections_total", Some("link-down")),
        Some(1.0)
    );
    assert_eq!(find("netops_drill_acks_total", None), Some(2.0));

    // A second drill may start once the first ended; its name must be new.
    h.set_time(T0 + 100 * S);
    assert_eq!(
        sec.start("provincial-2026", &[]).await.unwrap_err().status,
        Some(409)
    );
    sec.start("followup", &[]).await.unwrap();
    let samples = drill_samples(&h.drills, from_millis(T0 + 101 * S))
        .await
        .unwrap();
    assert!(samples.iter().any(|s| s.name == "netops_drill_active"
        && s.labels.get("drill") == Some("followup")
        && s.value == 1.0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scripted_drill_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("netops.db").display());
    scripted_drill(&url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scripted_drill_on_postgres() {
    let pg = netops_test_support::postgres::Postgres::start();
    scripted_drill(&pg.url()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_need_the_security_role() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("netops.db").display());
    let h = serve(&url).await;
    let http = reqwest::Client::new();
    let start = || {
        http.post(format!("{}/api/drills", h.base))
            .json(&serde_json::json!({"name": "d", "scope": ["10.0.0.0/8"]}))
    };

    let r = start().send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["www-authenticate"], "Bearer");
    let r = start().bearer_auth("wrong").send().await.unwrap();
    assert_eq!(r.status(), 401);
    let r = start().bearer_auth(PLANNER).send().await.unwrap();
    assert_eq!(r.status(), 403);
    let body: Json = r.json().await.unwrap();
    let msg = body["error"].as_str().unwrap();
    assert!(msg.contains("security") && !msg.contains(PLANNER), "{msg}");
    for path in [
        "/api/drills/current/end",
        "/api/drills/current/injections",
        "/api/drills/current/acks",
    ] {
        let r = http.post(format!("{}{path}", h.base)).send().await.unwrap();
        assert_eq!(r.status(), 401, "{path}");
    }
    // Nothing was started by the refused requests; reads are open.
    let r = http
        .get(format!("{}/api/drills", h.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Json>().await.unwrap(), serde_json::json!([]));
    let r = http
        .get(format!("{}/api/drills/current", h.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);

    // The client explains the refusals.
    let err = h.client(None).start("d", &[]).await.unwrap_err();
    assert!(err.message.contains("NETOPS_TOKEN"), "{err}");
    let err = h.client(Some(PLANNER)).end().await.unwrap_err();
    assert_eq!(err.status, Some(403));
    assert!(err.message.contains("lacks role security"), "{err}");

    // Bad input is 400 with the field named; a second open drill is 409.
    let r = start()
        .bearer_auth(SECURITY)
        .json(&serde_json::json!({"name": "d", "scope": ["10.0.0.0/33"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("scope"));
    let r = http
        .post(format!("{}/api/drills", h.base))
        .bearer_auth(SECURITY)
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let sec = h.client(Some(SECURITY));
    let err = sec
        .inject("probe-loss", "10.0.0.1", None, None)
        .await
        .unwrap_err();
    assert_eq!(err.status, Some(404), "no drill open: {err}");
    sec.start("d", &["10.0.0.0/8".into()]).await.unwrap();
    assert_eq!(sec.start("e", &[]).await.unwrap_err().status, Some(409));
    let inj = sec
        .inject("probe-loss", "10.0.0.1", None, None)
        .await
        .unwrap();
    assert_eq!(inj["effect"]["traps_sent"], 0);
    assert!(
        inj["effect"]["action"]
            .as_str()
            .unwrap()
            .contains("recorded only")
    );
    // Nothing was sent for probe-loss.
    let mut buf = [0u8; 16];
    assert!(h.traps.try_recv_from(&mut buf).is_err());

    // Unreachable daemon: a clear message.
    let port = netops_test_support::free_tcp_port();
    let err = DrillClient::new(&format!("http://127.0.0.1:{port}"), None)
        .unwrap()
        .list()
        .await
        .unwrap_err();
    assert!(
        err.message.contains("cannot reach the netops daemon"),
        "{err}"
    );
    drop(h.alerts);
}
