//! `netops inventory` driven as a user would: the built binary, real CSV files, a SQLite
//! file and a throwaway PostgreSQL.

use netops_inventory::fixture::{DistrictFiles, write_district_csvs};
use netops_test_support::postgres::Postgres;
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

fn netops(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_netops"))
        .current_dir(cwd)
        .env_remove("NETOPS_DB")
        .args(args)
        .output()
        .expect("run netops")
}

fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "netops failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 stdout")
}

fn p(path: &Path) -> &str {
    path.to_str().expect("UTF-8 path")
}

/// Imports the three fixture files, putting `--db` before the subcommand, after it, and
/// (for the last) in NETOPS_DB.
fn import_district(cwd: &Path, db: &str, files: &DistrictFiles) {
    let out = ok(netops(
        cwd,
        &["inventory", "--db", db, "import", "sites", p(&files.sites)],
    ));
    assert!(out.is_empty());
    ok(netops(
        cwd,
        &[
            "inventory",
            "import",
            "targets",
            p(&files.targets),
            "--db",
            db,
        ],
    ));
    let out = Command::new(env!("CARGO_BIN_EXE_netops"))
        .current_dir(cwd)
        .env("NETOPS_DB", db)
        .args(["inventory", "import", "blind-spots", p(&files.blind_spots)])
        .output()
        .expect("run netops");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    ok(out);
    // Not a terminal: no progress bar, just the one summary line.
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(
        lines[0].starts_with(&format!(
            "{}: 418 blind spots imported (418 new, 0 updated, 418 status changes) in ",
            files.blind_spots.display()
        )),
        "{stderr}"
    );
}

fn progress_json(cwd: &Path, db: &str) -> String {
    ok(netops(
        cwd,
        &[
            "inventory",
            "report",
            "progress",
            "--year",
            "2023",
            "--db",
            db,
        ],
    ))
}

#[test]
fn help_explains_the_commands() {
    let dir = tempfile::tempdir().expect("temp dir");
    let help = ok(netops(dir.path(), &["inventory", "--help"]));
    for needle in [
        "import",
        "report",
        "--db <URL>",
        "NETOPS_DB",
        "sqlite://netops.db",
    ] {
        assert!(help.contains(needle), "`{needle}` missing from:\n{help}");
    }
    // Help is wrapped to the terminal width: compare with whitespace collapsed.
    let help = ok(netops(dir.path(), &["inventory", "import", "--help"]))
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        help.contains("site_id,name,town,operator,lat,lon,status,planned_year,on_air_date,mgmt_ip")
    );
    assert!(help.contains("FILE:LINE: field: reason"));
    let help = ok(netops(
        dir.path(),
        &["inventory", "report", "blind-spots", "--help"],
    ));
    assert!(help.contains("--radius-m <M>") && help.contains("likely"));
}

#[test]
fn fixture_reports_reproduce_the_published_figures() {
    let dir = tempfile::tempdir().expect("temp dir");
    let files = write_district_csvs(dir.path(), 2023).expect("fixture CSVs");
    let db = format!("sqlite://{}", dir.path().join("inv.db").display());
    import_district(dir.path(), &db, &files);

    let j: Value = serde_json::from_str(&progress_json(dir.path(), &db)).expect("JSON");
    assert_eq!(j["year"], 2023);
    assert_eq!(j["built"], 2041);
    assert_eq!(j["target"], 1795);
    assert_eq!(j["completion_ratio"], 1.137);
    assert_eq!(j["completion_percent"], 113.7);
    assert_eq!(j["in_service_end_of_year"], 13693);
    assert_eq!(j["towns"].as_array().map(Vec::len), Some(16));
    assert_eq!(j["towns"][0]["rank"], 1);

    let csv = ok(netops(
        dir.path(),
        &[
            "inventory",
            "--db",
            &db,
            "report",
            "progress",
            "--year",
            "2023",
            "-o",
            "csv",
        ],
    ));
    assert!(csv.starts_with(
        "town,target,built,completion_ratio,completion_percent,rank,in_service_end_of_year,"
    ));
    assert!(
        csv.lines()
            .any(|l| l.starts_with("TOTAL,1795,2041,1.137,113.7,,13693,")),
        "{csv}"
    );
    let html = ok(netops(
        dir.path(),
        &[
            "inventory",
            "--db",
            &db,
            "report",
            "progress",
            "--year",
            "2023",
            "-o",
            "html",
        ],
    ));
    assert!(
        html.starts_with("<!DOCTYPE html>") && html.contains("113.7 %") && html.contains("13,693")
    );

    let spots = ok(netops(
        dir.path(),
        &[
            "inventory",
            "--db",
            &db,
            "report",
            "blind-spots",
            "--year",
            "2023",
        ],
    ));
    let s: Value = serde_json::from_str(&spots).expect("JSON");
    assert_eq!(s["resolved_in_year"], 233);
    assert_eq!(s["as_of"], "2023-12-31");
    assert!(s["likely_fixed"].as_i64() > Some(0));
    let none = ok(netops(
        dir.path(),
        &[
            "inventory",
            "--db",
            &db,
            "report",
            "blind-spots",
            "--year",
            "2023",
            "--radius-m",
            "0",
        ],
    ));
    let none: Value = serde_json::from_str(&none).expect("JSON");
    assert_eq!(none["likely_fixed"], 0);
    let csv = ok(netops(
        dir.path(),
        &[
            "inventory",
            "--db",
            &db,
            "report",
            "blind-spots",
            "--year",
            "2023",
            "-o",
            "csv",
        ],
    ));
    assert_eq!(
        csv.lines().count() as i64,
        s["open"].as_i64().unwrap_or(-1) + 1
    );

    // Re-importing the same file changes nothing and records no status change.
    let out = netops(
        dir.path(),
        &["inventory", "--db", &db, "import", "sites", p(&files.sites)],
    );
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    ok(out);
    assert!(
        stderr.contains("(0 new, 16388 updated, 0 status changes)"),
        "{stderr}"
    );
}

#[test]
fn default_store_is_netops_db_in_the_working_directory() {
    let dir = tempfile::tempdir().expect("temp dir");
    let targets = dir.path().join("targets.csv");
    std::fs::write(
        &targets,
        "town,year,target\n市桥街,2023,150\n沙头街,2023,110\n",
    )
    .expect("write");
    ok(netops(
        dir.path(),
        &["inventory", "import", "targets", "targets.csv"],
    ));
    assert!(dir.path().join("netops.db").exists());
    let j: Value = serde_json::from_str(&ok(netops(
        dir.path(),
        &["inventory", "report", "progress", "--year", "2023"],
    )))
    .expect("JSON");
    assert_eq!(j["target"], 260);
    assert_eq!(j["built"], 0);
    assert_eq!(j["towns"][0]["town"], "市桥街");
}

#[test]
fn a_bad_file_is_refused_whole_with_every_bad_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("sites.csv");
    std::fs::write(
        &file,
        "site_id,name,town,operator,lat,lon,status,planned_year,on_air_date,mgmt_ip\n\
         S-1,市桥街移动1号,市桥街,中国移动,22.945,113.365,on_air,2023,2023-03-01,\n\
         S-2,沙头街电信2号,沙头街,中国电信,22.9,north,planned,2024,,\n\
         S-3,东环街联通3号,东环街,中国联通,22.95,113.39,on_air,2023,2023/04/01,\n\
         S-1,桥南街移动4号,桥南街,中国移动,22.92,113.37,planned,2024,,\n",
    )
    .expect("write");
    let db = format!("sqlite://{}", dir.path().join("inv.db").display());
    let out = netops(
        dir.path(),
        &["inventory", "import", "sites", "sites.csv", "--db", &db],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "sites.csv:3: lon: \"north\" is not a number\n\
         sites.csv:4: on_air_date: \"2023/04/01\" is not a date in YYYY-MM-DD form\n\
         sites.csv:5: site_id: duplicate of line 2\n\
         netops: sites.csv refused: 3 invalid fields; nothing was written\n"
    );
    // Nothing was written, not even the good first row.
    let out = ok(netops(
        dir.path(),
        &[
            "inventory",
            "--db",
            &db,
            "report",
            "progress",
            "--year",
            "2023",
            "-o",
            "csv",
        ],
    ));
    assert_eq!(out.lines().count(), 2, "header and TOTAL only:\n{out}");

    let out = netops(
        dir.path(),
        &["inventory", "import", "sites", "missing.csv", "--db", &db],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.csv"));
}

#[test]
fn postgres_by_url_gives_the_same_report_as_sqlite() {
    let pg = Postgres::start();
    let dir = tempfile::tempdir().expect("temp dir");
    let files = write_district_csvs(dir.path(), 2023).expect("fixture CSVs");
    let lite = format!("sqlite://{}", dir.path().join("inv.db").display());
    import_district(dir.path(), &lite, &files);
    import_district(dir.path(), &pg.url(), &files);
    assert_eq!(
        progress_json(dir.path(), &pg.url()),
        progress_json(dir.path(), &lite)
    );
    let spots = |db: &str| {
        ok(netops(
            dir.path(),
            &[
                "inventory",
                "--db",
                db,
                "report",
                "blind-spots",
                "--year",
                "2023",
                "-o",
                "csv",
            ],
        ))
    };
    assert_eq!(spots(&pg.url()), spots(&lite));
    let bad = netops(
        dir.path(),
        &[
            "inventory",
            "--db",
            "mysql://x",
            "report",
            "progress",
            "--year",
            "2023",
        ],
    );
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unsupported database URL"));
}
