//! Wiring of the daemon: SNMP engine, poll jobs under the scheduler, sinks, HTTP server.
//! Every service stops on one cancellation token (Ctrl-C or SIGTERM).

use crate::config::Config;
use anyhow::Context;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use netops_collector::exporter::SnmpExporter;
use netops_collector::job::PollJob;
use netops_collector::sink::influx::InfluxSink;
use netops_collector::sink::prometheus::{PrometheusConfig, PrometheusSink, SourceKey};
use netops_collector::snmp::{RequestOptions, SnmpEngine};
use netops_collector::traps::TrapListener;
use netops_core::scheduler::{self, Job, SchedulerStats};
use netops_core::{Labels, Sample, Sink};
use netops_probes::IcmpProber;
use netops_probes::blackbox::{BlackboxModule, blackbox_probe, blackbox_samples};
use netops_probes::job::ProbeJob;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, SystemTime};
use tokio_util::sync::CancellationToken;

struct AppState {
    prometheus: Arc<PrometheusSink>,
    blackbox_modules: std::collections::BTreeMap<String, BlackboxModule>,
    icmp: Arc<IcmpProber>,
    probe_targets: usize,
    influx: Option<InfluxSink>,
    exporter: SnmpExporter,
    scheduler: Arc<SchedulerStats>,
    targets: usize,
}

const TEXT_FORMAT: &str = "text/plain; version=0.0.4; charset=utf-8";

pub async fn serve(config: Config) -> anyhow::Result<()> {
    let cancel = CancellationToken::new();
    spawn_signal_handler(cancel.clone());

    let engine = SnmpEngine::new()
        .await
        .context("starting the SNMP engine")?;
    let prometheus =
        Arc::new(PrometheusSink::new(config.prometheus.clone()).context("Prometheus sink")?);
    for module in netops_collector::modules::BUILTIN {
        for metric in module.metrics {
            prometheus.set_help(metric.name, metric.help);
        }
    }
    let mut influx = None;
    let mut influx_task = None;
    if let Some(cfg) = config.influxdb.clone() {
        let (sink, task) =
            InfluxSink::spawn(cfg, cancel.child_token()).context("starting the InfluxDB writer")?;
        influx = Some(sink);
        influx_task = Some(task);
    }
    // Each producer gets its own Prometheus handle, so an SNMP poll and a probe of the same
    // target (same `target` label) keep separate sources instead of replacing each other.
    let sinks_for = |producer: &str| -> Arc<[Arc<dyn Sink>]> {
        let mut sinks: Vec<Arc<dyn Sink>> =
            vec![Arc::new(prometheus.producer(producer.to_string()))];
        if let Some(influx) = &influx {
            sinks.push(Arc::new(influx.clone()));
        }
        sinks.into()
    };

    let targets = config.targets.len();
    let snmp_sinks = sinks_for("snmp");
    let mut jobs: Vec<Arc<dyn Job>> = config
        .targets
        .into_iter()
        .map(|t| Arc::new(PollJob::new(t, engine.clone(), snmp_sinks.clone())) as Arc<dyn Job>)
        .collect();
    let icmp = Arc::new(IcmpProber::new());
    let probe_targets = config.probe_targets.len();
    let probe_sinks = sinks_for("probe");
    jobs.extend(
        config
            .probe_targets
            .into_iter()
            .map(|p| Arc::new(ProbeJob::new(p, icmp.clone(), probe_sinks.clone())) as Arc<dyn Job>),
    );
    let mut trap_task = None;
    if let Some((listen, communities)) = config.traps {
        if communities.is_empty() {
            tracing::warn!("traps: no communities configured; accepting any community");
        }
        let listener = TrapListener::bind(listen, communities, sinks_for("traps"))
            .await
            .with_context(|| format!("cannot listen for traps on {listen}"))?;
        eprintln!(
            "netops serve: listening for SNMP traps on udp {}",
            listener.local_addr()?
        );
        trap_task = Some(tokio::spawn(listener.run(cancel.clone())));
    }
    let stats = Arc::new(SchedulerStats::default());
    let scheduler_task = tokio::spawn(scheduler::run(
        jobs,
        config.snmp.concurrency,
        cancel.clone(),
        stats.clone(),
    ));

    let options = RequestOptions {
        timeout: Duration::from_secs_f64(config.snmp.timeout_seconds),
        retries: config.snmp.retries,
        max_repetitions: config.snmp.max_repetitions,
    };
    let state = Arc::new(AppState {
        prometheus,
        blackbox_modules: config.blackbox_modules,
        icmp,
        probe_targets,
        influx,
        exporter: SnmpExporter::new(engine, config.auths, options),
        scheduler: stats,
        targets,
    });
    let app = axum::Router::new()
        .route("/", get(index))
        .route("/metrics", get(metrics))
        .route("/snmp", get(snmp))
        .route("/probe", get(probe))
        .route("/-/healthy", get(|| async { "OK\n" }))
        .with_state(state);
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let addr = listener.local_addr()?;
    eprintln!(
        "netops serve: {targets} target(s); listening on http://{addr}/ (metrics at /metrics, on-demand /snmp)"
    );
    axum::serve(listener, app)
        .with_graceful_shutdown(cancel.clone().cancelled_owned())
        .await
        .context("HTTP server")?;
    cancel.cancel();
    let _ = scheduler_task.await;
    if let Some(task) = trap_task {
        let _ = task.await;
    }
    if let Some(task) = influx_task {
        let _ = task.await;
    }
    Ok(())
}

fn spawn_signal_handler(cancel: CancellationToken) {
    tokio::spawn(async move {
        #[cfg(unix)]
        {
            let mut term =
                match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                    Ok(s) => s,
                    Err(_) => {
                        let _ = tokio::signal::ctrl_c().await;
                        cancel.cancel();
                        return;
                    }
                };
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
        eprintln!("netops serve: stopping");
        cancel.cancel();
    });
}

async fn index(State(state): State<Arc<AppState>>) -> Html<String> {
    Html(format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>netops</title></head><body>\
         <h1>netops</h1><p>{} SNMP target(s) polled.</p><ul>\
         <li><a href=\"/metrics\">/metrics</a>: every series polled, Prometheus text format</li>\
         <li><a href=\"/snmp?target=127.0.0.1&amp;module=if_mib\">/snmp?target=HOST&amp;module=if_mib[&amp;auth=NAME]</a>: on-demand poll, snmp_exporter-compatible</li>\
         <li><a href=\"/probe?target=127.0.0.1&amp;module=icmp\">/probe?target=HOST&amp;module=icmp</a>: on-demand probe, blackbox_exporter-compatible (modules: {})</li>\
         <li><a href=\"/-/healthy\">/-/healthy</a></li></ul><p>{} probe target(s) scheduled.</p></body></html>",
        state.targets,
        state
            .blackbox_modules
            .keys()
            .cloned()
            .collect::<Vec<_>>()
            .join(", "),
        state.probe_targets
    ))
}

async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    let time = SystemTime::now();
    let mut own = vec![
        Sample::counter(
            "netops_scheduler_runs_total",
            Labels::new(),
            state.scheduler.runs.load(Ordering::Relaxed) as f64,
            time,
        ),
        Sample::counter(
            "netops_scheduler_overruns_total",
            Labels::new(),
            state.scheduler.skipped.load(Ordering::Relaxed) as f64,
            time,
        ),
        Sample::gauge("netops_targets", Labels::new(), state.targets as f64, time),
    ];
    if let Some(influx) = &state.influx {
        own.extend(influx.self_samples(time));
    }
    state
        .prometheus
        .replace(SourceKey::new(["netops"]), own.into());
    let mut body = String::new();
    state.prometheus.encode(&mut body);
    ([(header::CONTENT_TYPE, TEXT_FORMAT)], body).into_response()
}

async fn snmp(
    State(state): State<Arc<AppState>>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let result = state
        .exporter
        .scrape(
            params.get("target").map(String::as_str),
            params.get("module").map(String::as_str),
            params.get("auth").map(String::as_str),
        )
        .await;
    match result {
        Ok(samples) => (
            [(header::CONTENT_TYPE, TEXT_FORMAT)],
            encode_samples(samples),
        )
            .into_response(),
        Err(e) => (StatusCode::BAD_REQUEST, format!("{e}\n")).into_response(),
    }
}

/// Text exposition of one on-demand scrape, with the same encoder as `/metrics`.
fn encode_samples(samples: Vec<Sample>) -> String {
    let mut out = String::new();
    match PrometheusSink::new(PrometheusConfig::default()) {
        Ok(sink) => {
            sink.replace(SourceKey::new(["snmp"]), samples.into());
            sink.encode(&mut out);
        }
        Err(e) => tracing::error!(error = %e, "Prometheus encoder"),
    }
    out
}

async fn probe(
    State(state): State<Arc<AppState>>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let Some(target) = params.get("target").filter(|t| !t.is_empty()) else {
        return (StatusCode::BAD_REQUEST, "Target parameter is missing\n").into_response();
    };
    let name = params.get("module").map_or("icmp", String::as_str);
    let Some(module) = state.blackbox_modules.get(name) else {
        return (
            StatusCode::BAD_REQUEST,
            format!("Unknown module \"{name}\"\n"),
        )
            .into_response();
    };
    let result = blackbox_probe(module, target, &state.icmp).await;
    let samples = blackbox_samples(&result, SystemTime::now());
    (
        [(header::CONTENT_TYPE, TEXT_FORMAT)],
        encode_samples(samples),
    )
        .into_response()
}
