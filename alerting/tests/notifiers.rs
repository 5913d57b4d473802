//! Notifiers against real receivers: Debian's Alertmanager (v2 API) and a small axum
//! webhook receiver.

mod common;

use common::gauge;
use netops_alerting::time::{from_millis, to_millis};
use netops_alerting::{
    AlertManager, AlertStore, AlertmanagerNotifier, Evaluator, ManagerConfig, Notifier, RuleSet,
    SampleStore, WebhookNotifier,
};
use netops_core::Sink;
use netops_test_support::alertmanager::Alertmanager;
use netops_test_support::http_get;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

const RULES: &str = r#"
groups:
  - name: net
    interval: 10s
    rules:
      - alert: NetopsTestLinkDown
        expr: ifOperStatus != 1
        labels: { severity: warning }
        annotations:
          summary: "{{ $labels.ifName }} on {{ $labels.target }} is down"
"#;

async fn manager(notifier: Box<dyn Notifier>, samples: &Arc<SampleStore>) -> AlertManager {
    AlertManager::new(
        RuleSet::parse_file(Path::new("t.yml"), RULES).unwrap(),
        Evaluator::new(samples.clone()),
        AlertStore::connect("sqlite::memory:").await.unwrap(),
        vec![notifier],
        ManagerConfig::default(),
    )
    .await
    .unwrap()
}

fn link(samples: &SampleStore, status: f64, ms: i64) {
    samples.accept(
        vec![gauge(
            "ifOperStatus",
            &[("target", "r1"), ("ifIndex", "3"), ("ifName", "ge-0/0/3")],
            status,
            ms,
        )]
        .into(),
    );
}

fn am_alerts(addr: SocketAddr) -> Vec<serde_json::Value> {
    let (status, body) = http_get(
        addr,
        "/api/v2/alerts?filter=alertname%3D%22NetopsTestLinkDown%22",
    )
    .expect("GET /api/v2/alerts");
    assert_eq!(status, 200, "{body}");
    serde_json::from_str::<serde_json::Value>(&body)
        .expect("JSON")
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alertmanager_receives_firing_then_resolved() {
    let mut am = Alertmanager::start();
    let addr = am.addr;

    let samples = Arc::new(SampleStore::new(Duration::from_secs(3600)));
    let notifier = AlertmanagerNotifier::new(&am.url()).unwrap();
    let mut m = manager(Box::new(notifier), &samples).await;

    // Alertmanager judges startsAt/endsAt against its own clock: use real time.
    let now = to_millis(SystemTime::now());
    let fire_at = now - 20_000;
    link(&samples, 2.0, fire_at);
    let r = m.tick(from_millis(fire_at)).await.unwrap();
    assert!(r.notify_errors.is_empty(), "{:?}", r.notify_errors);
    assert_eq!(r.sent.len(), 1);

    let got = am_alerts(addr);
    assert_eq!(got.len(), 1, "{got:#?}");
    let a = &got[0];
    assert_eq!(a["labels"]["alertname"], "NetopsTestLinkDown");
    assert_eq!(a["labels"]["ifName"], "ge-0/0/3");
    assert_eq!(a["labels"]["severity"], "warning");
    assert_eq!(a["annotations"]["summary"], "ge-0/0/3 on r1 is down");
    assert_ne!(a["status"]["state"], "resolved");
    assert!(a["generatorURL"].as_str().unwrap().contains("ifOperStatus"));
    // While firing, endsAt lies 4 minutes ahead (4 × resend_delay), so a disappearance
    // below can only come from our resolution, not from expiry.
    let valid_until = netops_alerting::time::rfc3339_millis(fire_at + 240_000);
    assert_eq!(
        a["endsAt"].as_str().unwrap()[..19],
        valid_until[..19],
        "{a:#}"
    );

    // The link comes back: the resolution reaches Alertmanager with endsAt = resolution.
    let resolve_at = now - 5_000;
    link(&samples, 1.0, resolve_at);
    let r = m.tick(from_millis(resolve_at)).await.unwrap();
    assert!(r.notify_errors.is_empty(), "{:?}", r.notify_errors);
    assert_eq!(r.resolved.len(), 1);
    // Alertmanager 0.25 drops ended alerts from its default listing; if it still lists it,
    // its endsAt must be the resolution time.
    let got = am_alerts(addr);
    for a in &got {
        let ends = a["endsAt"].as_str().unwrap_or_default();
        assert!(
            ends.starts_with(&netops_alerting::time::rfc3339_millis(resolve_at)[..19]),
            "still listed as active: {a:#}"
        );
    }
    eprintln!(
        "after resolve Alertmanager lists {} matching alert(s)",
        got.len()
    );
    am.assert_running();
}

/// A webhook receiver that records bodies, and answers with the status in `status`.
async fn receiver(status: Arc<Mutex<u16>>) -> (SocketAddr, Arc<Mutex<Vec<serde_json::Value>>>) {
    use axum::{Json, Router, extract::State, http::StatusCode, routing::post};
    type Shared = (Arc<Mutex<Vec<serde_json::Value>>>, Arc<Mutex<u16>>);
    let got: Arc<Mutex<Vec<serde_json::Value>>> = Arc::default();
    let app = Router::new()
        .route(
            "/hook",
            post(|State((got, status)): State<Shared>, Json(body): Json<serde_json::Value>| async move {
                got.lock().unwrap().push(body);
                StatusCode::from_u16(*status.lock().unwrap()).unwrap()
            }),
        )
        .with_state((got.clone(), status));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (addr, got)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_receives_payload_and_failures_are_retried() {
    let status = Arc::new(Mutex::new(500u16));
    let (addr, got) = receiver(status.clone()).await;
    let samples = Arc::new(SampleStore::new(Duration::from_secs(3600)));
    let hook = WebhookNotifier::new(&format!("http://{addr}/hook?token=s3cret")).unwrap();
    let mut m = manager(Box::new(hook), &samples).await;
    let t0 = 1_800_000_000_000;

    // The receiver fails: the error names the notifier and host, never the token.
    link(&samples, 2.0, t0);
    let r = m.tick(from_millis(t0)).await.unwrap();
    assert_eq!(r.notify_errors.len(), 1);
    let msg = r.notify_errors[0].to_string();
    assert!(
        msg.contains("webhook(127.0.0.1)") && msg.contains("500"),
        "{msg}"
    );
    assert!(!msg.contains("s3cret"), "{msg}");

    // Next evaluation: sent again (not marked sent after a failure), now accepted.
    *status.lock().unwrap() = 200;
    link(&samples, 2.0, t0 + 10_000);
    let r = m.tick(from_millis(t0 + 10_000)).await.unwrap();
    assert!(r.notify_errors.is_empty(), "{:?}", r.notify_errors);
    assert_eq!(r.sent.len(), 1);
    // And not again before resend_delay.
    link(&samples, 2.0, t0 + 20_000);
    let r = m.tick(from_millis(t0 + 20_000)).await.unwrap();
    assert!(r.sent.is_empty());

    link(&samples, 1.0, t0 + 30_000);
    m.tick(from_millis(t0 + 30_000)).await.unwrap();

    let bodies = got.lock().unwrap().clone();
    assert_eq!(bodies.len(), 3, "{bodies:#?}");
    let firing = &bodies[1];
    assert_eq!(firing["version"], "4");
    assert_eq!(firing["status"], "firing");
    let a = &firing["alerts"][0];
    assert_eq!(a["labels"]["alertname"], "NetopsTestLinkDown");
    assert_eq!(a["annotations"]["summary"], "ge-0/0/3 on r1 is down");
    assert_eq!(a["value"], 2.0);
    assert_eq!(a["startsAt"], netops_alerting::time::rfc3339_millis(t0));
    let resolved = &bodies[2];
    assert_eq!(resolved["status"], "resolved");
    assert_eq!(
        resolved["alerts"][0]["endsAt"],
        netops_alerting::time::rfc3339_millis(t0 + 30_000)
    );
}
