//! `netops snmp get|walk`: one-shot queries with net-snmp's flag names, so muscle memory
//! from snmpget/snmpbulkwalk works. Output is net-snmp-like text or one JSON object per
//! varbind per line.

use anyhow::Context;
use netops_collector::snmp::{
    self, AgentAddress, AuthProtocol, Credentials, Oid, PrivProtocol, RequestOptions,
    SecurityLevel, SnmpClient, SnmpValue, UsmUser, VarBind, Version,
};
use netops_core::Secret;
use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    netops snmp get -v 2c -c public 192.0.2.1 1.3.6.1.2.1.1.1.0\n  \
    netops snmp walk -v 3 -u ops -l authPriv -a SHA-512 -A 'auth pass' -x AES-256 -X 'priv pass' '[2001:db8::1]:161' 1.3.6.1.2.1.2\n  \
    netops snmp walk -o json -c public router1:1161 1.3.6.1.2.1.31.1.1.1.6\n\n\
    OIDs are numeric (no MIB files are loaded). Exit status: 0 on success, 1 when the agent\n\
    could not be queried (the reason is printed on one line naming the agent), 2 on bad usage.")]
pub struct SnmpArgs {
    #[command(subcommand)]
    command: SnmpCommand,
}

#[derive(Debug, clap::Subcommand)]
enum SnmpCommand {
    /// GET the given OIDs in one request (like snmpget).
    Get(QueryArgs),
    /// Walk each OID's subtree: GETBULK on v2c/v3, GETNEXT on v1 (like snmpbulkwalk/snmpwalk).
    Walk(QueryArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum OutputFormat {
    /// `OID = TYPE: value`, as net-snmp prints with -On.
    Text,
    /// One object per varbind per line: {"oid","type","value"} (+ "hex" for strings).
    Json,
}

/// The agent's credentials, with net-snmp's flag names. Shared by every command that
/// talks to one agent (`netops snmp`, `netops sim record`).
#[derive(Debug, clap::Args)]
pub struct AgentAuthArgs {
    /// SNMP version: 1, 2c or 3.
    #[arg(short = 'v', long = "snmp-version", default_value = "2c", value_parser = parse_version)]
    snmp_version: Version,

    /// Community string (v1, v2c).
    #[arg(
        short = 'c',
        long = "community",
        default_value = "public",
        hide_default_value = true
    )]
    community: String,

    /// SNMPv3 user name.
    #[arg(short = 'u', long = "user")]
    user: Option<String>,

    /// SNMPv3 security level: noAuthNoPriv, authNoPriv or authPriv (default: the highest
    /// the given passphrases allow).
    #[arg(short = 'l', long = "level", value_parser = parse_level)]
    level: Option<SecurityLevel>,

    /// Authentication protocol: MD5, SHA, SHA224, SHA256, SHA384, SHA512 (`SHA-512` works too).
    #[arg(short = 'a', long = "auth-protocol", default_value = "SHA", value_parser = parse_auth)]
    auth_protocol: AuthProtocol,

    /// Authentication passphrase (at least 8 characters).
    #[arg(short = 'A', long = "auth-pass", hide_env_values = true)]
    auth_pass: Option<String>,

    /// Privacy protocol: DES, AES (=AES128), AES192, AES256 (`AES-256` works too).
    #[arg(short = 'x', long = "priv-protocol", default_value = "AES", value_parser = parse_priv)]
    priv_protocol: PrivProtocol,

    /// Privacy passphrase (at least 8 characters).
    #[arg(short = 'X', long = "priv-pass")]
    priv_pass: Option<String>,

    /// SNMPv3 context name.
    #[arg(short = 'n', long = "context", default_value = "")]
    context: String,
}

#[derive(Debug, clap::Args)]
struct QueryArgs {
    #[command(flatten)]
    auth: AgentAuthArgs,

    /// Seconds to wait for each attempt.
    #[arg(short = 't', long = "timeout", default_value_t = 1.0)]
    timeout: f64,

    /// Retries after a timeout.
    #[arg(short = 'r', long = "retries", default_value_t = 5)]
    retries: u32,

    /// Varbinds asked per GETBULK during a walk.
    #[arg(long = "max-repetitions", default_value_t = 10)]
    max_repetitions: u32,

    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = OutputFormat::Text)]
    output: OutputFormat,

    /// The agent: host, host:port, 192.0.2.1, [2001:db8::1]:161 (port 161 by default).
    #[arg(value_name = "TARGET")]
    target: String,

    /// Numeric OIDs, e.g. 1.3.6.1.2.1.1 (walk defaults to 1.3.6.1.2.1, the MIB-2 tree).
    #[arg(value_name = "OID")]
    oids: Vec<String>,
}

fn parse_version(s: &str) -> Result<Version, String> {
    s.parse()
}
fn parse_level(s: &str) -> Result<SecurityLevel, String> {
    s.parse()
}
fn parse_auth(s: &str) -> Result<AuthProtocol, String> {
    s.parse()
}
fn parse_priv(s: &str) -> Result<PrivProtocol, String> {
    s.parse()
}

impl AgentAuthArgs {
    /// The credentials the flags describe (v3: the level defaults to what the passphrases allow).
    pub fn credentials(&self) -> anyhow::Result<Credentials> {
        Ok(match self.snmp_version {
            Version::V1 | Version::V2c => Credentials::Community {
                version: self.snmp_version,
                community: Secret::new(self.community.clone()),
            },
            Version::V3 => {
                let name = self
                    .user
                    .clone()
                    .context("SNMPv3 needs a user name: add -u USER")?;
                let level = self
                    .level
                    .unwrap_or(match (&self.auth_pass, &self.priv_pass) {
                        (Some(_), Some(_)) => SecurityLevel::AuthPriv,
                        (Some(_), None) => SecurityLevel::AuthNoPriv,
                        _ => SecurityLevel::NoAuthNoPriv,
                    });
                Credentials::Usm(UsmUser {
                    name,
                    level,
                    auth: self
                        .auth_pass
                        .as_ref()
                        .map(|p| (self.auth_protocol, Secret::new(p.clone()))),
                    privacy: self
                        .priv_pass
                        .as_ref()
                        .map(|p| (self.priv_protocol, Secret::new(p.clone()))),
                    context: self.context.clone(),
                })
            }
        })
    }
}

impl QueryArgs {
    fn options(&self) -> anyhow::Result<RequestOptions> {
        anyhow::ensure!(
            self.timeout.is_finite() && self.timeout > 0.0 && self.timeout <= 3600.0,
            "-t/--timeout must be between 0 and 3600 seconds, got {}",
            self.timeout
        );
        anyhow::ensure!(
            self.max_repetitions > 0,
            "--max-repetitions must be at least 1"
        );
        Ok(RequestOptions {
            timeout: Duration::from_secs_f64(self.timeout),
            retries: self.retries,
            max_repetitions: self.max_repetitions,
        })
    }
}

pub async fn run(args: SnmpArgs) -> anyhow::Result<ExitCode> {
    let (walking, query) = match args.command {
        SnmpCommand::Get(q) => (false, q),
        SnmpCommand::Walk(q) => (true, q),
    };
    let address = AgentAddress::parse(&query.target).map_err(anyhow::Error::msg)?;
    let mut oids: Vec<Oid> = query
        .oids
        .iter()
        .map(|s| s.parse::<Oid>())
        .collect::<Result<_, _>>()?;
    if oids.is_empty() {
        anyhow::ensure!(walking, "get needs at least one OID");
        oids.push("1.3.6.1.2.1".parse()?);
    }
    let credentials = query.auth.credentials()?;
    let options = query.options()?;

    let session = match snmp::dedicated_session(&address, &credentials, options).await {
        Ok(s) => s,
        Err(e) => return Ok(fail(&e)),
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    if walking {
        for root in &oids {
            match snmp::walk(&session, root, options.max_repetitions).await {
                Ok(varbinds) => print_varbinds(&mut out, &varbinds, query.output)?,
                Err(e) => {
                    out.flush()?;
                    return Ok(fail(&e));
                }
            }
        }
    } else {
        match session.get(&oids).await {
            Ok(varbinds) => print_varbinds(&mut out, &varbinds, query.output)?,
            Err(e) => return Ok(fail(&e)),
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn fail(e: &snmp::SnmpError) -> ExitCode {
    eprintln!("netops snmp: {e}");
    ExitCode::FAILURE
}

fn print_varbinds(
    out: &mut impl Write,
    varbinds: &[VarBind],
    format: OutputFormat,
) -> std::io::Result<()> {
    for vb in varbinds {
        match format {
            OutputFormat::Json => writeln!(out, "{}", vb.to_json())?,
            OutputFormat::Text => writeln!(out, "{}", text_line(vb))?,
        }
    }
    Ok(())
}

/// net-snmp's `-On` layout: `.1.3.6.1.2.1.1.5.0 = STRING: "router1"`.
fn text_line(vb: &VarBind) -> String {
    let oid = &vb.oid;
    let v = &vb.value;
    match v {
        SnmpValue::Integer(_) => format!(".{oid} = INTEGER: {v}"),
        SnmpValue::OctetString(b) => match SnmpValue::printable_text(b) {
            Some(_) => format!(".{oid} = STRING: {v}"),
            None => format!(".{oid} = Hex-STRING: {v}"),
        },
        SnmpValue::Null => format!(".{oid} = NULL"),
        SnmpValue::ObjectId(_) => format!(".{oid} = OID: .{v}"),
        SnmpValue::IpAddress(_) => format!(".{oid} = IpAddress: {v}"),
        SnmpValue::Counter32(_) => format!(".{oid} = Counter32: {v}"),
        SnmpValue::Gauge32(_) => format!(".{oid} = Gauge32: {v}"),
        SnmpValue::TimeTicks(_) => format!(".{oid} = Timeticks: ({v})"),
        SnmpValue::Opaque(_) => format!(".{oid} = Opaque: {v}"),
        SnmpValue::Counter64(_) => format!(".{oid} = Counter64: {v}"),
        SnmpValue::NoSuchObject | SnmpValue::NoSuchInstance | SnmpValue::EndOfMibView => {
            format!(".{oid} = {v}")
        }
    }
}
