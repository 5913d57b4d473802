//! `netops drill` driven as an operator would: the built binary against the drill API
//! (`netops_alerting::api::router`) served on a loopback port over a SQLite file, with a
//! UDP socket standing in for the daemon's trap listener.

use netops_alerting::api::{DrillApiState, router};
use netops_alerting::drill::auth::{ApiToken, DrillAuthConfig};
use netops_alerting::drill::inject::InjectorConfig;
use netops_alerting::drill::store::DrillStore;
use netops_alerting::time::to_millis;
use netops_alerting::{AlertStore, HistoryEvent};
use netops_core::{Labels, Secret};
use serde_json::Value;
use std::process::{Command, Output};
use std::time::{Duration, SystemTime};

const SECURITY: &str = "cli-sec-token";
const PLANNER: &str = "cli-plan-token";

struct Server {
    url: String,
    alerts: AlertStore,
    traps: std::net::UdpSocket,
    _dir: tempfile::TempDir,
}

async fn serve() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("netops.db").display());
    let alerts = AlertStore::connect(&db).await.unwrap();
    let drills = DrillStore::connect(&db).await.unwrap();
    let traps = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    traps
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let auth = DrillAuthConfig {
        read_requires_token: false,
        tokens: vec![
            ApiToken {
                name: "soc".into(),
                token: Secret::new(SECURITY),
                roles: vec!["security".into()],
            },
            ApiToken {
                name: "planner".into(),
                token: Secret::new(PLANNER),
                roles: vec!["planner".into()],
            },
        ],
    };
    let injector = InjectorConfig {
        trap_addr: Some(traps.local_addr().unwrap()),
        community: Secret::new("public"),
        ..InjectorConfig::default()
    };
    let state = DrillApiState::new(drills, alerts.clone(), auth, injector);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router(state)).await });
    Server {
        url,
        alerts,
        traps,
        _dir: dir,
    }
}

/// Runs the binary off the runtime's worker threads (the server runs on them).
async fn netops(server: &str, token: Option<&str>, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_netops"));
    cmd.env("NETOPS_SERVER", server).env_remove("NETOPS_TOKEN");
    if let Some(t) = token {
        cmd.env("NETOPS_TOKEN", t);
    }
    cmd.arg("drill").args(args);
    tokio::task::spawn_blocking(move || cmd.output().expect("run netops"))
        .await
        .unwrap()
}

fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "netops failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 stdout")
}

fn failed(out: Output) -> String {
    assert!(!out.status.success(), "expected a failure");
    String::from_utf8(out.stderr).expect("UTF-8 stderr")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drill_from_the_command_line() {
    let s = serve().await;
    let sec = Some(SECURITY);

    // Refusals are explained.
    let err = failed(netops(&s.url, None, &["start", "--name", "cli-drill"]).await);
    assert!(err.contains("401") && err.contains("NETOPS_TOKEN"), "{err}");
    let err = failed(netops(&s.url, Some(PLANNER), &["start", "--name", "cli-drill"]).await);
    assert!(
        err.contains("403") && err.contains("lacks role security"),
        "{err}"
    );
    let port = netops_test_support::free_tcp_port();
    let err = failed(netops(&format!("http://127.0.0.1:{port}"), sec, &["list"]).await);
    assert!(err.contains("cannot reach the netops daemon"), "{err}");

    let out = ok(netops(
        &s.url,
        sec,
        &["start", "--name", "cli-drill", "--scope", "127.0.0.0/8"],
    )
    .await);
    assert!(out.contains("drill cli-drill started"), "{out}");

    // link-down: the trap reaches the "listener".
    let out = ok(netops(
        &s.url,
        sec,
        &[
            "inject",
            "link-down",
            "--target",
            "127.0.0.2",
            "--if-index",
            "4",
        ],
    )
    .await);
    assert!(out.starts_with("inj-1 recorded at "), "{out}");
    let mut buf = [0u8; 2048];
    let (n, _) = s.traps.recv_from(&mut buf).expect("a linkDown trap");
    assert!(n > 20);
    let out = ok(netops(
        &s.url,
        sec,
        &["inject", "probe-loss", "--target", "127.0.0.5"],
    )
    .await);
    assert!(
        out.contains("inj-2") && out.contains("recorded only"),
        "{out}"
    );
    let err = failed(
        netops(
            &s.url,
            sec,
            &["inject", "port-scan", "--target", "192.0.2.1"],
        )
        .await,
    );
    assert!(err.contains("outside the drill's scope"), "{err}");

    // An alert fires on the link; the operator finds and acknowledges it.
    let key = "core{alertname=\"LinkDown\",target=\"127.0.0.2\"}";
    let fired = to_millis(SystemTime::now());
    s.alerts
        .save(
            &[],
            &[],
            &[HistoryEvent {
                alert_id: key.into(),
                alertname: "LinkDown".into(),
                severity: "critical".into(),
                labels: Labels::new()
                    .with("alertname", "LinkDown")
                    .with("target", "127.0.0.2"),
                event: "firing".into(),
                at_ms: fired,
            }],
        )
        .await
        .unwrap();
    let out = ok(netops(&s.url, None, &["alerts"]).await);
    assert!(out.contains("LinkDown") && out.contains(key), "{out}");
    let out = ok(netops(&s.url, sec, &["ack", key, "--by", "alice"]).await);
    assert!(out.contains("acknowledged by alice"), "{out}");

    let out = ok(netops(&s.url, sec, &["end"]).await);
    assert!(out.contains("drill cli-drill ended"), "{out}");
    let out = ok(netops(&s.url, None, &["list"]).await);
    assert!(
        out.lines()
            .nth(1)
            .is_some_and(|l| l.starts_with("cli-drill\t")),
        "{out}"
    );

    let json: Value = serde_json::from_str(&ok(netops(
        &s.url,
        None,
        &["report", "cli-drill", "-o", "json"],
    )
    .await))
    .unwrap();
    assert_eq!(json["injections"], 2);
    assert_eq!(json["detected"], 1);
    assert_eq!(json["incidents"][0]["acknowledged_by"], "alice");
    assert_eq!(json["missed"], serde_json::json!(["inj-2"]));
    let html = ok(netops(&s.url, None, &["report", "cli-drill", "-o", "html"]).await);
    assert!(html.contains("<svg"));
    let md = ok(netops(&s.url, None, &["report", "cli-drill"]).await);
    assert!(md.contains("cli-drill"));
    let err = failed(netops(&s.url, None, &["report", "nope"]).await);
    assert!(err.contains("404"), "{err}");
}
