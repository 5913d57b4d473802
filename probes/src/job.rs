//! A scheduled probe target as a scheduler [`Job`]: every interval, one round per address
//! (plain path), one per SRv6 segment list, and the dual-stack port comparison; samples,
//! with each series' cumulative RTT histogram, go to the sinks.

use crate::config::ProbePlan;
use crate::dualstack::{DualStackHost, compare_tcp_ports, exposure_samples};
use crate::metrics::RoundRecorder;
use crate::prober::{
    IcmpProber, ProbeTarget, Prober, Protocol, RoundSpec, Srv6Prober, TcpProber, UdpProber,
};
use netops_core::scheduler::{Job, JobFuture};
use netops_core::{Labels, Sample, Sink};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio::sync::Mutex;

pub struct ProbeJob {
    plan: ProbePlan,
    icmp: Arc<IcmpProber>,
    sinks: Arc<[Arc<dyn Sink>]>,
    recorder: Mutex<RoundRecorder>,
    srv6: Vec<Result<Srv6Prober, String>>,
}

impl std::fmt::Debug for ProbeJob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProbeJob")
            .field("target", &self.plan.name)
            .finish_non_exhaustive()
    }
}

impl ProbeJob {
    /// `icmp` is shared by every job: one socket per family for all targets.
    pub fn new(plan: ProbePlan, icmp: Arc<IcmpProber>, sinks: Arc<[Arc<dyn Sink>]>) -> Self {
        let srv6 = plan
            .srv6_paths
            .iter()
            .map(|sids| Srv6Prober::open(sids.clone()).map_err(|e| e.to_string()))
            .collect();
        Self {
            plan,
            icmp,
            sinks,
            recorder: Mutex::new(RoundRecorder::default()),
            srv6,
        }
    }

    fn spec(&self) -> RoundSpec {
        RoundSpec {
            count: self.plan.count,
            interval: self.plan.spacing,
            timeout: self.plan.timeout,
            size: self.plan.size,
            port: self.plan.port,
        }
    }

    /// Runs one round of everything configured; returns the samples it delivered.
    pub async fn probe_once(&self) -> Arc<[Sample]> {
        let spec = self.spec();
        let time = SystemTime::now();
        let mut samples = Vec::new();
        let mut errors = 0u64;
        let mut rounds = Vec::new();
        for addr in &self.plan.addresses {
            let target = ProbeTarget::new(self.plan.name.clone(), *addr);
            let result = match self.plan.protocol {
                Protocol::Icmp => self.icmp.round(&target, &spec).await,
                Protocol::Tcp => TcpProber.round(&target, &spec).await,
                Protocol::Udp => UdpProber.round(&target, &spec).await,
            };
            rounds.push(result);
            if addr.is_ipv6() {
                for prober in &self.srv6 {
                    match prober {
                        Ok(p) => rounds.push(p.round(&target, &spec).await),
                        Err(e) => {
                            errors += 1;
                            tracing::warn!(target = %self.plan.name, error = %e, "SRv6 prober unavailable");
                        }
                    }
                }
            }
        }
        {
            let mut recorder = self.recorder.lock().await;
            for r in rounds {
                match r {
                    Ok(round) => samples.extend(recorder.record(&round, time)),
                    Err(e) => {
                        errors += 1;
                        tracing::warn!(target = %self.plan.name, error = %e, "probe round failed");
                    }
                }
            }
        }
        if !self.plan.dual_stack_ports.is_empty() {
            let v4 = self.plan.addresses.iter().find_map(|a| match a {
                IpAddr::V4(v) => Some(*v),
                IpAddr::V6(_) => None,
            });
            let v6 = self.plan.addresses.iter().find_map(|a| match a {
                IpAddr::V6(v) => Some(*v),
                IpAddr::V4(_) => None,
            });
            if let (Some(v4), Some(v6)) = (v4, v6) {
                let host = DualStackHost {
                    name: self.plan.name.clone(),
                    v4,
                    v6,
                };
                let exposures =
                    compare_tcp_ports(&host, &self.plan.dual_stack_ports, self.plan.timeout).await;
                samples.extend(exposure_samples(&self.plan.name, &exposures, time));
            }
        }
        if let Some((site_id, town)) = &self.plan.site {
            let up = samples
                .iter()
                .any(|s| s.name == "netops_probe_success" && s.value > 0.0);
            samples.push(Sample::gauge(
                "netops_site_probe_success",
                // `target` keeps each site's series in its own source downstream.
                Labels::new()
                    .with("target", self.plan.name.clone())
                    .with("site_id", site_id.clone())
                    .with("town", town.clone()),
                if up { 1.0 } else { 0.0 },
                time,
            ));
        }
        samples.push(Sample::gauge(
            "netops_probe_round_errors",
            Labels::new().with("target", self.plan.name.clone()),
            errors as f64,
            time,
        ));
        let batch: Arc<[Sample]> = samples.into();
        for sink in self.sinks.iter() {
            sink.accept(batch.clone());
        }
        batch
    }
}

impl Job for ProbeJob {
    fn key(&self) -> &str {
        &self.plan.name
    }

    fn interval(&self) -> Duration {
        self.plan.interval
    }

    fn run(&self) -> JobFuture<'_> {
        Box::pin(async move {
            self.probe_once().await;
        })
    }
}
