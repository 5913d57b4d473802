//! CPU per varbind on the SNMP hot path:
//! - `decode_getbulk_response`: bytes of a 25-varbind GETBULK response (ifTable counters)
//!   to our typed varbinds;
//! - `if_mib_to_samples`: one 48-interface if_mib poll's varbinds to samples (raw, as
//!   `/snmp` does; and with the counter tracker, as the daemon's polls do);
//! - `prometheus_sink`: what the daemon then does with that poll's samples: the sink's
//!   `accept` (validate, order, store), and rendering the stored series as /metrics text
//!   (one target, and 100 targets as one scrape); per sample;
//! - `walk_against_snmpd`: a whole walk of `interfaces` + `ifXTable` against net-snmp's
//!   snmpd on loopback, measured in *process CPU time* (the agent's time is not ours).
//!
//! Run: `cargo bench -p netops-collector --bench snmp_decode`

use bytes::Bytes;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use netops_collector::counters::CounterTracker;
use netops_collector::modules::{builtin, to_samples};
use netops_collector::sink::prometheus::PrometheusSink;
use netops_collector::snmp::codec::{decode_message, encode_response};
use netops_collector::snmp::{
    AgentAddress, Credentials, Oid, RequestOptions, SnmpEngine, SnmpValue, VarBind, Version, walk,
};
use netops_core::{Labels, Sample, Sink};
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

fn vb(oid: &str, value: SnmpValue) -> VarBind {
    VarBind {
        oid: oid.parse().unwrap(),
        value,
    }
}

fn getbulk_response(n: u32) -> Bytes {
    let varbinds: Vec<VarBind> = (1..=n)
        .map(|i| {
            vb(
                &format!("1.3.6.1.2.1.31.1.1.1.6.{i}"),
                SnmpValue::Counter64(1_234_567_890_123 + u64::from(i)),
            )
        })
        .collect();
    encode_response(Version::V2c, b"public", 12345, 0, 0, &varbinds).unwrap()
}

/// What a 48-port switch answers to if_mib (ifTable + ifXTable, 41 columns x 48 rows).
fn if_mib_poll(interfaces: u32) -> Vec<VarBind> {
    let mut out = vec![vb("1.3.6.1.2.1.1.3.0", SnmpValue::TimeTicks(123_456))];
    for col in 1..=22u32 {
        for i in 1..=interfaces {
            let value = match col {
                2 => SnmpValue::OctetString(Bytes::from(format!("GigabitEthernet0/{i}"))),
                6 => SnmpValue::OctetString(Bytes::from_static(&[0, 0x1b, 0x21, 1, 2, 3])),
                10..=20 => SnmpValue::Counter32(i * 1000 + col),
                22 => SnmpValue::ObjectId("0.0".parse().unwrap()),
                _ => SnmpValue::Integer(i64::from(col)),
            };
            out.push(vb(&format!("1.3.6.1.2.1.2.2.1.{col}.{i}"), value));
        }
    }
    for col in [
        1u32, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19,
    ] {
        for i in 1..=interfaces {
            let value = match col {
                1 => SnmpValue::OctetString(Bytes::from(format!("Gi0/{i}"))),
                18 => SnmpValue::OctetString(Bytes::from(format!("uplink {i}"))),
                6..=13 => SnmpValue::Counter64(u64::from(i) * 1_000_000 + u64::from(col)),
                2..=5 => SnmpValue::Counter32(i + col),
                _ => SnmpValue::Integer(1),
            };
            out.push(vb(&format!("1.3.6.1.2.1.31.1.1.1.{col}.{i}"), value));
        }
    }
    out
}

fn decode(c: &mut Criterion) {
    let mut group = c.benchmark_group("decode_getbulk_response");
    for n in [10u32, 25, 50] {
        let bytes = getbulk_response(n);
        group.throughput(Throughput::Elements(u64::from(n)));
        group.bench_with_input(BenchmarkId::from_parameter(n), &bytes, |b, bytes| {
            b.iter(|| decode_message(black_box(bytes)).unwrap())
        });
    }
    group.finish();
}

fn convert(c: &mut Criterion) {
    let module = builtin("if_mib").unwrap();
    let varbinds = if_mib_poll(48);
    let base = Labels::new().with("target", "switch-1");
    let mut group = c.benchmark_group("if_mib_to_samples");
    group.throughput(Throughput::Elements(varbinds.len() as u64));
    group.bench_function("48_interfaces", |b| {
        b.iter(|| {
            to_samples(
                module,
                black_box(&varbinds),
                &base,
                SystemTime::UNIX_EPOCH,
                None,
            )
        })
    });
    // The daemon's path: counters go through the target's tracker (warm: second poll on).
    let mut tracker = CounterTracker::new();
    to_samples(
        module,
        &varbinds,
        &base,
        SystemTime::UNIX_EPOCH,
        Some(&mut tracker),
    );
    group.bench_function("48_interfaces_tracked", |b| {
        b.iter(|| {
            to_samples(
                module,
                black_box(&varbinds),
                &base,
                SystemTime::UNIX_EPOCH,
                Some(&mut tracker),
            )
        })
    });
    group.finish();
}

fn prometheus_sink(c: &mut Criterion) {
    let module = builtin("if_mib").unwrap();
    let varbinds = if_mib_poll(48);
    let poll = |target: &str| -> Arc<[Sample]> {
        let base = Labels::new().with("target", target);
        to_samples(module, &varbinds, &base, SystemTime::UNIX_EPOCH, None).into()
    };
    let one = poll("switch-1");
    let mut group = c.benchmark_group("prometheus_sink");
    group.throughput(Throughput::Elements(one.len() as u64));
    let sink = Arc::new(PrometheusSink::default());
    let producer = sink.producer("snmp");
    group.bench_function("accept_48_port_poll", |b| {
        b.iter(|| producer.accept(black_box(one.clone())))
    });
    let mut text = String::new();
    group.bench_function("render_1_target", |b| {
        b.iter(|| {
            text.clear();
            sink.encode(&mut text);
            black_box(text.len())
        })
    });
    for t in 2..=100 {
        producer.accept(poll(&format!("switch-{t}")));
    }
    group.throughput(Throughput::Elements(100 * one.len() as u64));
    group.bench_function("render_100_targets", |b| {
        b.iter(|| {
            text.clear();
            sink.encode(&mut text);
            black_box(text.len())
        })
    });
    group.finish();
}

fn walk_snmpd(c: &mut Criterion) {
    let snmpd = netops_test_support::snmpd::Snmpd::start();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let roots: Vec<Oid> = ["1.3.6.1.2.1.2", "1.3.6.1.2.1.31.1.1"]
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
    let session = runtime.block_on(async {
        let engine = SnmpEngine::new().await.unwrap();
        engine
            .session(
                &AgentAddress::parse(&snmpd.v4()).unwrap(),
                &Credentials::v2c("public"),
                RequestOptions {
                    timeout: Duration::from_secs(2),
                    retries: 1,
                    max_repetitions: 25,
                },
            )
            .await
            .unwrap()
    });
    let per_walk = runtime.block_on(async {
        let mut n = 0;
        for r in &roots {
            n += walk(&session, r, 25).await.unwrap().len();
        }
        n
    });
    let mut group = c.benchmark_group("walk_against_snmpd");
    group.throughput(Throughput::Elements(per_walk as u64));
    group.sample_size(20);
    group.bench_function(
        format!("interfaces+ifXTable_{per_walk}_varbinds_cpu"),
        |b| {
            b.iter_custom(|iters| {
                let start = cpu_time::ProcessTime::now();
                runtime.block_on(async {
                    for _ in 0..iters {
                        for r in &roots {
                            black_box(walk(&session, r, 25).await.unwrap());
                        }
                    }
                });
                start.elapsed()
            })
        },
    );
    group.finish();
    drop(snmpd);
}

criterion_group!(benches, decode, convert, prometheus_sink, walk_snmpd);
criterion_main!(benches);
