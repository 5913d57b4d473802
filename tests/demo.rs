//! `netops demo` on a bare machine: one process, and within seconds every part answers —
//! simulated routers polled (one of them down on purpose), their CPU and memory read,
//! loopback probed over IPv4 and IPv6, the district's 2023 figures reported, on-air sites
//! probed, the alert engine running, the sample drill recorded — and it says once, in one
//! line each, whether SRv6 and ICMP probes run and why not. Without privileges it still
//! runs everything else, and says what it left out instead of failing every round.

use netops_test_support::{
    ChildGuard, free_tcp_port, free_udp_port, http_get, require_binary, wait_until,
};
use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Starts the demo with `agents` agents behind `wrapper` (e.g. setpriv); its stderr goes
/// to `dir/demo.log`. A 5 s interval: a poll that outlives its interval is cut off and
/// reports nothing, and a debug build on a busy 2-core machine needs the headroom.
fn start_demo(dir: &Path, wrapper: &[&str], agents: usize) -> (ChildGuard, SocketAddr, u16) {
    let http: SocketAddr = ([127, 0, 0, 1], free_tcp_port()).into();
    let sim_port = 40_000 + (std::process::id() % 10_000) as u16 + wrapper.len() as u16 * 300;
    let program = wrapper
        .first()
        .copied()
        .unwrap_or(env!("CARGO_BIN_EXE_netops"));
    let mut command = Command::new(program);
    if !wrapper.is_empty() {
        // Another user may not be able to reach the build directory (a checkout under
        // /root is 0700): run a world-readable copy from `dir` instead.
        let copy = dir.join("netops");
        std::fs::copy(env!("CARGO_BIN_EXE_netops"), &copy).unwrap();
        std::fs::set_permissions(&copy, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
        command.args(&wrapper[1..]).arg(&copy);
    }
    command
        .args(["demo", "--interval", "5"])
        .args(["--agents", &agents.to_string()])
        .args(["--listen", &http.to_string()])
        .args(["--sim-port", &sim_port.to_string()])
        .args(["--trap-port", &free_udp_port().to_string()])
        .arg("--dir")
        .arg(dir.join("demo"))
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(dir.join("demo.log")).unwrap());
    (
        ChildGuard::spawn("netops demo", &mut command),
        http,
        sim_port,
    )
}

fn log(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("demo.log")).unwrap_or_default()
}

/// The lines of the log that start with `prefix`.
fn lines_starting<'a>(log: &'a str, prefix: &str) -> Vec<&'a str> {
    log.lines().filter(|l| l.starts_with(prefix)).collect()
}

/// Waits (up to 90 s) until every target but `down` has been seen up (a busy machine may
/// delay one poll past its timeout now and then; each target must answer at some point),
/// `down` is seen down, and `/metrics` shows every `wanted` text. Returns the last answer;
/// on timeout, fails naming what is missing, with the demo's log.
fn wait_for_metrics(
    demo: &mut ChildGuard,
    http: SocketAddr,
    dir: &Path,
    (up, down): (usize, &str),
    wanted: &[&str],
) -> String {
    let deadline = Instant::now() + Duration::from_secs(90);
    let mut seen_up = BTreeSet::new();
    let down_line = format!("netops_target_up{{target=\"{down}\"}} 0");
    loop {
        let metrics = http_get(http, "/metrics")
            .map(|(_, b)| b)
            .unwrap_or_default();
        seen_up.extend(metrics.lines().filter_map(|l| {
            l.strip_prefix("netops_target_up{target=\"")?
                .strip_suffix("\"} 1")
                .map(String::from)
        }));
        let mut missing: Vec<String> = wanted
            .iter()
            .copied()
            .chain([down_line.as_str()])
            .filter(|w| !metrics.contains(*w))
            .map(String::from)
            .collect();
        if seen_up.len() != up || seen_up.contains(down) {
            missing.push(format!("{up} targets seen up (so far {seen_up:?})"));
        }
        if missing.is_empty() {
            return metrics;
        }
        if let Ok(Some(status)) = demo.child.try_wait() {
            panic!("netops demo exited with {status}:\n{}", log(dir));
        }
        assert!(
            Instant::now() < deadline,
            "after 90 s the demo's /metrics still lacks:\n  {}\nnetops demo said:\n{}",
            missing.join("\n  "),
            log(dir)
        );
        std::thread::sleep(Duration::from_secs(1));
    }
}

#[test]
fn demo_brings_up_every_part() {
    let dir = tempfile::tempdir().unwrap();
    let (mut demo, http, sim_port) = start_demo(dir.path(), &[], 30);
    let wanted = [
        "netops_probe_success{family=\"ipv6\",path=\"plain\",protocol=\"icmp\",target=\"loopback\"} 1",
        "netops_site_probe_success{",
        "netops_alerts{",
        "netops_drill_injections_total{drill=\"demo-sample\",kind=\"link-down\"}",
    ];
    let metrics = wait_for_metrics(&mut demo, http, dir.path(), (29, "kiosk-gw-0029"), &wanted);
    demo.assert_running();
    assert!(
        metrics.contains("ifHCInOctets{"),
        "simulated interfaces polled"
    );
    assert!(
        metrics.contains("hrProcessorLoad{")
            && metrics.contains("hrStorageDescr=\"Physical memory\""),
        "simulated CPU and memory polled (HOST-RESOURCES-MIB)"
    );
    assert!(
        metrics.contains("netops_poll_errors_total{reason=\"timeout\",target=\"kiosk-gw-0029\"}"),
        "the unreachable device counts poll errors"
    );
    assert!(
        metrics.contains("netops_dualstack_port_exposure{family_open=\"ipv4_only\",port=\""),
        "the demo's own IPv4-only HTTP port is a dual-stack gap"
    );
    assert!(
        metrics.contains("town=\"市桥街\""),
        "devices carry their town"
    );
    assert!(metrics.contains("netops_sites{"), "inventory gauges");
    // SRv6: on, with its series, or off with one line saying why.
    let log_text = log(dir.path());
    let srv6 = lines_starting(&log_text, "netops demo: SRv6 probes ");
    assert_eq!(srv6.len(), 1, "one SRv6 line:\n{log_text}");
    if srv6[0].starts_with("netops demo: SRv6 probes on") {
        wait_until("the SRv6 path's series", Duration::from_secs(30), || {
            http_get(http, "/metrics").is_ok_and(|(_, b)| {
                b.contains("netops_probe_success{family=\"ipv6\",path=\"srv6:::1,::1\",protocol=\"icmp\",target=\"loopback\"} 1")
            })
        });
    } else {
        assert!(
            srv6[0].contains("seg6_enabled") || srv6[0].contains("CAP_NET_RAW"),
            "the reason names what is missing: {}",
            srv6[0]
        );
        assert!(!metrics.contains("path=\"srv6:"), "no SRv6 series when off");
    }
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
        "/api/drills",
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

#[test]
fn demo_without_privileges_runs_the_rest_and_says_what_it_left_out() {
    require_binary("/usr/bin/setpriv");
    let dir = tempfile::tempdir().unwrap();
    // The demo runs as nobody: its directory must be writable for it.
    std::fs::set_permissions(
        dir.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o777),
    )
    .unwrap();
    let nobody = [
        "/usr/bin/setpriv",
        "--reuid=nobody",
        "--regid=nogroup",
        "--clear-groups",
    ];
    let (mut demo, http, _) = start_demo(dir.path(), &nobody, 10);
    let metrics = wait_for_metrics(
        &mut demo,
        http,
        dir.path(),
        (9, "core-router-0009"),
        &[
            "hrProcessorLoad{",
            "netops_drill_injections_total{drill=\"demo-sample\"",
        ],
    );
    demo.assert_running();
    let (status, _) = http_get(http, "/reports/progress?year=2023&format=json").unwrap();
    assert_eq!(status, 200);
    let log_text = log(dir.path());
    let srv6 = lines_starting(&log_text, "netops demo: SRv6 probes off: ");
    assert_eq!(srv6.len(), 1, "SRv6 is off, said once:\n{log_text}");
    assert!(srv6[0].contains("CAP_NET_RAW"), "{}", srv6[0]);
    // ICMP works unprivileged where net.ipv4.ping_group_range lets nobody's group in;
    // elsewhere the demo says so once and leaves the probes out.
    let icmp_off = lines_starting(&log_text, "netops demo: ICMP probes off");
    if icmp_off.is_empty() {
        wait_until(
            "ICMP probes over datagram sockets",
            Duration::from_secs(30),
            || {
                http_get(http, "/metrics").is_ok_and(|(_, b)| {
                    b.contains("netops_probe_success{family=\"ipv6\",path=\"plain\",protocol=\"icmp\",target=\"loopback\"} 1")
                })
            },
        );
    } else {
        assert_eq!(icmp_off.len(), 1, "{log_text}");
        assert!(
            icmp_off[0].contains("ping_group_range") && icmp_off[0].contains("CAP_NET_RAW"),
            "{}",
            icmp_off[0]
        );
        assert!(
            !metrics.contains("netops_probe_success{"),
            "no probes when off"
        );
    }
    assert!(
        !log_text.contains("probe round failed") && !log_text.contains("SRv6 prober unavailable"),
        "no failure per probe round:\n{log_text:.3000}"
    );
}
