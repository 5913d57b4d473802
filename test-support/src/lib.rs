//! netops-test-support: helpers for tests that drive real services on loopback.
//!
//! - [`free_tcp_port`] / [`free_udp_port`]: a port nobody listens on right now.
//! - [`ChildGuard`]: a child process killed when the test ends, pass or fail.
//! - [`wait_for_tcp`] / [`http_get`]: readiness checks without pulling in an HTTP client.
//! - [`require_binary`]: a missing Debian package fails the test with a clear message
//!   (run `scripts/install-test-deps.sh`); it never silently skips.
//! - [`postgres::Postgres`]: a throwaway PostgreSQL cluster on a loopback port.
//! - [`snmpd::Snmpd`]: net-snmp's agent with v2c and SNMPv3 users, plus its client tools.

pub mod alertmanager;
pub mod postgres;
pub mod snmpd;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

/// A loopback TCP port that was free a moment ago.
pub fn free_tcp_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("bind an ephemeral TCP port on 127.0.0.1")
}

/// A loopback UDP port that was free (on both 127.0.0.1 and ::1) a moment ago.
pub fn free_udp_port() -> u16 {
    for _ in 0..50 {
        let v4 = UdpSocket::bind("127.0.0.1:0").expect("bind an ephemeral UDP port");
        let port = v4.local_addr().expect("local addr").port();
        if UdpSocket::bind(("::1", port)).is_ok() {
            return port;
        }
    }
    panic!("no UDP port free on both 127.0.0.1 and ::1 after 50 tries");
}

/// Panics with an actionable message when a binary the test needs is not installed.
pub fn require_binary(path: &str) {
    assert!(
        Path::new(path).exists(),
        "{path} is not installed; run `bash scripts/install-test-deps.sh` (Debian packages)"
    );
}

/// A child process that is killed and reaped when dropped.
#[derive(Debug)]
pub struct ChildGuard {
    pub child: Child,
    pub name: String,
}

impl ChildGuard {
    pub fn spawn(name: &str, command: &mut Command) -> Self {
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        Self {
            child,
            name: name.to_string(),
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Fails the test if the process already exited (it should still be serving).
    pub fn assert_running(&mut self) {
        if let Ok(Some(status)) = self.child.try_wait() {
            panic!("{} exited early with {status}", self.name);
        }
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits until something accepts TCP connections on `addr`.
pub fn wait_for_tcp(addr: SocketAddr, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("nothing listening on {addr} after {timeout:?}");
}

/// A minimal HTTP/1.0 GET: returns (status code, body). Enough for readiness checks and
/// reading small JSON answers from a loopback service.
pub fn http_get(addr: SocketAddr, path_and_query: &str) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    write!(
        stream,
        "GET {path_and_query} HTTP/1.0\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Ok((status, body))
}

/// Polls `check` every 100 ms until it returns true or `timeout` passes.
pub fn wait_until(what: &str, timeout: Duration, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if check() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("timed out after {timeout:?} waiting for {what}");
}
