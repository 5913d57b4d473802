//! The drill the demo runs by itself at start, through the drill API as the security
//! team would, so the security dashboard and a drill report have something to show
//! before anyone runs one.

use super::SECURITY_TOKEN;
use netops_alerting::drill::client::{ClientError, DrillClient};
use std::time::Duration;

/// Its name (the report is `netops drill report demo-sample`).
pub(super) const SAMPLE_DRILL: &str = "demo-sample";

/// A short drill run through the drill API, as the security team runs one: a link-down
/// and an authentication-failure burst injected through the real trap path, one alert
/// acknowledged, and the drill ended once both injections are detected (at most three
/// minutes), so `netops drill start` is free again.
pub(super) async fn sample_drill(server: String) {
    match run_sample_drill(&server).await {
        Ok(outcome) => eprintln!(
            "netops demo: sample drill {SAMPLE_DRILL} ended ({outcome}); report: netops drill report {SAMPLE_DRILL} -o html > drill.html"
        ),
        Err(e) => eprintln!("netops demo: sample drill {SAMPLE_DRILL} skipped: {e}"),
    }
}

async fn run_sample_drill(server: &str) -> Result<&'static str, String> {
    let client =
        DrillClient::new(server, Some(SECURITY_TOKEN.into())).map_err(|e| e.to_string())?;
    // The HTTP server starts after this task; wait for it.
    let mut ready = false;
    for _ in 0..150 {
        if client.list().await.is_ok() {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    if !ready {
        return Err(format!("the drill API at {server} did not answer"));
    }
    let err = |e: ClientError| e.to_string();
    client
        .start(SAMPLE_DRILL, &["127.0.0.0/8".into()])
        .await
        .map_err(err)?;
    client
        .inject(
            "link-down",
            "127.0.0.2",
            Some("sample: an uplink of a simulated router goes down"),
            Some(3),
        )
        .await
        .map_err(err)?;
    client
        .inject(
            "auth-failure-burst",
            "127.0.0.3",
            Some("sample: someone guesses SNMP communities"),
            None,
        )
        .await
        .map_err(err)?;
    eprintln!(
        "netops demo: sample drill {SAMPLE_DRILL} started (a link-down and an authentication-failure burst injected); it ends once both are detected"
    );
    let wanted = ["LinkDownTrap", "SnmpAuthenticationFailureTrapBurst"];
    let mut outcome = "not every injection detected within 3 minutes";
    for _ in 0..90 {
        tokio::time::sleep(Duration::from_secs(2)).await;
        let Ok(alerts) = client.current_alerts().await else {
            continue;
        };
        let alerts = alerts.as_array().cloned().unwrap_or_default();
        let named = |name: &str| alerts.iter().find(|a| a["alertname"] == name);
        if wanted.iter().all(|w| named(w).is_some()) {
            if let Some(id) = named("LinkDownTrap").and_then(|a| a["id"].as_str()) {
                client.ack(id, "demo duty officer").await.map_err(err)?;
            }
            outcome = "both injections detected, the link-down acknowledged";
            break;
        }
    }
    client.end().await.map_err(err)?;
    Ok(outcome)
}
