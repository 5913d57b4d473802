//! Table tests: expression + recorded samples → expected vector.

use super::*;
use crate::time::from_millis;
use netops_core::{Sample, Sink};

const T0: i64 = 1_700_000_000_000;

fn l(pairs: &[(&str, &str)]) -> Labels {
    pairs.iter().copied().collect()
}

/// 41 samples 15 s apart over [T0, T0+600 s].
fn fixture() -> Arc<SampleStore> {
    let store = Arc::new(SampleStore::new(Duration::from_secs(3600)));
    let mut batch = Vec::new();
    for i in 0..=40i64 {
        let t = from_millis(T0 + i * 15_000);
        let if1 = l(&[("target", "r1"), ("ifIndex", "1")]);
        let if2 = l(&[("target", "r1"), ("ifIndex", "2")]);
        // Steady 1000 bytes per 15 s.
        batch.push(Sample::counter(
            "ifHCInOctets",
            if1.clone(),
            1000.0 * i as f64,
            t,
        ));
        // Resets to 0 at i = 20 (300 s), then grows 500 per step.
        let v2 = if i < 20 {
            5000.0 + 500.0 * i as f64
        } else {
            500.0 * (i - 20) as f64
        };
        batch.push(Sample::counter("ifHCInOctets", if2.clone(), v2, t));
        batch.push(Sample::gauge("ifOperStatus", if1.clone(), 1.0, t));
        batch.push(Sample::gauge("ifOperStatus", if2.clone(), 2.0, t));
        batch.push(Sample::gauge("ifAdminStatus", if1.clone(), 1.0, t));
        batch.push(Sample::gauge("ifAdminStatus", if2.clone(), 1.0, t));
        batch.push(Sample::gauge(
            "netops_target_up",
            l(&[("target", "r1")]),
            1.0,
            t,
        ));
        if i <= 13 {
            // r2 stops reporting at 195 s: at 600 s it is beyond the 5-minute lookback.
            batch.push(Sample::gauge(
                "netops_target_up",
                l(&[("target", "r2")]),
                0.0,
                t,
            ));
        }
        // A gauge that moves: 10, 20, 30, 40, 10, 20, …
        batch.push(Sample::gauge(
            "netops_probe_rtt_median_seconds",
            l(&[("target", "r1"), ("family", "ipv4")]),
            0.01 * ((i % 4) + 1) as f64,
            t,
        ));
        batch.push(Sample::gauge(
            "netops_probe_rtt_median_seconds",
            l(&[("target", "r1"), ("family", "ipv6")]),
            0.05,
            t,
        ));
    }
    store.accept(batch.into());
    store
}

fn run_at(store: &Arc<SampleStore>, q: &str, at_ms: i64) -> Result<Vec<String>, String> {
    let expr = promql_parser::parser::parse(q).map_err(|e| format!("parse {q}: {e}"))?;
    crate::rules::support::check(&expr).map_err(|e| e.0)?;
    let ev = Evaluator::new(store.clone());
    let mut v: Vec<String> = ev
        .eval_vector(&expr, from_millis(at_ms))
        .map_err(|e| e.0)?
        .into_iter()
        .map(|e| format!("{} {}", e.labels, round(e.value)))
        .collect();
    v.sort();
    Ok(v)
}

fn round(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

#[test]
fn expression_table() {
    let store = fixture();
    let at = T0 + 600_000;
    let cases: &[(&str, &[&str])] = &[
        // Selectors and matchers; r2 is stale.
        (
            "netops_target_up",
            &[r#"{__name__="netops_target_up",target="r1"} 1"#],
        ),
        ("netops_target_up{target=\"r2\"}", &[]),
        (
            "ifOperStatus{ifIndex=\"2\"}",
            &[r#"{__name__="ifOperStatus",ifIndex="2",target="r1"} 2"#],
        ),
        (
            "ifOperStatus{ifIndex!=\"2\"}",
            &[r#"{__name__="ifOperStatus",ifIndex="1",target="r1"} 1"#],
        ),
        (
            "ifOperStatus{ifIndex=~\"1|3\"}",
            &[r#"{__name__="ifOperStatus",ifIndex="1",target="r1"} 1"#],
        ),
        (
            "ifOperStatus{ifIndex!~\"1.*\"}",
            &[r#"{__name__="ifOperStatus",ifIndex="2",target="r1"} 2"#],
        ),
        (
            "{__name__=~\"ifOper.*\", ifIndex=\"1\"}",
            &[r#"{__name__="ifOperStatus",ifIndex="1",target="r1"} 1"#],
        ),
        // Literals and scalar arithmetic.
        ("1 + 2 * 3", &["{} 7"]),
        ("2 ^ 3 % 5", &["{} 3"]),
        ("1 < bool 2", &["{} 1"]),
        // Comparisons filter and keep the name; bool drops it.
        (
            "ifOperStatus != 1",
            &[r#"{__name__="ifOperStatus",ifIndex="2",target="r1"} 2"#],
        ),
        (
            "ifOperStatus > bool 1",
            &[
                r#"{ifIndex="1",target="r1"} 0"#,
                r#"{ifIndex="2",target="r1"} 1"#,
            ],
        ),
        (
            "1 < ifOperStatus",
            &[r#"{__name__="ifOperStatus",ifIndex="2",target="r1"} 2"#],
        ),
        (
            "-ifOperStatus{ifIndex=\"2\"}",
            &[r#"{ifIndex="2",target="r1"} -2"#],
        ),
        // Vector matching.
        (
            "ifOperStatus != ifAdminStatus",
            &[r#"{__name__="ifOperStatus",ifIndex="2",target="r1"} 2"#],
        ),
        (
            "ifOperStatus - ifAdminStatus",
            &[
                r#"{ifIndex="1",target="r1"} 0"#,
                r#"{ifIndex="2",target="r1"} 1"#,
            ],
        ),
        (
            "ifOperStatus - on(target, ifIndex) ifAdminStatus",
            &[
                r#"{ifIndex="1",target="r1"} 0"#,
                r#"{ifIndex="2",target="r1"} 1"#,
            ],
        ),
        (
            "ifOperStatus * on(ifIndex) ifAdminStatus",
            &[r#"{ifIndex="1"} 1"#, r#"{ifIndex="2"} 2"#],
        ),
        (
            "netops_probe_rtt_median_seconds{family=\"ipv6\"} > ignoring(family) 2 * netops_probe_rtt_median_seconds{family=\"ipv4\"}",
            &[r#"{__name__="netops_probe_rtt_median_seconds",target="r1"} 0.05"#],
        ),
        (
            "ifOperStatus{ifIndex=\"1\"} == bool ignoring(ifIndex) netops_target_up",
            &[r#"{target="r1"} 1"#],
        ),
        // Set operators.
        (
            "ifOperStatus and ifAdminStatus",
            &[
                r#"{__name__="ifOperStatus",ifIndex="1",target="r1"} 1"#,
                r#"{__name__="ifOperStatus",ifIndex="2",target="r1"} 2"#,
            ],
        ),
        (
            "ifOperStatus and (ifOperStatus == 2)",
            &[r#"{__name__="ifOperStatus",ifIndex="2",target="r1"} 2"#],
        ),
        (
            "ifOperStatus unless (ifOperStatus == 2)",
            &[r#"{__name__="ifOperStatus",ifIndex="1",target="r1"} 1"#],
        ),
        (
            "ifOperStatus{ifIndex=\"1\"} or on(target) netops_target_up",
            &[r#"{__name__="ifOperStatus",ifIndex="1",target="r1"} 1"#],
        ),
        (
            "netops_target_up or ifOperStatus{ifIndex=\"1\"}",
            &[
                r#"{__name__="ifOperStatus",ifIndex="1",target="r1"} 1"#,
                r#"{__name__="netops_target_up",target="r1"} 1"#,
            ],
        ),
        // rate / increase / irate. if1: 1000 per 15 s over an exact 300 s window.
        (
            "rate(ifHCInOctets{ifIndex=\"1\"}[5m])",
            &[r#"{ifIndex="1",target="r1"} 66.666667"#],
        ),
        (
            "increase(ifHCInOctets{ifIndex=\"1\"}[5m])",
            &[r#"{ifIndex="1",target="r1"} 20000"#],
        ),
        (
            "irate(ifHCInOctets{ifIndex=\"1\"}[5m])",
            &[r#"{ifIndex="1",target="r1"} 66.666667"#],
        ),
        // if2 over [300 s, 600 s]: 0 → 10000 with no reset inside (the reset is at 300 s,
        // the window's first sample). Over 10 m: 10000 - 5000 + the pre-reset 14500.
        (
            "increase(ifHCInOctets{ifIndex=\"2\"}[5m])",
            &[r#"{ifIndex="2",target="r1"} 10000"#],
        ),
        (
            "increase(ifHCInOctets{ifIndex=\"2\"}[10m])",
            &[r#"{ifIndex="2",target="r1"} 19500"#],
        ),
        // *_over_time over [480 s, 600 s]: i = 32..40 → i%4+1 = 1,2,3,4,1,2,3,4,1.
        (
            "avg_over_time(netops_probe_rtt_median_seconds{family=\"ipv4\"}[2m])",
            &[r#"{family="ipv4",target="r1"} 0.023333"#],
        ),
        (
            "min_over_time(netops_probe_rtt_median_seconds{family=\"ipv4\"}[2m])",
            &[r#"{family="ipv4",target="r1"} 0.01"#],
        ),
        (
            "max_over_time(netops_probe_rtt_median_seconds{family=\"ipv4\"}[2m])",
            &[r#"{family="ipv4",target="r1"} 0.04"#],
        ),
        (
            "sum_over_time(netops_probe_rtt_median_seconds{family=\"ipv4\"}[2m])",
            &[r#"{family="ipv4",target="r1"} 0.21"#],
        ),
        (
            "count_over_time(netops_probe_rtt_median_seconds{family=\"ipv4\"}[2m])",
            &[r#"{family="ipv4",target="r1"} 9"#],
        ),
        // Aggregations.
        ("sum(ifOperStatus)", &["{} 3"]),
        ("sum by (target) (ifOperStatus)", &[r#"{target="r1"} 3"#]),
        (
            "avg without (ifIndex) (ifOperStatus)",
            &[r#"{target="r1"} 1.5"#],
        ),
        (
            "max by (ifIndex) (ifOperStatus)",
            &[r#"{ifIndex="1"} 1"#, r#"{ifIndex="2"} 2"#],
        ),
        ("min(ifOperStatus)", &["{} 1"]),
        ("count(ifOperStatus != ifAdminStatus)", &["{} 1"]),
        ("count(nope)", &[]),
        // absent.
        (
            "absent(netops_target_up{target=\"r2\", x=~\"y\"})",
            &[r#"{target="r2"} 1"#],
        ),
        ("absent(netops_target_up{target=\"r1\"})", &[]),
        ("absent(nope)", &["{} 1"]),
        // Offset: 5 minutes ago r2 was still reporting (last sample 195 s, t-5m = 300 s).
        (
            "netops_target_up{target=\"r2\"} offset 5m",
            &[r#"{__name__="netops_target_up",target="r2"} 0"#],
        ),
    ];
    let mut failures = Vec::new();
    for (q, want) in cases {
        match run_at(&store, q, at) {
            Ok(got) if got == *want => {}
            other => failures.push(format!("{q}\n  got:  {other:?}\n  want: {want:?}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn lookback_edges() {
    let store = fixture();
    // r2's last sample is at 195 s: visible exactly 300 s later (inclusive), gone after.
    let q = "netops_target_up{target=\"r2\"}";
    assert_eq!(run_at(&store, q, T0 + 495_000).unwrap().len(), 1);
    assert_eq!(run_at(&store, q, T0 + 495_001).unwrap().len(), 0);
    // Before the first sample nothing is visible.
    assert!(run_at(&store, "ifOperStatus", T0 - 1).unwrap().is_empty());
}

#[test]
fn matching_errors_are_reported_not_panicked() {
    let store = fixture();
    let at = T0 + 600_000;
    let e = run_at(&store, "ifOperStatus + on(target) ifAdminStatus", at).unwrap_err();
    assert!(e.contains("many-to-many matching not allowed"), "{e}");
    let e = run_at(
        &store,
        "ifOperStatus + on(target) sum by (target) (ifAdminStatus)",
        at,
    )
    .unwrap_err();
    assert!(e.contains("multiple matches for labels"), "{e}");
    let e = run_at(
        &store,
        "rate(ifHCInOctets[5m]) or rate(ifHCInOctets[1m])",
        at,
    );
    assert!(e.is_ok(), "or keeps lhs only on equal signatures: {e:?}");
    let e = run_at(&store, "ifOperStatus / 1 or ifAdminStatus / 1", at).unwrap();
    assert_eq!(e.len(), 2);
}
