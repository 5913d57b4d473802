//! Throwaway stores for the integration tests: a SQLite file in a temp dir, or a fresh
//! PostgreSQL cluster on a loopback port. Every scenario runs once on each.
#![allow(dead_code)]

use netops_inventory::Store;
use netops_test_support::postgres::Postgres;

/// Keeps whatever backs the store alive for the test's duration.
#[derive(Debug)]
pub enum Keep {
    Dir(tempfile::TempDir),
    /// A database on a cluster the test owns.
    None,
}

#[derive(Debug)]
pub struct TestDb {
    pub url: String,
    pub store: Store,
    _keep: Keep,
}

pub async fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("netops.db").display());
    let store = Store::open(&url).await.expect("open SQLite store");
    TestDb {
        url,
        store,
        _keep: Keep::Dir(dir),
    }
}

/// A fresh database on a shared throwaway cluster (one cluster per test binary keeps the
/// suite fast: `initdb` is the slow part).
pub async fn pg_db(pg: &Postgres, name: &str) -> TestDb {
    let admin = Store::open(&pg.url())
        .await
        .expect("open PostgreSQL admin store");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(admin.pool())
        .await
        .unwrap_or_else(|e| panic!("CREATE DATABASE {name}: {e}"));
    admin.close().await;
    let url = format!("postgres://postgres@127.0.0.1:{}/{name}", pg.port);
    let store = Store::open(&url).await.expect("open PostgreSQL store");
    TestDb {
        url,
        store,
        _keep: Keep::None,
    }
}

/// Declares the scenarios: one `SCENARIO::sqlite` test each (own temp file), and one
/// `postgres_runs_every_scenario` test that runs them all on a single PostgreSQL cluster,
/// each in its own database, followed by `$pg_extra(&cluster)`.
#[macro_export]
macro_rules! scenarios {
    ([$($scenario:ident),+ $(,)?], $pg_extra:ident) => {
        $(
            mod $scenario {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$scenario($crate::common::sqlite().await).await;
                }
            }
        )+
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn postgres_runs_every_scenario() {
            let pg = netops_test_support::postgres::Postgres::start();
            $(
                eprintln!("postgres: {}", stringify!($scenario));
                $scenario($crate::common::pg_db(&pg, stringify!($scenario)).await).await;
            )+
            $pg_extra(&pg).await;
        }
    };
}
