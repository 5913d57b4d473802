//! The Internet checksum (RFC 1071) and the IPv6 pseudo-header (RFC 8200 §8.1).

use std::net::Ipv6Addr;

/// One's-complement sum of 16-bit words, folded, not yet inverted.
fn sum(bytes: &[u8], mut acc: u32) -> u32 {
    let mut chunks = bytes.chunks_exact(2);
    for c in &mut chunks {
        acc = acc.wrapping_add(u32::from(u16::from_be_bytes([c[0], c[1]])));
    }
    if let [last] = chunks.remainder() {
        acc = acc.wrapping_add(u32::from(*last) << 8);
    }
    acc
}

fn fold(mut acc: u32) -> u16 {
    while acc > 0xffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    // Truncation is the point: after folding the value fits in 16 bits.
    #[allow(clippy::cast_possible_truncation)]
    let folded = acc as u16;
    !folded
}

/// The checksum of `bytes` (with its checksum field zeroed by the caller).
pub fn internet_checksum(bytes: &[u8]) -> u16 {
    fold(sum(bytes, 0))
}

/// ICMPv6/UDP/TCP-over-IPv6 checksum: the pseudo-header uses the *final* destination, which
/// for a packet with a Segment Routing Header is the last segment, not the IPv6 destination.
pub fn ipv6_upper_checksum(
    src: Ipv6Addr,
    final_dst: Ipv6Addr,
    next_header: u8,
    upper: &[u8],
) -> u16 {
    let mut acc = sum(&src.octets(), 0);
    acc = sum(&final_dst.octets(), acc);
    let len = u32::try_from(upper.len()).unwrap_or(u32::MAX);
    acc = acc.wrapping_add(len >> 16).wrapping_add(len & 0xffff);
    acc = acc.wrapping_add(u32::from(next_header));
    fold(sum(upper, acc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1071_example() {
        // The worked example of RFC 1071 §3: sum 0xddf2, checksum its complement.
        let data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(internet_checksum(&data), !0xddf2);
    }

    #[test]
    fn checksum_of_packet_with_its_checksum_is_zero() {
        let mut data = vec![8, 0, 0, 0, 0x12, 0x34, 0, 1, b'a', b'b', b'c'];
        let c = internet_checksum(&data);
        data[2..4].copy_from_slice(&c.to_be_bytes());
        assert_eq!(internet_checksum(&data), 0);
    }
}
