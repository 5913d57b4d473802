//! On-demand polls for a snmp_exporter-compatible `/snmp?target=&module=&auth=` endpoint, so
//! a Prometheus scrape config written for snmp_exporter works unchanged. As there, the
//! default auth is SNMPv2c community `public`, `module` may list several modules separated
//! by commas, and a target that fails is reported in the answer (never a failed scrape).

use crate::config::{DEFAULT_AUTH, resolve_auths};
use crate::modules::{self, ModuleDef};
use crate::poll::poll_modules;
use crate::snmp::{AgentAddress, Credentials, RequestOptions, Session, SnmpEngine};
use netops_core::{Labels, Sample};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

/// A request the endpoint cannot serve: HTTP 400 with this text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BadScrapeRequest(pub String);

/// Sessions kept for reuse (an SNMPv3 session holds the agent's engine ID and time).
const MAX_CACHED_SESSIONS: usize = 10_000;

pub struct SnmpExporter {
    engine: SnmpEngine,
    auths: BTreeMap<String, Credentials>,
    options: RequestOptions,
    sessions: Mutex<HashMap<(String, String), Arc<Session>>>,
}

impl std::fmt::Debug for SnmpExporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SnmpExporter")
            .field("auths", &self.auths.keys())
            .finish_non_exhaustive()
    }
}

impl SnmpExporter {
    /// `auths` are the configured credentials (the built-in `public_v2` is always there).
    pub fn new(
        engine: SnmpEngine,
        auths: BTreeMap<String, Credentials>,
        options: RequestOptions,
    ) -> Self {
        let mut auths = auths;
        if let Ok(defaults) = resolve_auths(&BTreeMap::new()) {
            for (k, v) in defaults {
                auths.entry(k).or_insert(v);
            }
        }
        Self {
            engine,
            auths,
            options,
            sessions: Mutex::new(HashMap::new()),
        }
    }

    /// Polls `target` with the named modules. Samples carry no `target` label (Prometheus
    /// sets `instance` by relabelling, as for snmp_exporter).
    pub async fn scrape(
        &self,
        target: Option<&str>,
        module: Option<&str>,
        auth: Option<&str>,
    ) -> Result<Vec<Sample>, BadScrapeRequest> {
        let target = target
            .filter(|t| !t.is_empty())
            .ok_or_else(|| BadScrapeRequest("'target' parameter must be specified".into()))?;
        let address =
            AgentAddress::parse(target).map_err(|e| BadScrapeRequest(format!("'target': {e}")))?;
        let module_names = module.filter(|m| !m.is_empty()).unwrap_or("if_mib");
        let mut defs: Vec<&'static ModuleDef> = Vec::new();
        for name in module_names.split(',').map(str::trim) {
            let def = modules::builtin(name).ok_or_else(|| {
                BadScrapeRequest(format!(
                    "Unknown module '{name}' (known: {})",
                    modules::builtin_names().join(", ")
                ))
            })?;
            defs.push(def);
        }
        let auth_name = auth.filter(|a| !a.is_empty()).unwrap_or(DEFAULT_AUTH);
        let credentials = self
            .auths
            .get(auth_name)
            .ok_or_else(|| BadScrapeRequest(format!("Unknown auth '{auth_name}'")))?;

        let time = SystemTime::now();
        let module_label = module_names.to_string();
        let key = (target.to_string(), auth_name.to_string());
        let cached = self.sessions.lock().ok().and_then(|s| s.get(&key).cloned());
        let session = match cached {
            Some(s) => Ok(s),
            None => self
                .engine
                .session(&address, credentials, self.options)
                .await
                .map(Arc::new),
        };
        let labels = Labels::new().with("module", module_label);
        let mut samples = match session {
            Ok(session) => {
                if let Ok(mut cache) = self.sessions.lock() {
                    if cache.len() >= MAX_CACHED_SESSIONS {
                        cache.clear();
                    }
                    cache.insert(key, session.clone());
                }
                let outcome = poll_modules(
                    session.as_ref(),
                    &defs,
                    &Labels::new(),
                    self.options.max_repetitions,
                    None,
                )
                .await;
                let mut samples = outcome.samples;
                samples.push(Sample::gauge(
                    "snmp_scrape_duration_seconds",
                    labels.clone(),
                    outcome.duration.as_secs_f64(),
                    time,
                ));
                samples.push(Sample::gauge(
                    "snmp_scrape_pdus_returned",
                    labels.clone(),
                    outcome.varbinds as f64,
                    time,
                ));
                samples.push(scrape_error(
                    &labels,
                    outcome.error.as_ref().map(|e| e.reason()),
                    time,
                ));
                if let Some(e) = outcome.error {
                    tracing::warn!(target, error = %e, "on-demand SNMP scrape failed");
                }
                samples
            }
            Err(e) => {
                tracing::warn!(target, error = %e, "on-demand SNMP scrape failed");
                vec![scrape_error(&labels, Some(e.reason()), time)]
            }
        };
        samples.retain(|s| s.value.is_finite());
        Ok(samples)
    }
}

/// `netops_scrape_error{reason}`: 1 when the scrape failed (the reason names why), else 0.
fn scrape_error(labels: &Labels, reason: Option<&str>, time: SystemTime) -> Sample {
    Sample::gauge(
        "netops_scrape_error",
        labels.clone().with("reason", reason.unwrap_or("")),
        if reason.is_some() { 1.0 } else { 0.0 },
        time,
    )
}
