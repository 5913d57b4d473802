//! Configuration of the InfluxDB writer (`[sinks.influxdb]` in the daemon's config).

use crate::sink::SinkError;
use netops_core::Secret;
use serde::Deserialize;
use std::path::PathBuf;
use std::time::Duration;

/// Where and how to write line protocol. Keys carry their unit; every key but `url`,
/// `org`, `bucket` and `spool_dir` has a default.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InfluxConfig {
    /// Base URL of the server, e.g. `http://127.0.0.1:8086`; `/api/v2/write` is appended.
    pub url: String,
    pub org: String,
    pub bucket: String,
    /// API token, sent as `Authorization: Token …`. Optional because VictoriaMetrics
    /// ignores it.
    #[serde(default)]
    pub token: Option<Secret>,
    /// A request body is sent when it holds this many lines…
    #[serde(default = "defaults::max_batch_lines")]
    pub max_batch_lines: usize,
    /// …or this many uncompressed bytes…
    #[serde(default = "defaults::max_batch_bytes")]
    pub max_batch_bytes: usize,
    /// …or this long after its first line, whichever comes first.
    #[serde(default = "defaults::flush_interval_seconds")]
    pub flush_interval_seconds: f64,
    #[serde(default = "defaults::request_timeout_seconds")]
    pub request_timeout_seconds: f64,
    /// First wait before retrying a server that failed; doubles up to
    /// `retry_max_interval_seconds`.
    #[serde(default = "defaults::retry_interval_seconds")]
    pub retry_interval_seconds: f64,
    #[serde(default = "defaults::retry_max_interval_seconds")]
    pub retry_max_interval_seconds: f64,
    /// Batches (one per poll) waiting between producers and the writer task. When full,
    /// new batches are dropped and counted: producers never wait.
    #[serde(default = "defaults::queue_capacity_batches")]
    pub queue_capacity_batches: usize,
    /// Directory for bodies the server could not take yet.
    pub spool_dir: PathBuf,
    /// Bytes (compressed) the spool may use; the oldest bodies are dropped beyond it.
    #[serde(default = "defaults::spool_max_bytes")]
    pub spool_max_bytes: u64,
    /// Measurement for events (traps, drill injections); `message` is their string field.
    #[serde(default = "defaults::event_measurement")]
    pub event_measurement: String,
}

mod defaults {
    pub fn max_batch_lines() -> usize {
        5_000
    }
    pub fn max_batch_bytes() -> usize {
        1 << 20
    }
    pub fn flush_interval_seconds() -> f64 {
        1.0
    }
    pub fn request_timeout_seconds() -> f64 {
        10.0
    }
    pub fn retry_interval_seconds() -> f64 {
        1.0
    }
    pub fn retry_max_interval_seconds() -> f64 {
        30.0
    }
    pub fn queue_capacity_batches() -> usize {
        1_024
    }
    pub fn spool_max_bytes() -> u64 {
        256 << 20
    }
    pub fn event_measurement() -> String {
        "netops_events".to_string()
    }
}

impl InfluxConfig {
    /// A config with every default, for code and tests that build one by hand.
    pub fn new(
        url: impl Into<String>,
        org: impl Into<String>,
        bucket: impl Into<String>,
        spool_dir: impl Into<PathBuf>,
    ) -> Self {
        Self {
            url: url.into(),
            org: org.into(),
            bucket: bucket.into(),
            token: None,
            max_batch_lines: defaults::max_batch_lines(),
            max_batch_bytes: defaults::max_batch_bytes(),
            flush_interval_seconds: defaults::flush_interval_seconds(),
            request_timeout_seconds: defaults::request_timeout_seconds(),
            retry_interval_seconds: defaults::retry_interval_seconds(),
            retry_max_interval_seconds: defaults::retry_max_interval_seconds(),
            queue_capacity_batches: defaults::queue_capacity_batches(),
            spool_dir: spool_dir.into(),
            spool_max_bytes: defaults::spool_max_bytes(),
            event_measurement: defaults::event_measurement(),
        }
    }

    /// Checks what serde cannot: the first bad key is named in the error.
    pub fn validate(&self) -> Result<(), SinkError> {
        let bad = |key, reason: &str| {
            Err(SinkError::Config {
                key,
                reason: reason.to_string(),
            })
        };
        match reqwest::Url::parse(&self.url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {}
            Ok(_) => return bad("url", "must be an http:// or https:// URL with a host"),
            Err(e) => return bad("url", &format!("not a URL: {e}")),
        }
        if self.org.is_empty() {
            return bad("org", "must not be empty");
        }
        if self.bucket.is_empty() {
            return bad("bucket", "must not be empty");
        }
        if self.max_batch_lines == 0 {
            return bad("max_batch_lines", "must be at least 1");
        }
        if self.max_batch_bytes == 0 {
            return bad("max_batch_bytes", "must be at least 1");
        }
        for (key, value) in [
            ("flush_interval_seconds", self.flush_interval_seconds),
            ("request_timeout_seconds", self.request_timeout_seconds),
            ("retry_interval_seconds", self.retry_interval_seconds),
            (
                "retry_max_interval_seconds",
                self.retry_max_interval_seconds,
            ),
        ] {
            if !(value.is_finite() && value > 0.0 && value < 86_400.0) {
                return bad(key, "must be more than 0 and less than a day");
            }
        }
        if self.retry_max_interval_seconds < self.retry_interval_seconds {
            return bad(
                "retry_max_interval_seconds",
                "must not be less than retry_interval_seconds",
            );
        }
        if self.queue_capacity_batches == 0 {
            return bad("queue_capacity_batches", "must be at least 1");
        }
        if self.spool_max_bytes == 0 {
            return bad("spool_max_bytes", "must be at least 1");
        }
        if self.event_measurement.is_empty() || self.event_measurement.contains(['\n', '\r']) {
            return bad("event_measurement", "must be one non-empty line");
        }
        Ok(())
    }

    pub(crate) fn flush_interval(&self) -> Duration {
        Duration::from_secs_f64(self.flush_interval_seconds)
    }

    pub(crate) fn request_timeout(&self) -> Duration {
        Duration::from_secs_f64(self.request_timeout_seconds)
    }

    pub(crate) fn retry_interval(&self) -> Duration {
        Duration::from_secs_f64(self.retry_interval_seconds)
    }

    pub(crate) fn retry_max_interval(&self) -> Duration {
        Duration::from_secs_f64(self.retry_max_interval_seconds)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
        url = "http://127.0.0.1:8086"
        org = "district"
        bucket = "netops"
        token = "s3cret-token"
        flush_interval_seconds = 0.5
        spool_dir = "/var/spool/netops/influx"
        spool_max_bytes = 1048576
    "#;

    #[test]
    fn parses_with_defaults_and_never_shows_the_token() {
        let cfg: InfluxConfig = toml::from_str(GOOD).unwrap();
        cfg.validate().unwrap();
        assert_eq!(cfg.flush_interval(), Duration::from_millis(500));
        assert_eq!(cfg.max_batch_lines, 5_000);
        assert_eq!(cfg.token.as_ref().unwrap().expose(), "s3cret-token");
        assert!(!format!("{cfg:?}").contains("s3cret"));
    }

    #[test]
    fn unknown_keys_are_refused() {
        let err = toml::from_str::<InfluxConfig>(&format!("{GOOD}\nflush_interval = 3\n"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown field `flush_interval`"), "{err}");
    }

    #[test]
    fn validation_names_the_key() {
        type BreakIt = fn(&mut InfluxConfig);
        let cases: [(&str, BreakIt); 5] = [
            ("url", |c| c.url = "ftp://x".into()),
            ("bucket", |c| c.bucket.clear()),
            ("flush_interval_seconds", |c| c.flush_interval_seconds = 0.0),
            ("retry_max_interval_seconds", |c| {
                c.retry_max_interval_seconds = 0.5;
                c.retry_interval_seconds = 1.0;
            }),
            ("spool_max_bytes", |c| c.spool_max_bytes = 0),
        ];
        for (key, break_it) in cases {
            let mut cfg: InfluxConfig = toml::from_str(GOOD).unwrap();
            break_it(&mut cfg);
            let err = cfg.validate().unwrap_err().to_string();
            assert!(err.contains(&format!("`{key}`")), "{key}: {err}");
        }
    }
}
