//! `netops drill`: see the alerting issue. Placeholder until it lands.

use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct DrillArgs {}

pub async fn run(_args: DrillArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`netops drill` is not implemented yet")
}
