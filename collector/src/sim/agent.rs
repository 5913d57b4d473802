//! One simulated agent: a recording, a community, optional SNMPv3 users, faults. Turns a
//! request datagram into the reply datagram (or none) for a given time since start: pure,
//! so tests drive it without sockets or clocks.

use crate::sim::dynamics::AgentTime;
use crate::sim::fault::{AgentFaults, MALFORMED_REPLY};
use crate::sim::store::{Request, Store};
use crate::sim::usm::{EngineClock, Salts, UsmAgent};
use crate::snmp::codec::{PduKind, decode_message, encode_response};
use crate::snmp::{Oid, Version};
use bytes::Bytes;
use std::sync::Arc;
use std::time::Duration;

/// The largest v1/v2c response: a UDP datagram minus IP headers and our own margin.
const COMMUNITY_RESPONSE_BUDGET: usize = 65_000;

/// What to send back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// Nothing: a timeout fault, a wrong community, or bytes that are not a request.
    Drop,
    Send(Bytes),
    /// Send after a delay (the `slow` fault).
    SendAfter(Duration, Bytes),
}

#[derive(Debug)]
pub struct SimAgent {
    pub index: usize,
    store: Arc<Store>,
    community: Bytes,
    usm: Option<UsmAgent>,
    faults: AgentFaults,
}

impl SimAgent {
    pub fn new(
        index: usize,
        store: Arc<Store>,
        community: Bytes,
        usm: Option<UsmAgent>,
        faults: AgentFaults,
    ) -> Self {
        Self {
            index,
            store,
            community,
            usm,
            faults,
        }
    }

    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    pub fn faults(&self) -> AgentFaults {
        self.faults
    }

    pub fn time(&self, elapsed: Duration) -> AgentTime {
        AgentTime {
            elapsed_ms: elapsed.as_millis() as u64,
            reboot_every_ms: self.faults.reboot_every.map(|d| d.as_millis() as u64),
        }
    }

    /// snmpEngineBoots starts at 1 and counts the simulated reboots.
    pub fn engine_clock(&self, elapsed: Duration) -> EngineClock {
        let t = self.time(elapsed);
        EngineClock {
            boots: 1 + t.reboots() as u32,
            time: (t.since_boot_ms() / 1000) as u32,
        }
    }

    /// Answers one datagram received `elapsed` after the simulator started.
    pub fn handle(&self, datagram: &[u8], elapsed: Duration, salts: &Salts) -> Reply {
        if self.faults.timeout {
            return Reply::Drop;
        }
        let reply = if self.faults.malformed {
            Some(Bytes::from_static(MALFORMED_REPLY))
        } else {
            self.answer(datagram, elapsed, salts)
        };
        match (reply, self.faults.slow) {
            (None, _) => Reply::Drop,
            (Some(b), None) => Reply::Send(b),
            (Some(b), Some(delay)) => Reply::SendAfter(delay, b),
        }
    }

    fn answer(&self, datagram: &[u8], elapsed: Duration, salts: &Salts) -> Option<Bytes> {
        let time = self.time(elapsed);
        if peek_version(datagram)? == 3 {
            let usm = self.usm.as_ref()?;
            return usm
                .handle(
                    datagram,
                    self.engine_clock(elapsed),
                    salts,
                    |request, oids, budget| {
                        self.store.answer(request, oids, Version::V3, time, budget)
                    },
                )
                .map(Bytes::from);
        }
        let message = decode_message(datagram).ok()?;
        // A wrong community is dropped silently, as net-snmp does (no authenticationFailure
        // trap: the simulator sends nothing unasked).
        if message.community.as_deref() != Some(&self.community[..]) {
            return None;
        }
        let pdu = message.pdu?;
        let request = match pdu.kind {
            PduKind::Get => Request::Get,
            PduKind::GetNext => Request::GetNext,
            PduKind::GetBulk {
                non_repeaters,
                max_repetitions,
            } if message.version != Version::V1 => Request::GetBulk {
                non_repeaters,
                max_repetitions,
            },
            PduKind::Set => Request::Set,
            _ => return None,
        };
        let oids: Vec<Oid> = pdu.varbinds.into_iter().map(|vb| vb.oid).collect();
        let answer = self.store.answer(
            request,
            &oids,
            message.version,
            time,
            COMMUNITY_RESPONSE_BUDGET.saturating_sub(self.community.len()),
        );
        encode_response(
            message.version,
            &self.community,
            pdu.request_id,
            answer.error_status,
            answer.error_index,
            &answer.varbinds,
        )
        .ok()
    }
}

/// The msgVersion of an SNMP message (0 = v1, 1 = v2c, 3 = v3) without decoding it.
pub fn peek_version(bytes: &[u8]) -> Option<u8> {
    if *bytes.first()? != 0x30 {
        return None;
    }
    let first_len = *bytes.get(1)?;
    let header = if first_len & 0x80 == 0 {
        2
    } else {
        2 + usize::from(first_len & 0x7f)
    };
    match bytes.get(header..header + 3)? {
        [0x02, 0x01, v] => Some(*v),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::dynamics::DynamicsOptions;
    use crate::snmp::{SnmpValue, VarBind};

    fn agent(faults: AgentFaults) -> SimAgent {
        let store = Store::new(
            "t",
            vec![VarBind {
                oid: "1.3.6.1.2.1.1.3.0".parse().unwrap(),
                value: SnmpValue::TimeTicks(0),
            }],
            DynamicsOptions::default(),
        );
        SimAgent::new(
            0,
            Arc::new(store),
            Bytes::from_static(b"public"),
            None,
            faults,
        )
    }

    /// A v2c GET of sysUpTime.0, as net-snmp's snmpget sends it.
    const GET_UPTIME: &[u8] = &[
        0x30, 0x29, 0x02, 0x01, 0x01, 0x04, 0x06, b'p', b'u', b'b', b'l', b'i', b'c', 0xa0, 0x1c,
        0x02, 0x04, 0x12, 0x34, 0x56, 0x78, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00, 0x30, 0x0e, 0x30,
        0x0c, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x02, 0x01, 0x01, 0x03, 0x00, 0x05, 0x00,
    ];

    #[test]
    fn answers_get_with_time_moved_on_and_drops_wrong_community() {
        let salts = Salts::new().unwrap();
        let Reply::Send(bytes) =
            agent(AgentFaults::default()).handle(GET_UPTIME, Duration::from_secs(3), &salts)
        else {
            panic!("expected a reply");
        };
        let pdu = decode_message(&bytes).unwrap().pdu.unwrap();
        assert_eq!(pdu.request_id, 0x1234_5678);
        assert_eq!(pdu.varbinds[0].value, SnmpValue::TimeTicks(300));
        let mut wrong = GET_UPTIME.to_vec();
        wrong[7] = b'P';
        assert_eq!(
            agent(AgentFaults::default()).handle(&wrong, Duration::ZERO, &salts),
            Reply::Drop
        );
    }

    #[test]
    fn faults_shape_the_reply() {
        let salts = Salts::new().unwrap();
        let timeout = AgentFaults {
            timeout: true,
            ..Default::default()
        };
        assert_eq!(
            agent(timeout).handle(GET_UPTIME, Duration::ZERO, &salts),
            Reply::Drop
        );
        let malformed = AgentFaults {
            malformed: true,
            ..Default::default()
        };
        assert_eq!(
            agent(malformed).handle(GET_UPTIME, Duration::ZERO, &salts),
            Reply::Send(Bytes::from_static(MALFORMED_REPLY))
        );
        let slow = AgentFaults {
            slow: Some(Duration::from_millis(300)),
            ..Default::default()
        };
        assert!(matches!(
            agent(slow).handle(GET_UPTIME, Duration::ZERO, &salts),
            Reply::SendAfter(d, _) if d == Duration::from_millis(300)
        ));
        let reboot = AgentFaults {
            reboot_every: Some(Duration::from_secs(10)),
            ..Default::default()
        };
        let a = agent(reboot);
        assert_eq!(
            a.engine_clock(Duration::from_secs(25)),
            EngineClock { boots: 3, time: 5 }
        );
    }

    #[test]
    fn peeks_versions() {
        assert_eq!(peek_version(GET_UPTIME), Some(1));
        assert_eq!(
            peek_version(&[0x30, 0x82, 0x01, 0x00, 0x02, 0x01, 0x03]),
            Some(3)
        );
        assert_eq!(peek_version(&[0x30]), None);
        assert_eq!(peek_version(&[]), None);
    }
}
