//! The SNMP engine: our [`SnmpClient`] implemented with the `async-snmp` crate (pinned in
//! the workspace). This is the only module that names async-snmp types.
//!
//! [`SnmpEngine`] owns one dual-stack UDP socket shared by every agent (requests are matched
//! by request-id), an SNMPv3 engine-ID/time cache, and a cache of localized USM keys, so
//! 10,000 agents cost one socket and one password-to-key derivation per credential set.

use crate::snmp::codec::{from_engine_varbinds, to_engine_oid};
use crate::snmp::{
    AgentAddress, AuthProtocol, Credentials, Oid, PrivProtocol, RequestOptions, SecurityLevel,
    SnmpClient, SnmpError, UsmUser, VarBind, Version,
};
use async_snmp as engine;
use std::sync::Arc;
use std::time::Duration;

#[derive(Clone)]
pub struct SnmpEngine {
    transport: engine::UdpTransport,
    engine_cache: Arc<engine::EngineCache>,
}

impl std::fmt::Debug for SnmpEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SnmpEngine").finish_non_exhaustive()
    }
}

impl SnmpEngine {
    /// Binds the shared socket: `[::]:0` (dual-stack, reaches IPv4 agents too), or
    /// `0.0.0.0:0` on hosts without IPv6.
    pub async fn new() -> Result<Self, SnmpError> {
        let transport = match engine::UdpTransport::bind("[::]:0").await {
            Ok(t) => t,
            Err(_) => {
                engine::UdpTransport::bind("0.0.0.0:0")
                    .await
                    .map_err(|e| SnmpError::Other {
                        target: "local".into(),
                        detail: format!("cannot bind the SNMP client socket: {e}"),
                    })?
            }
        };
        Ok(Self {
            transport,
            engine_cache: Arc::new(engine::EngineCache::new()),
        })
    }

    /// A session with one agent over the shared socket.
    pub async fn session(
        &self,
        address: &AgentAddress,
        credentials: &Credentials,
        options: RequestOptions,
    ) -> Result<Session, SnmpError> {
        let target = address.to_string();
        let peer = resolve(address, &target).await?;
        let client = builder(peer, credentials, options, &target)?
            .engine_cache(self.engine_cache.clone())
            .build_with(&self.transport)
            .await
            .map_err(|e| map_error(&target, credentials, options, &e, None))?;
        Ok(Session::new(
            client,
            peer,
            target,
            credentials,
            options,
            false,
        ))
    }
}

/// A session on a socket of its own. Used by the one-shot CLI: with a private socket, a
/// timeout can say whether garbage or unmatched replies arrived meanwhile.
pub async fn dedicated_session(
    address: &AgentAddress,
    credentials: &Credentials,
    options: RequestOptions,
) -> Result<Session, SnmpError> {
    let target = address.to_string();
    let peer = resolve(address, &target).await?;
    let client = builder(peer, credentials, options, &target)?
        .connect()
        .await
        .map_err(|e| map_error(&target, credentials, options, &e, None))?;
    Ok(Session::new(
        client,
        peer,
        target,
        credentials,
        options,
        true,
    ))
}

async fn resolve(address: &AgentAddress, target: &str) -> Result<std::net::SocketAddr, SnmpError> {
    address
        .resolve()
        .await
        .map_err(|source| SnmpError::Resolve {
            target: target.to_string(),
            source,
        })
}

fn builder(
    peer: std::net::SocketAddr,
    credentials: &Credentials,
    options: RequestOptions,
    target: &str,
) -> Result<engine::TargetClientBuilder, SnmpError> {
    credentials.validate().map_err(|reason| SnmpError::Config {
        target: target.to_string(),
        reason,
    })?;
    let retry =
        engine::Retry::fixed(options.retries, Duration::ZERO).map_err(|e| SnmpError::Config {
            target: target.to_string(),
            reason: format!("retries: {e}"),
        })?;
    let mut builder = engine::Client::builder(peer, to_engine_auth(credentials, target)?)
        .request_timeout(options.timeout)
        .retry(retry);
    if let Credentials::Usm(UsmUser {
        level: SecurityLevel::AuthPriv,
        privacy: Some((PrivProtocol::Des, _)),
        ..
    }) = credentials
    {
        builder = builder.des_salt_state(des_salt_state(target)?);
    }
    Ok(builder)
}

/// DES privacy salts are `local boots epoch || counter`; reusing an epoch with the same key
/// would reuse IVs. netops keeps no state file for a legacy cipher, so each process starts
/// from a random epoch (a repeat needs two runs to draw the same 31-bit number).
fn des_salt_state(target: &str) -> Result<engine::DesSaltState, SnmpError> {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    let epoch = 1 + (hasher.finish() % 0x7fff_0000) as u32;
    let config_error = |e: &dyn std::fmt::Display| SnmpError::Config {
        target: target.to_string(),
        reason: format!("DES privacy state: {e}"),
    };
    let previous = engine::PersistedDesSaltState::new(epoch).map_err(|e| config_error(&e))?;
    engine::DesSaltState::restart(previous, |_| Ok::<(), std::io::Error>(()))
        .map_err(|e| config_error(&e))
}

fn to_engine_auth(credentials: &Credentials, target: &str) -> Result<engine::Auth, SnmpError> {
    Ok(match credentials {
        Credentials::Community { version, community } => match version {
            Version::V1 => engine::Auth::v1(community.expose()),
            _ => engine::Auth::v2c(community.expose()),
        },
        Credentials::Usm(user) => {
            let config = engine::UsmConfig::new(user.name.clone().into_bytes());
            let config = match (user.level, &user.auth, &user.privacy) {
                (SecurityLevel::NoAuthNoPriv, _, _) => Ok(config),
                (SecurityLevel::AuthNoPriv, Some((a, ap)), _) => {
                    config.auth(auth_protocol(*a), ap.expose())
                }
                (SecurityLevel::AuthPriv, Some((a, ap)), Some((p, pp))) => config.auth_priv(
                    auth_protocol(*a),
                    ap.expose(),
                    priv_protocol(*p),
                    pp.expose(),
                ),
                _ => {
                    return Err(SnmpError::Config {
                        target: target.to_string(),
                        reason: "security level and passphrases do not match".into(),
                    });
                }
            }
            .map_err(|e| SnmpError::Config {
                target: target.to_string(),
                reason: format!("SNMPv3 user {:?}: {e}", user.name),
            })?;
            engine::Auth::from(config.context_name(user.context.clone().into_bytes()))
        }
    })
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

fn priv_protocol(p: PrivProtocol) -> engine::PrivProtocol {
    // net-snmp's AES-192/AES-256 extend the localized key as in draft-blumenthal-aes-usm-04.
    match p {
        PrivProtocol::Des => engine::PrivProtocol::Des,
        PrivProtocol::Aes128 => engine::PrivProtocol::Aes128,
        PrivProtocol::Aes192 => engine::PrivProtocol::Aes192Blumenthal,
        PrivProtocol::Aes256 => engine::PrivProtocol::Aes256Blumenthal,
    }
}

/// One agent's session. Cheap to keep for the life of a target.
pub struct Session {
    client: engine::Client<engine::UdpHandle>,
    peer: std::net::SocketAddr,
    usm: Option<UsmUser>,
    target: String,
    version: Version,
    user: String,
    credentials_kind: CredentialsKind,
    options: RequestOptions,
    dedicated_socket: bool,
}

#[derive(Clone, Copy)]
enum CredentialsKind {
    Community,
    Usm,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("target", &self.target)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

impl Session {
    fn new(
        client: engine::Client<engine::UdpHandle>,
        peer: std::net::SocketAddr,
        target: String,
        credentials: &Credentials,
        options: RequestOptions,
        dedicated_socket: bool,
    ) -> Self {
        let (user, credentials_kind) = match credentials {
            Credentials::Community { .. } => (String::new(), CredentialsKind::Community),
            Credentials::Usm(u) => (u.name.clone(), CredentialsKind::Usm),
        };
        Self {
            client,
            peer,
            usm: match credentials {
                Credentials::Usm(u) => Some(u.clone()),
                Credentials::Community { .. } => None,
            },
            target,
            version: credentials.version(),
            user,
            credentials_kind,
            options,
            dedicated_socket,
        }
    }

    fn stats(&self) -> Option<engine::UdpStats> {
        self.dedicated_socket.then(|| self.client.stats())
    }

    /// Runs one exchange. If the agent answers that our engine time is stale or that it
    /// does not know our engine ID (it rebooted, or was replaced), the engine is discovered
    /// again and the request retried once, so a reboot never leaves the target stuck.
    async fn exchange<T, F, Fut>(&self, op: F) -> Result<T, SnmpError>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = engine::Result<T>>,
    {
        let before = self.stats();
        let first = op().await;
        let result = match first {
            Err(e) if self.version == Version::V3 && is_resync_report(&e) => {
                tracing::debug!(target = %self.target, "SNMPv3 engine changed; discovering again");
                self.client
                    .rediscover_engine()
                    .await
                    .map_err(|e| self.map(&e, before))?;
                op().await
            }
            other => other,
        };
        let err = match result {
            Ok(v) => return Ok(v),
            Err(e) => self.map(&e, before),
        };
        if !matches!(err, SnmpError::Timeout { .. }) || self.usm.is_none() {
            return Err(err);
        }
        // SNMPv3 timeout. Agents answer an unknown user, a wrong digest or a stale engine ID
        // with an unauthenticated Report, which a careful client must not trust as a response
        // (it could be forged), and a wrong privacy passphrase with silence. So ask again in
        // ways whose answers can be read.
        match self.probe(SecurityLevel::NoAuthNoPriv).await {
            Probe::NoAnswer => return Err(err),
            Probe::Failed(e)
                if is_report(&e, |s| {
                    matches!(s, engine::v3::ReportStatus::UnknownUserName { .. })
                }) =>
            {
                return Err(SnmpError::UnknownUser {
                    target: self.target.clone(),
                    user: self.user.clone(),
                });
            }
            _ => {}
        }
        // The agent is up and knows the user. It may have restarted with a new engine ID or
        // boot counter: discover it again and retry once.
        if self.client.rediscover_engine().await.is_ok()
            && let Ok(v) = op().await
        {
            tracing::info!(target = %self.target, "SNMPv3 agent engine changed; discovered again");
            return Ok(v);
        }
        let (target, user) = (self.target.clone(), self.user.clone());
        let level = self
            .usm
            .as_ref()
            .map_or(SecurityLevel::NoAuthNoPriv, |u| u.level);
        if level == SecurityLevel::NoAuthNoPriv {
            return Err(err);
        }
        match self.probe(SecurityLevel::AuthNoPriv).await {
            // No authenticated answer at all: our authentication key does not verify.
            Probe::NoAnswer => Err(SnmpError::WrongDigest { target, user }),
            Probe::Failed(e) if matches!(e.exchange_source(), engine::Error::Auth { .. }) => {
                Err(SnmpError::WrongDigest { target, user })
            }
            // Any authenticated answer (data, an error status, a Report) proves the key.
            _ if level == SecurityLevel::AuthPriv => {
                Err(SnmpError::DecryptionError { target, user })
            }
            _ => Err(err),
        }
    }

    /// One short GET of sysUpTime.0 on a fresh socket with a fresh engine discovery, at
    /// `level` with this session's user (privacy dropped).
    async fn probe(&self, level: SecurityLevel) -> Probe {
        let Some(user) = self.usm.as_ref() else {
            return Probe::NoAnswer;
        };
        let creds = Credentials::Usm(UsmUser {
            level,
            privacy: None,
            ..user.clone()
        });
        let options = RequestOptions {
            timeout: self.options.timeout.min(Duration::from_secs(1)),
            retries: 0,
            max_repetitions: 1,
        };
        let Ok(b) = builder(self.peer, &creds, options, &self.target) else {
            return Probe::NoAnswer;
        };
        let result = match b.connect().await {
            Ok(client) => client
                .get(&engine::Oid::from_slice(&[1, 3, 6, 1, 2, 1, 1, 3, 0]))
                .await
                .map(|_| ()),
            Err(e) => Err(e),
        };
        match result {
            Ok(()) => Probe::Answered,
            Err(e) if matches!(e.exchange_source(), engine::Error::Timeout { .. }) => {
                Probe::NoAnswer
            }
            Err(e) => Probe::Failed(e),
        }
    }

    fn map(&self, e: &engine::Error, before: Option<engine::UdpStats>) -> SnmpError {
        let delta = before.zip(self.stats()).map(|(b, a)| StatsDelta {
            malformed: a.malformed_datagrams.saturating_sub(b.malformed_datagrams),
            unmatched: a.discarded_datagrams.saturating_sub(b.discarded_datagrams),
        });
        let mut err = map_error_kind(
            &self.target,
            self.credentials_kind,
            &self.user,
            self.options,
            e,
            delta,
        );
        if let SnmpError::Timeout { .. } = err {
            return err;
        }
        if let SnmpError::Other { detail, .. } = &mut err {
            detail.push_str(&format!(" (SNMP v{})", self.version));
        }
        err
    }
}

enum Probe {
    Answered,
    NoAnswer,
    Failed(Box<engine::Error>),
}

fn is_report(e: &engine::Error, pred: impl Fn(&engine::v3::ReportStatus) -> bool) -> bool {
    matches!(e.exchange_source(), engine::Error::Report { status, .. } if pred(status))
}

fn is_resync_report(e: &engine::Error) -> bool {
    matches!(
        e.exchange_source(),
        engine::Error::Report { status, .. }
            if matches!(**status, engine::v3::ReportStatus::NotInTimeWindow { .. } | engine::v3::ReportStatus::UnknownEngineId { .. })
    )
}

#[derive(Clone, Copy)]
struct StatsDelta {
    malformed: u64,
    unmatched: u64,
}

fn map_error(
    target: &str,
    credentials: &Credentials,
    options: RequestOptions,
    e: &engine::Error,
    delta: Option<StatsDelta>,
) -> SnmpError {
    let (user, kind) = match credentials {
        Credentials::Community { .. } => ("", CredentialsKind::Community),
        Credentials::Usm(u) => (u.name.as_str(), CredentialsKind::Usm),
    };
    map_error_kind(target, kind, user, options, e, delta)
}

fn map_error_kind(
    target: &str,
    kind: CredentialsKind,
    user: &str,
    options: RequestOptions,
    e: &engine::Error,
    delta: Option<StatsDelta>,
) -> SnmpError {
    let target_s = target.to_string();
    let user_s = user.to_string();
    match e.exchange_source() {
        engine::Error::Timeout { .. } => {
            let hint = match delta {
                Some(d) if d.malformed > 0 => format!(
                    "; {} reply datagram(s) from the agent could not be parsed (garbage or not SNMP)",
                    d.malformed
                ),
                Some(d) if d.unmatched > 0 => format!(
                    "; {} reply datagram(s) did not match the request (wrong request-id, version or community)",
                    d.unmatched
                ),
                _ => match kind {
                    CredentialsKind::Community => {
                        " (agent down, wrong port, or wrong community?)".to_string()
                    }
                    CredentialsKind::Usm => " (agent down or wrong port?)".to_string(),
                },
            };
            SnmpError::Timeout {
                target: target_s,
                attempts: options.retries + 1,
                timeout_secs: options.timeout.as_secs_f64(),
                hint,
            }
        }
        engine::Error::Report { status, .. } => match **status {
            engine::v3::ReportStatus::UnknownUserName { .. } => SnmpError::UnknownUser {
                target: target_s,
                user: user_s,
            },
            engine::v3::ReportStatus::WrongDigest { .. } => SnmpError::WrongDigest {
                target: target_s,
                user: user_s,
            },
            engine::v3::ReportStatus::DecryptionError { .. } => SnmpError::DecryptionError {
                target: target_s,
                user: user_s,
            },
            engine::v3::ReportStatus::UnsupportedSecurityLevel { .. } => {
                SnmpError::UnsupportedSecurityLevel {
                    target: target_s,
                    user: user_s,
                }
            }
            ref other => SnmpError::Report {
                target: target_s,
                detail: other.to_string(),
            },
        },
        engine::Error::Auth { .. } => SnmpError::AuthenticationFailed { target: target_s },
        engine::Error::Snmp {
            status, index, oid, ..
        } => SnmpError::Agent {
            target: target_s,
            status: status.to_string(),
            code: status.as_i32(),
            index: *index,
            oid: oid
                .as_ref()
                .map(|o| format!(" (OID {o})"))
                .unwrap_or_default(),
        },
        engine::Error::Network { source, .. } => SnmpError::Network {
            target: target_s,
            source: std::io::Error::new(source.kind(), source.to_string()),
        },
        engine::Error::Decode(d) => SnmpError::Malformed {
            target: target_s,
            detail: d.to_string(),
        },
        engine::Error::MalformedResponse { .. } | engine::Error::ResponseShape { .. } => {
            SnmpError::Malformed {
                target: target_s,
                detail: e.to_string(),
            }
        }
        engine::Error::Config(reason) => SnmpError::Config {
            target: target_s,
            reason: reason.to_string(),
        },
        other => SnmpError::Other {
            target: target_s,
            detail: other.to_string(),
        },
    }
}

fn to_engine_oids(oids: &[Oid]) -> Vec<engine::Oid> {
    oids.iter().map(to_engine_oid).collect()
}

impl SnmpClient for Session {
    fn target(&self) -> &str {
        &self.target
    }

    fn version(&self) -> Version {
        self.version
    }

    async fn get(&self, oids: &[Oid]) -> Result<Vec<VarBind>, SnmpError> {
        let oids = to_engine_oids(oids);
        self.exchange(|| async { self.client.get_many(&oids).await.map(|r| r.varbinds) })
            .await
            .map(from_engine_varbinds)
    }

    async fn get_next(&self, oids: &[Oid]) -> Result<Vec<VarBind>, SnmpError> {
        let oids = to_engine_oids(oids);
        self.exchange(|| async { self.client.get_next_many(&oids).await.map(|r| r.varbinds) })
            .await
            .map(from_engine_varbinds)
    }

    async fn get_bulk(
        &self,
        oids: &[Oid],
        non_repeaters: u32,
        max_repetitions: u32,
    ) -> Result<Vec<VarBind>, SnmpError> {
        if self.version == Version::V1 {
            return Err(SnmpError::Config {
                target: self.target.clone(),
                reason: "GETBULK does not exist in SNMPv1".into(),
            });
        }
        let oids = to_engine_oids(oids);
        self.exchange(|| async {
            self.client
                .get_bulk(&oids, non_repeaters, max_repetitions)
                .await
        })
        .await
        .map(from_engine_varbinds)
    }
}
