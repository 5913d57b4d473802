//! What an injection does besides being recorded. Where possible it goes through the real
//! detection path, so a drill also tests the pipeline:
//!
//! | kind | effect |
//! |---|---|
//! | `link-down` | one SNMPv2c linkDown trap (`1.3.6.1.6.3.1.1.5.3`) to the daemon's own trap listener, with `ifIndex`, `ifAdminStatus`=up, `ifOperStatus`=down and, for IPv4 targets, `snmpTrapAddress.0` = the target |
//! | `auth-failure-burst` | N authenticationFailure traps (`1.3.6.1.6.3.1.1.5.5`) to the same listener |
//! | `port-scan` | TCP connects to each port of a configured range on the target, which must be an address inside the drill's scope (a drill tool never scans outside it) |
//! | `probe-loss` | nothing: it only records the ground-truth time; the operator breaks the path and the daemon's probes see the loss |
//!
//! The trap listener reports the UDP sender as the trap's `source`: the daemon sends from
//! its own address, so trap-based alerts name the daemon, not the target, unless the
//! listener honours `snmpTrapAddress.0` (which these traps carry for proxies that do).
//!
//! Trap encoding ([`encode_trap_v2`]) is pure; sockets live in [`perform`]. The encoder is
//! built on `async-snmp` directly (library crates never depend on each other, so the
//! collector's codec is not used here).

use super::Cidr;
use async_snmp::message::CommunityMessage;
use async_snmp::{Oid, Pdu, PduBody, StandardPduType, Value, VarBind};
use bytes::Bytes;
use netops_core::Secret;
use serde::Serialize;
use std::net::{IpAddr, SocketAddr};
use std::ops::RangeInclusive;
use std::str::FromStr;
use std::time::Duration;

pub const SYS_UPTIME_0: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 3, 0];
pub const SNMP_TRAP_OID_0: &[u32] = &[1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0];
pub const SNMP_TRAP_ADDRESS_0: &[u32] = &[1, 3, 6, 1, 6, 3, 18, 1, 3, 0];
pub const LINK_DOWN: &[u32] = &[1, 3, 6, 1, 6, 3, 1, 1, 5, 3];
pub const AUTHENTICATION_FAILURE: &[u32] = &[1, 3, 6, 1, 6, 3, 1, 1, 5, 5];
const IF_INDEX: &[u32] = &[1, 3, 6, 1, 2, 1, 2, 2, 1, 1];
const IF_ADMIN_STATUS: &[u32] = &[1, 3, 6, 1, 2, 1, 2, 2, 1, 7];
const IF_OPER_STATUS: &[u32] = &[1, 3, 6, 1, 2, 1, 2, 2, 1, 8];

/// The injection kinds the API knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum InjectionKind {
    LinkDown,
    AuthFailureBurst,
    PortScan,
    ProbeLoss,
}

impl InjectionKind {
    pub const ALL: [InjectionKind; 4] = [
        Self::LinkDown,
        Self::AuthFailureBurst,
        Self::PortScan,
        Self::ProbeLoss,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::LinkDown => "link-down",
            Self::AuthFailureBurst => "auth-failure-burst",
            Self::PortScan => "port-scan",
            Self::ProbeLoss => "probe-loss",
        }
    }
}

impl FromStr for InjectionKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                let known: Vec<&str> = Self::ALL.iter().map(|k| k.as_str()).collect();
                format!("unknown injection kind {s:?}; known: {}", known.join(", "))
            })
    }
}

/// How injections reach the real path (from the daemon's config).
#[derive(Debug, Clone)]
pub struct InjectorConfig {
    /// The daemon's own trap listener; trap kinds are refused when it is not set.
    pub trap_addr: Option<SocketAddr>,
    /// A community the listener accepts.
    pub community: Secret,
    /// Traps per `auth-failure-burst`.
    pub auth_failure_count: u32,
    /// Ports a `port-scan` connects to.
    pub port_scan_ports: RangeInclusive<u16>,
    /// Per-connect timeout of a `port-scan` (filtered ports never answer).
    pub connect_timeout: Duration,
}

impl Default for InjectorConfig {
    fn default() -> Self {
        Self {
            trap_addr: None,
            community: Secret::new("public"),
            auth_failure_count: 10,
            port_scan_ports: 1..=1024,
            connect_timeout: Duration::from_millis(500),
        }
    }
}

/// What an injection did.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Effect {
    /// One line for the operator.
    pub action: String,
    pub traps_sent: u32,
    pub ports_tried: u32,
    pub ports_open: u32,
    /// Set when the effect could not be (fully) carried out; the injection stays recorded.
    pub error: Option<String>,
}

/// An SNMPv2c TrapV2 PDU: `sysUpTime.0`, `snmpTrapOID.0`, then `extra`.
pub fn encode_trap_v2(
    community: &str,
    request_id: i32,
    uptime_ticks: u32,
    trap_oid: &[u32],
    extra: Vec<VarBind>,
) -> Result<Bytes, String> {
    let mut varbinds = vec![
        VarBind::new(
            Oid::from_slice(SYS_UPTIME_0),
            Value::TimeTicks(uptime_ticks),
        ),
        VarBind::new(
            Oid::from_slice(SNMP_TRAP_OID_0),
            Value::ObjectIdentifier(Oid::from_slice(trap_oid)),
        ),
    ];
    varbinds.extend(extra);
    let pdu = Pdu::from_raw_parts(
        request_id,
        PduBody::Standard {
            pdu_type: StandardPduType::TrapV2,
            error_status: 0,
            error_index: 0,
        },
        varbinds,
    );
    CommunityMessage::v2c(community.as_bytes().to_vec(), pdu)
        .and_then(|m| m.encode())
        .map_err(|e| format!("encoding trap: {e}"))
}

fn target_ip(target: &str) -> Option<IpAddr> {
    super::parse_ip(target)
}

fn trap_address(target: &str) -> Vec<VarBind> {
    match target_ip(target) {
        Some(IpAddr::V4(v4)) => vec![VarBind::new(
            Oid::from_slice(SNMP_TRAP_ADDRESS_0),
            Value::IpAddress(v4.octets()),
        )],
        _ => Vec::new(),
    }
}

/// The linkDown trap for `target`'s interface `if_index`.
pub fn link_down_trap(
    community: &str,
    request_id: i32,
    uptime_ticks: u32,
    target: &str,
    if_index: u32,
) -> Result<Bytes, String> {
    let index = i32::try_from(if_index).map_err(|_| format!("ifIndex {if_index} too large"))?;
    let col = |base: &[u32]| {
        let mut arcs = base.to_vec();
        arcs.push(if_index);
        Oid::from_slice(&arcs)
    };
    let mut extra = vec![
        VarBind::new(col(IF_INDEX), Value::Integer(index)),
        VarBind::new(col(IF_ADMIN_STATUS), Value::Integer(1)),
        VarBind::new(col(IF_OPER_STATUS), Value::Integer(2)),
    ];
    extra.extend(trap_address(target));
    encode_trap_v2(community, request_id, uptime_ticks, LINK_DOWN, extra)
}

/// The authenticationFailure trap naming `target`.
pub fn auth_failure_trap(
    community: &str,
    request_id: i32,
    uptime_ticks: u32,
    target: &str,
) -> Result<Bytes, String> {
    encode_trap_v2(
        community,
        request_id,
        uptime_ticks,
        AUTHENTICATION_FAILURE,
        trap_address(target),
    )
}

/// Checks that `kind` can be carried out for `target` before it is recorded.
pub fn check(
    kind: InjectionKind,
    target: &str,
    scope: &[Cidr],
    cfg: &InjectorConfig,
) -> Result<(), String> {
    if target.trim().is_empty() {
        return Err("target must not be empty".into());
    }
    match kind {
        InjectionKind::LinkDown | InjectionKind::AuthFailureBurst if cfg.trap_addr.is_none() => {
            Err(format!(
                "{} sends traps to the daemon's trap listener, which is not configured",
                kind.as_str()
            ))
        }
        InjectionKind::PortScan => {
            let ip = target_ip(target)
                .ok_or_else(|| format!("port-scan needs an IP address target, not {target:?}"))?;
            if !scope.iter().any(|c| c.contains(ip)) {
                return Err(format!(
                    "port-scan target {ip} is outside the drill's scope; only scope addresses are scanned"
                ));
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Carries out an injection (after [`check`]). Failures land in [`Effect::error`].
pub async fn perform(
    kind: InjectionKind,
    target: &str,
    if_index: u32,
    uptime_ticks: u32,
    cfg: &InjectorConfig,
) -> Effect {
    match kind {
        InjectionKind::LinkDown => {
            let mut effect = Effect {
                action: format!("linkDown trap (ifIndex {if_index}) for {target}"),
                ..Effect::default()
            };
            let trap = link_down_trap(cfg.community.expose(), 1, uptime_ticks, target, if_index);
            send_traps(&mut effect, cfg, trap.map(|t| vec![t])).await;
            effect
        }
        InjectionKind::AuthFailureBurst => {
            let n = cfg.auth_failure_count;
            let mut effect = Effect {
                action: format!("{n} authenticationFailure traps for {target}"),
                ..Effect::default()
            };
            let traps: Result<Vec<Bytes>, String> = (0..n)
                .map(|i| {
                    auth_failure_trap(
                        cfg.community.expose(),
                        i32::try_from(i).unwrap_or(i32::MAX).saturating_add(1),
                        uptime_ticks,
                        target,
                    )
                })
                .collect();
            send_traps(&mut effect, cfg, traps).await;
            effect
        }
        InjectionKind::PortScan => port_scan(target, cfg).await,
        InjectionKind::ProbeLoss => Effect {
            action: format!(
                "recorded only: break the path to {target}; the daemon's probes detect the loss"
            ),
            ..Effect::default()
        },
    }
}

async fn send_traps(effect: &mut Effect, cfg: &InjectorConfig, traps: Result<Vec<Bytes>, String>) {
    let Some(dest) = cfg.trap_addr else {
        effect.error = Some("no trap listener configured".into());
        return;
    };
    let traps = match traps {
        Ok(t) => t,
        Err(e) => {
            effect.error = Some(e);
            return;
        }
    };
    let bind: SocketAddr = if dest.is_ipv4() {
        ([0, 0, 0, 0], 0).into()
    } else {
        ([0u16; 8], 0).into()
    };
    let socket = match tokio::net::UdpSocket::bind(bind).await {
        Ok(s) => s,
        Err(e) => {
            effect.error = Some(format!("binding a UDP socket to send traps: {e}"));
            return;
        }
    };
    for t in traps {
        match socket.send_to(&t, dest).await {
            Ok(_) => effect.traps_sent += 1,
            Err(e) => {
                effect.error = Some(format!("sending trap to {dest}: {e}"));
                return;
            }
        }
    }
}

/// Connects to each port, a bounded number at a time; an accepted connection is closed at
/// once (a connect scan, as nmap -sT does).
async fn port_scan(target: &str, cfg: &InjectorConfig) -> Effect {
    const PARALLEL: usize = 64;
    let mut effect = Effect {
        action: format!(
            "TCP connect scan of {target} ports {}-{}",
            cfg.port_scan_ports.start(),
            cfg.port_scan_ports.end()
        ),
        ..Effect::default()
    };
    let Some(ip) = target_ip(target) else {
        effect.error = Some(format!("{target:?} is not an IP address"));
        return effect;
    };
    let ports: Vec<u16> = cfg.port_scan_ports.clone().collect();
    for chunk in ports.chunks(PARALLEL) {
        let mut set = tokio::task::JoinSet::new();
        for &port in chunk {
            let timeout = cfg.connect_timeout;
            set.spawn(async move {
                matches!(
                    tokio::time::timeout(timeout, tokio::net::TcpStream::connect((ip, port))).await,
                    Ok(Ok(_))
                )
            });
        }
        while let Some(open) = set.join_next().await {
            effect.ports_tried += 1;
            if matches!(open, Ok(true)) {
                effect.ports_open += 1;
            }
        }
    }
    effect
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_snmp::DecodeConfig;

    #[test]
    fn kinds_round_trip_and_unknown_is_named() {
        for k in InjectionKind::ALL {
            assert_eq!(k.as_str().parse::<InjectionKind>(), Ok(k));
        }
        let err = "ddos".parse::<InjectionKind>().unwrap_err();
        assert!(
            err.contains("\"ddos\"") && err.contains("port-scan"),
            "{err}"
        );
    }

    #[test]
    fn link_down_trap_decodes_with_its_varbinds() {
        let bytes = link_down_trap("drill", 7, 4200, "10.20.0.5", 3).unwrap();
        let msg = CommunityMessage::decode(bytes, DecodeConfig::DEFAULT)
            .unwrap()
            .value;
        assert_eq!(msg.community().as_bytes(), b"drill");
        let (id, body, vbs) = msg.into_pdu().unwrap().into_raw_parts();
        assert_eq!(id, 7);
        assert!(matches!(
            body,
            PduBody::Standard {
                pdu_type: StandardPduType::TrapV2,
                ..
            }
        ));
        assert_eq!(vbs[0].value, Value::TimeTicks(4200));
        assert_eq!(
            vbs[1].value,
            Value::ObjectIdentifier(Oid::from_slice(LINK_DOWN))
        );
        assert_eq!(vbs[4].value, Value::Integer(2), "ifOperStatus down");
        assert_eq!(vbs[5].value, Value::IpAddress([10, 20, 0, 5]));
    }

    #[test]
    fn port_scan_only_inside_scope() {
        let cfg = InjectorConfig::default();
        let scope: Vec<Cidr> = vec!["127.0.0.0/8".parse().unwrap()];
        assert!(check(InjectionKind::PortScan, "127.0.0.1", &scope, &cfg).is_ok());
        assert!(check(InjectionKind::PortScan, "192.0.2.1", &scope, &cfg).is_err());
        assert!(check(InjectionKind::PortScan, "router-1", &scope, &cfg).is_err());
        assert!(check(InjectionKind::PortScan, "127.0.0.1", &[], &cfg).is_err());
        // Trap kinds need the listener.
        assert!(check(InjectionKind::LinkDown, "10.0.0.1", &[], &cfg).is_err());
        assert!(check(InjectionKind::ProbeLoss, "10.0.0.1", &[], &cfg).is_ok());
    }
}
