//! One poll of one target: GET the modules' scalars (and sysUpTime, for reboot detection),
//! walk their subtrees, and turn the answers into samples.

use crate::counters::{Continuity, CounterTracker};
use crate::modules::{ModuleDef, to_samples_into};
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

    let mut gets: Vec<Oid> = vec![Oid::from_arcs(SYS_UP_TIME)];
    for m in modules {
        for oid in m.get_oids() {
            if !gets.contains(&oid) {
                gets.push(oid);
            }
        }
    }
    let scalars = match get_tolerant(client, &gets).await {
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
        // An agent that reboots *during* the walk hands us counters from before and after
        // the reboot. Read sysUpTime again: if it went back, forget every series and export
        // this poll's counters untracked, so nothing mixes the two runs into a wrap.
        if error.is_none()
            && let Ok(vbs) = client.get(&[Oid::from_arcs(SYS_UP_TIME)]).await
            && let Some(after) = vbs.iter().find_map(|vb| match vb.value {
                SnmpValue::TimeTicks(t) => Some(t),
                _ => None,
            })
            && tracker.observe_uptime(after) == Continuity::Rebooted
        {
            continuity = Continuity::Rebooted;
            counters = None;
        }
    }
    let mut samples = Vec::with_capacity(varbinds);
    for m in modules {
        // Each module sees only what it asked for, so an object two modules share
        // (sysUpTime) is exported once per module that lists it, never twice by one. The
        // varbinds are lent, not copied (a copy is an allocation per OID).
        let mut own: Vec<&[VarBind]> = scalars
            .iter()
            .filter(|vb| m.get.iter().any(|g| vb.oid.arcs() == *g))
            .map(std::slice::from_ref)
            .collect();
        for (root, vbs) in &walked {
            if m.walk.iter().any(|w| root.arcs().starts_with(w)) {
                own.push(vbs);
            }
        }
        to_samples_into(m, &own, base, time, counters.as_deref_mut(), &mut samples);
    }
    if modules.len() > 1 {
        dedupe(&mut samples);
    }
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

/// Two modules may export the same object (sysUpTime in `system` and `if_mib`); one
/// module never exports a series twice.
fn dedupe(samples: &mut Vec<Sample>) {
    let mut seen = std::collections::HashSet::new();
    samples.retain(|s| seen.insert((s.name.clone(), s.labels.clone())));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::modules::builtin;
    use crate::snmp::Version;
    use std::sync::Mutex;

    /// An agent whose sysUpTime answers come from a script (one per GET), with one
    /// interface whose 32-bit octet counter reads `counter`.
    struct Scripted {
        uptimes: Mutex<Vec<u32>>,
        counter: u32,
    }

    impl SnmpClient for Scripted {
        fn target(&self) -> &str {
            "scripted"
        }
        fn version(&self) -> Version {
            Version::V2c
        }
        async fn get(&self, oids: &[Oid]) -> Result<Vec<VarBind>, SnmpError> {
            let asks_uptime = oids.iter().any(|o| o.arcs() == SYS_UP_TIME);
            let t = if asks_uptime {
                self.uptimes.lock().unwrap().remove(0)
            } else {
                0
            };
            Ok(oids
                .iter()
                .map(|o| VarBind {
                    oid: o.clone(),
                    value: if o.arcs() == SYS_UP_TIME {
                        SnmpValue::TimeTicks(t)
                    } else {
                        SnmpValue::NoSuchObject
                    },
                })
                .collect())
        }
        async fn get_next(&self, _: &[Oid]) -> Result<Vec<VarBind>, SnmpError> {
            Ok(vec![])
        }
        async fn get_bulk(&self, oids: &[Oid], _: u32, _: u32) -> Result<Vec<VarBind>, SnmpError> {
            let root = &oids[0];
            let column: Oid = "1.3.6.1.2.1.2.2.1.10.1".parse().unwrap();
            Ok(if root.arcs() == [1, 3, 6, 1, 2, 1, 2] {
                vec![
                    VarBind {
                        oid: column,
                        value: SnmpValue::Counter32(self.counter),
                    },
                    VarBind {
                        oid: "1.3.6.1.2.1.3".parse().unwrap(),
                        value: SnmpValue::Null,
                    },
                ]
            } else {
                vec![VarBind {
                    oid: root.clone(),
                    value: SnmpValue::EndOfMibView,
                }]
            })
        }
    }

    async fn poll(
        uptimes: Vec<u32>,
        counter: u32,
        tracker: &mut CounterTracker,
    ) -> (f64, Continuity) {
        let agent = Scripted {
            uptimes: Mutex::new(uptimes),
            counter,
        };
        let modules = [builtin("if_mib").unwrap()];
        let out = poll_modules(&agent, &modules, &Labels::new(), 25, Some(tracker)).await;
        assert!(out.error.is_none(), "{:?}", out.error);
        assert!(
            agent.uptimes.lock().unwrap().is_empty(),
            "sysUpTime is read before and after the walk"
        );
        let v = out
            .samples
            .iter()
            .find(|s| s.name == "ifInOctets")
            .unwrap()
            .value;
        (v, out.continuity)
    }

    /// A reboot between the first sysUpTime read and the walk: the counter read after the
    /// reboot is small; without the second read it would look like a 32-bit wrap (+4 GB).
    #[tokio::test]
    async fn reboot_during_the_walk_is_not_a_wrap() {
        let mut tracker = CounterTracker::new();
        assert_eq!(
            poll(vec![100_000, 100_100], 3_900_000_000, &mut tracker).await,
            (3.9e9, Continuity::Continuous)
        );
        // Rebooted mid-poll: sysUpTime 100,500 before the walk, 50 after it.
        assert_eq!(
            poll(vec![100_500, 50], 1_000, &mut tracker).await,
            (1_000.0, Continuity::Rebooted)
        );
        // The next poll starts from the post-reboot values: no phantom wrap.
        assert_eq!(
            poll(vec![650, 700], 5_000, &mut tracker).await,
            (5_000.0, Continuity::Continuous)
        );
    }

    #[tokio::test]
    async fn a_real_wrap_is_still_extended() {
        let mut tracker = CounterTracker::new();
        poll(vec![100, 110], 4_294_000_000, &mut tracker).await;
        let (v, c) = poll(vec![200, 210], 32_704, &mut tracker).await;
        assert_eq!((v, c), (4_295_000_000.0, Continuity::Continuous));
    }
}
