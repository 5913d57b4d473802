//! Sending hand-built IPv6 packets (IPv6 header + SRH + ICMPv6) for SRv6 path probes.
//!
//! Why a raw `IPPROTO_RAW` socket rather than the `IPV6_RTHDR` sticky option: Linux does
//! accept a type-4 routing header through `setsockopt(IPV6_RTHDR)` (it validates it with
//! `seg6_validate_srh`), but neither socket2 nor nix wraps that option, so it would need an
//! `unsafe` `setsockopt`, and a sticky option applies one segment list per socket. With
//! `socket(AF_INET6, SOCK_RAW, IPPROTO_RAW)` the kernel sends our bytes as they are
//! (IPV6_HDRINCL is implied since Linux 4.5), each packet may carry its own segment list,
//! and the packet is built by pure, tested code. Replies are ordinary ICMPv6 echo replies
//! and arrive on the shared ICMPv6 socket. Needs CAP_NET_RAW (no unprivileged fallback).

use crate::error::ProbeError;
use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use std::net::{Ipv6Addr, SocketAddr, SocketAddrV6};
use tokio::io::Interest;
use tokio::io::unix::AsyncFd;

const IPPROTO_RAW: i32 = 255;

#[derive(Debug)]
pub struct RawIpv6Sender {
    fd: AsyncFd<Socket>,
}

impl RawIpv6Sender {
    pub fn open() -> Result<Self, ProbeError> {
        let s = Socket::new(Domain::IPV6, Type::RAW, Some(Protocol::from(IPPROTO_RAW)))
            .map_err(ProbeError::Srv6NeedsRaw)?;
        s.set_nonblocking(true)
            .map_err(|e| ProbeError::io("set_nonblocking", "raw IPv6 socket", e))?;
        let fd = super::register::register(s)
            .map_err(|e| ProbeError::io("register with tokio", "raw IPv6 socket", e))?;
        Ok(Self { fd })
    }

    /// Sends `packet` (a complete IPv6 packet) routed towards `first_hop`, which must be
    /// the packet's IPv6 destination (the first SID).
    pub async fn send(&self, packet: &[u8], first_hop: Ipv6Addr) -> std::io::Result<usize> {
        // The port field of a raw IPv6 sockaddr must be 0 (it would be taken as protocol).
        let addr = SockAddr::from(SocketAddr::V6(SocketAddrV6::new(first_hop, 0, 0, 0)));
        self.fd
            .async_io(Interest::WRITABLE, |s| s.send_to(packet, &addr))
            .await
    }
}
