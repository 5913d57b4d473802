//! net-snmp's `snmpd` on a free loopback port (IPv4 and IPv6), with a v2c community and one
//! SNMPv3 authPriv user per protocol pair; and net-snmp client tools to compare against.

use crate::{ChildGuard, free_udp_port, require_binary, wait_until};
use std::process::{Command, Stdio};
use std::time::Duration;

pub const COMMUNITY: &str = "public";

/// A USM user configured in the agent: (name, auth protocol, auth pass, priv protocol, priv pass),
/// protocol names as net-snmp spells them.
#[derive(Debug, Clone, Copy)]
pub struct V3User {
    pub name: &'static str,
    pub auth: &'static str,
    pub auth_pass: &'static str,
    pub privacy: &'static str,
    pub priv_pass: &'static str,
}

pub const V3_USERS: &[V3User] = &[
    V3User {
        name: "md5des",
        auth: "MD5",
        auth_pass: "md5-auth-pass",
        privacy: "DES",
        priv_pass: "md5-priv-pass",
    },
    V3User {
        name: "shaaes",
        auth: "SHA",
        auth_pass: "sha1-auth-pass",
        privacy: "AES",
        priv_pass: "sha1-priv-pass",
    },
    V3User {
        name: "sha224aes192",
        auth: "SHA-224",
        auth_pass: "sha224-auth-pass",
        privacy: "AES-192",
        priv_pass: "sha224-priv-pass",
    },
    V3User {
        name: "sha512aes256",
        auth: "SHA-512",
        auth_pass: "sha512-auth-pass",
        privacy: "AES-256",
        priv_pass: "sha512-priv-pass",
    },
];

#[derive(Debug)]
pub struct Snmpd {
    pub port: u16,
    child: ChildGuard,
    dir: tempfile::TempDir,
}

impl Snmpd {
    /// Starts snmpd on a free port and waits until it answers a v2c GET.
    pub fn start() -> Self {
        Self::start_on_port(free_udp_port())
    }

    /// Starts a fresh snmpd (new engine ID, new persistent state) on `port`.
    pub fn start_on_port(port: u16) -> Self {
        require_binary("/usr/sbin/snmpd");
        require_binary("/usr/bin/snmpget");
        let dir = tempfile::Builder::new()
            .prefix("netops-snmpd-")
            .tempdir()
            .expect("temp dir");
        let mut conf = format!(
            "agentAddress udp:127.0.0.1:{port},udp6:[::1]:{port}\n\
             rocommunity {COMMUNITY} 127.0.0.1\nrocommunity6 {COMMUNITY} ::1\n"
        );
        for u in V3_USERS {
            conf.push_str(&format!(
                "createUser {} {} {} {} {}\nrouser {} priv\n",
                u.name, u.auth, u.auth_pass, u.privacy, u.priv_pass, u.name
            ));
        }
        let conf_path = dir.path().join("snmpd.conf");
        std::fs::write(&conf_path, conf).expect("write snmpd.conf");
        let child = ChildGuard::spawn(
            "snmpd",
            Command::new("/usr/sbin/snmpd")
                .args(["-f", "-C", "-c"])
                .arg(&conf_path)
                .args(["-m", "", "-I", "-smux", "-Lo"])
                .env("SNMP_PERSISTENT_DIR", dir.path().join("agent"))
                .stdout(Stdio::null())
                .stderr(Stdio::null()),
        );
        let mut snmpd = Self { port, child, dir };
        wait_until("snmpd to answer", Duration::from_secs(20), || {
            snmpd
                .tool("snmpget")
                .args(["-v2c", "-c", COMMUNITY, "-t", "0.2", "-r", "0"])
                .arg(snmpd.v4())
                .arg("1.3.6.1.2.1.1.3.0")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .map(|s| s.success())
                .unwrap_or(false)
        });
        snmpd.child.assert_running();
        snmpd
    }

    pub fn v4(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn v6(&self) -> String {
        format!("[::1]:{}", self.port)
    }

    /// A net-snmp client tool (`snmpget`, `snmpbulkwalk`, ...) with its own persistent
    /// dir and no MIBs loaded, so output is numeric.
    pub fn tool(&self, name: &str) -> Command {
        let mut c = Command::new(format!("/usr/bin/{name}"));
        c.env("SNMP_PERSISTENT_DIR", self.dir.path().join("client"))
            .args(["-m", ""]);
        c
    }
}
