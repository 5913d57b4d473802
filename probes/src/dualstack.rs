//! Dual-stack comparison of one host with an IPv4 and an IPv6 address: which TCP ports
//! answer on one family but not the other. A service firewalled on IPv4 but open on IPv6
//! is the classic hole of an IPv6 migration; `netops_dualstack_port_exposure` flags it.

use crate::error::ProbeError;
use crate::prober::PortState;
use crate::prober::tcp::connect_once;
use netops_core::{Labels, Sample};
use serde::Serialize;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::{Duration, SystemTime};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DualStackHost {
    pub name: String,
    pub v4: Ipv4Addr,
    pub v6: Ipv6Addr,
}

impl DualStackHost {
    /// `v4addr,v6addr` given literally, or a name resolving to at least one of each.
    pub async fn resolve(name: &str) -> Result<Self, ProbeError> {
        if let Some((a, b)) = name.split_once(',') {
            let parse = |s: &str| s.trim().parse::<IpAddr>().ok();
            let (v4, v6) = match (parse(a), parse(b)) {
                (Some(IpAddr::V4(v4)), Some(IpAddr::V6(v6)))
                | (Some(IpAddr::V6(v6)), Some(IpAddr::V4(v4))) => (v4, v6),
                _ => {
                    return Err(ProbeError::BadTarget {
                        target: name.into(),
                        reason: "a dual-stack pair is `IPv4,IPv6`".into(),
                    });
                }
            };
            return Ok(Self {
                name: name.into(),
                v4,
                v6,
            });
        }
        let addrs: Vec<IpAddr> = tokio::net::lookup_host((name, 0))
            .await
            .map_err(|e| ProbeError::Resolve {
                target: name.into(),
                reason: e.to_string(),
            })?
            .map(|s| s.ip().to_canonical())
            .collect();
        let v4 = addrs.iter().find_map(|a| match a {
            IpAddr::V4(v) => Some(*v),
            IpAddr::V6(_) => None,
        });
        let v6 = addrs.iter().find_map(|a| match a {
            IpAddr::V6(v) => Some(*v),
            IpAddr::V4(_) => None,
        });
        match (v4, v6) {
            (Some(v4), Some(v6)) => Ok(Self {
                name: name.into(),
                v4,
                v6,
            }),
            _ => Err(ProbeError::BadTarget {
                target: name.into(),
                reason: format!("not dual-stack: resolves to {addrs:?}"),
            }),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FamilyOpen {
    Ipv4Only,
    Ipv6Only,
}

impl FamilyOpen {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ipv4Only => "ipv4_only",
            Self::Ipv6Only => "ipv6_only",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PortExposure {
    pub port: u16,
    pub ipv4: PortState,
    pub ipv6: PortState,
}

impl PortExposure {
    /// `Some` when exactly one family has the port open.
    pub fn family_open(&self) -> Option<FamilyOpen> {
        match (self.ipv4 == PortState::Open, self.ipv6 == PortState::Open) {
            (true, false) => Some(FamilyOpen::Ipv4Only),
            (false, true) => Some(FamilyOpen::Ipv6Only),
            _ => None,
        }
    }
}

/// Connects to every port on both families (concurrently per port pair).
pub async fn compare_tcp_ports(
    host: &DualStackHost,
    ports: &[u16],
    timeout: Duration,
) -> Vec<PortExposure> {
    let mut out = Vec::with_capacity(ports.len());
    for &port in ports {
        let (a, b) = tokio::join!(
            connect_once(SocketAddr::new(IpAddr::V4(host.v4), port), timeout),
            connect_once(SocketAddr::new(IpAddr::V6(host.v6), port), timeout),
        );
        let state = |r: Result<Duration, PortState>| r.map_or_else(|s| s, |_| PortState::Open);
        out.push(PortExposure {
            port,
            ipv4: state(a),
            ipv6: state(b),
        });
    }
    out
}

/// `netops_dualstack_port_exposure{target,port,family_open="ipv6_only|ipv4_only"}`: both
/// label values for every port, 1 for the one that holds, so the series never vanish and
/// an alert on `== 1` clears when the hole is closed.
pub fn exposure_samples(target: &str, exposures: &[PortExposure], time: SystemTime) -> Vec<Sample> {
    let mut out = Vec::with_capacity(exposures.len() * 2);
    for e in exposures {
        for which in [FamilyOpen::Ipv4Only, FamilyOpen::Ipv6Only] {
            let labels = Labels::new()
                .with("target", target)
                .with("port", e.port.to_string())
                .with("family_open", which.as_str());
            let v = if e.family_open() == Some(which) {
                1.0
            } else {
                0.0
            };
            out.push(Sample::gauge(
                "netops_dualstack_port_exposure",
                labels,
                v,
                time,
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposure_labels() {
        let e = [
            PortExposure {
                port: 22,
                ipv4: PortState::Closed,
                ipv6: PortState::Open,
            },
            PortExposure {
                port: 443,
                ipv4: PortState::Open,
                ipv6: PortState::Open,
            },
        ];
        let s = exposure_samples("h", &e, SystemTime::UNIX_EPOCH);
        assert_eq!(s.len(), 4);
        let on: Vec<String> = s
            .iter()
            .filter(|x| x.value == 1.0)
            .map(|x| x.labels.to_string())
            .collect();
        assert_eq!(
            on,
            vec![r#"{family_open="ipv6_only",port="22",target="h"}"#.to_string()]
        );
    }

    #[tokio::test]
    async fn literal_pair_and_loopback_comparison() {
        let h = DualStackHost::resolve("::1, 127.0.0.1").await.unwrap();
        assert_eq!(h.v4, Ipv4Addr::LOCALHOST);
        assert!(DualStackHost::resolve("127.0.0.1,127.0.0.2").await.is_err());
        // A port listening on ::1 only (IPV6_V6ONLY) and nothing on 127.0.0.1.
        let s = socket2::Socket::new(socket2::Domain::IPV6, socket2::Type::STREAM, None).unwrap();
        s.set_only_v6(true).unwrap();
        s.bind(&SocketAddr::from((Ipv6Addr::LOCALHOST, 0)).into())
            .unwrap();
        s.listen(8).unwrap();
        let port = s.local_addr().unwrap().as_socket().unwrap().port();
        let e = compare_tcp_ports(&h, &[port], Duration::from_secs(1)).await;
        assert_eq!(e[0].family_open(), Some(FamilyOpen::Ipv6Only));
    }
}
