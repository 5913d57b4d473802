use crate::{Event, Sample};
use std::sync::Arc;

/// Counters every sink keeps about what it did with what it was given.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SinkStats {
    /// Samples (or lines, or events) delivered to their destination.
    pub delivered: u64,
    /// Held back for later delivery (on disk or in memory) because the destination was away.
    pub spooled: u64,
    /// Lost for good: the spool was full, or the data could not be encoded.
    pub dropped: u64,
}

/// A consumer of samples and events.
///
/// `accept` is called on the polling path, so it must return at once: a sink that cannot
/// keep up queues, spools or drops, and counts it in [`SinkStats`]. It never blocks or fails
/// the producer.
pub trait Sink: Send + Sync {
    /// A short name for logs and metrics (`prometheus`, `influxdb`, `alerts`).
    fn name(&self) -> &str;

    /// Takes one batch of samples, typically everything one poll or probe round produced.
    fn accept(&self, batch: Arc<[Sample]>);

    /// Takes one event. Sinks that only care about samples ignore events.
    fn accept_event(&self, _event: &Event) {}

    fn stats(&self) -> SinkStats;
}
