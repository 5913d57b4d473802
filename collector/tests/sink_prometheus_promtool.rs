//! The Prometheus sink's exposition checked by the real `promtool check metrics` (Debian
//! `prometheus` package): it must parse, and apart from the naming style snmp_exporter
//! itself uses, it must pass promtool's lint.

use netops_collector::sink::prometheus::PrometheusSink;
use netops_core::{Labels, Sample, Sink};
use netops_test_support::require_binary;
use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::SystemTime;

const PROMTOOL: &str = "/usr/bin/promtool";

/// Runs `promtool check metrics` on `text`: (exit code, combined output).
fn promtool_check(text: &str) -> (i32, String) {
    require_binary(PROMTOOL);
    let mut child = Command::new(PROMTOOL)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start promtool");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .expect("write to promtool");
    let out = child.wait_with_output().expect("promtool output");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), report)
}

/// Strings with everything the text format must escape or carry through.
fn awkward(i: usize) -> String {
    const PIECES: [&str; 9] = ["a", "\"", "\\", "\n", " ", "=", ",", "大楼", "}{"];
    (0..=i % 7)
        .map(|j| PIECES[(i * 7 + j * 3) % PIECES.len()])
        .collect()
}

#[test]
fn snake_case_output_with_help_passes_lint_cleanly() {
    let now = SystemTime::now();
    let sink = Arc::new(PrometheusSink::default());
    sink.set_help(
        "netops_probe_rtt_seconds",
        "Round-trip time of the last probe.\nIn seconds \\ s.",
    );
    sink.set_help("netops_probe_sent_total", "Probe packets sent.");
    sink.set_help("netops_up", "1 if the last poll worked.");
    for target in 0..20 {
        let mut batch = Vec::new();
        for i in 0..10 {
            let labels = Labels::new()
                .with("job", "icmp")
                .with("target", format!("t{target}"))
                .with("path", awkward(target * 10 + i));
            let rtt = match i {
                0 => f64::NAN,
                1 => f64::INFINITY,
                _ => 0.001 * (i as f64) + 1e-9,
            };
            batch.push(Sample::gauge(
                "netops_probe_rtt_seconds",
                labels.clone(),
                rtt,
                now,
            ));
            batch.push(Sample::counter(
                "netops_probe_sent_total",
                labels,
                (i * 1000) as f64,
                now,
            ));
        }
        batch.push(Sample::gauge(
            "netops_up",
            Labels::new()
                .with("job", "icmp")
                .with("target", format!("t{target}")),
            1.0,
            now,
        ));
        sink.accept(batch.into());
    }
    let mut text = String::new();
    sink.encode(&mut text);
    assert_eq!(
        text.matches("# TYPE netops_probe_rtt_seconds gauge")
            .count(),
        1
    );
    assert_eq!(
        text.lines().filter(|l| !l.starts_with('#')).count(),
        20 * 21
    );
    let (code, report) = promtool_check(&text);
    assert_eq!(
        code, 0,
        "promtool found problems:\n{report}\n--- exposition ---\n{text}"
    );
}

#[test]
fn snmp_exporter_style_output_parses_and_only_trips_the_naming_lints() {
    let now = SystemTime::now();
    let sink = PrometheusSink::default();
    sink.set_help(
        "ifHCInOctets",
        "The total number of octets received on the interface - 1.3.6.1.2.1.31.1.1.1.6",
    );
    sink.set_help(
        "ifOperStatus",
        "The current operational state of the interface - 1.3.6.1.2.1.2.2.1.8",
    );
    let mut batch = Vec::new();
    for i in 1..=4 {
        let labels = Labels::new()
            .with("ifIndex", i.to_string())
            .with("ifName", format!("ge-0/0/{i}"))
            .with("ifAlias", awkward(i))
            .with("ifDescr", format!("GigabitEthernet0/0/{i}"));
        batch.push(Sample::counter(
            "ifHCInOctets",
            labels.clone(),
            1e12 + i as f64,
            now,
        ));
        batch.push(Sample::gauge("ifOperStatus", labels, 1.0, now));
    }
    sink.replace("snmp/r1/if_mib", batch.into());
    let mut text = String::new();
    sink.encode(&mut text);
    assert!(
        text.contains("# TYPE ifHCInOctets counter\nifHCInOctets{"),
        "{text}"
    );

    let (code, report) = promtool_check(&text);
    // 1 = could not parse; 3 = parsed, lint findings.
    assert_eq!(code, 3, "{report}\n--- exposition ---\n{text}");
    assert!(!report.contains("error while linting"), "{report}");
    let findings: Vec<&str> = report.lines().filter(|l| !l.trim().is_empty()).collect();
    let expected_style_lints = [
        "ifHCInOctets counter metrics should have \"_total\" suffix",
        "ifHCInOctets label names should be written in 'snake_case' not 'camelCase'",
        "ifHCInOctets metric names should be written in 'snake_case' not 'camelCase'",
        "ifOperStatus label names should be written in 'snake_case' not 'camelCase'",
        "ifOperStatus metric names should be written in 'snake_case' not 'camelCase'",
    ];
    for finding in &findings {
        assert!(
            expected_style_lints.contains(finding),
            "unexpected promtool finding {finding:?}; all:\n{report}"
        );
    }
    assert!(!findings.is_empty());
}

#[test]
fn promtool_notices_a_broken_exposition() {
    // The check above is only worth something if promtool refuses bad text.
    let (code, report) = promtool_check("# TYPE x gauge\nx{a=\"1} 1\n");
    assert_eq!(code, 1, "{report}");
}
