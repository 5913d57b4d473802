//! Fault modes of simulated agents, for fault tests of pollers.
//!
//! `--fault` values (repeatable), `AGENTS` being a list of agent numbers and ranges
//! (`0-9,15,20-29`) or `all`:
//!
//! - `timeout:AGENTS`: never answer (requests are read and dropped).
//! - `slow:MS:AGENTS`: answer every request MS milliseconds late.
//! - `reboot-every:SECS:AGENTS`: restart every SECS seconds: sysUpTime back to 0, counters
//!   from 0, SNMPv3 engineBoots + 1 and engineTime from 0.
//! - `malformed:AGENTS`: answer with bytes that are not an SNMP message (a truncated BER
//!   SEQUENCE), so the poller has something to discard and count.

use crate::sim::SimError;
use std::time::Duration;

/// The faults of one agent (several may combine: a slow agent that also reboots).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AgentFaults {
    pub timeout: bool,
    pub slow: Option<Duration>,
    pub reboot_every: Option<Duration>,
    pub malformed: bool,
}

/// One parsed `--fault` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultSpec {
    kind: FaultKind,
    agents: AgentSet,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FaultKind {
    Timeout,
    Slow(Duration),
    RebootEvery(Duration),
    Malformed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum AgentSet {
    All,
    Ranges(Vec<(usize, usize)>),
}

impl AgentSet {
    fn contains(&self, agent: usize) -> bool {
        match self {
            AgentSet::All => true,
            AgentSet::Ranges(r) => r.iter().any(|(a, b)| (*a..=*b).contains(&agent)),
        }
    }
}

/// The text after the last ':' is the agent list; the kind and its parameter come before.
impl std::str::FromStr for FaultSpec {
    type Err = SimError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |reason: String| SimError::Config {
            flag: "--fault",
            reason: format!("{s:?}: {reason}"),
        };
        let parts: Vec<&str> = s.split(':').collect();
        let number = |p: &str, what: &str| -> Result<u64, SimError> {
            p.parse::<u64>()
                .map_err(|_| err(format!("{p:?} is not a number of {what}")))
        };
        let (kind, agents) = match parts.as_slice() {
            ["timeout", agents] => (FaultKind::Timeout, agents),
            ["malformed", agents] => (FaultKind::Malformed, agents),
            ["slow", ms, agents] => (
                FaultKind::Slow(Duration::from_millis(number(ms, "milliseconds")?)),
                agents,
            ),
            ["reboot-every", secs, agents] => {
                let secs = number(secs, "seconds")?;
                if secs == 0 {
                    return Err(err("the reboot period must be at least 1 second".into()));
                }
                (FaultKind::RebootEvery(Duration::from_secs(secs)), agents)
            }
            _ => {
                return Err(err(
                    "expected timeout:AGENTS, slow:MS:AGENTS, reboot-every:SECS:AGENTS or malformed:AGENTS"
                        .into(),
                ));
            }
        };
        Ok(FaultSpec {
            kind,
            agents: parse_agents(agents).map_err(err)?,
        })
    }
}

fn parse_agents(s: &str) -> Result<AgentSet, String> {
    if s == "all" {
        return Ok(AgentSet::All);
    }
    let number = |p: &str| {
        p.trim()
            .parse::<usize>()
            .map_err(|_| format!("{p:?} is not an agent number (agents count from 0)"))
    };
    let mut ranges = Vec::new();
    for part in s.split(',') {
        let range = match part.split_once('-') {
            Some((a, b)) => (number(a)?, number(b)?),
            None => {
                let n = number(part)?;
                (n, n)
            }
        };
        if range.0 > range.1 {
            return Err(format!("range {part:?} goes backwards"));
        }
        ranges.push(range);
    }
    Ok(AgentSet::Ranges(ranges))
}

/// The faults of agent number `agent` under all `specs`.
pub fn faults_of(specs: &[FaultSpec], agent: usize) -> AgentFaults {
    let mut f = AgentFaults::default();
    for spec in specs.iter().filter(|s| s.agents.contains(agent)) {
        match spec.kind {
            FaultKind::Timeout => f.timeout = true,
            FaultKind::Malformed => f.malformed = true,
            FaultKind::Slow(d) => f.slow = Some(d),
            FaultKind::RebootEvery(d) => f.reboot_every = Some(d),
        }
    }
    f
}

/// What a malformed agent sends: a SEQUENCE that announces 200 octets and carries 6, the
/// request-id region cut off. Fixed bytes, so tests can recognise them.
pub const MALFORMED_REPLY: &[u8] = &[0x30, 0x81, 0xc8, 0x02, 0x01, 0x01, 0x04, 0x06, 0x70];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_kinds_and_ranges() {
        let specs: Vec<FaultSpec> = [
            "timeout:0-2,7",
            "slow:250:3",
            "reboot-every:30:4-5",
            "malformed:all",
        ]
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
        assert!(faults_of(&specs, 1).timeout);
        assert!(faults_of(&specs, 7).timeout);
        assert!(!faults_of(&specs, 8).timeout);
        assert_eq!(faults_of(&specs, 3).slow, Some(Duration::from_millis(250)));
        assert_eq!(
            faults_of(&specs, 5).reboot_every,
            Some(Duration::from_secs(30))
        );
        assert!(faults_of(&specs, 9999).malformed);
    }

    #[test]
    fn bad_values_name_the_flag_and_the_problem() {
        for (input, expected) in [
            (
                "nap:1",
                "--fault: \"nap:1\": expected timeout:AGENTS, slow:MS:AGENTS, reboot-every:SECS:AGENTS or malformed:AGENTS",
            ),
            (
                "slow:x:1",
                "--fault: \"slow:x:1\": \"x\" is not a number of milliseconds",
            ),
            (
                "timeout:3-1",
                "--fault: \"timeout:3-1\": range \"3-1\" goes backwards",
            ),
            (
                "timeout:a",
                "--fault: \"timeout:a\": \"a\" is not an agent number (agents count from 0)",
            ),
            (
                "reboot-every:0:1",
                "--fault: \"reboot-every:0:1\": the reboot period must be at least 1 second",
            ),
        ] {
            assert_eq!(
                input.parse::<FaultSpec>().unwrap_err().to_string(),
                expected
            );
        }
    }

    #[test]
    fn malformed_reply_is_not_snmp() {
        assert!(crate::snmp::codec::decode_message(MALFORMED_REPLY).is_err());
    }
}
