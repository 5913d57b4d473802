//! The daemon's SNMP poll of one target as a scheduler [`Job`]: keeps the target's session
//! and counter state between polls, and hands every poll's samples, with the poll's own
//! health series, to the sinks.

use crate::config::PollTarget;
use crate::counters::{Continuity, CounterTracker};
use crate::poll::poll_modules;
use crate::snmp::{Session, SnmpEngine};
use netops_core::scheduler::{Job, JobFuture};
use netops_core::{Labels, Sample, Sink};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio::sync::Mutex;

#[derive(Debug, Default)]
struct JobState {
    session: Option<Arc<Session>>,
    counters: CounterTracker,
    /// Cumulative errors by reason, for `netops_poll_errors_total`.
    errors: BTreeMap<&'static str, u64>,
    reboots: u64,
}

pub struct PollJob {
    target: PollTarget,
    engine: SnmpEngine,
    sinks: Arc<[Arc<dyn Sink>]>,
    base: Labels,
    state: Mutex<JobState>,
}

impl std::fmt::Debug for PollJob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PollJob")
            .field("target", &self.target.name)
            .finish_non_exhaustive()
    }
}

impl PollJob {
    pub fn new(target: PollTarget, engine: SnmpEngine, sinks: Arc<[Arc<dyn Sink>]>) -> Self {
        let mut base: Labels = target
            .labels
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        base.insert("target", target.name.clone());
        Self {
            target,
            engine,
            sinks,
            base,
            state: Mutex::new(JobState::default()),
        }
    }

    /// Polls once and delivers the samples; returns them too (tests, benchmarks).
    pub async fn poll_once(&self) -> Arc<[Sample]> {
        let mut state = self.state.lock().await;
        let session = match &state.session {
            Some(s) => Ok(s.clone()),
            None => self
                .engine
                .session(
                    &self.target.address,
                    &self.target.credentials,
                    self.target.options,
                )
                .await
                .map(Arc::new),
        };
        let time = SystemTime::now();
        let (mut samples, duration, varbinds, error) = match session {
            Ok(session) => {
                state.session = Some(session.clone());
                let outcome = poll_modules(
                    session.as_ref(),
                    &self.target.modules,
                    &self.base,
                    self.target.options.max_repetitions,
                    Some(&mut state.counters),
                )
                .await;
                if outcome.continuity == Continuity::Rebooted {
                    state.reboots += 1;
                    tracing::info!(target = %self.target.name, "agent rebooted (sysUpTime went back); counters restart");
                }
                (
                    outcome.samples,
                    outcome.duration,
                    outcome.varbinds,
                    outcome.error,
                )
            }
            Err(e) => (Vec::new(), Duration::ZERO, 0, Some(e)),
        };
        let up = error.is_none();
        if let Some(e) = &error {
            *state.errors.entry(e.reason()).or_default() += 1;
            tracing::warn!(target = %self.target.name, error = %e, "poll failed");
        }
        let labels = Labels::new().with("target", self.target.name.clone());
        samples.push(Sample::gauge(
            "netops_target_up",
            labels.clone(),
            if up { 1.0 } else { 0.0 },
            time,
        ));
        samples.push(Sample::gauge(
            "netops_poll_duration_seconds",
            labels.clone(),
            duration.as_secs_f64(),
            time,
        ));
        samples.push(Sample::gauge(
            "netops_poll_varbinds",
            labels.clone(),
            varbinds as f64,
            time,
        ));
        samples.push(Sample::counter(
            "netops_target_reboots_total",
            labels.clone(),
            state.reboots as f64,
            time,
        ));
        for (reason, count) in &state.errors {
            samples.push(Sample::counter(
                "netops_poll_errors_total",
                labels.clone().with("reason", *reason),
                *count as f64,
                time,
            ));
        }
        let batch: Arc<[Sample]> = samples.into();
        for sink in self.sinks.iter() {
            sink.accept(batch.clone());
        }
        batch
    }
}

impl Job for PollJob {
    fn key(&self) -> &str {
        &self.target.name
    }

    fn interval(&self) -> Duration {
        self.target.interval
    }

    fn run(&self) -> JobFuture<'_> {
        Box::pin(async move {
            self.poll_once().await;
        })
    }
}
