//! The inventory store: one `sqlx::AnyPool` over SQLite (default) or PostgreSQL, picked by
//! URL. The Any driver keeps one code path for both; the SQL is written to be portable
//! (`$N` placeholders, which the SQLite driver accepts too; `ON CONFLICT … DO UPDATE`; ISO
//! date text; no server-side aggregates whose result type differs between the two).
//! Reports load the rows and compute in Rust, so both backends give byte-identical reports.

mod read;
mod upsert;

pub use upsert::UpsertSummary;

use crate::error::{InventoryError, Result};
use sqlx::AnyPool;
use sqlx::any::AnyPoolOptions;
use sqlx::error::BoxDynError;
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};
use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;

/// The default store: a SQLite file in the working directory, created if missing.
pub const DEFAULT_URL: &str = "sqlite://netops.db";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A handle on the inventory database; cheap to clone (the pool is shared).
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

/// The schema, compiled into the binary so that a deployed `netops` migrates any store it
/// is pointed at without a migrations folder beside it.
#[derive(Debug)]
struct EmbeddedMigrations;

const MIGRATIONS: &[(i64, &str, &str)] = &[(
    1,
    "inventory",
    include_str!("../../migrations/0001_inventory.sql"),
)];

impl MigrationSource<'static> for EmbeddedMigrations {
    fn resolve(
        self,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<Migration>, BoxDynError>> + Send + 'static>> {
        Box::pin(async {
            Ok(MIGRATIONS
                .iter()
                .map(|(version, description, sql)| {
                    Migration::new(
                        *version,
                        Cow::Borrowed(*description),
                        MigrationType::Simple,
                        Cow::Borrowed(*sql),
                        false,
                    )
                })
                .collect())
        })
    }
}

/// Splits `sqlite://path?query` and adds `mode=rwc` so a missing file is created.
fn sqlite_url_creating(url: &str) -> String {
    if url.contains("mode=") || url.contains(":memory:") {
        url.to_string()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    }
}

impl Store {
    /// Connects (creating a SQLite file if missing) and runs the migrations.
    pub async fn open(url: &str) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let (backend, connect_url) = if url.starts_with("sqlite:") {
            (Backend::Sqlite, sqlite_url_creating(url))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            (Backend::Postgres, url.to_string())
        } else {
            return Err(InventoryError::UnsupportedUrl(url.to_string()));
        };
        let pool = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 4 } else { 8 })
            .connect(&connect_url)
            .await
            .map_err(InventoryError::db(format!(
                "connecting to {}",
                redact_url(url)
            )))?;
        if backend == Backend::Sqlite {
            // WAL lets the daemon's readers go on while an import writes.
            sqlx::query("PRAGMA journal_mode=WAL")
                .execute(&pool)
                .await
                .map_err(InventoryError::db("setting SQLite WAL mode"))?;
        }
        let migrator = Migrator::new(EmbeddedMigrations).await?;
        migrator.run(&pool).await?;
        Ok(Self { pool, backend })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Drops a password from a URL before it goes into an error message.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            sqlite_url_creating("sqlite://netops.db"),
            "sqlite://netops.db?mode=rwc"
        );
        assert_eq!(
            sqlite_url_creating("sqlite://a.db?mode=ro"),
            "sqlite://a.db?mode=ro"
        );
        assert_eq!(
            redact_url("postgres://u:secret@127.0.0.1:5432/db"),
            "postgres://u:***@127.0.0.1:5432/db"
        );
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
    }
}
