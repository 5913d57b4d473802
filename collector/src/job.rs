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
        let (samples, duration, varbinds, error) = match session {
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
        if let Some(e) = &error {
            tracing::warn!(target = %self.target.name, error = %e, "poll failed");
        }
        let health = PollHealth {
            time,
            duration,
            varbinds,
            error: error.as_ref().map(|e| e.reason()),
        };
        self.publish(&mut state, samples, health)
    }

    /// Hands one poll's samples, followed by the poll's own health series, to the sinks.
    fn publish(
        &self,
        state: &mut JobState,
        mut samples: Vec<Sample>,
        health: PollHealth,
    ) -> Arc<[Sample]> {
        if let Some(reason) = health.error {
            *state.errors.entry(reason).or_default() += 1;
        }
        let time = health.time;
        let labels = Labels::new().with("target", self.target.name.clone());
        samples.push(Sample::gauge(
            "netops_target_up",
            labels.clone(),
            if health.error.is_none() { 1.0 } else { 0.0 },
            time,
        ));
        samples.push(Sample::gauge(
            "netops_poll_duration_seconds",
            labels.clone(),
            health.duration.as_secs_f64(),
            time,
        ));
        samples.push(Sample::gauge(
            "netops_poll_varbinds",
            labels.clone(),
            health.varbinds as f64,
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

    /// A poll cut off by the scheduler at the end of its interval (a slow or overloaded
    /// agent, or timeouts × retries longer than the interval) counts as a failed poll: the
    /// target is reported down with reason `interval_exceeded`, not left silent.
    pub async fn report_overrun(&self) -> Arc<[Sample]> {
        let mut state = self.state.lock().await;
        tracing::warn!(
            target = %self.target.name,
            interval_seconds = self.target.interval.as_secs_f64(),
            "poll did not finish within its interval; counted as failed (lower timeout_seconds × (retries + 1), or raise interval_seconds)"
        );
        let health = PollHealth {
            time: SystemTime::now(),
            duration: self.target.interval,
            varbinds: 0,
            error: Some("interval_exceeded"),
        };
        self.publish(&mut state, Vec::new(), health)
    }
}

/// What a poll says about itself.
struct PollHealth {
    time: SystemTime,
    duration: Duration,
    varbinds: usize,
    /// The failure's reason label, if the poll failed.
    error: Option<&'static str>,
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

    fn overran(&self) -> JobFuture<'_> {
        Box::pin(async move {
            self.report_overrun().await;
        })
    }
}
