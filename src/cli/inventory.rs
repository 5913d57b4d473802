//! `netops inventory`: see the inventory issue. Placeholder until it lands.

use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct InventoryArgs {}

pub async fn run(_args: InventoryArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`netops inventory` is not implemented yet")
}
