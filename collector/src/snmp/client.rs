//! `SnmpClient`: the operations netops needs from an SNMP engine. The daemon, the walk
//! logic and the CLI use this trait, never the engine crate directly, so the engine can be
//! replaced (or mocked in unit tests of the walk logic).

use crate::snmp::{Oid, SnmpError, VarBind, Version};
use std::future::Future;

pub trait SnmpClient: Send + Sync {
    /// The agent as the user named it (`host:port`), for error messages and labels.
    fn target(&self) -> &str;

    fn version(&self) -> Version;

    fn get(&self, oids: &[Oid]) -> impl Future<Output = Result<Vec<VarBind>, SnmpError>> + Send;

    fn get_next(
        &self,
        oids: &[Oid],
    ) -> impl Future<Output = Result<Vec<VarBind>, SnmpError>> + Send;

    /// GETBULK (v2c and v3 only).
    fn get_bulk(
        &self,
        oids: &[Oid],
        non_repeaters: u32,
        max_repetitions: u32,
    ) -> impl Future<Output = Result<Vec<VarBind>, SnmpError>> + Send;
}
