//! Probers: one file per kind, all behind [`Prober`]. A prober runs one *round* against one
//! target (N probes at an interval, each with a timeout) and returns a [`RoundResult`].
//! Adding a prober means adding one file here.

pub mod icmp;
pub mod srv6;
pub mod tcp;
pub mod udp;

use crate::error::ProbeError;
use crate::stats::RoundStats;
use serde::Serialize;
use std::future::Future;
use std::net::{IpAddr, Ipv6Addr};
use std::pin::Pin;
use std::time::{Duration, SystemTime};

pub use icmp::IcmpProber;
pub use srv6::Srv6Prober;
pub use tcp::TcpProber;
pub use udp::UdpProber;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    Icmp,
    Tcp,
    Udp,
}

impl Protocol {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Icmp => "icmp",
            Self::Tcp => "tcp",
            Self::Udp => "udp",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Family {
    #[serde(rename = "ipv4")]
    V4,
    #[serde(rename = "ipv6")]
    V6,
}

impl Family {
    pub fn of(addr: IpAddr) -> Self {
        match addr.to_canonical() {
            IpAddr::V4(_) => Self::V4,
            IpAddr::V6(_) => Self::V6,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::V4 => "ipv4",
            Self::V6 => "ipv6",
        }
    }
}

/// The path a probe takes: the routing table's, or an explicit SRv6 segment list.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ProbePath {
    Plain,
    /// SIDs in travel order, not including the final target.
    Srv6(Vec<Ipv6Addr>),
}

impl std::fmt::Display for ProbePath {
    /// `plain` or `srv6:<sid>,<sid>` (the `path` label of the metric contract).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Plain => f.write_str("plain"),
            Self::Srv6(segs) => {
                f.write_str("srv6:")?;
                for (i, s) in segs.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{s}")?;
                }
                Ok(())
            }
        }
    }
}

/// What to probe: the name the user gave (label value) and the address it resolved to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeTarget {
    pub name: String,
    pub addr: IpAddr,
}

impl ProbeTarget {
    /// IPv4-mapped IPv6 addresses become plain IPv4 (they are probed over IPv4).
    pub fn new(name: impl Into<String>, addr: IpAddr) -> Self {
        Self {
            name: name.into(),
            addr: addr.to_canonical(),
        }
    }
}

/// How one round runs.
#[derive(Debug, Clone)]
pub struct RoundSpec {
    /// Probes per round (SmokePing's "pings").
    pub count: u32,
    /// Time between the starts of consecutive probes.
    pub interval: Duration,
    /// How long to wait for each probe's reply; later replies count as late.
    pub timeout: Duration,
    /// ICMP payload bytes (as `ping -s`), UDP echo payload bytes.
    pub size: usize,
    /// TCP/UDP destination port.
    pub port: Option<u16>,
}

impl Default for RoundSpec {
    fn default() -> Self {
        Self {
            count: 5,
            interval: Duration::from_secs(1),
            timeout: Duration::from_secs(1),
            size: 56,
            port: None,
        }
    }
}

impl RoundSpec {
    pub fn validate(&self) -> Result<(), ProbeError> {
        if self.count == 0 {
            return Err(ProbeError::BadSpec {
                field: "count",
                reason: "must be at least 1".into(),
            });
        }
        if self.timeout.is_zero() {
            return Err(ProbeError::BadSpec {
                field: "timeout",
                reason: "must be longer than 0".into(),
            });
        }
        if self.size > 65_000 {
            return Err(ProbeError::BadSpec {
                field: "size",
                reason: format!("{} bytes does not fit in one packet", self.size),
            });
        }
        Ok(())
    }
}

/// State of a TCP/UDP port as seen by the last probe that settled it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PortState {
    /// Handshake completed / a reply came back.
    Open,
    /// RST or ICMP port unreachable.
    Closed,
    /// No answer within the timeout.
    Filtered,
    /// Host or network unreachable, or another socket error.
    Unreachable,
}

/// The outcome of one round against one target.
#[derive(Debug, Clone)]
pub struct RoundResult {
    pub target: ProbeTarget,
    pub protocol: Protocol,
    pub path: ProbePath,
    pub port: Option<u16>,
    pub stats: RoundStats,
    /// RTTs of the in-time replies in send order (for histograms).
    pub rtts: Vec<Duration>,
    pub port_state: Option<PortState>,
    pub started: SystemTime,
    /// Wall time of the whole round.
    pub duration: Duration,
    /// Whether every RTT ended on a kernel receive timestamp.
    pub kernel_timestamps: bool,
}

impl RoundResult {
    pub fn family(&self) -> Family {
        Family::of(self.target.addr)
    }
}

/// One kind of probe. Object-safe so the daemon can keep probers in a map by module name.
pub trait Prober: Send + Sync + std::fmt::Debug {
    fn protocol(&self) -> Protocol;
    fn path(&self) -> ProbePath {
        ProbePath::Plain
    }
    fn round<'a>(
        &'a self,
        target: &'a ProbeTarget,
        spec: &'a RoundSpec,
    ) -> BoxFuture<'a, Result<RoundResult, ProbeError>>;
}

/// Start offset of probe `i`: probes are paced from the round's start, not from the previous
/// send, so a slow send does not stretch the round.
pub(crate) fn send_offset(spec: &RoundSpec, i: u32) -> Duration {
    spec.interval.saturating_mul(i)
}
