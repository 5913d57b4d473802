//! blackbox_exporter-compatible probing, so the daemon's `/probe?target=…&module=…` can
//! serve what existing Prometheus scrape configs expect: `probe_success`,
//! `probe_duration_seconds`, `probe_dns_lookup_time_seconds`, `probe_ip_protocol`,
//! `probe_ip_addr_hash`, and for ICMP `probe_icmp_duration_seconds{phase="resolve|setup|rtt"}`.
//! Like blackbox_exporter, a failing probe is `probe_success 0`, never an error.

use crate::prober::icmp::IcmpProber;
use crate::prober::tcp::connect_once;
use crate::prober::udp::UdpProber;
use crate::prober::{ProbeTarget, Prober, RoundSpec};
use netops_core::{Labels, Sample};
use serde::Deserialize;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, SystemTime};
use tokio::time::Instant;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BlackboxProber {
    Icmp,
    Tcp,
    Udp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IpProtocol {
    Ip4,
    /// blackbox_exporter's default.
    #[default]
    Ip6,
}

/// One module, as in blackbox.yml (the subset that applies here).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlackboxModule {
    pub prober: BlackboxProber,
    #[serde(default)]
    pub preferred_ip_protocol: IpProtocol,
    #[serde(default = "yes")]
    pub ip_protocol_fallback: bool,
    #[serde(default = "five")]
    pub timeout_seconds: f64,
}

fn yes() -> bool {
    true
}
fn five() -> f64 {
    5.0
}

#[derive(Debug, Clone, PartialEq)]
pub struct BlackboxResult {
    pub prober: BlackboxProber,
    pub success: bool,
    pub duration: Duration,
    pub dns_lookup: Duration,
    pub ip: Option<IpAddr>,
    /// (phase, seconds) for `probe_icmp_duration_seconds`.
    pub icmp_phases: Vec<(&'static str, Duration)>,
}

/// blackbox_exporter's `probe_ip_addr_hash`: FNV-1a 32 of the address text.
pub fn ip_addr_hash(ip: IpAddr) -> u32 {
    ip.to_string().bytes().fold(0x811c_9dc5u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

/// Splits `host:port` / `[v6]:port` for TCP/UDP modules, `host` for ICMP.
fn split_target(prober: BlackboxProber, target: &str) -> Option<(String, Option<u16>)> {
    if prober == BlackboxProber::Icmp {
        return Some((
            target.trim_matches(|c| c == '[' || c == ']').to_string(),
            None,
        ));
    }
    let (host, port) = target.rsplit_once(':')?;
    Some((
        host.trim_matches(|c| c == '[' || c == ']').to_string(),
        Some(port.parse().ok()?),
    ))
}

async fn resolve(host: &str, module: &BlackboxModule) -> Option<IpAddr> {
    let addrs: Vec<IpAddr> = match host.parse::<IpAddr>() {
        Ok(ip) => vec![ip],
        Err(_) => tokio::net::lookup_host((host, 0))
            .await
            .ok()?
            .map(|s| s.ip())
            .collect(),
    };
    let want_v6 = module.preferred_ip_protocol == IpProtocol::Ip6;
    addrs
        .iter()
        .find(|a| a.is_ipv6() == want_v6)
        .or_else(|| module.ip_protocol_fallback.then(|| addrs.first()).flatten())
        .copied()
}

/// Runs one probe of `module` against `target` with the module's timeout.
pub async fn blackbox_probe(
    module: &BlackboxModule,
    target: &str,
    icmp: &IcmpProber,
) -> BlackboxResult {
    let t0 = Instant::now();
    let timeout = Duration::from_secs_f64(module.timeout_seconds.clamp(0.001, 3600.0));
    let mut r = BlackboxResult {
        prober: module.prober,
        success: false,
        duration: Duration::ZERO,
        dns_lookup: Duration::ZERO,
        ip: None,
        icmp_phases: Vec::new(),
    };
    let Some((host, port)) = split_target(module.prober, target) else {
        r.duration = t0.elapsed();
        return r;
    };
    let ip = resolve(&host, module).await;
    r.dns_lookup = t0.elapsed();
    r.ip = ip;
    let Some(ip) = ip else {
        r.duration = t0.elapsed();
        return r;
    };
    let spec = RoundSpec {
        count: 1,
        interval: Duration::ZERO,
        timeout,
        size: 56,
        port,
    };
    let pt = ProbeTarget::new(host, ip);
    match module.prober {
        BlackboxProber::Icmp => {
            let setup0 = Instant::now();
            let engine_ok = icmp.engine(ip).await.is_ok();
            let setup = setup0.elapsed();
            r.icmp_phases.push(("resolve", r.dns_lookup));
            r.icmp_phases.push(("setup", setup));
            if engine_ok && let Ok(round) = icmp.round(&pt, &spec).await {
                let rtt = round.rtts.first().copied();
                r.success = rtt.is_some();
                r.icmp_phases.push(("rtt", rtt.unwrap_or(Duration::ZERO)));
            }
        }
        BlackboxProber::Tcp => {
            if let Some(p) = port {
                r.success = connect_once(SocketAddr::new(ip, p), timeout).await.is_ok();
            }
        }
        BlackboxProber::Udp => {
            r.success = UdpProber
                .round(&pt, &spec)
                .await
                .is_ok_and(|x| x.stats.success());
        }
    }
    r.duration = t0.elapsed();
    r
}

/// The result as blackbox_exporter names its series (no labels: the scrape adds them).
pub fn blackbox_samples(r: &BlackboxResult, time: SystemTime) -> Vec<Sample> {
    let g = |name: &'static str, labels: Labels, v: f64| Sample::gauge(name, labels, v, time);
    let mut out = vec![
        g(
            "probe_success",
            Labels::new(),
            if r.success { 1.0 } else { 0.0 },
        ),
        g(
            "probe_duration_seconds",
            Labels::new(),
            r.duration.as_secs_f64(),
        ),
        g(
            "probe_dns_lookup_time_seconds",
            Labels::new(),
            r.dns_lookup.as_secs_f64(),
        ),
    ];
    let proto = match r.ip {
        Some(IpAddr::V4(_)) => 4.0,
        Some(IpAddr::V6(_)) => 6.0,
        None => 0.0,
    };
    out.push(g("probe_ip_protocol", Labels::new(), proto));
    if let Some(ip) = r.ip {
        out.push(g(
            "probe_ip_addr_hash",
            Labels::new(),
            f64::from(ip_addr_hash(ip)),
        ));
    }
    for (phase, d) in &r.icmp_phases {
        out.push(g(
            "probe_icmp_duration_seconds",
            Labels::new().with("phase", *phase),
            d.as_secs_f64(),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_parses_like_blackbox_yml_subset() {
        let m: BlackboxModule =
            serde_json::from_str(r#"{"prober":"icmp","preferred_ip_protocol":"ip4"}"#).unwrap();
        assert_eq!(m.preferred_ip_protocol, IpProtocol::Ip4);
        assert!(m.ip_protocol_fallback);
        assert!(serde_json::from_str::<BlackboxModule>(r#"{"prober":"icmp","bogus":1}"#).is_err());
    }

    #[test]
    fn target_splitting() {
        assert_eq!(
            split_target(BlackboxProber::Tcp, "[::1]:22"),
            Some(("::1".into(), Some(22)))
        );
        assert_eq!(
            split_target(BlackboxProber::Icmp, "::1"),
            Some(("::1".into(), None))
        );
        assert_eq!(split_target(BlackboxProber::Tcp, "host"), None);
    }

    #[test]
    fn fnv_hash_matches_reference() {
        // FNV-1a 32 of "127.0.0.1", computed independently (offset basis 0x811c9dc5,
        // prime 0x01000193, as Go's hash/fnv New32a used by blackbox_exporter).
        assert_eq!(ip_addr_hash("127.0.0.1".parse().unwrap()), 0x8a3d11e);
    }

    #[tokio::test]
    async fn tcp_module_against_loopback() {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = l.local_addr().unwrap().port();
        let m = BlackboxModule {
            prober: BlackboxProber::Tcp,
            preferred_ip_protocol: IpProtocol::Ip4,
            ip_protocol_fallback: true,
            timeout_seconds: 1.0,
        };
        let icmp = IcmpProber::new();
        let r = blackbox_probe(&m, &format!("127.0.0.1:{port}"), &icmp).await;
        assert!(r.success);
        let s = blackbox_samples(&r, SystemTime::UNIX_EPOCH);
        let v = |n: &str| s.iter().find(|x| x.name == n).unwrap().value;
        assert_eq!(v("probe_success"), 1.0);
        assert_eq!(v("probe_ip_protocol"), 4.0);
        drop(l);
        let r = blackbox_probe(&m, &format!("127.0.0.1:{port}"), &icmp).await;
        assert!(!r.success);
    }

    #[tokio::test]
    async fn icmp_module_against_loopback_reports_phases() {
        let m: BlackboxModule =
            serde_json::from_str(r#"{"prober":"icmp","timeout_seconds":1}"#).unwrap();
        let icmp = IcmpProber::new();
        // Preferred ip6 and a literal IPv4 target: the fallback takes the IPv4 address.
        let r = blackbox_probe(&m, "127.0.0.1", &icmp).await;
        assert!(r.success, "{r:?}");
        let s = blackbox_samples(&r, SystemTime::UNIX_EPOCH);
        let phases: Vec<&str> = s
            .iter()
            .filter(|x| x.name == "probe_icmp_duration_seconds")
            .filter_map(|x| x.labels.get("phase"))
            .collect();
        assert_eq!(phases, ["resolve", "setup", "rtt"]);
        let r6 = blackbox_probe(&m, "::1", &icmp).await;
        assert!(r6.success);
        let s6 = blackbox_samples(&r6, SystemTime::UNIX_EPOCH);
        assert_eq!(
            s6.iter()
                .find(|x| x.name == "probe_ip_protocol")
                .unwrap()
                .value,
            6.0
        );
    }
}
