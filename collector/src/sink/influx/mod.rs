//! InfluxDB line-protocol sink.
//!
//! - [`encoder`]: pure Sample/Event → line protocol, with the spec's escaping.
//! - [`writer`]: the tokio task that batches, gzips, POSTs to `/api/v2/write` and spools.
//! - [`spool`]: the on-disk queue of bodies the server could not take yet.
//! - [`config`]: the `[sinks.influxdb]` config struct.
//!
//! [`InfluxSink`] is the cheap, cloneable handle producers call: `accept` only does a
//! `try_send` on a bounded channel, so a slow or absent server never blocks polling; when
//! the channel is full the batch is dropped and counted.

pub mod config;
pub mod encoder;
pub mod spool;
pub mod writer;

pub use config::InfluxConfig;
pub use writer::InfluxWriter;

use crate::sink::SinkError;
use netops_core::{Event, Labels, Sample, Sink, SinkStats};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;
use tokio::sync::mpsc;
use tokio::sync::mpsc::error::TrySendError;
use tokio_util::sync::CancellationToken;

/// What producers hand to the writer task.
#[derive(Debug)]
pub(crate) enum Input {
    Samples(Arc<[Sample]>),
    Event(Box<Event>),
}

/// Counters shared by the handle (drops at the queue) and the task (everything else).
#[derive(Debug, Default)]
pub(crate) struct Counters {
    /// Lines the server acknowledged with a 2xx.
    sent: AtomicU64,
    /// Lines written to the spool (each spooled line counts once, however often replay is
    /// tried).
    spooled: AtomicU64,
    /// Lines lost for good: queue full, not encodable, rejected by the server (4xx), or
    /// evicted from a full spool.
    dropped: AtomicU64,
    /// Bytes in the spool right now.
    spool_bytes: AtomicU64,
}

/// The producer-facing handle of the InfluxDB writer. Clone it freely.
#[derive(Debug, Clone)]
pub struct InfluxSink {
    input: mpsc::Sender<Input>,
    counters: Arc<Counters>,
}

impl InfluxSink {
    /// Builds the handle and the task that does the work; run the task with
    /// [`InfluxWriter::run`]. Fails on an invalid config or an unusable spool directory.
    pub fn new(config: InfluxConfig) -> Result<(Self, InfluxWriter), SinkError> {
        let (input, receiver) = mpsc::channel(config.queue_capacity_batches.max(1));
        let counters = Arc::new(Counters::default());
        let writer = InfluxWriter::new(config, receiver, counters.clone())?;
        Ok((Self { input, counters }, writer))
    }

    /// [`InfluxSink::new`] plus `tokio::spawn` of the writer; must be called inside a tokio
    /// runtime.
    pub fn spawn(
        config: InfluxConfig,
        cancel: CancellationToken,
    ) -> Result<(Self, tokio::task::JoinHandle<()>), SinkError> {
        let (sink, writer) = Self::new(config)?;
        Ok((sink, tokio::spawn(writer.run(cancel))))
    }

    /// Bytes waiting in the spool now.
    pub fn spool_bytes(&self) -> u64 {
        self.counters.spool_bytes.load(Ordering::Relaxed)
    }

    /// The sink's own counters as Prometheus-style samples, to be fed to the Prometheus
    /// sink (or any other) by the daemon.
    pub fn self_samples(&self, time: SystemTime) -> Vec<Sample> {
        let stats = self.stats();
        let as_f64 = |v: u64| v as f64;
        vec![
            Sample::counter(
                "netops_influx_lines_sent_total",
                Labels::new(),
                as_f64(stats.delivered),
                time,
            ),
            Sample::counter(
                "netops_influx_lines_spooled_total",
                Labels::new(),
                as_f64(stats.spooled),
                time,
            ),
            Sample::counter(
                "netops_influx_lines_dropped_total",
                Labels::new(),
                as_f64(stats.dropped),
                time,
            ),
            Sample::gauge(
                "netops_influx_spool_bytes",
                Labels::new(),
                as_f64(self.spool_bytes()),
                time,
            ),
        ]
    }

    fn send(&self, input: Input, lines: u64) {
        match self.input.try_send(input) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) | Err(TrySendError::Closed(_)) => {
                self.counters.dropped.fetch_add(lines, Ordering::Relaxed);
            }
        }
    }
}

impl Sink for InfluxSink {
    fn name(&self) -> &str {
        "influxdb"
    }

    fn accept(&self, batch: Arc<[Sample]>) {
        let lines = batch.len() as u64;
        if lines > 0 {
            self.send(Input::Samples(batch), lines);
        }
    }

    fn accept_event(&self, event: &Event) {
        self.send(Input::Event(Box::new(event.clone())), 1);
    }

    fn stats(&self) -> SinkStats {
        SinkStats {
            delivered: self.counters.sent.load(Ordering::Relaxed),
            spooled: self.counters.spooled.load(Ordering::Relaxed),
            dropped: self.counters.dropped.load(Ordering::Relaxed),
        }
    }
}
