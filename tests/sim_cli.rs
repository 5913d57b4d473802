//! `netops sim` end to end: record net-snmp's snmpd with `netops sim record`, serve that
//! recording and a generated router with `netops sim`, and query them with net-snmp's
//! tools (v2c and v3), with a timeout fault on one agent; bad flags are refused by name.

use netops_collector::sim::snmprec;
use netops_collector::snmp::SnmpValue;
use netops_test_support::snmpd::Snmpd;
use netops_test_support::{ChildGuard, free_udp_port, require_binary};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const NETOPS: &str = env!("CARGO_BIN_EXE_netops");

fn netops(args: &[&str]) -> Output {
    Command::new(NETOPS).args(args).output().unwrap()
}

fn snmpget(persistent: &Path, args: &[&str], target: &str, oid: &str) -> Output {
    require_binary("/usr/bin/snmpget");
    Command::new("/usr/bin/snmpget")
        .env("SNMP_PERSISTENT_DIR", persistent)
        .args(["-m", "", "-On", "-t", "1", "-r", "0"])
        .args(args)
        .arg(target)
        .arg(oid)
        .output()
        .unwrap()
}

#[test]
fn help_documents_mapping_and_faults() {
    let out = netops(&["sim", "--help"]);
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "timeout:AGENTS",
        "slow:MS:AGENTS",
        "reboot-every:SECS:AGENTS",
        "malformed:AGENTS",
        "(i mod R)",
        "--v3-user",
        "--wrap32-after",
    ] {
        assert!(help.contains(needle), "--help lacks {needle:?}:\n{help}");
    }
}

#[test]
fn bad_flags_are_refused_by_name() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("collector/testdata/recordings");
    let dir = dir.to_str().unwrap();
    for (args, expected) in [
        (
            vec!["sim", "--recordings", dir, "--fault", "nap:1"],
            "--fault: \"nap:1\": expected",
        ),
        (
            vec![
                "sim",
                "--recordings",
                dir,
                "--v3-user",
                "ops:SHA:short:AES:privpass123",
            ],
            "--v3-user: user \"ops\": passphrases must be at least 8 characters",
        ),
        (
            vec![
                "sim",
                "--recordings",
                dir,
                "--listen",
                "127.0.0.1:65530",
                "--agents",
                "10",
            ],
            "--agents: 10 agents from port 65530 need ports up to 65539",
        ),
        (vec!["sim"], "--recordings DIR is required"),
    ] {
        let out = netops(&args);
        assert!(!out.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert!(!stderr.contains("privpass123"), "no secrets in errors");
    }
    let bad = tempfile::tempdir().unwrap();
    std::fs::write(
        bad.path().join("x.snmprec"),
        "1.3.6.1.2.1.1.1.0|4|ok\n1.3.6.1.2.1.1.3.0|67|soon\n",
    )
    .unwrap();
    let out = netops(&["sim", "--recordings", bad.path().to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("x.snmprec:2: value: \"soon\" is not a TimeTicks"),
        "{stderr}"
    );
}

#[test]
fn record_snmpd_then_serve_it_with_a_router_v2c_v3_and_a_timeout() {
    let snmpd = Snmpd::start();
    let dir = tempfile::tempdir().unwrap();
    let recording = dir.path().join("a-snmpd.snmprec");
    let out = netops(&[
        "sim",
        "record",
        "-v",
        "2c",
        "-c",
        "public",
        "--root",
        "1.3.6.1.2.1.1",
        "--root",
        "1.3.6.1.2.1.2",
        "--root",
        "1.3.6.1.2.1.31",
        &snmpd.v4(),
        "-o",
        recording.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let recorded = snmprec::read_file(&recording).unwrap();
    let sys_name = recorded
        .iter()
        .find(|vb| vb.oid.to_string() == "1.3.6.1.2.1.1.5.0")
        .map(|vb| vb.value.clone())
        .unwrap();
    let SnmpValue::OctetString(sys_name) = sys_name else {
        panic!("{sys_name:?}")
    };
    let sys_name = String::from_utf8_lossy(&sys_name).into_owned();
    let real = String::from_utf8_lossy(
        &snmpd
            .tool("snmpget")
            .args(["-On", "-v2c", "-c", "public"])
            .arg(snmpd.v4())
            .arg("1.3.6.1.2.1.1.5.0")
            .output()
            .unwrap()
            .stdout,
    )
    .into_owned();
    assert!(
        real.contains(&format!("\"{sys_name}\"")),
        "recorded {sys_name:?}, snmpd says {real}"
    );
    assert!(
        recorded
            .iter()
            .any(|vb| vb.oid.to_string().starts_with("1.3.6.1.2.1.2.2.1.10.")),
        "ifInOctets"
    );
    std::fs::copy(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("collector/testdata/recordings/router-48.snmprec"),
        dir.path().join("b-router-48.snmprec"),
    )
    .unwrap();

    let (mut child, port) = serve(dir.path());
    let persistent = tempfile::tempdir().unwrap();
    let target = |i: u16| format!("127.0.0.1:{}", port + i);
    let v2c = ["-v2c", "-c", "public"];
    // Agent i serves recording i mod 2 (files sorted by name): 0 the snmpd recording,
    // 1 and 3 the router; agent 2 has the timeout fault.
    let get = |i: u16, args: &[&str]| {
        let out = snmpget(persistent.path(), args, &target(i), "1.3.6.1.2.1.1.5.0");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).trim().to_string(),
        )
    };
    assert_eq!(
        get(0, &v2c),
        (true, format!(".1.3.6.1.2.1.1.5.0 = STRING: \"{sys_name}\""))
    );
    assert_eq!(
        get(1, &v2c),
        (
            true,
            ".1.3.6.1.2.1.1.5.0 = STRING: \"router-48\"".to_string()
        )
    );
    assert!(!get(2, &v2c).0, "agent 2 times out");
    assert_eq!(
        get(3, &v2c),
        (
            true,
            ".1.3.6.1.2.1.1.5.0 = STRING: \"router-48\"".to_string()
        )
    );
    let v3 = [
        "-v3",
        "-l",
        "authPriv",
        "-u",
        "ops",
        "-a",
        "SHA-256",
        "-A",
        "ops-auth-pass",
        "-x",
        "AES",
        "-X",
        "ops-priv-pass",
    ];
    assert_eq!(
        get(0, &v3),
        (true, format!(".1.3.6.1.2.1.1.5.0 = STRING: \"{sys_name}\""))
    );
    assert_eq!(
        get(1, &v3),
        (
            true,
            ".1.3.6.1.2.1.1.5.0 = STRING: \"router-48\"".to_string()
        )
    );
    child.assert_running();
}

/// Starts `netops sim` on 4 agents from a free port and waits for its ready line.
fn serve(recordings: &Path) -> (ChildGuard, u16) {
    for _ in 0..10 {
        let port = free_udp_port();
        let mut child = ChildGuard::spawn(
            "netops sim",
            Command::new(NETOPS)
                .args(["sim", "--recordings"])
                .arg(recordings)
                .args([
                    "--listen",
                    &format!("127.0.0.1:{port}"),
                    "--agents",
                    "4",
                    "--fault",
                    "timeout:2",
                ])
                .args(["--v3-user", "ops:SHA-256:ops-auth-pass:AES:ops-priv-pass"])
                .stdout(Stdio::piped())
                .stderr(Stdio::null()),
        );
        let stdout = child.child.stdout.take().unwrap();
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        if line.starts_with("netops sim: 4 agents on 127.0.0.1:") {
            assert!(
                line.contains("a-snmpd") && line.contains("b-router-48"),
                "{line}"
            );
            return (child, port);
        }
        // The port range was taken: try another.
    }
    panic!("netops sim did not start");
}
