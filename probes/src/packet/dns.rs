//! A minimal DNS question (RFC 1035 §4.1) for UDP probes, and the reply-header check: a UDP
//! DNS probe succeeds when a response with our ID comes back, whatever its answer.

use super::be16;

/// Query type A.
pub const QTYPE_A: u16 = 1;
/// Query type NS (for `.` this is answered by every resolver and root-hinting server).
pub const QTYPE_NS: u16 = 2;

/// Encodes a query for `name` (dotted; `.` or empty for the root). `None` when a label is
/// empty or longer than 63 bytes, or the name longer than 255.
pub fn build_query(id: u16, name: &str, qtype: u16) -> Option<Vec<u8>> {
    let mut q = Vec::with_capacity(17 + name.len());
    q.extend_from_slice(&id.to_be_bytes());
    q.extend_from_slice(&[0x01, 0x00]); // standard query, recursion desired
    q.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, 0]); // QDCOUNT 1
    let trimmed = name.trim_end_matches('.');
    if !trimmed.is_empty() {
        for label in trimmed.split('.') {
            let len = u8::try_from(label.len())
                .ok()
                .filter(|l| (1..=63).contains(l))?;
            q.push(len);
            q.extend_from_slice(label.as_bytes());
        }
    }
    q.push(0);
    if q.len() - 12 > 255 {
        return None;
    }
    q.extend_from_slice(&qtype.to_be_bytes());
    q.extend_from_slice(&[0, 1]); // class IN
    Some(q)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DnsReplyHeader {
    pub id: u16,
    pub rcode: u8,
    pub answers: u16,
}

/// Parses a DNS header and keeps it only if it is a response (QR set).
pub fn parse_reply_header(bytes: &[u8]) -> Option<DnsReplyHeader> {
    if bytes.len() < 12 || bytes[2] & 0x80 == 0 {
        return None;
    }
    Some(DnsReplyHeader {
        id: be16(bytes, 0)?,
        rcode: bytes[3] & 0x0f,
        answers: be16(bytes, 6)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn query_encoding() {
        let q = build_query(0xabcd, "example.org.", QTYPE_A).unwrap();
        assert_eq!(&q[..4], &[0xab, 0xcd, 1, 0]);
        assert_eq!(&q[12..], b"\x07example\x03org\x00\x00\x01\x00\x01");
        let root = build_query(1, ".", QTYPE_NS).unwrap();
        assert_eq!(&root[12..], &[0, 0, 2, 0, 1]);
        assert!(build_query(1, "a..b", QTYPE_A).is_none());
        assert!(build_query(1, &"x".repeat(64), QTYPE_A).is_none());
    }

    #[test]
    fn query_is_not_a_reply_but_its_answer_is() {
        let mut q = build_query(7, "a", QTYPE_A).unwrap();
        assert_eq!(parse_reply_header(&q), None);
        q[2] |= 0x80;
        q[3] = 3;
        assert_eq!(
            parse_reply_header(&q),
            Some(DnsReplyHeader {
                id: 7,
                rcode: 3,
                answers: 0
            })
        );
    }

    proptest! {
        #[test]
        fn parser_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = parse_reply_header(&bytes);
        }

        #[test]
        fn builder_never_panics(name in ".{0,300}", id: u16) {
            let _ = build_query(id, &name, QTYPE_A);
        }
    }
}
