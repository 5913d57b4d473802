//! UDP prober: a request that expects a reply. Port 53 gets a DNS query (`.` NS, any
//! response with our ID counts, whatever its rcode); any other port gets an echo payload
//! that must come back as sent (RFC 862 echo, or any service that reflects it). An ICMP
//! port unreachable, reported by the connected socket as "connection refused", marks the
//! port closed.

use super::{
    BoxFuture, PortState, ProbePath, ProbeTarget, Prober, Protocol, RoundResult, RoundSpec,
    send_offset,
};
use crate::error::ProbeError;
use crate::packet::dns;
use crate::stats::RoundStats;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, SystemTime};
use tokio::net::UdpSocket;
use tokio::time::Instant;

pub const DNS_PORT: u16 = 53;

#[derive(Debug, Default)]
pub struct UdpProber;

/// The payload of probe `seq` and the key its reply must carry.
fn request(port: u16, seq: u16, size: usize) -> Vec<u8> {
    if port == DNS_PORT {
        // "." is always a valid name, so this cannot fail; fall through to echo if it did.
        if let Some(q) = dns::build_query(seq, ".", dns::QTYPE_NS) {
            return q;
        }
    }
    let mut p = format!("netops-udp {seq:05} ").into_bytes();
    let pad = crate::packet::icmp::echo_payload(size.saturating_sub(p.len()));
    p.extend_from_slice(&pad);
    p
}

/// Which probe a reply answers, if any.
fn reply_sequence(port: u16, reply: &[u8], sent: &HashMap<u16, Vec<u8>>) -> Option<u16> {
    if port == DNS_PORT {
        let h = dns::parse_reply_header(reply)?;
        return sent.contains_key(&h.id).then_some(h.id);
    }
    sent.iter()
        .find(|(_, req)| req.as_slice() == reply)
        .map(|(s, _)| *s)
}

impl Prober for UdpProber {
    fn protocol(&self) -> Protocol {
        Protocol::Udp
    }

    fn round<'a>(
        &'a self,
        target: &'a ProbeTarget,
        spec: &'a RoundSpec,
    ) -> BoxFuture<'a, Result<RoundResult, ProbeError>> {
        Box::pin(async move {
            spec.validate()?;
            let port = spec.port.ok_or(ProbeError::BadSpec {
                field: "port",
                reason: "a UDP probe needs a port (53 sends a DNS query)".into(),
            })?;
            let dst = SocketAddr::new(target.addr, port);
            let bind: SocketAddr = match target.addr {
                IpAddr::V4(_) => SocketAddr::from(([0, 0, 0, 0], 0)),
                IpAddr::V6(_) => SocketAddr::from(([0u16; 8], 0)),
            };
            let socket = UdpSocket::bind(bind)
                .await
                .map_err(|e| ProbeError::io("bind", dst, e))?;
            socket
                .connect(dst)
                .await
                .map_err(|e| ProbeError::io("connect", dst, e))?;
            let n = spec.count;
            let started = SystemTime::now();
            let start = Instant::now();
            let mut sent: HashMap<u16, Vec<u8>> = HashMap::new();
            let mut sent_at: HashMap<u16, Instant> = HashMap::new();
            let mut rtt_by_seq: HashMap<u16, Duration> = HashMap::new();
            let (mut duplicates, mut late, mut refused) = (0u64, 0u64, false);
            let mut next: u32 = 0;
            let mut last_send = start;
            let mut buf = vec![0u8; 65_536];
            // Ends when every probe is answered, else `timeout` after the last send.
            while next < n || rtt_by_seq.len() < sent.len() {
                let wake = if next < n {
                    start + send_offset(spec, next)
                } else {
                    last_send + spec.timeout
                };
                tokio::select! {
                    biased;
                    got = socket.recv(&mut buf) => match got {
                        Ok(len) => {
                            let now = Instant::now();
                            let Some(seq) = reply_sequence(port, &buf[..len], &sent) else { continue };
                            let Some(&t0) = sent_at.get(&seq) else { continue };
                            let rtt = now.duration_since(t0);
                            match rtt_by_seq.entry(seq) {
                                std::collections::hash_map::Entry::Occupied(_) => duplicates += 1,
                                std::collections::hash_map::Entry::Vacant(e) => {
                                    // Duration::MAX marks "answered, but late".
                                    if rtt > spec.timeout {
                                        late += 1;
                                        e.insert(Duration::MAX);
                                    } else {
                                        e.insert(rtt);
                                    }
                                }
                            }
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => refused = true,
                        Err(e) => tracing::debug!("udp recv from {dst}: {e}"),
                    },
                    () = tokio::time::sleep_until(wake) => {
                        if next >= n {
                            break;
                        }
                        // Sequence numbers wrap at 65536 probes per round; fine for rounds.
                        let seq = (next % 65_536) as u16;
                        let payload = request(port, seq, spec.size);
                        last_send = Instant::now();
                        match socket.send(&payload).await {
                            Ok(_) => {
                                sent_at.insert(seq, last_send);
                                sent.insert(seq, payload);
                            }
                            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => refused = true,
                            Err(e) => tracing::debug!("udp send to {dst}: {e}"),
                        }
                        next += 1;
                    }
                }
            }
            let mut in_order: Vec<(Duration, u16)> = Vec::new();
            let mut seqs: Vec<u16> = rtt_by_seq.keys().copied().collect();
            seqs.sort_unstable();
            for s in seqs {
                if let Some(&r) = rtt_by_seq.get(&s).filter(|r| **r != Duration::MAX) {
                    in_order.push((r, s));
                }
            }
            let rtts: Vec<Duration> = in_order.into_iter().map(|(r, _)| r).collect();
            let state = if !rtts.is_empty() {
                PortState::Open
            } else if refused {
                PortState::Closed
            } else {
                PortState::Filtered
            };
            Ok(RoundResult {
                target: target.clone(),
                protocol: Protocol::Udp,
                path: ProbePath::Plain,
                port: Some(port),
                stats: RoundStats::compute(u64::from(n), &rtts, duplicates, late),
                rtts,
                port_state: Some(state),
                started,
                duration: start.elapsed(),
                kernel_timestamps: false,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_requests_and_replies_match_by_id() {
        let q = request(53, 42, 0);
        let mut reply = q.clone();
        reply[2] |= 0x80;
        let sent = HashMap::from([(42u16, q)]);
        assert_eq!(reply_sequence(53, &reply, &sent), Some(42));
        assert_eq!(
            reply_sequence(53, &sent[&42], &sent),
            None,
            "a query is not a reply"
        );
    }

    #[tokio::test]
    async fn echo_server_on_loopback_answers_and_closed_port_is_refused() {
        let server = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let addr = server.local_addr().unwrap();
        std::thread::spawn(move || {
            let mut b = [0u8; 2048];
            while let Ok((n, from)) = server.recv_from(&mut b) {
                let _ = server.send_to(&b[..n], from);
            }
        });
        let spec = RoundSpec {
            count: 4,
            interval: Duration::from_millis(5),
            timeout: Duration::from_millis(500),
            size: 32,
            port: Some(addr.port()),
        };
        let t = ProbeTarget::new("lo", addr.ip());
        let r = UdpProber.round(&t, &spec).await.unwrap();
        assert_eq!((r.stats.sent, r.stats.received), (4, 4));
        assert_eq!(r.port_state, Some(PortState::Open));

        let closed = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let closed_port = closed.local_addr().unwrap().port();
        drop(closed);
        let spec = RoundSpec {
            port: Some(closed_port),
            timeout: Duration::from_millis(200),
            ..spec
        };
        let r = UdpProber.round(&t, &spec).await.unwrap();
        assert_eq!(r.stats.received, 0);
        assert_eq!(r.port_state, Some(PortState::Closed));
    }
}
