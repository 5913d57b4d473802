//! Helpers shared by the integration tests.
#![allow(dead_code)]

use netops_alerting::notify::NotifyFuture;
use netops_alerting::time::from_millis;
use netops_alerting::{Notification, Notifier};
use netops_core::{Labels, Sample};
use std::sync::{Arc, Mutex};

/// A notifier that records what it was given (the lifecycle tests look at *what* would be
/// sent; the real Alertmanager is exercised in `alertmanager.rs`).
#[derive(Debug, Clone, Default)]
pub struct Recorder(pub Arc<Mutex<Vec<Vec<Notification>>>>);

impl Recorder {
    pub fn take(&self) -> Vec<Vec<Notification>> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

impl Notifier for Recorder {
    fn name(&self) -> &str {
        "recorder"
    }
    fn send<'a>(&'a self, alerts: &'a [Notification]) -> NotifyFuture<'a> {
        self.0.lock().unwrap().push(alerts.to_vec());
        Box::pin(async { Ok(()) })
    }
}

pub fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs.iter().copied().collect()
}

pub fn gauge(name: &str, l: &[(&str, &str)], v: f64, ms: i64) -> Sample {
    Sample::gauge(name.to_string(), labels(l), v, from_millis(ms))
}
