//! `netops serve --check`: one fixture per validation rule, each refused at start with the
//! file, the key (or line and column) and the reason, exactly.

use std::process::Command;

fn check(path: &str) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_netops"))
        .args(["serve", "--config", path, "--check"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run netops");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn each_invalid_fixture_is_refused_with_its_exact_message() {
    let cases = [
        (
            "invalid-address",
            "targets[0].address: agent address \"[2001:db8::1:161\": missing ']'",
        ),
        (
            "invalid-auth-reference",
            "targets[0].auth: no [auths.core_v3] defined",
        ),
        (
            "invalid-duplicate-target",
            "targets[1].name: duplicate target name \"r1\"",
        ),
        (
            "invalid-interval",
            "snmp.interval_seconds: must be a number of seconds between 0 and 86400, got 0",
        ),
        (
            "invalid-label",
            "targets[0].labels.bad-label: not a valid Prometheus label name (or reserved: target)",
        ),
        (
            "invalid-listen",
            "server.listen: \"localhost\" is not an address:port like 127.0.0.1:9464",
        ),
        (
            "invalid-missing-address",
            "targets[0].address: missing (or give addresses = \"CIDR\")",
        ),
        (
            "invalid-module",
            "targets[0].modules[1]: unknown module \"bgp4_mib\" (known: system, if_mib, host_resources, ip_mib)",
        ),
        (
            "invalid-range-too-large",
            "targets[0].addresses: 10.0.0.0/8 has 16777216 addresses; at most 65536 per entry",
        ),
        (
            "invalid-v2c-without-community",
            "auths.extranet.community: required for SNMP v1 and v2c",
        ),
        (
            "invalid-v3-missing-priv",
            "auths.core_v3.priv_password: security level authPriv needs a privacy passphrase",
        ),
        (
            "invalid-version",
            "auths.x.version: unknown SNMP version \"4\" (expected 1, 2c or 3)",
        ),
    ];
    for (fixture, message) in cases {
        let path = format!("testdata/config/{fixture}.toml");
        let (code, stdout, stderr) = check(&path);
        assert_eq!(code, Some(2), "{fixture}");
        assert_eq!(stdout, "", "{fixture}");
        assert_eq!(stderr, format!("{path}: {message}\n"), "{fixture}");
    }
    // Parse errors carry line and column instead of a key.
    let (code, _, stderr) = check("testdata/config/invalid-syntax.toml");
    assert_eq!(code, Some(2));
    assert_eq!(
        stderr,
        "testdata/config/invalid-syntax.toml:3:11: unclosed array table, expected `]`\n"
    );
    let (code, _, stderr) = check("testdata/config/invalid-unknown-key.toml");
    assert_eq!(code, Some(2));
    assert_eq!(
        stderr,
        "testdata/config/invalid-unknown-key.toml:2:1: unknown field `intervl_seconds`, expected one of \
         `interval_seconds`, `timeout_seconds`, `retries`, `max_repetitions`, `concurrency`\n"
    );
}

#[test]
fn every_rule_has_a_fixture_and_the_example_is_valid() {
    let fixtures = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/config"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("invalid-")
        })
        .count();
    assert_eq!(
        fixtures, 14,
        "a new fixture needs its exact message in the test above"
    );
    let (code, stdout, stderr) = check("examples/netops.toml");
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        stdout,
        "configuration OK: 15 target(s), 15 in shard 0/1; listen 127.0.0.1:9464\n"
    );
}

#[test]
fn shards_split_the_targets_without_overlap() {
    let mut total = 0;
    for i in 0..3 {
        let out = Command::new(env!("CARGO_BIN_EXE_netops"))
            .args([
                "serve",
                "--config",
                "examples/netops.toml",
                "--check",
                "--shard",
                &format!("{i}/3"),
            ])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        let n: usize = text
            .split(", ")
            .nth(1)
            .unwrap()
            .split(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        total += n;
    }
    assert_eq!(total, 15);
}
