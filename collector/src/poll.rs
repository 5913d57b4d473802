//! One poll of one target: GET the modules' scalars (and sysUpTime, for reboot detection),
//! walk their subtrees, and turn the answers into samples.

use crate::counters::{Continuity, CounterTracker};
use crate::modules::{ModuleDef, to_samples};
use crate::snmp::{Oid, SnmpClient, SnmpError, SnmpValue, VarBind, walk};
use netops_core::{Labels, Sample};
use std::time::{Duration, Instant, SystemTime};

const SYS_UP_TIME: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 3, 0];

/// What one poll produced.
#[derive(Debug)]
pub struct PollOutcome {
    pub samples: Vec<Sample>,
    /// Varbinds received (the unit of the benchmarks).
    pub varbinds: usize,
    pub duration: Duration,
    /// The first error; samples from what succeeded before it are kept.
    pub error: Option<SnmpError>,
    pub continuity: Continuity,
}

/// Polls `modules` on one agent. `base` labels go on every sample. Pass the target's
/// [`CounterTracker`] for continuous polling; `None` for a one-off (stateless) poll.
pub async fn poll_modules<C: SnmpClient>(
    client: &C,
    modules: &[&'static ModuleDef],
    base: &Labels,
    max_repetitions: u32,
    counters: Option<&mut CounterTracker>,
) -> PollOutcome {
    let started = Instant::now();
    let time = SystemTime::now();
    let mut error = None;

    let mut gets: Vec<Oid> = vec![Oid::from_arcs(SYS_UP_TIME.to_vec())];
    for m in modules {
        for oid in m.get_oids() {
            if !gets.contains(&oid) {
                gets.push(oid);
            }
        }
    }
    let mut scalars = match get_tolerant(client, &gets).await {
        Ok(vbs) => vbs,
        Err(e) => {
            error = Some(e);
            Vec::new()
        }
    };
    let uptime = scalars.iter().find_map(|vb| match vb.value {
        SnmpValue::TimeTicks(t) if vb.oid.arcs() == SYS_UP_TIME => Some(t),
        _ => None,
    });

    let mut walked: Vec<(Oid, Vec<VarBind>)> = Vec::new();
    if error.is_none() {
        'modules: for m in modules {
            for root in m.walk_oids() {
                if walked.iter().any(|(r, _)| root.starts_with(r)) {
                    continue;
                }
                match walk(client, &root, max_repetitions).await {
                    Ok(vbs) => walked.push((root, vbs)),
                    Err(e) => {
                        error = Some(e);
                        break 'modules;
                    }
                }
            }
        }
    }
    let varbinds = scalars.len() + walked.iter().map(|(_, v)| v.len()).sum::<usize>();

    let mut continuity = Continuity::Continuous;
    let mut counters = counters;
    if let (Some(tracker), Some(uptime)) = (counters.as_deref_mut(), uptime) {
        continuity = tracker.observe_uptime(uptime);
    }
    let mut samples = Vec::with_capacity(varbinds);
    for m in modules {
        // Each module sees only what it asked for, so an object two modules share
        // (sysUpTime) is exported once per module that lists it, never twice by one.
        let mut own: Vec<VarBind> = scalars
            .iter()
            .filter(|vb| m.get.iter().any(|g| vb.oid.arcs() == *g))
            .cloned()
            .collect();
        for (root, vbs) in &walked {
            if m.walk.iter().any(|w| root.arcs().starts_with(w)) {
                own.extend(vbs.iter().cloned());
            }
        }
        samples.extend(to_samples(m, &own, base, time, counters.as_deref_mut()));
    }
    scalars.clear();
    dedupe(&mut samples);
    PollOutcome {
        samples,
        varbinds,
        duration: started.elapsed(),
        error,
        continuity,
    }
}

/// GETs several scalars. SNMPv1 agents fail a whole request with noSuchName when one OID
/// is missing; then ask one by one and keep what exists.
async fn get_tolerant<C: SnmpClient>(client: &C, oids: &[Oid]) -> Result<Vec<VarBind>, SnmpError> {
    match client.get(oids).await {
        Ok(vbs) => Ok(vbs
            .into_iter()
            .filter(|vb| !vb.value.is_exception())
            .collect()),
        Err(SnmpError::Agent { code: 2, .. }) => {
            let mut out = Vec::new();
            for oid in oids {
                match client.get(std::slice::from_ref(oid)).await {
                    Ok(vbs) => out.extend(vbs.into_iter().filter(|vb| !vb.value.is_exception())),
                    Err(SnmpError::Agent { code: 2, .. }) => {}
                    Err(e) => return Err(e),
                }
            }
            Ok(out)
        }
        Err(e) => Err(e),
    }
}

/// Two modules may export the same object (sysUpTime in `system` and `if_mib`).
fn dedupe(samples: &mut Vec<Sample>) {
    let mut seen = std::collections::HashSet::new();
    samples.retain(|s| seen.insert((s.name.clone(), s.labels.clone())));
}
