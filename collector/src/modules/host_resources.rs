//! HOST-RESOURCES-MIB: uptime, memory, CPU load per processor and storage use, named as in
//! snmp_exporter's `hrSystem`, `hrStorage` and `hrDevice` modules.

use super::{LookupDef, MetricDef, MetricType::*, ModuleDef};

const HR_SYSTEM_UPTIME: &[u32] = &[1, 3, 6, 1, 2, 1, 25, 1, 1, 0];
const HR_SYSTEM_PROCESSES: &[u32] = &[1, 3, 6, 1, 2, 1, 25, 1, 6, 0];
const HR_MEMORY_SIZE: &[u32] = &[1, 3, 6, 1, 2, 1, 25, 2, 2, 0];
const HR_STORAGE_TABLE: &[u32] = &[1, 3, 6, 1, 2, 1, 25, 2, 3];
const HR_PROCESSOR_LOAD: &[u32] = &[1, 3, 6, 1, 2, 1, 25, 3, 3, 1, 2];

pub static MODULE: ModuleDef = ModuleDef {
    name: "host_resources",
    walk: &[HR_STORAGE_TABLE, HR_PROCESSOR_LOAD],
    get: &[HR_SYSTEM_UPTIME, HR_SYSTEM_PROCESSES, HR_MEMORY_SIZE],
    metrics: &[
        MetricDef {
            name: "hrSystemUptime",
            oid: &[1, 3, 6, 1, 2, 1, 25, 1, 1],
            kind: Gauge,
            index: None,
            help: "Hundredths of a second since the host was last initialized.",
        },
        MetricDef {
            name: "hrSystemProcesses",
            oid: &[1, 3, 6, 1, 2, 1, 25, 1, 6],
            kind: Gauge,
            index: None,
            help: "The number of process contexts currently loaded or running on this system.",
        },
        MetricDef {
            name: "hrMemorySize",
            oid: &[1, 3, 6, 1, 2, 1, 25, 2, 2],
            kind: Gauge,
            index: None,
            help: "The amount of physical read-write main memory, in kilobytes (1024 bytes).",
        },
        MetricDef {
            name: "hrStorageAllocationUnits",
            oid: &[1, 3, 6, 1, 2, 1, 25, 2, 3, 1, 4],
            kind: Gauge,
            index: Some("hrStorageIndex"),
            help: "The size, in bytes, of the data objects allocated from this pool.",
        },
        MetricDef {
            name: "hrStorageSize",
            oid: &[1, 3, 6, 1, 2, 1, 25, 2, 3, 1, 5],
            kind: Gauge,
            index: Some("hrStorageIndex"),
            help: "The size of the storage represented by this entry, in units of hrStorageAllocationUnits.",
        },
        MetricDef {
            name: "hrStorageUsed",
            oid: &[1, 3, 6, 1, 2, 1, 25, 2, 3, 1, 6],
            kind: Gauge,
            index: Some("hrStorageIndex"),
            help: "The amount of the storage represented by this entry that is allocated, in units of hrStorageAllocationUnits.",
        },
        MetricDef {
            name: "hrStorageAllocationFailures",
            oid: &[1, 3, 6, 1, 2, 1, 25, 2, 3, 1, 7],
            kind: Counter,
            index: Some("hrStorageIndex"),
            help: "The number of requests for storage represented by this entry that could not be honored.",
        },
        MetricDef {
            name: "hrProcessorLoad",
            oid: HR_PROCESSOR_LOAD,
            kind: Gauge,
            index: Some("hrDeviceIndex"),
            help: "The average, over the last minute, of the percentage of time that this processor was not idle.",
        },
    ],
    lookups: &[LookupDef {
        index: "hrStorageIndex",
        label: "hrStorageDescr",
        oid: &[1, 3, 6, 1, 2, 1, 25, 2, 3, 1, 3],
    }],
};
