//! `netops demo`: the whole product on one machine with nothing else installed. One process
//! runs the agent simulator (a few hundred simulated routers and switches on loopback, one
//! of them unreachable on purpose), the collector polling them (system, interfaces,
//! HOST-RESOURCES CPU/memory, IP-MIB), ICMP probes of 127.0.0.1 and ::1 with a dual-stack
//! port comparison and, where the kernel and privileges allow, an SRv6 path over loopback,
//! the 5G inventory (SQLite, a generated district with the published 2023 figures, its
//! on-air sites probed on loopback management addresses), the alert engine with the
//! shipped rules, the trap listener, the drill API with a short sample drill, and the HTTP
//! server. Every dashboard in `dashboards/` has data against it (`tests/dashboards.rs`).

mod probes;
mod sample_drill;

use crate::config::{AlertingConfig, Config, DrillsConfig, InventoryConfig};
use anyhow::Context;
use netops_collector::config::PollTarget;
use netops_collector::modules;
use netops_collector::sim::dynamics::DynamicsOptions;
use netops_collector::sim::fault::FaultSpec;
use netops_collector::sim::generate;
use netops_collector::sim::server::{SimConfig, Simulator};
use netops_collector::sim::store::Store as SimStore;
use netops_collector::snmp::{AgentAddress, Credentials, RequestOptions};
use netops_inventory::import::{ImportKind, ImportOptions, import_file};
use probes::{icmp_available, loopback_probe, loopback_srv6};
use sample_drill::{SAMPLE_DRILL, sample_drill};
use std::net::SocketAddr;
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

/// The API token of the demo's security team (drills) and planners (inventory writes).
const SECURITY_TOKEN: &str = "demo-security-token";
const PLANNER_TOKEN: &str = "demo-planner-token";

/// With this many agents or more, the last one never answers: a device that is down, for
/// the "targets down" panels, poll errors and the TargetDown alert.
const UNREACHABLE_FROM: usize = 10;

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Starts everything in one process and prints the URLs. Stop with Ctrl-C.\n\
    Privileges: ICMP probes need CAP_NET_RAW or a group inside net.ipv4.ping_group_range; the\n\
    SRv6 path over loopback needs CAP_NET_RAW and net.ipv6.conf.{all,lo}.seg6_enabled=1.\n\
    Whatever cannot run is named once at start; everything else runs.\n\
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
    // One recording per (kind, town): agent i answers from recording i % 48, the kind and
    // town of its target, so devices differ (CPU, memory) from town to town.
    let recordings: Vec<Arc<SimStore>> = (0..RECORDINGS)
        .map(|i| {
            let (kind, ports) = kind_of(i);
            let name = format!("{kind}.{}", town_of(i));
            Arc::new(SimStore::new(
                name.clone(),
                generate::router(&name, ports),
                DynamicsOptions::default(),
            ))
        })
        .collect();
    let unreachable = (args.agents >= UNREACHABLE_FROM).then_some(args.agents - 1);
    let (simulator, base) = bind_simulator(&args, recordings, unreachable).await?;
    let cancel = CancellationToken::new();
    let sim_task = tokio::spawn(simulator.run(cancel.clone()));
    eprintln!(
        "netops demo: {} simulated SNMP agents on udp 127.0.0.1:{}-{}",
        args.agents,
        base,
        usize::from(base) + args.agents - 1
    );
    if let Some(i) = unreachable {
        eprintln!(
            "netops demo: {} (udp 127.0.0.1:{}) never answers, on purpose: a device that is down (its poll failures are logged below)",
            target_name(i),
            usize::from(base) + i
        );
    }

    // 3. The daemon's configuration.
    let rules_dir = dir.join("rules");
    std::fs::create_dir_all(&rules_dir)?;
    for (name, text) in SHIPPED_RULES {
        std::fs::write(rules_dir.join(name), text)?;
    }
    let interval = Duration::from_secs_f64(args.interval);
    // A poll may not outlive its interval (the scheduler cuts it off, and a cut-off poll
    // reports nothing), so a request to the unreachable agent gives up after half of it.
    // One attempt: loopback loses nothing, so a retry would only help a late reply (a busy
    // machine), and waiting longer serves that better.
    let poll_timeout = (interval / 2).min(Duration::from_secs(5));
    let mut config = Config::empty();
    config.listen = args.listen;
    config.snmp.interval_seconds = args.interval;
    config.targets = (0..args.agents)
        .map(|i| PollTarget {
            name: target_name(i),
            address: AgentAddress {
                host: "127.0.0.1".into(),
                port: base + i as u16,
            },
            credentials: Credentials::v2c("public"),
            options: RequestOptions {
                timeout: poll_timeout,
                retries: 0,
                max_repetitions: 25,
            },
            interval,
            modules: ["system", "if_mib", "host_resources", "ip_mib"]
                .iter()
                .filter_map(|m| modules::builtin(m))
                .collect(),
            labels: [("town".to_string(), town_of(i).to_string())].into(),
        })
        .collect();
    config.probe_defaults.interval_seconds = args.interval;
    // Without any ICMP socket every probe round would fail and say so, hundreds of times a
    // round: say it once here and leave the probes out instead.
    let icmp = icmp_available();
    if let Err(why) = &icmp {
        eprintln!("netops demo: ICMP probes off (loopback and 5G sites are not probed): {why}");
    }
    let srv6 = loopback_srv6().await;
    match &srv6 {
        Ok(_) => eprintln!(
            "netops demo: SRv6 probes on: ::1 through the SID ::1 (path=\"srv6:::1,::1\"), next to the plain path"
        ),
        Err(why) => eprintln!("netops demo: SRv6 probes off: {why}"),
    }
    if icmp.is_ok() {
        config.probe_targets = vec![loopback_probe(
            interval,
            srv6.clone().unwrap_or_default(),
            args.listen.port(),
        )];
    }
    config.inventory = Some(InventoryConfig {
        db: db.clone(),
        probe_sites: icmp.is_ok(),
        api: toml::from_str(&format!(
            "tokens = [{{ name = \"demo-planner\", token = \"{PLANNER_TOKEN}\", role = \"planner\" }}]"
        ))
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
        api: toml::from_str(&format!(
            "tokens = [{{ name = \"demo-security\", token = \"{SECURITY_TOKEN}\", roles = [\"security\"] }}]"
        ))
        .context("demo drill tokens")?,
        auth_failure_count: 10,
    });
    config.traps = Some((
        SocketAddr::from(([127, 0, 0, 1], args.trap_port)),
        vec!["public".into()],
    ));

    print_welcome(&args, base, srv6.is_ok());
    let drill_task = tokio::spawn(sample_drill(format!("http://{}", args.listen)));
    let result = crate::daemon::serve(config).await;
    drill_task.abort();
    cancel.cancel();
    let _ = sim_task.await;
    result.context("netops demo")?;
    Ok(ExitCode::SUCCESS)
}

/// Binds the agents at `--sim-port`, or at the next range of free ports.
async fn bind_simulator(
    args: &DemoArgs,
    stores: Vec<Arc<SimStore>>,
    unreachable: Option<usize>,
) -> anyhow::Result<(Simulator, u16)> {
    let faults: Vec<FaultSpec> = match unreachable {
        Some(i) => vec![format!("timeout:{i}").parse().context("the demo's fault")?],
        None => Vec::new(),
    };
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
            faults: faults.clone(),
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

/// The name of simulated agent `i`: its kind and number.
fn target_name(i: usize) -> String {
    format!("{}-{i:04}", kind_of(i).0)
}

/// Distinct recordings: every (kind, town) pair once, as 3 kinds and 16 towns repeat with
/// the agent number.
const RECORDINGS: usize = 48;

/// The device kind of agent `i` and its Ethernet port count.
fn kind_of(i: usize) -> (&'static str, u32) {
    [("core-router", 48), ("edge-switch", 24), ("kiosk-gw", 4)][i % 3]
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

fn print_welcome(args: &DemoArgs, base: u16, srv6: bool) {
    let url = format!("http://{}", args.listen);
    let srv6_line = if srv6 {
        format!(
            "\n  curl -s {url}/metrics | grep 'path=\"srv6'                             # the SRv6 path next to the plain one"
        )
    } else {
        String::new()
    };
    println!(
        "\nnetops demo is starting. Open {url}/ for the index. Try:\n\
         \n  curl -s {url}/metrics | grep -E '^(netops_target_up|ifHCInOctets|hrProcessorLoad|netops_probe_rtt_median_seconds)' | head\
         \n  curl -s '{url}/snmp?target=127.0.0.1:{base}&module=if_mib' | head         # snmp_exporter-compatible\
         \n  curl -s '{url}/probe?target=::1&module=icmp'                              # blackbox_exporter-compatible{srv6_line}\
         \n  curl -s '{url}/reports/progress?year=2023&format=json'                    # 5G build progress\
         \n  open {url}/reports/blind-spots?format=html                                # blind-spot report\
         \n  netops snmp walk -c public 127.0.0.1:{base} 1.3.6.1.2.1.31.1.1.1.1        # a simulated router\
         \n  snmptrap -v2c -c public 127.0.0.1:{trap} '' 1.3.6.1.6.3.1.1.5.3             # a linkDown trap\
         \n  curl -s {url}/api/alerts                                                  # current alerts\
         \n\nPoint Prometheus at {url}/metrics and Grafana at dashboards/ (see dashboards/README.md).\n\
         Planner API token for PUT /sites/…: {PLANNER_TOKEN}.\n\
         A sample drill, {SAMPLE_DRILL}, runs in the first minute (a link-down and an authentication-failure\n\
         burst through the trap listener) and ends once both are detected; then read its report or run your own:\n\
         export NETOPS_SERVER={url} NETOPS_TOKEN={SECURITY_TOKEN}; netops drill report {SAMPLE_DRILL} -o html > sample.html\n\
         netops drill start --name drill-1; netops drill inject link-down --target 127.0.0.1; netops drill end;\n\
         netops drill report drill-1 -o html > drill.html\n\
         Stop with Ctrl-C.\n",
        trap = args.trap_port
    );
}
