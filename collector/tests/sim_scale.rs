//! Scale of the simulator: 10,000 agents (10,000 UDP sockets) bind and answer, and — as an
//! ignored measurement, run in release mode — the requests per second it sustains:
//!
//! ```text
//! cargo test --release -p netops-collector --test sim_scale -- --ignored --nocapture
//! ```

use netops_collector::sim::dynamics::DynamicsOptions;
use netops_collector::sim::server::{SimConfig, Simulator, raise_nofile_limit};
use netops_collector::sim::snmprec;
use netops_collector::sim::store::Store;
use netops_collector::snmp::codec::decode_message;
use netops_collector::snmp::{AgentAddress, Credentials, RequestOptions, SnmpEngine, walk};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::net::UdpSocket;
use tokio_util::sync::CancellationToken;

fn router48() -> Arc<Store> {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/recordings/router-48.snmprec");
    Arc::new(Store::new(
        "router-48",
        snmprec::read_file(&path).unwrap(),
        DynamicsOptions::default(),
    ))
}

/// Binds `agents` consecutive ports somewhere in 20000..60000, trying other bases if a
/// port is taken.
async fn start(agents: usize) -> (Simulator, SocketAddr) {
    let limit = raise_nofile_limit(agents).unwrap_or_else(|e| panic!("{e}"));
    assert!(limit as usize > agents);
    let mut last_error = String::new();
    for attempt in 0..20u64 {
        let nanos = u64::from(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .subsec_nanos(),
        );
        let span = 40_000 - agents as u64;
        let base = 20_000 + (nanos / 7 + attempt * 3_331) % span;
        let listen: SocketAddr = format!("127.0.0.1:{base}").parse().unwrap();
        let config = SimConfig {
            listen,
            agents,
            stores: vec![router48()],
            community: "public".into(),
            v3_users: vec![],
            faults: vec![],
        };
        match Simulator::bind(config).await {
            Ok(sim) => return (sim, listen),
            Err(e) => last_error = e.to_string(),
        }
    }
    panic!("could not bind {agents} consecutive ports: {last_error}");
}

/// A v2c GETBULK (non-repeaters 0, max-repetitions 25) of ifTable (1.3.6.1.2.1.2.2).
fn getbulk_if_table(request_id: u32) -> Vec<u8> {
    let id = request_id.to_be_bytes();
    let mut m = vec![
        0x30, 0x28, 0x02, 0x01, 0x01, 0x04, 0x06, b'p', b'u', b'b', b'l', b'i', b'c', 0xa5, 0x1b,
        0x02, 0x04,
    ];
    m.extend_from_slice(&[id[0] & 0x7f, id[1], id[2], id[3]]);
    m.extend_from_slice(&[
        0x02, 0x01, 0x00, 0x02, 0x01, 0x19, 0x30, 0x0d, 0x30, 0x0b, 0x06, 0x07, 0x2b, 0x06, 0x01,
        0x02, 0x01, 0x02, 0x02, 0x05, 0x00,
    ]);
    m
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_agents_bind_and_answer() {
    let (sim, listen) = start(10_000).await;
    let cancel = CancellationToken::new();
    let server = tokio::spawn(sim.run(cancel.clone()));
    let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    for (n, agent) in [0u16, 4_999, 9_999].into_iter().enumerate() {
        let to = SocketAddr::new(listen.ip(), listen.port() + agent);
        client
            .send_to(&getbulk_if_table(n as u32 + 1), to)
            .await
            .unwrap();
        let mut buf = vec![0u8; 65_536];
        let (len, from) = tokio::time::timeout(Duration::from_secs(5), client.recv_from(&mut buf))
            .await
            .unwrap_or_else(|_| panic!("agent {agent} did not answer"))
            .unwrap();
        assert_eq!(from, to);
        let pdu = decode_message(&buf[..len]).unwrap().pdu.unwrap();
        assert_eq!(pdu.request_id, n as i32 + 1);
        assert_eq!(pdu.varbinds.len(), 25, "agent {agent}");
    }
    cancel.cancel();
    server.await.unwrap();
}

/// Raw load: `senders` sockets each keep `window` GETBULK requests (25 varbinds per
/// answer) in flight over all agents; prints what the simulator sustained.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "measurement: run in release mode with --ignored --nocapture"]
async fn measure_requests_per_second() {
    let agents = 1_000;
    let (sim, listen) = start(agents).await;
    let stats = sim.stats();
    let cancel = CancellationToken::new();
    let server = tokio::spawn(sim.run(cancel.clone()));
    let answered = Arc::new(AtomicU64::new(0));
    let duration = Duration::from_secs(5);
    let started = Instant::now();
    let mut senders = Vec::new();
    for s in 0..4u32 {
        let answered = answered.clone();
        senders.push(tokio::spawn(async move {
            let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            let mut buf = vec![0u8; 65_536];
            let mut next = s as usize;
            let mut id = s << 24;
            while started.elapsed() < duration {
                for _ in 0..32 {
                    id = id.wrapping_add(1);
                    next = (next + 7) % agents;
                    let to = SocketAddr::new(listen.ip(), listen.port() + next as u16);
                    socket.send_to(&getbulk_if_table(id), to).await.unwrap();
                }
                for _ in 0..32 {
                    match tokio::time::timeout(
                        Duration::from_millis(200),
                        socket.recv_from(&mut buf),
                    )
                    .await
                    {
                        Ok(Ok(_)) => {
                            answered.fetch_add(1, Ordering::Relaxed);
                        }
                        _ => break,
                    }
                }
            }
        }));
    }
    for s in senders {
        s.await.unwrap();
    }
    let elapsed = started.elapsed().as_secs_f64();
    let n = answered.load(Ordering::Relaxed);
    println!(
        "raw GETBULK x25: {n} answers in {elapsed:.2} s = {:.0} requests/s ({:.0} varbinds/s); simulator counted {} requests",
        n as f64 / elapsed,
        n as f64 * 25.0 / elapsed,
        stats.requests.load(Ordering::Relaxed)
    );

    // Through the netops collector: concurrent if_mib-style walks of ifTable + ifXTable.
    let before = stats.requests.load(Ordering::Relaxed);
    let engine = SnmpEngine::new().await.unwrap();
    let options = RequestOptions {
        timeout: Duration::from_secs(2),
        retries: 1,
        max_repetitions: 25,
    };
    let started = Instant::now();
    let varbinds = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let mut walks = tokio::task::JoinSet::new();
    for i in 0..400usize {
        let engine = engine.clone();
        let varbinds = varbinds.clone();
        let failed = failed.clone();
        walks.spawn(async move {
            let address = AgentAddress::parse(&format!(
                "127.0.0.1:{}",
                listen.port() as usize + i % agents
            ))
            .unwrap();
            let session = engine
                .session(&address, &Credentials::v2c("public"), options)
                .await
                .unwrap();
            for root in ["1.3.6.1.2.1.2.2", "1.3.6.1.2.1.31.1.1"] {
                match walk(&session, &root.parse().unwrap(), 25).await {
                    Ok(vbs) => varbinds.fetch_add(vbs.len() as u64, Ordering::Relaxed),
                    Err(_) => failed.fetch_add(1, Ordering::Relaxed),
                };
            }
        });
    }
    while let Some(r) = walks.join_next().await {
        r.unwrap();
    }
    let elapsed = started.elapsed().as_secs_f64();
    let requests = stats.requests.load(Ordering::Relaxed) - before;
    println!(
        "collector walks (400 x ifTable+ifXTable of router-48): {requests} requests in {elapsed:.2} s = {:.0} requests/s, {:.0} varbinds/s, {} walks failed",
        requests as f64 / elapsed,
        varbinds.load(Ordering::Relaxed) as f64 / elapsed,
        failed.load(Ordering::Relaxed)
    );
    cancel.cancel();
    server.await.unwrap();
}
