//! The `netops` binary: command line, config loading and wiring of the library crates.
//! Domain logic lives in the crates; this file only parses arguments and dispatches.

mod cli;
mod config;
mod daemon;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    cli::init_logging(cli.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("netops: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(cli.run()) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("netops: {e:#}");
            ExitCode::FAILURE
        }
    }
}
