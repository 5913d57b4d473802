//! A throwaway PostgreSQL cluster for tests: `initdb` in a temp dir, `postgres` on a free
//! loopback port, run as the `postgres` user (PostgreSQL refuses to run as root). Dropping
//! it stops the server and removes the data.

use crate::{ChildGuard, free_tcp_port, require_binary, wait_until};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

#[derive(Debug)]
pub struct Postgres {
    pub port: u16,
    _server: ChildGuard,
    _dir: tempfile::TempDir,
}

fn bin_dir() -> PathBuf {
    let root = PathBuf::from("/usr/lib/postgresql");
    let mut versions: Vec<_> = std::fs::read_dir(&root)
        .unwrap_or_else(|_| {
            panic!("PostgreSQL is not installed; run `bash scripts/install-test-deps.sh`")
        })
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    versions.sort();
    versions
        .pop()
        .expect("a PostgreSQL version under /usr/lib/postgresql")
        .join("bin")
}

/// Runs `cmd` as the postgres user when we are root; as ourselves otherwise.
fn as_postgres(program: &std::path::Path) -> Command {
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false);
    if is_root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

impl Postgres {
    /// Starts a fresh cluster with a `netops` database owned by user `postgres`
    /// (trust authentication on loopback only).
    pub fn start() -> Self {
        let bin = bin_dir();
        require_binary(bin.join("initdb").to_str().expect("utf-8 path"));
        let dir = tempfile::Builder::new()
            .prefix("netops-pg-")
            .tempdir()
            .expect("temp dir");
        let data = dir.path().join("data");
        std::fs::create_dir(&data).expect("create data dir");
        // The temp dir is root's; the postgres user must own the data dir and reach it.
        let _ = Command::new("chmod").arg("755").arg(dir.path()).status();
        let _ = Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(&data)
            .status();
        let out = as_postgres(&bin.join("initdb"))
            .args(["-D"])
            .arg(&data)
            .args([
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ])
            .output()
            .expect("run initdb");
        assert!(
            out.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let port = free_tcp_port();
        let server = ChildGuard::spawn(
            "postgres",
            as_postgres(&bin.join("postgres"))
                .arg("-D")
                .arg(&data)
                .args(["-p", &port.to_string(), "-k"])
                .arg(&data)
                .args(["-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"])
                .stdout(Stdio::null())
                .stderr(Stdio::null()),
        );
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        wait_until(
            "PostgreSQL to accept connections",
            Duration::from_secs(30),
            || {
                Command::new(bin.join("pg_isready"))
                    .args(["-h", "127.0.0.1", "-p", &port.to_string()])
                    .stdout(Stdio::null())
                    .status()
                    .map(|s| s.success())
                    .unwrap_or(false)
            },
        );
        let created = Command::new(bin.join("createdb"))
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &port.to_string(),
                "-U",
                "postgres",
                "netops",
            ])
            .status()
            .expect("run createdb");
        assert!(created.success(), "createdb netops failed on {addr}");
        Self {
            port,
            _server: server,
            _dir: dir,
        }
    }

    /// `postgres://postgres@127.0.0.1:PORT/netops`
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/netops", self.port)
    }
}
