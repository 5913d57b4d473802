//! `AlertManager`: evaluates the rule groups when due, moves alerts through their
//! lifecycle as Prometheus' `AlertingRule.Eval` does, notifies, and persists.
//!
//! The daemon feeds the [`SampleStore`](crate::SampleStore) as a sink and calls
//! [`AlertManager::tick`] every [`AlertManager::tick_interval`]; each group is evaluated
//! when its own `interval` has passed since its last evaluation.

use super::store::{AlertStore, HistoryEvent};
use super::{Alert, AlertState, Notification, alert_key};
use crate::error::AlertError;
use crate::eval::{Element, Evaluator, drop_name};
use crate::notify::Notifier;
use crate::rules::{AlertRule, RuleSet};
use crate::time::{duration_millis, from_millis, rfc3339_millis};
use netops_core::{Labels, Sample};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::time::{Duration, SystemTime};

/// Tunables of the manager.
#[derive(Debug, Clone)]
pub struct ManagerConfig {
    /// How often a still-firing (or resolved) alert is sent again (Prometheus: 1 m).
    pub resend_delay: Duration,
    /// How long a resolved alert is kept (and re-sent) before it is forgotten (15 m).
    pub resolved_retention: Duration,
    /// Base of the `generatorURL` of each alert.
    pub external_url: String,
}

impl Default for ManagerConfig {
    fn default() -> Self {
        Self {
            resend_delay: Duration::from_secs(60),
            resolved_retention: Duration::from_secs(15 * 60),
            external_url: "http://localhost:9090".into(),
        }
    }
}

/// What one [`AlertManager::tick`] did.
#[derive(Debug, Default)]
pub struct TickReport {
    /// Groups evaluated in this tick.
    pub evaluated_groups: Vec<String>,
    /// Rules that failed to evaluate (their alerts are left as they were).
    pub rule_errors: Vec<AlertError>,
    /// Alerts that became firing in this tick (their full label sets).
    pub fired: Vec<Labels>,
    /// Alerts that resolved in this tick.
    pub resolved: Vec<Labels>,
    /// Notifications handed to the notifiers.
    pub sent: Vec<Notification>,
    /// Notifiers that failed (the alerts are sent again at the next tick).
    pub notify_errors: Vec<AlertError>,
}

/// The alert lifecycle engine.
#[derive(Debug)]
pub struct AlertManager {
    rules: RuleSet,
    evaluator: Evaluator,
    store: AlertStore,
    notifiers: Vec<Box<dyn Notifier>>,
    config: ManagerConfig,
    alerts: BTreeMap<String, Alert>,
    last_eval: HashMap<String, i64>,
    /// Changes not yet written because the store failed; retried at the next tick so the
    /// database catches up instead of silently missing an update.
    unsaved: Unsaved,
}

#[derive(Debug, Default)]
struct Unsaved {
    changed: BTreeSet<String>,
    removed: Vec<String>,
    history: Vec<HistoryEvent>,
}

/// `rule_id` of each rule in a group: its name, `#2`, `#3`… for repeats.
fn rule_ids(rules: &[AlertRule]) -> Vec<String> {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    rules
        .iter()
        .map(|r| {
            let n = seen.entry(r.name.as_str()).or_insert(0);
            *n += 1;
            if *n == 1 {
                r.name.clone()
            } else {
                format!("{}#{n}", r.name)
            }
        })
        .collect()
}

impl AlertManager {
    /// Builds the manager and restores persisted alerts; alerts of rules that no longer
    /// exist are dropped.
    pub async fn new(
        rules: RuleSet,
        evaluator: Evaluator,
        store: AlertStore,
        notifiers: Vec<Box<dyn Notifier>>,
        config: ManagerConfig,
    ) -> Result<Self, AlertError> {
        let known: HashSet<(String, String)> = rules
            .groups
            .iter()
            .flat_map(|g| {
                rule_ids(&g.rules)
                    .into_iter()
                    .map(|id| (g.name.clone(), id))
            })
            .collect();
        let mut alerts = BTreeMap::new();
        let mut stale = Vec::new();
        for a in store.load().await? {
            if known.contains(&(a.group.clone(), a.rule_id.clone())) {
                alerts.insert(a.key(), a);
            } else {
                stale.push(a.key());
            }
        }
        store.save(&[], &stale, &[]).await?;
        Ok(Self {
            rules,
            evaluator,
            store,
            notifiers,
            config,
            alerts,
            last_eval: HashMap::new(),
            unsaved: Unsaved::default(),
        })
    }

    /// Swaps in a reloaded rule set (SIGHUP). Alerts of rules that still exist keep their
    /// state; alerts of removed rules are dropped, and their rows deleted at the next tick.
    /// Groups are evaluated afresh at the next tick.
    pub fn replace_rules(&mut self, rules: RuleSet) {
        let known: HashSet<(String, String)> = rules
            .groups
            .iter()
            .flat_map(|g| {
                rule_ids(&g.rules)
                    .into_iter()
                    .map(|id| (g.name.clone(), id))
            })
            .collect();
        let gone: Vec<String> = self
            .alerts
            .values()
            .filter(|a| !known.contains(&(a.group.clone(), a.rule_id.clone())))
            .map(Alert::key)
            .collect();
        for key in gone {
            self.alerts.remove(&key);
            self.unsaved.changed.remove(&key);
            self.unsaved.removed.push(key);
        }
        self.rules = rules;
        self.last_eval.clear();
    }

    /// How often to call [`tick`](Self::tick): the shortest group interval.
    pub fn tick_interval(&self) -> Duration {
        self.rules.min_interval()
    }

    /// Current alerts (pending, firing, and recently resolved).
    pub fn alerts(&self) -> impl Iterator<Item = &Alert> {
        self.alerts.values()
    }

    pub fn store(&self) -> &AlertStore {
        &self.store
    }

    /// Evaluates the groups that are due at `now`, updates alert states, notifies and
    /// persists. Rule and notifier failures are reported, not fatal; a store failure is.
    pub async fn tick(&mut self, now: SystemTime) -> Result<TickReport, AlertError> {
        let t = crate::time::to_millis(now);
        let mut report = TickReport::default();
        let Unsaved {
            mut changed,
            mut removed,
            mut history,
        } = std::mem::take(&mut self.unsaved);
        let groups = std::mem::take(&mut self.rules.groups);
        for group in &groups {
            let interval = duration_millis(group.interval);
            let due = self
                .last_eval
                .get(&group.name)
                // A clock that jumped back must not stall evaluation until it catches up.
                .is_none_or(|&last| t - last >= interval || t < last);
            if !due {
                continue;
            }
            self.last_eval.insert(group.name.clone(), t);
            report.evaluated_groups.push(group.name.clone());
            for (rule, rule_id) in group.rules.iter().zip(rule_ids(&group.rules)) {
                let result = self
                    .evaluator
                    .eval_vector(&rule.expr, now)
                    .map_err(|e| e.0)
                    .and_then(|v| self.apply(&group.name, &rule_id, rule, v, t, &mut changed));
                let present = match result {
                    Ok(present) => present,
                    Err(message) => {
                        report.rule_errors.push(AlertError::Eval {
                            expr: format!(
                                "{} (group \"{}\", rule \"{}\")",
                                rule.expr_text, group.name, rule.name
                            ),
                            message,
                        });
                        continue;
                    }
                };
                let ctx = Transition {
                    group: &group.name,
                    rule_id: &rule_id,
                    rule,
                    present: &present,
                    t,
                };
                self.advance(&ctx, &mut changed, &mut removed, &mut history, &mut report);
            }
        }
        self.rules.groups = groups;
        self.notify(t, &mut changed, &mut report).await;
        // Across retried saves a key may be both removed and changed: what is in memory now
        // wins (upsert if it exists, delete if not).
        changed.retain(|k| self.alerts.contains_key(k));
        removed.retain(|k| !self.alerts.contains_key(k));
        let changed_alerts: Vec<&Alert> =
            changed.iter().filter_map(|k| self.alerts.get(k)).collect();
        if let Err(e) = self.store.save(&changed_alerts, &removed, &history).await {
            self.unsaved = Unsaved {
                changed,
                removed,
                history,
            };
            return Err(e);
        }
        Ok(report)
    }

    /// Records the rule's result: updates the alerts it still produces, creates pending
    /// ones for new label sets. Refuses (changing nothing) when two results collapse to the
    /// same alert label set.
    fn apply(
        &mut self,
        group: &str,
        rule_id: &str,
        rule: &AlertRule,
        result: Vec<Element>,
        t: i64,
        changed: &mut BTreeSet<String>,
    ) -> Result<HashSet<String>, String> {
        let mut fresh: Vec<(String, Labels, BTreeMap<String, String>, f64)> = Vec::new();
        let mut seen = HashSet::new();
        for el in result {
            let base = drop_name(&el.labels);
            let mut labels = base.clone();
            for (k, tpl) in &rule.labels {
                labels.insert(k.clone(), tpl.expand(&base, el.value));
            }
            labels.insert("alertname", rule.name.clone());
            let annotations = rule
                .annotations
                .iter()
                .map(|(k, tpl)| (k.clone(), tpl.expand(&base, el.value)))
                .collect();
            let key = alert_key(group, &labels);
            if !seen.insert(key.clone()) {
                return Err(format!(
                    "vector contains metrics with the same labelset after applying alert labels: {labels}"
                ));
            }
            fresh.push((key, labels, annotations, el.value));
        }
        for (key, labels, annotations, value) in fresh {
            match self.alerts.get_mut(&key) {
                Some(a) if a.state != AlertState::Resolved => {
                    a.value = value;
                    a.annotations = annotations;
                    a.keep_firing_since = None;
                }
                _ => {
                    // New, or coming back after a resolution: a new alert, as Prometheus does.
                    self.alerts.insert(
                        key.clone(),
                        Alert {
                            group: group.to_string(),
                            rule_id: rule_id.to_string(),
                            labels,
                            annotations,
                            state: AlertState::Pending,
                            value,
                            active_at: t,
                            fired_at: None,
                            resolved_at: None,
                            keep_firing_since: None,
                            last_sent_at: None,
                            generator_url: self.generator_url(&rule.expr_text),
                        },
                    );
                }
            }
            changed.insert(key);
        }
        Ok(seen)
    }

    /// State transitions after a successful evaluation of one rule.
    fn advance(
        &mut self,
        ctx: &Transition<'_>,
        changed: &mut BTreeSet<String>,
        removed: &mut Vec<String>,
        history: &mut Vec<HistoryEvent>,
        report: &mut TickReport,
    ) {
        let Transition {
            group,
            rule_id,
            rule,
            present,
            t,
        } = *ctx;
        let hold = duration_millis(rule.hold);
        let keep_firing_for = duration_millis(rule.keep_firing_for);
        let retention = duration_millis(self.config.resolved_retention);
        let keys: Vec<String> = self
            .alerts
            .values()
            .filter(|a| a.group == group && a.rule_id == rule_id)
            .map(Alert::key)
            .collect();
        for key in keys {
            let Some(a) = self.alerts.get_mut(&key) else {
                continue;
            };
            if !present.contains(&key) {
                match a.state {
                    AlertState::Pending => {
                        self.alerts.remove(&key);
                        changed.remove(&key);
                        removed.push(key);
                    }
                    AlertState::Firing => {
                        // keep_firing_for: stay firing for a while after the condition
                        // stopped, measured from the first evaluation that missed it.
                        let since = *a.keep_firing_since.get_or_insert(t);
                        if t - since < keep_firing_for {
                            changed.insert(key);
                            continue;
                        }
                        a.keep_firing_since = None;
                        a.state = AlertState::Resolved;
                        a.resolved_at = Some(t);
                        history.push(event(&key, a, "resolved", t));
                        report.resolved.push(a.labels.clone());
                        changed.insert(key);
                    }
                    AlertState::Resolved => {
                        if a.resolved_at.is_some_and(|r| t - r > retention) {
                            self.alerts.remove(&key);
                            changed.remove(&key);
                            removed.push(key);
                        }
                    }
                }
                continue;
            }
            match a.state {
                AlertState::Pending if t - a.active_at >= hold => {
                    a.state = AlertState::Firing;
                    a.fired_at = Some(t);
                    history.push(event(&key, a, "firing", t));
                    report.fired.push(a.labels.clone());
                    changed.insert(key);
                }
                _ => {}
            }
        }
    }

    /// Sends what is due: newly firing alerts, firing alerts every `resend_delay`, and
    /// resolved alerts (with `endsAt` = resolution) until they are forgotten.
    async fn notify(&mut self, t: i64, changed: &mut BTreeSet<String>, report: &mut TickReport) {
        let resend = duration_millis(self.config.resend_delay);
        let intervals: HashMap<&str, i64> = self
            .rules
            .groups
            .iter()
            .map(|g| (g.name.as_str(), duration_millis(g.interval)))
            .collect();
        let mut due_keys = Vec::new();
        let mut batch = Vec::new();
        for (key, a) in &self.alerts {
            let due = match a.state {
                AlertState::Pending => false,
                _ if a
                    .resolved_at
                    .is_some_and(|r| a.last_sent_at.is_none_or(|s| r > s)) =>
                {
                    true
                }
                _ => a.last_sent_at.is_none_or(|s| s.saturating_add(resend) <= t),
            };
            if !due {
                continue;
            }
            let interval = intervals.get(a.group.as_str()).copied().unwrap_or(60_000);
            // Like Prometheus: a firing alert stays valid for 4 resend periods, so a
            // crashed netops lets Alertmanager resolve it by itself.
            let ends_at = a
                .resolved_at
                .unwrap_or_else(|| t.saturating_add(resend.max(interval).saturating_mul(4)));
            batch.push(Notification {
                labels: a
                    .labels
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                annotations: a.annotations.clone(),
                status: if a.state == AlertState::Resolved {
                    "resolved"
                } else {
                    "firing"
                },
                starts_at: rfc3339_millis(a.fired_at.unwrap_or(a.active_at)),
                ends_at: rfc3339_millis(ends_at),
                generator_url: a.generator_url.clone(),
                value: a.value,
            });
            due_keys.push(key.clone());
        }
        if batch.is_empty() {
            return;
        }
        let mut all_ok = true;
        for n in &self.notifiers {
            if let Err(e) = n.send(&batch).await {
                tracing::warn!(notifier = n.name(), error = %e, "alert notification failed");
                report.notify_errors.push(e);
                all_ok = false;
            }
        }
        if all_ok {
            for key in due_keys {
                if let Some(a) = self.alerts.get_mut(&key) {
                    a.last_sent_at = Some(t);
                    changed.insert(key);
                }
            }
        }
        report.sent = batch;
    }

    fn generator_url(&self, expr: &str) -> String {
        let enc: String = expr
            .bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect();
        format!(
            "{}/graph?g0.expr={enc}&g0.tab=1",
            self.config.external_url.trim_end_matches('/')
        )
    }

    /// `netops_alerts{state,severity}`: how many alerts are pending and firing, per
    /// severity (zero for every severity a rule declares, so the series never vanish).
    pub fn alert_samples(&self, now: SystemTime) -> Vec<Sample> {
        let mut counts: BTreeMap<(&str, String), f64> = BTreeMap::new();
        for g in &self.rules.groups {
            for r in &g.rules {
                if let Some(sev) = r.labels.get("severity") {
                    let sev = sev.expand(&Labels::new(), 0.0);
                    for state in ["pending", "firing"] {
                        counts.entry((state, sev.clone())).or_insert(0.0);
                    }
                }
            }
        }
        for a in self.alerts.values() {
            if a.state == AlertState::Resolved {
                continue;
            }
            *counts
                .entry((a.state.as_str(), a.severity().to_string()))
                .or_insert(0.0) += 1.0;
        }
        counts
            .into_iter()
            .map(|((state, severity), n)| {
                Sample::gauge(
                    "netops_alerts",
                    Labels::new()
                        .with("state", state)
                        .with("severity", severity),
                    n,
                    now,
                )
            })
            .collect()
    }
}

/// One rule's evaluation, as the transitions need it.
struct Transition<'a> {
    group: &'a str,
    rule_id: &'a str,
    rule: &'a AlertRule,
    /// Keys of the alerts the rule's result produced at `t`.
    present: &'a HashSet<String>,
    t: i64,
}

fn event(key: &str, a: &Alert, what: &str, t: i64) -> HistoryEvent {
    HistoryEvent {
        alert_id: key.to_string(),
        alertname: a.name().to_string(),
        severity: a.severity().to_string(),
        labels: a.labels.clone(),
        event: what.to_string(),
        at_ms: t,
    }
}

/// For tests and tools: the time of a millisecond timestamp.
pub fn at(ms: i64) -> SystemTime {
    from_millis(ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The daemon runs the manager in a spawned task: it and its `tick` future must be Send.
    #[test]
    fn manager_and_tick_are_send() {
        fn is_send<T: Send>(_: &T) {}
        fn assert_send<T: Send + Sync>() {}
        assert_send::<AlertManager>();
        assert_send::<crate::SampleStore>();
        #[allow(dead_code, clippy::unused_async)]
        async fn tick_future(m: &mut AlertManager) {
            let f = m.tick(SystemTime::now());
            is_send(&f);
            let _ = f.await;
        }
    }
}
