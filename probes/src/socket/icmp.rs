//! One ICMP (v4) or ICMPv6 socket: raw if allowed, else an unprivileged datagram socket.
//!
//! Raw sockets (CAP_NET_RAW) see every echo reply reaching the host, so replies are told
//! apart by our identifier. ICMP datagram sockets (`socket(AF_INET, SOCK_DGRAM,
//! IPPROTO_ICMP)`, allowed for groups inside `net.ipv4.ping_group_range`, which also
//! governs ICMPv6) need no privilege; the kernel then replaces the identifier with the
//! socket's "port" and only delivers replies carrying it.

use super::timestamp::{Received, enable_rx_timestamps, recv_timestamped};
use crate::error::ProbeError;
use crate::packet::icmp::IcmpVersion;
use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use std::net::{IpAddr, SocketAddr};
use tokio::io::Interest;
use tokio::io::unix::AsyncFd;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SocketKind {
    /// SOCK_RAW: needs CAP_NET_RAW; IPv4 replies include the IPv4 header.
    Raw,
    /// SOCK_DGRAM ICMP ("ping socket"): unprivileged where the sysctl allows.
    Datagram,
}

#[derive(Debug)]
pub struct IcmpSocket {
    fd: AsyncFd<Socket>,
    pub version: IcmpVersion,
    pub kind: SocketKind,
}

fn open(version: IcmpVersion, ty: Type) -> std::io::Result<Socket> {
    let (domain, proto) = match version {
        IcmpVersion::V4 => (Domain::IPV4, Protocol::ICMPV4),
        IcmpVersion::V6 => (Domain::IPV6, Protocol::ICMPV6),
    };
    let s = Socket::new(domain, ty, Some(proto))?;
    s.set_nonblocking(true)?;
    enable_rx_timestamps(&s)?;
    // Room for bursts of replies from many targets in flight.
    let _ = s.set_recv_buffer_size(1 << 20);
    Ok(s)
}

impl IcmpSocket {
    /// Opens a raw socket, falling back to a datagram socket; the error says which
    /// privilege is missing when neither works. Needs a tokio runtime with I/O enabled.
    pub fn open(version: IcmpVersion) -> Result<Self, ProbeError> {
        let family = match version {
            IcmpVersion::V4 => "IPv4",
            IcmpVersion::V6 => "IPv6",
        };
        let (socket, kind) = match open(version, Type::RAW) {
            Ok(s) => (s, SocketKind::Raw),
            Err(raw) => match open(version, Type::DGRAM) {
                Ok(s) => {
                    // Said at warn level: RTTs stay right, but the operator should know why
                    // the process works without privileges (and SRv6 probes will not).
                    tracing::warn!(
                        "no CAP_NET_RAW ({raw}); using an unprivileged {family} ICMP datagram socket"
                    );
                    (s, SocketKind::Datagram)
                }
                Err(dgram) => return Err(ProbeError::NoIcmpSocket { family, raw, dgram }),
            },
        };
        Self::from_socket(socket, version, kind)
    }

    /// Opens exactly the given kind (tests use it to cover the datagram path as root).
    pub fn open_kind(version: IcmpVersion, kind: SocketKind) -> Result<Self, ProbeError> {
        let ty = match kind {
            SocketKind::Raw => Type::RAW,
            SocketKind::Datagram => Type::DGRAM,
        };
        let s = open(version, ty)
            .map_err(|e| ProbeError::io("socket", format!("{version:?} {kind:?}"), e))?;
        Self::from_socket(s, version, kind)
    }

    fn from_socket(
        socket: Socket,
        version: IcmpVersion,
        kind: SocketKind,
    ) -> Result<Self, ProbeError> {
        let fd = super::register::register(socket)
            .map_err(|e| ProbeError::io("register with tokio", "ICMP socket", e))?;
        Ok(Self { fd, version, kind })
    }

    /// Whether received bytes start with an IPv4 header (raw IPv4 sockets only).
    pub fn delivers_ip_header(&self) -> bool {
        self.kind == SocketKind::Raw && self.version == IcmpVersion::V4
    }

    pub async fn send_to(&self, packet: &[u8], dst: IpAddr) -> std::io::Result<usize> {
        let addr = SockAddr::from(SocketAddr::new(dst, 0));
        self.fd
            .async_io(Interest::WRITABLE, |s| s.send_to(packet, &addr))
            .await
    }

    pub async fn recv(&self, buf: &mut [u8]) -> std::io::Result<Received> {
        loop {
            let mut guard = self.fd.readable().await?;
            match guard.try_io(|fd| recv_timestamped(fd, buf)) {
                Ok(r) => return r,
                Err(_would_block) => continue,
            }
        }
    }
}
