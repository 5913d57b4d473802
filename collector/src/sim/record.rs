//! `netops sim record`: walk a device and keep what it answered, as a recording.

use crate::snmp::{Oid, SnmpClient, SnmpError, VarBind, walk};

/// Walks every root in turn and returns the objects sorted by OID, each once (roots may
/// overlap).
pub async fn record<C: SnmpClient>(
    client: &C,
    roots: &[Oid],
    max_repetitions: u32,
) -> Result<Vec<VarBind>, SnmpError> {
    let mut out = Vec::new();
    for root in roots {
        out.extend(
            walk(client, root, max_repetitions)
                .await?
                .into_iter()
                .filter(|vb| !vb.value.is_exception()),
        );
    }
    out.sort_by(|a, b| a.oid.cmp(&b.oid));
    out.dedup_by(|a, b| a.oid == b.oid);
    Ok(out)
}
