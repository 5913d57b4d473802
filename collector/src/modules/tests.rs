//! Varbinds in, exposition text out: the names and labels snmp_exporter would give.

use super::*;
use bytes::Bytes;

fn vb(oid: &str, value: SnmpValue) -> VarBind {
    VarBind {
        oid: oid.parse().unwrap(),
        value,
    }
}

fn text(s: &str) -> SnmpValue {
    SnmpValue::OctetString(Bytes::copy_from_slice(s.as_bytes()))
}

fn exposition(samples: &[Sample]) -> String {
    samples
        .iter()
        .map(|s| format!("{}{} {}\n", s.name, s.labels, s.value))
        .collect()
}

fn convert(module: &str, varbinds: &[VarBind]) -> String {
    let module = builtin(module).unwrap();
    exposition(&to_samples(
        module,
        varbinds,
        &Labels::new(),
        SystemTime::UNIX_EPOCH,
        None,
    ))
}

#[test]
fn if_mib_rows_carry_index_and_lookups() {
    let varbinds = [
        vb("1.3.6.1.2.1.1.3.0", SnmpValue::TimeTicks(123_456)),
        vb("1.3.6.1.2.1.2.1.0", SnmpValue::Integer(2)),
        vb("1.3.6.1.2.1.2.2.1.1.2", SnmpValue::Integer(2)),
        vb("1.3.6.1.2.1.2.2.1.2.2", text("GigabitEthernet0/1")),
        vb("1.3.6.1.2.1.2.2.1.3.2", SnmpValue::Integer(6)),
        vb("1.3.6.1.2.1.2.2.1.3.3", SnmpValue::Integer(9999)),
        vb(
            "1.3.6.1.2.1.2.2.1.6.2",
            SnmpValue::OctetString(Bytes::from_static(&[0, 0x1b, 0x21, 0xa, 0xb, 0xc])),
        ),
        vb("1.3.6.1.2.1.2.2.1.8.2", SnmpValue::Integer(1)),
        vb(
            "1.3.6.1.2.1.2.2.1.10.2",
            SnmpValue::Counter32(4_000_000_000),
        ),
        vb("1.3.6.1.2.1.31.1.1.1.1.2", text("Gi0/1")),
        vb(
            "1.3.6.1.2.1.31.1.1.1.6.2",
            SnmpValue::Counter64(18_000_000_000_000),
        ),
        vb("1.3.6.1.2.1.31.1.1.1.15.2", SnmpValue::Gauge32(1000)),
        vb(
            "1.3.6.1.2.1.31.1.1.1.18.2",
            text("uplink to 市桥街 \"core\""),
        ),
        vb("1.3.6.1.2.1.31.1.1.1.6.3", SnmpValue::NoSuchInstance),
        vb("1.3.6.1.2.1.2.2.1.99.2", SnmpValue::Integer(5)),
    ];
    let l = r#"ifAlias="uplink to 市桥街 \"core\"",ifDescr="GigabitEthernet0/1",ifIndex="2",ifName="Gi0/1""#;
    assert_eq!(
        convert("if_mib", &varbinds),
        format!(
            "sysUpTime{{}} 123456\n\
             ifNumber{{}} 2\n\
             ifIndex{{{l}}} 2\n\
             ifType_info{{{l},ifType=\"ethernetCsmacd\"}} 1\n\
             ifType_info{{ifIndex=\"3\",ifType=\"9999\"}} 1\n\
             ifPhysAddress{{{l},ifPhysAddress=\"00:1B:21:0A:0B:0C\"}} 1\n\
             ifOperStatus{{{l}}} 1\n\
             ifInOctets{{{l}}} 4000000000\n\
             ifHCInOctets{{{l}}} 18000000000000\n\
             ifHighSpeed{{{l}}} 1000\n"
        )
    );
}

#[test]
fn counters_and_gauges_have_the_right_kind() {
    let module = builtin("if_mib").unwrap();
    let samples = to_samples(
        module,
        &[
            vb("1.3.6.1.2.1.31.1.1.1.6.1", SnmpValue::Counter64(5)),
            vb("1.3.6.1.2.1.2.2.1.8.1", SnmpValue::Integer(2)),
        ],
        &Labels::new().with("target", "r1"),
        SystemTime::UNIX_EPOCH,
        None,
    );
    assert_eq!(samples[0].kind, MetricKind::Counter);
    assert_eq!(samples[1].kind, MetricKind::Gauge);
    assert_eq!(samples[1].labels.get("target"), Some("r1"));
}

#[test]
fn system_module_exports_text_as_labels() {
    let varbinds = [
        vb("1.3.6.1.2.1.1.1.0", text("Linux edge-1")),
        vb(
            "1.3.6.1.2.1.1.2.0",
            SnmpValue::ObjectId("1.3.6.1.4.1.8072.3.2.10".parse().unwrap()),
        ),
        vb("1.3.6.1.2.1.1.3.0", SnmpValue::TimeTicks(42)),
        vb("1.3.6.1.2.1.1.5.0", text("edge-1")),
        vb(
            "1.3.6.1.2.1.1.9.1.2.1",
            SnmpValue::ObjectId("1.3.6.1.6.3.1".parse().unwrap()),
        ),
        // A scalar without `.0` is not the scalar.
        vb("1.3.6.1.2.1.1.5.1", text("nope")),
    ];
    assert_eq!(
        convert("system", &varbinds),
        "sysDescr{sysDescr=\"Linux edge-1\"} 1\n\
         sysObjectID{sysObjectID=\"1.3.6.1.4.1.8072.3.2.10\"} 1\n\
         sysUpTime{} 42\n\
         sysName{sysName=\"edge-1\"} 1\n\
         sysORID{sysORID=\"1.3.6.1.6.3.1\",sysORIndex=\"1\"} 1\n"
    );
}

#[test]
fn ip_mib_splits_by_ip_version() {
    let varbinds = [
        vb("1.3.6.1.2.1.4.31.1.1.6.1", SnmpValue::Counter64(1000)),
        vb("1.3.6.1.2.1.4.31.1.1.6.2", SnmpValue::Counter64(250)),
    ];
    assert_eq!(
        convert("ip_mib", &varbinds),
        "ipSystemStatsHCInOctets{ipSystemStatsIPVersion=\"1\"} 1000\n\
         ipSystemStatsHCInOctets{ipSystemStatsIPVersion=\"2\"} 250\n"
    );
}

#[test]
fn host_resources_storage_has_descr_lookup() {
    let varbinds = [
        vb("1.3.6.1.2.1.25.2.2.0", SnmpValue::Integer(16_384_000)),
        vb("1.3.6.1.2.1.25.2.3.1.3.31", text("/")),
        vb("1.3.6.1.2.1.25.2.3.1.4.31", SnmpValue::Integer(4096)),
        vb("1.3.6.1.2.1.25.2.3.1.6.31", SnmpValue::Integer(1234)),
        vb("1.3.6.1.2.1.25.3.3.1.2.196608", SnmpValue::Integer(7)),
    ];
    assert_eq!(
        convert("host_resources", &varbinds),
        "hrMemorySize{} 16384000\n\
         hrStorageAllocationUnits{hrStorageDescr=\"/\",hrStorageIndex=\"31\"} 4096\n\
         hrStorageUsed{hrStorageDescr=\"/\",hrStorageIndex=\"31\"} 1234\n\
         hrProcessorLoad{hrDeviceIndex=\"196608\"} 7\n"
    );
}

#[test]
fn every_builtin_module_is_consistent() {
    for m in BUILTIN {
        let mut names = std::collections::HashSet::new();
        for def in m.metrics {
            assert!(
                names.insert(def.name),
                "{}: duplicate metric {}",
                m.name,
                def.name
            );
            let covered = m.walk.iter().any(|w| def.oid.starts_with(w))
                || m.get.iter().any(|g| g.starts_with(def.oid));
            assert!(
                covered,
                "{}: {} is neither walked nor fetched",
                m.name, def.name
            );
        }
    }
    assert_eq!(
        builtin_names(),
        ["system", "if_mib", "host_resources", "ip_mib"]
    );
}

#[test]
fn tracked_counters_are_extended_across_a_wrap() {
    let module = builtin("if_mib").unwrap();
    let mut tracker = CounterTracker::new();
    let poll = |raw: u32, tracker: &mut CounterTracker| {
        to_samples(
            module,
            &[vb("1.3.6.1.2.1.2.2.1.10.7", SnmpValue::Counter32(raw))],
            &Labels::new(),
            SystemTime::UNIX_EPOCH,
            Some(tracker),
        )[0]
        .value
    };
    tracker.observe_uptime(100);
    assert_eq!(poll(4_294_967_000, &mut tracker), 4_294_967_000.0);
    tracker.observe_uptime(200);
    assert_eq!(poll(704, &mut tracker), 4_294_968_000.0);
}

/// RFC 4293: the 64-bit output columns are 31 (HCOutTransmits) and 33 (HCOutOctets); 30 and
/// 32 are their 32-bit twins. A wrong column silently halves the IPv6 share on busy links.
#[test]
fn ip_mib_output_columns_follow_rfc_4293() {
    let m = builtin("ip_mib").unwrap();
    let col = |name: &str| *m.metric(name).unwrap().oid.last().unwrap();
    assert_eq!(col("ipSystemStatsOutTransmits"), 30);
    assert_eq!(col("ipSystemStatsHCOutTransmits"), 31);
    assert_eq!(col("ipSystemStatsOutOctets"), 32);
    assert_eq!(col("ipSystemStatsHCOutOctets"), 33);
    assert_eq!(col("ipSystemStatsHCInOctets"), 6);
}
