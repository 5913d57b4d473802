//! Bearer tokens for the drill API. Writes need a token with role `security`: no or
//! unknown token → 401, a token without that role → 403. Reads are open unless
//! `read_requires_token` is set (then any known token will do).
//!
//! This mirrors `netops_inventory::api::ApiAuthConfig` in shape (name, token, and here a
//! list of roles); it is kept separate because library crates do not depend on each other
//! and moving a shared checker into `netops-core` would have meant changing the inventory.

use netops_core::Secret;
use serde::Deserialize;

/// The role that may run drills.
pub const SECURITY_ROLE: &str = "security";

/// One API token (from the daemon's config).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiToken {
    /// Who holds it (shown in errors and logs; the token itself never is).
    pub name: String,
    pub token: Secret,
    pub roles: Vec<String>,
}

/// The tokens and whether reads need one.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DrillAuthConfig {
    #[serde(default)]
    pub read_requires_token: bool,
    #[serde(default)]
    pub tokens: Vec<ApiToken>,
}

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Denied {
    /// 401: no token, malformed header, unknown token.
    Unauthenticated(String),
    /// 403: known token without the role.
    Forbidden(String),
}

/// Compares without an early exit so response time does not hint at a token's prefix.
fn same_secret(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut diff = a.len() ^ b.len();
    for i in 0..a.len().max(b.len()) {
        diff |= usize::from(a.get(i).copied().unwrap_or(0) ^ b.get(i).copied().unwrap_or(0));
    }
    diff == 0
}

impl DrillAuthConfig {
    /// The token presented in an `Authorization` header value, if any.
    pub fn identify(&self, header: Option<&str>) -> Result<Option<&ApiToken>, Denied> {
        let Some(value) = header else {
            return Ok(None);
        };
        let presented = value.strip_prefix("Bearer ").ok_or_else(|| {
            Denied::Unauthenticated("Authorization must be `Bearer TOKEN`".into())
        })?;
        self.tokens
            .iter()
            .find(|t| same_secret(t.token.expose(), presented.trim()))
            .map(Some)
            .ok_or_else(|| Denied::Unauthenticated("unknown token".into()))
    }

    /// May this request read?
    pub fn check_read(&self, header: Option<&str>) -> Result<(), Denied> {
        let token = self.identify(header)?;
        if self.read_requires_token && token.is_none() {
            return Err(Denied::Unauthenticated("a bearer token is required".into()));
        }
        Ok(())
    }

    /// May this request write? Returns the token holder's name.
    pub fn check_write(&self, header: Option<&str>) -> Result<String, Denied> {
        match self.identify(header)? {
            None => Err(Denied::Unauthenticated(format!(
                "changing drills needs a bearer token with role {SECURITY_ROLE}"
            ))),
            Some(t) if !t.roles.iter().any(|r| r == SECURITY_ROLE) => {
                Err(Denied::Forbidden(format!(
                    "token {:?} has roles {:?}; changing drills needs role {SECURITY_ROLE}",
                    t.name, t.roles
                )))
            }
            Some(t) => Ok(t.name.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> DrillAuthConfig {
        DrillAuthConfig {
            read_requires_token: false,
            tokens: vec![
                ApiToken {
                    name: "soc".into(),
                    token: Secret::new("s3cret"),
                    roles: vec!["security".into()],
                },
                ApiToken {
                    name: "plan".into(),
                    token: Secret::new("p1an"),
                    roles: vec!["planner".into()],
                },
            ],
        }
    }

    #[test]
    fn roles_and_tokens() {
        let c = cfg();
        assert_eq!(c.check_write(Some("Bearer s3cret")), Ok("soc".into()));
        assert!(matches!(
            c.check_write(None),
            Err(Denied::Unauthenticated(_))
        ));
        assert!(matches!(
            c.check_write(Some("Bearer s3cre")),
            Err(Denied::Unauthenticated(_))
        ));
        assert!(matches!(
            c.check_write(Some("Basic x")),
            Err(Denied::Unauthenticated(_))
        ));
        let Err(Denied::Forbidden(msg)) = c.check_write(Some("Bearer p1an")) else {
            panic!("planner must be forbidden");
        };
        assert!(
            !msg.contains("p1an"),
            "the token never appears in errors: {msg}"
        );
        assert_eq!(c.check_read(None), Ok(()));
        let strict = DrillAuthConfig {
            read_requires_token: true,
            ..cfg()
        };
        assert!(strict.check_read(None).is_err());
        assert_eq!(strict.check_read(Some("Bearer p1an")), Ok(()));
    }
}
