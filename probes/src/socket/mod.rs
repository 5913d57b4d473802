//! Socket I/O, kept apart from the pure packet code. Everything here is non-blocking and
//! driven by tokio's `AsyncFd`:
//!
//! - [`icmp::IcmpSocket`]: one ICMP or ICMPv6 socket per family, raw when CAP_NET_RAW
//!   allows it, else an unprivileged ICMP datagram ("ping") socket.
//! - [`timestamp`]: `recvmsg` with SO_TIMESTAMPNS, so an RTT ends when the kernel received
//!   the reply, not when the runtime got round to reading it.
//! - [`echo::EchoEngine`]: many targets in flight on one ICMP socket, replies matched by
//!   identifier and sequence number.
//! - [`raw6::RawIpv6Sender`]: sends hand-built IPv6 packets (SRv6 probes).

pub mod echo;
pub mod icmp;
pub mod raw6;
mod register;
pub mod timestamp;

use std::net::{IpAddr, SocketAddr, UdpSocket};

/// The source address the kernel would pick towards `dst` (a connected UDP socket sends
/// nothing; it only runs the route lookup).
pub fn source_address_for(dst: IpAddr) -> std::io::Result<IpAddr> {
    let bind: SocketAddr = match dst {
        IpAddr::V4(_) => "0.0.0.0:0".parse().map_err(std::io::Error::other)?,
        IpAddr::V6(_) => "[::]:0".parse().map_err(std::io::Error::other)?,
    };
    let s = UdpSocket::bind(bind)?;
    s.connect(SocketAddr::new(dst, 9))?;
    Ok(s.local_addr()?.ip())
}
