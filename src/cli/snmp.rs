//! `netops snmp get|walk`: placeholder until the SNMP engine lands.

use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct SnmpArgs {}

pub async fn run(_args: SnmpArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`netops snmp` is not implemented yet")
}
