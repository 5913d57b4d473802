//! Load figures for the evaluator: `cargo bench -p netops-alerting --bench evaluate`.
//! Fills the sample window with one hour of 30-second polls of many interfaces, then
//! times (a) `accept` per batch (the polling path), (b) moving the queue into the window,
//! and (c) one evaluation of every shipped rule. Prints numbers; asserts nothing timed.

use netops_alerting::time::from_millis;
use netops_alerting::{Evaluator, RuleSet, SampleStore};
use netops_core::{Labels, Sample, Sink};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn main() {
    let interfaces: usize = std::env::var("NETOPS_BENCH_INTERFACES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let steps = 120; // one hour at 30 s
    let t0: i64 = 1_800_000_000_000;
    let store = Arc::new(SampleStore::new(Duration::from_secs(3900)));
    let names = [
        "ifHCInOctets",
        "ifHCOutOctets",
        "ifInErrors",
        "ifOutErrors",
        "ifInDiscards",
        "ifOutDiscards",
        "ifOperStatus",
        "ifAdminStatus",
        "ifHighSpeed",
    ];
    let labels: Vec<Labels> = (0..interfaces)
        .map(|i| {
            Labels::new()
                .with("target", format!("r{}", i / 48))
                .with("ifIndex", (i % 48).to_string())
                .with("ifName", format!("ge-0/0/{}", i % 48))
                .with("ifAlias", if i % 48 == 0 { "uplink" } else { "access" })
        })
        .collect();
    let mut accept_time = Duration::ZERO;
    let mut batches = 0u32;
    let mut samples = 0usize;
    for step in 0..steps {
        let ms = t0 + step * 30_000;
        // One batch per target, as one SNMP poll would produce.
        for chunk in labels.chunks(48) {
            let mut batch = Vec::with_capacity(chunk.len() * names.len());
            for l in chunk {
                for (k, n) in names.iter().enumerate() {
                    let v = match *n {
                        "ifOperStatus" | "ifAdminStatus" => 1.0,
                        "ifHighSpeed" => 1000.0,
                        _ => (step as f64) * 1000.0 * (k + 1) as f64,
                    };
                    batch.push(Sample::counter(*n, l.clone(), v, from_millis(ms)));
                }
            }
            samples += batch.len();
            let batch: Arc<[Sample]> = batch.into();
            let start = Instant::now();
            store.accept(batch);
            accept_time += start.elapsed();
            batches += 1;
        }
    }
    let now = from_millis(t0 + (steps - 1) * 30_000);
    let start = Instant::now();
    let series = store
        .window(netops_alerting::time::to_millis(now))
        .series_count();
    let ingest = start.elapsed();
    let rules = RuleSet::load(&[Path::new(env!("CARGO_MANIFEST_DIR")).join("rules")]).unwrap();
    let ev = Evaluator::new(store.clone());
    let start = Instant::now();
    let mut results = 0;
    for g in &rules.groups {
        for r in &g.rules {
            results += ev.eval_vector(&r.expr, now).map(|v| v.len()).unwrap_or(0);
        }
    }
    let eval = start.elapsed();
    println!("interfaces: {interfaces}, series: {series}, samples: {samples}");
    println!(
        "accept: {:.2} µs per batch of {} samples ({batches} batches)",
        accept_time.as_secs_f64() * 1e6 / f64::from(batches),
        48 * names.len()
    );
    println!(
        "queue → window: {:.0} ms for {samples} samples",
        ingest.as_secs_f64() * 1e3
    );
    println!(
        "all {} shipped rules evaluated once: {:.1} ms ({results} result elements)",
        rules.rule_count(),
        eval.as_secs_f64() * 1e3
    );
}
