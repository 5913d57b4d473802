//! Parity with Prometheus' own rule tester: every `testdata/promtool/*_test.yml` (the
//! `promtool test rules` format, scenarios for the shipped rules) is run by `promtool`
//! and by netops' evaluator + alert manager, and both must produce exactly the expected
//! firing alerts, labels and rendered annotations at each `eval_time`.

mod common;

use common::Recorder;
use netops_alerting::time::from_millis;
use netops_alerting::{
    AlertManager, AlertState, AlertStore, Evaluator, ManagerConfig, RuleSet, SampleStore,
};
use netops_core::{Labels, Sample, Sink};
use netops_test_support::require_binary;
use promql_parser::parser::Expr;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

#[derive(Deserialize)]
struct TestFile {
    rule_files: Vec<String>,
    #[serde(default)]
    evaluation_interval: Option<String>,
    tests: Vec<TestGroup>,
}

#[derive(Deserialize)]
struct TestGroup {
    #[serde(default)]
    interval: Option<String>,
    input_series: Vec<InputSeries>,
    #[serde(default)]
    alert_rule_test: Vec<AlertTest>,
}

#[derive(Deserialize)]
struct InputSeries {
    series: String,
    values: String,
}

#[derive(Deserialize)]
struct AlertTest {
    eval_time: String,
    alertname: String,
    #[serde(default)]
    exp_alerts: Vec<ExpAlert>,
}

#[derive(Deserialize)]
struct ExpAlert {
    #[serde(default)]
    exp_labels: BTreeMap<String, String>,
    #[serde(default)]
    exp_annotations: BTreeMap<String, String>,
}

fn millis(d: &str) -> i64 {
    netops_alerting::rules::parse_duration(d)
        .unwrap_or_else(|e| panic!("duration {d:?}: {e}"))
        .as_millis() as i64
}

/// promtool's expanding notation: `a`, `_`, `axn` (n+1 times a), `a+bxn` / `a-bxn`
/// (a, a±b, …, a±nb), `_xn` (n blanks). `None` is a missing sample.
fn expand(values: &str) -> Vec<Option<f64>> {
    let mut out = Vec::new();
    for tok in values.split_whitespace() {
        let Some((base, n)) = tok.rsplit_once('x') else {
            out.push(if tok == "_" {
                None
            } else {
                Some(tok.parse().expect("number"))
            });
            continue;
        };
        let n: usize = n.parse().unwrap_or_else(|_| panic!("bad token {tok}"));
        if base == "_" {
            out.extend(std::iter::repeat_n(None, n));
            continue;
        }
        // The step's sign is the last '+' or '-' that is not the leading sign or an exponent's.
        let cut = base
            .char_indices()
            .skip(1)
            .filter(|&(i, c)| (c == '+' || c == '-') && !base[..i].ends_with(['e', 'E']))
            .map(|(i, _)| i)
            .last();
        let (a, b) = match cut {
            Some(i) => (
                base[..i].parse::<f64>().unwrap(),
                base[i..].parse::<f64>().unwrap(),
            ),
            None => (base.parse::<f64>().unwrap(), 0.0),
        };
        for k in 0..=n {
            out.push(Some(a + b * k as f64));
        }
    }
    out
}

fn series_labels(s: &str) -> (String, Labels) {
    match promql_parser::parser::parse(s).unwrap_or_else(|e| panic!("series {s}: {e}")) {
        Expr::VectorSelector(vs) => {
            let labels = vs
                .matchers
                .matchers
                .iter()
                .filter(|m| m.name != "__name__")
                .map(|m| (m.name.clone(), m.value.clone()))
                .collect();
            (vs.name.expect("series has a metric name"), labels)
        }
        other => panic!("series {s} is not a selector: {other}"),
    }
}

type Observed = Vec<(BTreeMap<String, String>, BTreeMap<String, String>)>;

async fn run_with_netops(file: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(file).unwrap();
    let tf: TestFile = serde_yaml_ng::from_str(&text).unwrap();
    let dir = file.parent().unwrap();
    let rule_files: Vec<PathBuf> = tf.rule_files.iter().map(|r| dir.join(r)).collect();
    let eval_interval = millis(tf.evaluation_interval.as_deref().unwrap_or("1m"));
    let mut failures = Vec::new();
    for (ti, test) in tf.tests.iter().enumerate() {
        let interval = millis(test.interval.as_deref().unwrap_or("1m"));
        let samples = Arc::new(SampleStore::new(Duration::from_secs(3 * 3600)));
        let mut batch = Vec::new();
        for s in &test.input_series {
            let (name, labels) = series_labels(&s.series);
            for (i, v) in expand(&s.values).into_iter().enumerate() {
                if let Some(v) = v {
                    batch.push(Sample::gauge(
                        &name,
                        labels.clone(),
                        v,
                        from_millis(i as i64 * interval),
                    ));
                }
            }
        }
        samples.accept(batch.into());
        let rec = Recorder::default();
        let mut m = AlertManager::new(
            RuleSet::load(&rule_files).unwrap_or_else(|e| panic!("{e}")),
            Evaluator::new(samples.clone()),
            AlertStore::connect("sqlite::memory:").await.unwrap(),
            vec![Box::new(rec)],
            ManagerConfig::default(),
        )
        .await
        .unwrap();
        let mut checks: Vec<&AlertTest> = test.alert_rule_test.iter().collect();
        checks.sort_by_key(|c| millis(&c.eval_time));
        let end = checks.last().map_or(0, |c| millis(&c.eval_time));
        let mut t = 0;
        while t <= end {
            let r = m.tick(from_millis(t)).await.unwrap();
            assert!(r.rule_errors.is_empty(), "{:?}", r.rule_errors);
            for c in checks.iter().filter(|c| millis(&c.eval_time) == t) {
                let mut got: Observed = m
                    .alerts()
                    .filter(|a| a.state == AlertState::Firing && a.name() == c.alertname)
                    .map(|a| {
                        let labels = a
                            .labels
                            .iter()
                            .filter(|(k, _)| *k != "alertname")
                            .map(|(k, v)| (k.to_string(), v.to_string()))
                            .collect();
                        (labels, a.annotations.clone())
                    })
                    .collect();
                let mut want: Observed = c
                    .exp_alerts
                    .iter()
                    .map(|e| (e.exp_labels.clone(), e.exp_annotations.clone()))
                    .collect();
                got.sort();
                want.sort();
                if got != want {
                    failures.push(format!(
                        "{} test #{ti} {} at {}:\n  netops:   {got:?}\n  expected: {want:?}",
                        file.display(),
                        c.alertname,
                        c.eval_time
                    ));
                }
            }
            t += eval_interval;
        }
    }
    failures
}

fn test_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/promtool");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with("_test.yml"))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    files
}

#[test]
fn promtool_passes_the_scenarios() {
    require_binary("/usr/bin/promtool");
    for f in test_files() {
        let out = Command::new("/usr/bin/promtool")
            .args(["test", "rules"])
            .arg(&f)
            .output()
            .expect("run promtool");
        assert!(
            out.status.success(),
            "promtool test rules {}:\n{}{}",
            f.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[tokio::test]
async fn netops_passes_the_same_scenarios() {
    let mut failures = Vec::new();
    for f in test_files() {
        failures.extend(run_with_netops(&f).await);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn expanding_notation() {
    assert_eq!(
        expand("1 _ 2x2"),
        [Some(1.0), None, Some(2.0), Some(2.0), Some(2.0)]
    );
    assert_eq!(
        expand("10+5x2 3-1x1"),
        [Some(10.0), Some(15.0), Some(20.0), Some(3.0), Some(2.0)]
    );
    assert_eq!(
        expand("-1+1x1 _x2 1e3"),
        [Some(-1.0), Some(0.0), None, None, Some(1000.0)]
    );
}
