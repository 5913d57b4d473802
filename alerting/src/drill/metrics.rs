//! The drill series, built from the drill tables at scrape time (the daemon calls
//! [`drill_samples`] when `/metrics` is scraped, so the numbers survive restarts):
//!
//! - `netops_drill_active{drill}`: 1 while the drill is open, 0 after it ended (drills are
//!   few, a handful a year, so ended drills keep their series);
//! - `netops_drill_injections_total{drill,kind}`;
//! - `netops_drill_acks_total{drill}`.

use super::store::{DrillCounts, DrillStore};
use crate::error::AlertError;
use netops_core::{Labels, Sample};
use std::collections::BTreeMap;
use std::time::SystemTime;

/// The samples for the current drill tables.
pub async fn drill_samples(store: &DrillStore, now: SystemTime) -> Result<Vec<Sample>, AlertError> {
    Ok(samples_from_counts(&store.counts().await?, now))
}

/// Pure part of [`drill_samples`].
pub fn samples_from_counts(counts: &BTreeMap<String, DrillCounts>, now: SystemTime) -> Vec<Sample> {
    let mut out = Vec::new();
    for (drill, c) in counts {
        out.push(Sample::gauge(
            "netops_drill_active",
            Labels::new().with("drill", drill.clone()),
            if c.open { 1.0 } else { 0.0 },
            now,
        ));
        for (kind, n) in &c.injections_by_kind {
            out.push(Sample::counter(
                "netops_drill_injections_total",
                Labels::new()
                    .with("drill", drill.clone())
                    .with("kind", kind.clone()),
                *n as f64,
                now,
            ));
        }
        out.push(Sample::counter(
            "netops_drill_acks_total",
            Labels::new().with("drill", drill.clone()),
            c.acks as f64,
            now,
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_per_drill() {
        let mut counts = BTreeMap::new();
        counts.insert(
            "d1".to_string(),
            DrillCounts {
                open: true,
                injections_by_kind: [("port-scan".to_string(), 2)].into_iter().collect(),
                acks: 3,
            },
        );
        let s = samples_from_counts(&counts, SystemTime::UNIX_EPOCH);
        let text: Vec<String> = s
            .iter()
            .map(|s| {
                format!(
                    "{} {:?} {}",
                    s.name,
                    s.labels.iter().collect::<Vec<_>>(),
                    s.value
                )
            })
            .collect();
        assert_eq!(
            text,
            [
                "netops_drill_active [(\"drill\", \"d1\")] 1",
                "netops_drill_injections_total [(\"drill\", \"d1\"), (\"kind\", \"port-scan\")] 2",
                "netops_drill_acks_total [(\"drill\", \"d1\")] 3",
            ]
        );
    }
}
