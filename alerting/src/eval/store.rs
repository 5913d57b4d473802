//! `SampleStore`: the in-memory time-series window the evaluator reads.
//!
//! `accept` is on the polling path and must return at once, so it only appends the batch
//! to a bounded queue under a lock nobody holds for long; the evaluator moves queued
//! batches into the per-series window when it evaluates. Evaluation therefore never makes
//! a poller wait, and a stalled evaluator costs at most `max_pending_batches` batches,
//! after which new batches are dropped and counted.

use crate::time::to_millis;
use netops_core::{Labels, Sample, Sink, SinkStats};
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// Samples of one series, sorted by time (ms), at most one per timestamp.
pub type Points = Vec<(i64, f64)>;

/// All series, indexed by metric name then by label set (without `__name__`).
#[derive(Debug, Default)]
pub struct SeriesMap {
    pub by_name: HashMap<String, HashMap<Labels, Points>>,
}

impl SeriesMap {
    fn insert(&mut self, s: &Sample) {
        let ts = to_millis(s.time);
        // Look up before inserting: the name and labels are cloned only for a new series.
        let series = match self.by_name.get_mut(s.name.as_str()) {
            Some(series) => series,
            None => self.by_name.entry(s.name.to_string()).or_default(),
        };
        let points = match series.get_mut(&s.labels) {
            Some(points) => points,
            None => series.entry(s.labels.clone()).or_default(),
        };
        // Samples almost always arrive in order: the common case is a push at the end.
        match points.last() {
            Some(&(last, _)) if last < ts => points.push((ts, s.value)),
            None => points.push((ts, s.value)),
            _ => match points.binary_search_by_key(&ts, |p| p.0) {
                Ok(i) => points[i].1 = s.value,
                Err(i) => points.insert(i, (ts, s.value)),
            },
        }
    }

    /// Drops samples older than `before_ms`, and series left empty.
    fn prune(&mut self, before_ms: i64) {
        self.by_name.retain(|_, series| {
            series.retain(|_, points| {
                let keep_from = points.partition_point(|p| p.0 < before_ms);
                points.drain(..keep_from);
                !points.is_empty()
            });
            !series.is_empty()
        });
    }

    /// Number of series held.
    pub fn series_count(&self) -> usize {
        self.by_name.values().map(HashMap::len).sum()
    }
}

/// Recent samples of every series netops collects; a [`Sink`].
#[derive(Debug)]
pub struct SampleStore {
    pending: Mutex<VecDeque<Arc<[Sample]>>>,
    series: Mutex<SeriesMap>,
    retention: Duration,
    max_pending_batches: usize,
    delivered: AtomicU64,
    dropped: AtomicU64,
}

/// Default retention: enough for `[1h]` ranges plus the 5-minute lookback.
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(65 * 60);

impl SampleStore {
    /// A store keeping `retention` of history per series.
    pub fn new(retention: Duration) -> Self {
        Self {
            pending: Mutex::new(VecDeque::new()),
            series: Mutex::new(SeriesMap::default()),
            retention,
            max_pending_batches: 10_000,
            delivered: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
        }
    }

    /// How many batches may wait for the evaluator before new ones are dropped.
    #[must_use]
    pub fn with_max_pending_batches(mut self, n: usize) -> Self {
        self.max_pending_batches = n.max(1);
        self
    }

    pub fn retention(&self) -> Duration {
        self.retention
    }

    /// Moves queued batches into the window, prunes what is older than `now_ms - retention`,
    /// and returns the window locked for reading.
    pub fn window(&self, now_ms: i64) -> MutexGuard<'_, SeriesMap> {
        let batches: Vec<Arc<[Sample]>> = lock(&self.pending).drain(..).collect();
        let mut series = lock(&self.series);
        let mut n = 0u64;
        for batch in batches {
            for s in batch.iter() {
                series.insert(s);
                n += 1;
            }
        }
        self.delivered.fetch_add(n, Ordering::Relaxed);
        let keep_ms = crate::time::duration_millis(self.retention);
        series.prune(now_ms.saturating_sub(keep_ms));
        series
    }
}

/// A poisoned lock only means another thread panicked mid-update of plain data; the
/// data is still usable, and the alerting path must keep going.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Sink for SampleStore {
    fn name(&self) -> &str {
        "alerts"
    }

    fn accept(&self, batch: Arc<[Sample]>) {
        let mut pending = lock(&self.pending);
        if pending.len() >= self.max_pending_batches {
            drop(pending);
            self.dropped
                .fetch_add(batch.len() as u64, Ordering::Relaxed);
            return;
        }
        pending.push_back(batch);
    }

    fn stats(&self) -> SinkStats {
        SinkStats {
            delivered: self.delivered.load(Ordering::Relaxed),
            spooled: lock(&self.pending).iter().map(|b| b.len() as u64).sum(),
            dropped: self.dropped.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::from_millis;

    fn s(name: &'static str, ms: i64, v: f64) -> Sample {
        Sample::gauge(name, Labels::new().with("a", "1"), v, from_millis(ms))
    }

    #[test]
    fn keeps_order_and_retention() {
        let store = SampleStore::new(Duration::from_secs(60));
        store.accept(
            vec![
                s("x", 30_000, 3.0),
                s("x", 10_000, 1.0),
                s("x", 20_000, 2.0),
            ]
            .into(),
        );
        store.accept(vec![s("x", 20_000, 2.5)].into());
        {
            let w = store.window(40_000);
            let pts = &w.by_name["x"][&Labels::new().with("a", "1")];
            assert_eq!(pts, &vec![(10_000, 1.0), (20_000, 2.5), (30_000, 3.0)]);
        }
        let w = store.window(85_000);
        let pts = &w.by_name["x"][&Labels::new().with("a", "1")];
        assert_eq!(pts, &vec![(30_000, 3.0)]);
        drop(w);
        assert_eq!(store.window(200_000).series_count(), 0);
        assert_eq!(store.stats().delivered, 4);
    }

    #[test]
    fn accept_does_not_wait_for_an_evaluation_in_progress() {
        let store = Arc::new(SampleStore::new(Duration::from_secs(60)));
        // An evaluation holds the window for as long as it runs…
        let window = store.window(0);
        // …and a poller's accept still returns (a deadlock here would hang the test).
        let s2 = store.clone();
        std::thread::spawn(move || s2.accept(vec![s("x", 1, 1.0)].into()))
            .join()
            .unwrap();
        assert_eq!(window.series_count(), 0);
        drop(window);
        assert_eq!(store.window(1).series_count(), 1);
    }

    #[test]
    fn full_queue_drops_and_counts() {
        let store = SampleStore::new(Duration::from_secs(60)).with_max_pending_batches(1);
        store.accept(vec![s("x", 1, 1.0)].into());
        store.accept(vec![s("x", 2, 1.0), s("x", 3, 1.0)].into());
        let st = store.stats();
        assert_eq!((st.spooled, st.dropped), (1, 2));
    }
}
