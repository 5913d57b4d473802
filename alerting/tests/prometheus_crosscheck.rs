//! Cross-checks the evaluator against the real Prometheus (Debian's 2.x): the same samples
//! are backfilled with `promtool tsdb create-blocks-from openmetrics`, Prometheus is started
//! on that TSDB, and each query is run by both at the same instants. Values must be
//! bit-identical (Prometheus prints shortest round-trip floats, so this is exact): the
//! evaluator follows Prometheus' operation order (rate factor, Kahan sums, running means).

use netops_alerting::time::from_millis;
use netops_alerting::{Evaluator, SampleStore};
use netops_core::{Labels, Sample, Sink};
use netops_test_support::{ChildGuard, free_tcp_port, http_get, require_binary, wait_until};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

/// 2023-11-14T22:13:20Z: fixed, so results are reproducible (Prometheus keeps it thanks to
/// a long retention).
const T0: i64 = 1_700_000_000_000;

fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs.iter().copied().collect()
}

/// Irregular-ish data: counters with resets, a counter starting near zero, gaps, gauges.
fn samples() -> Vec<Sample> {
    let mut out = Vec::new();
    for i in 0..=80i64 {
        let t = T0 + i * 15_000;
        let at = from_millis(t);
        let if1 = labels(&[("target", "r1"), ("ifIndex", "1")]);
        let if2 = labels(&[("target", "r1"), ("ifIndex", "2")]);
        let if3 = labels(&[("target", "r2"), ("ifIndex", "1")]);
        out.push(Sample::counter(
            "ifHCInOctets",
            if1.clone(),
            1000.0 * i as f64 + 7.0 * (i * i % 13) as f64,
            at,
        ));
        let v2 = if i < 30 {
            5000.0 + 500.0 * i as f64
        } else if i < 55 {
            300.0 * (i - 30) as f64
        } else {
            10.0 * (i - 55) as f64
        };
        out.push(Sample::counter("ifHCInOctets", if2.clone(), v2, at));
        // A counter that starts near zero half-way through (extrapolation stops at zero).
        if i >= 40 {
            out.push(Sample::counter(
                "ifHCInOctets",
                if3.clone(),
                3.0 + 250.0 * (i - 40) as f64,
                at,
            ));
        }
        // Irregular sampling with gaps, so extrapolation thresholds matter.
        if (i * i * 7) % 5 != 0 && !(44..52).contains(&i) {
            out.push(Sample::counter(
                "ifHCOutOctets",
                if1.clone(),
                40.0 + 900.0 * i as f64,
                at,
            ));
        }
        out.push(Sample::gauge("ifOperStatus", if1.clone(), 1.0, at));
        out.push(Sample::gauge(
            "ifOperStatus",
            if2.clone(),
            if (40..60).contains(&i) { 2.0 } else { 1.0 },
            at,
        ));
        out.push(Sample::gauge("ifAdminStatus", if1.clone(), 1.0, at));
        out.push(Sample::gauge("ifAdminStatus", if2.clone(), 1.0, at));
        out.push(Sample::gauge(
            "netops_target_up",
            labels(&[("target", "r1")]),
            1.0,
            at,
        ));
        // r2 stops reporting at 300 s, comes back at 900 s.
        if i <= 20 || i >= 60 {
            out.push(Sample::gauge(
                "netops_target_up",
                labels(&[("target", "r2")]),
                0.0,
                at,
            ));
        }
        // Uptime in hundredths of a second; the device reboots at 600 s.
        let up = if i < 40 {
            5_000_000 + 1500 * i
        } else {
            1500 * (i - 40) + 200
        };
        out.push(Sample::gauge(
            "sysUpTime",
            labels(&[("target", "r1")]),
            up as f64,
            at,
        ));
        out.push(Sample::gauge("ifHighSpeed", if1.clone(), 0.001, at));
        // Probe success per family and path: SRv6 fails 450–900 s, IPv6 plain flaps.
        for fam in ["ipv4", "ipv6"] {
            for path in ["plain", "srv6:gov"] {
                let ok = match (fam, path) {
                    (_, "srv6:gov") => !(30..60).contains(&i),
                    ("ipv6", _) => i % 3 != 0,
                    _ => true,
                };
                out.push(Sample::gauge(
                    "netops_probe_success",
                    labels(&[
                        ("target", "r1"),
                        ("family", fam),
                        ("protocol", "icmp"),
                        ("path", path),
                    ]),
                    if ok { 1.0 } else { 0.0 },
                    at,
                ));
            }
        }
        for (fam, base) in [("ipv4", 0.010), ("ipv6", 0.013)] {
            out.push(Sample::gauge(
                "netops_probe_rtt_median_seconds",
                labels(&[("target", "r1"), ("family", fam)]),
                base + 0.001 * ((i * 7) % 5) as f64,
                at,
            ));
        }
    }
    out
}

fn openmetrics(samples: &[Sample]) -> String {
    // Families must be contiguous; within a series, time must increase.
    let mut by_family: BTreeMap<&str, Vec<&Sample>> = BTreeMap::new();
    for s in samples {
        by_family.entry(&s.name).or_default().push(s);
    }
    let mut out = String::new();
    for (name, list) in by_family {
        // Declared as gauges: PromQL does not look at the type, and OpenMetrics counters
        // would need a `_total` suffix.
        writeln!(out, "# TYPE {name} gauge").unwrap();
        for s in list {
            let ms = netops_alerting::time::to_millis(s.time);
            writeln!(
                out,
                "{name}{} {} {}.{:03}",
                s.labels,
                s.value,
                ms / 1000,
                ms % 1000
            )
            .unwrap();
        }
    }
    out.push_str("# EOF\n");
    out
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Runs an instant query; returns label set (as our `Labels` display) → value.
fn prom_query(addr: SocketAddr, q: &str, at_ms: i64) -> BTreeMap<String, f64> {
    let path = format!(
        "/api/v1/query?query={}&time={}.{:03}",
        percent_encode(q),
        at_ms / 1000,
        at_ms % 1000
    );
    let (status, body) = http_get(addr, &path).expect("query Prometheus");
    assert_eq!(status, 200, "{q}: {body}");
    let v: serde_json::Value = serde_json::from_str(&body).expect("JSON answer");
    let data = &v["data"];
    let mut out = BTreeMap::new();
    let parse = |x: &serde_json::Value| -> f64 {
        match x[1].as_str().unwrap() {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            s => s.parse().unwrap(),
        }
    };
    match data["resultType"].as_str() {
        Some("vector") => {
            for r in data["result"].as_array().unwrap() {
                let l: Labels = r["metric"]
                    .as_object()
                    .unwrap()
                    .iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
                    .collect();
                out.insert(l.to_string(), parse(&r["value"]));
            }
        }
        Some("scalar") => {
            out.insert("{}".to_string(), parse(&data["result"]));
        }
        other => panic!("{q}: unexpected result type {other:?}: {body}"),
    }
    out
}

fn ours(ev: &Evaluator, q: &str, at_ms: i64) -> BTreeMap<String, f64> {
    let expr = promql_parser::parser::parse(q).expect("parse");
    netops_alerting::rules::support::check(&expr).expect("supported");
    ev.eval_vector(&expr, from_millis(at_ms))
        .unwrap_or_else(|e| panic!("{q}: {e}"))
        .into_iter()
        .map(|e| (e.labels.to_string(), e.value))
        .collect()
}

#[test]
fn evaluator_agrees_with_real_prometheus() {
    require_binary("/usr/bin/prometheus");
    require_binary("/usr/bin/promtool");
    let dir = tempfile::tempdir().unwrap();
    let data = samples();
    let om = dir.path().join("data.om");
    std::fs::write(&om, openmetrics(&data)).unwrap();
    let tsdb = dir.path().join("tsdb");
    let out = Command::new("/usr/bin/promtool")
        .args(["tsdb", "create-blocks-from", "openmetrics"])
        .arg(&om)
        .arg(&tsdb)
        .output()
        .expect("run promtool");
    assert!(
        out.status.success(),
        "promtool backfill failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let config = dir.path().join("prometheus.yml");
    std::fs::write(
        &config,
        "global:\n  scrape_interval: 1m\nscrape_configs: []\n",
    )
    .unwrap();
    let port = free_tcp_port();
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let mut prom = ChildGuard::spawn(
        "prometheus",
        Command::new("/usr/bin/prometheus")
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.tsdb.path={}", tsdb.display()))
            .arg("--storage.tsdb.retention.time=100y")
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    );
    wait_until("Prometheus to be ready", Duration::from_secs(60), || {
        matches!(http_get(addr, "/-/ready"), Ok((200, _)))
    });
    prom.assert_running();

    let store = Arc::new(SampleStore::new(Duration::from_secs(7200)));
    store.accept(data.into());
    let ev = Evaluator::new(store);

    // Every shipped rule's expression too: the rules mean the same to both.
    let shipped =
        netops_alerting::RuleSet::load(&[
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules")
        ])
        .expect("shipped rules load");
    let shipped_exprs: Vec<String> = shipped
        .groups
        .iter()
        .flat_map(|g| g.rules.iter().map(|r| r.expr_text.clone()))
        .collect();
    let queries = [
        "ifOperStatus",
        "netops_target_up",
        "ifOperStatus != ifAdminStatus",
        "ifOperStatus > bool 1",
        "2 > bool ifOperStatus",
        "ifOperStatus - on(target, ifIndex) ifAdminStatus",
        "ifOperStatus * ignoring(ifIndex) group_left netops_target_up",
        "ifOperStatus * on(target) group_left(site) target_info",
        "target_info * on(target) group_right(site) ifOperStatus",
        "ifOperStatus > bool on(target) group_left(site, region) target_info",
        "target_info < on(target) group_right ifOperStatus",
        "ifOperStatus > ignoring(ifIndex) netops_target_up",
        "rate(ifHCInOctets[5m])",
        "rate(ifHCInOctets[1m])",
        "rate(ifHCOutOctets[5m])",
        "increase(ifHCOutOctets[3m])",
        "irate(ifHCOutOctets[3m])",
        "increase(ifHCInOctets[10m])",
        "irate(ifHCInOctets[2m])",
        "rate(ifHCInOctets{ifIndex=\"2\"}[7m]) * 8 / 1e6",
        "avg_over_time(netops_probe_rtt_median_seconds[3m])",
        "min_over_time(netops_probe_rtt_median_seconds[3m])",
        "max_over_time(netops_probe_rtt_median_seconds[3m])",
        "sum_over_time(netops_probe_rtt_median_seconds[3m])",
        "count_over_time(netops_target_up[10m])",
        "sum by (target) (rate(ifHCInOctets[5m]))",
        "avg without (ifIndex) (ifOperStatus)",
        "max by (family) (netops_probe_rtt_median_seconds)",
        "min(netops_probe_rtt_median_seconds)",
        "count(ifOperStatus == 2)",
        "netops_probe_rtt_median_seconds{family=\"ipv6\"} > ignoring(family) 1.2 * netops_probe_rtt_median_seconds{family=\"ipv4\"}",
        "ifOperStatus and on(target) netops_target_up == 1",
        "netops_target_up == 0 or ifOperStatus",
        "ifOperStatus unless ifOperStatus == 2",
        "absent(netops_target_up{target=\"r2\"})",
        "absent(nope{a=\"b\"})",
        "netops_target_up offset 10m",
        "-ifOperStatus % 3 ^ 2",
    ];
    // Instants on and off the sample grid, including lookback and range edges.
    let instants = [
        T0 + 660_000,
        T0 + 780_000,
        T0 + 600_000,
        T0 + 607_500,
        T0 + 300_000 + 300_000,
        T0 + 300_000 + 300_001,
        T0 + 451_234,
        T0 + 1_200_000,
        T0 + 1_230_000,
    ];
    let mut failures = Vec::new();
    let mut compared = 0;
    let mut nonempty_rules = 0;
    for q in queries
        .iter()
        .copied()
        .chain(shipped_exprs.iter().map(String::as_str))
    {
        for &at in &instants {
            let want = prom_query(addr, q, at);
            let got = ours(&ev, q, at);
            compared += want.len();
            if shipped_exprs.iter().any(|e| e == q) && !want.is_empty() {
                nonempty_rules += 1;
            }
            let same_keys = want.keys().eq(got.keys());
            let close = same_keys
                && want.iter().all(|(k, w)| {
                    let g = got[k];
                    (w.is_nan() && g.is_nan()) || w.to_bits() == g.to_bits()
                });
            if !close {
                failures.push(format!(
                    "{q} @ T0+{}ms\n  prometheus: {want:?}\n  netops:     {got:?}",
                    at - T0
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // The dataset makes several shipped rules true at some instant (reboot, SRv6 down,
    // IPv6 worse, utilisation over 90 %).
    assert!(
        nonempty_rules >= 4,
        "only {nonempty_rules} rule evaluations were non-empty"
    );
    assert!(compared > 300, "too few values compared: {compared}");
    eprintln!("compared {compared} values with Prometheus");
}
