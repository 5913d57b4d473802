//! Alerts and their lifecycle: pending → firing (after the rule's `for`) → resolved,
//! following Prometheus' `AlertingRule.Eval` rules, with state persisted in SQL so that a
//! restart neither re-fires nor forgets an alert.

pub mod manager;
pub mod store;

use netops_core::Labels;
use std::collections::BTreeMap;

/// Where an alert is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AlertState {
    /// The condition holds, but not yet for the rule's `for` duration.
    Pending,
    /// The condition has held for `for`: notifiers are told.
    Firing,
    /// It fired and has stopped; kept a while so the resolution reaches the notifiers.
    Resolved,
}

impl AlertState {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertState::Pending => "pending",
            AlertState::Firing => "firing",
            AlertState::Resolved => "resolved",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(AlertState::Pending),
            "firing" => Some(AlertState::Firing),
            "resolved" => Some(AlertState::Resolved),
            _ => None,
        }
    }
}

/// One alert: a rule's name plus one label set. Times are Unix milliseconds.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    /// The rule group it belongs to.
    pub group: String,
    /// Which rule of the group raised it (`alertname`, plus `#n` for the n-th further rule
    /// of the same name), so two rules sharing a name do not resolve each other's alerts.
    pub rule_id: String,
    /// The full identity: the series' labels, the rule's labels, and `alertname`.
    pub labels: Labels,
    pub annotations: BTreeMap<String, String>,
    pub state: AlertState,
    /// The expression's value at the last evaluation where the condition held.
    pub value: f64,
    /// When the condition started to hold (kept across restarts).
    pub active_at: i64,
    pub fired_at: Option<i64>,
    pub resolved_at: Option<i64>,
    /// Since when a firing alert's condition has been absent (`keep_firing_for`).
    pub keep_firing_since: Option<i64>,
    /// When notifiers were last told about it.
    pub last_sent_at: Option<i64>,
    /// Link back to the rule (`generatorURL` in Alertmanager).
    pub generator_url: String,
}

impl Alert {
    /// The rule name (`alertname` label).
    pub fn name(&self) -> &str {
        self.labels.get("alertname").unwrap_or("")
    }

    /// The `severity` label, or `none`.
    pub fn severity(&self) -> &str {
        self.labels.get("severity").unwrap_or("none")
    }

    /// The stable key the store and the manager use: group + label set.
    pub fn key(&self) -> String {
        alert_key(&self.group, &self.labels)
    }
}

pub(crate) fn alert_key(group: &str, labels: &Labels) -> String {
    format!("{group}{labels}")
}

/// What notifiers receive: an alert as Alertmanager's v2 API describes it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Notification {
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    /// `firing` or `resolved`.
    pub status: &'static str,
    /// RFC 3339.
    #[serde(rename = "startsAt")]
    pub starts_at: String,
    /// RFC 3339: the resolution time, or for a firing alert how long it stays valid
    /// without being re-sent.
    #[serde(rename = "endsAt")]
    pub ends_at: String,
    #[serde(rename = "generatorURL")]
    pub generator_url: String,
    /// The expression's value (not part of Alertmanager's API; webhooks get it).
    #[serde(skip)]
    pub value: f64,
}
