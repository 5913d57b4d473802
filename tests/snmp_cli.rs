//! `netops snmp` driven as a user would, against net-snmp's snmpd.

use netops_test_support::snmpd::{COMMUNITY, Snmpd, V3_USERS};
use std::process::{Command, Output};

fn netops(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_netops"))
        .args(args)
        .env_remove("RUST_LOG")
        .output()
        .expect("run netops")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn json_walk_matches_snmpbulkwalk_oids_and_has_the_documented_fields() {
    let snmpd = Snmpd::start();
    let target = snmpd.v6();
    let out = netops(&[
        "snmp",
        "walk",
        "-v",
        "2c",
        "-c",
        COMMUNITY,
        "-o",
        "json",
        &target,
        "1.3.6.1.2.1.2.2.1",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let lines: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
        .collect();
    let reference = snmpd
        .tool("snmpbulkwalk")
        .args(["-v2c", "-c", COMMUNITY, "-On", "-Oq"])
        .arg(format!("udp6:{target}"))
        .arg("1.3.6.1.2.1.2.2.1")
        .output()
        .unwrap();
    let reference_oids: Vec<String> = stdout(&reference)
        .lines()
        .filter(|l| l.starts_with(".1."))
        .map(|l| {
            l.split_whitespace()
                .next()
                .unwrap()
                .trim_start_matches('.')
                .to_string()
        })
        .collect();
    let our_oids: Vec<String> = lines
        .iter()
        .map(|v| v["oid"].as_str().unwrap().to_string())
        .collect();
    assert!(!reference_oids.is_empty());
    assert_eq!(our_oids, reference_oids);
    let descr = lines
        .iter()
        .find(|v| v["oid"] == "1.3.6.1.2.1.2.2.1.2.1")
        .expect("ifDescr.1");
    assert_eq!(descr["type"], "octet-string");
    assert_eq!(descr["value"], "lo");
    assert_eq!(descr["hex"], "6c6f");
    let in_octets = lines
        .iter()
        .find(|v| v["oid"] == "1.3.6.1.2.1.2.2.1.10.1")
        .expect("ifInOctets.1");
    assert_eq!(in_octets["type"], "counter32");
    assert!(
        in_octets["value"].is_u64(),
        "numbers are JSON numbers: {in_octets}"
    );
}

#[test]
fn get_over_v3_with_net_snmp_spellings_prints_net_snmp_style_text() {
    let snmpd = Snmpd::start();
    let u = V3_USERS[3];
    let out = netops(&[
        "snmp",
        "get",
        "-v",
        "3",
        "-l",
        "authPriv",
        "-u",
        u.name,
        "-a",
        u.auth,
        "-A",
        u.auth_pass,
        "-x",
        u.privacy,
        "-X",
        u.priv_pass,
        &snmpd.v4(),
        "1.3.6.1.2.1.2.1.0",
        "1.3.6.1.2.1.1.2.0",
        "1.3.6.1.2.1.1.5.0",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let reference = snmpd
        .tool("snmpget")
        .args([
            "-v3",
            "-l",
            "authPriv",
            "-u",
            u.name,
            "-a",
            u.auth,
            "-A",
            u.auth_pass,
        ])
        .args(["-x", u.privacy, "-X", u.priv_pass, "-On"])
        .arg(snmpd.v4())
        .args([
            "1.3.6.1.2.1.2.1.0",
            "1.3.6.1.2.1.1.2.0",
            "1.3.6.1.2.1.1.5.0",
        ])
        .output()
        .unwrap();
    assert!(reference.status.success(), "{}", stderr(&reference));
    assert_eq!(
        stdout(&out),
        stdout(&reference),
        "same text as net-snmp's snmpget -On"
    );
    assert!(stdout(&out).contains(".1.3.6.1.2.1.1.2.0 = OID: .1.3.6.1.4.1.8072.3.2.10\n"));
}

#[test]
fn errors_are_one_line_naming_the_target_with_no_output() {
    let snmpd = Snmpd::start();
    let t = snmpd.v4();
    let u = V3_USERS[1];
    let v3 = |user: &'static str, auth_pass: &'static str, priv_pass: &'static str| {
        vec![
            "-v", "3", "-u", user, "-a", u.auth, "-A", auth_pass, "-x", u.privacy, "-X", priv_pass,
            "-t", "0.3", "-r", "0",
        ]
    };
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["-c", "wrong-community", "-t", "0.3", "-r", "1"],
            "timeout: no response after 2 attempt(s) of 0.3s",
        ),
        (
            v3("nosuchuser", u.auth_pass, u.priv_pass),
            "unknown SNMPv3 user \"nosuchuser\"",
        ),
        (
            v3(u.name, "not-the-password", u.priv_pass),
            "wrong authentication passphrase",
        ),
        (
            v3(u.name, u.auth_pass, "not-the-privpass"),
            "wrong privacy passphrase",
        ),
    ];
    for (flags, expected) in cases {
        let mut args = vec!["snmp", "get"];
        args.extend(flags.iter());
        args.extend([t.as_str(), "1.3.6.1.2.1.1.5.0"]);
        let out = netops(&args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert_eq!(stdout(&out), "", "no output on error: {args:?}");
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "one line: {err}");
        assert!(err.starts_with(&format!("netops snmp: {t}: ")), "{err}");
        assert!(err.contains(expected), "{args:?}: {err}");
        for secret in [
            "wrong-community",
            "not-the-password",
            "not-the-privpass",
            u.auth_pass,
            u.priv_pass,
        ] {
            assert!(!err.contains(secret), "secret in error: {err}");
        }
    }
}

#[test]
fn bad_usage_is_refused_before_any_packet() {
    for (args, expected) in [
        (
            vec!["snmp", "get", "127.0.0.1:1", "sysDescr.0"],
            "only numeric OIDs are understood",
        ),
        (
            vec!["snmp", "get", "-v", "3", "127.0.0.1:1", "1.3.6.1.2.1.1.1.0"],
            "needs a user name",
        ),
        (
            vec!["snmp", "get", "-a", "SHA-999", "127.0.0.1:1", "1.3.6.1"],
            "unknown authentication protocol",
        ),
        (vec!["snmp", "get", "[::1", "1.3.6.1"], "missing ']'"),
        (
            vec![
                "snmp",
                "get",
                "-v",
                "3",
                "-u",
                "x",
                "-A",
                "short",
                "127.0.0.1:1",
                "1.3.6.1.2",
            ],
            "at least 8 characters",
        ),
    ] {
        let out = netops(&args);
        assert!(!out.status.success(), "{args:?}");
        assert_eq!(stdout(&out), "");
        assert!(
            stderr(&out).contains(expected),
            "{args:?}: {}",
            stderr(&out)
        );
    }
}
