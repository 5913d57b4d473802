//! The daemon's probes and trap listener end to end: scheduled ICMP/TCP probes and the
//! dual-stack port comparison in `/metrics`, a blackbox_exporter-compatible `/probe` scraped
//! by Debian's Prometheus, and SNMP traps and informs sent by net-snmp's `snmptrap` and
//! `snmpinform`, with malformed datagrams counted while the listener stays up.

use netops_test_support::{
    ChildGuard, free_tcp_port, free_udp_port, http_get, require_binary, wait_until,
};
use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::process::{Command, Stdio};
use std::time::Duration;

fn start_daemon(config: &str, dir: &std::path::Path) -> ChildGuard {
    let path = dir.join("netops.toml");
    std::fs::write(&path, config).unwrap();
    ChildGuard::spawn(
        "netops serve",
        Command::new(env!("CARGO_BIN_EXE_netops"))
            .args(["serve", "--config"])
            .arg(&path)
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    )
}

#[test]
fn scheduled_probes_dual_stack_gap_and_blackbox_endpoint() {
    let dir = tempfile::tempdir().unwrap();
    // A service listening on IPv6 only: the classic dual-stack hole.
    let v6_only = TcpListener::bind("[::1]:0").unwrap();
    let port = v6_only.local_addr().unwrap().port();
    let http: SocketAddr = ([127, 0, 0, 1], free_tcp_port()).into();
    let mut daemon = start_daemon(
        &format!(
            r#"
[server]
listen = "{http}"
[probes]
interval_seconds = 1
count = 3
spacing_seconds = 0.05
timeout_seconds = 0.5
[[probe_targets]]
name = "loopback"
addresses = ["127.0.0.1", "::1"]
dual_stack_ports = [{port}]
[[probe_targets]]
name = "svc"
addresses = ["::1"]
protocol = "tcp"
port = {port}
"#
        ),
        dir.path(),
    );
    let mut metrics = String::new();
    wait_until("probe series", Duration::from_secs(30), || {
        metrics = http_get(http, "/metrics")
            .map(|(_, b)| b)
            .unwrap_or_default();
        metrics.contains("netops_probe_success{family=\"ipv6\",path=\"plain\",protocol=\"icmp\",target=\"loopback\"} 1")
            && metrics.contains("netops_probe_success{family=\"ipv4\",path=\"plain\",protocol=\"icmp\",target=\"loopback\"} 1")
            && metrics.contains("netops_dualstack_port_exposure{")
            && metrics.contains("protocol=\"tcp\",target=\"svc\"} 1")
    });
    daemon.assert_running();
    assert!(
        metrics.contains(&format!(
            "netops_dualstack_port_exposure{{family_open=\"ipv6_only\",port=\"{port}\",target=\"loopback\"}} 1"
        )),
        "{metrics}"
    );
    assert!(metrics.contains(&format!(
        "netops_dualstack_port_exposure{{family_open=\"ipv4_only\",port=\"{port}\",target=\"loopback\"}} 0"
    )));
    assert!(
        metrics.contains("netops_probe_rtt_seconds_bucket{"),
        "histogram exported"
    );
    assert!(metrics.contains("netops_probe_loss_ratio{family=\"ipv4\",path=\"plain\",protocol=\"icmp\",target=\"loopback\"} 0"));

    // blackbox_exporter's /probe, as Prometheus would scrape it.
    let (status, body) = http_get(http, "/probe?target=127.0.0.1&module=icmp").unwrap();
    assert_eq!(status, 200);
    assert!(body.contains("probe_success 1"), "{body}");
    assert!(
        body.contains("probe_icmp_duration_seconds{phase=\"rtt\"}"),
        "{body}"
    );
    let (_, body) = http_get(
        http,
        &format!("/probe?target=[::1]:{port}&module=tcp_connect"),
    )
    .unwrap();
    assert!(body.contains("probe_success 1"), "{body}");
    let (_, body) = http_get(
        http,
        &format!("/probe?target=127.0.0.1:{port}&module=tcp_connect"),
    )
    .unwrap();
    assert!(body.contains("probe_success 0"), "IPv4 is closed: {body}");
    let (status, body) = http_get(http, "/probe?target=127.0.0.1&module=http_2xx").unwrap();
    assert_eq!(
        (status, body.as_str()),
        (400, "Unknown module \"http_2xx\"\n")
    );
    let (status, _) = http_get(http, "/probe?module=icmp").unwrap();
    assert_eq!(status, 400);

    require_binary("/usr/bin/prometheus");
    let prom: SocketAddr = ([127, 0, 0, 1], free_tcp_port()).into();
    let prom_config = format!(
        r#"
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: blackbox
    metrics_path: /probe
    params:
      module: [icmp]
    static_configs:
      - targets: ['127.0.0.1', '::1']
    relabel_configs:
      - source_labels: [__address__]
        target_label: __param_target
      - source_labels: [__param_target]
        target_label: instance
      - target_label: __address__
        replacement: {http}
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
    let mut answer = String::new();
    wait_until(
        "Prometheus to scrape /probe for both targets",
        Duration::from_secs(60),
        || {
            answer = http_get(
                prom,
                "/api/v1/query?query=probe_success%7Bjob%3D%22blackbox%22%7D",
            )
            .map(|(_, b)| b)
            .unwrap_or_default();
            answer.matches("\"instance\"").count() == 2
        },
    );
    let v: serde_json::Value = serde_json::from_str(&answer).unwrap();
    for r in v["data"]["result"].as_array().unwrap() {
        assert_eq!(r["value"][1], "1", "{answer}");
    }
}

#[test]
fn traps_and_informs_become_events_and_garbage_is_counted() {
    require_binary("/usr/bin/snmptrap");
    let dir = tempfile::tempdir().unwrap();
    let http: SocketAddr = ([127, 0, 0, 1], free_tcp_port()).into();
    let trap_port = free_udp_port();
    let mut daemon = start_daemon(
        &format!(
            r#"
[server]
listen = "{http}"
[traps]
listen = "127.0.0.1:{trap_port}"
communities = ["drill-community"]
"#
        ),
        dir.path(),
    );
    wait_until("netops to listen", Duration::from_secs(20), || {
        http_get(http, "/-/healthy").is_ok()
    });
    let trap_target = format!("127.0.0.1:{trap_port}");
    let net_snmp = |tool: &str, args: &[&str]| {
        Command::new(format!("/usr/bin/{tool}"))
            .env("SNMP_PERSISTENT_DIR", dir.path().join("snmp"))
            .args(["-m", ""])
            .args(args)
            .output()
            .unwrap()
    };
    // v2c linkDown with its ifIndex varbind.
    let out = net_snmp(
        "snmptrap",
        &[
            "-v2c",
            "-c",
            "drill-community",
            &trap_target,
            "",
            "1.3.6.1.6.3.1.1.5.3",
            "1.3.6.1.2.1.2.2.1.1.7",
            "i",
            "7",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // v1 authenticationFailure (generic trap 4).
    let out = net_snmp(
        "snmptrap",
        &[
            "-v1",
            "-c",
            "drill-community",
            &trap_target,
            "1.3.6.1.4.1.8072",
            "127.0.0.1",
            "4",
            "0",
            "",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // An inform must be acknowledged, or snmpinform times out and fails.
    let out = net_snmp(
        "snmpinform",
        &[
            "-v2c",
            "-c",
            "drill-community",
            "-t",
            "2",
            "-r",
            "1",
            &trap_target,
            "",
            "1.3.6.1.6.3.1.1.5.1",
        ],
    );
    assert!(
        out.status.success(),
        "inform not acknowledged: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Unknown community and garbage: counted, not crashing.
    let out = net_snmp(
        "snmptrap",
        &[
            "-v2c",
            "-c",
            "guessed",
            &trap_target,
            "",
            "1.3.6.1.6.3.1.1.5.3",
        ],
    );
    assert!(out.status.success());
    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    for garbage in [
        &b"\x30\x82\xff\xff"[..],
        b"",
        b"GET / HTTP/1.0\r\n\r\n",
        &[0x30, 0x03, 0x02, 0x01, 0x01],
    ] {
        udp.send_to(garbage, &trap_target).unwrap();
    }
    // And the listener still works after the garbage.
    let out = net_snmp(
        "snmptrap",
        &[
            "-v2c",
            "-c",
            "drill-community",
            &trap_target,
            "",
            "1.3.6.1.6.3.1.1.5.4",
        ],
    );
    assert!(out.status.success());

    let mut metrics = String::new();
    wait_until("trap counters", Duration::from_secs(20), || {
        metrics = http_get(http, "/metrics")
            .map(|(_, b)| b)
            .unwrap_or_default();
        metrics.contains("netops_trap_events_total{kind=\"linkUp\",source=\"127.0.0.1\"} 1")
    });
    daemon.assert_running();
    for line in [
        "netops_trap_events_total{kind=\"linkDown\",source=\"127.0.0.1\"} 1",
        "netops_trap_events_total{kind=\"authenticationFailure\",source=\"127.0.0.1\"} 1",
        "netops_trap_events_total{kind=\"coldStart\",source=\"127.0.0.1\"} 1",
        "netops_trap_rejected_total{reason=\"unknown_community\"} 1",
        "netops_trap_rejected_total{reason=\"malformed\"} 4",
    ] {
        assert!(metrics.contains(line), "missing {line}:\n{metrics}");
    }
    assert!(!metrics.contains("drill-community"), "community leaked");
}
