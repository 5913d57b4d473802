//! A small client of the drill API (what `netops drill …` uses), so the paths and bodies
//! live next to the server in [`crate::api`]. Errors are worded for an operator: daemon
//! unreachable, 401/403 with what to do about them, and the server's own message.

use serde_json::{Value, json};
use std::time::Duration;

/// Why a call failed; `status` is the HTTP status when the daemon answered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ClientError {
    pub status: Option<u16>,
    pub message: String,
}

/// The drill API of one daemon.
#[derive(Debug, Clone)]
pub struct DrillClient {
    base: String,
    token: Option<String>,
    http: reqwest::Client,
}

impl DrillClient {
    /// `base` like `http://127.0.0.1:9464`; `token` is sent as a bearer token.
    pub fn new(base: &str, token: Option<String>) -> Result<Self, ClientError> {
        let http = reqwest::Client::builder()
            // A port scan may take a while; nothing else should.
            .timeout(Duration::from_secs(600))
            .connect_timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| ClientError {
                status: None,
                message: format!("building the HTTP client: {e}"),
            })?;
        Ok(Self {
            base: base.trim_end_matches('/').to_string(),
            token: token.filter(|t| !t.is_empty()),
            http,
        })
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<String, ClientError> {
        let url = format!("{}{path}", self.base);
        let mut req = self.http.request(method, &url);
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.map_err(|e| ClientError {
            status: None,
            message: format!(
                "cannot reach the netops daemon at {}: {e} (is `netops serve` running? set --server or NETOPS_SERVER)",
                self.base
            ),
        })?;
        let status = resp.status();
        let text = resp.text().await.map_err(|e| ClientError {
            status: Some(status.as_u16()),
            message: format!("reading the answer of {url}: {e}"),
        })?;
        if status.is_success() {
            return Ok(text);
        }
        let server_msg = serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|v| v.get("error").and_then(Value::as_str).map(str::to_string))
            .unwrap_or(text);
        let hint = match status.as_u16() {
            401 if self.token.is_none() => {
                " — set NETOPS_TOKEN to an API token with role security".to_string()
            }
            401 => " — NETOPS_TOKEN is not a token this daemon knows".to_string(),
            403 => " — NETOPS_TOKEN's token lacks role security".to_string(),
            _ => String::new(),
        };
        Err(ClientError {
            status: Some(status.as_u16()),
            message: format!("{status}: {server_msg}{hint}"),
        })
    }

    fn json(text: &str) -> Result<Value, ClientError> {
        serde_json::from_str(text).map_err(|e| ClientError {
            status: None,
            message: format!("the daemon's answer is not JSON: {e}"),
        })
    }

    pub async fn start(&self, name: &str, scope: &[String]) -> Result<Value, ClientError> {
        let body = json!({ "name": name, "scope": scope });
        Self::json(
            &self
                .call(reqwest::Method::POST, "/api/drills", Some(body))
                .await?,
        )
    }

    pub async fn end(&self) -> Result<Value, ClientError> {
        Self::json(
            &self
                .call(reqwest::Method::POST, "/api/drills/current/end", None)
                .await?,
        )
    }

    pub async fn inject(
        &self,
        kind: &str,
        target: &str,
        note: Option<&str>,
        if_index: Option<u32>,
    ) -> Result<Value, ClientError> {
        let mut body = json!({ "kind": kind, "target": target });
        if let Some(n) = note {
            body["note"] = json!(n);
        }
        if let Some(i) = if_index {
            body["if_index"] = json!(i);
        }
        Self::json(
            &self
                .call(
                    reqwest::Method::POST,
                    "/api/drills/current/injections",
                    Some(body),
                )
                .await?,
        )
    }

    pub async fn ack(&self, alert_id: &str, by: &str) -> Result<Value, ClientError> {
        let body = json!({ "alert_id": alert_id, "by": by });
        Self::json(
            &self
                .call(
                    reqwest::Method::POST,
                    "/api/drills/current/acks",
                    Some(body),
                )
                .await?,
        )
    }

    pub async fn list(&self) -> Result<Value, ClientError> {
        Self::json(&self.call(reqwest::Method::GET, "/api/drills", None).await?)
    }

    pub async fn current_alerts(&self) -> Result<Value, ClientError> {
        Self::json(
            &self
                .call(reqwest::Method::GET, "/api/drills/current/alerts", None)
                .await?,
        )
    }

    /// The report as the daemon renders it (`json`, `md` or `html`).
    pub async fn report(&self, name: &str, format: &str) -> Result<String, ClientError> {
        let path = format!(
            "/api/drills/{}/report?format={}",
            percent_encode(name),
            percent_encode(format)
        );
        self.call(reqwest::Method::GET, &path, None).await
    }
}

/// Percent-encodes everything but unreserved characters (RFC 3986), for one path segment.
fn percent_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn path_segments_are_encoded() {
        assert_eq!(super::percent_encode("prov 2026/x"), "prov%202026%2Fx");
        assert_eq!(super::percent_encode("d-1_a.b~"), "d-1_a.b~");
    }
}
