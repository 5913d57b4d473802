//! Configuration of SNMP polling: defaults, named credentials (`auths`), and targets. Parsed
//! with serde (`deny_unknown_fields`), then validated into [`PollTarget`]s; every problem
//! names its key (`targets[2].auth`) so the binary can print `FILE: KEY: reason`.

use crate::modules::{self, ModuleDef};
use crate::snmp::{
    AgentAddress, AuthProtocol, Credentials, PrivProtocol, RequestOptions, SecurityLevel, UsmUser,
    Version,
};
use netops_core::Secret;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::time::Duration;

/// `[snmp]`: defaults for every target.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SnmpDefaults {
    pub interval_seconds: f64,
    pub timeout_seconds: f64,
    pub retries: u32,
    pub max_repetitions: u32,
    /// Polls running at once, over all targets.
    pub concurrency: usize,
}

impl Default for SnmpDefaults {
    fn default() -> Self {
        Self {
            interval_seconds: 60.0,
            timeout_seconds: 5.0,
            retries: 2,
            max_repetitions: 25,
            concurrency: 256,
        }
    }
}

/// `[auths.NAME]`: one set of credentials, referred to by targets (and by `/snmp?auth=`).
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthConfig {
    /// "1", "2c" or "3".
    pub version: String,
    pub community: Option<Secret>,
    pub username: Option<String>,
    /// noAuthNoPriv, authNoPriv or authPriv.
    pub security_level: Option<String>,
    pub auth_protocol: Option<String>,
    pub auth_password: Option<Secret>,
    pub priv_protocol: Option<String>,
    pub priv_password: Option<Secret>,
    #[serde(default)]
    pub context_name: String,
}

impl std::fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthConfig")
            .field("version", &self.version)
            .field("username", &self.username)
            .field("security_level", &self.security_level)
            .finish_non_exhaustive()
    }
}

/// `[[targets]]`: one agent, or one per address of a range.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetConfig {
    pub name: String,
    /// `host`, `host:port`, `[v6]:port`.
    pub address: Option<String>,
    /// A range in CIDR form (`10.1.0.0/28`, `2001:db8::/124`): one target per host address,
    /// named `NAME-ADDRESS`.
    pub addresses: Option<String>,
    /// Port for `addresses` (default 161).
    pub port: Option<u16>,
    /// Name of an `[auths.*]` entry; default `public_v2` (SNMPv2c, community `public`).
    pub auth: Option<String>,
    #[serde(default = "default_modules")]
    pub modules: Vec<String>,
    pub interval_seconds: Option<f64>,
    pub timeout_seconds: Option<f64>,
    /// Extra labels on every series of this target.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
}

fn default_modules() -> Vec<String> {
    vec!["if_mib".to_string()]
}

/// A problem in the configuration: the key (`targets[2].auth`) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigIssue {
    pub key: String,
    pub reason: String,
}

impl std::fmt::Display for ConfigIssue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.key, self.reason)
    }
}

/// A target ready to poll.
#[derive(Debug, Clone)]
pub struct PollTarget {
    pub name: String,
    pub address: AgentAddress,
    pub credentials: Credentials,
    pub options: RequestOptions,
    pub interval: Duration,
    pub modules: Vec<&'static ModuleDef>,
    pub labels: BTreeMap<String, String>,
}

/// The built-in default: SNMPv2c with community `public`, as snmp_exporter's default auth.
pub const DEFAULT_AUTH: &str = "public_v2";

/// Largest `addresses` range accepted: a typo like /8 must not create 16 million targets.
pub const MAX_RANGE_HOSTS: u128 = 65_536;

/// Turns `[auths]` into credentials, checking each one.
pub fn resolve_auths(
    auths: &BTreeMap<String, AuthConfig>,
) -> Result<BTreeMap<String, Credentials>, Vec<ConfigIssue>> {
    let mut out = BTreeMap::new();
    out.insert(DEFAULT_AUTH.to_string(), Credentials::v2c("public"));
    let mut issues = Vec::new();
    for (name, a) in auths {
        match credentials(a) {
            Ok(c) => {
                out.insert(name.clone(), c);
            }
            Err((field, reason)) => issues.push(ConfigIssue {
                key: format!(
                    "auths.{name}{}",
                    field.map(|f| format!(".{f}")).unwrap_or_default()
                ),
                reason,
            }),
        }
    }
    if issues.is_empty() {
        Ok(out)
    } else {
        Err(issues)
    }
}

type FieldError = (Option<&'static str>, String);

fn credentials(a: &AuthConfig) -> Result<Credentials, FieldError> {
    let version: Version = a.version.parse().map_err(|e| (Some("version"), e))?;
    let creds = match version {
        Version::V1 | Version::V2c => {
            let community = a.community.clone().ok_or((
                Some("community"),
                "required for SNMP v1 and v2c".to_string(),
            ))?;
            for (field, set) in [
                ("username", a.username.is_some()),
                ("auth_password", a.auth_password.is_some()),
            ] {
                if set {
                    return Err((Some(field), "only for SNMP version 3".into()));
                }
            }
            Credentials::Community { version, community }
        }
        Version::V3 => {
            if a.community.is_some() {
                return Err((
                    Some("community"),
                    "SNMPv3 has no community; use username".into(),
                ));
            }
            let name = a
                .username
                .clone()
                .ok_or((Some("username"), "required for SNMP version 3".to_string()))?;
            let level: SecurityLevel = match &a.security_level {
                Some(l) => l.parse().map_err(|e| (Some("security_level"), e))?,
                None => match (&a.auth_password, &a.priv_password) {
                    (Some(_), Some(_)) => SecurityLevel::AuthPriv,
                    (Some(_), None) => SecurityLevel::AuthNoPriv,
                    _ => SecurityLevel::NoAuthNoPriv,
                },
            };
            let auth_protocol: AuthProtocol = a
                .auth_protocol
                .as_deref()
                .unwrap_or("SHA")
                .parse()
                .map_err(|e| (Some("auth_protocol"), e))?;
            let priv_protocol: PrivProtocol = a
                .priv_protocol
                .as_deref()
                .unwrap_or("AES")
                .parse()
                .map_err(|e| (Some("priv_protocol"), e))?;
            let user = UsmUser {
                name,
                level,
                auth: a.auth_password.clone().map(|p| (auth_protocol, p)),
                privacy: a.priv_password.clone().map(|p| (priv_protocol, p)),
                context: a.context_name.clone(),
            };
            let creds = Credentials::Usm(user);
            creds.validate().map_err(|reason| {
                // The same checks serve the CLI, whose messages name its flags.
                let reason = reason
                    .replace(" (-X)", "")
                    .replace(" (-A)", "")
                    .replace(" (-u)", "");
                let field = if reason.contains("privacy") {
                    "priv_password"
                } else if reason.contains("authentication") {
                    "auth_password"
                } else {
                    "security_level"
                };
                (Some(field), reason)
            })?;
            creds
        }
    };
    Ok(creds)
}

fn seconds(key: String, v: f64) -> Result<Duration, ConfigIssue> {
    if v.is_finite() && v > 0.0 && v <= 86_400.0 {
        Ok(Duration::from_secs_f64(v))
    } else {
        Err(ConfigIssue {
            key,
            reason: format!("must be a number of seconds between 0 and 86400, got {v}"),
        })
    }
}

/// Validates `[snmp]` and `[[targets]]` and expands address ranges. Reports every problem,
/// not just the first.
pub fn resolve_targets(
    defaults: &SnmpDefaults,
    auths: &BTreeMap<String, Credentials>,
    targets: &[TargetConfig],
) -> Result<Vec<PollTarget>, Vec<ConfigIssue>> {
    let mut issues = Vec::new();
    let default_interval = seconds("snmp.interval_seconds".into(), defaults.interval_seconds)
        .map_err(|e| issues.push(e))
        .ok();
    let default_timeout = seconds("snmp.timeout_seconds".into(), defaults.timeout_seconds)
        .map_err(|e| issues.push(e))
        .ok();
    if defaults.max_repetitions == 0 {
        issues.push(ConfigIssue {
            key: "snmp.max_repetitions".into(),
            reason: "must be at least 1".into(),
        });
    }
    if defaults.concurrency == 0 {
        issues.push(ConfigIssue {
            key: "snmp.concurrency".into(),
            reason: "must be at least 1".into(),
        });
    }
    let mut out = Vec::new();
    let mut names = std::collections::HashSet::new();
    for (i, t) in targets.iter().enumerate() {
        let key = |field: &str| format!("targets[{i}].{field}");
        let before = issues.len();
        if t.name.trim().is_empty() {
            issues.push(ConfigIssue {
                key: key("name"),
                reason: "must not be empty".into(),
            });
        }
        let auth_name = t.auth.as_deref().unwrap_or(DEFAULT_AUTH);
        let credentials = auths.get(auth_name).cloned();
        if credentials.is_none() {
            issues.push(ConfigIssue {
                key: key("auth"),
                reason: format!("no [auths.{auth_name}] defined"),
            });
        }
        let mut module_defs = Vec::new();
        if t.modules.is_empty() {
            issues.push(ConfigIssue {
                key: key("modules"),
                reason: "list at least one module".into(),
            });
        }
        for (j, m) in t.modules.iter().enumerate() {
            match modules::builtin(m) {
                Some(def) => module_defs.push(def),
                None => issues.push(ConfigIssue {
                    key: format!("targets[{i}].modules[{j}]"),
                    reason: format!(
                        "unknown module {m:?} (known: {})",
                        modules::builtin_names().join(", ")
                    ),
                }),
            }
        }
        let interval = match t.interval_seconds {
            Some(v) => seconds(key("interval_seconds"), v)
                .map_err(|e| issues.push(e))
                .ok(),
            None => default_interval,
        };
        let timeout = match t.timeout_seconds {
            Some(v) => seconds(key("timeout_seconds"), v)
                .map_err(|e| issues.push(e))
                .ok(),
            None => default_timeout,
        };
        for label in t.labels.keys() {
            let valid = label
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !label.starts_with("__");
            if !valid || label == "target" {
                issues.push(ConfigIssue {
                    key: format!("targets[{i}].labels.{label}"),
                    reason: "not a valid Prometheus label name (or reserved: target)".into(),
                });
            }
        }
        let addresses: Vec<(String, AgentAddress)> = match (&t.address, &t.addresses) {
            (Some(a), None) => match AgentAddress::parse(a) {
                Ok(addr) => vec![(t.name.clone(), addr)],
                Err(e) => {
                    issues.push(ConfigIssue {
                        key: key("address"),
                        reason: e,
                    });
                    vec![]
                }
            },
            (None, Some(range)) => {
                match expand_range(range, t.port.unwrap_or(crate::snmp::DEFAULT_PORT)) {
                    Ok(list) => list
                        .into_iter()
                        .map(|addr| (format!("{}-{}", t.name, addr.host), addr))
                        .collect(),
                    Err(reason) => {
                        issues.push(ConfigIssue {
                            key: key("addresses"),
                            reason,
                        });
                        vec![]
                    }
                }
            }
            (Some(_), Some(_)) => {
                issues.push(ConfigIssue {
                    key: key("address"),
                    reason: "give either address or addresses, not both".into(),
                });
                vec![]
            }
            (None, None) => {
                issues.push(ConfigIssue {
                    key: key("address"),
                    reason: "missing (or give addresses = \"CIDR\")".into(),
                });
                vec![]
            }
        };
        if issues.len() > before {
            continue;
        }
        let (Some(credentials), Some(interval), Some(timeout)) = (credentials, interval, timeout)
        else {
            continue;
        };
        for (name, address) in addresses {
            if !names.insert(name.clone()) {
                issues.push(ConfigIssue {
                    key: key("name"),
                    reason: format!("duplicate target name {name:?}"),
                });
                continue;
            }
            out.push(PollTarget {
                name,
                address,
                credentials: credentials.clone(),
                options: RequestOptions {
                    timeout,
                    retries: defaults.retries,
                    max_repetitions: defaults.max_repetitions,
                },
                interval,
                modules: module_defs.clone(),
                labels: t.labels.clone(),
            });
        }
    }
    if issues.is_empty() {
        Ok(out)
    } else {
        Err(issues)
    }
}

fn expand_range(range: &str, port: u16) -> Result<Vec<AgentAddress>, String> {
    let net: ipnet::IpNet = range
        .parse()
        .map_err(|_| format!("{range:?} is not a CIDR range like 10.0.0.0/28 or 2001:db8::/124"))?;
    let size: u128 = match net {
        ipnet::IpNet::V4(n) => 1u128 << (32 - n.prefix_len()),
        ipnet::IpNet::V6(n) => 1u128
            .checked_shl(u32::from(128 - n.prefix_len()))
            .unwrap_or(u128::MAX),
    };
    if size > MAX_RANGE_HOSTS {
        return Err(format!(
            "{range} has {size} addresses; at most {MAX_RANGE_HOSTS} per entry"
        ));
    }
    Ok(net
        .hosts()
        .map(|ip| AgentAddress {
            host: ip.to_string(),
            port,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(toml_text: &str) -> Vec<TargetConfig> {
        #[derive(Deserialize)]
        struct T {
            targets: Vec<TargetConfig>,
        }
        toml::from_str::<T>(toml_text).unwrap().targets
    }

    #[test]
    fn ranges_expand_to_named_hosts() {
        let auths = resolve_auths(&BTreeMap::new()).unwrap();
        let t = resolve_targets(
            &SnmpDefaults::default(),
            &auths,
            &target("[[targets]]\nname = \"kiosk\"\naddresses = \"192.0.2.0/30\"\nport = 1161\n"),
        )
        .unwrap();
        let names: Vec<&str> = t.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["kiosk-192.0.2.1", "kiosk-192.0.2.2"]);
        assert_eq!(t[0].address.port, 1161);
        assert_eq!(t[0].modules[0].name, "if_mib");
    }

    #[test]
    fn every_issue_is_reported_with_its_key() {
        let auths = resolve_auths(&BTreeMap::new()).unwrap();
        let issues = resolve_targets(
            &SnmpDefaults::default(),
            &auths,
            &target(
                "[[targets]]\nname = \"a\"\naddress = \"h\"\nauth = \"nope\"\nmodules = [\"if_mib\", \"bgp\"]\n\
                 [[targets]]\nname = \"b\"\naddresses = \"10.0.0.0/8\"\n",
            ),
        )
        .unwrap_err();
        let text: Vec<String> = issues.iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            [
                "targets[0].auth: no [auths.nope] defined",
                "targets[0].modules[1]: unknown module \"bgp\" (known: system, if_mib, host_resources, ip_mib)",
                "targets[1].addresses: 10.0.0.0/8 has 16777216 addresses; at most 65536 per entry",
            ]
        );
    }
}
