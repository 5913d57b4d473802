//! `netops sim`: serve many simulated SNMP agents from snmpsim `.snmprec` recordings, and
//! `netops sim record`: walk a device into a recording. The logic is in
//! `netops_collector::sim`; this file parses flags and prints.

use anyhow::Context;
use netops_collector::sim::dynamics::DynamicsOptions;
use netops_collector::sim::fault::FaultSpec;
use netops_collector::sim::server::{SimConfig, Simulator, raise_nofile_limit};
use netops_collector::sim::store::Store;
use netops_collector::sim::usm::V3UserSpec;
use netops_collector::sim::{record, snmprec};
use netops_collector::snmp::{self, AgentAddress, Oid, RequestOptions};
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

#[derive(Debug, clap::Args)]
#[command(
    args_conflicts_with_subcommands = true,
    after_help = "Agents and recordings:\n  \
    Agent i listens on UDP port PORT+i of the --listen address and serves recording\n  \
    (i mod R), the R recordings being the *.snmprec files of --recordings sorted by name\n  \
    (or the one file given). v1 and v2c answer to --community; SNMPv3 (authPriv, USM\n  \
    implemented in netops on async-snmp's crypto) to every --v3-user, with engine ID\n  \
    80001f8804 + \"netops-sim-<i>\".\n\n\
Dynamics:\n  \
    sysUpTime and hrSystemUptime advance 100 ticks/s. Counter32/Counter64 grow at a fixed\n  \
    per-object rate: octet counters of interfaces at 1-30 % of ifHighSpeed/ifSpeed (the\n  \
    32- and 64-bit counters of an interface share one rate), other counters at a rate\n  \
    from a hash of the OID (0-999/s). Counter32 wraps modulo 2^32.\n\n\
Faults (--fault, repeatable; AGENTS = 0-9,15,20-29 or all):\n  \
    timeout:AGENTS            never answer\n  \
    slow:MS:AGENTS            answer MS milliseconds late\n  \
    reboot-every:SECS:AGENTS  restart every SECS s: sysUpTime and counters from 0,\n                              \
    snmpEngineBoots + 1\n  \
    malformed:AGENTS          answer with bytes that are not SNMP (a truncated BER SEQUENCE)\n\n\
Examples:\n  \
    netops sim --recordings collector/testdata/recordings --listen 127.0.0.1:20000 --agents 1000\n  \
    netops sim --recordings DIR --agents 10000 --v3-user ops:SHA-512:authpass1:AES-256:privpass1\n  \
    netops sim --recordings DIR --agents 20 --fault timeout:0-1 --fault reboot-every:60:2\n  \
    netops sim record -v 2c -c public 127.0.0.1:161 -o host.snmprec"
)]
pub struct SimArgs {
    #[command(subcommand)]
    command: Option<SimCommand>,

    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Debug, clap::Subcommand)]
enum SimCommand {
    /// Walk a device and write what it answered as a .snmprec recording.
    Record(RecordArgs),
}

#[derive(Debug, clap::Args)]
struct ServeArgs {
    /// A directory of .snmprec files, or one .snmprec file.
    #[arg(long = "recordings", value_name = "DIR")]
    recordings: Option<PathBuf>,

    /// Address and first UDP port; agent i listens on port + i.
    #[arg(long = "listen", default_value = "127.0.0.1:20000")]
    listen: SocketAddr,

    /// Number of agents (one UDP socket each).
    #[arg(long = "agents", default_value_t = 1)]
    agents: usize,

    /// Community of v1 and v2c requests (others are dropped).
    #[arg(
        long = "community",
        default_value = "public",
        hide_default_value = true
    )]
    community: String,

    /// SNMPv3 user NAME:AUTHPROTO:AUTHPASS:PRIVPROTO:PRIVPASS (authPriv), repeatable.
    #[arg(long = "v3-user", value_name = "USER", hide_env_values = true)]
    v3_users: Vec<String>,

    /// Fault mode, repeatable (see below).
    #[arg(long = "fault", value_name = "FAULT")]
    faults: Vec<String>,

    /// Start every Counter32 SECS seconds before its 2^32 wrap (instead of its recorded
    /// value), so pollers meet wraps early.
    #[arg(long = "wrap32-after", value_name = "SECS")]
    wrap32_after: Option<u64>,

    /// Print requests/s to stderr every SECS seconds (0: never).
    #[arg(long = "stats-every", value_name = "SECS", default_value_t = 0)]
    stats_every: u64,
}

#[derive(Debug, clap::Args)]
struct RecordArgs {
    #[command(flatten)]
    auth: super::snmp::AgentAuthArgs,

    /// Timeout of each attempt, seconds.
    #[arg(short = 't', long = "timeout", default_value_t = 2.0)]
    timeout: f64,

    /// Retries after a timeout.
    #[arg(short = 'r', long = "retries", default_value_t = 3)]
    retries: u32,

    /// Subtree to walk, repeatable (default: 1.3.6.1, everything).
    #[arg(long = "root", value_name = "OID")]
    roots: Vec<String>,

    /// Write to FILE instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Option<PathBuf>,

    /// The device, host:port (default port 161).
    #[arg(value_name = "TARGET")]
    target: String,
}

pub async fn run(args: SimArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        Some(SimCommand::Record(r)) => run_record(r).await,
        None => run_serve(args.serve).await,
    }
}

/// The recordings of `path`: its `*.snmprec` files sorted by name, or the file itself.
fn load_recordings(path: &Path, options: DynamicsOptions) -> anyhow::Result<Vec<Arc<Store>>> {
    let mut files = if path.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(path)
            .with_context(|| format!("--recordings {}", path.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "snmprec"))
            .collect();
        anyhow::ensure!(
            !files.is_empty(),
            "--recordings {}: no *.snmprec files",
            path.display()
        );
        files.sort();
        files
    } else {
        vec![path.to_path_buf()]
    };
    files
        .drain(..)
        .map(|file| {
            let recording = snmprec::read_file(&file)?;
            let name = file
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            Ok(Arc::new(Store::new(name, recording, options)))
        })
        .collect()
}

async fn run_serve(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let recordings = args
        .recordings
        .as_deref()
        .context("--recordings DIR is required (or use `netops sim record`)")?;
    let options = DynamicsOptions {
        wrap32_after_secs: args.wrap32_after,
    };
    let stores = load_recordings(recordings, options)?;
    let v3_users = args
        .v3_users
        .iter()
        .map(|s| s.parse::<V3UserSpec>())
        .collect::<Result<Vec<_>, _>>()?;
    let faults = args
        .faults
        .iter()
        .map(|s| s.parse::<FaultSpec>())
        .collect::<Result<Vec<_>, _>>()?;
    let limit = raise_nofile_limit(args.agents).map_err(anyhow::Error::msg)?;
    tracing::info!(limit, "open file limit");
    let names: Vec<String> = stores
        .iter()
        .map(|s| format!("{} ({} objects)", s.name, s.len()))
        .collect();
    let simulator = Simulator::bind(SimConfig {
        listen: args.listen,
        agents: args.agents,
        stores,
        community: args.community,
        v3_users,
        faults,
    })
    .await?;
    let stats = simulator.stats();
    let first = args.listen.port();
    let last = usize::from(first) + args.agents - 1;
    {
        let mut out = std::io::stdout().lock();
        writeln!(
            out,
            "netops sim: {} agents on {}:{first}-{last}; recordings (agent i serves number i mod {}): {}",
            args.agents,
            args.listen.ip(),
            names.len(),
            names.join(", ")
        )?;
        out.flush()?;
    }
    let cancel = CancellationToken::new();
    let server = tokio::spawn(simulator.run(cancel.clone()));
    if args.stats_every > 0 {
        let stats = stats.clone();
        let cancel = cancel.clone();
        let every = Duration::from_secs(args.stats_every);
        tokio::spawn(async move {
            let mut previous = 0;
            let mut tick = tokio::time::interval(every);
            tick.tick().await;
            loop {
                tokio::select! {
                    _ = cancel.cancelled() => return,
                    _ = tick.tick() => {}
                }
                let now = stats.requests.load(Ordering::Relaxed);
                eprintln!(
                    "netops sim: {:.0} requests/s ({now} requests, {} dropped)",
                    netops_collector::sim::server::rate(previous, now, every),
                    stats.dropped.load(Ordering::Relaxed)
                );
                previous = now;
            }
        });
    }
    shutdown_signal().await;
    cancel.cancel();
    let _ = server.await;
    eprintln!(
        "netops sim: stopped after {} requests",
        stats.requests.load(Ordering::Relaxed)
    );
    Ok(ExitCode::SUCCESS)
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

async fn run_record(args: RecordArgs) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        args.timeout.is_finite() && args.timeout > 0.0 && args.timeout <= 3600.0,
        "-t/--timeout must be between 0 and 3600 seconds, got {}",
        args.timeout
    );
    let address = AgentAddress::parse(&args.target).map_err(anyhow::Error::msg)?;
    let mut roots: Vec<Oid> = args
        .roots
        .iter()
        .map(|s| s.parse::<Oid>())
        .collect::<Result<_, _>>()?;
    if roots.is_empty() {
        roots.push(Oid::from_arcs(vec![1, 3, 6, 1]));
    }
    let options = RequestOptions {
        timeout: Duration::from_secs_f64(args.timeout),
        retries: args.retries,
        max_repetitions: 25,
    };
    let credentials = args.auth.credentials()?;
    let session = match snmp::dedicated_session(&address, &credentials, options).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("netops sim record: {e}");
            return Ok(ExitCode::FAILURE);
        }
    };
    let varbinds = match record::record(&session, &roots, options.max_repetitions).await {
        Ok(v) => v,
        Err(e) => {
            eprintln!("netops sim record: {e}");
            return Ok(ExitCode::FAILURE);
        }
    };
    let text = snmprec::format(&varbinds);
    match &args.output {
        Some(path) => {
            std::fs::write(path, text).with_context(|| format!("-o {}", path.display()))?
        }
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()?;
        }
    }
    eprintln!(
        "netops sim record: {} objects from {}",
        varbinds.len(),
        args.target
    );
    Ok(ExitCode::SUCCESS)
}
