//! Alert lifecycle through the real evaluator and the real stores (SQLite file and a
//! throwaway PostgreSQL): pending → firing after `for` → resolved, identity and dedupe,
//! templating, resend timing, and a restart that neither re-fires nor forgets.

mod common;

use common::{Recorder, gauge};
use netops_alerting::time::{from_millis, rfc3339_millis};
use netops_alerting::{
    AlertManager, AlertState, AlertStore, Evaluator, ManagerConfig, RuleSet, SampleStore,
};
use netops_core::Sink;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

const T0: i64 = 1_800_000_000_000;
const S: i64 = 1000;

const RULES: &str = r#"
groups:
  - name: net
    interval: 30s
    rules:
      - alert: TargetDown
        expr: netops_target_up == 0
        for: 2m
        labels:
          severity: critical
        annotations:
          summary: "{{ $labels.target }} is down"
          description: "netops_target_up is {{ $value }} for {{ $labels.target }}"
"#;

async fn manager(url: &str, samples: &Arc<SampleStore>, rec: &Recorder) -> AlertManager {
    let rules = RuleSet::parse_file(Path::new("test.yml"), RULES).unwrap();
    let store = AlertStore::connect(url).await.unwrap();
    AlertManager::new(
        rules,
        Evaluator::new(samples.clone()),
        store,
        vec![Box::new(rec.clone())],
        ManagerConfig::default(),
    )
    .await
    .unwrap()
}

async fn scenario(url: &str) {
    let samples = Arc::new(SampleStore::new(Duration::from_secs(3600)));
    let rec = Recorder::default();
    let mut m = manager(url, &samples, &rec).await;
    assert_eq!(m.tick_interval(), Duration::from_secs(30));
    let feed = |ms: i64, r1: f64| {
        samples.accept(
            vec![
                gauge("netops_target_up", &[("target", "r1")], r1, ms),
                gauge("netops_target_up", &[("target", "r2")], 1.0, ms),
            ]
            .into(),
        );
    };

    // 0 s: r1 goes down → pending, nothing sent.
    feed(T0, 0.0);
    let r = m.tick(from_millis(T0)).await.unwrap();
    assert!(r.rule_errors.is_empty(), "{:?}", r.rule_errors);
    assert!(r.sent.is_empty() && r.fired.is_empty());
    let a: Vec<_> = m.alerts().collect();
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].state, AlertState::Pending);
    assert_eq!(a[0].active_at, T0);

    // 60 s, 90 s: still pending (dedupe: still one alert).
    for s in [30, 60, 90] {
        feed(T0 + s * S, 0.0);
        let r = m.tick(from_millis(T0 + s * S)).await.unwrap();
        assert!(r.sent.is_empty(), "sent at {s}s: {:?}", r.sent);
        assert_eq!(m.alerts().count(), 1);
    }
    // A tick before the group's interval has passed evaluates nothing.
    let r = m.tick(from_millis(T0 + 100 * S)).await.unwrap();
    assert!(r.evaluated_groups.is_empty());

    // 120 s: held for `for` → firing, one notification.
    feed(T0 + 120 * S, 0.0);
    let r = m.tick(from_millis(T0 + 120 * S)).await.unwrap();
    assert_eq!(r.fired.len(), 1);
    let sent = rec.take();
    assert_eq!(sent.len(), 1);
    let n = &sent[0][0];
    assert_eq!(n.status, "firing");
    assert_eq!(n.labels["alertname"], "TargetDown");
    assert_eq!(n.labels["severity"], "critical");
    assert_eq!(n.labels["target"], "r1");
    assert!(!n.labels.contains_key("__name__"));
    assert_eq!(n.annotations["summary"], "r1 is down");
    assert_eq!(n.annotations["description"], "netops_target_up is 0 for r1");
    assert_eq!(n.starts_at, rfc3339_millis(T0 + 120 * S));
    // Valid for 4 × max(resend 1 m, interval 30 s).
    assert_eq!(n.ends_at, rfc3339_millis(T0 + 360 * S));
    assert!(n.generator_url.contains("netops_target_up"));

    // 150 s: within resend_delay → nothing; 180 s → re-sent.
    feed(T0 + 150 * S, 0.0);
    m.tick(from_millis(T0 + 150 * S)).await.unwrap();
    assert!(rec.take().is_empty());
    feed(T0 + 180 * S, 0.0);
    let r = m.tick(from_millis(T0 + 180 * S)).await.unwrap();
    assert!(r.fired.is_empty(), "re-sending is not re-firing");
    let sent = rec.take();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0][0].starts_at, rfc3339_millis(T0 + 120 * S));

    // Restart from the store: same alert, same active_at/fired_at, no new firing, no send.
    drop(m);
    let mut m = manager(url, &samples, &rec).await;
    let a: Vec<_> = m.alerts().cloned().collect();
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].state, AlertState::Firing);
    assert_eq!(a[0].active_at, T0);
    assert_eq!(a[0].fired_at, Some(T0 + 120 * S));
    assert_eq!(a[0].annotations["summary"], "r1 is down");
    feed(T0 + 210 * S, 0.0);
    let r = m.tick(from_millis(T0 + 210 * S)).await.unwrap();
    assert_eq!(r.evaluated_groups, vec!["net".to_string()]);
    assert!(r.fired.is_empty(), "restart must not re-fire");
    assert!(
        rec.take().is_empty(),
        "restart must not notify again before resend_delay"
    );
    let a: Vec<_> = m.alerts().collect();
    assert_eq!(a[0].active_at, T0);

    // 240 s: r1 back up → resolved, sent with endsAt = now.
    feed(T0 + 240 * S, 1.0);
    let r = m.tick(from_millis(T0 + 240 * S)).await.unwrap();
    assert_eq!(r.resolved.len(), 1);
    let sent = rec.take();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0][0].status, "resolved");
    assert_eq!(sent[0][0].ends_at, rfc3339_millis(T0 + 240 * S));

    // History: one firing, one resolved — the restart added nothing.
    let h = m.store().history(T0, T0 + 3600 * S).await.unwrap();
    let events: Vec<_> = h.iter().map(|e| (e.event.as_str(), e.at_ms)).collect();
    assert_eq!(
        events,
        vec![("firing", T0 + 120 * S), ("resolved", T0 + 240 * S)]
    );
    assert_eq!(h[0].severity, "critical");

    // Metrics: nothing pending or firing now.
    let samples_out = m.alert_samples(from_millis(T0 + 240 * S));
    assert!(
        samples_out.iter().all(|s| s.value == 0.0),
        "{samples_out:?}"
    );
    assert!(
        samples_out
            .iter()
            .any(|s| s.labels.get("severity") == Some("critical"))
    );

    // Down again: a *new* alert with a new active_at.
    feed(T0 + 270 * S, 0.0);
    m.tick(from_millis(T0 + 270 * S)).await.unwrap();
    let a: Vec<_> = m.alerts().collect();
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].state, AlertState::Pending);
    assert_eq!(a[0].active_at, T0 + 270 * S);
    let firing_count = m
        .alert_samples(from_millis(T0 + 270 * S))
        .into_iter()
        .find(|s| {
            s.labels.get("state") == Some("pending") && s.labels.get("severity") == Some("critical")
        })
        .map(|s| s.value);
    assert_eq!(firing_count, Some(1.0));
    // Pending that clears is simply dropped (never sent), and the row is deleted.
    feed(T0 + 300 * S, 1.0);
    m.tick(from_millis(T0 + 300 * S)).await.unwrap();
    assert_eq!(m.alerts().count(), 0);
    assert!(rec.take().is_empty());
    drop(m);
    let m = manager(url, &samples, &rec).await;
    assert_eq!(m.alerts().count(), 0);
}

#[tokio::test]
async fn lifecycle_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("netops.db").display());
    scenario(&url).await;
}

#[tokio::test]
async fn lifecycle_on_postgres() {
    let pg = netops_test_support::postgres::Postgres::start();
    scenario(&pg.url()).await;
}

#[tokio::test]
async fn resolved_alert_is_forgotten_after_retention() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("netops.db").display());
    let samples = Arc::new(SampleStore::new(Duration::from_secs(3600)));
    let rec = Recorder::default();
    let rules = RuleSet::parse_file(
        Path::new("t.yml"),
        "groups: [{name: g, interval: 1m, rules: [{alert: X, expr: 'x > 0'}]}]",
    )
    .unwrap();
    let mut m = AlertManager::new(
        rules,
        Evaluator::new(samples.clone()),
        AlertStore::connect(&url).await.unwrap(),
        vec![Box::new(rec.clone())],
        ManagerConfig::default(),
    )
    .await
    .unwrap();
    samples.accept(vec![gauge("x", &[], 1.0, T0)].into());
    // `for` 0: fires at once.
    let r = m.tick(from_millis(T0)).await.unwrap();
    assert_eq!(r.fired.len(), 1);
    samples.accept(vec![gauge("x", &[], 0.0, T0 + 60 * S)].into());
    let r = m.tick(from_millis(T0 + 60 * S)).await.unwrap();
    assert_eq!(r.resolved.len(), 1);
    // Resolved alerts are re-sent every resend_delay while retained (15 m), then dropped.
    let mut resolved_sends = 0;
    for min in 2..=17 {
        samples.accept(vec![gauge("x", &[], 0.0, T0 + min * 60 * S)].into());
        let r = m.tick(from_millis(T0 + min * 60 * S)).await.unwrap();
        resolved_sends += r.sent.iter().filter(|n| n.status == "resolved").count();
    }
    assert_eq!(m.alerts().count(), 0);
    // Kept while `now - resolved_at <= 15 m`: sent at 2 m … 16 m, forgotten at 17 m.
    assert_eq!(resolved_sends, 15);
}

#[tokio::test]
async fn reloading_rules_drops_alerts_of_removed_rules() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("netops.db").display());
    let samples = Arc::new(SampleStore::new(Duration::from_secs(3600)));
    let rec = Recorder::default();
    let rules = |text: &str| RuleSet::parse_file(Path::new("t.yml"), text).unwrap();
    let two = "groups: [{name: g, interval: 1m, rules: [{alert: X, expr: 'x > 0'}, {alert: Y, expr: 'x > 0'}]}]";
    let one = "groups: [{name: g, interval: 1m, rules: [{alert: X, expr: 'x > 0'}]}]";
    let mut m = AlertManager::new(
        rules(two),
        Evaluator::new(samples.clone()),
        AlertStore::connect(&url).await.unwrap(),
        vec![Box::new(rec.clone())],
        ManagerConfig::default(),
    )
    .await
    .unwrap();
    samples.accept(vec![gauge("x", &[], 1.0, T0)].into());
    m.tick(from_millis(T0)).await.unwrap();
    assert_eq!(m.alerts().count(), 2);
    let x_active_at = m.alerts().find(|a| a.name() == "X").unwrap().active_at;
    m.replace_rules(rules(one));
    let names: Vec<_> = m.alerts().map(|a| a.name().to_string()).collect();
    assert_eq!(names, ["X"]);
    // Evaluated at once after a reload, X keeps its state, Y's row is deleted.
    samples.accept(vec![gauge("x", &[], 1.0, T0 + 10 * S)].into());
    let r = m.tick(from_millis(T0 + 10 * S)).await.unwrap();
    assert_eq!(r.evaluated_groups, ["g"]);
    assert_eq!(m.alerts().next().unwrap().active_at, x_active_at);
    let stored = m.store().load().await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].name(), "X");
}
