//! `netops serve`: the collector daemon.

use crate::config::Config;
use anyhow::Context;
use netops_core::scheduler::Shard;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    netops serve                                   # no targets: serves on-demand /snmp on 127.0.0.1:9464\n  \
    netops serve --config /etc/netops/netops.toml  # poll the configured targets\n  \
    netops serve --config netops.toml --check      # validate the file and exit\n  \
    netops serve --config netops.toml --shard 1/4  # this daemon polls a quarter of the targets\n\n\
    Endpoints: /metrics (everything polled), /snmp?target=HOST&module=if_mib[&auth=NAME]\n\
    (snmp_exporter-compatible), /-/healthy. See examples/netops.toml for every key.")]
pub struct ServeArgs {
    /// Configuration file (TOML). Without it: no targets, on-demand /snmp only.
    #[arg(short = 'c', long = "config", env = "NETOPS_CONFIG")]
    config: Option<PathBuf>,

    /// HTTP listen address; overrides `server.listen` (default 127.0.0.1:9464).
    #[arg(long = "listen")]
    listen: Option<SocketAddr>,

    /// Poll only the targets of shard I of N (stable hash of the target name), e.g. 0/4.
    #[arg(long = "shard", value_parser = parse_shard)]
    shard: Option<Shard>,

    /// Validate the configuration, print a summary and exit.
    #[arg(long = "check")]
    check: bool,
}

fn parse_shard(s: &str) -> Result<Shard, String> {
    s.parse()
}

pub async fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let mut config = match &args.config {
        Some(path) => match Config::load(path) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("{e}");
                return Ok(ExitCode::from(2));
            }
        },
        None => Config::empty(),
    };
    if let Some(listen) = args.listen {
        config.listen = listen;
    }
    let shard = args.shard.unwrap_or(Shard::ALL);
    let total = config.targets.len();
    config.targets.retain(|t| shard.owns(&t.name));
    if args.check {
        println!(
            "configuration OK: {} target(s), {} in shard {}/{}; listen {}",
            total,
            config.targets.len(),
            shard.index,
            shard.count,
            config.listen
        );
        return Ok(ExitCode::SUCCESS);
    }
    crate::daemon::serve(config).await.context("netops serve")?;
    Ok(ExitCode::SUCCESS)
}
