//! netops-probes: active packet probes (ICMP/ICMPv6 echo, TCP connect, UDP, SRv6 segment-list
//! echo) and the loss/RTT/jitter statistics of a probe round.
//!
//! Packet building and parsing is pure (bytes in, typed values out); socket I/O lives in its
//! own modules, one prober per file. Nothing is implemented yet: see the packet-probes issue.
