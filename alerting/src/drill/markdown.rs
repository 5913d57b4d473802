//! The Markdown form of a drill report: summary figures, incidents, false alarms, counts.

use super::report::DrillReport;
use std::fmt::Write as _;

fn secs(v: Option<f64>) -> String {
    v.map_or_else(|| "—".to_string(), |s| format!("{s:.0} s"))
}

/// Markdown table cells must not contain `|` or line breaks.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

pub fn render(r: &DrillReport) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "# Drill report: {}\n", cell(&r.drill.name));
    let scope: Vec<String> = r.drill.scope.iter().map(|c| c.to_string()).collect();
    let _ = writeln!(o, "- Period: {} – {}", r.start, r.end);
    let _ = writeln!(o, "- Scope: {}", scope.join(", "));
    let _ = writeln!(
        o,
        "- Injections: {}, detected: {}, missed: {}",
        r.injections,
        r.detected,
        r.missed.len()
    );
    let _ = writeln!(
        o,
        "- Detection coverage: {:.1} %",
        r.detection_coverage * 100.0
    );
    let _ = writeln!(o, "- MTTD: {}", secs(r.mttd_seconds));
    let _ = writeln!(o, "- MTTA: {}", secs(r.mtta_seconds));
    let _ = writeln!(o, "- False alarms: {}\n", r.false_alarms.len());
    let _ = writeln!(o, "## Incidents\n");
    let _ = writeln!(
        o,
        "| Injection | Kind | Target | Injected | Detected by | TTD | Acknowledged by | TTA |"
    );
    let _ = writeln!(o, "|---|---|---|---|---|---|---|---|");
    for i in &r.incidents {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            cell(&i.injection_id),
            cell(&i.kind),
            cell(&i.target),
            i.injected_at,
            i.detected_by
                .as_deref()
                .map_or("**missed**".to_string(), cell),
            secs(i.time_to_detect_seconds),
            i.acknowledged_by.as_deref().map_or("—".to_string(), cell),
            secs(i.time_to_acknowledge_seconds),
        );
    }
    let _ = writeln!(o, "\n## False alarms\n");
    if r.false_alarms.is_empty() {
        let _ = writeln!(o, "None.");
    } else {
        let _ = writeln!(o, "| Alert | Severity | Category | Fired |");
        let _ = writeln!(o, "|---|---|---|---|");
        for a in &r.false_alarms {
            let _ = writeln!(
                o,
                "| {} {} | {} | {} | {} |",
                cell(&a.alertname),
                cell(a.labels.get("target").map_or("", String::as_str)),
                cell(&a.severity),
                cell(&a.category),
                crate::time::rfc3339_millis(a.fired_at_ms)
            );
        }
    }
    let _ = writeln!(o, "\n## Alerts by category\n");
    for (k, v) in &r.alerts_by_category {
        let _ = writeln!(o, "- {}: {v}", cell(k));
    }
    let _ = writeln!(o, "\n## Alerts by severity\n");
    for (k, v) in &r.alerts_by_severity {
        let _ = writeln!(o, "- {}: {v}", cell(k));
    }
    o
}

#[cfg(test)]
mod tests {
    use crate::drill::report::DrillReport;

    #[test]
    fn renders_the_scripted_drill() {
        let (d, i, a, k) = crate::drill::report::tests::scripted();
        let md = super::render(&DrillReport::build(&d, &i, &a, &k).unwrap());
        assert!(md.starts_with("# Drill report: provincial-2026\n"));
        assert!(md.contains("- Detection coverage: 66.7 %"), "{md}");
        assert!(md.contains("- MTTD: 210 s"));
        assert!(md.contains(
            "| i1 | snmp_bruteforce | 10.20.1.1 | 2027-01-15T08:10:00.000Z | SnmpAuthenticationFailures | 180 s | li.wei | 300 s |"
        ), "{md}");
        assert!(md.contains("| i3 | ipv6_backdoor | 10.20.9.9 | 2027-01-15T09:00:00.000Z | **missed** | — | — | — |"), "{md}");
        assert!(md.contains("| InterfaceDown 10.20.7.7 | warning | availability |"));
    }
}
