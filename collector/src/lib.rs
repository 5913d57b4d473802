//! netops-collector: everything that talks SNMP, and the sinks samples flow into.
//!
//! - [`snmp`]: the SNMP engine behind our own [`snmp::SnmpClient`] trait (v1, v2c, v3 USM;
//!   GET, GETNEXT, GETBULK, walk; many agents on one shared UDP socket).
//! - [`sink`]: consumers of samples (Prometheus exposition, InfluxDB line protocol).
pub mod config;
pub mod counters;
pub mod exporter;
pub mod job;
pub mod modules;
pub mod poll;
pub mod sim;
pub mod sink;
pub mod snmp;
pub mod traps;
