//! SNMPv2-MIB `system` group, named as snmp_exporter's `system` module does.

use super::{MetricDef, MetricType::*, ModuleDef};

const SYSTEM: &[u32] = &[1, 3, 6, 1, 2, 1, 1];
// SNMPv2-MIB snmp group counters that tell of someone guessing communities.
const SNMP_IN_BAD_COMMUNITY_NAMES: &[u32] = &[1, 3, 6, 1, 2, 1, 11, 4, 0];
const SNMP_IN_BAD_COMMUNITY_USES: &[u32] = &[1, 3, 6, 1, 2, 1, 11, 5, 0];

pub static MODULE: ModuleDef = ModuleDef {
    name: "system",
    walk: &[SYSTEM],
    get: &[SNMP_IN_BAD_COMMUNITY_NAMES, SNMP_IN_BAD_COMMUNITY_USES],
    metrics: &[
        MetricDef {
            name: "sysDescr",
            oid: &[1, 3, 6, 1, 2, 1, 1, 1],
            kind: DisplayString,
            index: None,
            help: "A textual description of the entity.",
        },
        MetricDef {
            name: "sysObjectID",
            oid: &[1, 3, 6, 1, 2, 1, 1, 2],
            kind: ObjectIdentifier,
            index: None,
            help: "The vendor's authoritative identification of the network management subsystem.",
        },
        MetricDef {
            name: "sysUpTime",
            oid: &[1, 3, 6, 1, 2, 1, 1, 3],
            kind: Gauge,
            index: None,
            help: "Hundredths of a second since the network management portion of the system was last re-initialized.",
        },
        MetricDef {
            name: "sysContact",
            oid: &[1, 3, 6, 1, 2, 1, 1, 4],
            kind: DisplayString,
            index: None,
            help: "The contact person for this managed node.",
        },
        MetricDef {
            name: "sysName",
            oid: &[1, 3, 6, 1, 2, 1, 1, 5],
            kind: DisplayString,
            index: None,
            help: "An administratively-assigned name for this managed node.",
        },
        MetricDef {
            name: "sysLocation",
            oid: &[1, 3, 6, 1, 2, 1, 1, 6],
            kind: DisplayString,
            index: None,
            help: "The physical location of this node.",
        },
        MetricDef {
            name: "sysServices",
            oid: &[1, 3, 6, 1, 2, 1, 1, 7],
            kind: Gauge,
            index: None,
            help: "A value which indicates the set of services that this entity may potentially offer.",
        },
        MetricDef {
            name: "sysORLastChange",
            oid: &[1, 3, 6, 1, 2, 1, 1, 8],
            kind: Gauge,
            index: None,
            help: "The value of sysUpTime at the time of the most recent change in state or value of any instance of sysORID.",
        },
        MetricDef {
            name: "sysORID",
            oid: &[1, 3, 6, 1, 2, 1, 1, 9, 1, 2],
            kind: ObjectIdentifier,
            index: Some("sysORIndex"),
            help: "An authoritative identification of a capabilities statement.",
        },
        MetricDef {
            name: "sysORUpTime",
            oid: &[1, 3, 6, 1, 2, 1, 1, 9, 1, 4],
            kind: Gauge,
            index: Some("sysORIndex"),
            help: "The value of sysUpTime at the time this conceptual row was last instantiated.",
        },
        MetricDef {
            name: "snmpInBadCommunityNames",
            oid: &[1, 3, 6, 1, 2, 1, 11, 4],
            kind: Counter,
            index: None,
            help: "Messages delivered to the SNMP entity that used an unknown community name.",
        },
        MetricDef {
            name: "snmpInBadCommunityUses",
            oid: &[1, 3, 6, 1, 2, 1, 11, 5],
            kind: Counter,
            index: None,
            help: "Messages delivered to the SNMP entity that used a community not allowed for the operation.",
        },
    ],
    lookups: &[],
};
