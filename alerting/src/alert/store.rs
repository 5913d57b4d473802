//! Persisted alert state, in the same database as the inventory (SQLite by default,
//! PostgreSQL by URL), in tables prefixed `alert_`.
//!
//! The schema is created with `CREATE TABLE IF NOT EXISTS` rather than `sqlx::migrate!`
//! on purpose: the inventory crate shares the database and sqlx keeps one
//! `_sqlx_migrations` table per database, so two crates' migration sets would see each
//! other's versions as unknown and refuse to start.
//!
//! SQL is written once for both engines: `$N` placeholders (sqlx's SQLite driver accepts
//! them too), BIGINT milliseconds for times, and `ON CONFLICT … DO UPDATE` upserts.

use super::{Alert, AlertState};
use crate::db::store_err;
use crate::error::AlertError;
use netops_core::Labels;
use sqlx::any::AnyRow;
use sqlx::{AnyPool, Row};
use std::collections::BTreeMap;

/// Default database: the file the inventory uses too.
pub const DEFAULT_URL: &str = "sqlite://netops.db";

const SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS alert_state (
        id TEXT PRIMARY KEY,
        group_name TEXT NOT NULL,
        rule_id TEXT NOT NULL,
        alertname TEXT NOT NULL,
        labels TEXT NOT NULL,
        annotations TEXT NOT NULL,
        state TEXT NOT NULL,
        value DOUBLE PRECISION,
        active_at BIGINT NOT NULL,
        fired_at BIGINT,
        resolved_at BIGINT,
        keep_firing_since BIGINT,
        last_sent_at BIGINT,
        generator_url TEXT NOT NULL
    )",
    // One row per transition to firing or resolved: what drill reports and audits read.
    "CREATE TABLE IF NOT EXISTS alert_history (
        alert_id TEXT NOT NULL,
        alertname TEXT NOT NULL,
        severity TEXT NOT NULL,
        labels TEXT NOT NULL,
        event TEXT NOT NULL,
        at_ms BIGINT NOT NULL
    )",
    "CREATE INDEX IF NOT EXISTS alert_history_at ON alert_history (at_ms)",
];

/// A transition recorded in `alert_history`.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEvent {
    pub alert_id: String,
    pub alertname: String,
    pub severity: String,
    pub labels: Labels,
    /// `firing` or `resolved`.
    pub event: String,
    pub at_ms: i64,
}

/// The alert tables of one database.
#[derive(Debug, Clone)]
pub struct AlertStore {
    pool: AnyPool,
}

impl AlertStore {
    /// Connects (creating an SQLite file if needed) and creates the tables.
    pub async fn connect(url: &str) -> Result<Self, AlertError> {
        let pool = crate::db::open(url, "alert", SCHEMA).await?;
        Ok(Self { pool })
    }

    /// Every persisted alert.
    pub async fn load(&self) -> Result<Vec<Alert>, AlertError> {
        let rows = sqlx::query(
            "SELECT group_name, rule_id, labels, annotations, state, value, active_at, fired_at,
                    resolved_at, last_sent_at, generator_url, id, keep_firing_since
             FROM alert_state ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(store_err("load alert_state"))?;
        rows.iter().map(row_to_alert).collect()
    }

    /// Writes the given alerts (insert or update) and deletes the rows of `removed` keys, in
    /// one transaction.
    pub async fn save(
        &self,
        changed: &[&Alert],
        removed: &[String],
        history: &[HistoryEvent],
    ) -> Result<(), AlertError> {
        if changed.is_empty() && removed.is_empty() && history.is_empty() {
            return Ok(());
        }
        let mut tx = self.pool.begin().await.map_err(store_err("begin"))?;
        for a in changed {
            let labels = labels_json(&a.labels);
            let annotations = serde_json::to_string(&a.annotations).unwrap_or_default();
            sqlx::query(
                "INSERT INTO alert_state (id, group_name, alertname, labels, annotations, state,
                     value, active_at, fired_at, resolved_at, last_sent_at, generator_url, rule_id,
                     keep_firing_since)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
                 ON CONFLICT (id) DO UPDATE SET annotations = excluded.annotations,
                     state = excluded.state, value = excluded.value,
                     active_at = excluded.active_at, fired_at = excluded.fired_at,
                     resolved_at = excluded.resolved_at, last_sent_at = excluded.last_sent_at,
                     generator_url = excluded.generator_url,
                     keep_firing_since = excluded.keep_firing_since",
            )
            .bind(a.key())
            .bind(a.group.clone())
            .bind(a.name().to_string())
            .bind(labels)
            .bind(annotations)
            .bind(a.state.as_str())
            .bind((!a.value.is_nan()).then_some(a.value))
            .bind(a.active_at)
            .bind(a.fired_at)
            .bind(a.resolved_at)
            .bind(a.last_sent_at)
            .bind(a.generator_url.clone())
            .bind(a.rule_id.clone())
            .bind(a.keep_firing_since)
            .execute(&mut *tx)
            .await
            .map_err(store_err("upsert alert_state"))?;
        }
        for key in removed {
            sqlx::query("DELETE FROM alert_state WHERE id = $1")
                .bind(key.clone())
                .execute(&mut *tx)
                .await
                .map_err(store_err("delete from alert_state"))?;
        }
        for h in history {
            sqlx::query(
                "INSERT INTO alert_history (alert_id, alertname, severity, labels, event, at_ms)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(h.alert_id.clone())
            .bind(h.alertname.clone())
            .bind(h.severity.clone())
            .bind(labels_json(&h.labels))
            .bind(h.event.clone())
            .bind(h.at_ms)
            .execute(&mut *tx)
            .await
            .map_err(store_err("insert into alert_history"))?;
        }
        tx.commit().await.map_err(store_err("commit"))
    }

    /// Firing/resolved transitions in `[from_ms, to_ms]`, oldest first.
    pub async fn history(&self, from_ms: i64, to_ms: i64) -> Result<Vec<HistoryEvent>, AlertError> {
        let rows = sqlx::query(
            "SELECT alert_id, alertname, severity, labels, event, at_ms FROM alert_history
             WHERE at_ms >= $1 AND at_ms <= $2 ORDER BY at_ms, alert_id",
        )
        .bind(from_ms)
        .bind(to_ms)
        .fetch_all(&self.pool)
        .await
        .map_err(store_err("read alert_history"))?;
        rows.iter()
            .map(|r| {
                let get = |c: &str| {
                    r.try_get::<String, _>(c)
                        .map_err(store_err("read alert_history row"))
                };
                Ok(HistoryEvent {
                    alert_id: get("alert_id")?,
                    alertname: get("alertname")?,
                    severity: get("severity")?,
                    labels: parse_labels(&get("labels")?),
                    event: get("event")?,
                    at_ms: r
                        .try_get("at_ms")
                        .map_err(store_err("read alert_history row"))?,
                })
            })
            .collect()
    }
}

fn labels_json(labels: &Labels) -> String {
    let map: BTreeMap<&str, &str> = labels.iter().collect();
    serde_json::to_string(&map).unwrap_or_default()
}

fn parse_labels(text: &str) -> Labels {
    serde_json::from_str::<BTreeMap<String, String>>(text)
        .unwrap_or_default()
        .into_iter()
        .collect()
}

fn row_to_alert(r: &AnyRow) -> Result<Alert, AlertError> {
    let e = store_err("read alert_state row");
    let text = |c: &str| r.try_get::<String, _>(c);
    let build = || -> Result<Alert, sqlx::Error> {
        let state_text = text("state")?;
        let state = AlertState::parse(&state_text).ok_or_else(|| {
            sqlx::Error::Decode(format!("unknown alert state {state_text:?}").into())
        })?;
        Ok(Alert {
            group: text("group_name")?,
            rule_id: text("rule_id")?,
            labels: parse_labels(&text("labels")?),
            annotations: serde_json::from_str(&text("annotations")?).unwrap_or_default(),
            state,
            value: r.try_get::<Option<f64>, _>("value")?.unwrap_or(f64::NAN),
            active_at: r.try_get("active_at")?,
            fired_at: r.try_get("fired_at")?,
            resolved_at: r.try_get("resolved_at")?,
            keep_firing_since: r.try_get("keep_firing_since")?,
            last_sent_at: r.try_get("last_sent_at")?,
            generator_url: text("generator_url")?,
        })
    };
    build().map_err(e)
}
