//! `netops demo`: the whole product on one machine with nothing else installed. One process
//! runs the agent simulator (a few hundred simulated routers and switches on loopback), the
//! collector polling them, ICMP probes of 127.0.0.1 and ::1, the 5G inventory (SQLite, a
//! generated district with the published 2023 figures, its on-air sites probed on loopback
//! management addresses), the alert engine with the shipped rules, the trap listener, and
//! the HTTP server.

use crate::config::{AlertingConfig, Config, DrillsConfig, InventoryConfig};
use anyhow::Context;
use netops_collector::config::PollTarget;
use netops_collector::modules;
use netops_collector::sim::dynamics::DynamicsOptions;
use netops_collector::sim::generate;
use netops_collector::sim::server::{SimConfig, Simulator};
use netops_collector::sim::store::Store as SimStore;
use netops_collector::snmp::{AgentAddress, Credentials, RequestOptions};
use netops_inventory::import::{ImportKind, ImportOptions, import_file};
use netops_probes::config::ProbePlan;
use netops_probes::prober::Protocol;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// The shipped alert rules, built into the binary so the demo needs no files.
const SHIPPED_RULES: &[(&str, &str)] = &[
    ("snmp.yml", include_str!("../../alerting/rules/snmp.yml")),
    (
        "probes.yml",
        include_str!("../../alerting/rules/probes.yml"),
    ),
    (
        "inventory.yml",
        include_str!("../../alerting/rules/inventory.yml"),
    ),
    ("traps.yml", include_str!("../../alerting/rules/traps.yml")),
];

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Starts everything in one process and prints the URLs. Stop with Ctrl-C.\n\
    Example:\n  netops demo                       # http://127.0.0.1:9464/\n  \
    netops demo --agents 1000 --listen 127.0.0.1:8080"
)]
pub struct DemoArgs {
    /// HTTP address of the demo daemon.
    #[arg(long, default_value = "127.0.0.1:9464")]
    listen: SocketAddr,

    /// Simulated SNMP agents (routers and switches), one UDP port each on 127.0.0.1.
    #[arg(long, default_value_t = 300)]
    agents: usize,

    /// First UDP port of the simulated agents (the next free range is used if taken).
    #[arg(long, default_value_t = 20_000)]
    sim_port: u16,

    /// Where the demo keeps its files (inventory database, CSVs, rules). Default: a new
    /// directory under the system temp dir.
    #[arg(long)]
    dir: Option<PathBuf>,

    /// Poll and probe interval, seconds.
    #[arg(long, default_value_t = 10.0)]
    interval: f64,

    /// Alertmanager to send alerts to (e.g. http://127.0.0.1:9093); none by default.
    #[arg(long)]
    alertmanager: Option<String>,

    /// UDP port of the trap listener (on 127.0.0.1).
    #[arg(long, default_value_t = 1162)]
    trap_port: u16,

    /// Seed of the generated district (towns, sites, blind spots).
    #[arg(long, default_value_t = 2023)]
    seed: u64,
}

pub async fn run(args: DemoArgs) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        args.agents > 0 && args.agents <= 20_000,
        "--agents must be between 1 and 20000"
    );
    anyhow::ensure!(
        args.interval.is_finite() && args.interval >= 1.0,
        "--interval must be at least 1 second"
    );
    let dir = match args.dir.clone() {
        Some(d) => d,
        None => std::env::temp_dir().join(format!("netops-demo-{}", std::process::id())),
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    eprintln!("netops demo: files in {}", dir.display());

    // 1. The district inventory.
    let db = format!("sqlite://{}", dir.join("netops.db").display());
    let store = netops_inventory::store::Store::open(&db)
        .await
        .context("inventory database")?;
    let files = netops_inventory::fixture::write_district_csvs(&dir, args.seed)
        .context("writing the district CSV files")?;
    let options = ImportOptions {
        changed_by: "demo".into(),
        progress: true,
    };
    for (kind, path) in [
        (ImportKind::Targets, &files.targets),
        (ImportKind::Sites, &files.sites),
        (ImportKind::BlindSpots, &files.blind_spots),
    ] {
        let summary = import_file(&store, kind, path, &options)
            .await
            .with_context(|| format!("importing {}", path.display()))?;
        eprintln!("netops demo: {} {} imported", summary.rows, kind.noun());
    }
    store.close().await;

    // 2. The simulated network.
    if let Err(e) = netops_collector::sim::server::raise_nofile_limit(args.agents + 1024) {
        eprintln!("netops demo: {e}");
    }
    let recordings: Vec<Arc<SimStore>> =
        [("core-router", 48), ("edge-switch", 24), ("kiosk-gw", 4)]
            .into_iter()
            .map(|(name, ports)| {
                Arc::new(SimStore::new(
                    name,
                    generate::router(name, ports),
                    DynamicsOptions::default(),
                ))
            })
            .collect();
    let (simulator, base) = bind_simulator(&args, recordings).await?;
    let cancel = CancellationToken::new();
    let sim_task = tokio::spawn(simulator.run(cancel.clone()));
    eprintln!(
        "netops demo: {} simulated SNMP agents on udp 127.0.0.1:{}-{}",
        args.agents,
        base,
        usize::from(base) + args.agents - 1
    );

    // 3. The daemon's configuration.
    let rules_dir = dir.join("rules");
    std::fs::create_dir_all(&rules_dir)?;
    for (name, text) in SHIPPED_RULES {
        std::fs::write(rules_dir.join(name), text)?;
    }
    let interval = Duration::from_secs_f64(args.interval);
    let mut config = Config::empty();
    config.listen = args.listen;
    config.snmp.interval_seconds = args.interval;
    config.targets = (0..args.agents)
        .map(|i| {
            let kind = ["core-router", "edge-switch", "kiosk-gw"][i % 3];
            PollTarget {
                name: format!("{kind}-{i:04}"),
                address: AgentAddress {
                    host: "127.0.0.1".into(),
                    port: base + i as u16,
                },
                credentials: Credentials::v2c("public"),
                options: RequestOptions {
                    timeout: Duration::from_secs(2),
                    retries: 1,
                    max_repetitions: 25,
                },
                interval,
                modules: ["system", "if_mib", "ip_mib"]
                    .iter()
                    .filter_map(|m| modules::builtin(m))
                    .collect(),
                labels: [("town".to_string(), town_of(i).to_string())].into(),
            }
        })
        .collect();
    config.probe_defaults.interval_seconds = args.interval;
    config.probe_targets = vec![loopback_probe(interval)];
    config.inventory = Some(InventoryConfig {
        db: db.clone(),
        probe_sites: true,
        api: toml::from_str("tokens = [{ name = \"demo-planner\", token = \"demo-planner-token\", role = \"planner\" }]")
            .context("demo API tokens")?,
    });
    config.alerting = Some(AlertingConfig {
        rules: vec![rules_dir],
        db,
        alertmanager_url: args.alertmanager.clone(),
        webhook_url: None,
        external_url: None,
        resend_delay_seconds: 60.0,
    });
    config.drills = Some(DrillsConfig {
        api: toml::from_str(
            "tokens = [{ name = \"demo-security\", token = \"demo-security-token\", roles = [\"security\"] }]",
        )
        .context("demo drill tokens")?,
        auth_failure_count: 10,
    });
    config.traps = Some((
        SocketAddr::from(([127, 0, 0, 1], 1162)),
        vec!["public".into()],
    ));

    print_welcome(&args, base);
    let result = crate::daemon::serve(config).await;
    cancel.cancel();
    let _ = sim_task.await;
    result.context("netops demo")?;
    Ok(ExitCode::SUCCESS)
}

/// Binds the agents at `--sim-port`, or at the next range of free ports.
async fn bind_simulator(
    args: &DemoArgs,
    stores: Vec<Arc<SimStore>>,
) -> anyhow::Result<(Simulator, u16)> {
    let mut base = args.sim_port;
    let mut last_error = None;
    for _ in 0..10 {
        anyhow::ensure!(
            usize::from(base) + args.agents <= 65_535,
            "no room for {} agents above port {base}",
            args.agents
        );
        let config = SimConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], base)),
            agents: args.agents,
            stores: stores.clone(),
            community: "public".into(),
            v3_users: Vec::new(),
            faults: Vec::new(),
        };
        match Simulator::bind(config).await {
            Ok(sim) => return Ok((sim, base)),
            Err(e) => {
                last_error = Some(e);
                base = base.saturating_add(args.agents as u16 + 7);
            }
        }
    }
    Err(anyhow::anyhow!(
        "cannot bind the simulated agents: {}",
        last_error.map(|e| e.to_string()).unwrap_or_default()
    ))
}

fn loopback_probe(interval: Duration) -> ProbePlan {
    ProbePlan {
        name: "loopback".into(),
        addresses: vec![
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(Ipv6Addr::LOCALHOST),
        ],
        protocol: Protocol::Icmp,
        port: None,
        srv6_paths: Vec::new(),
        dual_stack_ports: Vec::new(),
        interval,
        count: 5,
        spacing: Duration::from_millis(100),
        timeout: Duration::from_secs(1),
        size: 56,
        site: None,
    }
}

/// The towns of the generated district, for a `town` label on the simulated devices.
fn town_of(i: usize) -> &'static str {
    const TOWNS: [&str; 16] = [
        "市桥街",
        "沙头街",
        "东环街",
        "桥南街",
        "钟村街",
        "石壁街",
        "大石街",
        "洛浦街",
        "南村镇",
        "新造镇",
        "化龙镇",
        "石楼镇",
        "石碁镇",
        "沙湾街",
        "小谷围街",
        "大龙街",
    ];
    TOWNS[i % TOWNS.len()]
}

fn print_welcome(args: &DemoArgs, base: u16) {
    let url = format!("http://{}", args.listen);
    println!(
        "\nnetops demo is starting. Open {url}/ for the index. Try:\n\
         \n  curl -s {url}/metrics | grep -E '^(netops_target_up|ifHCInOctets|netops_probe_rtt_median_seconds)' | head\
         \n  curl -s '{url}/snmp?target=127.0.0.1:{base}&module=if_mib' | head         # snmp_exporter-compatible\
         \n  curl -s '{url}/probe?target=::1&module=icmp'                              # blackbox_exporter-compatible\
         \n  curl -s '{url}/reports/progress?year=2023&format=json'                    # 5G build progress\
         \n  open {url}/reports/blind-spots?format=html                                # blind-spot report\
         \n  netops snmp walk -c public 127.0.0.1:{base} 1.3.6.1.2.1.31.1.1.1.1        # a simulated router\
         \n  snmptrap -v2c -c public 127.0.0.1:{trap} '' 1.3.6.1.6.3.1.1.5.3             # a linkDown trap\
         \n  curl -s {url}/api/alerts                                                  # current alerts\
         \n\nPoint Prometheus at {url}/metrics and Grafana at dashboards/ (see dashboards/README.md).\n\
         Planner API token for PUT /sites/…: demo-planner-token.\n\
         A drill: export NETOPS_SERVER={url} NETOPS_TOKEN=demo-security-token; netops drill start --name drill-1;\n\
         netops drill inject link-down --target 127.0.0.1; netops drill end; netops drill report drill-1 -o html > drill.html\n\
         Stop with Ctrl-C.\n",
        trap = args.trap_port
    );
}
