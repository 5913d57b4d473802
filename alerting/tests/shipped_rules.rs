//! The rule files shipped in `alerting/rules/`: valid for Prometheus (`promtool check
//! rules`), accepted by our loader, well-formed (severity, summary, description), and a few
//! of them driven end to end through the evaluator and the alert lifecycle with recorded
//! sample sequences.

mod common;

use common::{Recorder, gauge};
use netops_alerting::time::from_millis;
use netops_alerting::{AlertManager, AlertStore, Evaluator, ManagerConfig, RuleSet, SampleStore};
use netops_core::{Sample, Sink};
use netops_test_support::require_binary;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

fn rule_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 4,
        "rule files in {}: {files:?}",
        dir.display()
    );
    files
}

#[test]
fn promtool_accepts_every_shipped_rule_file() {
    require_binary("/usr/bin/promtool");
    for f in rule_files() {
        let out = Command::new("/usr/bin/promtool")
            .args(["check", "rules"])
            .arg(&f)
            .output()
            .expect("run promtool");
        assert!(
            out.status.success(),
            "promtool check rules {}:\n{}{}",
            f.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn loader_accepts_every_shipped_rule_and_each_is_well_formed() {
    let set = RuleSet::load(&rule_files()).unwrap_or_else(|e| panic!("{e}"));
    let dir_set = RuleSet::load(&[Path::new(env!("CARGO_MANIFEST_DIR")).join("rules")]).unwrap();
    assert_eq!(set.rule_count(), dir_set.rule_count());
    let mut names = Vec::new();
    for g in &set.groups {
        for r in &g.rules {
            let sev = r
                .labels
                .get("severity")
                .map(|t| t.expand(&Default::default(), 0.0));
            assert!(
                matches!(sev.as_deref(), Some("info" | "warning" | "critical")),
                "{}: severity {sev:?}",
                r.name
            );
            assert!(r.labels.contains_key("category"), "{}: no category", r.name);
            for a in ["summary", "description"] {
                assert!(r.annotations.contains_key(a), "{}: no {a}", r.name);
            }
            names.push(r.name.clone());
        }
    }
    for required in [
        "TargetDown",
        "InterfaceDown",
        "InterfaceErrorsHigh",
        "InterfaceDiscardsHigh",
        "InterfaceUtilisationHigh",
        "ProbeLossHigh",
        "ProbeLatencyHigh",
        "Srv6PathDown",
        "Ipv6ReachabilityWorseThanIpv4",
        "OnAirSiteUnreachable",
        "SnmpAuthenticationFailures",
        "SnmpAuthenticationFailureTrapBurst",
        "DeviceRebooted",
        "UplinkTrafficSpike",
        "PortOpenOnIpv6Only",
    ] {
        assert!(
            names.iter().any(|n| n == required),
            "missing rule {required}"
        );
    }
}

const T0: i64 = 1_800_000_000_000;

/// When each alert (by its `alertname` + identifying label) fired and resolved, in seconds
/// after T0.
type Timeline = BTreeMap<String, (Vec<i64>, Vec<i64>)>;

/// Runs one shipped rule over a recorded sample sequence: every `step` seconds from 0 to
/// `end`, the samples of `at(sec)` are fed, then the manager ticks.
async fn drive(
    rule: &str,
    key_label: &str,
    step: i64,
    end: i64,
    at: impl Fn(i64) -> Vec<Sample>,
) -> Timeline {
    let mut set = RuleSet::load(&rule_files()).unwrap();
    for g in &mut set.groups {
        g.rules.retain(|r| r.name == rule);
    }
    set.groups.retain(|g| !g.rules.is_empty());
    assert_eq!(set.rule_count(), 1, "rule {rule}");
    let samples = Arc::new(SampleStore::new(Duration::from_secs(7200)));
    let rec = Recorder::default();
    let mut m = AlertManager::new(
        set,
        Evaluator::new(samples.clone()),
        AlertStore::connect("sqlite::memory:").await.unwrap(),
        vec![Box::new(rec.clone())],
        ManagerConfig::default(),
    )
    .await
    .unwrap();
    let mut timeline = Timeline::new();
    let mut sec = 0;
    while sec <= end {
        samples.accept(at(sec).into());
        let r = m.tick(from_millis(T0 + sec * 1000)).await.unwrap();
        assert!(r.rule_errors.is_empty(), "{:?}", r.rule_errors);
        for l in r.fired {
            let k = l.get(key_label).unwrap_or("?").to_string();
            timeline.entry(k).or_default().0.push(sec);
        }
        for l in r.resolved {
            let k = l.get(key_label).unwrap_or("?").to_string();
            timeline.entry(k).or_default().1.push(sec);
        }
        sec += step;
    }
    // Every firing was notified, and every notification carries the rendered annotations.
    for batch in rec.take() {
        for n in batch {
            assert!(
                !n.annotations["summary"].contains("{{"),
                "{:?}",
                n.annotations
            );
        }
    }
    timeline
}

fn tl(entries: &[(&str, &[i64], &[i64])]) -> Timeline {
    entries
        .iter()
        .map(|(k, f, r)| (k.to_string(), (f.to_vec(), r.to_vec())))
        .collect()
}

#[tokio::test]
async fn interface_down_fires_after_two_minutes_and_resolves() {
    let got = drive("InterfaceDown", "ifName", 30, 480, |s| {
        let if3 = [
            ("target", "r1"),
            ("ifIndex", "3"),
            ("ifName", "ge-0/0/3"),
            ("ifAlias", "to-core"),
        ];
        let if4 = [
            ("target", "r1"),
            ("ifIndex", "4"),
            ("ifName", "ge-0/0/4"),
            ("ifAlias", "spare"),
        ];
        let ms = T0 + s * 1000;
        vec![
            // ge-0/0/3 is down from 60 s to 299 s.
            gauge(
                "ifOperStatus",
                &if3,
                if (60..300).contains(&s) { 2.0 } else { 1.0 },
                ms,
            ),
            gauge("ifAdminStatus", &if3, 1.0, ms),
            // ge-0/0/4 is administratively down: no alert.
            gauge("ifOperStatus", &if4, 2.0, ms),
            gauge("ifAdminStatus", &if4, 2.0, ms),
        ]
    })
    .await;
    // Pending at 60 s, firing at 180 s (for: 2m), resolved at 300 s.
    assert_eq!(got, tl(&[("ge-0/0/3", &[180], &[300])]));
}

#[tokio::test]
async fn srv6_path_down_only_when_plain_path_answers() {
    let got = drive("Srv6PathDown", "target", 30, 600, |s| {
        let ms = T0 + s * 1000;
        let mut v = Vec::new();
        for (target, srv6_ok, plain_ok) in [
            // r1: SRv6 fails from 60 s to 419 s while plain works → alert.
            ("r1", !(60..420).contains(&s), true),
            // r2: the whole target is dead (both fail) → not an SRv6 alert.
            ("r2", false, false),
        ] {
            for (path, ok) in [("srv6:gov-plane", srv6_ok), ("plain", plain_ok)] {
                v.push(gauge(
                    "netops_probe_success",
                    &[
                        ("target", target),
                        ("family", "ipv6"),
                        ("protocol", "icmp"),
                        ("path", path),
                    ],
                    if ok { 1.0 } else { 0.0 },
                    ms,
                ));
            }
        }
        v
    })
    .await;
    // Pending at 60 s, firing at 240 s (for: 3m), resolved at 420 s.
    assert_eq!(got, tl(&[("r1", &[240], &[420])]));
}

#[tokio::test]
async fn device_reboot_is_seen_from_sys_up_time() {
    let got = drive("DeviceRebooted", "target", 30, 1200, |s| {
        let ms = T0 + s * 1000;
        // Up for a day at 0 s; reboots just before 300 s.
        let uptime = if s < 300 {
            8_640_000 + s * 100
        } else {
            (s - 295) * 100
        };
        vec![gauge("sysUpTime", &[("target", "r1")], uptime as f64, ms)]
    })
    .await;
    // Fires at once (no `for`); resolves when the last pre-reboot sample (270 s) leaves the
    // 10-minute window: still inside at 870 s (closed window), gone at 900 s.
    assert_eq!(got, tl(&[("r1", &[300], &[900])]));
}

#[tokio::test]
async fn bandwidth_utilisation_fires_after_fifteen_minutes() {
    let got = drive("InterfaceUtilisationHigh", "ifName", 30, 1500, |s| {
        let ms = T0 + s * 1000;
        let l = [
            ("target", "r1"),
            ("ifIndex", "1"),
            ("ifName", "xe-0/0/0"),
            ("ifAlias", "uplink"),
        ];
        // 1 Gbit/s port. 120 MB/s (96 %) from 0 s to 1300 s, then 10 MB/s.
        let bytes = if s <= 1300 {
            120_000_000 * s
        } else {
            120_000_000 * 1300 + 10_000_000 * (s - 1300)
        };
        vec![
            Sample::counter(
                "ifHCInOctets",
                common::labels(&l),
                bytes as f64,
                from_millis(ms),
            ),
            Sample::counter("ifHCOutOctets", common::labels(&l), 0.0, from_millis(ms)),
            gauge("ifHighSpeed", &l, 1000.0, ms),
        ]
    })
    .await;
    // The counter starts at 0 s, and rate() does not extrapolate before a counter's zero:
    // the 5-minute rate is 120 MB/s × t / 300 s until the window is full, above 90 %
    // (112.5 MB/s) from t > 281.25 s → pending at 300 s, firing at 1200 s (for: 15m).
    // After the drop the rate is (120 MB × (1600 − t) + 10 MB × (t − 1300)) / 300 s,
    // below 112.5 MB/s for t > 1320.45 s → resolved at 1350 s.
    assert_eq!(got, tl(&[("xe-0/0/0", &[1200], &[1350])]));
}
