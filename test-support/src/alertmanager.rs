//! A throwaway Prometheus Alertmanager (Debian's `prometheus-alertmanager`) on a free
//! loopback port, clustering off, every alert routed to a receiver that sends nothing:
//! tests read what it received through its v2 API. Dropping it stops the server and
//! removes its data.

use crate::{ChildGuard, free_tcp_port, http_get, require_binary, wait_until};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::Duration;

const BINARY: &str = "/usr/bin/prometheus-alertmanager";

#[derive(Debug)]
pub struct Alertmanager {
    pub addr: SocketAddr,
    server: ChildGuard,
    _dir: tempfile::TempDir,
}

impl Alertmanager {
    /// Starts it and waits until `/-/ready` answers 200.
    pub fn start() -> Self {
        require_binary(BINARY);
        let dir = tempfile::tempdir().expect("temp dir for Alertmanager");
        let config = dir.path().join("alertmanager.yml");
        std::fs::write(
            &config,
            "route:\n  receiver: 'null'\nreceivers:\n  - name: 'null'\n",
        )
        .expect("write alertmanager.yml");
        let addr: SocketAddr = ([127, 0, 0, 1], free_tcp_port()).into();
        let server = ChildGuard::spawn(
            "alertmanager",
            Command::new(BINARY)
                .arg(format!("--config.file={}", config.display()))
                .arg(format!(
                    "--storage.path={}",
                    dir.path().join("data").display()
                ))
                .arg(format!("--web.listen-address={addr}"))
                .arg("--cluster.listen-address=")
                .stdout(Stdio::null())
                .stderr(Stdio::null()),
        );
        wait_until("Alertmanager to be ready", Duration::from_secs(30), || {
            matches!(http_get(addr, "/-/ready"), Ok((200, _)))
        });
        Self {
            addr,
            server,
            _dir: dir,
        }
    }

    /// `http://127.0.0.1:PORT`, as notifiers and `--alertmanager` take it.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Fails the test if Alertmanager already exited.
    pub fn assert_running(&mut self) {
        self.server.assert_running();
    }
}
