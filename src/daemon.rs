//! Wiring of the daemon: SNMP engine, poll jobs under the scheduler, sinks, HTTP server.
//! Every service stops on one cancellation token (Ctrl-C or SIGTERM).

use crate::config::Config;
use anyhow::Context;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use netops_alerting::api::DrillApiState;
use netops_alerting::drill::inject::InjectorConfig;
use netops_alerting::drill::metrics::drill_samples;
use netops_alerting::drill::store::DrillStore;
use netops_alerting::{
    AlertManager, AlertStore, AlertmanagerNotifier, DEFAULT_RETENTION, Evaluator, ManagerConfig,
    Notifier, RuleSet, SampleStore, WebhookNotifier,
};
use netops_collector::exporter::SnmpExporter;
use netops_collector::job::PollJob;
use netops_collector::sink::influx::InfluxSink;
use netops_collector::sink::prometheus::{PrometheusConfig, PrometheusSink, SourceKey};
use netops_collector::snmp::{RequestOptions, SnmpEngine};
use netops_collector::traps::TrapListener;
use netops_core::Secret;
use netops_core::scheduler::{self, Job, SchedulerStats};
use netops_core::{Labels, Sample, Sink};
use netops_inventory::api::ApiState as InventoryApiState;
use netops_inventory::store::{Store as InventoryStore, redact_url};
use netops_probes::IcmpProber;
use netops_probes::blackbox::{BlackboxModule, blackbox_probe, blackbox_samples};
use netops_probes::config::ProbePlan;
use netops_probes::job::ProbeJob;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, SystemTime};
use tokio_util::sync::CancellationToken;

/// The alerts of the last evaluation, for `/api/alerts`.
type CurrentAlerts = Arc<std::sync::RwLock<Vec<serde_json::Value>>>;

struct AppState {
    prometheus: Arc<PrometheusSink>,
    drills: Option<DrillStore>,
    alerts: Option<CurrentAlerts>,
    inventory: Option<InventoryStore>,
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
    // The alert rules are loaded before anything starts: a bad rule file refuses the start.
    let alert_samples = match &config.alerting {
        Some(a) => {
            let rules = RuleSet::load(&a.rules).context("loading alert rules")?;
            Some((rules, Arc::new(SampleStore::new(DEFAULT_RETENTION))))
        }
        None => None,
    };
    // Each producer gets its own Prometheus handle, so an SNMP poll and a probe of the same
    // target (same `target` label) keep separate sources instead of replacing each other.
    let sinks_for = |producer: &str| -> Arc<[Arc<dyn Sink>]> {
        let mut sinks: Vec<Arc<dyn Sink>> =
            vec![Arc::new(prometheus.producer(producer.to_string()))];
        if let Some(influx) = &influx {
            sinks.push(Arc::new(influx.clone()));
        }
        if let Some((_, store)) = &alert_samples {
            sinks.push(store.clone());
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
    let mut probe_plans = config.probe_targets;
    let inventory = match &config.inventory {
        Some(inv) => {
            let store = InventoryStore::open(&inv.db)
                .await
                .with_context(|| format!("opening the inventory {}", redact_url(&inv.db)))?;
            if inv.probe_sites {
                let sites = netops_inventory::metrics::probe_targets(&store)
                    .await
                    .context("reading the sites to probe")?;
                eprintln!(
                    "netops serve: probing {} on-air 5G site(s) with a management address",
                    sites.len()
                );
                probe_plans.extend(sites.iter().map(|s| {
                    ProbePlan::for_site(&config.probe_defaults, &s.site_id, &s.town, s.mgmt_ip)
                }));
            }
            Some((store, inv.api.clone()))
        }
        None => None,
    };
    let probe_targets = probe_plans.len();
    let probe_sinks = sinks_for("probe");
    jobs.extend(
        probe_plans
            .into_iter()
            .map(|p| Arc::new(ProbeJob::new(p, icmp.clone(), probe_sinks.clone())) as Arc<dyn Job>),
    );
    let mut trap_task = None;
    if let Some((listen, communities)) = config.traps.clone() {
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
    let mut alert_task = None;
    let mut drill_api = None;
    let mut current_alerts = None;
    if let (Some(a), Some((rules, store))) = (&config.alerting, alert_samples) {
        let mut notifiers: Vec<Box<dyn Notifier>> = Vec::new();
        if let Some(url) = &a.alertmanager_url {
            notifiers.push(Box::new(
                AlertmanagerNotifier::new(url).context("alerting.alertmanager_url")?,
            ));
        }
        if let Some(url) = &a.webhook_url {
            notifiers.push(Box::new(
                WebhookNotifier::new(url.expose()).context("alerting.webhook_url")?,
            ));
        }
        let manager_config = ManagerConfig {
            resend_delay: Duration::from_secs_f64(a.resend_delay_seconds),
            external_url: a
                .external_url
                .clone()
                .unwrap_or_else(|| format!("http://{}", config.listen)),
            ..ManagerConfig::default()
        };
        let alert_store = AlertStore::connect(&a.db)
            .await
            .with_context(|| format!("opening the alert store {}", redact_url(&a.db)))?;
        if let Some(d) = &config.drills {
            let drills = DrillStore::connect(&a.db)
                .await
                .with_context(|| format!("opening the drill store {}", redact_url(&a.db)))?;
            // Injected traps go to our own listener, on loopback if it listens on any address.
            let trap_addr = config.traps.as_ref().map(|(addr, _)| {
                let ip = match addr.ip() {
                    ip if ip.is_unspecified() && ip.is_ipv4() => {
                        std::net::IpAddr::from([127, 0, 0, 1])
                    }
                    ip if ip.is_unspecified() => {
                        std::net::IpAddr::from(std::net::Ipv6Addr::LOCALHOST)
                    }
                    ip => ip,
                };
                SocketAddr::new(ip, addr.port())
            });
            let community = config
                .traps
                .as_ref()
                .and_then(|(_, c)| c.first().cloned())
                .unwrap_or_else(|| "public".into());
            let injector = InjectorConfig {
                trap_addr,
                community: Secret::new(community),
                auth_failure_count: d.auth_failure_count,
                ..InjectorConfig::default()
            };
            drill_api = Some((
                DrillApiState::new(drills.clone(), alert_store.clone(), d.api.clone(), injector),
                drills,
            ));
        }
        let manager = AlertManager::new(
            rules,
            Evaluator::new(store),
            alert_store,
            notifiers,
            manager_config,
        )
        .await
        .context("starting the alert manager")?;
        eprintln!(
            "netops serve: alerting on; rules from {}",
            a.rules
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
        let shared: CurrentAlerts = Arc::default();
        current_alerts = Some(shared.clone());
        alert_task = Some(tokio::spawn(run_alerts(
            manager,
            prometheus.clone(),
            shared,
            cancel.clone(),
        )));
    }
    let drill_store = drill_api.as_ref().map(|(_, store)| store.clone());
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
        prometheus: prometheus.clone(),
        alerts: current_alerts,
        drills: drill_store,
        inventory: inventory.as_ref().map(|(store, _)| store.clone()),
        blackbox_modules: config.blackbox_modules,
        icmp,
        probe_targets,
        influx,
        exporter: SnmpExporter::new(engine, config.auths, options),
        scheduler: stats,
        targets,
    });
    let mut app = axum::Router::new()
        .route("/", get(index))
        .route("/metrics", get(metrics))
        .route("/snmp", get(snmp))
        .route("/probe", get(probe))
        .route("/api/alerts", get(alerts))
        .route("/-/healthy", get(|| async { "OK\n" }))
        .with_state(state);
    if let Some((state, _)) = drill_api {
        // /api/drills…: start, inject, ack, end, report (writes need the `security` role).
        app = app.merge(netops_alerting::api::router(state));
    }
    if let Some((store, auth)) = inventory {
        // Reports at /reports/…, the REST API at /sites, /targets, /blind-spots.
        app = app.merge(netops_inventory::api::router(InventoryApiState::new(
            store, auth,
        )));
    }
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let addr = listener.local_addr()?;
    eprintln!(
        "netops serve: {targets} SNMP target(s), {probe_targets} probe target(s); listening on http://{addr}/ (/metrics, /snmp, /probe)"
    );
    axum::serve(listener, app)
        .with_graceful_shutdown(cancel.clone().cancelled_owned())
        .await
        .context("HTTP server")?;
    cancel.cancel();
    let _ = scheduler_task.await;
    if let Some(task) = alert_task {
        let _ = task.await;
    }
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
    let modules = state
        .blackbox_modules
        .keys()
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    let mut links = vec![
        format!("<li><a href=\"/metrics\">/metrics</a>: everything collected ({} SNMP target(s), {} probe target(s)), Prometheus text format</li>", state.targets, state.probe_targets),
        "<li><a href=\"/snmp?target=127.0.0.1&amp;module=if_mib\">/snmp?target=HOST&amp;module=if_mib[&amp;auth=NAME]</a>: on-demand SNMP poll, snmp_exporter-compatible</li>".to_string(),
        format!("<li><a href=\"/probe?target=127.0.0.1&amp;module=icmp\">/probe?target=HOST&amp;module=icmp</a>: on-demand probe, blackbox_exporter-compatible (modules: {modules})</li>"),
    ];
    if state.inventory.is_some() {
        links.push("<li><a href=\"/reports/progress?year=2023&amp;format=html\">/reports/progress?year=Y</a>: 5G build progress (also <a href=\"/reports/progress?year=2023&amp;format=json\">JSON</a>, CSV)</li>".into());
        links.push("<li><a href=\"/reports/blind-spots?format=html\">/reports/blind-spots</a>: signal blind spots and coverage check</li>".into());
        links.push("<li><a href=\"/sites\">/sites</a>, <a href=\"/targets\">/targets</a>, <a href=\"/blind-spots\">/blind-spots</a>: inventory REST API (writes need a planner token)</li>".into());
    }
    if state.alerts.is_some() {
        links.push("<li><a href=\"/api/alerts\">/api/alerts</a>: current alerts (pending, firing, recently resolved)</li>".into());
    }
    if state.drills.is_some() {
        links.push("<li><a href=\"/api/drills\">/api/drills</a>: security drills (start, inject, ack, end with <code>netops drill</code>; reports at /api/drills/NAME/report?format=html)</li>".into());
    }
    links.push("<li><a href=\"/-/healthy\">/-/healthy</a></li>".into());
    Html(format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>netops</title></head><body>\
         <h1>netops</h1><ul>{}</ul></body></html>",
        links.join("")
    ))
}

async fn alerts(State(state): State<Arc<AppState>>) -> Response {
    match &state.alerts {
        Some(current) => {
            let alerts = current.read().map(|a| a.clone()).unwrap_or_default();
            axum::Json(alerts).into_response()
        }
        None => (
            StatusCode::NOT_FOUND,
            "alerting is not configured ([alerting] in the config)\n",
        )
            .into_response(),
    }
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
    if let Some(drills) = &state.drills {
        match drill_samples(drills, time).await {
            Ok(samples) => own.extend(samples),
            Err(e) => tracing::warn!(error = %e, "drill metrics"),
        }
    }
    if let Some(store) = &state.inventory {
        match netops_inventory::metrics::gauges(store).await {
            Ok(gauges) => own.extend(gauges),
            Err(e) => tracing::warn!(error = %e, "inventory gauges"),
        }
    }
    state
        .prometheus
        .replace(SourceKey::new(["netops"]), own.into());
    // Streamed: the text of 10,000 routers is GiBs, never held whole in memory.
    let body = axum::body::Body::from_stream(state.prometheus.exposition_all().into_stream());
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

/// Evaluates the rules every tick until cancelled; publishes `netops_alerts` after each.
async fn run_alerts(
    mut manager: AlertManager,
    prometheus: Arc<PrometheusSink>,
    current: CurrentAlerts,
    cancel: CancellationToken,
) {
    let interval = manager.tick_interval();
    loop {
        let now = SystemTime::now();
        if let Err(e) = manager.tick(now).await {
            tracing::warn!(error = %e, "alert evaluation");
        }
        prometheus.replace(
            SourceKey::new(["alerts"]),
            manager.alert_samples(now).into(),
        );
        let alerts: Vec<serde_json::Value> = manager
            .alerts()
            .map(|a| {
                serde_json::json!({
                    "alertname": a.name(),
                    "state": format!("{:?}", a.state).to_lowercase(),
                    "labels": a.labels.iter().collect::<std::collections::BTreeMap<_, _>>(),
                    "annotations": a.annotations,
                    "value": a.value,
                    "active_at": a.active_at,
                    "fired_at": a.fired_at,
                    "resolved_at": a.resolved_at,
                })
            })
            .collect();
        if let Ok(mut slot) = current.write() {
            *slot = alerts;
        }
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep(interval) => {}
        }
    }
}
