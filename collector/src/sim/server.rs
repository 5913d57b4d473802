//! The simulator's sockets: N agents, one UDP port each (consecutive ports from the first),
//! one task per socket. Agent `i` serves recording `i mod R` of the R recordings, in the
//! order given (the CLI sorts a directory's files by name).
//!
//! Efficiency: an idle agent holds no receive buffer. Its task waits for readability, then
//! drains the socket into a per-thread 64 KiB buffer; the only allocations of a request
//! are its decoded form and the response.

use crate::sim::SimError;
use crate::sim::agent::{Reply, SimAgent};
use crate::sim::fault::{FaultSpec, faults_of};
use crate::sim::store::Store;
use crate::sim::usm::{Salts, UsmAgent, UsmUsers, V3UserSpec, engine_id_for};
use bytes::Bytes;
use std::cell::RefCell;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::net::UdpSocket;
use tokio_util::sync::CancellationToken;

#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Address of agent 0; agent i listens on port + i.
    pub listen: SocketAddr,
    pub agents: usize,
    pub stores: Vec<Arc<Store>>,
    pub community: String,
    pub v3_users: Vec<V3UserSpec>,
    pub faults: Vec<FaultSpec>,
}

/// Counters of the whole simulator.
#[derive(Debug, Default)]
pub struct SimStats {
    pub requests: AtomicU64,
    pub replies: AtomicU64,
    pub dropped: AtomicU64,
}

#[derive(Debug)]
pub struct Simulator {
    agents: Vec<(Arc<SimAgent>, Arc<UdpSocket>)>,
    salts: Arc<Salts>,
    stats: Arc<SimStats>,
    start: Instant,
}

impl Simulator {
    /// Binds every agent's socket (all or nothing: a port in use fails the start, naming
    /// the agent and address).
    pub async fn bind(config: SimConfig) -> Result<Self, SimError> {
        if config.stores.is_empty() {
            return Err(SimError::Config {
                flag: "--recordings",
                reason: "no recordings to serve".into(),
            });
        }
        let last = usize::from(config.listen.port()) + config.agents.saturating_sub(1);
        if config.agents == 0 || last > 65_535 {
            return Err(SimError::Config {
                flag: "--agents",
                reason: format!(
                    "{} agents from port {} need ports up to {last} (max 65535, at least 1 agent)",
                    config.agents,
                    config.listen.port()
                ),
            });
        }
        let users = UsmUsers::new(&config.v3_users)?;
        let community = Bytes::from(config.community.clone().into_bytes());
        let mut agents = Vec::with_capacity(config.agents);
        for i in 0..config.agents {
            let address = SocketAddr::new(config.listen.ip(), config.listen.port() + i as u16);
            let socket = std::net::UdpSocket::bind(address)
                .and_then(|s| s.set_nonblocking(true).map(|()| s))
                .and_then(UdpSocket::from_std)
                .map_err(|source| SimError::Bind {
                    agent: i,
                    address,
                    hint: if source.raw_os_error() == Some(24) {
                        " (too many open files: raise the file descriptor limit, `ulimit -n`)"
                            .into()
                    } else {
                        String::new()
                    },
                    source,
                })?;
            let usm = if users.is_empty() {
                None
            } else {
                Some(UsmAgent::new(&users, engine_id_for(i))?)
            };
            let store = config.stores[i % config.stores.len()].clone();
            let agent = SimAgent::new(
                i,
                store,
                community.clone(),
                usm,
                faults_of(&config.faults, i),
            );
            agents.push((Arc::new(agent), Arc::new(socket)));
        }
        Ok(Self {
            agents,
            salts: Arc::new(Salts::new()?),
            stats: Arc::new(SimStats::default()),
            start: Instant::now(),
        })
    }

    pub fn agents(&self) -> impl Iterator<Item = &SimAgent> {
        self.agents.iter().map(|(a, _)| a.as_ref())
    }

    pub fn stats(&self) -> Arc<SimStats> {
        self.stats.clone()
    }

    /// Address of agent `i`.
    pub fn address(&self, i: usize) -> Option<SocketAddr> {
        self.agents.get(i).and_then(|(_, s)| s.local_addr().ok())
    }

    /// Time zero of every agent's clock (the end of [`Simulator::bind`]).
    pub fn start(&self) -> Instant {
        self.start
    }

    /// Serves until `cancel` fires.
    pub async fn run(self, cancel: CancellationToken) {
        let start = self.start;
        let mut tasks = tokio::task::JoinSet::new();
        for (agent, socket) in self.agents {
            tasks.spawn(serve_agent(
                agent,
                socket,
                start,
                self.salts.clone(),
                self.stats.clone(),
                cancel.clone(),
            ));
        }
        while tasks.join_next().await.is_some() {}
    }
}

thread_local! {
    static RECV_BUFFER: RefCell<Vec<u8>> = RefCell::new(vec![0; 65_536]);
}

async fn serve_agent(
    agent: Arc<SimAgent>,
    socket: Arc<UdpSocket>,
    start: Instant,
    salts: Arc<Salts>,
    stats: Arc<SimStats>,
    cancel: CancellationToken,
) {
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            ready = socket.readable() => if ready.is_err() { return },
        }
        loop {
            let received = RECV_BUFFER.with(|buffer| {
                let mut buffer = buffer.borrow_mut();
                socket.try_recv_from(&mut buffer).map(|(len, peer)| {
                    (agent.handle(&buffer[..len], start.elapsed(), &salts), peer)
                })
            });
            let (reply, peer) = match received {
                Ok(r) => r,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                // ICMP port unreachable from an earlier reply shows up here; keep serving.
                Err(_) => continue,
            };
            stats.requests.fetch_add(1, Ordering::Relaxed);
            match reply {
                Reply::Drop => {
                    stats.dropped.fetch_add(1, Ordering::Relaxed);
                }
                Reply::Send(bytes) => {
                    send(&socket, &bytes, peer).await;
                    stats.replies.fetch_add(1, Ordering::Relaxed);
                }
                Reply::SendAfter(delay, bytes) => {
                    let socket = socket.clone();
                    let stats = stats.clone();
                    tokio::spawn(async move {
                        tokio::time::sleep(delay).await;
                        send(&socket, &bytes, peer).await;
                        stats.replies.fetch_add(1, Ordering::Relaxed);
                    });
                }
            }
        }
    }
}

async fn send(socket: &UdpSocket, bytes: &[u8], peer: SocketAddr) {
    match socket.try_send_to(bytes, peer) {
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
            let _ = socket.send_to(bytes, peer).await;
        }
        _ => {}
    }
}

/// Raises the soft limit of open files to what `sockets` agents need (plus headroom for
/// the runtime), up to the hard limit. Returns the soft limit now in force; an `Err` says
/// why it stays too low.
pub fn raise_nofile_limit(sockets: usize) -> Result<u64, String> {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    let needed = sockets as u64 + 256;
    let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE).map_err(|e| format!("getrlimit: {e}"))?;
    if soft >= needed {
        return Ok(soft);
    }
    if hard < needed {
        return Err(format!(
            "{sockets} agents need about {needed} open files, but the hard limit is {hard} \
             (raise it with `ulimit -Hn` as root, or LimitNOFILE= in a systemd unit)"
        ));
    }
    setrlimit(Resource::RLIMIT_NOFILE, needed, hard).map_err(|e| format!("setrlimit: {e}"))?;
    Ok(needed)
}

/// Requests per second between two readings of a counter `interval` apart.
pub fn rate(previous: u64, now: u64, interval: Duration) -> f64 {
    (now.saturating_sub(previous)) as f64 / interval.as_secs_f64().max(1e-9)
}
