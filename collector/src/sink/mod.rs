//! Sinks: consumers of samples, one file (or folder) per sink.
//!
//! - [`influx`]: InfluxDB line-protocol writer (`/api/v2/write`, gzip, batching, a disk
//!   spool that replays in order when the server comes back).
//! - [`prometheus`]: latest samples per source, served as Prometheus text exposition with
//!   snmp_exporter-compatible names.

pub mod error;
pub mod influx;
mod number;
pub mod prometheus;

pub use error::SinkError;
