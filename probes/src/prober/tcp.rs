//! TCP prober: the time a connect (SYN → SYN/ACK, as seen by `connect` returning) takes to
//! one port. A refused connection (RST) means closed, no answer within the timeout means
//! filtered. RTTs here are user-space times (tokio), good to a scheduler tick.

use super::{
    BoxFuture, PortState, ProbePath, ProbeTarget, Prober, Protocol, RoundResult, RoundSpec,
    send_offset,
};
use crate::error::ProbeError;
use crate::stats::RoundStats;
use std::net::SocketAddr;
use std::time::{Duration, SystemTime};
use tokio::net::TcpStream;
use tokio::time::Instant;

#[derive(Debug, Default)]
pub struct TcpProber;

/// One connect attempt: its duration when it succeeded, else the port state it revealed.
pub async fn connect_once(addr: SocketAddr, timeout: Duration) -> Result<Duration, PortState> {
    let t0 = Instant::now();
    match tokio::time::timeout(timeout, TcpStream::connect(addr)).await {
        Ok(Ok(stream)) => {
            let took = t0.elapsed();
            drop(stream);
            Ok(took)
        }
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => Err(PortState::Closed),
        Ok(Err(e)) => {
            tracing::debug!("connect {addr}: {e}");
            Err(PortState::Unreachable)
        }
        Err(_elapsed) => Err(PortState::Filtered),
    }
}

/// The verdict of several attempts: open if any got through, then the most telling failure.
pub fn overall_state(states: &[PortState]) -> PortState {
    [PortState::Open, PortState::Closed, PortState::Filtered]
        .into_iter()
        .find(|s| states.contains(s))
        .unwrap_or(PortState::Unreachable)
}

impl Prober for TcpProber {
    fn protocol(&self) -> Protocol {
        Protocol::Tcp
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
                reason: "a TCP probe needs a port".into(),
            })?;
            let addr = SocketAddr::new(target.addr, port);
            let started = SystemTime::now();
            let start = Instant::now();
            let mut rtts = Vec::new();
            let mut states = Vec::new();
            for i in 0..spec.count {
                tokio::time::sleep_until(start + send_offset(spec, i)).await;
                match connect_once(addr, spec.timeout).await {
                    Ok(rtt) => {
                        rtts.push(rtt);
                        states.push(PortState::Open);
                    }
                    Err(state) => states.push(state),
                }
            }
            Ok(RoundResult {
                target: target.clone(),
                protocol: Protocol::Tcp,
                path: ProbePath::Plain,
                port: Some(port),
                stats: RoundStats::compute(u64::from(spec.count), &rtts, 0, 0),
                rtts,
                port_state: Some(overall_state(&states)),
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
    fn overall_state_prefers_open_then_closed() {
        use PortState::*;
        assert_eq!(overall_state(&[Filtered, Open]), Open);
        assert_eq!(overall_state(&[Filtered, Closed]), Closed);
        assert_eq!(overall_state(&[Unreachable, Filtered]), Filtered);
        assert_eq!(overall_state(&[]), Unreachable);
    }

    #[tokio::test]
    async fn open_and_closed_loopback_ports() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let open = listener.local_addr().unwrap();
        let spec = RoundSpec {
            count: 3,
            interval: Duration::from_millis(10),
            port: Some(open.port()),
            ..RoundSpec::default()
        };
        let t = ProbeTarget::new("lo", open.ip());
        let r = TcpProber.round(&t, &spec).await.unwrap();
        assert_eq!(r.stats.received, 3);
        assert_eq!(r.port_state, Some(PortState::Open));
        drop(listener);
        let r = TcpProber.round(&t, &spec).await.unwrap();
        assert_eq!(r.stats.received, 0);
        assert_eq!(r.port_state, Some(PortState::Closed));
    }
}
