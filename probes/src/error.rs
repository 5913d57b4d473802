//! The crate's one error type. Every variant names what failed (the target, the field, the
//! socket call) so a log line is enough to act on.

use std::net::IpAddr;

#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    /// Neither a raw socket (needs CAP_NET_RAW) nor an unprivileged ICMP datagram socket
    /// (needs the caller's group inside `net.ipv4.ping_group_range`) could be opened.
    #[error(
        "cannot open an {family} ICMP socket: raw sockets need CAP_NET_RAW ({raw}), and \
         unprivileged ICMP datagram sockets are not allowed for this group ({dgram}); \
         grant CAP_NET_RAW (run as root or `setcap cap_net_raw+ep` the binary), or widen \
         `sysctl net.ipv4.ping_group_range`"
    )]
    NoIcmpSocket {
        family: &'static str,
        raw: std::io::Error,
        dgram: std::io::Error,
    },
    /// SRv6 probes hand-build the IPv6 header and SRH, which only a raw socket can send.
    #[error("SRv6 probes need a raw IPv6 socket (CAP_NET_RAW): {0}")]
    Srv6NeedsRaw(std::io::Error),
    #[error("socket {op} failed for {target}: {source}")]
    Io {
        op: &'static str,
        target: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot resolve {target}: {reason}")]
    Resolve { target: String, reason: String },
    #[error("target {target}: {reason}")]
    BadTarget { target: String, reason: String },
    #[error("SRv6 segment list {segs}: {reason}")]
    BadSegments { segs: String, reason: String },
    #[error("{field}: {reason}")]
    BadSpec { field: &'static str, reason: String },
    #[error("{prober} prober cannot probe {addr}: {reason}")]
    Unsupported {
        prober: &'static str,
        addr: IpAddr,
        reason: String,
    },
    #[error("sequence numbers exhausted: more than 65535 ICMP probes in flight on one socket")]
    SequenceSpaceFull,
}

impl ProbeError {
    pub(crate) fn io(op: &'static str, target: impl ToString, source: std::io::Error) -> Self {
        Self::Io {
            op,
            target: target.to_string(),
            source,
        }
    }
}
