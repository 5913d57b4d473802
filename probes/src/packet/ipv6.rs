//! The fixed IPv6 header (RFC 8200 §3), for the hand-built packets of SRv6 probes.

use super::be16;
use std::net::Ipv6Addr;

pub const IPV6_HEADER_LEN: usize = 40;
pub const NEXT_HEADER_ROUTING: u8 = 43;
pub const NEXT_HEADER_ICMPV6: u8 = 58;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv6Header {
    pub payload_len: u16,
    pub next_header: u8,
    pub hop_limit: u8,
    pub src: Ipv6Addr,
    pub dst: Ipv6Addr,
}

impl Ipv6Header {
    pub fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&[0x60, 0, 0, 0]); // version 6, traffic class 0, flow label 0
        out.extend_from_slice(&self.payload_len.to_be_bytes());
        out.push(self.next_header);
        out.push(self.hop_limit);
        out.extend_from_slice(&self.src.octets());
        out.extend_from_slice(&self.dst.octets());
    }

    /// Parses the fixed header; the rest of `bytes` is its payload.
    pub fn parse(bytes: &[u8]) -> Option<(Self, &[u8])> {
        if bytes.len() < IPV6_HEADER_LEN || bytes[0] >> 4 != 6 {
            return None;
        }
        let payload_len = be16(bytes, 4)?;
        let payload = bytes.get(IPV6_HEADER_LEN..IPV6_HEADER_LEN + usize::from(payload_len))?;
        let addr = |at: usize| -> Option<Ipv6Addr> {
            let o: [u8; 16] = bytes.get(at..at + 16)?.try_into().ok()?;
            Some(Ipv6Addr::from(o))
        };
        Some((
            Self {
                payload_len,
                next_header: bytes[6],
                hop_limit: bytes[7],
                src: addr(8)?,
                dst: addr(24)?,
            },
            payload,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn write_then_parse() {
        let h = Ipv6Header {
            payload_len: 3,
            next_header: 58,
            hop_limit: 64,
            src: "fd00::1".parse().unwrap(),
            dst: "fd00::2".parse().unwrap(),
        };
        let mut b = Vec::new();
        h.write(&mut b);
        b.extend_from_slice(&[1, 2, 3, 4]);
        let (p, payload) = Ipv6Header::parse(&b).unwrap();
        assert_eq!(p, h);
        assert_eq!(payload, &[1, 2, 3]);
    }

    proptest! {
        #[test]
        fn parser_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..96)) {
            let _ = Ipv6Header::parse(&bytes);
        }
    }
}
