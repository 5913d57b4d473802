//! IP-MIB `ipSystemStatsTable` (RFC 4293): traffic per IP version, so the IPv6 share of a
//! device's traffic is visible (`ipSystemStatsIPVersion` 1 = ipv4, 2 = ipv6).

use super::{MetricDef, MetricType::*, ModuleDef};

const IP_SYSTEM_STATS: &[u32] = &[1, 3, 6, 1, 2, 1, 4, 31, 1];

macro_rules! stat {
    ($name:literal, $col:literal, $kind:expr, $help:literal) => {
        MetricDef {
            name: $name,
            oid: &[1, 3, 6, 1, 2, 1, 4, 31, 1, 1, $col],
            kind: $kind,
            index: Some("ipSystemStatsIPVersion"),
            help: $help,
        }
    };
}

pub static MODULE: ModuleDef = ModuleDef {
    name: "ip_mib",
    walk: &[IP_SYSTEM_STATS],
    get: &[],
    metrics: &[
        stat!(
            "ipSystemStatsInReceives",
            3,
            Counter,
            "The total number of input IP datagrams received, including those received in error."
        ),
        stat!(
            "ipSystemStatsHCInReceives",
            4,
            Counter,
            "The total number of input IP datagrams received (64-bit)."
        ),
        stat!(
            "ipSystemStatsInOctets",
            5,
            Counter,
            "The total number of octets received in input IP datagrams."
        ),
        stat!(
            "ipSystemStatsHCInOctets",
            6,
            Counter,
            "The total number of octets received in input IP datagrams (64-bit)."
        ),
        stat!(
            "ipSystemStatsInHdrErrors",
            7,
            Counter,
            "The number of input IP datagrams discarded due to errors in their IP headers."
        ),
        stat!(
            "ipSystemStatsInNoRoutes",
            8,
            Counter,
            "The number of input IP datagrams discarded because no route could be found."
        ),
        stat!(
            "ipSystemStatsInAddrErrors",
            9,
            Counter,
            "The number of input IP datagrams discarded because of an invalid destination address."
        ),
        stat!(
            "ipSystemStatsInUnknownProtos",
            10,
            Counter,
            "The number of locally-addressed IP datagrams discarded because of an unknown or unsupported protocol."
        ),
        stat!(
            "ipSystemStatsInDiscards",
            17,
            Counter,
            "The number of input IP datagrams discarded for lack of buffer space or similar."
        ),
        stat!(
            "ipSystemStatsInDelivers",
            18,
            Counter,
            "The total number of datagrams successfully delivered to IP user-protocols."
        ),
        stat!(
            "ipSystemStatsHCInDelivers",
            19,
            Counter,
            "The total number of datagrams successfully delivered to IP user-protocols (64-bit)."
        ),
        stat!(
            "ipSystemStatsOutRequests",
            20,
            Counter,
            "The total number of IP datagrams that local IP user-protocols supplied to IP."
        ),
        stat!(
            "ipSystemStatsHCOutRequests",
            21,
            Counter,
            "The total number of IP datagrams that local IP user-protocols supplied to IP (64-bit)."
        ),
        stat!(
            "ipSystemStatsOutNoRoutes",
            22,
            Counter,
            "The number of locally generated IP datagrams discarded because no route could be found."
        ),
        stat!(
            "ipSystemStatsHCOutForwDatagrams",
            24,
            Counter,
            "The number of datagrams for which this entity was not their final IP destination and a route was found (64-bit)."
        ),
        stat!(
            "ipSystemStatsOutDiscards",
            25,
            Counter,
            "The number of output IP datagrams discarded for lack of buffer space or similar."
        ),
        stat!(
            "ipSystemStatsOutTransmits",
            30,
            Counter,
            "The total number of IP datagrams that this entity supplied to the lower layers for transmission."
        ),
        stat!(
            "ipSystemStatsHCOutTransmits",
            31,
            Counter,
            "The total number of IP datagrams that this entity supplied to the lower layers for transmission (64-bit)."
        ),
        stat!(
            "ipSystemStatsOutOctets",
            32,
            Counter,
            "The total number of octets in IP datagrams delivered to the lower layers for transmission."
        ),
        stat!(
            "ipSystemStatsHCOutOctets",
            33,
            Counter,
            "The total number of octets in IP datagrams delivered to the lower layers for transmission (64-bit)."
        ),
        stat!(
            "ipSystemStatsDiscontinuityTime",
            46,
            Gauge,
            "The value of sysUpTime on the most recent occasion at which any one or more of this entry's counters suffered a discontinuity."
        ),
    ],
    lookups: &[],
};
