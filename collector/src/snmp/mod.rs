//! The SNMP engine as netops sees it.
//!
//! - [`Oid`], [`SnmpValue`], [`VarBind`]: our own value types.
//! - [`Credentials`], [`RequestOptions`]: how to talk to an agent (v1, v2c, v3 USM).
//! - [`SnmpClient`]: GET, GETNEXT, GETBULK against one agent; [`walk`] on top of it.
//! - [`SnmpEngine`]: the implementation, on the pinned `async-snmp` crate, with one shared
//!   UDP socket for all agents; [`dedicated_session`] for one-shot tools.
//!
//! Why async-snmp: the `snmp` crate is abandoned (2017, sync, no v3). async-snmp is
//! maintained, async, and has what a poller of 10,000 devices needs: a shared socket with
//! request-id correlation, USM with MD5..SHA-512 and DES/AES-128/192/256 (with net-snmp's
//! key extension), engine discovery and time-window correction. It stays behind
//! [`SnmpClient`] so it can be replaced.

mod client;
pub mod codec;
mod credentials;
mod engine;
mod error;
mod oid;
mod target;
mod value;
mod walk;

pub use client::SnmpClient;
pub use credentials::{
    AuthProtocol, Credentials, PrivProtocol, RequestOptions, SecurityLevel, UsmUser, Version,
};
pub use engine::{Session, SnmpEngine, dedicated_session};
pub use error::SnmpError;
pub use oid::{Oid, OidParseError};
pub use target::{AgentAddress, DEFAULT_PORT};
pub use value::{SnmpValue, VarBind};
pub use walk::{WalkState, walk};
