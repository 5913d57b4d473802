//! ICMP (RFC 792) and ICMPv6 (RFC 4443) echo request/reply.

use super::{be16, checksum::internet_checksum};

pub const ICMPV4_ECHO_REPLY: u8 = 0;
pub const ICMPV4_ECHO_REQUEST: u8 = 8;
pub const ICMPV6_ECHO_REQUEST: u8 = 128;
pub const ICMPV6_ECHO_REPLY: u8 = 129;
/// Length of the echo header (type, code, checksum, identifier, sequence).
pub const ECHO_HEADER_LEN: usize = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IcmpVersion {
    V4,
    V6,
}

/// An echo reply as received: what the matcher needs to find the request it answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EchoReply<'a> {
    pub identifier: u16,
    pub sequence: u16,
    pub payload: &'a [u8],
    /// IPv4 TTL when the bytes started with the IPv4 header (raw IPv4 sockets).
    pub ttl: Option<u8>,
}

/// Echo payload of `size` bytes: a recognisable pattern so a capture shows whose packet it is.
pub fn echo_payload(size: usize) -> Vec<u8> {
    const PATTERN: &[u8] = b"netops-probe ";
    (0..size).map(|i| PATTERN[i % PATTERN.len()]).collect()
}

/// Builds an echo request. For ICMPv4 the checksum is computed here; for ICMPv6 it is left
/// zero because the kernel fills it on raw and datagram ICMPv6 sockets (it knows the source
/// address, we do not) — use [`echo_request_v6_with_checksum`] for hand-built IPv6 packets.
pub fn echo_request(
    version: IcmpVersion,
    identifier: u16,
    sequence: u16,
    payload: &[u8],
) -> Vec<u8> {
    let kind = match version {
        IcmpVersion::V4 => ICMPV4_ECHO_REQUEST,
        IcmpVersion::V6 => ICMPV6_ECHO_REQUEST,
    };
    let mut p = Vec::with_capacity(ECHO_HEADER_LEN + payload.len());
    p.extend_from_slice(&[kind, 0, 0, 0]);
    p.extend_from_slice(&identifier.to_be_bytes());
    p.extend_from_slice(&sequence.to_be_bytes());
    p.extend_from_slice(payload);
    if version == IcmpVersion::V4 {
        let c = internet_checksum(&p);
        p[2..4].copy_from_slice(&c.to_be_bytes());
    }
    p
}

/// ICMPv6 echo request with its checksum over the pseudo-header of `src` → `final_dst`.
pub fn echo_request_v6_with_checksum(
    src: std::net::Ipv6Addr,
    final_dst: std::net::Ipv6Addr,
    identifier: u16,
    sequence: u16,
    payload: &[u8],
) -> Vec<u8> {
    let mut p = echo_request(IcmpVersion::V6, identifier, sequence, payload);
    let c = super::checksum::ipv6_upper_checksum(src, final_dst, 58, &p);
    p[2..4].copy_from_slice(&c.to_be_bytes());
    p
}

/// Parses an echo reply. `with_ipv4_header` is true for raw IPv4 sockets, which deliver
/// the IPv4 header too; ICMPv6 raw sockets and ICMP datagram sockets never do.
/// ICMPv4 checksums are verified (the kernel does not for raw sockets); ICMPv6 ones were
/// verified by the kernel before delivery.
pub fn parse_echo_reply(
    version: IcmpVersion,
    bytes: &[u8],
    with_ipv4_header: bool,
) -> Option<EchoReply<'_>> {
    let (icmp, ttl) = if with_ipv4_header {
        let first = *bytes.first()?;
        if first >> 4 != 4 {
            return None;
        }
        let ihl = usize::from(first & 0x0f) * 4;
        let total = usize::from(be16(bytes, 2)?);
        if ihl < 20 || *bytes.get(9)? != 1 || total < ihl || total > bytes.len() {
            return None;
        }
        (&bytes[ihl..total], Some(bytes[8]))
    } else {
        (bytes, None)
    };
    let expected = match version {
        IcmpVersion::V4 => ICMPV4_ECHO_REPLY,
        IcmpVersion::V6 => ICMPV6_ECHO_REPLY,
    };
    if icmp.len() < ECHO_HEADER_LEN || icmp[0] != expected || icmp[1] != 0 {
        return None;
    }
    // Datagram ICMP sockets deliver what the kernel already checked; on raw IPv4 sockets a
    // corrupted reply must not count as received.
    if version == IcmpVersion::V4 && with_ipv4_header && internet_checksum(icmp) != 0 {
        return None;
    }
    Some(EchoReply {
        identifier: be16(icmp, 4)?,
        sequence: be16(icmp, 6)?,
        payload: &icmp[ECHO_HEADER_LEN..],
        ttl,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn as_reply(mut req: Vec<u8>, version: IcmpVersion) -> Vec<u8> {
        req[0] = match version {
            IcmpVersion::V4 => ICMPV4_ECHO_REPLY,
            IcmpVersion::V6 => ICMPV6_ECHO_REPLY,
        };
        req[2] = 0;
        req[3] = 0;
        if version == IcmpVersion::V4 {
            let c = internet_checksum(&req);
            req[2..4].copy_from_slice(&c.to_be_bytes());
        }
        req
    }

    fn with_ipv4_header(icmp: &[u8], ttl: u8) -> Vec<u8> {
        let total = u16::try_from(20 + icmp.len()).unwrap();
        let mut p = vec![
            0x45, 0, 0, 0, 0, 0, 0, 0, ttl, 1, 0, 0, 10, 0, 0, 2, 10, 0, 0, 1,
        ];
        p[2..4].copy_from_slice(&total.to_be_bytes());
        p.extend_from_slice(icmp);
        p
    }

    #[test]
    fn v4_request_has_valid_checksum_and_fields() {
        let p = echo_request(IcmpVersion::V4, 0xbeef, 7, &echo_payload(56));
        assert_eq!(p.len(), 64);
        assert_eq!(p[0], 8);
        assert_eq!(internet_checksum(&p), 0);
        assert_eq!(&p[4..8], &[0xbe, 0xef, 0, 7]);
    }

    #[test]
    fn v4_reply_through_raw_socket_is_parsed_with_ttl() {
        let reply = as_reply(
            echo_request(IcmpVersion::V4, 0x1234, 99, b"abc"),
            IcmpVersion::V4,
        );
        let raw = with_ipv4_header(&reply, 63);
        let r = parse_echo_reply(IcmpVersion::V4, &raw, true).unwrap();
        assert_eq!(
            (r.identifier, r.sequence, r.payload, r.ttl),
            (0x1234, 99, &b"abc"[..], Some(63))
        );
    }

    #[test]
    fn corrupted_v4_reply_is_rejected() {
        let reply = as_reply(
            echo_request(IcmpVersion::V4, 1, 2, b"abcd"),
            IcmpVersion::V4,
        );
        let mut raw = with_ipv4_header(&reply, 64);
        let last = raw.len() - 1;
        raw[last] ^= 0xff;
        assert_eq!(parse_echo_reply(IcmpVersion::V4, &raw, true), None);
    }

    #[test]
    fn requests_are_not_replies() {
        let req = echo_request(IcmpVersion::V6, 1, 2, b"");
        assert_eq!(parse_echo_reply(IcmpVersion::V6, &req, false), None);
        let reply = as_reply(req, IcmpVersion::V6);
        assert_eq!(
            parse_echo_reply(IcmpVersion::V6, &reply, false)
                .unwrap()
                .sequence,
            2
        );
        // An ICMPv6 reply is not an ICMPv4 one.
        assert_eq!(parse_echo_reply(IcmpVersion::V4, &reply, false), None);
    }

    proptest! {
        #[test]
        fn parser_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..128), v6: bool, hdr: bool) {
            let v = if v6 { IcmpVersion::V6 } else { IcmpVersion::V4 };
            let _ = parse_echo_reply(v, &bytes, hdr);
        }

        #[test]
        fn build_then_parse_roundtrips(id: u16, seq: u16, payload in proptest::collection::vec(any::<u8>(), 0..64)) {
            let reply = as_reply(echo_request(IcmpVersion::V4, id, seq, &payload), IcmpVersion::V4);
            let raw = with_ipv4_header(&reply, 1);
            let r = parse_echo_reply(IcmpVersion::V4, &raw, true).unwrap();
            prop_assert_eq!((r.identifier, r.sequence, r.payload), (id, seq, &payload[..]));
        }
    }
}
