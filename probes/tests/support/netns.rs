//! Test support: network namespaces that delete themselves and `ip` commands that fail
//! loudly. Only std, so the top-level CLI tests can include it too.
//!
//! Shared by the crate's tests and the top-level CLI tests (`#[path]`-included).
#![allow(dead_code)] // Each including test uses a different subset.

use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

/// Runs `ip ARGS`, panicking with its stderr when it fails.
pub fn ip(args: &[&str]) {
    run("ip", args);
}

pub fn run(program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    assert!(
        out.status.success(),
        "`{program} {}` failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A network namespace named uniquely (tag, pid, counter), deleted on drop.
#[derive(Debug)]
pub struct Netns {
    pub name: String,
}

impl Netns {
    pub fn new(tag: &str) -> Self {
        static N: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "nop-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        ip(&["netns", "add", &name]);
        let ns = Self { name };
        ns.ip(&["link", "set", "lo", "up"]);
        // No duplicate address detection, link-local addresses included: a tentative
        // address makes the first seconds of a fresh link drop traffic.
        ns.sysctl("net.ipv6.conf.all.accept_dad=0");
        ns.sysctl("net.ipv6.conf.default.accept_dad=0");
        ns
    }

    /// `ip -n NS ARGS`.
    pub fn ip(&self, args: &[&str]) {
        let mut full = vec!["-n", self.name.as_str()];
        full.extend_from_slice(args);
        ip(&full);
    }

    /// Runs a command inside the namespace (`ip netns exec NS ...`).
    pub fn exec(&self, args: &[&str]) -> String {
        let mut full = vec!["netns", "exec", self.name.as_str()];
        full.extend_from_slice(args);
        run("ip", &full)
    }

    /// Readiness check: waits (up to 10 s) until `ping` from here gets an answer.
    pub fn wait_for_ping(&self, addr: &str) {
        for _ in 0..50 {
            let ok = Command::new("ip")
                .args([
                    "netns", "exec", &self.name, "ping", "-c", "1", "-W", "0.2", addr,
                ])
                .output()
                .is_ok_and(|o| o.status.success());
            if ok {
                return;
            }
        }
        panic!("{addr} does not answer ping from namespace {}", self.name);
    }

    pub fn sysctl(&self, key_value: &str) {
        self.exec(&["sysctl", "-q", "-w", key_value]);
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "delete", &self.name])
            .status();
    }
}

/// A veth pair with one end in each namespace, both up.
pub fn veth(a: &Netns, a_if: &str, b: &Netns, b_if: &str) {
    ip(&[
        "link", "add", a_if, "netns", &a.name, "type", "veth", "peer", "name", b_if, "netns",
        &b.name,
    ]);
    a.ip(&["link", "set", a_if, "up"]);
    b.ip(&["link", "set", b_if, "up"]);
}

/// prober P ── router R ── target T, IPv4 + IPv6, with the SRv6 SID [`Srv6Lab::SID`]
/// (`seg6local action End`, counting packets) on R. Plain traffic P→T is routed by R too,
/// so deleting the SID route breaks the SRv6 path only.
#[derive(Debug)]
pub struct Srv6Lab {
    pub p: Netns,
    pub r: Netns,
    pub t: Netns,
}

impl Srv6Lab {
    pub const SID: &'static str = "fc00:1::100";
    pub const T6: &'static str = "fd10:2::2";
    pub const T4: &'static str = "10.10.2.2";
    pub const P6: &'static str = "fd10:1::1";

    pub fn new() -> Self {
        let lab = Self {
            p: Netns::new("p"),
            r: Netns::new("r"),
            t: Netns::new("t"),
        };
        veth(&lab.p, "p0", &lab.r, "r0");
        veth(&lab.r, "r1", &lab.t, "t0");
        let addr = |ns: &Netns, dev: &str, a: &str| {
            let mut args = vec!["addr", "add", a, "dev", dev];
            if a.contains(':') {
                args.push("nodad");
            }
            ns.ip(&args);
        };
        addr(&lab.p, "p0", "fd10:1::1/64");
        addr(&lab.p, "p0", "10.10.1.1/24");
        addr(&lab.r, "r0", "fd10:1::2/64");
        addr(&lab.r, "r0", "10.10.1.2/24");
        addr(&lab.r, "r1", "fd10:2::1/64");
        addr(&lab.r, "r1", "10.10.2.1/24");
        addr(&lab.t, "t0", "fd10:2::2/64");
        addr(&lab.t, "t0", "10.10.2.2/24");
        lab.p
            .ip(&["-6", "route", "add", "default", "via", "fd10:1::2"]);
        lab.p.ip(&["route", "add", "default", "via", "10.10.1.2"]);
        lab.t
            .ip(&["-6", "route", "add", "default", "via", "fd10:2::1"]);
        lab.t.ip(&["route", "add", "default", "via", "10.10.2.1"]);
        lab.r.sysctl("net.ipv4.ip_forward=1");
        lab.r.sysctl("net.ipv6.conf.all.forwarding=1");
        // A packet carrying an SRH is only accepted where seg6_enabled is set on `all`
        // and on the receiving interface.
        for (ns, dev) in [(&lab.r, "r0"), (&lab.t, "t0")] {
            ns.sysctl("net.ipv6.conf.all.seg6_enabled=1");
            ns.sysctl(&format!("net.ipv6.conf.{dev}.seg6_enabled=1"));
        }
        lab.add_sid();
        for target in [Self::T4, Self::T6] {
            lab.p.wait_for_ping(target);
        }
        lab
    }

    pub fn add_sid(&self) {
        self.r.ip(&[
            "-6",
            "route",
            "add",
            &format!("{}/128", Self::SID),
            "encap",
            "seg6local",
            "action",
            "End",
            "count",
            "dev",
            "r0",
        ]);
    }

    pub fn delete_sid(&self) {
        self.r
            .ip(&["-6", "route", "del", &format!("{}/128", Self::SID)]);
    }

    /// Packets the SID has processed (seg6local `count`).
    pub fn sid_packets(&self) -> u64 {
        let out = run(
            "ip",
            &[
                "-n",
                &self.r.name,
                "-s",
                "-6",
                "route",
                "show",
                &format!("{}/128", Self::SID),
            ],
        );
        let words: Vec<&str> = out.split_whitespace().collect();
        words
            .iter()
            .position(|w| *w == "packets")
            .and_then(|i| words.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no packet counter in `{out}`"))
    }
}
