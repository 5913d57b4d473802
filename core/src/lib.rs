//! netops-core: the vocabulary every other netops crate shares, and nothing that touches a
//! socket.
//!
//! - [`Sample`] and [`Labels`]: one measured value of one series at one time, the unit that
//!   flows from producers (SNMP polls, probe rounds) to consumers.
//! - [`Sink`]: every consumer of samples (the Prometheus registry, the InfluxDB writer, the
//!   alert evaluator) implements it. A sink must never block its caller: a slow sink spools
//!   or drops, and counts what it dropped.
//! - [`Event`]: something that happened at one instant (an SNMP trap, a drill injection),
//!   as opposed to a sampled value.
//! - [`Secret`]: a credential that never shows in `Debug`, `Display` or serialized output.
//! - [`scheduler`]: runs periodic jobs spread over their interval, with bounded
//!   concurrency and cancellation; stable hashing for offsets and `--shard I/N`.

pub mod event;
pub mod labels;
pub mod sample;
pub mod scheduler;
pub mod secret;
pub mod sink;

pub use event::{Event, Severity};
pub use labels::Labels;
pub use sample::{MetricKind, MetricName, Sample};
pub use secret::Secret;
pub use sink::{Sink, SinkStats};
