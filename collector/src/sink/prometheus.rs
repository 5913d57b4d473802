//! Prometheus exposition sink: keeps the latest samples of every *source* and serves them
//! as Prometheus text exposition (format 0.0.4), the way snmp_exporter does.
//!
//! # Sources
//! A source is whatever produces one complete picture at a time: one poll of one target by
//! one job. Its newest batch *replaces* its previous one wholesale, so a series that is
//! gone from the latest poll (a removed interface) is gone from the exposition too, exactly
//! like a fresh snmp_exporter scrape. Two ways in:
//! - [`PrometheusSink::replace`]`(key, batch)`: the caller names the source. Unambiguous;
//!   use it when the producer knows who it is.
//! - [`Sink::accept`]`(batch)` on a [`ProducerSink`] handle from
//!   [`PrometheusSink::producer`]`("snmp")`: the key is the producer's name followed by the
//!   values of the configured `source_labels` in each sample (default just `target`; a
//!   missing label reads as empty). A batch holding several targets updates each of them.
//!   The producer name is what keeps an SNMP poll of router R and a probe of router R,
//!   both labelled `target="R"`, from replacing each other: give each kind of job its own
//!   handle. `accept` on the sink itself files batches under the producer name `""`.
//!
//! [`PrometheusSink::remove`] forgets a source (a target removed from the config), and
//! `stale_after_seconds` hides sources that stopped reporting.
//!
//! # Why the text is written here and not by prometheus-client
//! prometheus-client 0.26 appends `_total` to every counter sample in *both* its
//! encoders: OpenMetrics (`encoding::text`, where the suffix is mandatory) and the
//! Prometheus 0.0.4 encoder (`encoding::prometheus_text`, where it even renames the family
//! to `<name>_total` and turns a `foo_total` counter into `foo_total_total`). snmp_exporter
//! exposes `# TYPE ifHCInOctets counter` / `ifHCInOctets{…} 123` in format 0.0.4, and the
//! house rule is that SNMP series keep snmp_exporter's names so dashboards and alert rules
//! keep working. So [`PrometheusSink::encode`] writes format 0.0.4 itself (a small, well
//! specified format), straight from the stored samples. For consumers that want
//! OpenMetrics, [`OpenMetricsCollector`] is a prometheus-client
//! [`Collector`] over the same store; there
//! counters get the `_total` suffix OpenMetrics requires (and names already ending in
//! `_total` are not doubled).

use netops_core::{Labels, MetricKind, MetricName, Sample, Sink, SinkStats};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{
    DescriptorEncoder, EncodeLabelSet, EncodeMetric, LabelSetEncoder,
};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use super::SinkError;
use super::number;

/// `Content-Type` of what [`PrometheusSink::encode`] writes.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// `[sinks.prometheus]` in the daemon's config.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrometheusConfig {
    /// Labels whose values identify the source of a batch given to `accept`.
    #[serde(default = "default_source_labels")]
    pub source_labels: Vec<String>,
    /// Sources not updated for this long are left out of the exposition (and dropped by
    /// [`PrometheusSink::expire`]). Absent: kept until replaced or removed.
    #[serde(default)]
    pub stale_after_seconds: Option<f64>,
}

fn default_source_labels() -> Vec<String> {
    vec!["target".to_string()]
}

impl Default for PrometheusConfig {
    fn default() -> Self {
        Self {
            source_labels: default_source_labels(),
            stale_after_seconds: None,
        }
    }
}

impl PrometheusConfig {
    pub fn validate(&self) -> Result<(), SinkError> {
        if let Some(bad) = self.source_labels.iter().find(|l| !is_label_name(l)) {
            return Err(SinkError::Config {
                key: "source_labels",
                reason: format!("{bad:?} is not a Prometheus label name"),
            });
        }
        if let Some(s) = self.stale_after_seconds
            && !(s.is_finite() && s > 0.0)
        {
            return Err(SinkError::Config {
                key: "stale_after_seconds",
                reason: "must be more than 0".to_string(),
            });
        }
        Ok(())
    }
}

/// Identifies a source: for batches given to `accept`, the producer's name followed by
/// the values of the source labels (`["snmp", "r1"]`); for `replace`, the caller's own.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SourceKey(Box<[String]>);

impl SourceKey {
    pub fn new<S: Into<String>>(parts: impl IntoIterator<Item = S>) -> Self {
        Self(parts.into_iter().map(Into::into).collect())
    }

    fn of(producer: &str, sample: &Sample, source_labels: &[String]) -> Self {
        Self(
            std::iter::once(producer)
                .chain(
                    source_labels
                        .iter()
                        .map(|l| sample.labels.get(l).unwrap_or_default()),
                )
                .map(str::to_string)
                .collect(),
        )
    }

    /// Whether `sample` belongs to this key (the producer part is the caller's to match).
    fn matches(&self, sample: &Sample, source_labels: &[String]) -> bool {
        self.0.len() == source_labels.len() + 1
            && self.0[1..]
                .iter()
                .zip(source_labels)
                .all(|(v, l)| sample.labels.get(l).unwrap_or_default() == v)
    }
}

impl From<&str> for SourceKey {
    fn from(name: &str) -> Self {
        Self::new([name])
    }
}

/// The latest batch of one source, kept in the form a scrape reads: one family per metric
/// name, in name order, each holding its series (label set, value) in label order.
///
/// Only what the exposition needs is kept: 16 bytes per series, because a label set is
/// shared with the producer's other samples of the same row (an interface's ~34 columns
/// hold one set). Neither the producer's batch (with its names, kinds and times) nor the
/// rendered text is kept: the text of a series is ~150 bytes, ten times its stored form,
/// and a scrape renders each series once anyway.
#[derive(Debug)]
struct SourceEntry {
    families: Box<[Family]>,
    updated: Instant,
}

#[derive(Debug)]
struct Family {
    name: MetricName,
    /// The type of the family's first sample; samples of the same name but the other type
    /// (a producer bug) are left out rather than mistyped.
    kind: MetricKind,
    series: Box<[(Labels, f64)]>,
}

/// One metric name across sources: its type and the family of each source that agrees.
type FamilyParts = (MetricKind, Vec<(u32, u32)>);

/// See the module documentation.
#[derive(Debug)]
pub struct PrometheusSink {
    config: PrometheusConfig,
    sources: Mutex<HashMap<SourceKey, Arc<SourceEntry>>>,
    help: RwLock<HashMap<String, String>>,
    stored: AtomicU64,
    invalid: AtomicU64,
}

impl Default for PrometheusSink {
    fn default() -> Self {
        Self::with_valid_config(PrometheusConfig::default())
    }
}

impl PrometheusSink {
    pub fn new(config: PrometheusConfig) -> Result<Self, SinkError> {
        config.validate()?;
        Ok(Self::with_valid_config(config))
    }

    fn with_valid_config(config: PrometheusConfig) -> Self {
        Self {
            config,
            sources: Mutex::new(HashMap::new()),
            help: RwLock::new(HashMap::new()),
            stored: AtomicU64::new(0),
            invalid: AtomicU64::new(0),
        }
    }

    /// Sets the `# HELP` text of a metric (snmp_exporter takes it from the MIB).
    pub fn set_help(&self, metric: impl Into<String>, help: impl Into<String>) {
        self.help
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(metric.into(), help.into());
    }

    /// Makes `batch` the whole current picture of `source`. Samples whose metric or label
    /// names Prometheus cannot carry are dropped and counted.
    pub fn replace(&self, source: impl Into<SourceKey>, batch: Arc<[Sample]>) {
        let indices = (0..batch.len() as u32).collect();
        self.store(source.into(), &batch, indices);
    }

    /// Forgets `source`; true if it was there.
    pub fn remove(&self, source: impl Into<SourceKey>) -> bool {
        self.lock_sources().remove(&source.into()).is_some()
    }

    /// Forgets sources older than `stale_after_seconds`; returns how many.
    pub fn expire(&self) -> usize {
        let Some(max_age) = self.max_age() else {
            return 0;
        };
        let mut sources = self.lock_sources();
        let before = sources.len();
        sources.retain(|_, e| e.updated.elapsed() <= max_age);
        before - sources.len()
    }

    /// Sources currently held.
    pub fn source_count(&self) -> usize {
        self.lock_sources().len()
    }

    /// Appends the exposition of every source to `out`. For a big store (thousands of
    /// targets), serve [`PrometheusSink::exposition_all`] as a stream instead.
    pub fn encode(&self, out: &mut String) {
        self.exposition_all().write_all(out);
    }

    /// The exposition of every source, to write piece by piece (an HTTP body stream).
    pub fn exposition_all(&self) -> Exposition {
        self.exposition(|_| true)
    }

    /// Appends the exposition of one source only (snmp_exporter's `/snmp?target=…`);
    /// false if there is no such (fresh) source.
    pub fn encode_source(&self, source: &SourceKey, out: &mut String) -> bool {
        let mut exposition = self.exposition(|k| k == source);
        exposition.write_all(out);
        !exposition.is_empty()
    }

    fn max_age(&self) -> Option<Duration> {
        self.config.stale_after_seconds.map(Duration::from_secs_f64)
    }

    fn lock_sources(&self) -> std::sync::MutexGuard<'_, HashMap<SourceKey, Arc<SourceEntry>>> {
        // A panic elsewhere while holding the lock leaves the map consistent (every update
        // is one insert or remove), so keep serving.
        self.sources.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Validates and orders the samples at `indices` of `batch` outside any lock, then
    /// swaps the entry in: producers never wait for a scrape.
    fn store(&self, key: SourceKey, batch: &[Sample], mut indices: Vec<u32>) {
        let before = indices.len();
        let mut checked = Labels::new();
        indices.retain(|&i| {
            let sample = &batch[i as usize];
            // A row's columns share one label set: check its names once, not per column.
            is_metric_name(&sample.name)
                && (sample.labels.shares_storage_with(&checked) && !checked.is_empty()
                    || valid_label_names(&sample.labels) && {
                        checked = sample.labels.clone();
                        true
                    })
        });
        self.invalid
            .fetch_add((before - indices.len()) as u64, Ordering::Relaxed);
        self.stored
            .fetch_add(indices.len() as u64, Ordering::Relaxed);
        indices.sort_unstable_by(|&a, &b| {
            let (a, b) = (&batch[a as usize], &batch[b as usize]);
            a.name.cmp(&b.name).then_with(|| a.labels.cmp(&b.labels))
        });
        let mut families = Vec::new();
        for group in indices.chunk_by(|&a, &b| batch[a as usize].name == batch[b as usize].name) {
            let first = &batch[group[0] as usize];
            let series: Box<[(Labels, f64)]> = group
                .iter()
                .map(|&i| &batch[i as usize])
                .filter(|s| s.kind == first.kind)
                .map(|s| (s.labels.clone(), s.value))
                .collect();
            families.push(Family {
                name: first.name.clone(),
                kind: first.kind,
                series,
            });
        }
        let entry = Arc::new(SourceEntry {
            families: families.into(),
            updated: Instant::now(),
        });
        self.lock_sources().insert(key, entry);
    }

    /// The fresh sources that pass `keep`, in key order so output is deterministic.
    fn snapshot(&self, keep: impl Fn(&SourceKey) -> bool) -> Vec<(SourceKey, Arc<SourceEntry>)> {
        let max_age = self.max_age();
        let mut snapshot: Vec<_> = self
            .lock_sources()
            .iter()
            .filter(|(k, e)| keep(k) && max_age.is_none_or(|m| e.updated.elapsed() <= m))
            .map(|(k, e)| (k.clone(), e.clone()))
            .collect();
        snapshot.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        snapshot
    }

    /// Metric name → the type its first source gave it, and the (source, family) positions
    /// of every source holding it with that type, in source order. A source that disagrees
    /// on the type (a producer bug) has its samples of that name left out rather than
    /// mistyped.
    fn families(snapshot: &[(SourceKey, Arc<SourceEntry>)]) -> BTreeMap<&str, FamilyParts> {
        let mut families: BTreeMap<&str, FamilyParts> = BTreeMap::new();
        for (s, (_, entry)) in snapshot.iter().enumerate() {
            for (f, family) in entry.families.iter().enumerate() {
                let (kind, parts) = families
                    .entry(&family.name)
                    .or_insert_with(|| (family.kind, Vec::new()));
                if *kind == family.kind {
                    parts.push((s as u32, f as u32));
                }
            }
        }
        families
    }

    /// The exposition of the fresh sources that pass `keep`, to be written piece by piece.
    fn exposition(&self, keep: impl Fn(&SourceKey) -> bool) -> Exposition {
        let snapshot = self.snapshot(keep);
        let help = self.help.read().unwrap_or_else(PoisonError::into_inner);
        let mut plan = Vec::new();
        for (name, (kind, parts)) in Self::families(&snapshot) {
            let mut header = String::new();
            write_header(&mut header, name, help.get(name).map(String::as_str), kind);
            plan.push(PlannedFamily { header, parts });
        }
        drop(help);
        Exposition {
            snapshot,
            plan,
            next: (0, 0),
        }
    }
}

/// One family of an [`Exposition`]: its HELP/TYPE lines and the (source, family) positions
/// of its series.
#[derive(Debug)]
struct PlannedFamily {
    header: String,
    parts: Vec<(u32, u32)>,
}

/// The text exposition of a snapshot of the sources, written a piece at a time: a scrape
/// of 10,000 routers is ~2.5 GB of text, which must go out in chunks, never as one string.
/// The snapshot holds the sources' entries (shared, not copied) as they were when it was
/// taken; later polls replace entries in the sink without touching it.
#[derive(Debug)]
pub struct Exposition {
    snapshot: Vec<(SourceKey, Arc<SourceEntry>)>,
    plan: Vec<PlannedFamily>,
    /// (family in `plan`, part in that family) to write next.
    next: (usize, usize),
}

impl Exposition {
    /// True if no source was in the snapshot.
    pub fn is_empty(&self) -> bool {
        self.snapshot.is_empty()
    }

    /// Appends the next pieces to `out` until it grew by at least `min_bytes` or the end
    /// is reached; false once everything has been written.
    pub fn write_some(&mut self, out: &mut String, min_bytes: usize) -> bool {
        let goal = out.len().saturating_add(min_bytes);
        while let Some(family) = self.plan.get(self.next.0) {
            if out.len() >= goal {
                return true;
            }
            let Some(&(s, f)) = family.parts.get(self.next.1) else {
                self.next = (self.next.0 + 1, 0);
                continue;
            };
            if self.next.1 == 0 {
                out.push_str(&family.header);
            }
            let family = &self.snapshot[s as usize].1.families[f as usize];
            for (labels, value) in family.series.iter() {
                write_series(out, &family.name, labels, *value);
            }
            self.next.1 += 1;
        }
        false
    }

    /// Writes everything left.
    pub fn write_all(&mut self, out: &mut String) {
        while self.write_some(out, usize::MAX) {}
    }

    /// As a byte stream for an HTTP body, rendered `CHUNK` bytes ahead of the socket.
    pub fn into_stream(self) -> tokio_util::io::ReaderStream<ExpositionReader> {
        tokio_util::io::ReaderStream::with_capacity(
            ExpositionReader {
                exposition: self,
                buf: String::new(),
                pos: 0,
            },
            CHUNK,
        )
    }
}

/// Bytes rendered at a time by [`Exposition::into_stream`]: big enough that the per-chunk
/// overhead vanishes, small enough to stay in cache.
const CHUNK: usize = 64 * 1024;

/// [`Exposition`] as a [`tokio::io::AsyncRead`]. Rendering never waits, so every read
/// is ready at once.
#[derive(Debug)]
pub struct ExpositionReader {
    exposition: Exposition,
    buf: String,
    pos: usize,
}

impl tokio::io::AsyncRead for ExpositionReader {
    fn poll_read(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
        out: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let this = self.get_mut();
        if this.pos == this.buf.len() {
            this.buf.clear();
            this.pos = 0;
            this.exposition.write_some(&mut this.buf, CHUNK);
        }
        let n = out.remaining().min(this.buf.len() - this.pos);
        out.put_slice(&this.buf.as_bytes()[this.pos..this.pos + n]);
        this.pos += n;
        std::task::Poll::Ready(Ok(()))
    }
}

impl Sink for PrometheusSink {
    fn name(&self) -> &str {
        "prometheus"
    }

    fn accept(&self, batch: Arc<[Sample]>) {
        self.accept_from("", batch);
    }

    /// `delivered`: samples taken into the store (each batch counts once, however often it
    /// is scraped); `dropped`: samples refused for names Prometheus cannot carry.
    fn stats(&self) -> SinkStats {
        SinkStats {
            delivered: self.stored.load(Ordering::Relaxed),
            spooled: 0,
            dropped: self.invalid.load(Ordering::Relaxed),
        }
    }
}

/// A [`Sink`] handle that files every batch under its producer's name; see the module
/// documentation. Cheap to clone.
#[derive(Debug, Clone)]
pub struct ProducerSink {
    sink: Arc<PrometheusSink>,
    producer: Arc<str>,
}

impl Sink for ProducerSink {
    fn name(&self) -> &str {
        "prometheus"
    }

    fn accept(&self, batch: Arc<[Sample]>) {
        self.sink.accept_from(&self.producer, batch);
    }

    fn stats(&self) -> SinkStats {
        self.sink.stats()
    }
}

impl PrometheusSink {
    /// A handle for one kind of producer (`"snmp"`, `"probe"`).
    pub fn producer(self: &Arc<Self>, name: impl Into<Arc<str>>) -> ProducerSink {
        ProducerSink {
            sink: self.clone(),
            producer: name.into(),
        }
    }

    fn accept_from(&self, producer: &str, batch: Arc<[Sample]>) {
        let labels = &self.config.source_labels;
        let Some(first) = batch.first() else {
            return;
        };
        let first_key = SourceKey::of(producer, first, labels);
        // The usual case: one poll, one source.
        if batch.iter().all(|s| first_key.matches(s, labels)) {
            let indices = (0..batch.len() as u32).collect();
            self.store(first_key, &batch, indices);
            return;
        }
        let mut groups: HashMap<SourceKey, Vec<u32>> = HashMap::new();
        for (i, sample) in batch.iter().enumerate() {
            groups
                .entry(SourceKey::of(producer, sample, labels))
                .or_default()
                .push(i as u32);
        }
        for (key, indices) in groups {
            self.store(key, &batch, indices);
        }
    }
}

// ---- format 0.0.4 ----

/// `[a-zA-Z_:][a-zA-Z0-9_:]*`
pub fn is_metric_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_' || b == b':')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b':')
}

/// `[a-zA-Z_][a-zA-Z0-9_]*`, and not starting with `__` (reserved for Prometheus).
pub fn is_label_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    !name.starts_with("__")
        && bytes
            .next()
            .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

fn valid_label_names(labels: &Labels) -> bool {
    labels.iter().all(|(name, _)| is_label_name(name))
}

fn write_header(out: &mut String, name: &str, help: Option<&str>, kind: MetricKind) {
    if let Some(help) = help {
        out.push_str("# HELP ");
        out.push_str(name);
        out.push(' ');
        escape_into(out, help, false);
        out.push('\n');
    }
    out.push_str("# TYPE ");
    out.push_str(name);
    out.push_str(match kind {
        MetricKind::Counter => " counter\n",
        MetricKind::Gauge => " gauge\n",
    });
}

/// One sample line, without timestamp: like snmp_exporter, the scrape time is the time.
fn write_series(out: &mut String, name: &str, labels: &Labels, value: f64) {
    out.push_str(name);
    if !labels.is_empty() {
        out.push('{');
        for (i, (name, value)) in labels.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(name);
            out.push_str("=\"");
            escape_into(out, value, true);
            out.push('"');
        }
        out.push('}');
    }
    out.push(' ');
    push_value(out, value);
    out.push('\n');
}

fn push_value(out: &mut String, value: f64) {
    if value.is_nan() {
        out.push_str("NaN");
    } else if value.is_infinite() {
        out.push_str(if value > 0.0 { "+Inf" } else { "-Inf" });
    } else {
        number::push_finite_f64(out, value);
    }
}

/// Label values escape `\`, `"` and newline; HELP text only `\` and newline.
fn escape_into(out: &mut String, s: &str, quote: bool) {
    if !s
        .bytes()
        .any(|b| b == b'\\' || b == b'\n' || (quote && b == b'"'))
    {
        out.push_str(s);
        return;
    }
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '"' if quote => out.push_str("\\\""),
            c => out.push(c),
        }
    }
}

// ---- OpenMetrics through prometheus-client ----

/// The same store as a prometheus-client [`Collector`], for an OpenMetrics endpoint or to
/// merge into a [`Registry`](prometheus_client::registry::Registry) that also holds the
/// daemon's own metrics. Counter samples get `_total` appended, as OpenMetrics requires;
/// HELP defaults to the metric name where none was set (prometheus-client always writes a
/// HELP line).
#[derive(Debug, Clone)]
pub struct OpenMetricsCollector(pub Arc<PrometheusSink>);

struct LabelsRef<'a>(&'a Labels);

impl EncodeLabelSet for LabelsRef<'_> {
    fn encode(&self, encoder: &mut LabelSetEncoder) -> Result<(), fmt::Error> {
        for pair in self.0.iter() {
            prometheus_client::encoding::EncodeLabel::encode(&pair, encoder.encode_label())?;
        }
        Ok(())
    }
}

impl Collector for OpenMetricsCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), fmt::Error> {
        let sink = &self.0;
        let snapshot = sink.snapshot(|_| true);
        let help = sink.help.read().unwrap_or_else(PoisonError::into_inner);
        for (name, (kind, parts)) in PrometheusSink::families(&snapshot) {
            let (family_name, metric_type) = match kind {
                MetricKind::Counter => (
                    name.strip_suffix("_total").unwrap_or(name),
                    MetricType::Counter,
                ),
                MetricKind::Gauge => (name, MetricType::Gauge),
            };
            let help_text = help.get(name).map_or(family_name, String::as_str);
            let mut metric_encoder =
                encoder.encode_descriptor(family_name, help_text, None, metric_type)?;
            for (s, f) in parts {
                let family = &snapshot[s as usize].1.families[f as usize];
                for (labels, value) in family.series.iter() {
                    let labels = LabelsRef(labels);
                    let series = metric_encoder.encode_family(&labels)?;
                    match kind {
                        MetricKind::Counter => ConstCounter::new(*value).encode(series)?,
                        MetricKind::Gauge => ConstGauge::new(*value).encode(series)?,
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    fn t() -> std::time::SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_700_000_000)
    }

    fn text(sink: &PrometheusSink) -> String {
        let mut out = String::new();
        sink.encode(&mut out);
        out
    }

    /// (case, samples of one source, help texts, expected exposition)
    #[test]
    fn sample_in_text_out() {
        let if2 = || Labels::new().with("ifIndex", "2").with("ifName", "eth0");
        type Case = (
            &'static str,
            Vec<Sample>,
            Vec<(&'static str, &'static str)>,
            &'static str,
        );
        let cases: Vec<Case> = vec![
            (
                "snmp_exporter counter keeps its name, no _total",
                vec![Sample::counter("ifHCInOctets", if2(), 1234.0, t())],
                vec![],
                "# TYPE ifHCInOctets counter\nifHCInOctets{ifIndex=\"2\",ifName=\"eth0\"} 1234\n",
            ),
            (
                "counter already named _total stays single",
                vec![Sample::counter(
                    "netops_influx_lines_sent_total",
                    Labels::new(),
                    7.0,
                    t(),
                )],
                vec![],
                "# TYPE netops_influx_lines_sent_total counter\nnetops_influx_lines_sent_total 7\n",
            ),
            (
                "gauge with HELP, escaped",
                vec![Sample::gauge("ifOperStatus", if2(), 1.0, t())],
                vec![(
                    "ifOperStatus",
                    "The current state\\status\nof the interface.",
                )],
                "# HELP ifOperStatus The current state\\\\status\\nof the interface.\n\
                 # TYPE ifOperStatus gauge\nifOperStatus{ifIndex=\"2\",ifName=\"eth0\"} 1\n",
            ),
            (
                "label values escape backslash, quote, newline; keep UTF-8 and empty values",
                vec![Sample::gauge(
                    "m",
                    Labels::new()
                        .with("ifAlias", "to \"core\" C:\\x\nnext 大楼")
                        .with("empty", ""),
                    1.0,
                    t(),
                )],
                vec![],
                "# TYPE m gauge\nm{empty=\"\",ifAlias=\"to \\\"core\\\" C:\\\\x\\nnext 大楼\"} 1\n",
            ),
            (
                "special and fractional values",
                vec![
                    Sample::gauge("v", Labels::new().with("c", "a"), f64::NAN, t()),
                    Sample::gauge("v", Labels::new().with("c", "b"), f64::INFINITY, t()),
                    Sample::gauge("v", Labels::new().with("c", "c"), f64::NEG_INFINITY, t()),
                    Sample::gauge("v", Labels::new().with("c", "d"), 0.25, t()),
                    Sample::gauge("v", Labels::new().with("c", "e"), -1.5e-7, t()),
                    Sample::gauge("v", Labels::new().with("c", "f"), 1e300, t()),
                    Sample::gauge("v", Labels::new().with("c", "g"), -42.0, t()),
                ],
                vec![],
                "# TYPE v gauge\nv{c=\"a\"} NaN\nv{c=\"b\"} +Inf\nv{c=\"c\"} -Inf\nv{c=\"d\"} 0.25\n\
                 v{c=\"e\"} -1.5e-7\nv{c=\"f\"} 1e300\nv{c=\"g\"} -42\n",
            ),
            (
                "families sorted by name, series by labels, whatever the batch order",
                vec![
                    Sample::gauge("b", Labels::new().with("i", "2"), 2.0, t()),
                    Sample::counter("a", Labels::new(), 1.0, t()),
                    Sample::gauge("b", Labels::new().with("i", "1"), 1.0, t()),
                ],
                vec![],
                "# TYPE a counter\na 1\n# TYPE b gauge\nb{i=\"1\"} 1\nb{i=\"2\"} 2\n",
            ),
            (
                "names Prometheus cannot carry are dropped",
                vec![
                    Sample::gauge("if-HC", Labels::new(), 1.0, t()),
                    Sample::gauge("ok", Labels::new().with("1abc", "x"), 1.0, t()),
                    Sample::gauge("ok", Labels::new().with("__name__", "x"), 1.0, t()),
                    Sample::gauge("ok:rule", Labels::new().with("_x", "y"), 1.0, t()),
                ],
                vec![],
                "# TYPE ok:rule gauge\nok:rule{_x=\"y\"} 1\n",
            ),
        ];
        for (case, samples, help, want) in cases {
            let sink = PrometheusSink::default();
            for (name, text) in help {
                sink.set_help(name, text);
            }
            sink.replace("poll", samples.into());
            assert_eq!(text(&sink), want, "{case}");
        }
    }

    #[test]
    fn a_name_used_with_both_types_in_one_batch_keeps_the_first_type() {
        let sink = PrometheusSink::default();
        sink.replace(
            "s",
            vec![
                Sample::gauge("x", Labels::new().with("a", "2"), 2.0, t()),
                Sample::counter("x", Labels::new().with("a", "1"), 1.0, t()),
            ]
            .into(),
        );
        assert_eq!(text(&sink), "# TYPE x counter\nx{a=\"1\"} 1\n");
    }

    #[test]
    fn invalid_samples_are_counted_as_dropped() {
        let sink = PrometheusSink::default();
        sink.replace(
            "s",
            vec![
                Sample::gauge("ok", Labels::new(), 1.0, t()),
                Sample::gauge("not ok", Labels::new(), 1.0, t()),
            ]
            .into(),
        );
        assert_eq!(
            sink.stats(),
            SinkStats {
                delivered: 1,
                spooled: 0,
                dropped: 1
            }
        );
    }

    fn poll(target: &str, octets: f64, interfaces: &[&str]) -> Arc<[Sample]> {
        interfaces
            .iter()
            .map(|i| {
                Sample::counter(
                    "ifHCInOctets",
                    Labels::new()
                        .with("job", "snmp")
                        .with("target", target)
                        .with("ifIndex", *i),
                    octets,
                    t(),
                )
            })
            .collect()
    }

    #[test]
    fn a_new_poll_replaces_the_previous_poll_of_the_same_target_only() {
        let sink = Arc::new(PrometheusSink::default());
        let snmp = sink.producer("snmp");
        snmp.accept(poll("r1", 1.0, &["1", "2"]));
        snmp.accept(poll("r2", 5.0, &["1"]));
        // r1's interface 2 disappeared: gone from the exposition, r2 untouched.
        snmp.accept(poll("r1", 3.0, &["1"]));
        assert_eq!(
            text(&sink),
            "# TYPE ifHCInOctets counter\n\
             ifHCInOctets{ifIndex=\"1\",job=\"snmp\",target=\"r1\"} 3\n\
             ifHCInOctets{ifIndex=\"1\",job=\"snmp\",target=\"r2\"} 5\n"
        );
        assert_eq!(sink.source_count(), 2);

        let mut only_r2 = String::new();
        assert!(sink.encode_source(&SourceKey::new(["snmp", "r2"]), &mut only_r2));
        assert_eq!(
            only_r2,
            "# TYPE ifHCInOctets counter\nifHCInOctets{ifIndex=\"1\",job=\"snmp\",target=\"r2\"} 5\n"
        );
        assert!(!sink.encode_source(&SourceKey::new(["snmp", "r9"]), &mut only_r2));

        assert!(sink.remove(SourceKey::new(["snmp", "r1"])));
        assert!(!text(&sink).contains("r1"));
    }

    #[test]
    fn producers_of_the_same_target_do_not_replace_each_other() {
        let sink = Arc::new(PrometheusSink::default());
        sink.producer("snmp").accept(poll("r1", 1.0, &["1"]));
        let probe: Arc<[Sample]> = vec![Sample::gauge(
            "netops_probe_success",
            Labels::new().with("target", "r1"),
            1.0,
            t(),
        )]
        .into();
        sink.producer("probe").accept(probe);
        assert_eq!(sink.source_count(), 2);
        let all = text(&sink);
        assert!(all.contains("ifHCInOctets{"), "{all}");
        assert!(
            all.contains("netops_probe_success{target=\"r1\"} 1"),
            "{all}"
        );
    }

    #[test]
    fn a_batch_with_several_sources_updates_each() {
        let sink = PrometheusSink::default();
        sink.accept(poll("r1", 1.0, &["1"]));
        let mixed: Vec<Sample> = poll("r1", 2.0, &["1"])
            .iter()
            .chain(poll("r2", 3.0, &["1"]).iter())
            .cloned()
            .collect();
        sink.accept(mixed.into());
        assert_eq!(sink.source_count(), 2);
        assert_eq!(
            text(&sink),
            "# TYPE ifHCInOctets counter\n\
             ifHCInOctets{ifIndex=\"1\",job=\"snmp\",target=\"r1\"} 2\n\
             ifHCInOctets{ifIndex=\"1\",job=\"snmp\",target=\"r2\"} 3\n"
        );
    }

    #[test]
    fn a_source_that_disagrees_on_the_type_is_left_out_of_that_family() {
        let sink = PrometheusSink::default();
        sink.replace(
            "a",
            vec![Sample::counter("x", Labels::new().with("s", "a"), 1.0, t())].into(),
        );
        sink.replace(
            "b",
            vec![Sample::gauge("x", Labels::new().with("s", "b"), 2.0, t())].into(),
        );
        assert_eq!(text(&sink), "# TYPE x counter\nx{s=\"a\"} 1\n");
    }

    #[test]
    fn stale_sources_are_hidden_and_expired() {
        let sink = PrometheusSink::new(PrometheusConfig {
            stale_after_seconds: Some(0.05),
            ..PrometheusConfig::default()
        })
        .unwrap();
        sink.replace(
            "old",
            vec![Sample::gauge("x", Labels::new(), 1.0, t())].into(),
        );
        std::thread::sleep(Duration::from_millis(80));
        sink.replace(
            "new",
            vec![Sample::gauge("y", Labels::new(), 1.0, t())].into(),
        );
        assert_eq!(text(&sink), "# TYPE y gauge\ny 1\n");
        assert_eq!(sink.expire(), 1);
        assert_eq!(sink.source_count(), 1);
    }

    #[test]
    fn config_is_checked() {
        let cfg: PrometheusConfig =
            toml::from_str("source_labels = [\"target\"]\nstale_after_seconds = 300\n").unwrap();
        cfg.validate().unwrap();
        assert!(toml::from_str::<PrometheusConfig>("stale_after = 3\n").is_err());
        let bad = PrometheusConfig {
            source_labels: vec!["tar-get".into()],
            stale_after_seconds: None,
        };
        assert!(
            bad.validate()
                .unwrap_err()
                .to_string()
                .contains("`source_labels`")
        );
    }

    #[test]
    fn openmetrics_collector_adds_total_only_where_missing() {
        let sink = Arc::new(PrometheusSink::default());
        sink.set_help("ifHCInOctets", "Octets received.");
        sink.replace(
            "s",
            vec![
                Sample::counter(
                    "ifHCInOctets",
                    Labels::new().with("ifIndex", "1"),
                    10.0,
                    t(),
                ),
                Sample::counter("netops_lines_total", Labels::new(), 3.0, t()),
                Sample::gauge("ifOperStatus", Labels::new().with("ifIndex", "1"), 1.0, t()),
            ]
            .into(),
        );
        let mut registry = prometheus_client::registry::Registry::default();
        registry.register_collector(Box::new(OpenMetricsCollector(sink)));
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &registry).unwrap();
        insta::assert_snapshot!(out);
    }

    #[test]
    fn snapshot_of_an_if_mib_poll() {
        let sink = PrometheusSink::default();
        sink.set_help("ifHCInOctets", "The total number of octets received on the interface, including framing characters - 1.3.6.1.2.1.31.1.1.1.6");
        sink.set_help(
            "ifOperStatus",
            "The current operational state of the interface - 1.3.6.1.2.1.2.2.1.8",
        );
        let mut batch = Vec::new();
        for (i, name, alias, octets, status) in [
            ("1", "lo", "", 8_123_456.0, 1.0),
            ("2", "eth0", "uplink to core \"A\"", 98_765_432_109.0, 1.0),
            ("3", "eth1", "spare", 0.0, 2.0),
        ] {
            let labels = Labels::new()
                .with("ifIndex", i)
                .with("ifName", name)
                .with("ifAlias", alias)
                .with("ifDescr", name);
            batch.push(Sample::counter("ifHCInOctets", labels.clone(), octets, t()));
            batch.push(Sample::gauge("ifOperStatus", labels, status, t()));
        }
        batch.push(Sample::gauge("sysUpTime", Labels::new(), 12_345_678.0, t()));
        sink.replace("r1", batch.into());
        insta::assert_snapshot!(text(&sink));
    }
}
