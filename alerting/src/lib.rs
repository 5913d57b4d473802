//! netops-alerting: Prometheus-format alert rules evaluated in-process over the samples netops
//! collects, the alert lifecycle (pending, firing, resolved), notifiers (Alertmanager v2,
//! webhook), and security drills with their reports.
//!
//! - [`RuleSet::load`] reads Prometheus rule files and refuses, at load time, any PromQL the
//!   evaluator does not implement (naming file, group, rule and feature).

pub mod error;
pub mod rules;

pub use error::AlertError;
pub use rules::{AlertRule, RuleGroup, RuleSet};
pub mod eval;
pub mod time;

pub use eval::{Element, Evaluator, SampleStore, Value};
pub mod alert;
pub mod notify;

pub use alert::manager::{AlertManager, ManagerConfig, TickReport};
pub use alert::store::AlertStore;
pub use alert::{Alert, AlertState, Notification};
pub use notify::{AlertmanagerNotifier, Notifier, WebhookNotifier};
