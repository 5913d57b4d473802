//! Attack-defense drills as data: a drill (name, scope CIDRs, start/end), the injections
//! the red team made (kind, target, ground-truth time), the alerts that fired during it
//! (tagged with the drill when their target is in scope), and acknowledgements.
//! [`report::DrillReport`] turns them into figures (time-to-detect, time-to-acknowledge,
//! missed injections, false alarms, MTTD, MTTA, coverage), rendered as JSON, Markdown and
//! HTML. The model and reports are pure (no clock, no I/O); [`store`] persists drills,
//! injections and acks, [`inject`] carries injections out (traps, port scans), [`metrics`]
//! gives the `netops_drill_*` series, [`client`] talks to the HTTP API in [`crate::api`].

pub mod auth;
pub mod client;
pub mod html;
pub mod inject;
pub mod markdown;
pub mod metrics;
pub mod report;
pub mod store;

use crate::alert::store::HistoryEvent;
use crate::error::AlertError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

pub use report::DrillReport;

/// An IPv4 or IPv6 prefix (`10.20.0.0/16`, `2001:db8::/32`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    pub addr: IpAddr,
    pub prefix: u8,
}

impl Cidr {
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32u32.saturating_sub(u32::from(self.prefix)))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128u32.saturating_sub(u32::from(self.prefix)))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl FromStr for Cidr {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (a, p) = s.split_once('/').unwrap_or((s, ""));
        let addr: IpAddr = a.parse().map_err(|e| format!("CIDR {s:?}: {e}"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = if p.is_empty() {
            max
        } else {
            p.parse::<u8>()
                .ok()
                .filter(|&n| n <= max)
                .ok_or_else(|| format!("CIDR {s:?}: prefix must be 0..={max}"))?
        };
        Ok(Self { addr, prefix })
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

impl Serialize for Cidr {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Cidr {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// A drill: what is in play, and when. Times are Unix milliseconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Drill {
    pub name: String,
    pub scope: Vec<Cidr>,
    pub start_ms: i64,
    pub end_ms: i64,
}

/// One thing the attacking side did, with its ground-truth time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Injection {
    pub id: String,
    /// What was done (`port_scan`, `snmp_bruteforce`, `link_cut`, `srv6_path_cut`).
    pub kind: String,
    /// The address or name attacked; an alert detects it when one of its labels names it.
    pub target: String,
    pub at_ms: i64,
    /// Alert names that count as detecting it; empty means any alert on the target.
    #[serde(default)]
    pub detected_by: Vec<String>,
}

/// An alert as a drill sees it: when it fired, and where it points.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DrillAlert {
    pub id: String,
    pub alertname: String,
    pub severity: String,
    pub category: String,
    pub labels: BTreeMap<String, String>,
    pub fired_at_ms: i64,
    pub resolved_at_ms: Option<i64>,
}

/// Someone on the defending side acknowledged an alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ack {
    pub alert_id: String,
    pub who: String,
    pub at_ms: i64,
}

/// Label names that say where an alert or event points.
const TARGET_LABELS: &[&str] = &["target", "instance", "source", "mgmt_ip", "site_id"];

/// `10.0.0.1`, `10.0.0.1:161`, `[2001:db8::1]:161`, `2001:db8::1` → the address.
fn parse_ip(s: &str) -> Option<IpAddr> {
    if let Ok(ip) = s.parse() {
        return Some(ip);
    }
    if let Some(rest) = s.strip_prefix('[') {
        return rest.split_once(']').and_then(|(a, _)| a.parse().ok());
    }
    s.rsplit_once(':').and_then(|(a, _)| a.parse().ok())
}

impl Drill {
    pub fn validate(&self) -> Result<(), AlertError> {
        if self.end_ms <= self.start_ms {
            return Err(AlertError::Drill {
                drill: self.name.clone(),
                message: "end must be after start".into(),
            });
        }
        Ok(())
    }

    /// Whether an address (or a target name that is one) lies in the drill's scope.
    pub fn in_scope(&self, value: &str) -> bool {
        parse_ip(value).is_some_and(|ip| self.scope.iter().any(|c| c.contains(ip)))
    }

    /// Whether an alert belongs to the drill: it fired during the drill and points at an
    /// address in scope or at an injected target.
    pub fn tags(&self, alert: &DrillAlert, injections: &[Injection]) -> bool {
        if alert.fired_at_ms < self.start_ms || alert.fired_at_ms > self.end_ms {
            return false;
        }
        TARGET_LABELS.iter().any(|l| {
            alert.labels.get(*l).is_some_and(|v| {
                self.in_scope(v) || injections.iter().any(|i| names_target(v, &i.target))
            })
        })
    }

    /// Whether an event (a trap, say) belongs to the drill.
    pub fn tags_event(&self, event: &netops_core::Event) -> bool {
        let t = crate::time::to_millis(event.time);
        t >= self.start_ms && t <= self.end_ms && self.in_scope(&event.source)
    }
}

/// A label value names a target when equal to it, or when both are the same address.
pub(crate) fn names_target(value: &str, target: &str) -> bool {
    value == target || matches!((parse_ip(value), parse_ip(target)), (Some(a), Some(b)) if a == b)
}

/// Builds drill alerts from the alert store's firing/resolved history.
pub fn alerts_from_history(events: &[HistoryEvent]) -> Vec<DrillAlert> {
    let mut out: Vec<DrillAlert> = Vec::new();
    for e in events {
        match e.event.as_str() {
            "firing" => {
                let labels: BTreeMap<String, String> = e
                    .labels
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect();
                out.push(DrillAlert {
                    // One alert can fire several times: each firing is its own incident alert.
                    id: format!("{}@{}", e.alert_id, e.at_ms),
                    alertname: e.alertname.clone(),
                    severity: e.severity.clone(),
                    category: labels
                        .get("category")
                        .cloned()
                        .unwrap_or_else(|| "none".into()),
                    labels,
                    fired_at_ms: e.at_ms,
                    resolved_at_ms: None,
                });
            }
            "resolved" => {
                let prefix = format!("{}@", e.alert_id);
                if let Some(a) = out
                    .iter_mut()
                    .rev()
                    .find(|a| a.id.starts_with(&prefix) && a.resolved_at_ms.is_none())
                {
                    a.resolved_at_ms = Some(e.at_ms);
                }
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidrs() {
        let c: Cidr = "10.20.0.0/16".parse().unwrap();
        assert!(c.contains("10.20.3.4".parse().unwrap()));
        assert!(!c.contains("10.21.0.1".parse().unwrap()));
        let c6: Cidr = "2001:db8::/32".parse().unwrap();
        assert!(c6.contains("2001:db8:1::1".parse().unwrap()));
        assert!(!c6.contains("10.20.3.4".parse().unwrap()));
        let all: Cidr = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains("192.0.2.1".parse().unwrap()));
        assert!("10.0.0.0/33".parse::<Cidr>().is_err());
        assert!("nope/8".parse::<Cidr>().is_err());
        // Built by hand with a prefix too long: treated as a host route, no panic.
        let odd = Cidr {
            addr: "10.0.0.1".parse().unwrap(),
            prefix: 40,
        };
        assert!(odd.contains("10.0.0.1".parse().unwrap()));
        assert_eq!(parse_ip("[2001:db8::1]:161"), "2001:db8::1".parse().ok());
        assert_eq!(parse_ip("10.0.0.1:161"), "10.0.0.1".parse().ok());
    }

    #[test]
    fn history_becomes_drill_alerts_and_is_tagged() {
        use netops_core::Labels;
        let ev = |event: &str, at_ms: i64| HistoryEvent {
            alert_id: "g{alertname=\"TargetDown\"}".into(),
            alertname: "TargetDown".into(),
            severity: "critical".into(),
            labels: Labels::new()
                .with("alertname", "TargetDown")
                .with("target", "[2001:db8:20::7]:161")
                .with("category", "availability"),
            event: event.into(),
            at_ms,
        };
        // Fired twice: two drill alerts, each with its own resolution.
        let alerts =
            alerts_from_history(&[ev("firing", 100), ev("resolved", 200), ev("firing", 300)]);
        assert_eq!(alerts.len(), 2);
        assert_eq!(
            (alerts[0].fired_at_ms, alerts[0].resolved_at_ms),
            (100, Some(200))
        );
        assert_eq!(
            (alerts[1].fired_at_ms, alerts[1].resolved_at_ms),
            (300, None)
        );
        assert_eq!(alerts[0].category, "availability");
        let drill = Drill {
            name: "d".into(),
            scope: vec!["2001:db8:20::/48".parse().unwrap()],
            start_ms: 0,
            end_ms: 250,
        };
        assert!(drill.tags(&alerts[0], &[]));
        assert!(!drill.tags(&alerts[1], &[]), "fired after the drill");
        let event = netops_core::Event {
            time: crate::time::from_millis(150),
            kind: "linkDown".into(),
            source: "2001:db8:20::9".into(),
            severity: netops_core::Severity::Warning,
            labels: Labels::new(),
            message: String::new(),
        };
        assert!(drill.tags_event(&event));
    }
}
