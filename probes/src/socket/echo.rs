//! Many echo probes in flight on one ICMP socket.
//!
//! One background task reads the socket and routes each reply, by sequence number, to the
//! round that sent the probe. A round reserves a block of sequence numbers for one target;
//! the reservation is released when dropped. With a raw socket the identifier tells our
//! replies from other programs' (ping, fping, a second engine); with a datagram socket the
//! kernel has already done that and rewrites the identifier, so only the sequence counts.

use super::icmp::{IcmpSocket, SocketKind};
use crate::error::ProbeError;
use crate::packet::icmp::{IcmpVersion, parse_echo_reply};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::SystemTime;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// A reply matched to one of a round's probes.
#[derive(Debug, Clone, Copy)]
pub struct Arrival {
    pub sequence: u16,
    pub at: SystemTime,
    pub kernel_timestamp: bool,
    pub ttl: Option<u8>,
}

#[derive(Debug)]
struct Route {
    target: IpAddr,
    tx: mpsc::UnboundedSender<Arrival>,
}

#[derive(Debug, Default)]
struct Routes {
    next_seq: u16,
    by_seq: HashMap<u16, Route>,
}

#[derive(Debug)]
struct Inner {
    socket: IcmpSocket,
    identifier: u16,
    routes: Mutex<Routes>,
}

impl Inner {
    fn routes(&self) -> MutexGuard<'_, Routes> {
        // A poisoned lock only means another round panicked; the map itself is consistent.
        self.routes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The shared socket of one family plus its reply dispatcher. Cheap to clone.
#[derive(Debug, Clone)]
pub struct EchoEngine {
    inner: Arc<Inner>,
    _task: Arc<AbortOnDrop>,
}

#[derive(Debug)]
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Identifiers differ per engine so two engines (or two processes) on one host with raw
/// sockets do not steal each other's replies.
fn fresh_identifier() -> u16 {
    static COUNTER: AtomicU16 = AtomicU16::new(0);
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let mixed = std::process::id() ^ nanos.rotate_left(16) ^ nanos;
    (mixed as u16).wrapping_add(COUNTER.fetch_add(0x9e37, Ordering::Relaxed))
}

impl EchoEngine {
    /// Opens the family's socket (raw, else datagram) and starts the reply dispatcher.
    pub fn open(version: IcmpVersion) -> Result<Self, ProbeError> {
        Ok(Self::with_socket(IcmpSocket::open(version)?))
    }

    pub fn with_socket(socket: IcmpSocket) -> Self {
        let inner = Arc::new(Inner {
            socket,
            identifier: fresh_identifier(),
            routes: Mutex::new(Routes::default()),
        });
        let task = tokio::spawn(dispatch(Arc::clone(&inner)));
        Self {
            inner,
            _task: Arc::new(AbortOnDrop(task)),
        }
    }

    pub fn identifier(&self) -> u16 {
        self.inner.identifier
    }

    pub fn kind(&self) -> SocketKind {
        self.inner.socket.kind
    }

    pub fn version(&self) -> IcmpVersion {
        self.inner.socket.version
    }

    /// Reserves `count` sequence numbers for probes to `target`.
    pub fn reserve(&self, target: IpAddr, count: usize) -> Result<Reservation, ProbeError> {
        let (tx, rx) = mpsc::unbounded_channel();
        let mut routes = self.inner.routes();
        if routes.by_seq.len() + count > usize::from(u16::MAX) {
            return Err(ProbeError::SequenceSpaceFull);
        }
        let mut sequences = Vec::with_capacity(count);
        while sequences.len() < count {
            let seq = routes.next_seq;
            routes.next_seq = routes.next_seq.wrapping_add(1);
            if let std::collections::hash_map::Entry::Vacant(e) = routes.by_seq.entry(seq) {
                e.insert(Route {
                    target,
                    tx: tx.clone(),
                });
                sequences.push(seq);
            }
        }
        drop(routes);
        Ok(Reservation {
            inner: Arc::clone(&self.inner),
            sequences,
            arrivals: rx,
        })
    }

    /// Sends an already built packet; returns the time taken right before `sendto`.
    pub async fn send(&self, packet: &[u8], dst: IpAddr) -> std::io::Result<SystemTime> {
        let at = SystemTime::now();
        self.inner.socket.send_to(packet, dst).await?;
        Ok(at)
    }
}

/// Sequence numbers owned by one round, and the replies routed to it.
#[derive(Debug)]
pub struct Reservation {
    inner: Arc<Inner>,
    pub sequences: Vec<u16>,
    pub arrivals: mpsc::UnboundedReceiver<Arrival>,
}

impl Drop for Reservation {
    fn drop(&mut self) {
        let mut routes = self.inner.routes();
        for s in &self.sequences {
            routes.by_seq.remove(s);
        }
    }
}

fn same_host(a: IpAddr, b: IpAddr) -> bool {
    a.to_canonical() == b.to_canonical()
}

async fn dispatch(inner: Arc<Inner>) {
    let mut buf = vec![0u8; 65_536];
    let version = inner.socket.version;
    let with_header = inner.socket.delivers_ip_header();
    let check_ident = inner.socket.kind == SocketKind::Raw;
    loop {
        let received = match inner.socket.recv(&mut buf).await {
            Ok(r) => r,
            Err(e) => {
                // ICMP errors queued on the socket (e.g. unreachable) surface here; they
                // are not replies. Anything else is logged and the loop goes on.
                tracing::debug!("ICMP {version:?} recv: {e}");
                // Never spin on a socket that keeps failing.
                tokio::time::sleep(std::time::Duration::from_millis(1)).await;
                continue;
            }
        };
        let Some(reply) = parse_echo_reply(version, &buf[..received.len], with_header) else {
            continue;
        };
        if check_ident && reply.identifier != inner.identifier {
            continue;
        }
        let routes = inner.routes();
        if let Some(route) = routes.by_seq.get(&reply.sequence) {
            let from_target = received.from.is_none_or(|f| same_host(f, route.target));
            if from_target {
                let _ = route.tx.send(Arrival {
                    sequence: reply.sequence,
                    at: received.at,
                    kernel_timestamp: received.kernel_timestamp,
                    ttl: reply.ttl,
                });
            }
        }
    }
}
