//! The daemon's configuration file (TOML). Parsed strictly (`deny_unknown_fields`), then
//! validated as a whole: a bad file is refused at start with its path, line or key, and the
//! reason, and nothing of it is applied.

use netops_collector::config::{
    AuthConfig, ConfigIssue, PollTarget, SnmpDefaults, TargetConfig, resolve_auths, resolve_targets,
};
use netops_collector::sink::influx::InfluxConfig;
use netops_collector::sink::prometheus::PrometheusConfig;
use netops_collector::snmp::Credentials;
use netops_core::Secret;
use netops_probes::blackbox::BlackboxModule;
use netops_probes::config::{ProbeDefaults, ProbePlan, ProbeTargetConfig, resolve_probe_targets};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

pub const DEFAULT_LISTEN: &str = "127.0.0.1:9464";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    #[serde(default)]
    pub server: ServerConfig,
    #[serde(default)]
    pub snmp: SnmpDefaults,
    #[serde(default)]
    pub auths: BTreeMap<String, AuthConfig>,
    #[serde(default)]
    pub targets: Vec<TargetConfig>,
    #[serde(default)]
    pub sinks: SinksConfig,
    #[serde(default)]
    pub probes: ProbeDefaults,
    #[serde(default)]
    pub probe_targets: Vec<ProbeTargetConfig>,
    #[serde(default)]
    pub blackbox_modules: BTreeMap<String, BlackboxModule>,
    pub traps: Option<TrapsConfig>,
    pub inventory: Option<InventoryConfig>,
    pub alerting: Option<AlertingConfig>,
    pub drills: Option<DrillsConfig>,
}

/// `[drills]`: the security team's drill API (needs `[alerting]`, whose database it shares).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DrillsConfig {
    /// Tokens (`roles = ["security"]` may write) and whether reads need one.
    #[serde(default)]
    pub api: netops_alerting::drill::auth::DrillAuthConfig,
    /// Traps per `auth-failure-burst` injection.
    #[serde(default = "default_burst")]
    pub auth_failure_count: u32,
}

fn default_burst() -> u32 {
    10
}

/// `[inventory]`: the 5G site inventory served by the daemon (reports, REST API, gauges),
/// and its on-air sites probed.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InventoryConfig {
    /// `sqlite://netops.db` (default) or `postgres://…`.
    #[serde(default = "default_db")]
    pub db: String,
    /// Probe every on-air/accepted site that has a `mgmt_ip` (ICMP), as
    /// `netops_site_probe_success{site_id,town}`.
    #[serde(default)]
    pub probe_sites: bool,
    /// Who may write through the REST API (`planner` role) and read it.
    #[serde(default)]
    pub api: netops_inventory::api::ApiAuthConfig,
}

/// `[alerting]`: Prometheus-format rules evaluated over what the daemon collects.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertingConfig {
    /// Rule files or directories of them.
    pub rules: Vec<PathBuf>,
    /// Alert state store: `sqlite://netops.db` (default, shared with the inventory) or `postgres://…`.
    #[serde(default = "default_db")]
    pub db: String,
    /// Alertmanager base URL (alerts are POSTed to `/api/v2/alerts`).
    pub alertmanager_url: Option<String>,
    /// Generic JSON webhook (may carry a token: never logged).
    pub webhook_url: Option<Secret>,
    /// Base of each alert's `generatorURL` (default: the daemon's own address).
    pub external_url: Option<String>,
    /// How often a firing alert is sent again.
    #[serde(default = "default_resend")]
    pub resend_delay_seconds: f64,
}

fn default_db() -> String {
    "sqlite://netops.db".to_string()
}

fn default_resend() -> f64 {
    60.0
}

/// `[traps]`: the SNMP trap/inform listener.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrapsConfig {
    /// UDP address, e.g. "0.0.0.0:162" (needs root or CAP_NET_BIND_SERVICE below 1024).
    pub listen: String,
    /// Accepted v1/v2c communities; empty accepts any (and says so in the log).
    #[serde(default)]
    pub communities: Vec<Secret>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Address of the HTTP server (`/metrics`, `/snmp`, ...).
    pub listen: String,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: DEFAULT_LISTEN.to_string(),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SinksConfig {
    pub influxdb: Option<InfluxConfig>,
    pub prometheus: Option<PrometheusConfig>,
}

/// A validated configuration.
#[derive(Debug)]
pub struct Config {
    pub listen: SocketAddr,
    pub snmp: SnmpDefaults,
    pub auths: BTreeMap<String, Credentials>,
    pub targets: Vec<PollTarget>,
    pub influxdb: Option<InfluxConfig>,
    pub prometheus: PrometheusConfig,
    pub probe_targets: Vec<ProbePlan>,
    pub blackbox_modules: BTreeMap<String, BlackboxModule>,
    /// Trap listener address and accepted communities.
    pub traps: Option<(SocketAddr, Vec<String>)>,
    pub inventory: Option<InventoryConfig>,
    pub alerting: Option<AlertingConfig>,
    pub drills: Option<DrillsConfig>,
    pub probe_defaults: ProbeDefaults,
}

/// Everything wrong with a config file, one problem per line, each starting with the file.
#[derive(Debug, thiserror::Error)]
#[error("{}", .0.join("\n"))]
pub struct ConfigError(pub Vec<String>);

impl Config {
    /// The configuration when no file is given: no targets, default listen address.
    pub fn empty() -> Self {
        Self::validate(None, ConfigFile::default()).expect("the empty configuration is valid")
    }

    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError(vec![format!("{shown}: cannot read: {e}")]))?;
        let file: ConfigFile = toml::from_str(&text).map_err(|e| {
            let position = e
                .span()
                .map(|span| line_col(&text, span.start))
                .map(|(l, c)| format!(":{l}:{c}"))
                .unwrap_or_default();
            ConfigError(vec![format!("{shown}{position}: {}", e.message().trim())])
        })?;
        Self::validate(Some(path), file)
    }

    fn validate(path: Option<&Path>, file: ConfigFile) -> Result<Self, ConfigError> {
        let shown = path.map_or_else(
            || "(built-in defaults)".to_string(),
            |p| p.display().to_string(),
        );
        let mut issues: Vec<ConfigIssue> = Vec::new();
        let listen = file
            .server
            .listen
            .parse::<SocketAddr>()
            .map_err(|_| {
                issues.push(ConfigIssue {
                    key: "server.listen".into(),
                    reason: format!(
                        "{:?} is not an address:port like 127.0.0.1:9464",
                        file.server.listen
                    ),
                })
            })
            .ok();
        let auths = resolve_auths(&file.auths)
            .map_err(|e| issues.extend(e))
            .ok();
        let targets = match &auths {
            Some(auths) => resolve_targets(&file.snmp, auths, &file.targets)
                .map_err(|e| issues.extend(e))
                .ok(),
            None => None,
        };
        if let Some(influx) = &file.sinks.influxdb
            && let Err(e) = influx.validate()
        {
            issues.push(ConfigIssue {
                key: "sinks.influxdb".into(),
                reason: e.to_string(),
            });
        }
        let probe_targets = resolve_probe_targets(&file.probes, &file.probe_targets)
            .map_err(|e| {
                issues.extend(e.into_iter().map(|i| ConfigIssue {
                    key: i.key,
                    reason: i.reason,
                }))
            })
            .unwrap_or_default();
        for (name, module) in &file.blackbox_modules {
            if !(module.timeout_seconds.is_finite() && module.timeout_seconds > 0.0) {
                issues.push(ConfigIssue {
                    key: format!("blackbox_modules.{name}.timeout_seconds"),
                    reason: "must be more than 0".into(),
                });
            }
        }
        let traps = match &file.traps {
            None => None,
            Some(t) => match t.listen.parse::<SocketAddr>() {
                Ok(addr) => Some((
                    addr,
                    t.communities
                        .iter()
                        .map(|c| c.expose().to_string())
                        .collect(),
                )),
                Err(_) => {
                    issues.push(ConfigIssue {
                        key: "traps.listen".into(),
                        reason: format!("{:?} is not an address:port like 0.0.0.0:162", t.listen),
                    });
                    None
                }
            },
        };
        if let Some(a) = &file.alerting {
            if a.rules.is_empty() {
                issues.push(ConfigIssue {
                    key: "alerting.rules".into(),
                    reason: "list at least one rule file or directory".into(),
                });
            }
            if !(a.resend_delay_seconds.is_finite() && a.resend_delay_seconds > 0.0) {
                issues.push(ConfigIssue {
                    key: "alerting.resend_delay_seconds".into(),
                    reason: "must be more than 0".into(),
                });
            }
        }
        if file.drills.is_some() && file.alerting.is_none() {
            issues.push(ConfigIssue {
                key: "drills".into(),
                reason: "needs an [alerting] section (drills are scored from its alerts)".into(),
            });
        }
        let prometheus = file.sinks.prometheus.unwrap_or_default();
        if let Err(e) = prometheus.validate() {
            issues.push(ConfigIssue {
                key: "sinks.prometheus".into(),
                reason: e.to_string(),
            });
        }
        match (listen, auths, targets) {
            (Some(listen), Some(auths), Some(targets)) if issues.is_empty() => Ok(Self {
                listen,
                snmp: file.snmp,
                auths,
                targets,
                influxdb: file.sinks.influxdb,
                prometheus,
                probe_targets,
                blackbox_modules: netops_probes::config::blackbox_modules(&file.blackbox_modules),
                traps,
                inventory: file.inventory,
                alerting: file.alerting,
                drills: file.drills,
                probe_defaults: file.probes,
            }),
            _ => Err(ConfigError(
                issues.iter().map(|i| format!("{shown}: {i}")).collect(),
            )),
        }
    }
}

/// 1-based line and column of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}
