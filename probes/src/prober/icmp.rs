//! ICMP/ICMPv6 echo prober, and the echo round shared with the SRv6 prober.
//!
//! All targets of a family share one socket (one [`EchoEngine`]); each round reserves its
//! own sequence numbers, so rounds against many targets run concurrently.

use super::{
    BoxFuture, ProbePath, ProbeTarget, Prober, Protocol, RoundResult, RoundSpec, send_offset,
};
use crate::error::ProbeError;
use crate::packet::icmp::{IcmpVersion, echo_payload, echo_request};
use crate::packet::srh::srv6_echo_request;
use crate::socket::echo::EchoEngine;
use crate::socket::raw6::RawIpv6Sender;
use crate::stats::RoundStats;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::time::{Duration, SystemTime};
use tokio::sync::OnceCell;
use tokio::time::Instant;

/// Plain ICMP echo to IPv4 and IPv6 targets. Sockets open on first use.
#[derive(Debug, Default)]
pub struct IcmpProber {
    v4: OnceCell<EchoEngine>,
    v6: OnceCell<EchoEngine>,
}

impl IcmpProber {
    pub fn new() -> Self {
        Self::default()
    }

    /// Uses the given engines (e.g. datagram sockets opened on purpose) instead of opening.
    pub fn with_engines(v4: Option<EchoEngine>, v6: Option<EchoEngine>) -> Self {
        Self {
            v4: OnceCell::new_with(v4),
            v6: OnceCell::new_with(v6),
        }
    }

    /// The shared engine of `addr`'s family, opened on first use.
    pub async fn engine(&self, addr: IpAddr) -> Result<&EchoEngine, ProbeError> {
        let (cell, version) = match addr.to_canonical() {
            IpAddr::V4(_) => (&self.v4, IcmpVersion::V4),
            IpAddr::V6(_) => (&self.v6, IcmpVersion::V6),
        };
        cell.get_or_try_init(|| async move { EchoEngine::open(version) })
            .await
    }
}

impl Prober for IcmpProber {
    fn protocol(&self) -> Protocol {
        Protocol::Icmp
    }

    fn round<'a>(
        &'a self,
        target: &'a ProbeTarget,
        spec: &'a RoundSpec,
    ) -> BoxFuture<'a, Result<RoundResult, ProbeError>> {
        Box::pin(async move {
            spec.validate()?;
            let engine = self.engine(target.addr).await?;
            echo_round(engine, target, spec, &EchoSend::Plain).await
        })
    }
}

/// How an echo request leaves: through the engine's own socket, or hand-built with an SRH
/// through a raw IPv6 socket.
#[derive(Debug)]
pub(crate) enum EchoSend<'a> {
    Plain,
    Srv6 {
        sender: &'a RawIpv6Sender,
        source: Ipv6Addr,
        /// SIDs then the final target.
        travel: Vec<Ipv6Addr>,
        sids: Vec<Ipv6Addr>,
    },
}

impl EchoSend<'_> {
    fn path(&self) -> ProbePath {
        match self {
            Self::Plain => ProbePath::Plain,
            Self::Srv6 { sids, .. } => ProbePath::Srv6(sids.clone()),
        }
    }

    async fn send(
        &self,
        engine: &EchoEngine,
        dst: IpAddr,
        seq: u16,
        payload: &[u8],
    ) -> std::io::Result<SystemTime> {
        match self {
            Self::Plain => {
                let packet = echo_request(engine.version(), engine.identifier(), seq, payload);
                engine.send(&packet, dst).await
            }
            Self::Srv6 {
                sender,
                source,
                travel,
                ..
            } => {
                let packet =
                    srv6_echo_request(*source, travel, 64, engine.identifier(), seq, payload)
                        .ok_or_else(|| {
                            std::io::Error::other("segment list too long for one SRH")
                        })?;
                let first = travel.first().copied().unwrap_or(Ipv6Addr::UNSPECIFIED);
                let at = SystemTime::now();
                sender.send(&packet, first).await?;
                Ok(at)
            }
        }
    }
}

/// One round of echo probes: sends `count` requests paced by `interval`, then waits until
/// every request is answered or `timeout` has passed since the last one. Replies later than
/// `timeout` after their request count as late, second replies (seen before the round
/// ends) as duplicates; neither counts as received.
pub(crate) async fn echo_round(
    engine: &EchoEngine,
    target: &ProbeTarget,
    spec: &RoundSpec,
    how: &EchoSend<'_>,
) -> Result<RoundResult, ProbeError> {
    let n = usize::try_from(spec.count).unwrap_or(usize::MAX);
    let mut reservation = engine.reserve(target.addr, n)?;
    let index: HashMap<u16, usize> = reservation
        .sequences
        .iter()
        .enumerate()
        .map(|(i, s)| (*s, i))
        .collect();
    let payload = echo_payload(spec.size);
    let started = SystemTime::now();
    let start = Instant::now();
    let mut sent_at: Vec<Option<SystemTime>> = vec![None; n];
    let mut answered = vec![false; n];
    let mut rtts: Vec<Option<Duration>> = vec![None; n];
    let (mut duplicates, mut late) = (0u64, 0u64);
    let mut all_kernel = true;
    let mut next: usize = 0;
    let mut last_send = start;
    let mut outstanding = n;
    // Ends when every probe is answered (like fping), else `timeout` after the last send.
    while next < n || outstanding > 0 {
        let wake = if next < n {
            start + send_offset(spec, u32::try_from(next).unwrap_or(u32::MAX))
        } else {
            last_send + spec.timeout
        };
        tokio::select! {
            biased;
            Some(arrival) = reservation.arrivals.recv() => {
                let Some(&i) = index.get(&arrival.sequence) else { continue };
                let Some(sent) = sent_at[i] else { continue };
                let rtt = arrival.at.duration_since(sent).unwrap_or(Duration::ZERO);
                if answered[i] {
                    duplicates += 1;
                } else {
                    answered[i] = true;
                    outstanding -= 1;
                    if rtt > spec.timeout {
                        late += 1;
                    } else {
                        rtts[i] = Some(rtt);
                        all_kernel &= arrival.kernel_timestamp;
                    }
                }
            }
            () = tokio::time::sleep_until(wake) => {
                if next >= n {
                    break;
                }
                let seq = reservation.sequences[next];
                last_send = Instant::now();
                match how.send(engine, target.addr, seq, &payload).await {
                    Ok(at) => sent_at[next] = Some(at),
                    // Counted as sent and lost: an unroutable target is a failed probe.
                    Err(e) => {
                        tracing::debug!("echo to {} (seq {seq}): {e}", target.addr);
                        outstanding -= 1;
                    }
                }
                next += 1;
            }
        }
    }
    let in_time: Vec<Duration> = rtts.iter().flatten().copied().collect();
    Ok(RoundResult {
        target: target.clone(),
        protocol: Protocol::Icmp,
        path: how.path(),
        port: None,
        stats: RoundStats::compute(n as u64, &in_time, duplicates, late),
        kernel_timestamps: all_kernel && !in_time.is_empty(),
        rtts: in_time,
        port_state: None,
        started,
        duration: start.elapsed(),
    })
}
