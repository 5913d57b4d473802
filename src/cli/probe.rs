//! `netops probe`: see the packet-probes issue. Placeholder until it lands.

use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct ProbeArgs {}

pub async fn run(_args: ProbeArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`netops probe` is not implemented yet")
}
