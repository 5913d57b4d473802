//! Probers inside network namespaces built by the test: SRv6 segment-list probes through a
//! `seg6local End` SID, the dual-stack port comparison, and the unprivileged ICMP datagram
//! socket path.

mod support;

use netops_probes::dualstack::{DualStackHost, FamilyOpen, compare_tcp_ports, exposure_samples};
use netops_probes::packet::icmp::IcmpVersion;
use netops_probes::socket::echo::EchoEngine;
use netops_probes::socket::icmp::{IcmpSocket, SocketKind};
use netops_probes::{
    IcmpProber, PortState, ProbeTarget, Prober, RoundResult, RoundSpec, Srv6Prober,
};
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::time::{Duration, SystemTime};
use support::inside::RunInside;
use support::netns::{Netns, Srv6Lab};

fn spec(count: u32) -> RoundSpec {
    RoundSpec {
        count,
        interval: Duration::from_millis(10),
        timeout: Duration::from_millis(300),
        size: 56,
        port: None,
    }
}

fn block_on<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(f)
}

/// (SRv6 round, plain round) from inside P to T via `sids`.
fn srv6_and_plain(lab: &Srv6Lab, sids: Vec<Ipv6Addr>, count: u32) -> (RoundResult, RoundResult) {
    lab.p.run_inside(move || {
        block_on(async move {
            let t = ProbeTarget::new("t", Srv6Lab::T6.parse().expect("addr"));
            let srv6 = Srv6Prober::open(sids).expect("SRv6 prober (needs CAP_NET_RAW)");
            let plain = IcmpProber::new();
            let a = srv6.round(&t, &spec(count)).await.expect("srv6 round");
            let b = plain.round(&t, &spec(count)).await.expect("plain round");
            (a, b)
        })
    })
}

#[test]
fn srv6_probe_reaches_the_target_only_through_the_listed_sid() {
    let lab = Srv6Lab::new();
    let sid: Ipv6Addr = Srv6Lab::SID.parse().expect("sid");
    let before = lab.sid_packets();
    let (srv6, plain) = srv6_and_plain(&lab, vec![sid], 10);
    assert_eq!(
        srv6.stats.received, 10,
        "SRv6 path through {sid}: {:?}",
        srv6.stats
    );
    assert_eq!(srv6.path.to_string(), format!("srv6:{sid}"));
    assert_eq!(plain.stats.received, 10, "plain path: {:?}", plain.stats);
    // Every SRv6 request went through the SID (its End counter); plain ones did not.
    assert_eq!(lab.sid_packets() - before, 10, "SID packet counter");

    // A SID nobody serves: the packet has nowhere to go.
    let (bogus, _) = srv6_and_plain(&lab, vec!["fc00:9::100".parse().expect("sid")], 3);
    assert_eq!(bogus.stats.received, 0);

    // Break the SID route: the SRv6 path fails, the plain path still works.
    lab.delete_sid();
    let (srv6, plain) = srv6_and_plain(&lab, vec![sid], 5);
    assert_eq!(
        srv6.stats.received, 0,
        "SRv6 probe must fail without its SID: {:?}",
        srv6.stats
    );
    assert_eq!(srv6.stats.loss_ratio, 1.0);
    assert_eq!(
        plain.stats.received, 5,
        "plain path must survive: {:?}",
        plain.stats
    );

    // And it comes back with the SID.
    lab.add_sid();
    let (srv6, _) = srv6_and_plain(&lab, vec![sid], 3);
    assert_eq!(srv6.stats.received, 3);
}

#[test]
fn port_open_on_ipv6_only_is_reported() {
    let lab = Srv6Lab::new();
    // A TCP service in T bound to its IPv6 address only (the IPv4 side answers RST).
    let v6: SocketAddr = format!("[{}]:8443", Srv6Lab::T6).parse().expect("addr");
    let listener = lab.t.run_inside(move || {
        let s = socket2::Socket::new(socket2::Domain::IPV6, socket2::Type::STREAM, None)
            .expect("socket");
        s.set_only_v6(true).expect("v6only");
        s.bind(&v6.into()).expect("bind in T");
        s.listen(16).expect("listen");
        s
    });
    let exposures = lab.p.run_inside(|| {
        block_on(async {
            let host = DualStackHost::resolve(&format!("{},{}", Srv6Lab::T4, Srv6Lab::T6))
                .await
                .expect("pair");
            compare_tcp_ports(&host, &[8443, 22], Duration::from_millis(500)).await
        })
    });
    drop(listener);
    assert_eq!(exposures[0].ipv4, PortState::Closed);
    assert_eq!(exposures[0].ipv6, PortState::Open);
    assert_eq!(exposures[0].family_open(), Some(FamilyOpen::Ipv6Only));
    assert_eq!(
        exposures[1].family_open(),
        None,
        "port 22 is closed on both: {:?}",
        exposures[1]
    );
    let samples = exposure_samples("t", &exposures, SystemTime::now());
    let flagged: Vec<String> = samples
        .iter()
        .filter(|s| s.value == 1.0)
        .map(|s| s.labels.to_string())
        .collect();
    assert_eq!(
        flagged,
        vec![r#"{family_open="ipv6_only",port="8443",target="t"}"#.to_string()]
    );
}

#[test]
fn unprivileged_datagram_sockets_probe_both_families() {
    let ns = Netns::new("dg");
    // ping_group_range is per namespace: allow every group here only.
    ns.sysctl("net.ipv4.ping_group_range=0 2147483647");
    let results = ns.run_inside(|| {
        block_on(async {
            let open = |v| {
                EchoEngine::with_socket(
                    IcmpSocket::open_kind(v, SocketKind::Datagram).expect("ping socket"),
                )
            };
            let v4 = open(IcmpVersion::V4);
            let v6 = open(IcmpVersion::V6);
            assert_eq!(v4.kind(), SocketKind::Datagram);
            let prober = IcmpProber::with_engines(Some(v4), Some(v6));
            let mut out = Vec::new();
            for a in ["127.0.0.1", "::1"] {
                let addr: IpAddr = a.parse().expect("addr");
                out.push(
                    prober
                        .round(&ProbeTarget::new(a, addr), &spec(5))
                        .await
                        .expect("round"),
                );
            }
            out
        })
    });
    for r in results {
        assert_eq!(r.stats.received, 5, "{}: {:?}", r.target.name, r.stats);
        assert!(r.kernel_timestamps);
    }
}

#[test]
fn many_targets_share_one_socket_without_mixing_replies() {
    let lab = Srv6Lab::new();
    // 30 live addresses on T's loopback (routed through R), and 10 that nobody holds.
    let live: Vec<String> = (1..=30).map(|i| format!("10.10.3.{i}")).collect();
    let dead: Vec<String> = (101..=110).map(|i| format!("10.10.3.{i}")).collect();
    for a in &live {
        lab.t.ip(&["addr", "add", &format!("{a}/32"), "dev", "lo"]);
    }
    lab.p
        .ip(&["route", "add", "10.10.3.0/24", "via", "10.10.1.2"]);
    lab.r
        .ip(&["route", "add", "10.10.3.0/24", "via", "10.10.2.2"]);
    let all: Vec<String> = live.iter().chain(&dead).cloned().collect();
    let results = lab.p.run_inside(move || {
        block_on(async move {
            let prober = std::sync::Arc::new(IcmpProber::new());
            let mut set = tokio::task::JoinSet::new();
            for a in all {
                let prober = std::sync::Arc::clone(&prober);
                set.spawn(async move {
                    let t = ProbeTarget::new(a.clone(), a.parse().expect("addr"));
                    prober.round(&t, &spec(5)).await.expect("round")
                });
            }
            let mut out = Vec::new();
            while let Some(r) = set.join_next().await {
                out.push(r.expect("task"));
            }
            out
        })
    });
    assert_eq!(results.len(), 40);
    for r in &results {
        let want = if live.contains(&r.target.name) { 5 } else { 0 };
        assert_eq!(r.stats.received, want, "{}: {:?}", r.target.name, r.stats);
        assert_eq!(r.stats.duplicates, 0, "{}", r.target.name);
    }
}
