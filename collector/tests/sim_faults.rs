//! Fault modes of the simulator behave as documented, and the netops collector survives
//! each: a timing-out agent is reported as `SnmpError::Timeout`, a malformed one as a
//! timeout whose hint counts the unparsable replies, a slow one answers late (a timeout
//! below its delay, success above), a rebooting one shows sysUpTime going back, is seen as
//! `Continuity::Rebooted`, and no exported counter jumps; meanwhile the healthy agent on
//! the same shared client socket keeps answering.

use netops_collector::counters::{Continuity, CounterTracker};
use netops_collector::modules;
use netops_collector::poll::poll_modules;
use netops_collector::sim::dynamics::{Dynamic, DynamicsOptions};
use netops_collector::sim::fault::{FaultSpec, MALFORMED_REPLY};
use netops_collector::sim::server::{SimConfig, Simulator};
use netops_collector::sim::snmprec;
use netops_collector::sim::store::Store;
use netops_collector::snmp::{
    self, AgentAddress, Credentials, Oid, RequestOptions, SnmpClient, SnmpEngine, SnmpError,
    SnmpValue,
};
use netops_core::Labels;
use netops_test_support::free_udp_port;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
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

async fn start(agents: usize, faults: &[&str]) -> (Simulator, SocketAddr) {
    for _ in 0..20 {
        let listen: SocketAddr = format!("127.0.0.1:{}", free_udp_port()).parse().unwrap();
        let config = SimConfig {
            listen,
            agents,
            stores: vec![router48()],
            community: "public".into(),
            v3_users: vec![],
            faults: faults
                .iter()
                .map(|f| f.parse::<FaultSpec>().unwrap())
                .collect(),
        };
        if let Ok(sim) = Simulator::bind(config).await {
            return (sim, listen);
        }
    }
    panic!("no run of free UDP ports on 127.0.0.1");
}

fn agent(listen: SocketAddr, i: u16) -> AgentAddress {
    AgentAddress::parse(&SocketAddr::new(listen.ip(), listen.port() + i).to_string()).unwrap()
}

fn options(timeout_ms: u64) -> RequestOptions {
    RequestOptions {
        timeout: Duration::from_millis(timeout_ms),
        retries: 0,
        max_repetitions: 25,
    }
}

/// A v2c GET of sysUpTime.0 with request-id 0x12345678, as bytes on the wire.
const GET_UPTIME: &[u8] = &[
    0x30, 0x29, 0x02, 0x01, 0x01, 0x04, 0x06, b'p', b'u', b'b', b'l', b'i', b'c', 0xa0, 0x1c, 0x02,
    0x04, 0x12, 0x34, 0x56, 0x78, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00, 0x30, 0x0e, 0x30, 0x0c, 0x06,
    0x08, 0x2b, 0x06, 0x01, 0x02, 0x01, 0x01, 0x03, 0x00, 0x05, 0x00,
];

/// What comes back on the wire for one GET, within `wait`.
fn raw_reply(to: SocketAddr, wait: Duration) -> Option<Vec<u8>> {
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.set_read_timeout(Some(wait)).unwrap();
    socket.send_to(GET_UPTIME, to).unwrap();
    let mut buf = [0u8; 2048];
    socket.recv(&mut buf).ok().map(|n| buf[..n].to_vec())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeouts_malformed_and_slow_agents_are_reported_while_others_keep_answering() {
    // 0 healthy, 1 timeout, 2 slow (400 ms), 3 malformed.
    let (sim, listen) = start(4, &["timeout:1", "slow:400:2", "malformed:3"]).await;
    let cancel = CancellationToken::new();
    let server = tokio::spawn(sim.run(cancel.clone()));
    let at = move |i: u16| SocketAddr::new(listen.ip(), listen.port() + i);

    // On the wire: as documented.
    let wire = tokio::task::spawn_blocking(move || {
        (
            raw_reply(at(0), Duration::from_secs(2)),
            raw_reply(at(1), Duration::from_millis(500)),
            raw_reply(at(3), Duration::from_secs(2)),
        )
    })
    .await
    .unwrap();
    let healthy = snmp::codec::decode_message(&wire.0.expect("agent 0 answers")).unwrap();
    assert_eq!(healthy.pdu.unwrap().request_id, 0x1234_5678);
    assert_eq!(wire.1, None, "a timeout agent sends nothing");
    assert_eq!(
        wire.2.as_deref(),
        Some(MALFORMED_REPLY),
        "a malformed agent sends garbage"
    );

    // Through the collector: one shared engine polls all four at once.
    let engine = SnmpEngine::new().await.unwrap();
    let creds = Credentials::v2c("public");
    let if_mib = [modules::builtin("if_mib").unwrap()];
    let mut sessions = Vec::new();
    for i in 0..4 {
        sessions.push(
            engine
                .session(&agent(listen, i), &creds, options(300))
                .await
                .unwrap(),
        );
    }
    let labels = Labels::new();
    let polls = futures_join(&sessions, &if_mib, &labels).await;
    let [ok, timeout, slow, malformed] = polls;
    assert!(ok.error.is_none(), "{:?}", ok.error);
    let in_octets = ok
        .samples
        .iter()
        .filter(|s| s.name == "ifHCInOctets")
        .count();
    assert_eq!(in_octets, 48, "the healthy agent's 48 interfaces");
    for (name, outcome) in [
        ("timeout", &timeout),
        ("slow", &slow),
        ("malformed", &malformed),
    ] {
        assert!(
            matches!(outcome.error, Some(SnmpError::Timeout { .. })),
            "{name}: {:?}",
            outcome.error
        );
        assert!(outcome.samples.is_empty(), "{name}");
    }

    // A dedicated session tells garbage from silence: the malformed replies are counted.
    let dedicated = snmp::dedicated_session(&agent(listen, 3), &creds, options(300))
        .await
        .unwrap();
    let e = dedicated
        .get(&["1.3.6.1.2.1.1.3.0".parse::<Oid>().unwrap()])
        .await
        .unwrap_err();
    assert!(
        matches!(&e, SnmpError::Timeout { hint, .. } if hint.contains("1 reply datagram(s) from the agent could not be parsed")),
        "{e}"
    );

    // The slow agent answers when the poller waits long enough (the small `system` module:
    // every request costs the agent's 400 ms).
    let patient = engine
        .session(&agent(listen, 2), &creds, options(2000))
        .await
        .unwrap();
    let system = [modules::builtin("system").unwrap()];
    let late = poll_modules(&patient, &system, &labels, 25, None).await;
    assert!(late.error.is_none(), "{:?}", late.error);
    assert!(
        late.samples.iter().any(|s| s.name == "sysUpTime"),
        "{:?}",
        late.samples
    );

    // And the healthy agent still answers after all that.
    let again = poll_modules(&sessions[0], &if_mib, &labels, 25, None).await;
    assert!(again.error.is_none(), "{:?}", again.error);

    cancel.cancel();
    server.await.unwrap();
}

async fn futures_join<C: SnmpClient>(
    sessions: &[C],
    modules: &[&'static modules::ModuleDef],
    labels: &Labels,
) -> [netops_collector::poll::PollOutcome; 4] {
    let (a, b, c, d) = tokio::join!(
        poll_modules(&sessions[0], modules, labels, 25, None),
        poll_modules(&sessions[1], modules, labels, 25, None),
        poll_modules(&sessions[2], modules, labels, 25, None),
        poll_modules(&sessions[3], modules, labels, 25, None),
    );
    [a, b, c, d]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reboot_is_seen_and_never_becomes_a_counter_spike() {
    let (sim, listen) = start(1, &["reboot-every:3:0"]).await;
    let start_time = sim.start();
    let store = sim.agents().next().unwrap().store().clone();
    let cancel = CancellationToken::new();
    let server = tokio::spawn(sim.run(cancel.clone()));

    let engine = SnmpEngine::new().await.unwrap();
    let session = engine
        .session(
            &agent(listen, 0),
            &Credentials::v2c("public"),
            options(1000),
        )
        .await
        .unwrap();
    let if_mib = [modules::builtin("if_mib").unwrap()];
    let labels = Labels::new();
    let mut tracker = CounterTracker::new();
    // Rate (octets/s) of each interface's ifHCInOctets and ifInOctets, from the simulator.
    let rate = |column: &str, index: &str| -> u64 {
        let oid: Oid = format!("{column}.{index}").parse().unwrap();
        match store.dynamic(&oid) {
            Some(Dynamic::Counter { per_second }) => per_second,
            other => panic!("{oid}: {other:?}"),
        }
    };
    let mut previous: HashMap<(String, String), (f64, Duration)> = HashMap::new();
    let mut uptimes = Vec::new();
    let mut reboots = 0;
    let mut compared = 0;
    // The agent reboots every 3 s. Polls start early in a run, so a reboot falls between
    // polls, as with real devices; a poll that still straddles one (a loaded machine) is
    // set aside with its tracker: the collector reads sysUpTime before the walk and
    // cannot see a reboot in the middle of its own poll.
    let period = Duration::from_secs(3).as_millis();
    for _ in 0..16 {
        let since_boot = start_time.elapsed().as_millis() % period;
        if !(100..=1500).contains(&since_boot) {
            tokio::time::sleep(Duration::from_millis((period - since_boot + 150) as u64)).await;
        }
        let before = start_time.elapsed();
        let outcome = poll_modules(&session, &if_mib, &labels, 25, Some(&mut tracker)).await;
        assert!(outcome.error.is_none(), "{:?}", outcome.error);
        if before.as_millis() / period != start_time.elapsed().as_millis() / period {
            tracker = CounterTracker::new();
            previous.clear();
            continue;
        }
        if outcome.continuity == Continuity::Rebooted {
            reboots += 1;
        }
        let uptime = outcome
            .samples
            .iter()
            .find(|s| s.name == "sysUpTime")
            .map(|s| s.value)
            .unwrap();
        uptimes.push(uptime);
        for s in &outcome.samples {
            let column = match s.name.as_str() {
                "ifHCInOctets" => "1.3.6.1.2.1.31.1.1.1.6",
                "ifInOctets" => "1.3.6.1.2.1.2.2.1.10",
                _ => continue,
            };
            let index = s.labels.get("ifIndex").unwrap().to_string();
            let key = (s.name.to_string(), index.clone());
            if let Some((last, last_before)) = previous.get(&key) {
                // Prometheus' increase: a drop is a reset, counted from zero.
                let increase = if s.value >= *last {
                    s.value - last
                } else {
                    s.value
                };
                let window = start_time.elapsed() - *last_before;
                let allowed = rate(column, &index) as f64 * window.as_secs_f64() + 1.0;
                assert!(
                    increase <= allowed,
                    "{}{{ifIndex={index}}}: increase {increase} > {allowed} in {window:?} (a spike)",
                    s.name
                );
                compared += 1;
            }
            previous.insert(key, (s.value, before));
        }
        if reboots >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(1000)).await;
    }
    assert!(
        reboots >= 1,
        "sysUpTime readings {uptimes:?}: no reboot seen"
    );
    assert!(
        uptimes.windows(2).any(|w| w[1] < w[0]),
        "sysUpTime goes back: {uptimes:?}"
    );
    assert!(compared > 0);
    assert!(
        tracker.resets() >= 1,
        "the reboot reset the tracker's series"
    );

    cancel.cancel();
    server.await.unwrap();
}

#[tokio::test]
async fn sysuptime_of_a_healthy_agent_only_grows() {
    let (sim, listen) = start(1, &[]).await;
    let cancel = CancellationToken::new();
    let server = tokio::spawn(sim.run(cancel.clone()));
    let session = snmp::dedicated_session(
        &agent(listen, 0),
        &Credentials::v2c("public"),
        options(1000),
    )
    .await
    .unwrap();
    let oid: Oid = "1.3.6.1.2.1.1.3.0".parse().unwrap();
    let mut last = 0;
    for _ in 0..3 {
        let vbs = session.get(std::slice::from_ref(&oid)).await.unwrap();
        let SnmpValue::TimeTicks(t) = vbs[0].value else {
            panic!("{vbs:?}")
        };
        assert!(t >= last);
        last = t;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    cancel.cancel();
    server.await.unwrap();
}

/// SNMPv3 across a reboot: snmpEngineBoots goes up and engineTime restarts, the client's
/// next request is outside the time window, gets a notInTimeWindows report with the new
/// boots/time, and the poller carries on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v3_poller_follows_a_reboot() {
    let mut found = None;
    for _ in 0..20 {
        let listen: SocketAddr = format!("127.0.0.1:{}", free_udp_port()).parse().unwrap();
        let config = SimConfig {
            listen,
            agents: 1,
            stores: vec![router48()],
            community: "public".into(),
            v3_users: vec![
                "ops:SHA-256:ops-auth-pass:AES:ops-priv-pass"
                    .parse()
                    .unwrap(),
            ],
            faults: vec!["reboot-every:2:0".parse().unwrap()],
        };
        if let Ok(sim) = Simulator::bind(config).await {
            found = Some((sim, listen));
            break;
        }
    }
    let (sim, listen) = found.expect("a free port");
    let cancel = CancellationToken::new();
    let server = tokio::spawn(sim.run(cancel.clone()));
    let creds = Credentials::Usm(snmp::UsmUser {
        name: "ops".into(),
        level: snmp::SecurityLevel::AuthPriv,
        auth: Some((
            snmp::AuthProtocol::Sha256,
            netops_core::Secret::new("ops-auth-pass"),
        )),
        privacy: Some((
            snmp::PrivProtocol::Aes128,
            netops_core::Secret::new("ops-priv-pass"),
        )),
        context: String::new(),
    });
    let engine = SnmpEngine::new().await.unwrap();
    let session = engine
        .session(&agent(listen, 0), &creds, options(1000))
        .await
        .unwrap();
    let oid: Oid = "1.3.6.1.2.1.1.3.0".parse().unwrap();
    let mut uptimes = Vec::new();
    for _ in 0..5 {
        let vbs = session.get(std::slice::from_ref(&oid)).await.unwrap();
        let SnmpValue::TimeTicks(t) = vbs[0].value else {
            panic!("{vbs:?}")
        };
        uptimes.push(t);
        tokio::time::sleep(Duration::from_millis(900)).await;
    }
    assert!(
        uptimes.windows(2).any(|w| w[1] < w[0]),
        "sysUpTime went back over v3: {uptimes:?}"
    );
    cancel.cancel();
    server.await.unwrap();
}

/// A poll that outlives its interval (a slow agent: 400 ms per request, ~80 requests for
/// `if_mib`, polled every second) is cut off by the scheduler and reported: the target is
/// down with reason `interval_exceeded` in the exposition, not silently missing, while a
/// healthy target on the same engine and scheduler stays up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poll_slower_than_its_interval_reports_the_target_down() {
    use netops_collector::config::PollTarget;
    use netops_collector::job::PollJob;
    use netops_collector::sink::prometheus::{PrometheusConfig, PrometheusSink};
    use netops_core::Sink;
    use netops_core::scheduler::{self, Job, SchedulerStats};

    let (sim, listen) = start(2, &["slow:400:1"]).await;
    let cancel = CancellationToken::new();
    let server = tokio::spawn(sim.run(cancel.clone()));
    let engine = SnmpEngine::new().await.unwrap();
    let prometheus = Arc::new(PrometheusSink::new(PrometheusConfig::default()).unwrap());
    let sinks: Arc<[Arc<dyn Sink>]> =
        vec![Arc::new(prometheus.producer("snmp")) as Arc<dyn Sink>].into();
    let jobs: Vec<Arc<dyn Job>> = ["healthy", "slow"]
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let target = PollTarget {
                name: (*name).to_string(),
                address: agent(listen, i as u16),
                credentials: Credentials::v2c("public"),
                options: options(2000),
                interval: Duration::from_secs(1),
                modules: vec![modules::builtin("if_mib").unwrap()],
                labels: Default::default(),
            };
            Arc::new(PollJob::new(target, engine.clone(), sinks.clone())) as Arc<dyn Job>
        })
        .collect();
    let stats = Arc::new(SchedulerStats::default());
    let scheduler = tokio::spawn(scheduler::run(jobs, 8, cancel.clone(), stats.clone()));

    let mut text = String::new();
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        text.clear();
        prometheus.encode(&mut text);
        if text.contains(r#"netops_poll_errors_total{reason="interval_exceeded",target="slow"} 2"#)
        {
            break;
        }
    }
    cancel.cancel();
    scheduler.await.unwrap();
    server.await.unwrap();
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("netops_target_up") || l.starts_with("netops_poll_errors_total"))
        .collect();
    assert!(
        lines.contains(&r#"netops_target_up{target="slow"} 0"#),
        "{lines:#?}"
    );
    assert!(
        lines.contains(&r#"netops_target_up{target="healthy"} 1"#),
        "{lines:#?}"
    );
    assert!(
        lines.iter().any(|l| l
            .starts_with(r#"netops_poll_errors_total{reason="interval_exceeded",target="slow"}"#)),
        "{lines:#?}"
    );
    assert!(stats.skipped.load(std::sync::atomic::Ordering::SeqCst) >= 2);
}
