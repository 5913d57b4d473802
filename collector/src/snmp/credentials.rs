//! How to talk to one agent: SNMP version and credentials, with the protocol names net-snmp
//! accepts (`SHA`, `SHA-512`, `AES256`, `AES-256`, ...). Passwords and communities are
//! [`Secret`]s: they never show in logs or errors.

use netops_core::Secret;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Version {
    V1,
    V2c,
    V3,
}

impl FromStr for Version {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "1" | "v1" => Ok(Version::V1),
            "2c" | "v2c" | "2" => Ok(Version::V2c),
            "3" | "v3" => Ok(Version::V3),
            _ => Err(format!("unknown SNMP version {s:?} (expected 1, 2c or 3)")),
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Version::V1 => "1",
            Version::V2c => "2c",
            Version::V3 => "3",
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SecurityLevel {
    NoAuthNoPriv,
    AuthNoPriv,
    AuthPriv,
}

impl FromStr for SecurityLevel {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "noauthnopriv" | "noauth" | "nanp" => Ok(SecurityLevel::NoAuthNoPriv),
            "authnopriv" | "auth" | "anp" => Ok(SecurityLevel::AuthNoPriv),
            "authpriv" | "priv" | "ap" => Ok(SecurityLevel::AuthPriv),
            _ => Err(format!(
                "unknown security level {s:?} (expected noAuthNoPriv, authNoPriv or authPriv)"
            )),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthProtocol {
    Md5,
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
}

/// Normalizes net-snmp spellings: case-insensitive, `-` and `_` ignored (`SHA-512` = `sha512`).
fn normalize(s: &str) -> String {
    s.chars()
        .filter(|c| *c != '-' && *c != '_')
        .flat_map(char::to_uppercase)
        .collect()
}

impl FromStr for AuthProtocol {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match normalize(s).as_str() {
            "MD5" => Ok(AuthProtocol::Md5),
            "SHA" | "SHA1" => Ok(AuthProtocol::Sha1),
            "SHA224" => Ok(AuthProtocol::Sha224),
            "SHA256" => Ok(AuthProtocol::Sha256),
            "SHA384" => Ok(AuthProtocol::Sha384),
            "SHA512" => Ok(AuthProtocol::Sha512),
            _ => Err(format!(
                "unknown authentication protocol {s:?} (expected MD5, SHA, SHA224, SHA256, SHA384 or SHA512)"
            )),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PrivProtocol {
    Des,
    Aes128,
    /// AES-192 with the key extension net-snmp uses (draft-blumenthal-aes-usm-04).
    Aes192,
    /// AES-256 with the key extension net-snmp uses (draft-blumenthal-aes-usm-04).
    Aes256,
}

impl FromStr for PrivProtocol {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match normalize(s).as_str() {
            "DES" => Ok(PrivProtocol::Des),
            "AES" | "AES128" => Ok(PrivProtocol::Aes128),
            "AES192" => Ok(PrivProtocol::Aes192),
            "AES256" => Ok(PrivProtocol::Aes256),
            _ => Err(format!(
                "unknown privacy protocol {s:?} (expected DES, AES, AES192 or AES256)"
            )),
        }
    }
}

/// SNMPv3 USM parameters of one user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsmUser {
    pub name: String,
    pub level: SecurityLevel,
    pub auth: Option<(AuthProtocol, Secret)>,
    pub privacy: Option<(PrivProtocol, Secret)>,
    pub context: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credentials {
    Community { version: Version, community: Secret },
    Usm(UsmUser),
}

impl Credentials {
    pub fn v2c(community: &str) -> Self {
        Credentials::Community {
            version: Version::V2c,
            community: Secret::new(community),
        }
    }

    pub fn version(&self) -> Version {
        match self {
            Credentials::Community { version, .. } => *version,
            Credentials::Usm(_) => Version::V3,
        }
    }

    /// Checks that the pieces fit together before any packet is sent (net-snmp only finds
    /// out from the agent's Report).
    pub fn validate(&self) -> Result<(), String> {
        let Credentials::Usm(user) = self else {
            return Ok(());
        };
        if user.name.is_empty() {
            return Err("SNMPv3 needs a user name (-u)".into());
        }
        let needs_auth = user.level != SecurityLevel::NoAuthNoPriv;
        let needs_priv = user.level == SecurityLevel::AuthPriv;
        match (&user.auth, needs_auth) {
            (None, true) => {
                return Err(format!(
                    "security level {:?} needs an authentication passphrase (-A)",
                    user.level
                ));
            }
            (Some((_, pass)), true) if pass.expose().len() < 8 => {
                return Err("the authentication passphrase must be at least 8 characters".into());
            }
            _ => {}
        }
        match (&user.privacy, needs_priv) {
            (None, true) => Err("security level authPriv needs a privacy passphrase (-X)".into()),
            (Some((_, pass)), true) if pass.expose().len() < 8 => {
                Err("the privacy passphrase must be at least 8 characters".into())
            }
            _ => Ok(()),
        }
    }
}

/// Per-request behaviour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestOptions {
    /// How long to wait for each attempt.
    pub timeout: Duration,
    /// Extra attempts after the first one times out.
    pub retries: u32,
    /// GETBULK max-repetitions for walks.
    pub max_repetitions: u32,
}

impl Default for RequestOptions {
    /// net-snmp's defaults: 1 s timeout, 5 retries; 10 repetitions per GETBULK.
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(1),
            retries: 5,
            max_repetitions: 10,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn net_snmp_spellings() {
        assert_eq!("SHA-512".parse(), Ok(AuthProtocol::Sha512));
        assert_eq!("sha".parse(), Ok(AuthProtocol::Sha1));
        assert_eq!("SHA224".parse(), Ok(AuthProtocol::Sha224));
        assert_eq!("AES-256".parse(), Ok(PrivProtocol::Aes256));
        assert_eq!("AES".parse(), Ok(PrivProtocol::Aes128));
        assert_eq!("aes192".parse(), Ok(PrivProtocol::Aes192));
        assert!("3DES".parse::<PrivProtocol>().is_err());
        assert_eq!("authPriv".parse(), Ok(SecurityLevel::AuthPriv));
        assert_eq!("2c".parse(), Ok(Version::V2c));
    }

    #[test]
    fn validation_names_the_missing_flag() {
        let user = UsmUser {
            name: "ops".into(),
            level: SecurityLevel::AuthPriv,
            auth: Some((AuthProtocol::Sha256, Secret::new("authpass123"))),
            privacy: None,
            context: String::new(),
        };
        assert_eq!(
            Credentials::Usm(user.clone()).validate(),
            Err("security level authPriv needs a privacy passphrase (-X)".into())
        );
        let short = UsmUser {
            privacy: Some((PrivProtocol::Aes128, Secret::new("short"))),
            ..user
        };
        assert_eq!(
            Credentials::Usm(short).validate(),
            Err("the privacy passphrase must be at least 8 characters".into())
        );
    }
}
