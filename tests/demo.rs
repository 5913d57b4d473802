//! `netops demo` on a bare machine: one process, and within seconds every part answers —
//! simulated routers polled, loopback probed over IPv4 and IPv6, the district's 2023
//! figures reported, on-air sites probed, the alert engine running.

use netops_test_support::{ChildGuard, free_tcp_port, free_udp_port, http_get, wait_until};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::Duration;

#[test]
fn demo_brings_up_every_part() {
    let dir = tempfile::tempdir().unwrap();
    let http: SocketAddr = ([127, 0, 0, 1], free_tcp_port()).into();
    let sim_port = 40_000 + (std::process::id() % 10_000) as u16;
    let mut demo = ChildGuard::spawn(
        "netops demo",
        Command::new(env!("CARGO_BIN_EXE_netops"))
            .args(["demo", "--agents", "30", "--interval", "2"])
            .args([
                "--listen",
                &http.to_string(),
                "--sim-port",
                &sim_port.to_string(),
            ])
            .args(["--trap-port", &free_udp_port().to_string()])
            .arg("--dir")
            .arg(dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null()),
    );
    let mut metrics = String::new();
    wait_until(
        "every part of the demo to report",
        Duration::from_secs(90),
        || {
            metrics = http_get(http, "/metrics")
                .map(|(_, b)| b)
                .unwrap_or_default();
            metrics.lines().filter(|l| l.starts_with("netops_target_up{") && l.ends_with(" 1")).count() == 30
            && metrics.contains("netops_probe_success{family=\"ipv6\",path=\"plain\",protocol=\"icmp\",target=\"loopback\"} 1")
            && metrics.contains("netops_site_probe_success{")
            && metrics.contains("netops_alerts{")
        },
    );
    demo.assert_running();
    assert!(
        metrics.contains("ifHCInOctets{"),
        "simulated interfaces polled"
    );
    assert!(
        metrics.contains("town=\"市桥街\""),
        "devices carry their town"
    );
    assert!(metrics.contains("netops_sites{"), "inventory gauges");
    let (_, body) = http_get(http, "/reports/progress?year=2023&format=json").unwrap();
    let report: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (report["built"].as_u64(), report["target"].as_u64()),
        (Some(2041), Some(1795))
    );
    let (status, index) = http_get(http, "/").unwrap();
    assert_eq!(status, 200);
    for link in [
        "/metrics",
        "/snmp?",
        "/probe?",
        "/reports/progress",
        "/reports/blind-spots",
        "/api/alerts",
    ] {
        assert!(index.contains(link), "home page links {link}");
    }
    let (_, snmp) = http_get(
        http,
        &format!("/snmp?target=127.0.0.1:{sim_port}&module=if_mib"),
    )
    .unwrap();
    assert!(snmp.contains("ifHCInOctets{"), "{snmp:.500}");
    drop(demo);
}
