//! Configuration of scheduled probes (`[probes]` defaults and `[[probe_targets]]` in the
//! daemon's file) and of the blackbox_exporter-compatible `/probe` modules. Parsed with
//! `deny_unknown_fields`, validated into [`ProbePlan`]s; problems name their key.

use crate::blackbox::{BlackboxModule, BlackboxProber};
use crate::prober::Protocol;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv6Addr};
use std::time::Duration;

/// `[probes]`: defaults for every probe target.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProbeDefaults {
    /// One round per target per interval.
    pub interval_seconds: f64,
    /// Probes per round (SmokePing's "pings").
    pub count: u32,
    /// Time between the probes of a round.
    pub spacing_seconds: f64,
    /// Wait for each reply; later replies count as late.
    pub timeout_seconds: f64,
    /// ICMP/UDP payload bytes.
    pub size_bytes: usize,
}

impl Default for ProbeDefaults {
    fn default() -> Self {
        Self {
            interval_seconds: 30.0,
            count: 5,
            spacing_seconds: 0.2,
            timeout_seconds: 1.0,
            size_bytes: 56,
        }
    }
}

/// `[[probe_targets]]`: one host (one or more addresses) probed every interval.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProbeTargetConfig {
    /// The `target` label.
    pub name: String,
    /// IP addresses to probe; give an IPv4 and an IPv6 address of a dual-stack host to get
    /// both families side by side (`family` label).
    pub addresses: Vec<String>,
    /// `icmp` (default), `tcp` or `udp`.
    #[serde(default = "default_protocol")]
    pub protocol: String,
    /// Destination port for tcp/udp.
    pub port: Option<u16>,
    /// SRv6 segment lists (SIDs in travel order, target excluded): each is probed as its
    /// own path (`path="srv6:SID,SID"`) next to the plain path, for the IPv6 addresses.
    #[serde(default)]
    pub srv6_paths: Vec<Vec<String>>,
    /// TCP ports to compare across the IPv4 and IPv6 address (needs one of each):
    /// `netops_dualstack_port_exposure` flags ports open on one family only.
    #[serde(default)]
    pub dual_stack_ports: Vec<u16>,
    pub interval_seconds: Option<f64>,
    pub count: Option<u32>,
    pub timeout_seconds: Option<f64>,
}

fn default_protocol() -> String {
    "icmp".into()
}

/// A validated probe target.
#[derive(Debug, Clone)]
pub struct ProbePlan {
    pub name: String,
    pub addresses: Vec<IpAddr>,
    pub protocol: Protocol,
    pub port: Option<u16>,
    pub srv6_paths: Vec<Vec<Ipv6Addr>>,
    pub dual_stack_ports: Vec<u16>,
    pub interval: Duration,
    pub count: u32,
    pub spacing: Duration,
    pub timeout: Duration,
    pub size: usize,
    /// For a 5G site from the inventory: (site_id, town), exported as
    /// `netops_site_probe_success{site_id,town}` next to the usual probe series.
    pub site: Option<(String, String)>,
}

impl ProbePlan {
    /// An ICMP plan for one inventory site, with the `[probes]` defaults.
    pub fn for_site(defaults: &ProbeDefaults, site_id: &str, town: &str, mgmt_ip: IpAddr) -> Self {
        Self {
            name: format!("site-{site_id}"),
            addresses: vec![mgmt_ip.to_canonical()],
            protocol: Protocol::Icmp,
            port: None,
            srv6_paths: Vec::new(),
            dual_stack_ports: Vec::new(),
            interval: Duration::from_secs_f64(defaults.interval_seconds.clamp(1.0, 86_400.0)),
            count: defaults.count.max(1),
            spacing: Duration::from_secs_f64(defaults.spacing_seconds.clamp(0.0, 60.0)),
            timeout: Duration::from_secs_f64(defaults.timeout_seconds.clamp(0.001, 60.0)),
            size: defaults.size_bytes,
            site: Some((site_id.to_string(), town.to_string())),
        }
    }
}

/// A problem in the probe configuration: key and reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeConfigIssue {
    pub key: String,
    pub reason: String,
}

fn seconds(key: &str, v: f64, issues: &mut Vec<ProbeConfigIssue>) -> Duration {
    if v.is_finite() && v > 0.0 && v <= 86_400.0 {
        Duration::from_secs_f64(v)
    } else {
        issues.push(ProbeConfigIssue {
            key: key.to_string(),
            reason: format!("must be a number of seconds between 0 and 86400, got {v}"),
        });
        Duration::from_secs(1)
    }
}

/// Validates `[probes]` and `[[probe_targets]]`, reporting every problem.
pub fn resolve_probe_targets(
    defaults: &ProbeDefaults,
    targets: &[ProbeTargetConfig],
) -> Result<Vec<ProbePlan>, Vec<ProbeConfigIssue>> {
    let mut issues = Vec::new();
    let interval = seconds(
        "probes.interval_seconds",
        defaults.interval_seconds,
        &mut issues,
    );
    let spacing = if defaults.spacing_seconds >= 0.0 && defaults.spacing_seconds.is_finite() {
        Duration::from_secs_f64(defaults.spacing_seconds)
    } else {
        issues.push(ProbeConfigIssue {
            key: "probes.spacing_seconds".into(),
            reason: "must be 0 or more".into(),
        });
        Duration::ZERO
    };
    let timeout = seconds(
        "probes.timeout_seconds",
        defaults.timeout_seconds,
        &mut issues,
    );
    if defaults.count == 0 {
        issues.push(ProbeConfigIssue {
            key: "probes.count".into(),
            reason: "must be at least 1".into(),
        });
    }
    let mut plans = Vec::new();
    let mut names = std::collections::HashSet::new();
    for (i, t) in targets.iter().enumerate() {
        let key = |f: &str| format!("probe_targets[{i}].{f}");
        let before = issues.len();
        if t.name.trim().is_empty() || !names.insert(t.name.clone()) {
            issues.push(ProbeConfigIssue {
                key: key("name"),
                reason: format!("empty or duplicate name {:?}", t.name),
            });
        }
        let protocol = match t.protocol.as_str() {
            "icmp" => Protocol::Icmp,
            "tcp" => Protocol::Tcp,
            "udp" => Protocol::Udp,
            other => {
                issues.push(ProbeConfigIssue {
                    key: key("protocol"),
                    reason: format!("unknown protocol {other:?} (expected icmp, tcp or udp)"),
                });
                Protocol::Icmp
            }
        };
        if protocol != Protocol::Icmp && t.port.is_none() {
            issues.push(ProbeConfigIssue {
                key: key("port"),
                reason: format!("{} probes need a port", t.protocol),
            });
        }
        if t.addresses.is_empty() {
            issues.push(ProbeConfigIssue {
                key: key("addresses"),
                reason: "list at least one IP address".into(),
            });
        }
        let mut addresses = Vec::new();
        for (j, a) in t.addresses.iter().enumerate() {
            match a.trim_matches(|c| c == '[' || c == ']').parse::<IpAddr>() {
                Ok(ip) => addresses.push(ip.to_canonical()),
                Err(_) => issues.push(ProbeConfigIssue {
                    key: format!("probe_targets[{i}].addresses[{j}]"),
                    reason: format!("{a:?} is not an IP address"),
                }),
            }
        }
        let mut srv6_paths = Vec::new();
        for (j, path) in t.srv6_paths.iter().enumerate() {
            let sids: Result<Vec<Ipv6Addr>, _> =
                path.iter().map(|s| s.parse::<Ipv6Addr>()).collect();
            match sids {
                Ok(s) if !s.is_empty() => srv6_paths.push(s),
                _ => issues.push(ProbeConfigIssue {
                    key: format!("probe_targets[{i}].srv6_paths[{j}]"),
                    reason: "a segment list of one or more IPv6 SIDs".into(),
                }),
            }
        }
        if !srv6_paths.is_empty() && !addresses.iter().any(IpAddr::is_ipv6) {
            issues.push(ProbeConfigIssue {
                key: key("srv6_paths"),
                reason: "SRv6 paths need an IPv6 address in addresses".into(),
            });
        }
        let dual_stack =
            addresses.iter().any(IpAddr::is_ipv4) && addresses.iter().any(IpAddr::is_ipv6);
        if !t.dual_stack_ports.is_empty() && !dual_stack {
            issues.push(ProbeConfigIssue {
                key: key("dual_stack_ports"),
                reason: "needs one IPv4 and one IPv6 address in addresses".into(),
            });
        }
        let t_interval = t.interval_seconds.map_or(interval, |v| {
            seconds(&key("interval_seconds"), v, &mut issues)
        });
        let t_timeout = t.timeout_seconds.map_or(timeout, |v| {
            seconds(&key("timeout_seconds"), v, &mut issues)
        });
        let count = t.count.unwrap_or(defaults.count);
        if count == 0 {
            issues.push(ProbeConfigIssue {
                key: key("count"),
                reason: "must be at least 1".into(),
            });
        }
        if issues.len() > before {
            continue;
        }
        plans.push(ProbePlan {
            name: t.name.clone(),
            addresses,
            protocol,
            port: t.port,
            srv6_paths,
            dual_stack_ports: t.dual_stack_ports.clone(),
            interval: t_interval,
            count,
            spacing,
            timeout: t_timeout,
            size: defaults.size_bytes,
            site: None,
        });
    }
    if issues.is_empty() {
        Ok(plans)
    } else {
        Err(issues)
    }
}

/// `/probe` modules: blackbox_exporter's usual names, plus the configured ones.
pub fn blackbox_modules(
    configured: &BTreeMap<String, BlackboxModule>,
) -> BTreeMap<String, BlackboxModule> {
    let module = |prober, ip4: bool| BlackboxModule {
        prober,
        preferred_ip_protocol: if ip4 {
            crate::blackbox::IpProtocol::Ip4
        } else {
            crate::blackbox::IpProtocol::Ip6
        },
        ip_protocol_fallback: true,
        timeout_seconds: 5.0,
    };
    let mut out = BTreeMap::from([
        ("icmp".to_string(), module(BlackboxProber::Icmp, false)),
        ("icmp_ipv4".to_string(), module(BlackboxProber::Icmp, true)),
        (
            "tcp_connect".to_string(),
            module(BlackboxProber::Tcp, false),
        ),
    ]);
    out.extend(configured.iter().map(|(k, v)| (k.clone(), v.clone())));
    out
}
