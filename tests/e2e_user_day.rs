//! A user's day, end to end, through the built binary: start the demo; read `/metrics`;
//! scrape `/snmp` and `/probe` with Prometheus configs written for snmp_exporter and
//! blackbox_exporter; import a CSV; read the progress report; run a drill with an injected
//! link-down, see its alert in Alertmanager, read the drill report.

use netops_test_support::alertmanager::Alertmanager;
use netops_test_support::{
    ChildGuard, free_tcp_port, free_udp_port, http_get, require_binary, wait_until,
};
use std::net::SocketAddr;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

fn netops(args: &[&str], server: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_netops"))
        .args(args)
        .env("NETOPS_SERVER", server)
        .env("NETOPS_TOKEN", "demo-security-token")
        .output()
        .expect("run netops")
}

fn ok(out: Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_users_day() {
    require_binary("/usr/bin/prometheus");
    let dir = tempfile::tempdir().unwrap();

    // Alertmanager, as the security team runs it.
    let alertmanager = Alertmanager::start();
    let am = alertmanager.addr;

    // 1. Start the demo.
    let http: SocketAddr = ([127, 0, 0, 1], free_tcp_port()).into();
    let server = format!("http://{http}");
    let sim_port = 30_000 + (std::process::id() % 10_000) as u16;
    let demo_dir = dir.path().join("demo");
    let mut demo = ChildGuard::spawn(
        "netops demo",
        Command::new(env!("CARGO_BIN_EXE_netops"))
            .args(["demo", "--agents", "20", "--interval", "5"])
            .args([
                "--listen",
                &http.to_string(),
                "--sim-port",
                &sim_port.to_string(),
            ])
            .args(["--trap-port", &free_udp_port().to_string()])
            .args(["--alertmanager", &format!("http://{am}")])
            .arg("--dir")
            .arg(&demo_dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    );

    // 2. /metrics: every simulated router answers (each seen up at least once: a busy
    // machine may delay one poll past its timeout) but the one the demo keeps down.
    let mut seen_up = std::collections::BTreeSet::new();
    wait_until(
        "the demo polls its routers",
        Duration::from_secs(90),
        || {
            let m = http_get(http, "/metrics")
                .map(|(_, b)| b)
                .unwrap_or_default();
            seen_up.extend(m.lines().filter_map(|l| {
                l.strip_prefix("netops_target_up{target=\"")?
                    .strip_suffix("\"} 1")
                    .map(String::from)
            }));
            let done = seen_up.len() == 19
                && !seen_up.contains("edge-switch-0019")
                && m.contains("netops_target_up{target=\"edge-switch-0019\"} 0");
            if !done {
                // /metrics of the demo is large: ask once a second, not ten times.
                std::thread::sleep(Duration::from_secs(1));
            }
            done
        },
    );

    // 3. Prometheus with snmp_exporter- and blackbox_exporter-style scrape configs.
    let prom: SocketAddr = ([127, 0, 0, 1], free_tcp_port()).into();
    let prom_config = format!(
        r#"
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: snmp
    metrics_path: /snmp
    params: {{ module: [if_mib] }}
    static_configs: [{{ targets: ['127.0.0.1:{sim_port}'] }}]
    relabel_configs:
      - {{ source_labels: [__address__], target_label: __param_target }}
      - {{ source_labels: [__param_target], target_label: instance }}
      - {{ target_label: __address__, replacement: '{http}' }}
  - job_name: blackbox
    metrics_path: /probe
    params: {{ module: [icmp] }}
    static_configs: [{{ targets: ['::1'] }}]
    relabel_configs:
      - {{ source_labels: [__address__], target_label: __param_target }}
      - {{ source_labels: [__param_target], target_label: instance }}
      - {{ target_label: __address__, replacement: '{http}' }}
"#
    );
    std::fs::write(dir.path().join("prometheus.yml"), prom_config).unwrap();
    let _prometheus = ChildGuard::spawn(
        "prometheus",
        Command::new("/usr/bin/prometheus")
            .arg(format!(
                "--config.file={}",
                dir.path().join("prometheus.yml").display()
            ))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("tsdb").display()
            ))
            .arg(format!("--web.listen-address={prom}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    );
    wait_until(
        "Prometheus has both scrapes",
        Duration::from_secs(60),
        || {
            let snmp = http_get(
                prom,
                "/api/v1/query?query=count(ifHCInOctets%7Bjob%3D%22snmp%22%7D)",
            )
            .map(|(_, b)| b)
            .unwrap_or_default();
            let probe = http_get(
                prom,
                "/api/v1/query?query=probe_success%7Bjob%3D%22blackbox%22%7D",
            )
            .map(|(_, b)| b)
            .unwrap_or_default();
            snmp.contains("\"value\":[") && probe.contains(",\"1\"]")
        },
    );

    // 4. Import a CSV into the demo's inventory, then 5. read the progress report.
    let csv = dir.path().join("targets-2026.csv");
    std::fs::write(&csv, "town,year,target\n市桥街,2026,150\n沙头街,2026,90\n").unwrap();
    let db = format!("sqlite://{}", demo_dir.join("netops.db").display());
    ok(
        netops(
            &[
                "inventory",
                "--db",
                &db,
                "import",
                "targets",
                csv.to_str().unwrap(),
            ],
            &server,
        ),
        "import",
    );
    let (status, body) = http_get(http, "/reports/progress?year=2026&format=json").unwrap();
    assert_eq!(status, 200, "{body}");
    let report: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        report["target"], 240,
        "the imported 2026 targets: {body:.500}"
    );
    let (_, body) = http_get(http, "/reports/progress?year=2023&format=json").unwrap();
    let report: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (report["built"].as_u64(), report["target"].as_u64()),
        (Some(2041), Some(1795))
    );

    // 6. A drill with an injected link-down, once the demo's sample drill has ended (one
    // drill runs at a time; the demo ends its sample as soon as it is detected).
    wait_until(
        "the demo's sample drill to end",
        Duration::from_secs(120),
        || {
            let list = ok(netops(&["drill", "list"], &server), "drill list");
            let ended = list.contains("demo-sample") && !list.contains("\topen\t");
            if !ended {
                std::thread::sleep(Duration::from_secs(1));
            }
            ended
        },
    );
    let sample = ok(
        netops(&["drill", "report", "demo-sample", "-o", "json"], &server),
        "sample drill report",
    );
    assert!(
        sample.contains("LinkDownTrap") && sample.contains("SnmpAuthenticationFailureTrapBurst"),
        "the sample drill's injections were detected: {sample:.2000}"
    );
    ok(
        netops(
            &[
                "drill",
                "start",
                "--name",
                "e2e-drill",
                "--scope",
                "127.0.0.0/8",
            ],
            &server,
        ),
        "drill start",
    );
    ok(
        netops(
            &["drill", "inject", "link-down", "--target", "127.0.0.9"],
            &server,
        ),
        "drill inject",
    );
    let mut alerts = String::new();
    wait_until(
        "the LinkDownTrap alert in Alertmanager",
        Duration::from_secs(90),
        || {
            alerts = http_get(am, "/api/v2/alerts?filter=alertname%3D%22LinkDownTrap%22")
                .map(|(_, b)| b)
                .unwrap_or_default();
            alerts.contains("127.0.0.9")
        },
    );
    // The alert is tagged to the drill once the alert store has its history row.
    let mut drill_alerts = String::new();
    wait_until(
        "the alert tagged to the drill",
        Duration::from_secs(60),
        || {
            drill_alerts = ok(netops(&["drill", "alerts"], &server), "drill alerts");
            drill_alerts.contains("LinkDownTrap")
        },
    );
    ok(netops(&["drill", "end"], &server), "drill end");
    let report = ok(
        netops(&["drill", "report", "e2e-drill", "-o", "json"], &server),
        "drill report",
    );
    let report: serde_json::Value = serde_json::from_str(&report).unwrap();
    let text = report.to_string();
    assert!(text.contains("link-down"), "{text:.2000}");
    assert!(
        text.contains("LinkDownTrap"),
        "the injection was detected: {text:.2000}"
    );
    demo.assert_running();
}
