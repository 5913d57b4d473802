//! How a recorded object changes over time, so that a poller of the simulator sees real rates.
//!
//! Every value is a pure function of (recorded value, time since the agent started, reboot
//! period): no state, no clock here. The rate of a counter is fixed per object and derived
//! from a hash of its OID (FNV-1a, stable across runs and machines), except for interface
//! octet counters, whose rate is 1–30 % of the interface's speed (ifHighSpeed, else ifSpeed)
//! so traffic graphs look like links. The 32-bit and 64-bit counters of one interface
//! (ifInOctets and ifHCInOctets, ...) share one rate, as on a real device.

use crate::snmp::{Oid, SnmpValue, VarBind};

const SYS_UP_TIME: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 3, 0];
const HR_SYSTEM_UPTIME: &[u32] = &[1, 3, 6, 1, 2, 1, 25, 1, 1, 0];
const IF_ENTRY: &[u32] = &[1, 3, 6, 1, 2, 1, 2, 2, 1];
const IFX_ENTRY: &[u32] = &[1, 3, 6, 1, 2, 1, 31, 1, 1, 1];
const IF_SPEED: u32 = 5;
const IF_HIGH_SPEED: u32 = 15;

/// How one object moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dynamic {
    Static,
    /// Counter32/Counter64 growing by `per_second` units each second.
    Counter {
        per_second: u64,
    },
    /// sysUpTime and hrSystemUptime: 100 ticks a second, back to 0 at each reboot.
    Uptime,
}

/// Options that apply to every agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DynamicsOptions {
    /// When set, every Counter32 starts this many seconds before its 2^32 wrap (instead of
    /// at its recorded value), so a poller meets a wrap early in a test or benchmark.
    pub wrap32_after_secs: Option<u64>,
}

/// Where an agent is in time: elapsed milliseconds since the simulator started, and the
/// reboot period if the agent reboots.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AgentTime {
    pub elapsed_ms: u64,
    pub reboot_every_ms: Option<u64>,
}

impl AgentTime {
    /// Runs completed before the current one (0 until the first reboot).
    pub fn reboots(&self) -> u64 {
        match self.reboot_every_ms {
            Some(p) if p > 0 => self.elapsed_ms / p,
            _ => 0,
        }
    }

    /// Milliseconds since the current run started.
    pub fn since_boot_ms(&self) -> u64 {
        match self.reboot_every_ms {
            Some(p) if p > 0 => self.elapsed_ms % p,
            _ => self.elapsed_ms,
        }
    }
}

/// FNV-1a over the arcs: a hash that never changes between runs (std's SipHash is seeded).
pub fn stable_hash(arcs: &[u32]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for arc in arcs {
        for b in arc.to_be_bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// The ifXTable column of the 64-bit twin of an ifTable/ifXTable counter column, so both
/// widths of one interface counter get one rate; `None` for other objects.
fn interface_counter(oid: &Oid) -> Option<(u32, u32)> {
    let arcs = oid.arcs();
    if let Some(rest) = arcs.strip_prefix(IF_ENTRY) {
        let (&column, index) = rest.split_first()?;
        let hc = match column {
            10 => 6,  // ifInOctets -> ifHCInOctets
            11 => 7,  // ifInUcastPkts
            16 => 10, // ifOutOctets
            17 => 11, // ifOutUcastPkts
            _ => 100 + column,
        };
        return Some((hc, *index.first()?));
    }
    if let Some(rest) = arcs.strip_prefix(IFX_ENTRY) {
        let (&column, index) = rest.split_first()?;
        let hc = match column {
            2 => 8,  // ifInMulticastPkts -> ifHCInMulticastPkts
            3 => 9,  // ifInBroadcastPkts
            4 => 12, // ifOutMulticastPkts
            5 => 13, // ifOutBroadcastPkts
            c => c,
        };
        return Some((hc, *index.first()?));
    }
    None
}

/// The interface speed in bit/s from the recording (ifHighSpeed first: ifSpeed saturates
/// at 4.29 Gbit/s).
fn interface_speed(recording: &[VarBind], index: u32) -> Option<u64> {
    let find = |prefix: &[u32], column: u32| {
        let mut arcs = prefix.to_vec();
        arcs.extend([column, index]);
        let oid = Oid::from_arcs(arcs);
        recording
            .binary_search_by(|vb| vb.oid.cmp(&oid))
            .ok()
            .map(|i| &recording[i].value)
    };
    if let Some(SnmpValue::Gauge32(mbps)) = find(IFX_ENTRY, IF_HIGH_SPEED)
        && *mbps > 0
    {
        return Some(u64::from(*mbps) * 1_000_000);
    }
    match find(IF_ENTRY, IF_SPEED) {
        Some(SnmpValue::Gauge32(bps)) if *bps > 0 => Some(u64::from(*bps)),
        _ => None,
    }
}

/// Decides how each object of a recording (sorted by OID) moves.
pub fn classify(recording: &[VarBind]) -> Vec<Dynamic> {
    recording
        .iter()
        .map(|vb| match vb.value {
            SnmpValue::TimeTicks(_)
                if vb.oid.arcs() == SYS_UP_TIME || vb.oid.arcs() == HR_SYSTEM_UPTIME =>
            {
                Dynamic::Uptime
            }
            SnmpValue::Counter32(_) | SnmpValue::Counter64(_) => Dynamic::Counter {
                per_second: counter_rate(recording, &vb.oid),
            },
            _ => Dynamic::Static,
        })
        .collect()
}

fn counter_rate(recording: &[VarBind], oid: &Oid) -> u64 {
    let Some((column, index)) = interface_counter(oid) else {
        return stable_hash(oid.arcs()) % 1000;
    };
    let h = stable_hash(&[column, index]);
    let octets = matches!(column, 6 | 10);
    match (octets, interface_speed(recording, index)) {
        // 1..=30 % utilisation of the link, in octets per second.
        (true, Some(bps)) => bps / 8 * (1 + h % 30) / 100,
        (true, None) => 1000 + h % 100_000,
        // Packets: roughly what 1..30 % of a link in 800-octet packets would be, capped so
        // that small recordings stay readable.
        (false, Some(bps)) => (bps / 8 / 800 * (1 + h % 30) / 100).max(1),
        (false, None) => h % 1000,
    }
}

/// The value of a recorded object at `time`.
pub fn value_at(
    recorded: &SnmpValue,
    dynamic: Dynamic,
    time: AgentTime,
    options: DynamicsOptions,
) -> SnmpValue {
    let rebooted = time.reboots() > 0;
    let since_boot_ms = time.since_boot_ms();
    match (dynamic, recorded) {
        (Dynamic::Static, v) => v.clone(),
        (Dynamic::Uptime, SnmpValue::TimeTicks(base)) => {
            let ticks = since_boot_ms / 10;
            // A reboot starts the clock at 0; before it, from the recorded uptime.
            let start = if rebooted { 0 } else { u64::from(*base) };
            SnmpValue::TimeTicks((start + ticks) as u32)
        }
        (Dynamic::Counter { per_second }, SnmpValue::Counter32(base)) => {
            let grown = per_second.saturating_mul(since_boot_ms) / 1000;
            let start = match (rebooted, options.wrap32_after_secs) {
                (true, _) => 0,
                (false, Some(secs)) => (1u64 << 32).saturating_sub(per_second * secs),
                (false, None) => u64::from(*base),
            };
            // Counter32 wraps modulo 2^32 as on the wire.
            SnmpValue::Counter32(start.wrapping_add(grown) as u32)
        }
        (Dynamic::Counter { per_second }, SnmpValue::Counter64(base)) => {
            let grown = per_second.saturating_mul(since_boot_ms) / 1000;
            let start = if rebooted { 0 } else { *base };
            SnmpValue::Counter64(start.wrapping_add(grown))
        }
        (_, v) => v.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vb(oid: &str, value: SnmpValue) -> VarBind {
        VarBind {
            oid: oid.parse().unwrap(),
            value,
        }
    }

    fn t(elapsed_ms: u64, reboot_every_ms: Option<u64>) -> AgentTime {
        AgentTime {
            elapsed_ms,
            reboot_every_ms,
        }
    }

    fn recording() -> Vec<VarBind> {
        let mut r = vec![
            vb("1.3.6.1.2.1.1.3.0", SnmpValue::TimeTicks(5000)),
            vb("1.3.6.1.2.1.2.2.1.5.3", SnmpValue::Gauge32(1_000_000_000)),
            vb("1.3.6.1.2.1.2.2.1.10.3", SnmpValue::Counter32(100)),
            vb("1.3.6.1.2.1.31.1.1.1.6.3", SnmpValue::Counter64(100)),
            vb("1.3.6.1.2.1.31.1.1.1.15.3", SnmpValue::Gauge32(1000)),
            vb("1.3.6.1.2.1.1.5.0", SnmpValue::OctetString("r1".into())),
        ];
        r.sort_by(|a, b| a.oid.cmp(&b.oid));
        r
    }

    #[test]
    fn octet_counters_follow_the_link_speed_and_share_one_rate_per_interface() {
        let r = recording();
        let d = classify(&r);
        let rate_of = |oid: &str| {
            let i = r.iter().position(|v| v.oid.to_string() == oid).unwrap();
            match d[i] {
                Dynamic::Counter { per_second } => per_second,
                other => panic!("{oid}: {other:?}"),
            }
        };
        let in32 = rate_of("1.3.6.1.2.1.2.2.1.10.3");
        assert_eq!(in32, rate_of("1.3.6.1.2.1.31.1.1.1.6.3"));
        // 1..30 % of 1 Gbit/s in octets per second.
        assert!((1_250_000..=37_500_000).contains(&in32), "{in32}");
        let sys = r
            .iter()
            .position(|v| v.oid.to_string() == "1.3.6.1.2.1.1.3.0")
            .unwrap();
        assert_eq!(d[sys], Dynamic::Uptime);
        let name = r
            .iter()
            .position(|v| v.oid.to_string() == "1.3.6.1.2.1.1.5.0")
            .unwrap();
        assert_eq!(d[name], Dynamic::Static);
    }

    #[test]
    fn counters_grow_at_their_rate_and_wrap_at_32_bits() {
        let dynamic = Dynamic::Counter { per_second: 1000 };
        let opts = DynamicsOptions::default();
        let at = |ms, v: &SnmpValue| value_at(v, dynamic, t(ms, None), opts);
        assert_eq!(at(0, &SnmpValue::Counter32(7)), SnmpValue::Counter32(7));
        assert_eq!(
            at(2500, &SnmpValue::Counter32(7)),
            SnmpValue::Counter32(2507)
        );
        assert_eq!(
            at(2000, &SnmpValue::Counter32(u32::MAX)),
            SnmpValue::Counter32(1999),
            "wraps modulo 2^32"
        );
        assert_eq!(
            at(2000, &SnmpValue::Counter64(u64::from(u32::MAX))),
            SnmpValue::Counter64(u64::from(u32::MAX) + 2000)
        );
        let wrap = DynamicsOptions {
            wrap32_after_secs: Some(10),
        };
        let v = |ms| value_at(&SnmpValue::Counter32(7), dynamic, t(ms, None), wrap);
        assert_eq!(v(0), SnmpValue::Counter32(u32::MAX - 9999));
        assert_eq!(v(10_000), SnmpValue::Counter32(0), "wraps after 10 s");
    }

    #[test]
    fn reboot_restarts_uptime_and_counters_from_zero() {
        let up = |ms| {
            value_at(
                &SnmpValue::TimeTicks(5000),
                Dynamic::Uptime,
                t(ms, Some(30_000)),
                DynamicsOptions::default(),
            )
        };
        assert_eq!(up(1000), SnmpValue::TimeTicks(5100));
        assert_eq!(up(29_990), SnmpValue::TimeTicks(7999));
        assert_eq!(
            up(30_500),
            SnmpValue::TimeTicks(50),
            "back near 0 after the reboot"
        );
        let c = |ms| {
            value_at(
                &SnmpValue::Counter64(1_000_000),
                Dynamic::Counter { per_second: 10 },
                t(ms, Some(30_000)),
                DynamicsOptions::default(),
            )
        };
        assert_eq!(c(29_000), SnmpValue::Counter64(1_000_290));
        assert_eq!(c(31_000), SnmpValue::Counter64(10));
        assert_eq!(t(95_000, Some(30_000)).reboots(), 3);
    }

    #[test]
    fn hash_is_stable() {
        // Fixed value: rates must not change between runs or releases of the simulator.
        assert_eq!(stable_hash(&[1, 3, 6]), 12_992_452_069_756_895_417);
        assert_ne!(stable_hash(&[1, 3, 6]), stable_hash(&[1, 3, 7]));
    }
}
