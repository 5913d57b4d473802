//! Errors of the sinks. Kept here until the crate-level error enum (`collector/src/error.rs`)
//! exists; each variant names the key, file or endpoint that failed.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    /// A config key holds a value that cannot work (`flush_interval_seconds = 0`).
    #[error("sink config: key `{key}`: {reason}")]
    Config { key: &'static str, reason: String },

    /// The on-disk spool could not be read or written.
    #[error("spool {path}: {source}")]
    Spool {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The HTTP client could not be built (TLS backend, bad header value).
    #[error("http client for {url}: {reason}")]
    HttpClient { url: String, reason: String },
}

impl SinkError {
    pub(crate) fn spool(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Spool {
            path: path.into(),
            source,
        }
    }
}
