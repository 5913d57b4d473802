//! IF-MIB `ifTable` and `ifXTable`, as snmp_exporter's standard `if_mib` module exports them:
//! every interface series carries `ifIndex` plus `ifAlias`, `ifDescr` and `ifName` looked
//! up from their columns (which are not exported on their own), `ifType` as an info metric,
//! and `sysUpTime` for reboot detection.

use super::{LookupDef, MetricDef, MetricType::*, ModuleDef};

const INTERFACES: &[u32] = &[1, 3, 6, 1, 2, 1, 2];
const IF_X_TABLE: &[u32] = &[1, 3, 6, 1, 2, 1, 31, 1, 1];
const SYS_UP_TIME: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 3, 0];

const IF_DESCR: &[u32] = &[1, 3, 6, 1, 2, 1, 2, 2, 1, 2];
const IF_NAME: &[u32] = &[1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 1];
const IF_ALIAS: &[u32] = &[1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 18];

/// IANAifType names for the values seen on routers, switches and servers.
pub const IF_TYPES: &[(i64, &str)] = &[
    (1, "other"),
    (6, "ethernetCsmacd"),
    (23, "ppp"),
    (24, "softwareLoopback"),
    (32, "frameRelay"),
    (37, "atm"),
    (53, "propVirtual"),
    (71, "ieee80211"),
    (117, "gigabitEthernet"),
    (131, "tunnel"),
    (135, "l2vlan"),
    (136, "l3ipvlan"),
    (142, "ipForward"),
    (150, "mplsTunnel"),
    (161, "ieee8023adLag"),
    (166, "mpls"),
    (209, "bridge"),
    (244, "wwanPP2"),
    (249, "aluELP"),
    (288, "cellular"),
];

macro_rules! col {
    ($name:literal, $table:literal, $col:literal, $kind:expr, $help:literal) => {
        MetricDef {
            name: $name,
            oid: if $table == 2 {
                &[1, 3, 6, 1, 2, 1, 2, 2, 1, $col]
            } else {
                &[1, 3, 6, 1, 2, 1, 31, 1, 1, 1, $col]
            },
            kind: $kind,
            index: Some("ifIndex"),
            help: $help,
        }
    };
}

pub static MODULE: ModuleDef = ModuleDef {
    name: "if_mib",
    walk: &[INTERFACES, IF_X_TABLE],
    get: &[SYS_UP_TIME],
    metrics: &[
        MetricDef {
            name: "sysUpTime",
            oid: &[1, 3, 6, 1, 2, 1, 1, 3],
            kind: Gauge,
            index: None,
            help: "Hundredths of a second since the network management portion of the system was last re-initialized.",
        },
        MetricDef {
            name: "ifNumber",
            oid: &[1, 3, 6, 1, 2, 1, 2, 1],
            kind: Gauge,
            index: None,
            help: "The number of network interfaces present on this system.",
        },
        col!(
            "ifIndex",
            2,
            1,
            Gauge,
            "A unique value, greater than zero, for each interface."
        ),
        col!(
            "ifType",
            2,
            3,
            EnumAsInfo(IF_TYPES),
            "The type of interface."
        ),
        col!(
            "ifMtu",
            2,
            4,
            Gauge,
            "The size of the largest packet which can be sent/received on the interface, specified in octets."
        ),
        col!(
            "ifSpeed",
            2,
            5,
            Gauge,
            "An estimate of the interface's current bandwidth in bits per second."
        ),
        col!(
            "ifPhysAddress",
            2,
            6,
            PhysAddress48,
            "The interface's address at its protocol sub-layer."
        ),
        col!(
            "ifAdminStatus",
            2,
            7,
            Gauge,
            "The desired state of the interface - 1=up, 2=down, 3=testing."
        ),
        col!(
            "ifOperStatus",
            2,
            8,
            Gauge,
            "The current operational state of the interface - 1=up, 2=down, 3=testing, 4=unknown, 5=dormant, 6=notPresent, 7=lowerLayerDown."
        ),
        col!(
            "ifLastChange",
            2,
            9,
            Gauge,
            "The value of sysUpTime at the time the interface entered its current operational state."
        ),
        col!(
            "ifInOctets",
            2,
            10,
            Counter,
            "The total number of octets received on the interface, including framing characters."
        ),
        col!(
            "ifInUcastPkts",
            2,
            11,
            Counter,
            "The number of packets, delivered by this sub-layer to a higher (sub-)layer, which were not addressed to a multicast or broadcast address at this sub-layer."
        ),
        col!(
            "ifInNUcastPkts",
            2,
            12,
            Counter,
            "The number of packets, delivered by this sub-layer to a higher (sub-)layer, which were addressed to a multicast or broadcast address at this sub-layer."
        ),
        col!(
            "ifInDiscards",
            2,
            13,
            Counter,
            "The number of inbound packets which were chosen to be discarded even though no errors had been detected."
        ),
        col!(
            "ifInErrors",
            2,
            14,
            Counter,
            "The number of inbound packets that contained errors preventing them from being deliverable to a higher-layer protocol."
        ),
        col!(
            "ifInUnknownProtos",
            2,
            15,
            Counter,
            "The number of packets received via the interface which were discarded because of an unknown or unsupported protocol."
        ),
        col!(
            "ifOutOctets",
            2,
            16,
            Counter,
            "The total number of octets transmitted out of the interface, including framing characters."
        ),
        col!(
            "ifOutUcastPkts",
            2,
            17,
            Counter,
            "The total number of packets that higher-level protocols requested be transmitted, and which were not addressed to a multicast or broadcast address."
        ),
        col!(
            "ifOutNUcastPkts",
            2,
            18,
            Counter,
            "The total number of packets that higher-level protocols requested be transmitted, and which were addressed to a multicast or broadcast address."
        ),
        col!(
            "ifOutDiscards",
            2,
            19,
            Counter,
            "The number of outbound packets which were chosen to be discarded even though no errors had been detected."
        ),
        col!(
            "ifOutErrors",
            2,
            20,
            Counter,
            "The number of outbound packets that could not be transmitted because of errors."
        ),
        col!(
            "ifOutQLen",
            2,
            21,
            Gauge,
            "The length of the output packet queue (in packets)."
        ),
        col!(
            "ifSpecific",
            2,
            22,
            ObjectIdentifier,
            "A reference to MIB definitions specific to the particular media being used to realize the interface."
        ),
        col!(
            "ifInMulticastPkts",
            31,
            2,
            Counter,
            "The number of packets delivered to a higher (sub-)layer which were addressed to a multicast address."
        ),
        col!(
            "ifInBroadcastPkts",
            31,
            3,
            Counter,
            "The number of packets delivered to a higher (sub-)layer which were addressed to a broadcast address."
        ),
        col!(
            "ifOutMulticastPkts",
            31,
            4,
            Counter,
            "The total number of packets that higher-level protocols requested be transmitted to a multicast address."
        ),
        col!(
            "ifOutBroadcastPkts",
            31,
            5,
            Counter,
            "The total number of packets that higher-level protocols requested be transmitted to a broadcast address."
        ),
        col!(
            "ifHCInOctets",
            31,
            6,
            Counter,
            "The total number of octets received on the interface, including framing characters (64-bit)."
        ),
        col!(
            "ifHCInUcastPkts",
            31,
            7,
            Counter,
            "Unicast packets delivered to a higher (sub-)layer (64-bit)."
        ),
        col!(
            "ifHCInMulticastPkts",
            31,
            8,
            Counter,
            "Multicast packets delivered to a higher (sub-)layer (64-bit)."
        ),
        col!(
            "ifHCInBroadcastPkts",
            31,
            9,
            Counter,
            "Broadcast packets delivered to a higher (sub-)layer (64-bit)."
        ),
        col!(
            "ifHCOutOctets",
            31,
            10,
            Counter,
            "The total number of octets transmitted out of the interface, including framing characters (64-bit)."
        ),
        col!(
            "ifHCOutUcastPkts",
            31,
            11,
            Counter,
            "Unicast packets requested to be transmitted (64-bit)."
        ),
        col!(
            "ifHCOutMulticastPkts",
            31,
            12,
            Counter,
            "Multicast packets requested to be transmitted (64-bit)."
        ),
        col!(
            "ifHCOutBroadcastPkts",
            31,
            13,
            Counter,
            "Broadcast packets requested to be transmitted (64-bit)."
        ),
        col!(
            "ifLinkUpDownTrapEnable",
            31,
            14,
            Gauge,
            "Indicates whether linkUp/linkDown traps should be generated for this interface - 1=enabled, 2=disabled."
        ),
        col!(
            "ifHighSpeed",
            31,
            15,
            Gauge,
            "An estimate of the interface's current bandwidth in units of 1,000,000 bits per second."
        ),
        col!(
            "ifPromiscuousMode",
            31,
            16,
            Gauge,
            "1=true, 2=false: whether the interface accepts all packets it sees."
        ),
        col!(
            "ifConnectorPresent",
            31,
            17,
            Gauge,
            "1=true, 2=false: whether the interface sublayer has a physical connector."
        ),
        col!(
            "ifCounterDiscontinuityTime",
            31,
            19,
            Gauge,
            "The value of sysUpTime on the most recent occasion at which any one or more of this interface's counters suffered a discontinuity."
        ),
    ],
    lookups: &[
        LookupDef {
            index: "ifIndex",
            label: "ifAlias",
            oid: IF_ALIAS,
        },
        LookupDef {
            index: "ifIndex",
            label: "ifDescr",
            oid: IF_DESCR,
        },
        LookupDef {
            index: "ifIndex",
            label: "ifName",
            oid: IF_NAME,
        },
    ],
};
