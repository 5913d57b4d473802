use crate::Labels;
use std::time::SystemTime;

/// How a series behaves over time; sinks need it to pick a Prometheus type or to decide
/// whether a rate makes sense.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MetricKind {
    /// Only goes up, except on reset (an agent reboot or a wrap the producer already handled).
    Counter,
    /// Goes up and down.
    Gauge,
}

/// One value of one series at one time.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// Metric name, Prometheus-style (`ifHCInOctets`, `netops_poll_duration_seconds`).
    pub name: String,
    pub labels: Labels,
    pub value: f64,
    pub kind: MetricKind,
    /// When the value was measured (not when it reached the sink).
    pub time: SystemTime,
}

impl Sample {
    pub fn gauge(name: impl Into<String>, labels: Labels, value: f64, time: SystemTime) -> Self {
        Self {
            name: name.into(),
            labels,
            value,
            kind: MetricKind::Gauge,
            time,
        }
    }

    pub fn counter(name: impl Into<String>, labels: Labels, value: f64, time: SystemTime) -> Self {
        Self {
            name: name.into(),
            labels,
            value,
            kind: MetricKind::Counter,
            time,
        }
    }
}
