//! The SNMP trap and inform listener (v1 and v2c): every notification becomes an [`Event`]
//! for the sinks and a count in `netops_trap_events_total{kind,source}`; informs are
//! acknowledged; malformed packets and unknown communities are counted and logged, and
//! never stop the listener.
//!
//! Decoding is the pure [`classify`]; the socket loop only moves bytes. SNMPv3
//! notifications are counted as `unsupported` for now.

use crate::snmp::codec::{PduKind, decode_message, encode_response};
use crate::snmp::{Oid, SnmpValue, VarBind, Version};
use netops_core::{Event, Labels, Sample, Severity, Sink};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;
use tokio_util::sync::CancellationToken;

const SNMP_TRAP_OID: &[u32] = &[1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0];
const STANDARD_TRAPS: &[u32] = &[1, 3, 6, 1, 6, 3, 1, 1, 5];
const IF_INDEX: &[u32] = &[1, 3, 6, 1, 2, 1, 2, 2, 1, 1];
/// `snmpTrapAddress.0` (RFC 3584): the agent the notification is about, as the sender
/// claims it (a v1 trap's agent-addr, or set by a proxy or a drill injector).
const SNMP_TRAP_ADDRESS: &[u32] = &[1, 3, 6, 1, 6, 3, 18, 1, 3, 0];

/// The standard traps by name (SNMPv2-MIB `snmpTraps`).
fn standard_kind(trap_oid: &Oid) -> Option<(&'static str, Severity)> {
    let last = trap_oid.suffix_after(&Oid::from_arcs(STANDARD_TRAPS))?;
    Some(match last {
        [1] => ("coldStart", Severity::Warning),
        [2] => ("warmStart", Severity::Warning),
        [3] => ("linkDown", Severity::Critical),
        [4] => ("linkUp", Severity::Info),
        [5] => ("authenticationFailure", Severity::Warning),
        [6] => ("egpNeighborLoss", Severity::Warning),
        _ => return None,
    })
}

/// A notification that passed the checks.
#[derive(Debug, Clone, PartialEq)]
pub struct TrapNotification {
    pub version: Version,
    /// `linkDown`, `coldStart`, ... or `other` for enterprise traps.
    pub kind: &'static str,
    pub severity: Severity,
    pub trap_oid: Oid,
    pub varbinds: Vec<VarBind>,
    /// The bytes to send back when it was an inform.
    pub inform_response: Option<bytes::Bytes>,
}

/// What became of one datagram.
#[derive(Debug, Clone, PartialEq)]
pub enum Classified {
    Notification(TrapNotification),
    Rejected(&'static str),
}

/// Decodes one datagram. `communities` empty accepts any community.
pub fn classify(datagram: &[u8], communities: &[String]) -> Classified {
    let Ok(message) = decode_message(datagram) else {
        return Classified::Rejected("malformed");
    };
    if message.version == Version::V3 {
        return Classified::Rejected("unsupported_v3");
    }
    let community = message.community.clone().unwrap_or_default();
    if !communities.is_empty()
        && !communities
            .iter()
            .any(|c| c.as_bytes() == community.as_ref())
    {
        return Classified::Rejected("unknown_community");
    }
    let Some(pdu) = message.pdu else {
        return Classified::Rejected("malformed");
    };
    let inform = match pdu.kind {
        PduKind::TrapV1 | PduKind::TrapV2 => false,
        PduKind::Inform => true,
        _ => return Classified::Rejected("not_a_notification"),
    };
    let trap_oid = pdu.varbinds.iter().find_map(|vb| match &vb.value {
        SnmpValue::ObjectId(o) if vb.oid.arcs() == SNMP_TRAP_OID => Some(o.clone()),
        _ => None,
    });
    let Some(trap_oid) = trap_oid else {
        return Classified::Rejected("malformed");
    };
    let (kind, severity) = standard_kind(&trap_oid).unwrap_or(("other", Severity::Info));
    let inform_response = if inform {
        encode_response(
            message.version,
            &community,
            pdu.request_id,
            0,
            0,
            &pdu.varbinds,
        )
        .ok()
    } else {
        None
    };
    Classified::Notification(TrapNotification {
        version: message.version,
        kind,
        severity,
        trap_oid,
        varbinds: pdu.varbinds,
        inform_response,
    })
}

impl TrapNotification {
    /// The event for the sinks, from `source` (the sender's address).
    pub fn to_event(&self, source: SocketAddr, time: SystemTime) -> Event {
        let mut labels = Labels::new()
            .with("kind", self.kind)
            .with("trap_oid", self.trap_oid.to_string());
        let if_index = self.varbinds.iter().find_map(|vb| {
            vb.oid
                .suffix_after(&Oid::from_arcs(IF_INDEX))
                .map(|i| match &vb.value {
                    SnmpValue::Integer(v) => v.to_string(),
                    _ => i.iter().map(u32::to_string).collect::<Vec<_>>().join("."),
                })
        });
        // The agent the trap is about: snmpTrapAddress.0 when present, else the sender.
        let agent = self
            .varbinds
            .iter()
            .find_map(|vb| match vb.value {
                SnmpValue::IpAddress([a, b, c, d]) if vb.oid.arcs() == SNMP_TRAP_ADDRESS => {
                    Some(std::net::IpAddr::from([a, b, c, d]))
                }
                _ => None,
            })
            .unwrap_or_else(|| source.ip());
        labels.insert("sender", source.ip().to_string());
        let mut message = format!("{} from {agent}", self.kind);
        if let Some(i) = if_index {
            message.push_str(&format!(" (ifIndex {i})"));
            labels.insert("ifIndex", i);
        }
        Event {
            time,
            kind: self.kind.to_string(),
            source: agent.to_string(),
            severity: self.severity,
            labels,
            message,
        }
    }
}

/// Counters of the listener, exported as samples.
#[derive(Debug, Default)]
pub struct TrapStats {
    /// (kind, source) -> notifications
    events: BTreeMap<(String, String), u64>,
    /// reason -> datagrams
    rejected: BTreeMap<&'static str, u64>,
}

impl TrapStats {
    pub fn samples(&self, time: SystemTime) -> Vec<Sample> {
        let mut out: Vec<Sample> = self
            .events
            .iter()
            .map(|((kind, source), n)| {
                Sample::counter(
                    "netops_trap_events_total",
                    Labels::new()
                        .with("kind", kind.clone())
                        .with("source", source.clone()),
                    *n as f64,
                    time,
                )
            })
            .collect();
        for reason in [
            "malformed",
            "unknown_community",
            "not_a_notification",
            "unsupported_v3",
        ] {
            let n = self.rejected.get(reason).copied().unwrap_or(0);
            out.push(Sample::counter(
                "netops_trap_rejected_total",
                Labels::new().with("reason", reason),
                n as f64,
                time,
            ));
        }
        out
    }
}

/// The listener: a socket, the allowed communities, and where events go.
pub struct TrapListener {
    socket: tokio::net::UdpSocket,
    communities: Vec<String>,
    sinks: Arc<[Arc<dyn Sink>]>,
    stats: Arc<Mutex<TrapStats>>,
}

impl std::fmt::Debug for TrapListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrapListener")
            .field("local", &self.socket.local_addr().ok())
            .finish_non_exhaustive()
    }
}

impl TrapListener {
    pub async fn bind(
        listen: SocketAddr,
        communities: Vec<String>,
        sinks: Arc<[Arc<dyn Sink>]>,
    ) -> std::io::Result<Self> {
        Ok(Self {
            socket: tokio::net::UdpSocket::bind(listen).await?,
            communities,
            sinks,
            stats: Arc::new(Mutex::new(TrapStats::default())),
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.socket.local_addr()
    }

    /// Shared counters, for `/metrics`.
    pub fn stats(&self) -> Arc<Mutex<TrapStats>> {
        self.stats.clone()
    }

    /// Receives until cancelled. Each notification goes to every sink as an event, and the
    /// updated counters as a batch.
    pub async fn run(self, cancel: CancellationToken) {
        let mut buf = vec![0u8; 65_535];
        // Counters are re-sent periodically, so rate windows downstream always hold samples.
        let mut refresh = tokio::time::interval(std::time::Duration::from_secs(15));
        loop {
            let (n, source) = tokio::select! {
                _ = cancel.cancelled() => return,
                _ = refresh.tick() => {
                    let samples = self.stats.lock().unwrap_or_else(|p| p.into_inner()).samples(SystemTime::now());
                    self.deliver(samples);
                    continue;
                }
                r = self.socket.recv_from(&mut buf) => match r {
                    Ok(r) => r,
                    Err(e) => {
                        tracing::warn!(error = %e, "trap socket receive error");
                        continue;
                    }
                },
            };
            let time = SystemTime::now();
            let batch = match classify(&buf[..n], &self.communities) {
                Classified::Notification(trap) => {
                    if let Some(response) = &trap.inform_response
                        && let Err(e) = self.socket.send_to(response, source).await
                    {
                        tracing::warn!(%source, error = %e, "could not acknowledge inform");
                    }
                    let event = trap.to_event(source, time);
                    tracing::info!(%source, kind = trap.kind, "{}", event.message);
                    for sink in self.sinks.iter() {
                        sink.accept_event(&event);
                    }
                    let key = (trap.kind.to_string(), event.source.clone());
                    let mut stats = self.stats.lock().unwrap_or_else(|p| p.into_inner());
                    if !stats.events.contains_key(&key) {
                        // A counter that appears at 1 has no increase for rate()/increase():
                        // show it at 0 a moment before, so the first trap of a kind from a
                        // source already counts (Prometheus' "new series" blind spot).
                        stats.events.insert(key.clone(), 0);
                        let before = time
                            .checked_sub(std::time::Duration::from_millis(1))
                            .unwrap_or(time);
                        self.deliver(stats.samples(before));
                    }
                    *stats.events.entry(key).or_default() += 1;
                    stats.samples(time)
                }
                Classified::Rejected(reason) => {
                    tracing::warn!(%source, reason, bytes = n, "trap datagram rejected");
                    let mut stats = self.stats.lock().unwrap_or_else(|p| p.into_inner());
                    *stats.rejected.entry(reason).or_default() += 1;
                    stats.samples(time)
                }
            };
            self.deliver(batch);
        }
    }

    fn deliver(&self, samples: Vec<Sample>) {
        let batch: Arc<[Sample]> = samples.into();
        for sink in self.sinks.iter() {
            sink.accept(batch.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_malformed_and_responses_are_not_notifications() {
        assert_eq!(
            classify(b"\x30\x03\x02\x01", &[]),
            Classified::Rejected("malformed")
        );
        let response = encode_response(Version::V2c, b"public", 1, 0, 0, &[]).unwrap();
        assert_eq!(
            classify(&response, &[]),
            Classified::Rejected("not_a_notification")
        );
        assert_eq!(
            classify(&response, &["private".to_string()]),
            Classified::Rejected("unknown_community")
        );
    }

    #[test]
    fn standard_trap_names() {
        let oid = |s: &str| s.parse::<Oid>().unwrap();
        assert_eq!(
            standard_kind(&oid("1.3.6.1.6.3.1.1.5.3")),
            Some(("linkDown", Severity::Critical))
        );
        assert_eq!(
            standard_kind(&oid("1.3.6.1.6.3.1.1.5.5")).map(|k| k.0),
            Some("authenticationFailure")
        );
        assert_eq!(standard_kind(&oid("1.3.6.1.4.1.9.9.41.2.0.1")), None);
    }
}
