//! Statistics of one probe round (SmokePing-style: N probes, then summarise).
//!
//! Pure arithmetic over the RTTs of the replies that came back in time, in send order.
//! Duplicates (a second reply to the same probe) and late replies (after the probe's
//! timeout) are counted apart and never enter `received` or the RTT figures.

use serde::Serialize;
use std::time::Duration;

/// RTT summary of the replies received in time.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RttStats {
    pub min: Duration,
    pub avg: Duration,
    pub median: Duration,
    /// Nearest-rank 95th percentile.
    pub p95: Duration,
    pub max: Duration,
    /// Population standard deviation.
    pub stddev: Duration,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RoundStats {
    pub sent: u64,
    pub received: u64,
    pub duplicates: u64,
    pub late: u64,
    /// 1 - received/sent; 1.0 when nothing was sent (no evidence of reachability).
    pub loss_ratio: f64,
    pub rtt: Option<RttStats>,
    /// Mean absolute difference of consecutive RTTs (RFC 3550's idea without smoothing);
    /// `None` with fewer than two replies.
    pub jitter: Option<Duration>,
}

impl RoundStats {
    /// `rtts` are the in-time replies in the order their probes were sent.
    pub fn compute(sent: u64, rtts: &[Duration], duplicates: u64, late: u64) -> Self {
        let received = rtts.len() as u64;
        let loss_ratio = if sent == 0 {
            1.0
        } else {
            1.0 - (received.min(sent) as f64 / sent as f64)
        };
        let jitter = (rtts.len() >= 2).then(|| {
            let total: f64 = rtts
                .windows(2)
                .map(|w| (w[1].as_secs_f64() - w[0].as_secs_f64()).abs())
                .sum();
            Duration::from_secs_f64(total / (rtts.len() - 1) as f64)
        });
        Self {
            sent,
            received,
            duplicates,
            late,
            loss_ratio,
            rtt: rtt_stats(rtts),
            jitter,
        }
    }

    pub fn success(&self) -> bool {
        self.received > 0
    }
}

fn rtt_stats(rtts: &[Duration]) -> Option<RttStats> {
    if rtts.is_empty() {
        return None;
    }
    let mut sorted: Vec<f64> = rtts.iter().map(Duration::as_secs_f64).collect();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    let avg = sorted.iter().sum::<f64>() / n as f64;
    let median = if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    };
    // Nearest rank: the smallest value with at least 95 % of the values at or below it.
    let rank = ((0.95 * n as f64).ceil() as usize).clamp(1, n);
    let variance = sorted.iter().map(|x| (x - avg).powi(2)).sum::<f64>() / n as f64;
    let d = |s: f64| Duration::from_secs_f64(s.max(0.0));
    Some(RttStats {
        min: d(sorted[0]),
        avg: d(avg),
        median: d(median),
        p95: d(sorted[rank - 1]),
        max: d(sorted[n - 1]),
        stddev: d(variance.sqrt()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ms(v: &[u64]) -> Vec<Duration> {
        v.iter().map(|&m| Duration::from_millis(m)).collect()
    }

    #[test]
    fn worked_example() {
        let s = RoundStats::compute(5, &ms(&[10, 14, 12, 20]), 1, 1);
        assert_eq!((s.sent, s.received, s.duplicates, s.late), (5, 4, 1, 1));
        assert!((s.loss_ratio - 0.2).abs() < 1e-12);
        let r = s.rtt.unwrap();
        assert_eq!(r.min, Duration::from_millis(10));
        assert_eq!(r.max, Duration::from_millis(20));
        assert_eq!(r.median, Duration::from_millis(13));
        assert_eq!(r.p95, Duration::from_millis(20));
        assert!((r.avg.as_secs_f64() - 0.014).abs() < 1e-9);
        // Population stddev of 10,14,12,20 ms: sqrt((16+0+4+36)/4) = sqrt(14) ms.
        assert!((r.stddev.as_secs_f64() - 14f64.sqrt() / 1000.0).abs() < 1e-9);
        // |14-10| + |12-14| + |20-12| = 14 over 3 differences.
        assert!((s.jitter.unwrap().as_secs_f64() - 0.014 / 3.0).abs() < 1e-9);
    }

    #[test]
    fn nothing_back_is_total_loss() {
        let s = RoundStats::compute(3, &[], 0, 2);
        assert_eq!(s.loss_ratio, 1.0);
        assert!(s.rtt.is_none() && s.jitter.is_none() && !s.success());
        assert_eq!(RoundStats::compute(0, &[], 0, 0).loss_ratio, 1.0);
    }

    #[test]
    fn p95_nearest_rank_of_twenty() {
        let v: Vec<u64> = (1..=20).collect();
        assert_eq!(
            RoundStats::compute(20, &ms(&v), 0, 0).rtt.unwrap().p95,
            Duration::from_millis(19)
        );
    }

    proptest! {
        #[test]
        fn order_invariants(v in proptest::collection::vec(0u64..10_000_000, 1..200), extra in 0u64..50) {
            let rtts: Vec<Duration> = v.iter().map(|&n| Duration::from_nanos(n)).collect();
            let s = RoundStats::compute(rtts.len() as u64 + extra, &rtts, 0, 0);
            let r = s.rtt.unwrap();
            prop_assert!(r.min <= r.median && r.median <= r.p95 && r.p95 <= r.max);
            prop_assert!(r.min <= r.avg && r.avg <= r.max + Duration::from_nanos(1));
            prop_assert!((0.0..=1.0).contains(&s.loss_ratio));
        }
    }
}
