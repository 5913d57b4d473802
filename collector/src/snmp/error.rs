//! Errors of the SNMP engine. Each names the agent; none carries a secret.

use crate::snmp::Oid;

#[derive(Debug, thiserror::Error)]
pub enum SnmpError {
    #[error("{target}: bad request: {reason}")]
    Config { target: String, reason: String },

    #[error("{target}: cannot resolve host: {source}")]
    Resolve {
        target: String,
        source: std::io::Error,
    },

    #[error("{target}: network error: {source}")]
    Network {
        target: String,
        source: std::io::Error,
    },

    #[error("{target}: timeout: no response after {attempts} attempt(s) of {timeout_secs}s{hint}")]
    Timeout {
        target: String,
        attempts: u32,
        timeout_secs: f64,
        /// What else was seen meanwhile (garbage or unmatched replies), or a likely cause.
        hint: String,
    },

    #[error("{target}: unknown SNMPv3 user {user:?} (usmStatsUnknownUserNames)")]
    UnknownUser { target: String, user: String },

    #[error(
        "{target}: authentication failed for user {user:?}: wrong authentication passphrase or protocol (usmStatsWrongDigests)"
    )]
    WrongDigest { target: String, user: String },

    #[error(
        "{target}: decryption error for user {user:?}: wrong privacy passphrase or protocol (usmStatsDecryptionErrors)"
    )]
    DecryptionError { target: String, user: String },

    #[error(
        "{target}: user {user:?} does not support the requested security level (usmStatsUnsupportedSecLevels)"
    )]
    UnsupportedSecurityLevel { target: String, user: String },

    #[error("{target}: SNMPv3 report: {detail}")]
    Report { target: String, detail: String },

    #[error("{target}: response failed the authentication check: wrong passphrase or protocol?")]
    AuthenticationFailed { target: String },

    #[error("{target}: agent error {status} at varbind {index}{oid}")]
    Agent {
        target: String,
        status: String,
        /// The RFC 3416 error-status number (2 = noSuchName, 5 = genErr, ...).
        code: i32,
        index: u32,
        /// ` (OID x.y.z)` when the agent named one.
        oid: String,
    },

    #[error(
        "{target}: agent error: OID not increasing during walk: {received} came after {previous}"
    )]
    NonIncreasingOid {
        target: String,
        // Boxed: an `Oid` keeps its arcs inline, and every `Result` of the engine carries
        // this error's size.
        previous: Box<Oid>,
        received: Box<Oid>,
    },

    #[error("{target}: malformed response: {detail}")]
    Malformed { target: String, detail: String },

    #[error("{target}: {detail}")]
    Other { target: String, detail: String },
}

impl SnmpError {
    /// A short, stable reason for the `netops_poll_errors_total{reason}` label.
    pub fn reason(&self) -> &'static str {
        match self {
            SnmpError::Config { .. } => "config",
            SnmpError::Resolve { .. } => "resolve",
            SnmpError::Network { .. } => "network",
            SnmpError::Timeout { .. } => "timeout",
            SnmpError::UnknownUser { .. } => "unknown_user",
            SnmpError::WrongDigest { .. } | SnmpError::AuthenticationFailed { .. } => {
                "wrong_digest"
            }
            SnmpError::DecryptionError { .. } => "decryption_error",
            SnmpError::UnsupportedSecurityLevel { .. } => "unsupported_sec_level",
            SnmpError::Report { .. } => "report",
            SnmpError::Agent { .. } => "agent_error",
            SnmpError::NonIncreasingOid { .. } => "non_increasing_oid",
            SnmpError::Malformed { .. } => "malformed",
            SnmpError::Other { .. } => "other",
        }
    }
}
