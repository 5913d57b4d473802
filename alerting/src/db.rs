//! The database both stores of this crate share (alerts and drills live in one database, so
//! drills can be scored from `alert_history`): opening the pool and creating tables.

use crate::error::AlertError;
use sqlx::AnyPool;
use sqlx::any::AnyPoolOptions;

/// Wraps an sqlx error with what was being done (never the URL: it may hold a password).
pub(crate) fn store_err(what: &str) -> impl FnOnce(sqlx::Error) -> AlertError + '_ {
    move |source| AlertError::Store {
        what: what.to_string(),
        source,
    }
}

/// Connects to `url` (creating an SQLite file if needed) and runs `schema`'s statements.
/// `tables` names the tables in errors ("alert", "drill").
pub(crate) async fn open(url: &str, tables: &str, schema: &[&str]) -> Result<AnyPool, AlertError> {
    sqlx::any::install_default_drivers();
    let mut url = url.to_string();
    let is_sqlite = url.starts_with("sqlite:");
    if is_sqlite && !url.contains("mode=") && !url.contains(":memory:") {
        url.push_str(if url.contains('?') {
            "&mode=rwc"
        } else {
            "?mode=rwc"
        });
    }
    // An in-memory SQLite database exists per connection: keep exactly one.
    let max = if url.contains(":memory:") { 1 } else { 4 };
    let engine = if is_sqlite { "SQLite" } else { "PostgreSQL" };
    let pool = AnyPoolOptions::new()
        .max_connections(max)
        .connect(&url)
        .await
        .map_err(store_err(&format!("connect to {engine} ({tables} tables)")))?;
    for stmt in schema {
        sqlx::query(stmt)
            .execute(&pool)
            .await
            .map_err(store_err(&format!("create {tables} tables")))?;
    }
    Ok(pool)
}
