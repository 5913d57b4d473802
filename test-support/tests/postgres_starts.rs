//! The PostgreSQL helper really starts a server that answers queries.
use netops_test_support::postgres::Postgres;
use std::process::Command;

#[test]
fn throwaway_cluster_answers_psql() {
    let pg = Postgres::start();
    let out = Command::new("psql")
        .args([&pg.url(), "-tAc", "select 6*7"])
        .output()
        .expect("run psql");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "42");
}
