//! The InfluxDB writer against a real VictoriaMetrics (Debian `victoria-metrics`) on
//! loopback: points arrive with the right values and labels (escaping included), and when
//! the server is stopped mid-run and started again on the same data directory and port,
//! every line written meanwhile arrives exactly once.

use netops_collector::sink::influx::{InfluxConfig, InfluxSink};
use netops_core::{Labels, Sample, Sink};
use netops_test_support::{ChildGuard, free_tcp_port, http_get, require_binary, wait_for_tcp};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio_util::sync::CancellationToken;

const VM: &str = "/usr/bin/victoria-metrics";
/// How long any one wait may take before the test fails (a fail-safe, not a performance
/// assertion).
const PATIENCE: Duration = Duration::from_secs(60);

fn start_vm(data: &Path, addr: SocketAddr) -> ChildGuard {
    let mut vm = ChildGuard::spawn(
        "victoria-metrics",
        Command::new(VM)
            .arg(format!("-storageDataPath={}", data.display()))
            .arg(format!("-httpListenAddr={addr}"))
            .arg("-loggerLevel=ERROR")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit()),
    );
    wait_for_tcp(addr, PATIENCE);
    vm.assert_running();
    vm
}

/// Stops VictoriaMetrics with SIGTERM, as an operator or systemd would; it flushes what it
/// acknowledged before exiting (SIGKILL could lose acknowledged samples inside
/// VictoriaMetrics itself, which is not what this test is about).
fn stop_vm(mut vm: ChildGuard) {
    let status = Command::new("kill")
        .arg("-TERM")
        .arg(vm.pid().to_string())
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -TERM {} failed", vm.pid());
    vm.child.wait().expect("wait for victoria-metrics to exit");
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Series name with its labels (without `__name__`) → (timestamp ms, value) as exported.
type Exported = BTreeMap<(String, BTreeMap<String, String>), Vec<(i64, f64)>>;

fn export(addr: SocketAddr, selector: &str) -> Exported {
    let (status, _) = http_get(addr, "/internal/force_flush").expect("force_flush");
    assert_eq!(status, 200, "force_flush");
    let (status, body) = http_get(
        addr,
        &format!("/api/v1/export?match[]={}", percent_encode(selector)),
    )
    .expect("export");
    assert_eq!(status, 200, "export: {body}");
    let mut out = Exported::new();
    for line in body.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line).expect("export line is JSON");
        let mut labels: BTreeMap<String, String> = v["metric"]
            .as_object()
            .expect("metric object")
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
            .collect();
        let name = labels.remove("__name__").expect("__name__");
        let timestamps = v["timestamps"].as_array().expect("timestamps");
        let values = v["values"].as_array().expect("values");
        assert_eq!(timestamps.len(), values.len());
        let points = out.entry((name, labels)).or_default();
        for (t, v) in timestamps.iter().zip(values) {
            points.push((t.as_i64().expect("ms"), v.as_f64().expect("value")));
        }
    }
    for points in out.values_mut() {
        points.sort_by_key(|p| p.0);
    }
    out
}

/// The labels of interface `i`, with every character line protocol must escape.
fn if_labels(i: u32) -> Labels {
    Labels::new()
        .with("ifIndex", i.to_string())
        .with("ifName", format!("ge-0/0/{i}"))
        .with(
            "ifAlias",
            format!("to core, rack=3 \"A\" C:\\dir\\ 大楼 #{i}"),
        )
        .with("odd key=,x", "v")
}

const INTERFACES: u32 = 3;

/// One poll at step `step`: two counters and a gauge per interface, time = base + step s.
fn poll(base_ms: i64, step: i64) -> Arc<[Sample]> {
    let time = UNIX_EPOCH + Duration::from_millis((base_ms + step * 1000) as u64);
    let mut batch = Vec::new();
    for i in 1..=INTERFACES {
        let f = f64::from(i);
        batch.push(Sample::counter(
            "ifHCInOctets",
            if_labels(i),
            step as f64 * 1000.0 + f,
            time,
        ));
        batch.push(Sample::counter(
            "ifHCOutOctets",
            if_labels(i),
            step as f64 * 2000.0 + f,
            time,
        ));
        batch.push(Sample::gauge("ifOperStatus", if_labels(i), 0.5 + f, time));
    }
    batch.into()
}

fn expected(base_ms: i64, steps: std::ops::Range<i64>) -> Exported {
    let mut out = Exported::new();
    for step in steps {
        for sample in poll(base_ms, step).iter() {
            let labels = sample
                .labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            out.entry((format!("{}_value", sample.name), labels))
                .or_default()
                .push((base_ms + step * 1000, sample.value));
        }
    }
    out
}

async fn wait_for(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !check() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {PATIENCE:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lines_arrive_and_survive_a_server_restart_exactly_once() {
    require_binary(VM);
    let data = tempfile::tempdir().unwrap();
    let spool = tempfile::tempdir().unwrap();
    let addr: SocketAddr = ([127, 0, 0, 1], free_tcp_port()).into();
    let vm = start_vm(data.path(), addr);

    let mut config =
        InfluxConfig::new(format!("http://{addr}"), "district", "netops", spool.path());
    config.token = Some(netops_core::Secret::new("not-checked-by-victoria-metrics"));
    config.flush_interval_seconds = 0.05;
    config.retry_interval_seconds = 0.1;
    config.retry_max_interval_seconds = 0.5;
    config.request_timeout_seconds = 5.0;
    let cancel = CancellationToken::new();
    let (sink, task) = InfluxSink::spawn(config, cancel.clone()).unwrap();

    // Whole seconds, ten minutes ago: recent enough for any retention, distinct per step.
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let base_ms = (now_ms / 1000 - 600) * 1000;
    let per_poll = u64::from(INTERFACES) * 3;
    let selector = r#"{__name__=~"ifHCInOctets_value|ifHCOutOctets_value|ifOperStatus_value"}"#;

    // Phase 1: server up.
    for step in 0..10 {
        sink.accept(poll(base_ms, step));
    }
    wait_for("phase 1 delivered", || {
        sink.stats().delivered == 10 * per_poll
    })
    .await;
    assert_eq!(export(addr, selector), expected(base_ms, 0..10));
    assert_eq!(sink.stats().spooled, 0);

    // Phase 2: server stopped; everything goes to the spool.
    stop_vm(vm);
    for step in 10..30 {
        sink.accept(poll(base_ms, step));
        // Several bodies rather than one, so replay order matters.
        if step % 5 == 4 {
            tokio::time::sleep(Duration::from_millis(120)).await;
        }
    }
    wait_for("phase 2 spooled", || sink.stats().spooled == 20 * per_poll).await;
    assert_eq!(sink.stats().delivered, 10 * per_poll);
    assert!(sink.spool_bytes() > 0);
    let spooled_files = std::fs::read_dir(spool.path()).unwrap().count();
    assert!(spooled_files >= 2, "{spooled_files} spool files");

    // Phase 3: server back on the same data and port; the spool replays, new polls follow.
    let vm = start_vm(data.path(), addr);
    for step in 30..35 {
        sink.accept(poll(base_ms, step));
    }
    wait_for("spool drained and all delivered", || {
        sink.stats().delivered == 35 * per_poll && sink.spool_bytes() == 0
    })
    .await;
    let stats = sink.stats();
    assert_eq!(stats.dropped, 0, "{stats:?}");
    assert_eq!(std::fs::read_dir(spool.path()).unwrap().count(), 0);
    // Exactly once: every series has each of the 35 timestamps once, with its value.
    assert_eq!(export(addr, selector), expected(base_ms, 0..35));

    let samples = sink.self_samples(SystemTime::now());
    let by_name: BTreeMap<_, _> = samples.iter().map(|s| (s.name.as_str(), s.value)).collect();
    assert_eq!(
        by_name["netops_influx_lines_sent_total"],
        (35 * per_poll) as f64
    );
    // Phase-3 polls that arrived while the spool still held phase-2 bodies queued behind
    // them (to keep order), so they count as spooled too.
    let spooled = by_name["netops_influx_lines_spooled_total"];
    assert!(
        ((20 * per_poll) as f64..=(25 * per_poll) as f64).contains(&spooled),
        "{spooled}"
    );
    assert_eq!(by_name["netops_influx_lines_dropped_total"], 0.0);
    assert_eq!(by_name["netops_influx_spool_bytes"], 0.0);

    cancel.cancel();
    task.await.unwrap();
    drop(vm);
}
