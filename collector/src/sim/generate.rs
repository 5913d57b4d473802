//! Deterministic router-like recordings: the system group, ifTable and ifXTable (with HC
//! counters, ifName/ifAlias/ifDescr) for N interfaces, and IP-MIB's ipSystemStatsTable
//! for IPv4 and IPv6. The same (name, interfaces) always gives the same objects, so the
//! shipped `router-48.snmprec` and `router-480.snmprec` can be checked and regenerated
//! by a test.

use crate::sim::dynamics::stable_hash;
use crate::snmp::{Oid, SnmpValue, VarBind};
use bytes::Bytes;

const SYSTEM: &[u32] = &[1, 3, 6, 1, 2, 1, 1];
const IF_NUMBER: &[u32] = &[1, 3, 6, 1, 2, 1, 2, 1, 0];
const IF_ENTRY: &[u32] = &[1, 3, 6, 1, 2, 1, 2, 2, 1];
const IFX_ENTRY: &[u32] = &[1, 3, 6, 1, 2, 1, 31, 1, 1, 1];
const IP_SYSTEM_STATS_ENTRY: &[u32] = &[1, 3, 6, 1, 2, 1, 4, 31, 1, 1];

struct Builder(Vec<VarBind>);

impl Builder {
    fn put(&mut self, prefix: &[u32], suffix: &[u32], value: SnmpValue) {
        let mut arcs = prefix.to_vec();
        arcs.extend_from_slice(suffix);
        self.0.push(VarBind {
            oid: Oid::from_arcs(arcs),
            value,
        });
    }
}

fn text(s: impl Into<String>) -> SnmpValue {
    SnmpValue::OctetString(Bytes::from(s.into()))
}

/// A router called `name` with `interfaces` Ethernet ports. 48 ports or fewer are
/// 1 Gbit/s access ports; larger boxes get line cards of 48 ports, 10 Gbit/s with every
/// 12th port at 100 Gbit/s.
pub fn router(name: &str, interfaces: u32) -> Vec<VarBind> {
    let mut b = Builder(Vec::new());
    let h = |arcs: &[u32]| stable_hash(arcs);
    b.put(
        SYSTEM,
        &[1, 0],
        text(format!(
            "netops simulated router {name}, {interfaces} Ethernet interfaces, software 17.9.4a"
        )),
    );
    b.put(
        SYSTEM,
        &[2, 0],
        SnmpValue::ObjectId(Oid::from_arcs(vec![1, 3, 6, 1, 4, 1, 8072, 3, 2, 10])),
    );
    b.put(
        SYSTEM,
        &[3, 0],
        SnmpValue::TimeTicks(1_234_567_890 % (interfaces * 1_000_003)),
    );
    b.put(SYSTEM, &[4, 0], text("noc@example.net"));
    b.put(SYSTEM, &[5, 0], text(name));
    b.put(SYSTEM, &[6, 0], text("Shiqiao district, rack B3"));
    b.put(SYSTEM, &[7, 0], SnmpValue::Integer(78));
    b.put(IF_NUMBER, &[], SnmpValue::Integer(i64::from(interfaces)));

    let large = interfaces > 48;
    let if_name = |i: u32| {
        if large {
            format!("Ethernet{}/{}", (i - 1) / 48 + 1, (i - 1) % 48 + 1)
        } else {
            format!("GigabitEthernet0/0/{}", i - 1)
        }
    };
    let speed_mbps = |i: u32| -> u32 {
        match (large, i.is_multiple_of(12)) {
            (false, _) => 1_000,
            (true, false) => 10_000,
            (true, true) => 100_000,
        }
    };
    let up = |i: u32| h(&[i, 8]) % 10 != 0;
    // HC counter start values; the 32-bit columns are their low 32 bits, as on a device.
    let hc = |i: u32, column: u32| -> u64 {
        let scale: u64 = if matches!(column, 6 | 10) {
            1 << 44
        } else {
            1 << 34
        };
        if up(i) { h(&[i, column, 1]) % scale } else { 0 }
    };
    let low32 = |v: u64| SnmpValue::Counter32(v as u32);
    let small =
        |i: u32, column: u32, max: u64| SnmpValue::Counter32((h(&[i, column, 2]) % max) as u32);

    let columns_if: &[u32] = &[
        1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15, 16, 17, 19, 20,
    ];
    for &column in columns_if {
        for i in 1..=interfaces {
            let value = match column {
                1 => SnmpValue::Integer(i64::from(i)),
                2 => text(format!(
                    "{} interface {}",
                    if large {
                        "HundredGig/TenGig"
                    } else {
                        "Gigabit"
                    },
                    if_name(i)
                )),
                3 => SnmpValue::Integer(6),
                4 => SnmpValue::Integer(if h(&[i, 4]) % 4 == 0 { 9000 } else { 1500 }),
                5 => SnmpValue::Gauge32(
                    u32::try_from(u64::from(speed_mbps(i)) * 1_000_000).unwrap_or(u32::MAX),
                ),
                6 => {
                    let x = h(&[i, 6]).to_be_bytes();
                    SnmpValue::OctetString(Bytes::copy_from_slice(&[
                        0x00,
                        0x1b,
                        0x21,
                        x[0],
                        x[1],
                        (i & 0xff) as u8,
                    ]))
                }
                7 => SnmpValue::Integer(if h(&[i, 7]) % 25 == 0 { 2 } else { 1 }),
                8 => SnmpValue::Integer(if up(i) { 1 } else { 2 }),
                9 => SnmpValue::TimeTicks((h(&[i, 9]) % 100_000) as u32),
                10 => low32(hc(i, 6)),
                11 => low32(hc(i, 7)),
                13 => small(i, 13, 10_000),
                14 => small(i, 14, 1_000),
                15 => small(i, 15, 100),
                16 => low32(hc(i, 10)),
                17 => low32(hc(i, 11)),
                19 => small(i, 19, 10_000),
                20 => small(i, 20, 1_000),
                _ => continue,
            };
            b.put(IF_ENTRY, &[column, i], value);
        }
    }
    for column in 1..=19u32 {
        for i in 1..=interfaces {
            let value = match column {
                1 => text(if_name(i)),
                2..=5 => low32(hc(i, column + 6)),
                6..=13 => SnmpValue::Counter64(hc(i, column)),
                14 => SnmpValue::Integer(1),
                15 => SnmpValue::Gauge32(speed_mbps(i)),
                16 => SnmpValue::Integer(2),
                17 => SnmpValue::Integer(1),
                18 => text(match h(&[i, 18]) % 4 {
                    0 => String::new(),
                    1 => format!("uplink to core-{}", h(&[i, 19]) % 4 + 1),
                    2 => format!("5G site SQ-{:05}", h(&[i, 20]) % 13_693),
                    _ => format!(
                        "cust-{:06x} [{}]",
                        h(&[i, 21]) % 0xff_ffff,
                        if up(i) { "active" } else { "reserved" }
                    ),
                }),
                19 => SnmpValue::TimeTicks(0),
                _ => continue,
            };
            b.put(IFX_ENTRY, &[column, i], value);
        }
    }
    // ipSystemStatsTable: columns 3..=47 for ipVersion 1 (IPv4) and 2 (IPv6). Even columns
    // among the counters are the HC twins of the preceding 32-bit column.
    const HC_COLUMNS: &[u32] = &[4, 6, 13, 19, 21, 24, 31, 33, 35, 37, 39, 41, 43, 45];
    for column in 3..=47u32 {
        for version in [1u32, 2] {
            let scale = u64::from(interfaces) << 30;
            let value = if column == 46 {
                SnmpValue::TimeTicks(0)
            } else if column == 47 {
                SnmpValue::Gauge32(30_000)
            } else if HC_COLUMNS.contains(&column) {
                SnmpValue::Counter64(h(&[version, column]) % scale)
            } else if HC_COLUMNS.contains(&(column + 1)) {
                SnmpValue::Counter32((h(&[version, column + 1]) % scale) as u32)
            } else {
                SnmpValue::Counter32((h(&[version, column]) % 100_000) as u32)
            };
            b.put(IP_SYSTEM_STATS_ENTRY, &[column, version], value);
        }
    }
    let mut out = b.0;
    out.sort_by(|a, b| a.oid.cmp(&b.oid));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_sorted_and_consistent() {
        let a = router("r", 48);
        assert_eq!(a, router("r", 48));
        assert!(a.windows(2).all(|w| w[0].oid < w[1].oid));
        let get = |oid: &str| {
            a.iter()
                .find(|v| v.oid.to_string() == oid)
                .map(|v| v.value.clone())
        };
        // ifInOctets is the low 32 bits of ifHCInOctets.
        let (Some(SnmpValue::Counter32(low)), Some(SnmpValue::Counter64(high))) = (
            get("1.3.6.1.2.1.2.2.1.10.5"),
            get("1.3.6.1.2.1.31.1.1.1.6.5"),
        ) else {
            panic!("counters of interface 5");
        };
        assert_eq!(u64::from(low), high & 0xffff_ffff);
        assert_eq!(
            get("1.3.6.1.2.1.31.1.1.1.1.48"),
            Some(text("GigabitEthernet0/0/47"))
        );
        assert_eq!(get("1.3.6.1.2.1.2.1.0"), Some(SnmpValue::Integer(48)));
        assert_eq!(
            get("1.3.6.1.2.1.4.31.1.1.47.2"),
            Some(SnmpValue::Gauge32(30_000))
        );
        let big = router("r", 480);
        let hs = big
            .iter()
            .find(|v| v.oid.to_string() == "1.3.6.1.2.1.31.1.1.1.15.12")
            .map(|v| v.value.clone());
        assert_eq!(hs, Some(SnmpValue::Gauge32(100_000)));
    }
}
