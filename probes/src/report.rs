//! How the CLI shows a round: one JSON object per line (`-o json`), or one human line.
//! Kept in the library so the daemon's logs and the CLI agree on the shape.

use crate::dualstack::PortExposure;
use crate::prober::{PortState, RoundResult};
use serde::Serialize;
use std::time::Duration;

fn ms(d: Duration) -> f64 {
    // Microsecond resolution is all an RTT report needs; rounding keeps JSON short.
    (d.as_secs_f64() * 1_000_000.0).round() / 1000.0
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RttMs {
    pub min: Option<f64>,
    pub avg: Option<f64>,
    pub median: Option<f64>,
    pub p95: Option<f64>,
    pub max: Option<f64>,
    pub stddev: Option<f64>,
}

/// The `-o json` line: `{"target","family","protocol","sent","received","loss_ratio",
/// "rtt_ms":{"min","avg","median","p95","max","stddev"},"jitter_ms"}` plus context fields.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JsonRound {
    pub target: String,
    pub address: String,
    pub family: &'static str,
    pub protocol: &'static str,
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port_state: Option<PortState>,
    pub sent: u64,
    pub received: u64,
    pub duplicates: u64,
    pub late: u64,
    pub loss_ratio: f64,
    pub rtt_ms: RttMs,
    pub jitter_ms: Option<f64>,
    pub kernel_timestamps: bool,
}

impl From<&RoundResult> for JsonRound {
    fn from(r: &RoundResult) -> Self {
        let s = &r.stats;
        let pick = |f: fn(&crate::stats::RttStats) -> Duration| s.rtt.as_ref().map(|x| ms(f(x)));
        Self {
            target: r.target.name.clone(),
            address: r.target.addr.to_string(),
            family: r.family().as_str(),
            protocol: r.protocol.as_str(),
            path: r.path.to_string(),
            port: r.port,
            port_state: r.port_state,
            sent: s.sent,
            received: s.received,
            duplicates: s.duplicates,
            late: s.late,
            loss_ratio: s.loss_ratio,
            rtt_ms: RttMs {
                min: pick(|x| x.min),
                avg: pick(|x| x.avg),
                median: pick(|x| x.median),
                p95: pick(|x| x.p95),
                max: pick(|x| x.max),
                stddev: pick(|x| x.stddev),
            },
            jitter_ms: s.jitter.map(ms),
            kernel_timestamps: r.kernel_timestamps,
        }
    }
}

/// The dual-stack summary line of one host.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JsonDualStack {
    pub target: String,
    pub ipv4: String,
    pub ipv6: String,
    pub ports: Vec<JsonExposure>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JsonExposure {
    pub port: u16,
    pub ipv4: PortState,
    pub ipv6: PortState,
    /// `ipv4_only`, `ipv6_only`, or null when both families agree.
    pub family_open: Option<&'static str>,
}

impl From<&PortExposure> for JsonExposure {
    fn from(e: &PortExposure) -> Self {
        Self {
            port: e.port,
            ipv4: e.ipv4,
            ipv6: e.ipv6,
            family_open: e.family_open().map(|f| f.as_str()),
        }
    }
}

fn state_word(s: PortState) -> &'static str {
    match s {
        PortState::Open => "open",
        PortState::Closed => "closed",
        PortState::Filtered => "filtered",
        PortState::Unreachable => "unreachable",
    }
}

/// One human-readable line, in the spirit of `fping -q` / `ping` summaries.
pub fn text_round(r: &RoundResult) -> String {
    let s = &r.stats;
    let mut head = format!(
        "{} [{}] {} {}",
        r.target.name,
        r.target.addr,
        r.family().as_str(),
        r.protocol.as_str()
    );
    if let Some(p) = r.port {
        head.push_str(&format!(" port {p}"));
    }
    if r.path != crate::prober::ProbePath::Plain {
        head.push_str(&format!(" via {}", r.path));
    }
    let mut line = format!(
        "{head}: {}/{} received, {:.1}% loss",
        s.received,
        s.sent,
        s.loss_ratio * 100.0
    );
    if let Some(st) = r.port_state {
        line.push_str(&format!(", port {}", state_word(st)));
    }
    if let Some(rtt) = &s.rtt {
        line.push_str(&format!(
            ", rtt min/avg/median/p95/max/stddev = {:.3}/{:.3}/{:.3}/{:.3}/{:.3}/{:.3} ms",
            ms(rtt.min),
            ms(rtt.avg),
            ms(rtt.median),
            ms(rtt.p95),
            ms(rtt.max),
            ms(rtt.stddev)
        ));
    }
    if let Some(j) = s.jitter {
        line.push_str(&format!(", jitter {:.3} ms", ms(j)));
    }
    if s.duplicates > 0 || s.late > 0 {
        line.push_str(&format!(", {} duplicate, {} late", s.duplicates, s.late));
    }
    line
}

/// Human lines of a dual-stack port comparison.
pub fn text_dual_stack(target: &str, exposures: &[PortExposure]) -> String {
    let mut out = format!("{target} dual-stack TCP ports:");
    for e in exposures {
        out.push_str(&format!(
            "\n  port {:>5}: ipv4 {:<11} ipv6 {:<11}",
            e.port,
            state_word(e.ipv4),
            state_word(e.ipv6)
        ));
        match e.family_open() {
            Some(crate::dualstack::FamilyOpen::Ipv6Only) => {
                out.push_str(" <- open on IPv6 only (IPv4 firewall does not cover IPv6?)")
            }
            Some(crate::dualstack::FamilyOpen::Ipv4Only) => out.push_str(" <- open on IPv4 only"),
            None => {}
        }
    }
    out
}

/// Parses `200ms`, `1s`, `1m 30s` (humantime), for the CLI and config files.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text.trim())
        .map_err(|e| format!("`{text}` is not a duration like 200ms or 1s: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prober::{ProbePath, ProbeTarget, Protocol};
    use crate::stats::RoundStats;
    use std::time::SystemTime;

    #[test]
    fn json_line_has_the_documented_keys() {
        let rtts = vec![Duration::from_micros(1500), Duration::from_micros(2500)];
        let r = RoundResult {
            target: ProbeTarget::new("gw", "10.0.0.1".parse().unwrap()),
            protocol: Protocol::Icmp,
            path: ProbePath::Plain,
            port: None,
            stats: RoundStats::compute(3, &rtts, 0, 0),
            rtts,
            port_state: None,
            started: SystemTime::UNIX_EPOCH,
            duration: Duration::from_secs(1),
            kernel_timestamps: true,
        };
        let v = serde_json::to_value(JsonRound::from(&r)).unwrap();
        for k in [
            "target",
            "family",
            "protocol",
            "sent",
            "received",
            "loss_ratio",
            "rtt_ms",
            "jitter_ms",
        ] {
            assert!(v.get(k).is_some(), "missing {k} in {v}");
        }
        for k in ["min", "avg", "median", "p95", "max", "stddev"] {
            assert!(v["rtt_ms"].get(k).is_some(), "missing rtt_ms.{k}");
        }
        assert_eq!(v["family"], "ipv4");
        assert_eq!(v["rtt_ms"]["median"], 2.0);
        assert_eq!(v["jitter_ms"], 1.0);
        assert!(text_round(&r).contains("2/3 received, 33.3% loss"));
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("200ms").unwrap(), Duration::from_millis(200));
        assert_eq!(parse_duration("1s").unwrap(), Duration::from_secs(1));
        assert!(parse_duration("fast").unwrap_err().contains("fast"));
    }
}
