//! The daemon with the inventory and the alert engine: the district imported with
//! `netops inventory import` is served as reports, REST API and gauges; its on-air sites are
//! probed; an unreachable SNMP target fires the TargetDown rule, which reaches the real
//! Alertmanager.

use netops_test_support::alertmanager::Alertmanager;
use netops_test_support::{ChildGuard, free_tcp_port, free_udp_port, http_get, wait_until};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::time::Duration;

fn netops(args: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_netops"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// PUT with an optional bearer token; returns the status code.
fn put(addr: SocketAddr, path: &str, token: Option<&str>, body: &str) -> u16 {
    let mut s = TcpStream::connect(addr).unwrap();
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    write!(
        s,
        "PUT {path} HTTP/1.0\r\nHost: x\r\nContent-Type: application/json\r\n{auth}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    answer.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn inventory_reports_site_probes_and_alerts_to_alertmanager() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/netops.db", dir.path().display());
    let files = netops_inventory::fixture::write_district_csvs(dir.path(), 7).unwrap();
    for (kind, file) in [
        ("targets", &files.targets),
        ("sites", &files.sites),
        ("blind-spots", &files.blind_spots),
    ] {
        netops(&[
            "inventory",
            "--db",
            &db,
            "import",
            kind,
            file.to_str().unwrap(),
        ]);
    }

    let alertmanager = Alertmanager::start();
    let am = alertmanager.addr;

    std::fs::write(
        dir.path().join("test-rules.yml"),
        r#"groups:
  - name: test
    interval: 1s
    rules:
      - alert: TestTargetDown
        expr: netops_target_up == 0
        for: 2s
        labels:
          severity: critical
        annotations:
          summary: "{{ $labels.target }} does not answer SNMP"
"#,
    )
    .unwrap();
    let http: SocketAddr = ([127, 0, 0, 1], free_tcp_port()).into();
    let shipped_rules = concat!(env!("CARGO_MANIFEST_DIR"), "/alerting/rules");
    let config = format!(
        r#"
[server]
listen = "{http}"
[snmp]
interval_seconds = 1
timeout_seconds = 0.2
retries = 0
[[targets]]
name = "dead-router"
address = "127.0.0.1:{dead}"
[probes]
interval_seconds = 2
count = 1
timeout_seconds = 0.5
[inventory]
db = "{db}"
probe_sites = true
[inventory.api]
tokens = [{{ name = "alice", token = "planner-token-31", role = "planner" }}]
[alerting]
rules = ["{shipped_rules}", "{test_rules}"]
db = "{db}"
alertmanager_url = "http://{am}"
"#,
        dead = free_udp_port(),
        test_rules = dir.path().join("test-rules.yml").display(),
    );
    std::fs::write(dir.path().join("netops.toml"), config).unwrap();
    let mut daemon = ChildGuard::spawn(
        "netops serve",
        Command::new(env!("CARGO_BIN_EXE_netops"))
            .args(["serve", "--config"])
            .arg(dir.path().join("netops.toml"))
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    );
    wait_until("netops to listen", Duration::from_secs(30), || {
        http_get(http, "/-/healthy").is_ok()
    });

    // Reports and gauges from the imported district.
    let (status, body) = http_get(http, "/reports/progress?year=2023&format=json").unwrap();
    assert_eq!(status, 200, "{body}");
    let report: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(report["built"], 2041);
    assert_eq!(report["target"], 1795);
    assert_eq!(report["in_service_end_of_year"], 13693);
    let (status, html) = http_get(http, "/reports/blind-spots?format=html").unwrap();
    assert_eq!(status, 200);
    assert!(html.contains("<svg"), "HTML report with inline SVG");
    assert_eq!(
        put(
            http,
            "/targets/%E5%B8%82%E6%A1%A5%E8%A1%97/2025",
            None,
            "{\"target\": 120}"
        ),
        401
    );
    assert_eq!(
        put(
            http,
            "/targets/%E5%B8%82%E6%A1%A5%E8%A1%97/2025",
            Some("wrong"),
            "{\"target\": 120}"
        ),
        401
    );

    let mut metrics = String::new();
    wait_until(
        "site probes, inventory gauges and the alert",
        Duration::from_secs(60),
        || {
            metrics = http_get(http, "/metrics")
                .map(|(_, b)| b)
                .unwrap_or_default();
            metrics.contains("netops_site_probe_success{")
                && metrics.contains("netops_alerts{severity=\"critical\",state=\"firing\"} 1")
        },
    );
    daemon.assert_running();
    assert!(
        metrics.contains("netops_sites{status=\"on_air\",town=\"市桥街\"}"),
        "{metrics:.4000}"
    );
    assert!(metrics.contains("netops_site_target{town=\"市桥街\",year=\"2023\"}"));
    let site_up = metrics
        .lines()
        .filter(|l| l.starts_with("netops_site_probe_success{"))
        .filter(|l| l.ends_with(" 1"))
        .count();
    assert!(
        site_up > 100,
        "loopback management addresses answer: {site_up}"
    );

    let mut alerts = String::new();
    wait_until("the alert in Alertmanager", Duration::from_secs(30), || {
        alerts = http_get(am, "/api/v2/alerts?filter=alertname%3D%22TestTargetDown%22")
            .map(|(_, b)| b)
            .unwrap_or_default();
        alerts.contains("dead-router")
    });
    let v: serde_json::Value = serde_json::from_str(&alerts).unwrap();
    assert_eq!(v[0]["labels"]["severity"], "critical");
    let (status, ours) = http_get(http, "/api/alerts").unwrap();
    assert_eq!(status, 200);
    let ours: serde_json::Value = serde_json::from_str(&ours).unwrap();
    let firing = ours
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["alertname"] == "TestTargetDown")
        .expect("TestTargetDown in /api/alerts");
    assert_eq!(firing["state"], "firing");
    assert_eq!(firing["labels"]["target"], "dead-router");
    assert_eq!(
        v[0]["annotations"]["summary"],
        "dead-router does not answer SNMP"
    );
}
