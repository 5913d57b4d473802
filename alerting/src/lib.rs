//! netops-alerting: Prometheus-format alert rules evaluated in-process over the samples netops
//! collects, the alert lifecycle (pending, firing, resolved), notifiers (Alertmanager v2,
//! webhook), and security drills with their reports.
//!
//! Nothing is implemented yet: see the alerting issue.
