//! What the demo probes, and whether this process may: ICMP needs a raw socket or a
//! datagram socket allowed by `net.ipv4.ping_group_range`; the SRv6 path needs a raw
//! socket and a kernel that accepts segment routing headers on loopback. Both are checked
//! once at start, so the demo says once what it leaves out instead of failing each round.

use netops_probes::config::ProbePlan;
use netops_probes::packet::icmp::IcmpVersion;
use netops_probes::prober::Protocol;
use netops_probes::socket::icmp::IcmpSocket;
use netops_probes::{ProbeTarget, Prober, RoundSpec, Srv6Prober};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

/// The SRv6 path probed over loopback: the segment list visits ::1 as a SID (segments
/// left 1: the kernel's own SRH processing at a local address, i.e. the End behaviour)
/// and then arrives at ::1. It needs CAP_NET_RAW and `seg6_enabled` on `all` and `lo`.
const LOOPBACK_SRV6_PATH: [Ipv6Addr; 2] = [Ipv6Addr::LOCALHOST, Ipv6Addr::LOCALHOST];

/// ICMP to 127.0.0.1 and ::1, the SRv6 path if it works here, and the demo's own HTTP
/// port compared across both families (it listens on one address, so the IPv6 readiness
/// board shows a real dual-stack gap).
pub(super) fn loopback_probe(
    interval: Duration,
    srv6_path: Vec<Ipv6Addr>,
    http_port: u16,
) -> ProbePlan {
    ProbePlan {
        name: "loopback".into(),
        addresses: vec![
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(Ipv6Addr::LOCALHOST),
        ],
        protocol: Protocol::Icmp,
        port: None,
        srv6_paths: if srv6_path.is_empty() {
            Vec::new()
        } else {
            vec![srv6_path]
        },
        dual_stack_ports: vec![http_port],
        interval,
        count: 5,
        spacing: Duration::from_millis(100),
        timeout: Duration::from_secs(1),
        size: 56,
        site: None,
    }
}

/// Whether this process may send ICMP and ICMPv6 echo requests: with a raw socket
/// (CAP_NET_RAW) or an unprivileged datagram socket (`net.ipv4.ping_group_range`).
pub(super) fn icmp_available() -> Result<(), String> {
    for version in [IcmpVersion::V4, IcmpVersion::V6] {
        IcmpSocket::open(version).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Whether SRv6 probes work here: the loopback SRv6 path, or every reason they do not
/// (checked once at start, so the demo says it once instead of failing every round).
pub(super) async fn loopback_srv6() -> Result<Vec<Ipv6Addr>, String> {
    let mut why = Vec::new();
    let mut sysctls_off = Vec::new();
    for iface in ["all", "lo"] {
        let file = format!("/proc/sys/net/ipv6/conf/{iface}/seg6_enabled");
        match std::fs::read_to_string(&file) {
            Ok(v) if v.trim() == "1" => {}
            Ok(_) => sysctls_off.push(format!("net.ipv6.conf.{iface}.seg6_enabled=1")),
            Err(e) => why.push(format!("this kernel has no SRv6 ({file}: {e})")),
        }
    }
    if !sysctls_off.is_empty() {
        why.push(format!(
            "the kernel drops SRv6 packets on loopback (enable with `sysctl -w {}`)",
            sysctls_off.join(" ")
        ));
    }
    let path = LOOPBACK_SRV6_PATH.to_vec();
    let prober = match Srv6Prober::open(path.clone()) {
        Ok(p) => Some(p),
        Err(e) => {
            why.push(format!(
                "{e}; run as root or `setcap cap_net_raw+ep` the binary"
            ));
            None
        }
    };
    if let (Some(prober), true) = (prober, why.is_empty()) {
        // One probe proves the path end to end (a container may still filter it).
        let spec = RoundSpec {
            count: 1,
            interval: Duration::ZERO,
            timeout: Duration::from_millis(500),
            size: 56,
            port: None,
        };
        let target = ProbeTarget::new("loopback", IpAddr::V6(Ipv6Addr::LOCALHOST));
        match prober.round(&target, &spec).await {
            Ok(r) if r.stats.received > 0 => {}
            Ok(_) => why.push("a test SRv6 probe through ::1 got no answer".into()),
            Err(e) => why.push(format!("a test SRv6 probe through ::1 failed: {e}")),
        }
    }
    if why.is_empty() {
        Ok(path)
    } else {
        Err(why.join("; "))
    }
}
