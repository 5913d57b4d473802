//! SNMPv3 on the agent side: an authoritative USM engine (RFC 3414) for each simulated agent.
//!
//! Why our own and not async-snmp's `agent::Agent`: that agent owns its socket and its
//! request loop, so it could not share one port with our v1/v2c answers, inject faults, or
//! keep to one task per socket for 10,000 agents. The cryptography is not ours: message
//! decoding, HMAC verification and signing, key localization and AES/DES privacy are
//! async-snmp's public primitives (the pinned engine crate). What is here is the USM
//! procedure: discovery and error reports, the time window, and the response.
//!
//! Pure apart from the salt counters: bytes in, bytes out, for a given engine clock.

use crate::sim::SimError;
use crate::sim::store::{Answer, Request};
use crate::snmp::codec::{from_engine_varbinds, to_engine_varbind};
use crate::snmp::{AuthProtocol, Oid, PrivProtocol};
use async_snmp as engine;
use bytes::Bytes;
use engine::message::{
    Message, MsgFlags, MsgGlobalData, ScopedPdu, SecurityLevel, V3Message, V3MessageData,
};
use netops_core::Secret;
use std::sync::atomic::{AtomicU32, Ordering};

/// RFC 3414's time window, in seconds.
const TIME_WINDOW: u32 = 150;

/// `--v3-user NAME:AUTHPROTO:AUTHPASS:PRIVPROTO:PRIVPASS` (authPriv; protocol names as
/// net-snmp spells them: SHA, SHA-512, AES, AES-256, DES, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct V3UserSpec {
    pub name: String,
    pub auth: AuthProtocol,
    pub auth_pass: Secret,
    pub privacy: PrivProtocol,
    pub priv_pass: Secret,
}

impl std::str::FromStr for V3UserSpec {
    type Err = SimError;

    /// Errors name the part that is wrong, never the passphrases.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |reason: String| SimError::Config {
            flag: "--v3-user",
            reason,
        };
        let parts: Vec<&str> = s.splitn(5, ':').collect();
        let [name, auth, auth_pass, privacy, priv_pass] = parts.as_slice() else {
            return Err(err(
                "expected NAME:AUTHPROTO:AUTHPASS:PRIVPROTO:PRIVPASS".into()
            ));
        };
        if name.is_empty() {
            return Err(err("empty user name".into()));
        }
        if auth_pass.len() < 8 || priv_pass.len() < 8 {
            return Err(err(format!(
                "user {name:?}: passphrases must be at least 8 characters"
            )));
        }
        Ok(Self {
            name: name.to_string(),
            auth: auth
                .parse()
                .map_err(|e| err(format!("user {name:?}: {e}")))?,
            auth_pass: Secret::new(*auth_pass),
            privacy: privacy
                .parse()
                .map_err(|e| err(format!("user {name:?}: {e}")))?,
            priv_pass: Secret::new(*priv_pass),
        })
    }
}

/// Master keys of the configured users: the expensive password hashing (1 MB per key),
/// done once for all agents.
pub struct UsmUsers {
    users: Vec<(Bytes, engine::MasterKeys)>,
}

impl std::fmt::Debug for UsmUsers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UsmUsers")
            .field("users", &self.users.len())
            .finish()
    }
}

impl UsmUsers {
    pub fn new(specs: &[V3UserSpec]) -> Result<Self, SimError> {
        let users = specs
            .iter()
            .map(|u| {
                let err = |e: engine::CryptoError| SimError::Config {
                    flag: "--v3-user",
                    reason: format!("user {:?}: {e}", u.name),
                };
                let keys =
                    engine::MasterKeys::new(auth_protocol(u.auth), u.auth_pass.expose().as_bytes())
                        .map_err(err)?
                        .with_privacy(priv_protocol(u.privacy), u.priv_pass.expose().as_bytes())
                        .map_err(err)?;
                Ok((Bytes::from(u.name.clone().into_bytes()), keys))
            })
            .collect::<Result<_, SimError>>()?;
        Ok(Self { users })
    }

    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }
}

fn auth_protocol(p: AuthProtocol) -> engine::AuthProtocol {
    match p {
        AuthProtocol::Md5 => engine::AuthProtocol::Md5,
        AuthProtocol::Sha1 => engine::AuthProtocol::Sha1,
        AuthProtocol::Sha224 => engine::AuthProtocol::Sha224,
        AuthProtocol::Sha256 => engine::AuthProtocol::Sha256,
        AuthProtocol::Sha384 => engine::AuthProtocol::Sha384,
        AuthProtocol::Sha512 => engine::AuthProtocol::Sha512,
    }
}

/// net-snmp extends AES-192/256 keys with the Blumenthal draft.
fn priv_protocol(p: PrivProtocol) -> engine::PrivProtocol {
    match p {
        PrivProtocol::Des => engine::PrivProtocol::Des,
        PrivProtocol::Aes128 => engine::PrivProtocol::Aes128,
        PrivProtocol::Aes192 => engine::PrivProtocol::Aes192Blumenthal,
        PrivProtocol::Aes256 => engine::PrivProtocol::Aes256Blumenthal,
    }
}

/// Privacy salt sources shared by all agents (a salt must never repeat under one key;
/// one process-wide counter guarantees it across agents too).
pub struct Salts {
    aes: engine::v3::SaltCounter,
    des: engine::DesSaltState,
}

impl std::fmt::Debug for Salts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Salts").finish_non_exhaustive()
    }
}

impl Salts {
    pub fn new() -> Result<Self, SimError> {
        let err = |e: &dyn std::fmt::Display| SimError::Config {
            flag: "--v3-user",
            reason: format!("privacy salt state: {e}"),
        };
        Ok(Self {
            aes: engine::v3::SaltCounter::new().map_err(|e| err(&e))?,
            // The simulator keeps no state between runs; its engineBoots restart at 1 too.
            des: engine::DesSaltState::install(|_| Ok::<(), std::io::Error>(()))
                .map_err(|e| err(&e))?,
        })
    }
}

struct UserKeys {
    name: Bytes,
    auth: engine::LocalizedKey,
    privacy: Option<engine::v3::PrivKey>,
}

/// The engine of one agent: its engine ID, its users' localized keys, its usmStats.
pub struct UsmAgent {
    engine_id: Bytes,
    users: Vec<UserKeys>,
    stats: [AtomicU32; 6],
}

impl std::fmt::Debug for UsmAgent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UsmAgent")
            .field("engine_id", &hex::encode(&self.engine_id))
            .finish_non_exhaustive()
    }
}

/// The engine's (boots, time) now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EngineClock {
    pub boots: u32,
    pub time: u32,
}

#[derive(Debug, Clone, Copy)]
enum Stat {
    UnsupportedSecLevels = 0,
    NotInTimeWindows = 1,
    UnknownUserNames = 2,
    UnknownEngineIds = 3,
    WrongDigests = 4,
    DecryptionErrors = 5,
}

/// RFC 3411 engine ID of agent `n`: enterprise 8072 (net-snmp's, as snmpsim does too),
/// format 4 (text), "netops-sim-<n>". Distinct per agent so a client's engine cache keeps
/// them apart.
pub fn engine_id_for(agent: usize) -> Bytes {
    let mut id = vec![0x80, 0x00, 0x1f, 0x88, 0x04];
    id.extend_from_slice(format!("netops-sim-{agent}").as_bytes());
    Bytes::from(id)
}

impl UsmAgent {
    pub fn new(users: &UsmUsers, engine_id: Bytes) -> Result<Self, SimError> {
        let users = users
            .users
            .iter()
            .map(|(name, master)| {
                let (auth, privacy) =
                    master.localize(&engine_id).map_err(|e| SimError::Config {
                        flag: "--v3-user",
                        reason: format!(
                            "localizing keys of {:?}: {e}",
                            String::from_utf8_lossy(name)
                        ),
                    })?;
                Ok(UserKeys {
                    name: name.clone(),
                    auth,
                    privacy,
                })
            })
            .collect::<Result<_, SimError>>()?;
        Ok(Self {
            engine_id,
            users,
            stats: Default::default(),
        })
    }

    pub fn engine_id(&self) -> &[u8] {
        &self.engine_id
    }

    fn bump(&self, stat: Stat) -> u32 {
        self.stats[stat as usize].fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Answers one SNMPv3 datagram: a Response, a Report, or nothing (what cannot be
    /// answered is dropped, as RFC 3412 asks for non-reportable failures).
    pub fn handle(
        &self,
        datagram: &[u8],
        clock: EngineClock,
        salts: &Salts,
        answer: impl FnOnce(Request, &[Oid], usize) -> Answer,
    ) -> Option<Vec<u8>> {
        let Ok(decoded) = Message::decode(
            Bytes::copy_from_slice(datagram),
            engine::DecodeConfig::DEFAULT,
        ) else {
            return None;
        };
        let Message::V3(message) = decoded.value else {
            return None;
        };
        let msg_id = message.msg_id();
        let level = message.security_level();
        let max_size = message.global_data().msg_max_size().as_usize();
        let reportable = message.global_data().msg_flags().reportable;
        let usm = engine::v3::UsmSecurityParams::decode(
            message.security_params().clone(),
            engine::DecodeConfig::DEFAULT,
        )
        .ok()?
        .value;
        // Reports carry the request-id of the request when it can be read (plaintext).
        let plain_request_id = message.pdu().map(|p| p.request_id()).unwrap_or(0);
        let report = |stat: Stat, oid: engine::Oid, user: Option<&UserKeys>| {
            if !reportable {
                return None;
            }
            let count = self.bump(stat);
            self.report(
                msg_id,
                plain_request_id,
                usm.username(),
                oid,
                count,
                clock,
                user,
            )
        };

        if usm.engine_id().as_ref() != self.engine_id.as_ref() {
            // Discovery (empty engine ID) or a message for another engine.
            return report(
                Stat::UnknownEngineIds,
                engine::v3::report_oids::unknown_engine_ids(),
                None,
            );
        }
        let Some(user) = self.users.iter().find(|u| u.name == *usm.username()) else {
            return report(
                Stat::UnknownUserNames,
                engine::v3::report_oids::unknown_user_names(),
                None,
            );
        };
        if level == SecurityLevel::NoAuthNoPriv
            || (level == SecurityLevel::AuthPriv && user.privacy.is_none())
        {
            return report(
                Stat::UnsupportedSecLevels,
                engine::v3::report_oids::unsupported_sec_levels(),
                None,
            );
        }
        let (offset, len) = engine::v3::UsmSecurityParams::find_auth_params_offset(datagram)?;
        if !engine::v3::auth::verify_message(&user.auth, datagram, offset, len).unwrap_or(false) {
            return report(
                Stat::WrongDigests,
                engine::v3::report_oids::wrong_digests(),
                None,
            );
        }
        if usm.engine_boots() != clock.boots || usm.engine_time().abs_diff(clock.time) > TIME_WINDOW
        {
            // Authenticated, so the client may trust the boots and time in it and resync.
            return report(
                Stat::NotInTimeWindows,
                engine::v3::report_oids::not_in_time_windows(),
                Some(user),
            );
        }
        let scoped = match message.data() {
            V3MessageData::Plaintext(scoped) => scoped.clone(),
            V3MessageData::Encrypted(ciphertext) => {
                let privacy = user.privacy.as_ref()?;
                let decrypted = privacy
                    .decrypt(
                        ciphertext,
                        usm.engine_boots(),
                        usm.engine_time(),
                        usm.priv_params(),
                    )
                    .ok();
                let scoped = decrypted.and_then(|plain| {
                    ScopedPdu::decode(&mut engine::ber::Decoder::new(plain)).ok()
                });
                match scoped {
                    Some(s) => s,
                    None => {
                        return report(
                            Stat::DecryptionErrors,
                            engine::v3::report_oids::decryption_errors(),
                            None,
                        );
                    }
                }
            }
        };
        let request = match scoped.pdu.get_bulk_fields() {
            Some((non_repeaters, max_repetitions)) => Request::GetBulk {
                non_repeaters,
                max_repetitions,
            },
            None => match scoped.pdu.pdu_type() {
                engine::PduType::GetRequest => Request::Get,
                engine::PduType::GetNextRequest => Request::GetNext,
                engine::PduType::SetRequest => Request::Set,
                _ => return None,
            },
        };
        let context_name = scoped.context_name.clone();
        let (request_id, _, varbinds) = scoped.pdu.into_raw_parts();
        let oids: Vec<Oid> = from_engine_varbinds(varbinds)
            .into_iter()
            .map(|vb| vb.oid)
            .collect();
        // Leave room for the v3 header, USM parameters, MAC and cipher padding.
        let budget = max_size.min(65_000).saturating_sub(200);
        let a = answer(request, &oids, budget);
        let pdu = engine::Pdu::from_raw_parts(
            request_id,
            engine::PduBody::Standard {
                pdu_type: engine::StandardPduType::Response,
                error_status: a.error_status,
                error_index: a.error_index,
            },
            a.varbinds.iter().map(to_engine_varbind).collect(),
        );
        let scoped = ScopedPdu::new(self.engine_id.clone(), context_name, pdu);
        self.encode(msg_id, level, usm.username(), scoped, clock, user, salts)
    }

    #[allow(clippy::too_many_arguments)]
    fn report(
        &self,
        msg_id: i32,
        request_id: i32,
        username: &Bytes,
        oid: engine::Oid,
        count: u32,
        clock: EngineClock,
        user: Option<&UserKeys>,
    ) -> Option<Vec<u8>> {
        let pdu = engine::Pdu::from_raw_parts(
            request_id,
            engine::PduBody::Standard {
                pdu_type: engine::StandardPduType::Report,
                error_status: 0,
                error_index: 0,
            },
            vec![engine::VarBind::new(oid, engine::Value::Counter32(count))],
        );
        let scoped = ScopedPdu::new(self.engine_id.clone(), Bytes::new(), pdu);
        let level = if user.is_some() {
            SecurityLevel::AuthNoPriv
        } else {
            SecurityLevel::NoAuthNoPriv
        };
        let name = if user.is_some() {
            username.clone()
        } else {
            Bytes::new()
        };
        self.encode_plain(msg_id, level, &name, scoped, clock, user)
    }

    fn encode_plain(
        &self,
        msg_id: i32,
        level: SecurityLevel,
        username: &Bytes,
        scoped: ScopedPdu,
        clock: EngineClock,
        user: Option<&UserKeys>,
    ) -> Option<Vec<u8>> {
        let mut usm = engine::v3::UsmSecurityParams::new(
            self.engine_id.clone(),
            clock.boots,
            clock.time,
            username.clone(),
        )
        .ok()?;
        if let Some(u) = user {
            usm = usm.with_auth_placeholder(u.auth.mac_len()).ok()?;
        }
        let global = MsgGlobalData::new(msg_id, max_size()?, MsgFlags::new(level, false)).ok()?;
        let message = V3Message::new(global, usm.encode().ok()?, scoped).ok()?;
        let mut bytes = message.encode().ok()?.to_vec();
        if let Some(u) = user {
            sign(&u.auth, &mut bytes)?;
        }
        Some(bytes)
    }

    #[allow(clippy::too_many_arguments)]
    fn encode(
        &self,
        msg_id: i32,
        level: SecurityLevel,
        username: &Bytes,
        scoped: ScopedPdu,
        clock: EngineClock,
        user: &UserKeys,
        salts: &Salts,
    ) -> Option<Vec<u8>> {
        if level != SecurityLevel::AuthPriv {
            return self.encode_plain(msg_id, level, username, scoped, clock, Some(user));
        }
        let privacy = user.privacy.as_ref()?;
        let plain = scoped.encode_to_bytes().ok()?;
        let (ciphertext, salt) = match privacy.protocol() {
            engine::PrivProtocol::Des | engine::PrivProtocol::Des3 => {
                privacy.encrypt_des_family(&plain, &salts.des).ok()?
            }
            _ => privacy
                .encrypt_aes(&plain, clock.boots, clock.time, &salts.aes)
                .ok()?,
        };
        let usm = engine::v3::UsmSecurityParams::new(
            self.engine_id.clone(),
            clock.boots,
            clock.time,
            username.clone(),
        )
        .ok()?
        .with_auth_placeholder(user.auth.mac_len())
        .ok()?
        .with_priv_params(salt)
        .ok()?;
        let global = MsgGlobalData::new(msg_id, max_size()?, MsgFlags::new(level, false)).ok()?;
        let message =
            V3Message::new_with_opaque_encrypted_scoped_pdu(global, usm.encode().ok()?, ciphertext)
                .ok()?;
        let mut bytes = message.encode().ok()?.to_vec();
        sign(&user.auth, &mut bytes)?;
        Some(bytes)
    }
}

/// Our msgMaxSize: the largest UDP payload.
fn max_size() -> Option<engine::MessageSize> {
    engine::MessageSize::new(engine::MAX_UDP_PAYLOAD).ok()
}

fn sign(key: &engine::LocalizedKey, bytes: &mut [u8]) -> Option<()> {
    let (offset, len) = engine::v3::UsmSecurityParams::find_auth_params_offset(bytes)?;
    engine::v3::auth::authenticate_message(key, bytes, offset, len).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_spec_parses_net_snmp_names_and_hides_passphrases() {
        let u: V3UserSpec = "ops:SHA-512:authpass123:AES-256:privpass123"
            .parse()
            .unwrap();
        assert_eq!(
            (u.auth, u.privacy),
            (AuthProtocol::Sha512, PrivProtocol::Aes256)
        );
        let e = "ops:SHA:short:AES:privpass123"
            .parse::<V3UserSpec>()
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "--v3-user: user \"ops\": passphrases must be at least 8 characters"
        );
        let e = "ops:SHA3:authpass123:AES:privpass123"
            .parse::<V3UserSpec>()
            .unwrap_err();
        assert!(!e.to_string().contains("authpass123"), "{e}");
        assert!(format!("{u:?}").contains("ops") && !format!("{u:?}").contains("privpass123"));
    }

    #[test]
    fn engine_ids_are_distinct_and_valid() {
        let a = engine_id_for(0);
        let b = engine_id_for(9999);
        assert_ne!(a, b);
        assert!((5..=32).contains(&a.len()) && (5..=32).contains(&b.len()));
    }

    #[test]
    fn garbage_is_dropped() {
        let users = UsmUsers::new(&["u:SHA:authpass123:AES:privpass123".parse().unwrap()]).unwrap();
        let agent = UsmAgent::new(&users, engine_id_for(1)).unwrap();
        let salts = Salts::new().unwrap();
        let clock = EngineClock { boots: 1, time: 0 };
        for bytes in [
            &b""[..],
            &[0x30, 0x03, 0x02, 0x01, 0x03],
            crate::sim::fault::MALFORMED_REPLY,
        ] {
            assert!(
                agent
                    .handle(bytes, clock, &salts, |_, _, _| unreachable_answer())
                    .is_none()
            );
        }
    }

    fn unreachable_answer() -> Answer {
        Answer {
            error_status: 0,
            error_index: 0,
            varbinds: vec![],
        }
    }
}
