//! Encoding cost of the two sinks for one million series: 1,000 targets × 1,000 samples
//! (10 IF-MIB-like metrics × 100 interfaces, six labels each).
//!
//! `cargo bench -p netops-collector --bench sink_encode`

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use netops_collector::sink::influx::encoder::encode_samples;
use netops_collector::sink::prometheus::{OpenMetricsCollector, PrometheusSink};
use netops_core::{Labels, Sample, Sink};
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

const TARGETS: usize = 1_000;
const INTERFACES: usize = 100;
const METRICS: [(&str, bool); 10] = [
    ("ifHCInOctets", true),
    ("ifHCOutOctets", true),
    ("ifHCInUcastPkts", true),
    ("ifHCOutUcastPkts", true),
    ("ifInErrors", true),
    ("ifOutErrors", true),
    ("ifInDiscards", true),
    ("ifOutDiscards", true),
    ("ifOperStatus", false),
    ("ifHighSpeed", false),
];

fn polls() -> Vec<Arc<[Sample]>> {
    let time = SystemTime::now();
    (0..TARGETS)
        .map(|t| {
            let target = format!("10.{}.{}.1", t / 256, t % 256);
            let mut batch = Vec::with_capacity(INTERFACES * METRICS.len());
            for i in 1..=INTERFACES {
                let labels = Labels::new()
                    .with("job", "snmp")
                    .with("target", target.as_str())
                    .with("ifIndex", i.to_string())
                    .with("ifName", format!("ge-0/0/{i}"))
                    .with("ifDescr", format!("GigabitEthernet0/0/{i}"))
                    .with("ifAlias", format!("to access switch {i}, rack {}", i % 7));
                for (m, (name, counter)) in METRICS.iter().enumerate() {
                    let value = (t * 1_000_003 + i * 7919 + m) as f64 * 1.5;
                    batch.push(if *counter {
                        Sample::counter(*name, labels.clone(), value.floor(), time)
                    } else {
                        Sample::gauge(*name, labels.clone(), value, time)
                    });
                }
            }
            batch.into()
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let polls = polls();
    let series = (TARGETS * INTERFACES * METRICS.len()) as u64;

    let mut group = c.benchmark_group("encode_1M_series");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    group.throughput(Throughput::Elements(series));

    let mut lines = Vec::new();
    group.bench_function("influx_line_protocol", |b| {
        b.iter(|| {
            lines.clear();
            for poll in &polls {
                black_box(encode_samples(&mut lines, poll));
            }
            black_box(lines.len())
        })
    });
    eprintln!("line protocol: {} bytes", lines.len());

    let sink = Arc::new(PrometheusSink::default());
    for poll in &polls {
        sink.accept(poll.clone());
    }
    let mut text = String::new();
    group.bench_function("prometheus_text_0.0.4", |b| {
        b.iter(|| {
            text.clear();
            sink.encode(&mut text);
            black_box(text.len())
        })
    });
    eprintln!("prometheus text: {} bytes", text.len());

    let mut registry = prometheus_client::registry::Registry::default();
    registry.register_collector(Box::new(OpenMetricsCollector(sink.clone())));
    group.bench_function("openmetrics_via_prometheus_client", |b| {
        b.iter(|| {
            text.clear();
            prometheus_client::encoding::text::encode(&mut text, &registry)
                .expect("encode to String");
            black_box(text.len())
        })
    });

    // The 1M figure above reads 1M samples from cold memory (about 700 MB of heap); the
    // writer task normally encodes a poll right after it was produced, while it is warm.
    let one_poll = polls[0].clone();
    group.throughput(Throughput::Elements(one_poll.len() as u64));
    group.bench_function("influx_line_protocol_one_warm_poll", |b| {
        b.iter(|| {
            lines.clear();
            black_box(encode_samples(&mut lines, &one_poll));
            black_box(lines.len())
        })
    });

    // What a producer pays per poll: validating, ordering and rendering 1,000 samples,
    // outside the lock.
    group.bench_function("prometheus_accept_one_poll", |b| {
        b.iter(|| sink.accept(black_box(one_poll.clone())))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
