//! Known delay and loss, recovered by the ICMP/ICMPv6 prober.
//!
//! Two namespaces joined by `netops-wire` (a TAP device in each, frames copied in user
//! space with a set delay and a seeded drop probability per direction: this kernel has no
//! netem). The prober runs inside the "probe" namespace. Asserts, for IPv4 and IPv6:
//! - median RTT within ±1 ms of the injected round-trip delay plus the base RTT measured
//!   through the same wire without delay;
//! - loss within the two-sided 99 % binomial interval of the injected round-trip loss.

mod support;

use netops_probes::{IcmpProber, ProbeTarget, Prober, RoundResult, RoundSpec};
use netops_test_support::ChildGuard;
use std::io::{BufRead, BufReader};
use std::net::IpAddr;
use std::process::{Command, Stdio};
use std::time::Duration;
use support::inside::RunInside;
use support::netns::Netns;

const V4_PROBER: &str = "10.77.0.1";
const V4_TARGET: &str = "10.77.0.2";
const V6_PROBER: &str = "fd77::1";
const V6_TARGET: &str = "fd77::2";

struct Testbed {
    // Field order: the wire dies before the namespaces are deleted.
    _wire: ChildGuard,
    prober: Netns,
    _target: Netns,
}

fn testbed(delay_each_way_ms: f64, loss_ab: f64, loss_ba: f64, seed: u64) -> Testbed {
    testbed_with(delay_each_way_ms, loss_ab, loss_ba, 0.0, seed)
}

/// `dup_ba`: probability that a reply (target → prober) is delivered twice.
fn testbed_with(
    delay_each_way_ms: f64,
    loss_ab: f64,
    loss_ba: f64,
    dup_ba: f64,
    seed: u64,
) -> Testbed {
    let prober = Netns::new("wp");
    let target = Netns::new("wt");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_netops-wire"));
    cmd.args([
        "--a",
        &format!("{}:tap0", prober.name),
        "--b",
        &format!("{}:tap0", target.name),
    ])
    .args([
        "--delay-ab-ms",
        &delay_each_way_ms.to_string(),
        "--delay-ba-ms",
        &delay_each_way_ms.to_string(),
    ])
    .args([
        "--loss-ab",
        &loss_ab.to_string(),
        "--loss-ba",
        &loss_ba.to_string(),
    ])
    .args(["--dup-ba", &dup_ba.to_string(), "--seed", &seed.to_string()])
    .stdout(Stdio::piped());
    let mut wire = ChildGuard::spawn("netops-wire", &mut cmd);
    let stdout = wire.child.stdout.take().expect("wire stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("read wire stdout");
    assert_eq!(line.trim(), "ready", "netops-wire did not start");
    for (ns, v4, v6) in [
        (&prober, V4_PROBER, V6_PROBER),
        (&target, V4_TARGET, V6_TARGET),
    ] {
        ns.ip(&["link", "set", "tap0", "up"]);
        ns.ip(&["addr", "add", &format!("{v4}/24"), "dev", "tap0"]);
        ns.ip(&["addr", "add", &format!("{v6}/64"), "dev", "tap0", "nodad"]);
    }
    Testbed {
        _wire: wire,
        prober,
        _target: target,
    }
}

fn round(ns: &Netns, target: &str, count: u32, interval_ms: u64, timeout_ms: u64) -> RoundResult {
    let addr: IpAddr = target.parse().expect("target address");
    let target = target.to_string();
    ns.run_inside(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let prober = IcmpProber::new();
            let spec = RoundSpec {
                count,
                interval: Duration::from_millis(interval_ms),
                timeout: Duration::from_millis(timeout_ms),
                size: 56,
                port: None,
            };
            let t = ProbeTarget::new(target, addr);
            // Warm-up: resolves ARP/ND so the first measured probe does not pay for it.
            let warm = RoundSpec {
                count: 3,
                ..spec.clone()
            };
            prober.round(&t, &warm).await.expect("warm-up round");
            prober.round(&t, &spec).await.expect("probe round")
        })
    })
}

/// ln P(X = k) for X ~ Binomial(n, p).
fn ln_pmf(n: u64, k: u64, p: f64) -> f64 {
    let ln_fact = |m: u64| (1..=m).map(|i| (i as f64).ln()).sum::<f64>();
    ln_fact(n) - ln_fact(k) - ln_fact(n - k) + k as f64 * p.ln() + (n - k) as f64 * (1.0 - p).ln()
}

/// The central 99 % interval [lo, hi] of Binomial(n, p): 0.5 % in each tail.
fn binomial_99(n: u64, p: f64) -> (u64, u64) {
    let mut cdf = 0.0;
    let mut lo = None;
    for k in 0..=n {
        cdf += ln_pmf(n, k, p).exp();
        if lo.is_none() && cdf >= 0.005 {
            lo = Some(k);
        }
        if cdf >= 0.995 {
            return (lo.unwrap_or(0), k);
        }
    }
    (lo.unwrap_or(0), n)
}

#[test]
fn binomial_interval_is_sane() {
    let (lo, hi) = binomial_99(400, 0.145);
    assert!(lo < 58 && 58 < hi, "{lo}..{hi}");
    assert!(hi - lo < 40, "{lo}..{hi}");
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn check_family(target: &str) {
    // Base RTT: the same wire, no delay, no loss.
    let base = {
        let bed = testbed(0.0, 0.0, 0.0, 1);
        round(&bed.prober, target, 100, 5, 500)
    };
    assert_eq!(
        base.stats.received, 100,
        "no loss expected without impairment: {:?}",
        base.stats
    );
    let base_median = base.stats.rtt.expect("base RTTs").median;
    assert!(
        base.kernel_timestamps,
        "replies must carry kernel receive timestamps"
    );

    // 10 ms each way; 10 % loss prober→target and 5 % back: round-trip loss 1-0.9*0.95.
    let (delay_each_way, loss_ab, loss_ba) = (10.0, 0.10, 0.05);
    let injected_rtt = Duration::from_secs_f64(2.0 * delay_each_way / 1000.0);
    let expected_loss = 1.0 - (1.0 - loss_ab) * (1.0 - loss_ba);
    let n = 400;
    let r = {
        let bed = testbed(delay_each_way, loss_ab, loss_ba, 7);
        round(&bed.prober, target, n, 5, 1000)
    };
    let median = r.stats.rtt.expect("impaired RTTs").median;
    let want = injected_rtt + base_median;
    let err_ms = (ms(median) - ms(want)).abs();
    assert!(
        err_ms <= 1.0,
        "{target}: median RTT {:.3} ms, expected {:.3} ms (injected {:.1} + base {:.3}), off by {err_ms:.3} ms",
        ms(median),
        ms(want),
        ms(injected_rtt),
        ms(base_median)
    );
    let lost = r.stats.sent - r.stats.received;
    let (lo, hi) = binomial_99(u64::from(n), expected_loss);
    assert!(
        (lo..=hi).contains(&lost),
        "{target}: lost {lost}/{n}, outside the 99 % interval {lo}..={hi} of p={expected_loss:.4}"
    );
    assert_eq!(r.stats.duplicates, 0);
    eprintln!(
        "{target}: base median {:.3} ms, impaired median {:.3} ms (want {:.3}), loss {lost}/{n} (99 % interval {lo}..={hi}), jitter {:.3} ms",
        ms(base_median),
        ms(median),
        ms(want),
        r.stats.jitter.map(ms).unwrap_or(f64::NAN)
    );
}

#[test]
fn ipv4_delay_and_loss_are_recovered() {
    check_family(V4_TARGET);
}

#[test]
fn ipv6_delay_and_loss_are_recovered() {
    check_family(V6_TARGET);
}

#[test]
fn duplicates_and_late_replies_are_counted_apart() {
    // Every reply delivered twice with probability 0.2: duplicates, not extra receptions.
    let n = 200;
    let r = {
        let bed = testbed_with(0.0, 0.0, 0.0, 0.2, 3);
        round(&bed.prober, V4_TARGET, n, 5, 500)
    };
    assert_eq!(r.stats.received, u64::from(n), "{:?}", r.stats);
    assert_eq!(r.stats.loss_ratio, 0.0);
    let (lo, hi) = binomial_99(u64::from(n), 0.2);
    // The last reply's twin may arrive after the round has ended (all answered): -1.
    assert!(
        (lo.saturating_sub(1)..=hi).contains(&r.stats.duplicates),
        "duplicates {} outside {lo}..={hi}",
        r.stats.duplicates
    );

    // 20 ms RTT against a 15 ms timeout: nothing is received in time. Probe i (sent at
    // 5i ms) is answered at 5i + 20 ms; the round ends 15 ms after the last send, so all
    // but the last probes' replies are seen, and counted as late.
    let r = {
        let bed = testbed(10.0, 0.0, 0.0, 1);
        round(&bed.prober, V6_TARGET, 20, 5, 15)
    };
    assert_eq!(r.stats.received, 0, "{:?}", r.stats);
    assert_eq!(r.stats.loss_ratio, 1.0);
    assert!(
        (16..=19).contains(&r.stats.late),
        "late {} of 20",
        r.stats.late
    );
}
