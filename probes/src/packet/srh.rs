//! IPv6 Segment Routing Header (RFC 8754, routing type 4) and the SRv6 echo packet.
//!
//! Segments are given in *travel order* (first SID first, final destination last); the SRH
//! stores them reversed (`segments[0]` is the final destination) with `segments_left`
//! pointing at the active one, and the IPv6 destination is the first SID.

use super::{icmp, ipv6};
use std::net::Ipv6Addr;

pub const ROUTING_TYPE_SRH: u8 = 4;
/// Hdr Ext Len is one octet counting two units per segment: 127 segments at most.
pub const MAX_SEGMENTS: usize = 127;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Srh {
    pub next_header: u8,
    pub segments_left: u8,
    pub last_entry: u8,
    pub flags: u8,
    pub tag: u16,
    /// As stored on the wire: reversed, `segments[0]` is the final destination.
    pub segments: Vec<Ipv6Addr>,
}

impl Srh {
    /// An SRH for a fresh packet: all segments still to visit. `None` for an empty list or
    /// one longer than [`MAX_SEGMENTS`].
    pub fn for_path(next_header: u8, travel_order: &[Ipv6Addr]) -> Option<Self> {
        if travel_order.is_empty() || travel_order.len() > MAX_SEGMENTS {
            return None;
        }
        let last = u8::try_from(travel_order.len() - 1).ok()?;
        Some(Self {
            next_header,
            segments_left: last,
            last_entry: last,
            flags: 0,
            tag: 0,
            segments: travel_order.iter().rev().copied().collect(),
        })
    }

    pub fn wire_len(&self) -> usize {
        8 + 16 * self.segments.len()
    }

    pub fn write(&self, out: &mut Vec<u8>) {
        // Hdr Ext Len counts 8-octet units after the first 8: two per segment; for_path
        // bounds the count by MAX_SEGMENTS so this never saturates.
        let ext_len = u8::try_from(2 * self.segments.len()).unwrap_or(u8::MAX);
        out.extend_from_slice(&[
            self.next_header,
            ext_len,
            ROUTING_TYPE_SRH,
            self.segments_left,
            self.last_entry,
            self.flags,
        ]);
        out.extend_from_slice(&self.tag.to_be_bytes());
        for s in &self.segments {
            out.extend_from_slice(&s.octets());
        }
    }

    /// Parses an SRH (no TLVs are interpreted; they are skipped by the length).
    pub fn parse(bytes: &[u8]) -> Option<(Self, &[u8])> {
        let head = bytes.get(..8)?;
        if head[2] != ROUTING_TYPE_SRH {
            return None;
        }
        let total = 8 + usize::from(head[1]) * 8;
        let body = bytes.get(8..total)?;
        let count = usize::from(head[4]) + 1;
        if count * 16 > body.len() || head[3] > head[4] {
            return None;
        }
        let segments = body
            .chunks_exact(16)
            .take(count)
            .filter_map(|c| <[u8; 16]>::try_from(c).ok().map(Ipv6Addr::from))
            .collect();
        Some((
            Self {
                next_header: head[0],
                segments_left: head[3],
                last_entry: head[4],
                flags: head[5],
                tag: u16::from_be_bytes([head[6], head[7]]),
                segments,
            },
            &bytes[total..],
        ))
    }

    /// The segment currently active (the one the IPv6 destination should equal).
    pub fn active_segment(&self) -> Option<Ipv6Addr> {
        self.segments.get(usize::from(self.segments_left)).copied()
    }
}

/// A complete IPv6 packet: IPv6 header (dst = first segment) + SRH + ICMPv6 echo request
/// whose checksum uses the final destination, as RFC 8200 §8.1 requires.
pub fn srv6_echo_request(
    src: Ipv6Addr,
    travel_order: &[Ipv6Addr],
    hop_limit: u8,
    identifier: u16,
    sequence: u16,
    payload: &[u8],
) -> Option<Vec<u8>> {
    let srh = Srh::for_path(ipv6::NEXT_HEADER_ICMPV6, travel_order)?;
    let first = *travel_order.first()?;
    let final_dst = *travel_order.last()?;
    let echo = icmp::echo_request_v6_with_checksum(src, final_dst, identifier, sequence, payload);
    let payload_len = u16::try_from(srh.wire_len() + echo.len()).ok()?;
    let mut out = Vec::with_capacity(ipv6::IPV6_HEADER_LEN + usize::from(payload_len));
    ipv6::Ipv6Header {
        payload_len,
        next_header: ipv6::NEXT_HEADER_ROUTING,
        hop_limit,
        src,
        dst: first,
    }
    .write(&mut out);
    srh.write(&mut out);
    out.extend_from_slice(&echo);
    Some(out)
}

/// Parses what [`srv6_echo_request`] builds (used by tests and by captures): the IPv6
/// header, the SRH and the ICMPv6 bytes after it.
pub fn parse_srv6_packet(bytes: &[u8]) -> Option<(ipv6::Ipv6Header, Srh, &[u8])> {
    let (h, payload) = ipv6::Ipv6Header::parse(bytes)?;
    if h.next_header != ipv6::NEXT_HEADER_ROUTING {
        return None;
    }
    let (srh, rest) = Srh::parse(payload)?;
    Some((h, srh, rest))
}

/// Parses a comma-separated SID list (`fc00:1::100,fc00:2::100`).
pub fn parse_segment_list(text: &str) -> Result<Vec<Ipv6Addr>, String> {
    let segs: Result<Vec<Ipv6Addr>, String> = text
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<Ipv6Addr>()
                .map_err(|e| format!("`{s}` is not an IPv6 SID: {e}"))
        })
        .collect();
    let segs = segs?;
    if segs.is_empty() {
        return Err("empty segment list".into());
    }
    if segs.len() >= MAX_SEGMENTS {
        return Err(format!(
            "{} segments, at most {} allowed",
            segs.len(),
            MAX_SEGMENTS - 1
        ));
    }
    Ok(segs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packet::checksum::ipv6_upper_checksum as csum;
    use proptest::prelude::*;

    fn a(s: &str) -> Ipv6Addr {
        s.parse().unwrap()
    }

    #[test]
    fn srh_layout_matches_rfc8754() {
        let path = [a("fc00:1::100"), a("fc00:2::100"), a("fd00:9::2")];
        let pkt = srv6_echo_request(a("fd00:1::1"), &path, 64, 0x55aa, 3, b"xy").unwrap();
        // IPv6 header: next header 43, destination is the first SID.
        assert_eq!(pkt[6], 43);
        assert_eq!(&pkt[24..40], &a("fc00:1::100").octets());
        // SRH: next header 58, hdr ext len 6 (3 segments), type 4, SL 2, last entry 2.
        assert_eq!(&pkt[40..46], &[58, 6, 4, 2, 2, 0]);
        // Reversed list: segment[0] is the final destination.
        assert_eq!(&pkt[48..64], &a("fd00:9::2").octets());
        assert_eq!(&pkt[80..96], &a("fc00:1::100").octets());
        let (h, srh, icmp) = parse_srv6_packet(&pkt).unwrap();
        assert_eq!(h.payload_len as usize, pkt.len() - 40);
        assert_eq!(srh.active_segment(), Some(a("fc00:1::100")));
        assert_eq!(icmp[0], 128);
        // Checksum verifies against the final destination, not the IPv6 destination.
        assert_eq!(csum(a("fd00:1::1"), a("fd00:9::2"), 58, icmp), 0);
        assert_ne!(csum(a("fd00:1::1"), a("fc00:1::100"), 58, icmp), 0);
    }

    #[test]
    fn segment_list_parsing() {
        assert_eq!(parse_segment_list("fc00::1, fc00::2").unwrap().len(), 2);
        assert!(parse_segment_list("").is_err());
        assert!(
            parse_segment_list("10.0.0.1")
                .unwrap_err()
                .contains("10.0.0.1")
        );
    }

    #[test]
    fn empty_path_is_refused() {
        assert!(srv6_echo_request(a("::1"), &[], 64, 0, 0, b"").is_none());
    }

    proptest! {
        #[test]
        fn parsers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = Srh::parse(&bytes);
            let _ = parse_srv6_packet(&bytes);
            if let Some((srh, _)) = Srh::parse(&bytes) { let _ = srh.active_segment(); }
        }

        #[test]
        fn srh_roundtrips(n in 1usize..8, seed: u128) {
            let path: Vec<Ipv6Addr> = (0..n).map(|i| Ipv6Addr::from(seed.wrapping_add(i as u128))).collect();
            let srh = Srh::for_path(58, &path).unwrap();
            let mut b = Vec::new();
            srh.write(&mut b);
            prop_assert_eq!(b.len(), srh.wire_len());
            let (back, rest) = Srh::parse(&b).unwrap();
            prop_assert!(rest.is_empty());
            prop_assert_eq!(back.active_segment(), Some(path[0]));
            prop_assert_eq!(back, srh);
        }
    }
}
