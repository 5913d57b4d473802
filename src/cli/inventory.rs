//! `netops inventory`: import planners' CSV files into the 5G inventory and print the
//! build-progress and blind-spot reports. The work is done by `netops-inventory`; this
//! module parses arguments, opens the store and chooses where output goes.

use anyhow::Context;
use netops_inventory::import::{ImportKind, ImportOptions, import_file};
use netops_inventory::report::DEFAULT_RADIUS_M;
use netops_inventory::{BlindSpotReport, Date, Format, InventoryError, ProgressReport, Store};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// 5G base-station inventory: sites, yearly build targets per town, signal blind spots.
///
/// The store is SQLite by default (the file is created if missing) or PostgreSQL by URL;
/// its schema is migrated on every start.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    netops inventory import sites sites.csv\n  \
    netops inventory --db postgres://netops@127.0.0.1:5432/netops import targets targets.csv\n  \
    netops inventory report progress --year 2023 -o html > progress-2023.html\n  \
    netops inventory report blind-spots --year 2023 --radius-m 300 -o csv")]
pub struct InventoryArgs {
    /// Inventory database: sqlite://PATH (created if missing) or
    /// postgres://USER[:PASSWORD]@HOST:PORT/DB. Accepted before or after the subcommand.
    #[arg(
        long,
        global = true,
        env = "NETOPS_DB",
        default_value = netops_inventory::DEFAULT_URL,
        value_name = "URL",
        hide_env_values = true
    )]
    db: String,

    #[command(subcommand)]
    command: InventoryCommand,
}

#[derive(Debug, clap::Subcommand)]
enum InventoryCommand {
    /// Import a CSV file (UTF-8, header row, columns in any order). Rows are upserted by
    /// id and status changes recorded; a file with any invalid row is refused whole, every
    /// bad row listed as FILE:LINE: field: reason, and nothing is written.
    #[command(after_help = "Header columns, exactly these:\n  \
        sites:       site_id,name,town,operator,lat,lon,status,planned_year,on_air_date,mgmt_ip\n  \
        targets:     town,year,target\n  \
        blind-spots: spot_id,town,lat,lon,category,reported_date,status,resolved_date\n\
        Dates are YYYY-MM-DD; on_air_date, mgmt_ip and resolved_date may be empty.\n\
        Site status: planned, approved, under_construction, powered, on_air, accepted, suspended, decommissioned.\n\
        Blind-spot status: reported, surveyed, scheduled, resolved, verified.\n\
        Blind-spot category: enterprise, residential, transport, public_service, rural.")]
    Import(ImportArgs),
    /// Print a planners' report on stdout (JSON, CSV or a self-contained HTML page).
    Report(ReportArgs),
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum ImportWhat {
    /// 5G sites.
    Sites,
    /// Yearly build targets per town.
    Targets,
    /// Signal blind spots.
    BlindSpots,
}

#[derive(Debug, clap::Args)]
struct ImportArgs {
    /// What the file holds.
    what: ImportWhat,
    /// The CSV file.
    file: PathBuf,
    /// Who is recorded in the status history (default: $USER, else "import").
    #[arg(long, value_name = "NAME")]
    by: Option<String>,
}

#[derive(Debug, clap::Args)]
struct ReportArgs {
    #[command(subcommand)]
    which: ReportKind,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum OutputFormat {
    Json,
    Csv,
    Html,
}

impl From<OutputFormat> for Format {
    fn from(f: OutputFormat) -> Self {
        match f {
            OutputFormat::Json => Format::Json,
            OutputFormat::Csv => Format::Csv,
            OutputFormat::Html => Format::Html,
        }
    }
}

#[derive(Debug, clap::Subcommand)]
enum ReportKind {
    /// Build progress of year Y: per town and in total the target, sites built in Y (on
    /// air or accepted with an on-air date in Y), completion and rank, sites in service
    /// at the end of Y, the pipeline by status, and the monthly cumulative build against
    /// the target pace.
    Progress {
        /// The year to report on.
        #[arg(long, value_name = "Y")]
        year: i32,
        /// Output format (CSV: one row per town and a TOTAL row).
        #[arg(short = 'o', long = "output", value_enum, default_value = "json")]
        output: OutputFormat,
    },
    /// Blind spots by status, category and town; resolved in year Y; ageing of open
    /// spots; and a coverage check: each open spot's nearest on-air site, flagged "likely
    /// fixed — verify on site" when a site came on air within the radius after the report.
    BlindSpots {
        /// The year to report on (default: this year). Past years are reported as of 31
        /// December.
        #[arg(long, value_name = "Y")]
        year: Option<i32>,
        /// Coverage-check radius in metres.
        #[arg(long, value_name = "M", default_value_t = DEFAULT_RADIUS_M)]
        radius_m: f64,
        /// Output format (CSV: one row per open spot with its coverage check).
        #[arg(short = 'o', long = "output", value_enum, default_value = "json")]
        output: OutputFormat,
    },
}

pub async fn run(args: InventoryArgs) -> anyhow::Result<ExitCode> {
    let store = Store::open(&args.db)
        .await
        .context("opening the inventory store")?;
    let code = match args.command {
        InventoryCommand::Import(a) => import(&store, a).await,
        InventoryCommand::Report(r) => report(&store, r.which).await,
    };
    store.close().await;
    code
}

async fn import(store: &Store, args: ImportArgs) -> anyhow::Result<ExitCode> {
    let kind = match args.what {
        ImportWhat::Sites => ImportKind::Sites,
        ImportWhat::Targets => ImportKind::Targets,
        ImportWhat::BlindSpots => ImportKind::BlindSpots,
    };
    let changed_by = args
        .by
        .or_else(|| std::env::var("USER").ok().filter(|u| !u.is_empty()))
        .unwrap_or_else(|| "import".into());
    let options = ImportOptions {
        changed_by,
        progress: true,
    };
    let started = std::time::Instant::now();
    match import_file(store, kind, &args.file, &options).await {
        Ok(s) => {
            eprintln!(
                "{}: {} {} imported ({} new, {} updated, {} status changes) in {:.2} s",
                args.file.display(),
                s.rows,
                kind.noun(),
                s.inserted,
                s.updated,
                s.status_changes,
                started.elapsed().as_secs_f64()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(InventoryError::Refused { file, errors }) => {
            for e in &errors {
                eprintln!("{e}");
            }
            eprintln!(
                "netops: {file} refused: {} invalid {}; nothing was written",
                errors.len(),
                if errors.len() == 1 { "field" } else { "fields" }
            );
            Ok(ExitCode::FAILURE)
        }
        Err(e) => Err(e.into()),
    }
}

async fn report(store: &Store, which: ReportKind) -> anyhow::Result<ExitCode> {
    let text = match which {
        ReportKind::Progress { year, output } => {
            let sites = store.sites().await?;
            let targets = store.targets(Some(year)).await?;
            let r = ProgressReport::compute(year, &sites, &targets);
            render(output.into(), || r.to_json(), || r.to_csv(), || r.to_html())?
        }
        ReportKind::BlindSpots {
            year,
            radius_m,
            output,
        } => {
            anyhow::ensure!(
                radius_m.is_finite() && radius_m >= 0.0,
                "--radius-m {radius_m}: must be a distance in metres, 0 or more"
            );
            let today = Date::today();
            let spots = store.blind_spots().await?;
            let sites = store.sites().await?;
            let r = BlindSpotReport::compute(
                year.unwrap_or(today.year()),
                radius_m,
                today,
                &spots,
                &sites,
            );
            render(output.into(), || r.to_json(), || r.to_csv(), || r.to_html())?
        }
    };
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| {
            if text.ends_with('\n') {
                Ok(())
            } else {
                out.write_all(b"\n")
            }
        })
        .and_then(|()| out.flush())
        .context("writing the report to stdout")?;
    Ok(ExitCode::SUCCESS)
}

fn render(
    format: Format,
    json: impl FnOnce() -> String,
    csv: impl FnOnce() -> netops_inventory::Result<String>,
    html: impl FnOnce() -> String,
) -> anyhow::Result<String> {
    Ok(match format {
        Format::Json => json(),
        Format::Csv => csv()?,
        Format::Html => html(),
    })
}
