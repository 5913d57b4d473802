//! The SNMP engine against the real net-snmp agent: every walk must return exactly what
//! net-snmp's own `snmpbulkwalk`/`snmpwalk` return for the same subtree (same OIDs, same
//! types, same values; strings compared as hex), over v1, v2c, v3 (four USM protocol
//! pairs) and IPv6, all on one shared client socket.

use netops_collector::snmp::{
    AgentAddress, Credentials, Oid, RequestOptions, SecurityLevel, SnmpClient, SnmpEngine,
    SnmpError, SnmpValue, UsmUser, VarBind, Version, walk,
};
use netops_core::Secret;
use netops_test_support::snmpd::{COMMUNITY, Snmpd, V3_USERS, V3User};
use std::collections::BTreeMap;
use std::time::Duration;

/// (type, value) in a form both sides can be brought to.
type Normalized = (String, String);

/// Parses `snmp*walk -On -Ox -Oe -OU` output: `.OID = TYPE: VALUE`, hex strings possibly
/// continued on the next lines.
fn parse_net_snmp(output: &str) -> Vec<(Oid, Normalized)> {
    let mut entries: Vec<(String, String)> = Vec::new();
    for line in output.lines() {
        if line.starts_with(".1.") || line.starts_with(".0.") || line.starts_with(".2.") {
            let (oid, rest) = line.split_once(" = ").expect("OID = value");
            entries.push((oid.to_string(), rest.to_string()));
        } else if let Some(last) = entries.last_mut() {
            last.1.push(' ');
            last.1.push_str(line.trim());
        }
    }
    entries
        .into_iter()
        .filter(|(_, rest)| !rest.starts_with("No more variables"))
        .map(|(oid, rest)| match rest.as_str() {
            "No Such Object available on this agent at this OID" => {
                (oid, "no-such-object: ".to_string())
            }
            "No Such Instance currently exists at this OID" => {
                (oid, "no-such-instance: ".to_string())
            }
            _ => (oid, rest),
        })
        .map(|(oid, rest)| {
            let oid: Oid = oid.parse().expect("numeric OID");
            let (ty, value) = rest.split_once(": ").unwrap_or((rest.as_str(), ""));
            let norm = match ty {
                "\"\"" => ("octet-string", String::new()),
                "Hex-STRING" => (
                    "octet-string",
                    value.split_whitespace().collect::<String>().to_lowercase(),
                ),
                "STRING" => ("octet-string", hex_of(value.trim_matches('"').as_bytes())),
                "INTEGER" => ("integer", value.to_string()),
                "OID" => ("oid", value.trim_start_matches('.').to_string()),
                "Timeticks" => (
                    "timeticks",
                    value
                        .trim_start_matches('(')
                        .split(')')
                        .next()
                        .unwrap_or("")
                        .to_string(),
                ),
                "Counter32" => ("counter32", value.to_string()),
                "Gauge32" => ("gauge32", value.to_string()),
                "Counter64" => ("counter64", value.to_string()),
                "IpAddress" => ("ip-address", value.to_string()),
                "NULL" => ("null", String::new()),
                "no-such-object" | "no-such-instance" => (ty, String::new()),
                other => panic!("unexpected net-snmp type {other:?} in {rest:?}"),
            };
            (oid, (norm.0.to_string(), norm.1))
        })
        .collect()
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn normalize_ours(vb: &VarBind) -> Normalized {
    let value = match &vb.value {
        SnmpValue::OctetString(b) | SnmpValue::Opaque(b) => hex_of(b),
        v => v.to_string(),
    };
    (vb.value.type_name().to_string(), value)
}

fn net_snmp_walk(
    snmpd: &Snmpd,
    tool: &str,
    auth: &[&str],
    target: &str,
    root: &str,
) -> Vec<(Oid, Normalized)> {
    let out = snmpd
        .tool(tool)
        .args(auth)
        .args(["-On", "-Ox", "-Oe", "-OU", "-t", "2", "-r", "2"])
        .arg(target)
        .arg(root)
        .output()
        .expect("run net-snmp walk");
    assert!(
        out.status.success(),
        "{tool} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    parse_net_snmp(&String::from_utf8_lossy(&out.stdout))
}

/// Walks `root` with net-snmp, then with netops, then with net-snmp again, and checks that
/// netops saw the same OIDs and types, equal static values, and counters/timeticks between
/// net-snmp's two readings (loopback traffic moves interface counters meanwhile).
async fn assert_walk_matches(
    session: &impl SnmpClient,
    snmpd: &Snmpd,
    tool: &str,
    auth: &[&str],
    target: &str,
    root: &str,
) -> usize {
    let before = net_snmp_walk(snmpd, tool, auth, target, root);
    let ours = walk(session, &root.parse().unwrap(), 10)
        .await
        .unwrap_or_else(|e| panic!("netops walk of {root} on {target}: {e}"));
    let after = net_snmp_walk(snmpd, tool, auth, target, root);
    assert!(!before.is_empty(), "net-snmp found nothing under {root}");
    let ours: Vec<(Oid, Normalized)> = ours
        .iter()
        .map(|vb| (vb.oid.clone(), normalize_ours(vb)))
        .collect();
    let oids = |v: &[(Oid, Normalized)]| v.iter().map(|(o, _)| o.clone()).collect::<Vec<_>>();
    assert_eq!(
        oids(&before),
        oids(&after),
        "{root}: the agent's table changed during the test"
    );
    assert_eq!(
        oids(&ours),
        oids(&before),
        "{root} via {target}: OIDs differ from {tool}"
    );
    let after: BTreeMap<_, _> = after.into_iter().collect();
    for ((oid, (ty_before, v_before)), (_, (ty_ours, v_ours))) in before.iter().zip(&ours) {
        let (ty_after, v_after) = &after[oid];
        assert_eq!(ty_ours, ty_before, "{oid}: type");
        assert_eq!(ty_after, ty_before, "{oid}: type");
        if v_before == v_after {
            assert_eq!(v_ours, v_before, "{oid} ({ty_ours})");
        } else {
            let n = |s: &str| {
                s.parse::<u64>()
                    .unwrap_or_else(|_| panic!("{oid}: {s:?} changed but is not a number"))
            };
            let (lo, hi) = (n(v_before).min(n(v_after)), n(v_before).max(n(v_after)));
            assert!(
                (lo..=hi).contains(&n(v_ours)),
                "{oid} ({ty_ours}): netops read {v_ours}, net-snmp read {v_before} then {v_after}"
            );
        }
    }
    ours.len()
}

fn usm(user: &V3User) -> Credentials {
    Credentials::Usm(UsmUser {
        name: user.name.into(),
        level: SecurityLevel::AuthPriv,
        auth: Some((user.auth.parse().unwrap(), Secret::new(user.auth_pass))),
        privacy: Some((user.privacy.parse().unwrap(), Secret::new(user.priv_pass))),
        context: String::new(),
    })
}

fn usm_args(user: &V3User) -> Vec<&'static str> {
    vec![
        "-v3",
        "-l",
        "authPriv",
        "-u",
        user.name,
        "-a",
        user.auth,
        "-A",
        user.auth_pass,
        "-x",
        user.privacy,
        "-X",
        user.priv_pass,
    ]
}

fn options() -> RequestOptions {
    RequestOptions {
        timeout: Duration::from_secs(2),
        retries: 2,
        max_repetitions: 10,
    }
}

fn fast_fail() -> RequestOptions {
    RequestOptions {
        timeout: Duration::from_millis(300),
        retries: 1,
        max_repetitions: 10,
    }
}

#[tokio::test]
async fn walks_equal_net_snmp_over_v1_v2c_v3_and_ipv6_on_one_socket() {
    let snmpd = Snmpd::start();
    let engine = SnmpEngine::new().await.unwrap();
    let v4 = AgentAddress::parse(&snmpd.v4()).unwrap();
    let v6 = AgentAddress::parse(&snmpd.v6()).unwrap();
    let community = ["-v2c", "-c", COMMUNITY];

    let v2c = engine
        .session(&v4, &Credentials::v2c(COMMUNITY), options())
        .await
        .unwrap();
    let mut total = 0;
    for root in [
        "1.3.6.1.2.1.1",      // system
        "1.3.6.1.2.1.2",      // interfaces (ifTable)
        "1.3.6.1.2.1.31.1.1", // ifXTable, HC counters
        "1.3.6.1.2.1.4.20",   // ipAddrTable
        "1.3.6.1.2.1.4.31.1", // ipSystemStatsTable (v4 and v6)
    ] {
        total +=
            assert_walk_matches(&v2c, &snmpd, "snmpbulkwalk", &community, &snmpd.v4(), root).await;
    }
    assert!(total > 100, "only {total} varbinds compared");

    let v1 = engine
        .session(
            &v4,
            &Credentials::Community {
                version: Version::V1,
                community: Secret::new(COMMUNITY),
            },
            options(),
        )
        .await
        .unwrap();
    assert_walk_matches(
        &v1,
        &snmpd,
        "snmpwalk",
        &["-v1", "-c", COMMUNITY],
        &snmpd.v4(),
        "1.3.6.1.2.1.2.2.1",
    )
    .await;

    let over_v6 = engine
        .session(&v6, &Credentials::v2c(COMMUNITY), options())
        .await
        .unwrap();
    assert_walk_matches(
        &over_v6,
        &snmpd,
        "snmpbulkwalk",
        &community,
        &format!("udp6:{}", snmpd.v6()),
        "1.3.6.1.2.1.1",
    )
    .await;

    for user in V3_USERS {
        let session = engine
            .session(&v4, &usm(user), options())
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", user.name));
        let n = assert_walk_matches(
            &session,
            &snmpd,
            "snmpbulkwalk",
            &usm_args(user),
            &snmpd.v4(),
            "1.3.6.1.2.1.1",
        )
        .await;
        assert!(n >= 8, "{}: {n} varbinds", user.name);
    }
}

#[tokio::test]
async fn get_equals_snmpget_and_many_agents_share_one_socket() {
    let snmpd = Snmpd::start();
    let engine = SnmpEngine::new().await.unwrap();
    let v4 = AgentAddress::parse(&snmpd.v4()).unwrap();
    let v6 = AgentAddress::parse(&snmpd.v6()).unwrap();
    let oids: Vec<Oid> = [
        "1.3.6.1.2.1.1.1.0",
        "1.3.6.1.2.1.1.5.0",
        "1.3.6.1.2.1.2.1.0",
        "1.3.6.1.2.1.1.99.0",
    ]
    .iter()
    .map(|s| s.parse().unwrap())
    .collect();
    let a = engine
        .session(&v4, &Credentials::v2c(COMMUNITY), options())
        .await
        .unwrap();
    let b = engine
        .session(&v6, &Credentials::v2c(COMMUNITY), options())
        .await
        .unwrap();
    let c = engine
        .session(&v4, &usm(&V3_USERS[3]), options())
        .await
        .unwrap();
    // Concurrent requests from three sessions over the one shared socket.
    let (ra, rb, rc) = tokio::join!(a.get(&oids), b.get(&oids), c.get(&oids));
    let (ra, rb, rc) = (ra.unwrap(), rb.unwrap(), rc.unwrap());
    assert_eq!(ra, rb);
    assert_eq!(ra, rc);
    assert_eq!(ra[3].value, SnmpValue::NoSuchObject);
    let out = snmpd
        .tool("snmpget")
        .args(["-v2c", "-c", COMMUNITY, "-On", "-Ox"])
        .arg(snmpd.v4())
        .args(oids.iter().map(|o| o.to_string()))
        .output()
        .unwrap();
    let theirs = parse_net_snmp(&String::from_utf8_lossy(&out.stdout));
    let ours: Vec<(Oid, Normalized)> = ra[..3]
        .iter()
        .map(|vb| (vb.oid.clone(), normalize_ours(vb)))
        .collect();
    assert_eq!(ours, theirs[..3]);
}

#[tokio::test]
async fn wrong_credentials_each_give_their_own_error() {
    let snmpd = Snmpd::start();
    let engine = SnmpEngine::new().await.unwrap();
    let v4 = AgentAddress::parse(&snmpd.v4()).unwrap();
    let sys_name: Oid = "1.3.6.1.2.1.1.5.0".parse().unwrap();
    let target = snmpd.v4();

    let wrong_community = engine
        .session(&v4, &Credentials::v2c("not-the-community"), fast_fail())
        .await
        .unwrap();
    let e = wrong_community
        .get(std::slice::from_ref(&sys_name))
        .await
        .unwrap_err();
    assert!(matches!(e, SnmpError::Timeout { attempts: 2, .. }), "{e}");
    assert!(e.to_string().contains("wrong community"), "{e}");
    assert!(
        !e.to_string().contains("not-the-community"),
        "secret leaked: {e}"
    );

    let good = V3_USERS[1];
    type IsExpected = fn(&SnmpError) -> bool;
    let cases: [(V3User, IsExpected, &str); 3] = [
        (
            V3User {
                name: "nobody",
                ..good
            },
            |e| matches!(e, SnmpError::UnknownUser { .. }),
            "unknown SNMPv3 user \"nobody\"",
        ),
        (
            V3User {
                auth_pass: "wrong-auth-pass",
                ..good
            },
            |e| matches!(e, SnmpError::WrongDigest { .. }),
            "wrong authentication passphrase",
        ),
        (
            V3User {
                priv_pass: "wrong-priv-pass",
                ..good
            },
            |e| matches!(e, SnmpError::DecryptionError { .. }),
            "wrong privacy passphrase",
        ),
    ];
    for (user, is_expected, text) in cases {
        let result = match engine.session(&v4, &usm(&user), fast_fail()).await {
            Ok(s) => s.get(std::slice::from_ref(&sys_name)).await.map(|_| ()),
            Err(e) => Err(e),
        };
        let e = result.expect_err("bad credentials must fail");
        assert!(is_expected(&e), "{}: got {e}", user.name);
        let msg = e.to_string();
        assert!(
            msg.starts_with(&format!("{target}: ")),
            "names the agent: {msg}"
        );
        assert!(msg.contains(text), "{msg}");
        for secret in [user.auth_pass, user.priv_pass] {
            assert!(!msg.contains(secret), "secret leaked: {msg}");
        }
    }
}

/// The agent restarts with a new engine ID and boots counter: the session must discover it
/// again by itself instead of failing forever with notInTimeWindow/unknownEngineID.
#[tokio::test]
async fn v3_session_survives_an_agent_restart() {
    let first = Snmpd::start();
    let port = first.port;
    let engine = SnmpEngine::new().await.unwrap();
    let address = AgentAddress::parse(&first.v4()).unwrap();
    let session = engine
        .session(&address, &usm(&V3_USERS[2]), options())
        .await
        .unwrap();
    let uptime: Oid = "1.3.6.1.2.1.1.3.0".parse().unwrap();
    session.get(std::slice::from_ref(&uptime)).await.unwrap();
    drop(first);
    let second = Snmpd::start_on_port(port);
    let vbs = session
        .get(std::slice::from_ref(&uptime))
        .await
        .unwrap_or_else(|e| panic!("after the agent restarted: {e}"));
    assert!(matches!(vbs[0].value, SnmpValue::TimeTicks(_)));
    drop(second);
}
