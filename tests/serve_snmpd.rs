//! The daemon end to end against net-snmp's snmpd: `/metrics` carries the snmp_exporter
//! `if_mib` names and labels; Debian's Prometheus, scraping `/snmp` with an
//! snmp_exporter-style relabel config, gets the series; no secret ever shows in logs or
//! metrics.

use netops_test_support::snmpd::{Snmpd, V3_USERS};
use netops_test_support::{ChildGuard, free_tcp_port, http_get, require_binary, wait_until};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::Duration;

const LEAKY_COMMUNITY: &str = "leaky-community-9f3b";

fn series<'a>(metrics: &'a str, name: &str) -> Vec<&'a str> {
    metrics
        .lines()
        .filter(|l| l.starts_with(&format!("{name}{{")))
        .collect()
}

#[test]
fn daemon_polls_snmpd_and_prometheus_scrapes_the_snmp_endpoint() {
    let snmpd = Snmpd::start();
    let user = V3_USERS[3];
    let dir = tempfile::tempdir().unwrap();
    let http: SocketAddr = ([127, 0, 0, 1], free_tcp_port()).into();
    let config = format!(
        r#"
[server]
listen = "{http}"
[snmp]
interval_seconds = 1
timeout_seconds = 0.5
retries = 0
[auths.v3]
version = "3"
username = "{name}"
auth_protocol = "{auth}"
auth_password = "{auth_pass}"
priv_protocol = "{privacy}"
priv_password = "{priv_pass}"
[auths.leaky]
version = "2c"
community = "{LEAKY_COMMUNITY}"
[[targets]]
name = "lo-agent"
address = "{v4}"
modules = ["system", "if_mib", "ip_mib"]
labels = {{ site = "gov-cloud-a" }}
[[targets]]
name = "v3-agent"
address = "{v6}"
auth = "v3"
modules = ["if_mib"]
[[targets]]
name = "bad-community"
address = "{v4}"
auth = "leaky"
"#,
        name = user.name,
        auth = user.auth,
        auth_pass = user.auth_pass,
        privacy = user.privacy,
        priv_pass = user.priv_pass,
        v4 = snmpd.v4(),
        v6 = snmpd.v6(),
    );
    let config_path = dir.path().join("netops.toml");
    std::fs::write(&config_path, config).unwrap();
    let log_path = dir.path().join("netops.log");
    let mut daemon = ChildGuard::spawn(
        "netops serve",
        Command::new(env!("CARGO_BIN_EXE_netops"))
            .args(["serve", "--verbose", "--verbose", "--verbose", "--config"])
            .arg(&config_path)
            .env_remove("RUST_LOG")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log_path).unwrap()),
    );
    let mut metrics = String::new();
    wait_until("the three targets polled", Duration::from_secs(30), || {
        metrics = http_get(http, "/metrics")
            .map(|(_, b)| b)
            .unwrap_or_default();
        metrics.contains("netops_target_up{target=\"lo-agent\"} 1")
            && metrics.contains("netops_target_up{target=\"v3-agent\"} 1")
            && metrics.contains("netops_target_up{target=\"bad-community\"} 0")
    });
    daemon.assert_running();

    // snmp_exporter's if_mib labels: ifIndex plus the ifAlias/ifDescr/ifName lookups.
    let lo_in = series(&metrics, "ifHCInOctets")
        .into_iter()
        .find(|l| l.contains("target=\"lo-agent\"") && l.contains("ifDescr=\"lo\""))
        .unwrap_or_else(|| panic!("no ifHCInOctets for lo:\n{metrics}"));
    assert!(
        lo_in.starts_with("ifHCInOctets{ifAlias=\"\",ifDescr=\"lo\",ifIndex=\"1\",ifName=\"lo\",site=\"gov-cloud-a\",target=\"lo-agent\"} "),
        "{lo_in}"
    );
    assert!(metrics.contains("# TYPE ifHCInOctets counter"));
    assert!(
        series(&metrics, "ifOperStatus")
            .iter()
            .any(|l| l.contains("ifName=\"lo\"") && l.ends_with(" 1"))
    );
    assert!(
        series(&metrics, "sysUpTime")
            .iter()
            .any(|l| l.contains("target=\"lo-agent\""))
    );
    assert!(
        series(&metrics, "sysName")
            .iter()
            .any(|l| l.contains("target=\"lo-agent\""))
    );
    // Polls with the wrong community make snmpd count bad community names: the input of
    // the shipped SnmpBadCommunityNames rule.
    assert!(
        series(&metrics, "snmpInBadCommunityNames")
            .iter()
            .any(|l| l.contains("target=\"lo-agent\""))
    );
    assert!(
        series(&metrics, "ipSystemStatsHCInOctets")
            .iter()
            .any(|l| l.contains("ipSystemStatsIPVersion=\"2\""))
    );
    assert!(
        series(&metrics, "ifHCOutOctets")
            .iter()
            .any(|l| l.contains("target=\"v3-agent\""))
    );
    assert!(
        metrics.contains("netops_poll_errors_total{reason=\"timeout\",target=\"bad-community\"}")
    );
    assert!(series(&metrics, "netops_poll_duration_seconds").len() >= 3);

    // Prometheus scraping /snmp exactly as it would scrape snmp_exporter.
    require_binary("/usr/bin/prometheus");
    let prom: SocketAddr = ([127, 0, 0, 1], free_tcp_port()).into();
    let prom_config = format!(
        r#"
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: snmp
    metrics_path: /snmp
    params:
      module: [if_mib]
    static_configs:
      - targets: ['{target}']
    relabel_configs:
      - source_labels: [__address__]
        target_label: __param_target
      - source_labels: [__param_target]
        target_label: instance
      - target_label: __address__
        replacement: {http}
"#,
        target = snmpd.v4()
    );
    let prom_config_path = dir.path().join("prometheus.yml");
    std::fs::write(&prom_config_path, prom_config).unwrap();
    let _prometheus = ChildGuard::spawn(
        "prometheus",
        Command::new("/usr/bin/prometheus")
            .arg(format!("--config.file={}", prom_config_path.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("tsdb").display()
            ))
            .arg(format!("--web.listen-address={prom}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    );
    let query = format!(
        "/api/v1/query?query=ifOperStatus%7BifName%3D%22lo%22%2Cinstance%3D%22{}%22%7D",
        snmpd.v4().replace(':', "%3A")
    );
    let mut answer = String::new();
    wait_until(
        "Prometheus to have scraped /snmp",
        Duration::from_secs(60),
        || {
            answer = http_get(prom, &query).map(|(_, b)| b).unwrap_or_default();
            answer.contains("\"result\":[{")
        },
    );
    let v: serde_json::Value = serde_json::from_str(&answer).unwrap();
    let result = &v["data"]["result"][0];
    assert_eq!(result["metric"]["job"], "snmp");
    assert_eq!(result["metric"]["ifDescr"], "lo");
    assert_eq!(result["metric"]["ifIndex"], "1");
    assert_eq!(result["value"][1], "1", "lo is up: {answer}");
    let up = http_get(prom, "/api/v1/query?query=up%7Bjob%3D%22snmp%22%7D")
        .unwrap()
        .1;
    assert!(
        up.contains("\"value\":[") && up.contains(",\"1\"]"),
        "scrape healthy: {up}"
    );

    // No secret anywhere: logs at trace level, /metrics, /snmp answers.
    let snmp_answer = http_get(
        http,
        &format!("/snmp?target={}&module=system&auth=leaky", snmpd.v4()),
    )
    .unwrap()
    .1;
    let metrics = http_get(http, "/metrics").unwrap().1;
    drop(daemon);
    let log = std::fs::read_to_string(&log_path).unwrap();
    assert!(
        log.contains("bad-community"),
        "the failing target is logged: {log:.2000}"
    );
    for secret in [LEAKY_COMMUNITY, user.auth_pass, user.priv_pass] {
        assert!(!log.contains(secret), "secret {secret:?} in the log");
        assert!(!metrics.contains(secret), "secret {secret:?} in /metrics");
        assert!(!snmp_answer.contains(secret), "secret {secret:?} in /snmp");
    }
}

#[test]
fn snmp_endpoint_answers_like_snmp_exporter() {
    let snmpd = Snmpd::start();
    let http: SocketAddr = ([127, 0, 0, 1], free_tcp_port()).into();
    let _daemon = ChildGuard::spawn(
        "netops serve",
        Command::new(env!("CARGO_BIN_EXE_netops"))
            .args(["serve", "--listen", &http.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    );
    wait_until("netops to listen", Duration::from_secs(20), || {
        http_get(http, "/-/healthy").is_ok()
    });
    let (status, body) = http_get(
        http,
        &format!("/snmp?target={}&module=if_mib,system", snmpd.v6()),
    )
    .unwrap();
    assert_eq!(status, 200);
    assert!(
        body.contains("ifHCInOctets{ifAlias=\"\",ifDescr=\"lo\",ifIndex=\"1\",ifName=\"lo\"} "),
        "{body}"
    );
    assert!(body.contains("sysDescr{sysDescr=\"Linux"));
    assert!(
        !body.contains("target="),
        "no target label on /snmp (Prometheus sets instance)"
    );
    assert!(body.contains("netops_scrape_error{module=\"if_mib,system\",reason=\"\"} 0"));
    for (query, status_expected, text) in [
        (
            "/snmp?module=if_mib",
            400,
            "'target' parameter must be specified",
        ),
        (
            "/snmp?target=127.0.0.1&module=nope",
            400,
            "Unknown module 'nope'",
        ),
        (
            "/snmp?target=127.0.0.1&auth=nope",
            400,
            "Unknown auth 'nope'",
        ),
    ] {
        let (status, body) = http_get(http, query).unwrap();
        assert_eq!(status, status_expected, "{query}");
        assert!(body.contains(text), "{query}: {body}");
    }
    // An unreachable agent is an error metric in a successful scrape.
    let dead = format!("127.0.0.1:{}", netops_test_support::free_udp_port());
    let (status, body) = http_get(http, &format!("/snmp?target={dead}&module=system")).unwrap();
    assert_eq!(status, 200);
    assert!(
        body.contains("netops_scrape_error{module=\"system\",reason=\"timeout\"} 1"),
        "{body}"
    );
}

/// `[sinks.influxdb]` wiring: what the daemon polls reaches VictoriaMetrics over the
/// InfluxDB v2 write API, with the same names and labels.
#[test]
fn daemon_writes_line_protocol_to_victoriametrics() {
    require_binary("/usr/bin/victoria-metrics");
    let snmpd = Snmpd::start();
    let dir = tempfile::tempdir().unwrap();
    let vm: SocketAddr = ([127, 0, 0, 1], free_tcp_port()).into();
    let _victoria = ChildGuard::spawn(
        "victoria-metrics",
        Command::new("/usr/bin/victoria-metrics")
            .arg(format!(
                "-storageDataPath={}",
                dir.path().join("vm").display()
            ))
            .arg(format!("-httpListenAddr={vm}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    );
    netops_test_support::wait_for_tcp(vm, Duration::from_secs(30));
    let http: SocketAddr = ([127, 0, 0, 1], free_tcp_port()).into();
    let config = format!(
        r#"
[server]
listen = "{http}"
[snmp]
interval_seconds = 1
[[targets]]
name = "lo-agent"
address = "{v4}"
modules = ["if_mib"]
[sinks.influxdb]
url = "http://{vm}"
org = "district"
bucket = "netops"
token = "influx-token-7c1d"
flush_interval_seconds = 0.2
spool_dir = "{spool}"
"#,
        v4 = snmpd.v4(),
        spool = dir.path().join("spool").display()
    );
    let config_path = dir.path().join("netops.toml");
    std::fs::write(&config_path, config).unwrap();
    let _daemon = ChildGuard::spawn(
        "netops serve",
        Command::new(env!("CARGO_BIN_EXE_netops"))
            .args(["serve", "--config"])
            .arg(&config_path)
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    );
    let query =
        "/api/v1/query?query=ifHCInOctets_value%7Btarget%3D%22lo-agent%22%2CifName%3D%22lo%22%7D";
    let mut answer = String::new();
    wait_until(
        "line protocol in VictoriaMetrics",
        Duration::from_secs(60),
        || {
            let _ = http_get(vm, "/internal/force_flush");
            answer = http_get(vm, query).map(|(_, b)| b).unwrap_or_default();
            answer.contains("\"result\":[{")
        },
    );
    let v: serde_json::Value = serde_json::from_str(&answer).unwrap();
    let metric = &v["data"]["result"][0]["metric"];
    assert_eq!(metric["ifDescr"], "lo");
    assert_eq!(metric["ifIndex"], "1");
    let value: f64 = v["data"]["result"][0]["value"][1]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(value > 0.0, "lo has traffic: {answer}");
    let metrics = http_get(http, "/metrics").unwrap().1;
    assert!(
        metrics.contains("netops_influx_lines_sent_total "),
        "{metrics:.3000}"
    );
    assert!(!metrics.contains("influx-token-7c1d"));
}
