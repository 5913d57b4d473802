//! netops-alerting: Prometheus-format alert rules evaluated in-process over the samples netops
//! collects, the alert lifecycle (pending, firing, resolved), notifiers (Alertmanager v2,
//! webhook), and security drills with their reports.
//!
//! How the daemon wires it:
//!
//! ```text
//! let rules = RuleSet::load(&["/etc/netops/rules"])?;          // refuses unsupported PromQL
//! let samples = Arc::new(SampleStore::new(DEFAULT_RETENTION));  // register as a Sink
//! let store = AlertStore::connect("sqlite://netops.db").await?; // or postgres://…
//! let notifiers: Vec<Box<dyn Notifier>> = vec![Box::new(AlertmanagerNotifier::new(url)?)];
//! let mut manager = AlertManager::new(rules, Evaluator::new(samples), store, notifiers,
//!                                     ManagerConfig::default()).await?;
//! // every manager.tick_interval():
//! let report = manager.tick(SystemTime::now()).await?;
//! let gauges = manager.alert_samples(SystemTime::now());        // netops_alerts{state,severity}
//! ```
//!
//! Main types:
//! - [`RuleSet`]: Prometheus rule files (`groups`/`rules` with `alert`, `expr`, `for`,
//!   `labels`, `annotations`); anything the evaluator cannot do is refused at load time,
//!   naming file, group, rule and feature.
//! - [`SampleStore`]: the in-memory window of recent samples, a `netops_core::Sink` whose
//!   `accept` only queues. [`Evaluator`]: instant PromQL queries over it, with Prometheus
//!   2.x semantics (checked against the real Prometheus in `tests/`).
//! - [`AlertManager`]: pending → firing → resolved, persisted by [`AlertStore`] in
//!   `alert_`-prefixed tables (SQLite or PostgreSQL), sent through [`Notifier`]s.
//! - [`drill`]: drills, injections, acknowledgements, and their reports (JSON, Markdown,
//!   HTML with an SVG timeline); [`drill::store::DrillStore`] persists them in `drill_`
//!   tables, [`api::router`] serves the drill HTTP API.

pub mod alert;
pub mod api;
mod db;
pub mod drill;
pub mod error;
pub mod eval;
pub mod notify;
pub mod rules;
pub mod time;

pub use alert::manager::{AlertManager, ManagerConfig, TickReport};
pub use alert::store::{AlertStore, DEFAULT_URL, HistoryEvent};
pub use alert::{Alert, AlertState, Notification};
pub use error::AlertError;
pub use eval::{DEFAULT_RETENTION, Element, Evaluator, SampleStore, Value};
pub use notify::{AlertmanagerNotifier, Notifier, WebhookNotifier};
pub use rules::{AlertRule, RuleGroup, RuleSet};
