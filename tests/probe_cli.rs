//! `netops probe` end to end: the built binary against loopback and against network
//! namespaces this test builds (prober ── router with an SRv6 End SID ── target).

#[path = "../probes/tests/support/netns.rs"]
mod netns;

use netns::{Netns, Srv6Lab};
use serde_json::Value;
use std::process::{Command, Output};

const NETOPS: &str = env!("CARGO_BIN_EXE_netops");

fn netops(args: &[&str]) -> Output {
    Command::new(NETOPS)
        .args(args)
        .output()
        .expect("run netops")
}

/// Runs netops inside a namespace, optionally behind a wrapper (setpriv).
fn netops_in(ns: &Netns, wrapper: &[&str], args: &[&str]) -> Output {
    Command::new("ip")
        .args(["netns", "exec", &ns.name])
        .args(wrapper)
        .arg(NETOPS)
        .args(args)
        .output()
        .expect("run ip netns exec netops")
}

fn json_lines(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
        .collect()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn help_documents_every_option() {
    let out = netops(&["probe", "--help"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for word in [
        "icmp",
        "tcp",
        "udp",
        "CAP_NET_RAW",
        "ping_group_range",
        "Exit status",
    ] {
        assert!(
            text.contains(word),
            "`netops probe --help` lacks {word}:\n{text}"
        );
    }
    let out = netops(&["probe", "icmp", "--help"]);
    let text = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--count",
        "--interval",
        "--timeout",
        "--size",
        "--port",
        "--srv6-segs",
        "--dual-stack",
        "--output",
        "TARGET",
    ] {
        assert!(
            text.contains(flag),
            "`netops probe icmp --help` lacks {flag}:\n{text}"
        );
    }
}

#[test]
fn json_line_per_loopback_target() {
    let out = netops(&[
        "probe",
        "icmp",
        "-c",
        "4",
        "-i",
        "10ms",
        "-t",
        "500ms",
        "-o",
        "json",
        "127.0.0.1",
        "::1",
    ]);
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status,
        stderr(&out)
    );
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 2);
    for (line, family) in lines.iter().zip(["ipv4", "ipv6"]) {
        for key in [
            "target",
            "family",
            "protocol",
            "sent",
            "received",
            "loss_ratio",
            "rtt_ms",
            "jitter_ms",
        ] {
            assert!(line.get(key).is_some(), "missing {key}: {line}");
        }
        for key in ["min", "avg", "median", "p95", "max", "stddev"] {
            assert!(
                line["rtt_ms"][key].is_f64(),
                "rtt_ms.{key} not a number: {line}"
            );
        }
        assert_eq!(line["family"], family);
        assert_eq!(line["protocol"], "icmp");
        assert_eq!(line["sent"], 4);
        assert_eq!(line["received"], 4);
        assert_eq!(line["loss_ratio"], 0.0);
    }
}

#[test]
fn bad_usage_exits_2_with_a_reason() {
    let out = netops(&["probe", "tcp", "127.0.0.1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--port"), "{}", stderr(&out));
    let out = netops(&["probe", "icmp", "--interval", "soon", "127.0.0.1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("soon"), "{}", stderr(&out));
    let out = netops(&["probe", "icmp", "--srv6-segs", "10.0.0.1", "::1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("10.0.0.1"), "{}", stderr(&out));
}

/// Finds the line of one path (`plain` or `srv6:...`).
fn by_path<'a>(lines: &'a [Value], path: &str) -> &'a Value {
    lines
        .iter()
        .find(|l| l["path"] == path)
        .unwrap_or_else(|| panic!("no line for path {path} in {lines:?}"))
}

#[test]
fn srv6_path_is_compared_with_the_plain_path_and_fails_without_its_sid() {
    let lab = Srv6Lab::new();
    let args = [
        "probe",
        "icmp",
        "--srv6-segs",
        Srv6Lab::SID,
        "-c",
        "5",
        "-i",
        "20ms",
        "-t",
        "300ms",
        "-o",
        "json",
        Srv6Lab::T6,
    ];
    let srv6_path = format!("srv6:{}", Srv6Lab::SID);
    let out = netops_in(&lab.p, &[], &args);
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status,
        stderr(&out)
    );
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(by_path(&lines, &srv6_path)["received"], 5);
    assert_eq!(by_path(&lines, "plain")["received"], 5);

    lab.delete_sid();
    let out = netops_in(&lab.p, &[], &args);
    assert_eq!(
        out.status.code(),
        Some(1),
        "a failed path must fail the run: {}",
        stderr(&out)
    );
    let lines = json_lines(&out);
    assert_eq!(by_path(&lines, &srv6_path)["received"], 0);
    assert_eq!(by_path(&lines, &srv6_path)["loss_ratio"], 1.0);
    assert_eq!(
        by_path(&lines, "plain")["received"],
        5,
        "plain path must still work"
    );
}

#[test]
fn port_open_on_ipv6_and_closed_on_ipv4_is_reported() {
    // Bound to ::1 only; nothing on 127.0.0.1 at that port (checked by binding it).
    let listener = std::net::TcpListener::bind("[::1]:0").expect("bind ::1");
    let port = listener.local_addr().expect("addr").port();
    drop(std::net::TcpListener::bind(("127.0.0.1", port)).expect("127.0.0.1 port must be free"));
    let p = port.to_string();
    let out = netops(&[
        "probe",
        "tcp",
        "--dual-stack",
        "--port",
        &p,
        "-c",
        "2",
        "-i",
        "10ms",
        "-t",
        "500ms",
        "-o",
        "json",
        "127.0.0.1,::1",
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "IPv4 side is closed, so the run fails: {}",
        stderr(&out)
    );
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 3, "{lines:?}");
    let v4 = lines
        .iter()
        .find(|l| l["family"] == "ipv4")
        .expect("ipv4 line");
    let v6 = lines
        .iter()
        .find(|l| l["family"] == "ipv6")
        .expect("ipv6 line");
    assert_eq!(
        (&v4["port_state"], &v4["received"]),
        (&Value::from("closed"), &Value::from(0))
    );
    assert_eq!(
        (&v6["port_state"], &v6["received"]),
        (&Value::from("open"), &Value::from(2))
    );
    let summary = lines
        .iter()
        .find(|l| l.get("ports").is_some())
        .expect("dual-stack line");
    assert_eq!(summary["ports"][0]["port"], port);
    assert_eq!(summary["ports"][0]["family_open"], "ipv6_only");

    let out = netops(&[
        "probe",
        "tcp",
        "--dual-stack",
        "--port",
        &p,
        "-c",
        "1",
        "-t",
        "500ms",
        "127.0.0.1,::1",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("open on IPv6 only"), "{text}");
    drop(listener);
}

#[test]
fn missing_cap_net_raw_is_explained_then_ping_sockets_are_used() {
    netops_test_support::require_binary("/usr/bin/setpriv");
    let ns = Netns::new("cap");
    // Drop CAP_NET_RAW from the bounding and inheritable sets: root without raw sockets.
    let no_raw = ["setpriv", "--inh-caps=-net_raw", "--bounding-set=-net_raw"];
    let args = [
        "--verbose",
        "probe",
        "icmp",
        "-c",
        "3",
        "-i",
        "10ms",
        "-t",
        "500ms",
        "-o",
        "json",
        "127.0.0.1",
        "::1",
    ];
    ns.sysctl("net.ipv4.ping_group_range=1 0"); // nobody may use ping sockets
    let out = netops_in(&ns, &no_raw, &args);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("CAP_NET_RAW") && err.contains("ping_group_range"),
        "unclear error: {err}"
    );

    ns.sysctl("net.ipv4.ping_group_range=0 2147483647");
    let out = netops_in(&ns, &no_raw, &args);
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status,
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("unprivileged"),
        "fallback not reported: {}",
        stderr(&out)
    );
    for line in json_lines(&out) {
        assert_eq!(line["received"], 3, "{line}");
    }
}
