//! `netops sim`: see the simulator issue. Placeholder until it lands.

use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct SimArgs {}

pub async fn run(_args: SimArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`netops sim` is not implemented yet")
}
