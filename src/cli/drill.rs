//! `netops drill`: run a security drill against a running daemon over its HTTP API
//! (`/api/drills`, see `netops_alerting::api`). Arguments in, one HTTP call, a short answer
//! out; the work (recording, traps, scans, reports) is done by the daemon.

use anyhow::Context;
use netops_alerting::drill::client::DrillClient;
use serde_json::Value;
use std::io::Write;
use std::process::ExitCode;

/// Security drills: start one, record injections (some are carried out: traps, a port scan),
/// acknowledge alerts, end it, print its report.
///
/// Talks to a running `netops serve` over HTTP. Changing a drill needs an API token with
/// role `security` in NETOPS_TOKEN; listing and reports are open unless the daemon says
/// otherwise.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    export NETOPS_TOKEN=…\n  \
    netops drill start --name provincial-2026 --scope 10.20.0.0/16 --scope 2001:db8:20::/48\n  \
    netops drill inject link-down --target 10.20.0.5 --if-index 3\n  \
    netops drill inject port-scan --target 10.20.0.7\n  \
    netops drill alerts\n  \
    netops drill ack 'core{alertname=\"LinkDown\",target=\"10.20.0.5\"}' --by alice\n  \
    netops drill end\n  \
    netops drill report provincial-2026 -o html > drill.html\n\n\
    Injection kinds:\n  \
    link-down           one SNMPv2c linkDown trap to the daemon's trap listener\n  \
    auth-failure-burst  N authenticationFailure traps to the daemon's trap listener\n  \
    port-scan           TCP connect scan of the target (an address in the drill's scope)\n  \
    probe-loss          recorded only: break the path yourself, the probes see the loss")]
pub struct DrillArgs {
    /// The daemon's HTTP address. Accepted before or after the subcommand.
    #[arg(
        long,
        global = true,
        env = "NETOPS_SERVER",
        default_value = "http://127.0.0.1:9464",
        value_name = "URL"
    )]
    server: String,

    #[command(subcommand)]
    command: DrillCommand,
}

#[derive(Debug, clap::Subcommand)]
enum DrillCommand {
    /// Open a drill (only one may be open at a time; names are never reused).
    Start {
        #[arg(long)]
        name: String,
        /// Prefixes in play (repeatable); alerts on these addresses belong to the drill.
        #[arg(long = "scope", value_name = "CIDR")]
        scope: Vec<String>,
    },
    /// End the open drill.
    End,
    /// Record an injection into the open drill at the current time, and carry it out.
    Inject {
        /// link-down, auth-failure-burst, port-scan or probe-loss.
        kind: String,
        /// The address or name attacked.
        #[arg(long)]
        target: String,
        /// Free text kept with the injection.
        #[arg(long)]
        note: Option<String>,
        /// Interface index of a link-down (default 1).
        #[arg(long, value_name = "N")]
        if_index: Option<u32>,
    },
    /// Acknowledge an alert of the open drill (its id from `netops drill alerts`, or the
    /// plain alert key).
    Ack {
        alert_id: String,
        /// Who acknowledges (default: the token's name).
        #[arg(long, default_value = "")]
        by: String,
    },
    /// The alerts that belong to the open drill so far.
    Alerts,
    /// Every drill.
    List,
    /// Print a drill's report on stdout.
    Report {
        name: String,
        #[arg(short = 'o', long = "output", value_enum, default_value_t = ReportFormat::Md)]
        format: ReportFormat,
    },
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum ReportFormat {
    Json,
    Md,
    Html,
}

fn token() -> Option<String> {
    std::env::var("NETOPS_TOKEN").ok().filter(|t| !t.is_empty())
}

fn millis_to_rfc3339(v: &Value) -> String {
    v.as_i64()
        .map(netops_alerting::time::rfc3339_millis)
        .unwrap_or_else(|| "-".into())
}

pub async fn run(args: DrillArgs) -> anyhow::Result<ExitCode> {
    let client = DrillClient::new(&args.server, token())?;
    let mut out = std::io::stdout().lock();
    match args.command {
        DrillCommand::Start { name, scope } => {
            let run = client.start(&name, &scope).await?;
            writeln!(
                out,
                "drill {} started at {} (scope: {})",
                run["name"].as_str().unwrap_or(&name),
                millis_to_rfc3339(&run["start_ms"]),
                if scope.is_empty() {
                    "none; alerts naming injected targets count".to_string()
                } else {
                    scope.join(", ")
                }
            )?;
        }
        DrillCommand::End => {
            let run = client.end().await?;
            writeln!(
                out,
                "drill {} ended at {}",
                run["name"].as_str().unwrap_or("?"),
                millis_to_rfc3339(&run["end_ms"])
            )?;
        }
        DrillCommand::Inject {
            kind,
            target,
            note,
            if_index,
        } => {
            let inj = client
                .inject(&kind, &target, note.as_deref(), if_index)
                .await?;
            let effect = &inj["effect"];
            writeln!(
                out,
                "{} recorded at {}: {}",
                inj["id"].as_str().unwrap_or("?"),
                inj["at"].as_str().unwrap_or("?"),
                effect["action"].as_str().unwrap_or("")
            )?;
            if let Some(e) = effect["error"].as_str() {
                writeln!(
                    out,
                    "warning: the injection is recorded but its effect failed: {e}"
                )?;
                return Ok(ExitCode::from(2));
            }
        }
        DrillCommand::Ack { alert_id, by } => {
            let ack = client.ack(&alert_id, &by).await?;
            writeln!(
                out,
                "{} acknowledged by {} at {}",
                ack["resolved_alert_id"].as_str().unwrap_or(&alert_id),
                ack["by"].as_str().unwrap_or("?"),
                ack["at"].as_str().unwrap_or("?")
            )?;
        }
        DrillCommand::Alerts => {
            let alerts = client.current_alerts().await?;
            for a in alerts.as_array().into_iter().flatten() {
                writeln!(
                    out,
                    "{}\t{}\t{}\t{}",
                    millis_to_rfc3339(&a["fired_at_ms"]),
                    a["severity"].as_str().unwrap_or(""),
                    a["alertname"].as_str().unwrap_or(""),
                    a["id"].as_str().unwrap_or("")
                )?;
            }
        }
        DrillCommand::List => {
            let runs = client.list().await?;
            writeln!(out, "NAME\tSTART\tEND\tSCOPE")?;
            for r in runs.as_array().into_iter().flatten() {
                let scope: Vec<&str> = r["scope"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect();
                writeln!(
                    out,
                    "{}\t{}\t{}\t{}",
                    r["name"].as_str().unwrap_or(""),
                    millis_to_rfc3339(&r["start_ms"]),
                    if r["end_ms"].is_null() {
                        "open".to_string()
                    } else {
                        millis_to_rfc3339(&r["end_ms"])
                    },
                    scope.join(",")
                )?;
            }
        }
        DrillCommand::Report { name, format } => {
            let f = match format {
                ReportFormat::Json => "json",
                ReportFormat::Md => "md",
                ReportFormat::Html => "html",
            };
            let body = client.report(&name, f).await?;
            out.write_all(body.as_bytes())
                .context("writing the report to stdout")?;
            if !body.ends_with('\n') {
                writeln!(out)?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
