//! Walking a subtree: GETBULK on v2c/v3, GETNEXT on v1.
//!
//! The termination rules are a pure state machine ([`WalkState`]), tested without a
//! network: the walk ends at the first OID outside the subtree, at `endOfMibView`, or
//! (v1) at a `noSuchName` error; an OID that is not greater than the previous one is an
//! agent error, never a loop.

use crate::snmp::{Oid, SnmpClient, SnmpError, SnmpValue, VarBind, Version};

/// Where a walk stands between two requests.
#[derive(Debug, Clone)]
pub struct WalkState {
    root: Oid,
    last: Option<Oid>,
    done: bool,
}

impl WalkState {
    pub fn new(root: Oid) -> Self {
        Self {
            root,
            last: None,
            done: false,
        }
    }

    pub fn is_done(&self) -> bool {
        self.done
    }

    /// The OID the next GETNEXT/GETBULK starts from.
    pub fn cursor(&self) -> &Oid {
        self.last.as_ref().unwrap_or(&self.root)
    }

    /// Takes one response, appends the varbinds that belong to the walk to `out`, and
    /// decides whether the walk is over.
    ///
    /// The varbinds are checked in place and moved to `out` in one go, and the cursor is
    /// copied once per response, not once per varbind: this runs for every varbind of
    /// every poll.
    pub fn absorb(
        &mut self,
        target: &str,
        mut response: Vec<VarBind>,
        out: &mut Vec<VarBind>,
    ) -> Result<(), SnmpError> {
        if response.is_empty() {
            // An agent that answers a GETNEXT/GETBULK with no varbinds has nothing more.
            self.done = true;
            return Ok(());
        }
        let mut keep = response.len();
        let mut previous = self.last.as_ref().unwrap_or(&self.root);
        for (i, vb) in response.iter().enumerate() {
            if matches!(vb.value, SnmpValue::EndOfMibView) || !vb.oid.starts_with(&self.root) {
                keep = i;
                break;
            }
            if vb.oid <= *previous {
                return Err(SnmpError::NonIncreasingOid {
                    target: target.to_string(),
                    previous: Box::new(previous.clone()),
                    received: Box::new(vb.oid.clone()),
                });
            }
            previous = &vb.oid;
        }
        if keep < response.len() {
            self.done = true;
            response.truncate(keep);
        }
        if let Some(last) = response.last() {
            self.last = Some(last.oid.clone());
        }
        out.append(&mut response);
        Ok(())
    }
}

/// Walks the subtree under `root`. Like net-snmp's walk, a root that is itself a leaf
/// (the subtree is empty) is fetched with a GET, so `walk 1.3.6.1.2.1.1.3.0` still answers.
pub async fn walk<C: SnmpClient>(
    client: &C,
    root: &Oid,
    max_repetitions: u32,
) -> Result<Vec<VarBind>, SnmpError> {
    let mut state = WalkState::new(root.clone());
    let mut out = Vec::new();
    while !state.is_done() {
        let cursor = std::slice::from_ref(state.cursor());
        let response = match client.version() {
            Version::V1 => match client.get_next(cursor).await {
                // v1 agents signal the end of their MIB view with noSuchName.
                Err(SnmpError::Agent { code: 2, .. }) => break,
                other => other?,
            },
            Version::V2c | Version::V3 => {
                client.get_bulk(cursor, 0, max_repetitions.max(1)).await?
            }
        };
        state.absorb(client.target(), response, &mut out)?;
    }
    if out.is_empty() {
        match client.get(std::slice::from_ref(root)).await {
            Ok(vbs) => out.extend(vbs.into_iter().filter(|vb| !vb.value.is_exception())),
            Err(SnmpError::Agent { code: 2, .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use std::sync::Mutex;

    fn oid(s: &str) -> Oid {
        s.parse().unwrap()
    }

    fn vb(o: &str, v: u32) -> VarBind {
        VarBind {
            oid: oid(o),
            value: SnmpValue::Gauge32(v),
        }
    }

    #[test]
    fn stops_at_end_of_subtree() {
        let mut s = WalkState::new(oid("1.3.6.1.2.1.2.2.1.10"));
        let mut out = vec![];
        s.absorb(
            "a",
            vec![
                vb("1.3.6.1.2.1.2.2.1.10.1", 1),
                vb("1.3.6.1.2.1.2.2.1.10.2", 2),
            ],
            &mut out,
        )
        .unwrap();
        assert!(!s.is_done());
        assert_eq!(s.cursor(), &oid("1.3.6.1.2.1.2.2.1.10.2"));
        s.absorb(
            "a",
            vec![
                vb("1.3.6.1.2.1.2.2.1.10.3", 3),
                vb("1.3.6.1.2.1.2.2.1.11.1", 9),
            ],
            &mut out,
        )
        .unwrap();
        assert!(s.is_done());
        assert_eq!(out.len(), 3);
    }

    #[test]
    fn stops_at_end_of_mib_view() {
        let mut s = WalkState::new(oid("1.3.6"));
        let mut out = vec![];
        let end = VarBind {
            oid: oid("1.3.6.1.9"),
            value: SnmpValue::EndOfMibView,
        };
        s.absorb("a", vec![vb("1.3.6.1.5", 1), end], &mut out)
            .unwrap();
        assert!(s.is_done());
        assert_eq!(out, vec![vb("1.3.6.1.5", 1)]);
    }

    #[test]
    fn non_increasing_oid_is_an_agent_error() {
        let mut s = WalkState::new(oid("1.3.6.1.2.1.1"));
        let mut out = vec![];
        let err = s
            .absorb(
                "10.0.0.1:161",
                vec![vb("1.3.6.1.2.1.1.3.0", 1), vb("1.3.6.1.2.1.1.2.0", 2)],
                &mut out,
            )
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "10.0.0.1:161: agent error: OID not increasing during walk: 1.3.6.1.2.1.1.2.0 came after 1.3.6.1.2.1.1.3.0"
        );
        // A repeat of the same OID is as bad as going backwards.
        let mut s = WalkState::new(oid("1.3.6.1.2.1.1"));
        let err = s
            .absorb(
                "x",
                vec![vb("1.3.6.1.2.1.1.3.0", 1), vb("1.3.6.1.2.1.1.3.0", 1)],
                &mut out,
            )
            .unwrap_err();
        assert_eq!(err.reason(), "non_increasing_oid");
    }

    /// A tiny in-memory agent for the walk driver's logic (the real agent is tested in
    /// tests/snmpd_interop.rs).
    struct TableAgent {
        version: Version,
        data: BTreeMap<Oid, u32>,
        requests: Mutex<u32>,
    }

    impl SnmpClient for TableAgent {
        fn target(&self) -> &str {
            "table"
        }
        fn version(&self) -> Version {
            self.version
        }
        async fn get(&self, oids: &[Oid]) -> Result<Vec<VarBind>, SnmpError> {
            Ok(oids
                .iter()
                .map(|o| VarBind {
                    oid: o.clone(),
                    value: self
                        .data
                        .get(o)
                        .map_or(SnmpValue::NoSuchObject, |v| SnmpValue::Gauge32(*v)),
                })
                .collect())
        }
        async fn get_next(&self, oids: &[Oid]) -> Result<Vec<VarBind>, SnmpError> {
            *self.requests.lock().unwrap() += 1;
            let next = self
                .data
                .range((
                    std::ops::Bound::Excluded(oids[0].clone()),
                    std::ops::Bound::Unbounded,
                ))
                .next();
            match next {
                Some((o, v)) => Ok(vec![VarBind {
                    oid: o.clone(),
                    value: SnmpValue::Gauge32(*v),
                }]),
                None => Err(SnmpError::Agent {
                    target: "table".into(),
                    status: "noSuchName".into(),
                    code: 2,
                    index: 1,
                    oid: String::new(),
                }),
            }
        }
        async fn get_bulk(
            &self,
            oids: &[Oid],
            _nr: u32,
            max_repetitions: u32,
        ) -> Result<Vec<VarBind>, SnmpError> {
            *self.requests.lock().unwrap() += 1;
            let mut out: Vec<VarBind> = self
                .data
                .range((
                    std::ops::Bound::Excluded(oids[0].clone()),
                    std::ops::Bound::Unbounded,
                ))
                .take(max_repetitions as usize)
                .map(|(o, v)| VarBind {
                    oid: o.clone(),
                    value: SnmpValue::Gauge32(*v),
                })
                .collect();
            if out.len() < max_repetitions as usize {
                out.push(VarBind {
                    oid: oids[0].clone(),
                    value: SnmpValue::EndOfMibView,
                });
            }
            Ok(out)
        }
    }

    fn agent(version: Version) -> TableAgent {
        let mut data = BTreeMap::new();
        for i in 1..=25u32 {
            data.insert(oid(&format!("1.3.6.1.2.1.2.2.1.10.{i}")), i);
            data.insert(oid(&format!("1.3.6.1.2.1.2.2.1.16.{i}")), i * 2);
        }
        data.insert(oid("1.3.6.1.2.1.1.3.0"), 77);
        TableAgent {
            version,
            data,
            requests: Mutex::new(0),
        }
    }

    #[tokio::test]
    async fn bulk_and_getnext_walks_agree() {
        let root = oid("1.3.6.1.2.1.2.2.1.10");
        let v2 = agent(Version::V2c);
        let v1 = agent(Version::V1);
        let bulk = walk(&v2, &root, 10).await.unwrap();
        let next = walk(&v1, &root, 10).await.unwrap();
        assert_eq!(bulk.len(), 25);
        assert_eq!(bulk, next);
        assert_eq!(*v2.requests.lock().unwrap(), 3, "25 rows in bulks of 10");
        assert_eq!(
            *v1.requests.lock().unwrap(),
            26,
            "one GETNEXT per row plus the end"
        );
        // Walking past the last object of the whole MIB ends cleanly on v1 and v2c.
        let tail = walk(&v1, &oid("1.3.6.1.2.1.2.2.1.16"), 10).await.unwrap();
        assert_eq!(tail.len(), 25);
        let tail = walk(&v2, &oid("1.3.6.1.2.1.2.2.1.16"), 10).await.unwrap();
        assert_eq!(tail.len(), 25);
    }

    #[tokio::test]
    async fn leaf_root_falls_back_to_get() {
        let a = agent(Version::V2c);
        let out = walk(&a, &oid("1.3.6.1.2.1.1.3.0"), 10).await.unwrap();
        assert_eq!(out, vec![vb("1.3.6.1.2.1.1.3.0", 77)]);
        let none = walk(&a, &oid("1.3.6.1.4.1.99"), 10).await.unwrap();
        assert!(none.is_empty());
    }
}
