//! Pure packet code: builders and parsers, bytes in and typed values out. No sockets, no
//! clocks, so every parser can be fed arbitrary bytes by property tests.
//!
//! Hand-written rather than `etherparse`: etherparse parses IPv6 routing headers only as raw
//! extension headers (no typed Segment Routing Header), and the four formats needed here
//! (ICMP/ICMPv6 echo, IPv6 header, SRH type 4, a DNS question) are a few dozen lines each.
//! Parsers return `None` for anything that is not the packet they look for: on a raw socket
//! most received packets are someone else's, which is not an error.

pub mod checksum;
pub mod dns;
pub mod icmp;
pub mod ipv6;
pub mod srh;

/// Reads a big-endian u16 at `at`, `None` when out of bounds.
pub(crate) fn be16(bytes: &[u8], at: usize) -> Option<u16> {
    let b = bytes.get(at..at.checked_add(2)?)?;
    Some(u16::from_be_bytes([b[0], b[1]]))
}
