//! Persisted drills: runs, injections and acknowledgements in `drill_`-prefixed tables of
//! the same database as the alert store (SQLite by default, PostgreSQL by URL).
//!
//! As in [`crate::alert::store`], the schema is created with `CREATE TABLE IF NOT EXISTS`
//! (no sqlx migrations: the database is shared with the inventory and alert tables), SQL
//! uses `$N` placeholders for both engines and times are BIGINT Unix milliseconds.
//!
//! At most one drill is open at a time; that is what "the current drill" means for the API.
//! Alerts are not copied into drill tables: they are read back from `alert_history` for the
//! drill's window and tagged with [`Drill::tags`] (in scope, or naming an injected target).

use super::{Ack, Cidr, Drill, DrillAlert, DrillReport, Injection, alerts_from_history};
use crate::alert::store::AlertStore;
use crate::db::store_err;
use crate::error::AlertError;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyPool, Row};
use std::collections::BTreeMap;

const SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS drill_runs (
        name TEXT PRIMARY KEY,
        scope TEXT NOT NULL,
        start_ms BIGINT NOT NULL,
        end_ms BIGINT
    )",
    "CREATE TABLE IF NOT EXISTS drill_injections (
        drill TEXT NOT NULL,
        id TEXT NOT NULL,
        kind TEXT NOT NULL,
        target TEXT NOT NULL,
        note TEXT NOT NULL,
        at_ms BIGINT NOT NULL,
        PRIMARY KEY (drill, id)
    )",
    "CREATE TABLE IF NOT EXISTS drill_acks (
        drill TEXT NOT NULL,
        alert_id TEXT NOT NULL,
        who TEXT NOT NULL,
        at_ms BIGINT NOT NULL
    )",
];

/// A drill as stored: `end_ms` is empty while it is open.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DrillRun {
    pub name: String,
    pub scope: Vec<Cidr>,
    pub start_ms: i64,
    pub end_ms: Option<i64>,
}

impl DrillRun {
    pub fn is_open(&self) -> bool {
        self.end_ms.is_none()
    }

    /// The drill model; an open drill ends "now" (at least 1 ms after its start, so it
    /// validates even when asked in the same millisecond it started).
    pub fn as_drill(&self, now_ms: i64) -> Drill {
        Drill {
            name: self.name.clone(),
            scope: self.scope.clone(),
            start_ms: self.start_ms,
            end_ms: self
                .end_ms
                .unwrap_or(now_ms)
                .max(self.start_ms.saturating_add(1)),
        }
    }
}

/// An injection with the operator's note.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredInjection {
    #[serde(flatten)]
    pub injection: Injection,
    pub note: String,
}

/// Per-drill counts for the `netops_drill_*` metrics.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DrillCounts {
    pub open: bool,
    pub injections_by_kind: BTreeMap<String, u64>,
    pub acks: u64,
}

/// The drill tables of one database.
#[derive(Debug, Clone)]
pub struct DrillStore {
    pool: AnyPool,
}

fn drill_err(drill: &str, message: impl Into<String>) -> AlertError {
    AlertError::Drill {
        drill: drill.to_string(),
        message: message.into(),
    }
}

impl DrillStore {
    /// Connects (creating an SQLite file if needed) and creates the tables. Pass the same
    /// URL as the alert store so drills and `alert_history` share one database.
    pub async fn connect(url: &str) -> Result<Self, AlertError> {
        let pool = crate::db::open(url, "drill", SCHEMA).await?;
        Ok(Self { pool })
    }

    /// Opens a drill. Refused while another drill is open or when the name was used before.
    pub async fn start(
        &self,
        name: &str,
        scope: &[Cidr],
        now_ms: i64,
    ) -> Result<DrillRun, AlertError> {
        if name.trim().is_empty() || name.len() > 200 || name.contains('/') {
            return Err(drill_err(
                name,
                "name must be 1..=200 characters without '/'",
            ));
        }
        let mut tx = self.pool.begin().await.map_err(store_err("begin"))?;
        if let Some(open) = sqlx::query("SELECT name FROM drill_runs WHERE end_ms IS NULL")
            .fetch_optional(&mut *tx)
            .await
            .map_err(store_err("read drill_runs"))?
        {
            let open: String = open.try_get("name").map_err(store_err("read drill_runs"))?;
            return Err(drill_err(
                name,
                format!("drill {open:?} is still open; end it first"),
            ));
        }
        if sqlx::query("SELECT name FROM drill_runs WHERE name = $1")
            .bind(name.to_string())
            .fetch_optional(&mut *tx)
            .await
            .map_err(store_err("read drill_runs"))?
            .is_some()
        {
            return Err(drill_err(name, "a drill of that name already exists"));
        }
        let scope_json = serde_json::to_string(scope).unwrap_or_else(|_| "[]".into());
        sqlx::query(
            "INSERT INTO drill_runs (name, scope, start_ms, end_ms) VALUES ($1, $2, $3, NULL)",
        )
        .bind(name.to_string())
        .bind(scope_json)
        .bind(now_ms)
        .execute(&mut *tx)
        .await
        .map_err(store_err("insert into drill_runs"))?;
        tx.commit().await.map_err(store_err("commit"))?;
        Ok(DrillRun {
            name: name.to_string(),
            scope: scope.to_vec(),
            start_ms: now_ms,
            end_ms: None,
        })
    }

    /// The open drill, if any.
    pub async fn current(&self) -> Result<Option<DrillRun>, AlertError> {
        let row = sqlx::query(
            "SELECT name, scope, start_ms, end_ms FROM drill_runs WHERE end_ms IS NULL
             ORDER BY start_ms DESC",
        )
        .fetch_optional(&self.pool)
        .await
        .map_err(store_err("read drill_runs"))?;
        row.as_ref().map(row_to_run).transpose()
    }

    /// A drill by name.
    pub async fn get(&self, name: &str) -> Result<Option<DrillRun>, AlertError> {
        let row =
            sqlx::query("SELECT name, scope, start_ms, end_ms FROM drill_runs WHERE name = $1")
                .bind(name.to_string())
                .fetch_optional(&self.pool)
                .await
                .map_err(store_err("read drill_runs"))?;
        row.as_ref().map(row_to_run).transpose()
    }

    /// Every drill, oldest first.
    pub async fn list(&self) -> Result<Vec<DrillRun>, AlertError> {
        let rows = sqlx::query(
            "SELECT name, scope, start_ms, end_ms FROM drill_runs ORDER BY start_ms, name",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(store_err("read drill_runs"))?;
        rows.iter().map(row_to_run).collect()
    }

    /// Ends the open drill at `now_ms`; `None` when no drill is open.
    pub async fn end_current(&self, now_ms: i64) -> Result<Option<DrillRun>, AlertError> {
        let Some(mut run) = self.current().await? else {
            return Ok(None);
        };
        // Never before the start, so the drill window stays valid.
        let end = now_ms.max(run.start_ms.saturating_add(1));
        sqlx::query("UPDATE drill_runs SET end_ms = $1 WHERE name = $2 AND end_ms IS NULL")
            .bind(end)
            .bind(run.name.clone())
            .execute(&self.pool)
            .await
            .map_err(store_err("update drill_runs"))?;
        run.end_ms = Some(end);
        Ok(Some(run))
    }

    /// Records an injection into `drill` at its ground-truth time; ids are `inj-1`, `inj-2`, …
    /// per drill.
    pub async fn add_injection(
        &self,
        drill: &str,
        kind: &str,
        target: &str,
        note: &str,
        at_ms: i64,
    ) -> Result<StoredInjection, AlertError> {
        let mut tx = self.pool.begin().await.map_err(store_err("begin"))?;
        let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM drill_injections WHERE drill = $1")
            .bind(drill.to_string())
            .fetch_one(&mut *tx)
            .await
            .and_then(|r| r.try_get("n"))
            .map_err(store_err("count drill_injections"))?;
        let id = format!("inj-{}", n + 1);
        sqlx::query(
            "INSERT INTO drill_injections (drill, id, kind, target, note, at_ms)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(drill.to_string())
        .bind(id.clone())
        .bind(kind.to_string())
        .bind(target.to_string())
        .bind(note.to_string())
        .bind(at_ms)
        .execute(&mut *tx)
        .await
        .map_err(store_err("insert into drill_injections"))?;
        tx.commit().await.map_err(store_err("commit"))?;
        Ok(StoredInjection {
            injection: Injection {
                id,
                kind: kind.to_string(),
                target: target.to_string(),
                at_ms,
                detected_by: Vec::new(),
            },
            note: note.to_string(),
        })
    }

    /// The injections of a drill, oldest first.
    pub async fn injections(&self, drill: &str) -> Result<Vec<StoredInjection>, AlertError> {
        let rows = sqlx::query(
            "SELECT id, kind, target, note, at_ms FROM drill_injections WHERE drill = $1
             ORDER BY at_ms, id",
        )
        .bind(drill.to_string())
        .fetch_all(&self.pool)
        .await
        .map_err(store_err("read drill_injections"))?;
        rows.iter()
            .map(|r| {
                let e = || store_err("read drill_injections row");
                Ok(StoredInjection {
                    injection: Injection {
                        id: r.try_get("id").map_err(e())?,
                        kind: r.try_get("kind").map_err(e())?,
                        target: r.try_get("target").map_err(e())?,
                        at_ms: r.try_get("at_ms").map_err(e())?,
                        detected_by: Vec::new(),
                    },
                    note: r.try_get("note").map_err(e())?,
                })
            })
            .collect()
    }

    /// Records that `who` acknowledged `alert_id` during `drill`.
    pub async fn add_ack(
        &self,
        drill: &str,
        alert_id: &str,
        who: &str,
        at_ms: i64,
    ) -> Result<Ack, AlertError> {
        sqlx::query("INSERT INTO drill_acks (drill, alert_id, who, at_ms) VALUES ($1, $2, $3, $4)")
            .bind(drill.to_string())
            .bind(alert_id.to_string())
            .bind(who.to_string())
            .bind(at_ms)
            .execute(&self.pool)
            .await
            .map_err(store_err("insert into drill_acks"))?;
        Ok(Ack {
            alert_id: alert_id.to_string(),
            who: who.to_string(),
            at_ms,
        })
    }

    /// The acknowledgements of a drill, oldest first.
    pub async fn acks(&self, drill: &str) -> Result<Vec<Ack>, AlertError> {
        let rows = sqlx::query(
            "SELECT alert_id, who, at_ms FROM drill_acks WHERE drill = $1 ORDER BY at_ms, alert_id",
        )
        .bind(drill.to_string())
        .fetch_all(&self.pool)
        .await
        .map_err(store_err("read drill_acks"))?;
        rows.iter()
            .map(|r| {
                let e = || store_err("read drill_acks row");
                Ok(Ack {
                    alert_id: r.try_get("alert_id").map_err(e())?,
                    who: r.try_get("who").map_err(e())?,
                    at_ms: r.try_get("at_ms").map_err(e())?,
                })
            })
            .collect()
    }

    /// The alerts of `alert_history` that belong to the drill (window, then scope or
    /// injected target), oldest first.
    pub async fn drill_alerts(
        &self,
        alerts: &AlertStore,
        run: &DrillRun,
        now_ms: i64,
    ) -> Result<Vec<DrillAlert>, AlertError> {
        let drill = run.as_drill(now_ms);
        let injections: Vec<Injection> = self
            .injections(&run.name)
            .await?
            .into_iter()
            .map(|i| i.injection)
            .collect();
        let history = alerts.history(drill.start_ms, drill.end_ms).await?;
        Ok(alerts_from_history(&history)
            .into_iter()
            .filter(|a| drill.tags(a, &injections))
            .collect())
    }

    /// The report of a drill (an open one is reported up to `now_ms`); `None` when no drill
    /// has that name.
    pub async fn report(
        &self,
        alerts: &AlertStore,
        name: &str,
        now_ms: i64,
    ) -> Result<Option<DrillReport>, AlertError> {
        let Some(run) = self.get(name).await? else {
            return Ok(None);
        };
        let drill = run.as_drill(now_ms);
        let injections: Vec<Injection> = self
            .injections(name)
            .await?
            .into_iter()
            .map(|i| i.injection)
            .collect();
        let history = alerts.history(drill.start_ms, drill.end_ms).await?;
        let drill_alerts = alerts_from_history(&history);
        let acks = resolve_acks(&self.acks(name).await?, &drill_alerts);
        DrillReport::build(&drill, &injections, &drill_alerts, &acks).map(Some)
    }

    /// Counts per drill for the metrics.
    pub async fn counts(&self) -> Result<BTreeMap<String, DrillCounts>, AlertError> {
        let mut out: BTreeMap<String, DrillCounts> = BTreeMap::new();
        for run in self.list().await? {
            out.entry(run.name.clone()).or_default().open = run.is_open();
        }
        let rows = sqlx::query(
            "SELECT drill, kind, COUNT(*) AS n FROM drill_injections GROUP BY drill, kind",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(store_err("count drill_injections"))?;
        for r in &rows {
            let e = || store_err("count drill_injections");
            let drill: String = r.try_get("drill").map_err(e())?;
            let kind: String = r.try_get("kind").map_err(e())?;
            let n: i64 = r.try_get("n").map_err(e())?;
            out.entry(drill)
                .or_default()
                .injections_by_kind
                .insert(kind, n.unsigned_abs());
        }
        let rows = sqlx::query("SELECT drill, COUNT(*) AS n FROM drill_acks GROUP BY drill")
            .fetch_all(&self.pool)
            .await
            .map_err(store_err("count drill_acks"))?;
        for r in &rows {
            let e = || store_err("count drill_acks");
            let drill: String = r.try_get("drill").map_err(e())?;
            let n: i64 = r.try_get("n").map_err(e())?;
            out.entry(drill).or_default().acks = n.unsigned_abs();
        }
        Ok(out)
    }
}

/// Operators acknowledge either a drill alert id (`KEY@FIRED_MS`, as the report and
/// `GET /api/drills/current/alerts` show it) or the plain alert key (as Alertmanager and
/// `alert_state` know it). A plain key is resolved to the latest firing of that alert at or
/// before the acknowledgement (or its first firing if the ack came earlier).
pub fn resolve_acks(acks: &[Ack], alerts: &[DrillAlert]) -> Vec<Ack> {
    acks.iter()
        .map(|k| {
            if alerts.iter().any(|a| a.id == k.alert_id) {
                return k.clone();
            }
            let prefix = format!("{}@", k.alert_id);
            let firings: Vec<&DrillAlert> = alerts
                .iter()
                .filter(|a| a.id.starts_with(&prefix))
                .collect();
            let chosen = firings
                .iter()
                .filter(|a| a.fired_at_ms <= k.at_ms)
                .max_by_key(|a| a.fired_at_ms)
                .or_else(|| firings.iter().min_by_key(|a| a.fired_at_ms));
            match chosen {
                Some(a) => Ack {
                    alert_id: a.id.clone(),
                    ..k.clone()
                },
                None => k.clone(),
            }
        })
        .collect()
}

fn row_to_run(r: &AnyRow) -> Result<DrillRun, AlertError> {
    let e = || store_err("read drill_runs row");
    let name: String = r.try_get("name").map_err(e())?;
    let scope_text: String = r.try_get("scope").map_err(e())?;
    let scope: Vec<Cidr> = serde_json::from_str(&scope_text)
        .map_err(|err| drill_err(&name, format!("stored scope is not valid: {err}")))?;
    Ok(DrillRun {
        scope,
        start_ms: r.try_get("start_ms").map_err(e())?,
        end_ms: r.try_get("end_ms").map_err(e())?,
        name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(id: &str, fired: i64) -> DrillAlert {
        DrillAlert {
            id: id.into(),
            alertname: "X".into(),
            severity: "warning".into(),
            category: "none".into(),
            labels: BTreeMap::new(),
            fired_at_ms: fired,
            resolved_at_ms: None,
        }
    }

    #[test]
    fn plain_alert_keys_resolve_to_the_firing_being_acknowledged() {
        let alerts = [
            alert("k@100", 100),
            alert("k@300", 300),
            alert("j@200", 200),
        ];
        let ack = |id: &str, at| Ack {
            alert_id: id.into(),
            who: "sec".into(),
            at_ms: at,
        };
        let got = resolve_acks(
            &[
                ack("k", 350),
                ack("k", 150),
                ack("k", 50),
                ack("j@200", 400),
                ack("zz", 1),
            ],
            &alerts,
        );
        let ids: Vec<&str> = got.iter().map(|k| k.alert_id.as_str()).collect();
        assert_eq!(ids, ["k@300", "k@100", "k@100", "j@200", "zz"]);
    }
}
