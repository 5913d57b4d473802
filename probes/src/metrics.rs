//! Round results as `netops_core::Sample`s, under the metric contract the alert rules use:
//!
//! | series | kind | labels |
//! |---|---|---|
//! | `netops_probe_success` | gauge 0/1 | target, family, protocol, path (+ port for tcp/udp) |
//! | `netops_probe_loss_ratio` | gauge | same |
//! | `netops_probe_rtt_median_seconds` | gauge (absent without replies) | same |
//! | `netops_probe_jitter_seconds` | gauge (absent with < 2 replies) | same |
//! | `netops_probe_rtt_seconds_{bucket,sum,count}` | counters, cumulative over rounds | same (+ le) |
//! | `netops_probe_sent`, `_received`, `_duplicates`, `_late` | gauges, last round | same |
//! | `netops_probe_rtt_{min,avg,p95,max,stddev}_seconds` | gauges, last round | same |
//!
//! `path` is `plain` or `srv6:<sid>,<sid>`. The histogram is kept by the caller in an
//! [`RttHistogram`] per series, because counters must survive from round to round.

use crate::prober::RoundResult;
use netops_core::{Labels, Sample};
use std::time::SystemTime;

/// SmokePing-ish upper bounds in seconds: fine steps at LAN/metro RTTs, coarse up to 5 s.
pub const RTT_BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.2, 0.5, 1.0, 5.0,
];

/// The identifying labels of a round's series.
pub fn round_labels(r: &RoundResult) -> Labels {
    let mut l = Labels::new()
        .with("target", r.target.name.clone())
        .with("family", r.family().as_str())
        .with("protocol", r.protocol.as_str())
        .with("path", r.path.to_string());
    if let Some(port) = r.port {
        l.insert("port", port.to_string());
    }
    l
}

/// The gauges of one round (not the histogram: see [`RttHistogram`]).
pub fn round_samples(r: &RoundResult, time: SystemTime) -> Vec<Sample> {
    let labels = round_labels(r);
    let s = &r.stats;
    let g = |name: &'static str, v: f64| Sample::gauge(name, labels.clone(), v, time);
    let mut out = vec![
        g("netops_probe_success", if s.success() { 1.0 } else { 0.0 }),
        g("netops_probe_loss_ratio", s.loss_ratio),
        g("netops_probe_sent", s.sent as f64),
        g("netops_probe_received", s.received as f64),
        g("netops_probe_duplicates", s.duplicates as f64),
        g("netops_probe_late", s.late as f64),
    ];
    if let Some(rtt) = s.rtt {
        out.push(g(
            "netops_probe_rtt_median_seconds",
            rtt.median.as_secs_f64(),
        ));
        out.push(g("netops_probe_rtt_min_seconds", rtt.min.as_secs_f64()));
        out.push(g("netops_probe_rtt_avg_seconds", rtt.avg.as_secs_f64()));
        out.push(g("netops_probe_rtt_p95_seconds", rtt.p95.as_secs_f64()));
        out.push(g("netops_probe_rtt_max_seconds", rtt.max.as_secs_f64()));
        out.push(g(
            "netops_probe_rtt_stddev_seconds",
            rtt.stddev.as_secs_f64(),
        ));
    }
    if let Some(j) = s.jitter {
        out.push(g("netops_probe_jitter_seconds", j.as_secs_f64()));
    }
    out
}

/// Cumulative RTT histogram of one series (`netops_probe_rtt_seconds`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RttHistogram {
    /// Non-cumulative counts per bucket of [`RTT_BUCKETS`], then +Inf.
    counts: [u64; RTT_BUCKETS.len() + 1],
    sum: f64,
    count: u64,
}

impl RttHistogram {
    pub fn observe(&mut self, seconds: f64) {
        let i = RTT_BUCKETS
            .iter()
            .position(|b| seconds <= *b)
            .unwrap_or(RTT_BUCKETS.len());
        self.counts[i] += 1;
        self.sum += seconds;
        self.count += 1;
    }

    pub fn observe_round(&mut self, r: &RoundResult) {
        for rtt in &r.rtts {
            self.observe(rtt.as_secs_f64());
        }
    }

    /// `_bucket{le=...}` (cumulative, ending with `+Inf`), `_sum` and `_count` counters.
    pub fn samples(&self, labels: &Labels, time: SystemTime) -> Vec<Sample> {
        let mut out = Vec::with_capacity(RTT_BUCKETS.len() + 3);
        let mut cumulative = 0;
        for (i, n) in self.counts.iter().enumerate() {
            cumulative += n;
            let le = RTT_BUCKETS
                .get(i)
                .map_or_else(|| "+Inf".to_string(), |b| b.to_string());
            out.push(Sample::counter(
                "netops_probe_rtt_seconds_bucket",
                labels.clone().with("le", le),
                cumulative as f64,
                time,
            ));
        }
        out.push(Sample::counter(
            "netops_probe_rtt_seconds_sum",
            labels.clone(),
            self.sum,
            time,
        ));
        out.push(Sample::counter(
            "netops_probe_rtt_seconds_count",
            labels.clone(),
            self.count as f64,
            time,
        ));
        out
    }
}

/// What the daemon keeps per probe job: one [`RttHistogram`] per series, so each round
/// yields its gauges plus the cumulative histogram in one call.
#[derive(Debug, Default)]
pub struct RoundRecorder {
    histograms: std::collections::HashMap<Labels, RttHistogram>,
}

impl RoundRecorder {
    /// Folds the round into its series' histogram; returns every sample of the series.
    pub fn record(&mut self, r: &RoundResult, time: SystemTime) -> Vec<Sample> {
        let labels = round_labels(r);
        let mut out = round_samples(r, time);
        let h = self.histograms.entry(labels.clone()).or_default();
        h.observe_round(r);
        out.extend(h.samples(&labels, time));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prober::{ProbePath, ProbeTarget, Protocol};
    use crate::stats::RoundStats;
    use std::time::Duration;

    fn result(rtts_ms: &[u64], sent: u64, path: ProbePath) -> RoundResult {
        let rtts: Vec<Duration> = rtts_ms.iter().map(|m| Duration::from_millis(*m)).collect();
        RoundResult {
            target: ProbeTarget::new("core1", "fd00::1".parse().unwrap()),
            protocol: Protocol::Icmp,
            path,
            port: None,
            stats: RoundStats::compute(sent, &rtts, 0, 0),
            rtts,
            port_state: None,
            started: SystemTime::UNIX_EPOCH,
            duration: Duration::from_secs(1),
            kernel_timestamps: true,
        }
    }

    fn find<'a>(s: &'a [Sample], name: &str) -> Option<&'a Sample> {
        s.iter().find(|x| x.name == name)
    }

    #[test]
    fn contract_names_and_labels() {
        let path = ProbePath::Srv6(vec![
            "fc00:1::100".parse().unwrap(),
            "fc00:2::100".parse().unwrap(),
        ]);
        let r = result(&[10, 20, 30, 40], 5, path);
        let s = round_samples(&r, SystemTime::UNIX_EPOCH);
        let success = find(&s, "netops_probe_success").unwrap();
        assert_eq!(
            success.labels.to_string(),
            r#"{family="ipv6",path="srv6:fc00:1::100,fc00:2::100",protocol="icmp",target="core1"}"#
        );
        assert_eq!(success.value, 1.0);
        assert!((find(&s, "netops_probe_loss_ratio").unwrap().value - 0.2).abs() < 1e-12);
        assert!((find(&s, "netops_probe_rtt_median_seconds").unwrap().value - 0.025).abs() < 1e-9);
        assert!((find(&s, "netops_probe_jitter_seconds").unwrap().value - 0.010).abs() < 1e-9);
    }

    #[test]
    fn failed_round_has_success_zero_and_no_rtt_series() {
        let s = round_samples(&result(&[], 3, ProbePath::Plain), SystemTime::UNIX_EPOCH);
        assert_eq!(find(&s, "netops_probe_success").unwrap().value, 0.0);
        assert_eq!(find(&s, "netops_probe_loss_ratio").unwrap().value, 1.0);
        assert!(find(&s, "netops_probe_rtt_median_seconds").is_none());
    }

    #[test]
    fn histogram_is_cumulative_and_accumulates_over_rounds() {
        let mut h = RttHistogram::default();
        let r = result(&[1, 4, 9000], 3, ProbePath::Plain);
        h.observe_round(&r);
        h.observe_round(&r);
        let s = h.samples(&round_labels(&r), SystemTime::UNIX_EPOCH);
        let bucket = |le: &str| {
            s.iter()
                .find(|x| x.labels.get("le") == Some(le))
                .unwrap()
                .value
        };
        assert_eq!(bucket("0.0005"), 0.0);
        assert_eq!(bucket("0.001"), 2.0);
        assert_eq!(bucket("0.005"), 4.0);
        assert_eq!(bucket("5"), 4.0);
        assert_eq!(bucket("+Inf"), 6.0);
        assert_eq!(
            find(&s, "netops_probe_rtt_seconds_count").unwrap().value,
            6.0
        );
        assert!((find(&s, "netops_probe_rtt_seconds_sum").unwrap().value - 18.01).abs() < 1e-9);
    }

    #[test]
    fn recorder_keeps_one_histogram_per_series() {
        let mut rec = RoundRecorder::default();
        let a = result(&[1, 2], 2, ProbePath::Plain);
        let b = result(&[3], 1, ProbePath::Srv6(vec!["fc00::1".parse().unwrap()]));
        rec.record(&a, SystemTime::UNIX_EPOCH);
        rec.record(&b, SystemTime::UNIX_EPOCH);
        let s = rec.record(&a, SystemTime::UNIX_EPOCH);
        let count = s
            .iter()
            .find(|x| x.name == "netops_probe_rtt_seconds_count")
            .unwrap();
        assert_eq!(
            count.value, 4.0,
            "two rounds of two RTTs on the plain series only"
        );
        assert_eq!(count.labels.get("path"), Some("plain"));
        assert!(s.iter().any(|x| x.name == "netops_probe_success"));
    }
}
