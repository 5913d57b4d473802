//! netops-collector: everything that talks SNMP.
//!
//! - [`snmp`]: the SNMP engine behind our own [`snmp::SnmpClient`] trait (v1, v2c, v3 USM;
//!   GET, GETNEXT, GETBULK, walk; many agents on one shared UDP socket).
pub mod snmp;
