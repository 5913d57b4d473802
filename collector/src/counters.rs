//! Counter continuity per target: 32-bit counters extended across wraps, agent reboots
//! (sysUpTime going back) turned into clean resets, so that no rate computed downstream
//! (Prometheus `rate`, InfluxDB `non_negative_derivative`) ever sees a spike.
//!
//! Why not export the raw values as snmp_exporter does: a Counter32 on a 10 Gbit/s link
//! wraps every 3.4 s of full load; Prometheus reads a wrap as a reset and undercounts, and a
//! naive "add 2^32 when it goes down" turns every reboot into a phantom of 4 GB. With the
//! agent's sysUpTime we can tell the two apart.

use std::collections::HashMap;

/// Width of the counter on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CounterWidth {
    Bits32,
    Bits64,
}

/// What a 32-bit counter series needs between polls: 8 bytes. The exported value is
/// `last_raw + wraps * 2^32`.
#[derive(Debug, Clone, Copy)]
struct SeriesState {
    last_raw: u32,
    wraps: u32,
}

/// What happened to the agent between two polls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Continuity {
    /// First poll, or the same run of the agent.
    Continuous,
    /// sysUpTime went back: the agent restarted and its counters started again from zero.
    Rebooted,
}

/// A counter series of a target: metric name and row index (0 for scalars).
pub type SeriesKey = (&'static str, u32);

/// Counter state of one target; one tracker serves every module of the target.
///
/// Only 32-bit counters are remembered: a Counter64 cannot wrap in the life of a device
/// (2^64 octets is 467 years at 10 Tbit/s), so its value is exported as read, and a drop
/// is a reset that rates already handle. A 48-port router thus costs 17 entries per
/// interface (the Counter32 columns of ifTable/ifXTable) instead of 26, ~14 KB a router.
#[derive(Debug, Default)]
pub struct CounterTracker {
    last_uptime: Option<u32>,
    /// Metric name → row index → state: 12 bytes per series, where one map keyed by
    /// (name, row) would spend 32.
    series: HashMap<&'static str, HashMap<u32, SeriesState>>,
    wraps: u64,
    resets: u64,
}

const WRAP_32: u64 = 1 << 32;

impl CounterTracker {
    pub fn new() -> Self {
        Self::default()
    }

    /// Call once per poll with the agent's sysUpTime (hundredths of a second), before the
    /// poll's counters. A reboot forgets every series, so counters start again from their
    /// raw values (a reset, which rates handle) instead of being read as wraps.
    pub fn observe_uptime(&mut self, uptime: u32) -> Continuity {
        let previous = self.last_uptime.replace(uptime);
        match previous {
            // sysUpTime itself is a 32-bit TimeTicks and wraps after ~497 days: a jump from
            // the top of the range to the bottom is that wrap, not a reboot.
            Some(prev) if uptime < prev && !(prev > 0xF000_0000 && uptime < 0x1000_0000) => {
                self.series.clear();
                self.resets += 1;
                Continuity::Rebooted
            }
            _ => Continuity::Continuous,
        }
    }

    /// The value to export for `raw` of series `key`.
    pub fn extend(&mut self, key: SeriesKey, raw: u64, width: CounterWidth) -> u64 {
        let raw = match (width, u32::try_from(raw)) {
            (CounterWidth::Bits32, Ok(raw)) => raw,
            // A 64-bit counter, or a "32-bit" one above 2^32 (a broken agent): as read.
            _ => return raw,
        };
        let (name, row) = key;
        let rows = match self.series.get_mut(name) {
            Some(rows) => rows,
            None => self.series.entry(name).or_default(),
        };
        let Some(state) = rows.get_mut(&row) else {
            rows.insert(
                row,
                SeriesState {
                    last_raw: raw,
                    wraps: 0,
                },
            );
            return u64::from(raw);
        };
        if raw < state.last_raw {
            if u64::from(state.last_raw - raw) > WRAP_32 / 2 {
                // A wrap: the counter went over 2^32 - 1 and started again.
                state.wraps += 1;
                self.wraps += 1;
            } else {
                // A discontinuity (counters cleared, interface re-created): start over.
                state.wraps = 0;
                self.resets += 1;
            }
        }
        state.last_raw = raw;
        u64::from(raw) + u64::from(state.wraps) * WRAP_32
    }

    /// 32-bit wraps bridged so far.
    pub fn wraps(&self) -> u64 {
        self.wraps
    }

    /// Reboots and discontinuities seen so far.
    pub fn resets(&self) -> u64 {
        self.resets
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Prometheus' view of a counter: the increase between two readings, a drop being a reset.
    fn increases(exported: &[u64]) -> Vec<u64> {
        exported
            .windows(2)
            .map(|w| if w[1] >= w[0] { w[1] - w[0] } else { w[1] })
            .collect()
    }

    /// Replays (uptime, raw counter) polls through the tracker.
    fn replay(polls: &[(u32, u64)], width: CounterWidth) -> Vec<u64> {
        let mut t = CounterTracker::new();
        polls
            .iter()
            .map(|(uptime, raw)| {
                t.observe_uptime(*uptime);
                t.extend(("ifInOctets", 2), *raw, width)
            })
            .collect()
    }

    #[test]
    fn counter32_wrap_becomes_the_true_increase() {
        // 1,000,000 octets per poll across the 2^32 boundary (recorded from a busy uplink).
        let raw = [
            4_292_000_000u64,
            4_293_000_000,
            4_294_000_000,
            32_704,
            1_032_704,
        ];
        let polls: Vec<(u32, u64)> = raw
            .iter()
            .enumerate()
            .map(|(i, r)| (6000 * (i as u32 + 1), *r))
            .collect();
        let exported = replay(&polls, CounterWidth::Bits32);
        assert_eq!(exported[3], 4_295_000_000);
        assert_eq!(increases(&exported), vec![1_000_000; 4]);
    }

    #[test]
    fn reboot_is_a_reset_not_a_spike() {
        // The agent reboots between the 3rd and 4th poll: sysUpTime goes back, counters restart.
        let polls = [
            (100_000, 3_000_000_000u64),
            (106_000, 3_000_500_000),
            (112_000, 3_001_000_000),
            (600, 20_000),
            (6_600, 520_000),
        ];
        for width in [CounterWidth::Bits32, CounterWidth::Bits64] {
            let exported = replay(&polls, width);
            assert_eq!(
                exported,
                vec![3_000_000_000, 3_000_500_000, 3_001_000_000, 20_000, 520_000]
            );
            let inc = increases(&exported);
            assert!(
                inc.iter().all(|i| *i <= 500_000),
                "{width:?}: no increase above the real traffic: {inc:?}"
            );
        }
    }

    #[test]
    fn without_reboot_a_small_drop_is_a_discontinuity_not_a_wrap() {
        // Counters cleared on the device (clear counters): 2,000,000 -> 1,000.
        let exported = replay(
            &[(100, 2_000_000), (200, 1_000), (300, 5_000)],
            CounterWidth::Bits32,
        );
        assert_eq!(exported, vec![2_000_000, 1_000, 5_000]);
    }

    #[test]
    fn counter64_never_wraps() {
        let exported = replay(&[(100, u64::MAX - 10), (200, 5)], CounterWidth::Bits64);
        assert_eq!(exported, vec![u64::MAX - 10, 5]);
    }

    #[test]
    fn uptime_wrap_after_497_days_is_not_a_reboot() {
        let mut t = CounterTracker::new();
        assert_eq!(t.observe_uptime(u32::MAX - 100), Continuity::Continuous);
        t.extend(("x", 0), 10, CounterWidth::Bits64);
        assert_eq!(t.observe_uptime(500), Continuity::Continuous);
        assert_eq!(t.extend(("x", 0), 20, CounterWidth::Bits64), 20);
        assert_eq!(t.observe_uptime(100), Continuity::Rebooted);
        assert_eq!(t.resets(), 1);
    }
}
