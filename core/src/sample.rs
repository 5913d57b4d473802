use crate::Labels;
use std::borrow::Borrow;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::sync::Arc;
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

/// A metric name, Prometheus-style (`ifHCInOctets`, `netops_poll_duration_seconds`).
///
/// Almost every name is a literal in the code, and a poll makes one sample per varbind: so
/// a name is a `&'static str` (no allocation, nothing to free) or, for the few made at run
/// time (`<object>_info`, names from config), one shared string that clones by reference
/// count. It reads as a `str` everywhere (`Deref`, `Borrow`, comparisons).
#[derive(Clone)]
pub struct MetricName(Repr);

#[derive(Clone)]
enum Repr {
    Static(&'static str),
    Shared(Arc<str>),
}

impl MetricName {
    pub const fn from_static(name: &'static str) -> Self {
        Self(Repr::Static(name))
    }

    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Static(s) => s,
            Repr::Shared(s) => s,
        }
    }
}

impl Deref for MetricName {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for MetricName {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

/// Hash, Eq and Ord are those of the text, so a `MetricName` keys a map looked up by `&str`.
impl Borrow<str> for MetricName {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl From<&'static str> for MetricName {
    fn from(name: &'static str) -> Self {
        Self::from_static(name)
    }
}

impl From<String> for MetricName {
    fn from(name: String) -> Self {
        Self(Repr::Shared(name.into()))
    }
}

impl From<&String> for MetricName {
    fn from(name: &String) -> Self {
        Self(Repr::Shared(name.as_str().into()))
    }
}

impl From<Arc<str>> for MetricName {
    fn from(name: Arc<str>) -> Self {
        Self(Repr::Shared(name))
    }
}

impl PartialEq for MetricName {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for MetricName {}

impl PartialOrd for MetricName {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for MetricName {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl Hash for MetricName {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl PartialEq<str> for MetricName {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for MetricName {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for MetricName {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other.as_str()
    }
}

impl PartialEq<MetricName> for &str {
    fn eq(&self, other: &MetricName) -> bool {
        *self == other.as_str()
    }
}

impl fmt::Debug for MetricName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for MetricName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One value of one series at one time.
///
/// Small on purpose (a poll of a 48-port router makes ~1,600): the name is static or
/// shared, the labels are a shared set (every column of a row clones the row's set).
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub name: MetricName,
    pub labels: Labels,
    pub value: f64,
    pub kind: MetricKind,
    /// When the value was measured (not when it reached the sink).
    pub time: SystemTime,
}

impl Sample {
    pub fn gauge(
        name: impl Into<MetricName>,
        labels: Labels,
        value: f64,
        time: SystemTime,
    ) -> Self {
        Self {
            name: name.into(),
            labels,
            value,
            kind: MetricKind::Gauge,
            time,
        }
    }

    pub fn counter(
        name: impl Into<MetricName>,
        labels: Labels,
        value: f64,
        time: SystemTime,
    ) -> Self {
        Self {
            name: name.into(),
            labels,
            value,
            kind: MetricKind::Counter,
            time,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn static_and_shared_names_are_the_same_name() {
        let a = MetricName::from("ifHCInOctets");
        let b = MetricName::from("ifHCInOctets".to_string());
        assert_eq!(a, b);
        assert_eq!(a, "ifHCInOctets");
        let mut map = HashMap::new();
        map.insert(b, 1);
        assert_eq!(map.get("ifHCInOctets"), Some(&1));
        assert_eq!(a.len(), 12);
        assert_eq!(format!("{a} {a:?}"), "ifHCInOctets \"ifHCInOctets\"");
    }

    #[test]
    fn a_sample_stays_small() {
        // name 24 + labels 8 + value 8 + time 16 + kind: what a poll allocates per varbind.
        assert!(
            std::mem::size_of::<Sample>() <= 64,
            "{}",
            std::mem::size_of::<Sample>()
        );
    }
}
