//! The simulator answers net-snmp's `snmpbulkwalk` (v2c, v3 authPriv with SHA-512/AES-256
//! and MD5/DES, and v1 `snmpwalk`) with exactly the recording it serves: same OIDs in the
//! same order, static values equal, counters and sysUpTime where their rate puts them.

use netops_collector::sim::dynamics::{self, AgentTime, DynamicsOptions};
use netops_collector::sim::server::{SimConfig, Simulator};
use netops_collector::sim::store::Store;
use netops_collector::sim::{snmprec, usm::V3UserSpec};
use netops_collector::snmp::{Oid, SnmpValue};
use netops_test_support::{free_udp_port, require_binary};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

const USERS: &[&str] = &[
    "sha512aes256:SHA-512:sha512-auth-pass:AES-256:sha512-priv-pass",
    "md5des:MD5:md5-auth-pass:DES:md5-priv-pass",
];

fn recording(name: &str) -> Arc<Store> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/recordings")
        .join(format!("{name}.snmprec"));
    Arc::new(Store::new(
        name,
        snmprec::read_file(&path).unwrap(),
        DynamicsOptions::default(),
    ))
}

/// Binds `agents` consecutive loopback ports, retrying from another base if one is taken.
async fn start(stores: Vec<Arc<Store>>, agents: usize) -> (Simulator, SocketAddr) {
    for _ in 0..20 {
        let listen: SocketAddr = format!("127.0.0.1:{}", free_udp_port()).parse().unwrap();
        let config = SimConfig {
            listen,
            agents,
            stores: stores.clone(),
            community: "public".into(),
            v3_users: USERS
                .iter()
                .map(|u| u.parse::<V3UserSpec>().unwrap())
                .collect(),
            faults: vec![],
        };
        if let Ok(sim) = Simulator::bind(config).await {
            return (sim, listen);
        }
    }
    panic!("no run of free UDP ports on 127.0.0.1");
}

/// One line of `snmpbulkwalk -On -Ox -Ot -Oe` output, continuation lines of long hex
/// strings joined.
#[derive(Debug)]
struct Line {
    oid: Oid,
    kind: String,
    value: String,
}

fn parse_output(text: &str) -> Vec<Line> {
    let mut out: Vec<Line> = Vec::new();
    for raw in text.lines() {
        if let Some(rest) = raw.strip_prefix('.')
            && let Some((oid, value)) = rest.split_once(" = ")
        {
            if value.starts_with("No more variables left in this MIB View") {
                // snmpbulkwalk prints the endOfMibView that ends a walk of everything.
                continue;
            }
            // With -Ot, Timeticks print as a bare number, without a type.
            let (kind, value) = value.split_once(": ").unwrap_or(("", value));
            out.push(Line {
                oid: oid.parse().unwrap(),
                kind: kind.to_string(),
                value: value.trim().to_string(),
            });
        } else if raw.trim() == "End of MIB" {
            // snmpwalk's (v1) way of saying it reached noSuchName at the end.
            continue;
        } else if let Some(last) = out.last_mut() {
            last.value.push(' ');
            last.value.push_str(raw.trim());
        }
    }
    out
}

fn walk(args: &[&str], address: SocketAddr, tool: &str) -> Vec<Line> {
    require_binary(&format!("/usr/bin/{tool}"));
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(format!("/usr/bin/{tool}"))
        .env("SNMP_PERSISTENT_DIR", dir.path())
        .args(["-m", "", "-On", "-Ox", "-Ot", "-Oe", "-t", "3", "-r", "1"])
        .args(args)
        .arg(address.to_string())
        .arg("1.3.6.1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{tool} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    parse_output(&String::from_utf8_lossy(&out.stdout))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// Compares a walk with the recording served, given the window of agent time in which
/// the walk ran.
fn assert_matches(store: &Store, lines: &[Line], during: (Duration, Duration), v1: bool) {
    let expected: Vec<_> = store
        .recorded()
        .iter()
        .filter(|vb| !(v1 && matches!(vb.value, SnmpValue::Counter64(_))))
        .collect();
    let got: Vec<&Oid> = lines.iter().map(|l| &l.oid).collect();
    let want: Vec<&Oid> = expected.iter().map(|vb| &vb.oid).collect();
    if got != want {
        let first = got
            .iter()
            .zip(&want)
            .position(|(a, b)| a != b)
            .unwrap_or(got.len().min(want.len()));
        panic!(
            "{}: the walk returns {} OIDs, the recording has {}; first difference at #{first}: got {:?}, want {:?}",
            store.name,
            got.len(),
            want.len(),
            got.get(first),
            want.get(first)
        );
    }
    let at = |d: Duration| AgentTime {
        elapsed_ms: d.as_millis() as u64,
        reboot_every_ms: None,
    };
    let mut counters = 0;
    for (line, vb) in lines.iter().zip(&expected) {
        let ctx = format!("{}: {} = {} {}", store.name, vb.oid, line.kind, line.value);
        let number = || -> u64 {
            line.value
                .trim_start_matches('(')
                .split(|c: char| !c.is_ascii_digit())
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("{ctx}: not a number"))
        };
        match &vb.value {
            SnmpValue::Integer(v) => {
                assert_eq!(line.kind, "INTEGER", "{ctx}");
                assert_eq!(line.value.parse::<i64>().ok(), Some(*v), "{ctx}");
            }
            SnmpValue::OctetString(b) => {
                if b.is_empty() {
                    assert_eq!(
                        (line.kind.as_str(), line.value.as_str()),
                        ("", "\"\""),
                        "{ctx}"
                    );
                } else {
                    assert_eq!(line.kind, "Hex-STRING", "{ctx}");
                    assert_eq!(line.value.replace(' ', ""), hex(b), "{ctx}");
                }
            }
            SnmpValue::ObjectId(o) => {
                assert_eq!(line.kind, "OID", "{ctx}");
                assert_eq!(line.value, format!(".{o}"), "{ctx}");
            }
            SnmpValue::IpAddress([a, b, c, d]) => {
                assert_eq!(line.kind, "IpAddress", "{ctx}");
                assert_eq!(line.value, format!("{a}.{b}.{c}.{d}"), "{ctx}");
            }
            SnmpValue::Gauge32(v) => {
                assert_eq!(line.kind, "Gauge32", "{ctx}");
                assert_eq!(number(), u64::from(*v), "{ctx}");
            }
            SnmpValue::TimeTicks(_) | SnmpValue::Counter32(_) | SnmpValue::Counter64(_) => {
                let kind = match vb.value {
                    SnmpValue::TimeTicks(_) => "",
                    SnmpValue::Counter32(_) => "Counter32",
                    _ => "Counter64",
                };
                assert_eq!(line.kind, kind, "{ctx}");
                let dynamic = store.dynamic(&vb.oid).unwrap();
                let value = |t| match dynamics::value_at(
                    &vb.value,
                    dynamic,
                    at(t),
                    DynamicsOptions::default(),
                ) {
                    SnmpValue::TimeTicks(v) | SnmpValue::Counter32(v) => u64::from(v),
                    SnmpValue::Counter64(v) => v,
                    other => panic!("{other:?}"),
                };
                let (lo, hi) = (value(during.0), value(during.1));
                let seen = number();
                let modulus: u128 = if kind == "Counter64" {
                    1 << 64
                } else {
                    1 << 32
                };
                // Within [value at walk start, value at walk end], modulo the counter width.
                let offset = (u128::from(seen) + modulus - u128::from(lo)) % modulus;
                let span = (u128::from(hi) + modulus - u128::from(lo)) % modulus;
                assert!(offset <= span, "{ctx}: expected between {lo} and {hi}");
                if dynamic != dynamics::Dynamic::Static && hi != lo {
                    counters += 1;
                }
            }
            other => panic!("{ctx}: unexpected recorded type {other:?}"),
        }
    }
    assert!(
        counters > 0,
        "{}: some counters moved during the walk",
        store.name
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snmpbulkwalk_sees_the_recording_v2c_v3_and_v1() {
    let stores = vec![recording("router-48"), recording("linux-host-netsnmp")];
    let (sim, listen) = start(stores.clone(), 2).await;
    let start_time = sim.start();
    let cancel = CancellationToken::new();
    let server = tokio::spawn(sim.run(cancel.clone()));
    let agent = |i: u16| SocketAddr::new(listen.ip(), listen.port() + i);

    let cases: Vec<(&str, Vec<&str>, &str)> = vec![
        ("v2c", vec!["-v2c", "-c", "public", "-Cr25"], "snmpbulkwalk"),
        (
            "v3 SHA-512/AES-256",
            vec![
                "-v3",
                "-l",
                "authPriv",
                "-u",
                "sha512aes256",
                "-a",
                "SHA-512",
                "-A",
                "sha512-auth-pass",
                "-x",
                "AES-256",
                "-X",
                "sha512-priv-pass",
            ],
            "snmpbulkwalk",
        ),
        (
            "v3 MD5/DES",
            vec![
                "-v3",
                "-l",
                "authPriv",
                "-u",
                "md5des",
                "-a",
                "MD5",
                "-A",
                "md5-auth-pass",
                "-x",
                "DES",
                "-X",
                "md5-priv-pass",
            ],
            "snmpbulkwalk",
        ),
        ("v1", vec!["-v1", "-c", "public"], "snmpwalk"),
    ];
    for (name, args, tool) in cases {
        for (i, store) in stores.iter().enumerate() {
            let address = agent(i as u16);
            let (args, tool) = (args.clone(), tool.to_string());
            let before = start_time.elapsed();
            let lines = tokio::task::spawn_blocking(move || walk(&args, address, &tool))
                .await
                .unwrap();
            let after = start_time.elapsed();
            eprintln!("{name}: {} objects from {}", lines.len(), store.name);
            assert_matches(store, &lines, (before, after), name == "v1");
        }
    }
    cancel.cancel();
    server.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_credentials_get_no_data() {
    let (sim, listen) = start(vec![recording("router-48")], 1).await;
    let cancel = CancellationToken::new();
    let server = tokio::spawn(sim.run(cancel.clone()));
    let run = |args: Vec<&'static str>| {
        tokio::task::spawn_blocking(move || {
            let dir = tempfile::tempdir().unwrap();
            Command::new("/usr/bin/snmpget")
                .env("SNMP_PERSISTENT_DIR", dir.path())
                .args(["-m", "", "-On", "-t", "0.3", "-r", "0"])
                .args(args)
                .arg(listen.to_string())
                .arg("1.3.6.1.2.1.1.5.0")
                .output()
                .unwrap()
        })
    };
    let wrong_community = run(vec!["-v2c", "-c", "private"]).await.unwrap();
    assert!(!wrong_community.status.success());
    assert!(String::from_utf8_lossy(&wrong_community.stderr).contains("Timeout"));
    let wrong_pass = run(vec![
        "-v3",
        "-l",
        "authPriv",
        "-u",
        "sha512aes256",
        "-a",
        "SHA-512",
        "-A",
        "not-the-pass",
        "-x",
        "AES-256",
        "-X",
        "sha512-priv-pass",
    ])
    .await
    .unwrap();
    assert!(!wrong_pass.status.success());
    let stderr = String::from_utf8_lossy(&wrong_pass.stderr);
    assert!(stderr.contains("Authentication failure"), "{stderr}");
    let unknown_user = run(vec![
        "-v3",
        "-l",
        "authPriv",
        "-u",
        "nobody",
        "-a",
        "SHA",
        "-A",
        "whatever-pass",
        "-x",
        "AES",
        "-X",
        "whatever-pass",
    ])
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&unknown_user.stderr);
    assert!(stderr.contains("Unknown user name"), "{stderr}");
    let ok = run(vec!["-v2c", "-c", "public"]).await.unwrap();
    assert_eq!(
        String::from_utf8_lossy(&ok.stdout).trim(),
        ".1.3.6.1.2.1.1.5.0 = STRING: \"router-48\""
    );
    cancel.cancel();
    server.await.unwrap();
}
