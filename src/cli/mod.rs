//! Command-line interface: one module per subcommand, each with its clap `Args` type and an
//! async `run` that returns the process exit code.

mod demo;
mod drill;
mod inventory;
mod probe;
mod serve;
mod sim;
mod snmp;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// netops: a network operations monitor.
///
/// Polls routers, switches and cloud nodes over SNMP, probes them with packets, tracks the
/// 5G base-station build, and raises alerts for the security team.
#[derive(Debug, Parser)]
#[command(name = "netops", version, propagate_version = true)]
pub struct Cli {
    /// More logging on stderr (--verbose info, twice debug, three times trace). RUST_LOG overrides it.
    #[arg(long = "verbose", action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The whole product in one process: simulated network, collector, probes, inventory,
    /// alerts, HTTP server. Prints the URLs.
    Demo(demo::DemoArgs),
    /// Run the collector daemon: poll targets, serve /metrics and on-demand /snmp.
    Serve(serve::ServeArgs),
    /// Query one SNMP agent, like net-snmp's snmpget and snmpbulkwalk.
    Snmp(snmp::SnmpArgs),
    /// Security drills: start, inject, acknowledge, end, report (talks to `netops serve`).
    Drill(drill::DrillArgs),
    /// Simulate many SNMP agents from recordings (snmpsim .snmprec), or record a device.
    Sim(sim::SimArgs),
    /// 5G base-station inventory: import CSV files, planners' reports.
    Inventory(inventory::InventoryArgs),
    /// Probe hosts with packets (ICMP/ICMPv6 echo, TCP, UDP, SRv6 paths, dual-stack).
    Probe(probe::ProbeArgs),
}

impl Cli {
    pub async fn run(self) -> anyhow::Result<ExitCode> {
        match self.command {
            Command::Demo(args) => demo::run(args).await,
            Command::Serve(args) => serve::run(args).await,
            Command::Snmp(args) => snmp::run(args).await,
            Command::Sim(args) => sim::run(args).await,
            Command::Drill(args) => drill::run(args).await,
            Command::Inventory(args) => inventory::run(args).await,
            Command::Probe(args) => probe::run(args).await,
        }
    }
}

pub fn init_logging(verbose: u8) {
    // The SNMP engine logs every timeout and rejected datagram; the CLI already reports
    // those as one clear line, so the engine stays quiet unless asked for detail.
    let default = match verbose {
        0 => "warn,async_snmp=off",
        1 => "info,async_snmp=warn",
        2 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

#[cfg(test)]
mod tests {
    use super::Cli;
    use clap::CommandFactory;

    /// clap checks its own invariants (unique flags, ...) only when a command is built.
    #[test]
    fn command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
