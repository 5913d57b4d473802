//! netops-wire: test support, a userspace "wire" with known delay and loss.
//!
//! This kernel has no netem, so tests get a link of known impairment from this process: it
//! creates a TAP device in each of two network namespaces and copies Ethernet frames
//! between them, holding each frame for a set delay and dropping it with a set probability
//! per direction (seeded, so a run is reproducible); it can also deliver frames twice. The delay and the drop probability
//! are the ground truth the probes must recover.
//!
//! ARP and IPv6 neighbour discovery / MLD frames are delayed but never dropped, so loss
//! applies to the probe traffic only and neighbour resolution does not add its own losses.
//!
//! Usage: `netops-wire --a NS:IFNAME --b NS:IFNAME [--delay-ab-ms F] [--delay-ba-ms F]
//! [--loss-ab P] [--loss-ba P] [--dup-ab P] [--dup-ba P] [--seed N]`. Prints `ready` on stdout once both TAP devices
//! exist (the caller then configures them) and runs until killed.
// Two libc calls without safe wrappers in nix: the TUNSETIFF ioctl (`tun_open`) and
// sched_setscheduler (`realtime`). Each `unsafe` block states why it is sound.
#![allow(unsafe_code)]

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::process::ExitCode;
use std::sync::mpsc;
use std::time::{Duration, Instant};

const TUNSETIFF: libc::c_ulong = 0x4004_54ca; // _IOW('T', 202, int)
const IFF_TAP: i16 = 0x0002;
const IFF_NO_PI: i16 = 0x1000;

/// Opens /dev/net/tun and attaches it to a new TAP device `name` in the calling thread's
/// current network namespace.
fn tun_open(name: &str) -> std::io::Result<File> {
    if name.is_empty() || name.len() >= 16 {
        return Err(std::io::Error::other(format!(
            "interface name `{name}` must be 1..15 bytes"
        )));
    }
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/net/tun")?;
    // struct ifreq: char ifr_name[16]; short ifr_flags; padded to 40 bytes.
    let mut ifreq = [0u8; 40];
    ifreq[..name.len()].copy_from_slice(name.as_bytes());
    ifreq[16..18].copy_from_slice(&(IFF_TAP | IFF_NO_PI).to_ne_bytes());
    // SAFETY: `file` is an open /dev/net/tun descriptor for the whole call and `ifreq` is a
    // 40-byte buffer, the size of `struct ifreq` that TUNSETIFF reads and writes.
    let rc = unsafe { libc::ioctl(file.as_raw_fd(), TUNSETIFF, ifreq.as_mut_ptr()) };
    if rc < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(file)
}

/// Creates the TAP device inside namespace `ns` (entering it, then coming back).
fn tap_in_netns(ns: &str, name: &str) -> std::io::Result<File> {
    use nix::sched::{CloneFlags, setns};
    let home = File::open("/proc/self/ns/net")?;
    let target = File::open(format!("/run/netns/{ns}"))?;
    setns(&target, CloneFlags::CLONE_NEWNET).map_err(std::io::Error::from)?;
    let tap = tun_open(name);
    setns(&home, CloneFlags::CLONE_NEWNET).map_err(std::io::Error::from)?;
    tap
}

/// Puts the calling thread in SCHED_FIFO so that a busy machine (a cargo build on both
/// cores) does not stretch the delay: a frame released late is an error in the ground
/// truth. Best effort: without the privilege the wire still runs, less exactly.
fn realtime(name: &str) {
    let param = libc::sched_param { sched_priority: 50 };
    // SAFETY: pid 0 is the calling thread; `param` is a valid sched_param for the call.
    let rc = unsafe { libc::sched_setscheduler(0, libc::SCHED_FIFO, &param) };
    if rc != 0 {
        eprintln!(
            "netops-wire {name}: no real-time priority ({}); delays may stretch under load",
            std::io::Error::last_os_error()
        );
    }
}

/// splitmix64: tiny, seedable, good enough to draw Bernoulli losses.
#[derive(Debug)]
struct Rng(u64);

impl Rng {
    fn next_f64(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Frames that keep the link usable are never dropped: ARP, and ICMPv6 ND/MLD.
fn is_control(frame: &[u8]) -> bool {
    let ethertype = frame.get(12..14).map(|b| u16::from_be_bytes([b[0], b[1]]));
    match ethertype {
        Some(0x0806) => true,
        // IPv6 with next header ICMPv6 (58) and type 130..=143 (MLD, RS/RA/NS/NA/redirect).
        Some(0x86dd) => {
            frame.get(20) == Some(&58) && frame.get(54).is_some_and(|t| (130..=143).contains(t))
        }
        _ => false,
    }
}

#[derive(Debug, Clone, Copy)]
struct Impairment {
    delay: Duration,
    loss: f64,
    /// Probability that a frame that was not dropped is delivered twice.
    duplicate: f64,
    seed: u64,
}

/// Copies frames from `from` to `to`: a reader that stamps and drops, a writer that waits.
fn run_direction(name: &'static str, mut from: File, mut to: File, imp: Impairment) {
    let (tx, rx) = mpsc::channel::<(Instant, Vec<u8>)>();
    std::thread::spawn(move || {
        realtime(name);
        let mut rng = Rng(imp.seed);
        let mut buf = vec![0u8; 65_536];
        loop {
            let n = match from.read(&mut buf) {
                Ok(n) => n,
                Err(e) => {
                    eprintln!("netops-wire {name}: read: {e}");
                    return;
                }
            };
            let release = Instant::now() + imp.delay;
            let frame = &buf[..n];
            if !is_control(frame) && rng.next_f64() < imp.loss {
                continue;
            }
            let copies = if !is_control(frame) && rng.next_f64() < imp.duplicate {
                2
            } else {
                1
            };
            for _ in 0..copies {
                if tx.send((release, frame.to_vec())).is_err() {
                    return;
                }
            }
        }
    });
    std::thread::spawn(move || {
        realtime(name);
        // The delay is the same for every frame, so FIFO order is release order.
        while let Ok((release, frame)) = rx.recv() {
            // Sleep most of the way, then spin: thread::sleep overshoots by 50-100 µs,
            // which would bias a delay meant to be exact.
            loop {
                let now = Instant::now();
                if now >= release {
                    break;
                }
                let left = release - now;
                if left > Duration::from_micros(300) {
                    std::thread::sleep(left - Duration::from_micros(200));
                } else {
                    std::hint::spin_loop();
                }
            }
            if let Err(e) = to.write_all(&frame) {
                // A frame to a device that is not up yet is refused; keep going.
                eprintln!("netops-wire {name}: write: {e}");
            }
        }
    });
}

fn arg_value(args: &[String], key: &str) -> Option<String> {
    args.iter()
        .position(|a| a == key)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

fn parse<T: std::str::FromStr>(args: &[String], key: &str, default: T) -> Result<T, String> {
    match arg_value(args, key) {
        None => Ok(default),
        Some(v) => v.parse().map_err(|_| format!("{key}: cannot parse `{v}`")),
    }
}

fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let side = |key: &str| -> Result<(String, String), String> {
        let v = arg_value(&args, key).ok_or(format!("{key} NS:IFNAME is required"))?;
        let (ns, ifname) = v
            .split_once(':')
            .ok_or(format!("{key}: expected NS:IFNAME, got `{v}`"))?;
        Ok((ns.to_string(), ifname.to_string()))
    };
    let (ns_a, if_a) = side("--a")?;
    let (ns_b, if_b) = side("--b")?;
    let ms = |v: f64| Duration::from_secs_f64(v.max(0.0) / 1000.0);
    let seed: u64 = parse(&args, "--seed", 1)?;
    let ab = Impairment {
        delay: ms(parse(&args, "--delay-ab-ms", 0.0)?),
        loss: parse(&args, "--loss-ab", 0.0)?,
        duplicate: parse(&args, "--dup-ab", 0.0)?,
        seed,
    };
    let ba = Impairment {
        delay: ms(parse(&args, "--delay-ba-ms", 0.0)?),
        loss: parse(&args, "--loss-ba", 0.0)?,
        duplicate: parse(&args, "--dup-ba", 0.0)?,
        seed: seed ^ 0x5555_aaaa_5555_aaaa,
    };
    let tap_a = tap_in_netns(&ns_a, &if_a).map_err(|e| format!("TAP {if_a} in {ns_a}: {e}"))?;
    let tap_b = tap_in_netns(&ns_b, &if_b).map_err(|e| format!("TAP {if_b} in {ns_b}: {e}"))?;
    let clone = |f: &File| f.try_clone().map_err(|e| format!("dup TAP fd: {e}"));
    run_direction("a->b", clone(&tap_a)?, clone(&tap_b)?, ab);
    run_direction("b->a", tap_b, tap_a, ba);
    println!("ready");
    std::io::stdout().flush().map_err(|e| e.to_string())?;
    loop {
        std::thread::park();
    }
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("netops-wire: {e}");
            ExitCode::from(2)
        }
    }
}
