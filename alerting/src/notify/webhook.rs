//! A generic JSON webhook, shaped like Alertmanager's webhook payload so existing
//! receivers understand it: `{"version":"4","status":…,"alerts":[…]}`, each alert with
//! `status`, `labels`, `annotations`, `startsAt`, `endsAt`, `generatorURL` and `value`.

use super::{Notifier, NotifyFuture, http_client, post_json};
use crate::alert::Notification;
use crate::error::AlertError;
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct WebhookNotifier {
    name: String,
    url: reqwest::Url,
    client: reqwest::Client,
}

#[derive(Serialize)]
struct Payload<'a> {
    version: &'static str,
    /// `firing` when any alert in the batch fires, else `resolved`.
    status: &'static str,
    alerts: Vec<WebhookAlert<'a>>,
}

#[derive(Serialize)]
struct WebhookAlert<'a> {
    status: &'static str,
    labels: &'a BTreeMap<String, String>,
    annotations: &'a BTreeMap<String, String>,
    #[serde(rename = "startsAt")]
    starts_at: &'a str,
    #[serde(rename = "endsAt")]
    ends_at: &'a str,
    #[serde(rename = "generatorURL")]
    generator_url: &'a str,
    /// The expression value, or null when it is not a finite number (JSON has no NaN).
    value: Option<f64>,
}

impl WebhookNotifier {
    pub fn new(url: &str) -> Result<Self, AlertError> {
        let url = reqwest::Url::parse(url).map_err(|e| AlertError::Notify {
            notifier: "webhook".into(),
            message: format!("bad URL: {e}"),
        })?;
        Ok(Self {
            name: format!("webhook({})", url.host_str().unwrap_or("")),
            url,
            client: http_client(Duration::from_secs(10))?,
        })
    }
}

impl Notifier for WebhookNotifier {
    fn name(&self) -> &str {
        &self.name
    }

    fn send<'a>(&'a self, alerts: &'a [Notification]) -> NotifyFuture<'a> {
        Box::pin(async move {
            if alerts.is_empty() {
                return Ok(());
            }
            let payload = Payload {
                version: "4",
                status: if alerts.iter().any(|a| a.status == "firing") {
                    "firing"
                } else {
                    "resolved"
                },
                alerts: alerts
                    .iter()
                    .map(|a| WebhookAlert {
                        status: a.status,
                        labels: &a.labels,
                        annotations: &a.annotations,
                        starts_at: &a.starts_at,
                        ends_at: &a.ends_at,
                        generator_url: &a.generator_url,
                        value: a.value.is_finite().then_some(a.value),
                    })
                    .collect(),
            };
            post_json(&self.client, &self.name, &self.url, &payload).await
        })
    }
}
