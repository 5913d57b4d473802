//! netops-probes: active packet probes (ICMP/ICMPv6 echo, TCP connect, UDP request/reply,
//! SRv6 segment-list echo, dual-stack port comparison) and the loss/RTT/jitter statistics of
//! a probe round, turned into `netops_core::Sample`s.
//!
//! - [`packet`]: pure builders/parsers (ICMP/ICMPv6 echo, IPv6 header, Segment Routing
//!   Header type 4, DNS question), property-tested against arbitrary bytes.
//! - [`socket`]: the only code touching sockets — socket2 sockets driven by tokio's
//!   `AsyncFd`, kernel receive timestamps (SO_TIMESTAMPNS via nix's `recvmsg`), one ICMP
//!   socket per family shared by all targets ([`socket::echo::EchoEngine`]), raw when
//!   CAP_NET_RAW allows, else an unprivileged ICMP datagram socket.
//! - [`prober`]: the [`Prober`] trait and one file per prober (`icmp`, `tcp`, `udp`, `srv6`).
//! - [`stats`]: [`RoundStats`] of a round; [`metrics`]: the `netops_probe_*` samples and the
//!   RTT histogram ([`metrics::RoundRecorder`] keeps one per series for the daemon);
//!   [`blackbox`]: blackbox_exporter-compatible `probe_*` samples;
//!   [`dualstack`]: ports answering on one family only.
//! - [`config`]: `[probes]`/`[[probe_targets]]` and `/probe` modules; [`job`]: a scheduled
//!   probe target as a scheduler job.
//!
//! Why not `pnet`: it cannot send hand-built IPv6 packets (libpnet #344), which SRv6 probes
//! need, and it has no async I/O; socket2 + `AsyncFd` gives both with less code.
//!
//! `unsafe`: one block, registering a socket2 socket with tokio (`socket::register`, sound
//! because the socket owns its descriptor); the test wire binary has two more (TAP ioctl,
//! SCHED_FIFO). Everything else, including cmsg parsing, goes through safe nix/socket2 APIs.

pub mod blackbox;
pub mod config;
pub mod dualstack;
pub mod error;
pub mod job;
pub mod metrics;
pub mod packet;
pub mod prober;
pub mod report;
pub mod socket;
pub mod stats;

pub use error::ProbeError;
pub use prober::{
    Family, IcmpProber, PortState, ProbePath, ProbeTarget, Prober, Protocol, RoundResult,
    RoundSpec, Srv6Prober, TcpProber, UdpProber,
};
pub use report::parse_duration;
pub use stats::{RoundStats, RttStats};
