//! Parsing of agent addresses as users type them: `host`, `host:port`, `192.0.2.1`,
//! `[2001:db8::1]:161`, a bare `2001:db8::1`, and net-snmp's `udp:`/`udp6:` prefixes.

use std::fmt;
use std::net::{IpAddr, SocketAddr};

pub const DEFAULT_PORT: u16 = 161;

/// An agent address before name resolution.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AgentAddress {
    pub host: String,
    pub port: u16,
}

impl AgentAddress {
    pub fn parse(input: &str) -> Result<Self, String> {
        let s = input
            .strip_prefix("udp6:")
            .or_else(|| input.strip_prefix("udp:"))
            .unwrap_or(input);
        if s.is_empty() {
            return Err("empty agent address".into());
        }
        if let Ok(sa) = s.parse::<SocketAddr>() {
            return Ok(Self {
                host: sa.ip().to_string(),
                port: sa.port(),
            });
        }
        if let Ok(ip) = s.parse::<IpAddr>() {
            return Ok(Self {
                host: ip.to_string(),
                port: DEFAULT_PORT,
            });
        }
        if let Some(rest) = s.strip_prefix('[') {
            let (ip, after) = rest
                .split_once(']')
                .ok_or_else(|| format!("agent address {input:?}: missing ']'"))?;
            let ip: IpAddr = ip
                .parse()
                .map_err(|_| format!("agent address {input:?}: {ip:?} is not an IP address"))?;
            let port = match after {
                "" => DEFAULT_PORT,
                p => parse_port(input, p.strip_prefix(':').unwrap_or("not-a-port"))?,
            };
            return Ok(Self {
                host: ip.to_string(),
                port,
            });
        }
        let (host, port) = match s.rsplit_once(':') {
            Some((h, p)) => (h, parse_port(input, p)?),
            None => (s, DEFAULT_PORT),
        };
        if host.is_empty() || host.contains(':') || host.contains(char::is_whitespace) {
            return Err(format!("agent address {input:?}: bad host name"));
        }
        Ok(Self {
            host: host.to_string(),
            port,
        })
    }

    /// Resolves the host name (the first address wins, as with net-snmp).
    pub async fn resolve(&self) -> std::io::Result<SocketAddr> {
        if let Ok(ip) = self.host.parse::<IpAddr>() {
            return Ok(SocketAddr::new(ip, self.port));
        }
        tokio::net::lookup_host((self.host.as_str(), self.port))
            .await?
            .next()
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "no address"))
    }
}

fn parse_port(input: &str, p: &str) -> Result<u16, String> {
    p.parse::<u16>()
        .ok()
        .filter(|p| *p != 0)
        .ok_or_else(|| format!("agent address {input:?}: bad port {p:?}"))
}

impl fmt::Display for AgentAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_users_type() {
        let ok = |s: &str, host: &str, port: u16| {
            let a = AgentAddress::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
            assert_eq!((a.host.as_str(), a.port), (host, port), "{s}");
        };
        ok("router1", "router1", 161);
        ok("router1:1161", "router1", 1161);
        ok("192.0.2.1", "192.0.2.1", 161);
        ok("192.0.2.1:16100", "192.0.2.1", 16100);
        ok("[::1]:16100", "::1", 16100);
        ok("[2001:db8::1]", "2001:db8::1", 161);
        ok("2001:db8::1", "2001:db8::1", 161);
        ok("udp6:[::1]:1161", "::1", 1161);
        ok("udp:127.0.0.1:1161", "127.0.0.1", 1161);
        assert_eq!(
            AgentAddress::parse("[::1]:1161").unwrap().to_string(),
            "[::1]:1161"
        );
    }

    #[test]
    fn refuses_bad_ports_and_hosts() {
        for bad in [
            "",
            "host:0",
            "host:99999",
            "[::1",
            "[nothost]:161",
            "a b:161",
            "[::1]x",
        ] {
            assert!(
                AgentAddress::parse(bad).is_err(),
                "{bad:?} should be refused"
            );
        }
    }
}
