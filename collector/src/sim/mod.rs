//! The SNMP agent simulator behind `netops sim`: many agents on consecutive UDP ports, each
//! answering GET/GETNEXT/GETBULK (v1, v2c, v3 authPriv) from an snmpsim `.snmprec`
//! recording, with counters and sysUpTime that move over time and faults on demand. It is
//! the agent side of every netops benchmark and fault test.
//!
//! - [`snmprec`]: the recording format (parse, write).
//! - [`dynamics`]: how counters and uptime move (pure functions of time).
//! - [`store`]: the sorted object store and its GET/GETNEXT/GETBULK answers (pure).
//! - [`usm`]: SNMPv3 USM on the agent side, on async-snmp's crypto primitives.
//! - [`agent`]: one agent, datagram in, datagram out (pure, given the time).
//! - [`fault`]: timeout, slow, reboot and malformed modes.
//! - [`server`]: the sockets, one task per agent.
//! - [`generate`]: deterministic router-like recordings; [`record`]: walk a real device.

pub mod agent;
pub mod dynamics;
mod error;
pub mod fault;
pub mod generate;
pub mod record;
pub mod server;
pub mod snmprec;
pub mod store;
pub mod usm;

pub use error::SimError;
