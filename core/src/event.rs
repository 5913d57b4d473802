use crate::Labels;
use std::time::SystemTime;

/// How much an event or alert matters, in Alertmanager's usual vocabulary.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Critical,
}

/// Something that happened at one instant: an SNMP trap, a drill injection, a detector hit.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub time: SystemTime,
    /// What kind of event (`linkDown`, `authenticationFailure`, `drill_inject`).
    pub kind: String,
    /// Where it came from: the agent address of a trap, the target of an injection.
    pub source: String,
    pub severity: Severity,
    pub labels: Labels,
    /// One human-readable line.
    pub message: String,
}
