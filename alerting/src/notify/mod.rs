//! Notifiers: where firing and resolved alerts are sent. One file per notifier, each
//! implementing [`Notifier`].

pub mod alertmanager;
pub mod webhook;

use crate::alert::Notification;
use crate::error::AlertError;
use std::future::Future;
use std::pin::Pin;

pub use alertmanager::AlertmanagerNotifier;
pub use webhook::WebhookNotifier;

/// A boxed future, so notifiers can be kept as `Box<dyn Notifier>`.
pub type NotifyFuture<'a> = Pin<Box<dyn Future<Output = Result<(), AlertError>> + Send + 'a>>;

/// Something that delivers alert notifications.
pub trait Notifier: Send + Sync + std::fmt::Debug {
    /// A short name for logs and errors (never a credential).
    fn name(&self) -> &str;

    /// Delivers one batch; an error means the batch should be sent again later.
    fn send<'a>(&'a self, alerts: &'a [Notification]) -> NotifyFuture<'a>;
}

/// The HTTP client every notifier uses: rustls, a bounded timeout.
pub(crate) fn http_client(timeout: std::time::Duration) -> Result<reqwest::Client, AlertError> {
    reqwest::Client::builder()
        .timeout(timeout)
        .build()
        .map_err(|e| AlertError::Notify {
            notifier: "http".into(),
            message: format!("cannot build HTTP client: {e}"),
        })
}

/// Posts JSON and maps any failure (transport or non-2xx status) to an error naming the
/// notifier and the URL's host, never its query string (it may carry a token).
pub(crate) async fn post_json<T: serde::Serialize + ?Sized>(
    client: &reqwest::Client,
    notifier: &str,
    url: &reqwest::Url,
    body: &T,
) -> Result<(), AlertError> {
    let shown = format!(
        "{}://{}{}",
        url.scheme(),
        url.host_str().unwrap_or(""),
        url.port().map(|p| format!(":{p}")).unwrap_or_default()
    );
    let resp = client
        .post(url.clone())
        .json(body)
        .send()
        .await
        .map_err(|e| AlertError::Notify {
            notifier: notifier.to_string(),
            message: format!("POST to {shown}: {}", e.without_url()),
        })?;
    let status = resp.status();
    if !status.is_success() {
        let text = resp.text().await.unwrap_or_default();
        let text: String = text.chars().take(300).collect();
        return Err(AlertError::Notify {
            notifier: notifier.to_string(),
            message: format!("POST to {shown}: HTTP {status}: {text}"),
        });
    }
    Ok(())
}
