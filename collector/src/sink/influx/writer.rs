//! The writer task: receives batches from [`InfluxSink`](super::InfluxSink), batches them
//! into request bodies, gzips them and POSTs them to `/api/v2/write`. Bodies the server
//! cannot take right now (connection refused, timeout, 5xx, 429) go to the disk
//! [`Spool`] and are replayed oldest first, in order, once the server answers again. A body
//! leaves the spool only after a 2xx, so a server restart loses nothing and duplicates
//! nothing that it acknowledged.
//!
//! Order is kept by one rule: while the spool holds anything, new bodies are appended to it
//! instead of being sent ahead of older ones.

use super::config::InfluxConfig;
use super::encoder::{encode_event, encode_sample};
use super::spool::Spool;
use super::{Counters, Input};
use crate::sink::SinkError;
use bytes::Bytes;
use flate2::Compression;
use flate2::write::GzEncoder;
use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, CONTENT_ENCODING, CONTENT_TYPE, HeaderValue, RETRY_AFTER};
use std::collections::HashSet;
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until};
use tokio_util::sync::CancellationToken;

/// Spooled bodies replayed per turn of the loop, so a long backlog does not keep the task
/// from draining its input queue.
const REPLAY_BODIES_PER_TURN: usize = 8;
/// How much of a rejecting server's answer is logged.
const LOGGED_BODY_BYTES: usize = 512;

/// What became of one POST.
#[derive(Debug)]
enum Delivery {
    Delivered,
    /// The server refused the data itself (4xx other than 429): sending it again cannot help.
    Rejected,
    /// The server is away or overloaded; try again later, after at least this long if it
    /// said so (Retry-After).
    Retry(Option<Duration>),
}

/// The task half of the sink. Build it with [`InfluxSink::new`](super::InfluxSink::new)
/// and drive it with [`InfluxWriter::run`].
#[derive(Debug)]
pub struct InfluxWriter {
    config: InfluxConfig,
    input: mpsc::Receiver<Input>,
    counters: Arc<Counters>,
    client: reqwest::Client,
    write_url: reqwest::Url,
    auth: Option<HeaderValue>,
    spool: Spool,
    /// Uncompressed lines of the body being built, reused between bodies.
    lines: Vec<u8>,
    line_count: u64,
    /// When the first line of the current body arrived; the body is due a flush interval
    /// later.
    body_started: Option<Instant>,
    retry_at: Option<Instant>,
    backoff: Duration,
    /// HTTP statuses already logged at warn level: a server that rejects every body with
    /// the same 401 should not flood the log.
    logged_statuses: HashSet<u16>,
}

impl InfluxWriter {
    pub(super) fn new(
        config: InfluxConfig,
        input: mpsc::Receiver<Input>,
        counters: Arc<Counters>,
    ) -> Result<Self, SinkError> {
        config.validate()?;
        let client_error = |reason: String| SinkError::HttpClient {
            url: config.url.clone(),
            reason,
        };
        let mut write_url = reqwest::Url::parse(&config.url).map_err(|e| SinkError::Config {
            key: "url",
            reason: e.to_string(),
        })?;
        {
            let path = format!("{}/api/v2/write", write_url.path().trim_end_matches('/'));
            write_url.set_path(&path);
        }
        write_url
            .query_pairs_mut()
            .clear()
            .append_pair("org", &config.org)
            .append_pair("bucket", &config.bucket)
            .append_pair("precision", "ns");
        let auth = match &config.token {
            Some(token) => {
                let mut value = HeaderValue::from_str(&format!("Token {}", token.expose()))
                    // The error text would not contain the token, but say nothing anyway.
                    .map_err(|_| {
                        client_error("token holds characters not allowed in an HTTP header".into())
                    })?;
                // Keeps it out of reqwest's and hyper's Debug output.
                value.set_sensitive(true);
                Some(value)
            }
            None => None,
        };
        let client = reqwest::Client::builder()
            .timeout(config.request_timeout())
            .build()
            .map_err(|e| client_error(e.to_string()))?;
        let spool = Spool::open(&config.spool_dir, config.spool_max_bytes)?;
        counters.spool_bytes.store(spool.bytes(), Ordering::Relaxed);
        // Whatever a previous run left behind is replayed first.
        let retry_at = (!spool.is_empty()).then(Instant::now);
        let backoff = config.retry_interval();
        Ok(Self {
            lines: Vec::with_capacity(config.max_batch_bytes.min(16 << 20) + 4096),
            config,
            input,
            counters,
            client,
            write_url,
            auth,
            spool,
            line_count: 0,
            body_started: None,
            retry_at,
            backoff,
            logged_statuses: HashSet::new(),
        })
    }

    /// Runs until `cancel` fires or every [`InfluxSink`](super::InfluxSink) handle is
    /// dropped. On the way out it encodes what is still queued, tries to send it, and spools
    /// whatever the server does not take.
    pub async fn run(mut self, cancel: CancellationToken) {
        tracing::info!(url = %self.write_url, spool = %self.spool.dir().display(), spooled_bodies = self.spool.len(), "influx writer started");
        loop {
            let wake = match (self.flush_due_at(), self.retry_due_at()) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            tokio::select! {
                biased;
                () = cancel.cancelled() => break,
                input = self.input.recv() => match input {
                    Some(input) => self.take(input, &cancel).await,
                    None => break,
                },
                () = sleep_until(wake.unwrap_or_else(Instant::now)), if wake.is_some() => {}
            }
            if self.flush_due_at().is_some_and(|t| t <= Instant::now()) {
                self.flush(&cancel).await;
            }
            if self.retry_due_at().is_some_and(|t| t <= Instant::now()) {
                self.replay(&cancel, REPLAY_BODIES_PER_TURN).await;
            }
        }
        self.shut_down().await;
    }

    /// Bounded by one request timeout per body still in memory: what is queued is encoded
    /// and sent once (or spooled behind older bodies, which stay spooled: the spool is
    /// durable and the next run replays it).
    async fn shut_down(&mut self) {
        self.input.close();
        let no_replay = CancellationToken::new();
        no_replay.cancel();
        while let Ok(input) = self.input.try_recv() {
            self.take(input, &no_replay).await;
        }
        self.flush(&no_replay).await;
        tracing::info!(
            spooled_bodies = self.spool.len(),
            spooled_lines = self.spool.lines(),
            "influx writer stopped"
        );
    }

    fn flush_due_at(&self) -> Option<Instant> {
        self.body_started.map(|t| t + self.config.flush_interval())
    }

    fn retry_due_at(&self) -> Option<Instant> {
        if self.spool.is_empty() {
            None
        } else {
            self.retry_at
        }
    }

    /// Adds one input to the body under construction, sending bodies as they fill up.
    async fn take(&mut self, input: Input, cancel: &CancellationToken) {
        match input {
            Input::Samples(batch) => {
                for sample in batch.iter() {
                    match encode_sample(&mut self.lines, sample) {
                        Ok(()) => self.line_added(),
                        Err(_) => {
                            self.counters.dropped.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    if self.body_full() {
                        self.flush(cancel).await;
                    }
                }
            }
            Input::Event(event) => {
                match encode_event(&mut self.lines, &self.config.event_measurement, &event) {
                    Ok(()) => self.line_added(),
                    Err(_) => {
                        self.counters.dropped.fetch_add(1, Ordering::Relaxed);
                    }
                }
                if self.body_full() {
                    self.flush(cancel).await;
                }
            }
        }
    }

    fn line_added(&mut self) {
        self.line_count += 1;
        if self.body_started.is_none() {
            self.body_started = Some(Instant::now());
        }
    }

    fn body_full(&self) -> bool {
        self.line_count as usize >= self.config.max_batch_lines
            || self.lines.len() >= self.config.max_batch_bytes
    }

    /// Compresses the body under construction and sends it, or spools it behind older
    /// bodies (then replays some of those if they are due and `cancel` has not fired).
    async fn flush(&mut self, cancel: &CancellationToken) {
        if self.line_count == 0 {
            return;
        }
        let lines = std::mem::take(&mut self.line_count);
        self.body_started = None;
        let body = match gzip(&self.lines) {
            Ok(body) => body,
            Err(e) => {
                // Compressing into memory only fails on allocation failure.
                tracing::error!(error = %e, lines, "cannot gzip influx body; dropping it");
                self.lines.clear();
                self.counters.dropped.fetch_add(lines, Ordering::Relaxed);
                return;
            }
        };
        self.lines.clear();

        if !self.spool.is_empty() {
            self.spool_body(&body, lines);
            if self.retry_due_at().is_some_and(|t| t <= Instant::now()) {
                self.replay(cancel, REPLAY_BODIES_PER_TURN).await;
            }
            return;
        }
        match self.post(body.clone()).await {
            Delivery::Delivered => {
                self.counters.sent.fetch_add(lines, Ordering::Relaxed);
            }
            Delivery::Rejected => {
                self.counters.dropped.fetch_add(lines, Ordering::Relaxed);
            }
            Delivery::Retry(after) => {
                self.spool_body(&body, lines);
                self.schedule_retry(after);
            }
        }
    }

    /// Sends up to `max_bodies` spooled bodies, oldest first, stopping at the first that
    /// the server does not take.
    async fn replay(&mut self, cancel: &CancellationToken, max_bodies: usize) {
        for _ in 0..max_bodies {
            if cancel.is_cancelled() {
                return;
            }
            let Some(read) = blocking(|| self.spool.read_oldest()) else {
                break;
            };
            let lines = self.spool.oldest().map_or(0, |e| e.lines);
            let body = match read {
                Ok(body) => Bytes::from(body),
                Err(e) => {
                    tracing::error!(error = %e, lines, "cannot read spooled influx body; dropping it");
                    self.counters.dropped.fetch_add(lines, Ordering::Relaxed);
                    self.remove_oldest_spooled();
                    continue;
                }
            };
            match self.post(body).await {
                Delivery::Delivered => {
                    self.remove_oldest_spooled();
                    self.counters.sent.fetch_add(lines, Ordering::Relaxed);
                }
                Delivery::Rejected => {
                    self.remove_oldest_spooled();
                    self.counters.dropped.fetch_add(lines, Ordering::Relaxed);
                }
                Delivery::Retry(after) => {
                    self.schedule_retry(after);
                    return;
                }
            }
        }
        // The server took everything offered: back to the first retry interval.
        self.backoff = self.config.retry_interval();
        self.retry_at = Some(Instant::now());
        if self.spool.is_empty() {
            tracing::info!("influx spool drained");
        }
    }

    fn schedule_retry(&mut self, server_asked: Option<Duration>) {
        let wait = server_asked.map_or(self.backoff, |s| s.max(self.backoff));
        self.retry_at = Some(Instant::now() + wait);
        self.backoff = (self.backoff * 2).min(self.config.retry_max_interval());
    }

    fn spool_body(&mut self, body: &[u8], lines: u64) {
        if body.len() as u64 > self.config.spool_max_bytes {
            tracing::warn!(
                lines,
                body_bytes = body.len(),
                limit_bytes = self.config.spool_max_bytes,
                "influx body larger than the whole spool; dropping it"
            );
            self.counters.dropped.fetch_add(lines, Ordering::Relaxed);
        } else {
            match blocking(|| self.spool.push(body, lines)) {
                Ok(evicted) => {
                    self.counters.spooled.fetch_add(lines, Ordering::Relaxed);
                    if evicted.lines > 0 {
                        tracing::warn!(
                            dropped_lines = evicted.lines,
                            dropped_bodies = evicted.bodies,
                            limit_bytes = self.config.spool_max_bytes,
                            "influx spool full; dropped the oldest bodies"
                        );
                        self.counters
                            .dropped
                            .fetch_add(evicted.lines, Ordering::Relaxed);
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, lines, "cannot spool influx body; dropping it");
                    self.counters.dropped.fetch_add(lines, Ordering::Relaxed);
                }
            }
        }
        self.counters
            .spool_bytes
            .store(self.spool.bytes(), Ordering::Relaxed);
        if self.retry_at.is_none() {
            self.retry_at = Some(Instant::now() + self.backoff);
        }
    }

    fn remove_oldest_spooled(&mut self) {
        if let Err(e) = blocking(|| self.spool.remove_oldest()) {
            // The body was delivered (or given up); if the file stays, a restart would send
            // it twice. Nothing better to do than say so.
            tracing::error!(error = %e, "cannot delete delivered influx body from the spool");
        }
        self.counters
            .spool_bytes
            .store(self.spool.bytes(), Ordering::Relaxed);
    }

    async fn post(&mut self, body: Bytes) -> Delivery {
        let mut request = self
            .client
            .post(self.write_url.clone())
            .header(CONTENT_TYPE, "text/plain; charset=utf-8")
            .header(CONTENT_ENCODING, "gzip")
            .body(body);
        if let Some(auth) = &self.auth {
            request = request.header(AUTHORIZATION, auth.clone());
        }
        let response = match request.send().await {
            Ok(response) => response,
            Err(e) => {
                // reqwest's error names the URL, never the headers.
                tracing::debug!(error = %e, "influx write failed; will retry");
                return Delivery::Retry(None);
            }
        };
        let status = response.status();
        if status.is_success() {
            return Delivery::Delivered;
        }
        if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
            let after = response
                .headers()
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            tracing::debug!(%status, "influx server busy or failing; will retry");
            return Delivery::Retry(after);
        }
        let text = response.text().await.unwrap_or_default();
        let text = truncate_at_char(&text, LOGGED_BODY_BYTES);
        if self.logged_statuses.insert(status.as_u16()) {
            tracing::warn!(%status, url = %self.write_url, answer = %text, "influx server rejected a body; dropping it (further rejections with this status are logged at debug)");
        } else {
            tracing::debug!(%status, answer = %text, "influx server rejected a body; dropping it");
        }
        Delivery::Rejected
    }
}

/// Runs spool file I/O (which syncs to disk) without stalling the other tasks of a
/// multi-threaded runtime; on a current-thread runtime there is no other worker to hand
/// them to, so it just runs.
fn blocking<R>(f: impl FnOnce() -> R) -> R {
    match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(f),
        _ => f(),
    }
}

fn gzip(data: &[u8]) -> std::io::Result<Bytes> {
    // Level 1: line protocol compresses about 10:1 even so, and the CPU goes to polling.
    let mut encoder = GzEncoder::new(Vec::with_capacity(data.len() / 8 + 64), Compression::fast());
    encoder.write_all(data)?;
    encoder.finish().map(Bytes::from)
}

fn truncate_at_char(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::read::GzDecoder;
    use std::io::Read;

    #[test]
    fn gzip_round_trips() {
        let data = b"m,a=1 value=1 1\n".repeat(100);
        let body = gzip(&data).unwrap();
        let mut back = Vec::new();
        GzDecoder::new(&body[..]).read_to_end(&mut back).unwrap();
        assert_eq!(back, data);
        assert!(body.len() < data.len() / 5);
    }

    #[test]
    fn truncation_keeps_whole_characters() {
        assert_eq!(truncate_at_char("abc", 10), "abc");
        assert_eq!(truncate_at_char("ab大", 3), "ab");
    }
}
