//! Alertmanager v2 API: `POST /api/v2/alerts` with a JSON array of alerts (`labels`,
//! `annotations`, `startsAt`, `endsAt`, `generatorURL`). Alertmanager deduplicates by
//! label set, so re-sending a firing alert every `resend_delay` only extends its `endsAt`;
//! a resolved alert is sent with `endsAt` = its resolution time.

use super::{Notifier, NotifyFuture, http_client, post_json};
use crate::alert::Notification;
use crate::error::AlertError;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct AlertmanagerNotifier {
    name: String,
    url: reqwest::Url,
    client: reqwest::Client,
}

impl AlertmanagerNotifier {
    /// `base` is the Alertmanager address, e.g. `http://127.0.0.1:9093`.
    pub fn new(base: &str) -> Result<Self, AlertError> {
        let bad = |m: String| AlertError::Notify {
            notifier: "alertmanager".into(),
            message: m,
        };
        let mut url = reqwest::Url::parse(base).map_err(|e| bad(format!("bad URL: {e}")))?;
        let path = format!("{}/api/v2/alerts", url.path().trim_end_matches('/'));
        url.set_path(&path);
        Ok(Self {
            name: format!("alertmanager({})", url.host_str().unwrap_or("")),
            url,
            client: http_client(Duration::from_secs(10))?,
        })
    }
}

impl Notifier for AlertmanagerNotifier {
    fn name(&self) -> &str {
        &self.name
    }

    fn send<'a>(&'a self, alerts: &'a [Notification]) -> NotifyFuture<'a> {
        Box::pin(async move {
            if alerts.is_empty() {
                return Ok(());
            }
            post_json(&self.client, &self.name, &self.url, alerts).await
        })
    }
}
