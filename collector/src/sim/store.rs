//! The agent's object store and its answers to GET, GETNEXT and GETBULK: pure, given the
//! agent's time.
//!
//! A recording is a sorted `Vec` searched by binary search: one allocation per recording,
//! shared (behind an `Arc`) by every agent that serves it, so 10,000 agents of one
//! recording cost one copy of it.
//!
//! Semantics follow RFC 3416 for v2c/v3 (`noSuchObject`/`noSuchInstance` in GET,
//! `endOfMibView` at the end) and RFC 1157 for v1 (a `noSuchName` error naming the first
//! failing varbind; Counter64 objects do not exist for v1, as in net-snmp's agent).

use crate::sim::dynamics::{self, AgentTime, Dynamic, DynamicsOptions};
use crate::snmp::{Oid, SnmpValue, VarBind, Version};

/// RFC 3416 error-status values the simulator answers with.
pub const NO_SUCH_NAME: i32 = 2;
pub const NOT_WRITABLE: i32 = 17;

/// Response of the pure agent logic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub error_status: i32,
    pub error_index: i32,
    pub varbinds: Vec<VarBind>,
}

/// What was asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    Get,
    GetNext,
    GetBulk {
        non_repeaters: u32,
        max_repetitions: u32,
    },
    Set,
}

#[derive(Debug)]
pub struct Store {
    /// Name of the recording (file stem), for logs and `--help` listings.
    pub name: String,
    entries: Vec<VarBind>,
    dynamics: Vec<Dynamic>,
    options: DynamicsOptions,
}

impl Store {
    /// `recording` must be sorted by OID without duplicates (as [`super::snmprec::parse`]
    /// returns it); it is sorted again here to be safe for other callers.
    pub fn new(
        name: impl Into<String>,
        mut recording: Vec<VarBind>,
        options: DynamicsOptions,
    ) -> Self {
        recording.sort_by(|a, b| a.oid.cmp(&b.oid));
        recording.dedup_by(|a, b| a.oid == b.oid);
        let dynamics = dynamics::classify(&recording);
        Self {
            name: name.into(),
            entries: recording,
            dynamics,
            options,
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The recorded (time-zero) objects.
    pub fn recorded(&self) -> &[VarBind] {
        &self.entries
    }

    /// The rate of a counter, for tests that check what a poller sees.
    pub fn dynamic(&self, oid: &Oid) -> Option<Dynamic> {
        self.position(oid).ok().map(|i| self.dynamics[i])
    }

    fn position(&self, oid: &Oid) -> Result<usize, usize> {
        self.entries.binary_search_by(|vb| vb.oid.cmp(oid))
    }

    fn value(&self, i: usize, time: AgentTime) -> SnmpValue {
        dynamics::value_at(&self.entries[i].value, self.dynamics[i], time, self.options)
    }

    fn visible(&self, i: usize, version: Version) -> bool {
        version != Version::V1 || !matches!(self.entries[i].value, SnmpValue::Counter64(_))
    }

    /// GET of one OID.
    pub fn get(&self, oid: &Oid, version: Version, time: AgentTime) -> Option<SnmpValue> {
        let i = self.position(oid).ok()?;
        self.visible(i, version).then(|| self.value(i, time))
    }

    /// The first object after `oid`, as GETNEXT sees it.
    pub fn next(&self, oid: &Oid, version: Version, time: AgentTime) -> Option<VarBind> {
        let start = self.entries.partition_point(|vb| vb.oid <= *oid);
        (start..self.entries.len())
            .find(|&i| self.visible(i, version))
            .map(|i| VarBind {
                oid: self.entries[i].oid.clone(),
                value: self.value(i, time),
            })
    }

    /// v2c: `noSuchInstance` when the object type exists (something lives under the OID's
    /// parent), else `noSuchObject` — close to what net-snmp answers.
    fn missing(&self, oid: &Oid) -> SnmpValue {
        let arcs = oid.arcs();
        let parent = Oid::from_arcs(&arcs[..arcs.len().saturating_sub(1)]);
        let i = self.entries.partition_point(|vb| vb.oid < parent);
        match self.entries.get(i) {
            Some(vb) if vb.oid.starts_with(&parent) && !parent.is_empty() => {
                SnmpValue::NoSuchInstance
            }
            _ => SnmpValue::NoSuchObject,
        }
    }

    /// Answers one request. `size_budget` bounds the encoded size of a GETBULK answer
    /// (the response must fit the client's buffer and a UDP datagram); GET and GETNEXT
    /// answer exactly what was asked.
    pub fn answer(
        &self,
        request: Request,
        oids: &[Oid],
        version: Version,
        time: AgentTime,
        size_budget: usize,
    ) -> Answer {
        let v1_error = |index: usize| Answer {
            error_status: NO_SUCH_NAME,
            error_index: (index + 1) as i32,
            varbinds: oids
                .iter()
                .map(|oid| VarBind {
                    oid: oid.clone(),
                    value: SnmpValue::Null,
                })
                .collect(),
        };
        let ok = |varbinds| Answer {
            error_status: 0,
            error_index: 0,
            varbinds,
        };
        match request {
            Request::Get => {
                let mut out = Vec::with_capacity(oids.len());
                for (i, oid) in oids.iter().enumerate() {
                    let value = match self.get(oid, version, time) {
                        Some(v) => v,
                        None if version == Version::V1 => return v1_error(i),
                        None => self.missing(oid),
                    };
                    out.push(VarBind {
                        oid: oid.clone(),
                        value,
                    });
                }
                ok(out)
            }
            Request::GetNext => {
                let mut out = Vec::with_capacity(oids.len());
                for (i, oid) in oids.iter().enumerate() {
                    match self.next(oid, version, time) {
                        Some(vb) => out.push(vb),
                        None if version == Version::V1 => return v1_error(i),
                        None => out.push(VarBind {
                            oid: oid.clone(),
                            value: SnmpValue::EndOfMibView,
                        }),
                    }
                }
                ok(out)
            }
            Request::GetBulk {
                non_repeaters,
                max_repetitions,
            } => ok(self.bulk(
                oids,
                non_repeaters,
                max_repetitions,
                version,
                time,
                size_budget,
            )),
            Request::Set => {
                if version == Version::V1 {
                    v1_error(0)
                } else {
                    Answer {
                        error_status: NOT_WRITABLE,
                        error_index: 1,
                        varbinds: oids
                            .iter()
                            .map(|oid| VarBind {
                                oid: oid.clone(),
                                value: SnmpValue::Null,
                            })
                            .collect(),
                    }
                }
            }
        }
    }

    fn bulk(
        &self,
        oids: &[Oid],
        non_repeaters: u32,
        max_repetitions: u32,
        version: Version,
        time: AgentTime,
        size_budget: usize,
    ) -> Vec<VarBind> {
        let next_or_end = |oid: &Oid| {
            self.next(oid, version, time).unwrap_or_else(|| VarBind {
                oid: oid.clone(),
                value: SnmpValue::EndOfMibView,
            })
        };
        let n = (non_repeaters as usize).min(oids.len());
        let repeaters = &oids[n..];
        // Bound the work a single request can ask for, whatever max-repetitions says.
        let reps = (max_repetitions as usize).min(65_535 / repeaters.len().max(1));
        let mut out = Vec::with_capacity(n + repeaters.len() * reps.min(64));
        let mut size = 0usize;
        for oid in &oids[..n] {
            let vb = next_or_end(oid);
            size += encoded_size(&vb);
            out.push(vb);
        }
        let mut cursors: Vec<Oid> = repeaters.to_vec();
        for _ in 0..reps {
            let mut all_end = true;
            let row_start = out.len();
            for cursor in cursors.iter_mut() {
                let vb = next_or_end(cursor);
                if vb.value != SnmpValue::EndOfMibView {
                    all_end = false;
                    *cursor = vb.oid.clone();
                }
                size += encoded_size(&vb);
                out.push(vb);
            }
            if size > size_budget && row_start > 0 {
                // RFC 3416 4.2.3: drop trailing varbinds rather than answer tooBig.
                out.truncate(row_start);
                break;
            }
            if all_end {
                break;
            }
        }
        out
    }
}

/// A close upper bound of the BER size of one varbind.
pub fn encoded_size(vb: &VarBind) -> usize {
    let oid = vb.oid.len() * 5 + 2;
    let value = match &vb.value {
        SnmpValue::OctetString(b) | SnmpValue::Opaque(b) => b.len() + 4,
        SnmpValue::ObjectId(o) => o.len() * 5 + 2,
        _ => 11,
    };
    oid + value + 4
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vb(oid: &str, value: SnmpValue) -> VarBind {
        VarBind {
            oid: oid.parse().unwrap(),
            value,
        }
    }

    fn oid(s: &str) -> Oid {
        s.parse().unwrap()
    }

    const T0: AgentTime = AgentTime {
        elapsed_ms: 0,
        reboot_every_ms: None,
    };

    fn store() -> Store {
        Store::new(
            "t",
            vec![
                vb("1.3.6.1.2.1.1.1.0", SnmpValue::OctetString("descr".into())),
                vb("1.3.6.1.2.1.1.3.0", SnmpValue::TimeTicks(100)),
                vb("1.3.6.1.2.1.2.2.1.10.1", SnmpValue::Counter32(5)),
                vb("1.3.6.1.2.1.2.2.1.10.2", SnmpValue::Counter32(6)),
                vb("1.3.6.1.2.1.31.1.1.1.6.1", SnmpValue::Counter64(5)),
                vb("1.3.6.1.2.1.31.1.1.1.6.2", SnmpValue::Counter64(6)),
            ],
            DynamicsOptions::default(),
        )
    }

    #[test]
    fn get_v2c_exceptions_and_v1_no_such_name() {
        let s = store();
        let a = s.answer(
            Request::Get,
            &[
                oid("1.3.6.1.2.1.1.1.0"),
                oid("1.3.6.1.2.1.1.1.1"),
                oid("1.3.6.1.9.9.0"),
            ],
            Version::V2c,
            T0,
            65_000,
        );
        assert_eq!(a.error_status, 0);
        assert_eq!(a.varbinds[0].value, SnmpValue::OctetString("descr".into()));
        assert_eq!(a.varbinds[1].value, SnmpValue::NoSuchInstance);
        assert_eq!(a.varbinds[2].value, SnmpValue::NoSuchObject);

        let a = s.answer(
            Request::Get,
            &[oid("1.3.6.1.2.1.1.1.0"), oid("1.3.6.1.2.1.31.1.1.1.6.1")],
            Version::V1,
            T0,
            65_000,
        );
        assert_eq!(
            (a.error_status, a.error_index),
            (NO_SUCH_NAME, 2),
            "no Counter64 in v1"
        );
    }

    #[test]
    fn getnext_walks_in_order_and_ends() {
        let s = store();
        let a = s.answer(
            Request::GetNext,
            &[oid("1.3.6.1.2.1.2")],
            Version::V2c,
            T0,
            65_000,
        );
        assert_eq!(a.varbinds[0].oid, oid("1.3.6.1.2.1.2.2.1.10.1"));
        let a = s.answer(
            Request::GetNext,
            &[oid("1.3.6.1.2.1.31.1.1.1.6.2")],
            Version::V2c,
            T0,
            65_000,
        );
        assert_eq!(a.varbinds[0].value, SnmpValue::EndOfMibView);
        // v1 skips Counter64 objects and ends with noSuchName.
        let a = s.answer(
            Request::GetNext,
            &[oid("1.3.6.1.2.1.2.2.1.10.2")],
            Version::V1,
            T0,
            65_000,
        );
        assert_eq!((a.error_status, a.error_index), (NO_SUCH_NAME, 1));
    }

    #[test]
    fn getbulk_repeats_non_repeaters_once_and_stops_at_the_end() {
        let s = store();
        let a = s.answer(
            Request::GetBulk {
                non_repeaters: 1,
                max_repetitions: 10,
            },
            &[oid("1.3.6.1.2.1.1.1.0"), oid("1.3.6.1.2.1.2.2.1.10")],
            Version::V2c,
            T0,
            65_000,
        );
        let oids: Vec<String> = a.varbinds.iter().map(|v| v.oid.to_string()).collect();
        assert_eq!(
            oids,
            [
                "1.3.6.1.2.1.1.3.0",
                "1.3.6.1.2.1.2.2.1.10.1",
                "1.3.6.1.2.1.2.2.1.10.2",
                "1.3.6.1.2.1.31.1.1.1.6.1",
                "1.3.6.1.2.1.31.1.1.1.6.2",
                "1.3.6.1.2.1.31.1.1.1.6.2",
            ]
        );
        assert_eq!(a.varbinds[5].value, SnmpValue::EndOfMibView);
    }

    #[test]
    fn getbulk_respects_the_size_budget() {
        let s = store();
        let a = s.answer(
            Request::GetBulk {
                non_repeaters: 0,
                max_repetitions: 100,
            },
            &[oid("1.3")],
            Version::V2c,
            T0,
            120,
        );
        assert!(
            !a.varbinds.is_empty() && a.varbinds.len() < 6,
            "{}",
            a.varbinds.len()
        );
        let total: usize = a.varbinds.iter().map(encoded_size).sum();
        assert!(total <= 120 || a.varbinds.len() == 1);
    }

    #[test]
    fn values_move_with_time() {
        let s = store();
        let later = AgentTime {
            elapsed_ms: 10_000,
            reboot_every_ms: None,
        };
        assert_eq!(
            s.get(&oid("1.3.6.1.2.1.1.3.0"), Version::V2c, later),
            Some(SnmpValue::TimeTicks(1100))
        );
        let Some(Dynamic::Counter { per_second }) = s.dynamic(&oid("1.3.6.1.2.1.2.2.1.10.1"))
        else {
            panic!("counter");
        };
        assert_eq!(
            s.get(&oid("1.3.6.1.2.1.2.2.1.10.1"), Version::V2c, later),
            Some(SnmpValue::Counter32((5 + per_second * 10) as u32))
        );
    }
}
